//! Writing a file so that readers never see it half-written: reports,
//! baselines, hooks and the key store all go through [`write_atomic`].

use crate::{Error, Result};
use std::io::Write;
use std::path::Path;

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
