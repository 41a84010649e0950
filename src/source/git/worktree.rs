//! What git tracks in a work tree (the index) and in HEAD, for the
//! credential-file check and the staged comparison.

use super::read_error;
use crate::source::pack::PackReader;
use crate::{Error, Result};
use gix::ObjectId;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The index's paths, repository-relative, and the work tree they sit in.
pub struct Tracked {
    pub workdir: PathBuf,
    pub paths: HashSet<String>,
}

impl Tracked {
    /// The index of `repo`'s work tree; `None` for a bare repository.
    pub fn read(repo: &gix::Repository) -> Result<Option<Self>> {
        let Some(workdir) = repo.workdir() else {
            return Ok(None);
        };
        let index = repo
            .open_index()
            .map_err(|e| Error::git("reading the index", e))?;
        let paths = index
            .entries()
            .iter()
            .filter(|e| e.stage_raw() == 0 && !e.mode.is_submodule())
            .map(|e| e.path(&index).to_string())
            .collect();
        Ok(Some(Tracked {
            workdir: std::fs::canonicalize(workdir).unwrap_or_else(|_| workdir.to_path_buf()),
            paths,
        }))
    }

    /// The repository-relative path of a file on disk, if it is in the work tree.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let abs = std::fs::canonicalize(path).ok()?;
        let rel = abs.strip_prefix(&self.workdir).ok()?;
        Some(rel.to_string_lossy().replace('\\', "/"))
    }

    pub fn is_tracked(&self, path: &Path) -> bool {
        self.relative(path).is_some_and(|r| self.paths.contains(&r))
    }
}

/// HEAD's files: path → blob. Empty before the first commit. Submodules
/// are left out: their content is another repository's.
pub fn head_files(
    repo: &gix::Repository,
    objects: &mut PackReader,
) -> Result<HashMap<String, ObjectId>> {
    let tree = match repo.head_tree_id() {
        Ok(id) => id.detach(),
        Err(_) => return Ok(HashMap::new()), // no commit yet
    };
    let mut out = HashMap::new();
    let mut pending = vec![(tree, String::new())];
    while let Some((tree, prefix)) = pending.pop() {
        let data = objects
            .read(&tree)
            .map_err(|e| read_error("HEAD tree", &tree, e))?;
        for entry in gix::objs::TreeRefIter::from_bytes(&data, tree.kind()) {
            let entry = entry.map_err(|e| super::parse_error("tree", &tree, e))?;
            let name = String::from_utf8_lossy(entry.filename);
            let path = if prefix.is_empty() {
                name.into_owned()
            } else {
                format!("{prefix}/{name}")
            };
            if entry.mode.is_tree() {
                pending.push((entry.oid.to_owned(), path));
            } else if !entry.mode.is_commit() {
                out.insert(path, entry.oid.to_owned());
            }
        }
    }
    Ok(out)
}
