//! What a user sees, as snapshots (Nosey Parker's habit): exit status,
//! stdout and stderr of `--help` for every subcommand, `--explain`, a
//! history finding and the main error messages. A change to any of them
//! is a reviewed diff (`cargo insta review`, or `INSTA_UPDATE=always`).

mod common;
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

#[test]
fn help_of_every_subcommand() {
    let t = Tree::new();
    let d = t.path();
    snapshot!(help, d, ["--help"]);
    snapshot!(help_scan, d, ["scan", "--help"]);
    snapshot!(help_rules, d, ["rules", "--help"]);
    snapshot!(help_explain, d, ["explain", "--help"]);
    snapshot!(help_key, d, ["key", "--help"]);
    snapshot!(help_key_set, d, ["key", "set", "--help"]);
    snapshot!(help_key_get, d, ["key", "get", "--help"]);
    snapshot!(help_run, d, ["run", "--help"]);
    snapshot!(help_hook, d, ["hook", "--help"]);
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
