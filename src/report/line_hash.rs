//! GitHub code scanning's `primaryLocationLineHash`: a rolling hash of the
//! first 100 non-blank characters from the start of a line. GitHub matches an
//! alert across runs by it, so an alert survives unrelated lines moving. This
//! is the algorithm codeql-action documents in `src/fingerprints.ts`: line
//! endings normalised to `\n`, spaces and tabs skipped, UTF-16 code units, an
//! end-of-file marker, wrapping 64-bit arithmetic, and a `:N` suffix counting
//! repeats of the same hash within the file.

use std::collections::HashMap;

const BLOCK: usize = 100;
const MOD: u64 = 37;
const EOF: u64 = 65535;

/// The hash of each requested 1-based line, in the order asked.
pub fn line_hashes(bytes: &[u8], wanted: &[usize]) -> Vec<Option<String>> {
    let mut found: Vec<Option<String>> = vec![None; wanted.len()];
    // Line → the slots asking for it (many findings may share a line).
    let mut slots: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, &w) in wanted.iter().enumerate() {
        slots.entry(w).or_default().push(i);
    }
    let text = String::from_utf8_lossy(bytes);
    let mut h = Hasher::new();
    let mut emit = |line: usize, hash: String| {
        for &i in slots.get(&line).map_or(&[][..], Vec::as_slice) {
            if found[i].is_none() {
                found[i] = Some(hash.clone());
            }
        }
    };
    for unit in text.encode_utf16() {
        h.process(unit as u64, &mut emit);
    }
    h.process(EOF, &mut emit);
    for _ in 0..BLOCK {
        if h.line_numbers[h.index] != 0 {
            h.output(&mut emit);
        }
        h.update(0);
    }
    found
}

struct Hasher {
    window: [u64; BLOCK],
    /// The line starting at this window slot, 0 for none.
    line_numbers: [usize; BLOCK],
    hash: u64,
    first_mod: u64,
    index: usize,
    line: usize,
    line_start: bool,
    prev_cr: bool,
    counts: HashMap<u64, usize>,
}

impl Hasher {
    fn new() -> Self {
        Hasher {
            window: [0; BLOCK],
            line_numbers: [0; BLOCK],
            hash: 0,
            first_mod: (0..BLOCK).fold(1u64, |m, _| m.wrapping_mul(MOD)),
            index: 0,
            line: 0,
            line_start: true,
            prev_cr: false,
            counts: HashMap::new(),
        }
    }

    fn output(&mut self, emit: &mut impl FnMut(usize, String)) {
        let n = self.counts.entry(self.hash).or_insert(0);
        *n += 1;
        emit(
            self.line_numbers[self.index],
            format!("{:x}:{}", self.hash, n),
        );
        self.line_numbers[self.index] = 0;
    }

    fn update(&mut self, current: u64) {
        let begin = self.window[self.index];
        self.window[self.index] = current;
        self.hash = MOD
            .wrapping_mul(self.hash)
            .wrapping_add(current)
            .wrapping_sub(self.first_mod.wrapping_mul(begin));
        self.index = (self.index + 1) % BLOCK;
    }

    fn process(&mut self, mut current: u64, emit: &mut impl FnMut(usize, String)) {
        const TAB: u64 = b'\t' as u64;
        const SPACE: u64 = b' ' as u64;
        const LF: u64 = b'\n' as u64;
        const CR: u64 = b'\r' as u64;
        if current == SPACE || current == TAB || (self.prev_cr && current == LF) {
            self.prev_cr = false;
            return;
        }
        if current == CR {
            current = LF;
            self.prev_cr = true;
        } else {
            self.prev_cr = false;
        }
        if self.line_numbers[self.index] != 0 {
            self.output(emit);
        }
        if self.line_start {
            self.line_start = false;
            self.line += 1;
            self.line_numbers[self.index] = self.line;
        }
        if current == LF {
            self.line_start = true;
        }
        self.update(current);
    }
}

#[cfg(test)]
mod tests {
    use super::line_hashes;

    /// Every line's hash, as codeql-action's own test reports them.
    fn all(text: &str) -> Vec<String> {
        let lines = text
            .split("\r\n")
            .flat_map(|p| p.split(['\r', '\n']))
            .count();
        line_hashes(text.as_bytes(), &(1..=lines).collect::<Vec<_>>())
            .into_iter()
            .map(|h| h.unwrap_or_default())
            .collect()
    }

    /// The published test vectors of codeql-action's `src/fingerprints.test.ts`
    /// (GitHub's alert matching depends on computing exactly these).
    #[test]
    fn codeql_action_published_vectors() {
        assert_eq!(all(""), ["c129715d7a2bc9a3:1"]);
        assert_eq!(
            all(" a\nb\n  \t\tc\n d"),
            [
                "271789c17abda88f:1",
                "54703d4cd895b18:1",
                "180aee12dab6264:1",
                "a23a3dc5e078b07b:1"
            ]
        );
        let expected_end = [
            "e9496ae3ebfced30:1",
            "fb7c023a8b9ccb3f:1",
            "ce8ba1a563dcdaca:1",
            "e20e36e16fcb0cc8:1",
            "b3edc88f2938467e:1",
            "c8e28b0b4002a3a0:1",
            "c129715d7a2bc9a3:1",
        ];
        for text in [
            " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
            " hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
            " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
            " hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n",
        ] {
            assert_eq!(all(text), expected_end, "{text:?}");
        }
        assert_eq!(
            all(" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End"),
            [
                "8b7cf3e952e7aeb2:1",
                "b1ae1287ec4718d9:1",
                "bff680108adb0fcc:1",
                "c6805c5e1288b612:1",
                "b86d3392aea1be30:1",
                "e6ceba753e1a442:1"
            ]
        );
        assert_eq!(
            all(&"Lorem ipsum dolor sit amet.\n".repeat(10)),
            [
                "a7f2ff13bc495cf2:1",
                "a7f2ff13bc495cf2:2",
                "a7f2ff13bc495cf2:3",
                "a7f2ff13bc495cf2:4",
                "a7f2ff13bc495cf2:5",
                "a7f2ff13bc495cf2:6",
                "a7f2ff1481e87703:1",
                "a9cf91f7bbf1862b:1",
                "55ec222b86bcae53:1",
                "cc97dc7b1d7d8f7b:1",
                "c129715d7a2bc9a3:1"
            ]
        );
        assert_eq!(
            all("x = 2\nx = 1\nprint(x)\nx = 3\nprint(x)\nx = 4\nprint(x)\n"),
            [
                "e54938cc54b302f1:1",
                "bb609acbe9138d60:1",
                "1131fd5871777f34:1",
                "5c482a0f8b35ea28:1",
                "54517377da7028d2:1",
                "2c644846cb18d53e:1",
                "f1b89f20de0d133:1",
                "c129715d7a2bc9a3:1"
            ]
        );
    }

    #[test]
    fn moving_a_line_keeps_its_hash_and_editing_it_changes_it() {
        let a = b"alpha\nsecret = 1\nomega\n";
        let b = b"new first line\n\nalpha\nsecret = 1\nomega\n";
        let c = b"alpha\nsecret = 2\nomega\n";
        let ha = line_hashes(a, &[2])[0].clone().unwrap();
        let hb = line_hashes(b, &[4])[0].clone().unwrap();
        let hc = line_hashes(c, &[2])[0].clone().unwrap();
        assert_eq!(ha, hb);
        assert_ne!(ha, hc);
        assert!(ha.ends_with(":1"));
    }

    #[test]
    fn crlf_and_indentation_do_not_matter() {
        let lf = line_hashes(b"a\n  key = x\nz\n", &[2]);
        let crlf = line_hashes(b"a\r\n\tkey = x\r\nz\r\n", &[2]);
        assert_eq!(lf, crlf);
    }

    #[test]
    fn identical_lines_are_numbered() {
        let h = line_hashes(b"x\nx\n", &[1, 2]);
        let (one, two) = (h[0].clone().unwrap(), h[1].clone().unwrap());
        assert_ne!(one, two);
    }
}
