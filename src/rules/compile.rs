//! Compiles a [`RuleSet`] into what the engine runs: one byte regex per rule
//! (Unicode off: ASCII shapes, and `\w{100}` stays small), and one
//! keyword matcher ([`super::keywords`]) over every rule's keywords, which
//! decides which regexes run and where.

use super::schema::*;
use super::RuleSet;
use crate::finding::RuleMeta;
use crate::{Error, Result};
use regex::bytes::{Regex, RegexBuilder};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// A rule ready for the engine. Its regexes compile on first use: a scan of
/// one small file (the pre-commit case) meets a handful of keywords, and
/// compiling all of a few hundred rules' regexes up front was most of its
/// start-up time. Rules from user files are compiled at load instead, so a
/// bad pattern there is an error before anything is scanned.
#[derive(Debug)]
pub struct CompiledRule {
    pub meta: Arc<RuleMeta>,
    matcher: OnceLock<std::result::Result<Matcher, String>>,
    allow: OnceLock<std::result::Result<Vec<Regex>, String>>,
    pub entropy: Option<f64>,
    pub max_secret_length: Option<usize>,
    pub checksum: Option<Checksum>,
    pub validate: Vec<Validator>,
    pub params: ValidatorParams,
    pub lines_before: usize,
    pub bytes_after: usize,
    /// What the rule says about the name around its keyword.
    pub keyword_name: Option<NameFacts>,
    /// What the rule says follows its keyword.
    pub keyword_then: Option<ThenFacts>,
    pub placeholder_check: bool,
    pub spec: RuleSpec,
    pub origin: String,
}

/// A rule's compiled regex and where in a match its secret sits.
#[derive(Debug)]
pub struct Matcher {
    /// `regex::bytes`'s own engine, which also searches anchored (for the
    /// rules that say where their matches start, [`NameFacts::starts_match`]).
    pub regex: regex_automata::meta::Regex,
    /// Capture groups that may hold the secret: every group whose name starts
    /// with `secret` (alternatives such as quoted and unquoted values), else
    /// group 1, else the whole match. The first that participates wins.
    pub secret_groups: Vec<usize>,
    /// Index of the capture group named `name`, if the rule has one.
    pub name_group: Option<usize>,
    /// Index of the capture group named `user` (a URL's or SQL statement's
    /// user name), if the rule has one.
    pub user_group: Option<usize>,
}

impl CompiledRule {
    /// The rule's matcher, compiled on first use. `Err` only for a pattern
    /// that does not compile, which `rules check` and the test suite rule out
    /// for built-in rules and loading rules out for user rules.
    pub fn matcher(&self) -> std::result::Result<&Matcher, &str> {
        self.matcher
            .get_or_init(|| compile_matcher(&self.spec.regex))
            .as_ref()
            .map_err(String::as_str)
    }

    /// The rule's allow regexes (known placeholders, public values).
    pub fn allow(&self) -> std::result::Result<&[Regex], &str> {
        self.allow
            .get_or_init(|| {
                self.spec
                    .allow
                    .iter()
                    .map(|p| compile_regex(p).map_err(|e| regex_message(p, &e)))
                    .collect()
            })
            .as_ref()
            .map(Vec::as_slice)
            .map_err(String::as_str)
    }

    /// Compiles everything now; the error names the file and rule.
    pub fn compile_now(&self) -> Result<()> {
        let fail = |message: &str| Error::Regex {
            file: self.origin.clone(),
            rule: self.spec.id.clone(),
            message: message.to_string(),
        };
        self.matcher().map_err(fail)?;
        self.allow().map_err(fail)?;
        Ok(())
    }
}

/// What is wrong with a pattern, without quoting it: a user rule's regex
/// or allow-list may hold the very key it is about, and this message ends
/// up in CI logs.
fn regex_message(pattern: &str, e: &regex::Error) -> String {
    crate::quiet::regex_problem(pattern, e)
}

fn compile_matcher(pattern: &str) -> std::result::Result<Matcher, String> {
    // The engine `regex::bytes` wraps, configured as that wraps it, so the
    // one program serves plain and anchored searches. A pattern it refuses
    // goes through `compile_regex` for the same worded reason.
    let regex = regex_automata::meta::Builder::new()
        .syntax(
            regex_automata::util::syntax::Config::new()
                .unicode(false)
                .utf8(false),
        )
        .configure(
            regex_automata::meta::Config::new()
                .utf8_empty(false)
                .nfa_size_limit(Some(REGEX_SIZE))
                .onepass_size_limit(Some(REGEX_SIZE))
                .dfa_size_limit(Some(DFA_CACHE))
                .hybrid_cache_capacity(DFA_CACHE),
        )
        .build(pattern)
        .map_err(|_| match compile_regex(pattern) {
            Err(e) => regex_message(pattern, &e),
            Ok(_) => "invalid regex".to_string(),
        })?;
    let names: Vec<Option<&str>> = regex
        .group_info()
        .pattern_names(regex_automata::PatternID::ZERO)
        .collect();
    let mut secret_groups: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| n.is_some_and(|n| n.starts_with("secret")))
        .map(|(i, _)| i)
        .collect();
    if secret_groups.is_empty() {
        secret_groups.push(if names.len() > 1 { 1 } else { 0 });
    }
    let name_group = names.iter().position(|n| *n == Some("name"));
    let user_group = names.iter().position(|n| *n == Some("user"));
    Ok(Matcher {
        regex,
        secret_groups,
        name_group,
        user_group,
    })
}

/// The compiled rule set, shared read-only by every scanning thread.
#[derive(Debug)]
pub struct Rules {
    pub rules: Vec<CompiledRule>,
    pub providers: Vec<ProviderSpec>,
    pub credential_files: Vec<CredentialFileSpec>,
    /// Whether every credential-file pattern is built in, and so built by
    /// the test suite; patterns from a user's rule files are built at load.
    pub credential_files_builtin: bool,
    /// The generic detector's word lists.
    pub vocabulary: super::Vocabulary,
    /// Reserved example credentials that mark a documentation file, with
    /// what they are.
    pub example_documents: Vec<(Regex, String)>,
    /// Matches any rule's keyword, ASCII case-insensitively: see
    /// [`Rules::prefilter`].
    prefilter: super::keywords::Keywords,
    /// For each prefilter pattern, the rules it gates.
    pub(crate) keyword_rules: Vec<Vec<usize>>,
}

impl Rules {
    pub fn compile(set: &RuleSet) -> Result<Self> {
        let mut rules = Vec::new();
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_index: HashMap<String, usize> = HashMap::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for loaded in &set.files {
            let provider = &loaded.file.provider;
            for spec in &loaded.file.rules {
                let idx = rules.len();
                let rule = compile_rule(&loaded.origin, provider, spec);
                if !loaded.builtin {
                    rule.compile_now()?;
                }
                rules.push(rule);
                for kw in &spec.keywords {
                    let kw = kw.to_ascii_lowercase();
                    let k = *keyword_index.entry(kw.clone()).or_insert_with(|| {
                        keywords.push(kw);
                        keyword_rules.push(Vec::new());
                        keywords.len() - 1
                    });
                    if !keyword_rules[k].contains(&idx) {
                        keyword_rules[k].push(idx);
                    }
                }
            }
        }
        let prefilter = super::keywords::Keywords::new(keywords);
        let mut example_documents = Vec::new();
        for loaded in &set.files {
            for d in &loaded.file.example_documents {
                let regex = compile_regex(&d.regex).map_err(|e| Error::Regex {
                    file: loaded.origin.clone(),
                    rule: "example_documents".into(),
                    message: regex_message(&d.regex, &e),
                })?;
                example_documents.push((regex, d.description.clone()));
            }
        }
        Ok(Rules {
            vocabulary: super::Vocabulary::compile(&set.vocabulary)?,
            example_documents,
            rules,
            providers: set.providers().cloned().collect(),
            credential_files: set
                .files
                .iter()
                .flat_map(|f| f.file.credential_files.iter().cloned())
                .collect(),
            credential_files_builtin: set
                .files
                .iter()
                .all(|f| f.builtin || f.file.credential_files.is_empty()),
            prefilter,
            keyword_rules,
        })
    }

    /// The keyword matcher that decides which regexes run where.
    pub(crate) fn prefilter(&self) -> &super::keywords::Keywords {
        &self.prefilter
    }

    pub fn get(&self, id: &str) -> Option<&CompiledRule> {
        self.rules.iter().find(|r| r.meta.id == id)
    }

    pub fn provider(&self, id: &str) -> Option<&ProviderSpec> {
        self.providers.iter().find(|p| p.id == id)
    }
}

/// Each regex's lazy DFA cache, per thread, grows to this before it is
/// cleared: regex's default. At 16 MB the caches of ~350 rules swelled a
/// stdlib scan to 125 MB; at 2 MB it stays under 100 MB for about 3% more
/// CPU (BENCHMARKS.md), since a window around a keyword visits few states.
const DFA_CACHE: usize = 2 << 20;

/// Compiles one pattern the way every rule pattern is compiled.
pub fn compile_regex(pattern: &str) -> std::result::Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(REGEX_SIZE)
        .dfa_size_limit(DFA_CACHE)
        .build()
}

/// Whether `pattern` parses as [`compile_regex`] reads it, without
/// compiling it: for patterns only compiled when used (a verifier's
/// `pair.regex`, 5% of a one-file scan when compiled at load). A parsed
/// pattern can still exceed [`REGEX_SIZE`]; then it finds nothing.
pub fn regex_parses(pattern: &str) -> bool {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .is_ok()
}

/// The largest compiled program a pattern may become.
const REGEX_SIZE: usize = 32 << 20;

/// A set of bytes, written as a regex byte class (`[A-Za-z0-9_.-]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    pub fn parse(class: &str) -> std::result::Result<Self, String> {
        use regex_syntax::hir::{Class, HirKind};
        let not_a_class = || format!("`{class}` is not a byte class such as '[A-Za-z0-9_.-]'");
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(class)
            .map_err(|_| not_a_class())?;
        let mut set = [0u64; 4];
        // A bracket of one byte (`[:]`) parses as that byte's literal.
        if let (HirKind::Literal(lit), true) = (hir.kind(), class.starts_with('[')) {
            if let [b] = *lit.0 {
                set[usize::from(b >> 6)] |= 1 << (b & 63);
                return Ok(ByteSet(set));
            }
        }
        let HirKind::Class(Class::Bytes(bytes)) = hir.kind() else {
            return Err(not_a_class());
        };
        for range in bytes.iter() {
            for b in range.start()..=range.end() {
                set[usize::from(b >> 6)] |= 1 << (b & 63);
            }
        }
        Ok(ByteSet(set))
    }

    #[inline]
    pub fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] >> (b & 63) & 1 != 0
    }
}

/// A rule's [`KeywordThen`], compiled.
#[derive(Debug, Clone)]
pub struct ThenFacts {
    chars: ByteSet,
    then: ByteSet,
}

impl ThenFacts {
    pub fn new(spec: &KeywordThen) -> std::result::Result<Self, String> {
        let facts = ThenFacts {
            chars: ByteSet::parse(&spec.chars).map_err(|e| format!("keyword_then.chars: {e}"))?,
            then: ByteSet::parse(&spec.then).map_err(|e| format!("keyword_then.then: {e}"))?,
        };
        if (0..=255u8).any(|b| facts.chars.contains(b) && facts.then.contains(b)) {
            return Err("keyword_then.then shares bytes with keyword_then.chars: the run would swallow its end".into());
        }
        Ok(facts)
    }

    /// Whether the bytes from `keyword_end` on, before `end` (the window's
    /// end), hold the run and its end.
    #[inline]
    pub fn holds(&self, bytes: &[u8], keyword_end: usize, end: usize) -> bool {
        let run = bytes[keyword_end..end]
            .iter()
            .position(|&b| !self.chars.contains(b));
        run.is_some_and(|n| self.then.contains(bytes[keyword_end + n]))
    }
}

/// A rule's [`KeywordName`], compiled.
#[derive(Debug, Clone)]
pub struct NameFacts {
    pub chars: ByteSet,
    pub starts_match: bool,
    pub after: Option<ByteSet>,
}

impl NameFacts {
    pub fn new(spec: &KeywordName) -> std::result::Result<Self, String> {
        if !spec.starts_match && spec.after.is_none() {
            return Err("keyword_name states nothing: set `starts_match` or `after`".into());
        }
        Ok(NameFacts {
            chars: ByteSet::parse(&spec.chars).map_err(|e| format!("keyword_name.chars: {e}"))?,
            starts_match: spec.starts_match,
            after: spec
                .after
                .as_deref()
                .map(ByteSet::parse)
                .transpose()
                .map_err(|e| format!("keyword_name.after: {e}"))?,
        })
    }

    /// Where the name around the keyword hit at `hit` starts, looking no
    /// further back than `floor` (the window's start).
    #[inline]
    pub fn name_start(&self, bytes: &[u8], hit: usize, floor: usize) -> usize {
        let mut s = hit;
        while s > floor && self.chars.contains(bytes[s - 1]) {
            s -= 1;
        }
        s
    }
}

fn compile_rule(origin: &str, provider: &ProviderSpec, spec: &RuleSpec) -> CompiledRule {
    CompiledRule {
        meta: Arc::new(RuleMeta {
            id: spec.id.clone(),
            provider_id: provider.id.clone(),
            provider: provider.name.clone(),
            description: spec.description.clone(),
            confidence: spec.confidence,
            severity: spec.severity,
            help: spec.help.clone(),
            url: spec.url.clone(),
            tags: spec.tags.clone(),
        }),
        matcher: OnceLock::new(),
        allow: OnceLock::new(),
        entropy: spec.entropy,
        max_secret_length: spec.max_secret_length,
        checksum: spec.checksum,
        validate: spec.validate.clone(),
        params: spec.params,
        lines_before: spec.lines_before,
        bytes_after: spec.bytes_after,
        // `validate_file` refused a rule whose facts do not parse.
        keyword_name: spec
            .keyword_name
            .as_ref()
            .and_then(|k| NameFacts::new(k).ok()),
        keyword_then: spec
            .keyword_then
            .as_ref()
            .and_then(|k| ThenFacts::new(k).ok()),
        placeholder_check: !spec.no_placeholder_check,
        spec: spec.clone(),
        origin: origin.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A counted repetition such as `{16,12000}` unrolls into thousands of
    /// NFA states, and every scanning thread then carries that rule's
    /// program and caches: one such bound cost a stdlib scan ~25 MB of peak
    /// memory. The scan window already bounds a match, so `{16,}` does the
    /// same job; this keeps every built-in pattern under a size no ordinary
    /// shape needs.
    #[test]
    fn every_builtin_regex_compiles_small() {
        const LIMIT: usize = 1 << 20;
        let set = RuleSet::builtin().unwrap();
        let mut large = Vec::new();
        for spec in set.files.iter().flat_map(|f| &f.file.rules) {
            let small = RegexBuilder::new(&spec.regex)
                .unicode(false)
                .size_limit(LIMIT)
                .build();
            if small.is_err() {
                large.push(spec.id.as_str());
            }
        }
        assert!(
            large.is_empty(),
            "rules whose regex compiles past {LIMIT} bytes: {large:?}"
        );
    }
}
