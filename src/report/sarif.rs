//! SARIF 2.1.0 for GitHub code scanning, built with `serde-sarif`'s typed
//! model. Follows GitHub's ingestion rules: one `rules` entry per rule the
//! run used, `security-severity` and `precision` per rule, repository-relative
//! URIs under `%SRCROOT%`, and `partialFingerprints` that survive unrelated
//! edits (`primaryLocationLineHash`, plus keylint's own hash of rule and
//! secret). No field holds a secret: messages carry the redacted form and no
//! `snippet` is written.

use super::RenderOptions;
use crate::filter::{Suppression, SuppressionKind};
use crate::finding::{Finding, Fingerprint, Level};
use crate::pipeline::Suppressed;
use crate::rules::{Confidence, RuleMeta, Severity};
use crate::{Error, Result};
use serde_sarif::sarif;
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
    let rules: Vec<sarif::ReportingDescriptor> = used.iter().map(|r| descriptor(r)).collect();
    let results: Vec<sarif::Result> = all
        .iter()
        .map(|(f, s)| {
            let mut r = result(f, index[f.rule.id.as_str()]);
            r.suppressions = s.map(|s| vec![suppression(s)]);
            r
        })
        .collect();

    let driver = sarif::ToolComponent::builder()
        .name("keylint")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(env!("CARGO_PKG_HOMEPAGE"))
        .rules(rules)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .original_uri_base_ids(src_root())
        .build();
    let doc = sarif::Sarif::builder()
        .schema(sarif::SCHEMA_URL)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_writer_pretty(&mut *w, &doc).map_err(|source| Error::Encode {
        what: "the SARIF report",
        source,
    })?;
    writeln!(w).map_err(|e| Error::io("<report>", e))?;
    Ok(())
}

/// `%SRCROOT%` is the current directory, which relative URIs are relative to.
fn src_root() -> BTreeMap<String, sarif::ArtifactLocation> {
    let mut m = BTreeMap::new();
    if let Ok(cwd) = std::env::current_dir() {
        let mut uri = format!("file://{}", cwd.display());
        if !uri.ends_with('/') {
            uri.push('/');
        }
        m.insert(
            "%SRCROOT%".to_string(),
            sarif::ArtifactLocation::builder().uri(uri).build(),
        );
    }
    m
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

fn level(l: Level) -> sarif::ResultLevel {
    match l {
        Level::Error => sarif::ResultLevel::Error,
        Level::Warning => sarif::ResultLevel::Warning,
    }
}

fn text(s: impl Into<String>) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder()
        .text(s.into())
        .build()
}

fn descriptor(r: &RuleMeta) -> sarif::ReportingDescriptor {
    let mut tags = vec!["security".to_string(), "secret".to_string()];
    tags.extend(r.tags.iter().cloned());
    let mut extra = BTreeMap::new();
    extra.insert(
        "security-severity".into(),
        serde_json::json!(security_severity(r.severity)),
    );
    extra.insert(
        "precision".into(),
        serde_json::json!(precision(r.confidence)),
    );
    extra.insert("provider".into(), serde_json::json!(r.provider));
    let help = match &r.url {
        Some(url) => format!("{}\n\nSee {url}", r.help),
        None => r.help.clone(),
    };
    let mut d = sarif::ReportingDescriptor::builder()
        .id(r.id.clone())
        .name(camel(&r.id))
        .short_description(text(r.description.clone()))
        .full_description(text(format!(
            "{} ({}): a hard-coded credential.",
            r.description, r.provider
        )))
        .help(text(help))
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(serde_json::json!(r.level().as_str()))
                .build(),
        )
        .properties(
            sarif::PropertyBag::builder()
                .tags(tags)
                .additional_properties(extra)
                .build(),
        )
        .build();
    d.help_uri = r.url.clone();
    d
}

fn suppression(s: &Suppression) -> sarif::Suppression {
    let kind = match s.kind {
        SuppressionKind::InSource => "inSource",
        SuppressionKind::External => "external",
    };
    sarif::Suppression::builder()
        .kind(serde_json::json!(kind))
        .status(serde_json::json!("accepted"))
        .justification(s.justification.clone())
        .build()
}

fn result(f: &Finding, rule_index: usize) -> sarif::Result {
    let loc = &f.location;
    // Inside an archive or a notebook: the file is the artifact, and the
    // whole path is the logical location (and in the message).
    let (uri, base) = uri_of(f.artifact());
    let mut artifact = sarif::ArtifactLocation::builder().uri(uri).build();
    artifact.uri_base_id = base;
    let region = sarif::Region::builder()
        .start_line(loc.line as i64)
        .start_column(loc.column as i64)
        .end_line(loc.end_line as i64)
        .end_column(loc.end_column as i64)
        .build();
    let mut location = sarif::Location::builder()
        .physical_location(
            sarif::PhysicalLocation::builder()
                .artifact_location(artifact)
                .region(region)
                .build(),
        )
        .build();
    if f.within.is_some() {
        location.logical_locations = Some(vec![sarif::LogicalLocation::builder()
            .fully_qualified_name(loc.path.clone())
            .kind("member")
            .build()]);
    }
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(
        SECRET_FINGERPRINT_KEY.to_string(),
        Fingerprint::of_secret(&f.rule.id, f.secret.expose()).0,
    );
    if let Some(h) = &f.line_hash {
        fingerprints.insert("primaryLocationLineHash".to_string(), h.clone());
    }
    let mut props = BTreeMap::new();
    props.insert("fingerprint".into(), serde_json::json!(f.fingerprint().0));
    props.insert(
        "redactedSecret".into(),
        serde_json::json!(f.secret.redacted()),
    );
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
        props.insert("decoded".into(), serde_json::json!(encoding));
    }
    sarif::Result::builder()
        .rule_id(f.rule.id.clone())
        .rule_index(rule_index as i64)
        // A key the provider accepted is an error whatever the rule's confidence.
        .level(level(if f.is_live() {
            Level::Error
        } else {
            f.rule.level()
        }))
        .message(sarif::Message::builder().text(message).build())
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(
            sarif::PropertyBag::builder()
                .additional_properties(props)
                .build(),
        )
        .build()
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
