//! `--format gitlab`: GitLab's secret-detection report (schema 15.2.1,
//! kept in `tests/data` and checked there), the artifact a job names under
//! `artifacts: reports: secret_detection:`. Secrets stay redacted: the
//! optional `raw_source_code_extract` is written only with
//! `--show-secrets`.
//!
//! The schema requires a commit on every vulnerability. A history finding
//! carries its own; a tree or staged finding gets the pipeline's commit
//! (`CI_COMMIT_SHA`, which GitLab sets in every job) or, outside GitLab
//! CI, `0000000`, the placeholder GitLab's own analyzer writes for
//! findings not tied to a commit.

use super::{RenderOptions, Summary};
use crate::finding::Finding;
use crate::rules::Severity;
use serde::Serialize;
use std::io::{self, Write};

/// The schema version the report declares (and the tests validate).
pub const SCHEMA_VERSION: &str = "15.2.1";
const SCHEMA_URL: &str = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.2.1/dist/secret-detection-report-format.json";
/// GitLab's placeholder for "no commit".
const NO_COMMIT: &str = "0000000";

/// When the scan ran, and the commit to attribute tree findings to.
#[derive(Debug, Clone)]
pub struct Context {
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
    /// `CI_COMMIT_SHA` when set.
    pub commit: Option<String>,
}

#[derive(Serialize)]
struct Report<'a> {
    version: &'static str,
    schema: &'static str,
    scan: Scan,
    vulnerabilities: Vec<Vulnerability<'a>>,
}

#[derive(Serialize)]
struct Scan {
    analyzer: Tool,
    scanner: Tool,
    #[serde(rename = "type")]
    kind: &'static str,
    start_time: String,
    end_time: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<Message>,
}

#[derive(Serialize)]
struct Tool {
    id: &'static str,
    name: &'static str,
    version: &'static str,
    url: &'static str,
    vendor: Vendor,
}

#[derive(Serialize)]
struct Vendor {
    name: &'static str,
}

#[derive(Serialize)]
struct Message {
    level: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Vulnerability<'a> {
    id: &'a str,
    name: &'a str,
    description: String,
    severity: &'static str,
    solution: &'a str,
    identifiers: Vec<Identifier<'a>>,
    location: Location<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_source_code_extract: Option<String>,
}

#[derive(Serialize)]
struct Identifier<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct Location<'a> {
    file: &'a str,
    start_line: usize,
    end_line: usize,
    commit: Commit<'a>,
}

#[derive(Serialize)]
struct Commit<'a> {
    sha: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

fn tool() -> Tool {
    Tool {
        id: "keylint",
        name: "keylint",
        version: env!("CARGO_PKG_VERSION"),
        url: env!("CARGO_PKG_HOMEPAGE"),
        vendor: Vendor { name: "keylint" },
    }
}

/// GitLab's severities are capitalised words.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
    }
}

/// `yyyy-mm-ddThh:mm:ss` in UTC, the schema's pattern.
fn time(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

pub fn render(
    w: &mut dyn Write,
    findings: &[Finding],
    summary: &Summary,
    ctx: &Context,
    opts: RenderOptions,
) -> io::Result<()> {
    let fallback = ctx.commit.as_deref().unwrap_or(NO_COMMIT);
    let vulnerabilities = findings
        .iter()
        .map(|f| {
            let commit = match &f.commit {
                Some(c) => Commit {
                    sha: &c.id,
                    author: Some(format!("{} <{}>", c.author, c.email)),
                    date: Some(&c.date),
                    message: Some(&c.summary),
                },
                None => Commit {
                    sha: fallback,
                    author: None,
                    date: None,
                    message: None,
                },
            };
            Vulnerability {
                id: &f.fingerprint().0,
                name: &f.rule.description,
                description: format!(
                    "{} ({}) found: {}.",
                    f.rule.description,
                    f.rule.provider,
                    f.secret.redacted()
                ),
                severity: severity(f.rule.severity),
                solution: &f.rule.help,
                identifiers: vec![Identifier {
                    kind: "keylint_rule_id",
                    name: format!("keylint rule {}", f.rule.id),
                    value: &f.rule.id,
                    url: f.rule.url.as_deref().filter(|u| u.starts_with("http")),
                }],
                location: Location {
                    file: &f.location.path,
                    start_line: f.location.line,
                    end_line: f.location.end_line,
                    commit,
                },
                raw_source_code_extract: opts.show_secrets.then(|| f.secret.expose().to_string()),
            }
        })
        .collect();
    let messages = if summary.errors > 0 {
        vec![Message {
            level: "warn",
            value: format!(
                "{} input(s) could not be read; keylint's log names them",
                summary.errors
            ),
        }]
    } else {
        Vec::new()
    };
    let report = Report {
        version: SCHEMA_VERSION,
        schema: SCHEMA_URL,
        scan: Scan {
            analyzer: tool(),
            scanner: tool(),
            kind: "secret_detection",
            start_time: time(ctx.start),
            end_time: time(ctx.end),
            status: "success",
            messages,
        },
        vulnerabilities,
    };
    serde_json::to_writer_pretty(&mut *w, &report)?;
    writeln!(w)
}
