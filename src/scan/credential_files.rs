//! Paths that hold credentials by their name alone (`.env`, `*.pem`,
//! `.muapi/config.json`): the `credential_files` of every rule file, matched
//! like `.gitignore` patterns at any depth. A tracked match is the finding
//! `tracked-credential-file`, whatever the file's content.

use crate::filter::paths::PathPatterns;
use crate::finding::{Finding, LineContext, Location, Secret};
use crate::rules::{Confidence, CredentialFileSpec, RuleMeta, Rules, Severity};
use crate::{Error, Result};
use std::sync::Arc;

pub const RULE_ID: &str = "tracked-credential-file";

pub struct CredentialFiles {
    specs: Vec<CredentialFileSpec>,
    /// One matcher per spec: its pattern, then its exemptions.
    sets: Vec<(PathPatterns, PathPatterns)>,
    meta: Arc<RuleMeta>,
    /// The same finding when the file's content holds a credential too:
    /// an error, where a tracked `.env` of plain settings is a warning.
    holding: Arc<RuleMeta>,
}

impl CredentialFiles {
    pub fn new(rules: &Rules) -> Result<Self> {
        let specs = rules.credential_files.clone();
        let compile = |patterns: &[String]| {
            PathPatterns::new(patterns, true).map_err(|(i, why)| {
                Error::failed(format!("credential file pattern {:?}", patterns[i]), why)
            })
        };
        let sets = specs
            .iter()
            .map(|s| Ok((compile(std::slice::from_ref(&s.glob))?, compile(&s.unless)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(CredentialFiles {
            specs,
            sets,
            meta: Arc::new(meta()),
            holding: Arc::new(holding_meta()),
        })
    }

    /// The spec a repository-relative path matches, if any.
    pub fn matches(&self, path: &str) -> Option<&CredentialFileSpec> {
        self.sets
            .iter()
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
