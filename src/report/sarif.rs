//! SARIF 2.1.0 for GitHub code scanning. Follows GitHub's ingestion rules: one `rules` entry per rule the
//! run used, `security-severity` and `precision` per rule, repository-relative
//! URIs under `%SRCROOT%`, and `partialFingerprints` that survive unrelated
//! edits (`primaryLocationLineHash`, plus keylint's own hash of rule and
//! secret). No field holds a secret: messages carry the redacted form and no
//! `snippet` is written.
//!
//! The model below is the part of SARIF keylint writes, by hand: the
//! `serde-sarif` crate generates all of SARIF from its schema at build
//! time, through three versions of `syn`, and was a tenth of a cold
//! `cargo test`. The tests validate every report against the published
//! 2.1.0 schema (`tests/data/sarif-2.1.0.json`).

use super::RenderOptions;
use crate::filter::{Suppression, SuppressionKind};
use crate::finding::{Finding, Fingerprint};
use crate::rules::{Confidence, RuleMeta, Severity};
use crate::verdict::Suppressed;
use crate::{Error, Result};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;

/// GitHub keeps at most this many results per run and drops the rest.
pub const GITHUB_MAX_RESULTS: usize = 25_000;

/// The partial-fingerprint key keylint adds beside GitHub's line hash.
pub const SECRET_FINGERPRINT_KEY: &str = "keylint/secretHash/v2";

pub fn render(w: &mut dyn Write, findings: &[Finding], opts: RenderOptions) -> Result<()> {
    render_with_suppressed(w, findings, &[], opts)
}

/// The report with the findings a marker, the config or a baseline
/// accepted, each a result carrying `suppressions` (GitHub shows them as
/// closed alerts, and keeps them closed, instead of dropping and reopening
/// them as a baseline changes).
pub fn render_with_suppressed(
    w: &mut dyn Write,
    findings: &[Finding],
    suppressed: &[Suppressed],
    _opts: RenderOptions,
) -> Result<()> {
    let count = findings.len() + suppressed.len();
    if count > GITHUB_MAX_RESULTS {
        return Err(Error::TooManyResults {
            count,
            limit: GITHUB_MAX_RESULTS,
        });
    }
    // Results in path order, each accepted one where it sits.
    let mut all: Vec<(&Finding, Option<&Suppression>)> = findings
        .iter()
        .map(|f| (f, None))
        .chain(
            suppressed
                .iter()
                .map(|s| (&s.finding, Some(&s.suppression))),
        )
        .collect();
    all.sort_by(|a, b| a.0.sort_key().cmp(&b.0.sort_key()));
    // Rules in first-use order, each once; results point at them by index.
    let mut used: Vec<&RuleMeta> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (f, _) in &all {
        index.entry(&f.rule.id).or_insert_with(|| {
            used.push(&f.rule);
            used.len() - 1
        });
    }
    let rules: Vec<Value> = used.iter().map(|r| descriptor(r)).collect();
    let results: Vec<SarifResult> = all
        .iter()
        .map(|(f, s)| {
            let mut r = result(f, index[f.rule.id.as_str()]);
            r.suppressions = s.map(|s| vec![suppression(s)]);
            r
        })
        .collect();
    let doc = json!({
        "$schema": SCHEMA_URL,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "keylint",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_HOMEPAGE"),
                "rules": rules,
            }},
            "results": results,
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": src_root(),
        }],
    });
    serde_json::to_writer_pretty(&mut *w, &doc).map_err(|source| Error::Encode {
        what: "the SARIF report",
        source,
    })?;
    writeln!(w).map_err(|e| Error::io("<report>", e))?;
    Ok(())
}

/// `%SRCROOT%` is the current directory, which relative URIs are relative to.
fn src_root() -> Value {
    let mut m = serde_json::Map::new();
    if let Ok(cwd) = std::env::current_dir() {
        let mut uri = format!("file://{}", cwd.display());
        if !uri.ends_with('/') {
            uri.push('/');
        }
        m.insert("%SRCROOT%".to_string(), json!({ "uri": uri }));
    }
    Value::Object(m)
}

/// Where the SARIF 2.1.0 schema is published.
const SCHEMA_URL: &str = "https://schemastore.azurewebsites.net/schemas/json/sarif-2.1.0.json";

/// A `result`; its parts are plain JSON but for the suppressions, which
/// the caller fills in.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Value,
    locations: Vec<Value>,
    partial_fingerprints: BTreeMap<String, String>,
    properties: serde_json::Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<Vec<Value>>,
}

pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

pub fn precision(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "very-high",
        Confidence::Medium => "high",
        Confidence::Low => "medium",
    }
}

fn descriptor(r: &RuleMeta) -> Value {
    let mut tags = vec!["security".to_string(), "secret".to_string()];
    tags.extend(r.tags.iter().cloned());
    let help = match &r.url {
        Some(url) => format!("{}\n\nSee {url}", r.help),
        None => r.help.clone(),
    };
    let mut d = json!({
        "id": r.id,
        "name": camel(&r.id),
        "shortDescription": {"text": r.description},
        "fullDescription": {"text": format!(
            "{} ({}): a hard-coded credential.",
            r.description, r.provider
        )},
        "help": {"text": help},
        "defaultConfiguration": {"level": r.level().as_str()},
        "properties": {
            "tags": tags,
            "security-severity": security_severity(r.severity),
            "precision": precision(r.confidence),
            "provider": r.provider,
        },
    });
    if let Some(url) = &r.url {
        d["helpUri"] = json!(url);
    }
    d
}

fn suppression(s: &Suppression) -> Value {
    let kind = match s.kind {
        SuppressionKind::InSource => "inSource",
        SuppressionKind::External => "external",
    };
    json!({"kind": kind, "status": "accepted", "justification": s.justification})
}

fn result(f: &Finding, rule_index: usize) -> SarifResult {
    let loc = &f.location;
    // Inside an archive or a notebook: the file is the artifact, and the
    // whole path is the logical location (and in the message).
    let (uri, base) = uri_of(f.artifact());
    let mut artifact = json!({ "uri": uri });
    if let Some(base) = base {
        artifact["uriBaseId"] = json!(base);
    }
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {
                "startLine": loc.line,
                "startColumn": loc.column,
                "endLine": loc.end_line,
                "endColumn": loc.end_column,
            },
        },
    });
    if f.within.is_some() {
        location["logicalLocations"] = json!([{"fullyQualifiedName": loc.path, "kind": "member"}]);
    }
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(
        SECRET_FINGERPRINT_KEY.to_string(),
        Fingerprint::of_secret(&f.rule.id, f.secret.expose()).0,
    );
    if let Some(h) = &f.line_hash {
        fingerprints.insert("primaryLocationLineHash".to_string(), h.clone());
    }
    let mut props = serde_json::Map::new();
    props.insert("fingerprint".into(), json!(f.fingerprint().0));
    props.insert("redactedSecret".into(), json!(f.secret.redacted()));
    if let Some(c) = &f.commit {
        props.insert("commit".into(), serde_json::to_value(c).unwrap_or_default());
    }
    if let Some(v) = &f.validation {
        props.insert(
            "validation".into(),
            serde_json::to_value(v).unwrap_or_default(),
        );
    }
    let checked = f.validation.as_ref().map_or(String::new(), |v| {
        format!(
            " The key is {}: {}.",
            v.status.as_str(),
            v.status.sentence()
        )
    });
    let mut message = format!(
        "{} ({}) found: {}.{checked} {}",
        f.rule.description,
        f.rule.provider,
        f.secret.redacted(),
        f.rule.help
    );
    if f.within.is_some() {
        message = format!("In {}:{}: {message}", loc.path, loc.line);
    }
    if let Some(encoding) = f.decoded {
        message.push_str(&format!(" (decoded from {encoding})"));
        props.insert("decoded".into(), json!(encoding));
    }
    SarifResult {
        rule_id: f.rule.id.clone(),
        rule_index,
        level: f.level().as_str(),
        message: json!({ "text": message }),
        locations: vec![location],
        partial_fingerprints: fingerprints,
        properties: props,
        suppressions: None,
    }
}

/// Relative paths go under `%SRCROOT%` (the current directory); absolute
/// ones become `file://` URIs. Spaces and other reserved bytes are escaped.
fn uri_of(path: &str) -> (String, Option<String>) {
    if let Some(abs) = path.strip_prefix('/') {
        (format!("file:///{}", escape(abs)), None)
    } else {
        (escape(path), Some("%SRCROOT%".to_string()))
    }
}

fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'/'
            | b'+'
            | b'@'
            | b'='
            | b',' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `openai-api-key` → `OpenaiApiKey`, the rule `name` GitHub shows.
fn camel(id: &str) -> String {
    id.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or(String::new(), |f| {
                f.to_ascii_uppercase().to_string() + c.as_str()
            })
        })
        .collect()
}
