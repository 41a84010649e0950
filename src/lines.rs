//! Byte offsets to line/column positions and source-line snippets.
//!
//! A [`LineIndex`] finds a blob's line boundaries once, so each finding's
//! position costs a binary search instead of a scan back to its line's
//! start. That keeps the work linear on crafted input: a 5 MB single-line
//! file with a hundred thousand tokens on it, or minified JavaScript. It is
//! built only for blobs that have candidates.

use crate::finding::LineContext;
use std::ops::Range;

/// Longest line kept whole in a finding's context; longer (minified) lines are
/// cut to a window around the secret.
const MAX_LINE: usize = 400;
const AROUND: usize = 80;

/// How far (in code points) from a finding's columns its shown line can
/// reach: a whole line of at most [`MAX_LINE`] bytes, or [`AROUND`] bytes
/// either side.
pub const SHOWN_REACH: usize = MAX_LINE;

/// Column counts are kept at every `BLOCK` bytes, so a column costs at most
/// one block of counting however long its line.
const BLOCK: usize = 4096;

/// The line starts and code-point counts of one blob.
pub struct LineIndex<'a> {
    bytes: &'a [u8],
    /// Offset of the first byte of each line; `starts[0] == 0`.
    starts: Vec<usize>,
    /// Code points in `bytes[..k * BLOCK]`, for each block boundary `k`.
    chars_before_block: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let mut starts = Vec::with_capacity(bytes.len() / 40 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        let mut chars_before_block = Vec::with_capacity(bytes.len() / BLOCK + 1);
        let mut total = 0;
        chars_before_block.push(0);
        for block in bytes.chunks(BLOCK) {
            total += code_points(block);
            chars_before_block.push(total);
        }
        LineIndex {
            bytes,
            starts,
            chars_before_block,
        }
    }

    /// 0-based index of the line holding `offset`.
    fn line_index(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    /// 1-based line number of `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_index(offset) + 1
    }

    /// Offset of the first byte of `offset`'s line.
    pub fn line_start(&self, offset: usize) -> usize {
        self.starts[self.line_index(offset)]
    }

    /// Offset of the `\n` ending `offset`'s line (or the blob's end).
    pub fn line_end(&self, offset: usize) -> usize {
        self.starts
            .get(self.line_index(offset) + 1)
            .map_or(self.bytes.len(), |&next| next - 1)
    }

    /// Code points in `bytes[..offset]`.
    fn chars_before(&self, offset: usize) -> usize {
        let block = offset / BLOCK;
        self.chars_before_block[block] + code_points(&self.bytes[block * BLOCK..offset])
    }

    /// 1-based column of `offset` within its line, in Unicode code points.
    pub fn column(&self, offset: usize) -> usize {
        self.chars_before(offset) - self.chars_before(self.line_start(offset)) + 1
    }

    /// The line holding `secret.start`, cut around the secret if long, with
    /// the secret's first-line part and the parts of `others` (other secrets'
    /// byte ranges in the blob) that fall on the shown text located in it.
    pub fn context(&self, secret: Range<usize>, others: &[Range<usize>]) -> LineContext {
        let bytes = self.bytes;
        let (start, end) = (secret.start, secret.end);
        let ls = self.line_start(start);
        let mut le = self.line_end(start);
        if le > ls && bytes[le - 1] == b'\r' {
            le -= 1;
        }
        let secret_end = end.min(le).max(start);
        let (from, to) = if le - ls > MAX_LINE {
            (
                start.saturating_sub(AROUND).max(ls),
                (secret_end + AROUND).min(le),
            )
        } else {
            (ls, le)
        };
        // Decode piece by piece so every boundary we need maps into `text`:
        // lossy decoding can change a piece's length.
        let mut cuts: Vec<usize> = vec![from, start, secret_end, to];
        for r in others {
            if r.start < to && r.end > from {
                cuts.push(r.start.clamp(from, to));
                cuts.push(r.end.clamp(from, to));
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        let mut text = String::with_capacity(to - from + 8);
        if from > ls {
            text.push('…');
        }
        let mut at_text = Vec::with_capacity(cuts.len());
        for w in cuts.windows(2) {
            at_text.push((w[0], text.len()));
            text.push_str(&String::from_utf8_lossy(&bytes[w[0]..w[1]]).replace('\t', " "));
        }
        at_text.push((to, text.len()));
        let map = |b: usize| {
            at_text
                .iter()
                .find(|(cut, _)| *cut == b.clamp(from, to))
                .map_or(text.len(), |(_, t)| *t)
        };
        let mut shown_others: Vec<Range<usize>> = others
            .iter()
            .filter(|r| r.start < to && r.end > from)
            .map(|r| map(r.start)..map(r.end))
            .collect();
        // A reported value can reappear in the shown text away from where it
        // was reported (a duplicate not reported twice, a value whose own
        // match lies outside the cut): every occurrence is redacted.
        for r in others {
            let value = String::from_utf8_lossy(&bytes[r.clone()]);
            if !value.is_empty() {
                shown_others.extend(
                    text.match_indices(value.as_ref())
                        .map(|(at, v)| at..at + v.len()),
                );
            }
        }
        let own = map(start)..map(secret_end);
        if to < le {
            text.push('…');
        }
        LineContext::new(text, own, shown_others)
    }
}

/// Code points in valid UTF-8 (bytes that do not continue a sequence); for
/// invalid bytes, close to what lossy decoding shows.
fn code_points(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// Start of the line holding `at`, looking back at most `reach` bytes: the
/// engine's windows never need more, and an unbounded look on a 5 MB line
/// per keyword hit is quadratic.
pub fn line_start_within(bytes: &[u8], at: usize, reach: usize) -> usize {
    let floor = at.saturating_sub(reach);
    memchr::memrchr(b'\n', &bytes[floor..at]).map_or(floor, |i| floor + i + 1)
}

/// End of the line holding `at` (its `\n` or the blob's end), looking ahead
/// at most `reach` bytes.
pub fn line_end_within(bytes: &[u8], at: usize, reach: usize) -> usize {
    let ceil = (at + reach).min(bytes.len());
    memchr::memchr(b'\n', &bytes[at..ceil]).map_or(ceil, |i| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `scan` fuzz target: on a long line cut around one
    /// finding, another reported value shown again (unreported duplicate)
    /// or reported outside the cut must still be redacted.
    #[test]
    fn every_reported_value_in_the_shown_text_is_redacted() {
        let a = "Zq8vNw3kLxP2mR7tQ9Ab";
        let b = "f2fc4162-5be4-4196-acb5-c5f2d54d46cf";
        let text = format!(
            "{}k = \"{a}\" s = \"{b}\" again = \"{a}\" {}",
            "x".repeat(300),
            "y".repeat(300)
        );
        let at_a = text.find(a).unwrap();
        let at_b = text.find(b).unwrap();
        let idx = LineIndex::new(text.as_bytes());
        let others: Vec<Range<usize>> = std::iter::once(at_a..at_a + a.len()).collect();
        let line = idx.context(at_b..at_b + b.len(), &others);
        let (shown, _, _) = line.render(&crate::finding::Secret::new(b), false);
        assert!(!shown.contains(a) && !shown.contains(b), "{shown}");
    }

    #[test]
    fn lines_and_columns() {
        let text = "ab\ncé d\n\nlast";
        let idx = LineIndex::new(text.as_bytes());
        let at = |s: &str| text.find(s).unwrap();
        assert_eq!(idx.line_of(0), 1);
        assert_eq!(idx.line_of(at("c")), 2);
        assert_eq!(idx.column(at("d")), 4, "é is one column");
        assert_eq!(idx.line_of(at("last")), 4);
        assert_eq!(idx.line_start(at("d")), 3);
        assert_eq!(idx.line_end(at("d")), at("d") + 1);
        assert_eq!(idx.line_end(at("last")), text.len());
    }

    #[test]
    fn columns_on_a_line_longer_than_a_block() {
        let mut text = "x".repeat(3 * BLOCK + 17);
        text.push_str("ü=KEY");
        let idx = LineIndex::new(text.as_bytes());
        let key = text.find("KEY").unwrap();
        assert_eq!(idx.column(key), 3 * BLOCK + 17 + 3);
    }

    #[test]
    fn bounded_line_ends() {
        let text = b"aaaa\nbbbbbbbb\ncc";
        assert_eq!(line_start_within(text, 9, 100), 5);
        assert_eq!(
            line_start_within(text, 9, 2),
            7,
            "never further back than the reach"
        );
        assert_eq!(line_end_within(text, 6, 100), 13);
        assert_eq!(line_end_within(text, 6, 3), 9);
    }

    #[test]
    fn context_redacts_every_secret_on_the_line() {
        let text = b"PAIR = \"AAAAsecretoneZZ\" + \"BBBBsecrettwoYY\"\n";
        let s = std::str::from_utf8(text).unwrap();
        let a = s.find("AAAA").unwrap()..s.find("ZZ").unwrap() + 2;
        let b = s.find("BBBB").unwrap()..s.find("YY").unwrap() + 2;
        let idx = LineIndex::new(text);
        let ctx = idx.context(a.clone(), std::slice::from_ref(&b));
        let secret = crate::Secret::new(&s[a]);
        let (line, start, end) = ctx.render(&secret, false);
        assert!(
            !line.contains("secretone") && !line.contains("secrettwo"),
            "{line}"
        );
        assert_eq!(&line[..start], "PAIR = \"");
        assert_eq!(
            line.chars()
                .skip(start)
                .take(end - start)
                .collect::<String>(),
            secret.redacted()
        );
        assert!(!format!("{ctx:?}").contains("secrettwo"));
    }
}
