//! An exclusive lock on keylint's store for one read-modify-write cycle.
//!
//! `flock(2)` on a separate lock file, not on `keys.toml` itself: the store is
//! replaced by rename on every write, so a lock on its inode would protect a
//! file nobody reads any more. The kernel drops an flock when its holder
//! exits, however it exits, so a killed `keylint key set` cannot leave the
//! store locked (a lock *file* whose mere existence meant "locked" could).

use crate::{Error, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Held while the store is read, changed and written; released on drop.
pub struct StoreLock {
    // Closing the descriptor releases the lock.
    _file: File,
    pub path: PathBuf,
}

impl StoreLock {
    /// Waits until no other keylint process holds the lock, then takes it.
    pub fn acquire(path: &Path) -> Result<StoreLock> {
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
        }
        let file = opts.open(path).map_err(|e| Error::io(path, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            loop {
                // SAFETY: flock on a descriptor this function owns.
                let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
                if rc == 0 {
                    break;
                }
                let err = std::io::Error::last_os_error();
                if err.kind() != std::io::ErrorKind::Interrupted {
                    return Err(Error::io(path, err));
                }
            }
        }
        Ok(StoreLock {
            _file: file,
            path: path.to_path_buf(),
        })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_second_holder_waits_until_the_first_drops_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml.lock");
        let first = StoreLock::acquire(&path).unwrap();
        let released = Arc::new(AtomicBool::new(false));
        let seen = released.clone();
        let p = path.clone();
        let waiter = std::thread::spawn(move || {
            let _second = StoreLock::acquire(&p).unwrap();
            seen.load(Ordering::SeqCst)
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        released.store(true, Ordering::SeqCst);
        drop(first);
        assert!(
            waiter.join().unwrap(),
            "the second lock was granted while the first was held"
        );
    }
}
