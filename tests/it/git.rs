//! Git awareness: the staged change (and the index git really commits),
//! history and ranges, tracked credential files, hooks, bad input.

use crate::common;
use common::*;
use predicates::prelude::*;
use serde_json::Value;
use std::process::Command;

fn git(t: &Tree, args: &[&str]) {
    t.git(args)
}

fn repo() -> Tree {
    Tree::repo()
}

fn json(t: &Tree, args: &[&str]) -> (Vec<Value>, i32) {
    let scan = t.scan_json(args);
    assert!(scan.code < 2, "{}", scan.stderr);
    (scan.findings, scan.code)
}

fn where_(f: &[Value]) -> Vec<String> {
    f.iter()
        .map(|f| {
            format!(
                "{}:{}:{}",
                f["path"].as_str().unwrap(),
                f["line"],
                f["rule_id"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn staged_reads_the_index_not_the_work_tree() {
    let t = repo();
    t.write(
        "cfg.py",
        format!("import os\nKEY = \"{}\"\n", fake_openai_key(1)),
    );
    git(&t, &["add", "cfg.py"]);
    // Staged, then deleted from disk: still what the commit will hold.
    std::fs::remove_file(t.path().join("cfg.py")).unwrap();
    let (f, code) = json(&t, &["--staged"]);
    assert_eq!(
        (where_(&f), code),
        (vec!["cfg.py:2:openai-api-key".to_string()], 1)
    );
    // A key only in an unstaged edit is not reported.
    git(&t, &["checkout", "cfg.py"]);
    git(&t, &["commit", "-qm", "cfg"]);
    t.write(
        "app.py",
        format!("print('hello')\nKEY = \"{}\"\n", fake_openai_key(2)),
    );
    assert_eq!(json(&t, &["--staged"]).0.len(), 0);
}

#[test]
fn staged_reports_only_added_lines_unless_whole_files() {
    let t = repo();
    t.write("old.py", format!("KEY = \"{}\"\n", fake_openai_key(3)));
    git(&t, &["add", "."]);
    git(&t, &["commit", "-qm", "old secret"]);
    t.write(
        "old.py",
        format!("KEY = \"{}\"\nx = 1\n", fake_openai_key(3)),
    );
    git(&t, &["add", "."]);
    assert!(
        json(&t, &["--staged"]).0.is_empty(),
        "an old secret does not block the commit"
    );
    assert_eq!(
        where_(&json(&t, &["--staged", "--whole-files"]).0),
        ["old.py:1:openai-api-key"]
    );
}

#[test]
fn staged_honours_git_index_file() {
    let t = repo();
    t.write(
        "app.py",
        format!("print('hello')\nKEY = \"{}\"\n", fake_openai_key(4)),
    );
    // What `git commit -a` does: stage into a temporary index named by GIT_INDEX_FILE.
    let tmp_index = t.path().join(".git/index.tmp");
    std::fs::copy(t.path().join(".git/index"), &tmp_index).unwrap();
    let status = Command::new("git")
        .current_dir(t.path())
        .env("GIT_INDEX_FILE", &tmp_index)
        .args(["add", "app.py"])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        json(&t, &["--staged"]).0.is_empty(),
        "the normal index holds nothing new"
    );
    let out = keylint()
        .current_dir(t.path())
        .env("GIT_INDEX_FILE", &tmp_index)
        .args(["scan", "--staged", "--no-summary"])
        .assert()
        .code(1);
    out.stdout(predicate::str::contains("app.py:2:"));
}

#[test]
fn history_and_ranges_find_a_secret_added_then_deleted() {
    let t = repo();
    t.write(
        "app.py",
        format!("print('hello')\nKEY = \"{}\"\n", fake_openai_key(5)),
    );
    git(&t, &["commit", "-qam", "add key"]);
    t.write("app.py", "print('hello')\n");
    git(&t, &["commit", "-qam", "remove key"]);
    t.write("README.md", "docs\n");
    git(&t, &["add", "."]);
    git(&t, &["commit", "-qm", "docs"]);
    let (f, code) = json(&t, &["--history"]);
    assert_eq!(code, 1);
    assert_eq!(where_(&f), ["app.py:2:openai-api-key"]);
    assert_eq!(f[0]["commit"]["summary"], "add key");
    assert_eq!(f[0]["commit"]["author"], "Ada");
    assert!(f[0]["commit"]["date"].as_str().unwrap().len() >= 20);
    assert_eq!(
        json(&t, &["--range", "HEAD~3..HEAD"]).0.len(),
        1,
        "the range that adds it"
    );
    assert_eq!(
        json(&t, &["--range", "HEAD~2..HEAD"]).0.len(),
        0,
        "a range after it"
    );
}

#[test]
fn history_reports_a_secret_once_where_it_was_introduced() {
    let t = repo();
    t.write("app.py", format!("KEY = \"{}\"\n", fake_openai_key(6)));
    git(&t, &["commit", "-qam", "add key"]);
    for i in 0..3 {
        t.write(
            "app.py",
            format!("KEY = \"{}\"\nv = {i}\n", fake_openai_key(6)),
        );
        git(&t, &["commit", "-qam", "edit"]);
    }
    let (f, _) = json(&t, &["--history"]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["commit"]["summary"], "add key");
}

/// A repacked repository: every version of the file is a delta in a chain,
/// read by keylint's own pack reader. The key is found once, at the commit
/// that added it and on its line there, even after the line moves.
#[test]
fn history_reads_delta_chains_in_packs() {
    let t = repo();
    let body = |i: usize, key: Option<(usize, &str)>| {
        let mut lines: Vec<String> = (0..200).map(|n| format!("line_{n} = {}", n * i)).collect();
        if let Some((at, key)) = key {
            lines.insert(at, format!("KEY = \"{key}\""));
        }
        lines.join("\n") + "\n"
    };
    let key = fake_openai_key(7);
    for i in 1..=30 {
        let at = match i {
            ..=14 => None,
            15 => {
                t.write("big.py", body(i, Some((120, &key))));
                git(&t, &["add", "."]);
                git(&t, &["commit", "-qm", "add key"]);
                continue;
            }
            16..=22 => Some((120, key.as_str())),
            _ => Some((40, key.as_str())), // the line moves up
        };
        t.write("big.py", body(i, at));
        git(&t, &["add", "."]);
        git(&t, &["commit", "-qm", &format!("edit {i}")]);
    }
    git(
        &t,
        &[
            "repack",
            "-q",
            "-a",
            "-d",
            "-f",
            "--depth=50",
            "--window=50",
        ],
    );
    git(&t, &["prune-packed"]);
    let loose = std::fs::read_dir(t.path().join(".git/objects"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().len() == 2)
        .count();
    assert_eq!(loose, 0, "every object is in the pack");
    let (f, code) = json(&t, &["--history"]);
    assert_eq!(code, 1);
    assert_eq!(where_(&f), ["big.py:121:openai-api-key"]);
    assert_eq!(f[0]["commit"]["summary"], "add key");
    // A range after the key was added does not report it, even where it moved.
    assert_eq!(json(&t, &["--range", "HEAD~10..HEAD"]).0.len(), 0);
    assert_eq!(json(&t, &["--range", "HEAD~20..HEAD"]).0.len(), 1);
}

#[test]
fn tracked_credential_files_are_findings_and_untracked_ones_warnings() {
    let t = repo();
    t.write(".env", "DEBUG=1\n");
    t.write(".env.example", "API_KEY=\n");
    t.write(".muapi/config.json", "{}\n");
    git(&t, &["add", "."]);
    git(&t, &["commit", "-qm", "env"]);
    t.write("server.pem", "not really a key\n");
    let (f, code) = json(&t, &["."]);
    assert_eq!(code, 1);
    assert_eq!(
        where_(&f),
        [
            ".env:1:tracked-credential-file",
            ".muapi/config.json:1:tracked-credential-file"
        ]
    );
    keylint()
        .current_dir(t.path())
        .args(["scan", "."])
        .assert()
        .stderr(
            predicate::str::contains("server.pem")
                .and(predicate::str::contains("neither tracked nor ignored")),
        )
        .stdout(predicate::str::contains("git rm --cached"));
    // --no-git turns it off.
    assert!(json(&t, &[".", "--no-git"]).0.is_empty());
}

#[test]
fn not_a_repository_is_an_error() {
    let t = Tree::new();
    keylint()
        .current_dir(t.path())
        .env_remove("GIT_DIR")
        .args(["scan", "--staged"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a git repository"))
        // The hint names commands that exist.
        .stderr(predicate::str::contains(
            "`keylint scan --staged` and `keylint hook` need one",
        ))
        .stderr(predicate::str::contains("`keylint scan PATH` scans files"));
    keylint()
        .current_dir(t.path())
        .args(["scan", "--history"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a git repository"));
    let r = repo();
    keylint()
        .current_dir(r.path())
        .args(["scan", "--range", "nope..HEAD"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`nope` is not a commit"));
}

#[test]
fn empty_repository_and_binary_blobs_do_not_crash() {
    let t = Tree::new();
    git(&t, &["init", "-q"]);
    assert_eq!(json(&t, &["--history"]).0.len(), 0);
    let mut bin = vec![0u8, 159, 146, 150];
    bin.extend_from_slice(fake_openai_key(7).as_bytes());
    t.write("blob.bin", bin);
    t.write(
        "name with spaces.py",
        format!("KEY = \"{}\"\n", fake_openai_key(8)),
    );
    git(&t, &["add", "."]);
    assert_eq!(
        where_(&json(&t, &["--staged"]).0),
        ["name with spaces.py:1:openai-api-key"]
    );
}

#[test]
fn hook_install_refuses_a_foreign_hook_and_uninstall_removes_only_its_own() {
    let t = repo();
    let hook = t.path().join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    keylint()
        .current_dir(t.path())
        .args(["hook", "install"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    keylint()
        .current_dir(t.path())
        .args(["hook", "uninstall"])
        .assert()
        .code(2);
    assert!(hook.exists());
    keylint()
        .current_dir(t.path())
        .args(["hook", "install", "--force"])
        .assert()
        .success();
    // The hook blocks a commit that adds a key.
    t.write("k.py", format!("KEY = \"{}\"\n", fake_openai_key(9)));
    git(&t, &["add", "k.py"]);
    let bin = assert_cmd::cargo::cargo_bin("keylint");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    let commit = Command::new("git")
        .current_dir(t.path())
        .env("PATH", &path)
        .args([
            "-c",
            "user.name=A",
            "-c",
            "user.email=a@b.c",
            "commit",
            "-qm",
            "leak",
        ])
        .output()
        .unwrap();
    assert!(!commit.status.success(), "the commit was blocked");
    assert!(String::from_utf8_lossy(&commit.stderr).contains("commit blocked"));
    keylint()
        .current_dir(t.path())
        .args(["hook", "uninstall"])
        .assert()
        .success();
    assert!(!hook.exists());
}

#[test]
fn hook_install_honours_core_hooks_path() {
    let t = repo();
    git(&t, &["config", "core.hooksPath", "githooks"]);
    keylint()
        .current_dir(t.path())
        .args(["hook", "install"])
        .assert()
        .success();
    assert!(t.path().join("githooks/pre-commit").exists());
}

/// A repository that is there but cannot be opened is not "no repository":
/// the files are still scanned, git's tracked-file check could not run, and
/// the run says so and exits 2 instead of a silent all-clear.
#[test]
fn a_broken_repository_is_an_error_not_an_all_clear() {
    let t = repo();
    t.write(".env", "APP_MODE=dev\n");
    git(&t, &["add", ".env"]);
    git(&t, &["commit", "-qm", "env"]);
    let clean = t.scan_json(&[]);
    assert_eq!(
        (clean.code, clean.findings.len()),
        (1, 1),
        "{}",
        clean.stderr
    );
    std::fs::write(t.path().join(".git/config"), "[core\n\tbare = ???\n").unwrap();
    let broken = t.scan_json(&[]);
    assert_eq!(broken.code, 2, "{}", broken.stderr);
    assert!(
        broken
            .stderr
            .contains("a git repository is here but cannot be opened"),
        "{}",
        broken.stderr
    );
    keylint()
        .current_dir(t.path())
        .env_remove("GIT_DIR")
        .args(["scan", "--staged"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be opened"));
}
