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
fn rule_ids_are_unique_and_every_rule_has_a_keyword() {
    // Loading enforces both; a duplicate id or keyword-less rule fails here.
    let set = RuleSet::builtin().expect("built-in rules load");
    assert!(set.rules().count() > 0);
}
