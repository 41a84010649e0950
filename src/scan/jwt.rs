//! JSON Web Tokens signed with a key everyone knows. Anyone can mint such a
//! token, so it grants nothing: it is a documentation example (jwt.io's
//! default token is signed with `your-256-bit-secret`; library READMEs sign
//! with `secret` or whatever placeholder they pass to `encode`).

use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384, Sha512};

use super::{generic::base64_decode, validate::placeholder_reason};
use crate::rules::{ValidatorParams, Vocabulary};

/// `Some(why)` when the token is an HMAC-signed JWT whose signature verifies
/// with a well-known key (the vocabulary's `well_known_jwt_keys`) or with a
/// placeholder string quoted near it (within the rule's `jwt_key_window`:
/// a README passes the key to `encode` a few lines above).
pub fn reject_example_jwt(
    bytes: &[u8],
    start: usize,
    end: usize,
    vocab: &Vocabulary,
    params: &ValidatorParams,
) -> Option<&'static str> {
    let token = &bytes[start..end];
    let last_dot = token.iter().rposition(|&b| b == b'.')?;
    let (signed, signature) = (&token[..last_dot], &token[last_dot + 1..]);
    let header_end = signed.iter().position(|&b| b == b'.')?;
    let header = base64_decode(&signed[..header_end])?;
    let header: serde_json::Value = serde_json::from_slice(&header).ok()?;
    let alg = header.get("alg")?.as_str()?;
    let signature = base64_decode(signature)?;

    let window = params.jwt_key_window;
    let nearby = &bytes[start.saturating_sub(window)..(end + window).min(bytes.len())];
    let keys = vocab
        .well_known_jwt_keys
        .iter()
        .map(|k| k.as_bytes())
        .chain(quoted_placeholders(nearby, vocab));
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
fn quoted_placeholders<'a>(
    text: &'a [u8],
    vocab: &'a Vocabulary,
) -> impl Iterator<Item = &'a [u8]> {
    text.split(|&b| b == b'"' || b == b'\'')
        .skip(1)
        .step_by(2)
        .filter(|s| (1..=64).contains(&s.len()) && placeholder_reason(s, vocab).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(alg: &str, key: &[u8], payload: &str) -> String {
        use base64::Engine;
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
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
        reject_example_jwt(
            text.as_bytes(),
            start,
            start + token.len(),
            Vocabulary::builtin(),
            &ValidatorParams::default(),
        )
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
