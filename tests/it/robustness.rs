//! Fail closed, never leak, bounded on hostile input: one regression test
//! per defect that fuzzing and fault injection found (issue 12). Each
//! reproduces the original defect and would fail without its fix.

use crate::common;
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

    /// A pack git wrote, then cut short (a copy interrupted, a full disk):
    /// the objects in the lost tail are errors the run reports, naming the
    /// object, with the JSON report still written: never a panic or a clean
    /// exit.
    #[test]
    fn a_truncated_pack_is_an_incomplete_scan_not_a_clean_one() {
        let t = Tree::repo();
        for i in 0..40u64 {
            t.write(
                &format!("m{i}.py"),
                format!("# module {i}\n{}\n", random_alnum(i, 3000)),
            );
        }
        t.write("late.py", format!("KEY = \"{}\"\n", fake_openai_key(77)));
        t.git(&["add", "."]);
        t.git(&["commit", "-qm", "modules"]);
        t.git(&["repack", "-adq"]);
        let pack = std::fs::read_dir(t.path().join(".git/objects/pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "pack"))
            .expect("git repack wrote a pack");
        let whole = t.scan_json(&["--history"]);
        assert_eq!(whole.code, 1, "{}", whole.stderr);
        let bytes = std::fs::read(&pack).unwrap();
        let mut perms = std::fs::metadata(&pack).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&pack, perms).unwrap();
        std::fs::write(&pack, &bytes[..bytes.len() / 2]).unwrap();
        let cut = t.scan_json(&["--history"]);
        assert_eq!(cut.code, 2, "{}", cut.stderr);
        assert!(!cut.stderr.contains("panicked"), "{}", cut.stderr);
        assert!(cut.stderr.contains("truncated"), "{}", cut.stderr);
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

    /// A loose object (read through gix, not keylint's pack reader) whose
    /// header claims 6 GiB: gix must refuse it by the allocation limit
    /// keylint opens every repository with, in history and in the index.
    #[test]
    fn a_loose_object_claiming_gigabytes_is_refused_by_gix_allocation_limit() {
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
        let claim_gigabytes = |id: &str| {
            let loose = t.path().join(".git/objects").join(&id[..2]).join(&id[2..]);
            let mut perms = std::fs::metadata(&loose).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&loose, perms).unwrap();
            // More body than gix's header buffer, so the size is believed
            // before the stream's end shows it to be a lie.
            let mut body = format!("blob {}\0", 6u64 << 30).into_bytes();
            body.extend(std::iter::repeat_n(b'x', 4096));
            std::fs::write(&loose, zlib_stored(&body)).unwrap();
        };
        claim_gigabytes(&id);
        let out = bounded_history_scan(&t);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&id) && stderr.contains("corrupt") && stderr.contains("limit"),
            "{stderr}"
        );
        // A staged object: `--staged` reads it through gix too.
        t.write("new.py", "y = 2\n");
        t.git(&["add", "new.py"]);
        let out = std::process::Command::new("git")
            .current_dir(t.path())
            .args(["rev-parse", ":new.py"])
            .output()
            .unwrap();
        claim_gigabytes(String::from_utf8(out.stdout).unwrap().trim());
        let bin = assert_cmd::cargo::cargo_bin("keylint");
        let out = std::process::Command::new("sh")
            .current_dir(t.path())
            .arg("-c")
            .arg(format!(
                "ulimit -v 2000000; exec timeout 60 '{}' scan --staged -q",
                bin.display()
            ))
            .env_remove("GIT_INDEX_FILE")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("limit"), "{stderr}");
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

/// Audit of issue 12: re-activations the first fix missed, and the other
/// shapes of the defects above.
mod reactivation {
    use super::*;

    #[test]
    fn a_line_inserted_below_an_allow_next_line_marker_re_activates_the_secret() {
        let t = Tree::repo();
        let key = fake_openai_key(201);
        t.write(
            "conf.py",
            format!("# keylint:allow-next-line\nKEY = \"{key}\"\n"),
        );
        t.git(&["add", "."]);
        t.git(&["commit", "-qm", "allowed"]);
        t.write(
            "conf.py",
            format!("# keylint:allow-next-line\nDEBUG = 1\nKEY = \"{key}\"\n"),
        );
        // The staged change adds only `DEBUG = 1`, yet the key is live now.
        t.git(&["add", "."]);
        assert_eq!(t.scan_json(&["--staged"]).places(), ["conf.py:3"]);
        t.git(&["commit", "-qm", "line inserted"]);
        let range = t.scan_json(&["--range", "HEAD~1..HEAD"]);
        assert_eq!(range.places(), ["conf.py:3"], "{}", range.stderr);
        let history = t.scan_json(&["--history"]);
        assert_eq!(history.places(), ["conf.py:3"]);
        assert_eq!(history.findings[0]["commit"]["summary"], "line inserted");
    }

    #[test]
    fn a_staged_change_deleting_an_allow_marker_is_blocked() {
        let t = Tree::repo();
        let key = fake_openai_key(202);
        let allowed = format!("# keylint:off\nA = 1\nKEY = \"{key}\"\n");
        t.write("conf.py", &allowed);
        t.git(&["add", "."]);
        t.git(&["commit", "-qm", "block"]);
        assert_eq!(t.scan_json(&["--staged"]).code, 0);
        t.write("conf.py", allowed.replace("# keylint:off\n", ""));
        t.git(&["add", "."]);
        let scan = t.scan_json(&["--staged"]);
        assert_eq!(scan.places(), ["conf.py:2"], "{}", scan.stderr);
        // A secret HEAD already reported is not new because a marker moved.
        let t = Tree::repo();
        t.write(
            "old.py",
            format!("KEY = \"{}\"\nB = 2\n", fake_openai_key(203)),
        );
        t.git(&["add", "."]);
        t.git(&["commit", "-qm", "old key"]);
        t.write(
            "old.py",
            format!(
                "KEY = \"{}\"\nB = 2 # keylint:allow\n",
                fake_openai_key(203)
            ),
        );
        t.git(&["add", "."]);
        assert_eq!(t.scan_json(&["--staged"]).code, 0);
    }

    #[test]
    fn a_sarif_history_scan_reports_the_re_activated_secret() {
        // SARIF keeps accepted findings: the older version's accepted key
        // must not count as "already reported".
        let t = Tree::repo();
        let key = fake_openai_key(204);
        t.write("conf.py", format!("KEY = \"{key}\" # keylint:allow\n"));
        t.git(&["add", "."]);
        t.git(&["commit", "-qm", "allowed"]);
        t.write("conf.py", format!("KEY = \"{key}\"\n"));
        t.git(&["commit", "-qam", "marker removed"]);
        for args in [["--history"], ["--range=HEAD~1..HEAD"]] {
            let out = keylint()
                .current_dir(t.path())
                .arg("scan")
                .args(args)
                .args(["--format", "sarif", "--no-summary"])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let results = doc["runs"][0]["results"].as_array().unwrap();
            let live: Vec<_> = results
                .iter()
                .filter(|r| r.get("suppressions").is_none())
                .collect();
            assert_eq!(live.len(), 1, "{args:?}: {results:?}");
        }
    }
}

mod quiet_errors {
    use super::*;

    /// A config error's stderr: exit 2, one line, naming the file.
    fn config_error(t: &Tree) -> String {
        let out = t.scan().output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(".keylint.toml"), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        stderr
    }

    #[test]
    fn a_user_rule_regex_error_does_not_quote_the_pattern() {
        let t = Tree::new();
        let key = fake_openai_key(205);
        t.write(
            ".keylint.toml",
            format!(
                "[[rules]]\nid = \"leaked\"\ndescription = \"d\"\nregex = '''({key}'''\nkeywords = [\"sk-\"]\nhelp = \"h\"\n"
            ),
        );
        let stderr = config_error(&t);
        assert!(!stderr.contains(&key[..20]), "{stderr}");
        assert!(stderr.contains("rule `leaked`"), "{stderr}");
        t.write(
            ".keylint.toml",
            format!(
                "[[rules]]\nid = \"leaked\"\ndescription = \"d\"\nregex = 'x_[a-z]{{8}}'\nkeywords = [\"x_\"]\nhelp = \"h\"\nallow = ['{key}[']\n"
            ),
        );
        let stderr = config_error(&t);
        assert!(!stderr.contains(&key[..20]), "{stderr}");
    }

    #[test]
    fn a_value_in_the_wrong_place_is_not_echoed() {
        let t = Tree::new();
        let key = fake_openai_key(206);
        // An enum field: serde names the unknown variant.
        t.write(
            ".keylint.toml",
            format!(
                "[[rules]]\nid = \"r\"\ndescription = \"d\"\nregex = 'x_[a-z]{{8}}'\nkeywords = [\"x_\"]\nhelp = \"h\"\nconfidence = \"{key}\"\n"
            ),
        );
        let stderr = config_error(&t);
        assert!(!stderr.contains(&key[..20]), "{stderr}");
        assert!(stderr.contains("expected one of"), "{stderr}");
        // `[run]` and `[keys]` are read by `keylint run` and `keylint key`.
        t.write(".keylint.toml", format!("[run]\nproviders = \"{key}\"\n"));
        let out = keylint()
            .current_dir(t.path())
            .env("HOME", t.path())
            .env_remove("XDG_CONFIG_HOME")
            .args(["run", "--", "true"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(".keylint.toml"), "{stderr}");
        assert!(!stderr.contains(&key[..20]), "{stderr}");
    }
}

mod escapes {
    use super::*;

    #[test]
    fn commit_authors_emails_and_summaries_reach_the_terminal_escaped() {
        let t = Tree::repo();
        t.write("k.py", format!("K = \"{}\"\n", fake_openai_key(207)));
        t.git(&["add", "."]);
        let out = std::process::Command::new("git")
            .current_dir(t.path())
            .args(["commit", "-qm", "fix\x1b]0;pwned\x07 it"])
            .env("GIT_AUTHOR_NAME", "Eve\x1b[2J")
            .env("GIT_AUTHOR_EMAIL", "eve\r@example.org")
            .env("GIT_COMMITTER_NAME", "Eve")
            .env("GIT_COMMITTER_EMAIL", "eve@example.org")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = keylint()
            .current_dir(t.path())
            .args(["scan", "--history"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{stdout}");
        assert!(
            !stdout.contains('\x1b') && !stdout.contains('\r'),
            "{stdout:?}"
        );
        assert!(
            stdout.contains("by Eve\\e[2J <eve\\r@example.org>"),
            "{stdout}"
        );
        // A blocked push lists the commits by their summaries.
        let base = {
            let o = std::process::Command::new("git")
                .current_dir(t.path())
                .args(["rev-parse", "HEAD~1", "HEAD"])
                .output()
                .unwrap();
            String::from_utf8(o.stdout).unwrap()
        };
        let mut ids = base.lines();
        let (from, to) = (ids.next().unwrap(), ids.next().unwrap());
        let out = keylint()
            .current_dir(t.path())
            .env_remove("GIT_INDEX_FILE")
            .env("PRE_COMMIT_FROM_REF", from)
            .env("PRE_COMMIT_TO_REF", to)
            .args(["hook", "run"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("push blocked"), "{stderr}");
        assert!(
            !stderr.contains('\x1b') && !stderr.contains('\x07'),
            "{stderr:?}"
        );
        assert!(stderr.contains("fix\\e]0;pwned\\u{7} it"), "{stderr}");
    }

    #[test]
    fn a_repository_rule_and_explain_reasons_reach_the_terminal_escaped() {
        let t = Tree::new();
        t.write(
            ".keylint.toml",
            "[[rules]]\nid = \"acme\"\ndescription = \"ACME\\u001b]0;pwned\\u0007 token\"\nregex = '''\\b(acme_[a-z0-9]{16})\\b'''\nkeywords = [\"acme_\"]\nhelp = \"Rotate\\u001b[2J it\"\nentropy = 1.0\n",
        );
        t.write(
            "a.txt",
            format!("t = acme_{}\n", random_alnum(208, 16).to_lowercase()),
        );
        let out = t.scan().output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !stdout.contains('\x1b') && !stdout.contains('\x07'),
            "{stdout:?}"
        );
        assert!(stdout.contains("ACME\\e]0;pwned\\u{7} token"), "{stdout}");
        let out = t.scan().arg("--explain").output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains('\x1b'), "{stdout:?}");
    }
}

/// A thread the system refuses to start is an error (exit 2), never a
/// panic (101). A stack larger than the address-space limit makes every
/// spawn fail, as a process limit would.
#[test]
fn a_thread_that_cannot_start_is_an_error_not_a_panic() {
    let t = Tree::repo();
    t.write("a.txt", "x = 1\n");
    let bin = assert_cmd::cargo::cargo_bin("keylint");
    for args in ["scan --no-git -j 2 .", "scan --history -j 2"] {
        let out = std::process::Command::new("sh")
            .current_dir(t.path())
            .arg("-c")
            .arg(format!(
                "ulimit -v 4000000; exec '{}' {args}",
                bin.display()
            ))
            .env("RUST_MIN_STACK", (8u64 << 30).to_string())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args}: {stderr}");
        assert!(stderr.contains("-j"), "{args}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args}: {stderr}");
    }
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A base64 value beside a plain key on one line: each finding's shown
/// line redacts the other, whichever pass found it.
#[test]
fn a_plain_and_an_encoded_secret_on_one_line_are_both_redacted() {
    let a = fake_openai_key(209);
    // A key encoded (a long line: each finding's line is cut around it),
    // and a password encoded (a short line, shown whole).
    for plain in [
        format!("OPENAI_API_KEY={}", fake_openai_key(210)),
        format!("password={}", random_alnum(212, 16)),
    ] {
        let encoded = b64(&plain);
        let t = Tree::new();
        t.write(
            "vars.yml",
            format!("pair: {{ key: \"{a}\", env: {encoded} }}\n"),
        );
        let scan = t.scan_json(&["--no-git"]);
        assert_eq!(scan.findings.len(), 2, "{}", scan.stderr);
        let value = plain.split_once('=').unwrap().1.to_string();
        for f in &scan.findings {
            let line = f["line_text"].as_str().unwrap();
            for shown in [&a, &value, &encoded] {
                assert!(!line.contains(shown.as_str()), "{line}");
            }
        }
        let out = t.scan().output().unwrap();
        let human = String::from_utf8_lossy(&out.stdout);
        for shown in [&a, &value, &encoded] {
            assert!(!human.contains(shown.as_str()), "{human}");
        }
    }
}

/// The bytes scanned and the bytes the detectors read (`searched_bytes`)
/// scanning one file.
fn work(t: &Tree, file: &str) -> (u64, u64) {
    let out = t
        .scan()
        .args([
            "--exit-zero",
            "--max-file-size",
            "20MiB",
            "-f",
            "json",
            file,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["summary"];
    (
        s["bytes"].as_u64().unwrap(),
        s["searched_bytes"].as_u64().unwrap(),
    )
}

/// Quadratic work on long lines. Before line ends were found once per
/// blob, one line cost hundreds of times more than the same bytes with
/// line breaks; base64 runs sharing a line each copied and rescanned the
/// whole line. What the detectors read must grow with the input, not
/// with its square: twice the line, at most about twice the bytes read,
/// and never more than a bounded multiple of the file, on one line or on
/// many. A count, not a clock, so the suite running beside it cannot
/// change the answer.
#[test]
fn one_long_line_costs_work_in_proportion_to_its_length() {
    const SIZE: usize = 128 << 10;
    let t = Tree::new();
    let run = b64("user:hunter2 x");
    let units: Vec<(&str, String)> = vec![
        ("akia", "AKIA".to_string()),
        ("password", "password=".to_string()),
        ("base64", format!("{run} ")),
        ("token", format!("api_token=\"{}\" ", random_alnum(211, 32))),
    ];
    for (name, unit) in &units {
        let mut read = Vec::new();
        for size in [SIZE, 2 * SIZE] {
            let n = size / unit.len();
            t.write(&format!("{name}-{size}-line.txt"), unit.repeat(n));
            let lines = format!("{}\n", unit.trim_end()).repeat(n);
            t.write(&format!("{name}-{size}-lines.txt"), &lines);
            for file in [
                format!("{name}-{size}-line.txt"),
                format!("{name}-{size}-lines.txt"),
            ] {
                let (bytes, searched) = work(&t, &file);
                assert!(searched >= bytes, "{file}: the text itself is read");
                assert!(
                    searched <= 64 * bytes,
                    "{file}: {searched} bytes read for {bytes} scanned"
                );
                read.push(searched);
            }
        }
        // [one line, lines] at SIZE, then at 2 * SIZE.
        for (small, large) in [(read[0], read[2]), (read[1], read[3])] {
            assert!(
                large <= small * 2 + small / 10,
                "{name}: {small} bytes read at {SIZE} bytes, {large} at twice that"
            );
        }
    }
}
