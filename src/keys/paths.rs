//! Paths the resolver reads and writes: `~` and `$VAR` / `${VAR:-default}`
//! expansion, keylint's store location, permission checks.

use super::{EnvLookup, KeyError};
use crate::{Error, Result};
use std::path::{Path, PathBuf};

fn home(env: EnvLookup) -> Result<PathBuf> {
    env("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| KeyError::NoHome.into())
}

/// `$XDG_CONFIG_HOME/keylint/keys.toml`, else `~/.config/keylint/keys.toml`.
/// A relative `XDG_CONFIG_HOME` is ignored, as the XDG Base Directory spec
/// says: it would put the store wherever the command happens to run.
pub fn store_path(env: EnvLookup) -> Result<PathBuf> {
    let base = match env("XDG_CONFIG_HOME")
        .filter(|x| !x.is_empty())
        .map(PathBuf::from)
        .filter(|x| x.is_absolute())
    {
        Some(x) => x,
        None => home(env)?.join(".config"),
    };
    Ok(base.join("keylint").join("keys.toml"))
}

/// Expands `~/`, `$VAR` and `${VAR:-default}` in a path from a rule file.
pub fn expand(path: &str, env: EnvLookup) -> Result<PathBuf> {
    let mut out = String::new();
    let mut rest = path;
    if let Some(r) = rest.strip_prefix("~/") {
        out.push_str(&home(env)?.to_string_lossy());
        out.push('/');
        rest = r;
    }
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(body) = after.strip_prefix('{') {
            let end = body
                .find('}')
                .ok_or_else(|| Error::config(path, "unclosed `${` in a path"))?;
            let (name, default) = match body[..end].split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (&body[..end], None),
            };
            match env(name).filter(|v| !v.is_empty()) {
                Some(v) => out.push_str(&v),
                None => out.push_str(&expand(default.unwrap_or(""), env)?.to_string_lossy()),
            }
            rest = &body[end + 1..];
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            out.push_str(&env(&after[..end]).unwrap_or_default());
            rest = &after[end..];
        }
    }
    out.push_str(rest);
    Ok(PathBuf::from(out))
}

/// `/home/ada/.config/x` → `~/.config/x`, for messages.
pub fn tilde(p: &Path) -> String {
    match std::env::var_os("HOME").map(PathBuf::from) {
        Some(h) if !h.as_os_str().is_empty() => match p.strip_prefix(&h) {
            Ok(rest) => format!("~/{}", rest.display()),
            Err(_) => p.display().to_string(),
        },
        _ => p.display().to_string(),
    }
}

/// Refuses a file other users can read: a key in it is not private.
pub fn check_private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyError::ReadableByOthers {
                    path: tilde(path),
                    mode,
                }
                .into());
            }
        }
    }
    Ok(())
}

/// Whether other users can read the file (for `key list` warnings).
pub fn readable_by_others(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            return meta.permissions().mode() & 0o077 != 0;
        }
    }
    false
}

/// When the file last changed, if it exists.
pub fn modified(path: &Path) -> Option<jiff::Timestamp> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    jiff::Timestamp::try_from(modified).ok()
}

/// Creates the directories of `dir` that do not exist, readable by the owner
/// only. A directory that already exists is left as it is: its owner chose
/// its mode (a read-only directory stays read-only, and a write into it
/// fails with an error naming it).
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| Error::io(dir, e))
}

/// Refuses a symbolic link where keylint keeps a private file: writing by
/// rename would silently replace the link with a regular file, and a link
/// usually points somewhere less private (a dotfiles repository).
pub fn refuse_symlink(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let target = std::fs::read_link(path)
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "?".into());
            Err(KeyError::SymlinkedStore {
                path: tilde(path),
                target,
            }
            .into())
        }
        _ => Ok(()),
    }
}

/// Writes a file atomically with mode 0600 (the temporary file is created
/// 0600, so the key is never readable by others, even for a moment).
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    refuse_symlink(path)?;
    crate::atomic::write_atomic_private(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion() {
        let env = |k: &str| match k {
            "HOME" => Some("/home/ada".to_string()),
            "HF_HOME" => None,
            "XDG" => Some("/x".to_string()),
            _ => None,
        };
        assert_eq!(
            expand("~/.muapi/config.json", &env).unwrap(),
            PathBuf::from("/home/ada/.muapi/config.json")
        );
        assert_eq!(
            expand("${HF_HOME:-~/.cache/huggingface}/token", &env).unwrap(),
            PathBuf::from("/home/ada/.cache/huggingface/token")
        );
        assert_eq!(expand("$XDG/k", &env).unwrap(), PathBuf::from("/x/k"));
    }

    #[test]
    fn a_relative_xdg_config_home_is_ignored() {
        let env = |k: &str| match k {
            "HOME" => Some("/home/ada".to_string()),
            "XDG_CONFIG_HOME" => Some("relative/cfg".to_string()),
            _ => None,
        };
        assert_eq!(
            store_path(&env).unwrap(),
            PathBuf::from("/home/ada/.config/keylint/keys.toml")
        );
        let env = |k: &str| match k {
            "HOME" => Some("/home/ada".to_string()),
            "XDG_CONFIG_HOME" => Some("/cfg".to_string()),
            _ => None,
        };
        assert_eq!(
            store_path(&env).unwrap(),
            PathBuf::from("/cfg/keylint/keys.toml")
        );
    }
}
