//! Command-line definitions only (clap derive). Each subcommand's `run` in
//! `cmd/` turns these "low" args into a plan once; nothing downstream
//! re-reads the command line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "keylint",
    version,
    about = "Finds hard-coded API keys and credentials, and helps you use keys safely.",
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files, the staged change, or git history for hard-coded credentials.
    Scan(ScanArgs),
    /// List the built-in rules, or check every rule's examples.
    Rules(RulesArgs),
    /// Show, for every candidate in a file, why it was reported or dropped.
    Explain(ExplainArgs),
    /// Store, resolve, list and remove API keys for local use.
    Key(KeyArgs),
    /// Run a command with resolved API keys in its environment only.
    Run(RunArgs),
    /// Install or remove keylint as a plain git pre-commit hook.
    Hook(HookArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print keylint's man page (roff) on standard output; with a
    /// subcommand, that subcommand's page (`keylint-scan(1)`).
    #[command(hide = true)]
    Man {
        /// The subcommand (`scan`, `hook`, ...).
        command: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    // One JSON object per finding, one per line.
    Jsonl,
    Sarif,
    // GitLab's secret-detection report (gl-secret-detection-report.json).
    Gitlab,
}

/// The least severe finding that makes the exit code 1. A value_enum, so
/// a later level (`live`: only keys the provider accepts) is one more
/// variant of the same flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    // Only errors (high-confidence keys, credential files holding one).
    Error,
    // Warnings too (generic and context matches): every finding.
    Warning,
    // Only keys the provider accepted (live, live-no-credits,
    // live-restricted); implies --verify.
    Live,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Print secrets in full. Nothing else ever does.
    #[arg(long)]
    pub show_secrets: bool,
    /// Also scan files that .gitignore, .ignore and git's excludes leave out.
    #[arg(long)]
    pub no_ignore: bool,
    /// Skip files larger than this (e.g. 500KiB, 10MiB, 1G; bytes without a unit).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Open archives (zip, jar, wheel, tar, .tar.gz, .gz, .bz2, .xz, .zst…)
    /// and archives inside them this deep; 0 scans none of them.
    #[arg(long, value_name = "N", default_value_t = keylint::source::archive::DEFAULT_DEPTH,
          value_parser = clap::value_parser!(u32).range(0..=32))]
    pub archive_depth: u32,
    /// Stop reading an archive once it has inflated to SIZE (default 256MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_archive_size: Option<u64>,
    /// Worker threads (default: one per core; at most 256).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u16).range(0..=keylint::plan::MAX_THREADS as i64))]
    pub threads: u16,
    /// No output at all: only the exit code (a report -o names is still written).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// No summary line on stderr (the report and warnings still print).
    #[arg(long)]
    pub no_summary: bool,
    /// Exit 1 only for findings at this level or above (default: warning;
    /// error in `keylint hook run`), or only for live keys (implies --verify).
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,
    /// Exit 0 even when something is found (report only).
    #[arg(long)]
    pub exit_zero: bool,
    /// Config file (default: .keylint.toml at the repository root, if present).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore .keylint.toml and .keylintignore: built-in rules only.
    #[arg(long)]
    pub no_config: bool,
    /// Report only findings not recorded in this baseline.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings as a baseline in FILE.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// For every candidate, say why it was reported or dropped.
    #[arg(long)]
    pub explain: bool,
    /// Scan what is staged for commit (the index), not the working tree.
    #[arg(long, conflicts_with_all = ["history", "range"])]
    pub staged: bool,
    /// With --staged: report whole staged files, not only the added lines.
    #[arg(long, requires = "staged")]
    pub whole_files: bool,
    /// Scan every commit reachable from HEAD.
    #[arg(long, conflicts_with = "range")]
    pub history: bool,
    /// With --history: every ref, not only HEAD.
    #[arg(long, requires = "history")]
    pub all_refs: bool,
    /// Scan the commits in BASE..HEAD (what a pull request adds).
    #[arg(long, value_name = "BASE..HEAD")]
    pub range: Option<String>,
    /// Turn git awareness off: no tracked-credential-file check.
    #[arg(long)]
    pub no_git: bool,
    /// Load rule files from DIR instead of the built-in ones (for writing rules).
    #[arg(long, value_name = "DIR")]
    pub rules_dir: Option<PathBuf>,
    /// Ask each finding's provider whether its key is live (sends each key
    /// to its own provider only; see docs/verify.md).
    #[arg(long)]
    pub verify: bool,
    /// Report only keys the provider accepted (implies --verify).
    #[arg(long)]
    pub only_live: bool,
}

impl ScanArgs {
    /// Whether the scan checks keys with their providers.
    pub fn verifies(&self) -> bool {
        self.verify || self.only_live || self.fail_on == Some(FailOn::Live)
    }
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub action: Option<RulesAction>,
    /// Config file whose extra rules (and `disable`) to apply.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Load rule files from DIR instead of the built-in ones (for writing rules).
    #[arg(long, value_name = "DIR", global = true)]
    pub dir: Option<PathBuf>,
    /// Only rules of this provider (its id, e.g. `openai`); repeatable.
    #[arg(long = "provider", short = 'p', value_name = "ID", global = true)]
    pub providers: Vec<String>,
    /// Only rules with this tag (e.g. `ai`, `generic`, `cloud`); repeatable.
    #[arg(long = "tag", value_name = "TAG", global = true)]
    pub tags: Vec<String>,
    /// How to list them: a text table, JSON, or the Markdown table of
    /// docs/providers.md.
    #[arg(long, value_enum, default_value_t = RulesFormat::Text, global = true)]
    pub format: RulesFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// List rules: id, provider, description (the default).
    List {
        /// As JSON (same as --format json).
        #[arg(long, hide = true)]
        json: bool,
    },
    /// Run every rule's examples and counter-examples through the engine.
    Check,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// FILE or FILE:LINE.
    pub target: String,
    /// One line per candidate, or a JSON array.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
    /// Config file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    #[command(subcommand)]
    pub action: KeyAction,
}

/// Which of a provider's stored keys: `--name ci`, or a profile's
/// (`--profile staging` selects the key named `staging`).
#[derive(Debug, Args, Clone, Default)]
pub struct KeyName {
    /// The key's name in keylint's store (default: the profile's name, else `default`).
    #[arg(long, visible_alias = "profile", value_name = "NAME", value_parser = parse_key_name)]
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeyAction {
    /// Store a key in keylint's store (read from stdin or a silent prompt).
    Set {
        provider: String,
        #[command(flatten)]
        name: KeyName,
        /// The key itself (lands in shell history: prefer stdin or the prompt).
        #[arg(long, value_name = "KEY")]
        api_key: Option<String>,
        /// When the provider stops accepting the key (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        expires: Option<String>,
        /// Replace a stored key without asking; store a key that fails the shape check.
        #[arg(long)]
        force: bool,
        /// Also write the provider's own config file (e.g. ~/.muapi/config.json).
        #[arg(long)]
        to_provider_config: bool,
    },
    /// Replace a stored key with a new one, keeping the old one's fingerprint.
    Rotate {
        provider: String,
        #[command(flatten)]
        name: KeyName,
        /// The new key (lands in shell history: prefer stdin or the prompt).
        #[arg(long, value_name = "KEY")]
        api_key: Option<String>,
        /// When the provider stops accepting the new key (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        expires: Option<String>,
        /// Store a key that fails the shape check.
        #[arg(long)]
        force: bool,
    },
    /// Copy the key from the provider's own config file into keylint's store.
    Import {
        provider: String,
        #[command(flatten)]
        name: KeyName,
    },
    /// Resolve a key: --api-key, environment, keylint's store, provider config.
    Get {
        provider: String,
        #[command(flatten)]
        name: KeyName,
        #[arg(long, value_name = "KEY")]
        api_key: Option<String>,
        /// Print the bare key (for piping). Nothing else prints it.
        #[arg(long)]
        reveal: bool,
    },
    /// Every provider whose key resolves, with source, age and warnings.
    List {
        #[command(flatten)]
        name: KeyName,
        /// Also ask each provider whether the key is live.
        #[arg(long)]
        check: bool,
    },
    /// Ask each provider whether its resolved key is live (default: every
    /// provider whose key resolves).
    Check {
        providers: Vec<String>,
        #[command(flatten)]
        name: KeyName,
        /// Check this key (for one PROVIDER) instead of resolving one.
        #[arg(long, value_name = "KEY")]
        api_key: Option<String>,
    },
    /// Remove a provider's key from keylint's store.
    Rm {
        provider: String,
        #[command(flatten)]
        name: KeyName,
    },
    /// The providers keylint knows keys for: ids, environment variables, config files.
    Providers,
}

#[derive(Debug, Args)]
#[command(trailing_var_arg = true)]
pub struct RunArgs {
    /// Inject this provider's key (repeatable).
    #[arg(long = "provider", short = 'p', value_name = "PROVIDER")]
    pub providers: Vec<String>,
    /// Inject every key that resolves (default: only -p, or .keylint.toml's [run] providers).
    #[arg(long, conflicts_with = "providers")]
    pub all: bool,
    /// Use the profile's keys: the key named PROFILE for each provider.
    #[arg(long, value_name = "PROFILE", value_parser = parse_key_name)]
    pub profile: Option<String>,
    /// Replace variables already set in the environment.
    #[arg(long = "override")]
    pub override_env: bool,
    /// Pass the command's output through untouched.
    #[arg(long)]
    pub no_masking: bool,
    /// The command and its arguments, after `--`.
    #[arg(required = true, allow_hyphen_values = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// Key and profile names: letters, digits, `-`, `_`, `.` (they become TOML
/// table names and appear in suggested commands).
fn parse_key_name(s: &str) -> Result<String, String> {
    if !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        Ok(s.to_string())
    } else {
        Err("use letters, digits, `-`, `_` and `.` (at most 64)".into())
    }
}

#[derive(Debug, Args)]
pub struct HookArgs {
    #[command(subcommand)]
    pub action: HookAction,
}

#[derive(Debug, Subcommand)]
pub enum HookAction {
    /// Write a git pre-commit hook that runs `keylint hook run`: the staged
    /// change, failing on errors only.
    Install {
        /// Replace a pre-commit hook keylint did not write.
        #[arg(long)]
        force: bool,
    },
    /// Remove the pre-commit hook, if keylint wrote it.
    Uninstall,
    /// What a hook runs: the pushed range at pre-push (PRE_COMMIT_FROM_REF /
    /// PRE_COMMIT_TO_REF); files named (`pre-commit run --all-files`,
    /// `--files X`) whole; else the staged change (in a commit: of the
    /// named files). Fails on errors only unless --fail-on says otherwise.
    Run {
        /// `keylint scan` flags, then the files pre-commit passes.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Sizes parse the same on the command line and in `.keylint.toml`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    keylint::filter::config::parse_size(s)
}
