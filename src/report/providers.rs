//! What keylint covers, generated from the rules: the JSON of `keylint
//! rules --format json` and the Markdown table checked in as
//! `docs/providers.md` (a test fails when the checked-in table is stale).

use crate::finding::redact;
use crate::rules::{CompiledRule, Rules};
use serde_json::{json, Value};

/// One object per rule.
pub fn json(rules: &Rules, selected: &[&CompiledRule]) -> Value {
    Value::Array(
        selected
            .iter()
            .map(|r| {
                let provider = rules.provider(&r.meta.provider_id);
                json!({
                    "id": r.meta.id,
                    "provider": r.meta.provider_id,
                    "provider_name": r.meta.provider,
                    "description": r.meta.description,
                    "confidence": r.meta.confidence.as_str(),
                    "severity": r.meta.severity.as_str(),
                    "keywords": r.spec.keywords,
                    "tags": r.meta.tags,
                    "looks_like": looks_like(r),
                    "env_vars": provider.map(|p| p.env_vars.clone()).unwrap_or_default(),
                    "verify": verify_call(r),
                })
            })
            .collect(),
    )
}

/// How `--verify` checks this rule's keys: `GET https://host/path`, or
/// why it does not; null without a validator.
fn verify_call(r: &CompiledRule) -> Value {
    match &r.spec.verify {
        None => Value::Null,
        Some(v) => match &v.none {
            Some(why) => json!(format!("not checked: {why}")),
            None => json!(format!(
                "{} {}{}",
                v.method.as_str(),
                v.base_url.as_deref().unwrap_or(""),
                v.path.as_deref().unwrap_or("/")
            )),
        },
    }
}

/// What a secret of this rule looks like, from its first example: the
/// redacted value and its length (never the example itself: a table of
/// full values would be a table of key-shaped strings).
fn looks_like(r: &CompiledRule) -> String {
    r.spec
        .examples
        .first()
        .map(|e| {
            let n = e.secret.chars().count();
            if e.secret.contains('\n') {
                let first = e.secret.lines().next().unwrap_or("");
                format!("{} … ({n} chars, multi-line)", redact(first))
            } else {
                format!("{} ({n} chars)", redact(&e.secret))
            }
        })
        .unwrap_or_default()
}

/// The Markdown table: one row per provider, its rules, shapes, env vars
/// and confidence.
pub fn markdown(rules: &Rules, selected: &[&CompiledRule]) -> String {
    let mut providers: Vec<&str> = Vec::new();
    for r in selected {
        if !providers.contains(&r.meta.provider_id.as_str()) {
            providers.push(&r.meta.provider_id);
        }
    }
    providers.sort_unstable();
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = String::from(
        "# Providers keylint detects\n\n\
         Generated from `rules/` by `keylint rules --format markdown`; `cargo test` fails when \
         this file is stale. Regenerate it with\n\
         `cargo run --quiet -- rules --format markdown > docs/providers.md`.\n\n",
    );
    out.push_str(&format!(
        "{} rules for {} providers.\n\n",
        selected.len(),
        providers.len()
    ));
    out.push_str(
        "| provider | rule | looks like | env vars | confidence |\n|---|---|---|---|---|\n",
    );
    for id in providers {
        let env = rules
            .provider(id)
            .map(|p| {
                p.env_vars
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        for r in selected.iter().filter(|r| r.meta.provider_id == id) {
            out.push_str(&format!(
                "| {} | `{}`: {} | `{}` | {} | {} |\n",
                cell(&r.meta.provider),
                r.meta.id,
                cell(&r.meta.description),
                cell(&looks_like(r)),
                env,
                r.meta.confidence.as_str()
            ));
        }
    }
    out
}
