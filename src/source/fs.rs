//! The filesystem source: a parallel walk (the `ignore` crate, as ripgrep's)
//! that honours `.gitignore`/`.ignore` but, unlike ripgrep, visits hidden
//! files — `.env` and `.npmrc` are where keys live — and never enters `.git/`.
//! Symlinks are not followed, so loops cannot happen.
//!
//! A root named `-`, or one that is a pipe or a device (`/dev/stdin`,
//! `<(cmd)`), is read as a stream. Inside a tree such files are passed
//! over: reading a FIFO someone left there would hang the scan.

use super::{display_path, Blob, Origin, Sink, Skip, BINARY_WINDOW};
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
            if super::is_nul_headed(entry.path()) {
                sink.skipped(&path, Skip::Binary);
                return WalkState::Continue;
            }
            match read_limited(entry.path(), max, max_archive, &mut buf) {
                Ok(Loaded::Whole) => sink.blob(Blob {
                    path: &path,
                    bytes: &buf,
                    origin: Origin::File,
                }),
                Ok(Loaded::Skipped(why)) => sink.skipped(&path, why),
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

/// What [`read_limited`] made of a file.
#[derive(Debug, PartialEq)]
enum Loaded {
    /// `buf` holds the whole file.
    Whole,
    /// Not read past its head: binary, or over the size limit.
    Skipped(Skip),
}

/// Reads a file into `buf` (reused across files, so one allocation per
/// thread), unless it is binary or over `max` bytes. An archive (by its
/// first bytes) may be larger, up to `max_archive`: a release zip or a
/// wheel is often larger than any source file.
///
/// Reading stops at the head when that says binary (a NUL in the first
/// [`BINARY_WINDOW`] bytes, the sink's own test) and it is not an archive
/// to open: `.pyc` and `.so` files were most of a site-packages tree's
/// bytes, read in full only to be skipped. The size is asked only of a
/// file longer than [`KEEP_BUFFER`] (a stat per file was a tenth of a tree
/// scan's system time), so a file over the limit costs at most that much
/// reading before it is skipped.
fn read_limited(
    path: &Path,
    max: u64,
    max_archive: Option<u64>,
    buf: &mut Vec<u8>,
) -> std::io::Result<Loaded> {
    let mut file = std::fs::File::open(path)?;
    let head = max.min(BINARY_WINDOW as u64);
    buf.clear();
    fill(&mut file, buf, head.saturating_add(1))?;
    let whole = buf.len() as u64 <= head;
    let archive = |buf: &[u8]| {
        max_archive.is_some()
            && super::archive::kind(&buf[..buf.len().min(super::archive::SNIFF_LEN)]).is_some()
    };
    if super::is_binary(buf) && !archive(buf) {
        return Ok(Loaded::Skipped(Skip::Binary));
    }
    if whole {
        return Ok(Loaded::Whole);
    }
    // `buf` holds `head + 1` bytes: read on to the probe.
    let probe = max.min(KEEP_BUFFER as u64);
    fill(&mut file, buf, probe.saturating_add(1))?;
    if buf.len() as u64 <= probe {
        return Ok(Loaded::Whole);
    }
    let len = file.metadata()?.len();
    let limit = if len <= max {
        max
    } else {
        match max_archive {
            Some(m) if len <= m && archive(buf) => m,
            _ => return Ok(Loaded::Skipped(Skip::Large)),
        }
    };
    // `buf` holds `probe + 1` bytes, at most `limit + 1`; the file may have
    // grown since the stat: never read past the limit.
    fill(&mut file, buf, limit.saturating_add(1))?;
    Ok(match buf.len() as u64 <= limit {
        true => Loaded::Whole,
        false => Loaded::Skipped(Skip::Large),
    })
}

/// Reads on until `buf` holds `upto` bytes or the file ends, each read
/// asking for all that is missing. `read_to_end` asks for 8 KiB first and
/// grows from there: every binary file cost a second read for the byte past
/// its head, and every larger text file one or two more (about a fifth of a
/// tree scan's reads). The buffer grows with what arrives, never by `upto`
/// alone, so a size limit is not an allocation.
fn fill(file: &mut std::fs::File, buf: &mut Vec<u8>, upto: u64) -> std::io::Result<()> {
    let upto = usize::try_from(upto).unwrap_or(usize::MAX);
    while buf.len() < upto {
        let want = (upto - buf.len()).min(buf.len().max(BINARY_WINDOW + 1));
        buf.reserve(want);
        let room = (upto - buf.len()).min(buf.capacity() - buf.len());
        let read = read_into_spare(file, buf, room)?;
        if read == 0 {
            break;
        }
    }
    Ok(())
}

/// One `read` of up to `room` bytes into `buf`'s spare capacity (which
/// holds at least that much), appended. `libc::read` writes into the
/// uninitialised bytes without a slice over them (std's own way,
/// `read_buf`, is not stable).
#[cfg(unix)]
fn read_into_spare(
    file: &mut std::fs::File,
    buf: &mut Vec<u8>,
    room: usize,
) -> std::io::Result<usize> {
    use std::os::fd::AsRawFd;
    let spare = buf.spare_capacity_mut();
    let room = room.min(spare.len()).min(isize::MAX as usize);
    loop {
        // SAFETY: `spare` is valid for writes of `room` bytes, and the
        // kernel writes at most that many.
        let n = unsafe { libc::read(file.as_raw_fd(), spare.as_mut_ptr().cast(), room) };
        if n >= 0 {
            let n = n as usize;
            // SAFETY: the kernel initialised the first `n` spare bytes.
            unsafe { buf.set_len(buf.len() + n) };
            return Ok(n);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(not(unix))]
fn read_into_spare(
    file: &mut std::fs::File,
    buf: &mut Vec<u8>,
    room: usize,
) -> std::io::Result<usize> {
    file.take(room as u64).read_to_end(buf)
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
    use super::{read_limited, Loaded, Skip, BINARY_WINDOW, KEEP_BUFFER};

    const WHOLE: Loaded = Loaded::Whole;
    const LARGE: Loaded = Loaded::Skipped(Skip::Large);
    const BINARY: Loaded = Loaded::Skipped(Skip::Binary);

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
        assert_eq!(read_limited(&path, len, None, &mut buf).unwrap(), WHOLE);
        assert_eq!(buf, body);
        // Over the limit, not an archive: skipped.
        let over = read_limited(&path, len - 1, Some(len * 2), &mut buf).unwrap();
        assert_eq!(over, LARGE);
        // Under the probe: read at once.
        let small = dir.path().join("small.txt");
        std::fs::write(&small, b"x = 1\n").unwrap();
        assert_eq!(read_limited(&small, len, None, &mut buf).unwrap(), WHOLE);
        assert_eq!(buf, b"x = 1\n");
        assert_eq!(read_limited(&small, 3, None, &mut buf).unwrap(), LARGE);
    }

    #[test]
    fn a_binary_file_is_read_no_further_than_its_head() {
        let dir = tempfile::tempdir().unwrap();
        let mut body = b"\x7fELF\x02\x01\x01\x00".to_vec();
        body.resize(3 * KEEP_BUFFER, b'k');
        let path = dir.path().join("lib.so");
        std::fs::write(&path, &body).unwrap();
        let mut buf = Vec::new();
        let max = body.len() as u64;
        assert_eq!(read_limited(&path, max, None, &mut buf).unwrap(), BINARY);
        assert!(buf.len() <= BINARY_WINDOW + 1, "read {} bytes", buf.len());
        // Binary whatever its size, as the sink would say of it.
        assert_eq!(read_limited(&path, 100, None, &mut buf).unwrap(), BINARY);
        // A NUL past the window is text, read whole.
        body[..8].copy_from_slice(b"x = 1;\n\n");
        body[BINARY_WINDOW + 10] = 0;
        std::fs::write(&path, &body).unwrap();
        assert_eq!(read_limited(&path, max, None, &mut buf).unwrap(), WHOLE);
        assert_eq!(buf, body);
    }

    #[test]
    fn an_archive_is_read_whole_when_archives_are_opened() {
        let dir = tempfile::tempdir().unwrap();
        // A gzip header, then bytes with a NUL in the window.
        let mut body = vec![0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03];
        body.resize(2 * KEEP_BUFFER, 0);
        let path = dir.path().join("data.json.gz");
        std::fs::write(&path, &body).unwrap();
        let mut buf = Vec::new();
        let len = body.len() as u64;
        let opened = read_limited(&path, len, Some(len), &mut buf).unwrap();
        assert_eq!(opened, WHOLE);
        assert_eq!(buf.len(), body.len());
        assert_eq!(read_limited(&path, len, None, &mut buf).unwrap(), BINARY);
    }
}
