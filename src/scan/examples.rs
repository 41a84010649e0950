//! `keylint rules check`: runs every rule's examples and counter-examples
//! through the real engine (prefilter, windows, validators, overlap
//! resolution), so a rule cannot ship with an example it fails.

use crate::rules::Rules;
use crate::scan::Scanner;
use std::sync::Arc;

#[derive(Debug)]
pub struct CheckFailure {
    pub origin: String,
    pub rule: String,
    pub message: String,
}

impl std::fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: rule `{}`: {}", self.origin, self.rule, self.message)
    }
}

/// Checks every rule; returns the failures (empty when all pass) and the
/// number of examples checked.
pub fn check(rules: Arc<Rules>) -> (Vec<CheckFailure>, usize) {
    let scanner = Scanner::new(rules.clone());
    let mut failures = Vec::new();
    let mut checked = 0;
    for rule in &rules.rules {
        let id = &rule.meta.id;
        let fail = |message: String| CheckFailure {
            origin: rule.origin.clone(),
            rule: id.clone(),
            message,
        };
        if rule.spec.examples.is_empty() {
            failures.push(fail("has no examples".into()));
        }
        for (i, ex) in rule.spec.examples.iter().enumerate() {
            checked += 1;
            // A keyword gates the regex: an example the keywords miss would
            // pass only because another rule's keyword opened the window.
            // The input starts a file, where a keyword's leading line break
            // matches too.
            let input = format!("\n{}", ex.input.to_ascii_lowercase());
            if !rule
                .spec
                .keywords
                .iter()
                .any(|k| input.contains(&k.to_ascii_lowercase()))
            {
                failures.push(fail(format!(
                    "example {} holds none of the rule's keywords {:?}: add the spelling it uses",
                    i + 1,
                    rule.spec.keywords
                )));
            }
            let path = ex.path.as_deref().unwrap_or("example.txt");
            let found = scanner.scan(path, ex.input.as_bytes());
            let mine: Vec<_> = found.iter().filter(|f| &f.rule.id == id).collect();
            if !mine.iter().any(|f| f.secret.expose() == ex.secret) {
                let others: Vec<String> = found
                    .iter()
                    .map(|f| format!("`{}` found {}", f.rule.id, f.secret.redacted()))
                    .collect();
                // Why it was dropped, if the regex matched at all.
                let why: Vec<String> = scanner
                    .judge(path, ex.input.as_bytes())
                    .into_iter()
                    .filter(|j| scanner.rule(j.candidate.rule).meta.id == *id)
                    .map(|j| format!("{:?}", j.verdict))
                    .collect();
                failures.push(fail(format!(
                    "example {} not found (expected secret {}); own candidates: [{}]; other findings: [{}]",
                    i + 1,
                    crate::finding::redact(&ex.secret),
                    why.join(", "),
                    others.join(", ")
                )));
            }
        }
        for (i, cx) in rule.spec.counter_examples.iter().enumerate() {
            checked += 1;
            let found = scanner.scan(cx.path(), cx.input().as_bytes());
            if let Some(f) = found.iter().find(|f| &f.rule.id == id) {
                failures.push(fail(format!(
                    "counter-example {} was reported (secret {})",
                    i + 1,
                    f.secret.redacted()
                )));
            }
        }
    }
    (failures, checked)
}
