//! `--explain`: every candidate the rules considered in a file, and why it
//! was reported or dropped (placeholder, entropy, checksum, heuristics,
//! overlap, inline allow, config allow-list, baseline). Secrets stay redacted.

use crate::filter::Filters;
use crate::finding::redact;
use crate::scan::{lines, Scanner, Verdict};
use std::io::{self, Write};

/// Writes one line per candidate; `only_line` limits it to one source line.
pub fn render(
    w: &mut dyn Write,
    scanner: &Scanner,
    filters: &Filters,
    path: &str,
    bytes: &[u8],
    only_line: Option<usize>,
) -> io::Result<usize> {
    let findings = scanner.scan(path, bytes);
    let mut counter = lines::LineCounter::new(bytes);
    let mut written = 0;
    for j in scanner.explain(path, bytes) {
        let c = &j.candidate;
        let line = counter.line_of(c.start);
        if only_line.is_some_and(|l| l != line) {
            continue;
        }
        let rule = &scanner.rule(c.rule).meta;
        let secret = redact(&String::from_utf8_lossy(&bytes[c.start..c.end]));
        let verdict = match &j.verdict {
            Verdict::Drop(reason) => format!("dropped: {reason}"),
            Verdict::Report => {
                let f = findings
                    .iter()
                    .find(|f| f.rule.id == rule.id && f.location.line == line);
                match f.and_then(|f| filters.dropped_by(f, Some(bytes))) {
                    Some(why) => format!("allowed: {why}"),
                    None => "REPORTED".to_string(),
                }
            }
        };
        writeln!(
            w,
            "{path}:{line}:{}: {} {secret}: {verdict}",
            lines::column(bytes, c.start),
            rule.id
        )?;
        written += 1;
    }
    Ok(written)
}
