//! Embeds every `rules/*.toml` into the binary, so keylint needs no files at
//! run time and adding a provider is adding one file: no Rust change.
//!
//! Each file is embedded twice: whole, for `keylint rules check` and the
//! providers table, and without its `examples = [ … ]` and
//! `counter_examples = [ … ]` blocks, for scanning. The examples are half
//! the text, and parsing the rules is most of a pre-commit run's start-up
//! (BENCHMARKS.md). A test checks that both forms give the same rules.

use std::{env, fs, path::Path};

fn main() {
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<_> = fs::read_dir(&dir)
        .expect("rules/ directory")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    names.sort();
    let mut whole = String::from(
        "/// Built-in rule files: (file name, contents).\npub static BUILTIN_RULE_FILES: &[(&str, &str)] = &[\n",
    );
    let mut lean = String::from(
        "/// Built-in rule files without their examples: (file name, contents).\npub static BUILTIN_SCAN_RULE_FILES: &[(&str, &str)] = &[\n",
    );
    for path in &names {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = format!("rules/{}", path.file_name().unwrap().to_string_lossy());
        whole.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
        let text = fs::read_to_string(path).expect("a rule file in UTF-8");
        lean.push_str(&format!("    ({name:?}, {:?}),\n", without_examples(&text)));
    }
    whole.push_str("];\n");
    lean.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("builtin_rules.rs");
    fs::write(dest, whole + &lean).unwrap();
}

/// The text without its multi-line `examples = [` / `counter_examples = [`
/// blocks, each from its opening line to the first line that is `]` alone.
/// Any other layout is kept as it is (still valid, only slower to parse).
fn without_examples(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skipping = false;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        if skipping {
            skipping = bare != "]";
            continue;
        }
        if bare == "examples = [" || bare == "counter_examples = [" {
            skipping = true;
            continue;
        }
        out.push_str(line);
    }
    out
}
