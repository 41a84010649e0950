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
use crate::rules::{ValidatorParams, Vocabulary};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

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

/// What the last meaningful word of a name says; `None` when the name does
/// not name a credential (`bypassPolicy`, `password_hash`, `token_url`,
/// `STATUS_PWD_TOO_LONG`).
pub fn name_kind(name: &[u8], vocab: &Vocabulary) -> Option<NameKind> {
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
    if vocab.password_words.contains(last) {
        return Some(NameKind::Password);
    }
    if vocab.secret_words.contains(last) {
        let before = end.checked_sub(2).map(|i| words[i].as_str());
        if last == "token" && before.is_some_and(|w| vocab.non_credential_tokens.contains(w)) {
            return None;
        }
        return Some(NameKind::Secret);
    }
    if last == "key" {
        let before = end.checked_sub(2).map(|i| words[i].as_str());
        return before
            .filter(|w| {
                vocab.key_qualifiers.contains(*w) || w.ends_with("api") || w.ends_with("secret")
            })
            .map(|_| NameKind::Secret);
    }
    let compound = |suffixes: &[String]| {
        suffixes
            .iter()
            .any(|suffix| last.len() > suffix.len() && last.ends_with(suffix.as_str()))
    };
    if compound(&vocab.password_suffixes) {
        return Some(NameKind::Password);
    }
    compound(&vocab.secret_suffixes).then_some(NameKind::Secret)
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

fn extension(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.rsplit_once('.').map_or("", |(_, e)| e)
}

/// Why an assignment is not a credential, or `None` when it looks like one.
pub fn reject_assignment(
    a: &Assignment,
    vocab: &Vocabulary,
    params: &ValidatorParams,
) -> Option<&'static str> {
    let Some(kind) = name_kind(a.name, vocab) else {
        return Some("the name does not name a credential");
    };
    if a.namespaced {
        return Some("a `::`-qualified type name, not a variable");
    }
    let v = a.value;
    let min_len = match kind {
        NameKind::Password => params.min_password_length,
        NameKind::Secret => params.min_secret_length,
    };
    if v.len() < min_len {
        return Some("too short");
    }
    if let Some(why) = reject_common(v, vocab, params) {
        return Some(why);
    }
    let lower = v.to_ascii_lowercase();
    let lower_str = std::str::from_utf8(&lower).unwrap_or("");
    if vocab.stock_values.contains(lower_str) {
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
    if is_english_word(v, params) {
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
        if vocab.code_extensions.contains(extension(a.path)) && !has_letters_and_digits(v) {
            return Some("an unquoted word in code");
        }
    }
    if kind == NameKind::Secret {
        if words.iter().any(|w| vocab.hash_words.contains(w)) {
            return Some("a hash or digest, not a secret");
        }
        if shannon_entropy(v) < params.min_secret_entropy {
            return Some("low entropy");
        }
    }
    None
}

fn is_english_word(v: &[u8], params: &ValidatorParams) -> bool {
    v.iter().all(|b| b.is_ascii_alphabetic())
        && english_bigram_share(v) >= params.english_word_share
}

/// Checks every generic value shares: placeholders, references, paths, numbers.
fn reject_common(v: &[u8], vocab: &Vocabulary, params: &ValidatorParams) -> Option<&'static str> {
    if placeholder_reason(v, vocab).is_some() {
        return Some("a placeholder");
    }
    if vocab.references.find(v).is_some() {
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
    let lower = v.to_ascii_lowercase();
    if vocab.credential_words.find(&unleet(&lower)).is_some() {
        return Some("contains a credential word: a description or stock value");
    }
    if !v.iter().any(|b| b.is_ascii_alphabetic()) && v.len() < params.min_number_length {
        return Some("a number");
    }
    if vocab
        .file_name_suffixes
        .iter()
        .any(|s| lower.ends_with(s.as_bytes()))
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

/// A URL's password: not a placeholder, an interpolation or a stock word.
pub fn reject_url_password(
    v: &[u8],
    vocab: &Vocabulary,
    params: &ValidatorParams,
) -> Option<&'static str> {
    if v.len() < params.min_url_password_length {
        return Some("too short");
    }
    if let Some(why) = reject_common(v, vocab, params) {
        return Some(why);
    }
    let lower = v.to_ascii_lowercase();
    if vocab
        .stock_values
        .contains(std::str::from_utf8(&lower).unwrap_or(""))
    {
        return Some("a stock example value");
    }
    if v.iter()
        .any(|b| matches!(b, b'{' | b'}' | b'<' | b'>' | b'$'))
    {
        return Some("an interpolation");
    }
    if is_english_word(v, params) {
        return Some("an English word");
    }
    None
}

/// `Basic <base64>`: decodes to `user:password` with a plausible password.
pub fn reject_basic_auth(
    v: &[u8],
    vocab: &Vocabulary,
    params: &ValidatorParams,
) -> Option<&'static str> {
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
    reject_url_password(password, vocab, params)
}

/// Padding optional and trailing bits ignored: tokens in the wild are
/// written both ways.
const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

/// Standard or URL-safe base64, padding optional; `None` when it is neither.
pub fn base64_decode(v: &[u8]) -> Option<Vec<u8>> {
    STANDARD.decode(v).or_else(|_| URL_SAFE.decode(v)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> &'static Vocabulary {
        Vocabulary::builtin()
    }

    fn name_kind(name: &[u8]) -> Option<NameKind> {
        super::name_kind(name, vocab())
    }

    fn reject_common(v: &[u8]) -> Option<&'static str> {
        super::reject_common(v, vocab(), &ValidatorParams::default())
    }

    fn reject_basic_auth(v: &[u8]) -> Option<&'static str> {
        super::reject_basic_auth(v, vocab(), &ValidatorParams::default())
    }

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
    fn basic_auth() {
        // "user:kd8Fq2xZ"
        assert_eq!(reject_basic_auth(b"dXNlcjprZDhGcTJ4Wg=="), None);
        // "user:password"
        assert!(reject_basic_auth(b"dXNlcjpwYXNzd29yZA==").is_some());
    }
}
