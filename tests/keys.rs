//! The key resolver: sources and precedence, the store's permissions and
//! atomic writes, masking everywhere, and `keylint run`. HOME and
//! XDG_CONFIG_HOME point at temporary directories; the real ones are never
//! touched.

mod common;
use common::*;
use predicates::prelude::*;
use std::os::unix::fs::PermissionsExt;

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn cmd(&self) -> assert_cmd::Command {
        let mut c = keylint();
        c.env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env_remove("OPENAI_API_KEY")
            .env_remove("MUAPI_API_KEY")
            .env_remove("KEYLINT_RUN")
            .current_dir(self.dir.path());
        c
    }
    fn store(&self) -> std::path::PathBuf {
        self.dir.path().join("xdg/keylint/keys.toml")
    }
}

fn muapi_key(seed: u64) -> String {
    format!("mu_{}", random_alnum(seed, 32))
}

#[test]
fn precedence_flag_env_store_provider_config() {
    let h = Home::new();
    let (flag, env, stored, file) = (muapi_key(1), muapi_key(2), muapi_key(3), muapi_key(4));
    std::fs::create_dir_all(h.dir.path().join(".muapi")).unwrap();
    let cfg = h.dir.path().join(".muapi/config.json");
    std::fs::write(
        &cfg,
        format!("{{\"api_key\": \"{file}\", \"region\": \"eu\"}}"),
    )
    .unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    let reveal = |h: &Home, extra: &[&str], env_key: Option<&str>| {
        let mut c = h.cmd();
        c.args(["key", "get", "muapi", "--reveal"]).args(extra);
        if let Some(k) = env_key {
            c.env("MUAPI_API_KEY", k);
        }
        String::from_utf8(c.output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string()
    };
    assert_eq!(
        reveal(&h, &[], None),
        file,
        "the provider's own config file"
    );
    h.cmd()
        .args(["key", "set", "muapi"])
        .write_stdin(format!("{stored}\n"))
        .assert()
        .success();
    assert_eq!(
        reveal(&h, &[], None),
        stored,
        "keylint's store beats the provider config"
    );
    assert_eq!(
        reveal(&h, &[], Some(&env)),
        env,
        "the environment beats the store"
    );
    assert_eq!(
        reveal(&h, &["--api-key", &flag], Some(&env)),
        flag,
        "the flag beats everything"
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
        .stdout(
            predicate::str::contains("from $MUAPI_API_KEY")
                .and(predicate::str::contains(key.as_str()).not()),
        )
        .stdout(predicate::str::contains(format!("{}…", &key[..4])));
}

#[test]
fn store_is_private_atomic_and_keeps_other_entries() {
    let h = Home::new();
    let (a, b) = (muapi_key(6), muapi_key(7));
    h.cmd()
        .args(["key", "set", "muapi"])
        .write_stdin(a.clone())
        .assert()
        .success();
    h.cmd()
        .args(["key", "set", "modelslab", "--api-key", &b])
        .assert()
        .success()
        .stderr(predicate::str::contains("shell history"));
    let meta = std::fs::metadata(h.store()).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::metadata(h.store().parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    let text = std::fs::read_to_string(h.store()).unwrap();
    assert!(text.contains(&a) && text.contains(&b));
    h.cmd().args(["key", "rm", "muapi"]).assert().success();
    let text = std::fs::read_to_string(h.store()).unwrap();
    assert!(!text.contains(&a) && text.contains(&b));
}

#[test]
fn a_failed_write_leaves_the_old_store_intact() {
    // A file-size limit of 0 makes writing the new store fail (EFBIG) even
    // for root, where permission tricks would not.
    let h = Home::new();
    let old = muapi_key(11);
    h.cmd()
        .args(["key", "set", "muapi"])
        .write_stdin(old.clone())
        .assert()
        .success();
    let before = std::fs::read_to_string(h.store()).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("keylint");
    let mut sh = assert_cmd::Command::new("sh");
    sh.env("HOME", h.dir.path())
        .env("XDG_CONFIG_HOME", h.dir.path().join("xdg"))
        .env_remove("MUAPI_API_KEY")
        .env("NEW_KEY", muapi_key(12))
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 0; printf %s \"$NEW_KEY\" | exec \"$0\" key set muapi",
        ])
        .arg(&bin)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("keys.toml"));
    assert_eq!(std::fs::read_to_string(h.store()).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(h.store().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "keys.toml")
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn a_store_readable_by_others_is_refused() {
    let h = Home::new();
    h.cmd()
        .args(["key", "set", "muapi"])
        .write_stdin(muapi_key(8))
        .assert()
        .success();
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
fn a_malformed_store_names_file_and_line_and_is_not_overwritten() {
    let h = Home::new();
    std::fs::create_dir_all(h.store().parent().unwrap()).unwrap();
    std::fs::write(h.store(), "[providers.muapi]\nkey = \"unterminated\n").unwrap();
    std::fs::set_permissions(h.store(), std::fs::Permissions::from_mode(0o600)).unwrap();
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
        std::fs::read_to_string(h.store()).unwrap(),
        "[providers.muapi]\nkey = \"unterminated\n",
        "a failed write leaves the old file as it was"
    );
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
    h.cmd()
        .args(["key", "get", "muapi"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "No API key found for muapi. Pass --api-key, set MUAPI_API_KEY, or run: keylint key set muapi",
        ));
}

#[test]
fn to_provider_config_writes_the_providers_file_keeping_its_fields() {
    let h = Home::new();
    let cfg = h.dir.path().join(".muapi/config.json");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, "{\"region\": \"eu\"}").unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
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
    let cfg = h.dir.path().join(".muapi/config.json");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, "{\"api_key\": \"your_api_key_here\"}").unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
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
    h.cmd()
        .args(["key", "set", "muapi"])
        .write_stdin(key.clone())
        .assert()
        .success();
    let out = h
        .cmd()
        .args([
            "run",
            "--",
            "sh",
            "-c",
            "echo \"out=$MUAPI_API_KEY\"; echo \"err=$MUAPI_API_KEY\" >&2; exit 7",
        ])
        .assert()
        .code(7)
        .get_output()
        .clone();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(
        stdout.starts_with("out=mu_") && stdout.contains('…'),
        "{stdout}"
    );
    assert!(!stdout.contains(&key) && !stderr.contains(&key));
    // --no-masking passes output untouched; the key reaches the child.
    h.cmd()
        .args([
            "run",
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
            "--no-masking",
            "--",
            "sh",
            "-c",
            "echo $MUAPI_API_KEY",
        ])
        .assert()
        .stdout("from-the-environment\n");
}

#[test]
fn run_fails_before_starting_when_a_named_provider_does_not_resolve() {
    let h = Home::new();
    let marker = h.dir.path().join("started");
    h.cmd()
        .args(["run", "-p", "muapi", "--", "touch"])
        .arg(&marker)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("No API key found for muapi"));
    assert!(!marker.exists());
}

#[test]
fn nested_run_passes_through() {
    let h = Home::new();
    h.cmd()
        .args(["key", "set", "muapi"])
        .write_stdin(muapi_key(11))
        .assert()
        .success();
    let bin = assert_cmd::cargo::cargo_bin("keylint");
    h.cmd()
        .args([
            "run",
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
