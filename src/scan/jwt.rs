//! JSON Web Tokens signed with a key everyone knows. Anyone can mint such a
//! token, so it grants nothing: it is a documentation example (jwt.io's
//! default token is signed with `your-256-bit-secret`; library READMEs sign
//! with `secret` or whatever placeholder they pass to `encode`).

use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384, Sha512};

use super::{generic::base64_decode, validate::placeholder_reason};

/// HMAC keys that tutorials and library docs sign their example tokens with.
const WELL_KNOWN_KEYS: &[&str] = &[
    "secret",
    "your-256-bit-secret",
    "your-384-bit-secret",
    "your-512-bit-secret",
    "your-secret-key",
    "your_secret_key",
    "secretkey",
    "secret-key",
    "secret_key",
    "mysecret",
    "my-secret",
    "my_secret",
    "mysecretkey",
    "shhhhh",
    "supersecret",
    "changeme",
    "key",
    "test",
];

/// How far around the token (in bytes) to look for the placeholder key it
/// was signed with: a README passes it to `encode` a few lines above.
const KEY_SEARCH_WINDOW: usize = 2048;

/// `Some(why)` when the token is an HMAC-signed JWT whose signature verifies
/// with a well-known key or with a placeholder string quoted near it.
pub fn reject_example_jwt(bytes: &[u8], start: usize, end: usize) -> Option<&'static str> {
    let token = &bytes[start..end];
    let last_dot = token.iter().rposition(|&b| b == b'.')?;
    let (signed, signature) = (&token[..last_dot], &token[last_dot + 1..]);
    let header_end = signed.iter().position(|&b| b == b'.')?;
    let header = base64_decode(&signed[..header_end])?;
    let header: serde_json::Value = serde_json::from_slice(&header).ok()?;
    let alg = header.get("alg")?.as_str()?;
    let signature = base64_decode(signature)?;

    let nearby =
        &bytes[start.saturating_sub(KEY_SEARCH_WINDOW)..(end + KEY_SEARCH_WINDOW).min(bytes.len())];
    let keys = WELL_KNOWN_KEYS
        .iter()
        .map(|k| k.as_bytes())
        .chain(quoted_placeholders(nearby));
    for key in keys {
        if hmac_matches(alg, key, signed, &signature)? {
            return Some("signed with a well-known or placeholder key: an example token");
        }
    }
    None
}

/// `None` for algorithms that are not HMAC (RS256, ES256…: verifying those
/// needs a public key, which says nothing about whether the token is live).
fn hmac_matches(alg: &str, key: &[u8], signed: &[u8], signature: &[u8]) -> Option<bool> {
    fn check<M: Mac + hmac::digest::KeyInit>(key: &[u8], signed: &[u8], signature: &[u8]) -> bool {
        let mut mac = <M as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(signed);
        mac.verify_slice(signature).is_ok()
    }
    Some(match alg {
        "HS256" => check::<Hmac<Sha256>>(key, signed, signature),
        "HS384" => check::<Hmac<Sha384>>(key, signed, signature),
        "HS512" => check::<Hmac<Sha512>>(key, signed, signature),
        _ => return None,
    })
}

/// Quoted strings near the token that are placeholders (`"your-secret-key"`).
fn quoted_placeholders(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|&b| b == b'"' || b == b'\'')
        .skip(1)
        .step_by(2)
        .filter(|s| (1..=64).contains(&s.len()) && placeholder_reason(s).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(alg: &str, key: &[u8], payload: &str) -> String {
        let b64 = |b: &[u8]| {
            const A: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in b.chunks(3) {
                let n =
                    chunk.iter().fold(0u32, |n, &c| n << 8 | c as u32) << (8 * (3 - chunk.len()));
                for i in 0..=chunk.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                }
            }
            out
        };
        let signed = format!(
            "{}.{}",
            b64(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#).as_bytes()),
            b64(payload.as_bytes())
        );
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
        mac.update(signed.as_bytes());
        format!("{signed}.{}", b64(&mac.finalize().into_bytes()))
    }

    fn verdict(text: &str, token: &str) -> Option<&'static str> {
        let start = text.find(token).unwrap();
        reject_example_jwt(text.as_bytes(), start, start + token.len())
    }

    #[test]
    fn tokens_signed_with_known_keys_are_examples() {
        let t = sign("HS256", b"your-256-bit-secret", r#"{"sub":"1234567890"}"#);
        assert!(verdict(&format!("token = \"{t}\""), &t).is_some());
    }

    #[test]
    fn tokens_signed_with_a_nearby_placeholder_are_examples() {
        let t = sign("HS256", b"your-app-signing-key", r#"{"k":"value"}"#);
        let doc =
            format!("key = import_key(\"your-app-signing-key\")\n>>> jwt.encode(...)\n'{t}'\n");
        assert!(verdict(&doc, &t).is_some());
    }

    #[test]
    fn tokens_signed_with_an_unknown_key_stay() {
        let t = sign("HS256", b"Zq7LmX0vTb2YcN4kPw9R", r#"{"sub":"usr-9421"}"#);
        assert_eq!(verdict(&format!("token = \"{t}\""), &t), None);
        // A random key quoted nearby is not a placeholder: the token stays.
        let doc = format!("key = \"Zq7LmX0vTb2YcN4kPw9R\"\ntoken = \"{t}\"");
        assert_eq!(verdict(&doc, &t), None);
    }
}
