//! The library's error type. Every variant names the file or input at fault
//! and, where one exists, the fix, and keeps the error it wraps as its
//! `source`, so the binary can print the chain once and tell a broken pipe
//! from a real failure. The binary maps all of them to exit code 2.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error from a dependency (gix, ignore, serde), kept as a source.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file to scan that could not be read: the scan goes on without it
    /// and exits 2.
    #[error("{}: cannot read it ({source}); the scan is incomplete: make it readable or leave it out of the paths scanned", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A path named on the command line that does not exist.
    #[error("{}: no such file or directory; pass an existing path to scan", path.display())]
    NoSuchPath { path: PathBuf },
    /// A directory the walk could not read.
    #[error("{0}")]
    Walk(#[from] ignore::Error),
    /// A rule file or config file that does not parse or validate. The
    /// message names the key and never echoes a value (it may be a secret).
    #[error("{file}: {message}")]
    Config { file: String, message: String },
    /// A rule whose regex does not compile.
    #[error("{file}: rule `{rule}`: {message}")]
    Regex {
        file: String,
        rule: String,
        message: String,
    },
    /// A git operation that failed, with what keylint was doing.
    #[error("{context}: {source}")]
    Git {
        context: String,
        #[source]
        source: Cause,
    },
    /// A git object that could not be read: absent from the object store,
    /// or present and corrupt.
    #[error("{}{what} {id}: {problem}", path.as_ref().map_or(String::new(), |p| format!("{p}: ")))]
    Object {
        what: &'static str,
        id: String,
        /// The path the object was read for, when there is one.
        path: Option<String>,
        problem: String,
        /// The decoder's own error, when there is one (`problem` quotes it).
        #[source]
        source: Option<Cause>,
    },
    /// Blobs the history walk needed that the object store does not have.
    #[error("{count} object(s) missing from the object store, not scanned (a partial or broken clone?); scan a full clone")]
    MissingObjects { count: u64 },
    /// A git mode used outside a repository.
    #[error(
        "{path}: not a git repository; {needed} (`keylint scan PATH` scans files without git)"
    )]
    NotARepository { path: PathBuf, needed: &'static str },
    /// A bad `--range`.
    #[error("--range `{range}`: {problem}")]
    Range { range: String, problem: String },
    /// The key resolver: a key that resolves nowhere, a store or key file
    /// refused, a replacement not confirmed.
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
    /// More SARIF results than GitHub code scanning keeps.
    #[error("{count} findings exceed the {limit} results GitHub code scanning keeps per run; narrow the scan (paths, --baseline) or use --format json")]
    TooManyResults { count: usize, limit: usize },
    /// Writing a machine-readable document failed.
    #[error("{what}: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// An archive that is corrupt or hit a limit: part of it (or all of
    /// it) was not scanned.
    #[error("{archive}: {problem}")]
    Archive {
        archive: String,
        problem: String,
        /// The decompressor's or archive reader's error, when one was the
        /// cause (a limit hit or an encrypted entry has none).
        #[source]
        source: Option<Cause>,
    },
    /// A thread could not be started (the system's limit on processes).
    #[error("cannot start a worker thread: {0}; lower -j")]
    Spawn(#[source] std::io::Error),
    /// Something keylint was doing failed inside a dependency (building a
    /// matcher, encoding a file): what it was doing, and the cause.
    #[error("{doing}: {source}")]
    Failed {
        doing: String,
        #[source]
        source: Cause,
    },
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
    pub fn config(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            file: file.into(),
            message: message.into(),
        }
    }
    /// The same error, naming the path an object was read for.
    pub fn at(self, path: &str) -> Self {
        match self {
            Error::Object {
                what,
                id,
                problem,
                source,
                ..
            } => Error::Object {
                what,
                id,
                path: Some(path.to_string()),
                problem,
                source,
            },
            other => other,
        }
    }
    pub fn failed(doing: impl Into<String>, source: impl Into<Cause>) -> Self {
        Error::Failed {
            doing: doing.into(),
            source: source.into(),
        }
    }
    pub fn git(context: impl Into<String>, source: impl Into<Cause>) -> Self {
        Error::Git {
            context: context.into(),
            source: source.into(),
        }
    }
}
