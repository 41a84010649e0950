//! `keylint key set|get|list|rm`.

use crate::cli::{KeyAction, KeyArgs};
use anyhow::bail;
use keylint::keys::{mask, paths, provider_config, Resolver, Source};
use keylint::rules::RuleSet;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

pub fn run(args: &KeyArgs) -> anyhow::Result<ExitCode> {
    let env = |k: &str| std::env::var(k).ok();
    let resolver = Resolver::new(RuleSet::builtin()?.providers().cloned(), &env)?;
    match &args.action {
        KeyAction::Set {
            provider,
            api_key,
            force,
            to_provider_config,
        } => set(
            &resolver,
            provider,
            api_key.as_deref(),
            *force,
            *to_provider_config,
        ),
        KeyAction::Get {
            provider,
            api_key,
            reveal,
        } => {
            let p = resolver.provider(provider)?;
            let Some(r) = resolver.resolve(p, api_key.as_deref())? else {
                return Err(Resolver::missing(p).into());
            };
            let mut out = std::io::stdout().lock();
            if *reveal {
                writeln!(out, "{}", r.key.expose())?;
            } else {
                writeln!(
                    out,
                    "{}: {} (from {})",
                    p.id,
                    mask(r.key.expose()),
                    r.source
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        KeyAction::List => list(&resolver),
        KeyAction::Rm { provider } => {
            let p = resolver.provider(provider)?;
            if resolver.store.remove(&p.id)? {
                eprintln!(
                    "keylint: removed the key for {} from {}",
                    p.id,
                    paths::tilde(&resolver.store.path)
                );
            } else {
                eprintln!("keylint: keylint's store holds no key for {}", p.id);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn set(
    resolver: &Resolver,
    provider: &str,
    flag: Option<&str>,
    force: bool,
    to_provider_config: bool,
) -> anyhow::Result<ExitCode> {
    let p = resolver.provider(provider)?;
    let key = match flag {
        Some(k) => {
            eprintln!("keylint: warning: --api-key puts the key in your shell history; prefer `keylint key set {}` and paste it at the prompt", p.id);
            k.trim().to_string()
        }
        None if std::io::stdin().is_terminal() => {
            rpassword::prompt_password(format!("API key for {} (input hidden): ", p.name))?
                .trim()
                .to_string()
        }
        None => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim().to_string()
        }
    };
    if key.is_empty() {
        bail!(
            "no key given for {}: pass it on stdin, at the prompt, or with --api-key",
            p.id
        );
    }
    if let Some(problem) = Resolver::shape_problem(p, &key) {
        if !force {
            bail!("refusing to store the key for {}: it {problem}; check it, or store it anyway with --force", p.id);
        }
        eprintln!("keylint: warning: the key {problem}; stored anyway (--force)");
    }
    resolver.store.set(&p.id, &key)?;
    eprintln!(
        "keylint: stored the key for {} ({}) in {}",
        p.id,
        mask(&key),
        paths::tilde(&resolver.store.path)
    );
    if to_provider_config {
        let Some(cf) = p.config_files.first() else {
            bail!(
                "{} has no config file of its own; the key is in keylint's store",
                p.name
            );
        };
        let path = paths::expand(&cf.path, resolver.env)?;
        provider_config::write_key(&path, cf, &key)?;
        eprintln!("keylint: wrote the key to {}", paths::tilde(&path));
    }
    Ok(ExitCode::SUCCESS)
}

fn list(resolver: &Resolver) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut any = false;
    for p in &resolver.providers {
        let r = match resolver.resolve(p, None) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => {
                writeln!(out, "{:<14} error: {e}", p.id)?;
                any = true;
                continue;
            }
        };
        any = true;
        let mut warnings = Vec::new();
        if let Some(problem) = Resolver::shape_problem(p, r.key.expose()) {
            warnings.push(format!("key {problem}"));
        }
        if let Source::Store(path) | Source::ProviderConfig(path) = &r.source {
            if paths::readable_by_others(path) {
                warnings.push("file readable by other users".to_string());
            }
            if let Some(w) = git_warning(path) {
                warnings.push(w);
            }
        }
        let age = r
            .age_secs
            .map_or(String::new(), |s| format!(", {} old", human_age(s)));
        writeln!(
            out,
            "{:<14} {:<12} from {}{}",
            p.id,
            mask(r.key.expose()),
            r.source,
            age
        )?;
        for w in warnings {
            writeln!(out, "{:<14} warning: {w}", "")?;
        }
    }
    if !any {
        eprintln!("keylint: no provider's key resolves; store one with `keylint key set PROVIDER`");
    }
    Ok(ExitCode::SUCCESS)
}

/// A key file inside a git work tree is one `git add` from a leak.
fn git_warning(path: &std::path::Path) -> Option<String> {
    let repo = keylint::source::git::discover(path.parent()?)?;
    let tracked = keylint::source::git::worktree::Tracked::read(&repo).ok()??;
    let rel = tracked.relative(path)?;
    let workdir = tracked.workdir.display();
    Some(if tracked.paths.contains(&rel) {
        format!("tracked by git in {workdir}: run `git rm --cached {rel}` and rotate the key")
    } else {
        format!("inside the git work tree {workdir}: make sure .gitignore covers it")
    })
}

fn human_age(secs: u64) -> String {
    match secs {
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}
