//! `--staged`: the blobs in the index git is about to commit, each with the
//! lines the commit adds, compared with HEAD.
//!
//! The index is the one `GIT_INDEX_FILE` names when `git commit -a` or
//! `git commit PATHS` set it. A path new to HEAD whose exact content HEAD
//! already holds elsewhere is a rename or a copy: it adds no line, so a
//! secret committed long ago does not block moving its file. A new path
//! that is mostly an edited copy of a path the index drops (a rename with
//! changes) is compared with that path.

use super::diff::added_lines;
use super::{read_error, worktree::head_files};
use crate::source::pack::{PackReader, Packs};
use crate::source::{Blob, Origin, Sink, Skip};
use crate::{Error, Result};
use gix::ObjectId;
use std::collections::HashSet;
use std::ops::RangeInclusive;

/// A rename with edits is only looked for among this many pairs of (new
/// path, dropped path): beyond it, a new path counts as all new.
const MAX_RENAME_PAIRS: usize = 1000;

/// Scans the staged change of `repo` into `sink`. With `whole_files`, every
/// line of a changed file counts, not only the added ones.
pub fn scan(
    repo: &gix::Repository,
    max_file_size: u64,
    whole_files: bool,
    sink: &dyn Sink,
) -> Result<()> {
    let index = repo
        .open_index()
        .map_err(|e| Error::git("reading the index", e))?;
    let mut objects = PackReader::new(Packs::open(repo), repo.clone());
    let head = head_files(repo, &mut objects)?;
    let head_blobs: HashSet<ObjectId> = head.values().copied().collect();

    let mut staged: Vec<(String, ObjectId)> = Vec::new();
    let mut in_index: HashSet<String> = HashSet::new();
    for entry in index.entries() {
        let path = entry.path(&index).to_string();
        in_index.insert(path.clone());
        let skip = entry.stage_raw() != 0
            || entry.mode.is_submodule()
            || entry
                .flags
                .contains(gix::index::entry::Flags::INTENT_TO_ADD)
            || head.get(&path) == Some(&entry.id);
        if !skip {
            staged.push((path, entry.id));
        }
    }
    // Paths HEAD has and the index no longer does: where renamed files came from.
    let dropped: Vec<(&String, &ObjectId)> = head
        .iter()
        .filter(|(p, _)| !in_index.contains(p.as_str()))
        .collect();
    let renames_affordable = dropped.len().saturating_mul(staged.len()) <= MAX_RENAME_PAIRS;

    for (path, id) in &staged {
        let is_new = !head.contains_key(path);
        if is_new && head_blobs.contains(id) {
            continue; // renamed or copied unchanged: adds nothing
        }
        let bytes = match objects.read(id) {
            Ok(b) => b,
            Err(e) => {
                sink.error(read_error("staged blob", id, e).at(path));
                continue;
            }
        };
        if bytes.len() as u64 > max_file_size {
            sink.skipped(path, Skip::Large);
            continue;
        }
        let mut older = None;
        let added: Option<Vec<RangeInclusive<usize>>> = if let Some(old_id) = head.get(path) {
            let (added, old) = lines_added_since(&mut objects, old_id, &bytes, path, sink);
            older = old;
            Some(added)
        } else if renames_affordable && !dropped.is_empty() {
            renamed_from(&mut objects, &dropped, &bytes)
        } else {
            None
        };
        if is_new && added.is_none() {
            sink.tracked(path, None);
        }
        sink.blob(Blob {
            path,
            bytes: &bytes,
            origin: Origin::Staged {
                added: if whole_files { None } else { added.as_deref() },
                older: older.as_deref().map(Vec::as_slice),
            },
        });
    }
    Ok(())
}

/// The lines `new` adds to the blob `old`, and `old`'s bytes; every line
/// when `old` cannot be read (reported: the comparison is then the
/// strictest one).
fn lines_added_since(
    objects: &mut PackReader,
    old: &ObjectId,
    new: &[u8],
    path: &str,
    sink: &dyn Sink,
) -> (
    Vec<RangeInclusive<usize>>,
    Option<crate::source::pack::Object>,
) {
    match objects.read(old) {
        Ok(old) => (added_lines(&old, new), Some(old)),
        Err(e) => {
            sink.error(read_error("HEAD blob", old, e).at(path));
            let lines = memchr::memchr_iter(b'\n', new).count() + 1;
            (vec![1..=lines], None)
        }
    }
}

/// For a new path: the added lines against the dropped path it is most
/// like, if it is mostly that path's content (half its lines or more kept).
fn renamed_from(
    objects: &mut PackReader,
    dropped: &[(&String, &ObjectId)],
    new: &[u8],
) -> Option<Vec<RangeInclusive<usize>>> {
    let new_lines = memchr::memchr_iter(b'\n', new).count().max(1);
    let mut best: Option<(usize, Vec<RangeInclusive<usize>>)> = None;
    for (_, id) in dropped {
        let Ok(old) = objects.read(id) else { continue };
        let added = added_lines(&old, new);
        let count: usize = added.iter().map(|r| r.end() + 1 - r.start()).sum();
        if count * 2 <= new_lines && best.as_ref().is_none_or(|(c, _)| count < *c) {
            best = Some((count, added));
        }
    }
    best.map(|(_, added)| added)
}
