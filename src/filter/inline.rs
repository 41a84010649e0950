//! Inline allow comments. keylint's own markers, plus those of the scanners
//! teams migrate from, so switching needs no code change:
//! - on the line: `keylint:allow`, `gitleaks:allow`, `betterleaks:allow`,
//!   `trufflehog:ignore`, `kingfisher:ignore`, `pragma: allowlist secret`;
//! - on the line before: `keylint:allow-next-line`,
//!   `pragma: allowlist nextline secret`;
//! - a block: `keylint:off` … `keylint:on`.

use crate::finding::Finding;
use memchr::memmem;

const SAME_LINE: &[&str] = &[
    "gitleaks:allow",
    "betterleaks:allow",
    "trufflehog:ignore",
    "kingfisher:ignore",
    "pragma: allowlist secret",
];
const NEXT_LINE: &[&str] = &[
    "keylint:allow-next-line",
    "pragma: allowlist nextline secret",
];

/// A file's allow markers, parsed once however many findings it has.
pub struct InlineAllows<'a> {
    lines: Vec<&'a [u8]>,
    /// For each line, whether a `keylint:off` block covers it.
    off: Vec<bool>,
}

impl<'a> InlineAllows<'a> {
    /// `None` for the usual file with no marker at all.
    pub fn parse(bytes: &'a [u8]) -> Option<Self> {
        if memmem::find(bytes, b"allow").is_none()
            && memmem::find(bytes, b"ignore").is_none()
            && memmem::find(bytes, b"keylint:off").is_none()
        {
            return None;
        }
        let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        let mut off = Vec::with_capacity(lines.len());
        let mut state = false;
        for text in &lines {
            off.push(state);
            // The last switch on a line wins: `keylint:off … keylint:on` on
            // one line turns nothing off.
            match (
                memmem::rfind(text, b"keylint:off"),
                memmem::rfind(text, b"keylint:on"),
            ) {
                (Some(o), Some(n)) => state = o > n,
                (Some(_), None) => state = true,
                (None, Some(_)) => state = false,
                (None, None) => {}
            }
        }
        Some(InlineAllows { lines, off })
    }

    /// Which marker allows a finding on lines `line..=end_line` (1-based).
    pub fn allowed_by(&self, line: usize, end_line: usize) -> Option<&'static str> {
        let get = |n: usize| self.lines.get(n.wrapping_sub(1)).copied().unwrap_or(b"");
        for n in line..=end_line {
            if let Some(m) = same_line_marker(get(n)) {
                return Some(m);
            }
        }
        if line > 1 {
            let prev = get(line - 1);
            if let Some(m) = NEXT_LINE
                .iter()
                .find(|m| memmem::find(prev, m.as_bytes()).is_some())
            {
                return Some(m);
            }
        }
        self.off
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(false)
            .then_some("keylint:off")
    }
}

/// Which marker allows a finding on `line` (1-based), if any. For one
/// finding; [`InlineAllows`] serves many.
pub fn allowed_by(bytes: &[u8], line: usize, end_line: usize) -> Option<&'static str> {
    InlineAllows::parse(bytes)?.allowed_by(line, end_line)
}

fn same_line_marker(text: &[u8]) -> Option<&'static str> {
    // `keylint:allow` but not `keylint:allow-next-line`, which is for the next line.
    let mut at = 0;
    while let Some(i) = memmem::find(&text[at..], b"keylint:allow") {
        let rest = &text[at + i + "keylint:allow".len()..];
        if !rest.starts_with(b"-next-line") {
            return Some("keylint:allow");
        }
        at += i + 1;
    }
    SAME_LINE
        .iter()
        .find(|m| memmem::find(text, m.as_bytes()).is_some())
        .copied()
}

/// Drops the findings an inline marker allows.
pub fn retain_unallowed(bytes: &[u8], findings: &mut Vec<Finding>) {
    if let Some(allows) = InlineAllows::parse(bytes) {
        findings.retain(|f| {
            allows
                .allowed_by(f.location.line, f.location.end_line)
                .is_none()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::allowed_by;

    #[test]
    fn markers() {
        let src = b"a = 1 # keylint:allow\n# keylint:allow-next-line\nb = 2\nc = 3\n# keylint:off\nd = 4\n# keylint:on\ne = 5 # pragma: allowlist secret\nf = 6\n";
        assert_eq!(allowed_by(src, 1, 1), Some("keylint:allow"));
        assert_eq!(allowed_by(src, 2, 2), None);
        assert_eq!(allowed_by(src, 3, 3), Some("keylint:allow-next-line"));
        assert_eq!(allowed_by(src, 4, 4), None);
        assert_eq!(allowed_by(src, 6, 6), Some("keylint:off"));
        assert_eq!(allowed_by(src, 8, 8), Some("pragma: allowlist secret"));
        assert_eq!(allowed_by(src, 9, 9), None);
        let same_line = b"x = 1 # keylint:off then keylint:on\ny = 2\n";
        assert_eq!(allowed_by(same_line, 2, 2), None);
    }
}
