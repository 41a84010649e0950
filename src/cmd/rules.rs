//! `keylint rules [list|check]`.

use crate::cli::{RulesAction, RulesArgs, RulesFormat};
use keylint::report::providers;
use keylint::rules::{CompiledRule, RuleSet};
use keylint::scan::examples as check;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(args: &RulesArgs) -> anyhow::Result<ExitCode> {
    let mut set = match &args.dir {
        Some(dir) => RuleSet::from_dir(dir)?,
        None => RuleSet::builtin()?,
    };
    if let Some(path) = &args.config {
        if let Some(config) = keylint::plan::load_config(Some(path), path, false)? {
            config.apply(&mut set)?;
        }
    }
    let rules = Arc::new(set.compile()?);
    for p in &args.providers {
        if rules.provider(p).is_none() {
            anyhow::bail!("--provider {p}: no such provider; `keylint rules` lists them");
        }
    }
    let wanted = |r: &CompiledRule| {
        (args.providers.is_empty() || args.providers.contains(&r.meta.provider_id))
            && (args.tags.is_empty() || args.tags.iter().any(|t| r.meta.tags.contains(t)))
    };
    let mut out = std::io::stdout().lock();
    let action = args
        .action
        .as_ref()
        .unwrap_or(&RulesAction::List { json: false });
    match action {
        RulesAction::List { json } => {
            let selected: Vec<&CompiledRule> = rules.rules.iter().filter(|r| wanted(r)).collect();
            let format = if *json {
                RulesFormat::Json
            } else {
                args.format
            };
            match format {
                RulesFormat::Text => {
                    let width = selected.iter().map(|r| r.meta.id.len()).max().unwrap_or(0);
                    for r in &selected {
                        writeln!(
                            out,
                            "{:width$}  {:<14} {}",
                            r.meta.id, r.meta.provider, r.meta.description
                        )?;
                    }
                }
                RulesFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &providers::json(&rules, &selected))?;
                    writeln!(out)?;
                }
                RulesFormat::Markdown => {
                    out.write_all(providers::markdown(&rules, &selected).as_bytes())?
                }
            }
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
