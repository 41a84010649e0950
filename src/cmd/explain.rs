//! `keylint explain FILE[:LINE]`: why each candidate in a file was reported
//! or dropped, to tune a rule or an allow-list.

use super::print_diagnostics;
use crate::cli::{ExplainArgs, ExplainFormat};
use keylint::filter::{baseline, Filters};
use keylint::pipeline;
use keylint::plan::{self, Mode, Output, ScanPlan};
use keylint::report::{self, RenderOptions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let (file, line) = split_target(&args.target);
    if !file.is_file() {
        anyhow::bail!("{}: no such file; pass an existing file", file.display());
    }
    let config = plan::load_config(args.config.as_deref(), &file, false)?;
    let scanner = plan::load_scanner(config.as_ref(), None)?;
    let mut accepted = Vec::new();
    if let Some(p) = plan::find_ignore_file(config.as_ref(), &file, false) {
        accepted.push(baseline::Accepted::read_ignore_file(&p)?);
    }
    let plan = ScanPlan {
        mode: Mode::Tree {
            roots: vec![file.clone()],
            no_ignore: true,
        },
        scanner,
        filters: Filters::new(config, accepted),
        max_file_size: u64::MAX,
        threads: 1,
        git_aware: false,
        explain: true,
        verify: None,
        only_live: false,
        archives: keylint::source::archive::Limits::new(
            keylint::source::archive::DEFAULT_DEPTH,
            plan::DEFAULT_MAX_FILE_SIZE,
        ),
        output: Output {
            format: report::Format::Human,
            path: None,
            render: RenderOptions::default(),
            summary: false,
        },
    };
    let mut result = pipeline::run(&plan)?;
    print_diagnostics(&result.warnings, &result.errors, false);
    if let Some(l) = line {
        result.considered.retain(|c| c.finding.location.line == l);
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        ExplainFormat::Text => report::explain::render(&mut out, &result.considered)?,
        ExplainFormat::Json => report::explain::render_json(&mut out, &result.considered)?,
    }
    if result.considered.is_empty() {
        eprintln!(
            "keylint: no rule considered anything in {}{}",
            keylint::source::display_path(&file),
            line.map_or(String::new(), |l| format!(" at line {l}"))
        );
    }
    Ok(if result.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// `path:12` → (path, Some(12)); a path that exists as written wins, so a
/// file name containing `:` still works.
fn split_target(target: &str) -> (PathBuf, Option<usize>) {
    if !Path::new(target).exists() {
        if let Some((file, line)) = target.rsplit_once(':') {
            if let Ok(n) = line.parse() {
                return (PathBuf::from(file), Some(n));
            }
        }
    }
    (PathBuf::from(target), None)
}
