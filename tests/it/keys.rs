//! The key resolver: sources and precedence, the notices when sources
//! disagree, profiles, least privilege in `keylint run`, rotation and expiry
//! (on a clock the test sets through KEYLINT_NOW), the store's permissions,
//! locking and atomic writes, masking everywhere, and signals. HOME and
//! XDG_CONFIG_HOME point at temporary directories; the real ones are never
//! touched.

use crate::common;
use common::*;
use predicates::prelude::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    /// keylint in this home, on a fixed clock (a day after [`T0`]) unless
    /// the test sets KEYLINT_NOW itself.
    fn cmd(&self) -> assert_cmd::Command {
        let mut c = keylint();
        self.env(c.env_clear());
        c
    }
    /// The same environment for any command (`sh`, a raw `std` one).
    fn env<C: EnvSet>(&self, c: &mut C) {
        c.set("KEYLINT_NOW", "2026-01-02T00:00:00Z");
        c.set("PATH", &std::env::var("PATH").unwrap_or_default());
        c.set("HOME", self.path().to_str().unwrap());
        c.set("XDG_CONFIG_HOME", self.path().join("xdg").to_str().unwrap());
        c.cwd(self.path());
    }
    fn store(&self) -> PathBuf {
        self.path().join("xdg/keylint/keys.toml")
    }
    fn store_text(&self) -> String {
        std::fs::read_to_string(self.store()).unwrap()
    }
    /// `keylint key set PROVIDER` with the key on stdin, at time `now`.
    fn set(&self, provider: &str, key: &str, now: &str, extra: &[&str]) {
        self.cmd()
            .env("KEYLINT_NOW", now)
            .args(["key", "set", provider])
            .args(extra)
            .write_stdin(format!("{key}\n"))
            .assert()
            .success();
    }
    fn write_private(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p
    }
}

/// Lets `Home::env` configure both assert_cmd and std commands.
trait EnvSet {
    fn set(&mut self, k: &str, v: &str);
    fn cwd(&mut self, dir: &Path);
}
impl EnvSet for assert_cmd::Command {
    fn set(&mut self, k: &str, v: &str) {
        self.env(k, v);
    }
    fn cwd(&mut self, dir: &Path) {
        self.current_dir(dir);
    }
}
impl EnvSet for std::process::Command {
    fn set(&mut self, k: &str, v: &str) {
        self.env(k, v);
    }
    fn cwd(&mut self, dir: &Path) {
        self.current_dir(dir);
    }
}

fn muapi_key(seed: u64) -> String {
    format!("mu_{}", random_alnum(seed, 32))
}

fn modelslab_key(seed: u64) -> String {
    random_alnum(seed + 1000, 40)
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

const T0: &str = "2026-01-01T00:00:00Z";

#[test]
fn precedence_flag_env_store_provider_config() {
    let h = Home::new();
    let (flag, env, stored, file) = (muapi_key(1), muapi_key(2), muapi_key(3), muapi_key(4));
    h.write_private(
        ".muapi/config.json",
        &format!("{{\"api_key\": \"{file}\", \"region\": \"eu\"}}"),
    );
    let reveal = |extra: &[&str], env_key: Option<&str>| {
        let mut c = h.cmd();
        c.args(["key", "get", "muapi", "--reveal"]).args(extra);
        if let Some(k) = env_key {
            c.env("MUAPI_API_KEY", k);
        }
        stdout_of(&c.output().unwrap()).trim().to_string()
    };
    assert_eq!(reveal(&[], None), file, "the provider's own config file");
    h.set("muapi", &stored, T0, &[]);
    assert_eq!(
        reveal(&[], None),
        stored,
        "keylint's store beats the provider config"
    );
    assert_eq!(
        reveal(&[], Some(&env)),
        env,
        "the environment beats the store"
    );
    assert_eq!(
        reveal(&["--api-key", &flag], Some(&env)),
        flag,
        "the flag beats everything"
    );
}

#[test]
fn differing_sources_are_named_by_get_list_and_run() {
    let h = Home::new();
    let (env, stored) = (muapi_key(20), muapi_key(21));
    h.set("muapi", &stored, T0, &[]);
    let notice = format!(
        "muapi: using the key from $MUAPI_API_KEY ({}); keylint's store ~/xdg/keylint/keys.toml holds a different key ({})",
        mask(&env),
        mask(&stored)
    );
    h.cmd()
        .env("MUAPI_API_KEY", &env)
        .args(["key", "get", "muapi"])
        .assert()
        .success()
        .stderr(predicate::str::contains(notice.as_str()));
    h.cmd()
        .env("MUAPI_API_KEY", &env)
        .args(["key", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains(notice.as_str()));
    let out = h
        .cmd()
        .env("MUAPI_API_KEY", &env)
        .args(["run", "-p", "muapi", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(
        stderr_of(&out).matches(notice.as_str()).count(),
        1,
        "{}",
        stderr_of(&out)
    );
    // The same key in both: nothing to say.
    h.cmd()
        .env("MUAPI_API_KEY", &stored)
        .args(["key", "get", "muapi"])
        .assert()
        .success()
        .stderr("");
}

/// The redaction the scanner uses, restated: at most a quarter, 4 + 2.
fn mask(key: &str) -> String {
    let c: Vec<char> = key.chars().collect();
    let budget = c.len() / 4;
    let tail = (budget / 3).min(2);
    let head = (budget - tail).min(4);
    format!(
        "{}…{}",
        c[..head].iter().collect::<String>(),
        c[c.len() - tail..].iter().collect::<String>()
    )
}

#[test]
fn a_provider_file_newer_than_the_store_entry_says_how_to_pick_it() {
    let h = Home::new();
    let (stored, rotated) = (muapi_key(22), muapi_key(23));
    h.set("muapi", &stored, T0, &[]);
    // `muapi auth configure` rotated the key in its own file later.
    let cfg = h.write_private(
        ".muapi/config.json",
        &format!("{{\"api_key\": \"{rotated}\"}}"),
    );
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_772_323_200); // 2026-03-01
    std::fs::File::options()
        .write(true)
        .open(&cfg)
        .unwrap()
        .set_modified(when)
        .unwrap();
    h.cmd()
        .env("KEYLINT_NOW", "2026-03-02")
        .args(["key", "get", "muapi"])
        .assert()
        .success()
        .stdout(predicate::str::contains(mask(&stored)))
        .stderr(predicate::str::contains(
            "muapi: ~/.muapi/config.json changed on 2026-03-01, after keylint's store entry (2026-01-01), and holds a different key; if you rotated the key with the provider's tool, run `keylint key import muapi` to store it, or `keylint key rm muapi` to use the file",
        ));
    h.cmd()
        .args(["key", "import", "muapi"])
        .assert()
        .success()
        .stderr(predicate::str::contains("imported the key for muapi"));
    h.cmd()
        .args(["key", "get", "muapi", "--reveal"])
        .assert()
        .success()
        .stdout(format!("{rotated}\n"))
        .stderr("");
    assert!(
        !h.store_text().contains(&stored),
        "the old key left the store"
    );
}

#[test]
fn get_masks_and_names_the_source() {
    let h = Home::new();
    let key = muapi_key(5);
    h.cmd()
        .args(["key", "get", "muapi"])
        .env("MUAPI_API_KEY", &key)
        .assert()
        .success()
        .stdout(format!("muapi: {} (from $MUAPI_API_KEY)\n", mask(&key)));
    // A 16-character key shows 4 characters, as a finding would.
    let short = random_alnum(6, 16);
    h.cmd()
        .args(["key", "get", "modelslab"])
        .env("MODELSLAB_API_KEY", &short)
        .assert()
        .success()
        .stdout(format!(
            "modelslab: {}…{} (from $MODELSLAB_API_KEY)\n",
            &short[..3],
            &short[15..]
        ));
}

#[test]
fn missing_key_messages_name_every_place_looked_muapi() {
    let h = Home::new();
    h.cmd()
        .args(["key", "get", "muapi"])
        .assert()
        .code(2)
        .stderr(
            "keylint: error: No API key found for MuAPI. Looked in: --api-key, $MUAPI_API_KEY, \
             keylint's store ~/xdg/keylint/keys.toml, ~/.muapi/config.json (field \"api_key\"). \
             Run `muapi auth configure --api-key YOUR_KEY` (writes ~/.muapi/config.json) or \
             `keylint key set muapi`, or set MUAPI_API_KEY.\n",
        );
    let marker = h.path().join("started");
    h.cmd()
        .args(["run", "-p", "muapi", "--", "touch"])
        .arg(&marker)
        .assert()
        .code(2)
        .stderr(
            "keylint: error: No API key found for MuAPI. Looked in: $MUAPI_API_KEY, \
             keylint's store ~/xdg/keylint/keys.toml, ~/.muapi/config.json (field \"api_key\"). \
             Run `muapi auth configure --api-key YOUR_KEY` (writes ~/.muapi/config.json) or \
             `keylint key set muapi`, or set MUAPI_API_KEY.\n",
        );
    assert!(!marker.exists(), "the command must not start");
}

#[test]
fn missing_key_messages_name_every_place_looked_modelslab() {
    let h = Home::new();
    h.cmd()
        .args(["key", "get", "modelslab"])
        .assert()
        .code(2)
        .stderr(
            "keylint: error: No API key found for ModelsLab. Looked in: --api-key, \
             $MODELSLAB_API_KEY, $MODELSLAB_TOKEN, keylint's store ~/xdg/keylint/keys.toml, \
             ~/.config/modelslab/config.toml (field \"api_key\"), \
             ./.modelslab/config.toml (field \"api_key\"). \
             Run `keylint key set modelslab`, or set MODELSLAB_API_KEY.\n",
        );
    // A profile's key: the provider's files hold only the default one.
    h.cmd()
        .args(["key", "get", "modelslab", "--name", "staging"])
        .assert()
        .code(2)
        .stderr(
            "keylint: error: No API key named `staging` found for ModelsLab. Looked in: --api-key, \
             $MODELSLAB_API_KEY, $MODELSLAB_TOKEN, keylint's store ~/xdg/keylint/keys.toml (key `staging`). \
             Run `keylint key set modelslab --name staging`, or set MODELSLAB_API_KEY.\n",
        );
}

#[test]
fn providers_lists_ids_env_vars_and_config_files() {
    Home::new()
        .cmd()
        .args(["key", "providers"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "muapi (MuAPI)\n  environment:   MUAPI_API_KEY\n  config file:   ~/.muapi/config.json (field \"api_key\")\n  provider tool: muapi auth configure --api-key YOUR_KEY\n",
        ))
        .stdout(predicate::str::contains(
            "modelslab (ModelsLab)\n  environment:   MODELSLAB_API_KEY, MODELSLAB_TOKEN\n",
        ));
}

#[test]
fn store_is_private_atomic_and_keeps_other_entries() {
    let h = Home::new();
    let (a, b) = (muapi_key(6), muapi_key(7));
    h.set("muapi", &a, T0, &[]);
    h.cmd()
        .args(["key", "set", "modelslab", "--api-key", &b])
        .assert()
        .success()
        .stderr(predicate::str::contains("shell history"));
    let meta = std::fs::metadata(h.store()).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let dir_mode = std::fs::metadata(h.store().parent().unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o700);
    let text = h.store_text();
    assert!(text.contains(&a) && text.contains(&b));
    h.cmd().args(["key", "rm", "muapi"]).assert().success();
    let text = h.store_text();
    assert!(!text.contains(&a) && text.contains(&b));
}

#[test]
fn the_first_store_format_is_read_and_migrated_on_the_next_write() {
    let h = Home::new();
    let old = muapi_key(30);
    h.write_private(
        "xdg/keylint/keys.toml",
        &format!("[providers.muapi]\nkey = \"{old}\"\ncreated = 1767225600\n"),
    );
    h.cmd()
        .env("KEYLINT_NOW", "2026-01-11")
        .args(["key", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("10 days old"));
    h.set("modelslab", &modelslab_key(30), "2026-01-11", &[]);
    let text = h.store_text();
    assert!(
        text.contains("version = 2") && text.contains("[providers.muapi.keys.default]"),
        "{text}"
    );
    h.cmd()
        .args(["key", "get", "muapi", "--reveal"])
        .assert()
        .stdout(format!("{old}\n"));
}

#[test]
fn a_failed_write_leaves_the_old_store_intact() {
    // A file-size limit of 0 makes writing the new store fail (EFBIG) even
    // for root, where permission tricks would not.
    let h = Home::new();
    h.set("muapi", &muapi_key(11), T0, &[]);
    let before = h.store_text();
    let bin = assert_cmd::cargo::cargo_bin("keylint");
    let mut sh = assert_cmd::Command::new("sh");
    h.env(sh.env_clear());
    sh.env("NEW_KEY", muapi_key(12))
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 0; printf %s \"$NEW_KEY\" | exec \"$0\" key set muapi --force",
        ])
        .arg(&bin)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("keys.toml"));
    assert_eq!(h.store_text(), before);
    let leftovers: Vec<_> = std::fs::read_dir(h.store().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "keys.toml" && n != "keys.toml.lock")
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn temporary_files_a_killed_writer_left_are_removed() {
    let h = Home::new();
    h.set("muapi", &muapi_key(13), T0, &[]);
    let dir = h.store().parent().unwrap().to_path_buf();
    // What `kill -9` during a write leaves: the whole store in a temp file,
    // under this version's name and under earlier versions' name.
    let everything = h.store_text();
    for name in [".keys.toml.Xy12Ab.tmp", ".tmpQ7zV9x"] {
        std::fs::write(dir.join(name), &everything).unwrap();
    }
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    h.cmd().args(["key", "rm", "muapi"]).assert().success();
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["keys.toml", "keys.toml.lock", "notes.txt"]);
}

#[test]
fn concurrent_sets_lose_nothing() {
    let h = Home::new();
    let bin = assert_cmd::cargo::cargo_bin("keylint");
    const WRITERS: usize = 8;
    const ROUNDS: usize = 4;
    for round in 0..ROUNDS {
        let children: Vec<_> = (0..WRITERS)
            .map(|w| {
                let mut c = std::process::Command::new(&bin);
                h.env(c.env_clear());
                let name = format!("w{w}-r{round}");
                let key = muapi_key((round * WRITERS + w) as u64 + 100);
                c.args(["key", "set", "muapi", "--name", &name, "--api-key", &key])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
    }
    let text = h.store_text();
    for round in 0..ROUNDS {
        for w in 0..WRITERS {
            let key = muapi_key((round * WRITERS + w) as u64 + 100);
            assert!(
                text.contains(&format!("[providers.muapi.keys.w{w}-r{round}]"))
                    && text.contains(&key),
                "lost w{w}-r{round}"
            );
        }
    }
}

#[test]
fn an_existing_directory_keeps_its_mode() {
    let h = Home::new();
    let dir = h.path().join("xdg/keylint");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    let out = h
        .cmd()
        .args(["key", "set", "muapi", "--api-key", &muapi_key(14)])
        .output()
        .unwrap();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(
        mode, 0o500,
        "keylint chmod-ed the user's read-only directory"
    );
    // Root may write there anyway; anyone else gets the directory named.
    if !out.status.success() {
        assert!(
            stderr_of(&out).contains("xdg/keylint"),
            "{}",
            stderr_of(&out)
        );
    }
}

#[test]
fn a_symlinked_store_is_refused_by_name() {
    let h = Home::new();
    let real = h.write_private("dotfiles/keys.toml", "");
    std::fs::create_dir_all(h.store().parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, h.store()).unwrap();
    for args in [
        &["key", "set", "muapi", "--api-key", &muapi_key(15)][..],
        &["key", "get", "muapi"][..],
    ] {
        h.cmd()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "refusing to use ~/xdg/keylint/keys.toml: it is a symbolic link",
            ));
    }
    assert!(std::fs::symlink_metadata(h.store())
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "");
}

#[test]
fn a_relative_xdg_config_home_is_ignored() {
    let h = Home::new();
    h.cmd()
        .env("XDG_CONFIG_HOME", "relative-cfg")
        .args(["key", "set", "muapi", "--api-key", &muapi_key(16)])
        .assert()
        .success()
        .stderr(predicate::str::contains("~/.config/keylint/keys.toml"));
    assert!(h.path().join(".config/keylint/keys.toml").is_file());
    assert!(!h.path().join("relative-cfg").exists());
}

#[test]
fn a_store_readable_by_others_is_refused() {
    let h = Home::new();
    h.set("muapi", &muapi_key(8), T0, &[]);
    std::fs::set_permissions(h.store(), std::fs::Permissions::from_mode(0o644)).unwrap();
    h.cmd()
        .args(["key", "get", "muapi"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "mode 0644 lets other users read it; run: chmod 600",
        ));
}

#[test]
fn list_prints_a_store_error_once() {
    let h = Home::new();
    h.set("muapi", &muapi_key(17), T0, &[]);
    std::fs::set_permissions(h.store(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = h.cmd().args(["key", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert_eq!(err.matches("chmod 600").count(), 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_malformed_store_names_file_and_line_and_is_not_overwritten() {
    let h = Home::new();
    let bad = "[providers.muapi]\nkey = \"unterminated\n";
    h.write_private("xdg/keylint/keys.toml", bad);
    h.cmd()
        .args([
            "key",
            "set",
            "openai",
            "--force",
            "--api-key",
            "x-anything-long-enough",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("keys.toml:2"));
    assert_eq!(
        h.store_text(),
        bad,
        "a failed write leaves the old file as it was"
    );
}

#[test]
fn replacing_a_key_asks_first_or_needs_force() {
    let h = Home::new();
    let (good, other) = (modelslab_key(40), modelslab_key(41));
    h.set("modelslab", &good, T0, &[]);
    // Too short for any key: refused before anything is replaced.
    h.cmd()
        .args(["key", "set", "modelslab"])
        .write_stdin("short\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("5 characters long"));
    // A plausible key, piped (no terminal to ask on): refused, naming the
    // key it would replace, masked, and its age.
    h.cmd()
        .env("KEYLINT_NOW", "2026-01-04")
        .args(["key", "set", "modelslab"])
        .write_stdin(format!("{other}\n"))
        .assert()
        .code(2)
        .stderr(format!(
            "keylint: error: keylint's store already holds the key for modelslab ({}, set 3 days ago); replace it with `keylint key set modelslab --force`, or rotate it with `keylint key rotate modelslab`\n",
            mask(&good)
        ));
    assert!(h.store_text().contains(&good));
    // The same key again is no replacement.
    h.set("modelslab", &good, "2026-01-05", &[]);
    h.cmd()
        .env("KEYLINT_NOW", "2026-01-06")
        .args(["key", "set", "modelslab", "--force"])
        .write_stdin(format!("{other}\n"))
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "the old key ({}) is kept only as a fingerprint",
            mask(&good)
        )));
    let text = h.store_text();
    assert!(text.contains(&other) && !text.contains(&good));
}

#[test]
fn rotate_keeps_the_old_fingerprint_not_the_old_key() {
    let h = Home::new();
    let (old, new) = (muapi_key(50), muapi_key(51));
    h.cmd()
        .args(["key", "rotate", "muapi"])
        .write_stdin(format!("{new}\n"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds no the key for muapi to rotate").not())
        .stderr(predicate::str::contains(
            "store the first one with `keylint key set muapi`",
        ));
    h.set("muapi", &old, T0, &[]);
    h.write_private(".muapi/config.json", &format!("{{\"api_key\": \"{old}\"}}"));
    h.cmd()
        .env("KEYLINT_NOW", "2026-02-01")
        .args(["key", "rotate", "muapi"])
        .write_stdin(format!("{new}\n"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "it still works until you revoke it at https://muapi.ai",
        ))
        .stderr(predicate::str::contains(
            "~/.muapi/config.json still holds the old key; update it",
        ));
    let text = h.store_text();
    assert!(text.contains(&new) && !text.contains(&old), "{text}");
    assert!(text.contains("[[providers.muapi.history]]"), "{text}");
    assert!(
        text.contains("rotated = \"2026-02-01T00:00:00Z\""),
        "{text}"
    );
    assert!(
        text.contains("created = \"2026-01-01T00:00:00Z\""),
        "{text}"
    );
    // The same key again is not a rotation.
    h.cmd()
        .args(["key", "rotate", "muapi"])
        .write_stdin(format!("{new}\n"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is the one already stored"));
    let list = h.cmd().args(["key", "list"]).output().unwrap();
    assert!(!stdout_of(&list).contains(&old) && !stderr_of(&list).contains(&old));
}

#[test]
fn rotation_warnings_start_exactly_at_the_policy_age() {
    let h = Home::new();
    h.set("muapi", &muapi_key(60), T0, &[]);
    let due = "muapi: the key from keylint's store ~/xdg/keylint/keys.toml is 90 days old, past the 90-day rotation policy; create a new one at https://muapi.ai, then run `keylint key rotate muapi`";
    h.cmd()
        .env("KEYLINT_NOW", "2026-03-31T23:59:59Z")
        .args(["key", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("rotation policy").not());
    h.cmd()
        .env("KEYLINT_NOW", "2026-04-01T00:00:00Z")
        .args(["key", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains(due));
    h.cmd()
        .env("KEYLINT_NOW", "2026-04-01T00:00:00Z")
        .args(["key", "get", "muapi"])
        .assert()
        .success()
        .stderr(format!("keylint: warning: {due}\n"));
    let out = h
        .cmd()
        .env("KEYLINT_NOW", "2026-04-01T00:00:00Z")
        .args(["run", "-p", "muapi", "-p", "muapi", "--", "true"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        stderr_of(&out).matches("rotation policy").count(),
        1,
        "warned once"
    );
    // A project's policy for one provider.
    std::fs::write(
        h.path().join(".keylint.toml"),
        "[keys.providers.muapi]\nrotate_after_days = 30\n",
    )
    .unwrap();
    h.cmd()
        .env("KEYLINT_NOW", "2026-01-31T00:00:00Z")
        .args(["key", "get", "muapi"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "30 days old, past the 30-day rotation policy",
        ));
}

#[test]
fn expiry_is_recorded_announced_and_checked() {
    let h = Home::new();
    h.cmd()
        .env("KEYLINT_NOW", T0)
        .args(["key", "set", "muapi", "--expires", "2025-12-31"])
        .write_stdin(format!("{}\n", muapi_key(70)))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("that date has passed"));
    h.set("muapi", &muapi_key(70), T0, &["--expires", "2026-03-01"]);
    assert!(h.store_text().contains("expires = \"2026-03-01\""));
    let list = |now: &str| {
        stdout_of(
            &h.cmd()
                .env("KEYLINT_NOW", now)
                .args(["key", "list"])
                .output()
                .unwrap(),
        )
    };
    assert!(!list("2026-02-14T23:59:59Z").contains("warning"));
    assert!(list("2026-02-15T00:00:00Z")
        .contains("expires on 2026-03-01, in 14 days; create a new one at https://muapi.ai"));
    assert!(list("2026-03-01T00:00:00Z").contains("expired on 2026-03-01"));
}

#[test]
fn run_names_a_program_that_does_not_start_and_its_os_error() {
    let h = Home::new();
    h.cmd()
        .args(["run", "--all", "--", "keylint-no-such-program"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "error: cannot run `keylint-no-such-program`: No such file or directory",
        ));
}

#[test]
fn run_injects_only_the_providers_named() {
    let h = Home::new();
    let (mu, ml) = (muapi_key(80), modelslab_key(80));
    h.set("muapi", &mu, T0, &[]);
    h.set("modelslab", &ml, T0, &[]);
    let show = "echo \"mu=${MUAPI_API_KEY:-unset} ml=${MODELSLAB_API_KEY:-unset}\"";
    h.cmd()
        .args(["run", "--no-masking", "-p", "muapi", "--", "sh", "-c", show])
        .assert()
        .success()
        .stdout(format!("mu={mu} ml=unset\n"));
    h.cmd()
        .args(["run", "--no-masking", "--all", "--", "sh", "-c", show])
        .assert()
        .success()
        .stdout(format!("mu={mu} ml={ml}\n"));
    let marker = h.path().join("started");
    h.cmd()
        .args(["run", "--", "touch"])
        .arg(&marker)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "pass -p PROVIDER (repeatable), list them in .keylint.toml",
        ));
    assert!(!marker.exists());
    // The project lists what its commands need, and run says so.
    std::fs::write(
        h.path().join(".keylint.toml"),
        "[run]\nproviders = [\"modelslab\"]\n",
    )
    .unwrap();
    h.cmd()
        .args(["run", "--no-masking", "--", "sh", "-c", show])
        .assert()
        .success()
        .stdout(format!("mu=unset ml={ml}\n"))
        .stderr(predicate::str::contains("injecting modelslab (listed in"));
}

#[test]
fn profiles_select_named_keys() {
    let h = Home::new();
    let (dev, staging, ci) = (muapi_key(90), muapi_key(91), modelslab_key(92));
    h.set("muapi", &dev, T0, &[]);
    h.set("muapi", &staging, T0, &["--name", "staging"]);
    h.set("modelslab", &ci, T0, &["--profile", "ci"]);
    std::fs::write(
        h.path().join(".keylint.toml"),
        "[run]\nproviders = [\"muapi\"]\n[run.profiles.ci]\nproviders = [\"modelslab\"]\n",
    )
    .unwrap();
    let show = "echo \"mu=${MUAPI_API_KEY:-unset} ml=${MODELSLAB_API_KEY:-unset}\"";
    h.cmd()
        .args(["run", "--no-masking", "--", "sh", "-c", show])
        .assert()
        .success()
        .stdout(format!("mu={dev} ml=unset\n"));
    h.cmd()
        .args([
            "run",
            "--no-masking",
            "--profile",
            "staging",
            "--",
            "sh",
            "-c",
            show,
        ])
        .assert()
        .success()
        .stdout(format!("mu={staging} ml=unset\n"));
    h.cmd()
        .args([
            "run",
            "--no-masking",
            "--profile",
            "ci",
            "--",
            "sh",
            "-c",
            show,
        ])
        .assert()
        .success()
        .stdout(format!("mu=unset ml={ci}\n"));
    // A profile without a key of its own is an error, not the default key.
    h.cmd()
        .args([
            "run",
            "--profile",
            "production",
            "-p",
            "muapi",
            "--",
            "true",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "No API key named `production` found for MuAPI",
        ));
    h.cmd()
        .args(["key", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("in keylint's store as `staging`"))
        .stdout(predicate::str::contains(&staging).not());
}

#[test]
fn run_refuses_a_source_it_cannot_trust() {
    let h = Home::new();
    h.set("muapi", &muapi_key(95), T0, &[]);
    std::fs::set_permissions(h.store(), std::fs::Permissions::from_mode(0o640)).unwrap();
    let marker = h.path().join("started");
    for how in ["-p", "--all"] {
        let mut c = h.cmd();
        c.arg("run");
        if how == "-p" {
            c.args(["-p", "muapi"]);
        } else {
            c.arg("--all");
        }
        c.args(["--", "touch"])
            .arg(&marker)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "refusing to read ~/xdg/keylint/keys.toml: mode 0640",
            ));
        assert!(!marker.exists(), "{how}: the command must not start");
    }
    std::fs::set_permissions(h.store(), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(h.store(), "version = 2\n[providers.muapi.keys.default\n").unwrap();
    h.cmd()
        .args(["run", "--all", "--", "touch"])
        .arg(&marker)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("keys.toml:2"));
    assert!(!marker.exists());
}

#[test]
fn shape_placeholder_and_unknown_provider_errors() {
    let h = Home::new();
    h.cmd()
        .args(["key", "set", "openai"])
        .write_stdin("not-an-openai-key\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    h.cmd()
        .args(["key", "set", "openai", "--force"])
        .write_stdin("not-an-openai-key\n")
        .assert()
        .success();
    h.cmd()
        .args(["key", "set", "muapi"])
        .write_stdin("your_api_key_here\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("placeholder"));
    h.cmd()
        .args(["key", "get", "muapy"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `muapi`"));
}

#[test]
fn to_provider_config_writes_the_providers_file_keeping_its_fields() {
    let h = Home::new();
    let cfg = h.write_private(".muapi/config.json", "{\"region\": \"eu\"}");
    let key = muapi_key(9);
    h.cmd()
        .args(["key", "set", "muapi", "--to-provider-config"])
        .write_stdin(key.clone())
        .assert()
        .success();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    assert_eq!(v["api_key"], key.as_str());
    assert_eq!(v["region"], "eu");
    assert_eq!(
        std::fs::metadata(&cfg).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn list_shows_sources_and_warnings() {
    let h = Home::new();
    h.write_private(".muapi/config.json", "{\"api_key\": \"your_api_key_here\"}");
    h.cmd()
        .args(["key", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("muapi").and(predicate::str::contains("placeholder")));
}

#[test]
fn run_injects_keys_masks_output_and_passes_the_exit_status() {
    let h = Home::new();
    let key = muapi_key(10);
    h.set("muapi", &key, T0, &[]);
    let out = h
        .cmd()
        .args([
            "run",
            "-p",
            "muapi",
            "--",
            "sh",
            "-c",
            "echo \"out=$MUAPI_API_KEY\"; echo \"err=$MUAPI_API_KEY\" >&2; exit 7",
        ])
        .assert()
        .code(7)
        .get_output()
        .clone();
    assert_eq!(stdout_of(&out), format!("out={}\n", mask(&key)));
    assert_eq!(stderr_of(&out), format!("err={}\n", mask(&key)));
    // --no-masking passes output untouched; the key reaches the child.
    h.cmd()
        .args([
            "run",
            "-p",
            "muapi",
            "--no-masking",
            "--",
            "sh",
            "-c",
            "echo $MUAPI_API_KEY",
        ])
        .assert()
        .success()
        .stdout(format!("{key}\n"));
    // An environment variable already set wins unless --override.
    h.cmd()
        .env("MUAPI_API_KEY", "from-the-environment")
        .args([
            "run",
            "-p",
            "muapi",
            "--no-masking",
            "--",
            "sh",
            "-c",
            "echo $MUAPI_API_KEY",
        ])
        .assert()
        .stdout("from-the-environment\n");
}

/// Keys whose last character is their first, in every way a write can end
/// on one: the old masker printed them in full.
#[test]
fn keys_ending_a_write_are_masked_however_they_are_written() {
    let h = Home::new();
    let key = format!("Q{}Q", random_alnum(97, 30));
    h.set("muapi", &key, T0, &[]);
    let scripts = [
        "printf %s \"$MUAPI_API_KEY\"",
        "printf 'key: %s' \"$MUAPI_API_KEY\"; sleep 0.2; printf '\\n'",
        // One write per character.
        "k=$MUAPI_API_KEY; while [ -n \"$k\" ]; do r=${k#?}; printf %s \"${k%\"$r\"}\"; k=$r; done",
        // Split over two writes, no newline after it.
        "printf %s \"${MUAPI_API_KEY%????????????}\"; sleep 0.2; printf %s \"${MUAPI_API_KEY#????????????????????}\"",
        // The key twice, sharing its first and last character.
        "printf '%s%s' \"$MUAPI_API_KEY\" \"${MUAPI_API_KEY#Q}\"",
    ];
    for script in scripts {
        let out = h
            .cmd()
            .args(["run", "-p", "muapi", "--", "sh", "-c", script])
            .output()
            .unwrap();
        let text = stdout_of(&out);
        assert!(out.status.success(), "{script}: {}", stderr_of(&out));
        assert!(!text.contains(&key), "{script}: printed the key: {text}");
        assert!(text.contains(&mask(&key)), "{script}: {text}");
    }
    // A key straddling a read boundary: 16 KiB of filler, then the key.
    let out = h
        .cmd()
        .args([
            "run",
            "-p",
            "muapi",
            "--",
            "sh",
            "-c",
            "head -c 16380 /dev/zero | tr '\\0' x; printf %s \"$MUAPI_API_KEY\"",
        ])
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert!(!text.contains(&key) && text.ends_with(&mask(&key)));
}

#[test]
fn a_mistyped_flag_is_a_usage_error_not_a_command() {
    let h = Home::new();
    h.cmd()
        .args(["run", "--overide", "--", "env"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains("unknown flag `--overide`")
                .and(predicate::str::contains("did you mean `--override`?")),
        );
}

#[test]
fn nested_run_passes_through() {
    let h = Home::new();
    h.set("muapi", &muapi_key(11), T0, &[]);
    let bin = assert_cmd::cargo::cargo_bin("keylint");
    h.cmd()
        .args([
            "run",
            "-p",
            "muapi",
            "--",
            bin.to_str().unwrap(),
            "run",
            "--",
            "sh",
            "-c",
            "exit 3",
        ])
        .assert()
        .code(3);
}

/// Reads a pty master (or any fd) on a thread, so a test can wait for
/// output with a deadline instead of hanging.
fn reader(fd: std::fs::File) -> std::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut fd = fd;
        let mut buf = [0u8; 4096];
        while let Ok(n) = fd.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for(rx: &std::sync::mpsc::Receiver<Vec<u8>>, seen: &mut Vec<u8>, needle: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !String::from_utf8_lossy(seen).contains(needle) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(b) => seen.extend(b),
            Err(_) => panic!("no {needle:?} in {:?}", String::from_utf8_lossy(seen)),
        }
    }
}

fn wait_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("keylint run did not exit");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The shell the child runs: counts each signal into a file until the test
/// creates `stop`. A busy loop of builtins, so the shell runs its trap for
/// each signal as it arrives (one blocked in `wait` could merge two).
fn counting_child(dir: &Path, sig: &str) -> String {
    format!(
        "trap 'echo {sig} >> {log}' {sig}; echo ready; while [ ! -e {stop} ]; do :; done",
        log = dir.join("signals").display(),
        stop = dir.join("stop").display(),
    )
}

/// Lets the child run on for a moment (a second signal would arrive within
/// keylint's 10 ms poll), then stops it.
fn stop_child(dir: &Path) {
    std::thread::sleep(std::time::Duration::from_millis(500));
    std::fs::write(dir.join("stop"), "").unwrap();
}

#[test]
fn ctrl_c_at_a_terminal_reaches_the_child_once() {
    use std::os::unix::io::FromRawFd;
    use std::os::unix::process::CommandExt;
    let h = Home::new();
    h.set("muapi", &muapi_key(98), T0, &[]);
    let log = h.path().join("signals");
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty fills two descriptors this test then owns.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    let bin = assert_cmd::cargo::cargo_bin("keylint");
    let mut cmd = std::process::Command::new(&bin);
    h.env(cmd.env_clear());
    cmd.args([
        "run",
        "-p",
        "muapi",
        "--",
        "sh",
        "-c",
        &counting_child(h.path(), "INT"),
    ]);
    // SAFETY: dup'd descriptors of the pty slave become keylint's stdio.
    unsafe {
        cmd.stdin(std::process::Stdio::from_raw_fd(libc::dup(slave)))
            .stdout(std::process::Stdio::from_raw_fd(libc::dup(slave)))
            .stderr(std::process::Stdio::from_raw_fd(libc::dup(slave)))
            // A session of its own with the pty as controlling terminal:
            // keylint's group is then the terminal's foreground group.
            .pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
    }
    let mut child = cmd.spawn().unwrap();
    // SAFETY: closing our copy of the slave; keylint holds its own.
    unsafe { libc::close(slave) };
    // SAFETY: the master descriptor is ours alone from here on.
    let master = unsafe { std::fs::File::from_raw_fd(master) };
    let mut writer = master.try_clone().unwrap();
    let rx = reader(master);
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "ready");
    std::io::Write::write_all(&mut writer, b"\x03").unwrap();
    stop_child(h.path());
    let status = wait_exit(&mut child);
    assert!(
        status.success(),
        "{status:?}: {}",
        String::from_utf8_lossy(&seen)
    );
    let got = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(
        got,
        "INT\n",
        "the child saw Ctrl-C {} times",
        got.lines().count()
    );
}

#[test]
fn a_signal_sent_to_keylint_is_forwarded_once() {
    let h = Home::new();
    h.set("muapi", &muapi_key(99), T0, &[]);
    let log = h.path().join("signals");
    let bin = assert_cmd::cargo::cargo_bin("keylint");
    let mut cmd = std::process::Command::new(&bin);
    h.env(cmd.env_clear());
    let mut child = cmd
        .args([
            "run",
            "-p",
            "muapi",
            "--",
            "sh",
            "-c",
            &counting_child(h.path(), "TERM"),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let rx = reader(std::fs::File::from(std::os::fd::OwnedFd::from(
        child.stdout.take().unwrap(),
    )));
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "ready");
    // SAFETY: signalling the keylint process this test started.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    stop_child(h.path());
    let status = wait_exit(&mut child);
    assert!(status.success(), "{status:?}");
    assert_eq!(std::fs::read_to_string(&log).unwrap_or_default(), "TERM\n");
}
