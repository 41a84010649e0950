//! `--explain`: every candidate the rules considered, and why it was
//! reported or dropped (placeholder, entropy, checksum, heuristics, overlap,
//! inline allow, config allow-list, baseline). Secrets stay redacted.

use crate::pipeline::{Considered, Outcome};
use std::io::{self, Write};

/// Writes one line per candidate, in the order given.
pub fn render(w: &mut dyn Write, considered: &[Considered]) -> io::Result<()> {
    for c in considered {
        let f = &c.finding;
        let verdict = match &c.outcome {
            Outcome::Reported => "REPORTED".to_string(),
            Outcome::Allowed(why) => format!("allowed: {why}"),
            Outcome::Dropped(why) => format!("dropped: {why}"),
        };
        writeln!(
            w,
            "{}:{}:{}: {} {}: {verdict}",
            super::terminal::escape(&f.location.path),
            f.location.line,
            f.location.column,
            f.rule.id,
            f.secret.redacted()
        )?;
    }
    Ok(())
}
