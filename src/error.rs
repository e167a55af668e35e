//! Typed errors of the library. Problems in a user's YAML are `ConfigError`s: they carry the file,
//! the position when the parser knows it, the check id when there is one, and a hint. Everything is
//! collected, not stopped at the first one, so a user with three mistakes sees three errors.

use std::fmt;
use std::path::PathBuf;

/// One problem in a check file or `.shipgate.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, as the user would name it (relative to the repository, or `checks/x.yaml` for a
    /// built-in).
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The check the problem belongs to, when known.
    pub check: Option<String>,
    pub message: String,
    /// How to fix it, e.g. the nearest valid name.
    pub help: Option<String>,
}

impl ConfigError {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            file: file.into(),
            line: None,
            column: None,
            check: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn at(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    pub fn check(mut self, id: impl Into<String>) -> Self {
        self.check = Some(id.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(id) = &self.check {
            write!(f, "check `{id}`: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Errors that stop a command before any check runs. All of them exit 2: the gate could not decide.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}", display_config_errors(.0))]
    Config(Vec<ConfigError>),
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("git: {0}")]
    Git(String),
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
}

impl From<git2::Error> for Error {
    fn from(e: git2::Error) -> Self {
        Error::Git(e.message().to_string())
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(vec![e])
    }
}

fn display_config_errors(errors: &[ConfigError]) -> String {
    let mut s = String::new();
    for (i, e) in errors.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&e.to_string());
    }
    s
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
