//! One module per subcommand, each a thin `run` over the library.

mod explain;
mod hook;
mod key;
mod key_check;
mod rules;
mod run;
pub mod scan;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Hook(args) => hook::run(&args),
        Command::Key(args) => key::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "keylint", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { command } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            cmd.build();
            let page = match command {
                None => cmd,
                Some(name) => {
                    let Some(sub) = cmd.find_subcommand(&name).filter(|c| !c.is_hide_set()) else {
                        anyhow::bail!("`{name}`: no such subcommand; `keylint --help` lists them");
                    };
                    // clap names are `&'static str`; this runs once per process.
                    let full: &'static str =
                        Box::leak(format!("keylint-{}", sub.get_name()).into_boxed_str());
                    sub.clone().name(full)
                }
            };
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(page).render(&mut out)?;
            std::io::Write::flush(&mut out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Exit code for "something was found".
pub const FOUND: u8 = 1;

/// Warnings (unless `quiet`) and errors, each on one line of stderr, with
/// control characters shown escaped: paths and messages come from the
/// scanned tree and must not drive the terminal.
pub fn print_diagnostics(warnings: &[String], errors: &[keylint::Error], quiet: bool) {
    if !quiet {
        for w in warnings {
            eprintln!("keylint: warning: {}", keylint::report::terminal::escape(w));
        }
    }
    for e in errors {
        eprintln!(
            "keylint: error: {}",
            keylint::report::terminal::escape(&crate::message(e))
        );
    }
}
