//! A [`Finding`]: one credential at one place. The secret it carries is held
//! in a [`Secret`], whose `Debug` and `Display` print only the redacted form,
//! so no log line, error or panic message can leak it by accident.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

pub use crate::fingerprint::Fingerprint;

/// A secret value. Printing it shows the redacted form; [`Secret::expose`]
/// is the one door to the full value, and every call of it is deliberate.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The full secret. Callers: `--show-secrets`, `--reveal`, fingerprints,
    /// and injecting a key into a child process.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Keeps a short prefix and suffix, enough to recognise a key, never enough to
/// use it: at most a quarter of the characters, and at most 4 + 2 of them.
/// This is the one redaction policy: findings, `keylint key` and the
/// `keylint run` output masker all show secrets through it.
pub fn redact(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    if n < 8 {
        return "*".repeat(n.max(3));
    }
    // A quarter of the characters, split about two to one between the ends.
    let budget = n / 4;
    let tail = (budget / 3).min(2);
    let head = (budget - tail).min(4);
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[n - tail..]);
    out
}

/// Where a secret sits. Lines and columns are 1-based; columns count Unicode
/// code points; `end_column` is exclusive.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// The source line around a secret, kept to render it redacted. Its text
/// holds the secret (and any other secret on the line), so the fields are
/// private and `Debug` prints the redacted rendering: no log line or panic
/// message can show the line as it is.
#[derive(Clone, PartialEq, Eq)]
pub struct LineContext {
    /// The line (shortened around the secret if very long), lossily decoded.
    text: String,
    /// Byte range of the finding's secret (its first-line part) in `text`.
    secret: Range<usize>,
    /// Byte ranges of the other secrets keylint reports on the same line:
    /// they are redacted too in every rendering of the line.
    others: Vec<Range<usize>>,
}

impl LineContext {
    /// A line holding a secret at `secret` and other secrets at `others`
    /// (byte ranges within `text`, clipped to it).
    pub fn new(text: String, secret: Range<usize>, mut others: Vec<Range<usize>>) -> Self {
        let clip = |r: &Range<usize>| r.start.min(text.len())..r.end.min(text.len());
        let secret = clip(&secret);
        // A reported value can occur again on its line outside its match (in
        // a URL, a second header): every occurrence is redacted.
        let values: Vec<String> = std::iter::once(&secret)
            .chain(others.iter())
            .map(clip)
            .filter(|r| r.start < r.end)
            .filter_map(|r| text.get(r).map(str::to_owned))
            .collect();
        for value in &values {
            others.extend(
                text.match_indices(value.as_str())
                    .map(|(at, v)| at..at + v.len()),
            );
        }
        others = others
            .iter()
            .map(clip)
            .filter(|r| r.start < r.end && (r.end <= secret.start || r.start >= secret.end))
            .collect();
        others.sort_by_key(|r| r.start);
        // Overlapping spans would garble the rendering: merge them.
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(others.len());
        for r in others {
            match merged.last_mut() {
                Some(last) if r.start < last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        LineContext {
            text,
            secret,
            others: merged,
        }
    }

    /// Also redacts every occurrence of `values` in the shown text (secrets
    /// found by another pass over the blob, such as decoded base64).
    pub fn redact_values(&mut self, values: &[&str]) {
        let mut others = self.others.clone();
        for v in values.iter().filter(|v| !v.is_empty()) {
            others.extend(self.text.match_indices(v).map(|(at, m)| at..at + m.len()));
        }
        if others.len() == self.others.len() {
            return;
        }
        *self = LineContext::new(std::mem::take(&mut self.text), self.secret.clone(), others);
    }

    /// A note about a whole file, with no secret in it to underline.
    pub fn note(text: String) -> Self {
        LineContext {
            text,
            secret: 0..0,
            others: Vec::new(),
        }
    }

    /// Whether this is a note about a file rather than a line with a secret.
    pub fn is_note(&self) -> bool {
        self.secret.is_empty()
    }

    /// The line with every secret on it replaced by its redacted form (all
    /// kept, with `show_secrets`), and the char columns the finding's
    /// secret then occupies.
    pub fn render(&self, secret: &Secret, show_secrets: bool) -> (String, usize, usize) {
        let mut out = String::with_capacity(self.text.len());
        let mut at = 0;
        let mut columns = (0, 0);
        let mut spans: Vec<(&Range<usize>, bool)> =
            self.others.iter().map(|r| (r, false)).collect();
        if !self.secret.is_empty() {
            spans.push((&self.secret, true));
        }
        spans.sort_by_key(|(r, _)| r.start);
        for (r, mine) in spans {
            out.push_str(&self.text[at..r.start]);
            let start = out.chars().count();
            match (show_secrets, mine) {
                (true, _) => out.push_str(&self.text[r.clone()]),
                (false, true) => out.push_str(&secret.redacted()),
                (false, false) => out.push_str(&redact(&self.text[r.clone()])),
            }
            if mine {
                columns = (start, out.chars().count());
            }
            at = r.end;
        }
        out.push_str(&self.text[at..]);
        (out, columns.0, columns.1)
    }
}

impl fmt::Debug for LineContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = Secret::new(&self.text[self.secret.clone()]);
        write!(f, "LineContext({:?})", self.render(&secret, false).0)
    }
}

/// How sure a match is a real credential. Orders findings when spans overlap.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Deserialize, Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    #[default]
    Medium,
    High,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Deserialize, Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    #[default]
    High,
    Critical,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// What a finding needs to know about the rule that produced it. Shared, so
/// findings stay cheap to clone.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleMeta {
    pub id: String,
    pub provider_id: String,
    pub provider: String,
    pub description: String,
    pub confidence: Confidence,
    pub severity: Severity,
    pub help: String,
    pub url: Option<String>,
    pub tags: Vec<String>,
}

/// How loudly a finding is reported: `error` for high-confidence provider
/// keys (a distinctive prefix, a checksum), `warning` for context and
/// generic matches. Human output, SARIF and `--fail-on` all read it here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

impl RuleMeta {
    pub fn level(&self) -> Level {
        match self.confidence {
            Confidence::High => Level::Error,
            _ => Level::Warning,
        }
    }
}

/// Provenance of a finding in git history.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    pub email: String,
    /// RFC 3339 author date.
    pub date: String,
    pub summary: String,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: Arc<RuleMeta>,
    pub location: Location,
    pub secret: Secret,
    pub context: LineContext,
    /// Computed on first use: a weak secret's fingerprint costs a key
    /// stretch, and most candidates a history scan finds are dropped
    /// (already in the older version) before anyone asks.
    fingerprint: OnceLock<Fingerprint>,
    pub commit: Option<CommitInfo>,
    /// GitHub's `primaryLocationLineHash` of the finding's line, computed
    /// while the file's bytes are at hand when the report needs it (SARIF).
    pub line_hash: Option<String>,
    /// What the provider said about the key, with `--verify`.
    pub validation: Option<crate::validation::Validation>,
    /// The other half of a two-part credential found near this one, kept
    /// (with `--verify` only) for its validator.
    pub partner: Option<Secret>,
    /// When the finding sits inside a file rather than in it — a member of
    /// an archive (`dist/app.whl!app/settings.py`), a notebook cell
    /// (`nb.ipynb:cell 4`) — how many bytes of `location.path` name that
    /// file. Reports show the whole path and point tools at the file.
    pub within: Option<usize>,
    /// How the secret was encoded where it was found (`base64`): the
    /// location points at the encoded text, the secret is the decoded one.
    pub decoded: Option<&'static str>,
}

impl Finding {
    pub fn new(
        rule: Arc<RuleMeta>,
        location: Location,
        secret: Secret,
        context: LineContext,
    ) -> Self {
        Finding {
            rule,
            location,
            secret,
            context,
            fingerprint: OnceLock::new(),
            commit: None,
            line_hash: None,
            validation: None,
            partner: None,
            within: None,
            decoded: None,
        }
    }

    /// How the finding is shown and whether it blocks: a key the provider
    /// accepted is an error whatever its rule's confidence.
    pub fn level(&self) -> Level {
        if self.is_live() {
            Level::Error
        } else {
            self.rule.level()
        }
    }

    /// Whether the provider said the key works.
    pub fn is_live(&self) -> bool {
        self.validation.as_ref().is_some_and(|v| v.status.is_live())
    }

    /// The finding's identity (see [`crate::fingerprint`]).
    pub fn fingerprint(&self) -> &Fingerprint {
        self.fingerprint.get_or_init(|| {
            Fingerprint::new(&self.rule.id, &self.location.path, self.secret.expose())
        })
    }

    /// The file (on disk or in git) that holds the finding: the archive or
    /// notebook when it sits inside one, else the path itself.
    pub fn artifact(&self) -> &str {
        let path = &self.location.path;
        self.within.and_then(|n| path.get(..n)).unwrap_or(path)
    }

    /// Sort key that makes output order deterministic whatever order threads
    /// finished in.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, Option<&str>) {
        (
            &self.location.path,
            self.location.line,
            self.location.column,
            &self.rule.id,
            self.commit.as_ref().map(|c| c.id.as_str()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_repeated_on_its_line_is_redacted_everywhere() {
        let text =
            "Bearer nvapi-Zq8vNw3kLxP2mR7tQ9 https://x.envapi-Zq8vNw3kLxP2mR7tQ9.org".to_string(); // keylint:allow
        let at = text.find("nvapi").unwrap();
        let secret = Secret::new("nvapi-Zq8vNw3kLxP2mR7tQ9");
        let line = LineContext::new(text, at..at + secret.expose().len(), Vec::new());
        let (shown, _, _) = line.render(&secret, false);
        assert!(!shown.contains(secret.expose()), "{shown}");
        assert_eq!(shown.matches(&secret.redacted()).count(), 2, "{shown}");
    }

    #[test]
    fn redaction_never_shows_most_of_a_secret() {
        assert_eq!(redact("abc"), "***");
        assert_eq!(redact("Zq8vNw3"), "*******");
        assert_eq!(redact("password"), "pa…");
        assert_eq!(redact("Zq8vNw3kLxP2"), "Zq…2");
        assert_eq!(redact("Zq8vNw3kLxP2mR7t"), "Zq8…t", "16 chars: 4 shown");
        assert_eq!(redact("AKIAZq8vNw3kLxP2mR7t"), "AKIA…t");
        assert_eq!(redact("sk-proj-abcdefghijklmnopqrstuvwxyz"), "sk-p…yz");
        for n in 0..64 {
            let value: String = "Zq8vNw3kLxP2mR7tYb5cHd9fJg4hKj6lMn2pQr8sTv3wXy7zAB1CD5EF9GH3IJ7KL"
                .chars()
                .take(n)
                .collect();
            let shown = redact(&value)
                .chars()
                .filter(|c| *c != '…' && *c != '*')
                .count();
            assert!(shown * 4 <= n && shown <= 6, "{n} chars: {shown} shown");
        }
        let s = Secret::new("hunter2hunter2hunter2");
        assert!(!format!("{s:?} {s}").contains("hunter2hunter2"));
    }

    /// A whole finding's `Debug` (what a log line, `dbg!` or a panic shows)
    /// holds neither its secret, nor another secret on its line, nor its
    /// two-part partner, even with the fingerprint computed.
    #[test]
    fn debug_of_a_finding_shows_no_secret() {
        let key = "Zq8vNw3kLxP2mR7tYb5cHd9fJg4h"; // keylint:allow (fake value under test)
        let other = "Mn2pQr8sTv3wXy7zAB1CD5EF";
        let text = format!("client = Client(key=\"{key}\", secret=\"{other}\")");
        let at = text.find(key).unwrap();
        let other_at = text.find(other).unwrap();
        let rule = Arc::new(RuleMeta {
            id: "example-key".into(),
            provider_id: "example".into(),
            provider: "Example".into(),
            description: "an example key".into(),
            confidence: Confidence::High,
            severity: Severity::High,
            help: String::new(),
            url: None,
            tags: Vec::new(),
        });
        let location = Location {
            path: "client.py".into(),
            line: 1,
            column: at + 1,
            end_line: 1,
            end_column: at + key.len() + 1,
        };
        let context = LineContext::new(
            text.clone(),
            at..at + key.len(),
            std::iter::once(other_at..other_at + other.len()).collect(),
        );
        let mut finding = Finding::new(rule, location, Secret::new(key), context);
        finding.partner = Some(Secret::new(other));
        let _ = finding.fingerprint();
        let shown = format!("{finding:?} {finding:#?}");
        assert!(shown.contains("client.py"), "{shown}");
        for hidden in [&key[4..], &other[4..]] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
    }
}
