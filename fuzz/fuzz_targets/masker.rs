//! `keylint run`'s output masker. The input chooses a key, surrounding
//! text and how the output is cut into writes. Oracle: the masked stream
//! never contains the key, and equals masking the whole output at once.
#![no_main]

use keylint::keys::Masker;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let key_len = 8 + usize::from(data[0] % 40);
    let rest = &data[1..];
    if rest.len() < key_len {
        return;
    }
    let (key, text) = rest.split_at(key_len);
    let Ok(key) = std::str::from_utf8(key) else {
        return;
    };
    // Plant the key in the text where the text's own bytes say.
    let mut stream = text.to_vec();
    let at = text
        .first()
        .map_or(0, |&b| usize::from(b) % (text.len() + 1));
    stream.splice(at..at, key.bytes());
    let mut cuts: Vec<usize> = text.iter().map(|&b| 1 + usize::from(b % 7)).collect();
    if cuts.is_empty() {
        // The key alone, in one write.
        cuts.push(stream.len().max(1));
    }
    let mut masker = Masker::new([key]);
    let mut out = Vec::new();
    let mut pos = 0;
    for n in cuts.iter().cycle() {
        if pos >= stream.len() {
            break;
        }
        let end = (pos + n).min(stream.len());
        out.extend(masker.feed(&stream[pos..end]));
        pos = end;
    }
    out.extend(masker.finish());
    assert!(
        !out.windows(key.len()).any(|w| w == key.as_bytes()),
        "the key reached the output"
    );
    assert_eq!(out, Masker::new([key]).mask_all(&stream));
});
