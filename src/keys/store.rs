//! keylint's own key store: `keys.toml`, mode 0600, in a directory keylint
//! creates 0700.
//!
//! ```toml
//! version = 2
//! salt = "…"                                # keys the history fingerprints
//!
//! [providers.openai.keys.default]           # one table per named key
//! key = "sk-proj-…"
//! created = "2026-01-05T09:12:00Z"
//! expires = "2027-03-01"                    # optional
//!
//! [[providers.openai.history]]              # keys rotated away: never the key
//! name = "default"
//! fingerprint = "9f2c…"                     # HMAC-SHA256(salt, old key)
//! created = "2025-06-01T08:00:00Z"
//! rotated = "2026-01-05T09:12:00Z"
//! ```
//!
//! The first format (`[providers.X] key = "…", created = UNIX_SECONDS`) is
//! read as the key named `default` and rewritten in this one on the next
//! write.
//!
//! Every change is one read-modify-write cycle under an exclusive lock
//! ([`super::lock`]), so concurrent `keylint key set` calls never lose each
//! other's keys. The new contents go to a temporary file beside the store
//! (created 0600) and are renamed over it; temporary files a killed writer
//! left behind are deleted by the next writer, under the same lock.

use super::{clock, lock::StoreLock, paths, KeyError};
use crate::{Error, Result, Secret};
use hmac::{Hmac, Mac};
use jiff::{civil::Date, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The name of a key stored without `--name`.
pub const DEFAULT_NAME: &str = "default";

/// Rotations remembered per provider; older ones are dropped.
const HISTORY_LIMIT: usize = 50;

const FORMAT_VERSION: u32 = 2;

const HEADER: &str = "# keylint's key store (docs/keys.md). Written by keylint: change it with\n# `keylint key set|rotate|rm`. Mode 0600; never commit it.\n";

/// A stored key. `Debug` is safe: the key prints redacted, through [`Secret`].
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Secret,
    /// When it was stored; absent in a store written by hand.
    pub created: Option<Timestamp>,
    /// When the provider stops accepting it, if known.
    pub expires: Option<Date>,
}

/// A key that was rotated away. Only its fingerprint is kept: enough to
/// recognise the old key if it turns up in a scan, useless to anyone reading
/// the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    pub name: String,
    pub fingerprint: String,
    pub created: Option<Timestamp>,
    pub rotated: Timestamp,
}

/// One provider's keys in the store.
#[derive(Clone, Debug, Default)]
pub struct ProviderKeys {
    pub keys: BTreeMap<String, Entry>,
    pub history: Vec<Rotation>,
}

/// The store as read, changed in memory by [`Store::update`].
#[derive(Clone, Debug, Default)]
pub struct Contents {
    salt: Option<String>,
    pub providers: BTreeMap<String, ProviderKeys>,
    /// Read from the first format (or no file yet): the next write migrates.
    pub legacy: bool,
}

impl Contents {
    pub fn entry(&self, provider: &str, name: &str) -> Option<&Entry> {
        self.providers.get(provider)?.keys.get(name)
    }

    /// Stores `entry` as `provider`'s key `name`. A different key it replaces
    /// goes into the history, as a fingerprint; the same key again keeps its
    /// age. Returns the replaced entry.
    pub fn set(
        &mut self,
        provider: &str,
        name: &str,
        mut entry: Entry,
        now: Timestamp,
    ) -> Option<Entry> {
        let salt = self.salt().to_string();
        let keys = self.providers.entry(provider.to_string()).or_default();
        if let Some(old) = keys.keys.get(name).filter(|o| o.key == entry.key) {
            entry.created = old.created.or(entry.created);
            entry.expires = entry.expires.or(old.expires);
        }
        let old = keys.keys.insert(name.to_string(), entry.clone());
        if let Some(old) = &old {
            if old.key != entry.key {
                keys.history.push(Rotation {
                    name: name.to_string(),
                    fingerprint: fingerprint(&salt, old.key.expose()),
                    created: old.created,
                    rotated: now,
                });
                let excess = keys.history.len().saturating_sub(HISTORY_LIMIT);
                keys.history.drain(..excess);
            }
        }
        old
    }

    /// Removes `provider`'s key `name`; its history stays.
    pub fn remove(&mut self, provider: &str, name: &str) -> Option<Entry> {
        let keys = self.providers.get_mut(provider)?;
        let old = keys.keys.remove(name);
        if keys.keys.is_empty() && keys.history.is_empty() {
            self.providers.remove(provider);
        }
        old
    }

    /// The store's salt, created on first need.
    fn salt(&mut self) -> &str {
        self.salt.get_or_insert_with(new_salt)
    }

    /// Recognises a key the user rotated away from, by its fingerprint.
    pub fn rotated_away(&self, key: &str) -> Option<(&str, &Rotation)> {
        let salt = self.salt.as_deref()?;
        let fp = fingerprint(salt, key);
        self.providers.iter().find_map(|(id, p)| {
            p.history
                .iter()
                .rev()
                .find(|r| r.fingerprint == fp)
                .map(|r| (id.as_str(), r))
        })
    }
}

/// HMAC-SHA256 of the key under the store's salt, hex. Salted so that a
/// fingerprint from one store cannot be tested against a list of guesses
/// without that store's salt.
pub fn fingerprint(salt: &str, key: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(salt.as_bytes()).expect("HMAC takes any key");
    mac.update(key.as_bytes());
    crate::fingerprint::hex(&mac.finalize().into_bytes())
}

fn new_salt() -> String {
    let mut bytes = [0u8; 16];
    // A failing OS random source leaves the salt all zero: fingerprints then
    // still work, they are only easier to test guesses against.
    let _ = getrandom::fill(&mut bytes);
    crate::fingerprint::hex(&bytes)
}

/// Where the store lives, and the one way to change it.
pub struct Store {
    pub path: PathBuf,
}

impl Store {
    pub fn at(path: PathBuf) -> Self {
        Store { path }
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.file_name().to_os_string();
        name.push(".lock");
        self.path.with_file_name(name)
    }

    fn file_name(&self) -> &std::ffi::OsStr {
        self.path
            .file_name()
            .unwrap_or(std::ffi::OsStr::new("keys.toml"))
    }

    /// Reads the store; an absent store is empty. Refuses a symlink, a file
    /// other users can read, and a file that does not parse.
    pub fn load(&self) -> Result<Contents> {
        paths::refuse_symlink(&self.path)?;
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Contents {
                    legacy: false,
                    ..Contents::default()
                })
            }
            Err(e) => return Err(Error::io(&self.path, e)),
        };
        paths::check_private(&self.path)?;
        parse(&paths::tilde(&self.path), &text)
    }

    /// Runs one read-modify-write cycle under the store's lock and writes the
    /// result. The directory is created 0700 if missing; an existing one is
    /// never chmod-ed.
    pub fn update<T>(&self, change: impl FnOnce(&mut Contents) -> Result<T>) -> Result<T> {
        let dir = self.dir();
        paths::create_private_dir(&dir)?;
        paths::refuse_symlink(&self.path)?;
        let _lock = StoreLock::acquire(&self.lock_path())?;
        self.remove_stale_temporaries(&dir);
        let mut contents = self.load()?;
        let out = change(&mut contents)?;
        self.save(&dir, &mut contents)?;
        Ok(out)
    }

    fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// Whether `name` is a temporary file of a store write: ours
    /// (`.keys.toml.XXXXXX.tmp`), or `tempfile`'s default `.tmpXXXXXX` that
    /// earlier keylint versions wrote beside the store.
    fn is_temporary(&self, name: &str) -> bool {
        let ours = format!(".{}.", self.file_name().to_string_lossy());
        (name.starts_with(&ours) && name.ends_with(".tmp") && name.len() > ours.len() + 4)
            || (name.len() == 10
                && name.starts_with(".tmp")
                && name[4..].bytes().all(|b| b.is_ascii_alphanumeric()))
    }

    /// Deletes what killed writers left: a temporary file holds every key.
    /// Called under the lock, so no live writer's file is touched.
    fn remove_stale_temporaries(&self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let is_file = e.file_type().is_ok_and(|t| t.is_file());
            if is_file && self.is_temporary(&name.to_string_lossy()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    fn save(&self, dir: &Path, contents: &mut Contents) -> Result<()> {
        let text = render(contents)?;
        let prefix = format!(".{}.", self.file_name().to_string_lossy());
        let mut tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| Error::io(dir, e))?;
        tmp.write_all(text.as_bytes())
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(|e| Error::io(&self.path, e))?;
        tmp.persist(&self.path)
            .map_err(|e| Error::io(&self.path, e.error))?;
        // The rename is durable once the directory is synced.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        contents.legacy = false;
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    salt: Option<String>,
    #[serde(default)]
    providers: BTreeMap<String, toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacyEntry {
    key: String,
    #[serde(default)]
    created: Option<i64>,
}

#[derive(Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    #[serde(default)]
    keys: BTreeMap<String, RawEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    history: Vec<RawRotation>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawRotation {
    name: String,
    fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    rotated: String,
}

#[derive(Serialize)]
struct OutFile<'a> {
    version: u32,
    salt: &'a str,
    providers: BTreeMap<&'a str, RawProvider>,
}

/// Parses either format. Errors name the file, the line where toml knows
/// it, and the table at fault; never a value (it may be a key).
fn parse(shown: &str, text: &str) -> Result<Contents> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        Error::config(
            format!("{shown}{}", line.map_or(String::new(), |l| format!(":{l}"))),
            format!(
                "{}; fix or remove the file",
                crate::quiet::quiet_message(e.message())
            ),
        )
    })?;
    if let Some(v) = raw.version.filter(|v| *v > FORMAT_VERSION) {
        return Err(Error::config(
            shown,
            format!("store format version {v} is newer than this keylint understands ({FORMAT_VERSION}); upgrade keylint"),
        ));
    }
    let bad = |table: &str, m: String| Error::config(shown, format!("[providers.{table}]: {m}"));
    // serde's message only: it may quote the value, which may be a key.
    let unparsed =
        |table: &str, e: toml::de::Error| bad(table, crate::quiet::quiet_message(e.message()));
    let mut contents = Contents {
        salt: raw.salt,
        providers: BTreeMap::new(),
        legacy: raw.version.is_none(),
    };
    for (id, table) in raw.providers {
        let mut keys = ProviderKeys::default();
        if table.contains_key("key") {
            let old: LegacyEntry = toml::Value::Table(table)
                .try_into()
                .map_err(|e| unparsed(&id, e))?;
            keys.keys.insert(
                DEFAULT_NAME.to_string(),
                Entry {
                    key: Secret::new(old.key),
                    created: old.created.and_then(|s| Timestamp::from_second(s).ok()),
                    expires: None,
                },
            );
            contents.legacy = true;
        } else {
            let p: RawProvider = toml::Value::Table(table)
                .try_into()
                .map_err(|e| unparsed(&id, e))?;
            for (name, e) in p.keys {
                let at = format!("{id}.keys.{name}");
                let created = e
                    .created
                    .map(|c| {
                        c.parse::<Timestamp>().map_err(|_| {
                            bad(&at, format!("`created = {c:?}` is not an RFC 3339 time"))
                        })
                    })
                    .transpose()?;
                let expires = e
                    .expires
                    .map(|x| {
                        x.parse::<Date>().map_err(|_| {
                            bad(&at, format!("`expires = {x:?}` is not a date (YYYY-MM-DD)"))
                        })
                    })
                    .transpose()?;
                keys.keys.insert(
                    name,
                    Entry {
                        key: Secret::new(e.key),
                        created,
                        expires,
                    },
                );
            }
            for r in p.history {
                let rotated = r.rotated.parse::<Timestamp>().map_err(|_| {
                    bad(
                        &format!("{id}.history"),
                        format!("`rotated = {:?}` is not an RFC 3339 time", r.rotated),
                    )
                })?;
                keys.history.push(Rotation {
                    name: r.name,
                    fingerprint: r.fingerprint,
                    created: r.created.and_then(|c| c.parse().ok()),
                    rotated,
                });
            }
        }
        contents.providers.insert(id, keys);
    }
    Ok(contents)
}

fn render(contents: &mut Contents) -> Result<String> {
    let salt = contents.salt().to_string();
    let providers = contents
        .providers
        .iter()
        .map(|(id, p)| {
            let raw = RawProvider {
                keys: p
                    .keys
                    .iter()
                    .map(|(name, e)| {
                        (
                            name.clone(),
                            RawEntry {
                                key: e.key.expose().to_string(),
                                created: e.created.map(|t| t.to_string()),
                                expires: e.expires.map(|d| d.to_string()),
                            },
                        )
                    })
                    .collect(),
                history: p
                    .history
                    .iter()
                    .map(|r| RawRotation {
                        name: r.name.clone(),
                        fingerprint: r.fingerprint.clone(),
                        created: r.created.map(|t| t.to_string()),
                        rotated: r.rotated.to_string(),
                    })
                    .collect(),
            };
            (id.as_str(), raw)
        })
        .collect();
    let body = toml::to_string(&OutFile {
        version: FORMAT_VERSION,
        salt: &salt,
        providers,
    })
    .map_err(|e| Error::failed("cannot write the key store", e))?;
    Ok(format!("{HEADER}{body}"))
}

/// A key is accepted as an expiry date only if it is a date.
pub fn parse_expiry(s: &str) -> std::result::Result<Date, KeyError> {
    s.trim().parse::<Date>().map_err(|_| KeyError::BadTime {
        what: "--expires".into(),
        value: s.to_string(),
    })
}

/// What `set` stores for a new key: created now, expiring when asked or
/// after the provider's documented lifetime.
pub fn new_entry(
    key: &str,
    now: Timestamp,
    expires: Option<Date>,
    lifetime_days: Option<u32>,
) -> Entry {
    let expires = expires.or_else(|| {
        lifetime_days.and_then(|d| {
            now.checked_add(jiff::SignedDuration::from_hours(24 * i64::from(d)))
                .ok()
                .map(clock::date_of)
        })
    });
    Entry {
        key: Secret::new(key),
        created: Some(now),
        expires,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_first_format_is_read_and_migrated_on_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path().join("keys.toml"));
        std::fs::write(
            &store.path,
            "[providers.muapi]\nkey = \"mu-old-format-key-0123456789\"\ncreated = 1767225600\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&store.path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let c = store.load().unwrap();
        assert!(c.legacy);
        let e = c.entry("muapi", DEFAULT_NAME).unwrap();
        assert_eq!(e.key.expose(), "mu-old-format-key-0123456789");
        assert_eq!(e.created, Some(t("2026-01-01T00:00:00Z")));
        store
            .update(|c| {
                c.set(
                    "openai",
                    "ci",
                    new_entry(
                        "sk-new-key-abcdefghijkl",
                        t("2026-02-01T00:00:00Z"),
                        None,
                        None,
                    ),
                    t("2026-02-01T00:00:00Z"),
                );
                Ok(())
            })
            .unwrap();
        let text = std::fs::read_to_string(&store.path).unwrap();
        assert!(text.contains("version = 2"), "{text}");
        assert!(text.contains("[providers.muapi.keys.default]"), "{text}");
        assert!(
            text.contains("created = \"2026-01-01T00:00:00Z\""),
            "{text}"
        );
        let c = store.load().unwrap();
        assert!(!c.legacy);
        assert_eq!(
            c.entry("openai", "ci").unwrap().key.expose(),
            "sk-new-key-abcdefghijkl"
        );
        assert_eq!(
            c.entry("muapi", DEFAULT_NAME).unwrap().key.expose(),
            "mu-old-format-key-0123456789"
        );
    }

    #[test]
    fn replacing_a_key_keeps_only_its_salted_fingerprint() {
        let mut c = Contents::default();
        let now = t("2026-03-01T00:00:00Z");
        c.set(
            "muapi",
            DEFAULT_NAME,
            new_entry("old-key-Zq8vNw3kLxP2mR7t", now, None, None),
            now,
        );
        c.set(
            "muapi",
            DEFAULT_NAME,
            new_entry("old-key-Zq8vNw3kLxP2mR7t", now, None, None),
            now,
        );
        assert!(
            c.providers["muapi"].history.is_empty(),
            "the same key again is no rotation"
        );
        let later = t("2026-06-01T00:00:00Z");
        c.set(
            "muapi",
            DEFAULT_NAME,
            new_entry("new-key-Yb5cHd9fJg4hKj6l", later, None, None),
            later,
        );
        let h = &c.providers["muapi"].history;
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].rotated, later);
        assert_eq!(h[0].created, Some(now));
        let (provider, r) = c.rotated_away("old-key-Zq8vNw3kLxP2mR7t").unwrap();
        assert_eq!((provider, r.name.as_str()), ("muapi", DEFAULT_NAME));
        assert!(c.rotated_away("new-key-Yb5cHd9fJg4hKj6l").is_none());
        let text = render(&mut c).unwrap();
        assert!(!text.contains("old-key-Zq8vNw3kLxP2mR7t"), "{text}");
        // The fingerprint depends on the salt: another store's differs.
        assert_ne!(fingerprint("a", "k"), fingerprint("b", "k"));
    }

    #[test]
    fn history_is_bounded() {
        let mut c = Contents::default();
        let now = t("2026-03-01T00:00:00Z");
        for i in 0..(HISTORY_LIMIT + 10) {
            c.set(
                "muapi",
                DEFAULT_NAME,
                new_entry(&format!("rotating-key-{i:04}-abcdef"), now, None, None),
                now,
            );
        }
        assert_eq!(c.providers["muapi"].history.len(), HISTORY_LIMIT);
    }

    #[test]
    fn our_temporary_files_are_recognised_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path().join("keys.toml"));
        let prefix = format!(".{}.", store.file_name().to_string_lossy());
        let tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".tmp")
            .tempfile_in(dir.path())
            .unwrap();
        let name = tmp
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        assert!(store.is_temporary(&name), "{name}");
        assert!(store.is_temporary(".tmpAb12Cd"));
        for other in [
            "keys.toml",
            "keys.toml.lock",
            ".keys.toml.tmp",
            "notes.tmp",
            ".tmpfile-longer",
        ] {
            assert!(!store.is_temporary(other), "{other}");
        }
    }

    #[test]
    fn lifetime_sets_the_expiry_when_none_is_given() {
        let now = t("2026-01-01T10:00:00Z");
        let e = new_entry("k", now, None, Some(90));
        assert_eq!(e.expires, Some("2026-04-01".parse().unwrap()));
        let given: Date = "2026-02-01".parse().unwrap();
        assert_eq!(
            new_entry("k", now, Some(given), Some(90)).expires,
            Some(given)
        );
    }

    #[test]
    fn a_malformed_entry_names_the_table_not_the_value() {
        let err = parse("keys.toml", "version = 2\n[providers.muapi.keys.default]\nkey = \"secret-value-123456\"\ncreated = \"yesterday\"\n")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("providers.muapi.keys.default") && !err.contains("secret-value"),
            "{err}"
        );
    }
}
