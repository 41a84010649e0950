//! The generic detector's vocabulary as data (`rules/vocabulary/generic.toml`):
//! credential words, stock values, references, placeholders, well-known JWT
//! keys. The engine keeps the logic; these lists say which words it applies
//! to. A repository extends them from `.keylint.toml`'s `[vocabulary]`.

use crate::{Error, Result};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::OnceLock;

/// The vocabulary file compiled into the binary.
pub const BUILTIN_ORIGIN: &str = "rules/vocabulary/generic.toml";
const BUILTIN_TEXT: &str = include_str!("../../rules/vocabulary/generic.toml");

/// The on-disk lists. Every list is extendable: loading appends.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct VocabularySpec {
    pub password_words: Vec<String>,
    pub secret_words: Vec<String>,
    pub non_credential_tokens: Vec<String>,
    pub key_qualifiers: Vec<String>,
    pub non_credential_keys: Vec<String>,
    pub public_value_prefixes: Vec<String>,
    pub password_suffixes: Vec<String>,
    pub secret_suffixes: Vec<String>,
    pub same_value_words: Vec<String>,
    pub public_words: Vec<String>,
    pub reverse_dns_roots: Vec<String>,
    pub hash_words: Vec<String>,
    pub password_hash_schemes: Vec<String>,
    pub stock_values: Vec<String>,
    pub references: Vec<String>,
    pub credential_words: Vec<String>,
    pub file_name_suffixes: Vec<String>,
    pub code_extensions: Vec<String>,
    pub placeholder_markers: Vec<String>,
    pub well_known_jwt_keys: Vec<String>,
    pub plain_fields: Vec<String>,
}

impl VocabularySpec {
    /// The built-in vocabulary, parsed and checked.
    pub fn builtin() -> Result<Self> {
        Self::parse(BUILTIN_ORIGIN, BUILTIN_TEXT)
    }

    /// Parses and checks one vocabulary file.
    pub fn parse(origin: &str, text: &str) -> Result<Self> {
        let spec: VocabularySpec = toml::from_str(text)
            .map_err(|e| Error::config(origin, crate::quiet::quiet_message(e.message())))?;
        spec.check(origin)?;
        Ok(spec)
    }

    fn lists(&self) -> [(&'static str, &Vec<String>); 21] {
        [
            ("password_words", &self.password_words),
            ("secret_words", &self.secret_words),
            ("non_credential_tokens", &self.non_credential_tokens),
            ("key_qualifiers", &self.key_qualifiers),
            ("non_credential_keys", &self.non_credential_keys),
            ("public_value_prefixes", &self.public_value_prefixes),
            ("password_suffixes", &self.password_suffixes),
            ("secret_suffixes", &self.secret_suffixes),
            ("same_value_words", &self.same_value_words),
            ("public_words", &self.public_words),
            ("reverse_dns_roots", &self.reverse_dns_roots),
            ("hash_words", &self.hash_words),
            ("password_hash_schemes", &self.password_hash_schemes),
            ("stock_values", &self.stock_values),
            ("references", &self.references),
            ("credential_words", &self.credential_words),
            ("file_name_suffixes", &self.file_name_suffixes),
            ("code_extensions", &self.code_extensions),
            ("placeholder_markers", &self.placeholder_markers),
            ("well_known_jwt_keys", &self.well_known_jwt_keys),
            ("plain_fields", &self.plain_fields),
        ]
    }

    /// Entries are matched against lowercased text, so an uppercase entry
    /// would never match; empty ones would match everything.
    pub fn check(&self, origin: &str) -> Result<()> {
        for (list, entries) in self.lists() {
            let mut seen = HashSet::new();
            for (i, e) in entries.iter().enumerate() {
                let problem = if e.is_empty() {
                    Some("is empty")
                } else if e.to_lowercase() != *e {
                    Some("has uppercase letters: entries match lowercased text")
                } else if !seen.insert(e.as_str()) {
                    Some("repeats an earlier entry")
                } else {
                    None
                };
                if let Some(p) = problem {
                    return Err(Error::config(
                        origin,
                        format!("vocabulary `{list}` entry {} {p}", i + 1),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Appends another file's lists (a config's `[vocabulary]`), keeping
    /// entries unique.
    pub fn extend(&mut self, other: &VocabularySpec) {
        let mine = [
            &mut self.password_words,
            &mut self.secret_words,
            &mut self.non_credential_tokens,
            &mut self.key_qualifiers,
            &mut self.non_credential_keys,
            &mut self.public_value_prefixes,
            &mut self.password_suffixes,
            &mut self.secret_suffixes,
            &mut self.same_value_words,
            &mut self.public_words,
            &mut self.reverse_dns_roots,
            &mut self.hash_words,
            &mut self.password_hash_schemes,
            &mut self.stock_values,
            &mut self.references,
            &mut self.credential_words,
            &mut self.file_name_suffixes,
            &mut self.code_extensions,
            &mut self.placeholder_markers,
            &mut self.well_known_jwt_keys,
            &mut self.plain_fields,
        ];
        for (dst, (_, src)) in mine.into_iter().zip(other.lists()) {
            for e in src {
                if !dst.contains(e) {
                    dst.push(e.clone());
                }
            }
        }
    }
}

/// The vocabulary ready for the engine: sets for whole words, automata
/// for substrings.
#[derive(Debug)]
pub struct Vocabulary {
    pub password_words: HashSet<String>,
    pub secret_words: HashSet<String>,
    pub non_credential_tokens: HashSet<String>,
    pub key_qualifiers: HashSet<String>,
    /// Words before "key" that make it a lookup key, not a secret.
    pub non_credential_keys: HashSet<String>,
    /// Prefixes of keys their providers publish for browsers and apps.
    pub public_value_prefixes: Vec<String>,
    pub password_suffixes: Vec<String>,
    pub secret_suffixes: Vec<String>,
    pub same_value_words: HashSet<String>,
    pub public_words: HashSet<String>,
    pub reverse_dns_roots: HashSet<String>,
    pub hash_words: HashSet<String>,
    pub password_hash_schemes: HashSet<String>,
    pub stock_values: HashSet<String>,
    pub references: Substrings,
    pub credential_words: Substrings,
    pub file_name_suffixes: Vec<String>,
    pub code_extensions: HashSet<String>,
    pub placeholder_markers: Substrings,
    pub well_known_jwt_keys: Vec<String>,
    pub plain_fields: HashSet<String>,
}

/// A list of substrings searched for at once, ASCII case-insensitively.
#[derive(Debug)]
pub struct Substrings {
    words: Vec<String>,
    matcher: AhoCorasick,
}

impl Substrings {
    fn new(words: &[String]) -> Result<Self> {
        // Searched in short values only: a contiguous NFA builds in a
        // fraction of the time of the DFA the builder would pick.
        let matcher = AhoCorasickBuilder::new()
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(words)
            .map_err(|e| Error::failed("building the vocabulary matcher", e))?;
        Ok(Substrings {
            words: words.to_vec(),
            matcher,
        })
    }

    /// The first listed word found in `text`, if any.
    pub fn find(&self, text: &[u8]) -> Option<&str> {
        self.matcher
            .find(text)
            .map(|m| self.words[m.pattern().as_usize()].as_str())
    }
}

impl Vocabulary {
    pub fn compile(spec: &VocabularySpec) -> Result<Self> {
        let set = |v: &Vec<String>| v.iter().cloned().collect::<HashSet<_>>();
        Ok(Vocabulary {
            password_words: set(&spec.password_words),
            secret_words: set(&spec.secret_words),
            non_credential_tokens: set(&spec.non_credential_tokens),
            key_qualifiers: set(&spec.key_qualifiers),
            non_credential_keys: set(&spec.non_credential_keys),
            public_value_prefixes: spec.public_value_prefixes.clone(),
            password_suffixes: spec.password_suffixes.clone(),
            secret_suffixes: spec.secret_suffixes.clone(),
            same_value_words: set(&spec.same_value_words),
            public_words: set(&spec.public_words),
            reverse_dns_roots: set(&spec.reverse_dns_roots),
            hash_words: set(&spec.hash_words),
            password_hash_schemes: set(&spec.password_hash_schemes),
            stock_values: set(&spec.stock_values),
            references: Substrings::new(&spec.references)?,
            credential_words: Substrings::new(&spec.credential_words)?,
            file_name_suffixes: spec.file_name_suffixes.clone(),
            code_extensions: set(&spec.code_extensions),
            placeholder_markers: Substrings::new(&spec.placeholder_markers)?,
            well_known_jwt_keys: spec.well_known_jwt_keys.clone(),
            plain_fields: set(&spec.plain_fields),
        })
    }

    /// The built-in vocabulary, for checks outside a scan (a key's shape in
    /// `keylint key`). The test suite loads it, so it cannot fail here.
    pub fn builtin() -> &'static Vocabulary {
        static BUILTIN: OnceLock<Vocabulary> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            VocabularySpec::builtin()
                .and_then(|s| Vocabulary::compile(&s))
                .expect("the built-in vocabulary is checked by the test suite")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_vocabulary_loads() {
        let v = Vocabulary::builtin();
        assert!(v.password_words.contains("password"));
        assert_eq!(v.placeholder_markers.find(b"YOUR_API_KEY"), Some("your_"));
    }

    #[test]
    fn bad_entries_are_refused_with_the_list_named() {
        let err = VocabularySpec::parse("v.toml", "stock_values = [\"Acme\"]").unwrap_err();
        assert!(err.to_string().contains("stock_values"), "{err}");
        let err = VocabularySpec::parse("v.toml", "references = [\"a\", \"a\"]").unwrap_err();
        assert!(err.to_string().contains("repeats"), "{err}");
        let err = VocabularySpec::parse("v.toml", "colours = []").unwrap_err();
        assert!(err.to_string().contains("v.toml"), "{err}");
    }

    #[test]
    fn extending_appends_new_entries_once() {
        let mut a = VocabularySpec::parse("a", "stock_values = [\"x1\"]").unwrap();
        let b = VocabularySpec::parse("b", "stock_values = [\"x1\", \"acme-demo\"]").unwrap();
        a.extend(&b);
        assert_eq!(a.stock_values, ["x1", "acme-demo"]);
    }
}
