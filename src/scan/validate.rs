//! Tests a candidate's secret must pass to become a finding: known
//! placeholders, randomness (Shannon entropy), and checksums.

use crate::rules::{Checksum, Vocabulary};

/// Shannon entropy in bits per character.
pub fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Why a value looks like a placeholder, or `None` when it does not.
/// The markers are the vocabulary's `placeholder_markers`.
pub fn placeholder_reason<'v>(secret: &[u8], vocab: &'v Vocabulary) -> Option<&'v str> {
    if let Some(m) = vocab.placeholder_markers.find(secret) {
        return Some(m);
    }
    if secret.len() >= 6 {
        // One character repeated (`sk-aaaaaaaa…`): the commonest byte fills most of it.
        let mut counts = [0u32; 256];
        for &b in secret {
            counts[b as usize] += 1;
        }
        let max = *counts.iter().max().unwrap_or(&0) as usize;
        if max * 2 > secret.len() {
            return Some("one character repeated");
        }
    }
    if is_hand_typed(secret) {
        return Some("hand-typed runs (123, abc): an example value");
    }
    if is_counting_bytes(secret) {
        return Some("counting bytes (000102…): a test vector's key");
    }
    // `%API_KEY%` (Windows) and `$API_KEY` are references, not values.
    if secret.len() > 2 && secret[0] == b'%' && secret[secret.len() - 1] == b'%' {
        return Some("%VAR% reference");
    }
    None
}

/// Counts maximal runs of three or more consecutive characters (`123`,
/// `6789`, `cde`). People writing an example key type such runs
/// (`a123b45c6d78e9f012…`); random keys almost never hold them: a random
/// 32-character hex string holds two in about 0.4% of cases, a base62 one
/// far less.
fn ascending_runs(s: &[u8]) -> usize {
    let mut runs = 0;
    let mut len = 1;
    for w in s.windows(2) {
        let same_class = (w[0].is_ascii_digit() && w[1].is_ascii_digit())
            || (w[0].is_ascii_lowercase() && w[1].is_ascii_lowercase())
            || (w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase());
        if same_class && w[1] == w[0] + 1 {
            len += 1;
            if len == 3 {
                runs += 1;
            }
        } else {
            len = 1;
        }
    }
    runs
}

/// A long value with an ascending run per 20 characters, and at least two.
fn is_hand_typed(secret: &[u8]) -> bool {
    let runs = ascending_runs(secret);
    secret.len() >= 16 && runs >= 2 && runs * 20 >= secret.len()
}

/// Hex of bytes that count up (`000102030405…`, `f0f1f2…`): the key test
/// vectors use to show a cipher's behaviour, never a generated one.
fn is_counting_bytes(secret: &[u8]) -> bool {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    if secret.len() < 16 || !secret.len().is_multiple_of(2) {
        return false;
    }
    let byte = |p: &[u8]| Some(hex(p[0])? << 4 | hex(p[1])?);
    let mut pairs = secret.chunks(2).map(byte);
    let Some(mut prev) = pairs.next().flatten() else {
        return false;
    };
    pairs.all(|b| {
        let next = b.is_some_and(|b| b == prev.wrapping_add(1));
        prev = prev.wrapping_add(1);
        next
    })
}

/// A PEM block whose body is elided (`...`) or prose (`key omitted`) is
/// documentation. A real key has at least 64 base64 characters (the smallest
/// EC keys have about 160); escaped newlines and string quotes are allowed,
/// since keys are often embedded in code or JSON.
pub fn reject_pem_body(pem: &[u8]) -> Option<&'static str> {
    let body_start = memchr::memmem::find(&pem[5..], b"-----").map_or(0, |i| i + 10);
    let body_end = memchr::memmem::rfind(pem, b"-----END").unwrap_or(pem.len());
    let body = &pem[body_start.min(body_end)..body_end];
    if memchr::memmem::find(body, b"...").is_some()
        || memchr::memmem::find(body, "…".as_bytes()).is_some()
    {
        return Some("elided body");
    }
    let mut b64 = 0;
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'\\' if matches!(body.get(i + 1), Some(b'n' | b'r')) => i += 1,
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => b64 += 1,
            _ => {}
        }
        i += 1;
    }
    let words = body
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| w.len() > 1 && w.iter().all(|b| b.is_ascii_lowercase()))
        .count();
    if b64 < 64 || words >= 3 {
        return Some("no key material in the body");
    }
    None
}

/// A token that is base64 of a JSON object (`eyJ…`, after any prefix)
/// must decode to an object holding each of `fields`: a payload that does
/// not decode, or names other fields, is another product's token with the
/// same opening (a Power BI report link's `{"k":…,"t":…,"c":…}` against a
/// Grafana key's `{"k":…,"n":…,"id":…}`).
pub fn reject_payload(secret: &[u8], fields: &[String]) -> Option<&'static str> {
    let Some(start) = memchr::memmem::find(secret, b"eyJ") else {
        return Some("no base64 JSON payload: not this provider's token");
    };
    let Some(json) = super::generic::base64_decode(&secret[start..]) else {
        return Some("its payload is not base64: not this provider's token");
    };
    match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&json) {
        Ok(object) if fields.iter().all(|f| object.contains_key(f)) => None,
        Ok(_) => Some("its JSON payload lacks the provider's fields: another product's token"),
        Err(_) => Some("its payload is not a JSON object: not this provider's token"),
    }
}

/// Checks the checksum a token carries; `true` when it is valid.
pub fn checksum_ok(kind: Checksum, secret: &[u8]) -> bool {
    match kind {
        Checksum::Crc32Base62 => crc32_base62_ok(secret),
    }
}

/// GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) and npm (`npm_`) tokens end
/// in the base62 CRC32 (IEEE) of the random body, left-padded to 6.
fn crc32_base62_ok(secret: &[u8]) -> bool {
    let Some(us) = memchr::memchr(b'_', secret) else {
        return false;
    };
    let rest = &secret[us + 1..];
    if rest.len() <= 6 {
        return false;
    }
    let (body, check) = rest.split_at(rest.len() - 6);
    base62_6(crc32fast::hash(body)).as_bytes() == check
}

fn base62_6(mut n: u32) -> String {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("ascii")
}

/// Builds a token that passes [`checksum_ok`] from a prefix and a 30-char
/// body; tests and fixtures use it to make valid-looking fakes.
pub fn with_crc32_base62(prefix: &str, body: &str) -> String {
    format!(
        "{prefix}{body}{}",
        base62_6(crc32fast::hash(body.as_bytes()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholder_reason(secret: &[u8]) -> Option<&'static str> {
        super::placeholder_reason(secret, Vocabulary::builtin())
    }

    #[test]
    fn counting_bytes_are_a_test_vector() {
        let vector = b"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
        assert!(placeholder_reason(vector).is_some());
        assert_eq!(
            placeholder_reason(b"3c3d3e3f404142434445464748494a4b"),
            Some("counting bytes (000102…): a test vector's key")
        );
        // Random hex stays.
        assert_eq!(
            placeholder_reason(b"9c41e07b2d8f53a6c1e9047db3f2a85e"),
            None
        );
    }

    #[test]
    fn a_payload_must_name_the_providers_fields() {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let fields = ["k".to_string(), "n".to_string(), "id".to_string()];
        let grafana = b64(r#"{"k":"q7T2mZ9xW4cV8bN1aS6dF3gH0jK5lP2o","n":"deploy","id":3}"#);
        assert_eq!(reject_payload(grafana.as_bytes(), &fields), None);
        // Unpadded, after a prefix, still decodes.
        let prefixed = format!("glc_{}", grafana.trim_end_matches('='));
        assert_eq!(reject_payload(prefixed.as_bytes(), &fields), None);
        let power_bi = b64(
            r#"{"k":"5a0c6e1d-8b2f-4e73-9d41-c6a8f0b3e2d7","t":"72f9e0b1-3c4d-4e5f-8a6b-1c2d3e4f5a6b","c":5}"#,
        );
        assert!(reject_payload(power_bi.as_bytes(), &fields).is_some());
        assert!(reject_payload(b"eyJrIjoiAAAA!!!!", &fields).is_some());
        assert!(reject_payload(b64("[1,2]").as_bytes(), &fields).is_some());
    }

    #[test]
    fn entropy_of_uniform_and_constant() {
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            "your_api_key_here",
            "YOUR_API_KEY",
            "<YOUR_KEY>",
            "${OPENAI_API_KEY}",
            "{{ api_key }}",
            "%API_KEY%",
            "AKIAIOSFODNN7EXAMPLE",
            "sk-xxxxxxxxxxxxxxxx",
            "aaaaaaaaaaaaaaaa",
        ] {
            assert!(placeholder_reason(p.as_bytes()).is_some(), "{p}");
        }
        assert!(placeholder_reason(b"q8Zr2LmX0vTb7YcN4kPw").is_none());
    }

    #[test]
    fn hand_typed_runs_mark_examples() {
        // Runs an example writer types: 123, 012, 789, 234, 1234.
        let typed = b"a123b45c6d78e9f012a34cd5e6a7890b12c3d45e6f78a1b234c56d7e890a1234";
        assert_eq!(ascending_runs(typed), 5);
        assert!(placeholder_reason(typed).is_some());
        assert!(placeholder_reason(b"3f4ca100e2fc675ea123f4eb12c4a012").is_some());
        // One run in a long random-looking value is chance, not typing.
        assert!(placeholder_reason(
            b"f798ab4899346a88599180fee9e14fa1ada7b6df989425b7c6d2146dd6c815bb"
        )
        .is_none());
        assert!(placeholder_reason(b"9c4e1f0a7b3d2e8f5a6c9b0d1e4f7a2c").is_none());
    }

    #[test]
    fn crc32_checksum_round_trips() {
        let t = with_crc32_base62("ghp_", "Zq3V9kLmNbX2cR7tYp4WsD8fGh1JkQ");
        assert_eq!(t.len(), 40);
        assert!(checksum_ok(Checksum::Crc32Base62, t.as_bytes()));
        let mut bad = t.into_bytes();
        bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
        assert!(!checksum_ok(Checksum::Crc32Base62, &bad));
    }
}
