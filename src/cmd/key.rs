//! `keylint key set|rotate|import|get|list|rm|providers`: reading the key
//! from the user, asking before a replacement, and printing. The logic lives
//! in `keylint::keys`.

use crate::cli::{KeyAction, KeyArgs, KeyName};
use keylint::keys::{
    self, clock, mask, paths, provider_config, store, EnvLookup, KeyError, Notice, Project,
    Resolution, Resolver, Source,
};
use keylint::rules::{ProviderSpec, RuleSet};
use keylint::Secret;
use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

/// The resolver every key command and `keylint run` use: built-in providers,
/// the project's `.keylint.toml`, and the one clock.
pub fn resolver<'a>(env: EnvLookup<'a>) -> anyhow::Result<Resolver<'a>> {
    let project = Project::discover(&std::env::current_dir()?)?;
    let now = clock::now(env)?;
    Ok(Resolver::new(
        RuleSet::builtin_for_scan()?.providers().cloned(),
        env,
        project,
        now,
    )?)
}

/// Prints each notice once, on stderr.
pub fn say(notices: impl IntoIterator<Item = Notice>) {
    let mut seen = BTreeSet::new();
    for n in notices {
        let text = n.to_string();
        if seen.insert(text.clone()) {
            eprintln!("keylint: warning: {text}");
        }
    }
}

/// The key name in effect: `--name`/`--profile`, else `[run] profile`,
/// else `default`.
fn key_name(resolver: &Resolver, n: &KeyName) -> String {
    Resolver::key_name(resolver.project.profile(n.name.as_deref()))
}

/// The profile that selects the policy: the key's name unless it is `default`.
fn profile_of(name: &str) -> Option<&str> {
    (name != keys::DEFAULT_NAME).then_some(name)
}

pub fn run(args: &KeyArgs) -> anyhow::Result<ExitCode> {
    let env = |k: &str| std::env::var(k).ok();
    let resolver = resolver(&env)?;
    match &args.action {
        KeyAction::Set {
            provider,
            name,
            api_key,
            expires,
            force,
            to_provider_config,
        } => {
            let name = key_name(&resolver, name);
            set(
                &resolver,
                provider,
                &name,
                api_key.as_deref(),
                expires.as_deref(),
                *force,
                *to_provider_config,
            )
        }
        KeyAction::Rotate {
            provider,
            name,
            api_key,
            expires,
            force,
        } => {
            let name = key_name(&resolver, name);
            rotate(
                &resolver,
                provider,
                &name,
                api_key.as_deref(),
                expires.as_deref(),
                *force,
            )
        }
        KeyAction::Import { provider, name } => {
            let name = key_name(&resolver, name);
            import(&resolver, provider, &name)
        }
        KeyAction::Get {
            provider,
            name,
            api_key,
            reveal,
        } => {
            let name = key_name(&resolver, name);
            let p = resolver.provider(provider)?;
            let r = resolver.resolve(p, &name, api_key.as_deref())?;
            let Some(w) = r.winner() else {
                return Err(resolver.missing(p, &name, true).into());
            };
            say(r
                .notices()
                .into_iter()
                .chain(resolver.policy_notices(&r, profile_of(&name))));
            let mut out = std::io::stdout().lock();
            if *reveal {
                writeln!(out, "{}", w.key.expose())?;
            } else {
                writeln!(
                    out,
                    "{}: {} (from {})",
                    p.id,
                    mask(w.key.expose()),
                    w.source
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        KeyAction::List { name, check } => {
            let name = key_name(&resolver, name);
            list(&resolver, &name, *check)
        }
        KeyAction::Check {
            providers,
            name,
            api_key,
        } => {
            let name = key_name(&resolver, name);
            super::key_check::run(&resolver, providers, &name, api_key.as_deref())
        }
        KeyAction::Rm { provider, name } => {
            let name = key_name(&resolver, name);
            let p = resolver.provider(provider)?;
            let removed = resolver
                .store
                .update(|c| Ok(c.remove(&p.id, &name).is_some()))?;
            let what = what(p, &name);
            if removed {
                eprintln!(
                    "keylint: removed {what} from {}",
                    paths::tilde(&resolver.store.path)
                );
            } else {
                eprintln!("keylint: keylint's store holds no {what}");
            }
            Ok(ExitCode::SUCCESS)
        }
        KeyAction::Providers => providers(&resolver),
    }
}

/// "the key for muapi", "the key `ci` for muapi".
fn what(p: &ProviderSpec, name: &str) -> String {
    if name == keys::DEFAULT_NAME {
        format!("the key for {}", p.id)
    } else {
        format!("the key `{name}` for {}", p.id)
    }
}

fn name_flag(name: &str) -> String {
    if name == keys::DEFAULT_NAME {
        String::new()
    } else {
        format!(" --name {name}")
    }
}

/// The key from `--api-key` (with a warning), a hidden prompt, or stdin.
fn read_key(p: &ProviderSpec, flag: Option<&str>, prompt: &str) -> anyhow::Result<String> {
    let key = match flag {
        Some(k) => {
            eprintln!("keylint: warning: --api-key puts the key in your shell history; prefer `keylint key set {}` and paste it at the prompt", p.id);
            k.trim().to_string()
        }
        None if std::io::stdin().is_terminal() => {
            rpassword::prompt_password(format!("{prompt} for {} (input hidden): ", p.name))?
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
        return Err(KeyError::EmptyKey {
            provider: p.id.clone(),
        }
        .into());
    }
    Ok(key)
}

/// Refuses a key with the wrong shape unless `--force`.
fn check_shape(p: &ProviderSpec, key: &str, force: bool) -> anyhow::Result<()> {
    if let Some(problem) = Resolver::shape_problem(p, key) {
        if !force {
            return Err(KeyError::BadKey {
                provider: p.id.clone(),
                problem,
            }
            .into());
        }
        eprintln!("keylint: warning: the key {problem}; stored anyway (--force)");
    }
    Ok(())
}

fn parse_expires(
    resolver: &Resolver,
    s: Option<&str>,
) -> anyhow::Result<Option<jiff::civil::Date>> {
    let Some(s) = s else { return Ok(None) };
    let date = store::parse_expiry(s)?;
    if clock::start_of(date) <= resolver.now {
        return Err(KeyError::ExpiryPassed { date }.into());
    }
    Ok(Some(date))
}

/// "400 days ago", "3 h ago".
fn ago(since: Option<jiff::Timestamp>, now: jiff::Timestamp) -> String {
    match since {
        Some(t) => format!("{} ago", human_age(now.as_second() - t.as_second())),
        None => "at an unknown time".into(),
    }
}

fn human_age(secs: i64) -> String {
    match secs.max(0) {
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

/// Asks on the terminal whether to replace a stored key.
fn confirm_replace(question: &str) -> anyhow::Result<bool> {
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")?;
    write!(tty, "{question} [y/N] ")?;
    tty.flush()?;
    let mut answer = String::new();
    std::io::BufReader::new(tty).read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

fn set(
    resolver: &Resolver,
    provider: &str,
    name: &str,
    flag: Option<&str>,
    expires: Option<&str>,
    force: bool,
    to_provider_config: bool,
) -> anyhow::Result<ExitCode> {
    let p = resolver.provider(provider)?;
    let expires = parse_expires(resolver, expires)?;
    let interactive = flag.is_none() && std::io::stdin().is_terminal();
    let key = read_key(p, flag, "API key")?;
    check_shape(p, &key, force)?;
    let what = what(p, name);
    // Ask before taking the lock: a person may take a while to answer.
    let mut confirmed: Option<Secret> = None;
    if let Some(old) = resolver.stored()?.entry(&p.id, name) {
        if old.key.expose() != key && !force {
            let question = format!(
                "keylint's store already holds {what} ({}, set {}). Replace it?",
                mask(old.key.expose()),
                ago(old.created, resolver.now)
            );
            if !interactive {
                return Err(would_replace(resolver, p, name, old).into());
            }
            if !confirm_replace(&question)? {
                eprintln!("keylint: kept {what} already stored");
                return Ok(ExitCode::from(1));
            }
            confirmed = Some(old.key.clone());
        }
    }
    let entry = store::new_entry(&key, resolver.now, expires, p.key_lifetime_days);
    let replaced = resolver.store.update(|c| {
        if let Some(old) = c.entry(&p.id, name) {
            let agreed = force || old.key.expose() == key || confirmed.as_ref() == Some(&old.key);
            if !agreed {
                return Err(would_replace(resolver, p, name, old).into());
            }
        }
        Ok(c.set(&p.id, name, entry, resolver.now))
    })?;
    eprintln!(
        "keylint: stored {what} ({}) in {}",
        mask(&key),
        paths::tilde(&resolver.store.path)
    );
    if let Some(old) = replaced.filter(|o| o.key.expose() != key) {
        remind_to_revoke(p, &old.key);
    }
    if to_provider_config {
        let Some(cf) = p.config_files.first() else {
            return Err(KeyError::NoProviderConfig {
                provider: p.name.clone(),
            }
            .into());
        };
        let path = paths::expand(&cf.path, resolver.env)?;
        provider_config::write_key(&path, cf, &key)?;
        eprintln!("keylint: wrote the key to {}", paths::tilde(&path));
    }
    Ok(ExitCode::SUCCESS)
}

fn would_replace(
    resolver: &Resolver,
    p: &ProviderSpec,
    name: &str,
    old: &store::Entry,
) -> KeyError {
    KeyError::WouldReplace {
        provider: p.id.clone(),
        what: what(p, name),
        name_flag: name_flag(name),
        masked: mask(old.key.expose()),
        age: ago(old.created, resolver.now),
    }
}

fn remind_to_revoke(p: &ProviderSpec, old: &Secret) {
    let at = p
        .keys_url
        .clone()
        .unwrap_or_else(|| format!("{}'s dashboard", p.name));
    eprintln!(
        "keylint: the old key ({}) is kept only as a fingerprint in the store's history; it still works until you revoke it at {at}",
        mask(old.expose())
    );
}

fn nothing_to_rotate(p: &ProviderSpec, name: &str) -> KeyError {
    KeyError::NothingToRotate {
        provider: p.id.clone(),
        named: if name == keys::DEFAULT_NAME {
            String::new()
        } else {
            format!(" `{name}`")
        },
        name_flag: name_flag(name),
    }
}

fn rotate(
    resolver: &Resolver,
    provider: &str,
    name: &str,
    flag: Option<&str>,
    expires: Option<&str>,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let p = resolver.provider(provider)?;
    let expires = parse_expires(resolver, expires)?;
    let what = what(p, name);
    if resolver.stored()?.entry(&p.id, name).is_none() {
        return Err(nothing_to_rotate(p, name).into());
    }
    let key = read_key(p, flag, "New API key")?;
    check_shape(p, &key, force)?;
    let entry = store::new_entry(&key, resolver.now, expires, p.key_lifetime_days);
    let old = resolver.store.update(|c| {
        let Some(old) = c.entry(&p.id, name) else {
            return Err(nothing_to_rotate(p, name).into());
        };
        if old.key.expose() == key {
            return Err(KeyError::SameKey {
                provider: p.id.clone(),
            }
            .into());
        }
        let old = old.key.clone();
        c.set(&p.id, name, entry, resolver.now);
        Ok(old)
    })?;
    eprintln!(
        "keylint: rotated {what}: {} is stored in {}",
        mask(&key),
        paths::tilde(&resolver.store.path)
    );
    remind_to_revoke(p, &old);
    // Other places that still hand out the old key.
    // (The resolver's view of the store predates the rotation: skip it.)
    if let Ok(r) = resolver.resolve(p, name, None) {
        let others = r
            .candidates
            .iter()
            .filter(|c| !matches!(c.source, Source::Store { .. }));
        for c in others.filter(|c| c.key == old) {
            eprintln!(
                "keylint: warning: {} still holds the old key; update it",
                c.source
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn import(resolver: &Resolver, provider: &str, name: &str) -> anyhow::Result<ExitCode> {
    let p = resolver.provider(provider)?;
    let mut from = None;
    for cf in &p.config_files {
        let path = paths::expand(&cf.path, resolver.env)?;
        if let Some(key) = provider_config::read_key(&path, cf)? {
            from = Some((path, key));
            break;
        }
    }
    let Some((path, key)) = from else {
        let files: Vec<String> = p
            .config_files
            .iter()
            .map(|cf| {
                paths::expand(&cf.path, resolver.env)
                    .map(|x| paths::tilde(&x))
                    .unwrap_or_else(|_| cf.path.clone())
            })
            .collect();
        let looked = if files.is_empty() {
            format!("{} has no config file of its own", p.name)
        } else {
            format!("none of {} holds one", files.join(", "))
        };
        return Err(KeyError::NothingToImport {
            provider: p.id.clone(),
            looked,
        }
        .into());
    };
    let entry = store::Entry {
        key: Secret::new(key.clone()),
        created: paths::modified(&path).or(Some(resolver.now)),
        expires: None,
    };
    let replaced = resolver
        .store
        .update(|c| Ok(c.set(&p.id, name, entry, resolver.now)))?;
    eprintln!(
        "keylint: imported {} ({}) from {} into {}",
        what(p, name),
        mask(&key),
        paths::tilde(&path),
        paths::tilde(&resolver.store.path)
    );
    if let Some(old) = replaced.filter(|o| o.key.expose() != key) {
        remind_to_revoke(p, &old.key);
    }
    Ok(ExitCode::SUCCESS)
}

fn list(resolver: &Resolver, name: &str, check: bool) -> anyhow::Result<ExitCode> {
    // With --check: every winning key asked of its provider first.
    let mut checked = std::collections::HashMap::new();
    if check {
        let keys: Vec<super::key_check::Resolved> = resolver
            .providers
            .iter()
            .filter_map(|p| {
                let r = resolver.resolve(p, name, None).ok()?;
                let w = r.winner()?;
                Some(super::key_check::Resolved {
                    provider: p.id.clone(),
                    masked: mask(w.key.expose()),
                    source: w.source.to_string(),
                    key: w.key.clone(),
                })
            })
            .collect();
        let answers = super::key_check::check_keys(&keys)?;
        for (k, v) in keys.into_iter().zip(answers) {
            checked.insert(k.provider, super::key_check::describe(&v));
        }
    }
    let mut out = std::io::stdout().lock();
    let mut errors = BTreeSet::new();
    let mut any = false;
    for p in &resolver.providers {
        let r = match resolver.resolve(p, name, None) {
            Ok(r) => r,
            Err(e) => {
                errors.insert(e.to_string());
                continue;
            }
        };
        if let Some(w) = r.winner() {
            any = true;
            write_resolved(&mut out, resolver, &r, w, name)?;
            if let Some(status) = checked.get(&p.id) {
                writeln!(out, "{:<14} check: {status}", "")?;
            }
        }
        // The provider's other named keys in the store.
        if let Ok(stored) = resolver.stored() {
            if let Some(keys) = stored.providers.get(&p.id) {
                for (other, e) in keys.keys.iter().filter(|(n, _)| n.as_str() != name) {
                    any = true;
                    writeln!(
                        out,
                        "{:<14} {:<12} in keylint's store as `{other}`, set {}{}",
                        p.id,
                        mask(e.key.expose()),
                        ago(e.created, resolver.now),
                        e.expires
                            .map_or(String::new(), |d| format!(", expires {d}"))
                    )?;
                }
            }
        }
    }
    for e in &errors {
        eprintln!("keylint: error: {e}");
    }
    if !errors.is_empty() {
        return Ok(ExitCode::from(2));
    }
    if !any {
        eprintln!("keylint: no provider's key resolves; store one with `keylint key set PROVIDER`");
    }
    Ok(ExitCode::SUCCESS)
}

fn write_resolved(
    out: &mut impl Write,
    resolver: &Resolver,
    r: &Resolution,
    w: &keys::Candidate,
    name: &str,
) -> anyhow::Result<()> {
    let p = r.provider;
    let mut warnings: Vec<String> = Vec::new();
    if let Some(problem) = Resolver::shape_problem(p, w.key.expose()) {
        warnings.push(format!("key {problem}"));
    }
    if let Source::Store { path, .. } | Source::ProviderConfig { path, .. } = &w.source {
        if paths::readable_by_others(path) {
            warnings.push("file readable by other users".to_string());
        }
        if let Some(g) = git_warning(path) {
            warnings.push(g);
        }
    }
    warnings.extend(r.notices().iter().map(Notice::to_string));
    warnings.extend(
        resolver
            .policy_notices(r, profile_of(name))
            .iter()
            .map(Notice::to_string),
    );
    let age = w.since.map_or(String::new(), |t| {
        format!(
            ", {} old",
            human_age(resolver.now.as_second() - t.as_second())
        )
    });
    let expires = w
        .expires
        .map_or(String::new(), |d| format!(", expires {d}"));
    writeln!(
        out,
        "{:<14} {:<12} from {}{age}{expires}",
        p.id,
        mask(w.key.expose()),
        w.source
    )?;
    for w in warnings {
        writeln!(out, "{:<14} warning: {w}", "")?;
    }
    Ok(())
}

fn providers(resolver: &Resolver) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    for p in &resolver.providers {
        writeln!(out, "{} ({})", p.id, p.name)?;
        if !p.env_vars.is_empty() {
            writeln!(out, "  environment:   {}", p.env_vars.join(", "))?;
        }
        for cf in &p.config_files {
            match &cf.key {
                Some(k) => writeln!(out, "  config file:   {} (field \"{k}\")", cf.path)?,
                None => writeln!(out, "  config file:   {} (the whole file)", cf.path)?,
            }
        }
        if let Some(cmd) = &p.configure_command {
            writeln!(out, "  provider tool: {cmd}")?;
        }
        if let Some(url) = &p.keys_url {
            writeln!(out, "  keys page:     {url}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A key file inside a git work tree is one `git add` from a leak.
fn git_warning(path: &std::path::Path) -> Option<String> {
    let repo = keylint::source::git::discover(path.parent()?).ok()??;
    let tracked = keylint::source::git::worktree::Tracked::read(&repo).ok()??;
    let rel = tracked.relative(path)?;
    let workdir = tracked.workdir.display();
    Some(if tracked.paths.contains(&rel) {
        format!("tracked by git in {workdir}: run `git rm --cached {rel}` and rotate the key")
    } else {
        format!("inside the git work tree {workdir}: make sure .gitignore covers it")
    })
}
