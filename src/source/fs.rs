//! The filesystem source: a parallel walk (the `ignore` crate, as ripgrep's)
//! that honours `.gitignore`/`.ignore` but, unlike ripgrep, visits hidden
//! files — `.env` and `.npmrc` are where keys live — and never enters `.git/`.
//! Symlinks are not followed, so loops cannot happen.
//!
//! A root named `-`, or one that is a pipe or a device (`/dev/stdin`,
//! `<(cmd)`), is read as a stream. Inside a tree such files are passed
//! over: reading a FIFO someone left there would hang the scan.

use super::{display_path, Blob, Origin, Sink, Skip};
use crate::{Error, Result};
use ignore::{WalkBuilder, WalkState};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The path findings in standard input report.
pub const STDIN_PATH: &str = "<stdin>";

#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Also scan files that `.gitignore` and friends exclude.
    pub no_ignore: bool,
    /// Files larger than this are skipped (and counted).
    pub max_file_size: u64,
    /// Archives may be larger, up to this (`None`: archives are not opened).
    pub max_archive_size: Option<u64>,
    /// Walker threads (resolved by the plan: never 0).
    pub threads: usize,
}

/// Walks `roots` and pushes every file into `sink`, from many threads.
/// Per-file problems go to the sink and the walk goes on; a root that does
/// not exist is an error before anything is scanned.
pub fn walk(roots: &[PathBuf], opts: &WalkOptions, sink: &dyn Sink) -> Result<()> {
    let mut tree_roots = Vec::new();
    for root in roots {
        if root.as_os_str() == "-" {
            read_stream(root, STDIN_PATH, opts, sink);
            continue;
        }
        let meta = std::fs::metadata(root).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NoSuchPath { path: root.clone() },
            _ => Error::io(root, e),
        })?;
        if meta.is_dir() || meta.is_file() {
            tree_roots.push(root.clone());
        } else {
            // A pipe or a device named on the command line: read it once.
            read_stream(root, &display_path(root), opts, sink);
        }
    }
    let Some((first, rest)) = tree_roots.split_first() else {
        return Ok(());
    };
    let mut builder = WalkBuilder::new(first);
    for root in rest {
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
    let max_archive = opts.max_archive_size;
    // The walker's threads are started by `ignore`, which panics when the
    // system refuses one. Try one first, so the usual refusal (a process
    // limit, no memory for a stack) is an error naming the fix; a refusal
    // past it is caught below. Either way the exit code is 2, never a
    // panic's 101.
    std::thread::Builder::new()
        .spawn(|| {})
        .map_err(Error::Spawn)?
        .join()
        .map_err(|_| Error::Other("a walker thread panicked".into()))?;
    let walked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        walk_parallel(builder, max, max_archive, sink)
    }));
    walked.map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("a walker thread panicked");
        let fix = if why.contains("spawn") {
            "; lower -j"
        } else {
            ""
        };
        Error::Other(format!("the walk stopped: {why}{fix}"))
    })?
}

/// The read buffer a walker thread keeps between files: most source files
/// fit; the few larger ones get a buffer of their own.
const KEEP_BUFFER: usize = 1 << 20;

fn walk_parallel(
    builder: WalkBuilder,
    max: u64,
    max_archive: Option<u64>,
    sink: &dyn Sink,
) -> Result<()> {
    builder.build_parallel().run(|| {
        let mut buf = Vec::new();
        Box::new(move |entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    sink.error(Error::Walk(e));
                    return WalkState::Continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let path = display_path(entry.path());
            match read_limited(entry.path(), max, max_archive, &mut buf) {
                Ok(true) => sink.blob(Blob {
                    path: &path,
                    bytes: &buf,
                    origin: Origin::File,
                }),
                Ok(false) => sink.skipped(&path, Skip::Large),
                Err(e) => sink.error(Error::Unreadable {
                    path: entry.path().to_path_buf(),
                    source: e,
                }),
            }
            // A buffer grown for one large file goes back rather than stay
            // that size, per thread, for the rest of the walk.
            if buf.capacity() > KEEP_BUFFER {
                buf = Vec::new();
            }
            WalkState::Continue
        })
    });
    Ok(())
}

/// Reads a stream (standard input, a pipe, a device) up to the size limit.
fn read_stream(root: &Path, shown: &str, opts: &WalkOptions, sink: &dyn Sink) {
    let mut buf = Vec::new();
    let read = if root.as_os_str() == "-" {
        read_capped(std::io::stdin().lock(), opts.max_file_size, &mut buf)
    } else {
        std::fs::File::open(root).and_then(|f| read_capped(f, opts.max_file_size, &mut buf))
    };
    match read {
        Ok(true) => sink.blob(Blob {
            path: shown,
            bytes: &buf,
            origin: Origin::File,
        }),
        Ok(false) => sink.skipped(shown, Skip::Large),
        Err(e) => sink.error(Error::Unreadable {
            path: root.to_path_buf(),
            source: e,
        }),
    }
}

/// Reads a file into `buf` (reused across files, so one allocation per
/// thread); `Ok(false)` when it is over `max` bytes — unless it is an
/// archive (by its first bytes) within `max_archive`: a release zip or a
/// wheel is often larger than any source file. The size is asked only of a
/// file longer than [`KEEP_BUFFER`] (a stat per file was a tenth of a tree
/// scan's system time), so a file over the limit costs at most that much
/// reading before it is skipped.
fn read_limited(
    path: &Path,
    max: u64,
    max_archive: Option<u64>,
    buf: &mut Vec<u8>,
) -> std::io::Result<bool> {
    let mut file = std::fs::File::open(path)?;
    let probe = max.min(KEEP_BUFFER as u64);
    if read_capped(&mut file, probe, buf)? {
        return Ok(true);
    }
    let len = file.metadata()?.len();
    let limit = if len <= max {
        max
    } else {
        let head = &buf[..buf.len().min(super::archive::SNIFF_LEN)];
        match max_archive {
            Some(m) if len <= m && super::archive::kind(head).is_some() => m,
            _ => return Ok(false),
        }
    };
    // `buf` holds `probe + 1` bytes, at most `limit + 1`; the file may have
    // grown since the stat: never read past the limit.
    file.take(limit.saturating_add(1) - buf.len() as u64)
        .read_to_end(buf)?;
    Ok(buf.len() as u64 <= limit)
}

/// Reads at most `max` bytes; `Ok(false)` when there was more. The file may
/// grow between stat and read: never read past the limit.
fn read_capped(from: impl Read, max: u64, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    buf.clear();
    let read = from.take(max.saturating_add(1)).read_to_end(buf)?;
    Ok(read as u64 <= max)
}

#[cfg(test)]
mod tests {
    use super::{read_limited, KEEP_BUFFER};

    #[test]
    fn a_file_past_the_probe_is_read_whole_or_skipped_by_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.txt");
        let body: Vec<u8> = (0..KEEP_BUFFER + KEEP_BUFFER / 2)
            .map(|i| b'a' + (i % 26) as u8)
            .collect();
        std::fs::write(&path, &body).unwrap();
        let len = body.len() as u64;
        let mut buf = Vec::new();
        // Under the limit but over the probe: the rest is read after it.
        assert!(read_limited(&path, len, None, &mut buf).unwrap());
        assert_eq!(buf, body);
        // Over the limit, not an archive: skipped.
        assert!(!read_limited(&path, len - 1, Some(len * 2), &mut buf).unwrap());
        // Under the probe: read at once.
        let small = dir.path().join("small.txt");
        std::fs::write(&small, b"x = 1\n").unwrap();
        assert!(read_limited(&small, len, None, &mut buf).unwrap());
        assert_eq!(buf, b"x = 1\n");
        assert!(!read_limited(&small, 3, None, &mut buf).unwrap());
    }
}
