//! `--explain`: every candidate the rules considered, and why it was
//! reported or dropped (placeholder, entropy, checksum, heuristics, overlap,
//! inline allow, config allow-list, baseline). Secrets stay redacted.

use crate::verdict::{Considered, Outcome};
use serde::Serialize;
use std::io::{self, Write};

/// One candidate in `--explain --format json`.
#[derive(Serialize)]
struct JsonVerdict<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    rule_id: &'a str,
    /// Always redacted.
    secret: String,
    /// `reported`, `allowed` or `dropped`.
    outcome: &'static str,
    /// Why it was allowed or dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// A JSON array, one object per candidate, in the order given.
pub fn render_json(w: &mut dyn Write, considered: &[Considered]) -> io::Result<()> {
    let verdicts: Vec<JsonVerdict> = considered
        .iter()
        .map(|c| {
            let (outcome, reason) = match &c.outcome {
                Outcome::Reported => ("reported", None),
                Outcome::Allowed(why) => ("allowed", Some(why.clone())),
                Outcome::Dropped(why) => ("dropped", Some(why.to_string())),
            };
            JsonVerdict {
                path: &c.finding.location.path,
                line: c.finding.location.line,
                column: c.finding.location.column,
                rule_id: &c.finding.rule.id,
                secret: c.finding.secret.redacted(),
                outcome,
                reason,
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *w, &verdicts)?;
    writeln!(w)
}

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
            super::terminal::escape(&f.rule.id),
            super::terminal::escape(&f.secret.redacted()),
            verdict = super::terminal::escape(&verdict),
        )?;
    }
    Ok(())
}
