//! `.keylint.toml`: a repository's own rules and allow-lists.
//!
//! ```toml
//! disable = ["jwt"]                  # rule ids to turn off
//! max_file_size = "5MiB"
//!
//! [allow]
//! paths = ["fixtures/**", "docs/*.md"]   # gitignore-style globs, relative to this file
//! values = ["^test_[a-z]+$"]             # regexes on the secret
//!
//! [overrides.generic-secret]         # per-rule thresholds
//! entropy = 3.5
//!
//! [vocabulary]                       # words added to rules/vocabulary/generic.toml's lists
//! stock_values = ["acme-demo"]
//!
//! [[rules]]                          # extra rules, same schema as rules/*.toml
//! id = "acme-internal-token"
//! ...
//!
//! [run]                              # for `keylint run` and `keylint key`:
//! providers = ["openai"]             # read by `keys::project` (docs/keys.md)
//! ```
//! Unknown keys and bad regexes are errors naming the file, line and key.

use super::paths::PathPatterns;
use crate::quiet::{quiet_message, regex_problem};
use crate::rules::{
    compile::compile_regex, ProviderSpec, RuleFile, RuleSet, RuleSpec, VocabularySpec,
};
use crate::verify::config::{provider_problem, ProviderSettings, VerifyConfig};
use crate::{Error, Result};
use regex::bytes::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = ".keylint.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    max_file_size: Option<String>,
    #[serde(default)]
    allow: RawAllow,
    #[serde(default)]
    overrides: BTreeMap<String, RuleOverride>,
    #[serde(default)]
    provider: Option<ProviderSpec>,
    #[serde(default)]
    rules: Vec<RuleSpec>,
    /// Words added to the generic detector's lists (`rules/vocabulary/generic.toml`).
    #[serde(default)]
    vocabulary: Option<VocabularySpec>,
    /// `[run]` and `[keys]` belong to the key resolver, which reads and
    /// checks them itself (`keys::project`); the scanner leaves them alone.
    #[serde(default)]
    #[allow(dead_code)]
    run: Option<toml::Table>,
    #[serde(default)]
    #[allow(dead_code)]
    keys: Option<toml::Table>,
    /// `[providers.ID]`: per-provider settings (a validator's base URL).
    #[serde(default)]
    providers: BTreeMap<String, ProviderSettings>,
    /// `[verify]`: bounds for `--verify` (`crate::verify::config`).
    #[serde(default)]
    verify: VerifyConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    values: Vec<String>,
}

/// Thresholds a repository may tune per rule.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleOverride {
    #[serde(default)]
    pub entropy: Option<f64>,
    /// Extra allow regexes on the secret, for this rule only.
    #[serde(default)]
    pub allow: Vec<String>,
}

/// A loaded, validated config.
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    /// The directory path globs are relative to.
    pub root: PathBuf,
    pub disable: Vec<String>,
    pub max_file_size: Option<u64>,
    allow_paths: PathPatterns,
    allow_values: Vec<Regex>,
    overrides: BTreeMap<String, RuleOverride>,
    extra: Option<RuleFile>,
    pub providers: BTreeMap<String, ProviderSettings>,
    pub verify: VerifyConfig,
    vocabulary: Option<VocabularySpec>,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let file = path.display().to_string();
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| line_col(text, s.start))
                .map_or(String::new(), |(l, c)| format!(":{l}:{c}"));
            Error::config(format!("{file}{at}"), quiet_message(e.message()))
        })?;
        let allow_paths = PathPatterns::new(&raw.allow.paths, false).map_err(|(i, why)| {
            Error::config(
                at_key(&file, text, &raw.allow.paths[i]),
                format!(
                    "allow.paths entry {}: not a gitignore-style pattern ({why})",
                    i + 1
                ),
            )
        })?;
        allow_paths
            .build_now()
            .map_err(|why| Error::config(&file, format!("allow.paths: {why}")))?;
        let allow_values = raw
            .allow
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                compile_regex(v).map_err(|e| {
                    Error::config(
                        at_key(&file, text, v),
                        format!("allow.values entry {}: {}", i + 1, regex_problem(v, &e)),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        for (id, o) in &raw.overrides {
            for (i, a) in o.allow.iter().enumerate() {
                compile_regex(a).map_err(|e| {
                    Error::config(
                        at_key(&file, text, a),
                        format!(
                            "overrides.{id}.allow entry {}: {}",
                            i + 1,
                            regex_problem(a, &e)
                        ),
                    )
                })?;
            }
        }
        let max_file_size = raw
            .max_file_size
            .as_deref()
            .map(|s| {
                parse_size(s).map_err(|m| {
                    Error::config(at_key(&file, text, s), format!("max_file_size: {m}"))
                })
            })
            .transpose()?;
        for (id, p) in &raw.providers {
            if let Some(problem) = provider_problem(id, p) {
                let at = p.base_url.as_deref().unwrap_or(id);
                return Err(Error::config(at_key(&file, text, at), problem));
            }
        }
        if let Some(problem) = raw.verify.problem() {
            return Err(Error::config(at_key(&file, text, "[verify]"), problem));
        }
        let extra = (!raw.rules.is_empty()).then(|| RuleFile {
            provider: raw.provider.clone().unwrap_or_else(|| ProviderSpec {
                id: "custom".into(),
                name: "Custom".into(),
                ..ProviderSpec::default()
            }),
            rules: raw.rules,
            credential_files: vec![],
            example_documents: vec![],
        });
        if let Some(v) = &raw.vocabulary {
            v.check(&file)?;
        }
        let root = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Ok(Config {
            path: path.to_path_buf(),
            root,
            disable: raw.disable,
            max_file_size,
            allow_paths,
            allow_values,
            overrides: raw.overrides,
            extra,
            providers: raw.providers,
            verify: raw.verify,
            vocabulary: raw.vocabulary,
        })
    }

    /// Applies the config to the rule set: extra rules, `disable`, overrides.
    pub fn apply(&self, set: &mut RuleSet) -> Result<()> {
        let file = self.path.display().to_string();
        if let Some(extra) = &self.extra {
            set.add(&file, extra.clone())?;
        }
        set.disable(&self.disable, &file)?;
        for id in self.providers.keys() {
            if !set.providers().any(|p| &p.id == id) {
                return Err(Error::config(
                    &file,
                    format!("providers.{id}: no provider `{id}` (see `keylint key providers`)"),
                ));
            }
        }
        if let Some(v) = &self.vocabulary {
            set.vocabulary.extend(v);
        }
        for (id, o) in &self.overrides {
            let rule = set
                .files
                .iter_mut()
                .flat_map(|f| f.file.rules.iter_mut())
                .find(|r| &r.id == id)
                .ok_or_else(|| {
                    Error::config(
                        &file,
                        format!("overrides.{id}: no rule `{id}` (see `keylint rules`)"),
                    )
                })?;
            if o.entropy.is_some() {
                rule.entropy = o.entropy;
            }
            rule.allow.extend(o.allow.iter().cloned());
        }
        Ok(())
    }

    /// Which allow entry covers a finding at `path` (relative to the config's
    /// directory) with this secret, if any.
    pub fn allowed_by(&self, rel_path: &str, secret: &str) -> Option<String> {
        if let Some(pattern) = self.allow_paths.matched(rel_path) {
            return Some(format!(
                "allow.paths {pattern:?} in {}",
                self.path.display()
            ));
        }
        // The entry's number, not its text: an allow-list of values may
        // hold the very secret it allows.
        self.allow_values
            .iter()
            .position(|r| r.is_match(secret.as_bytes()))
            .map(|i| format!("allow.values entry {} in {}", i + 1, self.path.display()))
    }
}

/// Finds a repository file for a scan (`.keylint.toml`, `.keylintignore`):
/// at the root of the git work tree holding `start`, else in `start` itself
/// (or its directory).
pub fn discover(start: &Path, name: &str) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(start).ok()?;
    let dir = if abs.is_dir() {
        abs.clone()
    } else {
        abs.parent()?.to_path_buf()
    };
    let mut cur = Some(dir.as_path());
    while let Some(d) = cur {
        if d.join(".git").exists() {
            let c = d.join(name);
            return c.is_file().then_some(c);
        }
        cur = d.parent();
    }
    let c = dir.join(name);
    c.is_file().then_some(c)
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// `FILE:LINE` of the first line mentioning `needle`, for errors about values.
fn at_key(file: &str, text: &str, needle: &str) -> String {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(file.to_string(), |i| format!("{file}:{}", i + 1))
}

/// `10MiB`, `500k`, `1G`, `4096`. Errors do not repeat the value: it sits
/// in a config a secret may have been pasted into.
pub fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| "not a size: use e.g. 500KiB, 10MiB, 1G".to_string())?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err("unknown unit: use B, KiB, MiB or GiB".to_string()),
    };
    n.checked_mul(mult).ok_or_else(|| {
        "too large: at most 16 EiB, and anything past a few GiB is no source file".to_string()
    })
}
