//! Old tar writers (Version 7, HP-UX, early SunOS) summed a header's bytes
//! as signed chars; POSIX says unsigned. The two differ when a header holds
//! a byte over 0x7f (a non-ASCII name). GNU tar and Python's `tarfile`
//! accept either sum; the `tar` crate only the unsigned one, and would call
//! such an archive corrupt. [`SignedChecksums`] sits between the stream and
//! the crate and rewrites a header's checksum field to the unsigned sum when
//! only the signed one matches.
//!
//! It needs no parse of the stream: headers and data both sit on 512-byte
//! blocks, and a data block whose checksum field is octal digits that equal
//! its own signed sum (and not its unsigned one) is not a thing text or
//! compressed data produce; were one ever rewritten, eight bytes of a
//! scanned file would differ, nothing more.

use std::io::{self, Read};

const BLOCK: usize = 512;
const FIELD: std::ops::Range<usize> = 148..156;

/// A tar stream with signed header checksums rewritten to unsigned ones.
pub struct SignedChecksums<R> {
    inner: R,
    block: Box<[u8; BLOCK]>,
    /// What of `block` is filled, and what of that was handed out.
    filled: usize,
    served: usize,
}

impl<R: Read> SignedChecksums<R> {
    pub fn new(inner: R) -> Self {
        SignedChecksums {
            inner,
            block: Box::new([0; BLOCK]),
            filled: 0,
            served: 0,
        }
    }
}

impl<R: Read> Read for SignedChecksums<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.served == self.filled {
            self.filled = 0;
            self.served = 0;
            while self.filled < BLOCK {
                match self.inner.read(&mut self.block[self.filled..]) {
                    Ok(0) => break,
                    Ok(n) => self.filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if self.filled == BLOCK {
                fix_signed_checksum(&mut self.block);
            }
        }
        let n = buf.len().min(self.filled - self.served);
        buf[..n].copy_from_slice(&self.block[self.served..self.served + n]);
        self.served += n;
        Ok(n)
    }
}

/// Rewrites the checksum field of a header summed the signed way.
fn fix_signed_checksum(h: &mut [u8; BLOCK]) {
    let Some(stored) = octal(&h[FIELD]) else {
        return;
    };
    let rest = || h[..FIELD.start].iter().chain(&h[FIELD.end..]);
    // The field itself counts as eight spaces.
    let unsigned: u64 = rest().map(|&b| u64::from(b)).sum::<u64>() + 8 * u64::from(b' ');
    if unsigned == stored {
        return;
    }
    let signed: i64 = rest().map(|&b| i64::from(b as i8)).sum::<i64>() + 8 * i64::from(b' ');
    if signed != stored as i64 {
        return;
    }
    let field = format!("{unsigned:06o}\0 ");
    h[FIELD].copy_from_slice(field.as_bytes());
}

/// An octal number padded with spaces or NULs, as tar writes them.
fn octal(field: &[u8]) -> Option<u64> {
    let digits = field
        .iter()
        .skip_while(|&&b| b == b' ')
        .take_while(|&&b| b != b' ' && b != 0);
    let mut n = 0u64;
    let mut any = false;
    for &d in digits {
        if !(b'0'..=b'7').contains(&d) {
            return None;
        }
        n = n * 8 + u64::from(d - b'0');
        any = true;
    }
    any.then_some(n)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A one-file tar whose name has bytes over 0x7f, its header summed
    /// the signed way, as HP-UX tar wrote it.
    pub fn signed_checksum_tar(name: &[u8], body: &[u8]) -> Vec<u8> {
        let mut h = [0u8; BLOCK];
        h[..name.len()].copy_from_slice(name);
        h[100..108].copy_from_slice(b"0000644\0");
        h[108..116].copy_from_slice(b"0000000\0");
        h[116..124].copy_from_slice(b"0000000\0");
        h[124..136].copy_from_slice(format!("{:011o}\0", body.len()).as_bytes());
        h[136..148].copy_from_slice(b"00000000000\0");
        h[156] = b'0';
        h[FIELD].fill(b' ');
        let signed: i64 = h.iter().map(|&b| i64::from(b as i8)).sum();
        h[FIELD].copy_from_slice(format!("{signed:06o}\0 ").as_bytes());
        let mut tar = h.to_vec();
        tar.extend_from_slice(body);
        tar.resize(tar.len().div_ceil(BLOCK) * BLOCK + 2 * BLOCK, 0);
        tar
    }

    /// A one-file tar the `tar` crate writes, end blocks included.
    pub fn ustar_tar(name: &str, body: &[u8]) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_ustar();
        header.set_size(body.len() as u64);
        header.set_cksum();
        tar.append_data(&mut header, name, body).unwrap();
        tar.into_inner().unwrap()
    }

    fn read_all(tar: impl Read) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        for entry in tar::Archive::new(tar).entries()? {
            let mut entry = entry?;
            let mut body = Vec::new();
            entry.read_to_end(&mut body)?;
            out.push((entry.path_bytes().into_owned(), body));
        }
        Ok(out)
    }

    #[test]
    fn a_signed_checksum_is_read_like_gnu_tar_reads_it() {
        let name = "misc/caf\u{e9}-\u{fc}ber.txt".as_bytes();
        let tar = signed_checksum_tar(name, b"hello\n");
        // The crate alone calls it corrupt…
        let err = read_all(&tar[..]).unwrap_err();
        assert!(err.to_string().contains("checksum"), "{err}");
        // …through the fix it reads the entry.
        let got = read_all(SignedChecksums::new(&tar[..])).unwrap();
        assert_eq!(got, vec![(name.to_vec(), b"hello\n".to_vec())]);
    }

    #[test]
    fn other_blocks_pass_through_unchanged() {
        let ok = ustar_tar("a.txt", b"abc");
        // Fed one byte at a time, a valid archive comes out byte for byte.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(1);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        SignedChecksums::new(Trickle(&ok))
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, ok);
        // A truncated stream ends where it ends.
        let mut out = Vec::new();
        SignedChecksums::new(&ok[..700])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, &ok[..700]);
        assert_eq!(octal(b"0012345\0"), Some(0o12345));
        assert_eq!(octal(b"  777 \0\0"), Some(0o777));
        assert_eq!(octal(b"89+/ABCD"), None);
        assert_eq!(octal(b"\0\0\0\0\0\0\0\0"), None);
    }
}
