//! The pack reader and the delta applier on arbitrary packs. The input is
//! a pack file; an index naming one object at the first entry's offset is
//! written beside it, so every path through the decoder (plain entries,
//! OFS and REF deltas, bases that loop back) is reachable. Oracle: no panic,
//! no hang, no allocation past the reader's limit (run with `-rss_limit_mb`).
#![no_main]

use keylint::source::pack::{apply_delta, read_from_pack, ObjectId};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static DIR: LazyLock<tempfile::TempDir> = LazyLock::new(|| tempfile::tempdir().unwrap());

const ID: [u8; 20] = [0x11; 20];

fn index() -> Vec<u8> {
    let mut idx = vec![0xff, b't', b'O', b'c', 0, 0, 0, 2];
    for byte in 0..=255u8 {
        idx.extend_from_slice(&u32::from(byte >= ID[0]).to_be_bytes());
    }
    idx.extend_from_slice(&ID);
    idx.extend_from_slice(&0u32.to_be_bytes());
    idx.extend_from_slice(&12u32.to_be_bytes());
    idx.extend_from_slice(&[0; 40]);
    idx
}

fuzz_target!(|data: &[u8]| {
    // The delta applier alone: first half a base, second half a delta.
    let (base, delta) = data.split_at(data.len() / 2);
    let _ = apply_delta(base, delta);
    // The whole reader on the input as a pack.
    let pack = DIR.path().join("pack-fuzz.pack");
    let idx = DIR.path().join("pack-fuzz.idx");
    std::fs::write(&pack, data).unwrap();
    std::fs::write(&idx, index()).unwrap();
    let id = ObjectId::from_bytes_or_panic(&ID);
    let _ = read_from_pack(&idx, &id);
});
