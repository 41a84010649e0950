//! Renderers: each turns the final, sorted findings into one output format
//! and knows nothing of how they were found.

pub mod explain;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod line_hash;
pub mod providers;
pub mod sarif;
pub mod terminal;

use std::time::Duration;

/// What a scan covered, for the summary line and machine formats.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    pub files: u64,
    pub bytes: u64,
    pub findings: usize,
    pub skipped_binary: u64,
    pub skipped_large: u64,
    /// Git LFS pointers: their content is not in the repository.
    pub skipped_lfs: u64,
    /// Bytes the detectors read: the text, the windows their patterns ran
    /// on, decoded views ([`crate::scan::cost`]).
    pub searched_bytes: u64,
    pub errors: u64,
    /// With `--verify`: findings whose key the provider accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<usize>,
    #[serde(skip)]
    pub elapsed: Duration,
}

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// rustc-like blocks for a person.
    Human,
    Json,
    /// One JSON object per finding per line (JSON Lines).
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitLab's secret-detection report.
    Gitlab,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub color: bool,
    pub show_secrets: bool,
}

/// `1.5 MiB`, `320 B`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
