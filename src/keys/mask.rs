//! Masking keys in what people see: the short form (`sk-p…Q2`, the scanner's
//! one redaction policy), and a stream filter that replaces the injected keys
//! in a child's output, wherever the reads happen to split it.
//!
//! Why not `aho-corasick`'s `stream_replace_all`: it fills its buffer to the
//! longest key's length before it writes anything, so a child's prompt
//! (`Password: `) would not appear until more output came. [`Masker`] uses
//! the same automaton on whatever has arrived and holds back only bytes that
//! could still begin a key.

use aho_corasick::{AhoCorasick, MatchKind};

/// `sk-p…Q2`: [`crate::finding::redact`], so `keylint key` shows exactly as
/// much of a key as a finding does (at most a quarter, at most 4 + 2).
pub fn mask(key: &str) -> String {
    crate::finding::redact(key)
}

/// Keys shorter than this are not masked in a child's output: replacing
/// every occurrence of a short string would garble it. (The store refuses
/// keys this short without `--force`.)
pub const MIN_MASKED_KEY: usize = 8;

/// Replaces every occurrence of the keys in a byte stream with their masked
/// form, giving the same output as masking the whole stream at once
/// ([`Masker::mask_all`]) however the stream is cut into reads.
///
/// What is hidden: every byte that belongs to an occurrence of a key.
/// Occurrences that overlap (a key printed twice sharing a character, one
/// key ending where another begins) form one region, shown as the first
/// key's head, `…`, and the last one's tail; a region of one key is exactly
/// [`mask`] of it. Hiding the union is what makes "no key is ever printed"
/// hold: the visible characters next to a region are the region's own first
/// or last few, fewer than any key has, so no key can be pieced together
/// from what is shown.
///
/// The streaming invariant: everything before the held-back tail is final.
/// Bytes are held only from the first position where a key could still
/// start and end in input not yet seen; a complete occurrence is written as
/// soon as nothing still pending can overlap it, so a key that ends a write
/// (`printf %s "$KEY"`) is masked at once, even when it ends with the
/// character it begins with.
pub struct Masker {
    keys: Vec<Vec<u8>>,
    /// The visible head and tail of each key's masked form.
    heads: Vec<Vec<u8>>,
    tails: Vec<Vec<u8>>,
    /// Every occurrence, overlapping ones included; `None` when there is
    /// nothing to mask.
    matcher: Option<AhoCorasick>,
    /// For each first byte, the keys starting with it: keeps the
    /// could-a-key-start-here check off most positions.
    starts_with: Vec<Vec<usize>>,
    longest: usize,
    /// What stands for the hidden part of a region: `…`, or a character no
    /// key contains when one holds `…`.
    sep: Vec<u8>,
    pending: Vec<u8>,
    carry: Option<Carry>,
}

/// A region of key bytes whose head `feed` has written but whose end may
/// still grow: the first `end` bytes of `pending` belong to it, and `last`
/// is the key whose tail closes it.
#[derive(Clone, Copy)]
struct Carry {
    end: usize,
    last: usize,
}

impl Masker {
    pub fn new<'a>(keys: impl IntoIterator<Item = &'a str>) -> Self {
        let mut keys: Vec<Vec<u8>> = keys
            .into_iter()
            .filter(|k| k.len() >= MIN_MASKED_KEY)
            .map(|k| k.as_bytes().to_vec())
            .collect();
        keys.sort();
        keys.dedup();
        let (heads, tails) = keys
            .iter()
            .map(|k| {
                let text = String::from_utf8_lossy(k);
                if text.contains('…') {
                    // Its head or tail could not be told from the separator.
                    return (Vec::new(), Vec::new());
                }
                let masked = mask(&text);
                let (head, tail) = masked.split_once('…').unwrap_or((&masked, ""));
                (head.as_bytes().to_vec(), tail.as_bytes().to_vec())
            })
            .unzip();
        // The separator written for a region must not occur in any key: a key
        // could otherwise be pieced together across it from the text around.
        let sep = std::iter::once('…')
            .chain('\u{2E00}'..='\u{2E7F}')
            .find(|c| {
                let mut b = [0; 4];
                let c = c.encode_utf8(&mut b).as_bytes();
                !keys.iter().any(|k| k.windows(c.len()).any(|w| w == c))
            })
            .unwrap_or('…')
            .to_string()
            .into_bytes();
        let matcher = (!keys.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&keys)
                .expect("a handful of keys always builds")
        });
        let mut starts_with = vec![Vec::new(); 256];
        for (i, k) in keys.iter().enumerate() {
            starts_with[k[0] as usize].push(i);
        }
        let longest = keys.iter().map(Vec::len).max().unwrap_or(0);
        Masker {
            keys,
            heads,
            tails,
            matcher,
            starts_with,
            longest,
            sep,
            pending: Vec::new(),
            carry: None,
        }
    }

    /// Feeds bytes in; returns what can be written out now.
    pub fn feed(&mut self, data: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(data);
        let mut out = Vec::with_capacity(self.pending.len());
        let (done, carry) = self.emit(&self.pending, self.carry, &mut out, false);
        self.pending.drain(..done);
        self.carry = carry;
        out
    }

    /// Everything still held, at the end of the stream.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.pending.len());
        self.emit(&self.pending, self.carry, &mut out, true);
        self.pending.clear();
        self.carry = None;
        out
    }

    /// The whole of `data` masked at once: what the stream's output equals.
    pub fn mask_all(&self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len());
        self.emit(data, None, &mut out, true);
        out
    }

    /// Writes the final part of `p` (masked) to `out`. Returns how many bytes
    /// of `p` that consumed, and the region left open, if any. At the end of
    /// the stream (`eof`) everything is final.
    fn emit(
        &self,
        p: &[u8],
        carry: Option<Carry>,
        out: &mut Vec<u8>,
        eof: bool,
    ) -> (usize, Option<Carry>) {
        let Some(matcher) = &self.matcher else {
            out.extend_from_slice(p);
            return (p.len(), None);
        };
        // Before `open`, every occurrence that could start has either
        // completed or failed; from `open` on, one may still be arriving.
        let open = if eof { p.len() } else { self.first_open(p) };
        let mut found: Vec<(usize, usize, usize)> = matcher
            .find_overlapping_iter(p)
            .filter(|m| m.start() < open)
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        // By start, the longest first at each start.
        found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut at = 0;
        let mut i = 0;
        // A region whose head was written by the previous call.
        let mut carried = carry;
        loop {
            let (start, mut end, first, mut last) = match carried.take() {
                Some(c) => (0, c.end, None, c.last),
                None => match found.get(i) {
                    Some(&(s, e, k)) => {
                        i += 1;
                        (s, e, Some(k), k)
                    }
                    None => break,
                },
            };
            while let Some(&(_, e, k)) = found.get(i).filter(|f| f.0 < end) {
                if e > end {
                    end = e;
                    last = k;
                }
                i += 1;
            }
            out.extend_from_slice(&p[at..start]);
            if let Some(first) = first {
                out.extend_from_slice(&self.heads[first]);
                out.extend_from_slice(&self.sep);
            }
            if end > open {
                // A key still arriving could overlap this region: its head
                // is written, its tail waits; only bytes from `open` on are
                // kept, for matching what comes next.
                return (
                    open,
                    Some(Carry {
                        end: end - open,
                        last,
                    }),
                );
            }
            out.extend_from_slice(&self.tails[last]);
            at = end;
        }
        out.extend_from_slice(&p[at..open]);
        (open, None)
    }

    /// The first position where a key could start and run past the end of
    /// `p` (`p[j..]` is a proper prefix of some key); `p.len()` when none.
    fn first_open(&self, p: &[u8]) -> usize {
        let start = p.len().saturating_sub(self.longest.saturating_sub(1));
        (start..p.len())
            .find(|&j| {
                let tail = &p[j..];
                self.starts_with[tail[0] as usize].iter().any(|&i| {
                    let k = &self.keys[i];
                    k.len() > tail.len() && k.starts_with(tail)
                })
            })
            .unwrap_or(p.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `masker` fuzz target: a key holding `…` and NULs was
    /// rebuilt from its masked head, the separator and NULs around it.
    #[test]
    fn a_key_holding_the_separator_cannot_be_pieced_together() {
        let key = format!("7-KH…{}", "\0".repeat(25));
        let text = format!("7-KH{key}{}", "\0".repeat(30));
        let out = Masker::new([key.as_str()]).mask_all(text.as_bytes());
        assert!(!out.windows(key.len()).any(|w| w == key.as_bytes()));
    }

    #[test]
    fn mask_is_the_scanners_redaction() {
        assert_eq!(mask("sk-proj-abcdefghijklmnop9xQ2"), "sk-p…Q2");
        assert_eq!(
            mask("Zq8vNw3kLxP2mR7t"),
            "Zq8…t",
            "16 chars: 4 shown, not 8"
        );
        assert_eq!(mask("short123"), "sh…");
        assert_eq!(mask("Zq8v"), "****");
    }

    #[test]
    fn a_key_split_across_reads_is_still_masked() {
        let key = "sk-test-Zq8vNw3kLxP2mR7t"; // keylint:allow (fake value under test)
        let mut m = Masker::new([key]);
        let mut out = m.feed(b"token is sk-test-Zq8v");
        assert_eq!(out, b"token is ", "the possible key start is held back");
        out.extend(m.feed(b"Nw3kLxP2mR7t and more\n"));
        out.extend(m.finish());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("token is {} and more\n", mask(key))
        );
    }

    #[test]
    fn a_key_ending_a_write_with_its_first_character_is_never_printed() {
        // The old masker held back the final `a` (a prefix of the key) and
        // printed the rest of the key raw.
        let key = "aZq8vNw3kLxP2mR7ta";
        let mut m = Masker::new([key]);
        let mut out = m.feed(key.as_bytes());
        // The head and `…` go out at once; the one-character tail waits in
        // case the final `a` starts another, overlapping occurrence.
        assert_eq!(String::from_utf8_lossy(&out), "aZq…");
        out.extend(m.finish());
        assert_eq!(String::from_utf8(out).unwrap(), mask(key));
        let mut m = Masker::new([key]);
        let mut out = Vec::new();
        for b in format!("x={key}").bytes() {
            out.extend(m.feed(&[b]));
        }
        out.extend(m.finish());
        assert_eq!(String::from_utf8(out).unwrap(), format!("x={}", mask(key)));
    }

    #[test]
    fn output_without_keys_passes_straight_through() {
        let mut m = Masker::new(["sk-test-Zq8vNw3kLxP2mR7t"]);
        assert_eq!(m.feed(b"Enter a value: "), b"Enter a value: ");
        let mut none = Masker::new(["short"]);
        assert_eq!(none.feed(b"short"), b"short", "too short to mask");
    }

    #[test]
    fn a_longer_key_is_waited_for_and_a_shorter_one_taken_when_it_fails() {
        let (short, long) = ("Zq8vNw3kLx", "Zq8vNw3kLxP2mR7t");
        let mut m = Masker::new([short, long]);
        assert_eq!(
            m.feed(short.as_bytes()),
            b"",
            "it may still become the long key"
        );
        let mut out = m.feed(b"P2-");
        out.extend(m.finish());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{}P2-", mask(short))
        );
        let mut m = Masker::new([short, long]);
        let mut out = m.feed(format!("{long}\n").as_bytes());
        out.extend(m.finish());
        assert_eq!(String::from_utf8(out).unwrap(), format!("{}\n", mask(long)));
    }

    #[test]
    fn overlapping_occurrences_are_hidden_as_one_region() {
        // Printed twice sharing the final `a`: masking only the first
        // occurrence would leave the second one whole after the `…a`.
        let key = "aZq8vNw3kLxa";
        let m = Masker::new([key]);
        let twice = format!("{key}{}", &key[1..]);
        let out = String::from_utf8(m.mask_all(twice.as_bytes())).unwrap();
        assert_eq!(out, mask(key), "{out}");
        assert!(!out.contains(key));
    }

    /// xorshift64*: deterministic, so a failure names its seed.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// For random keys (a quarter of them ending with their first
    /// character), random text built around them and random chunkings: the
    /// streamed output equals the one-shot masking and never holds a key.
    #[test]
    fn property_streaming_equals_one_shot_and_never_shows_a_key() {
        // A small alphabet makes keys overlap, share prefixes and recur.
        const ALPHABET: &[u8] = b"abcAB01-";
        for seed in 1..=3000u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let nkeys = 1 + rng.below(3);
            let keys: Vec<String> = (0..nkeys)
                .map(|_| {
                    let len = MIN_MASKED_KEY + rng.below(12);
                    let mut k: Vec<u8> = (0..len)
                        .map(|_| ALPHABET[rng.below(ALPHABET.len())])
                        .collect();
                    if rng.below(4) == 0 {
                        k[len - 1] = k[0];
                    }
                    String::from_utf8(k).unwrap()
                })
                .collect();
            let mut text = Vec::new();
            for _ in 0..rng.below(12) {
                match rng.below(4) {
                    0 => text.extend(keys[rng.below(nkeys)].bytes()),
                    1 => {
                        let k = keys[rng.below(nkeys)].as_bytes();
                        text.extend(&k[..rng.below(k.len())]);
                    }
                    2 => text.push(b'\n'),
                    _ => {
                        text.extend((0..rng.below(6)).map(|_| ALPHABET[rng.below(ALPHABET.len())]))
                    }
                }
            }
            let mut m = Masker::new(keys.iter().map(String::as_str));
            let expected = m.mask_all(&text);
            let mut out = Vec::new();
            let mut rest = &text[..];
            let bytewise = rng.below(3) == 0;
            while !rest.is_empty() {
                let n = if bytewise {
                    1
                } else {
                    1 + rng.below(rest.len().min(9))
                };
                out.extend(m.feed(&rest[..n]));
                rest = &rest[n..];
            }
            out.extend(m.finish());
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&expected),
                "seed {seed}: keys {keys:?}, text {:?}",
                String::from_utf8_lossy(&text)
            );
            for k in &keys {
                assert!(
                    memchr::memmem::find(&out, k.as_bytes()).is_none(),
                    "seed {seed}: key {k:?} in {:?}",
                    String::from_utf8_lossy(&out)
                );
            }
        }
    }
}
