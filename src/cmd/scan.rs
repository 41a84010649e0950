//! `keylint scan`: build the plan from the flags once, run the source through
//! the scanner and filters, render the report.

use super::{git_scan, FOUND};
use crate::cli::{ColorChoice, Format, ScanArgs};
use anyhow::Context;
use keylint::filter::{baseline, config, Filters};
use keylint::finding::Finding;
use keylint::report::{self, RenderOptions, Summary};
use keylint::rules::RuleSet;
use keylint::scan::Scanner;
use keylint::source::{fs as fs_source, Stats};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Everything a scan needs, decided from the flags once.
pub struct ScanPlan {
    pub scanner: Scanner,
    pub filters: Filters,
    pub walk: fs_source::WalkOptions,
    pub render: RenderOptions,
    /// SARIF carries GitHub's line hash, computed while the bytes are at hand.
    pub line_hashes: bool,
}

impl ScanPlan {
    pub fn from_args(args: &ScanArgs) -> anyhow::Result<Self> {
        let start = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
        let (scanner, config) = scanner_for(
            args.config.as_deref(),
            start,
            args.no_config,
            args.rules_dir.as_deref(),
        )?;
        let mut walk = fs_source::WalkOptions {
            no_ignore: args.no_ignore,
            threads: args.threads,
            ..Default::default()
        };
        if let Some(max) = args
            .max_file_size
            .or(config.as_ref().and_then(|c| c.max_file_size))
        {
            walk.max_file_size = max;
        }
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
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                args.output.is_none()
                    && args.format == Format::Human
                    && std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none()
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        };
        Ok(ScanPlan {
            scanner,
            filters: Filters::new(config, accepted),
            walk,
            render: RenderOptions {
                color,
                show_secrets: args.show_secrets,
            },
            line_hashes: args.format == Format::Sarif,
        })
    }
}

/// The built-in rules plus the repository's config (`--config`, else
/// `.keylint.toml` discovered from `start`), compiled.
pub fn scanner_for(
    explicit: Option<&Path>,
    start: &Path,
    no_config: bool,
    rules_dir: Option<&Path>,
) -> anyhow::Result<(Scanner, Option<config::Config>)> {
    let mut set = match rules_dir {
        Some(dir) => RuleSet::from_dir(dir)?,
        None => RuleSet::builtin()?,
    };
    let config = match explicit {
        Some(path) if !path.is_file() => anyhow::bail!(
            "{}: {}; fix the --config path or drop --config to use .keylint.toml",
            path.display(),
            if path.exists() {
                "not a config file"
            } else {
                "no such config file"
            }
        ),
        Some(path) => Some(config::Config::load(path)?),
        None if no_config => None,
        None => config::discover(start, config::FILE_NAME)
            .map(|p| config::Config::load(&p))
            .transpose()?,
    };
    if let Some(c) = &config {
        c.apply(&mut set)?;
    }
    Ok((Scanner::new(Arc::new(set.compile()?)), config))
}

pub fn run(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let plan = ScanPlan::from_args(args)?;
    let stats = Stats::default();
    let found: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
    let explained: Mutex<Vec<(String, Vec<u8>)>> = Mutex::new(Vec::new());
    let warn = |warning: String| {
        if !args.quiet {
            eprintln!("keylint: warning: {warning}");
        }
    };
    // One step for every source: scan, filter, keep.
    let visit = |path: &str, bytes: &[u8]| {
        if args.explain {
            let mut out = Vec::new();
            let _ =
                report::explain::render(&mut out, &plan.scanner, &plan.filters, path, bytes, None);
            if !out.is_empty() {
                explained
                    .lock()
                    .expect("no thread panics holding it")
                    .push((path.to_string(), out));
            }
        }
        plan.findings(path, bytes)
    };
    let keep = |f: Vec<Finding>| found.lock().expect("no thread panics holding it").extend(f);

    if args.staged {
        git_scan::staged(args, &plan, &stats, &visit, &keep, &warn)?;
    } else if args.history || args.range.is_some() {
        git_scan::history(args, &plan, &stats, &visit, &keep, &warn)?;
    } else {
        fs_source::walk(
            &args.paths,
            &plan.walk,
            &stats,
            |path, bytes| keep(visit(path, bytes)),
            warn,
        )?;
        if !args.no_git {
            git_scan::tracked_files(args, &plan, &keep, &warn)?;
        }
    }

    let mut findings = found.into_inner().expect("no thread panics holding it");
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint && a.location == b.location);
    let summary = Summary {
        files: Stats::get(&stats.files),
        bytes: Stats::get(&stats.bytes),
        findings: findings.len(),
        skipped_binary: Stats::get(&stats.skipped_binary),
        skipped_large: Stats::get(&stats.skipped_large),
        errors: Stats::get(&stats.errors),
        elapsed: started.elapsed(),
    };
    if let Some(path) = &args.write_baseline {
        let n = baseline::write_baseline(path, &findings)
            .with_context(|| format!("writing the baseline {}", path.display()))?;
        eprintln!(
            "keylint: wrote {n} finding(s) to the baseline {}",
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.explain {
        let mut explained = explained.into_inner().expect("no thread panics holding it");
        explained.sort();
        let mut out = std::io::stdout().lock();
        for (_, text) in explained {
            out.write_all(&text)?;
        }
        out.flush()?;
    } else {
        emit(args, &plan, &findings, &summary)?;
    }
    if args.staged && !findings.is_empty() && !args.quiet {
        eprintln!(
            "keylint: commit blocked: {} hard-coded credential{} in the staged change. Remove {} (and rotate the key), \
             or, for a false positive, add `keylint:allow` to the line or the fingerprint to .keylintignore.",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" },
            if findings.len() == 1 { "it" } else { "them" },
        );
    }
    Ok(if findings.is_empty() || args.exit_zero {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(FOUND)
    })
}

impl ScanPlan {
    /// The reported findings of one blob: scanned, filtered, line-hashed.
    pub fn findings(&self, path: &str, bytes: &[u8]) -> Vec<Finding> {
        self.findings_in(path, bytes, bytes)
    }

    /// Scans `scanned` (a blob with unchanged lines blanked, or the blob
    /// itself) but judges inline allows and line hashes on the whole blob.
    pub fn findings_in(&self, path: &str, scanned: &[u8], whole: &[u8]) -> Vec<Finding> {
        let mut f = self.scanner.scan(path, scanned);
        if !f.is_empty() {
            self.filters.retain(Some(whole), &mut f);
            if self.line_hashes {
                add_line_hashes(whole, &mut f);
            }
        }
        f
    }
}

fn add_line_hashes(bytes: &[u8], findings: &mut [Finding]) {
    let lines: Vec<usize> = findings.iter().map(|f| f.location.line).collect();
    for (f, h) in findings
        .iter_mut()
        .zip(report::line_hash::line_hashes(bytes, &lines))
    {
        f.line_hash = h;
    }
}

fn emit(
    args: &ScanArgs,
    plan: &ScanPlan,
    findings: &[Finding],
    summary: &Summary,
) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    match args.format {
        Format::Human => report::human::render(&mut buf, findings, plan.render)?,
        Format::Json => report::json::render(&mut buf, findings, summary, plan.render)?,
        Format::Sarif => report::sarif::render(&mut buf, findings, plan.render)?,
    }
    match &args.output {
        Some(path) => keylint::atomic::write_atomic(path, &buf)
            .with_context(|| format!("writing the report to {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf)?;
            out.flush()?;
        }
    }
    if !args.quiet {
        eprintln!("{}", report::human::summary_line(summary));
    }
    Ok(())
}
