//! The filesystem source: a parallel walk (the `ignore` crate, as ripgrep's)
//! that honours `.gitignore`/`.ignore` but, unlike ripgrep, visits hidden
//! files — `.env` and `.npmrc` are where keys live — and never enters `.git/`.
//! Symlinks are not followed, so loops cannot happen.

use super::{display_path, is_binary, Stats};
use crate::{Error, Result};
use ignore::{WalkBuilder, WalkState};
use std::io::Read;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Also scan files that `.gitignore` and friends exclude.
    pub no_ignore: bool,
    /// Files larger than this are skipped (and counted).
    pub max_file_size: u64,
    /// 0 means one per core.
    pub threads: usize,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            no_ignore: false,
            max_file_size: 10 << 20,
            threads: 0,
        }
    }
}

/// Walks `roots` and calls `visit(path, bytes)` for every text file, from
/// many threads. Per-file problems go to `warn` and the walk goes on; a root
/// that does not exist is an error before anything is scanned.
pub fn walk<V, W>(
    roots: &[PathBuf],
    opts: &WalkOptions,
    stats: &Stats,
    visit: V,
    warn: W,
) -> Result<()>
where
    V: Fn(&str, &[u8]) + Sync,
    W: Fn(String) + Sync,
{
    for root in roots {
        if std::fs::symlink_metadata(root).is_err() {
            return Err(Error::Usage(format!(
                "{}: no such file or directory; pass an existing path to scan",
                root.display()
            )));
        }
    }
    let mut builder = WalkBuilder::new(&roots[0]);
    for root in &roots[1..] {
        builder.add(root);
    }
    builder
        .hidden(false)
        .ignore(!opts.no_ignore)
        .git_ignore(!opts.no_ignore)
        .git_global(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .parents(!opts.no_ignore)
        .follow_links(false)
        .threads(opts.threads)
        .filter_entry(|e| e.file_name() != ".git");
    let max = opts.max_file_size;
    builder.build_parallel().run(|| {
        let visit = &visit;
        let warn = &warn;
        let mut buf = Vec::new();
        Box::new(move |entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    stats
                        .errors
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    warn(format!("{e}"));
                    return WalkState::Continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let path = entry.path();
            match read_limited(path, max, &mut buf) {
                Ok(true) => {}
                Ok(false) => {
                    stats
                        .skipped_large
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return WalkState::Continue;
                }
                Err(e) => {
                    stats
                        .errors
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    warn(format!("{}: {e}; skipped", path.display()));
                    return WalkState::Continue;
                }
            }
            if is_binary(&buf) {
                stats
                    .skipped_binary
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return WalkState::Continue;
            }
            stats.scanned(buf.len());
            visit(&display_path(path), &buf);
            WalkState::Continue
        })
    });
    Ok(())
}

/// Reads a file into `buf` (reused across files, so one allocation per
/// thread); `Ok(false)` when it is over `max` bytes.
fn read_limited(path: &std::path::Path, max: u64, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len > max {
        return Ok(false);
    }
    buf.clear();
    // The file may grow between stat and read: never read past the limit.
    let read = file.take(max + 1).read_to_end(buf)?;
    Ok(read as u64 <= max)
}
