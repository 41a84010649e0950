//! `keylint key check [PROVIDER…]` and `keylint key list --check`: the
//! resolver's keys, each asked of its provider with the rule file's
//! validator. Exit 1 when a provider rejects a key.

use super::key::say;
use keylint::keys::Resolver;
use keylint::verify::{self, Status, Validation, Verifier};
use std::io::Write;
use std::process::ExitCode;

/// A resolved key with where it came from.
pub struct Resolved {
    pub provider: String,
    pub masked: String,
    pub source: String,
    pub key: keylint::Secret,
}

/// The validator's answer for each key, announcing first what is sent where.
pub fn check_keys(keys: &[Resolved]) -> anyhow::Result<Vec<Validation>> {
    let cwd = std::env::current_dir()?;
    let config = keylint::plan::load_config(None, &cwd, false)?;
    let scanner = keylint::plan::load_scanner(config.as_ref(), None)?;
    let settings = match &config {
        Some(c) => c
            .verify
            .settings(&c.providers, keylint::verify::trusted_hosts_from_env()),
        None => verify::Settings::default(),
    };
    let mut jobs = Vec::new();
    let mut slot = Vec::new();
    for k in keys {
        match verify::job_for_key(scanner.rules(), &k.provider, &k.key) {
            Some(j) => {
                slot.push(Some(jobs.len()));
                jobs.push(j);
            }
            None => slot.push(None),
        }
    }
    let verifier = Verifier::new(settings);
    if !jobs.is_empty() {
        eprintln!("keylint: checking keys: {}", verifier.destinations(&jobs));
    }
    let answers = verifier.check(&jobs);
    Ok(slot
        .into_iter()
        .map(|s| match s {
            Some(i) => answers[i].clone(),
            None => Validation::not_checked("no validator for this provider"),
        })
        .collect())
}

/// "live (HTTP 200)", "invalid (HTTP 401)", "not-checked (why)".
pub fn describe(v: &Validation) -> String {
    if v.detail.is_empty() {
        v.status.as_str().to_string()
    } else {
        format!("{} ({})", v.status.as_str(), v.detail)
    }
}

pub fn run(
    resolver: &Resolver,
    providers: &[String],
    name: &str,
    api_key: Option<&str>,
) -> anyhow::Result<ExitCode> {
    if api_key.is_some() && providers.len() != 1 {
        anyhow::bail!("--api-key checks one key: name exactly one PROVIDER");
    }
    let mut keys = Vec::new();
    let named: Vec<&keylint::rules::ProviderSpec> = if providers.is_empty() {
        resolver.providers.iter().collect()
    } else {
        providers
            .iter()
            .map(|p| resolver.provider(p))
            .collect::<Result<_, _>>()?
    };
    for p in named {
        let r = resolver.resolve(p, name, api_key)?;
        let Some(w) = r.winner() else {
            if !providers.is_empty() {
                return Err(resolver.missing(p, name, true).into());
            }
            continue;
        };
        say(r.notices());
        keys.push(Resolved {
            provider: p.id.clone(),
            masked: keylint::keys::mask(w.key.expose()),
            source: w.source.to_string(),
            key: w.key.clone(),
        });
    }
    if keys.is_empty() {
        eprintln!("keylint: no provider's key resolves; store one with `keylint key set PROVIDER`");
        return Ok(ExitCode::SUCCESS);
    }
    let answers = check_keys(&keys)?;
    let mut out = std::io::stdout().lock();
    for (k, v) in keys.iter().zip(&answers) {
        writeln!(
            out,
            "{:<14} {:<12} from {}: {}",
            k.provider,
            k.masked,
            k.source,
            describe(v)
        )?;
    }
    out.flush()?;
    Ok(if answers.iter().any(|v| v.status == Status::Invalid) {
        ExitCode::from(super::FOUND)
    } else {
        ExitCode::SUCCESS
    })
}
