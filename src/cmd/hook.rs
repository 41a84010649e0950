//! `keylint hook install|uninstall|run`: a plain git pre-commit hook for
//! repositories without the pre-commit framework, and the entry point both
//! kinds of hook call.

use crate::cli::{Cli, HookAction, HookArgs};
use anyhow::{bail, Context};
use clap::Parser;
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
    let repo = keylint::source::git::open_from_env().map_err(|_| {
        anyhow::anyhow!("not a git repository: run `keylint hook install` inside a work tree")
    })?;
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

/// At pre-push, pre-commit sets PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF:
/// scan the pushed commits. Otherwise scan what is staged.
fn run_hook(extra: &[String]) -> anyhow::Result<ExitCode> {
    let from = std::env::var("PRE_COMMIT_FROM_REF")
        .ok()
        .filter(|s| !s.is_empty());
    let to = std::env::var("PRE_COMMIT_TO_REF")
        .ok()
        .filter(|s| !s.is_empty());
    let mut argv = vec!["keylint".to_string(), "scan".to_string()];
    match (from, to) {
        // A new branch has no remote base (the all-zero id): scan its history.
        (Some(f), Some(_)) if f.bytes().all(|b| b == b'0') => argv.push("--history".into()),
        (Some(f), Some(t)) => {
            argv.push("--range".into());
            argv.push(format!("{f}..{t}"));
        }
        _ => argv.push("--staged".into()),
    }
    argv.extend(verify_policy(extra)?);
    super::run(Cli::try_parse_from(argv)?)
}

/// A hook never sends keys to providers unless the repository's config
/// says `[verify] in_hook = true` (then it always does): a commit must not
/// make network calls the user did not ask for in the config.
fn verify_policy(extra: &[String]) -> anyhow::Result<Vec<String>> {
    let cwd = std::env::current_dir()?;
    let in_hook = keylint::plan::load_config(None, &cwd, false)?.is_some_and(|c| c.verify.in_hook);
    let mut args = Vec::with_capacity(extra.len() + 1);
    let mut dropped = false;
    let mut it = extra.iter();
    while let Some(a) = it.next() {
        let verify_flag = matches!(a.as_str(), "--verify" | "--only-live" | "--fail-on=live")
            || (a == "--fail-on" && {
                let next = it.clone().next().map(String::as_str);
                next == Some("live")
            });
        if verify_flag && !in_hook {
            if a == "--fail-on" {
                it.next();
            }
            dropped = true;
            continue;
        }
        args.push(a.clone());
    }
    if dropped {
        eprintln!("keylint: warning: the hook does not verify keys (set `[verify] in_hook = true` in .keylint.toml to let it)");
    }
    if in_hook && !args.iter().any(|a| a == "--verify") {
        args.push("--verify".into());
    }
    Ok(args)
}
