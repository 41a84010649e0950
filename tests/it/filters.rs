//! Living with findings: config, inline allows, baseline, .keylintignore and
//! explain each suppress what they should and nothing more.

use crate::common;
use common::*;
use predicates::prelude::*;
use serde_json::Value;

fn findings(t: &Tree, extra: &[&str]) -> Vec<Value> {
    let args: Vec<&str> = ["--no-git"].iter().chain(extra).copied().collect();
    let scan = t.scan_json(&args);
    assert!(scan.code < 2, "{}", scan.stderr);
    scan.findings
}

fn paths(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|f| format!("{}:{}", f["path"].as_str().unwrap(), f["line"]))
        .collect()
}

/// The stderr of a scan that must fail with exit 2.
fn failing_stderr(t: &Tree, args: &[&str]) -> String {
    let out = t.scan().args(args).assert().code(2).get_output().clone();
    String::from_utf8(out.stderr).unwrap()
}

fn two_key_tree() -> Tree {
    let t = Tree::new();
    t.write(
        "src/app.py",
        format!("DEFAULT = \"{}\"\n", fake_openai_key(1)),
    );
    t.write(
        "fixtures/sample.py",
        format!("DEFAULT = \"{}\"\n", fake_openai_key(2)),
    );
    t
}

#[test]
fn config_path_allow_covers_only_its_paths() {
    let t = two_key_tree();
    t.write(".keylint.toml", "[allow]\npaths = [\"fixtures/**\"]\n");
    assert_eq!(paths(&findings(&t, &[])), ["src/app.py:1"]);
}

#[test]
fn config_value_allow_and_disable() {
    let t = two_key_tree();
    t.write("db.env", "DB_PASSWORD=Zq8vNw3kLxP\n"); // keylint:allow (fake value under test)
    t.write(".keylint.toml", "[allow]\nvalues = [\"^Zq8v\"]\n");
    assert_eq!(
        paths(&findings(&t, &[])),
        ["fixtures/sample.py:1", "src/app.py:1"]
    );
    t.write(".keylint.toml", "disable = [\"openai-api-key\"]\n");
    assert_eq!(paths(&findings(&t, &[])), ["db.env:1"]);
}

#[test]
fn config_adds_rules_and_overrides_thresholds() {
    let t = Tree::new();
    t.write("app.cfg", "internal = acme_tok_Q7zV9xK2mL4pR8wT\n");
    t.write(
        ".keylint.toml",
        r#"
[[rules]]
id = "acme-token"
description = "ACME internal token"
regex = '''\b(acme_tok_[A-Za-z0-9]{16})\b'''
keywords = ["acme_tok_"]
help = "Rotate it in the ACME console."
examples = [{ input = "t = acme_tok_Q7zV9xK2mL4pR8wT", secret = "acme_tok_Q7zV9xK2mL4pR8wT" }] # keylint:allow

[overrides.acme-token]
entropy = 1.0
"#,
    );
    let f = findings(&t, &[]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["rule_id"], "acme-token");
    assert_eq!(f[0]["provider"], "Custom");
    // A threshold no value can reach silences the rule.
    let cfg = std::fs::read_to_string(t.path().join(".keylint.toml"))
        .unwrap()
        .replace("entropy = 1.0", "entropy = 9.0");
    t.write(".keylint.toml", cfg);
    assert!(findings(&t, &[]).is_empty());
}

#[test]
fn bad_configs_fail_with_file_line_and_key() {
    let t = two_key_tree();
    t.write(".keylint.toml", "[allow]\npaths = []\ncolour = \"red\"\n");
    t.scan().assert().code(2).stderr(
        predicate::str::contains(".keylint.toml:3").and(predicate::str::contains("colour")),
    );
    t.write(".keylint.toml", "[allow]\nvalues = [\"(unclosed\"]\n");
    t.scan().assert().code(2).stderr(
        predicate::str::contains(".keylint.toml:2").and(predicate::str::contains("allow.values")),
    );
    t.write(".keylint.toml", "disable = [\"openai-api-kye\"]\n");
    t.scan().assert().code(2).stderr(
        predicate::str::contains("`disable` entry 1 names no rule")
            .and(predicate::str::contains("did you mean `openai-api-key`")),
    );
    t.scan()
        .args(["--config", "missing.toml"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("missing.toml: no such config file")
                .and(predicate::str::contains("os error").not()),
        );
}

/// Path patterns are built lazily for speed, but a user's patterns that
/// are too large to build (globset's regex limits) still stop the scan at
/// load, naming the file, in one short line: never a scan that silently
/// allows or flags nothing.
#[test]
fn path_patterns_too_large_to_build_are_an_error_at_load() {
    let t = two_key_tree();
    // Sixty thousand distinct twelve-letter words in one brace group.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let words: Vec<String> = (0..60_000)
        .map(|_| {
            (0..12)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    (b'a' + (state >> 59) as u8 % 26) as char
                })
                .collect()
        })
        .collect();
    let glob = format!("**/{{{}}}/*.txt", words.join(","));
    t.write(".keylint.toml", format!("[allow]\npaths = [\"{glob}\"]\n"));
    let stderr = failing_stderr(&t, &[]);
    assert!(
        stderr.contains(".keylint.toml") && stderr.contains("allow.paths"),
        "{}",
        &stderr[..stderr.len().min(400)]
    );
    assert!(stderr.len() < 400, "{} bytes of error", stderr.len());
    std::fs::remove_file(t.path().join(".keylint.toml")).unwrap();
    t.write(
        "myrules/acme.toml",
        format!("[provider]\nid = \"acme\"\nname = \"Acme\"\n\n[[credential_files]]\nglob = \"{glob}\"\ndescription = \"d\"\n"),
    );
    let stderr = failing_stderr(&t, &["--rules-dir", "myrules"]);
    assert!(
        stderr.contains("credential_files"),
        "{}",
        &stderr[..stderr.len().min(400)]
    );
    assert!(stderr.len() < 400, "{} bytes of error", stderr.len());
}

/// A secret pasted into the wrong place in a config must not reach CI
/// logs through the error about it.
#[test]
fn config_and_rule_file_errors_never_echo_values() {
    let t = two_key_tree();
    let key = fake_openai_key(77);
    let cases = [
        format!("[allow]\nvalues = [\"({key}\"]\n"),
        format!("disable = [\"{key}\"]\n"),
        format!("max_file_size = \"{key}\"\n"),
        format!("disable = \"{key}\"\n"),
        format!("[overrides.openai-api-key]\nallow = [\"[{key}\"]\n"),
    ];
    for cfg in cases {
        t.write(".keylint.toml", &cfg);
        let stderr = failing_stderr(&t, &[]);
        assert!(stderr.contains(".keylint.toml"), "{stderr}");
        assert!(!stderr.contains(&key[..20]), "{cfg}: {stderr}");
    }
    std::fs::remove_file(t.path().join(".keylint.toml")).unwrap();
    t.write(
        "myrules/acme.toml",
        format!("[provider]\nid = \"acme\"\nname = {key}\n"),
    );
    let stderr = failing_stderr(&t, &["--rules-dir", "myrules"]);
    assert!(stderr.contains("acme.toml:3:"), "{stderr}");
    assert!(!stderr.contains(&key[..20]), "{stderr}");
}

#[test]
fn inline_markers_of_keylint_and_other_scanners() {
    let t = Tree::new();
    let k = |i: u64| fake_openai_key(10 + i);
    t.write(
        "a.py",
        format!(
            "A = \"{}\"  # gitleaks:allow\n# keylint:allow-next-line\nB = \"{}\"\n# keylint:off\nC = \"{}\"\n# keylint:on\nD = \"{}\"  # pragma: allowlist secret\nE = \"{}\"\n# pragma: allowlist nextline secret\nF = \"{}\"\nG = \"{}\"  # trufflehog:ignore\n",
            k(1), k(2), k(3), k(4), k(5), k(6), k(7)
        ),
    );
    assert_eq!(paths(&findings(&t, &[])), ["a.py:8"]);
}

/// A weak password must not be recoverable from a committed baseline with
/// a fast hash of a guess list; baselines written before keep working.
#[test]
fn baselines_hold_no_fast_hash_of_a_weak_secret_and_old_ones_still_match() {
    use sha2::{Digest, Sha256};
    let t = Tree::new();
    t.write("db.py", "DB_PASSWORD = \"Kq7vR2xmLp\"\n"); // keylint:allow (generated test value)
    t.scan()
        .args(["--write-baseline", "baseline.json"])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(t.path().join("baseline.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["version"], 2);
    let v1 = |secret: &str| {
        let h = Sha256::digest(format!("generic-password\0db.py\0{secret}"));
        h.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    assert!(
        !text.contains(&v1("Kq7vR2xmLp")),
        "a version-1 (unsalted) fingerprint"
    );
    assert!(findings(&t, &["--baseline", "baseline.json"]).is_empty());
    // A version-1 baseline from an older keylint: still accepted, with a
    // warning to rewrite it.
    let old = format!(
        "{{\"version\": 1, \"findings\": [{{\"path\": \"db.py\", \"rule_id\": \"generic-password\", \"fingerprint\": \"{}\"}}]}}",
        v1("Kq7vR2xmLp")
    );
    t.write("old.json", old);
    let scan = t.scan_json(&["--no-git", "--baseline", "old.json"]);
    assert!(scan.findings.is_empty());
    let out = t.scan().args(["--baseline", "old.json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("version 1"), "{stderr}");
}

#[test]
fn baseline_matches_by_value_not_by_line() {
    let t = Tree::new();
    let key = fake_openai_key(20);
    t.write("app.py", format!("KEY = \"{key}\"\n"));
    t.scan()
        .args(["--write-baseline", "baseline.json"])
        .assert()
        .code(0);
    let first = std::fs::read_to_string(t.path().join("baseline.json")).unwrap();
    assert!(!first.contains(&key), "the baseline holds no secret");
    assert!(
        !first.contains("\"line\""),
        "the baseline holds no line numbers"
    );
    // Lines move: still accepted, and the baseline is byte-for-byte the same.
    t.write("app.py", format!("import os\n\n\nKEY = \"{key}\"\n"));
    assert!(findings(&t, &["--baseline", "baseline.json"]).is_empty());
    t.scan()
        .args(["--write-baseline", "baseline.json"])
        .assert()
        .code(0);
    assert_eq!(
        first,
        std::fs::read_to_string(t.path().join("baseline.json")).unwrap()
    );
    // A different secret on the same line is new.
    t.write(
        "app.py",
        format!("import os\n\n\nKEY = \"{}\"\n", fake_openai_key(21)),
    );
    assert_eq!(
        paths(&findings(&t, &["--baseline", "baseline.json"])),
        ["app.py:4"]
    );
}

#[test]
fn a_broken_baseline_is_an_error() {
    let t = two_key_tree();
    t.write("baseline.json", "{not json");
    t.scan()
        .args(["--baseline", "baseline.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("baseline.json:1"));
    t.scan()
        .args(["--baseline", "missing.json"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("missing.json: no such baseline")
                .and(predicate::str::contains("--write-baseline")),
        );
}

#[test]
fn keylintignore_takes_fingerprint_prefixes() {
    let t = two_key_tree();
    let all = findings(&t, &[]);
    let fp = all[0]["fingerprint"].as_str().unwrap();
    t.write(
        ".keylintignore",
        format!("# accepted: test fixture\n{}  # sample key\n", &fp[..16]),
    );
    assert_eq!(findings(&t, &[]).len(), 1);
    t.write(".keylintignore", "not-a-fingerprint\n");
    t.scan()
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".keylintignore:1"));
}

#[test]
fn explain_says_why_each_candidate_was_kept_or_dropped() {
    let t = Tree::new();
    let key = fake_openai_key(30);
    t.write(
        "app.py",
        format!("A = \"{key}\"\nB = \"sk-xxxxxxxxxxxxxxxxxxxxT3BlbkFJxxxxxxxxxxxxxxxxxxxx\"\npassword = os.environ['X']\n"),
    );
    let out = keylint()
        .current_dir(t.path())
        .args(["explain", "app.py"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("app.py:1:6: openai-api-key sk-p…"), "{text}");
    assert!(text.contains("REPORTED"), "{text}");
    assert!(
        text.contains("app.py:2:6: openai-api-key") && text.contains("placeholder"),
        "{text}"
    );
    assert!(!text.contains(&key));
    let one = keylint()
        .current_dir(t.path())
        .args(["explain", "app.py:2"])
        .output()
        .unwrap();
    let one = String::from_utf8(one.stdout).unwrap();
    assert_eq!(one.lines().count(), 1, "{one}");
    // scan --explain covers a whole tree.
    t.scan()
        .arg("--explain")
        .assert()
        .stdout(predicate::str::contains("REPORTED"));
}

#[test]
fn an_error_names_its_io_cause_once() {
    let t = Tree::new();
    let out = keylint()
        .current_dir(t.path())
        .args(["rules", "check", "--dir", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("nope"), "{err}");
    assert_eq!(err.matches("os error").count(), 1, "{err}");
}

#[test]
fn config_vocabulary_extends_the_generic_detectors_lists() {
    let t = Tree::new();
    t.write("db.env", "DB_PASSWORD=Wd7qkvXzr\n"); // keylint:allow (fake value under test)
    assert_eq!(paths(&findings(&t, &[])), ["db.env:1"]);
    // The team's stock demo value, added to the stock values.
    t.write(
        ".keylint.toml",
        "[vocabulary]\nstock_values = [\"wd7qkvxzr\"]\n",
    );
    assert!(findings(&t, &[]).is_empty());
    // Entries match lowercased text: an uppercase one is refused, naming the list.
    t.write(
        ".keylint.toml",
        "[vocabulary]\nstock_values = [\"Wd7qkvXzr\"]\n",
    );
    t.scan()
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains(".keylint.toml").and(predicate::str::contains(
                "vocabulary `stock_values` entry 1",
            )),
        );
}

/// `explain` reads the `.keylintignore` beside the config, as `scan` does
/// (one lookup, `plan::find_ignore_file`): what it says was accepted is
/// what the scan accepts, also with a `--config` kept elsewhere.
#[test]
fn explain_and_scan_read_the_same_keylintignore() {
    let t = Tree::new();
    t.write("conf/keylint.toml", "max_file_size = \"1MiB\"\n");
    t.write("sub/app.py", format!("A = \"{}\"\n", fake_openai_key(31)));
    let config = ["--config", "conf/keylint.toml"];
    let fp = findings(&t, &config)[0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    t.write(
        "conf/.keylintignore",
        format!("{fp}  # accepted: fixture\n"),
    );
    assert_eq!(findings(&t, &config).len(), 0);
    let out = keylint()
        .current_dir(t.path())
        .args(["explain", "--config", "conf/keylint.toml", "sub/app.py"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("REPORTED"), "{text}");
    assert!(text.contains(".keylintignore"), "{text}");
}
