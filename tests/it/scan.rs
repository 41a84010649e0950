//! `keylint scan` on the filesystem: what is walked, what is skipped, exit
//! codes, output formats, and that no output holds a full secret.

use crate::common;
use common::*;
use predicates::prelude::*;

#[test]
fn finds_a_key_reports_it_redacted_and_exits_1() {
    let t = Tree::new();
    let key = fake_openai_key(1);
    t.write(
        "app/settings.py",
        format!("import os\nOPENAI_API_KEY = \"{key}\"\n"),
    );
    let out = t.scan().assert().code(1).get_output().clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("error[openai-api-key]"), "{stdout}");
    assert!(stdout.contains("app/settings.py:2:19"), "{stdout}");
    assert!(stdout.contains("sk-p…"), "{stdout}");
    assert!(!stdout.contains(&key), "full secret printed");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("1 finding in 1 file"), "{stderr}");
    assert!(!stderr.contains(&key));
}

#[test]
fn clean_tree_exits_0() {
    let t = Tree::new();
    t.write(
        "main.py",
        "print('hello')\napi_key = os.environ['OPENAI_API_KEY']\n",
    );
    t.scan().assert().code(0).stdout("");
}

#[test]
fn show_secrets_prints_the_full_value() {
    let t = Tree::new();
    let key = fake_openai_key(2);
    t.write("a.env", format!("OPENAI_API_KEY={key}\n"));
    t.scan()
        .arg("--show-secrets")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(key.as_str()));
}

#[test]
fn hidden_files_are_scanned_but_git_dir_and_ignored_files_are_not() {
    let t = Tree::new();
    let key = fake_openai_key(3);
    t.write(".env", format!("OPENAI_API_KEY={key}\n"));
    t.write(".git/config", format!("token = {key}\n"));
    t.write("build/out.txt", format!("{key}\n"));
    t.write(".ignore", "build/\n");
    let s = t.scan_json(&["--no-git"]);
    assert_eq!((s.code, s.paths()), (1, vec![".env"]), "{}", s.stderr);
    // --no-ignore scans ignored files, still never .git/.
    let s = t.scan_json(&["--no-git", "--no-ignore"]);
    assert_eq!(
        (s.code, s.paths()),
        (1, vec![".env", "build/out.txt"]),
        "{}",
        s.stderr
    );
}

#[test]
fn binary_large_and_invalid_utf8_files_do_not_crash() {
    let t = Tree::new();
    let key = fake_openai_key(4);
    let mut binary = vec![0u8, 1, 2, 3];
    binary.extend_from_slice(key.as_bytes());
    t.write("blob.bin", binary);
    t.write("big.txt", format!("{}\nk={key}\n", "x".repeat(2 << 20)));
    let mut latin1 = b"caf\xe9 \xff\xfe token: ".to_vec();
    latin1.extend_from_slice(key.as_bytes());
    latin1.push(b'\n');
    t.write("latin1.txt", latin1);
    let s = t.scan_json(&["--no-git", "--max-file-size", "1MiB"]);
    assert_eq!((s.code, s.paths()), (1, vec!["latin1.txt"]), "{}", s.stderr);
    assert_eq!(s.summary["skipped_binary"], 1);
    assert_eq!(s.summary["skipped_large"], 1);
}

#[test]
fn bytecode_is_skipped_as_binary_and_its_source_is_scanned() {
    let t = Tree::new();
    let key = fake_openai_key(5);
    t.write("app/settings.py", format!("OPENAI_API_KEY = \"{key}\"\n"));
    // CPython 3.11 bytecode: magic, a zero flags word, then the constants.
    let mut pyc = b"\xa7\x0d\x0d\x0a\x00\x00\x00\x00".to_vec();
    pyc.extend_from_slice(key.as_bytes());
    t.write("app/__pycache__/settings.cpython-311.pyc", pyc);
    let s = t.scan_json(&["--no-git"]);
    assert_eq!(
        (s.code, s.paths()),
        (1, vec!["app/settings.py"]),
        "{}",
        s.stderr
    );
    assert_eq!(s.summary["skipped_binary"], 1);
    assert_eq!(s.summary["files"], 1);
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_so_loops_cannot_happen() {
    let t = Tree::new();
    std::fs::create_dir_all(t.path().join("a")).unwrap();
    std::os::unix::fs::symlink("..", t.path().join("a/loop")).unwrap();
    t.write("a/ok.txt", "nothing here\n");
    // A key outside the tree, reachable only through links: a walk that
    // followed them would report it (and, through `loop`, walk forever).
    let outside = Tree::new();
    outside.write(
        "keys.env",
        format!("OPENAI_API_KEY={}\n", fake_openai_key(9)),
    );
    std::os::unix::fs::symlink(outside.path().join("keys.env"), t.path().join("a/keys.env"))
        .unwrap();
    std::os::unix::fs::symlink(outside.path(), t.path().join("a/outside")).unwrap();
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!((scan.code, scan.findings.len()), (0, 0), "{}", scan.stderr);
    assert_eq!(scan.summary["files"], 1, "only a/ok.txt is read");
}

#[test]
fn missing_path_is_an_error_with_exit_2() {
    let t = Tree::new();
    t.scan()
        .arg("does-not-exist")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "does-not-exist: no such file or directory",
        ));
}

#[test]
fn bad_flag_and_bad_size_exit_2() {
    let t = Tree::new();
    t.scan().arg("--frobnicate").assert().code(2);
    t.scan()
        .args(["--max-file-size", "ten"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a size"));
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let t = Tree::new();
    t.write("k.txt", format!("OPENAI_API_KEY={}\n", fake_openai_key(5)));
    t.scan()
        .args(["--format", "json", "--output", "report.json"])
        .assert()
        .code(1)
        .stdout("");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(doc["findings"][0]["rule_id"], "openai-api-key");
    assert_eq!(doc["findings"][0]["redacted"], true);
    assert_eq!(doc["keylint"]["schema_version"], 1);
}

#[test]
fn output_to_a_missing_directory_is_an_error_naming_it() {
    let t = Tree::new();
    t.write("k.txt", "nothing\n");
    t.scan()
        .args(["--output", "no/such/dir/report.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/dir/report.json"));
}

#[test]
fn output_order_is_deterministic() {
    let t = Tree::new();
    for i in 0..40 {
        t.write(
            &format!("d{}/f{i}.txt", i % 7),
            format!("OPENAI_API_KEY={}\n", fake_openai_key(100 + i)),
        );
    }
    let a = t
        .scan()
        .args(["--format", "json", "--no-summary"])
        .output()
        .unwrap()
        .stdout;
    let b = t
        .scan()
        .args(["--format", "json", "--no-summary", "-j", "1"])
        .output()
        .unwrap()
        .stdout;
    let strip = |v: Vec<u8>| {
        let mut d: serde_json::Value = serde_json::from_slice(&v).unwrap();
        d["summary"]["elapsed"] = serde_json::Value::Null;
        d["findings"].clone()
    };
    assert_eq!(strip(a), strip(b));
}

#[test]
fn inline_allow_comment_suppresses_only_its_line() {
    let t = Tree::new();
    t.write(
        "cfg.py",
        format!(
            "A = \"{}\"  # keylint:allow\nB = \"{}\"\n",
            fake_openai_key(7),
            fake_openai_key(8)
        ),
    );
    assert_eq!(t.scan_json(&["--no-git"]).places(), ["cfg.py:2"]);
}

#[test]
fn color_always_colours_and_never_does_not() {
    let t = Tree::new();
    t.write("k.txt", format!("OPENAI_API_KEY={}\n", fake_openai_key(9)));
    t.scan()
        .args(["--color", "always"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\x1b["));
    t.scan()
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\x1b[").not());
    // Auto follows the conventions: CLICOLOR_FORCE colours a pipe,
    // NO_COLOR wins over it, and a file written with --output never is.
    t.scan()
        .env("CLICOLOR_FORCE", "1")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\x1b["));
    t.scan()
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\x1b[").not());
    t.scan()
        .env("CLICOLOR_FORCE", "1")
        .args(["--output", "report.txt"])
        .assert()
        .code(1);
    let written = std::fs::read_to_string(t.path().join("report.txt")).unwrap();
    assert!(!written.contains('\x1b'), "{written}");
}

#[test]
fn rules_lists_and_checks() {
    keylint()
        .arg("rules")
        .assert()
        .success()
        .stdout(predicate::str::contains("openai-api-key"));
    keylint()
        .args(["rules", "check"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 failures"));
}

#[cfg(unix)]
#[test]
fn output_to_a_device_writes_through_it_instead_of_replacing_it() {
    use std::os::unix::fs::FileTypeExt;
    let t = Tree::new();
    t.write("k.txt", format!("OPENAI_API_KEY={}\n", fake_openai_key(11)));
    t.scan()
        .args(["--format", "json", "--output", "/dev/null"])
        .assert()
        .code(1);
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(
        meta.file_type().is_char_device(),
        "/dev/null is still a device"
    );
    t.scan()
        .args(["--output", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a directory"));
}

/// A private RSA JWK is one key: one finding (at `d`), not one per private
/// member (`p`, `q`, `dp`, `dq`, `qi` each on its own line).
#[test]
fn a_private_jwk_is_one_finding() {
    let t = Tree::new();
    let member = |name: &str, seed: u64| format!("  \"{name}\": \"{}\",\n", random_alnum(seed, 43));
    let mut jwk = String::from("{\n  \"kty\": \"RSA\",\n  \"e\": \"AQAB\",\n");
    for (i, name) in ["n", "d", "p", "q", "dp", "dq", "qi"].iter().enumerate() {
        jwk.push_str(&member(name, 500 + i as u64));
    }
    jwk.push_str("  \"alg\": \"RS256\"\n}\n");
    t.write("key.json", &jwk);
    let s = t.scan_json(&["--no-git"]);
    assert_eq!(
        (s.code, s.places()),
        (1, vec!["key.json:5".to_string()]),
        "{}",
        s.stderr
    );
}

#[test]
fn an_unpacked_password_is_the_value_in_its_place() {
    // `login, password = <an address>, <a password>`: the password is the second
    // value, and the login (an e-mail address) is no finding of its own.
    let t = Tree::new();
    let pw = random_alnum(610, 14);
    let line = format!("login, password = 'dev@example.org', '{pw}'\n");
    t.write("login.py", &line);
    let s = t.scan_json(&["--no-git"]);
    assert_eq!(s.code, 1, "{}", s.stderr);
    let columns: Vec<u64> = s
        .findings
        .iter()
        .map(|f| f["column"].as_u64().unwrap())
        .collect();
    let column = line.find(&pw).unwrap() as u64 + 1;
    assert_eq!(columns, vec![column], "{:?}", s.findings);
}

/// A generic secret is at most 512 bytes (`max_secret_length`): a longer
/// value is a continuation token, a ciphertext or a blob of data, and
/// `--explain` says that is why it is not reported.
#[test]
fn a_value_over_the_rule_s_max_secret_length_is_dropped_and_explained() {
    let t = Tree::new();
    let (short, long) = (random_alnum(41, 300), random_alnum(42, 600));
    t.write(
        "short.json",
        format!("{{\"WorkUnitToken\": \"{short}\"}}\n"),
    );
    t.write("long.json", format!("{{\"WorkUnitToken\": \"{long}\"}}\n"));
    let scan = t.scan_json(&["--no-git"]);
    assert_eq!(scan.places(), ["short.json:1"], "{}", scan.stderr);
    let out = t.scan().args(["--explain", "long.json"]).output().unwrap();
    let explained =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        explained.contains("600 bytes, over the rule's max_secret_length of 512"),
        "{explained}"
    );
    assert!(!explained.contains(long.as_str()), "full value printed");
}
