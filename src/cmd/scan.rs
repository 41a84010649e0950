//! `keylint scan`: turn the flags into a plan once, run it, render the
//! report, map the outcome to an exit code.

use super::{print_diagnostics, FOUND};
use crate::cli::{ColorChoice, Format, ScanArgs};
use anyhow::Context;
use keylint::filter::{baseline, config, Filters};
use keylint::pipeline::{self, ScanResult};
use keylint::plan::{self, Mode, Output, ScanPlan};
use keylint::report::{self, RenderOptions};
use keylint::source::git::history::Selection;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let plan = plan_from(args)?;
    let result = pipeline::run(&plan)?;
    print_diagnostics(&result.warnings, &result.errors, args.quiet);
    if let Some(path) = &args.write_baseline {
        let n = baseline::write_baseline(path, &result.findings)
            .with_context(|| format!("writing the baseline {}", path.display()))?;
        eprintln!(
            "keylint: wrote {n} finding(s) to the baseline {}",
            path.display()
        );
        return Ok(exit_code(&result, true));
    }
    if args.explain {
        let mut out = std::io::stdout().lock();
        report::explain::render(&mut out, &result.considered)?;
        out.flush()?;
    } else {
        emit(&plan.output, &result)?;
    }
    if plan.output.summary {
        eprintln!("{}", report::human::summary_line(&result.summary));
    }
    if args.staged && !result.findings.is_empty() && !args.quiet {
        let n = result.findings.len();
        eprintln!(
            "keylint: commit blocked: {n} hard-coded credential{} in the staged change. Remove {} (and rotate the key), \
             or, for a false positive, add `keylint:allow` to the line or the fingerprint to .keylintignore.",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" },
        );
    }
    Ok(exit_code(&result, args.exit_zero))
}

/// 1 when something was found (unless `--exit-zero`), else 2 when some
/// input could not be read (a scan that skipped a file is no all-clear),
/// else 0.
fn exit_code(result: &ScanResult, exit_zero: bool) -> ExitCode {
    if !result.findings.is_empty() && !exit_zero {
        ExitCode::from(FOUND)
    } else if !result.errors.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// The plan: every flag read here, once.
fn plan_from(args: &ScanArgs) -> anyhow::Result<ScanPlan> {
    let start = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
    let config = plan::load_config(args.config.as_deref(), start, args.no_config)?;
    let scanner = plan::load_scanner(config.as_ref(), args.rules_dir.as_deref())?;
    let max_file_size = args
        .max_file_size
        .or(config.as_ref().and_then(|c| c.max_file_size))
        .unwrap_or(plan::DEFAULT_MAX_FILE_SIZE);
    let mut accepted = Vec::new();
    if let Some(b) = &args.baseline {
        accepted.push(baseline::Accepted::read_baseline(b)?);
    }
    let ignore_file = match &config {
        _ if args.no_config => None,
        Some(c) => Some(c.root.join(baseline::IGNORE_FILE)).filter(|p| p.is_file()),
        None => config::discover(start, baseline::IGNORE_FILE),
    };
    if let Some(path) = ignore_file {
        accepted.push(baseline::Accepted::read_ignore_file(&path)?);
    }
    let mode = if args.staged {
        Mode::Staged {
            whole_files: args.whole_files,
        }
    } else if args.history || args.range.is_some() {
        Mode::History {
            repo: start.to_path_buf(),
            selection: match &args.range {
                Some(r) => Selection::Range(r.clone()),
                None => Selection::All {
                    all_refs: args.all_refs,
                },
            },
        }
    } else {
        Mode::Tree {
            roots: args.paths.clone(),
            no_ignore: args.no_ignore,
        }
    };
    let format = match args.format {
        Format::Human => report::Format::Human,
        Format::Json => report::Format::Json,
        Format::Sarif => report::Format::Sarif,
    };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && format == report::Format::Human
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    };
    let mut archives = keylint::source::archive::Limits::new(args.archive_depth, max_file_size);
    if let Some(size) = args.max_archive_size {
        archives.per_archive = size;
    }
    Ok(ScanPlan {
        mode,
        scanner,
        filters: Filters::new(config, accepted),
        max_file_size,
        threads: plan::threads(usize::from(args.threads)),
        git_aware: !args.no_git,
        explain: args.explain,
        archives,
        output: Output {
            format,
            path: args.output.clone(),
            render: RenderOptions {
                color,
                show_secrets: args.show_secrets,
            },
            summary: !args.quiet,
        },
    })
}

fn emit(output: &Output, result: &ScanResult) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    let findings = &result.findings;
    match output.format {
        report::Format::Human => report::human::render(&mut buf, findings, output.render)?,
        report::Format::Json => {
            report::json::render(&mut buf, findings, &result.summary, output.render)?
        }
        report::Format::Sarif => report::sarif::render(&mut buf, findings, output.render)?,
    }
    match &output.path {
        Some(path) => keylint::atomic::write_atomic(path, &buf)
            .with_context(|| format!("writing the report to {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf)?;
            out.flush()?;
        }
    }
    Ok(())
}
