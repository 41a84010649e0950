//! What became of each candidate a blob's judging produced: reported,
//! accepted by the user (with where and why), or dropped (with the check
//! that dropped it). The pipeline makes these; reports render them.

use crate::filter::Suppression;
use crate::finding::Finding;
use crate::scan::DropReason;

/// What became of one candidate, for `--explain`.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Reported,
    /// Reported by the rules, accepted by the user: an inline marker, the
    /// config's allow-lists, a baseline.
    Allowed(String),
    Dropped(DropReason),
}

/// A candidate with its finding (location, redacted line) and outcome.
#[derive(Debug, Clone)]
pub struct Considered {
    pub finding: Finding,
    pub outcome: Outcome,
}

/// A finding the rules report and the user accepted, with where and why.
#[derive(Debug, Clone)]
pub struct Suppressed {
    pub finding: Finding,
    pub suppression: Suppression,
}
