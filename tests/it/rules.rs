//! Every rule's examples must be found and its counter-examples must not,
//! through the real engine. A failure names the rule file and rule id.

use crate::common;

use keylint::rules::RuleSet;
use keylint::scan::examples as check;
use std::sync::Arc;

#[test]
fn every_rule_example_and_counter_example_holds() {
    let rules = Arc::new(
        RuleSet::builtin()
            .expect("built-in rules load")
            .compile()
            .expect("compile"),
    );
    let (failures, checked) = check::check(rules.clone());
    let report: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
    assert!(
        report.is_empty(),
        "{} rule check failures:\n{}",
        report.len(),
        report.join("\n")
    );
    assert!(checked >= rules.rules.len(), "every rule carries examples");
}

#[test]
fn a_duplicate_rule_id_or_a_rule_without_keywords_is_refused() {
    let set = RuleSet::builtin().expect("built-in rules load");
    let mut ids: Vec<&str> = set.rules().map(|r| r.id.as_str()).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "built-in rule ids are unique");
    let rule = |id: &str, keywords: &str| {
        format!(
            "[provider]\nid = \"acme\"\nname = \"Acme\"\n[[rules]]\nid = \"{id}\"\ndescription = \"d\"\nregex = 'acme_[a-z]{{8}}'\nkeywords = [{keywords}]\nhelp = \"h\"\n"
        )
    };
    let mut with_dup = RuleSet::builtin().unwrap();
    let err = with_dup
        .add_toml("acme.toml", &rule("openai-api-key", "\"acme_\""))
        .unwrap_err();
    assert!(err.to_string().contains("defined twice"), "{err}");
    let err = RuleSet::default()
        .add_toml("acme.toml", &rule("acme-key", ""))
        .unwrap_err();
    assert!(err.to_string().contains("keyword"), "{err}");
    RuleSet::default()
        .add_toml("acme.toml", &rule("acme-key", "\"acme_\""))
        .expect("a well-formed rule loads");
}

/// A length bound of zero would silence its rule: refused, naming the rule
/// and the file.
#[test]
fn a_max_secret_length_of_zero_is_refused() {
    let rule = |max: usize| {
        format!(
            "[provider]\nid = \"acme\"\nname = \"Acme\"\n[[rules]]\nid = \"acme-key\"\ndescription = \"d\"\nregex = 'acme_[a-z]{{8,}}'\nkeywords = [\"acme_\"]\nmax_secret_length = {max}\nhelp = \"h\"\n"
        )
    };
    let err = RuleSet::default()
        .add_toml("acme.toml", &rule(0))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("acme.toml") && err.contains("acme-key") && err.contains("max_secret_length"),
        "{err}"
    );
    RuleSet::default()
        .add_toml("acme.toml", &rule(64))
        .expect("a positive bound loads");
}

/// What a rule says about the name around its keyword must be a byte class
/// and must say something: a typo there would silently cost matches.
#[test]
fn a_keyword_name_that_is_not_a_byte_class_is_refused() {
    // `field` is the whole `keyword_name = …` or `keyword_then = …` line.
    let rule = |field: &str| {
        format!(
            "[provider]\nid = \"acme\"\nname = \"Acme\"\n[[rules]]\nid = \"acme-key\"\ndescription = \"d\"\nregex = 'acme_[a-z]{{8,}}'\nkeywords = [\"acme_\"]\n{field}\nhelp = \"h\"\n"
        )
    };
    for (field, says) in [
        (
            "keyword_name = { chars = 'abc', starts_match = true }",
            "keyword_name.chars",
        ),
        (
            "keyword_name = { chars = '[a-z', starts_match = true }",
            "keyword_name.chars",
        ),
        (
            "keyword_name = { chars = '[a-z_]', after = '\"' }",
            "keyword_name.after",
        ),
        ("keyword_name = { chars = '[a-z_]' }", "starts_match"),
        // What follows the keyword: a run that could swallow its own end
        // says nothing true.
        (
            "keyword_then = { chars = '[a-z:]', then = '[:]' }",
            "shares bytes",
        ),
        (
            "keyword_then = { chars = '[a-z]', then = 'ab' }",
            "keyword_then.then",
        ),
    ] {
        let err = RuleSet::default()
            .add_toml("acme.toml", &rule(field))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("acme.toml") && err.contains("acme-key") && err.contains(says),
            "{field}: {err}"
        );
    }
    for (field, what) in [
        (
            "keyword_name = { chars = '[A-Za-z0-9_]', starts_match = true, after = '[\"=]' }",
            "byte classes load",
        ),
        (
            "keyword_then = { chars = '[^:/]', then = '[:]' }",
            "a run and its end load",
        ),
    ] {
        RuleSet::default()
            .add_toml("acme.toml", &rule(field))
            .expect(what);
    }
}

/// docs/providers.md is generated from the rules; CI fails when it is stale.
#[test]
fn the_provider_table_in_the_docs_is_current() {
    let out = assert_cmd::Command::cargo_bin("keylint")
        .unwrap()
        .args(["rules", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/providers.md");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        generated == checked_in.replace("\r\n", "\n"),
        "docs/providers.md is stale: run `cargo run --quiet -- rules --format markdown > docs/providers.md`"
    );
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), bit by bit: written
/// here from the published algorithm, not the engine's crate, so the test
/// checks the engine against the definition rather than against itself.
fn crc32_ieee(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// GitHub's published token format: the last 6 characters are the CRC32 of
/// the 30-character random part in base62 (`0-9A-Za-z`), left-padded with `0`.
fn base62_padded6(mut n: u32) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn crc32_test_vector_matches_the_published_check_value() {
    // The CRC-32/ISO-HDLC check value from the CRC catalogue.
    assert_eq!(crc32_ieee(b"123456789"), 0xCBF4_3926);
}

/// A GitHub or npm token whose checksum is computed here is reported; the
/// same token with its checksum off by one character is not.
#[test]
fn github_and_npm_checksums_follow_the_published_algorithm() {
    for (i, (prefix, var)) in [
        ("ghp_", "GITHUB_TOKEN"),
        ("gho_", "GH_OAUTH"),
        ("npm_", "NPM_TOKEN"),
    ]
    .into_iter()
    .enumerate()
    {
        let body = common::random_alnum(7_000 + i as u64, 30);
        let check = base62_padded6(crc32_ieee(body.as_bytes()));
        let good = format!("{prefix}{body}{check}");
        // Change the last checksum character to another base62 digit.
        let mut bad = good.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'0' { b'1' } else { b'0' };
        let bad = String::from_utf8(bad).unwrap();

        let t = common::Tree::new();
        t.write("good.env", format!("{var}={good}\n"));
        t.write("bad.env", format!("{var}={bad}\n"));
        let scan = t.scan_json(&["--no-git", "."]);
        let rules_on = |path: &str| -> Vec<String> {
            scan.findings
                .iter()
                .filter(|f| f["path"].as_str().unwrap_or("").ends_with(path))
                .map(|f| f["rule_id"].as_str().unwrap_or("").to_string())
                .collect()
        };
        let expected = if prefix == "npm_" {
            "npm-token"
        } else {
            "github-token"
        };
        assert!(
            rules_on("good.env").iter().any(|r| r == expected),
            "{prefix} token with a valid checksum must be reported as {expected}: {:?}",
            scan.findings
        );
        assert!(
            !rules_on("bad.env").iter().any(|r| r == expected),
            "{prefix} token with a wrong checksum must not be reported as {expected}: {:?}",
            scan.findings
        );
    }
}

/// A key Google publishes in its own SDK tests is public: no rule reports it
/// (the generic ones included), `--explain` names the published reason, and
/// a key of the same shape that is not published is still reported.
#[test]
fn a_published_public_google_key_is_not_reported_by_any_rule() {
    let set = RuleSet::builtin().unwrap();
    let published = set
        .rules()
        .find(|r| r.id == "google-api-key")
        .and_then(|r| r.published.first())
        .expect("google-api-key lists published keys")
        .value
        .clone();
    let unpublished = format!("AIza{}", common::random_alnum(91, 35));
    let t = common::Tree::new();
    t.write(
        "public.js",
        format!("const firebaseConfig = {{\n  apiKey: \"{published}\",\n}};\n"),
    );
    t.write("private.env", format!("GOOGLE_API_KEY={unpublished}\n"));
    let scan = t.scan_json(&["--no-git", "."]);
    assert_eq!(
        scan.places(),
        vec!["private.env:1".to_string()],
        "{:?}",
        scan.findings
    );

    let out = common::keylint()
        .current_dir(t.path())
        .args(["scan", "--no-git", "--explain", "public.js"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("published as public"), "{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
}
