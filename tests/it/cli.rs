//! What a user sees, as snapshots (Nosey Parker's habit): exit status,
//! stdout and stderr of `--help` for every subcommand, `--explain`, a
//! history finding and the main error messages. A change to any of them
//! is a reviewed diff (`cargo insta review`, or `INSTA_UPDATE=always`).

use crate::common;
use common::*;

/// `status`, stdout and stderr of keylint run in `dir` with `args`, with
/// what varies between runs (temp paths, timings) replaced by placeholders.
fn transcript(dir: &std::path::Path, args: &[&str]) -> String {
    let out = keylint()
        .current_dir(dir)
        .env("COLUMNS", "100")
        .args(args)
        .output()
        .unwrap();
    let tidy = |b: &[u8]| {
        let s = String::from_utf8_lossy(b).replace(&dir.display().to_string(), "[TMP]");
        let mut out = String::new();
        for line in s.lines() {
            // `… in 0.01s` on summary lines.
            let line = match line.rfind(" in ") {
                Some(i) if line[i + 4..].ends_with('s') && line.starts_with("keylint: ") => {
                    let rest = &line[i + 4..];
                    let end = rest.find('s').unwrap_or(rest.len());
                    format!("{} in [TIME]{}", &line[..i], &rest[end + 1..])
                }
                _ => line.to_string(),
            };
            out.push_str(&line);
            out.push('\n');
        }
        out
    };
    format!(
        "status: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        tidy(&out.stdout),
        tidy(&out.stderr)
    )
}

macro_rules! snapshot {
    ($name:ident, $dir:expr, [$($arg:expr),* $(,)?]) => {
        insta::assert_snapshot!(stringify!($name), transcript($dir, &[$($arg),*]));
    };
}

/// The subcommands a `--help` lists under "Commands:".
fn subcommands(dir: &std::path::Path, path: &[String]) -> Vec<String> {
    let out = keylint()
        .current_dir(dir)
        .args(path)
        .arg("--help")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // Wrapped descriptions are indented further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .filter(|c| c != "help")
        .collect()
}

#[test]
fn help_of_every_subcommand() {
    // Walked from the top `--help`, so a new subcommand gets a snapshot.
    let t = Tree::new();
    let mut pending: Vec<Vec<String>> = vec![Vec::new()];
    let mut seen = 0;
    while let Some(path) = pending.pop() {
        let name = std::iter::once("help".to_string())
            .chain(path.iter().map(|p| p.replace('-', "_")))
            .collect::<Vec<_>>()
            .join("_");
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        insta::assert_snapshot!(name, transcript(t.path(), &args));
        seen += 1;
        for sub in subcommands(t.path(), &path) {
            let mut next = path.clone();
            next.push(sub);
            pending.push(next);
        }
    }
    assert!(seen > 20, "only {seen} help screens found");
}

#[test]
fn explain_shows_every_verdict() {
    let t = Tree::new();
    t.write(
        "settings.py",
        format!(
            "OPENAI_API_KEY = \"{}\"\nDB_PASSWORD = \"changeme\"\nAPI_TOKEN = os.environ['TOKEN']\nSECRET = \"{}\"  # keylint:allow\n",
            fake_openai_key(31),
            fake_openai_key(32)
        ),
    );
    snapshot!(explain_file, t.path(), ["explain", "settings.py"]);
    snapshot!(explain_line, t.path(), ["explain", "settings.py:2"]);
}

#[test]
fn a_history_finding() {
    let t = Tree::repo();
    t.write(
        "deploy.env",
        format!("OPENAI_API_KEY={}\n", fake_openai_key(33)),
    );
    t.git(&["add", "."]);
    t.git(&["commit", "-qm", "add deploy settings"]);
    t.write("deploy.env", "OPENAI_API_KEY=${OPENAI_API_KEY}\n");
    t.git(&["commit", "-qam", "read the key from the environment"]);
    let out = transcript(t.path(), &["scan", "--history", "--no-git"]);
    // Commit ids and dates differ per run.
    let out: String = out
        .lines()
        .map(|l| match l.find(" commit ") {
            Some(i) => format!("{} commit [ID] by Ada <ada@example.org> on [DATE]", &l[..i]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("history_finding", out);
}

#[test]
fn main_error_messages() {
    let t = Tree::new();
    let d = t.path();
    t.write("a.txt", "x\n");
    snapshot!(error_missing_path, d, ["scan", "no-such-dir"]);
    snapshot!(error_bad_flag, d, ["scan", "--no-such-flag"]);
    snapshot!(error_bad_size, d, ["scan", "--max-file-size", "ten"]);
    snapshot!(error_history_outside_git, d, ["scan", "--history"]);
    snapshot!(error_missing_config, d, ["scan", "--config", "nope.toml"]);
    t.write(".keylint.toml", "[allow]\ncolour = \"red\"\n");
    snapshot!(error_bad_config, d, ["scan"]);
    std::fs::remove_file(d.join(".keylint.toml")).unwrap();
    let r = Tree::repo();
    snapshot!(error_bad_range, r.path(), ["scan", "--range", "main"]);
    snapshot!(
        error_unknown_revision,
        r.path(),
        ["scan", "--range", "nope..HEAD"]
    );
}

#[test]
fn quiet_prints_nothing_and_no_summary_keeps_the_report() {
    let t = Tree::new();
    t.write("app.py", format!("KEY = \"{}\"\n", fake_openai_key(501)));
    t.write("big.bin", b"\0binary".repeat(10));
    let out = t.scan().arg("-q").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "the exit code still tells");
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    // -q with -o still writes the report it was asked for.
    let out = t
        .scan()
        .args(["-q", "--format", "json", "-o", "r.json"])
        .output()
        .unwrap();
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    assert!(std::fs::read_to_string(t.path().join("r.json"))
        .unwrap()
        .contains("app.py"));
    let out = t.scan().arg("--no-summary").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("app.py:1:"));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("finding"),
        "no summary line"
    );
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line_definitions() {
    let t = Tree::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = keylint().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("--fail-on"), "{shell} completes scan's flags");
    }
    keylint().args(["completions", "tcsh"]).assert().code(2);
    let out = keylint().current_dir(t.path()).arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH keylint 1"), "{page}");
    assert!(page.contains("completions"), "lists the subcommands");
    // One page per subcommand, for the release archives.
    let out = keylint().args(["man", "scan"]).output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH keylint-scan 1"), "{page}");
    assert!(page.contains("fail\\-on"), "scan's flags are on its page");
    keylint().args(["man", "nope"]).assert().code(2);
}

#[test]
fn explain_judges_two_secrets_of_one_rule_on_one_line_apart() {
    // Verdicts belong to candidates, not to (rule, line): both keys show.
    let t = Tree::new();
    let (a, b) = (fake_openai_key(701), fake_openai_key(702));
    t.write("pair.py", format!("PAIR = \"{a}\" + \"{b}\"\n"));
    let out = keylint()
        .current_dir(t.path())
        .args(["explain", "pair.py", "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reported: Vec<(u64, u64)> = doc
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["rule_id"] == "openai-api-key" && v["outcome"] == "reported")
        .map(|v| (v["line"].as_u64().unwrap(), v["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(reported.len(), 2, "{doc}");
    assert_ne!(reported[0], reported[1], "{doc}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(&a) && !text.contains(&b));
}

#[test]
fn explain_prints_json_when_asked() {
    let t = Tree::new();
    t.write(
        "settings.py",
        format!(
            "OPENAI_API_KEY = \"{}\"\nDB_PASSWORD = \"changeme\"\n",
            fake_openai_key(502)
        ),
    );
    for args in [
        &["scan", "--no-git", "--explain", "--format", "json"][..],
        &["explain", "settings.py", "--format", "json"][..],
    ] {
        let out = keylint().current_dir(t.path()).args(args).output().unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e})"));
        let outcomes: Vec<(&str, &str)> = doc
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["rule_id"].as_str().unwrap(),
                    v["outcome"].as_str().unwrap(),
                )
            })
            .collect();
        assert!(
            outcomes.contains(&("openai-api-key", "reported")),
            "{args:?}: {outcomes:?}"
        );
        assert!(
            outcomes.iter().any(|(_, o)| *o == "dropped"),
            "{args:?}: {outcomes:?}"
        );
        assert!(!String::from_utf8_lossy(&out.stdout).contains(&fake_openai_key(502)));
    }
}

#[cfg(unix)]
#[test]
fn output_keeps_an_existing_files_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tree::new();
    t.write("app.py", format!("KEY = \"{}\"\n", fake_openai_key(503)));
    let report = t.write("report.sarif", "old");
    std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o640)).unwrap();
    t.scan()
        .args(["--format", "sarif", "-o", "report.sarif"])
        .assert()
        .code(1);
    let meta = std::fs::metadata(&report).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert!(std::fs::read_to_string(&report)
        .unwrap()
        .contains("openai-api-key"));
    // A new report is readable like any file the user creates (not 0600).
    t.scan()
        .args(["--format", "json", "-o", "new.json"])
        .assert()
        .code(1);
    let mode = std::fs::metadata(t.path().join("new.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_ne!(mode & 0o777, 0o600, "{mode:o}");
}

/// A scan reading a pipe that stays open for 1.5 s: long enough for the
/// progress line, with stderr a terminal (`script` gives it one) or a pipe.
#[cfg(unix)]
#[test]
fn progress_shows_on_a_terminal_only() {
    let bin = assert_cmd::cargo::cargo_bin("keylint");
    let slow = format!(
        "(sleep 1.5; echo hello) | '{}' scan --no-git --no-summary -",
        bin.display()
    );
    let piped = std::process::Command::new("sh")
        .args(["-c", &slow])
        .env("TERM", "xterm")
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("scanning"));
    let Ok(tty) = std::process::Command::new("script")
        .args(["-qec", &slow, "/dev/null"])
        .env("TERM", "xterm")
        .output()
    else {
        panic!("`script` (util-linux) is needed to give keylint a terminal");
    };
    let text = String::from_utf8_lossy(&tty.stdout);
    assert!(text.contains("keylint: scanning: "), "{text:?}");
    assert!(
        text.contains("\x1b[2K"),
        "the line is cleared at the end: {text:?}"
    );
    // In a hook, never.
    let hook = format!(
        "cd '{}' && (sleep 1.5; echo hello) | '{}' hook run --no-git -",
        std::env::temp_dir().display(),
        bin.display()
    );
    let tty = std::process::Command::new("script")
        .args(["-qec", &hook, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&tty.stdout).contains("scanning"));
}

#[test]
fn rules_check_checks_the_rules_of_the_config_it_is_given() {
    let t = Tree::new();
    let rule = |example: &str| {
        format!(
            r#"[[rules]]
id = "acme-internal-token"
description = "ACME token"
regex = '''\b(acme_tok_[A-Za-z0-9]{{16}})\b'''
keywords = ["acme_tok_"]
help = "Rotate it."
examples = [{{ input = "t = {example}", secret = "{example}" }}]
"#
        )
    };
    // The first example is one character short of what the regex wants.
    t.write("bad.toml", rule("acme_tok_Q7zV9xK2mL4pR8w"));
    t.write("good.toml", rule("acme_tok_Q7zV9xK2mL4pR8wT"));
    keylint()
        .current_dir(t.path())
        .args(["rules", "check", "--config", "bad.toml"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("acme-internal-token"));
    keylint()
        .current_dir(t.path())
        .args(["rules", "check", "--config", "good.toml"])
        .assert()
        .code(0);
}
