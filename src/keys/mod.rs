//! The key resolver: the safe way to *use* an API key locally.
//!
//! A provider's key is resolved, in order, from a `--api-key` flag, the
//! provider's environment variables, keylint's own 0600 store, and the
//! provider's own config files (e.g. `~/.muapi/config.json`). Every source is
//! read, not only the winner, so that a stale key that wins over a newer one
//! (the provider's tool rotated the key in its own file) is said out loud.
//! What each provider's SDK reads comes from `rules/` (env vars, config
//! files, key shape), the same data the scanner uses.
//!
//! Modules: [`store`] (keylint's file, its lock and history), [`project`]
//! (`.keylint.toml`'s `[run]`/`[keys]`), [`policy`] (rotation, expiry),
//! [`messages`] (errors and notices), [`mask`] (what people see of a key),
//! [`paths`], [`provider_config`], [`clock`].

pub mod clock;
pub mod lock;
pub mod mask;
pub mod messages;
pub mod paths;
pub mod policy;
pub mod project;
pub mod provider_config;
pub mod store;

use crate::rules::{compile::compile_regex, ProviderSpec};
use crate::{Result, Secret};
use jiff::{civil::Date, Timestamp};
use std::cell::OnceCell;
use std::path::PathBuf;

pub use mask::{mask, Masker};
pub use messages::{KeyError, MissingKey, Notice};
pub use project::Project;
pub use store::DEFAULT_NAME;

/// A key shorter than this is refused (without `--force`) for a provider
/// that documents no key shape: no provider issues keys this short, but
/// `echo short | keylint key set …` happens.
pub const MIN_UNSHAPED_KEY: usize = 16;

/// Where a key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env(String),
    /// keylint's store, and the key's name in it.
    Store {
        path: PathBuf,
        name: String,
    },
    /// A provider's config file, and the field holding the key.
    ProviderConfig {
        path: PathBuf,
        field: Option<String>,
    },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag => write!(f, "--api-key"),
            Source::Env(v) => write!(f, "${v}"),
            Source::Store { path, name } if name == DEFAULT_NAME => {
                write!(f, "keylint's store {}", paths::tilde(path))
            }
            Source::Store { path, name } => {
                write!(f, "keylint's store {} (key `{name}`)", paths::tilde(path))
            }
            Source::ProviderConfig { path, .. } => write!(f, "{}", paths::tilde(path)),
        }
    }
}

/// A key one source holds. `Debug` never shows the key.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub source: Source,
    pub key: Secret,
    /// When the key was stored, or its file last changed, if known.
    pub since: Option<Timestamp>,
    /// When the provider stops accepting it, if known.
    pub expires: Option<Date>,
}

/// Every key found for one provider, in precedence order: the first wins.
#[derive(Debug, Clone)]
pub struct Resolution<'p> {
    pub provider: &'p ProviderSpec,
    /// The key name asked for (`default` unless a profile or `--name`).
    pub name: String,
    pub candidates: Vec<Candidate>,
}

impl Resolution<'_> {
    /// The key that is used.
    pub fn winner(&self) -> Option<&Candidate> {
        self.candidates.first()
    }

    /// ` --name ci` for commands that suggest a fix, empty for the default.
    pub fn name_flag(&self) -> String {
        name_flag(&self.name)
    }

    /// Sources that lost to the winner with a different key, and a provider
    /// config file changed after the store entry that beats it.
    pub fn notices(&self) -> Vec<Notice> {
        let Some(winner) = self.winner() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for other in &self.candidates[1..] {
            if other.key == winner.key {
                continue;
            }
            let newer = match (&winner.source, &other.source, winner.since, other.since) {
                (
                    Source::Store { .. },
                    Source::ProviderConfig { path, .. },
                    Some(stored),
                    Some(changed),
                ) if changed > stored => Some(Notice::ProviderConfigNewer {
                    provider: self.provider.id.clone(),
                    name_flag: self.name_flag(),
                    file: paths::tilde(path),
                    file_changed: clock::date_of(changed),
                    stored: clock::date_of(stored),
                }),
                _ => None,
            };
            out.push(newer.unwrap_or_else(|| Notice::Differs {
                provider: self.provider.id.clone(),
                winner: winner.source.to_string(),
                winner_masked: mask(winner.key.expose()),
                other: other.source.to_string(),
                other_masked: mask(other.key.expose()),
            }));
        }
        out
    }
}

fn name_flag(name: &str) -> String {
    if name == DEFAULT_NAME {
        String::new()
    } else {
        format!(" --name {name}")
    }
}

/// Reads the environment; a trait object so tests and `run` can swap it.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Finds providers and resolves their keys.
pub struct Resolver<'a> {
    pub providers: Vec<ProviderSpec>,
    pub env: EnvLookup<'a>,
    pub store: store::Store,
    pub project: Project,
    /// "Now" for ages, rotation and expiry ([`clock::now`] in the binary).
    pub now: Timestamp,
    /// The store, read once per command: one error, however many providers.
    stored: OnceCell<store::Contents>,
}

impl<'a> Resolver<'a> {
    /// Providers that a key can be resolved for: those with env vars or
    /// config files in their rule file.
    pub fn new(
        all: impl Iterator<Item = ProviderSpec>,
        env: EnvLookup<'a>,
        project: Project,
        now: Timestamp,
    ) -> Result<Self> {
        let mut providers: Vec<ProviderSpec> = all
            .filter(|p| !p.env_vars.is_empty() || !p.config_files.is_empty())
            .collect();
        providers.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Resolver {
            providers,
            env,
            store: store::Store::at(paths::store_path(env)?),
            project,
            now,
            stored: OnceCell::new(),
        })
    }

    /// The provider named `id`, or an error listing the close matches.
    pub fn provider(&self, id: &str) -> Result<&ProviderSpec> {
        let wanted = id.to_ascii_lowercase();
        if let Some(p) = self.providers.iter().find(|p| p.id == wanted) {
            return Ok(p);
        }
        let mut close: Vec<(f64, &str)> = self
            .providers
            .iter()
            .map(|p| {
                let score = strsim::jaro_winkler(&wanted, &p.id)
                    .max(strsim::jaro_winkler(&wanted, &p.name.to_ascii_lowercase()));
                (score, p.id.as_str())
            })
            .filter(|(s, _)| *s > 0.75)
            .collect();
        close.sort_by(|a, b| b.0.total_cmp(&a.0));
        let hint = if close.is_empty() {
            "run `keylint key providers` to see the providers".to_string()
        } else {
            format!(
                "did you mean {}?",
                close
                    .iter()
                    .take(3)
                    .map(|(_, id)| format!("`{id}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        Err(KeyError::UnknownProvider {
            id: id.to_string(),
            hint,
        }
        .into())
    }

    /// keylint's store as read at the first need in this command.
    pub fn stored(&self) -> Result<&store::Contents> {
        if let Some(s) = self.stored.get() {
            return Ok(s);
        }
        let loaded = self.store.load()?;
        Ok(self.stored.get_or_init(|| loaded))
    }

    /// The key name a profile selects: the profile's own name.
    pub fn key_name(profile: Option<&str>) -> String {
        profile.unwrap_or(DEFAULT_NAME).to_string()
    }

    /// Every source's key for `p`: flag, environment, keylint's store (the
    /// key named `name`), provider config files (for the default key only:
    /// a provider's file holds one key, not one per environment). A source
    /// that exists but is refused (permissions, malformed) is an error.
    pub fn resolve<'p>(
        &self,
        p: &'p ProviderSpec,
        name: &str,
        flag: Option<&str>,
    ) -> Result<Resolution<'p>> {
        let mut candidates = Vec::new();
        let found = |source: Source, key: &str, since, expires| Candidate {
            source,
            key: Secret::new(key.trim()),
            since,
            expires,
        };
        if let Some(k) = flag.filter(|k| !k.trim().is_empty()) {
            candidates.push(found(Source::Flag, k, None, None));
        }
        for var in &p.env_vars {
            if let Some(v) = (self.env)(var).filter(|v| !v.trim().is_empty()) {
                candidates.push(found(Source::Env(var.clone()), &v, None, None));
            }
        }
        if let Some(entry) = self.stored()?.entry(&p.id, name) {
            candidates.push(found(
                Source::Store {
                    path: self.store.path.clone(),
                    name: name.to_string(),
                },
                entry.key.expose(),
                entry.created,
                entry.expires,
            ));
        }
        if name == DEFAULT_NAME {
            for cf in &p.config_files {
                let path = paths::expand(&cf.path, self.env)?;
                if let Some(key) = provider_config::read_key(&path, cf)? {
                    let since = paths::modified(&path);
                    candidates.push(found(
                        Source::ProviderConfig {
                            path,
                            field: cf.key.clone(),
                        },
                        &key,
                        since,
                        None,
                    ));
                }
            }
        }
        Ok(Resolution {
            provider: p,
            name: name.to_string(),
            candidates,
        })
    }

    /// The rotation and expiry notices for the key a provider resolved to.
    pub fn policy_notices(&self, r: &Resolution, profile: Option<&str>) -> Vec<Notice> {
        let Some(w) = r.winner() else {
            return Vec::new();
        };
        let days = self.project.rotate_after_days(&r.provider.id, profile);
        policy::check(r.provider, w, days, &r.name_flag(), self.now)
    }

    /// The error for a provider whose key resolves nowhere: every place
    /// looked, and the commands that would put a key there.
    pub fn missing(&self, p: &ProviderSpec, name: &str, flag_looked: bool) -> KeyError {
        let mut looked = Vec::new();
        if flag_looked {
            looked.push("--api-key".to_string());
        }
        looked.extend(p.env_vars.iter().map(|v| format!("${v}")));
        let store = paths::tilde(&self.store.path);
        looked.push(if name == DEFAULT_NAME {
            format!("keylint's store {store}")
        } else {
            format!("keylint's store {store} (key `{name}`)")
        });
        let mut provider_command = None;
        if name == DEFAULT_NAME {
            for cf in &p.config_files {
                let shown = paths::expand(&cf.path, self.env)
                    .map(|x| paths::tilde(&x))
                    .unwrap_or_else(|_| cf.path.clone());
                looked.push(match &cf.key {
                    Some(field) => format!("{shown} (field \"{field}\")"),
                    None => shown,
                });
            }
            if let (Some(cmd), Some(cf)) = (&p.configure_command, p.config_files.first()) {
                let file = paths::expand(&cf.path, self.env)
                    .map(|x| paths::tilde(&x))
                    .unwrap_or_else(|_| cf.path.clone());
                provider_command = Some((cmd.clone(), file));
            }
        }
        KeyError::Missing(Box::new(MissingKey {
            provider_name: p.name.clone(),
            provider: p.id.clone(),
            name: (name != DEFAULT_NAME).then(|| name.to_string()),
            looked,
            provider_command,
            env_var: p.env_vars.first().cloned(),
        }))
    }

    /// Why a key looks wrong for its provider: placeholder, shape, or (for a
    /// provider with no documented shape) too short.
    pub fn shape_problem(p: &ProviderSpec, key: &str) -> Option<String> {
        if crate::scan::validate::placeholder_reason(
            key.as_bytes(),
            crate::rules::Vocabulary::builtin(),
        )
        .is_some()
        {
            return Some("looks like a placeholder, not a key".into());
        }
        let Some(shape) = p.key_shape.as_deref() else {
            let n = key.chars().count();
            return (n < MIN_UNSHAPED_KEY).then(|| {
                format!(
                    "is {n} characters long, shorter than any {} key ({MIN_UNSHAPED_KEY} at least)",
                    p.name
                )
            });
        };
        let anchored = format!("^(?:{shape})$");
        match compile_regex(&anchored) {
            Ok(re) if re.is_match(key.as_bytes()) => None,
            Ok(_) => Some(format!("does not have the shape of a key for {}", p.name)),
            Err(_) => None,
        }
    }
}

/// Keys the user rotated away from, recognised by fingerprint: for
/// `keylint scan` to say that a key it found is an old one (a leaked old key
/// is still worth revoking). Empty when there is no store.
pub struct RotatedKeys {
    contents: store::Contents,
}

impl RotatedKeys {
    /// Reads the store named by the environment (`XDG_CONFIG_HOME`, `HOME`).
    pub fn load(env: EnvLookup) -> Result<RotatedKeys> {
        let store = store::Store::at(paths::store_path(env)?);
        Ok(RotatedKeys {
            contents: store.load()?,
        })
    }

    /// If `secret` is a key rotated away from: its provider, key name, and
    /// when it was replaced.
    pub fn lookup(&self, secret: &str) -> Option<(&str, &str, Timestamp)> {
        self.contents
            .rotated_away(secret)
            .map(|(provider, r)| (provider, r.name.as_str(), r.rotated))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ProviderSpec {
        ProviderSpec {
            id: "muapi".into(),
            name: "MuAPI".into(),
            env_vars: vec!["MUAPI_API_KEY".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_provider_without_a_shape_still_gets_length_and_placeholder_checks() {
        let p = spec();
        let short = Resolver::shape_problem(&p, "short").unwrap();
        assert!(short.contains("5 characters"), "{short}");
        assert!(Resolver::shape_problem(&p, "your_api_key_here")
            .unwrap()
            .contains("placeholder"));
        assert!(Resolver::shape_problem(&p, "Zq8vNw3kLxP2mR7tYb5c").is_none());
    }

    #[test]
    fn notices_name_the_winner_and_each_differing_source() {
        let p = spec();
        let cand = |source, key: &str| Candidate {
            source,
            key: Secret::new(key),
            since: None,
            expires: None,
        };
        let r = Resolution {
            provider: &p,
            name: DEFAULT_NAME.into(),
            candidates: vec![
                cand(Source::Env("MUAPI_API_KEY".into()), "Zq8vNw3kLxP2mR7tYb5c"),
                cand(Source::Flag, "Zq8vNw3kLxP2mR7tYb5c"),
                cand(
                    Source::ProviderConfig {
                        path: "/cfg/config.json".into(),
                        field: None,
                    },
                    "Hd9fJg4hKj6lMn2pQr8s",
                ),
            ],
        };
        let n = r.notices();
        assert_eq!(n.len(), 1, "{n:?}");
        let text = n[0].to_string();
        assert!(
            text.contains("using the key from $MUAPI_API_KEY (Zq8v…c)")
                && text.contains("/cfg/config.json holds a different key (Hd9f…s)"),
            "{text}"
        );
        assert!(!text.contains("Zq8vNw3kLxP2mR7tYb5c"));
    }
}
