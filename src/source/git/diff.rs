//! What changed between two versions of a file.
//!
//! - [`changed_region`]: for history, the span between the first and last
//!   byte that differ — two memcmp passes, far faster than a line diff, and
//!   enough there, since a secret the older version held is dropped anyway.
//! - [`added_lines`]: for the staged change, the exact lines a commit adds
//!   (a line diff), since only those may block it.

use std::ops::{Range, RangeInclusive};

/// Lines of context kept before a change, for rules that read the lines
/// above a key (a YAML parent, a `[section]`).
const CONTEXT_LINES: usize = 3;

/// What to scan of `new`, a later version of `old`: the lines between the
/// first and the last byte that differ (plus a little context before), as
/// a buffer in which everything before them is blank lines, so line numbers
/// and columns stay those of `new`. `None` when nothing changed.
///
/// Peers scan patches for the same reason: most of a version's lines were
/// in the one before, and a secret is reported where it was introduced.
/// A common prefix and suffix (two memcmp passes) find the changed span far
/// faster than a line diff; a line moved within the span is scanned again,
/// and the caller drops findings already reported for the path.
pub fn changed_region(old: &[u8], new: &[u8]) -> Option<Vec<u8>> {
    let (_, changed) = changed_spans(old, new)?;
    Some(region_of(new, changed))
}

/// [`changed_region`] for a span [`changed_spans`] already found.
pub fn region_of(new: &[u8], changed: Range<usize>) -> Vec<u8> {
    let (prefix, suffix) = (changed.start, new.len() - changed.end);
    // Widen to whole lines: back to the start of the first changed line and
    // CONTEXT_LINES before it, on to the end of the last changed line.
    let line_start = |pos: usize| memchr::memrchr(b'\n', &new[..pos]).map_or(0, |i| i + 1);
    let mut start = line_start(prefix);
    for _ in 0..CONTEXT_LINES {
        if start == 0 {
            break;
        }
        start = line_start(start - 1);
    }
    let mut end = new.len() - suffix;
    if end > 0 && new[end - 1] != b'\n' {
        end = memchr::memchr(b'\n', &new[end..]).map_or(new.len(), |i| end + i + 1);
    }
    let lines_before = memchr::memchr_iter(b'\n', &new[..start]).count();
    let mut out = Vec::with_capacity(lines_before + end - start);
    out.resize(lines_before, b'\n');
    out.extend_from_slice(&new[start..end]);
    out
}

/// The byte spans of `old` and of `new` between their common prefix and
/// common suffix: what was removed and what took its place. `None` when
/// the two are equal.
pub fn changed_spans(old: &[u8], new: &[u8]) -> Option<(Range<usize>, Range<usize>)> {
    let prefix = common_prefix(old, new);
    if prefix == old.len() && prefix == new.len() {
        return None;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = common_suffix(
        &old[old.len() - max_suffix..],
        &new[new.len() - max_suffix..],
    );
    Some((prefix..old.len() - suffix, prefix..new.len() - suffix))
}

/// Chunks compared by one memcmp call before narrowing down: most of a
/// version is its older version's bytes, and a call per 64 bytes cost more
/// in calls than in comparing.
const CHUNK: usize = 4096;

/// Length of the longest common prefix, compared a chunk, then 64 bytes,
/// at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + CHUNK <= n && a[i..i + CHUNK] == b[i..i + CHUNK] {
        i += CHUNK;
    }
    while i + 64 <= n && a[i..i + 64] == b[i..i + 64] {
        i += 64;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// Length of the longest common suffix of two equally long slices.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len();
    let mut i = 0;
    while i + CHUNK <= n && a[n - i - CHUNK..n - i] == b[n - i - CHUNK..n - i] {
        i += CHUNK;
    }
    while i + 64 <= n && a[n - i - 64..n - i] == b[n - i - 64..n - i] {
        i += 64;
    }
    while i < n && a[n - i - 1] == b[n - i - 1] {
        i += 1;
    }
    i
}

/// The 1-based line ranges of `new` that a line diff from `old` inserts or
/// replaces. `similar`'s Myers diff, with a deadline so a pathological pair
/// of files cannot stall a commit (past it the diff is coarser, never
/// smaller: nothing added is missed).
pub fn added_lines(old: &[u8], new: &[u8]) -> Vec<RangeInclusive<usize>> {
    let old_lines: Vec<&[u8]> = split_lines(old);
    let new_lines: Vec<&[u8]> = split_lines(new);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let ops = similar::capture_diff_slices_deadline(
        similar::Algorithm::Myers,
        &old_lines,
        &new_lines,
        Some(deadline),
    );
    let mut out: Vec<RangeInclusive<usize>> = Vec::new();
    for op in ops {
        let new_range = op.new_range();
        if matches!(
            op.tag(),
            similar::DiffTag::Insert | similar::DiffTag::Replace
        ) && !new_range.is_empty()
        {
            let (first, last) = (new_range.start + 1, new_range.end);
            match out.last_mut() {
                Some(prev) if *prev.end() + 1 >= first => *prev = *prev.start()..=last,
                _ => out.push(first..=last),
            }
        }
    }
    out
}

/// Lines without their terminators; a final line without `\n` counts.
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if bytes.ends_with(b"\n") {
        lines.pop();
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_region_keeps_only_the_changed_lines_and_some_context() {
        let old = b"l1\nl2\nl3\nl4\nl5\nl6\nl7\n";
        let new = b"l1\nl2\nl3\nl4\nl5\nkey = 9\nl6\nl7\n";
        // Three lines of context before the change; nothing after it.
        assert_eq!(
            changed_region(old, new).unwrap(),
            b"\n\nl3\nl4\nl5\nkey = 9\n"
        );
        assert_eq!(changed_region(old, old), None);
    }

    #[test]
    fn changed_region_handles_edges() {
        // A change in the first line, at the very end, and a file emptied.
        assert_eq!(changed_region(b"a\nb\n", b"x\nb\n").unwrap(), b"x\n");
        assert_eq!(changed_region(b"a\nb", b"a\nb\nc").unwrap(), b"a\nb\nc");
        assert_eq!(changed_region(b"a\nb\n", b"").unwrap(), b"");
        assert_eq!(changed_region(b"", b"k = 1").unwrap(), b"k = 1");
        // Old lines that come back inside the changed span are scanned again.
        assert_eq!(
            changed_region(b"a\nb\nc\n", b"a\nc\nb\n").unwrap(),
            b"a\nc\nb\n"
        );
    }

    #[test]
    fn common_prefix_and_suffix_agree_with_a_byte_walk_across_chunks() {
        let base: Vec<u8> = (0..9000u32).map(|i| (i * 7 % 251) as u8).collect();
        for at in [0, 1, 63, 64, 65, 4095, 4096, 4097, 8191, 8192, 8999] {
            let mut other = base.clone();
            other[at] ^= 0xff;
            let prefix = base.iter().zip(&other).take_while(|(a, b)| a == b).count();
            let suffix = base
                .iter()
                .rev()
                .zip(other.iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            assert_eq!(common_prefix(&base, &other), prefix, "{at}");
            assert_eq!(common_suffix(&base, &other), suffix, "{at}");
        }
        assert_eq!(common_prefix(&base, &base[..5000]), 5000);
        assert_eq!(common_suffix(&base, &base), base.len());
    }

    #[test]
    fn added_lines_are_the_inserted_and_replaced_ones() {
        assert_eq!(
            added_lines(b"a\nb\nc\n", b"a\nX\nb\nc\nY\n"),
            vec![2..=2, 5..=5]
        );
        assert_eq!(added_lines(b"a\nb\n", b"a\nB\n"), vec![2..=2]);
        assert!(
            added_lines(b"a\nb\n", b"b\n").is_empty(),
            "a deletion adds nothing"
        );
        assert_eq!(added_lines(b"", b"k\nv"), vec![1..=2]);
        assert!(added_lines(b"same\n", b"same\n").is_empty());
    }
}
