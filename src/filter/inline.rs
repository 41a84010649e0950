//! Inline allow comments. keylint's own markers, plus those of the scanners
//! teams migrate from, so switching needs no code change:
//! - on the line: `keylint:allow`, `gitleaks:allow`, `betterleaks:allow`,
//!   `trufflehog:ignore`, `kingfisher:ignore`, `pragma: allowlist secret`;
//! - on the line before: `keylint:allow-next-line`,
//!   `pragma: allowlist nextline secret`;
//! - a block: `keylint:off` … `keylint:on`.

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

/// Whether `text` holds any allow marker: a history scan that sees a change
/// touch one rescans what the marker governed, since removing a marker
/// re-activates the secrets it allowed.
pub fn mentions_marker(text: &[u8]) -> bool {
    // History runs this on every change. Every marker holds one of three
    // hints; a SIMD search for the hints, then a look at each hit's
    // neighbourhood, costs about one pass (`#[allow(…)]` is common in code,
    // so hits are too).
    const HINTS: [&str; 3] = ["allow", "ignore", "keylint:o"];
    static FINDERS: std::sync::LazyLock<[memmem::Finder<'static>; 3]> =
        std::sync::LazyLock::new(|| HINTS.map(|h| memmem::Finder::new(h.as_bytes())));
    let markers = || {
        ["keylint:allow", "keylint:off", "keylint:on"]
            .into_iter()
            .chain(SAME_LINE.iter().copied())
            .chain(NEXT_LINE.iter().copied())
    };
    FINDERS.iter().zip(HINTS).any(|(finder, hint)| {
        finder.find_iter(text).any(|pos| {
            markers().any(|m| {
                m.find(hint).is_some_and(|k| {
                    pos.checked_sub(k)
                        .and_then(|start| text.get(start..start + m.len()))
                        .is_some_and(|t| t == m.as_bytes())
                })
            })
        })
    })
}

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

#[cfg(test)]
mod tests {
    use super::{allowed_by, mentions_marker};

    #[test]
    fn markers_are_recognised_among_look_alikes() {
        assert!(mentions_marker(b"x = 1 # keylint:allow\n"));
        assert!(mentions_marker(b"# keylint:off\n"));
        assert!(mentions_marker(b"k = v # pragma: allowlist secret"));
        assert!(mentions_marker(b"t = 1 // trufflehog:ignore"));
        assert!(!mentions_marker(
            b"#[allow(dead_code)]\nfn ignore_me() {}\n"
        ));
        assert!(!mentions_marker(b"keylint:oops"));
    }

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
