//! The default, rustc-like view: one block per finding with the source line,
//! the secret redacted and underlined, and how to fix it.

use super::{human_bytes, RenderOptions, Summary};
use crate::finding::Finding;
use crate::rules::Confidence;
use std::io::{self, Write};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

pub fn render(w: &mut dyn Write, findings: &[Finding], opts: RenderOptions) -> io::Result<()> {
    let p = Paint { on: opts.color };
    for f in findings {
        let (level, color) = match f.rule.confidence {
            Confidence::High => ("error", "1;31"),
            _ => ("warning", "1;33"),
        };
        writeln!(
            w,
            "{}{} {}",
            p.wrap(color, &format!("{level}[{}]", f.rule.id)),
            p.wrap("1", ":"),
            p.wrap(
                "1",
                &format!("{} ({})", f.rule.description, f.rule.provider)
            ),
        )?;
        let loc = &f.location;
        let gutter = loc.line.to_string().len();
        let pad = " ".repeat(gutter);
        writeln!(
            w,
            "{pad}{} {}:{}:{}",
            p.wrap("1;34", "-->"),
            loc.path,
            loc.line,
            loc.column
        )?;
        if let Some(c) = &f.commit {
            writeln!(
                w,
                "{pad}{} commit {} by {} <{}> on {}",
                p.wrap("1;34", "  "),
                &c.id[..c.id.len().min(12)],
                c.author,
                c.email,
                c.date
            )?;
        }
        if f.context.is_note() {
            // A finding about a whole file: no line to underline.
            let (note, _, _) = f.context.render(&f.secret, false);
            writeln!(w, "{pad} {} {}", p.wrap("1;34", "="), note)?;
        } else {
            let (text, start, end) = f.context.render(&f.secret, opts.show_secrets);
            writeln!(w, "{pad} {}", p.wrap("1;34", "|"))?;
            writeln!(
                w,
                "{} {} {}",
                p.wrap("1;34", &loc.line.to_string()),
                p.wrap("1;34", "|"),
                text
            )?;
            writeln!(
                w,
                "{pad} {} {}{}",
                p.wrap("1;34", "|"),
                " ".repeat(start),
                p.wrap(color, &"^".repeat((end - start).max(1)))
            )?;
        }
        writeln!(
            w,
            "{pad} {} {}: {}",
            p.wrap("1;34", "="),
            p.wrap("1", "help"),
            f.rule.help
        )?;
        if let Some(url) = &f.rule.url {
            writeln!(
                w,
                "{pad} {} {}: {}",
                p.wrap("1;34", "="),
                p.wrap("1", "see"),
                url
            )?;
        }
        writeln!(
            w,
            "{pad} {} {}: {} (allow it with a `keylint:allow` comment on the line, or list it in .keylintignore)",
            p.wrap("1;34", "="),
            p.wrap("1", "fingerprint"),
            f.fingerprint.0
        )?;
        writeln!(w)?;
    }
    Ok(())
}

/// One line: what was scanned, what was found, how long it took.
pub fn summary_line(s: &Summary) -> String {
    let mut line = format!(
        "keylint: {} finding{} in {} file{} ({}) in {:.2}s",
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        s.files,
        if s.files == 1 { "" } else { "s" },
        human_bytes(s.bytes),
        s.elapsed.as_secs_f64()
    );
    let mut skipped = Vec::new();
    if s.skipped_binary > 0 {
        skipped.push(format!("{} binary", s.skipped_binary));
    }
    if s.skipped_large > 0 {
        skipped.push(format!("{} over the size limit", s.skipped_large));
    }
    if s.skipped_lfs > 0 {
        skipped.push(format!("{} Git LFS pointer(s)", s.skipped_lfs));
    }
    if s.errors > 0 {
        skipped.push(format!(
            "{} unreadable (the scan is incomplete: see the errors above)",
            s.errors
        ));
    }
    if !skipped.is_empty() {
        line.push_str(&format!("; skipped {}", skipped.join(", ")));
    }
    line
}
