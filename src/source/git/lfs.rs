//! Git LFS pointers: a small text file standing in for content kept on an
//! LFS server, so there is nothing in the repository to scan.
//!
//! A file is a pointer only when it has the whole documented shape
//! (<https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md>): exactly a
//! `version` line, an `oid sha256:<64 hex>` line and a `size <n>` line.
//! Anything more — a key pasted after the header — makes it a file to scan:
//! taking a prefix for a pointer would pass over what follows it.

/// The version lines git-lfs writes (the second is the pre-1.0 name).
const VERSIONS: &[&[u8]] = &[
    b"version https://git-lfs.github.com/spec/v1",
    b"version https://hawser.github.com/spec/v1",
];

/// Pointers are tiny; the spec caps them below 1024 bytes.
const MAX_POINTER: usize = 1024;

pub fn is_lfs_pointer(bytes: &[u8]) -> bool {
    if bytes.len() >= MAX_POINTER {
        return false;
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let mut lines = body.split(|&b| b == b'\n');
    let (Some(version), Some(oid), Some(size), None) =
        (lines.next(), lines.next(), lines.next(), lines.next())
    else {
        return false;
    };
    let oid_ok = oid.strip_prefix(b"oid sha256:").is_some_and(|hex| {
        hex.len() == 64 && hex.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    });
    let size_ok = size
        .strip_prefix(b"size ")
        .is_some_and(|n| !n.is_empty() && n.len() <= 20 && n.iter().all(u8::is_ascii_digit));
    VERSIONS.contains(&version) && oid_ok && size_ok
}

#[cfg(test)]
mod tests {
    use super::is_lfs_pointer;

    fn pointer() -> String {
        format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 12345\n",
            "4d7a2146".repeat(8)
        )
    }

    #[test]
    fn the_documented_shape_is_a_pointer() {
        assert!(is_lfs_pointer(pointer().as_bytes()));
        assert!(is_lfs_pointer(pointer().trim_end().as_bytes()));
    }

    #[test]
    fn a_header_with_more_after_it_is_not() {
        let more = format!("{}api_key = \"k8Fq2xZr9vLm\"\n", pointer()); // keylint:allow
        assert!(!is_lfs_pointer(more.as_bytes()));
        assert!(!is_lfs_pointer(
            b"version https://git-lfs.github.com/spec/v1\nsecret = 1\n"
        ));
        let short_oid = pointer().replace("4d7a2146", "4d7a");
        assert!(!is_lfs_pointer(short_oid.as_bytes()));
        let no_size = pointer().replace("size 12345", "size twelve");
        assert!(!is_lfs_pointer(no_size.as_bytes()));
    }
}
