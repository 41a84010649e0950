//! `keylint run [--provider P]... -- CMD [ARGS]`: resolve keys, run CMD with
//! them in its environment only, pass its output through with the keys
//! masked, forward signals, and exit with its status.

use crate::cli::RunArgs;
use keylint::keys::{Masker, Resolved, Resolver};
use keylint::rules::RuleSet;
use std::io::{Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

/// Set in the child's environment, so a nested `keylint run` passes through.
const NESTED: &str = "KEYLINT_RUN";

pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut cmd = Command::new(program);
    cmd.args(rest);
    if std::env::var_os(NESTED).is_some() {
        // The outer keylint already injected and masks: just run.
        return wait(cmd.spawn().map_err(|e| spawn_error(program, e))?, None);
    }
    let env = |k: &str| std::env::var(k).ok();
    let resolver = Resolver::new(RuleSet::builtin()?.providers().cloned(), &env)?;
    let mut resolved: Vec<(String, Resolved)> = Vec::new();
    if args.providers.is_empty() {
        for p in &resolver.providers {
            if let (Some(var), Ok(Some(r))) = (p.env_vars.first(), resolver.resolve(p, None)) {
                resolved.push((var.clone(), r));
            }
        }
    } else {
        for name in &args.providers {
            let p = resolver.provider(name)?;
            let r = resolver
                .resolve(p, None)?
                .ok_or_else(|| Resolver::missing(p))?;
            let var = p.env_vars.first().cloned().ok_or_else(|| {
                anyhow::anyhow!(
                    "{} names no environment variable to inject the key into",
                    p.name
                )
            })?;
            resolved.push((var, r));
        }
    }
    for (var, r) in &resolved {
        if args.override_env || std::env::var_os(var).is_none() {
            cmd.env(var, r.key.expose());
        }
    }
    cmd.env(NESTED, "1");
    if args.no_masking {
        return wait(cmd.spawn().map_err(|e| spawn_error(program, e))?, None);
    }
    let keys: Vec<String> = resolved
        .iter()
        .map(|(_, r)| r.key.expose().to_string())
        .collect();
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| spawn_error(program, e))?;
    let out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    let pumps = vec![
        pump(
            out,
            std::io::stdout(),
            Masker::new(keys.iter().map(String::as_str)),
        ),
        pump(
            err,
            std::io::stderr(),
            Masker::new(keys.iter().map(String::as_str)),
        ),
    ];
    wait(child, Some(pumps))
}

fn spawn_error(program: &str, e: std::io::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot run `{program}`: {e}")
}

/// Copies a child's stream to ours through the masker.
fn pump(
    mut from: impl Read + Send + 'static,
    mut to: impl Write + Send + 'static,
    mut masker: Masker,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
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

static SIGNAL: AtomicI32 = AtomicI32::new(0);

#[cfg(unix)]
extern "C" fn remember(sig: libc::c_int) {
    SIGNAL.store(sig, Ordering::SeqCst);
}

/// Waits for the child, forwarding SIGINT/SIGTERM/SIGHUP to it; exits with
/// its code, or 128 + the signal that ended it.
fn wait(
    child: std::process::Child,
    pumps: Option<Vec<std::thread::JoinHandle<()>>>,
) -> anyhow::Result<ExitCode> {
    let child = Arc::new(Mutex::new(child));
    #[cfg(unix)]
    unsafe {
        // SAFETY: the handler only stores to an atomic.
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::signal(sig, remember as *const () as libc::sighandler_t);
        }
    }
    let status = loop {
        if let Some(status) = child.lock().expect("no panics").try_wait()? {
            break status;
        }
        #[cfg(unix)]
        {
            let sig = SIGNAL.swap(0, Ordering::SeqCst);
            if sig != 0 {
                let pid = child.lock().expect("no panics").id() as libc::pid_t;
                // SAFETY: sending a signal to our own child.
                unsafe { libc::kill(pid, sig) };
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
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
