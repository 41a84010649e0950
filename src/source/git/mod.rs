//! Git as a source of bytes, through one library (gix, pure Rust: no C
//! toolchain, no OpenSSL), split by job:
//! - [`staged`]: the index git is about to commit and the lines it adds;
//! - [`history`]: every distinct blob of the selected commits, each read
//!   once, scanned where it differs from the version before it;
//! - [`worktree`]: the paths git tracks, for the credential-file check;
//! - [`diff`]: what changed between two versions of a file;
//! - [`lfs`]: Git LFS pointers, which hold no content to scan.

pub mod diff;
pub mod history;
pub mod lfs;
pub mod staged;
pub mod worktree;

use super::pack::MAX_OBJECT_BYTES;
use crate::finding::CommitInfo;
use crate::{Error, Result};
use std::path::Path;

/// Options every repository is opened with. gix believes the sizes a
/// corrupt pack entry claims unless told a limit.
fn open_options() -> gix::open::Options {
    gix::open::Options::default()
        .config_overrides([format!("gitoxide.objects.allocLimit={MAX_OBJECT_BYTES}")])
}

/// The repository holding `path`: `None` when there is none, an error when
/// there is one that cannot be opened (a scan that quietly skipped git's
/// checks there would be a false all-clear).
pub fn discover(path: &Path) -> Result<Option<gix::Repository>> {
    let trust = gix::sec::trust::Mapping {
        full: open_options(),
        reduced: open_options(),
    };
    match gix::ThreadSafeRepository::discover_opts(path, Default::default(), trust) {
        Ok(repo) => Ok(Some(repo.into())),
        // Only a failure asks again why: none there, or one unusable.
        Err(_) if no_repository_above(path) => Ok(None),
        Err(e) => Err(cannot_open(path, e)),
    }
}

/// Whether discovery from `path` found no repository at all (as opposed to
/// one it could not use).
fn no_repository_above(path: &Path) -> bool {
    use gix::discover::upwards::Error as Upwards;
    gix::discover::upwards(path).is_err_and(|e| {
        matches!(
            e.downcast_any_ref::<Upwards>(),
            Some(
                Upwards::NoGitRepository { .. }
                    | Upwards::NoGitRepositoryWithinCeiling { .. }
                    | Upwards::NoGitRepositoryWithinFs { .. }
            )
        )
    })
}

fn cannot_open(path: &Path, source: impl Into<crate::error::Cause>) -> Error {
    Error::git(
        format!(
            "{}: a git repository is here but cannot be opened; repair it (`git fsck`) or scan with --no-git",
            path.display()
        ),
        source,
    )
}

/// The repository a hook runs in: `GIT_DIR`, `GIT_WORK_TREE` and
/// `GIT_INDEX_FILE` (which `git commit -a` and `git commit PATHS` set) win
/// over discovery from the current directory.
pub fn open_from_env() -> Result<gix::Repository> {
    let trust = gix::sec::trust::Mapping {
        full: open_options(),
        reduced: open_options(),
    };
    gix::ThreadSafeRepository::discover_with_environment_overrides_opts(
        ".",
        Default::default(),
        trust,
    )
    .map(Into::into)
    .map_err(|e| {
        let here = std::env::current_dir().unwrap_or_default();
        // Without GIT_DIR, "no repository above here" is the usual reason;
        // anything else (a broken repository, GIT_DIR naming a wrong
        // place) keeps gix's error.
        let none_here = std::env::var_os("GIT_DIR").is_none() && no_repository_above(&here);
        if none_here {
            Error::NotARepository {
                path: here,
                needed: "`keylint scan --staged` and `keylint hook` need one: run them inside a git work tree",
            }
        } else {
            cannot_open(&here, e)
        }
    })
}

/// A repository handle for one reading thread. The pack reader caches what
/// it decodes; gix's own object cache would only hold memory.
pub(crate) fn thread_handle(repo: &gix::ThreadSafeRepository) -> gix::Repository {
    let mut repo = repo.to_thread_local();
    repo.object_cache_size(0);
    repo
}

/// The hooks directory git uses: `core.hooksPath` if set (relative to the
/// work tree), else `.git/hooks`.
pub fn hooks_dir(repo: &gix::Repository) -> std::path::PathBuf {
    let configured = repo
        .config_snapshot()
        .trusted_path("core.hooksPath")
        .ok()
        .flatten();
    match configured {
        Some(p) if p.is_relative() => repo.workdir().unwrap_or(repo.git_dir()).join(p),
        Some(p) => p,
        None => repo.git_dir().join("hooks"),
    }
}

/// Provenance of a commit, from its raw bytes.
pub fn commit_info(id: &gix::ObjectId, data: &[u8]) -> Result<CommitInfo> {
    let commit = gix::objs::CommitRef::from_bytes(data, id.kind())
        .map_err(|e| parse_error("commit", id, e))?;
    let author = commit.author().ok();
    let text = |s: Option<&gix::bstr::BStr>| s.map(|s| s.to_string()).unwrap_or_default();
    Ok(CommitInfo {
        id: id.to_string(),
        author: text(author.map(|a| a.name)),
        email: text(author.map(|a| a.email)),
        date: author
            .and_then(|a| a.time().ok())
            .map_or_else(String::new, |t| rfc3339(t.seconds, t.offset)),
        summary: commit.message().summary().to_string(),
    })
}

/// `2026-11-22T11:28:00+01:00` from git's seconds and offset.
fn rfc3339(seconds: i64, offset_secs: i32) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(seconds) else {
        return String::new();
    };
    let Ok(offset) = jiff::tz::Offset::from_seconds(offset_secs) else {
        return ts.to_string();
    };
    ts.to_zoned(offset.to_time_zone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// An object that was read but does not parse as the kind it should be.
fn parse_error(
    what: &'static str,
    id: &gix::ObjectId,
    e: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::Object {
        what,
        id: id.to_string(),
        path: None,
        problem: format!("does not parse ({e})"),
        source: Some(Box::new(e)),
    }
}

fn read_error(what: &'static str, id: &gix::ObjectId, e: super::pack::ReadError) -> Error {
    Error::Object {
        what,
        id: id.to_string(),
        path: None,
        problem: e.to_string(),
        source: Some(Box::new(e)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_unreadable_object_keeps_the_decoders_error_as_its_source() {
        use std::error::Error as _;
        let id = gix::ObjectId::null(gix::hash::Kind::Sha1);
        let inner = std::io::Error::other("invalid stored block lengths");
        let e = super::read_error(
            "blob",
            &id,
            super::super::pack::ReadError::caused("inflating a pack entry", inner),
        )
        .at("conf.py");
        assert!(e.to_string().starts_with("conf.py: blob 0000"), "{e}");
        // Object -> ReadError -> io::Error: the chain, not just its text.
        let read = e.source().expect("the read error");
        assert!(read.to_string().starts_with("corrupt (inflating"), "{read}");
        let io = read.source().expect("the decoder's error");
        assert!(io.downcast_ref::<std::io::Error>().is_some(), "{io}");
    }

    #[test]
    fn rfc3339_formats_dates_and_offsets() {
        assert_eq!(super::rfc3339(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            super::rfc3339(1_795_000_000, 3600),
            "2026-11-18T12:06:40+01:00"
        );
        assert_eq!(
            super::rfc3339(951_782_400, -5 * 3600),
            "2000-02-28T19:00:00-05:00"
        );
    }
}
