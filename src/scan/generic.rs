//! Heuristics for values that no provider shape vouches for: the right-hand
//! side of `password = …`, a token in a header, a URL's password. The regex
//! found an assignment to a secret-sounding name; this decides whether the
//! value is a credential or code, a reference, a path or prose.

use super::validate::{placeholder_reason, shannon_entropy};

/// Why a generic value is not a secret, or `None` when it looks like one.
pub fn reject_value(value: &[u8]) -> Option<&'static str> {
    if value.len() < 6 {
        return Some("too short");
    }
    if let Some(why) = placeholder_reason(value) {
        return Some(why);
    }
    let lower = value.to_ascii_lowercase();
    const REFERENCES: &[&str] = &[
        "os.environ",
        "os.getenv",
        "process.env",
        "getenv(",
        "env(",
        "env.",
        "environ",
        "secrets.",
        "vault:",
        "ssm:",
        "arn:aws",
        "function",
        "lambda",
        "null",
        "none",
        "undefined",
        "true",
        "false",
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "://",
    ];
    for r in REFERENCES {
        if memchr::memmem::find(&lower, r.as_bytes()).is_some() {
            return Some("a reference or keyword, not a value");
        }
    }
    if value.iter().any(|b| b.is_ascii_whitespace()) {
        return Some("contains whitespace: prose or code");
    }
    if value.starts_with(b"/") || value.starts_with(b"./") || value.starts_with(b"~/") {
        return Some("a path");
    }
    if value.contains(&b'(') || value.contains(&b')') {
        return Some("a call");
    }
    let letters = value.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let digits = value.iter().filter(|b| b.is_ascii_digit()).count();
    if letters == 0 {
        return Some("no letters: a number");
    }
    if digits == 0
        && value
            .iter()
            .all(|b| b.is_ascii_alphabetic() || *b == b'_' || *b == b'-' || *b == b'.')
    {
        return Some("a word or identifier");
    }
    if shannon_entropy(value) < 2.5 {
        return Some("low entropy");
    }
    None
}
