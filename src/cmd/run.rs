//! `keylint run [-p PROVIDER]... [--all] [--profile P] -- CMD [ARGS]`: resolve
//! the keys the command needs, run it with them in its environment only,
//! pass its output through with the keys masked, forward signals, and exit
//! with its status.
//!
//! Signals: keylint and the child share a process group, so a signal the
//! terminal generates (Ctrl-C's SIGINT, Ctrl-\'s SIGQUIT, SIGHUP on hangup)
//! already reached the child: the kernel sends it to the whole foreground
//! group. Forwarding it again made the child see Ctrl-C twice. keylint reads
//! each signal's origin (`siginfo`): one the kernel generated is not
//! forwarded; one another process sent to keylint alone (`kill PID`, a
//! supervisor's SIGTERM) is.

use crate::cli::RunArgs;
use crate::cmd::key::{resolver, say};
use keylint::keys::{KeyError, Masker, Resolver};
use std::io::{Read, Write};
use std::process::{Command, ExitCode, Stdio};

/// Set in the child's environment, so a nested `keylint run` passes through.
const NESTED: &str = "KEYLINT_RUN";

/// `keylint run`'s own flags, for "did you mean" on a mistyped one.
const FLAGS: &[&str] = &[
    "--provider",
    "--all",
    "--profile",
    "--override",
    "--no-masking",
    "--help",
];

/// Which providers to inject, and why.
enum Chosen {
    Named(Vec<String>),
    All,
    Config(Vec<String>, String),
}

pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    if program.starts_with('-') {
        return Err(unknown_flag(program));
    }
    let mut cmd = Command::new(program);
    cmd.args(rest);
    // Caught before the child exists, so a Ctrl-C at any moment after it
    // starts finds keylint waiting for it rather than killed.
    let signals = Signals::catch()?;
    if std::env::var_os(NESTED).is_some() {
        // The outer keylint already injected and masks: just run.
        return wait(
            cmd.spawn().map_err(|e| spawn_error(program, e))?,
            None,
            signals,
        );
    }
    let env = |k: &str| std::env::var(k).ok();
    let resolver = resolver(&env)?;
    let profile = resolver.project.profile(args.profile.as_deref());
    let name = Resolver::key_name(profile);
    let chosen = if !args.providers.is_empty() {
        Chosen::Named(args.providers.clone())
    } else if args.all {
        Chosen::All
    } else {
        let listed = resolver.project.run_providers(profile);
        if listed.is_empty() {
            return Err(KeyError::NothingToInject.into());
        }
        Chosen::Config(listed.to_vec(), resolver.project.shown())
    };
    let specs = match &chosen {
        Chosen::Named(ids) | Chosen::Config(ids, _) => ids
            .iter()
            .map(|id| resolver.provider(id))
            .collect::<keylint::Result<Vec<_>>>()?,
        Chosen::All => resolver.providers.iter().collect(),
    };
    let mut inject: Vec<(String, String, String)> = Vec::new(); // (provider, var, key)
    let mut notices = Vec::new();
    for p in specs {
        let r = resolver.resolve(p, &name, None)?;
        let Some(w) = r.winner() else {
            if matches!(chosen, Chosen::All) {
                continue;
            }
            return Err(resolver.missing(p, &name, false).into());
        };
        let Some(var) = p.env_vars.first() else {
            if matches!(chosen, Chosen::All) {
                continue;
            }
            return Err(KeyError::NoEnvVar {
                provider: p.name.clone(),
            }
            .into());
        };
        notices.extend(r.notices());
        notices.extend(resolver.policy_notices(&r, profile));
        inject.push((p.id.clone(), var.clone(), w.key.expose().to_string()));
    }
    if let Chosen::Config(ids, file) = &chosen {
        eprintln!(
            "keylint: injecting {} (listed in {file}, [run])",
            ids.join(", ")
        );
    }
    if matches!(chosen, Chosen::All) && inject.is_empty() {
        eprintln!("keylint: warning: no provider's key resolves; the command runs without any");
    }
    say(notices);
    for (_, var, key) in &inject {
        if args.override_env || std::env::var_os(var).is_none() {
            cmd.env(var, key);
        }
    }
    cmd.env(NESTED, "1");
    if args.no_masking {
        return wait(
            cmd.spawn().map_err(|e| spawn_error(program, e))?,
            None,
            signals,
        );
    }
    let keys: Vec<&str> = inject.iter().map(|(_, _, k)| k.as_str()).collect();
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| spawn_error(program, e))?;
    let out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    let pumps = pump(out, std::io::stdout(), Masker::new(keys.iter().copied())).and_then(|o| {
        pump(err, std::io::stderr(), Masker::new(keys.iter().copied())).map(|e| vec![o, e])
    });
    let pumps = match pumps {
        Ok(p) => p,
        Err(e) => {
            // Unmasked output must not pass, and no output at all would
            // stall the child on a full pipe: stop it.
            let _ = child.kill();
            let _ = child.wait();
            return Err(anyhow::Error::new(e).context(format!(
                "cannot start a thread to mask `{program}`'s output; the command was stopped"
            )));
        }
    };
    wait(child, Some(pumps), signals)
}

/// A flag `keylint run` does not have, before the command: a usage error,
/// not a program named `--overide`.
fn unknown_flag(flag: &str) -> anyhow::Error {
    let bare = flag.split('=').next().unwrap_or(flag);
    let close = FLAGS
        .iter()
        .map(|f| (strsim::jaro_winkler(bare, f), *f))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(String::new(), |(_, f)| format!(" (did you mean `{f}`?)"));
    anyhow::anyhow!(
        "unknown flag `{bare}` for `keylint run`{close}; the command to run goes after `--`: keylint run [OPTIONS] -- CMD [ARGS]"
    )
}

/// The OS error stays the source: `main` prints it after the context.
fn spawn_error(program: &str, e: std::io::Error) -> anyhow::Error {
    anyhow::Error::new(e).context(format!("cannot run `{program}`"))
}

/// Copies a child's stream to ours through the masker.
fn pump(
    mut from: impl Read + Send + 'static,
    mut to: impl Write + Send + 'static,
    mut masker: Masker,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().spawn(move || {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
                Ok(n) => {
                    let chunk = masker.feed(&buf[..n]);
                    if to.write_all(&chunk).and_then(|_| to.flush()).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.write_all(&masker.finish());
        let _ = to.flush();
    })
}

/// The signals `keylint run` catches while its child runs.
struct Signals {
    #[cfg(unix)]
    info: signal_hook::iterator::SignalsInfo<signal_hook::iterator::exfiltrator::WithOrigin>,
}

impl Signals {
    fn catch() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
            Ok(Signals {
                info: signal_hook::iterator::SignalsInfo::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT])?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }
}

/// Waits for the child, forwarding the signals it did not already get (see
/// the module doc); exits with its code, or 128 + the signal that ended it.
fn wait(
    mut child: std::process::Child,
    pumps: Option<Vec<std::thread::JoinHandle<()>>>,
    mut signals: Signals,
) -> anyhow::Result<ExitCode> {
    let status = loop {
        // The child is not reaped until `try_wait` says it exited, so its
        // pid cannot have been reused when a signal is sent to it.
        if let Some(status) = child.try_wait()? {
            break status;
        }
        #[cfg(unix)]
        for origin in signals.info.pending() {
            if forward(&origin) {
                // SAFETY: sending a signal to our own, unreaped child.
                unsafe { libc::kill(child.id() as libc::pid_t, origin.signal) };
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    #[cfg(unix)]
    signals.info.handle().close();
    for p in pumps.into_iter().flatten() {
        let _ = p.join();
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return Ok(ExitCode::from((128 + sig) as u8));
        }
    }
    Ok(ExitCode::from(status.code().unwrap_or(1) as u8))
}

/// A signal the kernel generated (the terminal's Ctrl-C, Ctrl-\, hangup)
/// went to the whole foreground process group, the child included; one
/// another process sent went to keylint alone.
#[cfg(unix)]
fn forward(origin: &signal_hook::low_level::siginfo::Origin) -> bool {
    !matches!(origin.cause, signal_hook::low_level::siginfo::Cause::Kernel)
}
