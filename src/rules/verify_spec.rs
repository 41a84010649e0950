//! The validator a rule file declares (`[rules.verify]`): one cheap,
//! idempotent read against the provider, where the key goes in it, and
//! what its answers mean. Serde types plus the load-time check; nothing
//! here talks to the network.
//!
//! ```toml
//! [rules.verify]
//! base_url = "https://api.anthropic.com"      # `[providers.ID] base_url` overrides it
//! path = "/v1/models"
//! headers = { "x-api-key" = "{key}", "anthropic-version" = "2023-06-01" }
//! invalid = [401]
//! match = [{ json = "/ok", equals = false, means = "invalid" }]
//! ```
//! `{key}` is the finding's secret, `{partner}` the second part of a
//! two-part credential found near it (`pair`).

use crate::validation::Status;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VerifySpec {
    /// Why this rule's findings are never checked (the provider documents
    /// no read-only endpoint, or any call would have an effect). Excludes
    /// every other field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub none: Option<String>,
    #[serde(default)]
    pub method: Method,
    /// Scheme and host (and a path prefix, if any): `https://api.openai.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Appended to the base URL; may hold `{partner}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Request headers; values may hold `{key}` and `{partner}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Query parameters; values may hold `{key}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// HTTP basic auth, e.g. `{ user = "{partner}", password = "{key}" }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic: Option<Basic>,
    /// A JSON request body; string values may hold `{key}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// A validator that needs code (`src/verify/special.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special: Option<Special>,
    /// Where the second part of a two-part credential is found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pair: Option<Pair>,
    /// Statuses that mean the key works.
    #[serde(default = "live", skip_serializing_if = "is_live")]
    pub live: Vec<u16>,
    /// Statuses that mean the key is unknown or revoked.
    #[serde(default = "invalid")]
    pub invalid: Vec<u16>,
    /// Valid key without the plan or scope for this call.
    #[serde(default = "restricted")]
    pub restricted: Vec<u16>,
    /// Valid key on an account out of credits.
    #[serde(default = "no_credits")]
    pub no_credits: Vec<u16>,
    /// Body matchers, tried in order before the status lists: the first
    /// that matches decides.
    #[serde(default, rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub matchers: Vec<BodyMatcher>,
}

fn live() -> Vec<u16> {
    vec![200]
}
fn is_live(v: &[u16]) -> bool {
    v == [200]
}
fn invalid() -> Vec<u16> {
    vec![401]
}
fn restricted() -> Vec<u16> {
    vec![403]
}
fn no_credits() -> Vec<u16> {
    vec![402]
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    #[default]
    Get,
    /// Only for endpoints that read (Slack's `auth.test`, a balance query
    /// that takes the key in its body).
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Basic {
    pub user: String,
    #[serde(default)]
    pub password: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Special {
    /// AWS STS `GetCallerIdentity`, SigV4-signed with the access key id and
    /// the secret access key found near it.
    AwsSts,
}

/// The second part of a credential: the nearest match of `regex` (its
/// group 1, or the whole match) within `lines` lines of the finding.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    pub regex: String,
    #[serde(default = "pair_lines")]
    pub lines: usize,
}

fn pair_lines() -> usize {
    5
}

/// A test on the answer's body.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BodyMatcher {
    /// Only for these statuses (any, when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<u16>,
    /// A JSON pointer (`/ok`) whose value must equal `equals`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<toml::Value>,
    /// A substring the body must contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// The status a match means: `live`, `invalid`, `live-no-credits`, ...
    pub means: Status,
}

impl VerifySpec {
    /// Whether this spec sends anything at all.
    pub fn checks(&self) -> bool {
        self.none.is_none()
    }

    /// The problem with this spec, if any, for the load-time error.
    pub fn problem(&self) -> Option<String> {
        if let Some(why) = &self.none {
            if why.trim().is_empty() {
                return Some("`none` must say why the findings are not checked".into());
            }
            let other = self.base_url.is_some()
                || self.path.is_some()
                || !self.headers.is_empty()
                || !self.query.is_empty()
                || self.basic.is_some()
                || self.body.is_some()
                || self.special.is_some()
                || self.pair.is_some()
                || !self.matchers.is_empty();
            return other.then(|| "`none` excludes every other field".into());
        }
        let Some(base) = &self.base_url else {
            return Some("needs `base_url` (or `none = \"why not\"`)".into());
        };
        if let Err(e) = check_base_url(base) {
            return Some(format!("base_url: {e}"));
        }
        if self.path.as_deref().is_some_and(|p| !p.starts_with('/')) {
            return Some("`path` must start with `/`".into());
        }
        let mut places = 0;
        places += self
            .headers
            .values()
            .filter(|v| v.contains("{key}"))
            .count();
        places += self.query.values().filter(|v| v.contains("{key}")).count();
        places += usize::from(
            self.basic
                .as_ref()
                .is_some_and(|b| b.user.contains("{key}") || b.password.contains("{key}")),
        );
        places += usize::from(self.body.as_ref().is_some_and(|b| b.contains("{key}")));
        match (self.special, places) {
            (Some(Special::AwsSts), 0) => {
                if self.pair.is_none() {
                    return Some("special = \"aws-sts\" needs `pair` (the other half of the key)".into());
                }
            }
            (Some(_), _) => return Some("a `special` validator places the key itself: no `{key}` elsewhere".into()),
            (None, 1) => {}
            (None, 0) => return Some("`{key}` must appear in one header, query parameter, `basic` or `body`".into()),
            (None, _) => return Some("`{key}` must appear in exactly one place: the key goes only where the provider reads it".into()),
        }
        if self.method == Method::Get && self.body.is_some() {
            return Some("a GET has no `body`; use method = \"POST\"".into());
        }
        if let Some(body) = &self.body {
            if serde_json::from_str::<serde_json::Value>(body).is_err() {
                return Some("`body` must be a JSON document".into());
            }
        }
        let uses_partner = self.path.as_deref().unwrap_or("").contains("{partner}")
            || self.headers.values().any(|v| v.contains("{partner}"))
            || self
                .basic
                .as_ref()
                .is_some_and(|b| b.user.contains("{partner}") || b.password.contains("{partner}"));
        if uses_partner && self.pair.is_none() {
            return Some("`{partner}` needs `pair`".into());
        }
        if let Some(p) = &self.pair {
            if !crate::rules::compile::regex_parses(&p.regex) {
                return Some("pair.regex does not compile".into());
            }
            if p.lines > 50 {
                return Some("pair.lines is at most 50".into());
            }
        }
        for name in self.headers.keys() {
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Some(format!("header name `{name}` is not a token"));
            }
        }
        let lists = [
            &self.live,
            &self.invalid,
            &self.restricted,
            &self.no_credits,
        ];
        if lists
            .iter()
            .any(|l| l.iter().any(|s| !(100..=599).contains(s)))
        {
            return Some("statuses must be HTTP codes (100-599)".into());
        }
        if lists.iter().any(|l| l.contains(&429)) {
            return Some(
                "429 always means rate-limited (retried); leave it out of the lists".into(),
            );
        }
        for (i, m) in self.matchers.iter().enumerate() {
            let n = i + 1;
            match (&m.json, &m.equals, &m.contains) {
                (Some(p), Some(_), None) if p.is_empty() || p.starts_with('/') => {}
                (Some(_), Some(_), None) => {
                    return Some(format!(
                        "match {n}: `json` is a JSON pointer, starting with `/`"
                    ))
                }
                (None, None, Some(c)) if !c.is_empty() => {}
                _ => {
                    return Some(format!(
                        "match {n}: needs `json` with `equals`, or `contains`"
                    ))
                }
            }
            if matches!(m.means, Status::NotChecked | Status::RateLimited) {
                return Some(format!("match {n}: `means` is one of live, live-no-credits, live-restricted, invalid, unknown"));
            }
        }
        None
    }
}

/// HTTPS, except to this machine (tests and local mock servers).
pub fn check_base_url(url: &str) -> Result<(), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| "not a URL: use https://HOST".to_string())?;
    let host = host_of(rest);
    if host.is_empty() {
        return Err("no host: use https://HOST".into());
    }
    if rest.contains('@') || rest.contains('?') || rest.contains('#') {
        return Err("no credentials, query or fragment in a base URL".into());
    }
    match scheme {
        "https" => Ok(()),
        "http" if is_loopback(host) => Ok(()),
        _ => Err("must be https:// (plain http only to 127.0.0.1, [::1] or localhost)".into()),
    }
}

/// The host of `host[:port][/path]`.
pub fn host_of(rest: &str) -> &str {
    let authority = rest.split('/').next().unwrap_or("");
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml_text: &str) -> VerifySpec {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn a_validator_places_the_key_exactly_once_over_https() {
        let ok = spec("base_url = \"https://api.example.com\"\npath = \"/v1/me\"\nheaders = { Authorization = \"Bearer {key}\" }");
        assert_eq!(ok.problem(), None);
        let plain = spec(
            "base_url = \"http://api.example.com\"\nheaders = { Authorization = \"Bearer {key}\" }",
        );
        assert!(plain.problem().unwrap().contains("https"));
        let local = spec(
            "base_url = \"http://127.0.0.1:8080\"\nheaders = { Authorization = \"Bearer {key}\" }",
        );
        assert_eq!(local.problem(), None);
        let twice = spec("base_url = \"https://a.example\"\nheaders = { a = \"{key}\" }\nquery = { k = \"{key}\" }");
        assert!(twice.problem().unwrap().contains("exactly one"));
        let nowhere = spec("base_url = \"https://a.example\"");
        assert!(nowhere.problem().unwrap().contains("must appear"));
        let partner = spec("base_url = \"https://a.example\"\nbasic = { user = \"{partner}\", password = \"{key}\" }");
        assert!(partner.problem().unwrap().contains("pair"));
        let none = spec(
            "none = \"posting to a webhook sends a message\"\nbase_url = \"https://a.example\"",
        );
        assert!(none.problem().unwrap().contains("excludes"));
        let m = spec("base_url = \"https://a.example\"\nheaders = { a = \"{key}\" }\nmatch = [{ json = \"ok\", equals = false, means = \"invalid\" }]");
        assert!(m.problem().unwrap().contains("pointer"));
        let pair = |regex: &str| {
            spec(&format!("base_url = \"https://a.example\"\nbasic = {{ user = \"{{partner}}\", password = \"{{key}}\" }}\npair = {{ regex = '{regex}' }}"))
        };
        assert_eq!(pair("id=([0-9a-f]{8})").problem(), None);
        assert!(pair("id=([0-9a-f]{8}")
            .problem()
            .unwrap()
            .contains("pair.regex"));
        // Patterns read bytes: a class a byte can fall outside of is fine.
        assert_eq!(pair("(?-u:[^\\x00])+").problem(), None);
    }

    #[test]
    fn loopback_is_the_only_plain_http() {
        for u in ["http://localhost:1", "http://127.0.0.1", "http://[::1]:9/x"] {
            assert!(check_base_url(u).is_ok(), "{u}");
        }
        for u in [
            "http://10.0.0.1",
            "ftp://x",
            "api.openai.com",
            "https://u:p@h",
            "http://127.0.0.1.evil.example",
        ] {
            assert!(check_base_url(u).is_err(), "{u}");
        }
    }
}
