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
    pub samples: CheckSamples,
}

/// A check's samples. A built-in check's are parsed the first time they are asked for (`shipgate
/// validate`, the tests): parsing the checklist's thousand samples at every start was half of
/// loading it.
#[derive(Clone)]
pub struct CheckSamples {
    parsed: std::sync::OnceLock<Option<Samples>>,
    /// A built-in check's samples as JSON (converted at build time; `""`: none), until parsed.
    json: &'static str,
}

impl CheckSamples {
    pub fn parsed(samples: Option<Samples>) -> Self {
        CheckSamples {
            parsed: std::sync::OnceLock::from(samples),
            json: "",
        }
    }

    pub fn built_in(json: &'static str) -> Self {
        CheckSamples {
            parsed: std::sync::OnceLock::new(),
            json,
        }
    }

    pub fn get(&self) -> Option<&Samples> {
        self.parsed
            .get_or_init(|| {
                (!self.json.is_empty()).then(|| {
                    serde_json::from_str(self.json).expect(
                        "built-in samples are valid (builtin_checks_as_json_are_the_checks_their_yaml_gives)",
                    )
                })
            })
            .as_ref()
    }
}

impl std::fmt::Debug for CheckSamples {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

impl std::ops::Deref for Check {
    type Target = Meta;
    fn deref(&self) -> &Meta {
        &self.meta
    }
}
