//! The key resolver: the safe way to *use* an API key locally. A provider's
//! key is resolved, in order, from a `--api-key` flag, the provider's
//! environment variables, keylint's own 0600 store, and the provider's own
//! config files (e.g. `~/.muapi/config.json`). What each provider's SDK reads
//! comes from `rules/` (env vars, config files, key shape), the same data the
//! scanner uses.

pub mod mask;
pub mod paths;
pub mod provider_config;
pub mod store;

use crate::rules::{compile::compile_regex, ProviderSpec};
use crate::{Error, Result};
use std::path::PathBuf;

pub use mask::{mask, Masker};

/// Where a resolved key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env(String),
    Store(PathBuf),
    ProviderConfig(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag => write!(f, "--api-key"),
            Source::Env(v) => write!(f, "${v}"),
            Source::Store(p) => write!(f, "keylint store {}", paths::tilde(p)),
            Source::ProviderConfig(p) => write!(f, "{}", paths::tilde(p)),
        }
    }
}

/// A key and where it was found. `Debug` never shows the key.
#[derive(Clone)]
pub struct Resolved {
    pub provider: String,
    pub key: crate::Secret,
    pub source: Source,
    /// Seconds since the key was stored or its file last changed, if known.
    pub age_secs: Option<u64>,
}

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Resolved({}, {}, {})",
            self.provider,
            mask(self.key.expose()),
            self.source
        )
    }
}

/// Reads the environment; a trait object so tests and `run` can swap it.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Finds providers and resolves their keys.
pub struct Resolver<'a> {
    pub providers: Vec<ProviderSpec>,
    pub env: EnvLookup<'a>,
    pub store: store::Store,
}

impl<'a> Resolver<'a> {
    /// Providers that a key can be resolved for: those with env vars or
    /// config files in their rule file.
    pub fn new(all: impl Iterator<Item = ProviderSpec>, env: EnvLookup<'a>) -> Result<Self> {
        let providers = all
            .filter(|p| !p.env_vars.is_empty() || !p.config_files.is_empty())
            .collect();
        Ok(Resolver {
            providers,
            env,
            store: store::Store::at(paths::store_path(env)?),
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
            "run `keylint key list` or `keylint rules` to see the providers".to_string()
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
        Err(Error::Usage(format!("unknown provider `{id}`: {hint}")))
    }

    /// Resolves a key: flag, environment, keylint's store, provider config.
    pub fn resolve(&self, p: &ProviderSpec, flag: Option<&str>) -> Result<Option<Resolved>> {
        let found = |key: String, source: Source, age_secs: Option<u64>| {
            Some(Resolved {
                provider: p.id.clone(),
                key: crate::Secret::new(key.trim()),
                source,
                age_secs,
            })
        };
        if let Some(k) = flag.filter(|k| !k.trim().is_empty()) {
            return Ok(found(k.to_string(), Source::Flag, None));
        }
        for var in &p.env_vars {
            if let Some(v) = (self.env)(var).filter(|v| !v.trim().is_empty()) {
                return Ok(found(v, Source::Env(var.clone()), None));
            }
        }
        if let Some(entry) = self.store.get(&p.id)? {
            let age = entry.age_secs();
            return Ok(found(
                entry.key,
                Source::Store(self.store.path.clone()),
                age,
            ));
        }
        for cf in &p.config_files {
            let path = paths::expand(&cf.path, self.env)?;
            if let Some(key) = provider_config::read_key(&path, cf)? {
                let age = paths::age_secs(&path);
                return Ok(found(key, Source::ProviderConfig(path), age));
            }
        }
        Ok(None)
    }

    /// The error for a provider whose key resolves nowhere.
    pub fn missing(p: &ProviderSpec) -> Error {
        let env = p
            .env_vars
            .first()
            .map_or(String::new(), |v| format!(", set {v}"));
        Error::Usage(format!(
            "No API key found for {}. Pass --api-key{env}, or run: keylint key set {}",
            p.id, p.id
        ))
    }

    /// Why a key looks wrong for its provider: shape or placeholder.
    pub fn shape_problem(p: &ProviderSpec, key: &str) -> Option<String> {
        if crate::scan::validate::placeholder_reason(key.as_bytes()).is_some() {
            return Some("looks like a placeholder, not a key".into());
        }
        let shape = p.key_shape.as_deref()?;
        let anchored = format!("^(?:{shape})$");
        match compile_regex(&anchored) {
            Ok(re) if re.is_match(key.as_bytes()) => None,
            Ok(_) => Some(format!("does not have the shape of a key for {}", p.name)),
            Err(_) => None,
        }
    }
}
