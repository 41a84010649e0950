//! The resolver's one clock. Key ages, rotation policies and expiry all read
//! "now" through [`now`], so a test can set `KEYLINT_NOW` and land exactly on
//! a policy's boundary; library code takes the time as a parameter instead.

use super::{EnvLookup, KeyError};
use jiff::Timestamp;

/// Overrides the clock: an RFC 3339 time (`2026-04-01T00:00:00Z`) or a date
/// (`2026-04-01`, midnight UTC). For tests; nothing else should set it.
pub const NOW_VAR: &str = "KEYLINT_NOW";

/// The current time to the second, or `KEYLINT_NOW` when set.
pub fn now(env: EnvLookup) -> Result<Timestamp, KeyError> {
    let t = match env(NOW_VAR).filter(|v| !v.trim().is_empty()) {
        Some(v) => parse_instant(v.trim()).ok_or(KeyError::BadTime {
            what: NOW_VAR.into(),
            value: v,
        })?,
        None => Timestamp::now(),
    };
    // Whole seconds: the store records times people read.
    Ok(Timestamp::from_second(t.as_second()).unwrap_or(t))
}

/// An RFC 3339 timestamp, or a bare date taken as midnight UTC.
pub fn parse_instant(s: &str) -> Option<Timestamp> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    let date: jiff::civil::Date = s.parse().ok()?;
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// Midnight UTC at the start of `date`: when a key that expires that day
/// stops working.
pub fn start_of(date: jiff::civil::Date) -> Timestamp {
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX)
}

/// `2026-04-01`, the UTC date of a time, for messages.
pub fn date_of(t: Timestamp) -> jiff::civil::Date {
    t.to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// Whole days from `from` to `to` (0 when `to` is earlier).
pub fn days_between(from: Timestamp, to: Timestamp) -> i64 {
    (to.as_second() - from.as_second()).max(0) / 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_reads_the_override_and_rejects_garbage() {
        let env = |k: &str| (k == NOW_VAR).then(|| "2026-04-01".to_string());
        assert_eq!(
            now(&env).unwrap(),
            "2026-04-01T00:00:00Z".parse::<Timestamp>().unwrap()
        );
        let env = |k: &str| (k == NOW_VAR).then(|| "2026-04-01T12:30:00Z".to_string());
        assert_eq!(now(&env).unwrap().as_second() % 86_400, 45_000);
        let env = |k: &str| (k == NOW_VAR).then(|| "next tuesday".to_string());
        assert!(now(&env).unwrap_err().to_string().contains(NOW_VAR));
    }

    #[test]
    fn days_between_counts_whole_days() {
        let a = parse_instant("2026-01-01").unwrap();
        let b = parse_instant("2026-04-01").unwrap();
        assert_eq!(days_between(a, b), 90);
        assert_eq!(days_between(b, a), 0);
        assert_eq!(days_between(a, "2026-03-31T23:59:59Z".parse().unwrap()), 89);
    }
}
