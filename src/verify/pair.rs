//! Two-part credentials: the second part (an AWS secret beside its access
//! key id, a Twilio account SID beside its auth token) is looked for near
//! the finding, in the bytes the scan already holds, with the rule's
//! `pair.regex`. Only with `--verify`.

use super::spec::Pair;
use crate::finding::Secret;

/// The match of `pair.regex` nearest to 1-based `line` (within
/// `pair.lines` lines of it) that is not `own` itself.
pub fn find(pair: &Pair, bytes: &[u8], line: usize, own: &str) -> Option<Secret> {
    let re = crate::rules::compile::compile_regex(&pair.regex).ok()?;
    // Byte offsets of the window's lines.
    let starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1))
        .collect();
    let first = line.saturating_sub(pair.lines).max(1);
    let last = (line + pair.lines).min(starts.len());
    let from = starts[first - 1];
    let to = starts.get(last).copied().unwrap_or(bytes.len());
    let window = &bytes[from..to];
    let line_of = |at: usize| starts.partition_point(|&s| s <= from + at);
    let mut best: Option<(usize, String)> = None;
    for caps in re.captures_iter(window) {
        let Some(m) = caps.get(1).or_else(|| caps.get(0)) else {
            continue;
        };
        let Ok(value) = std::str::from_utf8(m.as_bytes()) else {
            continue;
        };
        if value == own || value.is_empty() {
            continue;
        }
        let distance = line_of(m.start()).abs_diff(line);
        if best.as_ref().is_none_or(|(d, _)| distance < *d) {
            best = Some((distance, value.to_string()));
        }
    }
    best.map(|(_, v)| Secret::new(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_partner_within_the_window_wins() {
        let pair = Pair {
            regex: r"sid=(AC[0-9a-f]{4})".into(),
            lines: 2,
        };
        let text = b"sid=AC0001\nx\ntoken=abc\nsid=AC0002\n\n\n\nsid=AC0003\n";
        assert_eq!(find(&pair, text, 3, "abc").unwrap().expose(), "AC0002");
        assert_eq!(find(&pair, text, 1, "abc").unwrap().expose(), "AC0001");
        assert!(find(&pair, b"token=abc\n\n\n\n\nsid=AC0009", 1, "abc").is_none());
    }
}
