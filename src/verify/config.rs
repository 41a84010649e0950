//! `.keylint.toml`'s say in validation:
//!
//! ```toml
//! [providers.gitlab]
//! base_url = "https://gitlab.example.com"   # self-hosted GitLab, GitHub Enterprise, a mock
//!
//! [verify]
//! timeout_ms = 5000        # one request (default 10000)
//! budget_secs = 60         # every check of a run (default 120)
//! concurrency = 16         # requests at once (default 16)
//! per_provider = 8         # to one provider (default 8)
//! in_hook = false          # let `keylint hook run` verify (default: never)
//! ```

use super::spec::check_base_url;
use super::Settings;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    /// Replaces the base URL of every validator of the provider's rules.
    #[serde(default)]
    pub base_url: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyConfig {
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    #[serde(default)]
    pub budget_secs: Option<u64>,
    #[serde(default)]
    pub concurrency: Option<usize>,
    #[serde(default)]
    pub per_provider: Option<usize>,
    #[serde(default)]
    pub retries: Option<u32>,
    #[serde(default)]
    pub max_retry_wait_secs: Option<u64>,
    /// `keylint hook run` never verifies unless this is set.
    #[serde(default)]
    pub in_hook: bool,
}

impl VerifyConfig {
    /// The first out-of-range setting, as `key: why`.
    pub fn problem(&self) -> Option<String> {
        let out = |v: Option<u64>, lo: u64, hi: u64| v.is_some_and(|v| v < lo || v > hi);
        if out(self.timeout_ms, 1, 120_000) {
            return Some("verify.timeout_ms: between 1 and 120000".into());
        }
        if out(self.budget_secs, 1, 3600) {
            return Some("verify.budget_secs: between 1 and 3600".into());
        }
        if out(self.concurrency.map(|v| v as u64), 1, 64) {
            return Some("verify.concurrency: between 1 and 64".into());
        }
        if out(self.per_provider.map(|v| v as u64), 1, 64) {
            return Some("verify.per_provider: between 1 and 64".into());
        }
        if out(self.retries.map(u64::from), 0, 5) {
            return Some("verify.retries: between 0 and 5".into());
        }
        if out(self.max_retry_wait_secs, 0, 60) {
            return Some("verify.max_retry_wait_secs: between 0 and 60".into());
        }
        None
    }

    /// The run's settings; `trusted_hosts`: where a base URL override may
    /// send keys (see [`Settings::trusted_hosts`]).
    pub fn settings(
        &self,
        providers: &BTreeMap<String, ProviderSettings>,
        trusted_hosts: Vec<String>,
    ) -> Settings {
        let d = Settings::default();
        Settings {
            timeout: self.timeout_ms.map_or(d.timeout, Duration::from_millis),
            budget: self.budget_secs.map_or(d.budget, Duration::from_secs),
            concurrency: self.concurrency.unwrap_or(d.concurrency),
            per_provider: self.per_provider.unwrap_or(d.per_provider),
            retries: self.retries.unwrap_or(d.retries),
            max_retry_wait: self
                .max_retry_wait_secs
                .map_or(d.max_retry_wait, Duration::from_secs),
            base_urls: providers
                .iter()
                .filter_map(|(id, p)| p.base_url.clone().map(|u| (id.clone(), u)))
                .collect(),
            trusted_hosts,
        }
    }
}

/// The problem with a `[providers.ID]` table, as `key: why`.
pub fn provider_problem(id: &str, p: &ProviderSettings) -> Option<String> {
    let url = p.base_url.as_deref()?;
    check_base_url(url)
        .err()
        .map(|e| format!("providers.{id}.base_url: {e}"))
}
