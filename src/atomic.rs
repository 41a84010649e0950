//! Writing a file so that readers never see it half-written: reports,
//! baselines, hooks and the key store all go through [`write_atomic`].

use crate::{Error, Result};
use std::io::Write;
use std::path::Path;

/// Writes `contents` to `path` via a temporary file in the same directory and
/// a rename, so readers never see a half-written file and a failed write
/// leaves the old one intact. A path that exists and is not a regular file
/// (`/dev/stdout`, `/dev/null`, a FIFO) is written directly: renaming over
/// it would replace the device with a file. The file keeps the permissions
/// of the one it replaces (a report a group reads stays readable); a new
/// one gets the usual `0666` less the umask.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    write_with(path, contents, false)
}

/// [`write_atomic`] for secrets: mode 0600 from the first byte, whatever
/// the file it replaces had.
pub fn write_atomic_private(path: &Path, contents: &[u8]) -> Result<()> {
    write_with(path, contents, true)
}

fn write_with(path: &Path, contents: &[u8], private: bool) -> Result<()> {
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
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    let keep = if private {
        None
    } else {
        use std::os::unix::fs::PermissionsExt;
        // The mode to end with: the old file's, or what a plain create
        // gives (the umask applies to the temporary file's creation).
        let old = std::fs::metadata(path).ok().map(|m| m.permissions());
        builder.permissions(std::fs::Permissions::from_mode(0o666));
        old
    };
    #[cfg(not(unix))]
    let _ = private;
    let mut tmp = builder.tempfile_in(dir).map_err(|e| Error::io(path, e))?;
    #[cfg(unix)]
    if let Some(perms) = keep {
        tmp.as_file()
            .set_permissions(perms)
            .map_err(|e| Error::io(path, e))?;
    }
    tmp.write_all(contents).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}
