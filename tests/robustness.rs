//! Fail closed, never leak, bounded on hostile input: one regression test
//! per defect that fuzzing and fault injection found (issue 12). Each
//! reproduces the original defect and would fail without its fix.

mod common;
use common::*;

/// Two keys of the same rule on one line.
fn pair_line(a: &str, b: &str) -> String {
    format!("PAIR = \"{a}\" + \"{b}\"\n")
}

#[test]
fn two_secrets_on_one_line_are_both_redacted_in_every_rendering() {
    let (a, b) = (fake_openai_key(101), fake_openai_key(102));
    let t = Tree::repo();
    t.write("pair.py", pair_line(&a, &b));
    t.git(&["add", "."]);
    t.git(&["commit", "-qm", "pair"]);
    for args in [
        vec!["--no-git"],
        vec!["--history"],
        vec!["--range", "HEAD~1..HEAD"],
    ] {
        let scan = t.scan_json(&args);
        assert_eq!(scan.findings.len(), 2, "{args:?}: {}", scan.stderr);
        for f in &scan.findings {
            let line = f["line_text"].as_str().unwrap();
            assert!(!line.contains(&a) && !line.contains(&b), "{args:?}: {line}");
        }
        let human = keylint()
            .current_dir(t.path())
            .arg("scan")
            .args(&args)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&human.stdout);
        assert!(out.contains("PAIR = \"sk-p"), "{out}");
        assert!(!out.contains(&a) && !out.contains(&b), "{args:?}: {out}");
    }
}

fn lfs_header() -> String {
    format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 42\n",
        "0c9d".repeat(16)
    )
}

#[test]
fn a_key_after_an_lfs_header_is_scanned_in_every_git_mode() {
    let t = Tree::repo();
    let key = fake_openai_key(103);
    t.write(
        "model.bin",
        format!("{}OPENAI_API_KEY={key}\n", lfs_header()),
    );
    t.git(&["add", "."]);
    assert_eq!(t.scan_json(&["--staged"]).code, 1, "staged");
    t.git(&["commit", "-qm", "lfs-looking"]);
    assert_eq!(t.scan_json(&["--history"]).code, 1, "history");
    assert_eq!(t.scan_json(&["--range", "HEAD~1..HEAD"]).code, 1, "range");
    // A real pointer, whole and nothing else, is skipped and counted.
    t.write("real.bin", lfs_header());
    let scan = t.scan_json(&["--no-git", "real.bin"]);
    assert_eq!(
        (scan.code, scan.summary["skipped_lfs"].as_u64()),
        (0, Some(1))
    );
}

#[test]
fn removing_an_allow_marker_re_activates_the_secret_in_history_and_ranges() {
    let t = Tree::repo();
    let key = fake_openai_key(104);
    let allowed = format!("# keylint:allow-next-line\nKEY = \"{key}\"\nother = 1\n");
    t.write("conf.py", &allowed);
    t.git(&["add", "."]);
    t.git(&["commit", "-qm", "allowed"]);
    assert_eq!(t.scan_json(&["--history"]).code, 0);
    t.write(
        "conf.py",
        allowed.replace("# keylint:allow-next-line\n", ""),
    );
    t.git(&["commit", "-qam", "marker removed"]);
    let scan = t.scan_json(&["--history"]);
    assert_eq!(scan.places(), ["conf.py:1"], "{}", scan.stderr);
    assert_eq!(scan.findings[0]["commit"]["summary"], "marker removed");
    let range = t.scan_json(&["--range", "HEAD~1..HEAD"]);
    assert_eq!(range.places(), ["conf.py:1"]);
    // The same for a keylint:off block whose start is deleted.
    t.write(
        "block.py",
        format!("# keylint:off\nA = 1\nT = \"{}\"\n", fake_openai_key(105)),
    );
    t.git(&["add", "."]);
    t.git(&["commit", "-qm", "block"]);
    t.write(
        "block.py",
        format!("A = 1\nT = \"{}\"\n", fake_openai_key(105)),
    );
    t.git(&["commit", "-qam", "block opened"]);
    assert_eq!(
        t.scan_json(&["--range", "HEAD~1..HEAD"]).places(),
        ["block.py:2"]
    );
}

#[test]
fn standard_input_and_pipes_are_scanned() {
    let key = fake_openai_key(106);
    for arg in ["-", "/dev/stdin"] {
        let out = keylint()
            .args(["scan", "--no-git", "--format", "json", "--no-summary", arg])
            .write_stdin(format!("OPENAI_API_KEY={key}\n"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{arg}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["findings"].as_array().unwrap().len(), 1, "{arg}");
    }
}

#[test]
fn an_unreadable_file_beside_a_key_exits_1_and_counts_the_error() {
    // Secrets win the exit code; the error is still in the summary.
    if !std::path::Path::new("/proc/self/mem").exists() {
        return;
    }
    let t = Tree::new();
    t.write(
        "app.py",
        format!("OPENAI_API_KEY = \"{}\"\n", fake_openai_key(611)),
    );
    let s = t.scan_json(&["--no-git", "app.py", "/proc/self/mem"]);
    assert_eq!(s.code, 1, "{}", s.stderr);
    assert_eq!(s.places(), ["app.py:1"]);
    assert_eq!(s.summary["errors"], 1, "{}", s.summary);
    assert!(s.stderr.contains("/proc/self/mem"), "{}", s.stderr);
}

#[test]
fn an_unreadable_named_file_is_an_error_not_a_clean_scan() {
    // Root reads any file mode, so use a file the kernel refuses to read.
    if !std::path::Path::new("/proc/self/mem").exists() {
        return;
    }
    let t = Tree::new();
    keylint()
        .current_dir(t.path())
        .args(["scan", "--no-git", "/proc/self/mem"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("/proc/self/mem"))
        .stderr(predicates::str::contains("unreadable"));
}

#[test]
fn a_size_limit_that_overflows_is_refused() {
    let t = Tree::new();
    t.write("a.txt", "x\n");
    t.scan()
        .args(["--max-file-size", "99999999999G"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("too large"));
    t.write(".keylint.toml", "max_file_size = \"99999999999G\"\n");
    keylint()
        .current_dir(t.path())
        .args(["scan", "--no-git"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("max_file_size"));
}

#[test]
fn thread_count_is_bounded() {
    let t = Tree::new();
    t.scan().args(["-j", "100000"]).assert().code(2);
    t.write("a.txt", "x\n");
    t.scan().args(["-j", "3"]).assert().code(0);
}

#[test]
fn control_characters_from_the_tree_reach_the_terminal_escaped() {
    let t = Tree::new();
    let key = fake_openai_key(107);
    t.write(
        "evil\x1b]0;pwned\x07.py",
        format!("K = \"{key}\" # \x1b[2J\rhidden\n"),
    );
    let out = t.scan().output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !stdout.contains('\x1b') && !stdout.contains('\x07'),
        "{stdout:?}"
    );
    assert!(stdout.contains("evil\\e]0;pwned\\u{7}.py"), "{stdout}");
    assert!(stdout.contains("\\e[2J\\rhidden"), "{stdout}");
}

mod objects {
    use super::*;

    /// The loose object file of `id` in the repository.
    fn loose(t: &Tree, id: &str) -> std::path::PathBuf {
        t.path().join(".git/objects").join(&id[..2]).join(&id[2..])
    }

    fn blob_id(t: &Tree, path: &str) -> String {
        let out = std::process::Command::new("git")
            .current_dir(t.path())
            .args(["rev-parse", &format!("HEAD:{path}")])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    #[test]
    fn a_corrupt_object_is_reported_as_corrupt_naming_it() {
        let t = Tree::repo();
        t.write("conf.py", "x = 1\n");
        t.git(&["add", "."]);
        t.git(&["commit", "-qm", "conf"]);
        let id = blob_id(&t, "conf.py");
        let path = loose(&t, &id);
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms).unwrap();
        std::fs::write(&path, b"not zlib at all").unwrap();
        let scan = t.scan_json(&["--history"]);
        assert_eq!(scan.code, 2, "{}", scan.stderr);
        assert!(scan.stderr.contains(&id), "{}", scan.stderr);
        assert!(scan.stderr.contains("corrupt"), "{}", scan.stderr);
        assert!(!scan.stderr.contains("partial clone"), "{}", scan.stderr);
    }

    #[test]
    fn a_missing_blob_makes_the_history_scan_incomplete() {
        let t = Tree::repo();
        t.write("conf.py", "x = 1\n");
        t.git(&["add", "."]);
        t.git(&["commit", "-qm", "conf"]);
        std::fs::remove_file(loose(&t, &blob_id(&t, "conf.py"))).unwrap();
        let scan = t.scan_json(&["--history"]);
        assert_eq!(scan.code, 2, "{}", scan.stderr);
        assert!(scan.stderr.contains("missing"), "{}", scan.stderr);
    }
}

/// Hand-made packs: the corrupt shapes `git` itself never writes.
mod packs {
    use super::*;

    /// A zlib stream of `data` in stored (uncompressed) blocks.
    fn zlib_stored(data: &[u8]) -> Vec<u8> {
        let mut out = vec![0x78, 0x01];
        let chunks: Vec<&[u8]> = if data.is_empty() {
            vec![&[][..]]
        } else {
            data.chunks(65535).collect()
        };
        for (i, chunk) in chunks.iter().enumerate() {
            out.push(u8::from(i + 1 == chunks.len()));
            let len = chunk.len() as u16;
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&(!len).to_le_bytes());
            out.extend_from_slice(chunk);
        }
        let (mut a, mut b) = (1u32, 0u32);
        for &byte in data {
            a = (a + u32::from(byte)) % 65521;
            b = (b + a) % 65521;
        }
        out.extend_from_slice(&((b << 16) | a).to_be_bytes());
        out
    }

    /// A pack entry's type-and-size header.
    fn entry_header(kind: u8, mut size: u64) -> Vec<u8> {
        let mut out = vec![(kind << 4) | (size & 0x0f) as u8];
        size >>= 4;
        while size > 0 {
            *out.last_mut().unwrap() |= 0x80;
            out.push((size & 0x7f) as u8);
            size >>= 7;
        }
        out
    }

    fn hex_id(id: &str) -> [u8; 20] {
        let mut out = [0u8; 20];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&id[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    /// Writes a one-object pack and its version-2 index claiming `id`.
    /// Checksums are left zero: readers do not verify them on open.
    fn write_pack(t: &Tree, name: &str, id: &str, entry: Vec<u8>) {
        let mut pack = b"PACK".to_vec();
        pack.extend_from_slice(&2u32.to_be_bytes());
        pack.extend_from_slice(&1u32.to_be_bytes());
        let offset = pack.len() as u32;
        pack.extend_from_slice(&entry);
        pack.extend_from_slice(&[0; 20]);
        let id = hex_id(id);
        let mut idx = vec![0xff, b't', b'O', b'c', 0, 0, 0, 2];
        for byte in 0..=255u8 {
            idx.extend_from_slice(&u32::from(byte >= id[0]).to_be_bytes());
        }
        idx.extend_from_slice(&id);
        idx.extend_from_slice(&0u32.to_be_bytes()); // crc32, unchecked
        idx.extend_from_slice(&offset.to_be_bytes());
        idx.extend_from_slice(&[0; 40]);
        let dir = t.path().join(".git/objects/pack");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("pack-{name}.pack")), pack).unwrap();
        std::fs::write(dir.join(format!("pack-{name}.idx")), idx).unwrap();
    }

    /// A repository whose blob `conf.py` is only in the packs we write.
    fn repo_without_loose_blob() -> (Tree, String) {
        let t = Tree::repo();
        t.write("conf.py", "x = 1\n");
        t.git(&["add", "."]);
        t.git(&["commit", "-qm", "conf"]);
        let out = std::process::Command::new("git")
            .current_dir(t.path())
            .args(["rev-parse", "HEAD:conf.py"])
            .output()
            .unwrap();
        let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
        let loose = t.path().join(".git/objects").join(&id[..2]).join(&id[2..]);
        std::fs::remove_file(loose).unwrap();
        (t, id)
    }

    /// `keylint scan --history` in the tree, under a wall-clock bound (so
    /// a regression fails instead of hanging CI) and an address-space
    /// limit (so believing a claimed size aborts instead of passing).
    fn bounded_history_scan(t: &Tree) -> std::process::Output {
        let bin = assert_cmd::cargo::cargo_bin("keylint");
        std::process::Command::new("sh")
            .current_dir(t.path())
            .arg("-c")
            .arg(format!(
                "ulimit -v 2000000; exec timeout 60 '{}' scan --history -q",
                bin.display()
            ))
            .output()
            .unwrap()
    }

    #[test]
    fn a_ref_delta_cycle_across_two_packs_fails_the_object_not_the_scan() {
        let (t, x) = repo_without_loose_blob();
        let y = "1".repeat(40);
        // X is a delta on Y (pack a), Y a delta on X (pack b).
        let delta = zlib_stored(&[6, 6, 6, b'x', b' ', b'=', b' ', b'1', b'\n']);
        let mut on_y = entry_header(7, 9);
        on_y.extend_from_slice(&hex_id(&y));
        on_y.extend_from_slice(&delta);
        write_pack(&t, &"a".repeat(40), &x, on_y);
        let mut on_x = entry_header(7, 9);
        on_x.extend_from_slice(&hex_id(&x));
        on_x.extend_from_slice(&delta);
        write_pack(&t, &"b".repeat(40), &y, on_x);
        let out = bounded_history_scan(&t);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&x) && stderr.contains("corrupt"),
            "{stderr}"
        );
    }

    #[test]
    fn a_pack_entry_claiming_gigabytes_is_refused_without_allocating_them() {
        let (t, x) = repo_without_loose_blob();
        let mut entry = entry_header(3, 6 << 30);
        entry.extend_from_slice(&zlib_stored(b"x = 1\n"));
        write_pack(&t, &"c".repeat(40), &x, entry);
        let out = bounded_history_scan(&t);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("corrupt") && stderr.contains("limit"),
            "{stderr}"
        );
    }
}
