//! Baselines, `.keylintignore` files and provider config files (JSON, TOML,
//! plain) from arbitrary text. Oracle: no panic. (That errors never quote
//! the input is checked by the tests, with planted keys.)
#![no_main]

use keylint::filter::baseline::Accepted;
use keylint::keys::provider_config::parse_key;
use keylint::rules::{ConfigFileSpec, ConfigFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Accepted::parse_baseline("fuzz/baseline.json", text);
    let _ = Accepted::parse_ignore_file("fuzz/.keylintignore", text);
    for format in [ConfigFormat::Json, ConfigFormat::Toml, ConfigFormat::Plain] {
        let spec = ConfigFileSpec {
            path: "~/.fuzz/config".into(),
            format,
            key: Some("auth.api_key".into()),
        };
        let _ = parse_key(text, &spec, "~/.fuzz/config");
    }
});
