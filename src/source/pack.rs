//! Reads the many versions of a file that a history scan needs, straight
//! from git's pack files.
//!
//! A pack stores most versions of a file as deltas against another version,
//! in chains up to 50 deep. Object stores built for random access (libgit2,
//! gix) cache the chain's base but not the versions in between, so reading
//! every version of a path re-inflates the same deltas again and again. This
//! reader caches every object it decodes, intermediate ones included (as
//! git's own delta-base cache does), so reading a path's versions one after
//! another inflates each delta about once. Objects outside the packs (loose
//! objects, alternates) are read through gix.

use gix::objs::Find;
use gix::odb::pack;
pub use gix::ObjectId;
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

/// Decoded objects kept per reader. One path's versions and their delta
/// bases fit; the budget bounds memory whatever the repository's size.
/// On cargo's history 4, 8, 16 and 32 MiB took the same CPU time while
/// peak memory grew from 156 to 180, 222 and 285 MB (two threads, with
/// malloc's per-thread arenas). 4 MiB keeps the whole `--history` run
/// under betterleaks' peak on the same repository (BENCHMARKS.md).
const CACHE_BYTES: usize = 4 << 20;

/// Delta bases named by id, followed one from another; git writes at most 50.
const MAX_REF_DELTA_DEPTH: usize = 64;

/// A larger object is corrupt or not worth scanning (blobs over the scan's
/// size limit are skipped anyway): refuse to allocate it, on every path.
pub const MAX_OBJECT_BYTES: u64 = 256 << 20;

/// Why an object could not be read.
#[derive(Debug, Clone)]
pub enum ReadError {
    /// In no pack and not loose: a partial clone, or a broken repository.
    Missing,
    /// Found, but it does not decode: `problem` says what is wrong (quoting
    /// the decoder's error, kept as the source when there is one; shared so
    /// a cached failure can be handed out again).
    Corrupt {
        problem: String,
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Missing => f.write_str("missing from the object store"),
            ReadError::Corrupt { problem, .. } => write!(f, "corrupt ({problem})"),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // The decoder's error itself, not the `Arc` around it.
            ReadError::Corrupt {
                source: Some(e), ..
            } => Some(&**e),
            _ => None,
        }
    }
}

impl ReadError {
    fn corrupt(problem: impl Into<String>) -> Self {
        ReadError::Corrupt {
            problem: problem.into(),
            source: None,
        }
    }

    /// Corrupt because of `source`, which `doing` introduces.
    pub(crate) fn caused(
        doing: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        ReadError::Corrupt {
            problem: format!("{doing}: {source}"),
            source: Some(Arc::new(source)),
        }
    }
}

/// A decoded object, shared between the cache and its readers. A `Vec`
/// inside the `Rc` (not `Rc<[u8]>`): turning a decoded `Vec` into an
/// `Rc<[u8]>` copies it, once per object read.
pub type Object = Rc<Vec<u8>>;

type Read = std::result::Result<Object, ReadError>;

struct Pack {
    index: pack::index::File,
    data: pack::data::File,
}

/// A repository's packs, memory-mapped once and shared by every reader.
pub struct Packs(Vec<Pack>);

impl Packs {
    /// Opens the packs of `repo`'s object directory.
    pub fn open(repo: &gix::Repository) -> Arc<Self> {
        let dir = repo.objects.store_ref().path().join("pack");
        let hash = repo.object_hash();
        let mut packs = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut idx: Vec<_> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "idx"))
                .collect();
            idx.sort();
            for path in idx {
                if let Some(p) = open_pack(&path, hash) {
                    packs.push(p);
                }
            }
        }
        Arc::new(Packs(packs))
    }
}

/// One thread's reader: the packs are shared, the cache is its own.
pub struct PackReader {
    packs: Arc<Packs>,
    /// Objects outside the packs; none for a lone pack file.
    fallback: Option<gix::Repository>,
    cache: DecodedCache,
    inflate: gix::zlib::Inflate,
    /// Objects whose delta base is being resolved: a base that names one of
    /// them again is a cycle in a corrupt pack.
    resolving: Vec<ObjectId>,
    /// Objects that failed once: never tried again, so a corrupt chain
    /// stored in several packs costs linear work, not packs^depth.
    failed: HashMap<ObjectId, ReadError>,
}

impl PackReader {
    /// A reader of `packs`, falling back on `repo` for other objects.
    pub fn new(packs: Arc<Packs>, repo: gix::Repository) -> Self {
        PackReader {
            packs,
            fallback: Some(repo),
            cache: DecodedCache::default(),
            inflate: gix::zlib::Inflate::default(),
            resolving: Vec::new(),
            failed: HashMap::new(),
        }
    }

    /// The content of object `id` (a blob, tree or commit).
    pub fn read(&mut self, id: &ObjectId) -> Read {
        if let Some(e) = self.failed.get(id) {
            return Err(e.clone());
        }
        let read = self.read_uncached(id);
        if let Err(e) = &read {
            self.failed.insert(*id, e.clone());
        }
        read
    }

    fn read_uncached(&mut self, id: &ObjectId) -> Read {
        if self.resolving.contains(id) {
            return Err(ReadError::corrupt("its delta chain loops back to it"));
        }
        if self.resolving.len() > MAX_REF_DELTA_DEPTH {
            return Err(ReadError::corrupt(format!(
                "a delta chain deeper than {MAX_REF_DELTA_DEPTH} by-id bases"
            )));
        }
        let mut corrupt = None;
        for p in 0..self.packs.0.len() {
            if let Some(i) = self.packs.0[p].index.lookup(id) {
                let offset = self.packs.0[p].index.pack_offset_at_index(i);
                self.resolving.push(*id);
                let decoded = self.decode(p, offset);
                self.resolving.pop();
                match decoded {
                    Ok(data) => return Ok(data),
                    // Another pack may hold a good copy.
                    Err(e) => corrupt = Some(e),
                }
            }
        }
        if let Some(e) = corrupt {
            // Found in a pack and undecodable: not handed to gix, whose
            // reader would believe the sizes the entry claims.
            return Err(e);
        }
        let Some(fallback) = &self.fallback else {
            return Err(ReadError::Missing);
        };
        let mut buf = Vec::new();
        match fallback.objects.try_find(id, &mut buf) {
            Ok(Some(object)) => Ok(Rc::new(object.data.to_vec())),
            Ok(None) => Err(ReadError::Missing),
            Err(e) => Err(ReadError::Corrupt {
                problem: error_chain(e.iter_errors()),
                source: Some(Arc::new(e)),
            }),
        }
    }

    /// The object at `offset` of pack `p`, resolving its delta chain from
    /// the deepest cached (or undeltified) object outwards.
    fn decode(&mut self, p: usize, offset: u64) -> Read {
        use pack::data::entry::Header;
        let corrupt = ReadError::corrupt;
        let mut deltas = Vec::new();
        let mut at = offset;
        let mut object = loop {
            if let Some(hit) = self.cache.get(p, at) {
                break hit;
            }
            let data = &self.packs.0[p].data;
            let entry = data
                .entry(at)
                .map_err(|e| ReadError::caused(&format!("pack entry at {at}"), e))?;
            match entry.header {
                Header::OfsDelta { base_distance } => {
                    let base = entry
                        .checked_base_pack_offset(base_distance)
                        .ok_or_else(|| corrupt("a delta base before the pack's start"))?;
                    deltas.push((at, entry));
                    at = base;
                }
                Header::RefDelta { base_id } => {
                    deltas.push((at, entry));
                    break self.read(&base_id)?;
                }
                _ => {
                    let out: Object = Rc::new(self.inflate_entry(p, &entry)?);
                    self.cache.put(p, at, out.clone());
                    break out;
                }
            }
            if deltas.len() > 10_000 {
                return Err(corrupt("a delta chain that never ends"));
            }
        };
        for (entry_offset, entry) in deltas.iter().rev() {
            let delta = self.inflate_entry(p, entry)?;
            object = Rc::new(
                apply_delta(&object, &delta)
                    .ok_or_else(|| corrupt("a delta that does not apply to its base"))?,
            );
            self.cache.put(p, *entry_offset, object.clone());
        }
        Ok(object)
    }

    fn inflate_entry(
        &mut self,
        p: usize,
        entry: &pack::data::Entry,
    ) -> std::result::Result<Vec<u8>, ReadError> {
        if entry.decompressed_size > MAX_OBJECT_BYTES {
            return Err(ReadError::corrupt(format!(
                "an entry claiming {} bytes, over the {} MiB limit",
                entry.decompressed_size,
                MAX_OBJECT_BYTES >> 20
            )));
        }
        let mut out = vec![0; entry.decompressed_size as usize];
        self.packs.0[p]
            .data
            .decompress_entry(entry, &mut self.inflate, &mut out)
            .map_err(|e| ReadError::caused("inflating a pack entry", e))?;
        Ok(out)
    }
}

/// An error and its causes on one line: gix's top message ("Could not read
/// loose object") leaves out why (an allocation limit, a bad header).
fn error_chain<'e>(errors: impl Iterator<Item = &'e (dyn std::error::Error + 'static)>) -> String {
    let mut out = String::new();
    for e in errors {
        let text = e.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}

/// Reads object `id` from the lone pack whose index is `idx`, with no other
/// object store behind it: the entry point of the pack fuzz target and of
/// tests on crafted packs. A pack that does not open reads as corrupt.
pub fn read_from_pack(idx: &Path, id: &ObjectId) -> std::result::Result<Vec<u8>, ReadError> {
    let pack = open_pack(idx, gix::hash::Kind::Sha1)
        .ok_or_else(|| ReadError::corrupt("the pack or its index does not open"))?;
    let mut reader = PackReader {
        packs: Arc::new(Packs(vec![pack])),
        fallback: None,
        cache: DecodedCache::default(),
        inflate: gix::zlib::Inflate::default(),
        resolving: Vec::new(),
        failed: HashMap::new(),
    };
    reader.read(id).map(|data| data.to_vec())
}

fn open_pack(idx: &Path, hash: gix::hash::Kind) -> Option<Pack> {
    Some(Pack {
        index: pack::index::File::at(idx, hash).ok()?,
        data: pack::data::File::at(idx.with_extension("pack"), hash).ok()?,
    })
}

/// Applies a git delta (a source and target size, then copy-from-base and
/// insert instructions) to `base`. `None` on a malformed delta.
pub fn apply_delta(base: &[u8], delta: &[u8]) -> Option<Vec<u8>> {
    fn size(d: &[u8], i: &mut usize) -> Option<usize> {
        let mut n = 0usize;
        let mut shift = 0;
        loop {
            let b = *d.get(*i)?;
            *i += 1;
            n |= ((b & 0x7f) as usize).checked_shl(shift)?;
            shift += 7;
            if b & 0x80 == 0 {
                return Some(n);
            }
            if shift > 63 {
                return None;
            }
        }
    }
    let mut i = 0;
    if size(delta, &mut i)? != base.len() {
        return None;
    }
    let target = size(delta, &mut i)?;
    if target as u64 > MAX_OBJECT_BYTES {
        return None;
    }
    let mut out = Vec::with_capacity(target);
    while i < delta.len() {
        let op = delta[i];
        i += 1;
        if op & 0x80 != 0 {
            let mut offset = 0usize;
            let mut len = 0usize;
            for k in 0..4 {
                if op & (1 << k) != 0 {
                    offset |= (*delta.get(i)? as usize) << (8 * k);
                    i += 1;
                }
            }
            for k in 0..3 {
                if op & (0x10 << k) != 0 {
                    len |= (*delta.get(i)? as usize) << (8 * k);
                    i += 1;
                }
            }
            if len == 0 {
                len = 0x10000;
            }
            out.extend_from_slice(base.get(offset..offset.checked_add(len)?)?);
        } else if op != 0 {
            let len = op as usize;
            out.extend_from_slice(delta.get(i..i + len)?);
            i += len;
        } else {
            return None; // opcode 0 is reserved
        }
    }
    (out.len() == target).then_some(out)
}

/// Decoded objects by (pack, offset), evicted oldest first past a byte budget.
#[derive(Default)]
struct DecodedCache {
    map: HashMap<(usize, u64), Object>,
    order: VecDeque<(usize, u64)>,
    bytes: usize,
}

impl DecodedCache {
    fn get(&self, p: usize, offset: u64) -> Option<Object> {
        self.map.get(&(p, offset)).cloned()
    }

    fn put(&mut self, p: usize, offset: u64, data: Object) {
        if data.len() > CACHE_BYTES / 4 || self.map.contains_key(&(p, offset)) {
            return;
        }
        self.bytes += data.len();
        self.map.insert((p, offset), data);
        self.order.push_back((p, offset));
        while self.bytes > CACHE_BYTES {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(d) = self.map.remove(&old) {
                self.bytes -= d.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::apply_delta;

    #[test]
    fn deltas_copy_and_insert() {
        let base = b"hello, world\n";
        // sizes 13 -> 19; copy 7 bytes at 0 ("hello, "), insert "there ",
        // copy 6 bytes at 7 ("world\n").
        let mut delta = vec![13, 19, 0x80 | 0x10, 7, 6];
        delta.extend_from_slice(b"there ");
        delta.extend_from_slice(&[0x80 | 0x01 | 0x10, 7, 6]);
        assert_eq!(apply_delta(base, &delta).unwrap(), b"hello, there world\n");
    }

    #[test]
    fn malformed_deltas_are_refused_not_panicked_on() {
        let base = b"abc";
        assert_eq!(apply_delta(base, &[4, 3]), None); // wrong source size
        assert_eq!(apply_delta(base, &[3, 3, 0x80 | 0x01 | 0x10, 2, 5]), None); // copy past the end
        assert_eq!(apply_delta(base, &[3, 9, 5, b'x']), None); // insert past the end
        assert_eq!(apply_delta(base, &[3, 1, 0]), None); // reserved opcode
        assert_eq!(apply_delta(base, &[3, 2, 1, b'x']), None); // short of the target size
    }
}
