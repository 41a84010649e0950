//! The keyword prefilter: every occurrence of every rule keyword in a blob,
//! overlapping, ASCII case-insensitive. It gates everything else (most
//! files stop here), so it is the hottest loop of a tree scan.
//!
//! Written by hand because no crate does this job at this size without a
//! build cost. With several hundred keywords `aho-corasick`'s SIMD searchers
//! (Teddy) do not apply and overlapping search takes none of its
//! prefilters, so it walks an automaton: a DFA costs 8 ms and 2 MB to build
//! (most of a pre-commit run's start-up), a contiguous NFA 2.6 ms and is
//! three times slower per byte.
//!
//! Instead, a hashed fingerprint of three or four bytes of each keyword
//! sits in one 16 KiB bitmap, built in microseconds. Each position of the
//! blob costs one unaligned load, a fold to lower case, and a multiply and
//! a bit test on its three bytes; a second test on four bytes runs only
//! where the first passed, and only positions whose fingerprints are set
//! are compared with the keywords that share them. On x86-64 with AVX2 the
//! 3-byte test runs for eight positions per gather and 64 per branch-free
//! block, which halved the prefilter's share of a tree scan
//! (BENCHMARKS.md); elsewhere the same test runs one position at a time.
//!
//! A keyword is fingerprinted at its anchor, the rarest trigram in its
//! first bytes by a list of the commonest in source code (`trigrams.txt`),
//! not at its start: one position in twenty of code starts a keyword's
//! first three bytes (`def`, `ser`, `con`), one in a hundred its anchor
//! (`default password` by `ssw`), and every position that passes costs
//! two more tests. A second class marks the 3-byte anchors that end their
//! keyword, and a folded 8-byte head per keyword rules out most of those
//! sharing a fingerprint before the exact compare. Two-byte keywords
//! (`q~`) sit in the 3-byte class under every byte that can follow them.
//! Every position is tested on its own, so overlapping hits (`key` inside
//! `apikey`) come out with no extra work.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Bits in the fingerprint table (16 KiB, in L1 beside the text): about
/// 1% of them are set with the built-in keywords, which bounds the
/// false-candidate rate on text. 8 KiB cost a fifth more time per byte.
const TABLE_BITS: u32 = 17;
const WORDS: usize = 1 << (TABLE_BITS - 6);

/// Keywords longer than this are fingerprinted by their first `PREFIX`
/// bytes.
const PREFIX: usize = 4;

/// The keyword matcher built from a rule set's keywords (lowercase).
#[derive(Debug)]
pub struct Keywords {
    keywords: Vec<Box<[u8]>>,
    /// Each keyword's [`anchor`]: the offset of the bytes it is
    /// fingerprinted by.
    anchors: Box<[u8]>,
    /// Each keyword's [`head`], a cheap first test.
    heads: Vec<(u64, u64)>,
    /// Fingerprint bits of the 3-byte and the 4-byte class, one table
    /// (a different hash each), so the loop touches 8 KiB.
    bits: Box<[u64; WORDS]>,
    /// Folded fingerprint → keywords, per class: keywords by the three
    /// bytes at their anchor (when no fourth follows in the keyword), and
    /// the others by four.
    three: Table,
    four: Table,
    /// Keywords of two bytes (`q~`). Each is also in `three` under every
    /// byte that can follow it, so the loop has one test per position;
    /// this list serves the last two bytes of a text, where none follows.
    two: Box<[u32]>,
    /// Keywords that begin with a line break (`"\nion_"`, a token at the
    /// start of a line): a blob's first line has none before it, so these
    /// also match there without it.
    line_start: Box<[u32]>,
}

type Table = HashMap<u32, Box<[u32]>, BuildHasherDefault<Fingerprint>>;

/// ASCII lower case for four bytes at once: sets bit 5 of every byte. It
/// also merges some punctuation (`_` with DEL): fingerprints only have to
/// agree between keyword and text; the compare after is exact.
#[inline(always)]
fn fold(word: u32) -> u32 {
    word | 0x2020_2020
}

/// A fingerprint's bit: the top bits of a product with an odd constant,
/// a different one per class so the classes do not collide alike.
#[inline(always)]
fn slot(fingerprint: u32, mul: u32) -> usize {
    (fingerprint.wrapping_mul(mul) >> (32 - TABLE_BITS)) as usize
}

const MUL3: u32 = 0x85EB_CA77;
const MUL4: u32 = 0x9E37_79B1;
const MUL3_WHOLE: u32 = 0xC2B2_AE35;

impl Keywords {
    pub fn new(keywords: Vec<String>) -> Self {
        let keywords: Vec<Box<[u8]>> = keywords
            .into_iter()
            .map(|k| k.into_bytes().into_boxed_slice())
            .collect();
        let rank = TrigramRank::builtin();
        let anchors: Vec<u8> = keywords.iter().map(|k| anchor(k, &rank) as u8).collect();
        let mut bits = Box::new([0u64; WORDS]);
        let mut three: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut four: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut two = Vec::new();
        let mut line_start = Vec::new();
        for (id, k) in keywords.iter().enumerate() {
            let id = id as u32;
            if k.len() > 1 && k[0] == b'\n' {
                line_start.push(id);
            }
            match k.len() {
                // Rule loading refuses keywords under two bytes: a
                // shorter one would be a hit on most bytes of every text.
                0 | 1 => debug_assert!(false, "keyword under two bytes"),
                2 => {
                    two.push(id);
                    let mut followed: Vec<u32> =
                        (0..=255u8).map(|b| fingerprint(&[k[0], k[1], b])).collect();
                    followed.sort_unstable();
                    followed.dedup();
                    for f in followed {
                        three.entry(f).or_default().push(id);
                    }
                }
                _ => {
                    let at = &k[anchors[id as usize] as usize..];
                    match at.len() {
                        3 => three.entry(fingerprint(at)).or_default().push(id),
                        _ => four.entry(fingerprint(at)).or_default().push(id),
                    }
                }
            }
        }
        let mut set = |f: u32, mul: u32| {
            let s = slot(f, mul);
            bits[s >> 6] |= 1 << (s & 63);
        };
        // Every keyword of three bytes or more starts with a 3-byte
        // fingerprint in the first class, so one test per position rules
        // out almost all of them; the 4-byte class is tested only after.
        // The exact class: only the prefixes that are whole keywords
        // (most positions that pass the first test start a longer one).
        three.keys().for_each(|&f| {
            set(f, MUL3);
            set(f, MUL3_WHOLE);
        });
        four.keys().for_each(|&f| {
            set(f & 0x00ff_ffff, MUL3);
            set(f, MUL4);
        });
        let table = |m: HashMap<u32, Vec<u32>>| -> Table {
            m.into_iter()
                .map(|(f, ids)| (f, ids.into_boxed_slice()))
                .collect()
        };
        Keywords {
            heads: keywords.iter().map(|k| head(k)).collect(),
            anchors: anchors.into_boxed_slice(),
            keywords,
            bits,
            three: table(three),
            four: table(four),
            two: two.into_boxed_slice(),
            line_start: line_start.into_boxed_slice(),
        }
    }

    #[inline(always)]
    fn maybe(&self, fingerprint: u32, mul: u32) -> bool {
        let s = slot(fingerprint, mul);
        // `s < 1 << TABLE_BITS`, so the index is in bounds by type.
        self.bits[(s >> 6) % WORDS] & (1 << (s & 63)) != 0
    }

    /// Calls `hit(keyword, start, end)` for every occurrence of every
    /// keyword in `text`, overlapping. Hits come in the order of their
    /// anchors, not of their starts.
    pub fn for_each_hit(&self, text: &[u8], mut hit: impl FnMut(usize, usize, usize)) {
        self.line_start_hits(text, &mut hit);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            let from = unsafe { self.candidates_avx2(text, &mut hit) };
            return self.hits_from(text, from, &mut hit);
        }
        self.hits_from(text, 0, &mut hit);
    }

    fn line_start_hits(&self, text: &[u8], hit: &mut impl FnMut(usize, usize, usize)) {
        for &id in self.line_start.iter() {
            let rest = &self.keywords[id as usize][1..];
            if text.len() >= rest.len() && text[..rest.len()].eq_ignore_ascii_case(rest) {
                hit(id as usize, 0, rest.len());
            }
        }
    }

    /// The hits that start at `from` or later, one position at a time.
    fn hits_from(&self, text: &[u8], from: usize, hit: &mut impl FnMut(usize, usize, usize)) {
        let n = text.len();
        // Whole words while four bytes remain, then the tail zero-padded
        // (masked off for the 3-byte class; a 4-byte fingerprint cannot
        // fit there), and two-byte keywords at the last two bytes.
        let whole = n.saturating_sub(PREFIX - 1);
        for i in from.min(whole)..whole {
            let word = fold(u32::from_le_bytes([
                text[i],
                text[i + 1],
                text[i + 2],
                text[i + 3],
            ]));
            if self.maybe(word & 0x00ff_ffff, MUL3) {
                self.candidate(text, i, word, hit);
            }
        }
        for i in from.max(whole)..n {
            if n - i == 3 {
                let w3 =
                    fold(u32::from_le_bytes([text[i], text[i + 1], text[i + 2], 0])) & 0x00ff_ffff;
                if self.maybe(w3, MUL3) {
                    self.verify(&self.three, w3, text, i, hit);
                }
            } else if n - i == 2 {
                self.compare(&self.two, text, i, hit);
            }
        }
    }

    /// A position whose 3-byte fingerprint is set: the keywords it may
    /// start. `word` is the folded four bytes there.
    #[inline(always)]
    fn candidate(
        &self,
        text: &[u8],
        at: usize,
        word: u32,
        hit: &mut impl FnMut(usize, usize, usize),
    ) {
        let w3 = word & 0x00ff_ffff;
        if self.maybe(w3, MUL3_WHOLE) {
            self.verify(&self.three, w3, text, at, hit);
        }
        if self.maybe(word, MUL4) {
            self.verify(&self.four, word, text, at, hit);
        }
    }

    /// The 3-byte test for 64 positions at a time, eight per step: one
    /// shuffle builds their folded words from a 16-byte load, one gather
    /// reads their fingerprint bits (the same table and hash as
    /// [`Self::hits_from`]). The steps of a block run with no branch
    /// between them, so the gathers overlap; only then are the positions
    /// whose bit is set taken one at a time. Returns the first position
    /// not covered, for the scalar loop, which needs no load past the end.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn candidates_avx2(
        &self,
        text: &[u8],
        hit: &mut impl FnMut(usize, usize, usize),
    ) -> usize {
        use std::arch::x86_64::*;
        const Z: i8 = -128; // a shuffle index that writes zero
        let shuffle = _mm256_setr_epi8(
            0, 1, 2, Z, 1, 2, 3, Z, 2, 3, 4, Z, 3, 4, 5, Z, // positions 0..4
            4, 5, 6, Z, 5, 6, 7, Z, 6, 7, 8, Z, 7, 8, 9, Z, // positions 4..8
        );
        let fold3 = _mm256_set1_epi32(0x0020_2020);
        let mul = _mm256_set1_epi32(MUL3 as i32);
        let low = _mm256_set1_epi32(31);
        // The table as 32-bit words: bit `s` of the u64 words is bit
        // `s & 31` of word `s >> 5` on a little-endian machine.
        let table = self.bits.as_ptr().cast::<i32>();
        // One bit per position of the eight starting at `at`.
        // SAFETY (of each call): `at + 16 <= text.len()`, so the load
        // reads inside `text`; the gather's indices are slots >> 5, below
        // `WORDS * 2`, inside the table.
        let eight = |at: usize| -> u64 {
            let found = unsafe {
                let bytes = _mm_loadu_si128(text.as_ptr().add(at).cast());
                let words = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(bytes), shuffle);
                let words = _mm256_or_si256(words, fold3);
                let slots =
                    _mm256_srli_epi32::<{ 32 - TABLE_BITS as i32 }>(_mm256_mullo_epi32(words, mul));
                let found = _mm256_i32gather_epi32::<4>(table, _mm256_srli_epi32::<5>(slots));
                // The slot's bit to the sign bit, then one bit a lane.
                _mm256_sllv_epi32(found, _mm256_sub_epi32(low, _mm256_and_si256(slots, low)))
            };
            _mm256_movemask_ps(_mm256_castsi256_ps(found)) as u32 as u64
        };
        let n = text.len();
        let mut i = 0;
        while i + 16 <= n {
            let steps = ((n - i - 8) / 8).min(8);
            let mut m = 0u64;
            for k in 0..steps {
                m |= eight(i + 8 * k) << (8 * k);
            }
            while m != 0 {
                let at = i + m.trailing_zeros() as usize;
                m &= m - 1;
                let w = &text[at..at + 4];
                self.candidate(
                    text,
                    at,
                    fold(u32::from_le_bytes([w[0], w[1], w[2], w[3]])),
                    hit,
                );
            }
            i += 8 * steps;
        }
        i
    }

    #[cold]
    #[inline(never)]
    fn verify(
        &self,
        table: &Table,
        fingerprint: u32,
        text: &[u8],
        at: usize,
        hit: &mut impl FnMut(usize, usize, usize),
    ) {
        if let Some(ids) = table.get(&fingerprint) {
            self.compare(ids, text, at, hit);
        }
    }

    fn compare(
        &self,
        ids: &[u32],
        text: &[u8],
        at: usize,
        hit: &mut impl FnMut(usize, usize, usize),
    ) {
        for &id in ids {
            // The keyword starts its anchor's offset before `at`.
            let Some(start) = at.checked_sub(self.anchors[id as usize] as usize) else {
                continue;
            };
            // Where eight bytes remain, one folded word rules out most
            // keywords that share a fingerprint (`passphrase` at
            // `password`) before the exact compare.
            let (head, mask) = self.heads[id as usize];
            if let Some(w) = text.get(start..start + 8) {
                let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
                if (w | FOLD8) & mask != head {
                    continue;
                }
            }
            let k = &self.keywords[id as usize];
            let end = start + k.len();
            if end <= text.len() && text[start..end].eq_ignore_ascii_case(k) {
                hit(id as usize, start, end);
            }
        }
    }
}

/// [`fold`] for eight bytes.
const FOLD8: u64 = 0x2020_2020_2020_2020;

/// A keyword's first eight bytes (fewer if shorter) folded, and the mask
/// of the bytes it has.
fn head(keyword: &[u8]) -> (u64, u64) {
    let len = keyword.len().min(8);
    let mut pad = [0u8; 8];
    pad[..len].copy_from_slice(&keyword[..len]);
    let mask = if len == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * len)) - 1
    };
    ((u64::from_le_bytes(pad) | FOLD8) & mask, mask)
}

/// A keyword's folded fingerprint: its first three or four bytes as a
/// little-endian word, the way the text's words are read.
fn fingerprint(keyword: &[u8]) -> u32 {
    let mut pad = [0u8; PREFIX];
    let len = keyword.len().min(PREFIX);
    pad[..len].copy_from_slice(&keyword[..len]);
    let word = fold(u32::from_le_bytes(pad));
    if len == 4 {
        word
    } else {
        word & 0x00ff_ffff
    }
}

/// The longest offset a keyword may be anchored at.
const MAX_ANCHOR: usize = 12;

/// Where a keyword is fingerprinted: the offset of its rarest trigram in
/// source code (the earliest of the rarest), in its first
/// `MAX_ANCHOR + 3` bytes. Keywords of two or three bytes have one choice.
fn anchor(keyword: &[u8], rank: &TrigramRank) -> usize {
    if keyword.len() <= 3 {
        return 0;
    }
    let last = (keyword.len() - 3).min(MAX_ANCHOR);
    // `max_by_key` keeps the last of equals: search from the end.
    (0..=last)
        .rev()
        .max_by_key(|&o| rank.rarity(&keyword[o..o + 3]))
        .unwrap_or(0)
}

/// How common each trigram is in source code, from `trigrams.txt`: the
/// most common first, so a trigram's line number is its commonness, and
/// one not listed is rarer than all.
struct TrigramRank(HashMap<u32, u16, BuildHasherDefault<Fingerprint>>);

const TRIGRAMS: &str = include_str!("trigrams.txt");

impl TrigramRank {
    fn builtin() -> Self {
        let listed = TRIGRAMS
            .lines()
            .filter_map(|l| l.strip_prefix('|')?.strip_suffix('|'))
            .filter(|g| g.len() == 3);
        TrigramRank(
            listed
                .enumerate()
                .map(|(i, g)| (fingerprint(g.as_bytes()), i as u16))
                .collect(),
        )
    }

    /// Higher is rarer.
    fn rarity(&self, trigram: &[u8]) -> u16 {
        self.0
            .get(&fingerprint(trigram))
            .copied()
            .unwrap_or(u16::MAX)
    }
}

/// The fingerprint tables' keys are already well mixed words: hashing them
/// again with SipHash would cost more than the lookup.
#[derive(Default)]
struct Fingerprint(u64);

impl Hasher for Fingerprint {
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n);
    }
}

#[cfg(test)]
mod tests {
    use super::Keywords;

    /// Hits sorted by start, then keyword.
    fn hits(k: &Keywords, text: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        k.for_each_hit(text, |id, s, e| out.push((id, s, e)));
        out.sort_by_key(|&(id, s, _)| (s, id));
        out
    }

    /// The reference: every keyword tried at every position.
    fn naive(keywords: &[&str], text: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for s in 0..text.len() {
            for (id, k) in keywords.iter().enumerate() {
                let e = s + k.len();
                if e <= text.len() && text[s..e].eq_ignore_ascii_case(k.as_bytes()) {
                    out.push((id, s, e));
                }
            }
        }
        out.sort_by_key(|&(id, s, _)| (s, id));
        out
    }

    fn set(keywords: &[&str]) -> Keywords {
        Keywords::new(keywords.iter().map(|k| k.to_string()).collect())
    }

    #[test]
    fn finds_overlapping_case_insensitive_hits_of_every_length() {
        let words = ["key", "apikey", "sk-", "q~", "ke", "password", "api_key"];
        let k = set(&words);
        let text = b"API_KEY = sk-1; ApiKey: x PASSWORD=q~ passwor";
        let got = hits(&k, text);
        assert_eq!(got, naive(&words, text));
        // `KEY` inside `API_KEY`, and both `ApiKey` and the `Key` in it.
        assert!(got.contains(&(6, 0, 7)) && got.contains(&(0, 4, 7)));
        assert!(got.contains(&(1, 16, 22)) && got.contains(&(0, 19, 22)));
        // `passwor` at the end is no `password`.
        assert_eq!(got.iter().filter(|h| h.0 == 5).count(), 1);
    }

    #[test]
    fn finds_keywords_at_the_very_end_and_in_tiny_texts() {
        let words = ["ab", "abc", "abcd", "abcde", "dz"];
        let k = set(&words);
        for text in [
            &b""[..],
            b"a",
            b"z",
            b"ab",
            b"xab",
            b"abc",
            b"ABCD",
            b"xxabcde",
            b"abcdz",
        ] {
            assert_eq!(hits(&k, text), naive(&words, text), "{text:?}");
        }
    }

    #[test]
    fn a_keyword_that_starts_a_line_also_starts_the_text() {
        let words = ["\nion_", "ion_"];
        let k = set(&words);
        // At the start of the text there is no line break to match, so the
        // hit covers the rest of the keyword; after one, the whole keyword.
        assert_eq!(hits(&k, b"ION_x"), vec![(0, 0, 4), (1, 0, 4)]);
        assert_eq!(hits(&k, b"a\nion_"), vec![(0, 1, 6), (1, 2, 6)]);
        assert_eq!(hits(&k, b"io"), vec![]);
    }

    #[test]
    fn a_keyword_is_anchored_at_its_rarest_trigram_and_hit_at_its_start() {
        let rank = super::TrigramRank::builtin();
        // `def` starts a word on most lines of Python; `ssw` is rarer.
        let kw = b"default password";
        let at = super::anchor(kw, &rank);
        assert_eq!(&kw[at..at + 3], b"ssw");
        assert!((0..kw.len() - 2).all(|o| rank.rarity(&kw[o..o + 3]) <= rank.rarity(b"ssw")));
        assert!(rank.rarity(b"def") < rank.rarity(b"ssw"));
        // Short keywords have one place; long ones look no further than
        // MAX_ANCHOR.
        assert_eq!(super::anchor(b"key", &rank), 0);
        let long = b"aaaaaaaaaaaaaaaaaaaaxq~";
        assert!(super::anchor(long, &rank) <= super::MAX_ANCHOR);
        let words = ["default password", "sk-ant-api03-", "key"];
        let k = set(&words);
        for text in [
            &b"default password"[..],
            b"x DEFAULT PASSWORD=1",
            b"ult password", // the anchor's bytes without the start
            b"sk-ant-api03-",
            b" sk-ant-api03-default password key",
        ] {
            assert_eq!(hits(&k, text), naive(&words, text), "{text:?}");
        }
    }

    #[test]
    fn case_folding_merges_no_punctuation_into_a_hit() {
        // Folding sets bit 5, so `_` (0x5f) and DEL (0x7f), `-` and CR share
        // a fingerprint: the compare after must tell them apart.
        let words = ["sk_", "a-b"];
        let k = set(&words);
        let text = b"sk\x7f a\rb sk_ A-B";
        assert_eq!(hits(&k, text), vec![(0, 8, 11), (1, 12, 15)]);
    }

    #[test]
    fn agrees_with_trying_every_keyword_everywhere_on_mixed_text() {
        let words = [
            "token",
            "tok",
            "secret",
            "://",
            "eyj",
            "ghp_",
            "xoxb-",
            "aws_secret",
            "-----begin",
            "sk-ant-",
            "pass",
            "password",
            "passwd",
            "\npk_",
            "$2a$",
            "q~",
        ];
        let k = set(&words);
        let mut text = Vec::new();
        // A deterministic mix of keyword pieces, case flips and noise.
        let mut x: u32 = 0x1234_5678;
        for _ in 0..4000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let w = words[(x % words.len() as u32) as usize].as_bytes();
            let cut = (x >> 8) as usize % (w.len() + 1);
            for (j, &b) in w[..cut].iter().enumerate() {
                text.push(if (x >> (j % 16)) & 1 == 1 {
                    b.to_ascii_uppercase()
                } else {
                    b
                });
            }
            text.push(b" _-=\n\"x9"[(x >> 20) as usize % 8]);
        }
        let expected = naive(&words, &text);
        assert_eq!(hits(&k, &text), expected);
        assert!(expected.len() > 500);
        // The one-position-at-a-time loop alone (what runs without AVX2)
        // agrees too, from the start and from any point on.
        for from in [0, 1, 7, 4321] {
            let mut got = Vec::new();
            k.hits_from(&text, from, &mut |id, s, e| got.push((id, s, e)));
            got.sort_by_key(|&(id, s, _)| (s, id));
            let tail: Vec<_> = expected.iter().copied().filter(|h| h.1 >= from).collect();
            assert_eq!(got, tail, "from {from}");
        }
    }
}
