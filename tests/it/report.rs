//! The renderings of one fixture tree, pinned as snapshots, plus the
//! properties every rendering must hold: no full secret anywhere, SARIF that
//! validates against the official 2.1.0 schema and follows GitHub's rules
//! (accepted findings as suppressed results), JSON Lines, and GitLab's
//! secret-detection report validated against GitLab's published schema.

use crate::common;
use common::*;
use serde_json::Value;

const FIXTURE: &str = "fixtures/report";

fn run(format: &str) -> (Vec<u8>, i32) {
    let out = keylint()
        .args([
            "scan",
            FIXTURE,
            "--no-git",
            "--no-config",
            "--color",
            "never",
            "--no-summary",
            "--format",
            format,
        ])
        .output()
        .unwrap();
    (out.stdout, out.status.code().unwrap())
}

/// The full secrets in the fixture tree, found with --show-secrets.
fn fixture_secrets() -> Vec<String> {
    let out = keylint()
        .args([
            "scan",
            FIXTURE,
            "--no-git",
            "--no-config",
            "--no-summary",
            "--format",
            "json",
            "--show-secrets",
        ])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn human_output_snapshot() {
    let (out, code) = run("human");
    assert_eq!(code, 1);
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}

#[test]
fn json_output_snapshot() {
    let (out, _) = run("json");
    let mut doc: Value = serde_json::from_slice(&out).unwrap();
    // What the detectors read moves with every rule; the snapshot holds
    // that it is there and counts at least the text.
    let summary = &mut doc["summary"];
    let searched = summary["searched_bytes"].as_u64().unwrap();
    assert!(searched >= summary["bytes"].as_u64().unwrap(), "{summary}");
    summary["searched_bytes"] = Value::from("[counted]");
    insta::assert_json_snapshot!(doc);
}

#[test]
fn sarif_output_snapshot() {
    let (out, _) = run("sarif");
    let mut doc: Value = serde_json::from_slice(&out).unwrap();
    doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] = Value::from("file:///[cwd]/");
    insta::assert_json_snapshot!(doc);
}

#[test]
fn no_rendering_holds_a_full_secret() {
    let secrets = fixture_secrets();
    assert_eq!(secrets.len(), 4, "the fixture holds four secrets");
    for format in ["human", "json", "jsonl", "sarif", "gitlab"] {
        let (out, _) = run(format);
        let text = String::from_utf8(out).unwrap();
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "{format} output holds a full secret"
            );
        }
    }
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let schema: Value = serde_json::from_str(include_str!("../data/sarif-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let (out, _) = run("sarif");
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sarif_follows_github_ingestion_rules() {
    let (out, _) = run("sarif");
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let run = &doc["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "keylint");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = driver["rules"].as_array().unwrap();
    for rule in rules {
        let sev: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&sev));
        assert!(rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&Value::from("security")));
        assert!(rule["help"]["text"].as_str().unwrap().len() > 10);
    }
    for result in run["results"].as_array().unwrap() {
        let idx = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], result["ruleId"]);
        let loc = &result["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(loc["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("fixtures/report/"));
        assert!(result["partialFingerprints"]["primaryLocationLineHash"].is_string());
        let level = result["level"].as_str().unwrap();
        let expected = if result["ruleId"].as_str().unwrap().starts_with("generic")
            || result["ruleId"] == "url-credentials"
        {
            "warning"
        } else {
            "error"
        };
        assert_eq!(level, expected, "{}", result["ruleId"]);
    }
}

#[test]
fn sarif_fingerprints_survive_unrelated_lines_moving() {
    let t = Tree::new();
    let key = fake_openai_key(42);
    t.write("app.py", format!("import os\nKEY = \"{key}\"\n"));
    let fingerprints = |t: &Tree| {
        let out = t
            .scan()
            .args(["--format", "sarif", "--no-summary"])
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["runs"][0]["results"][0]["partialFingerprints"].clone()
    };
    let before = fingerprints(&t);
    t.write(
        "app.py",
        format!("import os\nimport sys\n\n# moved down\nKEY = \"{key}\"\n"),
    );
    assert_eq!(before, fingerprints(&t));
    t.write(
        "app.py",
        format!("import os\nKEY = \"{}\"\n", fake_openai_key(43)),
    );
    let other = fingerprints(&t);
    assert_ne!(
        before["keylint/secretHash/v2"],
        other["keylint/secretHash/v2"]
    );
}

#[test]
fn sarif_refuses_more_results_than_github_keeps() {
    let t = Tree::new();
    // Over 25,000 findings: one AWS access key id per line.
    let ids: String = (0..26_000u64)
        .map(|i| {
            let body: String = random_alnum(i + 1, 16)
                .to_ascii_uppercase()
                .chars()
                .map(|c| {
                    if c.is_ascii_digit() && !('2'..='7').contains(&c) {
                        'Q'
                    } else {
                        c
                    }
                })
                .collect();
            format!("aws_access_key_id = {}{body}\n", ["AK", "IA"].concat())
        })
        .collect();
    t.write("many.txt", ids);
    t.scan()
        .args(["--format", "sarif", "--output", "out.sarif"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "25000 results GitHub code scanning keeps",
        ));
    assert!(
        !t.path().join("out.sarif").exists(),
        "no truncated report is written"
    );
}

fn schema_errors(schema: &str, doc: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(schema).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

/// A tree with one key reported, one allowed inline, one in a baseline.
fn tree_with_accepted_keys() -> Tree {
    let t = Tree::new();
    t.write(
        "app.py",
        format!(
            "REPORTED = \"{}\"\nALLOWED = \"{}\"  # keylint:allow test fixture\n",
            fake_openai_key(301),
            fake_openai_key(302)
        ),
    );
    t.write("old.py", format!("OLD = \"{}\"\n", fake_openai_key(303)));
    t.scan()
        .args(["old.py", "--write-baseline", "baseline.json"])
        .assert()
        .success();
    t
}

#[test]
fn sarif_keeps_accepted_findings_as_suppressed_results() {
    let t = tree_with_accepted_keys();
    let out = t
        .scan()
        .args(["--baseline", "baseline.json", "--format", "sarif", "-q"])
        .args(["-o", "out.sarif"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the one unaccepted key still fails"
    );
    let doc: Value =
        serde_json::from_slice(&std::fs::read(t.path().join("out.sarif")).unwrap()).unwrap();
    let errors = schema_errors(include_str!("../data/sarif-2.1.0.json"), &doc);
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let by_place: Vec<(String, Value)> = results
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                format!(
                    "{}:{}",
                    loc["artifactLocation"]["uri"].as_str().unwrap(),
                    loc["region"]["startLine"]
                ),
                r["suppressions"].clone(),
            )
        })
        .collect();
    assert_eq!(
        by_place.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        ["app.py:1", "app.py:2", "old.py:1"]
    );
    assert!(
        by_place[0].1.is_null(),
        "the reported key has no suppression"
    );
    assert_eq!(by_place[1].1[0]["kind"], "inSource");
    assert!(by_place[1].1[0]["justification"]
        .as_str()
        .unwrap()
        .contains("keylint:allow"));
    assert_eq!(by_place[2].1[0]["kind"], "external");
    assert!(by_place[2].1[0]["justification"]
        .as_str()
        .unwrap()
        .contains("baseline.json"));
    // Suppressed results keep GitHub's fingerprints, so the alert is the same one.
    assert!(results[2]["partialFingerprints"]["primaryLocationLineHash"].is_string());

    // Every other format still drops them.
    let scan = t.scan_json(&["--no-git", "--baseline", "baseline.json"]);
    assert_eq!(scan.places(), ["app.py:1"]);
}

#[test]
fn jsonl_is_one_finding_per_line_like_json() {
    let (json, code) = run("json");
    let (lines, code_lines) = run("jsonl");
    assert_eq!(code, code_lines);
    let doc: Value = serde_json::from_slice(&json).unwrap();
    let text = String::from_utf8(lines).unwrap();
    let parsed: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect();
    assert!(!parsed.is_empty());
    assert_eq!(&parsed, doc["findings"].as_array().unwrap());
}

#[test]
fn gitlab_report_validates_against_gitlabs_schema() {
    let schema = include_str!("../data/secret-detection-report-format.json");
    let (out, code) = run("gitlab");
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_slice(&out).unwrap();
    let errors = schema_errors(schema, &doc);
    assert!(
        errors.is_empty(),
        "GitLab schema errors:\n{}",
        errors.join("\n")
    );
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    let (json, _) = run("json");
    let findings: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(vulns.len(), findings["findings"].as_array().unwrap().len());
    assert_eq!(doc["scan"]["type"], "secret_detection");
    assert_eq!(vulns[0]["location"]["commit"]["sha"], "0000000");

    // In GitLab CI a tree finding is attributed to the pipeline's commit,
    // and a history finding to the commit that added it.
    let t = Tree::repo();
    t.write("app.py", format!("KEY = \"{}\"\n", fake_openai_key(311)));
    t.git(&["add", "."]);
    t.git(&["commit", "-qm", "add a key"]);
    let gitlab = |args: &[&str]| -> Value {
        let out = keylint()
            .current_dir(t.path())
            .env("CI_COMMIT_SHA", "4b825dc642cb6eb9a060e54bf8d69288fbee4904")
            .args(["scan", "--format", "gitlab", "-q", "-o", "gl.json"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let doc =
            serde_json::from_slice(&std::fs::read(t.path().join("gl.json")).unwrap()).unwrap();
        let errors = schema_errors(schema, &doc);
        assert!(
            errors.is_empty(),
            "GitLab schema errors:\n{}",
            errors.join("\n")
        );
        doc
    };
    let tree = gitlab(&[]);
    assert_eq!(
        tree["vulnerabilities"][0]["location"]["commit"]["sha"],
        "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    );
    let history = gitlab(&["--history"]);
    let commit = &history["vulnerabilities"][0]["location"]["commit"];
    assert_ne!(commit["sha"], "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
    assert_eq!(commit["sha"].as_str().unwrap().len(), 40);
    assert_eq!(commit["message"], "add a key");
}
