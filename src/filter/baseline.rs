//! Accepted findings, by value-based fingerprint (SHA-256 of rule, path and
//! secret — never the secret itself, never the line number):
//! - a baseline file written by `--write-baseline` and read by `--baseline`:
//!   sorted JSON that changes only when the set of findings changes, so it
//!   diffs cleanly and never churns when lines move;
//! - `.keylintignore`: one fingerprint per line (a unique prefix of 12 or
//!   more hex digits is enough), `#` starts a comment.

use crate::atomic::write_atomic;
use crate::finding::Finding;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

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

/// A set of accepted fingerprints and where it came from.
#[derive(Debug, Default)]
pub struct Accepted {
    fingerprints: BTreeSet<String>,
    prefixes: Vec<String>,
    origin: String,
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
        let file: BaselineFile = serde_json::from_str(&text).map_err(|e| {
            Error::config(
                format!("{}:{}", path.display(), e.line()),
                format!("not a keylint baseline ({e}); write one with --write-baseline"),
            )
        })?;
        Ok(Accepted {
            fingerprints: file.findings.into_iter().map(|e| e.fingerprint).collect(),
            prefixes: Vec::new(),
            origin: format!("baseline {}", path.display()),
        })
    }

    pub fn read_ignore_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut prefixes = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let entry = line.split('#').next().unwrap_or("").trim();
            if entry.is_empty() {
                continue;
            }
            let entry = entry.to_ascii_lowercase();
            if entry.len() < 12 || entry.len() > 64 || !entry.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Err(Error::config(
                    format!("{}:{}", path.display(), i + 1),
                    format!("`{entry}` is not a fingerprint: copy the 64-hex `fingerprint` keylint prints (12 or more digits)"),
                ));
            }
            prefixes.push(entry);
        }
        Ok(Accepted {
            fingerprints: BTreeSet::new(),
            prefixes,
            origin: path.display().to_string(),
        })
    }

    /// The source that accepts this finding, if any.
    pub fn accepts(&self, f: &Finding) -> Option<&str> {
        let fp = &f.fingerprint.0;
        (self.fingerprints.contains(fp) || self.prefixes.iter().any(|p| fp.starts_with(p.as_str())))
            .then_some(self.origin.as_str())
    }
}

/// Writes the findings as a baseline: sorted, deduplicated, no line numbers.
pub fn write_baseline(path: &Path, findings: &[Finding]) -> Result<usize> {
    let entries: BTreeSet<Entry> = findings
        .iter()
        .map(|f| Entry {
            path: f.location.path.clone(),
            rule_id: f.rule.id.clone(),
            fingerprint: f.fingerprint.0.clone(),
        })
        .collect();
    let doc = BaselineFile {
        version: 1,
        findings: entries.into_iter().collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| Error::Other(e.to_string()))?;
    text.push('\n');
    write_atomic(path, text.as_bytes())?;
    Ok(doc.findings.len())
}
