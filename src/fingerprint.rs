//! Fingerprints: a finding's stable identity in baselines, `.keylintignore`,
//! SARIF and the human report — the same on every machine and every run,
//! so they can be committed and shared, and independent of line numbers,
//! so they survive lines moving.
//!
//! A fingerprint is computed from the secret, so anyone holding one can
//! test guesses against it. Version 1 was a plain SHA-256 of rule, path and
//! secret: a weak password was recovered from a committed baseline with a
//! four-word list. Version 2 makes each guess cost real work where guessing
//! could succeed:
//! - the secret is first stretched with PBKDF2-HMAC-SHA256, salted with the
//!   rule id, at [`STRETCH_ITERATIONS`] rounds (about 2 ms) when it is weak
//!   enough to guess ([`strength_bits`] under [`STRONG_BITS`]: passwords,
//!   short tokens), and at one round when it is not (a random 40-character
//!   provider key has over 200 bits: no guess list reaches it, and stretching
//!   hundreds of them would only slow the scan);
//! - the fingerprint is an HMAC of the rule and path under that key.
//!
//! So a dictionary of 10^9 candidate passwords costs an attacker about
//! 2·10^6 CPU-seconds (23 CPU-days) per fingerprint, and tables computed once cannot be
//! reused across rules or paths. A weak password stays a weak password —
//! a short guess list still finds it, at 2 ms a guess — which is why
//! keylint reports it: the fix is to remove and change it, not to hide its
//! hash. No salt is kept outside the repository, because a baseline must
//! match on every clone and in CI.
//!
//! Version-1 fingerprints in old baselines and `.keylintignore` files still
//! match (see [`Fingerprint::legacy_v1`]), with a warning to rewrite them.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::sync::{LazyLock, Mutex};

/// PBKDF2 rounds for a secret weak enough to guess.
pub const STRETCH_ITERATIONS: u32 = 20_000;

/// Estimated strength at and above which a secret is not stretched.
pub const STRONG_BITS: f64 = 80.0;

/// A finding's identity: 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Fingerprint(pub String);

impl Fingerprint {
    /// The version-2 fingerprint of `secret` found by `rule_id` at `path`.
    pub fn new(rule_id: &str, path: &str, secret: &str) -> Self {
        Fingerprint(hex(&mac(
            &stretched(rule_id, secret),
            &[b"location", rule_id.as_bytes(), path.as_bytes()],
        )))
    }

    /// A fingerprint of the secret alone, the same wherever it appears
    /// (SARIF's `keylint/secretHash/v2`, which matches alerts across paths).
    pub fn of_secret(rule_id: &str, secret: &str) -> Self {
        Fingerprint(hex(&mac(
            &stretched(rule_id, secret),
            &[b"secret", rule_id.as_bytes()],
        )))
    }

    /// The version-1 fingerprint (unsalted SHA-256 of rule, path and
    /// secret), to keep matching baselines written before version 2.
    pub fn legacy_v1(rule_id: &str, path: &str, secret: &str) -> Self {
        let mut h = Sha256::new();
        h.update(rule_id.as_bytes());
        h.update([0]);
        h.update(path.as_bytes());
        h.update([0]);
        h.update(secret.as_bytes());
        Fingerprint(hex(&h.finalize()))
    }

    pub fn short(&self) -> &str {
        &self.0[..12.min(self.0.len())]
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Bits a guesser must cover: length times the log of the alphabet the
/// secret draws from (lowercase, uppercase, digits, others). Generous to
/// the secret (`Password1` scores 53), which only makes more secrets get
/// stretched.
pub fn strength_bits(secret: &str) -> f64 {
    let (mut lower, mut upper, mut digit, mut other) = (false, false, false, false);
    for c in secret.chars() {
        match c {
            'a'..='z' => lower = true,
            'A'..='Z' => upper = true,
            '0'..='9' => digit = true,
            _ => other = true,
        }
    }
    let pool = [(lower, 26), (upper, 26), (digit, 10), (other, 33)]
        .iter()
        .filter(|(present, _)| *present)
        .map(|(_, n)| n)
        .sum::<u32>()
        .max(1);
    secret.chars().count() as f64 * f64::from(pool).log2()
}

/// The key a secret's fingerprints are made under. Stretched keys are
/// kept for the run, so a secret met again (another path, another version
/// in history) costs one stretch.
fn stretched(rule_id: &str, secret: &str) -> [u8; 32] {
    static CACHE: LazyLock<Mutex<HashMap<[u8; 32], [u8; 32]>>> = LazyLock::new(Default::default);
    let salt = [b"keylint-fingerprint-v2\0", rule_id.as_bytes()].concat();
    let rounds = if strength_bits(secret) >= STRONG_BITS {
        1
    } else {
        STRETCH_ITERATIONS
    };
    if rounds == 1 {
        return pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(secret.as_bytes(), &salt, 1);
    }
    // The cache is keyed by a hash of salt and secret, in memory only.
    let id: [u8; 32] = Sha256::new()
        .chain_update(&salt)
        .chain_update([0])
        .chain_update(secret.as_bytes())
        .finalize()
        .into();
    if let Some(key) = CACHE.lock().ok().and_then(|c| c.get(&id).copied()) {
        return key;
    }
    let key = pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(secret.as_bytes(), &salt, rounds);
    if let Ok(mut c) = CACHE.lock() {
        c.insert(id, key);
    }
    key
}

fn mac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    for p in parts {
        m.update(&(p.len() as u64).to_be_bytes());
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_lines_but_not_rule_path_or_secret() {
        let a = Fingerprint::new("r", "a.py", "hunter2x");
        assert_eq!(a, Fingerprint::new("r", "a.py", "hunter2x"));
        assert_ne!(a, Fingerprint::new("r", "a.py", "hunter3x"));
        assert_ne!(a, Fingerprint::new("r", "b.py", "hunter2x"));
        assert_ne!(a, Fingerprint::new("q", "a.py", "hunter2x"));
        assert_eq!(a.0.len(), 64);
        assert_ne!(a, Fingerprint::legacy_v1("r", "a.py", "hunter2x"));
    }

    /// Pinned values, computed independently (Python's hashlib and hmac):
    /// a change of algorithm would silently orphan every committed
    /// baseline, so it must show up as a test failure.
    #[test]
    fn fingerprints_match_independently_computed_values() {
        assert_eq!(
            Fingerprint::legacy_v1("generic-password", "app.py", "hunter2").0,
            "4ce702f2d725c4421c5cbefc2f8256df608ac68bb21aadc879f2db671d75b49d"
        );
        assert_eq!(
            Fingerprint::new("generic-password", "app.py", "hunter2").0,
            "fecb89739dbfd4e6aa610e2f1ee6b50563d5b681c663c6c70526e08e86b4acdc"
        );
        assert_eq!(
            Fingerprint::of_secret("generic-password", "hunter2").0,
            "216c87f5d106da1d9d27380829ff1725b8b3890919aa979454d7341fec835237"
        );
        assert_eq!(
            Fingerprint::new(
                "openai-api-key",
                ".env",
                "sk-proj-Zq8vNw3kLxP2mR7tY4cB9dF1gH6jS0aE"
            )
            .0,
            "d4c3333aa5078e7658cfffb8cd3208b1ac29cb2f4dada0560f1d8273f74220f7"
        );
    }

    #[test]
    fn weak_secrets_are_stretched_strong_ones_are_not() {
        assert!(strength_bits("hunter2") < STRONG_BITS);
        assert!(strength_bits("Password1!") < STRONG_BITS);
        assert!(strength_bits("sk-proj-Zq8vNw3kLxP2mR7tY4cB9dF1gH6jS0aE") >= STRONG_BITS);
        // A weak secret's fingerprint is not a fast hash of it: the v2
        // value differs from what one round would give.
        let salt = [b"keylint-fingerprint-v2\0".as_slice(), b"r"].concat();
        let fast = pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(b"hunter2", &salt, 1);
        assert_ne!(stretched("r", "hunter2"), fast);
        let strong = "sk-proj-Zq8vNw3kLxP2mR7tY4cB9dF1gH6jS0aE";
        let one = pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(strong.as_bytes(), &salt, 1);
        assert_eq!(stretched("r", strong), one);
    }
}
