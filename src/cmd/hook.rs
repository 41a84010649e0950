//! `keylint hook install|uninstall|run`: a plain git pre-commit hook for
//! repositories without the pre-commit framework, and the entry point both
//! kinds of hook call.

use super::scan::{self, Invocation};
use crate::cli::{Cli, Command, FailOn, HookAction, HookArgs};
use anyhow::{bail, Context};
use clap::Parser;
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;

/// Marks a hook file as keylint's, so uninstall and reinstall touch only ours.
const MARKER: &str = "# keylint-hook:";

pub fn run(args: &HookArgs) -> anyhow::Result<ExitCode> {
    match &args.action {
        HookAction::Install { force } => install(*force),
        HookAction::Uninstall => uninstall(),
        HookAction::Run { args } => run_hook(args),
    }
}

/// The hooks directory git uses: `core.hooksPath` if set, else `.git/hooks`.
fn hooks_dir() -> anyhow::Result<PathBuf> {
    let repo = keylint::source::git::open_from_env()?;
    Ok(keylint::source::git::hooks_dir(&repo))
}

fn install(force: bool) -> anyhow::Result<ExitCode> {
    let dir = hooks_dir()?;
    let hook = dir.join("pre-commit");
    if let Ok(existing) = std::fs::read_to_string(&hook) {
        if !existing.contains(MARKER) && !force {
            bail!(
                "{} exists and was not written by keylint; keep it, or replace it with `keylint hook install --force`",
                hook.display()
            );
        }
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let exe = std::env::current_exe().context("finding keylint's own path")?;
    let script = format!(
        "#!/bin/sh\n{MARKER} written by `keylint hook install`; `keylint hook uninstall` removes it.\n\
         KEYLINT=keylint\n\
         command -v keylint >/dev/null 2>&1 || KEYLINT='{}'\n\
         exec \"$KEYLINT\" hook run\n",
        exe.display().to_string().replace('\'', "'\\''")
    );
    keylint::atomic::write_atomic(&hook, script.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("making {} executable", hook.display()))?;
    }
    eprintln!(
        "keylint: installed {}: every commit is scanned for hard-coded credentials",
        hook.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn uninstall() -> anyhow::Result<ExitCode> {
    let hook = hooks_dir()?.join("pre-commit");
    match std::fs::read_to_string(&hook) {
        Ok(text) if text.contains(MARKER) => {
            std::fs::remove_file(&hook).with_context(|| format!("removing {}", hook.display()))?;
            eprintln!("keylint: removed {}", hook.display());
            Ok(ExitCode::SUCCESS)
        }
        Ok(_) => bail!(
            "{} was not written by keylint; left as it is",
            hook.display()
        ),
        Err(_) => {
            eprintln!("keylint: no pre-commit hook to remove");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What a hook scans, and how:
/// - at pre-push (pre-commit sets PRE_COMMIT_FROM_REF and
///   PRE_COMMIT_TO_REF): the pushed commits;
/// - named files (`pre-commit run --all-files` or `--files X` in CI): those
///   files whole, as they are on disk;
/// - in a commit (git sets GIT_INDEX_FILE for its hooks): the lines the
///   staged change adds, in the named files;
/// - nothing named (`keylint hook install`'s hook): the staged change.
///
/// Only errors block unless `--fail-on` says otherwise.
fn run_hook(extra: &[String]) -> anyhow::Result<ExitCode> {
    let argv = ["keylint", "scan"]
        .into_iter()
        .map(String::from)
        .chain(extra.iter().cloned());
    let Command::Scan(mut args) = Cli::try_parse_from(argv)?.command else {
        unreachable!("parsed as `keylint scan`")
    };
    let named: Vec<PathBuf> = std::mem::take(&mut args.paths)
        .into_iter()
        .filter(|p| p.as_os_str() != ".")
        .collect();
    let from = std::env::var("PRE_COMMIT_FROM_REF")
        .ok()
        .filter(|s| !s.is_empty());
    let to = std::env::var("PRE_COMMIT_TO_REF")
        .ok()
        .filter(|s| !s.is_empty());
    verify_policy(&mut args)?;
    args.fail_on.get_or_insert(FailOn::Error);
    if let (Some(from), Some(to)) = (from, to) {
        args.paths = vec![PathBuf::from(".")];
        // A new branch has no remote base (the all-zero id): scan its history.
        if from.bytes().all(|b| b == b'0') {
            args.history = true;
        } else {
            args.range = Some(format!("{from}..{to}"));
        }
        return scan::run_as(&args, Invocation::PrePush, None);
    }
    let in_commit = std::env::var_os("GIT_INDEX_FILE").is_some();
    if named.is_empty() || in_commit {
        let only: Option<HashSet<String>> = (!named.is_empty()).then(|| {
            named
                .iter()
                .map(|p| keylint::source::display_path(p))
                .collect()
        });
        args.paths = vec![PathBuf::from(".")];
        args.staged = true;
        return scan::run_as(&args, Invocation::PreCommit, only.as_ref());
    }
    args.paths = named;
    scan::run_as(&args, Invocation::PreCommit, None)
}

/// A hook never sends keys to providers unless the repository's config
/// says `[verify] in_hook = true` (then it always does): a commit must not
/// make network calls the user did not ask for in the config.
fn verify_policy(args: &mut crate::cli::ScanArgs) -> anyhow::Result<()> {
    let cwd = std::env::current_dir()?;
    let in_hook = keylint::plan::load_config(args.config.as_deref(), &cwd, args.no_config)?
        .is_some_and(|c| c.verify.in_hook);
    if in_hook {
        args.verify = true;
    } else if args.verifies() {
        eprintln!("keylint: warning: the hook does not verify keys (set `[verify] in_hook = true` in .keylint.toml to let it)");
        args.verify = false;
        args.only_live = false;
        if args.fail_on == Some(FailOn::Live) {
            args.fail_on = None;
        }
    }
    Ok(())
}
