//! Archives and compressed files as a source of blobs. A zip (and its
//! family: jar, wheel, apk, nupkg, vsix…), a tar, or a gzip / bzip2 / xz /
//! zstd stream is recognised by its magic bytes and opened in memory —
//! nothing is ever written to disk — and each file inside is handed on as a
//! blob named by its whole path, `dist/app.whl!app/settings.py`. Archives
//! inside archives are opened too, up to [`Limits::depth`].
//!
//! Archives are hostile input. Every byte a decompressor yields is counted
//! against a per-archive and a per-scan budget and against the ratio of
//! inflated to compressed bytes (a zip bomb inflates a thousandfold), the
//! number of entries is capped, and a limit hit or a corrupt archive stops
//! that archive with an error naming it: the scan goes on and is
//! marked incomplete. Links, devices and encrypted entries are never read.
//!
//! The scanner never learns where the bytes came from: this module only
//! turns one blob into many ([`expand`]), pushed into the same [`Sink`] as
//! every other source, each with an [`Origin::Member`] that names the
//! archive it came from.

mod formats;
mod tar_checksum;

use super::{Blob, Origin, Sink, Skip};
use crate::error::Cause;
use std::cell::Cell;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// How deep archives inside archives are opened by default.
pub const DEFAULT_DEPTH: u32 = 4;

/// What one archive, and one scan, may cost.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Archives inside archives are opened this deep; 0 opens none.
    pub depth: u32,
    /// An entry larger than this is skipped like a large file.
    pub max_entry: u64,
    /// Bytes one archive, with everything nested in it, may inflate to.
    pub per_archive: u64,
    /// Bytes all the archives of a scan may inflate to together.
    pub per_scan: u64,
    /// Entries one archive (nested ones included) may hold.
    pub max_entries: u64,
    /// Inflated bytes per compressed byte past which a stream is a bomb
    /// (checked once a stream has yielded [`RATIO_GRACE`] bytes).
    pub max_ratio: u64,
}

/// Streams smaller than this are never judged by their ratio: a small file
/// of repeated lines compresses well and is no bomb.
pub const RATIO_GRACE: u64 = 1 << 20;

impl Limits {
    pub fn new(depth: u32, max_entry: u64) -> Self {
        Limits {
            depth,
            max_entry,
            per_archive: 256 << 20,
            per_scan: 4 << 30,
            max_entries: 100_000,
            max_ratio: 200,
        }
    }
}

/// The inflated bytes a scan has left, shared by every thread.
#[derive(Debug)]
pub struct Budget(AtomicU64);

impl Budget {
    pub fn new(limits: &Limits) -> Self {
        Budget(AtomicU64::new(limits.per_scan))
    }
    /// Takes `n` bytes; false when the budget is spent.
    fn take(&self, n: u64) -> bool {
        self.0
            .fetch_update(Relaxed, Relaxed, |left| left.checked_sub(n))
            .is_ok()
    }
}

/// The formats recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Zip,
    Tar,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Kind {
    /// The file name suffix a stream of this kind usually has.
    fn suffix(self) -> &'static str {
        match self {
            Kind::Gzip => ".gz",
            Kind::Bzip2 => ".bz2",
            Kind::Xz => ".xz",
            Kind::Zstd => ".zst",
            Kind::Zip => ".zip",
            Kind::Tar => ".tar",
        }
    }
}

/// Bytes enough to tell every kind (a tar's magic sits at 257).
pub const SNIFF_LEN: usize = 512;

/// The archive or compression format `head` (a blob's first bytes) starts.
pub fn kind(head: &[u8]) -> Option<Kind> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(b"PK\x03\x04") || starts(b"Cr24") {
        // Cr24: a Chrome extension, a zip behind a signed header.
        Some(Kind::Zip)
    } else if starts(&[0x1f, 0x8b]) {
        Some(Kind::Gzip)
    } else if head.len() >= 4 && starts(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
        Some(Kind::Bzip2)
    } else if starts(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some(Kind::Xz)
    } else if starts(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Kind::Zstd)
    } else if head.get(257..262) == Some(b"ustar") {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// Opens the archive `bytes` (one [`kind`] recognises) named `path`, a
/// blob of origin `origin`, and pushes every file inside into `sink`, in
/// archive order; a corrupt archive or a limit hit is an
/// [`crate::Error::Archive`] for the sink, and what follows it is not read.
pub fn expand(
    path: &str,
    bytes: &[u8],
    origin: &Origin<'_>,
    limits: &Limits,
    budget: &Budget,
    sink: &dyn Sink,
) {
    if limits.depth == 0 {
        return;
    }
    let walk = Walk {
        limits,
        budget,
        inflated: Cell::new(0),
        entries: Cell::new(0),
        limit_hit: Cell::new(None),
    };
    let mut out = Out {
        sink,
        origin,
        archive: path.len(),
        stopped: false,
    };
    match kind(bytes) {
        Some(Kind::Zip) => walk.zip(&mut out, path, bytes, 1),
        Some(_) => walk.node(&mut out, path, &mut io::Cursor::new(bytes), 0),
        None => {}
    }
}

/// Where the files go, and whether a limit stopped the archive.
struct Out<'o> {
    sink: &'o dyn Sink,
    /// The top-level archive's origin, and the length of its path.
    origin: &'o Origin<'o>,
    archive: usize,
    stopped: bool,
}

impl Out<'_> {
    fn problem(&mut self, archive: &str, what: String) {
        self.problem_caused(archive, what, None);
    }

    fn problem_caused(&mut self, archive: &str, what: String, source: Option<Cause>) {
        self.sink.error(crate::Error::Archive {
            archive: archive.to_string(),
            problem: what,
            source,
        });
    }

    fn file(&self, path: &str, bytes: &[u8]) {
        self.sink.blob(Blob {
            path,
            bytes,
            origin: Origin::Member {
                archive: self.archive,
                of: self.origin,
            },
        });
    }

    fn skipped(&self, path: &str, why: Skip) {
        self.sink.skipped(path, why);
    }
}

/// One top-level archive being expanded.
struct Walk<'l> {
    limits: &'l Limits,
    budget: &'l Budget,
    /// Bytes inflated so far for this archive.
    inflated: Cell<u64>,
    entries: Cell<u64>,
    /// The limit a decompressor hit, reported instead of its read error.
    limit_hit: Cell<Option<&'static str>>,
}

impl Walk<'_> {
    /// Counts an entry; false (with a problem reported) past the cap.
    fn entry(&self, out: &mut Out<'_>, archive: &str) -> bool {
        let n = self.entries.get() + 1;
        self.entries.set(n);
        if n > self.limits.max_entries {
            out.stopped = true;
            out.problem(
                archive,
                format!(
                    "more than {} entries; the rest was not scanned (unpack it and scan the files, raise --max-archive-size, or pass --archive-depth 0 to skip archives)",
                    self.limits.max_entries
                ),
            );
            return false;
        }
        true
    }

    /// Counts `n` inflated bytes against both budgets.
    fn inflate(&self, n: u64) -> Result<(), &'static str> {
        let total = self.inflated.get() + n;
        self.inflated.set(total);
        if total > self.limits.per_archive {
            return Err("it inflates past --max-archive-size");
        }
        if !self.budget.take(n) {
            return Err("the scan's budget of inflated archive bytes is spent");
        }
        Ok(())
    }

    /// Reports a read error inside `archive`, as the limit it was when one
    /// was hit, and stops the archive.
    /// The reader's error is kept as the problem's source, except when a
    /// limit cut the stream (that read error is the limit's doing).
    fn failed(&self, out: &mut Out<'_>, archive: &str, e: impl Into<Cause>) {
        out.stopped = true;
        match self.limit_hit.take() {
            Some(limit) => out.problem(
                archive,
                format!(
                    "{limit} (a zip bomb?); the rest was not scanned (unpack it and scan the files, raise --max-archive-size, or pass --archive-depth 0 to skip archives)"
                ),
            ),
            None => {
                let e = e.into();
                // A stream keylint will not decode (a zstd window over its
                // limit) is not a corrupt one.
                let unsupported = e
                    .downcast_ref::<io::Error>()
                    .is_some_and(|e| e.kind() == io::ErrorKind::Unsupported);
                if unsupported {
                    return out.problem(
                        archive,
                        format!("{e}; not scanned (decompress it and scan the result, or pass --archive-depth 0 to skip archives)"),
                    );
                }
                let what = format!("corrupt or truncated ({e}); the rest was not scanned");
                out.problem_caused(archive, what, Some(e));
            }
        }
    }

    /// One file from inside an archive, as a reader: a nested archive is
    /// opened (at `level` + 1), anything else is handed on as a blob.
    fn node(&self, out: &mut Out<'_>, path: &str, reader: &mut dyn Read, level: u32) {
        let mut buf = [0u8; SNIFF_LEN];
        let head = match sniff(reader, &mut buf) {
            Ok(h) => h,
            Err(e) => return self.failed(out, path, e),
        };
        let mut rest = head.chain(reader);
        match kind(head) {
            Some(_) if level >= self.limits.depth => {
                out.skipped(path, Skip::Binary);
            }
            Some(Kind::Zip) => {
                let mut bytes = Vec::new();
                let cap = self.limits.per_archive;
                match read_capped(&mut rest, cap, &mut bytes) {
                    Ok(true) => self.zip(out, path, &bytes, level + 1),
                    Ok(false) => out.problem(
                        path,
                        "a nested zip larger than --max-archive-size; not scanned".into(),
                    ),
                    Err(e) => self.failed(out, path, e),
                }
            }
            Some(Kind::Tar) => self.tar(out, path, &mut rest, level + 1),
            Some(k) => {
                let consumed = Cell::new(0u64);
                let counted = Counting {
                    inner: &mut rest,
                    count: &consumed,
                };
                let decoder = match formats::decoder(k, counted) {
                    Ok(d) => d,
                    Err(e) => return self.failed(out, path, e),
                };
                let mut guarded = Guard {
                    inner: decoder,
                    walk: self,
                    compressed: &consumed,
                    fixed_compressed: None,
                    yielded: 0,
                };
                self.stream(out, path, k, &mut guarded, level + 1);
            }
            None => self.leaf(out, path, &mut rest),
        }
    }

    /// A compressed stream's content: a tar inside (`.tar.gz`, `.crate`,
    /// `.gem`'s parts) is opened at the stream's own level, so a tarball
    /// costs one level; anything else is one file, named after the stream
    /// without its suffix.
    fn stream(&self, out: &mut Out<'_>, path: &str, k: Kind, reader: &mut dyn Read, level: u32) {
        let mut buf = [0u8; SNIFF_LEN];
        let head = match sniff(reader, &mut buf) {
            Ok(h) => h,
            Err(e) => return self.failed(out, path, e),
        };
        let mut rest = head.chain(reader);
        if kind(head) == Some(Kind::Tar) {
            return self.tar(out, path, &mut rest, level);
        }
        let name = path.rsplit(['/', '!']).next().unwrap_or(path);
        let inner = name.strip_suffix(k.suffix()).filter(|s| !s.is_empty());
        let inner = format!("{path}!{}", inner.unwrap_or(name));
        self.node(out, &inner, &mut rest, level);
    }

    /// A file that is not an archive: read up to the entry size limit.
    fn leaf(&self, out: &mut Out<'_>, path: &str, reader: &mut dyn Read) {
        // The thread's buffer is taken, not borrowed: were a sink to reach
        // back into an archive, it would find none and make its own.
        let mut buf = LEAF_BUFFER.take();
        match read_into_zeroed(reader, self.limits.max_entry, &mut buf) {
            Ok(Some(len)) => out.file(path, &buf[..len]),
            Ok(None) => out.skipped(path, Skip::Large),
            Err(e) => self.failed(out, path, e),
        }
        if buf.len() <= KEEP_LEAF_BUFFER {
            LEAF_BUFFER.set(buf);
        }
    }

    fn zip(&self, out: &mut Out<'_>, path: &str, bytes: &[u8], level: u32) {
        let mut archive = match zip::ZipArchive::new(io::Cursor::new(bytes)) {
            Ok(a) => a,
            Err(e) => return self.failed(out, path, e),
        };
        for i in 0..archive.len() {
            if out.stopped || !self.entry(out, path) {
                return;
            }
            let (name, compressed, declared, skip) = match archive.by_index_raw(i) {
                Ok(f) => (
                    f.name()
                        .map(|n| n.into_owned())
                        .unwrap_or_else(|_| String::from_utf8_lossy(f.name_raw()).into_owned()),
                    f.compressed_size(),
                    f.size(),
                    if f.is_dir() || f.is_symlink() {
                        Some(None)
                    } else if f.encrypted() {
                        Some(Some("an encrypted entry; not scanned"))
                    } else {
                        None
                    },
                ),
                Err(e) => return self.failed(out, path, e),
            };
            // A bomb may say what it is: judge the declared sizes first
            // (the streamed bytes are judged too, in case they lie).
            if declared > RATIO_GRACE && declared / compressed.max(1) > self.limits.max_ratio {
                self.limit_hit.set(Some(
                    "it inflates more than the allowed ratio to its compressed size",
                ));
                return self.failed(out, &format!("{path}!{name}"), "");
            }
            let entry_path = format!("{path}!{name}");
            match skip {
                Some(None) => continue,
                Some(Some(why)) => {
                    out.problem(&entry_path, why.into());
                    continue;
                }
                None => {}
            }
            let file = match archive.by_index(i) {
                Ok(f) => f,
                Err(e) => {
                    // An unsupported method is this entry's problem only.
                    let what = format!("not readable ({e}); not scanned");
                    out.problem_caused(&entry_path, what, Some(e.into()));
                    continue;
                }
            };
            let mut guarded = Guard {
                inner: file,
                walk: self,
                compressed: &Cell::new(0),
                fixed_compressed: Some(compressed),
                yielded: 0,
            };
            self.node(out, &entry_path, &mut guarded, level);
        }
    }

    fn tar(&self, out: &mut Out<'_>, path: &str, reader: &mut dyn Read, level: u32) {
        let mut archive = tar::Archive::new(tar_checksum::SignedChecksums::new(reader));
        let entries = match archive.entries() {
            Ok(e) => e,
            Err(e) => return self.failed(out, path, e),
        };
        for entry in entries {
            if out.stopped || !self.entry(out, path) {
                return;
            }
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => return self.failed(out, path, e),
            };
            // Regular files only: links, devices and FIFOs are never read.
            if !matches!(
                entry.header().entry_type(),
                tar::EntryType::Regular | tar::EntryType::Continuous
            ) {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let entry_path = format!("{path}!{name}");
            self.node(out, &entry_path, &mut entry, level);
        }
    }
}

/// Counts the bytes read through it, for a stream's compression ratio.
struct Counting<'c, R> {
    inner: R,
    count: &'c Cell<u64>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// A decompressor's output, counted against the budgets and the ratio;
/// a limit hit ends the stream with an error.
struct Guard<'w, 'l, R> {
    inner: R,
    walk: &'w Walk<'l>,
    /// Compressed bytes consumed so far (streams)…
    compressed: &'w Cell<u64>,
    /// …or the entry's compressed size (zip).
    fixed_compressed: Option<u64>,
    yielded: u64,
}

impl<R: Read> Read for Guard<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.yielded += n as u64;
        let compressed = self.fixed_compressed.unwrap_or(self.compressed.get());
        let limit = if self.yielded > RATIO_GRACE
            && self.yielded / compressed.max(1) > self.walk.limits.max_ratio
        {
            Err("it inflates more than the allowed ratio to its compressed size")
        } else {
            self.walk.inflate(n as u64)
        };
        match limit {
            Ok(()) => Ok(n),
            Err(why) => {
                self.walk.limit_hit.set(Some(why));
                Err(io::Error::other(why))
            }
        }
    }
}

/// The first [`SNIFF_LEN`] bytes of `reader` (fewer at its end), which say
/// what it holds; the caller reads them again chained before the rest.
fn sniff<'b>(reader: &mut dyn Read, buf: &'b mut [u8; SNIFF_LEN]) -> io::Result<&'b [u8]> {
    let got = read_full(reader, buf)?;
    Ok(&buf[..got])
}

/// Fills `buf` as far as the reader goes; the count read.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Decompressed files are read into one buffer per thread, kept between
/// them and never cleared: `read_to_end` zeroed and regrew a fresh one for
/// every member, 5% of the instructions of scanning botocore's `.json.gz`
/// (BENCHMARKS.md). A buffer grown past this, by a rare large member, is
/// let go, so a thread keeps at most this much.
const KEEP_LEAF_BUFFER: usize = 16 << 20;

thread_local! {
    static LEAF_BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Reads at most `max` bytes into the start of `buf`, whose bytes are all
/// initialised (zero when new), so a reader that asks for a slice gets one
/// with no zeroing first; it grows, doubling, only past its length. The
/// count read, or `None` when there was more than `max`.
fn read_into_zeroed(
    reader: &mut dyn Read,
    max: u64,
    buf: &mut Vec<u8>,
) -> io::Result<Option<usize>> {
    let cap = usize::try_from(max.saturating_add(1)).unwrap_or(usize::MAX);
    let mut got = 0;
    while got < cap {
        if got == buf.len() {
            let grown = buf.len().max(8 << 10).saturating_mul(2).min(cap);
            buf.resize(grown, 0);
        }
        let room = buf.len().min(cap);
        let n = read_full(reader, &mut buf[got..room])?;
        got += n;
        if got < room {
            break; // the reader ended before the room did
        }
    }
    Ok((got < cap).then_some(got))
}

/// Reads at most `max` bytes into `buf`; `Ok(false)` when there was more.
fn read_capped(reader: &mut dyn Read, max: u64, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.clear();
    let read = reader.take(max.saturating_add(1)).read_to_end(buf)?;
    Ok(read as u64 <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_leaf_buffer_gives_each_file_its_own_bytes_and_refuses_one_over_the_limit() {
        let mut buf = Vec::new();
        let long = vec![b'x'; 40_000];
        assert_eq!(
            read_into_zeroed(&mut &long[..], 1 << 20, &mut buf).unwrap(),
            Some(40_000)
        );
        assert_eq!(&buf[..40_000], &long[..]);
        // A shorter file after a longer one: the count says where it ends.
        let got = read_into_zeroed(&mut &b"short"[..], 1 << 20, &mut buf).unwrap();
        assert_eq!(got, Some(5));
        assert_eq!(&buf[..5], b"short");
        // Exactly at the limit is whole; one byte over is refused, and the
        // buffer never grows past the limit and the byte that tells.
        let mut fresh = Vec::new();
        assert_eq!(
            read_into_zeroed(&mut &long[..], 40_000, &mut fresh).unwrap(),
            Some(40_000)
        );
        let mut fresh = Vec::new();
        assert_eq!(
            read_into_zeroed(&mut &long[..], 39_999, &mut fresh).unwrap(),
            None
        );
        assert!(fresh.len() <= 40_000);
        assert_eq!(
            read_into_zeroed(&mut &b""[..], 10, &mut Vec::new()).unwrap(),
            Some(0)
        );
    }

    #[test]
    fn magic_bytes_name_the_format() {
        assert_eq!(kind(b"PK\x03\x04rest"), Some(Kind::Zip));
        assert_eq!(kind(&[0x1f, 0x8b, 8, 0]), Some(Kind::Gzip));
        assert_eq!(kind(b"BZh91AY&SY"), Some(Kind::Bzip2));
        assert_eq!(kind(b"BZhx"), None);
        assert_eq!(kind(&[0xfd, b'7', b'z', b'X', b'Z', 0, 0]), Some(Kind::Xz));
        assert_eq!(kind(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Some(Kind::Zstd));
        let mut tar = vec![0u8; 512];
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(kind(&tar), Some(Kind::Tar));
        assert_eq!(kind(b"print('PK')"), None);
        assert_eq!(kind(b""), None);
    }

    /// Keeps the paths of the blobs and the errors a source reports;
    /// ignores the rest.
    #[derive(Default)]
    struct Seen(std::sync::Mutex<(Vec<String>, Vec<crate::Error>)>);

    impl Sink for Seen {
        fn blob(&self, blob: Blob<'_>) {
            self.0.lock().unwrap().0.push(blob.path.to_string());
        }
        fn tracked(&self, _: &str, _: Option<(&super::super::CommitInfo, usize)>) {}
        fn untracked(&self, _: &str) {}
        fn skipped(&self, _: &str, _: Skip) {}
        fn warn(&self, _: String) {}
        fn error(&self, error: crate::Error) {
            self.0.lock().unwrap().1.push(error);
        }
    }

    #[test]
    fn a_corrupt_archive_keeps_the_decoders_error_as_its_source() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&[b'x'; 4096]).unwrap();
        let mut bytes = gz.finish().unwrap();
        // Cut in the middle of the deflate stream.
        bytes.truncate(bytes.len() / 2);
        let limits = Limits::new(4, 1 << 20);
        let sink = Seen::default();
        expand(
            "a.gz",
            &bytes,
            &Origin::File,
            &limits,
            &Budget::new(&limits),
            &sink,
        );
        let (_, errors) = sink.0.into_inner().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert!(e.to_string().starts_with("a.gz"), "{e}");
        let source = std::error::Error::source(e).expect("the decoder's error is kept");
        assert!(source.downcast_ref::<io::Error>().is_some(), "{source:?}");
    }

    #[test]
    fn a_tar_with_a_signed_header_checksum_is_opened() {
        // A ustar entry first (what marks the stream as a tar), then one
        // that old HP-UX tar wrote.
        let mut bytes = tar_checksum::tests::ustar_tar("a.txt", b"a\n");
        bytes.truncate(bytes.len() - 1024);
        let name = "misc/signed-\u{e9}.env".as_bytes();
        bytes.extend(tar_checksum::tests::signed_checksum_tar(name, b"TOKEN=x\n"));
        let limits = Limits::new(4, 1 << 20);
        let sink = Seen::default();
        expand(
            "old.tar",
            &bytes,
            &Origin::File,
            &limits,
            &Budget::new(&limits),
            &sink,
        );
        let (blobs, errors) = sink.0.into_inner().unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(blobs, ["old.tar!a.txt", "old.tar!misc/signed-\u{e9}.env"]);
    }

    #[test]
    fn the_scan_budget_is_shared_and_runs_out() {
        let mut limits = Limits::new(4, 1 << 20);
        limits.per_scan = 10;
        let b = Budget::new(&limits);
        assert!(b.take(6));
        assert!(!b.take(6));
        assert!(b.take(4));
        assert!(!b.take(1));
    }
}
