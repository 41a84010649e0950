//! `keylint scan`: turn the flags into a plan once, run it, render the
//! report, map the outcome to an exit code.

use super::{print_diagnostics, FOUND};
use crate::cli::{ColorChoice, FailOn, Format, ScanArgs};
use anyhow::Context;
use keylint::filter::{baseline, Filters};
use keylint::finding::{Finding, Level};
use keylint::pipeline::{self, Progress, ScanResult};
use keylint::plan::{self, Mode, Output, ScanPlan};
use keylint::report::{self, RenderOptions};
use keylint::source::git::history::Selection;
use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Who started the scan: what it says when it blocks, and its defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invocation {
    /// `keylint scan` typed by someone (or a CI script).
    Command,
    /// A commit hook, or `pre-commit run [--all-files | --files X]`.
    PreCommit,
    /// A pre-push hook: the pushed commits.
    PrePush,
}

pub fn run(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    run_as(args, Invocation::Command, None)
}

/// A scan for `how`; with `only`, findings outside those paths are
/// dropped (a hook in a commit scans the staged change of the files
/// pre-commit names).
pub fn run_as(
    args: &ScanArgs,
    how: Invocation,
    only: Option<&HashSet<String>>,
) -> anyhow::Result<ExitCode> {
    // A scan runs once per process: the compiled rules are left to the OS
    // at exit, not freed table by table (4% of a one-file scan's
    // instructions, BENCHMARKS.md).
    let plan = std::mem::ManuallyDrop::new(plan_from(args)?);
    let plan: &ScanPlan = &plan;
    let started = jiff::Timestamp::now();
    let progress = show_progress(args, how).then(ProgressLine::default);
    let tick = |p: Progress| {
        if let Some(line) = &progress {
            line.tick(p);
        }
    };
    let observe: Option<&(dyn Fn(Progress) + Sync)> = progress.as_ref().map(|_| &tick as _);
    let run = pipeline::run_observed(plan, observe);
    if let Some(p) = &progress {
        p.clear();
    }
    let mut result = run?;
    if let Some(only) = only {
        result.findings.retain(|f| only.contains(&f.location.path));
        result.summary.findings = result.findings.len();
    }
    // A baseline records findings as they are, and --explain shows verdicts:
    // neither needs a provider's answer.
    if args.write_baseline.is_none() && !args.explain {
        pipeline::verify(plan, &mut result, |what| {
            if !args.quiet {
                eprintln!("keylint: --verify: {what}");
            }
        });
    }
    let quiet = args.quiet;
    print_diagnostics(&result.warnings, &result.errors, quiet);
    let fail_on = level_of(args.fail_on.unwrap_or(match how {
        Invocation::Command => FailOn::Warning,
        Invocation::PreCommit | Invocation::PrePush => FailOn::Error,
    }));
    if let Some(path) = &args.write_baseline {
        let n = baseline::write_baseline(path, &result.findings)
            .with_context(|| format!("writing the baseline {}", path.display()))?;
        if !quiet {
            eprintln!(
                "keylint: wrote {n} finding(s) to the baseline {}",
                path.display()
            );
        }
        return Ok(exit_code(&result, fail_on, true));
    }
    if args.explain {
        if !quiet {
            let mut out = std::io::stdout().lock();
            if args.format == Format::Json {
                report::explain::render_json(&mut out, &result.considered)?;
            } else {
                report::explain::render(&mut out, &result.considered)?;
            }
            out.flush()?;
        }
    } else if !quiet || plan.output.path.is_some() {
        let ctx = report::gitlab::Context {
            start: started,
            end: jiff::Timestamp::now(),
            commit: std::env::var("CI_COMMIT_SHA")
                .ok()
                .filter(|s| !s.is_empty()),
        };
        emit(&plan.output, &result, &ctx)?;
    }
    if plan.output.summary {
        eprintln!("{}", report::human::summary_line(&result.summary));
    }
    if !quiet {
        hint(&result.findings, fail_on, how, args.staged);
    }
    // `--fail-on live`: every level counts, but only when a key is live.
    let exit_zero = args.exit_zero
        || (args.fail_on == Some(FailOn::Live) && !result.findings.iter().any(Finding::is_live));
    Ok(exit_code(&result, fail_on, exit_zero))
}

fn level_of(f: FailOn) -> Level {
    match f {
        FailOn::Error => Level::Error,
        FailOn::Warning | FailOn::Live => Level::Warning,
    }
}

/// The findings that set the exit code: those at `fail_on` or above.
fn blocking(findings: &[Finding], fail_on: Level) -> impl Iterator<Item = &Finding> {
    findings.iter().filter(move |f| f.level() >= fail_on)
}

/// 1 when something at `fail_on` or above was found (unless
/// `--exit-zero`), else 2 when some input could not be read (a scan that
/// skipped a file is no all-clear), else 0.
fn exit_code(result: &ScanResult, fail_on: Level, exit_zero: bool) -> ExitCode {
    if blocking(&result.findings, fail_on).next().is_some() && !exit_zero {
        ExitCode::from(FOUND)
    } else if !result.errors.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What to do next, on stderr: how to get out of a blocked commit or
/// push, or that warnings did not block.
fn hint(findings: &[Finding], fail_on: Level, how: Invocation, staged: bool) {
    let blocked: Vec<&Finding> = blocking(findings, fail_on).collect();
    let n = blocked.len();
    let below = findings.len() - n;
    if n == 0 {
        if below > 0 && how != Invocation::Command {
            eprintln!(
                "keylint: {} below --fail-on {}: not blocking; review {}",
                plural(below, "warning", "warnings"),
                fail_on.as_str(),
                if below == 1 { "it" } else { "them" },
            );
        }
        return;
    }
    let them = if n == 1 { "it" } else { "them" };
    let allow = "for a false positive, add `keylint:allow` to the line or the fingerprint to .keylintignore";
    match how {
        Invocation::PrePush => {
            let mut commits: Vec<(&str, &str)> = blocked
                .iter()
                .filter_map(|f| {
                    f.commit
                        .as_ref()
                        .map(|c| (c.id.as_str(), c.summary.as_str()))
                })
                .collect();
            commits.sort();
            commits.dedup();
            eprintln!(
                "keylint: push blocked: {} in the pushed commits. {} already in a commit, so deleting {them} in a new commit is not enough:",
                plural(n, "hard-coded credential", "hard-coded credentials"),
                if n == 1 { "It is" } else { "They are" },
            );
            eprintln!("  1. rotate the key at the provider first: it left this machine the moment anyone fetched, and it stays in every clone;");
            eprintln!("  2. rewrite the commits that added {them}, then push again:");
            for (id, summary) in &commits {
                let short = &id[..id.len().min(12)];
                // A commit message is anyone's text: no escapes reach the terminal.
                eprintln!(
                    "       {short} {}",
                    keylint::report::terminal::escape(summary)
                );
            }
            if let Some((first, _)) = commits.first() {
                let short = &first[..first.len().min(12)];
                eprintln!(
                    "     the last commit: remove the key, `git add` the file, `git commit --amend`;"
                );
                eprintln!(
                    "     an older one: `git rebase -i {short}~1`, mark it `edit`, remove the key, `git add` the file, `git commit --amend`, `git rebase --continue`;"
                );
            }
            eprintln!("  {allow}.");
        }
        Invocation::PreCommit | Invocation::Command if staged || how == Invocation::PreCommit => {
            let (what, blocked) = if staged {
                ("in the staged change", "commit blocked")
            } else {
                ("in the files scanned", "failed")
            };
            eprintln!(
                "keylint: {blocked}: {} {what}. Remove {them} (and rotate the key), or, {allow}.",
                plural(n, "hard-coded credential", "hard-coded credentials"),
            );
        }
        _ => {}
    }
}

/// A progress line for a person waiting: on a terminal (stderr), never
/// in a hook, a pipe, `-q` or `--explain`.
fn show_progress(args: &ScanArgs, how: Invocation) -> bool {
    how == Invocation::Command
        && !args.quiet
        && !args.explain
        && std::io::stderr().is_terminal()
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// `keylint: 12,345 files, 98.7 MiB…` redrawn in place on stderr, shown
/// only once a scan has run for half a second (short scans stay silent).
#[derive(Default)]
struct ProgressLine {
    shown: std::sync::atomic::AtomicBool,
}

impl ProgressLine {
    fn clear(&self) {
        if self.shown.load(std::sync::atomic::Ordering::Relaxed) {
            eprint!("\r\x1b[2K");
        }
    }

    fn tick(&self, p: Progress) {
        if p.elapsed < std::time::Duration::from_millis(500) {
            return;
        }
        self.shown.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2Kkeylint: scanning: {} files, {}…",
            p.files,
            report::human_bytes(p.bytes)
        );
        let _ = err.flush();
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
    if let Some(path) = plan::find_ignore_file(config.as_ref(), start, args.no_config) {
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
        Format::Jsonl => report::Format::Jsonl,
        Format::Sarif => report::Format::Sarif,
        Format::Gitlab => report::Format::Gitlab,
    };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        // anstream reads the terminal and the conventions (NO_COLOR,
        // CLICOLOR, CLICOLOR_FORCE, TERM=dumb, CI) as clap does.
        ColorChoice::Auto => {
            args.output.is_none()
                && format == report::Format::Human
                && anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
        }
    };
    let verify = args.verifies().then(|| match &config {
        Some(c) => c
            .verify
            .settings(&c.providers, keylint::verify::trusted_hosts_from_env()),
        None => keylint::verify::Settings::default(),
    });
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
        verify,
        only_live: args.only_live,
        archives,
        output: Output {
            format,
            path: args.output.clone(),
            render: RenderOptions {
                color,
                show_secrets: args.show_secrets,
            },
            summary: !args.quiet && !args.no_summary,
        },
    })
}

fn emit(output: &Output, result: &ScanResult, ctx: &report::gitlab::Context) -> anyhow::Result<()> {
    let findings = &result.findings;
    if output.format == report::Format::Jsonl && output.path.is_none() {
        // Straight to standard output, a line at a time.
        let mut out = std::io::stdout().lock();
        report::json::render_lines(&mut out, findings, output.render)?;
        out.flush()?;
        return Ok(());
    }
    let mut buf = Vec::new();
    match output.format {
        report::Format::Human => report::human::render(&mut buf, findings, output.render)?,
        report::Format::Json => {
            report::json::render(&mut buf, findings, &result.summary, output.render)?
        }
        report::Format::Jsonl => report::json::render_lines(&mut buf, findings, output.render)?,
        report::Format::Sarif => report::sarif::render_with_suppressed(
            &mut buf,
            findings,
            &result.suppressed,
            output.render,
        )?,
        report::Format::Gitlab => {
            report::gitlab::render(&mut buf, findings, &result.summary, ctx, output.render)?
        }
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
