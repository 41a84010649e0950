//! Where bytes come from. Every source — the filesystem walk ([`fs`]), the
//! git index and history ([`git`]) — pushes what it reads into one
//! [`Sink`], from as many threads as it likes; the sink scans, filters and
//! keeps. A source never knows what is done with a blob, and the scanner
//! never knows which source a blob came from.

pub mod archive;
pub mod encoded;
pub mod fs;
pub mod git;
pub mod notebook;
pub mod pack;

use crate::finding::CommitInfo;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// One blob to scan: a file, a staged file, or one version of a path in
/// history.
pub struct Blob<'a> {
    /// The path findings report.
    pub path: &'a str,
    pub bytes: &'a [u8],
    pub origin: Origin<'a>,
}

/// What a blob is, which decides what of it counts.
pub enum Origin<'a> {
    /// A file (or standard input): everything in it counts.
    File,
    /// A file of the staged change: only the lines it adds count, unless
    /// `added` is `None` (a file new to git: every line is added).
    Staged {
        added: Option<&'a [RangeInclusive<usize>]>,
        /// HEAD's version of the file, when `added` was computed against
        /// it: a change that touches an allow marker can re-activate a
        /// secret on a line it does not add.
        older: Option<&'a [u8]>,
    },
    /// One version of a path in history, with the version before it (for a
    /// range's first version, the base's): only what this version
    /// introduces counts.
    Version {
        commit: &'a CommitInfo,
        /// Position of the commit in the walk, oldest first: a secret found
        /// in several versions is reported at the earliest.
        order: usize,
        older: Option<&'a [u8]>,
    },
    /// A file inside an archive that the blob `of` is (or holds): its own
    /// lines count, as a new file's would (an archive's "added lines" mean
    /// nothing inside it). `archive` is the length of the path's prefix
    /// naming the outermost archive.
    Member { archive: usize, of: &'a Origin<'a> },
}

/// Why a file was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Over the size limit.
    Large,
    /// A NUL byte early on: not text.
    Binary,
    /// A Git LFS pointer: the content is not in the repository.
    LfsPointer,
}

/// Receives what sources read. Called from many threads at once.
pub trait Sink: Sync {
    /// A blob to scan.
    fn blob(&self, blob: Blob<'_>);
    /// A path git tracks (at `commit`, in history). Credential files are
    /// findings by their name alone.
    fn tracked(&self, path: &str, commit: Option<(&CommitInfo, usize)>);
    /// A file present in the work tree that git neither tracks nor ignores.
    fn untracked(&self, path: &str);
    /// A file not scanned, and why.
    fn skipped(&self, path: &str, why: Skip);
    /// Something the user should know that does not make the scan
    /// incomplete (a shallow clone's boundary, a skipped submodule).
    fn warn(&self, message: String);
    /// An input that could not be read. The scan goes on; the run exits 2
    /// unless it found secrets.
    fn error(&self, error: crate::Error);
}

/// Counters every source's blobs feed, for the summary line.
#[derive(Debug, Default)]
pub struct Stats {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub skipped_binary: AtomicU64,
    pub skipped_large: AtomicU64,
    pub skipped_lfs: AtomicU64,
    pub errors: AtomicU64,
    /// Bytes the detectors read ([`crate::scan::cost`]).
    pub searched: AtomicU64,
}

impl Stats {
    pub fn scanned(&self, len: usize) {
        self.files.fetch_add(1, Relaxed);
        self.bytes.fetch_add(len as u64, Relaxed);
    }
    pub fn skipped(&self, why: Skip) {
        match why {
            Skip::Large => &self.skipped_large,
            Skip::Binary => &self.skipped_binary,
            Skip::LfsPointer => &self.skipped_lfs,
        }
        .fetch_add(1, Relaxed);
    }
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Relaxed)
    }
}

/// How far [`is_binary`] looks.
pub const BINARY_WINDOW: usize = 8192;

/// Heuristic used by git and ripgrep alike: a NUL byte early on means binary.
pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_WINDOW)]).is_some()
}

/// Extensions of formats whose fixed header holds a NUL in its first bytes,
/// so [`is_binary`] says binary of every such file: Python bytecode (its
/// flags word), Java classes (the minor version), PNG (the IHDR length).
/// A walk passes them over unopened, as binary: a tree with `__pycache__`
/// directories (an installed environment, a container image) spent a third
/// of its opens and reads on them only to skip them. None is an archive.
const NUL_HEADED: &[&str] = &["pyc", "pyo", "class", "png"];

/// Whether `path` names a file of a [`NUL_HEADED`] format.
pub fn is_nul_headed(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| NUL_HEADED.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// The path a finding shows: `./` dropped, separators as `/`.
pub fn display_path(path: &std::path::Path) -> String {
    let s = path.to_string_lossy();
    let s = s.strip_prefix("./").unwrap_or(&s);
    if cfg!(windows) {
        s.replace('\\', "/")
    } else {
        s.to_string()
    }
}
