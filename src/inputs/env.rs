//! The deploy environment: env files given with `--env-file` (later files win), or the process
//! environment at release, and the example files at the repository root (`.env.example` …) that
//! document what a deploy needs. Read once per run for every env check.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::inputs::dotenv::{self, EnvVar};
use crate::report::model::Location;
use crate::types::Input;

/// Example files whose names a deploy needs, at the repository root.
pub const EXAMPLE_FILES: &[&str] = &[".env.example", ".env.sample", ".env.template"];

/// The environment being checked.
#[derive(Debug, Clone, Default)]
pub struct EnvInput {
    /// Variables with the file (label) and line they came from (None for the process env).
    pub vars: BTreeMap<String, (String, Option<String>, Option<u64>)>,
    /// What was read: env file labels, or "the process environment".
    pub description: String,
    pub from_files: bool,
}

impl EnvInput {
    /// Later files win, as with `--env-file a --env-file b`.
    pub fn from_files(files: &[(String, Vec<EnvVar>)]) -> Self {
        let mut vars = BTreeMap::new();
        for (label, vs) in files {
            for v in vs {
                vars.insert(
                    v.name.clone(),
                    (v.value.clone(), Some(label.clone()), Some(v.line)),
                );
            }
        }
        EnvInput {
            vars,
            description: files
                .iter()
                .map(|f| f.0.clone())
                .collect::<Vec<_>>()
                .join(", "),
            from_files: true,
        }
    }

    pub fn from_process(vars: &[(String, String)]) -> Self {
        EnvInput {
            vars: vars
                .iter()
                .map(|(k, v)| (k.clone(), (v.clone(), None, None)))
                .collect(),
            description: "the process environment".into(),
            from_files: false,
        }
    }

    /// Where variable `name` was set (the env file and line, when it came from one).
    pub fn location(&self, name: &str) -> Location {
        let (path, line) = match self.vars.get(name) {
            Some((_, p, l)) => (p.clone(), *l),
            None => (None, None),
        };
        Location {
            path,
            line,
            name: Some(name.to_string()),
            ..Location::new(Input::Env)
        }
    }
}

/// The example files found at the root: (label, variables).
pub type Examples = Vec<(String, Vec<EnvVar>)>;

/// What the env pass read: the environment and the example files, each possibly unreadable.
pub struct EnvPass {
    pub input: Result<EnvInput, String>,
    pub examples: Result<Examples, String>,
}

impl EnvPass {
    /// `--env-file`s when given; else the process environment (the plan only runs env checks
    /// without env files at release, where the process environment is the deploy's).
    pub fn read(env_files: &[PathBuf], process: &[(String, String)], root: &Path) -> Self {
        EnvPass {
            input: if env_files.is_empty() {
                Ok(EnvInput::from_process(process))
            } else {
                load_env_files(env_files)
            },
            examples: read_examples(root),
        }
    }
}

/// Reads `--env-file`s; a syntax error names the file and line.
pub fn load_env_files(files: &[PathBuf]) -> Result<EnvInput, String> {
    let mut parsed = Vec::new();
    for f in files {
        let label = f.to_string_lossy().into_owned();
        let text =
            std::fs::read_to_string(f).map_err(|e| format!("cannot read env file {label}: {e}"))?;
        parsed.push((label.clone(), dotenv::parse(&text, &label)?));
    }
    Ok(EnvInput::from_files(&parsed))
}

/// Reads the example files at `root`.
pub fn read_examples(root: &Path) -> Result<Examples, String> {
    let mut out = Vec::new();
    for f in EXAMPLE_FILES {
        let path = root.join(f);
        match std::fs::read_to_string(&path) {
            Ok(text) => out.push((f.to_string(), dotenv::parse(&text, f)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read {f}: {e}")),
        }
    }
    Ok(out)
}
