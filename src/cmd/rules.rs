//! `keylint rules [list|check]`.

use crate::cli::{RulesAction, RulesArgs};
use keylint::rules::RuleSet;
use keylint::scan::examples as check;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(args: &RulesArgs) -> anyhow::Result<ExitCode> {
    let set = match &args.dir {
        Some(dir) => RuleSet::from_dir(dir)?,
        None => RuleSet::builtin()?,
    };
    let rules = Arc::new(set.compile()?);
    let mut out = std::io::stdout().lock();
    match args
        .action
        .as_ref()
        .unwrap_or(&RulesAction::List { json: false })
    {
        RulesAction::List { json: false } => {
            let width = rules
                .rules
                .iter()
                .map(|r| r.meta.id.len())
                .max()
                .unwrap_or(0);
            for r in &rules.rules {
                writeln!(
                    out,
                    "{:width$}  {:<14} {}",
                    r.meta.id, r.meta.provider, r.meta.description
                )?;
            }
        }
        RulesAction::List { json: true } => {
            let list: Vec<_> = rules
                .rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.meta.id, "provider": r.meta.provider_id, "provider_name": r.meta.provider,
                        "description": r.meta.description, "confidence": r.meta.confidence.as_str(),
                        "severity": r.meta.severity.as_str(), "keywords": r.spec.keywords,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        RulesAction::Check => {
            let (failures, checked) = check::check(rules.clone());
            for f in &failures {
                writeln!(out, "FAIL {f}")?;
            }
            writeln!(
                out,
                "{} rules, {} examples checked: {} failure{}",
                rules.rules.len(),
                checked,
                failures.len(),
                if failures.len() == 1 { "" } else { "s" }
            )?;
            if !failures.is_empty() {
                return Ok(ExitCode::from(super::FOUND));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
