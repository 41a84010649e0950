//! Rules as data: the schema of `rules/*.toml`, loading (built-in and user
//! files), and compiling into the matcher the scan engine runs.

pub mod compile;
pub mod keywords;
pub mod schema;
pub mod verify_spec;
pub mod vocabulary;

pub use crate::finding::RuleMeta;
pub use compile::{CompiledRule, Rules};
pub use schema::{
    Checksum, Confidence, ConfigFileSpec, ConfigFormat, CounterExample, CredentialFileSpec,
    Example, ExampleDocumentSpec, ProviderSpec, RuleFile, RuleSpec, Severity, Validator,
    ValidatorParams,
};
pub use vocabulary::{Vocabulary, VocabularySpec};

use crate::{Error, Result};
use std::collections::HashSet;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// A rule file as loaded, remembering where it came from for error messages.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    pub origin: String,
    pub file: RuleFile,
    /// Compiled into the binary (and so checked by its test suite): its
    /// regexes may compile lazily.
    pub builtin: bool,
}

/// Every rule file in effect, before compiling.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub files: Vec<LoadedFile>,
    /// The generic detector's word lists (`rules/vocabulary/generic.toml`, extended
    /// by a config's `[vocabulary]`).
    pub vocabulary: VocabularySpec,
    /// Every rule id in `files`, so adding a file checks its ids against
    /// the others in one lookup each (200 built-in files at every start).
    ids: HashSet<String>,
}

impl RuleSet {
    /// The rules compiled into the binary.
    pub fn builtin() -> Result<Self> {
        Self::embedded(BUILTIN_RULE_FILES)
    }

    /// The built-in rules without their examples and counter-examples,
    /// which only `rules check` and the providers table read: half the text
    /// to parse, and parsing is most of a pre-commit run's start-up.
    pub fn builtin_for_scan() -> Result<Self> {
        Self::embedded(BUILTIN_SCAN_RULE_FILES)
    }

    fn embedded(files: &[(&str, &str)]) -> Result<Self> {
        let mut set = RuleSet {
            vocabulary: VocabularySpec::builtin()?,
            ..RuleSet::default()
        };
        for ((origin, _), file) in files.iter().zip(parse_all(files)) {
            set.add(origin, file?)?;
        }
        for f in &mut set.files {
            f.builtin = true;
        }
        Ok(set)
    }

    /// Every `*.toml` in `dir`, in name order: for developing rules without
    /// rebuilding keylint. Its `vocabulary/generic.toml`, if any, replaces the
    /// built-in vocabulary.
    pub fn from_dir(dir: &std::path::Path) -> Result<Self> {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        let mut set = RuleSet {
            vocabulary: VocabularySpec::builtin()?,
            ..RuleSet::default()
        };
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            set.add_toml(&path.display().to_string(), &text)?;
        }
        let vocabulary = dir.join("vocabulary").join("generic.toml");
        if vocabulary.is_file() {
            let text =
                std::fs::read_to_string(&vocabulary).map_err(|e| Error::io(&vocabulary, e))?;
            set.vocabulary = VocabularySpec::parse(&vocabulary.display().to_string(), &text)?;
        }
        Ok(set)
    }

    /// Parses one rule file and adds it; ids must stay unique across files.
    pub fn add_toml(&mut self, origin: &str, text: &str) -> Result<()> {
        self.add(origin, parse_rule_file(origin, text)?)
    }

    pub fn add(&mut self, origin: &str, file: RuleFile) -> Result<()> {
        validate_file(origin, &file)?;
        let mut new: HashSet<&str> = HashSet::with_capacity(file.rules.len());
        for rule in &file.rules {
            if self.ids.contains(&rule.id) || !new.insert(&rule.id) {
                return Err(Error::config(
                    origin,
                    format!("rule id `{}` is defined twice", rule.id),
                ));
            }
        }
        self.ids.extend(new.into_iter().map(String::from));
        self.files.push(LoadedFile {
            origin: origin.to_string(),
            file,
            builtin: false,
        });
        Ok(())
    }

    pub fn rules(&self) -> impl Iterator<Item = &RuleSpec> {
        self.files.iter().flat_map(|f| f.file.rules.iter())
    }

    pub fn providers(&self) -> impl Iterator<Item = &ProviderSpec> {
        self.files.iter().map(|f| &f.file.provider)
    }

    /// Drops the rules whose ids are listed (a config's `disable`). Unknown
    /// ids are an error, so a typo does not silently keep a rule on.
    pub fn disable(&mut self, ids: &[String], origin: &str) -> Result<()> {
        for (i, id) in ids.iter().enumerate() {
            if !self.rules().any(|r| &r.id == id) {
                // Not echoed (a value pasted in the wrong place could be a
                // key); the closest rule id is.
                let closest = self
                    .rules()
                    .map(|r| (strsim::jaro_winkler(id, &r.id), r.id.as_str()))
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .filter(|(score, _)| *score > 0.8)
                    .map_or(String::new(), |(_, r)| format!("; did you mean `{r}`?"));
                return Err(Error::config(
                    origin,
                    format!(
                        "`disable` entry {} names no rule (see `keylint rules`){closest}",
                        i + 1
                    ),
                ));
            }
        }
        for f in &mut self.files {
            f.file.rules.retain(|r| !ids.contains(&r.id));
        }
        for id in ids {
            self.ids.remove(id);
        }
        Ok(())
    }

    pub fn compile(&self) -> Result<Rules> {
        Rules::compile(self)
    }
}

fn validate_file(origin: &str, file: &RuleFile) -> Result<()> {
    let p = &file.provider;
    if p.id.is_empty()
        || !p
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(Error::config(
            origin,
            format!(
                "provider id `{}` must be lowercase letters, digits and `-`",
                p.id
            ),
        ));
    }
    for rule in &file.rules {
        let bad = |m: &str| Err(Error::config(origin, format!("rule `{}`: {m}", rule.id)));
        if rule.id.is_empty() {
            return bad("id is empty");
        }
        if rule.keywords.is_empty() || rule.keywords.iter().any(|k| k.len() < 2) {
            return bad(
                "needs at least one keyword of two or more characters: keywords gate the regex",
            );
        }
        if rule.help.trim().is_empty() {
            return bad("help is empty: say how to fix a finding");
        }
        if rule.max_secret_length == Some(0) {
            return bad(
                "max_secret_length = 0 would report nothing: give the longest secret in bytes",
            );
        }
        if let Some(Err(problem)) = rule.keyword_name.as_ref().map(compile::NameFacts::new) {
            return bad(&problem);
        }
        if let Some(Err(problem)) = rule.keyword_then.as_ref().map(compile::ThenFacts::new) {
            return bad(&problem);
        }
        if let Some(problem) = rule.verify.as_ref().and_then(|v| v.problem()) {
            return bad(&format!("[rules.verify]: {problem}"));
        }
    }
    Ok(())
}

/// One rule file's text, parsed.
fn parse_rule_file(origin: &str, text: &str) -> Result<RuleFile> {
    // The message and position only: toml's own display quotes the
    // source line, and a rule file may hold a pasted secret.
    toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(String::new(), |s| {
            let before = &text[..s.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!(":{line}:{col}")
        });
        Error::config(
            format!("{origin}{at}"),
            crate::quiet::quiet_message(e.message()),
        )
    })
}

/// Every file of `files` parsed, in their order, on up to
/// [`PARSE_THREADS`] threads: parsing the built-in rules is about half of
/// a one-file scan's instructions (BENCHMARKS.md), and a pre-commit run
/// waits for it. Where no thread can be started, this one parses them all.
fn parse_all(files: &[(&str, &str)]) -> Vec<Result<RuleFile>> {
    let parse = |chunk: &[(&str, &str)]| -> Vec<Result<RuleFile>> {
        chunk.iter().map(|(o, t)| parse_rule_file(o, t)).collect()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(PARSE_THREADS);
    if threads < 2 || files.len() < 2 * threads {
        return parse(files);
    }
    // Chunks of about equal text, not equal count: files differ tenfold.
    let total: usize = files.iter().map(|(_, t)| t.len()).sum();
    let mut cuts = vec![0];
    let mut before = 0;
    for (i, (_, text)) in files.iter().enumerate() {
        if cuts.len() < threads && before >= total * cuts.len() / threads {
            cuts.push(i);
        }
        before += text.len();
    }
    cuts.push(files.len());
    let chunks: Vec<&[(&str, &str)]> = cuts.windows(2).map(|w| &files[w[0]..w[1]]).collect();
    std::thread::scope(|s| {
        let started: Vec<_> = chunks[1..]
            .iter()
            .map(|&chunk| {
                let parse = &parse;
                std::thread::Builder::new()
                    .name("keylint-rules".into())
                    .spawn_scoped(s, move || parse(chunk))
                    .map_err(|_| chunk)
            })
            .collect();
        let mut out = parse(chunks[0]);
        for thread in started {
            match thread {
                Ok(handle) => out.extend(
                    handle
                        .join()
                        .unwrap_or_else(|p| std::panic::resume_unwind(p)),
                ),
                Err(chunk) => out.extend(parse(chunk)),
            }
        }
        out
    })
}

/// Threads the built-in rules are parsed on, at most: two halve the few
/// milliseconds the parse takes; more were not measured (BENCHMARKS.md's
/// host has two cores), and each costs a thread start.
const PARSE_THREADS: usize = 2;

#[cfg(test)]
mod tests {
    use super::*;

    /// Scanning loads the built-in rules with their example blocks cut out
    /// by the build script: the same rules, field for field, in about half
    /// the text. A layout the cut gets wrong shows here as a difference.
    #[test]
    fn the_scan_rules_are_the_rules_without_their_examples() {
        let whole = RuleSet::builtin().unwrap();
        let lean = RuleSet::builtin_for_scan().unwrap();
        assert_eq!(whole.files.len(), lean.files.len());
        for (w, l) in whole.files.iter().zip(&lean.files) {
            assert_eq!(w.origin, l.origin);
            let mut expected = serde_json::to_value(&w.file).unwrap();
            for rule in expected["rules"].as_array_mut().unwrap() {
                rule["examples"] = serde_json::json!([]);
                rule["counter_examples"] = serde_json::json!([]);
            }
            assert_eq!(
                expected,
                serde_json::to_value(&l.file).unwrap(),
                "{}",
                w.origin
            );
        }
        let size = |files: &[(&str, &str)]| files.iter().map(|(_, t)| t.len()).sum::<usize>();
        assert!(
            size(BUILTIN_SCAN_RULE_FILES) * 10 < size(BUILTIN_RULE_FILES) * 6,
            "the examples were not cut"
        );
        assert!(lean.rules().all(|r| r.examples.is_empty()));
        assert!(whole.rules().all(|r| !r.examples.is_empty()));
    }

    /// The built-in rules are parsed on several threads: each file's
    /// result comes back in the files' order, and a broken file is named
    /// by its own origin and line whichever thread parsed it.
    #[test]
    fn rule_files_parsed_together_come_back_in_order() {
        let one_by_one: Vec<_> = BUILTIN_SCAN_RULE_FILES
            .iter()
            .map(|(o, t)| serde_json::to_value(parse_rule_file(o, t).unwrap()).unwrap())
            .collect();
        let together: Vec<_> = parse_all(BUILTIN_SCAN_RULE_FILES)
            .into_iter()
            .map(|f| serde_json::to_value(f.unwrap()).unwrap())
            .collect();
        assert_eq!(one_by_one, together);
        let mut files = BUILTIN_SCAN_RULE_FILES.to_vec();
        let last = files.len() - 1;
        files[last] = ("zz-broken.toml", "[provider]\nname = \"x\"\n\n[[rules]\n");
        let parsed = parse_all(&files);
        assert_eq!(parsed.len(), files.len());
        assert!(parsed[..last].iter().all(Result::is_ok));
        let err = parsed[last].as_ref().unwrap_err().to_string();
        assert!(err.contains("zz-broken.toml:4:"), "{err}");
    }
}
