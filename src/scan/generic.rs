//! Heuristics for values no provider shape vouches for: the right-hand side
//! of `password = …`, a token in a header, a URL's password. The rule's regex
//! found an assignment to a secret-sounding name; this decides whether the
//! *name* really names a credential and whether the *value* is one, rather
//! than code, a reference to the environment, a path, prose or a stock word.
//!
//! The classes it rejects were read off labelled real-world data: references
//! (`cfg.Redis.Password`, `$password`, `process.env.X`), identifiers
//! (`newPassword`, `MAILER_PASSWORD`), error constants
//! (`STATUS_PWD_TOO_LONG = 0xC000027A`), messages (`'Invalid Password'`),
//! stock test words (`secret`, `pass`, `foo`), hashes named as such.

use super::validate::{placeholder_reason, shannon_entropy};
use super::Candidate;

/// What the name of an assignment says the value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Password,
    /// Tokens, secrets, API keys, credentials.
    Secret,
}

/// An assignment candidate, seen with its surroundings.
pub struct Assignment<'a> {
    pub path: &'a str,
    pub name: &'a [u8],
    pub value: &'a [u8],
    /// The byte just before the value, if it is a quote.
    pub quote: Option<u8>,
    /// The name follows `::` (`AWS::ApiGateway::ApiKey`): a type path used
    /// as a label, not a variable holding a secret.
    pub namespaced: bool,
}

impl<'a> Assignment<'a> {
    pub fn new(path: &'a str, bytes: &'a [u8], c: &Candidate) -> Self {
        let quote = c
            .start
            .checked_sub(1)
            .map(|i| bytes[i])
            .filter(|b| matches!(b, b'"' | b'\'' | b'`'));
        let namespaced = c
            .name
            .is_some_and(|(s, _)| s >= 2 && &bytes[s - 2..s] == b"::");
        Assignment {
            path,
            name: c.name.map_or(&[][..], |(s, e)| &bytes[s..e]),
            value: &bytes[c.start..c.end],
            quote,
            namespaced,
        }
    }
}

/// Splits an identifier into lowercase words: `clientSecret`, `DB_PASSWORD`,
/// `passwordMock.password`, `ses_smtp_password_v4`.
pub fn name_words(name: &[u8]) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev: Option<u8> = None;
    for &b in name {
        if !b.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev = None;
            continue;
        }
        if let Some(p) = prev {
            let camel = p.is_ascii_lowercase() && b.is_ascii_uppercase();
            let digit_edge = p.is_ascii_digit() != b.is_ascii_digit();
            if (camel || digit_edge) && !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.push(b.to_ascii_lowercase() as char);
        prev = Some(b);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

const PASSWORD_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "passw",
    "pword",
];
const SECRET_WORDS: &[&str] = &[
    "secret",
    "token",
    "apikey",
    "credential",
    "credentials",
    "creds",
    "nkey",
    "seed",
];
/// Words that, just before `token`, name a token that grants nothing:
/// pagination cursors, idempotency and change tokens, parser tokens.
const NON_CREDENTIAL_TOKENS: &[&str] = &[
    "next",
    "page",
    "paging",
    "pagination",
    "continuation",
    "idempotency",
    "request",
    "change",
    "lock",
    "purchase",
    "sequence",
    "forward",
    "backward",
    "marker",
    "cursor",
    "sync",
    "input",
    "output",
    "resume",
    "start",
    "end",
    "update",
    "action",
    "cancel",
    "csrf",
    "xsrf",
    "parse",
    "lexer",
    "current",
    "last",
    "first",
    "prev",
    "previous",
    "verification",
    "err",
    "error",
];

/// Words that, just before `key`, make it a credential (`api_key`,
/// `cookieValidationKey`) rather than a lookup key (`sort_key`, `cache_key`).
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "secret",
    "private",
    "access",
    "encryption",
    "encrypt",
    "signing",
    "sign",
    "auth",
    "client",
    "master",
    "app",
    "consumer",
    "validation",
    "hmac",
    "session",
    "webhook",
    "license",
    "service",
    "account",
    "shared",
    "crypt",
    "cipher",
    "aes",
    "jwt",
    "subscription",
    "storage",
    "admin",
    "live",
    "secure",
    "security",
    "root",
    "server",
    "user",
    "dev",
    "prod",
    "test",
];
/// Suffixes compounds end in: `dbpassword`, `authtoken`, `appsecret`.
const COMPOUND_SUFFIXES: &[(&str, NameKind)] = &[
    ("password", NameKind::Password),
    ("passwd", NameKind::Password),
    ("token", NameKind::Secret),
    ("secret", NameKind::Secret),
    ("apikey", NameKind::Secret),
    ("secretkey", NameKind::Secret),
    ("accesskey", NameKind::Secret),
    ("privatekey", NameKind::Secret),
];

/// What the last meaningful word of a name says; `None` when the name does
/// not name a credential (`bypassPolicy`, `password_hash`, `token_url`,
/// `STATUS_PWD_TOO_LONG`).
pub fn name_kind(name: &[u8]) -> Option<NameKind> {
    let words = name_words(name);
    // Skip trailing version or index words: `password_v4`, `token2`.
    let mut end = words.len();
    while end > 0 {
        let w = &words[end - 1];
        let versionish =
            w.bytes().all(|b| b.is_ascii_digit()) || (w.len() <= 3 && w.starts_with('v'));
        if versionish && end > 1 {
            end -= 1;
        } else {
            break;
        }
    }
    let last = words.get(end.checked_sub(1)?)?.as_str();
    if PASSWORD_WORDS.contains(&last) {
        return Some(NameKind::Password);
    }
    if SECRET_WORDS.contains(&last) {
        let before = end.checked_sub(2).map(|i| words[i].as_str());
        if last == "token" && before.is_some_and(|w| NON_CREDENTIAL_TOKENS.contains(&w)) {
            return None;
        }
        return Some(NameKind::Secret);
    }
    if last == "key" {
        let before = end.checked_sub(2).map(|i| words[i].as_str());
        return before
            .filter(|w| KEY_QUALIFIERS.contains(w) || w.ends_with("api") || w.ends_with("secret"))
            .map(|_| NameKind::Secret);
    }
    COMPOUND_SUFFIXES
        .iter()
        .find(|(suffix, _)| last.len() > suffix.len() && last.ends_with(suffix))
        .map(|&(_, kind)| kind)
}

/// The most frequent letter pairs of English prose (those covering 90% of
/// pairs in the Python documentation's text). Random strings use them far
/// less often than words do: a random 10-letter string has a median share of
/// 0.22 and exceeds 0.55 in under 3% of cases; English words score 0.65-1.0.
const COMMON_BIGRAMS: &[u8] = b"abacaialamanarasataubebjblbucacechciclcoctcudedieaecedeeefelemenepeqeresetevexeyfifofugeguhahehihoiaibicidieifigiliminioirisitivjekelalelilllolsltlulymamemompnancndnengninonsntobocodolomonoporosotouowpapeplpoppprptqurardrergrirmrnrorrrsrtryseshsisospssstsutatethtitotrtstttutyueuiulumunupurusutvavewhwixcxpyp";

const fn bigram_table() -> [u32; 26] {
    let mut table = [0u32; 26];
    let mut i = 0;
    while i + 1 < COMMON_BIGRAMS.len() {
        let a = (COMMON_BIGRAMS[i] - b'a') as usize;
        let b = COMMON_BIGRAMS[i + 1] - b'a';
        table[a] |= 1 << b;
        i += 2;
    }
    table
}
static BIGRAMS: [u32; 26] = bigram_table();

/// Share of a letters-only value's adjacent pairs that are common in English.
pub fn english_bigram_share(v: &[u8]) -> f64 {
    let pairs = v.len().saturating_sub(1);
    if pairs == 0 || !v.iter().all(|b| b.is_ascii_alphabetic()) {
        return 0.0;
    }
    let common = v
        .windows(2)
        .filter(|w| {
            let (a, b) = (
                w[0].to_ascii_lowercase() - b'a',
                w[1].to_ascii_lowercase() - b'a',
            );
            BIGRAMS[a as usize] & (1 << b) != 0
        })
        .count();
    common as f64 / pairs as f64
}

/// Values people put in examples and tests; never a real credential.
const STOCK_VALUES: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "pa55word",
    "secret",
    "s3cr3t",
    "secrets",
    "topsecret",
    "top_secret",
    "mysecret",
    "my_secret",
    "mypassword",
    "my_password",
    "token",
    "mytoken",
    "apikey",
    "api_key",
    "key",
    "test",
    "testing",
    "tester",
    "testpass",
    "testpassword",
    "test123",
    "admin",
    "admin123",
    "administrator",
    "root",
    "toor",
    "user",
    "username",
    "guest",
    "foo",
    "bar",
    "baz",
    "qux",
    "foobar",
    "foobarbaz",
    "demo",
    "example",
    "sample",
    "changeme",
    "changeit",
    "default",
    "letmein",
    "qwerty",
    "hello",
    "helloworld",
    "world",
    "value",
    "string",
    "none",
    "null",
    "nil",
    "empty",
    "dummy",
    "fake",
    "mock",
    "temp",
    "tmp",
    "local",
    "localhost",
    "dev",
    "prod",
    "abc",
    "abc123",
    "xyz",
    "pw",
    "password1",
    "password123",
    "pass123",
    "pass1234",
    "secret123",
    "hunter2",
    "welcome",
    "invalid",
    "wrong",
    "incorrect",
    "bad",
    "correct",
    "valid",
    "required",
    "optional",
    "hidden",
    "private",
    "public",
    "redacted",
    "masked",
    "unknown",
    "undefined",
    "nothing",
    "anything",
    "whatever",
    "something",
    "bearer",
    "basic",
    "digest",
    "oauth",
    "oauth2",
    "jwt",
    "auth",
    "login",
    "logout",
    "signin",
    "signup",
    "enabled",
    "disabled",
    "yes",
    "no",
    "on",
    "off",
    "true",
    "false",
];

const CODE_EXTENSIONS: &[&str] = &[
    "go", "js", "mjs", "cjs", "jsx", "ts", "tsx", "py", "pyi", "java", "kt", "kts", "scala", "sc",
    "c", "h", "cc", "cpp", "hpp", "cs", "rb", "php", "rs", "swift", "m", "mm", "hs", "lua", "pl",
    "pm", "groovy", "gradle", "dart", "ex", "exs", "erl", "clj", "fs", "vb", "r", "jl", "sbt",
];

fn extension(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.rsplit_once('.').map_or("", |(_, e)| e)
}

/// Why an assignment is not a credential, or `None` when it looks like one.
pub fn reject_assignment(a: &Assignment) -> Option<&'static str> {
    let Some(kind) = name_kind(a.name) else {
        return Some("the name does not name a credential");
    };
    if a.namespaced {
        return Some("a `::`-qualified type name, not a variable");
    }
    let v = a.value;
    let min_len = match kind {
        NameKind::Password => 4,
        NameKind::Secret => 6,
    };
    if v.len() < min_len {
        return Some("too short");
    }
    if let Some(why) = reject_common(v) {
        return Some(why);
    }
    let lower = v.to_ascii_lowercase();
    let lower_str = std::str::from_utf8(&lower).unwrap_or("");
    if STOCK_VALUES.contains(&lower_str) {
        return Some("a stock example value");
    }
    // `password: password`, `token = authToken`: the value repeats the name.
    let words = name_words(a.name);
    if words
        .iter()
        .any(|w| w.len() >= 3 && lower_str.contains(w.as_str()))
    {
        return Some("the value repeats the name");
    }
    if looks_like_identifier(v) {
        return Some("an identifier");
    }
    if v.iter().all(|b| b.is_ascii_alphabetic()) && english_bigram_share(v) >= 0.6 {
        return Some("an English word");
    }
    if a.quote.is_none() {
        // Unquoted in code is an expression (`cfg.Password = pass`); in
        // config files (.env, YAML, .properties) it is a literal.
        if v.iter()
            .any(|b| matches!(b, b'.' | b'(' | b'[' | b'{' | b'$' | b'&' | b'|' | b'?'))
        {
            return Some("an expression");
        }
        if CODE_EXTENSIONS.contains(&extension(a.path)) && !has_letters_and_digits(v) {
            return Some("an unquoted word in code");
        }
    }
    if kind == NameKind::Secret {
        if is_hash_like_name(&words) {
            return Some("a hash or digest, not a secret");
        }
        if shannon_entropy(v) < 2.5 {
            return Some("low entropy");
        }
    }
    None
}

/// Checks every generic value shares: placeholders, references, paths, numbers.
fn reject_common(v: &[u8]) -> Option<&'static str> {
    if placeholder_reason(v).is_some() {
        return Some("a placeholder");
    }
    let lower = v.to_ascii_lowercase();
    const REFERENCES: &[&str] = &[
        "os.environ",
        "os.getenv",
        "process.env",
        "getenv",
        "env[",
        "env.",
        "environ",
        "secrets.",
        "vault:",
        "ssm:",
        "arn:aws",
        "function",
        "lambda",
        "=>",
        "://",
        "\\n",
        "\\t",
        "%s",
        "%d",
        "%v",
        "{0}",
        "{}",
    ];
    if REFERENCES
        .iter()
        .any(|r| memchr::memmem::find(&lower, r.as_bytes()).is_some())
    {
        return Some("a reference or format string, not a value");
    }
    if matches!(v[0], b'$' | b'%' | b'#' | b'@' | b'&' | b'*')
        && v.len() > 1
        && v[1].is_ascii_alphabetic()
    {
        return Some("a variable or reference");
    }
    if v.starts_with(b"/") || v.starts_with(b"./") || v.starts_with(b"~/") || v.starts_with(b"../")
    {
        return Some("a path");
    }
    if v.starts_with(b"0x") || v.starts_with(b"0X") {
        return Some("a number");
    }
    if is_uuid(v) {
        return Some("a UUID: an identifier, not a secret");
    }
    if let Some(open) = memchr::memchr(b'{', v) {
        if memchr::memchr(b'}', &v[open..]).is_some() {
            return Some("a template");
        }
    }
    // `no-password-required`, `badpass`, `secret_token_here`, `geheim$parole`:
    // built from the credential word itself (in English or another language),
    // so a description or a stock test value.
    const CREDENTIAL_WORDS: &[&str] = &[
        "pass",
        "pwd",
        "secret",
        "token",
        "credential", // English
        "geheim",     // German: secret (passwort has `pass`)
        "parol",      // French, Romanian, Russian: parole, parola, parol'
        "senha",      // Portuguese
        "contrase",   // Spanish: contraseña
        "segreto",    // Italian
        "haslo",      // Polish: hasło
        "wachtwoord", // Dutch
        "losenord",   // Swedish: lösenord
        "salasana",   // Finnish
    ];
    let plain = unleet(&lower);
    if CREDENTIAL_WORDS
        .iter()
        .any(|w| memchr::memmem::find(&plain, w.as_bytes()).is_some())
    {
        return Some("contains a credential word: a description or stock value");
    }
    if !v.iter().any(|b| b.is_ascii_alphabetic()) && v.len() < 10 {
        return Some("a number");
    }
    if lower.ends_with(b".json")
        || lower.ends_with(b".pem")
        || lower.ends_with(b".key")
        || lower.ends_with(b".txt")
        || lower.ends_with(b".yaml")
        || lower.ends_with(b".yml")
    {
        return Some("a file name");
    }
    None
}

/// Undoes the letter swaps of "secure-looking" stock values: `p@ssw0rd`,
/// `s3cr3t`, `pa$$word`.
fn unleet(lower: &[u8]) -> Vec<u8> {
    lower
        .iter()
        .map(|&b| match b {
            b'@' | b'4' => b'a',
            b'0' => b'o',
            b'1' | b'!' => b'i',
            b'3' => b'e',
            b'$' | b'5' => b's',
            b'7' => b't',
            _ => b,
        })
        .collect()
}

/// A file that uses AWS's reserved example credentials (`AKIAIOSFODNN7EXAMPLE`,
/// `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`, `…0EXAMPLE` ids) is
/// documentation: its other hard-coded values are examples too. Only
/// low- and medium-confidence findings defer to this.
pub fn is_example_document(bytes: &[u8]) -> bool {
    let mut at = 0;
    while let Some(i) = memchr::memmem::find(&bytes[at..], b"EXAMPLE") {
        let pos = at + i;
        let before = bytes[..pos]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            .count();
        if before >= 8 || bytes[pos + 7..].starts_with(b"KEY") {
            return true;
        }
        at = pos + 7;
    }
    false
}

/// `8-4-4-4-12` hex.
fn is_uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn has_letters_and_digits(v: &[u8]) -> bool {
    v.iter().any(|b| b.is_ascii_alphabetic()) && v.iter().any(|b| b.is_ascii_digit())
}

/// `newPassword`, `SomeValue`, `MAILER_PASSWORD`, `my_var_name`: words joined
/// the way code names things. Random strings rarely alternate case so neatly.
fn looks_like_identifier(v: &[u8]) -> bool {
    if !v[0].is_ascii_alphabetic() || !v.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_') {
        return false;
    }
    let digits = v.iter().filter(|b| b.is_ascii_digit()).count();
    if digits > 0 {
        return false;
    }
    let has_underscore = v.contains(&b'_');
    let all_upper = v.iter().all(|b| !b.is_ascii_lowercase());
    let all_lower = v.iter().all(|b| !b.is_ascii_uppercase());
    if has_underscore && (all_upper || all_lower) {
        // snake_case / UPPER_SNAKE with real segments.
        return v.split(|&b| b == b'_').all(|s| s.len() >= 2);
    }
    // camelCase / PascalCase: each capital starts a run of 2+ lowercase.
    let caps = v.iter().filter(|b| b.is_ascii_uppercase()).count();
    if caps == 0 || all_upper {
        return false;
    }
    let mut i = 1;
    while i < v.len() {
        if v[i].is_ascii_uppercase() {
            let run = v[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_lowercase())
                .count();
            if run < 2 {
                return false;
            }
            i += run;
        }
        i += 1;
    }
    true
}

fn is_hash_like_name(words: &[String]) -> bool {
    words.iter().any(|w| {
        matches!(
            w.as_str(),
            "hash"
                | "sha"
                | "sha1"
                | "sha256"
                | "sha512"
                | "md5"
                | "digest"
                | "checksum"
                | "integrity"
                | "fingerprint"
        )
    })
}

/// A URL's password: not a placeholder, an interpolation or a stock word.
pub fn reject_url_password(v: &[u8]) -> Option<&'static str> {
    if v.len() < 3 {
        return Some("too short");
    }
    if let Some(why) = reject_common(v) {
        return Some(why);
    }
    let lower = v.to_ascii_lowercase();
    if STOCK_VALUES.contains(&std::str::from_utf8(&lower).unwrap_or("")) {
        return Some("a stock example value");
    }
    if v.iter()
        .any(|b| matches!(b, b'{' | b'}' | b'<' | b'>' | b'$'))
    {
        return Some("an interpolation");
    }
    if v.iter().all(|b| b.is_ascii_alphabetic()) && english_bigram_share(v) >= 0.6 {
        return Some("an English word");
    }
    None
}

/// `Basic <base64>`: decodes to `user:password` with a plausible password.
pub fn reject_basic_auth(v: &[u8]) -> Option<&'static str> {
    let Some(decoded) = base64_decode(v) else {
        return Some("not base64");
    };
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        return Some("does not decode to user:password");
    };
    let password = &decoded[colon + 1..];
    if password.is_empty() || password.iter().any(|b| !(0x20..0x7f).contains(b)) {
        return Some("no printable password");
    }
    reject_url_password(password)
}

/// Standard base64 (padding optional); `None` on any other byte.
pub fn base64_decode(v: &[u8]) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let v = v
        .strip_suffix(b"==")
        .or_else(|| v.strip_suffix(b"="))
        .unwrap_or(v);
    let mut out = Vec::with_capacity(v.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in v {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name_kind(b"MYSQL_ROOT_PASSWORD"), Some(NameKind::Password));
        assert_eq!(name_kind(b"clientPassword"), Some(NameKind::Password));
        assert_eq!(name_kind(b"ses_smtp_password_v4"), Some(NameKind::Password));
        assert_eq!(name_kind(b"cookieValidationKey"), Some(NameKind::Secret));
        assert_eq!(name_kind(b"Apitoken"), Some(NameKind::Secret));
        assert_eq!(name_kind(b"bypassPolicy"), None);
        assert_eq!(name_kind(b"STATUS_PWD_TOO_LONG"), None);
        assert_eq!(name_kind(b"sort_key"), None);
        assert_eq!(name_kind(b"monkey"), None);
        assert_eq!(name_kind(b"password_hash"), None);
        assert_eq!(name_kind(b"NextToken"), None);
        assert_eq!(name_kind(b"ClientRequestToken"), None);
        assert_eq!(name_kind(b"access_token"), Some(NameKind::Secret));
    }

    #[test]
    fn identifiers() {
        assert!(looks_like_identifier(b"newPassword"));
        assert!(looks_like_identifier(b"MAILER_PASSWORD"));
        assert!(!looks_like_identifier(b"dvqytuvd"));
        assert!(!looks_like_identifier(b"R5JI8jp1J"));
        assert!(!looks_like_identifier(b"GSLDVRRE"));
    }

    #[test]
    fn english_words_score_high_random_letters_low() {
        for w in ["position", "minutes", "nextchar", "session", "default"] {
            assert!(english_bigram_share(w.as_bytes()) >= 0.6, "{w}");
        }
        for r in [
            "krmimwchrgt",
            "dvqytuvd",
            "qaqwionwop",
            "GSLDVRRE",
            "bfzjwti",
        ] {
            assert!(english_bigram_share(r.as_bytes()) < 0.6, "{r}");
        }
    }

    #[test]
    fn values_built_from_a_credential_word_in_any_language() {
        for v in [
            "badpass",
            "secret_token_here",
            "geheim$parole",
            "minhasenha1",
            "haslo123",
        ] {
            assert!(reject_common(v.as_bytes()).is_some(), "{v}");
        }
        assert_eq!(reject_common(b"k8Fq2xZr"), None);
    }

    #[test]
    fn example_documents() {
        assert!(is_example_document(b"AccessKeyId=AKIAIOSFODNN7EXAMPLE\n"));
        assert!(!is_example_document(b"see the EXAMPLE section\n"));
    }

    #[test]
    fn basic_auth() {
        // "user:kd8Fq2xZ"
        assert_eq!(reject_basic_auth(b"dXNlcjprZDhGcTJ4Wg=="), None);
        // "user:password"
        assert!(reject_basic_auth(b"dXNlcjpwYXNzd29yZA==").is_some());
    }
}
