//! `.keylint.toml` and user rule files: parsing, validating, compiling,
//! applying. Oracle: no panic. (That errors never quote a value is checked
//! by tests/it/filters.rs and tests/it/robustness.rs with planted keys: a fuzzer
//! does not tell a value from a rule id.)
#![no_main]

use keylint::filter::config::Config;
use keylint::rules::RuleSet;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::parse(Path::new("fuzz/.keylint.toml"), text) {
        let mut set = RuleSet::builtin().expect("built-in rules load");
        if config.apply(&mut set).is_ok() {
            let _ = set.compile();
        }
    }
    let mut set = RuleSet::default();
    if set.add_toml("fuzz/rules.toml", text).is_ok() {
        let _ = set.compile();
    }
});
