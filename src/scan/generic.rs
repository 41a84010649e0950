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
use std::ops::Range;

/// What the name of an assignment says the value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Password,
    /// Tokens, secrets, API keys, credentials.
    Secret,
    /// `LASTFM_KEY`, `lob_key`, `key` alone: "key" with no word before it
    /// or one that is not a known qualifier, most often a provider's name,
    /// but as often a `sort_key`, a `cache_key` or a dictionary's `key`: a
    /// secret only when the value is a generated key.
    BareKey,
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
    /// The syntax makes an unquoted value literal text, not an expression:
    /// an XML element's text, a word on a command line (`--token a1b.c2d`).
    pub literal: bool,
    /// The whole text the value was found in, to tell whether an unquoted
    /// word is a variable used elsewhere.
    pub text: &'a [u8],
}

/// How far around an unquoted value in code (bytes, each side) to look for
/// the same name used again: a variable is used near where it is set, a
/// type near where it is declared or again in the same listing.
const NAME_REACH: usize = 64 << 10;

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
            literal: c.name.is_some_and(|(s, e)| is_query_parameter(bytes, s, e)),
            text: bytes,
        }
    }

    /// Where the value ends in the text; `None` for a decoded value, which
    /// is not in it.
    fn value_end(&self) -> Option<usize> {
        let v = self.value;
        self.text
            .as_ptr_range()
            .contains(&v.as_ptr())
            .then(|| v.as_ptr() as usize - self.text.as_ptr() as usize + v.len())
    }

    /// `key = []byte("…")`: Go's bytes of a literal, what an HMAC or AES
    /// key is handed over as; a sort key or cache key stays a string.
    fn is_key_bytes(&self) -> bool {
        let Some(end) = self.value_end() else {
            return false;
        };
        let start = end - self.value.len();
        self.quote.is_some() && self.text[..start.saturating_sub(1)].ends_with(b"[]byte(")
    }

    /// The first byte after the value past blanks.
    fn next_byte(&self) -> Option<u8> {
        let rest = &self.text[self.value_end()?..];
        rest.iter().copied().find(|b| !matches!(b, b' ' | b'\t'))
    }

    /// Whether the value occurs again in the text as a whole word, not in
    /// quotes: a name (variable, type) is declared and used, a literal
    /// stands alone. Looked for within [`NAME_REACH`] bytes either side,
    /// so a file of many such values costs a bounded search per value.
    fn is_used_elsewhere(&self) -> bool {
        let v = self.value;
        let Some(end) = self.value_end() else {
            return false;
        };
        let from = (end - v.len()).saturating_sub(NAME_REACH);
        let text = &self.text[from..(end + NAME_REACH).min(self.text.len())];
        super::cost::add(text.len());
        let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let quote = |b: u8| matches!(b, b'"' | b'\'' | b'`');
        memchr::memmem::find_iter(text, v)
            .filter(|&i| {
                let before = i.checked_sub(1).map(|j| text[j]);
                let after = text.get(i + v.len()).copied();
                !before.is_some_and(|b| ident(b) || quote(b)) && !after.is_some_and(ident)
            })
            .nth(1)
            .is_some()
    }

    /// An unquoted value in code: why it is no literal, if it is not.
    ///
    /// `log_passwd: __u32`, `token: crate::Handle`, `key: Seed<'_>`,
    /// `SECRET: _bindgen_ty_3 = _bindgen_ty_3::SECRET`: after a name, a
    /// path, a generic or a name the file uses again is a type or a
    /// variable (a literal secret in code is quoted). A word without digits
    /// is a name too, except a one-case word that occurs nowhere else
    /// (`password: jayqchcf`: a variable is declared, assigned or passed in
    /// where it is read), as in a configuration embedded in a string
    /// (`users: [{user: a, password: jayqchcf}]`), and unless prose goes on
    /// after it (`// Second pass: look for …`).
    fn reject_unquoted_in_code(&self) -> Option<&'static str> {
        let v = self.value;
        let name_chars = v
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && v.iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':'));
        let used = name_chars && self.is_used_elsewhere();
        if name_chars
            && (used || memchr::memmem::find(v, b"::").is_some() || self.next_byte() == Some(b'<'))
        {
            return Some("a type or a name the file uses elsewhere (`__u32`, `crate::Handle`)");
        }
        let one_case = v.iter().all(u8::is_ascii_lowercase) || v.iter().all(u8::is_ascii_uppercase);
        let literal = one_case
            && self.value_end().is_some()
            && !self.next_byte().is_some_and(|b| b.is_ascii_alphabetic())
            && !used;
        (!has_letters_and_digits(v) && !literal).then_some("an unquoted word in code")
    }

    /// The same assignment where an unquoted value is literal text.
    pub fn literal(self) -> Self {
        Assignment {
            literal: true,
            ..self
        }
    }
}

/// `…/getInfo?access_token=547.n43h…&lang=en`: a name that opens a URL's
/// query parameter (after `?` or `&`, right before `=`) holds literal text
/// even in code, where an unquoted dotted value would be an expression.
fn is_query_parameter(bytes: &[u8], start: usize, end: usize) -> bool {
    start >= 1 && matches!(bytes[start - 1], b'?' | b'&') && bytes.get(end) == Some(&b'=')
}

/// An XML element's text: literal, but only in markup and configuration.
/// Inside source code an element is a template the program fills in or a
/// response it mocks (`<pre_shared_key>…</pre_shared_key>` in a fake
/// service's reply), not configuration.
pub fn reject_markup(
    a: &Assignment,
    vocab: &Vocabulary,
    params: &ValidatorParams,
) -> Option<&'static str> {
    if vocab.code_extensions.contains(extension(a.path)) {
        return Some("an XML element inside source code: a template or a mocked response");
    }
    reject_assignment(a, vocab, params)
}

/// A value a manifest declares secret whatever its name (a Kubernetes
/// Secret's `data:`), stored base64-encoded: decoded, one printable line,
/// judged as a secret's value. Names that say what the value is are left to
/// the generic rules, which see the decoded text too (`source::encoded`);
/// names of plain fields (`username`, `host`) hold no secret.
pub fn reject_base64_assignment(
    a: &Assignment,
    vocab: &Vocabulary,
    params: &ValidatorParams,
) -> Option<&'static str> {
    let Some(decoded) = base64_decode(a.value) else {
        return Some("not base64");
    };
    // `echo s3cr3t | base64` keeps the line break.
    let text = decoded.strip_suffix(b"\n").unwrap_or(&decoded);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    if text.is_empty()
        || text.iter().any(u8::is_ascii_control)
        || std::str::from_utf8(text).is_err()
    {
        // Key files and keystores are the private-key rules' to judge.
        return Some("decodes to binary data or several lines, not one credential");
    }
    // A bare `key` is judged here: the generic rules take it only with a
    // generated value, which a short decoded password is not.
    if matches!(
        name_kind(a.name, vocab),
        Some(NameKind::Password | NameKind::Secret)
    ) {
        return Some("named as a credential: the generic rules judge its decoded text");
    }
    let words = name_words(a.name);
    if words.iter().any(|w| vocab.plain_fields.contains(w)) {
        return Some("a plain field (user name, host, certificate), not a secret");
    }
    if words.iter().any(|w| vocab.public_words.contains(w)) {
        return Some("the name says the value is public");
    }
    let decoded = Assignment {
        path: a.path,
        name: a.name,
        value: text,
        quote: Some(b'"'),
        namespaced: a.namespaced,
        literal: true,
        text: a.text,
    };
    reject_value(&decoded, NameKind::Secret, &words, vocab, params)
}

/// Splits an identifier into lowercase words: `clientSecret`, `DB_PASSWORD`,
/// `passwordMock.password`, `ses_smtp_password_v4`.
pub fn name_words(name: &[u8]) -> Vec<String> {
    words_at(name, &word_spans(name))
}

fn words_at(name: &[u8], spans: &[Range<usize>]) -> Vec<String> {
    spans
        .iter()
        .map(|r| {
            name[r.clone()]
                .iter()
                .map(|b| b.to_ascii_lowercase() as char)
                .collect()
        })
        .collect()
}

/// Where [`name_words`]' words sit in the name.
fn word_spans(name: &[u8]) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = None;
    let mut prev: Option<u8> = None;
    for (i, &b) in name.iter().enumerate() {
        if !b.is_ascii_alphanumeric() {
            if let Some(s) = start.take() {
                spans.push(s..i);
            }
            prev = None;
            continue;
        }
        if let (Some(p), Some(s)) = (prev, start) {
            let camel = p.is_ascii_lowercase() && b.is_ascii_uppercase();
            let digit_edge = p.is_ascii_digit() != b.is_ascii_digit();
            // An acronym before a capitalised word (`MACKey`, `APIToken`):
            // the acronym's last capital starts the word.
            let acronym = p.is_ascii_uppercase()
                && b.is_ascii_lowercase()
                && i - s >= 2
                && name[s..i].iter().all(u8::is_ascii_uppercase);
            if camel || digit_edge {
                spans.push(s..i);
                start = Some(i);
            } else if acronym {
                spans.push(s..i - 1);
                start = Some(i - 1);
            }
        }
        start.get_or_insert(i);
        prev = Some(b);
    }
    if let Some(s) = start {
        spans.push(s..name.len());
    }
    spans
}

/// What the last meaningful word of a name says; `None` when the name does
/// not name a credential (`bypassPolicy`, `password_hash`, `token_url`,
/// `STATUS_PWD_TOO_LONG`).
pub fn name_kind(name: &[u8], vocab: &Vocabulary) -> Option<NameKind> {
    name_kind_at(name, vocab).map(|(kind, _)| kind)
}

/// [`name_kind`], with where in the name the word that said it sits.
fn name_kind_at(name: &[u8], vocab: &Vocabulary) -> Option<(NameKind, Range<usize>)> {
    let spans = word_spans(name);
    let (kind, word) = words_kind(&words_at(name, &spans), vocab)?;
    Some((kind, spans[word].clone()))
}

/// What the last meaningful of `words` says, and its index.
fn words_kind(words: &[String], vocab: &Vocabulary) -> Option<(NameKind, usize)> {
    // Skip trailing version or index words (`password_v4`, `token2`) and
    // words that keep the meaning (`password_confirmation`).
    let mut end = words.len();
    while end > 0 {
        let w = &words[end - 1];
        let versionish = w.bytes().all(|b| b.is_ascii_digit())
            || (w.len() <= 3 && w.starts_with('v'))
            || vocab.same_value_words.contains(w);
        if versionish && end > 1 {
            end -= 1;
        } else {
            break;
        }
    }
    let last = words.get(end.checked_sub(1)?)?.as_str();
    if vocab.password_words.contains(last) {
        return Some((NameKind::Password, end - 1));
    }
    if vocab.secret_words.contains(last) {
        let before = end.checked_sub(2).map(|i| words[i].as_str());
        if last == "token" && before.is_some_and(|w| vocab.non_credential_tokens.contains(w)) {
            return None;
        }
        return Some((NameKind::Secret, end - 1));
    }
    if last == "key" {
        let Some(before) = end.checked_sub(2).map(|i| words[i].as_str()) else {
            return Some((NameKind::BareKey, end - 1));
        };
        if vocab.key_qualifiers.contains(before)
            || before.ends_with("api")
            || before.ends_with("secret")
        {
            return Some((NameKind::Secret, end - 1));
        }
        return (!vocab.non_credential_keys.contains(before))
            .then_some((NameKind::BareKey, end - 1));
    }
    // `dbpassword`, `appsecret`, and the suffix alone (`x_secretkey`,
    // `vendor.accesskey`): a compound written as one word.
    let compound = |suffixes: &[String]| {
        suffixes
            .iter()
            .any(|suffix| last.ends_with(suffix.as_str()))
    };
    if compound(&vocab.password_suffixes) {
        return Some((NameKind::Password, end - 1));
    }
    compound(&vocab.secret_suffixes).then_some((NameKind::Secret, end - 1))
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
    let Some((kind, word)) = name_kind_at(a.name, vocab) else {
        return Some("the name does not name a credential");
    };
    if is_long_member_path(a.name, word, params) {
        return Some(
            "a long qualified name (an enum member, a generated constant), not a variable",
        );
    }
    if a.namespaced {
        return Some("a `::`-qualified type name, not a variable");
    }
    let words = name_words(a.name);
    if words.iter().any(|w| vocab.public_words.contains(w)) {
        return Some("the name says the value is public (`PublicKeyToken`, `publicKey`)");
    }
    if is_reverse_dns(a.name, &words, vocab) {
        return Some("a reverse-DNS name (Maven coordinate, Java package), not a variable");
    }
    reject_value(a, kind, &words, vocab, params)
}

/// Whether more of the name than a variable's prefix or suffix would be
/// (`params.max_name_side` bytes) lies before or after the word that names
/// the credential. `PInvoke.NTSTATUS.Code.STATUS_NO_USER_SESSION_KEY` is a
/// member of a listing, not a variable someone assigned.
fn is_long_member_path(name: &[u8], word: Range<usize>, params: &ValidatorParams) -> bool {
    word.start > params.max_name_side || name.len() - word.end > params.max_name_side
}

/// A token that no name introduces, only its place (`Authorization: Token
/// <value>`): judged as a secret's value would be.
pub fn reject_token_value(
    a: &Assignment,
    vocab: &Vocabulary,
    params: &ValidatorParams,
) -> Option<&'static str> {
    reject_value(a, NameKind::Secret, &[], vocab, params)
}

/// The value tests of [`reject_assignment`], once the name has said what
/// kind of value it holds (`words` are the name's words, empty for none).
fn reject_value(
    a: &Assignment,
    kind: NameKind,
    words: &[String],
    vocab: &Vocabulary,
    params: &ValidatorParams,
) -> Option<&'static str> {
    let v = a.value;
    let min_len = match kind {
        NameKind::Password => params.min_password_length,
        NameKind::Secret | NameKind::BareKey => params.min_secret_length,
    };
    if v.len() < min_len {
        return Some("too short");
    }
    if vocab
        .public_value_prefixes
        .iter()
        .any(|p| v.starts_with(p.as_bytes()))
    {
        return Some("a publishable key (`pk_live_…`): its provider means it to be public");
    }
    if kind == NameKind::BareKey && !is_generated_key(v, params) && !a.is_key_bytes() {
        return Some(
            "a `key` or `<word>_key` whose value is not a generated key (a sort key, a cache key)",
        );
    }
    let kind = match kind {
        NameKind::BareKey => NameKind::Secret,
        k => k,
    };
    if kind == NameKind::Password && is_numeric_pin(v, params) {
        // A PIN-like password (six digits, say), not a number.
        return None;
    }
    if kind == NameKind::Secret && is_word_phrase(v, params) {
        return Some("words joined by separators: what the value should be, not a generated key");
    }
    if let Some(why) = reject_common(v, vocab, params) {
        // Some services issue API keys as UUIDs (Heroku, legacy npm):
        // under a name that says "API key" a UUID is one.
        if !(why == UUID && names_an_api_key(words)) {
            return Some(why);
        }
    }
    let lower = v.to_ascii_lowercase();
    let lower_str = std::str::from_utf8(&lower).unwrap_or("");
    if vocab.stock_values.contains(lower_str) {
        return Some("a stock example value");
    }
    if is_stock_word_with_counter(v, vocab, params) {
        return Some("a stock word with a counter (`test123`, `bar1`): an example value");
    }
    if is_ui_label(v) {
        return Some("a label or translated text, not a credential");
    }
    if is_password_hash(v, vocab) || words.iter().any(|w| vocab.hash_words.contains(w)) {
        return Some("a hash or digest, not a secret");
    }
    if is_jvm_type_descriptor(v) {
        return Some("a JVM type descriptor (`Ljava/util/Set`): smali or bytecode, not a value");
    }
    if is_joined_to_a_variable(v) {
        return Some("a string joined to a variable (`'password = '.$p[`): code, not a value");
    }
    // `password: password`, `token = authToken`: the value repeats the name.
    if words
        .iter()
        .any(|w| w.len() >= 3 && lower_str.contains(w.as_str()))
    {
        return Some("the value repeats the name");
    }
    // `$$hashKey`, `$scope`: a `$` before a name marks a property or a
    // variable (AngularJS, PHP, shell), not the start of a password.
    let name = &v[v.iter().take_while(|&&b| b == b'$').count()..];
    if !name.is_empty() && looks_like_identifier(name) && has_an_english_word(name, params) {
        return Some("an identifier");
    }
    if is_english_word(v, params) {
        return Some("an English word");
    }
    if is_punctuated_word(v, params) {
        return Some("an English word with a separator (`-principals`, `_suffix`): a fragment");
    }
    if is_email_address(v) {
        return Some("an e-mail address: whose account, not its password");
    }
    if v.starts_with(b"arn:") {
        return Some("an AWS resource name (`arn:…`): which role or key, not a secret");
    }
    if is_sigv4_credential_scope(v) {
        return Some(
            "an AWS SigV4 credential scope (`<key id>/<date>/<region>/<service>/aws4_request`): \
             its key ID is judged by the AWS rule",
        );
    }
    if a.quote.is_none() {
        if is_next_assignment(v) {
            return Some("an empty value, then the next assignment (`PASS= FILTER=x`)");
        }
        // Unquoted in code is an expression (`cfg.Password = pass`); in
        // config files (.env, YAML, .properties) it is a literal. Where the
        // syntax makes it literal text (an XML element, a command-line
        // word), only an expansion makes it something else.
        if a.literal {
            if let Some(why) = literal_expansion(v) {
                return Some(why);
            }
        } else if v
            .iter()
            .any(|b| matches!(b, b'.' | b'(' | b'[' | b'{' | b'$' | b'&' | b'|' | b'?'))
        {
            return Some("an expression");
        }
        if vocab.code_extensions.contains(extension(a.path)) {
            if let Some(why) = a.reject_unquoted_in_code() {
                return Some(why);
            }
        }
    }
    if kind == NameKind::Secret && is_prefix_with_a_word_for_body(v, params) {
        return Some("a key prefix with a word for its body (`vqk2_pt_short`): a stub");
    }
    if kind == NameKind::Secret && shannon_entropy(v) < params.min_secret_entropy {
        return Some("low entropy");
    }
    if is_der_signature(v) {
        return Some("a DER-encoded signature: public, not a secret");
    }
    None
}

/// A value a key generator would print: long, of the base64 alphabet
/// only and not a path (an `S3Key` holds an object's path: a trailing `/`
/// or a word between slashes), with letters and digits mixed throughout
/// and the entropy of random text. What a `LASTFM_KEY` holds, where a
/// `sort_key` or `cache_key` holds a word, a path or a template.
fn is_generated_key(v: &[u8], params: &ValidatorParams) -> bool {
    let path_like = v.contains(&b'/')
        && (v.ends_with(b"/")
            || v.split(|&b| b == b'/')
                .any(|seg| seg.len() >= 4 && seg.iter().all(u8::is_ascii_lowercase)));
    v.len() >= params.min_generated_key_length
        && !path_like
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'/' | b'='))
        && v.iter().filter(|b| b.is_ascii_digit()).count() * 8 >= v.len()
        && v.iter().filter(|b| b.is_ascii_alphabetic()).count() * 8 >= v.len()
        && shannon_entropy(v) >= params.min_generated_key_entropy
}

/// Literal text that the shell or a template engine still expands
/// (`$PASS`, `pre${X}`, `$(cat pw)`, `` `cat pw` ``), or that opens with a
/// bracket, as usage text does (`(required)`, `[token]`).
fn literal_expansion(v: &[u8]) -> Option<&'static str> {
    let expands = v.windows(2).any(|w| {
        w[0] == b'$' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'{' | b'(' | b'_'))
    }) || v.contains(&b'`');
    if expands {
        return Some("an expansion, not a literal");
    }
    if matches!(v[0], b'(' | b'[' | b'{' | b'<') {
        return Some("usage text in brackets, not a value");
    }
    None
}

/// `X-Amz-Credential=AKIA…%2F20190814%2Fus-west-2%2Fs3%2Faws4_request`: a
/// SigV4 request's credential scope, the access key ID (no secret alone,
/// and the AWS rule's to judge) followed by date, region and service.
fn is_sigv4_credential_scope(v: &[u8]) -> bool {
    let Some(rest) = v.strip_suffix(b"aws4_request") else {
        return false;
    };
    let parts = if let Some(r) = rest
        .strip_suffix(b"%2F")
        .or_else(|| rest.strip_suffix(b"%2f"))
    {
        r.split(|&b| b == b'%').count()
    } else if let Some(r) = rest.strip_suffix(b"/") {
        r.split(|&b| b == b'/').count()
    } else {
        return false;
    };
    // key id, date, region, service
    parts == 4
}

/// `admin@example.com`: a mailbox at a domain, what a login is, not a
/// secret.
fn is_email_address(v: &[u8]) -> bool {
    let Some(at) = memchr::memchr(b'@', v) else {
        return false;
    };
    let (local, domain) = (&v[..at], &v[at + 1..]);
    let label =
        |l: &[u8]| !l.is_empty() && l.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-');
    let labels: Vec<&[u8]> = domain.split(|&b| b == b'.').collect();
    !local.is_empty()
        && local
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'))
        && labels.len() >= 2
        && labels.iter().all(|l| label(l))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic))
}

/// `login, password = 'python@vk.com', 'Xk9…'`: names and values in two
/// lists, paired by place. A rule reads the first value after `=`; for the
/// name's place among the names this is the value at the same place among
/// the values, on the same line. `None` when the line unpacks nothing or
/// the name comes first.
pub fn unpacked_value(
    bytes: &[u8],
    name: (usize, usize),
    value: (usize, usize),
) -> Option<(usize, usize)> {
    // `=` or `:=` between the name and the value's opening quote (a
    // rule from a config may capture its name after its value: no pair).
    let (&opening, op) = bytes.get(name.1..value.0)?.split_last()?;
    let line_start = memchr::memrchr(b'\n', &bytes[..name.0]).map_or(0, |i| i + 1);
    let place = names_before(&bytes[line_start..name.0])?;
    if !matches!(op.trim_ascii(), b"=" | b":=") || !matches!(opening, b'"' | b'\'') {
        return None;
    }
    if bytes.get(value.1) != Some(&opening) {
        return None;
    }
    let blanks = |from: usize| {
        from + bytes[from..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count()
    };
    let (mut found, mut at) = (value, value.1 + 1);
    for _ in 0..place {
        let comma = blanks(at);
        if bytes.get(comma) != Some(&b',') {
            return None;
        }
        let open = blanks(comma + 1);
        let quote = *bytes.get(open).filter(|&&q| q == b'"' || q == b'\'')?;
        let start = open + 1;
        let len = bytes[start..]
            .iter()
            .position(|&b| b == quote || b == b'\n' || b == b'\\')?;
        if bytes[start + len] != quote {
            return None;
        }
        found = (start, start + len);
        at = start + len + 1;
    }
    Some(found)
}

/// How many names stand before the last in `a, b, `, the line up to a
/// name; `None` unless that is all the line holds before it.
fn names_before(before: &[u8]) -> Option<usize> {
    let ident = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let mut rest = before.trim_ascii_end();
    let mut count = 0;
    loop {
        rest = rest.strip_suffix(b",")?.trim_ascii_end();
        let start = rest.iter().rposition(|b| !ident(b)).map_or(0, |i| i + 1);
        if start == rest.len() || rest[start].is_ascii_digit() {
            return None;
        }
        count += 1;
        rest = rest[..start].trim_ascii_end();
        if rest.is_empty() {
            return Some(count);
        }
    }
}

/// `MYSQL_PASSWORD= FILTER=integration`: the name was given nothing, and
/// the unquoted word read as its value is the next variable's assignment
/// (an upper-case name, `=`, a value).
fn is_next_assignment(v: &[u8]) -> bool {
    let Some(eq) = memchr::memchr(b'=', v) else {
        return false;
    };
    let name = &v[..eq];
    name.len() >= 3
        && eq + 1 < v.len()
        && name[0].is_ascii_uppercase()
        && name
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
}

/// A string's closing quote, then a join operator and a PHP or Perl
/// variable (`echo 'password = '.$p['config'];`): the quotes the value was
/// read between close one string and open the next, and what lies
/// between them is the expression joining them.
fn is_joined_to_a_variable(v: &[u8]) -> bool {
    matches!(v, [b'.' | b'+', b'$' | b'@', next, ..] if next.is_ascii_alphabetic() || *next == b'_' || *next == b'{')
}

/// Base64 of an ASN.1 SEQUENCE of exactly two INTEGERs (`MEUCIQ…`): an
/// ECDSA or DSA signature `(r, s)`, which anyone who sees it may see. A
/// private key's DER has more members.
fn is_der_signature(v: &[u8]) -> bool {
    let Some(der) = base64_decode(v) else {
        return false;
    };
    let integer = |at: usize| -> Option<usize> {
        let len = *der.get(at + 1)? as usize;
        (der.get(at) == Some(&0x02) && len > 0 && len < 0x80).then_some(at + 2 + len)
    };
    der.len() > 8
        && der[0] == 0x30
        && der[1] as usize == der.len() - 2
        && integer(2)
            .and_then(integer)
            .is_some_and(|end| end == der.len())
}

/// Six to nine digits, neither a run (`123456`, `987654`) nor one digit
/// repeated nor mostly one digit: what a numeric password looks like.
fn is_numeric_pin(v: &[u8], params: &ValidatorParams) -> bool {
    if !(6..params.min_number_length).contains(&v.len()) || !v.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let step = |w: &[u8]| w[1] as i16 - w[0] as i16;
    let run = v.windows(2).all(|w| step(w) == 1) || v.windows(2).all(|w| step(w) == -1);
    let mut counts = [0usize; 10];
    for b in v {
        counts[(b - b'0') as usize] += 1;
    }
    let distinct = counts.iter().filter(|&&c| c > 0).count();
    !run && distinct * 2 > v.len()
}

/// `io.jsonwebtoken:jjwt-gson`, `com.example.token`: a dotted name whose
/// first segment is a top-level domain names a package or artifact.
fn is_reverse_dns(name: &[u8], words: &[String], vocab: &Vocabulary) -> bool {
    let first = name.split(|&b| b == b'.').next().unwrap_or(name);
    name.contains(&b'.')
        && words.len() >= 2
        && first.len() == words[0].len()
        && vocab.reverse_dns_roots.contains(&words[0])
}

/// `test123`, `bar1`, `root123`, `Test@12345`, `jira_123456`: a stock
/// word, an English word or a short stem, then an ascending counter from 0
/// or 1 (or one digit). Random values almost never end in such a counter.
fn is_stock_word_with_counter(v: &[u8], vocab: &Vocabulary, params: &ValidatorParams) -> bool {
    let digits = v.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 9 || digits == v.len() {
        return false;
    }
    let (stem, counter) = v.split_at(v.len() - digits);
    if !is_typed_counter(counter) {
        return false;
    }
    let stem = stem
        .strip_suffix(b"_")
        .or_else(|| stem.strip_suffix(b"@"))
        .or_else(|| stem.strip_suffix(b"-"))
        .or_else(|| stem.strip_suffix(b"."))
        .unwrap_or(stem);
    if stem.is_empty() || !stem.iter().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let lower = stem.to_ascii_lowercase();
    stem.len() <= 4
        || vocab
            .stock_values
            .contains(std::str::from_utf8(&lower).unwrap_or(""))
        || is_english_word(stem, params)
}

/// A counter as people type one: one digit, or digits ascending by one from
/// 0 or 1 (`123`, `0123`), each digit typed once or each the same number of
/// times (`112233`, `111222`).
fn is_typed_counter(counter: &[u8]) -> bool {
    if counter.len() == 1 {
        return true;
    }
    let group = counter.iter().take_while(|&&b| b == counter[0]).count();
    if !counter.len().is_multiple_of(group) {
        return false;
    }
    let steps: Vec<u8> = counter.chunks(group).map(|c| c[0]).collect();
    counter.chunks(group).all(|c| c.iter().all(|&b| b == c[0]))
        && steps.len() > 1
        && matches!(steps[0], b'0' | b'1')
        && steps.windows(2).all(|w| w[1] == w[0] + 1)
}

/// `Heslo:`, `パスワード：`, `忘记密码`: a form label or its translation. A
/// password ends in a colon rarely, and is mostly non-ASCII more rarely.
fn is_ui_label(v: &[u8]) -> bool {
    let non_ascii = v.iter().filter(|b| !b.is_ascii()).count();
    v.ends_with(b":") || v.ends_with("：".as_bytes()) || non_ascii * 2 >= v.len()
}

/// Stored password hashes (crypt(3) `$2a$…`, `$6$…`, `$argon2id$…`,
/// `$pbkdf2-sha256$…`, LDAP `{SSHA}…`): what a login is checked against,
/// not what it is made with.
fn is_password_hash(v: &[u8], vocab: &Vocabulary) -> bool {
    let crypt = v.len() > 20
        && v[0] == b'$'
        && v[1..]
            .iter()
            .position(|&b| b == b'$')
            .is_some_and(|i| (1..=16).contains(&i));
    let scheme = || {
        let close = v.iter().take(16).position(|&b| b == b'}')?;
        let name = std::str::from_utf8(v.get(1..close)?).ok()?;
        Some(
            v[0] == b'{'
                && vocab
                    .password_hash_schemes
                    .contains(&name.to_ascii_lowercase()),
        )
    };
    crypt || scheme().unwrap_or(false)
}

/// `Ljava/util/Set`, `Lorg/apache/auth/AuthPermission`: the JVM's name of a
/// class type (the `;` after it is not part of the value), which smali
/// and bytecode listings write after a field or local's name. `L`, then
/// lowercase package names, then a class name: at least two packages, so a
/// random value with slashes (base64) almost never takes this shape.
fn is_jvm_type_descriptor(v: &[u8]) -> bool {
    let Some(path) = v.strip_prefix(b"L") else {
        return false;
    };
    let parts: Vec<&[u8]> = path.split(|&b| b == b'/').collect();
    let Some((class, packages)) = parts.split_last() else {
        return false;
    };
    let package = |p: &&[u8]| {
        p.len() >= 2
            && p.iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
            && p[0].is_ascii_lowercase()
    };
    packages.len() >= 2
        && packages.iter().all(package)
        && class.first().is_some_and(u8::is_ascii_uppercase)
        && class
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$'))
}

/// `vqk2_pt_short`, `ZRK_CI_short`, `plok-short`, `00XQ1Z!short`: a
/// provider's prefix followed by a word where the random body belongs, as
/// tests write a stub key. A real key's body is one long random segment;
/// here every segment is short and the last is an English word.
fn is_prefix_with_a_word_for_body(v: &[u8], params: &ValidatorParams) -> bool {
    let sep = |b: &u8| matches!(b, b'-' | b'_' | b'.' | b'!');
    if !v.iter().any(sep) {
        return false;
    }
    let segments: Vec<&[u8]> = v.split(sep).filter(|s| !s.is_empty()).collect();
    let Some(last) = segments.last() else {
        return false;
    };
    segments.len() >= 2
        && segments.iter().all(|s| s.len() <= params.max_stub_segment)
        && last.len() >= 4
        && is_english_word(last, params)
}

fn is_english_word(v: &[u8], params: &ValidatorParams) -> bool {
    v.iter().all(|b| b.is_ascii_alphabetic())
        && english_bigram_share(v) >= params.english_word_share
}

/// `long-and-random-alphanumeric-string`, `change_me_to_something_secret`,
/// `role-arn`: letter-only parts joined by `-` or `_`, each a short word or
/// an English one, and long words among them: two of three or more parts,
/// one of two. A machine-made secret, token or key is not made of words (a
/// password may be: passphrases are judged apart).
fn is_word_phrase(v: &[u8], params: &ValidatorParams) -> bool {
    let parts: Vec<&[u8]> = v.split(|&b| b == b'-' || b == b'_').collect();
    let letters = |p: &&[u8]| !p.is_empty() && p.iter().all(u8::is_ascii_alphabetic);
    if parts.len() < 2 || !parts.iter().all(letters) {
        return false;
    }
    let long_words = parts
        .iter()
        .filter(|p| p.len() >= 4 && is_english_word(&p.to_ascii_lowercase(), params))
        .count();
    let short = parts.iter().filter(|p| p.len() < 4).count();
    long_words >= (parts.len() - 1).min(2) && long_words + short == parts.len()
}

/// `-principals`, `_session`, `.default.`: an English word with separators
/// around it, a fragment code joins to a name (`token += "-principals"`).
fn is_punctuated_word(v: &[u8], params: &ValidatorParams) -> bool {
    let sep = |b: &u8| matches!(b, b'-' | b'_' | b'.');
    let start = v.iter().position(|b| !sep(b)).unwrap_or(v.len());
    let end = v.iter().rposition(|b| !sep(b)).map_or(start, |i| i + 1);
    let word = &v[start..end.max(start)];
    word.len() < v.len() && word.len() >= 4 && is_english_word(word, params)
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
    if v.iter().filter(|b| !b.is_ascii()).count() * 2 >= v.len() {
        return Some("text in another script: a label or description");
    }
    if v.len() >= 3 && v.iter().all(|&b| b == v[0]) {
        return Some("one character repeated: a placeholder");
    }
    if is_uuid(v) {
        return Some(UUID);
    }
    if is_ascending_runs_only(v) {
        return Some("nothing but typed runs (`xyz456`, `abcdef`): a stand-in value");
    }
    if let Some(open) = memchr::memchr(b'{', v) {
        if memchr::memchr(b'}', &v[open..]).is_some() {
            return Some("a template");
        }
    }
    if is_bracketed_name(v) {
        return Some("a name in brackets: a placeholder");
    }
    if is_abnf_repetition(v) {
        return Some("an ABNF repetition (`1*tchar`): a grammar rule, not a value");
    }
    // `no-password-required`, `badpass`, `secret_token_here`, `geheim$parole`:
    // built from the credential word itself (in English or another language),
    // so a description or a stock test value.
    let lower = v.to_ascii_lowercase();
    let unleeted = unleet(&lower);
    if vocab.credential_words.find(&unleeted).is_some() {
        return Some("contains a credential word: a description or stock value");
    }
    if is_masked_credential_word(&unleeted, vocab, params) {
        return Some("a credential word with a letter masked (`p/ss`, `s*cret`): a stock value");
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

/// `p/ss`, `s*cret`, `t#ken`: a short value that spells a credential word
/// once one punctuation mark stands for a letter, as people mask a stock
/// value in documentation. Only short values (the word is most of it), and
/// only marks a random password draws as often as any other character.
fn is_masked_credential_word(lower: &[u8], vocab: &Vocabulary, params: &ValidatorParams) -> bool {
    if lower.len() > params.max_masked_word_length {
        return false;
    }
    let mut marks = lower.iter().copied().filter(|b| b.is_ascii_punctuation());
    let Some(mark) = marks.next() else {
        return false;
    };
    if marks.any(|b| b != mark) {
        return false;
    }
    // The unmasked value holds no credential word (the caller checked), so a
    // word found now runs through a masked position.
    (b'a'..=b'z').any(|letter| {
        let filled: Vec<u8> = lower
            .iter()
            .map(|&b| if b == mark { letter } else { b })
            .collect();
        vocab.credential_words.find(&filled).is_some()
    })
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

/// `xyz456`, `ghi789`, `abcdef1234`: six or more letters and digits made
/// only of ascending runs of three or more (`xyz`, `456`), as people type a
/// stand-in value; a random value of six characters is such a run with odds
/// below one in a million.
fn is_ascending_runs_only(v: &[u8]) -> bool {
    if v.len() < 6 || !v.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let class = |b: u8| (b.is_ascii_digit(), b.is_ascii_uppercase());
    let mut run = 1;
    for w in v.windows(2) {
        if class(w[0]) == class(w[1]) && w[1] == w[0] + 1 {
            run += 1;
        } else if run < 3 {
            return false;
        } else {
            run = 1;
        }
    }
    run >= 3
}

const UUID: &str = "a UUID: an identifier, not a secret";

/// `apikey`, `X-Acme-ApiKey`, `API_TOKEN`, `heroku_api_key`,
/// `access_token`, `authToken`: the name's last words say API key, API
/// token, or access or auth token.
fn names_an_api_key(words: &[String]) -> bool {
    let last = words.last().map(String::as_str);
    let before = words.len().checked_sub(2).map(|i| words[i].as_str());
    last == Some("apikey")
        || last == Some("authtoken")
        || (matches!(before, Some("api" | "auth" | "access"))
            && matches!(last, Some("key" | "token")))
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

/// Whether a word of three letters or more in an identifier-shaped value
/// reads as English by its letter pairs. Code names things with words
/// (`newPassword`, `MAILER_PASSWORD`, `defaultPwd`); a value shaped like an
/// identifier but made of none (`Pdtswesp`, `jtofabzujf_az`) is someone's
/// password.
fn has_an_english_word(v: &[u8], params: &ValidatorParams) -> bool {
    name_words(v)
        .iter()
        .any(|w| w.len() >= 3 && english_bigram_share(w.as_bytes()) >= params.english_word_share)
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
    reject_password(v, vocab, params, true)
}

/// A password given with its user; `words`: an English word is a
/// placeholder (`user:secret@`), as in a URL.
fn reject_password(
    v: &[u8],
    vocab: &Vocabulary,
    params: &ValidatorParams,
    words: bool,
) -> Option<&'static str> {
    if v.len() < params.min_url_password_length {
        return Some("too short");
    }
    if let Some(why) = reject_common(v, vocab, params) {
        return Some(why);
    }
    // `p%40ssword`: judge the password the URL encodes.
    let decoded = percent_decode(v);
    if decoded != v {
        if let Some(why) = reject_common(&decoded, vocab, params) {
            return Some(why);
        }
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
    if words && is_english_word(v, params) {
        return Some("an English word");
    }
    None
}

/// `1*tchar`, `*DIGIT`, `2*4HEXDIG`: the repetition of a named element in
/// an RFC's ABNF grammar (`token = 1*tchar`), which source comments and
/// docs quote.
fn is_abnf_repetition(v: &[u8]) -> bool {
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let at = digits(v);
    if v.get(at) != Some(&b'*') {
        return false;
    }
    let element = &v[at + 1 + digits(&v[at + 1..])..];
    element.first().is_some_and(u8::is_ascii_alphabetic)
        && element
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `[AuthenticationResponseJSON]`, `[your api key]`: documentation names
/// the value it stands for in square brackets, as others use `<…>`. Only
/// letters and separators inside: no digit, no symbol a password holds.
fn is_bracketed_name(v: &[u8]) -> bool {
    let [b'[', inner @ .., b']'] = v else {
        return false;
    };
    inner.len() >= 3
        && inner.iter().any(u8::is_ascii_alphabetic)
        && inner
            .iter()
            .all(|b| b.is_ascii_alphabetic() || matches!(b, b' ' | b'_' | b'-' | b'.'))
}

/// `bat:bat@`, `CREATE USER db1 WITH PASSWORD 'db1'`: a password that
/// repeats its account's name is a test fixture's.
pub fn reject_password_of_user(password: &[u8], user: &[u8]) -> Option<&'static str> {
    let (p, u) = (password.to_ascii_lowercase(), user.to_ascii_lowercase());
    let repeats = p == u || (u.len() >= 3 && memchr::memmem::find(&p, &u).is_some());
    repeats.then_some("the password repeats the user name: a fixture")
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
    // A user:password pair in a header is a credential by its form: the
    // English-word test, which tells a URL's `user:pass@` placeholder, is
    // left out (`kcwhvzb:mdditerd` reads as English by letter pairs).
    reject_password(password, vocab, params, false)
}

/// `%XX` escapes decoded; anything else kept as it is.
fn percent_decode(v: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%' && i + 2 < v.len() {
            if let (Some(h), Some(l)) = (hex(v[i + 1]), hex(v[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(v[i]);
        i += 1;
    }
    out
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
    fn bracketed_names_are_placeholders() {
        for v in [
            "[AuthenticationResponseJSON]",
            "[your api key]",
            "[SECRET_ACCESS_KEY]",
        ] {
            assert_eq!(
                reject_common(v.as_bytes()),
                Some("a name in brackets: a placeholder"),
                "{v}"
            );
        }
        // Digits or symbols inside: it could be a password someone bracketed.
        for v in ["[x7Qm2kLp9w]", "[Tr0ub4dor&3]", "[]", "[kq7ZvW2m"] {
            assert!(!is_bracketed_name(v.as_bytes()), "{v}");
        }
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
        assert_eq!(name_kind(b"x_secretkey"), Some(NameKind::Secret));
        // A message authentication key, and WordPress's `authkey` salts.
        assert_eq!(name_kind(b"MACKey"), Some(NameKind::Secret));
        assert_eq!(name_kind(b"secureauthkey"), Some(NameKind::Secret));
        assert_eq!(name_kind(b"mac_address"), None);
        assert_eq!(name_kind(b"secret_key_base"), Some(NameKind::Secret));
        assert_eq!(name_kind(b"api_base"), None);
        assert_eq!(name_kind(b"vendor.accesskey"), Some(NameKind::Secret));
        assert_eq!(name_kind(b"acmePRIVATEKEY"), Some(NameKind::Secret));
        assert_eq!(name_kind(b"dbpassword"), Some(NameKind::Password));
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
    fn resource_names_and_dollar_names_are_not_secrets() {
        assert!(reject(
            "authorizerCredentials",
            "arn:aws:iam::123456789012:role/api"
        )
        .is_some());
        assert_eq!(
            reject("STORAGE_KEY", "$$animateClasses"),
            Some("an identifier")
        );
        // Names in an ARN's place that are not one stay judged as values.
        assert_eq!(reject("api_secret", "Kq7vR2xmLp:arn"), None);
    }

    #[test]
    fn an_identifier_is_made_of_words() {
        // Code names things with words: a name, not the password.
        assert_eq!(reject("db_password", "defaultValue"), Some("an identifier"));
        assert_eq!(
            reject("db_password", "MAILER_PWD_FIELD").map(|_| ()),
            Some(())
        );
        // Shaped like a name, made of none: a password.
        assert_eq!(reject("db_password", "Xvqtrbnk"), None);
        assert_eq!(reject("db_password", "gvkzrtqw_bx"), None);
        // An abbreviation of the credential word describes the field.
        assert!(reject("KeyStorePassword", "hsmPswd").is_some());
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
    fn a_bare_key_is_a_secret_only_with_a_generated_value() {
        let not_generated = Some(
            "a `key` or `<word>_key` whose value is not a generated key (a sort key, a cache key)",
        );
        // A provider's name before "key": a key when the value is one.
        assert_eq!(name_kind(b"LASTFM_KEY"), Some(NameKind::BareKey));
        assert_eq!(name_kind(b"deepgramKey"), Some(NameKind::BareKey));
        assert_eq!(
            reject("LASTFM_KEY", "b2c9fb7a1a8f541d6089140692faf70a"),
            None
        );
        assert_eq!(
            reject("lob_key", "xqxb_865h486y917q61vk3pwa2o2mz37009553ub"),
            None
        );
        // "key" alone: a dictionary's key as often as a secret's name.
        assert_eq!(name_kind(b"KEY"), Some(NameKind::BareKey));
        assert_eq!(name_kind(b"@key"), Some(NameKind::BareKey));
        assert_eq!(reject("KEY", "9e1c07d45a3bf2861e0d7c4a59b3f612"), None);
        assert_eq!(reject("key", "user_profile_cache"), not_generated);
        assert_eq!(reject("key", "2f9c7a1e/objects/thumb.png"), not_generated);
        // A lookup or data key, whatever the value.
        assert_eq!(name_kind(b"sort_key"), None);
        assert_eq!(name_kind(b"primaryKey"), None);
        assert_eq!(name_kind(b"encrypted_key"), None);
        // Not what a key generator prints: a word, a path, a slug, a short
        // or low-entropy value.
        assert_eq!(reject("preset_key", "settings_general"), not_generated);
        assert_eq!(
            reject("S3Key", "8671399420/output/2f9c7a1e4b6d"),
            not_generated
        );
        assert_eq!(reject("S3Key", "8671399420-2f9c7a1e4b6d/"), not_generated);
        // Base64 holds slashes too.
        assert_eq!(
            reject("cadataKey", "qW3+Lm8/ZrT5kV1xN0pB7yH2/cJ6fD4sG9aE"),
            None
        );
        assert_eq!(reject("widget_key", "widget-7a1e4b6d"), not_generated);
        assert_eq!(
            reject("row_hint_key", "aaaa1111bbbb2222cccc3333"),
            not_generated
        );
        // A qualifier still makes any key value a secret's.
        assert_eq!(name_kind(b"client_key"), Some(NameKind::Secret));
        // A publishable key, under any name.
        assert!(reject("STRIPE_KEY", "pk_live_NqVwYS81VP7Hb1DX8pPd5khx").is_some());
        assert!(reject("stripe_secret", "pk_test_NqVwYS81VP7Hb1DX8pPd5khx").is_some());
        // A public key's abbreviation: public.
        assert!(reject("SigningPubKey", "023D7C2F7256819CE61D3F22654A81C2").is_some());
    }

    fn reject(name: &str, value: &str) -> Option<&'static str> {
        let a = Assignment {
            path: "app.js",
            name: name.as_bytes(),
            value: value.as_bytes(),
            quote: Some(b'"'),
            namespaced: false,
            literal: false,
            text: b"",
        };
        reject_assignment(&a, vocab(), &ValidatorParams::default())
    }

    /// An unquoted value in `path`, read as code or config (`literal`
    /// false) or as literal text (an XML element, a command-line word).
    fn reject_unquoted(path: &str, name: &str, value: &str, literal: bool) -> Option<&'static str> {
        let a = Assignment {
            path,
            name: name.as_bytes(),
            value: value.as_bytes(),
            quote: None,
            namespaced: false,
            literal,
            text: b"",
        };
        reject_assignment(&a, vocab(), &ValidatorParams::default())
    }

    #[test]
    fn literal_text_may_hold_dots_but_not_expansions() {
        // `cfg.Redis.Password` unquoted is code; `--token a1b.c2d` is a word.
        assert!(reject_unquoted("run.sh", "token", "t2wd3h.kye938x00", false).is_some());
        assert_eq!(
            reject_unquoted("run.sh", "--token", "t2wd3h.kye938x00", true),
            None
        );
        assert_eq!(
            reject_unquoted("settings.xml", "password", "Kq7v.R2xm", true),
            None
        );
        for v in ["$PASS", "pre${X}post", "$(cat pw)", "`cat pw`", "x$HOME"] {
            assert!(
                reject_unquoted("run.sh", "--password", v, true).is_some(),
                "{v}"
            );
        }
        for v in ["(required)", "[token]", "<pass>", "{value}"] {
            assert!(
                reject_unquoted("README.md", "--password", v, true).is_some(),
                "{v}"
            );
        }
        // Code still needs letters and digits when unquoted.
        let camel = "KnkLsgadiw";
        assert!(reject_unquoted("Get.cs", "-Password", camel, true).is_some());
    }

    fn reject_token(value: &str) -> Option<&'static str> {
        let a = Assignment {
            path: "request.http",
            name: b"",
            value: value.as_bytes(),
            quote: None,
            namespaced: false,
            literal: false,
            text: b"",
        };
        let params = ValidatorParams {
            min_secret_length: 16,
            min_secret_entropy: 3.0,
            ..ValidatorParams::default()
        };
        reject_token_value(&a, vocab(), &params)
    }

    #[test]
    fn header_tokens_without_a_name_are_judged_as_secrets() {
        assert_eq!(reject_token("1677e2d075026837a4f1c9b2"), None);
        // An identifier, a placeholder, a stock word, low entropy, short.
        assert!(reject_token("GITHUB_ACCESS_TOKEN").is_some());
        assert!(reject_token("authorization_code_grant").is_some());
        assert!(reject_token("YOUR_API_TOKEN_VALUE").is_some());
        assert!(reject_token("aaaabbbbaaaabbbbaaaa").is_some());
        assert!(reject_token("Kq7vR2xm").is_some());
        assert!(reject_token("AuthorizationPolicy.ALLOW").is_some());
    }

    #[test]
    fn values_made_only_of_typed_runs_are_stand_ins() {
        for v in ["xyz456", "ghi789", "abcdef1234", "ABC123", "123456"] {
            assert!(is_ascending_runs_only(v.as_bytes()), "{v}");
            assert!(reject_common(v.as_bytes()).is_some(), "{v}");
        }
        for v in ["xyz45", "k8Fq2x", "abcd12", "xyz456q", "abc-123"] {
            assert!(!is_ascending_runs_only(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn separators_around_a_word_make_a_fragment() {
        assert!(reject("portfolio_share_token", "-principals").is_some());
        assert!(reject("password", "_default_").is_some());
        assert_eq!(reject("password", "-kq7ZvW2m"), None);
        assert_eq!(reject("password", "_xkqzvwtr"), None);
    }

    #[test]
    fn doubled_and_single_counters_are_typed() {
        assert!(is_typed_counter(b"112233"));
        assert!(is_typed_counter(b"111222333"));
        assert!(is_typed_counter(b"0123"));
        assert!(!is_typed_counter(b"1122334"));
        assert!(!is_typed_counter(b"2233"));
        assert!(!is_typed_counter(b"1133"));
        assert!(reject("ClientToken", "cachedvol112233").is_some());
        assert_eq!(reject("ClientToken", "kqzvw8m112233"), None);
    }

    /// The verdict on `name` = `value` where both sit in `text` (the value
    /// after the name), as the engine reads it there.
    fn judge_in(
        path: &str,
        text: &str,
        name: &str,
        value: &str,
        quote: Option<u8>,
    ) -> Option<&'static str> {
        let n = text.find(name).expect("in text");
        let v = n + text[n..].find(value).expect("in text");
        let a = Assignment {
            path,
            name: &text.as_bytes()[n..n + name.len()],
            value: &text.as_bytes()[v..v + value.len()],
            quote,
            namespaced: false,
            literal: false,
            text: text.as_bytes(),
        };
        reject_assignment(&a, vocab(), &ValidatorParams::default())
    }

    #[test]
    fn a_bare_key_handed_over_as_bytes_is_key_material() {
        let judge = |text: &str, value: &str| judge_in("auth.go", text, "key", value, Some(b'"'));
        // Symbols and few digits: no generated key by its alphabet, but
        // bytes of a literal are what an HMAC key is given as.
        let value = "q7a5l!g%C*X-WnEwTaEdIl0s9r6f/H?W";
        let bytes = "key = []byte(\"q7a5l!g%C*X-WnEwTaEdIl0s9r6f/H?W\")"; // keylint:allow (fake value under test)
        assert_eq!(judge(bytes, value), None);
        // The same value as a plain string under a bare `key`: a sort key
        // or cache key, by the generated-key test.
        let plain = "key = \"q7a5l!g%C*X-WnEwTaEdIl0s9r6f/H?W\""; // keylint:allow (fake value under test)
        assert!(judge(plain, value).is_some());
        // Words stay words, bytes or not.
        assert!(judge("key = []byte(\"sortorder\")", "sortorder").is_some());
    }

    #[test]
    fn an_unquoted_word_in_code_is_a_variable_only_when_used_elsewhere() {
        let judge = |path: &str, text: &str, name: &str, value: &str| {
            judge_in(path, text, name, value, None)
        };
        // A configuration in a Go string: the value is nowhere else.
        let conf = "conf := `users: [{user: svc, password: qzvrtk}]`";
        assert_eq!(judge("a_test.go", conf, "password", "qzvrtk"), None);
        let yaml = "cfg := `\n  hosts:\n    oauth_token: QZVRTKWM\n`"; // keylint:allow (fake value under test)
        assert_eq!(judge("a_test.go", yaml, "oauth_token", "QZVRTKWM"), None);
        // A variable: assigned, then read.
        let code = "qzvrtk := os.Getenv(\"P\")\nopts := Opts{password: qzvrtk}";
        assert!(judge("a.go", code, "password: ", "qzvrtk").is_some());
        // Prose goes on after the word.
        let prose = "// Second pass: lookup every edit";
        assert!(judge("a.go", prose, "pass", "lookup").is_some());
        // Types after a name: used again, a path, a generic.
        let field = "pub struct S { pub log_passwd: __u32, pub uid: __u32 }";
        assert!(judge("ptrace.rs", field, "log_passwd", "__u32").is_some());
        let konst = "pub const SECRET: _bindgen_ty_3 = _bindgen_ty_3::SECRET;";
        assert!(judge("net.rs", konst, "SECRET", "_bindgen_ty_3").is_some());
        let path = "struct P { token: crate::Handle9 }";
        assert!(judge("p.rs", path, "token", "crate::Handle9").is_some());
        let generic = "let raw_private_key: Curve25519SeedBin<'_> = seed;";
        assert!(judge("k.rs", generic, "raw_private_key", "Curve25519SeedBin").is_some());
        // An unquoted token with digits that stands alone stays a value.
        let token = "conf := `token: q7Zt2mWx9vKp`"; // keylint:allow (fake value under test)
        assert_eq!(judge("a_test.go", token, "token", "q7Zt2mWx9vKp"), None);
    }

    #[test]
    fn xml_elements_in_source_code_are_templates() {
        let a = |path| Assignment {
            path,
            name: b"pre_shared_key",
            value: b"Iw2kq7ZvW2mXrT4pLnBx",
            quote: None,
            namespaced: false,
            literal: true,
            text: b"",
        };
        let p = ValidatorParams::default();
        assert!(reject_markup(&a("models/vpn.py"), vocab(), &p).is_some());
        assert_eq!(reject_markup(&a("conf/vpn.xml"), vocab(), &p), None);
    }

    #[test]
    fn documented_fixed_passwords_are_stock() {
        let p = ValidatorParams::default();
        assert!(reject_url_password(b"x-oauth-basic", vocab(), &p).is_some());
    }

    #[test]
    fn public_names_are_not_credentials() {
        assert!(reject("publicKeyToken", "30ad4fe6b2a6aeed").is_some());
        assert!(reject("PublicKeyToken", "b77a5c561934e089").is_some());
        assert_eq!(reject("accessToken", "30ad4fe6b2a6aeed"), None);
    }

    #[test]
    fn word_phrases_are_descriptions_of_a_key() {
        let why = Some("words joined by separators: what the value should be, not a generated key");
        assert_eq!(
            reject("SECRET_TOKEN", "long-and-random-alphanumeric-string"),
            why
        );
        assert_eq!(reject("api_key", "change_me_to_something_secret"), why);
        // Random parts, digits, or too few parts are not a phrase.
        assert_eq!(reject("api_key", "xkqzv-wprtm-qzxvb-lmnqp"), None);
        assert_eq!(reject("api_key", "amber-7f3a9c2e-quartz"), None);
        let params = ValidatorParams::default();
        assert!(!is_word_phrase(b"xkqzv-wprtm", &params));
        assert!(!is_word_phrase(b"kq-zv", &params));
        assert!(!is_word_phrase(b"random", &params));
        // Two parts: one long English word is enough.
        assert_eq!(reject("authorizerCredentials", "role-arn"), why);
        assert!(is_word_phrase(b"random-string", &params));
        // A password may be a passphrase.
        assert_eq!(reject("password", "correct-horse-battery-staple"), None);
    }

    #[test]
    fn abnf_repetitions_are_grammar() {
        let why = Some("an ABNF repetition (`1*tchar`): a grammar rule, not a value");
        assert_eq!(reject("token", "1*tchar"), why);
        assert_eq!(reject("token", "2*4HEXDIG"), why);
        assert_eq!(reject("secret", "3*DIGIT-pair"), why);
        // A star among other characters is no repetition.
        assert_eq!(reject("token", "1*t5Kq!v8Rz"), None);
        assert!(!is_abnf_repetition(b"1*"));
        assert!(!is_abnf_repetition(b"x1*tchar"));
    }

    #[test]
    fn long_member_paths_are_not_variables() {
        let why =
            Some("a long qualified name (an enum member, a generated constant), not a variable");
        // 41 bytes before the credential word; then 41 after it (index
        // words, which keep the meaning).
        let before = "Contoso.Interop.Statuses.ERRS_NO_SESSION_KEY";
        let after = "PASSWORD_2021_2022_2023_2024_2025_2026_2027_2028_";
        assert_eq!(reject(before, "Rq7vXk2Lp9Wz"), why);
        assert_eq!(reject(after, "Rq7vXk2Lp9Wz"), why);
        // 40 either side is still a variable's name.
        assert_eq!(reject(&before[1..], "Rq7vXk2Lp9Wz"), None);
        assert_eq!(reject(&after[..after.len() - 1], "Rq7vXk2Lp9Wz"), None);
        assert_eq!(
            word_spans(b"ses_smtpPassword_v4"),
            vec![0..3, 4..8, 8..16, 17..18, 18..19]
        );
        assert_eq!(name_words(b"MACKey"), ["mac", "key"]);
        assert_eq!(
            name_words(b"OAuthAPIToken2"),
            ["o", "auth", "api", "token", "2"]
        );
        assert_eq!(name_words(b"DB_PASSWORD"), ["db", "password"]);
    }

    #[test]
    fn reverse_dns_names_are_packages() {
        assert!(reject("io.jsonwebtoken", "jjwt-jackson").is_some());
        assert!(reject("com.acme.apitoken", "kq7ZvW2mXr").is_some());
        assert_eq!(reject("config.apitoken", "kq7ZvW2mXr"), None);
    }

    #[test]
    fn stock_words_with_a_counter_are_examples() {
        for v in [
            "bar123",
            "test123456",
            "root123",
            "Test@12345",
            "jira_123456",
            "test1",
            "db123",
        ] {
            assert!(reject("password", v).is_some(), "{v}");
        }
        // Random stems or random digits stay.
        for v in ["xqzv481", "kd8Fq2xZ7", "wkqzhtrb123"] {
            assert_eq!(reject("password", v), None, "{v}");
        }
    }

    #[test]
    fn labels_and_translations_are_not_passwords() {
        for v in [
            "Heslo:",
            "Clave:",
            "パスワード：",
            "忘记密码",
            "Lösenord:",
            "lozinka",
        ] {
            assert!(reject("labelPassword", v).is_some(), "{v}");
        }
        assert_eq!(reject("password", "Wd7q:kvX"), None);
    }

    #[test]
    fn a_query_parameter_in_code_is_literal_text() {
        let line = b"// GET /users/getInfo?access_token=547.n43h32on.FdFFEAvDyopHh&lang=en"; // keylint:allow
        let at = |w: &[u8]| line.windows(w.len()).position(|x| x == w).unwrap();
        let (s, t) = (at(b"access_token"), at(b"lang"));
        assert!(is_query_parameter(line, s, s + b"access_token".len()));
        assert!(is_query_parameter(line, t, t + 4));
        // `x.access_token = …` in code is no query.
        let code = b"cfg.access_token = tok.value";
        let c = code.windows(12).position(|x| x == b"access_token").unwrap();
        assert!(!is_query_parameter(code, c, c + 12));
        let token = "547.n43h32on.FdFFEAvDyopHh"; // keylint:allow
        assert_eq!(
            reject_unquoted("Api.java", "access_token", token, true),
            None
        );
        assert_eq!(
            reject_unquoted("Api.java", "access_token", token, false),
            Some("an expression")
        );
    }

    #[test]
    fn schema_type_names_and_fake_values_are_not_credentials() {
        assert!(reject("tmp_password", "bytes").is_some());
        assert!(reject("password", "String").is_some());
        assert!(reject("oauth_token", "fake-key").is_some());
        assert!(reject("api_token", "fake_token_for_tests").is_some());
        assert_eq!(reject("api_token", "Fq7vNw3kLxP2mR7tYb5c"), None);
    }

    #[test]
    fn an_email_address_is_an_account_not_a_secret() {
        for v in ["python@vk.com", "first.last+tag@mail.example.org"] {
            assert!(is_email_address(v.as_bytes()), "{v}");
            assert!(reject("password", v).is_some(), "{v}");
        }
        for v in [
            "P@ssw0rd",
            "x9@Kq2.v",
            "a@b",
            "@example.com",
            "k7#x@host.c0m",
        ] {
            assert!(!is_email_address(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn a_sigv4_credential_scope_is_a_key_id_not_a_secret() {
        let key_id = "AKIA4QZ7RXMV2LN6PTWB"; // keylint:allow (fake value under test)
        for v in [
            format!("{key_id}%2F20190814%2Fus-west-2%2Fs3%2Faws4_request"),
            format!("{key_id}/20190814/us-west-2/s3/aws4_request"),
        ] {
            assert!(is_sigv4_credential_scope(v.as_bytes()), "{v}");
            assert!(reject("X-Amz-Credential", &v).is_some(), "{v}");
        }
        // Not the scope's shape: another secret that merely ends alike.
        for v in [
            "aws4_request".to_string(),
            format!("{key_id}aws4_request"),
            format!("{key_id}/us-west-2/aws4_request"),
            "Fq7vNw3kLxP2mR7tYb5c".to_string(),
        ] {
            assert!(!is_sigv4_credential_scope(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn unpacked_names_take_the_value_in_their_place() {
        fn at<'a>(line: &'a str, name: &str, first: &str) -> Option<&'a str> {
            let n = line.find(name).unwrap();
            let v = line.find(first).unwrap();
            unpacked_value(line.as_bytes(), (n, n + name.len()), (v, v + first.len()))
                .map(|(s, e)| &line[s..e])
        }
        let py = "x\n    login, password = 'python@vk.com', 'Kq7vZ2mX'\n";
        assert_eq!(at(py, "password", "python@vk.com"), Some("Kq7vZ2mX"));
        let go = r#"user, host, pass := "admin", "db", "Kq7vZ2mX""#;
        assert_eq!(at(go, "pass", "admin"), Some("Kq7vZ2mX"));
        // First among the names, not a list of names, too few values, or
        // no `=` before the value.
        assert_eq!(
            at(
                "password, login = 'Kq7vZ2mX', 'bob'",
                "password",
                "Kq7vZ2mX"
            ),
            None
        );
        assert_eq!(
            at("f(a, password = 'Kq7vZ2mX', 'b')", "password", "Kq7vZ2mX"), // keylint:allow
            None
        );
        assert_eq!(
            at("x = {'a': 1, password = 'Kq7vZ2mX'", "password", "Kq7vZ2mX"), // keylint:allow
            None
        );
        assert_eq!(at("login, password = 'bob'", "password", "bob"), None);
        // A name captured after its value pairs with nothing.
        let line = b"a, 'Kq7vZ2mX' = password";
        assert_eq!(unpacked_value(line, (16, 24), (4, 12)), None);
        assert_eq!(
            at("login, password: 'bob', 'Kq7v'", "password", "bob"),
            None
        );
    }

    #[test]
    fn the_next_assignment_is_not_an_empty_values_value() {
        let why = Some("an empty value, then the next assignment (`PASS= FILTER=x`)");
        assert_eq!(
            reject_unquoted("run.sh", "MYSQL_PASSWORD", "FILTER=integration", false),
            why
        );
        assert!(is_next_assignment(b"DB_HOST2=localhost"));
        // Base64 padding, a lower-case or short name, nothing after `=`.
        for v in ["Zm9vYmFy=", "Kq7vZ2mX==", "abc=def9Xq", "AB=x", "FILTER="] {
            assert!(!is_next_assignment(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn a_string_joined_to_a_variable_is_code() {
        for v in [".$p[", ".$password.", "+$cfg", ".${db}", ".@pw"] {
            assert!(is_joined_to_a_variable(v.as_bytes()), "{v}");
            assert!(reject("password", v).is_some(), "{v}");
        }
        // A password may begin with `.` or `+`, and hold a `$`.
        for v in [".Xk9$vQ2m", "+7qL$mZ4w", ".$9Zk2vQ", "$.Xk9vQ2m"] {
            assert!(!is_joined_to_a_variable(v.as_bytes()), "{v}");
        }
        assert_eq!(reject("password", ".Xk9$vQ2mWz"), None);
    }

    #[test]
    fn jvm_type_descriptors_are_not_values() {
        for v in [
            "Ljava/util/Set",
            "Lorg/apache/harmony/javax/security/auth/AuthPermission",
            "Landroid/content/Context$Inner",
        ] {
            assert!(is_jvm_type_descriptor(v.as_bytes()), "{v}");
            assert!(reject("privCredentials", v).is_some(), "{v}");
        }
        // Slashes in a random value, one package, or no class name.
        for v in [
            "Lx9/kQ2/Zt8vNw3k",
            "Lorg/AuthPermission",
            "Lorg/apache/auth",
            "Ljava/Util/Set",
            "java/util/Set",
        ] {
            assert!(!is_jvm_type_descriptor(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn password_hashes_are_not_passwords() {
        let bcrypt = "$2a$10$UHR6GhotWhpLsKtVP0/i6.Nh9.fuY73cWjLoJjb2sKT8KISBcUW5q";
        assert!(reject("ALICE_PASS", bcrypt).is_some());
        assert!(reject("password", "{SSHA}kq7ZvW2mXrT4pLnB").is_some());
        // The scheme names are vocabulary, matched in any case.
        for v in [
            "{SSHA512}kq7ZvW2mXrT4pLnBwq9",
            "{crypt}$1$Xk2qv$Wd7q9vLnB",
            "{PBKDF2-SHA256}10000$kq7Z",
        ] {
            assert!(is_password_hash(v.as_bytes(), vocab()), "{v}");
        }
        // Braces around something else are no hash scheme.
        for v in ["{user}kq7ZvW2mXrT4pLnB", "{SSHA", "kq7Z{SSHA}vW2m"] {
            assert!(!is_password_hash(v.as_bytes(), vocab()), "{v}");
        }
        let sha = "b1cb6e31e172577918c9e7806c572b5ed8477d3f57aa737bee4b5b1db3696f09";
        assert!(reject("GRAYLOG_SHA256_PASSWORD", sha).is_some());
    }

    #[test]
    fn one_character_repeated_is_a_placeholder() {
        assert!(reject("DYN_PASSWORD", "zzzz").is_some());
        assert!(reject_common(b"yyyy").is_some());
    }

    #[test]
    fn url_passwords_are_judged_decoded() {
        let p = ValidatorParams::default();
        assert!(reject_url_password(b"p%40ssword", vocab(), &p).is_some());
        assert!(reject_url_password(b"p%2Fss", vocab(), &p).is_some());
        assert_eq!(reject_url_password(b"kq7%40ZvW2", vocab(), &p), None);
    }

    #[test]
    fn base64_values_under_any_name_are_judged_decoded() {
        let p = ValidatorParams::default();
        let judge = |name: &str, value: &str| {
            let a = Assignment {
                path: "secret.yaml",
                name: name.as_bytes(),
                value: value.as_bytes(),
                quote: None,
                namespaced: false,
                literal: true,
                text: b"",
            };
            reject_base64_assignment(&a, vocab(), &p)
        };
        // `Rk7qZ2mW9xLp`, and the same with `echo`'s line break.
        assert_eq!(judge("extra", "Ums3cVoybVc5eExw"), None);
        assert_eq!(judge("key", "Ums3cVoybVc5eExwCg=="), None);
        // `hunter2pass`, a user name's field, a certificate, not base64, and
        // a credential's name (the generic rules read the decoded text).
        assert!(judge("key", "aHVudGVyMnBhc3M=").is_some());
        assert!(judge("username", "Ums3cVoybVc5eExw").is_some());
        assert!(judge(
            "ca.pem",
            "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUNIRHByUzdSOGFuTUlpWHFYWmp1SQ=="
        )
        .is_some());
        assert_eq!(judge("extra", "!!!!"), Some("not base64"));
        assert!(judge("db-password", "Ums3cVoybVc5eExw").is_some());
    }

    #[test]
    fn a_prefix_with_a_word_for_body_is_a_stub() {
        let p = ValidatorParams::default();
        for v in [
            "vqk2_pt_short",
            "ZRK_CI_short",
            "mx_v2_app_short",
            "plok-short",
            "00XQ1Z!short",
        ] {
            assert!(is_prefix_with_a_word_for_body(v.as_bytes(), &p), "{v}");
        }
        // A random body, a body that is not a word, no prefix at all.
        for v in [
            "vqk2_pt_9f2kq7ZvW2mXrT4pLnBx",
            "zcat_07KPW4",
            "Kx7qZvWmTr",
            "tok_Zq8vN",
        ] {
            assert!(!is_prefix_with_a_word_for_body(v.as_bytes(), &p), "{v}");
        }
    }

    #[test]
    fn a_uuid_is_an_api_key_only_under_an_api_keys_name() {
        let uuid = "3f2a9c1e-7b4d-4e8a-9c0f-5d6e7a8b9c01";
        assert_eq!(reject("X-Acme-ApiKey", uuid), None);
        assert_eq!(reject("HEROKU_API_KEY", uuid), None);
        assert_eq!(reject("api_token", uuid), None);
        assert_eq!(reject("access_token", uuid), None);
        assert_eq!(reject("authToken", uuid), None);
        assert_eq!(reject("session_token", uuid), Some(UUID));
        assert_eq!(reject("client_secret", uuid), Some(UUID));
    }

    #[test]
    fn masked_credential_words_are_stock_values() {
        for v in ["p/ss", "s*cret", "t#ken", "pa**word", "geh?im"] {
            assert!(
                is_masked_credential_word(v.as_bytes(), vocab(), &ValidatorParams::default()),
                "{v}"
            );
        }
        // Two different marks, no mark, a long value, a word that needs
        // more than the masked letter: random passwords.
        for v in ["p/s*", "pxss", "q/7kz", "k9/Vq2mZ", "p/ssAq7xZw2Lk9"] {
            assert!(
                !is_masked_credential_word(v.as_bytes(), vocab(), &ValidatorParams::default()),
                "{v}"
            );
        }
    }

    #[test]
    fn numeric_passwords_stay_runs_do_not() {
        assert_eq!(reject("password", "552712"), None);
        assert_eq!(reject("jdbcPassword", "297769"), None);
        assert!(reject("password", "123456").is_some());
        assert!(reject("password", "111111").is_some());
        assert!(reject("password", "12").is_some());
        assert!(reject("password_length", "552712").is_some());
    }

    #[test]
    fn confirmation_names_keep_their_meaning() {
        assert_eq!(
            name_kind(b"password_confirmation"),
            Some(NameKind::Password)
        );
        assert_eq!(name_kind(b"confirmPassword"), Some(NameKind::Password));
    }

    #[test]
    fn a_password_repeating_its_user_is_a_fixture() {
        assert!(reject_password_of_user(b"bat", b"bat").is_some());
        assert!(reject_password_of_user(b"flask_geo", b"FLASK_GEO").is_some());
        assert_eq!(reject_password_of_user(b"kq7ZvW2m", b"bat"), None);
    }

    #[test]
    fn text_in_another_script_is_a_label() {
        assert!(reject_common("数据库用户名的密码".as_bytes()).is_some());
    }

    #[test]
    fn der_signatures_are_public() {
        use base64::Engine;
        let mut der = vec![0x30, 0x26, 0x02, 0x11, 0x00];
        der.extend((1..=16u8).map(|i| i.wrapping_mul(37)));
        der.extend([0x02, 0x11, 0x00]);
        der.extend((1..=16u8).map(|i| i.wrapping_mul(53)));
        der[1] = (der.len() - 2) as u8;
        let sig = base64::engine::general_purpose::STANDARD.encode(&der);
        assert!(is_der_signature(sig.as_bytes()));
        assert!(reject("SharedSecret", &sig).is_some());
        assert!(!is_der_signature(b"kq7ZvW2mXrT4pLnBx9Qa"));
    }

    #[test]
    fn basic_auth() {
        // "user:kd8Fq2xZ"
        assert_eq!(reject_basic_auth(b"dXNlcjprZDhGcTJ4Wg=="), None);
        // "user:password"
        assert!(reject_basic_auth(b"dXNlcjpwYXNzd29yZA==").is_some());
    }

    #[test]
    fn a_basic_credentials_password_is_not_judged_as_an_english_word() {
        use base64::Engine;
        // Letters that pair like English: a URL's `user:denterol@` reads
        // as a placeholder word, a Basic header's pair is a credential.
        let word = b"denterol";
        let params = ValidatorParams::default();
        assert_eq!(
            reject_url_password(word, vocab(), &params),
            Some("an English word")
        );
        let pair = base64::engine::general_purpose::STANDARD.encode(b"qmrtw:denterol");
        assert_eq!(reject_basic_auth(pair.as_bytes()), None);
    }
}
