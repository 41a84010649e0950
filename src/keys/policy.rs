//! Rotation and expiry: when a key in use is due for replacement.
//!
//! A key is due for rotation once it is `rotate_after_days` old (the
//! project's policy, default 90 days), counted from when it was stored, or
//! from its file's last change for a provider's config file. Keys from a flag
//! or the environment have no known age and are never flagged. A key with an
//! expiry date is flagged from [`EXPIRY_WARNING_DAYS`] before that date, and
//! as expired from midnight UTC on it.

use super::{clock, Candidate, Notice};
use jiff::Timestamp;

/// How early an expiry is announced.
pub const EXPIRY_WARNING_DAYS: i64 = 14;

/// What the policy says about the key a provider resolved to.
pub fn check(
    provider: &crate::rules::ProviderSpec,
    key: &Candidate,
    policy_days: u32,
    name_flag: &str,
    now: Timestamp,
) -> Vec<Notice> {
    let rotate_at = provider
        .keys_url
        .clone()
        .unwrap_or_else(|| format!("{}'s dashboard", provider.name));
    let source = key.source.to_string();
    let mut out = Vec::new();
    if let Some(on) = key.expires {
        let ends = clock::start_of(on);
        if now >= ends {
            out.push(Notice::Expired {
                provider: provider.id.clone(),
                source: source.clone(),
                on,
                rotate_at: rotate_at.clone(),
            });
            return out;
        }
        let days_left = (ends.as_second() - now.as_second() + 86_399) / 86_400;
        if days_left <= EXPIRY_WARNING_DAYS {
            out.push(Notice::ExpiresSoon {
                provider: provider.id.clone(),
                source: source.clone(),
                on,
                days_left,
                rotate_at: rotate_at.clone(),
            });
        }
    }
    if let Some(since) = key.since {
        let age = now.as_second() - since.as_second();
        if age >= i64::from(policy_days) * 86_400 {
            out.push(Notice::RotationDue {
                provider: provider.id.clone(),
                source,
                age_days: age / 86_400,
                policy_days,
                rotate_at,
                name_flag: name_flag.to_string(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Source;

    fn provider() -> crate::rules::ProviderSpec {
        crate::rules::ProviderSpec {
            id: "muapi".into(),
            name: "MuAPI".into(),
            keys_url: Some("https://muapi.example/keys".into()),
            ..Default::default()
        }
    }

    fn key(since: &str, expires: Option<&str>) -> Candidate {
        Candidate {
            source: Source::Env("MUAPI_API_KEY".into()),
            key: crate::Secret::new("k"),
            since: Some(since.parse().unwrap()),
            expires: expires.map(|e| e.parse().unwrap()),
        }
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn rotation_is_due_exactly_at_the_policy_age() {
        let k = key("2026-01-01T00:00:00Z", None);
        assert!(check(&provider(), &k, 90, "", at("2026-03-31T23:59:59Z")).is_empty());
        let due = check(&provider(), &k, 90, "", at("2026-04-01T00:00:00Z"));
        assert!(
            matches!(
                &due[..],
                [Notice::RotationDue {
                    age_days: 90,
                    policy_days: 90,
                    ..
                }]
            ),
            "{due:?}"
        );
        assert!(due[0].to_string().contains("https://muapi.example/keys"));
    }

    #[test]
    fn expiry_is_announced_two_weeks_ahead_and_on_the_day() {
        let k = key("2026-03-01T00:00:00Z", Some("2026-04-01"));
        assert!(check(&provider(), &k, 90, "", at("2026-03-17T23:59:59Z")).is_empty());
        let soon = check(&provider(), &k, 90, "", at("2026-03-18T00:00:00Z"));
        assert!(
            matches!(&soon[..], [Notice::ExpiresSoon { days_left: 14, .. }]),
            "{soon:?}"
        );
        let last = check(&provider(), &k, 90, "", at("2026-03-31T23:59:59Z"));
        assert!(
            matches!(&last[..], [Notice::ExpiresSoon { days_left: 1, .. }]),
            "{last:?}"
        );
        let gone = check(&provider(), &k, 90, "", at("2026-04-01T00:00:00Z"));
        assert!(matches!(&gone[..], [Notice::Expired { .. }]), "{gone:?}");
    }
}
