//! Filters decide which findings a user has already accepted, each with a
//! reason `--explain` can show:
//! - inline allow comments ([`inline`]), which need the file's bytes and so
//!   run in the scanning thread;
//! - the config's path and value allow-lists ([`config`]);
//! - a baseline and `.keylintignore` ([`baseline`]).

pub mod baseline;
pub mod config;
pub mod inline;
pub mod paths;

use crate::finding::Finding;
use baseline::Accepted;
use config::Config;
use std::path::{Component, Path, PathBuf};

/// Where the decision to accept a finding lives: in the file itself (an
/// inline marker) or outside it (the config, a baseline, .keylintignore).
/// SARIF's `suppressions[].kind` says the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionKind {
    InSource,
    External,
}

/// Why a finding the rules report is not: where, and the user's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub kind: SuppressionKind,
    pub justification: String,
}

impl Suppression {
    fn external(justification: String) -> Self {
        Suppression {
            kind: SuppressionKind::External,
            justification,
        }
    }
}

#[derive(Debug, Default)]
pub struct Filters {
    pub config: Option<Config>,
    pub accepted: Vec<Accepted>,
    /// Config roots are matched against paths made absolute from here.
    cwd: PathBuf,
    /// `config.root`, absolute and normalised, computed once.
    root: Option<PathBuf>,
    /// The config file itself: its rule examples are keylint's own data.
    config_file: Option<PathBuf>,
}

impl Filters {
    pub fn new(config: Option<Config>, accepted: Vec<Accepted>) -> Self {
        let cwd = std::env::current_dir().unwrap_or_default();
        let root = config.as_ref().map(|c| {
            std::fs::canonicalize(&c.root).unwrap_or_else(|_| normalize(&cwd.join(&c.root)))
        });
        let config_file = config.as_ref().map(|c| {
            std::fs::canonicalize(&c.path).unwrap_or_else(|_| normalize(&cwd.join(&c.path)))
        });
        Filters {
            config,
            accepted,
            cwd,
            root,
            config_file,
        }
    }

    /// Why a finding is not reported, or `None`. `bytes` is the file's
    /// content when at hand (needed for inline comments).
    pub fn dropped_by(&self, f: &Finding, bytes: Option<&[u8]>) -> Option<String> {
        let allows = bytes.and_then(inline::InlineAllows::parse);
        self.dropped_with(f, allows.as_ref())
    }

    /// [`Filters::dropped_by`] with the file's markers already parsed.
    pub fn dropped_with(
        &self,
        f: &Finding,
        allows: Option<&inline::InlineAllows>,
    ) -> Option<String> {
        self.suppression(f, allows).map(|s| s.justification)
    }

    /// [`Filters::dropped_with`], saying whether the decision is in the
    /// file or outside it.
    pub fn suppression(
        &self,
        f: &Finding,
        allows: Option<&inline::InlineAllows>,
    ) -> Option<Suppression> {
        if let Some(marker) =
            allows.and_then(|a| a.allowed_by(f.location.line, f.location.end_line))
        {
            return Some(Suppression {
                kind: SuppressionKind::InSource,
                justification: format!("inline `{marker}`"),
            });
        }
        if let (Some(c), Some(root)) = (&self.config, &self.root) {
            let abs = normalize(&self.cwd.join(&f.location.path));
            if self.config_file.as_ref() == Some(&abs) {
                return Some(Suppression::external(
                    "keylint's own config file".to_string(),
                ));
            }
            let rel = abs.strip_prefix(root).unwrap_or(&abs);
            if let Some(why) = c.allowed_by(&rel.to_string_lossy(), f.secret.expose()) {
                return Some(Suppression::external(why));
            }
            // Inside an archive or notebook: the file's own path counts too.
            if f.within.is_some() {
                let abs = normalize(&self.cwd.join(f.artifact()));
                let rel = abs.strip_prefix(root).unwrap_or(&abs);
                if let Some(why) = c.allowed_by(&rel.to_string_lossy(), f.secret.expose()) {
                    return Some(Suppression::external(why));
                }
            }
        }
        self.accepted
            .iter()
            .find_map(|a| a.accepts(f))
            .map(|origin| Suppression::external(format!("accepted in {origin}")))
    }

    /// Keeps the findings no filter drops; the file's markers are parsed once.
    pub fn retain(&self, bytes: Option<&[u8]>, findings: &mut Vec<Finding>) {
        let allows = bytes.and_then(inline::InlineAllows::parse);
        findings.retain(|f| self.dropped_with(f, allows.as_ref()).is_none());
    }
}

/// `a/./b/../c` → `a/c` without touching the filesystem.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
