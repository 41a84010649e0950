//! Git as a source of bytes (`git2`, built without network features).
//!
//! - [`staged`]: the blobs in the index git is about to commit — the one
//!   named by `GIT_INDEX_FILE` when `git commit -a` or `git commit PATHS` set
//!   it, which `Repository::open_from_env` honours — and, per file, the line
//!   numbers the staged change adds.
//! - [`history`]: every distinct blob reachable from the selected commits,
//!   each read once. Trees are walked once across all commits (a tree seen
//!   before holds nothing new), oldest commit first, so the commit recorded
//!   for a blob is the one that introduced it. For `BASE..HEAD`, everything
//!   in the base's tree is marked seen first, so only what the range adds is
//!   scanned.
//! - [`credential_files`]: tracked paths that hold credentials by name, and
//!   untracked, unignored ones present in the work tree.

use crate::finding::CommitInfo;
use crate::{Error, Result};
use git2::{ObjectType, Oid, Repository, Sort, Tree};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

fn git_err(context: &str, e: git2::Error) -> Error {
    Error::Git(format!("{context}: {}", e.message()))
}

/// keylint only reads objects to scan them: re-hashing each one with
/// collision-detecting SHA-1 (libgit2's default) took a third of a history
/// scan's time. Integrity is git's job (`git fsck`), not a scanner's.
/// libgit2's object cache is off too: the walk reads each tree about once,
/// so the cache (up to 256 MiB) cost memory and saved no time.
pub fn configure() {
    git2::opts::strict_hash_verification(false);
    git2::opts::enable_caching(false);
}

/// The repository for `--staged`: honours `GIT_DIR` and `GIT_INDEX_FILE`.
pub fn open_from_env() -> Result<Repository> {
    Repository::open_from_env().map_err(|_| {
        Error::Usage(
            "not a git repository (or any parent up to /): run keylint --staged inside a work tree"
                .into(),
        )
    })
}

/// The repository holding `path`, if any.
pub fn discover(path: &Path) -> Option<Repository> {
    Repository::discover(path).ok()
}

/// A file of the staged change.
pub struct StagedFile {
    /// Repository-relative path, as it will be in the commit.
    pub path: String,
    pub blob: Oid,
    /// 1-based line numbers the change adds; `None` for a file new to git
    /// (every line is added).
    pub added: Option<HashSet<usize>>,
}

/// The files the staged change adds or modifies, with their added lines.
pub fn staged(repo: &Repository) -> Result<Vec<StagedFile>> {
    let index = repo.index().map_err(|e| git_err("reading the index", e))?;
    let head_tree = match repo.head() {
        Ok(h) => Some(h.peel_to_tree().map_err(|e| git_err("reading HEAD", e))?),
        Err(_) => None, // no commit yet: everything staged is added
    };
    let mut opts = git2::DiffOptions::new();
    opts.context_lines(0).ignore_submodules(true);
    let diff = repo
        .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))
        .map_err(|e| git_err("diffing HEAD against the index", e))?;
    let mut files: HashMap<String, StagedFile> = HashMap::new();
    for delta in diff.deltas() {
        use git2::Delta::*;
        if !matches!(
            delta.status(),
            Added | Modified | Renamed | Copied | Typechange
        ) {
            continue;
        }
        let new = delta.new_file();
        if new.mode() == git2::FileMode::Commit || new.id().is_zero() {
            continue;
        }
        let path = String::from_utf8_lossy(new.path_bytes().unwrap_or_default()).into_owned();
        let added = (delta.status() != Added).then(HashSet::new);
        files.insert(
            path.clone(),
            StagedFile {
                path,
                blob: new.id(),
                added,
            },
        );
    }
    diff.foreach(
        &mut |_, _| true,
        None,
        None,
        Some(&mut |delta, _hunk, line| {
            if line.origin() == '+' {
                if let (Some(p), Some(n)) = (delta.new_file().path_bytes(), line.new_lineno()) {
                    if let Some(f) = files.get_mut(String::from_utf8_lossy(p).as_ref()) {
                        if let Some(set) = f.added.as_mut() {
                            set.insert(n as usize);
                        }
                    }
                }
            }
            true
        }),
    )
    .map_err(|e| git_err("reading the staged diff", e))?;
    let mut out: Vec<StagedFile> = files.into_values().collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Which commits a history scan covers.
pub enum Selection<'a> {
    /// Everything reachable from HEAD (`all_refs`: from every ref).
    All { all_refs: bool },
    /// `BASE..HEAD`: reachable from HEAD, not from BASE.
    Range(&'a str),
}

/// A blob to scan, where it first appeared, and the version of the same
/// path in the parent commit (whose lines are not new).
pub struct HistoryBlob {
    pub oid: Oid,
    pub previous: Option<Oid>,
    pub path: String,
    pub commit: usize,
}

/// What a history walk found: distinct blobs and the commits they came from.
pub struct History {
    pub blobs: Vec<HistoryBlob>,
    pub commits: Vec<CommitInfo>,
    pub commit_count: usize,
    pub skipped_submodules: usize,
}

pub fn history(repo: &Repository, sel: Selection) -> Result<History> {
    let mut walk = repo.revwalk().map_err(|e| git_err("walking history", e))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(|e| git_err("walking history", e))?;
    let mut seen_trees: HashSet<Oid> = HashSet::new();
    let mut seen_blobs: HashSet<Oid> = HashSet::new();
    match sel {
        Selection::All { all_refs } => {
            if repo.is_empty().unwrap_or(false) {
                return Ok(History {
                    blobs: vec![],
                    commits: vec![],
                    commit_count: 0,
                    skipped_submodules: 0,
                });
            }
            if all_refs {
                walk.push_glob("*")
                    .map_err(|e| git_err("reading refs", e))?;
            } else {
                walk.push_head().map_err(|e| git_err("reading HEAD", e))?;
            }
        }
        Selection::Range(range) => {
            let (base, head) = range.split_once("..").ok_or_else(|| {
                Error::Usage(format!(
                    "--range `{range}`: expected BASE..HEAD, e.g. origin/main..HEAD"
                ))
            })?;
            let head = if head.is_empty() { "HEAD" } else { head };
            let resolve = |spec: &str| {
                repo.revparse_single(spec)
                    .and_then(|o| o.peel_to_commit())
                    .map_err(|_| {
                        Error::Usage(format!(
                            "--range: `{spec}` is not a commit in this repository"
                        ))
                    })
            };
            let base = resolve(base)?;
            let head = resolve(head)?;
            walk.push(head.id())
                .map_err(|e| git_err("walking history", e))?;
            walk.hide(base.id())
                .map_err(|e| git_err("walking history", e))?;
            // What the base already holds is not the range's doing.
            let tree = base
                .tree()
                .map_err(|e| git_err("reading the base tree", e))?;
            mark_seen(repo, &tree, &mut seen_trees, &mut seen_blobs)?;
        }
    }
    let mut out = History {
        blobs: Vec::new(),
        commits: Vec::new(),
        commit_count: 0,
        skipped_submodules: 0,
    };
    for oid in walk {
        let oid = oid.map_err(|e| git_err("walking history", e))?;
        let commit = repo
            .find_commit(oid)
            .map_err(|e| git_err("reading a commit", e))?;
        out.commit_count += 1;
        let tree = commit.tree().map_err(|e| git_err("reading a tree", e))?;
        if !seen_trees.insert(tree.id()) {
            continue;
        }
        let parent = commit.parent(0).ok().and_then(|p| p.tree().ok());
        let before = out.blobs.len();
        let mut walk = TreeWalk {
            repo,
            commit: out.commits.len(),
            seen_trees: &mut seen_trees,
            seen_blobs: &mut seen_blobs,
            out: &mut out,
        };
        walk.collect_new(&tree, parent.as_ref(), "")?;
        if out.blobs.len() > before {
            out.commits.push(commit_info(&commit));
        }
    }
    Ok(out)
}

/// One commit's pass over its tree, beside its parent's.
struct TreeWalk<'a, 'r> {
    repo: &'r Repository,
    commit: usize,
    seen_trees: &'a mut HashSet<Oid>,
    seen_blobs: &'a mut HashSet<Oid>,
    out: &'a mut History,
}

impl TreeWalk<'_, '_> {
    /// Records the blobs of `tree` not seen before, descending only into
    /// subtrees not seen before, each paired with the parent's same-named entry.
    fn collect_new(&mut self, tree: &Tree, old: Option<&Tree>, prefix: &str) -> Result<()> {
        for entry in tree.iter() {
            let name = String::from_utf8_lossy(entry.name_bytes());
            let path = if prefix.is_empty() {
                name.into_owned()
            } else {
                format!("{prefix}/{name}")
            };
            let before = old
                .and_then(|t| t.get_name_bytes(entry.name_bytes()))
                .filter(|o| o.kind() == entry.kind());
            match entry.kind() {
                Some(ObjectType::Tree) if self.seen_trees.insert(entry.id()) => {
                    let sub = self
                        .repo
                        .find_tree(entry.id())
                        .map_err(|e| git_err("reading a tree", e))?;
                    let old_sub = before.and_then(|o| self.repo.find_tree(o.id()).ok());
                    self.collect_new(&sub, old_sub.as_ref(), &path)?;
                }
                // Symlinks are blobs too; their "content" is a path, harmless to scan.
                Some(ObjectType::Blob) if self.seen_blobs.insert(entry.id()) => {
                    self.out.blobs.push(HistoryBlob {
                        oid: entry.id(),
                        previous: before.map(|o| o.id()),
                        path,
                        commit: self.commit,
                    });
                }
                Some(ObjectType::Commit) => self.out.skipped_submodules += 1,
                _ => {}
            }
        }
        Ok(())
    }
}

fn mark_seen(
    repo: &Repository,
    tree: &Tree,
    seen_trees: &mut HashSet<Oid>,
    seen_blobs: &mut HashSet<Oid>,
) -> Result<()> {
    if !seen_trees.insert(tree.id()) {
        return Ok(());
    }
    for entry in tree.iter() {
        match entry.kind() {
            Some(ObjectType::Tree) => {
                let sub = repo
                    .find_tree(entry.id())
                    .map_err(|e| git_err("reading a tree", e))?;
                mark_seen(repo, &sub, seen_trees, seen_blobs)?;
            }
            Some(ObjectType::Blob) => {
                seen_blobs.insert(entry.id());
            }
            _ => {}
        }
    }
    Ok(())
}

pub fn commit_info(c: &git2::Commit) -> CommitInfo {
    let author = c.author();
    CommitInfo {
        id: c.id().to_string(),
        author: author.name().unwrap_or("").to_string(),
        email: author.email().unwrap_or("").to_string(),
        date: rfc3339(author.when()),
        summary: c.summary().unwrap_or("").to_string(),
    }
}

/// `2026-11-22T11:28:00+01:00` from git's seconds and minutes offset.
fn rfc3339(t: git2::Time) -> String {
    let offset = t.offset_minutes() as i64;
    let secs = t.seconds() + offset * 60;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let sign = if offset < 0 { '-' } else { '+' };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        offset.abs() / 60,
        offset.abs() % 60
    )
}

/// Index paths (repository-relative) and the work tree's untracked,
/// unignored files.
pub struct WorkTreeFiles {
    pub workdir: PathBuf,
    pub tracked: Vec<String>,
    pub untracked: Vec<String>,
}

pub fn work_tree_files(repo: &Repository) -> Result<Option<WorkTreeFiles>> {
    let Some(workdir) = repo.workdir() else {
        return Ok(None);
    };
    let index = repo.index().map_err(|e| git_err("reading the index", e))?;
    let tracked = index
        .iter()
        .filter(|e| (e.flags >> 12) & 0x3 == 0) // stage 0: not a conflict side
        .map(|e| String::from_utf8_lossy(&e.path).into_owned())
        .collect();
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true);
    let statuses = repo
        .statuses(Some(&mut opts))
        .map_err(|e| git_err("reading git status", e))?;
    let untracked = statuses
        .iter()
        .filter(|s| s.status().contains(git2::Status::WT_NEW))
        .filter_map(|s| s.path().map(str::to_string))
        .collect();
    Ok(Some(WorkTreeFiles {
        workdir: workdir.to_path_buf(),
        tracked,
        untracked,
    }))
}

/// `new` with every line already in `seen` blanked: line numbers and
/// columns stay those of `new`, and only what a commit added is left to
/// scan. (Peers scan patches for the same reason: most of a blob's lines were
/// in its earlier versions, and a secret is reported where it was introduced.)
/// Adds `new`'s lines to `seen` for the next version.
pub fn added_lines(new: &[u8], seen: &mut HashSet<u64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(new.len() / 4);
    for (i, line) in new.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        if seen.insert(line_hash(line)) {
            out.extend_from_slice(line);
        }
    }
    out
}

/// Records `bytes`' lines as seen.
pub fn remember_lines(bytes: &[u8], seen: &mut HashSet<u64>) {
    seen.extend(bytes.split(|&b| b == b'\n').map(line_hash));
}

/// Groups blobs by path, each group in the order the versions appeared, so a
/// path's versions can be compared one after another.
pub fn chains(blobs: &[HistoryBlob]) -> Vec<Vec<&HistoryBlob>> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<Vec<&HistoryBlob>> = Vec::new();
    for b in blobs {
        let i = *index.entry(b.path.as_str()).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[i].push(b);
    }
    // Longest chains first, so no thread is left with a long tail.
    out.sort_by_key(|c| std::cmp::Reverse(c.len()));
    out
}

/// A fast 64-bit hash of a line (8 bytes at a time), for set membership.
fn line_hash(line: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = line.len() as u64;
    let mut chunks = line.chunks_exact(8);
    for c in &mut chunks {
        h = (h.rotate_left(5) ^ u64::from_le_bytes(c.try_into().expect("8 bytes"))).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ b as u64).wrapping_mul(K);
    }
    h ^ (h >> 29)
}

/// A rough test for a Git LFS pointer file, which holds no content to scan.
pub fn is_lfs_pointer(bytes: &[u8]) -> bool {
    bytes.len() < 1024 && bytes.starts_with(b"version https://git-lfs.github.com/spec/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn added_lines_blank_what_the_old_version_had() {
        let mut seen = std::collections::HashSet::new();
        super::remember_lines(b"a = 1\nb = 2\nc = 3\n", &mut seen);
        let new = b"a = 1\nkey = 9\nb = 2\nc = 4\n";
        assert_eq!(super::added_lines(new, &mut seen), b"\nkey = 9\n\nc = 4\n");
        // The next version sees this one's lines too.
        assert_eq!(super::added_lines(b"key = 9\n", &mut seen), b"\n");
    }

    #[test]
    fn rfc3339_formats_dates_and_offsets() {
        assert_eq!(
            super::rfc3339(git2::Time::new(0, 0)),
            "1970-01-01T00:00:00+00:00"
        );
        assert_eq!(
            super::rfc3339(git2::Time::new(1_795_000_000, 60)),
            "2026-11-18T12:06:40+01:00"
        );
        assert_eq!(
            super::rfc3339(git2::Time::new(951_782_400, -300)),
            "2000-02-28T19:00:00-05:00"
        );
    }
}
