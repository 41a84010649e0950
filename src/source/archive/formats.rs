//! The decompressors, all pure Rust, each behind `Read`, each with its
//! memory bounded (dictionary and window sizes a hostile header asks for
//! are refused, not allocated).

use super::Kind;
use std::io::{self, Read};

/// Largest xz dictionary accepted, in KiB (xz -9 uses 64 MiB).
const XZ_MEM_LIMIT_KIB: u32 = 64 * 1024;

/// Largest zstd window accepted (zstd -19 uses 8 MiB, --long 128 MiB).
const ZSTD_MAX_WINDOW: u64 = 64 << 20;

/// A reader of the decompressed stream of kind `k` (a stream kind).
pub(super) fn decoder<'r, R: Read + 'r>(k: Kind, input: R) -> io::Result<Box<dyn Read + 'r>> {
    Ok(match k {
        Kind::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
        Kind::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(input)),
        Kind::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            input,
            true,
            XZ_MEM_LIMIT_KIB,
        )),
        Kind::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new_with_max_window_size(input, ZSTD_MAX_WINDOW)
                .map_err(zstd_error)?,
        ),
        Kind::Zip | Kind::Tar => {
            return Err(io::Error::other("not a compressed stream"));
        }
    })
}

/// A window over the limit is a stream keylint will not decode, not a
/// corrupt one (`zstd --long=27` writes 128 MiB windows): said so, as
/// `Unsupported`.
fn zstd_error(e: ruzstd::decoding::errors::FrameDecoderError) -> io::Error {
    use ruzstd::decoding::errors::FrameDecoderError::WindowSizeTooBig;
    match e {
        WindowSizeTooBig { requested, max } => io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "its zstd window of {} MiB is over the {} MiB keylint decodes with",
                requested >> 20,
                max >> 20
            ),
        ),
        e => io::Error::other(e),
    }
}
