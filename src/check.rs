//! The validated check: what the engine runs. Raw YAML becomes a `Check` in `config`. A kind sees
//! only the check's `Meta` (its id, severity, message template…) and its own parameters, never
//! the whole check, so `kinds` does not depend on this module.

use crate::kinds::Spec;
use crate::types::{Samples, Severity, Stage, Template};

/// What every check has, whatever its kind.
#[derive(Debug, Clone)]
pub struct Meta {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub stages: Vec<Stage>,
    pub message: Option<Template>,
    pub help: Option<String>,
    pub why: Option<String>,
    /// Turned off: loaded (so `list` and `explain` know it) but not run unless named with `--only`.
    pub off: bool,
    /// Where the check came from: `checks/x.yaml (built-in)` or a path relative to the repository.
    pub source: String,
    pub builtin: bool,
}

impl Meta {
    pub fn runs_in(&self, stage: Stage) -> bool {
        self.stages.contains(&stage)
    }

    /// The finding's message: the check's template if it has one, else the kind's default.
    pub fn render(&self, default: impl FnOnce() -> String, fields: &[(&str, String)]) -> String {
        match &self.message {
            Some(t) => t.render(fields),
            None => default(),
        }
    }

    /// A check with this id and defaults (for samples and tests).
    pub fn named(id: &str) -> Self {
        Meta {
            id: id.to_string(),
            title: id.to_string(),
            severity: Severity::Error,
            stages: Stage::ALL.to_vec(),
            message: None,
            help: None,
            why: None,
            off: false,
            source: "sample".into(),
            builtin: false,
        }
    }
}

/// A validated check: its meta, its kind with the kind's parameters, and its samples.
#[derive(Debug, Clone)]
pub struct Check {
    pub meta: Meta,
    pub spec: Spec,
    pub samples: Option<Samples>,
}

impl std::ops::Deref for Check {
    type Target = Meta;
    fn deref(&self) -> &Meta {
        &self.meta
    }
}
