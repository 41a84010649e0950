//! Helpers shared by the integration tests: a temp tree, the real binary, and
//! fake keys built at run time (so test sources hold no key-shaped literal
//! and keylint's scan of its own repository stays clean).
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub fn keylint() -> Command {
    let mut cmd = Command::cargo_bin("keylint").expect("binary built");
    cmd.env_remove("NO_COLOR").env("TERM", "dumb");
    cmd
}

pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Self {
        Tree {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, contents).unwrap();
        p
    }
    /// `keylint scan .` run inside the tree, git awareness off.
    pub fn scan(&self) -> Command {
        let mut c = keylint();
        c.current_dir(self.path()).args(["scan", "--no-git"]);
        c
    }

    /// A new repository on `main` with one clean commit.
    pub fn repo() -> Self {
        let t = Tree::new();
        t.git(&["init", "-q", "-b", "main"]);
        t.write("app.py", "print('hello')\n");
        t.git(&["add", "."]);
        t.git(&["commit", "-qm", "init"]);
        t
    }

    /// Runs git in the tree with a fixed identity; panics on failure.
    pub fn git(&self, args: &[&str]) {
        let out = std::process::Command::new("git")
            .current_dir(self.path())
            .args(args)
            .env("GIT_AUTHOR_NAME", "Ada")
            .env("GIT_AUTHOR_EMAIL", "ada@example.org")
            .env("GIT_COMMITTER_NAME", "Ada")
            .env("GIT_COMMITTER_EMAIL", "ada@example.org")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `keylint scan ARGS --format json --no-summary` in the tree (git awareness as
    /// the args say): its findings, exit code and stderr.
    pub fn scan_json(&self, args: &[&str]) -> Scan {
        let out = keylint()
            .current_dir(self.path())
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_DIR")
            .env_remove("KEYLINT_VERIFY_HOSTS")
            .arg("scan")
            .args(args)
            .args(["--format", "json", "--no-summary"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("no JSON report ({e}): {stderr}"));
        Scan {
            findings: doc["findings"].as_array().cloned().unwrap_or_default(),
            summary: doc["summary"].clone(),
            code: out.status.code().unwrap_or(-1),
            stderr,
        }
    }
}

/// What a JSON scan produced.
pub struct Scan {
    pub findings: Vec<serde_json::Value>,
    pub summary: serde_json::Value,
    pub code: i32,
    pub stderr: String,
}

impl Scan {
    /// The path of each finding.
    pub fn paths(&self) -> Vec<&str> {
        self.findings
            .iter()
            .map(|f| f["path"].as_str().unwrap_or(""))
            .collect()
    }
    /// `path:line` of each finding.
    pub fn places(&self) -> Vec<String> {
        self.findings
            .iter()
            .map(|f| format!("{}:{}", f["path"].as_str().unwrap_or(""), f["line"]))
            .collect()
    }
}

/// Deterministic pseudo-random alphanumerics (xorshift), so fakes look random
/// to the entropy and placeholder checks but are the same on every run.
pub fn random_alnum(seed: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALPHABET[(x % ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

/// A fake OpenAI project key: the right shape, never a real key.
pub fn fake_openai_key(seed: u64) -> String {
    format!(
        "sk-proj-{}{}{}",
        random_alnum(seed, 74),
        ["T3Blbk", "FJ"].concat(),
        random_alnum(seed + 1, 74)
    )
}
