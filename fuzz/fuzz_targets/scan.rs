//! The scanner on arbitrary bytes, its renderers included. Oracle: no
//! panic, and no rendering (human, JSON, SARIF) holds a reported secret in
//! full.
#![no_main]

use keylint::report::{human, json, sarif, RenderOptions, Summary};
use keylint::rules::RuleSet;
use keylint::scan::Scanner;
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, LazyLock};

static SCANNER: LazyLock<Scanner> = LazyLock::new(|| {
    Scanner::new(Arc::new(
        RuleSet::builtin()
            .expect("built-in rules load")
            .compile()
            .expect("compile"),
    ))
});

fuzz_target!(|data: &[u8]| {
    let findings = SCANNER.scan("fuzz/input.txt", data);
    let opts = RenderOptions::default();
    let mut out = Vec::new();
    human::render(&mut out, &findings, opts).unwrap();
    json::render(&mut out, &findings, &Summary::default(), opts).unwrap();
    if findings.len() <= 25_000 {
        sarif::render(&mut out, &findings, opts).unwrap();
    }
    for f in &findings {
        let secret = f.secret.expose().as_bytes();
        // Short values can occur by chance in the report's own text.
        if secret.len() >= 16 {
            assert!(
                !out.windows(secret.len()).any(|w| w == secret),
                "a rendering holds a secret in full"
            );
        }
    }
});
