//! The project's say in key handling: the `[run]` and `[keys]` sections of
//! `.keylint.toml`.
//!
//! ```toml
//! [run]
//! providers = ["openai", "muapi"]   # what `keylint run` injects without -p
//! profile = "development"           # the profile used without --profile
//!
//! [run.profiles.production]
//! providers = ["openai"]            # this profile injects only these
//! rotate_after_days = 30            # and its keys rotate sooner
//!
//! [keys]
//! rotate_after_days = 90            # the rotation policy (default 90)
//!
//! [keys.providers.openai]
//! rotate_after_days = 60
//! ```
//!
//! A repository's config can narrow what `keylint run` hands its commands,
//! and `run` says on stderr which providers it injects because the config
//! listed them: a cloned repository's config is not trusted silently.

use crate::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Rotation policy when nothing else is configured.
pub const DEFAULT_ROTATE_AFTER_DAYS: u32 = 90;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSection {
    #[serde(default)]
    pub providers: Vec<String>,
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSection {
    #[serde(default)]
    pub providers: Option<Vec<String>>,
    #[serde(default)]
    pub rotate_after_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysSection {
    #[serde(default)]
    pub rotate_after_days: Option<u32>,
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderPolicy>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderPolicy {
    #[serde(default)]
    pub rotate_after_days: Option<u32>,
}

/// The key-related settings of one `.keylint.toml` (all defaults without one).
#[derive(Debug, Default)]
pub struct Project {
    /// The file they came from, for messages.
    pub path: Option<PathBuf>,
    pub run: RunSection,
    pub keys: KeysSection,
}

impl Project {
    /// The `.keylint.toml` that a scan from `dir` would use, if any.
    pub fn discover(dir: &Path) -> Result<Project> {
        match crate::filter::config::discover(dir, crate::filter::config::FILE_NAME) {
            Some(path) => Project::load(&path),
            None => Ok(Project::default()),
        }
    }

    pub fn load(path: &Path) -> Result<Project> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Project::parse(path, &text)
    }

    /// Reads only `[run]` and `[keys]`; the scanner checks the rest.
    pub fn parse(path: &Path, text: &str) -> Result<Project> {
        let shown = path.display().to_string();
        let mut table: toml::Table = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            Error::config(
                format!("{shown}{}", line.map_or(String::new(), |l| format!(":{l}"))),
                crate::quiet::quiet_message(e.message()),
            )
        })?;
        fn section<T: for<'de> Deserialize<'de> + Default>(
            shown: &str,
            name: &str,
            v: Option<toml::Value>,
        ) -> Result<T> {
            match v {
                None => Ok(T::default()),
                Some(v) => v.try_into().map_err(|e: toml::de::Error| {
                    Error::config(
                        shown,
                        format!("[{name}]: {}", crate::quiet::quiet_message(e.message())),
                    )
                }),
            }
        }
        let project = Project {
            path: Some(path.to_path_buf()),
            run: section(&shown, "run", table.remove("run"))?,
            keys: section(&shown, "keys", table.remove("keys"))?,
        };
        let zero = |at: String| {
            Err(Error::config(
                &shown,
                format!("{at}: rotate_after_days must be at least 1"),
            ))
        };
        if project.keys.rotate_after_days == Some(0) {
            return zero("[keys]".into());
        }
        for (id, p) in &project.keys.providers {
            if p.rotate_after_days == Some(0) {
                return zero(format!("[keys.providers.{id}]"));
            }
        }
        for (name, p) in &project.run.profiles {
            if p.rotate_after_days == Some(0) {
                return zero(format!("[run.profiles.{name}]"));
            }
        }
        Ok(project)
    }

    /// The profile in effect: `--profile`, else `[run] profile`.
    pub fn profile<'a>(&'a self, flag: Option<&'a str>) -> Option<&'a str> {
        flag.or(self.run.profile.as_deref())
    }

    /// The providers `keylint run` injects without `-p`: the profile's list,
    /// else `[run] providers`. Empty when the config names none.
    pub fn run_providers(&self, profile: Option<&str>) -> &[String] {
        profile
            .and_then(|p| self.run.profiles.get(p))
            .and_then(|p| p.providers.as_deref())
            .unwrap_or(&self.run.providers)
    }

    /// Days after which a key is due for rotation: the strictest of the
    /// profile's and the provider's policy, else `[keys]`'s, else 90.
    pub fn rotate_after_days(&self, provider: &str, profile: Option<&str>) -> u32 {
        let specific = [
            profile
                .and_then(|p| self.run.profiles.get(p))
                .and_then(|p| p.rotate_after_days),
            self.keys
                .providers
                .get(provider)
                .and_then(|p| p.rotate_after_days),
        ];
        specific
            .into_iter()
            .flatten()
            .min()
            .or(self.keys.rotate_after_days)
            .unwrap_or(DEFAULT_ROTATE_AFTER_DAYS)
    }

    /// `./.keylint.toml`, for messages.
    pub fn shown(&self) -> String {
        self.path
            .as_deref()
            .map_or_else(|| ".keylint.toml".into(), |p| p.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Project> {
        Project::parse(Path::new(".keylint.toml"), text)
    }

    #[test]
    fn policies_take_the_strictest_specific_value() {
        let p = parse(
            "[keys]\nrotate_after_days = 120\n[keys.providers.openai]\nrotate_after_days = 60\n\
             [run]\nproviders = [\"openai\", \"muapi\"]\n[run.profiles.production]\nrotate_after_days = 30\nproviders = [\"openai\"]\n",
        )
        .unwrap();
        assert_eq!(p.rotate_after_days("muapi", None), 120);
        assert_eq!(p.rotate_after_days("openai", None), 60);
        assert_eq!(p.rotate_after_days("openai", Some("production")), 30);
        assert_eq!(p.rotate_after_days("muapi", Some("staging")), 120);
        assert_eq!(Project::default().rotate_after_days("muapi", None), 90);
        assert_eq!(p.run_providers(None), ["openai", "muapi"]);
        assert_eq!(p.run_providers(Some("production")), ["openai"]);
        assert_eq!(p.run_providers(Some("staging")), ["openai", "muapi"]);
    }

    #[test]
    fn the_scanners_sections_are_left_alone_and_ours_are_checked() {
        assert!(parse("disable = [\"jwt\"]\n[allow]\npaths = [\"x\"]\n").is_ok());
        let err = parse("[run]\nprovider = [\"openai\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(".keylint.toml") && err.contains("[run]") && err.contains("provider"),
            "{err}"
        );
        let err = parse("[keys]\nrotate_after_days = 0\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("at least 1"), "{err}");
    }
}
