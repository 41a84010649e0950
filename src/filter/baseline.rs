//! Accepted findings, by fingerprint (see [`crate::fingerprint`]: derived
//! from rule, path and secret with guessing made costly — never the secret
//! itself, never the line number):
//! - a baseline file written by `--write-baseline` and read by `--baseline`:
//!   sorted JSON that changes only when the set of findings changes, so it
//!   diffs cleanly and never churns when lines move;
//! - `.keylintignore`: one fingerprint per line (a unique prefix of 12 or
//!   more hex digits is enough), `#` starts a comment.

use crate::atomic::write_atomic;
use crate::finding::{Finding, Fingerprint};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

pub const IGNORE_FILE: &str = ".keylintignore";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    path: String,
    rule_id: String,
    fingerprint: String,
}

/// The baseline format written today: version-2 fingerprints.
const BASELINE_VERSION: u32 = 2;

/// A set of accepted fingerprints and where it came from.
#[derive(Debug, Default)]
pub struct Accepted {
    fingerprints: BTreeSet<String>,
    prefixes: Vec<String>,
    origin: String,
    /// A version-1 baseline: its fingerprints are the old unsalted kind.
    legacy: bool,
    /// Findings matched only through a version-1 fingerprint, to warn
    /// that the file should be rewritten.
    legacy_matches: AtomicUsize,
}

impl Accepted {
    pub fn read_baseline(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::config(
                path.display().to_string(),
                "no such baseline; write one with `keylint scan PATH --write-baseline FILE`",
            ),
            _ => Error::io(path, e),
        })?;
        Self::parse_baseline(&path.display().to_string(), &text)
    }

    /// A baseline from its text; `origin` names it in errors.
    pub fn parse_baseline(origin: &str, text: &str) -> Result<Self> {
        let file: BaselineFile = serde_json::from_str(text).map_err(|e| {
            Error::config(
                format!("{origin}:{}", e.line()),
                format!(
                    "not a keylint baseline ({}); write one with --write-baseline",
                    crate::quiet::quiet_message(&e.to_string())
                ),
            )
        })?;
        if file.version > BASELINE_VERSION {
            return Err(Error::config(
                origin.to_string(),
                format!(
                    "baseline version {} is newer than this keylint reads; upgrade keylint",
                    file.version
                ),
            ));
        }
        Ok(Accepted {
            fingerprints: file.findings.into_iter().map(|e| e.fingerprint).collect(),
            prefixes: Vec::new(),
            origin: format!("baseline {origin}"),
            legacy: file.version < BASELINE_VERSION,
            legacy_matches: AtomicUsize::new(0),
        })
    }

    pub fn read_ignore_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse_ignore_file(&path.display().to_string(), &text)
    }

    /// A `.keylintignore` from its text; `origin` names it in errors.
    pub fn parse_ignore_file(origin: &str, text: &str) -> Result<Self> {
        let mut prefixes = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let entry = line.split('#').next().unwrap_or("").trim();
            if entry.is_empty() {
                continue;
            }
            let entry = entry.to_ascii_lowercase();
            if entry.len() < 12 || entry.len() > 64 || !entry.bytes().all(|b| b.is_ascii_hexdigit())
            {
                // Not echoed: a line pasted here by mistake may be a key.
                return Err(Error::config(
                    format!("{origin}:{}", i + 1),
                    "not a fingerprint: copy the 64-hex `fingerprint` keylint prints (12 or more digits)",
                ));
            }
            prefixes.push(entry);
        }
        Ok(Accepted {
            fingerprints: BTreeSet::new(),
            prefixes,
            origin: origin.to_string(),
            legacy: false,
            legacy_matches: AtomicUsize::new(0),
        })
    }

    /// The source that accepts this finding, if any. Version-1
    /// fingerprints (old baselines, old `.keylintignore` lines) still match.
    pub fn accepts(&self, f: &Finding) -> Option<&str> {
        let matches = |fp: &str| {
            self.fingerprints.contains(fp)
                || self.prefixes.iter().any(|p| fp.starts_with(p.as_str()))
        };
        if !self.legacy && matches(&f.fingerprint().0) {
            return Some(self.origin.as_str());
        }
        let v1 = Fingerprint::legacy_v1(&f.rule.id, &f.location.path, f.secret.expose());
        if matches(&v1.0) {
            self.legacy_matches.fetch_add(1, Relaxed);
            return Some(self.origin.as_str());
        }
        None
    }

    /// A warning when findings were accepted only through version-1
    /// fingerprints.
    pub fn legacy_warning(&self) -> Option<String> {
        let n = self.legacy_matches.load(Relaxed);
        (n > 0).then(|| {
            format!(
                "{}: {n} finding(s) matched by old unsalted (version 1) fingerprints, which make weak secrets easy to guess; rewrite it with the fingerprints keylint prints now (`--write-baseline` for a baseline)",
                self.origin
            )
        })
    }
}

/// Writes the findings as a baseline: sorted, deduplicated, no line numbers.
pub fn write_baseline(path: &Path, findings: &[Finding]) -> Result<usize> {
    let entries: BTreeSet<Entry> = findings
        .iter()
        .map(|f| Entry {
            path: f.location.path.clone(),
            rule_id: f.rule.id.clone(),
            fingerprint: f.fingerprint().0.clone(),
        })
        .collect();
    let doc = BaselineFile {
        version: BASELINE_VERSION,
        findings: entries.into_iter().collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).map_err(|source| Error::Encode {
        what: "the baseline",
        source,
    })?;
    text.push('\n');
    write_atomic(path, text.as_bytes())?;
    Ok(doc.findings.len())
}
