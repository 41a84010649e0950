//! What a provider said about a key (`--verify`, `keylint key check`): a
//! finding carries it, reports show it, the verifier produces it.

use serde::{Deserialize, Serialize};

/// What the provider said about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Live,
    LiveNoCredits,
    LiveRestricted,
    Invalid,
    RateLimited,
    Unknown,
    NotChecked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::LiveNoCredits => "live-no-credits",
            Status::LiveRestricted => "live-restricted",
            Status::Invalid => "invalid",
            Status::RateLimited => "rate-limited",
            Status::Unknown => "unknown",
            Status::NotChecked => "not-checked",
        }
    }

    /// One plain sentence for a person.
    pub fn sentence(self) -> &'static str {
        match self {
            Status::Live => "the provider accepted this key: it works, revoke it now",
            Status::LiveNoCredits => "the key is valid but its account is out of credits: it works again once someone tops up, revoke it",
            Status::LiveRestricted => "the key is valid but lacks the plan or scope for the check: it still works, revoke it",
            Status::Invalid => "the provider rejected this key: it is revoked or was never valid",
            Status::RateLimited => "the provider kept answering \"rate limited\": try again later",
            Status::Unknown => "the check gave no answer keylint recognises",
            Status::NotChecked => "not checked",
        }
    }

    /// The key works (whatever it may do with it): what `--only-live` and
    /// `--fail-on live` look for.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Status::Live | Status::LiveNoCredits | Status::LiveRestricted
        )
    }
}

/// The outcome of checking one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    pub status: Status,
    /// The provider's HTTP status, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// RFC 3339, when a request was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
    /// Why, in a few words (never the key).
    pub detail: String,
}

impl Validation {
    pub fn not_checked(detail: impl Into<String>) -> Self {
        Validation {
            status: Status::NotChecked,
            http_status: None,
            checked_at: None,
            detail: detail.into(),
        }
    }
    pub(crate) fn unknown(detail: impl Into<String>) -> Self {
        Validation {
            status: Status::Unknown,
            http_status: None,
            checked_at: Some(now()),
            detail: detail.into(),
        }
    }
}

pub(crate) fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .to_string()
}
