//! `keylint explain FILE[:LINE]`: why each candidate in a file was reported
//! or dropped, to tune a rule or an allow-list.

use crate::cli::ExplainArgs;
use keylint::filter::{baseline, config, Filters};
use keylint::report;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let (file, line) = split_target(&args.target);
    let bytes = std::fs::read(&file)
        .map_err(|e| anyhow::anyhow!("{}: {e}; pass an existing file", file.display()))?;
    let (scanner, config) = super::scan::scanner_for(args.config.as_deref(), &file, false, None)?;
    let mut accepted = Vec::new();
    if let Some(p) = config::discover(&file, baseline::IGNORE_FILE) {
        accepted.push(baseline::Accepted::read_ignore_file(&p)?);
    }
    let filters = Filters::new(config, accepted);
    let path = keylint::source::display_path(&file);
    let mut out = std::io::stdout().lock();
    let n = report::explain::render(&mut out, &scanner, &filters, &path, &bytes, line)?;
    if n == 0 {
        eprintln!(
            "keylint: no rule considered anything in {}{}",
            path,
            line.map_or(String::new(), |l| format!(" at line {l}"))
        );
    }
    Ok(ExitCode::SUCCESS)
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
