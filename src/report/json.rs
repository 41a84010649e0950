//! `--format json`: one document, `{"keylint": {...}, "findings": [...],
//! "summary": {...}}`, one object per finding. The schema is documented in
//! the README and versioned by `schema_version`; fields are only ever added.

use super::{RenderOptions, Summary};
use crate::finding::{CommitInfo, Finding};
use serde::Serialize;
use std::io::{self, Write};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    keylint: Tool,
    findings: Vec<JsonFinding<'a>>,
    summary: &'a Summary,
}

#[derive(Serialize)]
struct Tool {
    version: &'static str,
    schema_version: u32,
}

#[derive(Serialize)]
pub struct JsonFinding<'a> {
    pub rule_id: &'a str,
    pub provider: &'a str,
    pub description: &'a str,
    pub confidence: &'static str,
    pub severity: &'static str,
    pub path: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// Redacted unless `--show-secrets`.
    pub secret: String,
    pub redacted: bool,
    /// The source line, with the secret redacted the same way.
    pub line_text: String,
    pub fingerprint: &'a str,
    pub help: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<&'a CommitInfo>,
    /// What the provider said about the key (`--verify`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<&'a crate::verify::Validation>,
    /// The archive or notebook holding `path`, when the finding is inside one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact: Option<&'a str>,
    /// How the secret was encoded at `path:line` (`base64`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<&'static str>,
}

impl<'a> JsonFinding<'a> {
    pub fn new(f: &'a Finding, opts: RenderOptions) -> Self {
        JsonFinding {
            rule_id: &f.rule.id,
            provider: &f.rule.provider,
            description: &f.rule.description,
            confidence: f.rule.confidence.as_str(),
            severity: f.rule.severity.as_str(),
            path: &f.location.path,
            line: f.location.line,
            column: f.location.column,
            end_line: f.location.end_line,
            end_column: f.location.end_column,
            secret: if opts.show_secrets {
                f.secret.expose().to_string()
            } else {
                f.secret.redacted()
            },
            redacted: !opts.show_secrets,
            line_text: f.context.render(&f.secret, opts.show_secrets).0,
            fingerprint: &f.fingerprint().0,
            help: &f.rule.help,
            url: f.rule.url.as_deref(),
            commit: f.commit.as_ref(),
            validation: f.validation.as_ref(),
            artifact: f.within.map(|_| f.artifact()),
            decoded: f.decoded,
        }
    }
}

pub fn render(
    w: &mut dyn Write,
    findings: &[Finding],
    summary: &Summary,
    opts: RenderOptions,
) -> io::Result<()> {
    let doc = Document {
        keylint: Tool {
            version: env!("CARGO_PKG_VERSION"),
            schema_version: SCHEMA_VERSION,
        },
        findings: findings.iter().map(|f| JsonFinding::new(f, opts)).collect(),
        summary,
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

/// `--format jsonl`: one finding per line, the same object as in
/// `--format json`'s `findings`, and nothing else (no summary line), so
/// `jq -c`, `grep` and line-oriented log shippers read it as it comes.
pub fn render_lines(
    w: &mut dyn Write,
    findings: &[Finding],
    opts: RenderOptions,
) -> io::Result<()> {
    for f in findings {
        serde_json::to_writer(&mut *w, &JsonFinding::new(f, opts))?;
        writeln!(w)?;
    }
    Ok(())
}
