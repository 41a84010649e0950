//! The default, rustc-like view: one block per finding with the source line,
//! the secret redacted and underlined, and how to fix it.

use super::terminal::escape;
use super::{human_bytes, RenderOptions, Summary};
use crate::finding::{Finding, Level};
use anstyle::{AnsiColor, Style};
use std::io::{self, Write};

const BOLD: Style = Style::new().bold();
const GUTTER: Style = AnsiColor::Blue.on_default().bold();
const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
/// A live key must stand out from every other line.
const LIVE: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::White)))
    .bg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .bold();
const DIM: Style = Style::new().dimmed();

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, style: Style, s: &str) -> String {
        if self.on {
            format!("{}{s}{}", style.render(), style.render_reset())
        } else {
            s.to_string()
        }
    }
}

/// The rendered line with control characters escaped, and the char columns
/// of the secret in it moved to match.
fn escaped_line(text: &str, start: usize, end: usize) -> (String, usize, usize) {
    let chars: Vec<char> = text.chars().collect();
    let piece =
        |r: std::ops::Range<usize>| escape(&chars[r].iter().collect::<String>()).into_owned();
    let (before, secret, after) = (
        piece(0..start.min(chars.len())),
        piece(start.min(chars.len())..end.min(chars.len())),
        piece(end.min(chars.len())..chars.len()),
    );
    let start = before.chars().count();
    let end = start + secret.chars().count();
    (format!("{before}{secret}{after}"), start, end)
}

pub fn render(w: &mut dyn Write, findings: &[Finding], opts: RenderOptions) -> io::Result<()> {
    let p = Paint { on: opts.color };
    for f in findings {
        let level = f.level();
        let color = match level {
            Level::Error => ERROR,
            Level::Warning => WARNING,
        };
        let level = level.as_str();
        let status = match &f.validation {
            Some(v) if v.status.is_live() => {
                format!(
                    " {}",
                    p.wrap(LIVE, &format!(" {} ", v.status.as_str().to_uppercase()))
                )
            }
            Some(v) => format!(" {}", p.wrap(DIM, &format!("[{}]", v.status.as_str()))),
            None => String::new(),
        };
        writeln!(
            w,
            "{}{} {}{status}",
            p.wrap(color, &format!("{level}[{}]", escape(&f.rule.id))),
            p.wrap(BOLD, ":"),
            // A repository's own rules (its .keylint.toml) are its text too.
            p.wrap(
                BOLD,
                &escape(&format!("{} ({})", f.rule.description, f.rule.provider))
            ),
        )?;
        let loc = &f.location;
        let gutter = loc.line.to_string().len();
        let pad = " ".repeat(gutter);
        writeln!(
            w,
            "{pad}{} {}:{}:{}",
            p.wrap(GUTTER, "-->"),
            escape(&loc.path),
            loc.line,
            loc.column
        )?;
        if let Some(encoding) = f.decoded {
            writeln!(
                w,
                "{pad}{} {encoding}-encoded here; the secret is its decoded text",
                p.wrap(GUTTER, "  "),
            )?;
        }
        if let Some(c) = &f.commit {
            writeln!(
                w,
                "{pad}{} commit {} by {} <{}> on {}",
                p.wrap(GUTTER, "  "),
                &c.id[..c.id.len().min(12)],
                escape(&c.author),
                escape(&c.email),
                c.date
            )?;
        }
        if f.context.is_note() {
            // A finding about a whole file: no line to underline.
            let (note, _, _) = f.context.render(&f.secret, false);
            writeln!(w, "{pad} {} {}", p.wrap(GUTTER, "="), escape(&note))?;
        } else {
            let (text, start, end) = f.context.render(&f.secret, opts.show_secrets);
            let (text, start, end) = escaped_line(&text, start, end);
            writeln!(w, "{pad} {}", p.wrap(GUTTER, "|"))?;
            writeln!(
                w,
                "{} {} {}",
                p.wrap(GUTTER, &loc.line.to_string()),
                p.wrap(GUTTER, "|"),
                text
            )?;
            writeln!(
                w,
                "{pad} {} {}{}",
                p.wrap(GUTTER, "|"),
                " ".repeat(start),
                p.wrap(color, &"^".repeat((end - start).max(1)))
            )?;
        }
        if let Some(v) = &f.validation {
            writeln!(
                w,
                "{pad} {} {}: {} — {}{}",
                p.wrap(GUTTER, "="),
                p.wrap(BOLD, "verify"),
                v.status.as_str(),
                v.status.sentence(),
                if v.detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", escape(&v.detail))
                }
            )?;
        }
        writeln!(
            w,
            "{pad} {} {}: {}",
            p.wrap(GUTTER, "="),
            p.wrap(BOLD, "help"),
            escape(&f.rule.help)
        )?;
        if let Some(url) = &f.rule.url {
            writeln!(
                w,
                "{pad} {} {}: {}",
                p.wrap(GUTTER, "="),
                p.wrap(BOLD, "see"),
                escape(url)
            )?;
        }
        writeln!(
            w,
            "{pad} {} {}: {} (allow it with a `keylint:allow` comment on the line, or list it in .keylintignore)",
            p.wrap(GUTTER, "="),
            p.wrap(BOLD, "fingerprint"),
            f.fingerprint().0
        )?;
        writeln!(w)?;
    }
    Ok(())
}

/// One line: what was scanned, what was found, how long it took.
pub fn summary_line(s: &Summary) -> String {
    let mut line = format!(
        "keylint: {} finding{}{} in {} file{} ({}) in {:.2}s",
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        s.live.map_or(String::new(), |n| format!(" ({n} live)")),
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
