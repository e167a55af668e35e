//! The process's surroundings, read once at the edge: environment variables, which streams are
//! terminals, and what CI says about the build. Commands read this value; nothing below them reads
//! the process environment.

use std::io::IsTerminal;

#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// The process environment (lossy UTF-8).
    pub vars: Vec<(String, String)>,
    pub stdin_terminal: bool,
    pub stdout_terminal: bool,
    pub stderr_terminal: bool,
    /// The width of the terminal standard output is, in columns (`None` when it is not one).
    pub stdout_columns: Option<usize>,
}

impl Environment {
    pub fn capture() -> Self {
        Environment {
            vars: std::env::vars_os()
                .map(|(k, v)| {
                    (
                        k.to_string_lossy().into_owned(),
                        v.to_string_lossy().into_owned(),
                    )
                })
                .collect(),
            stdin_terminal: std::io::stdin().is_terminal(),
            stdout_terminal: std::io::stdout().is_terminal(),
            stderr_terminal: std::io::stderr().is_terminal(),
            stdout_columns: terminal_size::terminal_size().map(|(w, _)| w.0 as usize),
        }
    }

    /// The width text written to standard output wraps to: `COLUMNS` when it is set, else the
    /// terminal's; `None` when standard output is no terminal (a file, a pipe, a CI log).
    pub fn width(&self) -> Option<usize> {
        self.var("COLUMNS")
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&c| c > 0)
            .or(self.stdout_columns.filter(|_| self.stdout_terminal))
    }

    /// A variable, when it is set and not empty.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Colour when it is not asked for or against: on a terminal, unless `NO_COLOR` is set or the
    /// terminal is dumb.
    pub fn auto_color(&self) -> bool {
        self.var("NO_COLOR").is_none() && self.var("TERM") != Some("dumb") && self.stdout_terminal
    }

    /// Whether this runs in CI (progress stays off there).
    pub fn is_ci(&self) -> bool {
        self.var("CI").is_some()
    }

    /// The tag a CI system says it builds (a tag-triggered release job).
    pub fn ci_tag(&self) -> Option<String> {
        if self.var("GITHUB_REF_TYPE") == Some("tag") {
            return self.var("GITHUB_REF_NAME").map(str::to_string);
        }
        [
            "CI_COMMIT_TAG",
            "BUILDKITE_TAG",
            "CIRCLE_TAG",
            "TRAVIS_TAG",
            "DRONE_TAG",
            "TAG_NAME",
        ]
        .iter()
        .find_map(|v| self.var(v).map(str::to_string))
    }

    /// The branch a CI system says it builds, for a detached HEAD. In a tag-triggered job the
    /// ref CI names is a tag, not a branch: none then.
    pub fn ci_branch(&self) -> Option<String> {
        if self.ci_tag().is_some() {
            return self.var("GITHUB_HEAD_REF").map(str::to_string);
        }
        [
            "GITHUB_HEAD_REF",
            "GITHUB_REF_NAME",
            "CI_COMMIT_BRANCH",
            "CI_COMMIT_REF_NAME",
            "BUILDKITE_BRANCH",
            "CIRCLE_BRANCH",
            "BRANCH_NAME",
        ]
        .iter()
        .find_map(|v| self.var(v).map(str::to_string))
    }
}
