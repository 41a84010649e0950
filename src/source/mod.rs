//! Where bytes come from. Each source hands `(path, bytes)` pairs to a
//! visitor, in parallel; the scan engine never knows which source it serves.

pub mod fs;
pub mod git;
pub mod pack;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Counters every source keeps, for the summary line.
#[derive(Debug, Default)]
pub struct Stats {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub skipped_binary: AtomicU64,
    pub skipped_large: AtomicU64,
    pub errors: AtomicU64,
}

impl Stats {
    pub fn scanned(&self, len: usize) {
        self.files.fetch_add(1, Relaxed);
        self.bytes.fetch_add(len as u64, Relaxed);
    }
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Relaxed)
    }
}

/// Heuristic used by git and ripgrep alike: a NUL byte early on means binary.
pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some()
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
