//! The on-disk schema of a rule file (`rules/*.toml`, and user rules from a
//! config file). Pure serde types: no regex is compiled here, so the schema can
//! be read, listed and validated separately from the engine.

pub use crate::finding::{Confidence, Severity};
use serde::{Deserialize, Serialize};

/// One file in `rules/`: a provider (or family) and its detection rules.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub provider: ProviderSpec,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// Paths that hold credentials by their name alone (`.env`, `*.pem`, a
    /// provider's config file). A file git tracks at such a path is a finding
    /// even when no key pattern matches its content.
    #[serde(default)]
    pub credential_files: Vec<CredentialFileSpec>,
    /// Markers of a documentation file: a file holding one uses a
    /// provider's reserved example credentials, so its other
    /// less-than-certain findings are examples too.
    #[serde(default)]
    pub example_documents: Vec<ExampleDocumentSpec>,
}

/// A provider's reserved example credentials, as a regex on the file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleDocumentSpec {
    /// Matched on the file's bytes, case-sensitively.
    pub regex: String,
    /// Names the reserved values, for `--explain`.
    pub description: String,
}

/// What keylint knows about a provider beyond its key patterns: where its
/// SDKs and CLIs look for the key. The key resolver reads this.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    /// Short lowercase name used on the command line: `openai`, `muapi`.
    pub id: String,
    /// Display name: `OpenAI`, `MuAPI`.
    pub name: String,
    /// Environment variables the provider's SDKs read, in their precedence.
    #[serde(default)]
    pub env_vars: Vec<String>,
    /// The provider's own config files that hold the key.
    #[serde(default)]
    pub config_files: Vec<ConfigFileSpec>,
    /// A regex a bare key must match in full (anchored by the loader). Absent
    /// when the provider documents no shape.
    #[serde(default)]
    pub key_shape: Option<String>,
    /// Where to create or rotate a key.
    #[serde(default)]
    pub keys_url: Option<String>,
    /// The provider's own command that stores a key where keylint finds it,
    /// with `YOUR_KEY` for the key: `muapi auth configure --api-key YOUR_KEY`.
    /// Named in the missing-key message.
    #[serde(default)]
    pub configure_command: Option<String>,
    /// How long the provider's keys live, where it documents a fixed
    /// lifetime: a stored key without `--expires` expires this many days
    /// after it was set.
    #[serde(default)]
    pub key_lifetime_days: Option<u32>,
}

/// A provider config file, e.g. `~/.muapi/config.json` with `{"api_key": …}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFileSpec {
    /// Path with `~` for the home directory and `$VAR` / `${VAR:-default}` expansions.
    pub path: String,
    pub format: ConfigFormat,
    /// Dotted path of the key inside a JSON/TOML/YAML document; absent for `plain`.
    #[serde(default)]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigFormat {
    Json,
    Toml,
    /// The whole file (trimmed) is the key, like Hugging Face's `token` file.
    Plain,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialFileSpec {
    /// Gitignore-style glob matched against the repository-relative path,
    /// e.g. `.env`, `.env.*`, `*.pem`, `.muapi/config.json`.
    pub glob: String,
    /// Globs that exempt a match, e.g. `.env.example`.
    #[serde(default)]
    pub unless: Vec<String>,
    pub description: String,
}

/// One detection rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable id, `provider-kind`: `openai-project-key`.
    pub id: String,
    pub description: String,
    /// The pattern, matched on bytes with Unicode off. The secret is the
    /// first participating capture group whose name starts with `secret`,
    /// else group 1, else the whole match. A group named `name` captures the
    /// variable or key the secret is assigned to, for validators that read it.
    pub regex: String,
    /// Literal strings, matched case-insensitively, at least one of which
    /// occurs within the rule's window whenever the regex can match. They gate
    /// the regex: a rule runs only near one of its keywords.
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy (bits per character) of the secret.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// Longest secret the rule reports, in bytes. Its regex can then take
    /// the value as `{6,}`: a counted bound such as `{6,512}` unrolls into
    /// hundreds of NFA states, compiled on the rule's first keyword hit,
    /// where pre-commit's start-up is spent.
    #[serde(default)]
    pub max_secret_length: Option<usize>,
    /// Regexes on the secret that mark a known placeholder or public value.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Exact values the provider itself publishes as public (in its SDK
    /// samples, docs or test suites), each with where and why: a key that
    /// is published is no secret, whatever file it turns up in.
    #[serde(default)]
    pub published: Vec<PublishedValue>,
    /// A checksum the secret carries and must pass.
    #[serde(default)]
    pub checksum: Option<Checksum>,
    /// A token that is base64 of a JSON object (from `eyJ` on, after any
    /// prefix): the fields its payload must hold. Another product's token
    /// can share the prefix (a Power BI report link's `eyJrIjoi…` opens
    /// like a Grafana key) but not the fields.
    #[serde(default)]
    pub payload_fields: Vec<String>,
    /// Extra, named validation steps implemented in the engine.
    #[serde(default)]
    pub validate: Vec<Validator>,
    /// Thresholds of those validation steps.
    #[serde(default)]
    pub params: ValidatorParams,
    #[serde(default)]
    pub confidence: Confidence,
    #[serde(default)]
    pub severity: Severity,
    /// How to fix a finding: revoke, rotate, read from the environment.
    pub help: String,
    #[serde(default)]
    pub url: Option<String>,
    /// Lines before the keyword's line that the regex may need (YAML nesting).
    #[serde(default)]
    pub lines_before: usize,
    /// Bytes after the keyword's line the regex may need (PEM bodies, JSON).
    #[serde(default)]
    pub bytes_after: usize,
    /// The name a keyword sits in (`db_password`, `--token`), when the
    /// rule's matches can be placed by it: see [`KeywordName`].
    #[serde(default)]
    pub keyword_name: Option<KeywordName>,
    /// What follows the keyword in every match: see [`KeywordThen`].
    #[serde(default)]
    pub keyword_then: Option<KeywordThen>,
    /// Skip the engine's generic placeholder test (for shapes that are all
    /// fixed text, where it would misfire). Rare.
    #[serde(default)]
    pub no_placeholder_check: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Inputs that must produce exactly this secret.
    #[serde(default)]
    pub examples: Vec<Example>,
    /// Inputs that must produce no finding from this rule.
    #[serde(default)]
    pub counter_examples: Vec<CounterExample>,
    /// How `--verify` asks the provider whether a found key is live
    /// (`[rules.verify]`, see [`super::verify_spec`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<super::verify_spec::VerifySpec>,
}

/// Facts about where a rule's matches sit relative to the name around
/// its keyword: the longest run of `chars` bytes holding the keyword hit.
/// Most lines holding `key` or `pass` hold no assignment to it, and the
/// generic rules' regexes read each such line whole; with these facts a
/// hit costs a few bytes of an anchored search, or nothing. A fact that is
/// wrong loses matches, so `cargo test` checks every rule that states one
/// against the plain search on every rule's examples.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeywordName {
    /// The bytes a name is made of, as a regex byte class:
    /// `'[A-Za-z0-9_.-]'`.
    pub chars: String,
    /// Every match starts at the name or at the byte just before it (the
    /// `(?:^|[^a-z0-9_.-])` that opens a generic assignment), so the regex
    /// is tried there, anchored, rather than searched across the line.
    #[serde(default)]
    pub starts_match: bool,
    /// Every match has one of these bytes (a regex byte class) just before
    /// the name, such as the quote that opens `"db_password"`: a hit
    /// without one gets no window.
    #[serde(default)]
    pub after: Option<String>,
}

/// What follows a rule's keyword in every match: a run of `chars` bytes
/// (maybe none), then one of `then`. After `://`, `url-credentials` needs a
/// user name and a `:`; most URLs have a host and a `/` there, and a hit
/// without the fact opens no window. Checked like [`KeywordName`].
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeywordThen {
    /// The run's bytes, as a regex byte class.
    pub chars: String,
    /// The bytes one of which ends the run, as a regex byte class (not
    /// overlapping `chars`).
    pub then: String,
}

/// A credential-shaped value published as public by its provider.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedValue {
    pub value: String,
    /// Where it is published and why it is public; `--explain` shows it.
    pub reason: String,
}

/// An input that must produce no finding: text alone (scanned as
/// `example.txt`), or text with the path it is scanned as.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum CounterExample {
    Text(String),
    At(CounterExampleAt),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CounterExampleAt {
    pub input: String,
    pub path: String,
}

impl CounterExample {
    pub fn input(&self) -> &str {
        match self {
            CounterExample::Text(t) => t,
            CounterExample::At(a) => &a.input,
        }
    }

    pub fn path(&self) -> &str {
        match self {
            CounterExample::Text(_) => "example.txt",
            CounterExample::At(a) => &a.path,
        }
    }
}

/// Thresholds of the engine's validators. A rule states the ones it relies
/// on (`rules/generic.toml`); the defaults are the same values.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidatorParams {
    /// `generic-value`: a password (the name says so) is at least this long.
    pub min_password_length: usize,
    /// `generic-value`: a secret, token or key is at least this long.
    pub min_secret_length: usize,
    /// `generic-value`: a secret's least Shannon entropy (bits per character).
    pub min_secret_entropy: f64,
    /// `generic-value`, `url-password`: a letters-only value whose share of
    /// common English letter pairs reaches this is a word.
    pub english_word_share: f64,
    /// `generic-value`: a value with no letters shorter than this is a number.
    pub min_number_length: usize,
    /// `url-password`: a URL's password is at least this long.
    pub min_url_password_length: usize,
    /// `example-jwt`: how far around a token (bytes) to look for the
    /// placeholder key it was signed with.
    pub jwt_key_window: usize,
    /// `generic-value`: a name with more bytes than this before or after
    /// its credential word is a qualified member's path, not a variable.
    pub max_name_side: usize,
    /// `generic-value`: a stub key's segments (`vqk2_pt_short`) are at most
    /// this long; a real key has one long random segment.
    pub max_stub_segment: usize,
    /// `generic-value`: a credential word with a letter masked (`p/ss`) is
    /// at most this long.
    pub max_masked_word_length: usize,
    /// `generic-value`: under a bare `<word>_key` (`LASTFM_KEY`) a value is
    /// a generated key only from this long…
    pub min_generated_key_length: usize,
    /// …and with at least this Shannon entropy (bits per character).
    pub min_generated_key_entropy: f64,
}

impl Default for ValidatorParams {
    fn default() -> Self {
        ValidatorParams {
            min_password_length: 4,
            min_secret_length: 6,
            min_secret_entropy: 2.5,
            english_word_share: 0.6,
            min_number_length: 10,
            min_url_password_length: 3,
            jwt_key_window: 2048,
            max_name_side: 40,
            max_stub_segment: 7,
            max_masked_word_length: 12,
            min_generated_key_length: 24,
            min_generated_key_entropy: 3.0,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub input: String,
    pub secret: String,
    /// The path the input is scanned as, for rules that look at file names.
    #[serde(default)]
    pub path: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Checksum {
    /// GitHub and npm tokens: the last 6 characters are the base62 CRC32 of
    /// the body before them.
    Crc32Base62,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validator {
    /// The generic assignment heuristics: the value must look like a secret,
    /// not code, a path, a reference to the environment or a word.
    GenericValue,
    /// `generic-value` where the syntax makes an unquoted value literal text
    /// (an XML element's text, a command-line argument): only an expansion
    /// (`$PASS`, `$(…)`) or usage text in brackets is not a value.
    GenericLiteral,
    /// An XML element's text: `generic-literal`, except that an element
    /// inside source code is a template or a mocked response.
    GenericMarkup,
    /// A token that a header scheme introduces rather than a name
    /// (`Authorization: Token …`): the value tests of `generic-value`.
    TokenValue,
    /// Connection-URL password: not a placeholder or an interpolation.
    UrlPassword,
    /// `Basic <base64>`: must decode to `user:password` with a real password.
    Base64Credentials,
    /// A value a manifest declares secret whatever its name, stored
    /// base64-encoded (a Kubernetes Secret's `data:`): decoded, it must be
    /// one printable line that passes the value tests of a secret; names of
    /// plain fields (`username`, `host`) are not secrets, and names of
    /// credentials are left to the generic rules.
    Base64Value,
    /// A PEM block: its body must be key material, not `...` or a note.
    PemBody,
    /// A JWT: not one signed with a well-known or nearby placeholder key.
    ExampleJwt,
}
