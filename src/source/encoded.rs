//! Values hidden by an encoding. A Kubernetes Secret's `data:` values, a
//! `.dockerconfigjson`, a `.env` pasted into a CI variable are base64: the
//! key inside never appears as text. Each base64 run that decodes to
//! printable text becomes a [`View`] to scan — the line with the run
//! replaced by its decoded text (at most [`LINE_REACH`] bytes of it either
//! side), so `password: <decoded>` keeps the context rules need, or the
//! decoded text alone when it has lines of its own —
//! and findings in it point back at the encoded run.
//!
//! Cheap on text without such runs: with AVX2, 64 bytes are classified per
//! step and blocks holding no stretch of 12 base64 bytes are skipped; the
//! rest is one pass with a lookup table, and a run is only decoded when its
//! length and padding fit base64.

use base64::Engine;
use std::ops::Range;

/// Shortest run worth decoding: 12 characters are 9 bytes, enough for a
/// `user:pass`, and random words of that length almost never decode to
/// printable text.
const MIN_RUN: usize = 12;

/// How much of the run's line, either side, a view keeps: enough for the
/// name a value is assigned to (`password: <run>`). A whole minified line
/// per run made many runs on one line quadratic (a 1 MB line of runs took
/// minutes and gigabytes); each view now costs about its own length.
const LINE_REACH: usize = 256;

/// Decoded text shorter than this holds no secret worth reporting.
const MIN_DECODED: usize = 8;

/// Base64 inside decoded text is decoded again this many times (a
/// `.dockerconfigjson` holds base64 `auth` values inside base64 JSON).
pub const MAX_DEPTH: u32 = 2;

/// Which encoded runs (byte ranges of the blob) to decode.
pub type RunFilter<'a> = dyn Fn(&Range<usize>) -> bool + 'a;

/// Decoded text to scan, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The encoded run in the blob.
    pub encoded: Range<usize>,
    /// What to scan.
    pub text: String,
    /// The decoded value's char columns in `text`'s only line (0-based,
    /// end exclusive), when `text` is the blob's line with the run
    /// replaced; `None` when `text` is the decoded value alone.
    pub value_columns: Option<Range<usize>>,
    /// The decoded value's bytes in `text`.
    pub value: Range<usize>,
}

/// The base64 runs of `bytes` (within `only`, when given) that decode to
/// text, each as a view to scan.
pub fn views(bytes: &[u8], only: Option<&RunFilter<'_>>) -> Vec<View> {
    views_in(bytes, 0..bytes.len(), only)
}

/// [`views`] of the runs in `search`, whole lines of `bytes` (what a
/// version changed: the rest was searched with the older version).
pub fn views_in(bytes: &[u8], search: Range<usize>, only: Option<&RunFilter<'_>>) -> Vec<View> {
    let mut out = Vec::new();
    crate::scan::cost::add(search.len());
    let offset = search.start;
    for run in runs(&bytes[search]) {
        let run = run.start + offset..run.end + offset;
        // Decoding is the cheap test; `only` may search another blob.
        let Some(decoded) = decode(&bytes[run.clone()]) else {
            continue;
        };
        if only.is_some_and(|keep| !keep(&run)) {
            continue;
        }
        if decoded.contains('\n') {
            out.push(View {
                encoded: run,
                value: 0..decoded.len(),
                text: decoded,
                value_columns: None,
            });
            continue;
        }
        // The run's neighbourhood on its line (LINE_REACH either side): a
        // whole minified line per run would make many runs quadratic.
        let line_start = crate::lines::line_start_within(bytes, run.start, LINE_REACH);
        let line_end = crate::lines::line_end_within(bytes, run.end, LINE_REACH);
        let before = String::from_utf8_lossy(&bytes[line_start..run.start]);
        let after = String::from_utf8_lossy(&bytes[run.end..line_end]);
        let start = before.chars().count();
        let end = start + decoded.chars().count();
        out.push(View {
            encoded: run,
            value: before.len()..before.len() + decoded.len(),
            text: format!("{before}{decoded}{after}"),
            value_columns: Some(start..end),
        });
    }
    out
}

/// The text of every base64 run in `bytes`, to tell a version's runs
/// from those its older version already held (one pass, not one search of
/// the older version per run).
pub fn run_texts(bytes: &[u8]) -> std::collections::HashSet<&[u8]> {
    runs(bytes).into_iter().map(|r| &bytes[r]).collect()
}

/// Each byte's base64 value, or `NOT_B64`.
const NOT_B64: u8 = 0xff;
static B64: [u8; 256] = {
    let mut t = [NOT_B64; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Maximal runs of the base64 alphabet (with up to two `=`) that could be
/// base64: long enough, a multiple of four, not part of a longer word.
fn runs(bytes: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        i = skip_to_run(bytes, i);
        // No run of MIN_RUN starts in i..i + MIN_RUN unless the byte at
        // its end can belong to one: skip most text a window at a time.
        // (`bytes[i - 1]` is never inside an unfinished run here.)
        match bytes.get(i + MIN_RUN - 1) {
            None => break,
            Some(&b) if B64[b as usize] == NOT_B64 && b != b'=' => {
                i += MIN_RUN;
                continue;
            }
            _ => {}
        }
        // A run through `i + MIN_RUN - 1` starts after the last byte before
        // it that is not base64: jump there instead of stepping a byte at a
        // time through code, where short words fill most windows.
        if let Some(j) = bytes[i..i + MIN_RUN - 1]
            .iter()
            .rposition(|&b| B64[b as usize] == NOT_B64 && b != b'=')
        {
            i += j + 1;
            continue;
        }
        if B64[bytes[i] as usize] == NOT_B64 {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && B64[bytes[i] as usize] != NOT_B64 {
            i += 1;
        }
        let mut end = i;
        while end < n && end - i < 2 && bytes[end] == b'=' {
            end += 1;
        }
        i = end;
        let len = end - start;
        // `-`, `_`, `.` and `%` next to a run make it a URL, a path, a
        // base64url token or an identifier, not a standard base64 value.
        let joined =
            |b: Option<&u8>| b.is_some_and(|b| matches!(b, b'-' | b'_' | b'.' | b'%' | b'\\'));
        if len >= MIN_RUN
            && len % 4 == 0
            && !joined(start.checked_sub(1).and_then(|s| bytes.get(s)))
            && !joined(bytes.get(end))
            && !is_word_or_number(&bytes[start..end])
            && may_be_text(&bytes[start..end])
        {
            out.push(start..end);
        }
    }
    out
}

/// Letters only, or digits only: a word, an identifier or a number, not
/// base64.
fn is_word_or_number(run: &[u8]) -> bool {
    run.iter().all(|b| b.is_ascii_alphabetic()) || run.iter().all(|b| b.is_ascii_digit())
}

/// The first position at or after `i` where a run may start, 64 bytes a
/// step: a block of text whose base64-or-`=` bytes hold no stretch of
/// [`MIN_RUN`] holds no run (a run and its padding are such a stretch).
/// Like the loop in [`runs`], it never stops inside an unfinished run: it
/// returns `i` itself or a position after a byte that cannot be in one.
/// Without AVX2 (and for the last 64 bytes) it returns `i` and the loop's
/// own skipping does the work.
fn skip_to_run(bytes: &[u8], i: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { skip_to_run_avx2(bytes, i) };
    }
    i
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn skip_to_run_avx2(bytes: &[u8], mut i: usize) -> usize {
    use std::arch::x86_64::*;
    // Bits per byte of the 32 at `at`: base64-or-`=` (A-Z, a-z, 0-9, `+`,
    // `/`, `=`), letters, digits. SAFETY (of each call): `at + 32 <=
    // bytes.len()`.
    let classes = |at: usize| -> [u64; 3] {
        let [m, alpha, digit] = unsafe {
            let b = _mm256_loadu_si256(bytes.as_ptr().add(at).cast());
            // x <= lim (unsigned) as min(x, lim) == x.
            let at_most =
                |x, lim: i8| _mm256_cmpeq_epi8(_mm256_min_epu8(x, _mm256_set1_epi8(lim)), x);
            let lower = _mm256_or_si256(b, _mm256_set1_epi8(0x20));
            let alpha = at_most(_mm256_sub_epi8(lower, _mm256_set1_epi8(b'a' as i8)), 25);
            let digit = at_most(_mm256_sub_epi8(b, _mm256_set1_epi8(b'0' as i8)), 9);
            let is = |c: u8| _mm256_cmpeq_epi8(b, _mm256_set1_epi8(c as i8));
            let sym = _mm256_or_si256(_mm256_or_si256(is(b'+'), is(b'/')), is(b'='));
            [
                _mm256_or_si256(_mm256_or_si256(alpha, digit), sym),
                alpha,
                digit,
            ]
        };
        [m, alpha, digit].map(|v| u64::from(_mm256_movemask_epi8(v) as u32))
    };
    // Bit p of `long(x)` is set when bytes p..p + MIN_RUN all are in `x`.
    let long = |x: u64| {
        let two = x & x >> 1;
        let four = two & two >> 2;
        let eight = four & four >> 4;
        eight & four >> 8
    };
    // Bit p of `near(x)` is set when a bit of `x` is in p..p + MIN_RUN.
    let near = |x: u64| {
        let two = x | x >> 1;
        let four = two | two >> 2;
        let eight = four | four >> 4;
        eight | four >> 8
    };
    const _: () = assert!(MIN_RUN == 12);
    while i + 64 <= bytes.len() {
        let [lo, lo_alpha, lo_digit] = classes(i);
        let [hi, hi_alpha, hi_digit] = classes(i + 32);
        let m = lo | hi << 32;
        // Stretches of letters only or of digits only are words and
        // numbers ([`is_word_or_number`]): a run must hold a byte other
        // than a letter, and one other than a digit. A stretch of
        // MIN_RUN or more holds both exactly when one of its MIN_RUN-byte
        // windows does (where the kinds meet, a window holds both), so the
        // test is two more shift cascades, not a segmented scan of each.
        let long = match long(m) {
            0 => 0,
            some => {
                let alpha = lo_alpha | hi_alpha << 32;
                let digit = lo_digit | hi_digit << 32;
                some & near(m & !alpha) & near(m & !digit)
            }
        };
        if long == 0 {
            // A stretch that reaches the block's end is taken again from
            // its start with the next block (its other kind of byte may
            // be there); one that fills the block, by the caller's loop.
            match m.leading_ones() {
                64 => return i,
                ones => i += 64 - ones as usize,
            }
            continue;
        }
        // From the start of the stretch that holds the first such window.
        let before = !m & ((1u64 << long.trailing_zeros()) - 1);
        return if before == 0 {
            i
        } else {
            i + 64 - before.leading_zeros() as usize
        };
    }
    i
}

/// Whether the run's first quartets decode to bytes text can hold: most
/// words and identifiers fail within four characters, before anything is
/// allocated.
fn may_be_text(run: &[u8]) -> bool {
    let ok = |b: u8| (b >= 0x20 && b != 0x7f) || matches!(b, b'\n' | b'\r' | b'\t');
    for quad in run.chunks_exact(4).take(4) {
        let [a, b, c, d] = [quad[0], quad[1], quad[2], quad[3]].map(|x| B64[x as usize]);
        if a == NOT_B64 || b == NOT_B64 {
            return false;
        }
        if !ok(a << 2 | b >> 4) {
            return false;
        }
        if c == NOT_B64 {
            return true; // padding: the end
        }
        if !ok((b & 0x0f) << 4 | c >> 2) {
            return false;
        }
        if d == NOT_B64 {
            return true;
        }
        if !ok((c & 0x03) << 6 | d) {
            return false;
        }
    }
    true
}

/// The run's decoded text, when it is printable text.
fn decode(run: &[u8]) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(run).ok()?;
    if bytes.len() < MIN_DECODED {
        return None;
    }
    let text = String::from_utf8(bytes).ok()?;
    let printable = text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    printable.then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn a_value_is_decoded_in_its_line() {
        let line = format!("  password: {}\nnext: 1\n", b64("correct-horse-battery"));
        let views = views(line.as_bytes(), None);
        assert_eq!(views.len(), 1);
        assert_eq!(views[0].text, "  password: correct-horse-battery");
        assert_eq!(views[0].value_columns, Some(12..33));
        assert_eq!(
            &line[views[0].encoded.clone()],
            b64("correct-horse-battery")
        );
    }

    #[test]
    fn decoded_lines_stand_alone() {
        let env = b64("A=1\nTOKEN=abcdefgh\n");
        let views = views(format!("ENV_FILE: {env}").as_bytes(), None);
        assert_eq!(views[0].text, "A=1\nTOKEN=abcdefgh\n");
        assert_eq!(views[0].value_columns, None);
    }

    #[test]
    fn words_hashes_binary_and_base64url_are_not_decoded() {
        for text in [
            "ThisIsALongIdentifierName",
            "0123456789012345",
            // 20 random bytes: binary, not text.
            "q83vASNFZ4mrze8BI0VniavN7wE=",
            // A path and a URL-safe token.
            "src/main/java/com/example/App.java",
            "aGVsbG8gd29ybGQgaGVsbG8-",
        ] {
            assert!(views(text.as_bytes(), None).is_empty(), "{text}");
        }
    }

    #[test]
    fn runs_are_found_wherever_they_start_and_end() {
        let value = b64("padding-test!"); // 13 bytes: 20 chars with `==`
        for pad in 0..14 {
            let text = format!("{}k: {value}", " ".repeat(pad));
            let v = views(text.as_bytes(), None);
            assert_eq!(v.len(), 1, "{pad}: {text}");
            assert_eq!(&text[v[0].encoded.clone()], value);
            let end = format!("{}{value}", "x ".repeat(pad));
            assert_eq!(views(end.as_bytes(), None).len(), 1, "{end}");
        }
    }

    /// The runs a byte-at-a-time walk finds: what the skipping one must
    /// agree with.
    fn runs_by_hand(bytes: &[u8]) -> Vec<Range<usize>> {
        let b64 = |b: u8| B64[b as usize] != NOT_B64;
        let joined =
            |b: Option<&u8>| b.is_some_and(|b| matches!(b, b'-' | b'_' | b'.' | b'%' | b'\\'));
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if !b64(bytes[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && b64(bytes[i]) {
                i += 1;
            }
            let mut end = i;
            while end < bytes.len() && end - i < 2 && bytes[end] == b'=' {
                end += 1;
            }
            i = end;
            if end - start >= MIN_RUN
                && (end - start) % 4 == 0
                && !joined(start.checked_sub(1).and_then(|s| bytes.get(s)))
                && !joined(bytes.get(end))
                && !bytes[start..end].iter().all(u8::is_ascii_alphabetic)
                && !bytes[start..end].iter().all(u8::is_ascii_digit)
                && may_be_text(&bytes[start..end])
            {
                out.push(start..end);
            }
        }
        out
    }

    #[test]
    fn skipping_finds_the_runs_a_byte_walk_finds() {
        // Text made of words, base64 values, `=` and separators, from a
        // fixed xorshift sequence.
        let pieces: [&[u8]; 14] = [
            b"ab",
            b"configurationOptions",
            b"12345678901234567",
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            b"4",
            b"Zm9vYmFyYmF6cXV4",
            b"==",
            b"=",
            b" ",
            b"\n",
            b"x_y",
            b"cGFzc3dvcmQ6aHVudGVyMg",
            b"-",
            b"Zm9vYmFyYg==",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            let mut text = Vec::new();
            for _ in 0..24 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.extend_from_slice(pieces[(state % pieces.len() as u64) as usize]);
            }
            assert_eq!(
                runs(&text),
                runs_by_hand(&text),
                "{}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    #[test]
    fn only_the_runs_asked_for_are_decoded() {
        let text = format!(
            "a: {}\nb: {}\n",
            b64("first-value-here"),
            b64("second-value-x")
        );
        let second = text.find("b: ").unwrap();
        let v = views(
            text.as_bytes(),
            Some(&|run: &Range<usize>| run.start > second),
        );
        assert_eq!(v.len(), 1);
        assert!(v[0].text.contains("second-value-x"));
    }
}
