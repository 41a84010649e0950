//! A scan, decided once: what to read, how to judge it, what to report.
//! The binary turns its flags into a [`ScanPlan`]; nothing below it reads
//! the command line.

use crate::filter::Filters;
use crate::report::{Format, RenderOptions};
use crate::scan::Scanner;
use crate::source::git::history::Selection;
use std::path::PathBuf;

/// Default size limit: larger files are generated or data, not code.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 << 20;

/// Most worker threads `-j` may ask for: past the core count more only
/// costs memory, and each is a process resource that can run out.
pub const MAX_THREADS: usize = 256;

/// What a scan reads.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Files and directories (`-` is standard input).
    Tree {
        roots: Vec<PathBuf>,
        no_ignore: bool,
    },
    /// The index git is about to commit.
    Staged { whole_files: bool },
    /// Commits of the repository holding `repo`.
    History { repo: PathBuf, selection: Selection },
}

/// What the report looks like and where it goes.
#[derive(Debug, Clone)]
pub struct Output {
    pub format: Format,
    /// A file to write atomically; standard output when `None`.
    pub path: Option<PathBuf>,
    pub render: RenderOptions,
    /// The summary line on stderr.
    pub summary: bool,
}

pub struct ScanPlan {
    pub mode: Mode,
    pub scanner: Scanner,
    pub filters: Filters,
    /// Files and blobs larger than this are skipped (and counted).
    pub max_file_size: u64,
    /// Worker threads, never 0.
    pub threads: usize,
    /// Tracked credential files are findings, untracked ones warnings.
    pub git_aware: bool,
    /// Keep every candidate with its verdict, for `--explain`.
    pub explain: bool,
    /// Check each finding's key with its provider (`--verify`), within these bounds.
    pub verify: Option<crate::verify::Settings>,
    /// Report only keys the provider accepted (`--only-live`).
    pub only_live: bool,
    /// How deep archives are opened, and what they may cost.
    pub archives: crate::source::archive::Limits,
    pub output: Output,
}

impl ScanPlan {
    /// SARIF carries GitHub's line hash, computed while the bytes are at hand.
    pub fn line_hashes(&self) -> bool {
        self.output.format == Format::Sarif
    }

    /// SARIF records accepted findings as suppressed results, so that
    /// GitHub does not close an alert and reopen it when a baseline
    /// changes; every other format drops them.
    pub fn keeps_suppressed(&self) -> bool {
        self.output.format == Format::Sarif
    }
}

/// Worker threads for `-j N`: 0 means one per core.
pub fn threads(requested: usize) -> usize {
    match requested {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n.min(MAX_THREADS),
    }
}

/// The repository's config: `explicit` (`--config`), else `.keylint.toml`
/// discovered from `start`, else none (or none at all with `no_config`).
pub fn load_config(
    explicit: Option<&std::path::Path>,
    start: &std::path::Path,
    no_config: bool,
) -> crate::Result<Option<crate::filter::config::Config>> {
    use crate::filter::config;
    match explicit {
        Some(path) if !path.is_file() => Err(crate::Error::config(
            path.display().to_string(),
            if path.exists() {
                "not a config file; fix the --config path or drop --config to use .keylint.toml"
            } else {
                "no such config file; fix the --config path or drop --config to use .keylint.toml"
            },
        )),
        Some(path) => config::Config::load(path).map(Some),
        None if no_config => Ok(None),
        None => config::discover(start, config::FILE_NAME)
            .map(|p| config::Config::load(&p))
            .transpose(),
    }
}

/// The `.keylintignore` that goes with `config`: beside it when there is a
/// config file (so a scan run from a subdirectory and `explain` of a file
/// there read the same one), else the nearest one above `start`; none with
/// `--no-config`.
pub fn find_ignore_file(
    config: Option<&crate::filter::config::Config>,
    start: &std::path::Path,
    no_config: bool,
) -> Option<std::path::PathBuf> {
    use crate::filter::{baseline::IGNORE_FILE, config};
    match config {
        _ if no_config => None,
        Some(c) => Some(c.root.join(IGNORE_FILE)).filter(|p| p.is_file()),
        None => config::discover(start, IGNORE_FILE),
    }
}

/// The rules in effect: the built-in ones (or those in `rules_dir`), with
/// the config's extra rules, `disable` and overrides applied, compiled.
pub fn load_scanner(
    config: Option<&crate::filter::config::Config>,
    rules_dir: Option<&std::path::Path>,
) -> crate::Result<Scanner> {
    let mut set = match rules_dir {
        Some(dir) => crate::rules::RuleSet::from_dir(dir)?,
        None => crate::rules::RuleSet::builtin_for_scan()?,
    };
    if let Some(c) = config {
        c.apply(&mut set)?;
    }
    Ok(Scanner::new(std::sync::Arc::new(set.compile()?)))
}
