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

use super::pack::{PackReader, Packs};
use crate::finding::CommitInfo;
use crate::{Error, Result};
use git2::{Oid, Repository};
use gix::ObjectId;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// A blob to scan and the commit that introduced it at `path`.
pub struct HistoryBlob {
    pub oid: ObjectId,
    /// For the first version of a path in a `--range`: the base's version
    /// of the same path, whose content is not the range's doing.
    pub previous: Option<ObjectId>,
    pub path: String,
    pub commit: usize,
}

/// What a history walk found: distinct blobs and the commits they came from.
pub struct History {
    /// The packs the walk read, for the readers that scan the blobs.
    pub packs: Arc<Packs>,
    pub blobs: Vec<HistoryBlob>,
    pub commits: Vec<CommitInfo>,
    pub commit_count: usize,
    pub skipped_submodules: usize,
}

/// Opens the repository with gix: the object directory the pack reader
/// maps, and its fallback for objects outside the packs (loose objects,
/// alternates). Each thread opens its own.
pub fn open_objects(git_dir: &Path) -> Result<gix::Repository> {
    let mut repo =
        gix::open(git_dir).map_err(|e| Error::Git(format!("{}: {e}", git_dir.display())))?;
    // The pack reader caches what it decodes; gix's own object cache would
    // only hold memory for the few fallback reads.
    repo.object_cache_size(0);
    Ok(repo)
}

fn to_gix(oid: Oid) -> ObjectId {
    ObjectId::try_from(oid.as_bytes()).expect("git2 ids are SHA-1")
}

/// Walks the selected commits' trees on `threads` threads (0: one per core).
pub fn history(repo: &Repository, sel: Selection, threads: usize) -> Result<History> {
    let gix_repo = open_objects(repo.path())?;
    let packs = Packs::open(&gix_repo);
    let mut objects = PackReader::new(packs.clone(), gix_repo);
    let mut tips: Vec<ObjectId> = Vec::new();
    let mut hidden: HashSet<ObjectId> = HashSet::new();
    let mut seen = Seen::default();
    let mut base_files: HashMap<String, ObjectId> = HashMap::new();
    match sel {
        Selection::All { all_refs } => {
            if repo.is_empty().unwrap_or(false) {
                return Ok(History {
                    packs,
                    blobs: vec![],
                    commits: vec![],
                    commit_count: 0,
                    skipped_submodules: 0,
                });
            }
            if all_refs {
                let refs = repo.references().map_err(|e| git_err("reading refs", e))?;
                for r in refs.flatten() {
                    if let Ok(c) = r.peel_to_commit() {
                        tips.push(to_gix(c.id()));
                    }
                }
            } else {
                let head = repo
                    .head()
                    .and_then(|h| h.peel_to_commit())
                    .map_err(|e| git_err("reading HEAD", e))?;
                tips.push(to_gix(head.id()));
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
            tips.push(to_gix(head.id()));
            hidden = commits_oldest_first(&mut objects, &[to_gix(base.id())], &HashSet::new())?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            // What the base already holds is not the range's doing.
            let mut files = Vec::new();
            TreeWalk {
                objects: &mut objects,
                seen: &mut seen,
                found: &mut files,
                skipped_submodules: 0,
            }
            .collect_new(to_gix(base.tree_id()), "")?;
            base_files = files.into_iter().map(|(oid, path)| (path, oid)).collect();
        }
    }
    let mut out = History {
        packs: packs.clone(),
        blobs: Vec::new(),
        commits: Vec::new(),
        commit_count: 0,
        skipped_submodules: 0,
    };
    let commits = commits_oldest_first(&mut objects, &tips, &hidden)?;
    out.commit_count = commits.len();
    // The tree walk is split into one run of consecutive commits per core.
    // Each run finds the blobs new to it; a blob an earlier run found too is
    // dropped when the runs are joined, so each blob keeps the first commit
    // that introduced it, as in one sequential walk.
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let run_len = commits.len().div_ceil(threads).max(1);
    let git_dir = repo.path();
    let runs: Vec<Result<WalkRun>> = std::thread::scope(|s| {
        let handles: Vec<_> = commits
            .chunks(run_len)
            .enumerate()
            .map(|(k, run)| {
                let packs = packs.clone();
                let mut seen = seen.clone();
                s.spawn(move || -> Result<WalkRun> {
                    let mut objects = PackReader::new(packs, open_objects(git_dir)?);
                    let mut result = WalkRun::default();
                    let mut found = Vec::new();
                    for (i, (_, tree)) in run.iter().enumerate() {
                        let mut tree_walk = TreeWalk {
                            objects: &mut objects,
                            seen: &mut seen,
                            found: &mut found,
                            skipped_submodules: 0,
                        };
                        tree_walk.collect_new(*tree, "")?;
                        result.skipped_submodules += tree_walk.skipped_submodules;
                        let commit = k * run_len + i;
                        result
                            .blobs
                            .extend(found.drain(..).map(|(oid, path)| (commit, oid, path)));
                    }
                    Ok(result)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a tree walk thread panicked"))
            .collect()
    });
    let mut reported = seen.blobs;
    let mut commit_index: HashMap<usize, usize> = HashMap::new();
    // A range's base holds what the range did not add: a path's first
    // version in the range is compared with the base's.
    let mut first_version = HashSet::new();
    let mut skipped_submodules = 0;
    for run in runs {
        let run = run?;
        skipped_submodules += run.skipped_submodules;
        for (commit, oid, path) in run.blobs {
            if !reported.insert(oid) {
                continue;
            }
            let idx = match commit_index.get(&commit) {
                Some(&i) => i,
                None => {
                    let c = repo
                        .find_commit(Oid::from_bytes(commits[commit].0.as_bytes()).expect("SHA-1"))
                        .map_err(|e| git_err("reading a commit", e))?;
                    out.commits.push(commit_info(&c));
                    commit_index.insert(commit, out.commits.len() - 1);
                    out.commits.len() - 1
                }
            };
            let previous = if first_version.insert(path.clone()) {
                base_files.get(&path).copied()
            } else {
                None
            };
            out.blobs.push(HistoryBlob {
                oid,
                previous,
                path,
                commit: idx,
            });
        }
    }
    out.skipped_submodules = skipped_submodules;
    Ok(out)
}

/// The commits reachable from `tips` and not from `hidden`, parents before
/// children, each with its root tree. (libgit2's topological revwalk took
/// 0.4 s on cargo's 23,000 commits; this reads them through the pack reader.)
/// A parent that cannot be read (a shallow clone's boundary) ends the walk
/// there.
fn commits_oldest_first(
    objects: &mut PackReader,
    tips: &[ObjectId],
    hidden: &HashSet<ObjectId>,
) -> Result<Vec<(ObjectId, ObjectId)>> {
    let mut order = Vec::new();
    let mut visited: HashSet<ObjectId> = HashSet::new();
    // (commit, its tree once its parents have been pushed)
    let mut stack: Vec<(ObjectId, Option<ObjectId>)> =
        tips.iter().rev().map(|&t| (t, None)).collect();
    while let Some((id, tree)) = stack.pop() {
        if let Some(tree) = tree {
            order.push((id, tree));
            continue;
        }
        if hidden.contains(&id) || !visited.insert(id) {
            continue;
        }
        let Some(data) = objects.read(&id) else {
            if tips.contains(&id) {
                return Err(Error::Git(format!("cannot read commit {id}")));
            }
            continue;
        };
        let tree = gix::objs::CommitRefIter::from_bytes(&data, id.kind())
            .tree_id()
            .map_err(|e| Error::Git(format!("reading commit {id}: {e}")))?;
        stack.push((id, Some(tree)));
        let parents: Vec<ObjectId> = gix::objs::CommitRefIter::from_bytes(&data, id.kind())
            .parent_ids()
            .collect();
        for p in parents.into_iter().rev() {
            if !visited.contains(&p) && !hidden.contains(&p) {
                stack.push((p, None));
            }
        }
    }
    Ok(order)
}

/// What one run of the tree walk found: (commit, blob, path), in order.
#[derive(Default)]
struct WalkRun {
    blobs: Vec<(usize, ObjectId, String)>,
    skipped_submodules: usize,
}

/// Trees and blobs already visited. A tree seen before holds nothing new,
/// so each distinct tree is read once across the whole history.
#[derive(Default, Clone)]
struct Seen {
    trees: gix::hashtable::HashSet<ObjectId>,
    blobs: gix::hashtable::HashSet<ObjectId>,
}

/// One commit's pass over the trees it introduces.
struct TreeWalk<'a> {
    objects: &'a mut PackReader,
    seen: &'a mut Seen,
    /// New blobs and their paths, in tree order.
    found: &'a mut Vec<(ObjectId, String)>,
    skipped_submodules: usize,
}

impl TreeWalk<'_> {
    /// Records the blobs under `tree` not seen before, descending only into
    /// subtrees not seen before.
    fn collect_new(&mut self, tree: ObjectId, prefix: &str) -> Result<()> {
        if !self.seen.trees.insert(tree) {
            return Ok(());
        }
        let data = self
            .objects
            .read(&tree)
            .ok_or_else(|| Error::Git(format!("cannot read tree {tree}")))?;
        let mut subtrees = Vec::new();
        for entry in gix::objs::TreeRefIter::from_bytes(&data, tree.kind()) {
            let entry = entry.map_err(|e| Error::Git(format!("reading tree {tree}: {e}")))?;
            let mode = entry.mode;
            let path = || {
                let name = String::from_utf8_lossy(entry.filename);
                if prefix.is_empty() {
                    name.into_owned()
                } else {
                    format!("{prefix}/{name}")
                }
            };
            if mode.is_tree() {
                if !self.seen.trees.contains(entry.oid) {
                    subtrees.push((entry.oid.to_owned(), path()));
                }
            } else if mode.is_commit() {
                self.skipped_submodules += 1;
            } else if self.seen.blobs.insert(entry.oid.to_owned()) {
                // Symlinks are blobs too; their "content" is a path, harmless to scan.
                self.found.push((entry.oid.to_owned(), path()));
            }
        }
        drop(data);
        for (oid, path) in subtrees {
            self.collect_new(oid, &path)?;
        }
        Ok(())
    }
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

/// Lines of context kept before a change, for rules that read the lines
/// above a key (a YAML parent, a `[section]`).
const CONTEXT_LINES: usize = 3;

/// What to scan of `new`, a later version of `old`: the lines between the
/// first and the last byte that differ (plus a little context before), as
/// a buffer in which everything before them is blank lines, so line numbers
/// and columns stay those of `new`. `None` when nothing changed.
///
/// Peers scan patches for the same reason: most of a version's lines were
/// in the one before, and a secret is reported where it was introduced.
/// A common prefix and suffix (two memcmp passes) find the changed span far
/// faster than a line diff; a line moved within the span is scanned again,
/// and the caller drops findings already reported for the path.
pub fn changed_region(old: &[u8], new: &[u8]) -> Option<Vec<u8>> {
    let prefix = common_prefix(old, new);
    if prefix == old.len() && prefix == new.len() {
        return None;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = common_suffix(
        &old[old.len() - max_suffix..],
        &new[new.len() - max_suffix..],
    );
    // Widen to whole lines: back to the start of the first changed line and
    // CONTEXT_LINES before it, on to the end of the last changed line.
    let line_start = |pos: usize| memchr::memrchr(b'\n', &new[..pos]).map_or(0, |i| i + 1);
    let mut start = line_start(prefix);
    for _ in 0..CONTEXT_LINES {
        if start == 0 {
            break;
        }
        start = line_start(start - 1);
    }
    let mut end = new.len() - suffix;
    if end > 0 && new[end - 1] != b'\n' {
        end = memchr::memchr(b'\n', &new[end..]).map_or(new.len(), |i| end + i + 1);
    }
    let lines_before = memchr::memchr_iter(b'\n', &new[..start]).count();
    let mut out = Vec::with_capacity(lines_before + end - start);
    out.resize(lines_before, b'\n');
    out.extend_from_slice(&new[start..end]);
    Some(out)
}

/// Length of the longest common prefix, compared 64 bytes at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 64 <= n && a[i..i + 64] == b[i..i + 64] {
        i += 64;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// Length of the longest common suffix of two equally long slices.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len();
    let mut i = 0;
    while i + 64 <= n && a[n - i - 64..n - i] == b[n - i - 64..n - i] {
        i += 64;
    }
    while i < n && a[n - i - 1] == b[n - i - 1] {
        i += 1;
    }
    i
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

/// A rough test for a Git LFS pointer file, which holds no content to scan.
pub fn is_lfs_pointer(bytes: &[u8]) -> bool {
    bytes.len() < 1024 && bytes.starts_with(b"version https://git-lfs.github.com/spec/")
}

#[cfg(test)]
mod tests {
    use super::changed_region;

    #[test]
    fn changed_region_keeps_only_the_changed_lines_and_some_context() {
        let old = b"l1\nl2\nl3\nl4\nl5\nl6\nl7\n";
        let new = b"l1\nl2\nl3\nl4\nl5\nkey = 9\nl6\nl7\n";
        // Three lines of context before the change; nothing after it.
        assert_eq!(
            changed_region(old, new).unwrap(),
            b"\n\nl3\nl4\nl5\nkey = 9\n"
        );
        assert_eq!(changed_region(old, old), None);
    }

    #[test]
    fn changed_region_handles_edges() {
        // A change in the first line, at the very end, and a file emptied.
        assert_eq!(changed_region(b"a\nb\n", b"x\nb\n").unwrap(), b"x\n");
        assert_eq!(changed_region(b"a\nb", b"a\nb\nc").unwrap(), b"a\nb\nc");
        assert_eq!(changed_region(b"a\nb\n", b"").unwrap(), b"");
        assert_eq!(changed_region(b"", b"k = 1").unwrap(), b"k = 1");
        // Old lines that come back inside the changed span are scanned again.
        assert_eq!(
            changed_region(b"a\nb\nc\n", b"a\nc\nb\n").unwrap(),
            b"a\nc\nb\n"
        );
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
