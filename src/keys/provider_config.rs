//! A provider's own config file (`~/.muapi/config.json` with
//! `{"api_key": …}`, a TOML file, or a plain token file): read the key, or
//! write it while keeping every other field.

use super::paths;
use crate::rules::{ConfigFileSpec, ConfigFormat};
use crate::{Error, Result};
use std::path::Path;

/// The key in `path`, if the file exists and holds one.
pub fn read_key(path: &Path, spec: &ConfigFileSpec) -> Result<Option<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    paths::check_private(path)?;
    parse_key(&text, spec, &paths::tilde(path))
}

/// The key in a provider config file's text; `shown` names the file in
/// errors, which never quote its content.
pub fn parse_key(text: &str, spec: &ConfigFileSpec, shown: &str) -> Result<Option<String>> {
    let key = match spec.format {
        ConfigFormat::Plain => Some(text.trim().to_string()),
        ConfigFormat::Json => {
            let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
                Error::config(
                    format!("{shown}:{}", e.line()),
                    format!(
                        "not valid JSON: {}",
                        crate::quiet::quiet_message(&e.to_string())
                    ),
                )
            })?;
            dotted(spec, |k| {
                v.pointer(&format!("/{}", k.replace('.', "/")))
                    .and_then(|x| x.as_str())
                    .map(str::to_string)
            })
        }
        ConfigFormat::Toml => {
            let v: toml::Value = toml::from_str(text).map_err(|e| {
                let line = e.span().map_or(0, |s| {
                    text[..s.start.min(text.len())].matches('\n').count() + 1
                });
                Error::config(
                    format!("{shown}:{line}"),
                    format!(
                        "not valid TOML: {}",
                        crate::quiet::quiet_message(e.message())
                    ),
                )
            })?;
            dotted(spec, |k| {
                k.split('.')
                    .try_fold(&v, |cur, part| cur.get(part))
                    .and_then(|x| x.as_str())
                    .map(str::to_string)
            })
        }
    };
    Ok(key.filter(|k| !k.trim().is_empty()))
}

fn dotted(spec: &ConfigFileSpec, get: impl Fn(&str) -> Option<String>) -> Option<String> {
    get(spec.key.as_deref().unwrap_or("api_key"))
}

/// Writes the key into `path`, keeping the file's other fields; 0600, atomic.
pub fn write_key(path: &Path, spec: &ConfigFileSpec, key: &str) -> Result<()> {
    let existing = std::fs::read_to_string(path).ok();
    let field = spec.key.as_deref().unwrap_or("api_key");
    let text = match spec.format {
        ConfigFormat::Plain => format!("{key}\n"),
        ConfigFormat::Json => {
            let mut v: serde_json::Value = match &existing {
                Some(t) => serde_json::from_str(t).map_err(|e| {
                    Error::config(
                        paths::tilde(path),
                        format!("not valid JSON ({e}); not overwriting it"),
                    )
                })?,
                None => serde_json::json!({}),
            };
            let mut cur = &mut v;
            let parts: Vec<&str> = field.split('.').collect();
            for part in &parts[..parts.len() - 1] {
                cur = cur
                    .as_object_mut()
                    .ok_or_else(|| {
                        Error::config(paths::tilde(path), "not a JSON object; not overwriting it")
                    })?
                    .entry(part.to_string())
                    .or_insert_with(|| serde_json::json!({}));
            }
            cur.as_object_mut()
                .ok_or_else(|| {
                    Error::config(paths::tilde(path), "not a JSON object; not overwriting it")
                })?
                .insert(parts[parts.len() - 1].to_string(), serde_json::json!(key));
            serde_json::to_string_pretty(&v)
                .map_err(|e| Error::failed("encoding the provider's config file", e))?
                + "\n"
        }
        ConfigFormat::Toml => {
            let mut v: toml::Table = match &existing {
                Some(t) => toml::from_str(t).map_err(|e| {
                    Error::config(
                        paths::tilde(path),
                        format!(
                            "not valid TOML ({}); not overwriting it",
                            crate::quiet::quiet_message(e.message())
                        ),
                    )
                })?,
                None => toml::Table::new(),
            };
            v.insert(field.to_string(), toml::Value::String(key.to_string()));
            toml::to_string(&v)
                .map_err(|e| Error::failed("encoding the provider's config file", e))?
        }
    };
    if let Some(dir) = path.parent() {
        if !dir.exists() {
            paths::create_private_dir(dir)?;
        }
    }
    paths::write_private(path, text.as_bytes())
}
