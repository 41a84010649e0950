//! The library's error type. Every variant names the file or input at fault
//! and, where one exists, the fix; the binary maps all of them to exit code 2.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A rule file or config file that does not parse or validate.
    #[error("{file}: {message}")]
    Config { file: String, message: String },
    /// A rule whose regex does not compile.
    #[error("{file}: rule `{rule}`: invalid regex: {message}")]
    Regex {
        file: String,
        rule: String,
        message: String,
    },
    #[error("{0}")]
    Git(String),
    /// The key resolver: a key that resolves nowhere, a store or key file
    /// refused, a replacement not confirmed.
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
    #[error("{0}")]
    Usage(String),
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
}
