//! `--history` and `--range BASE..HEAD`: every distinct blob of the selected
//! commits, each read once, pushed into the sink with the version of its
//! path before it.
//!
//! - Trees are walked once across all commits (a tree seen before holds
//!   nothing new), oldest commit first, so the commit recorded for a blob is
//!   the one that introduced it. The walk is split into one run of
//!   consecutive commits per thread; a blob an earlier run also found keeps
//!   the earlier run's commit, as in one sequential walk.
//! - For `BASE..HEAD`, everything in the base's tree is marked seen first,
//!   so only what the range adds is scanned, and a path's first version in
//!   the range is compared with the base's.
//! - Blobs are grouped by path into chains of versions. Each worker thread
//!   keeps one [`PackReader`] for the whole scan, so the delta bases a
//!   chain's versions share are inflated about once; chains are handed out
//!   longest first, so no worker is left with a long one at the end.

use super::{commit_info, parse_error, read_error, thread_handle};
use crate::finding::CommitInfo;
use crate::source::pack::{PackReader, Packs, ReadError};
use crate::source::{Blob, Origin, Sink, Skip};
use crate::{Error, Result};
use gix::ObjectId;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

/// Which commits a history scan covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Everything reachable from HEAD (`all_refs`: from every ref).
    All { all_refs: bool },
    /// `BASE..HEAD`: reachable from HEAD, not from BASE.
    Range(String),
}

#[derive(Debug, Clone)]
pub struct Options {
    pub selection: Selection,
    /// Worker threads (resolved by the plan: never 0).
    pub threads: usize,
    pub max_file_size: u64,
}

/// A blob to scan and the commit that introduced it at `path`.
struct HistoryBlob {
    oid: ObjectId,
    /// For the first version of a path in a `--range`: the base's version
    /// of the same path, whose content is not the range's doing.
    previous: Option<ObjectId>,
    path: String,
    /// Index into the commit infos.
    commit: usize,
    /// Position of the commit in the walk, oldest first.
    order: usize,
}

/// Scans the selected history of `repo` into `sink`.
pub fn scan(repo: &gix::Repository, opts: &Options, sink: &dyn Sink) -> Result<()> {
    if repo.is_shallow().unwrap_or(false) {
        sink.warn("shallow clone: commits before the shallow boundary are not scanned (fetch with --unshallow for all)".into());
    }
    let shared = repo.clone().into_sync();
    let packs = Packs::open(repo);
    let mut objects = PackReader::new(packs.clone(), thread_handle(&shared));
    let Some(walk) = Walk::plan(repo, &opts.selection, &mut objects, sink)? else {
        return Ok(()); // no commit yet
    };
    let commits = commits_oldest_first(&mut objects, &walk.tips, &walk.hidden)?;
    let found = walk_trees(&shared, &packs, &commits, walk.seen, opts.threads, sink)?;
    if found.skipped_submodules > 0 {
        sink.warn(format!(
            "{} submodule entr(ies) skipped: scan each submodule's repository on its own",
            found.skipped_submodules
        ));
    }
    let (blobs, infos) = version_list(&mut objects, &commits, found.blobs, &walk.base_files)?;
    let chains = chains(&blobs);
    drop(objects);

    let missing = AtomicU64::new(0);
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut objects = PackReader::new(packs.clone(), thread_handle(&shared));
        while let Some(chain) = chains.get(next.fetch_add(1, Relaxed)) {
            scan_chain(
                &mut objects,
                chain,
                &infos,
                opts.max_file_size,
                &missing,
                sink,
            );
        }
    };
    std::thread::scope(|s| -> Result<()> {
        for _ in 0..opts.threads.max(1) {
            std::thread::Builder::new()
                .spawn_scoped(s, worker)
                .map_err(Error::Spawn)?;
        }
        Ok(())
    })?;
    let missing = missing.into_inner();
    if missing > 0 {
        sink.error(Error::MissingObjects { count: missing });
    }
    Ok(())
}

/// Pushes the versions of one path into the sink, each with the one before.
fn scan_chain(
    objects: &mut PackReader,
    chain: &[&HistoryBlob],
    infos: &[CommitInfo],
    max_file_size: u64,
    missing: &AtomicU64,
    sink: &dyn Sink,
) {
    let first = chain[0];
    sink.tracked(&first.path, Some((&infos[first.commit], first.order)));
    let mut read = |oid: &ObjectId, what: &'static str, path: &str| match objects.read(oid) {
        Ok(data) => Some(data),
        Err(ReadError::Missing) => {
            missing.fetch_add(1, Relaxed);
            None
        }
        Err(e) => {
            sink.error(read_error(what, oid, e).at(path));
            None
        }
    };
    // A range's first version is compared with the base's.
    let mut older = first
        .previous
        .and_then(|p| read(&p, "base blob", &first.path));
    for blob in chain {
        let Some(bytes) = read(&blob.oid, "blob", &blob.path) else {
            older = None; // the next version is scanned whole: stricter
            continue;
        };
        if bytes.len() as u64 > max_file_size {
            sink.skipped(&blob.path, Skip::Large);
        } else {
            sink.blob(Blob {
                path: &blob.path,
                bytes: &bytes,
                origin: Origin::Version {
                    commit: &infos[blob.commit],
                    order: blob.order,
                    older: older.as_deref().map(Vec::as_slice),
                },
            });
        }
        older = Some(bytes);
    }
}

/// Where the walk starts and what it leaves out.
struct Walk {
    tips: Vec<ObjectId>,
    hidden: HashSet<ObjectId>,
    seen: Seen,
    /// For a range: the base's files, path → blob.
    base_files: HashMap<String, ObjectId>,
}

impl Walk {
    /// `None` for a repository with no commit yet.
    fn plan(
        repo: &gix::Repository,
        selection: &Selection,
        objects: &mut PackReader,
        sink: &dyn Sink,
    ) -> Result<Option<Walk>> {
        let mut walk = Walk {
            tips: Vec::new(),
            hidden: HashSet::new(),
            seen: Seen::default(),
            base_files: HashMap::new(),
        };
        match selection {
            Selection::All { all_refs: false } => match repo.head_id() {
                Ok(id) => walk.tips.push(id.detach()),
                Err(_) if repo.head().is_ok_and(|h| h.is_unborn()) => return Ok(None),
                Err(e) => return Err(Error::git("reading HEAD", e)),
            },
            Selection::All { all_refs: true } => {
                let refs = repo
                    .references()
                    .map_err(|e| Error::git("reading refs", e))?;
                for mut r in refs
                    .all()
                    .map_err(|e| Error::git("reading refs", e))?
                    .flatten()
                {
                    if let Ok(c) = r.peel_to_commit() {
                        walk.tips.push(c.id);
                    }
                }
                if walk.tips.is_empty() {
                    return Ok(None);
                }
                walk.tips.sort();
                walk.tips.dedup();
            }
            Selection::Range(range) => {
                let bad = |problem: String| Error::Range {
                    range: range.clone(),
                    problem,
                };
                let (base, head) = range
                    .split_once("..")
                    .ok_or_else(|| bad("expected BASE..HEAD, e.g. origin/main..HEAD".into()))?;
                let head = if head.is_empty() { "HEAD" } else { head };
                let resolve = |spec: &str| {
                    repo.rev_parse_single(spec)
                        .ok()
                        .and_then(|id| id.object().ok()?.peel_to_commit().ok())
                        .ok_or_else(|| bad(format!("`{spec}` is not a commit in this repository")))
                };
                let (base, head) = (resolve(base)?, resolve(head)?);
                walk.tips.push(head.id);
                walk.hidden = commits_oldest_first(objects, &[base.id], &HashSet::new())?
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect();
                // What the base already holds is not the range's doing.
                let base_tree = base
                    .tree_id()
                    .map_err(|e| Error::git("reading the range's base", e))?
                    .detach();
                let mut files = Vec::new();
                TreeWalk {
                    objects,
                    seen: &mut walk.seen,
                    found: &mut files,
                    skipped_submodules: 0,
                    sink,
                }
                .collect_new(base_tree, "");
                walk.base_files = files.into_iter().map(|(oid, path)| (path, oid)).collect();
            }
        }
        Ok(Some(walk))
    }
}

/// What the tree walk found: (commit position, blob, path), in order.
#[derive(Default)]
struct WalkRun {
    blobs: Vec<(usize, ObjectId, String)>,
    skipped_submodules: usize,
}

/// Walks the commits' trees in one run of consecutive commits per thread.
fn walk_trees(
    shared: &gix::ThreadSafeRepository,
    packs: &Arc<Packs>,
    commits: &[(ObjectId, ObjectId)],
    seen: Seen,
    threads: usize,
    sink: &dyn Sink,
) -> Result<WalkRun> {
    let run_len = commits.len().div_ceil(threads.max(1)).max(1);
    let runs: Vec<Result<WalkRun>> = std::thread::scope(|s| {
        let mut handles = Vec::new();
        for (k, run) in commits.chunks(run_len).enumerate() {
            let packs = packs.clone();
            let mut seen = seen.clone();
            let spawned =
                std::thread::Builder::new().spawn_scoped(s, move || -> Result<WalkRun> {
                    let mut objects = PackReader::new(packs, thread_handle(shared));
                    let mut result = WalkRun::default();
                    let mut found = Vec::new();
                    for (i, (_, tree)) in run.iter().enumerate() {
                        let mut tree_walk = TreeWalk {
                            objects: &mut objects,
                            seen: &mut seen,
                            found: &mut found,
                            skipped_submodules: 0,
                            sink,
                        };
                        tree_walk.collect_new(*tree, "");
                        result.skipped_submodules += tree_walk.skipped_submodules;
                        let order = k * run_len + i;
                        result
                            .blobs
                            .extend(found.drain(..).map(|(oid, path)| (order, oid, path)));
                    }
                    Ok(result)
                });
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => return vec![Err(Error::Spawn(e))],
            }
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Other("a tree walk thread panicked".into())))
            })
            .collect()
    });
    let mut all = WalkRun::default();
    let mut reported = seen.blobs;
    for run in runs {
        let run = run?;
        all.skipped_submodules += run.skipped_submodules;
        all.blobs.extend(
            run.blobs
                .into_iter()
                .filter(|(_, oid, _)| reported.insert(*oid)),
        );
    }
    Ok(all)
}

/// The blobs with their commits' provenance, read once per commit.
fn version_list(
    objects: &mut PackReader,
    commits: &[(ObjectId, ObjectId)],
    found: Vec<(usize, ObjectId, String)>,
    base_files: &HashMap<String, ObjectId>,
) -> Result<(Vec<HistoryBlob>, Vec<CommitInfo>)> {
    let mut infos = Vec::new();
    let mut info_index: HashMap<usize, usize> = HashMap::new();
    let mut first_version = HashSet::new();
    let mut blobs = Vec::with_capacity(found.len());
    for (order, oid, path) in found {
        let commit = match info_index.get(&order) {
            Some(&i) => i,
            None => {
                let id = commits[order].0;
                let data = objects
                    .read(&id)
                    .map_err(|e| read_error("commit", &id, e))?;
                infos.push(commit_info(&id, &data)?);
                info_index.insert(order, infos.len() - 1);
                infos.len() - 1
            }
        };
        let previous = if first_version.insert(path.clone()) {
            base_files.get(&path).copied()
        } else {
            None
        };
        blobs.push(HistoryBlob {
            oid,
            previous,
            path,
            commit,
            order,
        });
    }
    Ok((blobs, infos))
}

/// Groups blobs by path, each group in the order the versions appeared, so a
/// path's versions can be compared one after another. Longest chains first.
fn chains(blobs: &[HistoryBlob]) -> Vec<Vec<&HistoryBlob>> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<Vec<&HistoryBlob>> = Vec::new();
    for b in blobs {
        let i = *index.entry(b.path.as_str()).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[i].push(b);
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.len()));
    out
}

/// The commits reachable from `tips` and not from `hidden`, parents before
/// children, each with its root tree. (A revwalk library took 0.4 s on
/// cargo's 23,000 commits; this reads them through the pack reader.) A
/// parent that cannot be read (a shallow clone's boundary) ends the walk
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
        let data = match objects.read(&id) {
            Ok(data) => data,
            Err(e) if tips.contains(&id) => return Err(read_error("commit", &id, e)),
            Err(_) => continue,
        };
        let unparsed = |e: gix::error::Error| parse_error("commit", &id, e);
        let tree = gix::objs::CommitRefIter::from_bytes(&data, id.kind())
            .tree_id()
            .map_err(unparsed)?;
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
    /// Where a tree that cannot be read goes: an error the run remembers,
    /// while the rest of the history is still walked.
    sink: &'a dyn Sink,
}

impl TreeWalk<'_> {
    /// Records the blobs under `tree` not seen before, descending only into
    /// subtrees not seen before. A tree that cannot be read or parsed is
    /// reported to the sink and its entries (from the bad one on) left out.
    fn collect_new(&mut self, tree: ObjectId, prefix: &str) {
        if !self.seen.trees.insert(tree) {
            return;
        }
        let at = if prefix.is_empty() { "/" } else { prefix };
        let data = match self.objects.read(&tree) {
            Ok(data) => data,
            Err(e) => return self.sink.error(read_error("tree", &tree, e).at(at)),
        };
        let mut subtrees = Vec::new();
        for entry in gix::objs::TreeRefIter::from_bytes(&data, tree.kind()) {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    self.sink.error(parse_error("tree", &tree, e).at(at));
                    break;
                }
            };
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
            self.collect_new(oid, &path);
        }
    }
}
