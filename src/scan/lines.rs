//! Byte offsets to line/column positions and source-line snippets, computed
//! only for files that have a finding.

use crate::finding::LineContext;

/// Longest line kept whole in a finding's context; longer (minified) lines are
/// cut to a window around the secret.
const MAX_LINE: usize = 400;
const AROUND: usize = 80;

pub fn line_start(bytes: &[u8], at: usize) -> usize {
    memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1)
}

pub fn line_end(bytes: &[u8], at: usize) -> usize {
    memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i)
}

/// Counts lines incrementally over ascending offsets.
pub struct LineCounter<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            pos: 0,
            line: 1,
        }
    }

    /// 1-based line of `offset`; offsets must not decrease between calls.
    pub fn line_of(&mut self, offset: usize) -> usize {
        if offset < self.pos {
            return 1 + memchr::memchr_iter(b'\n', &self.bytes[..offset]).count();
        }
        self.line += memchr::memchr_iter(b'\n', &self.bytes[self.pos..offset]).count();
        self.pos = offset;
        self.line
    }
}

/// 1-based column, in Unicode code points, of `offset` within its line.
pub fn column(bytes: &[u8], offset: usize) -> usize {
    let start = line_start(bytes, offset);
    String::from_utf8_lossy(&bytes[start..offset])
        .chars()
        .count()
        + 1
}

/// The line holding `start`, cut around the secret if long, with the secret's
/// first-line part located in it.
pub fn context(bytes: &[u8], start: usize, end: usize) -> LineContext {
    let ls = line_start(bytes, start);
    let mut le = line_end(bytes, start);
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
    let before = String::from_utf8_lossy(&bytes[from..start]);
    let secret = String::from_utf8_lossy(&bytes[start..secret_end]);
    let after = String::from_utf8_lossy(&bytes[secret_end..to]);
    let mut text = String::with_capacity(to - from + 8);
    if from > ls {
        text.push('…');
    }
    text.push_str(&before);
    let secret_start = text.len();
    text.push_str(&secret);
    let secret_end = text.len();
    text.push_str(&after);
    if to < le {
        text.push('…');
    }
    LineContext {
        text: text.replace('\t', " "),
        secret_start,
        secret_end,
    }
}
