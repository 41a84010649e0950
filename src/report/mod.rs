//! Renderers: each turns the final, sorted findings into one output format
//! and knows nothing of how they were found. Files are written atomically.

pub mod explain;
pub mod human;
pub mod json;
pub mod line_hash;
pub mod sarif;

use crate::{Error, Result};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// What a scan covered, for the summary line and machine formats.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    pub files: u64,
    pub bytes: u64,
    pub findings: usize,
    pub skipped_binary: u64,
    pub skipped_large: u64,
    pub errors: u64,
    #[serde(skip)]
    pub elapsed: Duration,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub color: bool,
    pub show_secrets: bool,
}

/// Writes `contents` to `path` via a temporary file in the same directory and
/// a rename, so readers never see a half-written file and a failed write
/// leaves the old one intact. A path that exists and is not a regular file
/// (`/dev/stdout`, `/dev/null`, a FIFO) is written directly: renaming over
/// it would replace the device with a file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() {
            if meta.is_dir() {
                return Err(Error::io(
                    path,
                    std::io::Error::other("is a directory; name a file to write"),
                ));
            }
            return std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|mut f| f.write_all(contents))
                .map_err(|e| Error::io(path, e));
        }
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(path, e))?;
    tmp.write_all(contents).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// `1.5 MiB`, `320 B`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
