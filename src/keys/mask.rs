//! Masking keys in what people see: the short form `sk-p…9xQ2`, and a stream
//! filter that replaces injected keys in a child's output even when a key
//! arrives split across reads.

/// `sk-proj-…9xQ2`: the first and last four characters of a long key, fewer
/// of a short one (never more than a quarter of it).
pub fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() >= 16 {
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    } else {
        // At most a quarter of a short key shows, split between its ends.
        let show = chars.len() / 4;
        if show == 0 {
            return "*".repeat(chars.len().max(3));
        }
        let tail = show / 2;
        let head: String = chars[..show - tail].iter().collect();
        let end: String = chars[chars.len() - tail..].iter().collect();
        format!("{head}…{end}")
    }
}

/// Replaces every occurrence of the keys in a byte stream with their masked
/// form. Holds back only a tail that could still become a key, so output is
/// not delayed otherwise.
pub struct Masker {
    /// (key, masked), longest first so a key containing another wins.
    keys: Vec<(Vec<u8>, Vec<u8>)>,
    pending: Vec<u8>,
}

/// Keys shorter than this are not masked: replacing them would garble output.
const MIN_KEY: usize = 8;

impl Masker {
    pub fn new<'a>(keys: impl IntoIterator<Item = &'a str>) -> Self {
        let mut keys: Vec<(Vec<u8>, Vec<u8>)> = keys
            .into_iter()
            .filter(|k| k.len() >= MIN_KEY)
            .map(|k| (k.as_bytes().to_vec(), mask(k).into_bytes()))
            .collect();
        keys.sort_by_key(|k| std::cmp::Reverse(k.0.len()));
        keys.dedup_by(|a, b| a.0 == b.0);
        Masker {
            keys,
            pending: Vec::new(),
        }
    }

    /// Feeds bytes in; returns what can be written out now.
    pub fn feed(&mut self, data: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(data);
        let hold = self.partial_key_tail();
        let ready = self.pending.len() - hold;
        let out = self.replace(&self.pending[..ready]);
        self.pending.drain(..ready);
        out
    }

    /// Everything still held, at the end of the stream.
    pub fn finish(&mut self) -> Vec<u8> {
        let out = self.replace(&self.pending);
        self.pending.clear();
        out
    }

    /// Length of the longest tail of `pending` that is a proper prefix of a key.
    fn partial_key_tail(&self) -> usize {
        let p = &self.pending;
        let mut best = 0;
        for (key, _) in &self.keys {
            let max = (key.len() - 1).min(p.len());
            for len in (best + 1..=max).rev() {
                if p[p.len() - len..] == key[..len] {
                    best = len;
                    break;
                }
            }
        }
        best
    }

    fn replace(&self, data: &[u8]) -> Vec<u8> {
        let mut out = data.to_vec();
        for (key, masked) in &self.keys {
            if memchr::memmem::find(&out, key).is_none() {
                continue;
            }
            let mut next = Vec::with_capacity(out.len());
            let mut at = 0;
            for i in memchr::memmem::find_iter(&out, key) {
                if i < at {
                    continue;
                }
                next.extend_from_slice(&out[at..i]);
                next.extend_from_slice(masked);
                at = i + key.len();
            }
            next.extend_from_slice(&out[at..]);
            out = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_long_and_short_keys() {
        assert_eq!(mask("sk-proj-abcdefghijklmnop9xQ2"), "sk-p…9xQ2");
        assert_eq!(mask("short123"), "s…3");
        assert_eq!(mask("Zq8vNw3kLxP2mR7"), "Zq…7", "15 chars: 3 shown");
        assert_eq!(mask("Zq8v"), "Z…");
        assert_eq!(mask("Zq8"), "***");
        for n in 1..16 {
            let key: String = "Zq8vNw3kLxP2mR7".chars().take(n).collect();
            let shown = mask(&key)
                .chars()
                .filter(|c| *c != '…' && *c != '*')
                .count();
            assert!(shown * 4 <= n, "{n}-char key shows {shown}");
        }
    }

    #[test]
    fn a_key_split_across_reads_is_still_masked() {
        let key = "sk-test-Zq8vNw3kLxP2mR7t";
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
    fn output_without_keys_passes_straight_through() {
        let mut m = Masker::new(["sk-test-Zq8vNw3kLxP2mR7t"]);
        assert_eq!(m.feed(b"Enter a value: "), b"Enter a value: ");
    }
}
