//! keylint's own key store: `keys.toml` in a 0700 directory, mode 0600,
//! written atomically, other providers' entries kept.
//!
//! ```toml
//! [providers.openai]
//! key = "sk-proj-…"
//! created = 1795000000   # Unix seconds
//! ```

use super::paths;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// No `Debug`: it holds keys.
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    #[serde(default)]
    providers: BTreeMap<String, Entry>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub key: String,
    #[serde(default)]
    pub created: Option<u64>,
}

impl Entry {
    pub fn age_secs(&self) -> Option<u64> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        self.created.map(|c| now.saturating_sub(c))
    }
}

pub struct Store {
    pub path: PathBuf,
}

impl Store {
    pub fn at(path: PathBuf) -> Self {
        Store { path }
    }

    fn load(&self) -> Result<StoreFile> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(StoreFile::default()),
            Err(e) => return Err(Error::io(&self.path, e)),
        };
        paths::check_private(&self.path)?;
        toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            Error::config(
                format!(
                    "{}{}",
                    paths::tilde(&self.path),
                    line.map_or(String::new(), |l| format!(":{l}"))
                ),
                format!("{}; fix or remove the file", e.message().trim()),
            )
        })
    }

    fn save(&self, file: &StoreFile) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            paths::create_private_dir(dir)?;
        }
        let text = toml::to_string(file).map_err(|e| Error::Other(e.to_string()))?;
        paths::write_private(&self.path, text.as_bytes())
    }

    pub fn get(&self, provider: &str) -> Result<Option<Entry>> {
        Ok(self.load()?.providers.remove(provider))
    }

    pub fn set(&self, provider: &str, key: &str) -> Result<()> {
        let mut file = self.load()?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .ok();
        file.providers.insert(
            provider.to_string(),
            Entry {
                key: key.to_string(),
                created: now,
            },
        );
        self.save(&file)
    }

    /// Removes a provider's key; `false` when there was none.
    pub fn remove(&self, provider: &str) -> Result<bool> {
        let mut file = self.load()?;
        let had = file.providers.remove(provider).is_some();
        if had {
            self.save(&file)?;
        }
        Ok(had)
    }
}
