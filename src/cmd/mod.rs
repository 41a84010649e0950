//! One module per subcommand, each a thin `run` over the library.

mod explain;
mod hook;
mod key;
mod key_check;
mod rules;
mod run;
mod scan;

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
