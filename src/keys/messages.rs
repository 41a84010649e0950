//! What the resolver tells people: its errors ([`KeyError`], each one line
//! naming the file or command at fault and the fix) and its notices
//! ([`Notice`]: which source won over which, keys due for rotation or near
//! expiry). No message ever holds a key: only masked forms.

use jiff::civil::Date;

/// The resolver's errors. The binary prints them on one line and exits 2.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "HOME is not set: keylint cannot find your config directory; set HOME (or XDG_CONFIG_HOME)"
    )]
    NoHome,
    #[error("unknown provider `{id}`: {hint}")]
    UnknownProvider { id: String, hint: String },
    #[error("{0}")]
    Missing(Box<MissingKey>),
    #[error(
        "refusing to read {path}: mode {mode:04o} lets other users read it; run: chmod 600 {path}"
    )]
    ReadableByOthers { path: String, mode: u32 },
    #[error("refusing to use {path}: it is a symbolic link (to {target}), and keylint keeps keys only in a regular file; replace the link with the file itself (`mv {target} {path}`)")]
    SymlinkedStore { path: String, target: String },
    #[error("{what}: `{value}` is not a date (YYYY-MM-DD) or an RFC 3339 time")]
    BadTime { what: String, value: String },
    #[error("--expires {date}: that date has passed; give the date the new key expires")]
    ExpiryPassed { date: Date },
    #[error("no key given for {provider}: pass it on stdin, at the prompt, or with --api-key")]
    EmptyKey { provider: String },
    #[error("refusing to store the key for {provider}: it {problem}; check it, or store it anyway with --force")]
    BadKey { provider: String, problem: String },
    #[error("keylint's store already holds {what} ({masked}, set {age}); replace it with `keylint key set {provider}{name_flag} --force`, or rotate it with `keylint key rotate {provider}{name_flag}`")]
    WouldReplace {
        provider: String,
        what: String,
        name_flag: String,
        masked: String,
        age: String,
    },
    #[error("keylint's store holds no key{named} for {provider} to rotate; store the first one with `keylint key set {provider}{name_flag}`")]
    NothingToRotate {
        provider: String,
        /// ` `ci`` for a named key, empty for the default.
        named: String,
        name_flag: String,
    },
    #[error("the new key for {provider} is the one already stored: create a new key at the provider first")]
    SameKey { provider: String },
    #[error("no key to import for {provider}: {looked}")]
    NothingToImport { provider: String, looked: String },
    #[error("{provider} has no config file of its own; the key is in keylint's store")]
    NoProviderConfig { provider: String },
    #[error("{provider} names no environment variable to inject its key into")]
    NoEnvVar { provider: String },
    #[error("keylint run injects only the keys you name: pass -p PROVIDER (repeatable), list them in .keylint.toml (`[run]` providers = [\"openai\"]), or pass --all")]
    NothingToInject,
}

/// Everything needed to tell someone where a key could have been.
#[derive(Debug)]
pub struct MissingKey {
    /// `MuAPI`.
    pub provider_name: String,
    /// `muapi`.
    pub provider: String,
    /// The key name (profile) asked for; `None` for the default key.
    pub name: Option<String>,
    /// Every place looked, in the order looked.
    pub looked: Vec<String>,
    /// The provider's own command that stores the key where keylint looks,
    /// and the file it writes.
    pub provider_command: Option<(String, String)>,
    /// The variable to export, if the provider reads one.
    pub env_var: Option<String>,
}

impl std::fmt::Display for MissingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let named = self
            .name
            .as_ref()
            .map_or(String::new(), |n| format!(" named `{n}`"));
        write!(
            f,
            "No API key{named} found for {}. Looked in: {}. ",
            self.provider_name,
            self.looked.join(", ")
        )?;
        let name_flag = self
            .name
            .as_ref()
            .map_or(String::new(), |n| format!(" --name {n}"));
        let mut fixes = Vec::new();
        if let Some((cmd, file)) = &self.provider_command {
            fixes.push(format!("`{cmd}` (writes {file})"));
        }
        fixes.push(format!("`keylint key set {}{name_flag}`", self.provider));
        let mut out = format!("Run {}", fixes.join(" or "));
        if let Some(var) = &self.env_var {
            out.push_str(&format!(", or set {var}"));
        }
        write!(f, "{out}.")
    }
}

/// Something worth saying about a resolved key. Printed once per run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Notice {
    /// Two sources hold different keys; the first listed wins.
    Differs {
        provider: String,
        winner: String,
        winner_masked: String,
        other: String,
        other_masked: String,
    },
    /// The provider's file changed after keylint's store entry was set: the
    /// key was likely rotated with the provider's own tool.
    ProviderConfigNewer {
        provider: String,
        name_flag: String,
        file: String,
        file_changed: Date,
        stored: Date,
    },
    RotationDue {
        provider: String,
        source: String,
        age_days: i64,
        policy_days: u32,
        rotate_at: String,
        name_flag: String,
    },
    Expired {
        provider: String,
        source: String,
        on: Date,
        rotate_at: String,
    },
    ExpiresSoon {
        provider: String,
        source: String,
        on: Date,
        days_left: i64,
        rotate_at: String,
    },
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Notice::Differs {
                provider,
                winner,
                winner_masked,
                other,
                other_masked,
            } => write!(
                f,
                "{provider}: using the key from {winner} ({winner_masked}); {other} holds a different key ({other_masked})"
            ),
            Notice::ProviderConfigNewer {
                provider,
                name_flag,
                file,
                file_changed,
                stored,
            } => write!(
                f,
                "{provider}: {file} changed on {file_changed}, after keylint's store entry ({stored}), and holds a different key; if you rotated the key with the provider's tool, run `keylint key import {provider}{name_flag}` to store it, or `keylint key rm {provider}{name_flag}` to use the file"
            ),
            Notice::RotationDue {
                provider,
                source,
                age_days,
                policy_days,
                rotate_at,
                name_flag,
            } => write!(
                f,
                "{provider}: the key from {source} is {age_days} days old, past the {policy_days}-day rotation policy; create a new one at {rotate_at}, then run `keylint key rotate {provider}{name_flag}`"
            ),
            Notice::Expired {
                provider,
                source,
                on,
                rotate_at,
            } => write!(
                f,
                "{provider}: the key from {source} expired on {on}; create a new one at {rotate_at}"
            ),
            Notice::ExpiresSoon {
                provider,
                source,
                on,
                days_left,
                rotate_at,
            } => write!(
                f,
                "{provider}: the key from {source} expires on {on}, in {days_left} day{}; create a new one at {rotate_at}",
                if *days_left == 1 { "" } else { "s" }
            ),
        }
    }
}
