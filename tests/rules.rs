//! Every rule's examples must be found and its counter-examples must not,
//! through the real engine. A failure names the rule file and rule id.

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
