//! `keylint hook run` as pre-commit and git call it: named files are
//! scanned whole (`pre-commit run --all-files`, `--files X`), a commit
//! scans what it adds, a push what it pushes; only errors block by
//! default; a blocked push says how to get out.

use crate::common;
use common::*;

/// `keylint hook run ARGS` in the tree, with the environment a hook gets:
/// `index` set means "inside `git commit`" (git sets GIT_INDEX_FILE for
/// its hooks), `refs` is pre-commit's pre-push range.
fn hook(t: &Tree, args: &[&str], index: bool, refs: Option<(&str, &str)>) -> (i32, String, String) {
    let mut cmd = keylint();
    cmd.current_dir(t.path())
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_DIR")
        .env_remove("PRE_COMMIT_FROM_REF")
        .env_remove("PRE_COMMIT_TO_REF")
        .args(["hook", "run"])
        .args(args);
    if index {
        cmd.env("GIT_INDEX_FILE", t.path().join(".git/index"));
    }
    if let Some((from, to)) = refs {
        cmd.env("PRE_COMMIT_FROM_REF", from)
            .env("PRE_COMMIT_TO_REF", to);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rev(t: &Tree, what: &str) -> String {
    let out = std::process::Command::new("git")
        .current_dir(t.path())
        .args(["rev-parse", what])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A repository whose second commit holds a key in `settings.py`.
fn repo_with_committed_key() -> Tree {
    let t = Tree::repo();
    t.write(
        "settings.py",
        format!(
            "DEBUG = True\nOPENAI_API_KEY = \"{}\"\n",
            fake_openai_key(401)
        ),
    );
    t.git(&["add", "."]);
    t.git(&["commit", "-qm", "settings"]);
    t
}

#[test]
fn named_files_are_scanned_whole_as_pre_commit_run_all_files_expects() {
    let t = repo_with_committed_key();
    // What `pre-commit run --all-files` runs: every tracked file named,
    // nothing staged. The committed key is reported.
    let (code, stdout, _) = hook(&t, &["app.py", "settings.py"], false, None);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("settings.py:2:"), "{stdout}");
    // `--files app.py`: only that file.
    let (code, stdout, _) = hook(&t, &["app.py"], false, None);
    assert_eq!(code, 0, "{stdout}");
    // No file named: the staged change, which is empty.
    let (code, stdout, _) = hook(&t, &[], false, None);
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn in_a_commit_only_added_lines_of_the_named_files_count() {
    let t = repo_with_committed_key();
    // Touch the file holding the old key elsewhere, and stage a new key in
    // another file.
    t.write(
        "settings.py",
        format!(
            "DEBUG = False\nOPENAI_API_KEY = \"{}\"\n",
            fake_openai_key(401)
        ),
    );
    t.write("new.py", format!("KEY = \"{}\"\n", fake_openai_key(402)));
    t.git(&["add", "."]);
    let (code, stdout, stderr) = hook(&t, &["settings.py"], true, None);
    assert_eq!(
        code, 0,
        "the old key is not added by this commit: {stdout}{stderr}"
    );
    let (code, stdout, stderr) = hook(&t, &["settings.py", "new.py"], true, None);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("new.py:1:"), "{stdout}");
    assert!(!stdout.contains("settings.py"), "{stdout}");
    assert!(stderr.contains("commit blocked"), "{stderr}");
}

#[test]
fn a_rename_adds_no_line_and_does_not_block() {
    let t = repo_with_committed_key();
    t.git(&["mv", "settings.py", "config.py"]);
    let (code, stdout, stderr) = hook(&t, &[], true, None);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, stderr) = hook(&t, &["config.py"], true, None);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // Scanned whole (`pre-commit run --files config.py`), the key is there.
    let (code, _, _) = hook(&t, &["config.py"], false, None);
    assert_eq!(code, 1);
}

#[test]
fn a_tracked_env_of_settings_warns_and_one_with_a_credential_blocks() {
    let t = Tree::repo();
    t.write(".env", "DEBUG=1\nLOG_LEVEL=info\n");
    t.git(&["add", "."]);
    t.git(&["commit", "-qm", "settings"]);
    let (code, stdout, stderr) = hook(&t, &[".env"], false, None);
    assert_eq!(code, 0, "a warning does not block: {stdout}{stderr}");
    assert!(
        stdout.contains("warning[tracked-credential-file]"),
        "{stdout}"
    );
    assert!(
        stderr.contains("below --fail-on error: not blocking"),
        "{stderr}"
    );
    let (code, _, _) = hook(&t, &["--fail-on", "warning", ".env"], false, None);
    assert_eq!(code, 1, "--fail-on warning blocks on warnings too");
    // `keylint scan` itself fails on any finding unless told otherwise.
    let scan = t.scan_json(&[".env"]);
    assert_eq!(scan.code, 1);
    let scan = t.scan_json(&[".env", "--fail-on", "error"]);
    assert_eq!(scan.code, 0);

    t.write(
        ".env",
        format!("DEBUG=1\nDB_PASSWORD={}\n", random_alnum(403, 20)),
    );
    t.git(&["commit", "-qam", "a password"]);
    let (code, stdout, _) = hook(&t, &[".env"], false, None);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("error[tracked-credential-file]"),
        "{stdout}"
    );
}

#[test]
fn a_blocked_push_says_how_to_rewrite_and_rotate() {
    let t = Tree::repo();
    let base = rev(&t, "HEAD");
    t.write(
        "deploy.py",
        format!("TOKEN = \"{}\"\n", fake_openai_key(404)),
    );
    t.git(&["add", "."]);
    t.git(&["commit", "-qm", "deploy script"]);
    t.write("README.md", "docs\n");
    t.git(&["add", "."]);
    t.git(&["commit", "-qm", "docs"]);
    let head = rev(&t, "HEAD");
    let added = rev(&t, "HEAD~1");
    // pre-commit passes the pushed files too; the range is what counts.
    let (code, stdout, stderr) = hook(&t, &["README.md"], false, Some((&base, &head)));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("deploy.py:1:"), "{stdout}");
    assert!(stderr.contains("push blocked"), "{stderr}");
    assert!(stderr.contains("rotate the key"), "{stderr}");
    assert!(
        stderr.contains(&format!("git rebase -i {}~1", &added[..12])),
        "{stderr}"
    );
    assert!(stderr.contains("git commit --amend"), "{stderr}");
    assert!(
        stderr.contains("deploy script"),
        "names the commit: {stderr}"
    );
    // A push of a clean range passes.
    let (code, _, stderr) = hook(&t, &[], false, Some((&added, &head)));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn committing_an_env_blocks_only_when_it_holds_a_credential() {
    let t = Tree::repo();
    t.write(".env", "DEBUG=1\n");
    t.git(&["add", ".env"]);
    let (code, stdout, stderr) = hook(&t, &[".env"], true, None);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("warning[tracked-credential-file]"),
        "{stdout}"
    );
    t.write(
        ".env",
        format!("DEBUG=1\nAPI_SECRET={}\n", random_alnum(405, 24)),
    );
    t.git(&["add", ".env"]);
    let (code, stdout, stderr) = hook(&t, &[".env"], true, None);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("error[tracked-credential-file]"),
        "{stdout}"
    );
    assert!(stderr.contains("commit blocked"), "{stderr}");
}
