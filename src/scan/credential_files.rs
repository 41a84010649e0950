//! Paths that hold credentials by their name alone (`.env`, `*.pem`,
//! `.muapi/config.json`): the `credential_files` of every rule file, matched
//! like `.gitignore` patterns at any depth. A tracked match is the finding
//! `tracked-credential-file`, whatever the file's content.

use crate::filter::paths::PathPatterns;
use crate::finding::{Finding, LineContext, Location, Secret};
use crate::rules::{Confidence, CredentialFileSpec, RuleMeta, Rules, Severity};
use crate::{Error, Result};
use std::sync::{Arc, OnceLock};

pub const RULE_ID: &str = "tracked-credential-file";

pub struct CredentialFiles {
    specs: Vec<CredentialFileSpec>,
    /// Every spec's pattern in one matcher: most paths match none, and one
    /// lookup says so.
    any: PathPatterns,
    /// One matcher per spec (its pattern, then its exemptions), built the
    /// first time `any` matches: 73 built-in specs each built a glob set,
    /// a tenth of a one-file scan's start-up, and a `--no-git` scan or a
    /// commit of ordinary files needs none of them. `None` if one failed
    /// to build.
    sets: OnceLock<Option<Vec<(PathPatterns, PathPatterns)>>>,
    meta: Arc<RuleMeta>,
    /// The same finding when the file's content holds a credential too:
    /// an error, where a tracked `.env` of plain settings is a warning.
    holding: Arc<RuleMeta>,
}

impl CredentialFiles {
    pub fn new(rules: &Rules) -> Result<Self> {
        let specs = rules.credential_files.clone();
        fn named(patterns: &[String]) -> impl Fn((usize, ignore::Error)) -> Error + '_ {
            move |(i, why)| Error::failed(format!("credential file pattern {:?}", patterns[i]), why)
        }
        // Negations match nothing alone, and in one matcher they would
        // cancel other specs' patterns.
        let globs: Vec<String> = specs
            .iter()
            .map(|s| s.glob.clone())
            .filter(|g| !g.starts_with('!'))
            .collect();
        let any = PathPatterns::new(&globs, true).map_err(named(&globs))?;
        if !rules.credential_files_builtin {
            any.build_now()
                .map_err(|why| Error::failed("the rule files' credential_files", why))?;
        }
        for s in &specs {
            PathPatterns::check(&s.unless, true).map_err(named(&s.unless))?;
        }
        Ok(CredentialFiles {
            specs,
            any,
            sets: OnceLock::new(),
            meta: Arc::new(meta()),
            holding: Arc::new(holding_meta()),
        })
    }

    /// The spec a repository-relative path matches, if any: the first
    /// whose pattern matches and whose exemptions do not.
    pub fn matches(&self, path: &str) -> Option<&CredentialFileSpec> {
        if !self.any.is_match(path) {
            return None;
        }
        let sets = self.sets.get_or_init(|| {
            let compile = |p: &[String]| PathPatterns::new(p, true).ok();
            self.specs
                .iter()
                .map(|s| Some((compile(std::slice::from_ref(&s.glob))?, compile(&s.unless)?)))
                .collect()
        });
        let Some(sets) = sets else {
            // Every pattern parsed in `new`, and together they built; should
            // one alone not (a resource limit), fail closed: the spec whose
            // pattern matched, its exemptions unapplied.
            let glob = self.any.matched(path)?;
            return self.specs.iter().find(|s| s.glob == glob);
        };
        sets.iter()
            .position(|(yes, no)| yes.is_match(path) && !no.is_match(path))
            .map(|i| &self.specs[i])
    }

    /// The finding for a tracked credential file shown as `display`.
    pub fn finding(&self, display: &str, spec: &CredentialFileSpec) -> Finding {
        Finding::new(
            self.meta.clone(),
            Location {
                path: display.to_string(),
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 1,
            },
            Secret::new(display),
            LineContext::note(format!(
                "{} is tracked by git: {}",
                display, spec.description
            )),
        )
    }
}

impl CredentialFiles {
    /// A tracked credential file in whose content the scan found a
    /// credential is an error (`--fail-on error` blocks it); one holding
    /// only settings stays a warning. `findings` are one scan's, sorted.
    pub fn escalate_holding(&self, findings: &mut [Finding]) {
        let holding: std::collections::HashSet<String> = findings
            .iter()
            .filter(|f| f.rule.id != RULE_ID)
            .map(|f| f.location.path.clone())
            .collect();
        for f in findings.iter_mut() {
            if f.rule.id == RULE_ID && holding.contains(&f.location.path) {
                f.rule = self.holding.clone();
            }
        }
    }
}

fn holding_meta() -> RuleMeta {
    RuleMeta {
        description: "Credential file tracked by git, holding a credential".to_string(),
        confidence: Confidence::High,
        ..meta()
    }
}

fn meta() -> RuleMeta {
    RuleMeta {
        id: RULE_ID.to_string(),
        provider_id: "files".to_string(),
        provider: "Credential files".to_string(),
        description: "Credential file tracked by git".to_string(),
        confidence: Confidence::Medium,
        severity: Severity::High,
        help: "Stop tracking it: `git rm --cached PATH`, add PATH to .gitignore, and rotate whatever it holds (it is in every clone and in history).".to_string(),
        url: None,
        tags: vec!["git".to_string(), "file".to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    fn with_files(toml: &str) -> Result<CredentialFiles> {
        let mut set = RuleSet::builtin().unwrap();
        set.add_toml("extra.toml", toml)?;
        CredentialFiles::new(&set.compile()?)
    }

    #[test]
    fn a_pattern_that_does_not_parse_is_an_error_naming_it() {
        for (glob, unless) in [("keys/[z-a].pem", "[]"), ("*.key", "['demo/[z-a].key']")] {
            let err = with_files(&format!(
                "[provider]\nid = 'x'\nname = 'X'\n[[credential_files]]\nglob = '{glob}'\nunless = {unless}\ndescription = 'd'\n"
            ))
            .err()
            .unwrap_or_else(|| panic!("refused: {glob} {unless}"));
            assert!(err.to_string().contains("[z-a]"), "{err}");
        }
    }

    #[test]
    fn a_negated_pattern_does_not_cancel_another_specs_match() {
        let c = with_files(
            "[provider]\nid = 'x'\nname = 'X'\n[[credential_files]]\nglob = '!*.pem'\ndescription = 'd'\n",
        )
        .unwrap();
        assert!(c.matches("certs/server.pem").is_some());
    }

    #[test]
    fn built_in_credential_files() {
        let rules = RuleSet::builtin().unwrap().compile().unwrap();
        let c = CredentialFiles::new(&rules).unwrap();
        for p in [
            ".env",
            "app/.env.production",
            "certs/server.pem",
            "deploy/id_ed25519",
            ".muapi/config.json",
            "infra/prod.tfstate",
            "home/.docker/config.json",
        ] {
            assert!(c.matches(p).is_some(), "{p}");
        }
        for p in [
            ".env.example",
            "app/.env.sample",
            "src/env.rs",
            "docs/keys.md",
            "id_rsa.pub",
            "certs/ca-chain.pem",
        ] {
            assert!(c.matches(p).is_none(), "{p}");
        }
    }
}
