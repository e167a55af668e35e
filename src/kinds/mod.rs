//! Check kinds: the engine's primitives. A kind is one module holding one type that implements
//! [`Kind`] — its key, the input it reads, its message fields, its YAML parameters, what it asks of
//! the passes, how it runs samples and how it evaluates — and one line in [`for_each_kind!`]. That
//! line is the only list of kinds: the closed set ([`Spec`]), the key list, the raw check fields
//! (`config::raw::RawCheck`), the raw → `Spec` conversion, the schema and the dispatch of samples and
//! evaluation are all generated from it.
//!
//! Adding a kind: write `src/kinds/<name>.rs` with `pub struct <Name>` and `impl Kind for <Name>`,
//! add `pub mod <name>;` and one line to `for_each_kind!` below. A key that does not match the
//! field name fails to compile; a kind module without its line fails `tests/architecture.rs`.

pub mod artifact_content;
pub mod artifact_files;
pub mod command;
pub mod content;
pub mod dependency_versions;
pub mod deploy_manifests;
pub mod deploy_window;
pub mod env;
pub mod env_refs;
pub mod git_commits;
pub mod git_state;
pub mod image_config;
pub mod lockfile_js;
pub mod lockfile_sync;
pub mod manual;
pub mod migrations;
pub mod poetry_hash;
pub mod repo_content;
pub mod repo_files;
pub mod runtime_ci;
pub mod runtime_versions;
pub mod version_req;
pub mod versions;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use jiff::Zoned;

use crate::check::Meta;
use crate::inputs::artifact_scan::{ArtifactData, ArtifactScan};
pub use crate::inputs::content::ContentRule;
use crate::inputs::content::RawMatch;
use crate::inputs::env::EnvPass;
use crate::inputs::git::RepoHandle;
use crate::inputs::history::CommitsPass;
use crate::inputs::repo::RepoScan;
use crate::report::model::{Finding, Location};
use crate::types::{Input, Pattern, PatternDef, Sample, Stage};

/// One check kind: its parameters (the type itself, deserialized from the YAML under its key) and
/// its behaviour. Everything but `KEY`, `INPUT`, `FIELDS`, `describe` and `evaluate` has a default.
pub trait Kind:
    Sized + Clone + std::fmt::Debug + serde::de::DeserializeOwned + schemars::JsonSchema
{
    /// The key naming the kind in a check file (`repo-content`).
    const KEY: &'static str;
    /// The input the kind reads: the plan skips the check, with the reason, when it is not given.
    const INPUT: Input;
    /// The fields a `message` template may use.
    const FIELDS: &'static [&'static str];

    /// The input this check reads (`INPUT`, unless its parameters say otherwise).
    fn input(&self) -> Input {
        Self::INPUT
    }

    /// What a check of this kind looks for, in words, one line each (`shipgate explain`).
    fn describe(&self) -> Vec<String>;

    /// Turns what the passes produced into this check's outcome.
    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome;

    /// What the passes must produce for this check beyond its input (content patterns, ranges…).
    fn wants(&self) -> Wants {
        Wants::default()
    }

    /// Problems in the parameters that serde cannot see (a pattern matching the empty string…).
    fn validate(&self) -> Vec<String> {
        Vec::new()
    }

    /// Problems in the files its parameters name that `run` reads (a holiday calendar), read from
    /// the repository `root` by the reader `run` uses, around `today`: `shipgate validate`
    /// rejects what `run` could not read.
    fn validate_files(
        &self,
        _root: &std::path::Path,
        _today: jiff::civil::Date,
    ) -> Vec<crate::error::ConfigError> {
        Vec::new()
    }

    /// Every regex of the check (compiled on first use; `shipgate validate` compiles them all).
    fn patterns(&self) -> Vec<&Pattern> {
        Vec::new()
    }

    /// The content patterns, for kinds that have them (`patterns-from` borrows these).
    fn content(&self) -> Option<&content::ContentParams> {
        None
    }

    /// The checks whose patterns this check borrows (`patterns-from`), and where they go.
    fn borrowing(&mut self) -> Option<Borrowing<'_>> {
        None
    }

    /// Whether `samples` can be run for this check (`shipgate validate` runs them).
    fn has_samples(&self) -> bool {
        false
    }

    /// How many findings the check makes on one sample.
    fn run_sample(&self, _check: &Meta, _sample: &Sample) -> Result<usize, String> {
        Err(format!("a {} check has no samples", Self::KEY))
    }

    /// For checks a person confirms: the question and what a good answer means.
    fn prompt(&self) -> Option<Prompt<'_>> {
        None
    }

    /// For checks about the clock: the open and closed periods from `now` (`shipgate windows`).
    fn calendar(
        &self,
        _cx: &CalendarCx<'_>,
    ) -> Option<Result<crate::report::calendar::Schedule, String>> {
        None
    }
}

/// Where borrowed patterns go: the ids named by `patterns-from`, and the pattern list they join.
pub struct Borrowing<'a> {
    pub from: Vec<String>,
    pub into: &'a mut Vec<PatternDef>,
    /// Whether the check needs at least one pattern once the borrowed ones are in.
    pub required: bool,
    /// The check's own placeholder rules, given to its secret patterns before any is borrowed
    /// (a borrowed pattern keeps its own check's rules).
    pub placeholders: Option<std::sync::Arc<crate::secrets::Placeholders>>,
}

/// A manual item's question.
pub struct Prompt<'a> {
    pub question: &'a str,
    pub guidance: Option<&'a str>,
    /// The item is about the artifact being released (`about-artifact`): the sign-off names the
    /// artifact it binds, or says that none is bound.
    pub about_artifact: bool,
}

/// What `shipgate windows` gives a clock kind.
pub struct CalendarCx<'a> {
    pub fallback: &'a TimeZone,
    pub root: &'a Path,
    pub now: &'a Zoned,
    pub days: i64,
}

/// What a check asks of the passes beyond reading its input.
#[derive(Default)]
pub struct Wants {
    /// Content patterns for the one repository pass (repository checks, and env checks that read
    /// the code): the pass runs whenever some check wants it.
    pub repo_content: Option<ContentRule>,
    /// Content patterns for the one pass over each artifact.
    pub artifact_content: Option<ContentRule>,
    /// What each `*.map` entry exposes.
    pub source_maps: bool,
    /// A previous release's artifact to compare with.
    pub baseline: Option<BaselineWant>,
    /// A commit range: the default when neither `--range` nor a push says, and whether the
    /// commits that pull-request merges brought in are needed.
    pub commits: Option<CommitsWant>,
    /// The secret patterns of every loaded and built-in check, to redact what it shows.
    pub secrets: bool,
    /// Files of the repository whose contents the check reads (manifests, compose files), as
    /// globs: read during the one repository pass and kept (`RepoScan::kept`).
    pub contents: Vec<String>,
}

/// A baseline artifact: `--baseline`, else `param` (relative to the repository root).
pub struct BaselineWant {
    pub param: Option<String>,
}

pub struct CommitsWant {
    pub default_range: String,
    /// Subjects of pull-request merge commits, when the commits such merges brought in are needed.
    pub pr_merges: Option<Vec<Pattern>>,
    /// Committers whose merges are the forge's (a pull request or security advisory merged on
    /// GitHub): what such a merge brought in was reviewed with it.
    pub forge_merges: Option<crate::kinds::git_commits::IdentGlobs>,
}

/// What evaluating one check produced, before waivers, severity, overrides and confirmations are
/// applied in the sink.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Evaluated: its findings (none is a pass), how many `shipgate:allow` comments silenced, and
    /// what the check left out on purpose, when it says (the report's `reason`).
    Done {
        findings: Vec<Finding>,
        suppressed: u64,
        note: Option<String>,
    },
    /// The check did not apply (its input was not given): status `skip`, with the reason.
    Skip(String),
    /// The check could not be evaluated (its input could not be read): status `error`. The
    /// findings name what could not be read.
    Error {
        reason: String,
        findings: Vec<Finding>,
    },
}

impl Default for Outcome {
    fn default() -> Self {
        Outcome::pass()
    }
}

impl Outcome {
    pub fn pass() -> Self {
        Outcome::findings(Vec::new())
    }

    pub fn findings(findings: Vec<Finding>) -> Self {
        Outcome::Done {
            findings,
            suppressed: 0,
            note: None,
        }
    }

    /// Says what the check left out on purpose (a Dockerfile nothing builds): shown with its
    /// status, pass or not.
    pub fn with_note(mut self, text: impl Into<String>) -> Self {
        if let Outcome::Done { note, .. } = &mut self {
            *note = Some(text.into());
        }
        self
    }

    pub fn skip(reason: impl Into<String>) -> Self {
        Outcome::Skip(reason.into())
    }

    pub fn error(reason: impl Into<String>) -> Self {
        Outcome::Error {
            reason: reason.into(),
            findings: Vec::new(),
        }
    }

    /// Adds findings (to a skip, they are dropped: nothing was evaluated).
    pub fn extend(&mut self, more: impl IntoIterator<Item = Finding>) {
        match self {
            Outcome::Done { findings, .. } | Outcome::Error { findings, .. } => {
                findings.extend(more)
            }
            Outcome::Skip(_) => {}
        }
    }

    /// The check could not be decided: what was read may not be all there is. The findings made so
    /// far are kept, `more` names what failed. A skip stays a skip.
    pub fn fail_with(self, reason: String, more: Vec<Finding>) -> Self {
        match self {
            Outcome::Done { mut findings, .. } | Outcome::Error { mut findings, .. } => {
                findings.extend(more);
                Outcome::Error { reason, findings }
            }
            skip => skip,
        }
    }

    pub fn with_suppressed(mut self, n: u64) -> Self {
        if let Outcome::Done { suppressed, .. } = &mut self {
            *suppressed += n;
        }
        self
    }
}

/// Previous releases' artifacts, read for their entry lists, by path.
pub type Baselines = HashMap<PathBuf, Result<ArtifactData, String>>;

/// One check's view of what the passes produced: the evaluation of a kind reads only this.
pub struct PassView<'a> {
    /// The check's index in the configuration: matches of the shared passes are routed by it.
    pub owner: usize,
    pub repo: &'a RepoHandle,
    pub stage: Stage,
    /// The branch CI says it builds (for a detached HEAD).
    pub ci_branch: Option<&'a str>,
    /// The tag CI says it builds (a tag-triggered job).
    pub ci_tag: Option<&'a str>,
    pub now: &'a Zoned,
    /// The run's time zone (`settings.timezone`, else the machine's).
    pub tz: &'a TimeZone,
    /// The repository pass, when it ran.
    pub tree: Option<&'a RepoScan>,
    pub artifacts: &'a [ArtifactScan],
    pub baselines: &'a Baselines,
    /// `--baseline`.
    pub baseline_arg: Option<&'a Path>,
    pub commits: Option<&'a CommitsPass>,
    pub env: Option<&'a EnvPass>,
    /// The deploy manifests (`--env-from`, `settings.env-from`), when given.
    pub deploy: Option<&'a Result<crate::inputs::deploy_env::DeployEnv, String>>,
    /// Secret patterns, for checks whose `wants().secrets`.
    pub secrets: &'a [PatternDef],
}

impl PassView<'_> {
    /// The repository pass's matches of this check's patterns.
    pub fn repo_matches(&self) -> Vec<(String, RawMatch)> {
        self.tree
            .map(|t| {
                t.matches
                    .iter()
                    .filter(|(_, m)| m.owner == self.owner)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Evaluates on the repository pass, with its read errors applied: a file list that is
    /// incomplete fails every repository check; an unreadable file fails the content checks that
    /// wanted it. Findings silenced inline are counted.
    pub fn on_tree(&self, eval: impl FnOnce(&RepoScan) -> Outcome) -> Outcome {
        let Some(scan) = self.tree else {
            return Outcome::error("the repository was not read");
        };
        let mut mine: Vec<_> = scan
            .errors
            .iter()
            .filter(|e| e.owners.as_ref().is_none_or(|o| o.contains(&self.owner)))
            .collect();
        // A pattern that cannot be compiled fails every file the same way: say it once.
        let mut seen = std::collections::HashSet::new();
        mine.retain(|e| seen.insert(e.message.as_str()));
        let suppressed = scan.suppressed.iter().filter(|o| **o == self.owner).count() as u64;
        let outcome = eval(scan).with_suppressed(suppressed);
        if mine.is_empty() {
            return outcome;
        }
        outcome.fail_with(
            format!(
                "{} path(s) could not be read, so the result would be incomplete",
                mine.len()
            ),
            mine.iter()
                .map(|e| Finding {
                    message: e.message.clone(),
                    location: Location::repo(e.path.clone()),
                    evidence: None,
                })
                .collect(),
        )
    }

    /// `on_tree`, for checks that read only what ships: a file of a test, an example or the docs
    /// that could not be read does not make the result incomplete.
    pub fn on_shipped_tree(&self, eval: impl FnOnce(&RepoScan) -> Outcome) -> Outcome {
        let Some(scan) = self.tree else {
            return Outcome::error("the repository was not read");
        };
        let ships = |path: &str| {
            scan.files.iter().find(|f| f.path == path).is_none_or(|f| {
                matches!(
                    f.material,
                    None | Some(crate::inputs::material::Material::Tooling)
                )
            })
        };
        let mut errors: Vec<&crate::inputs::repo::ReadError> = scan
            .errors
            .iter()
            .filter(|e| e.owners.as_ref().is_none_or(|o| o.contains(&self.owner)))
            .filter(|e| e.owners.is_none() || ships(&e.path))
            .collect();
        let mut seen = std::collections::HashSet::new();
        errors.retain(|e| seen.insert(e.message.as_str()));
        let outcome = eval(scan);
        if errors.is_empty() {
            return outcome;
        }
        outcome.fail_with(
            format!(
                "{} path(s) could not be read, so the result would be incomplete",
                errors.len()
            ),
            errors
                .iter()
                .map(|e| Finding {
                    message: e.message.clone(),
                    location: Location::repo(e.path.clone()),
                    evidence: None,
                })
                .collect(),
        )
    }

    /// The artifact pass's matches of this check's patterns in one artifact.
    pub fn artifact_matches(&self, a: &ArtifactScan) -> Vec<(String, RawMatch)> {
        a.matches
            .iter()
            .filter(|(_, m)| m.owner == self.owner)
            .cloned()
            .collect()
    }

    /// Evaluates on every artifact and merges the outcomes. An artifact that could not be read to
    /// the end makes the check `error`: what was read may not be all there is.
    pub fn per_artifact(&self, eval: impl Fn(&ArtifactScan) -> Outcome) -> Outcome {
        let mut findings = Vec::new();
        let mut suppressed = 0;
        let mut errors = Vec::new();
        for a in self.artifacts {
            match eval(a) {
                Outcome::Done {
                    findings: f,
                    suppressed: s,
                    ..
                } => {
                    findings.extend(f);
                    suppressed += s;
                }
                Outcome::Skip(r) => return Outcome::Skip(r),
                Outcome::Error {
                    reason,
                    findings: f,
                } => {
                    findings.extend(f);
                    errors.push(reason);
                }
            }
            suppressed += a.suppressed.iter().filter(|o| **o == self.owner).count() as u64;
            if let Some(e) = &a.error {
                errors.push(format!("the artifact could not be read to the end: {e}"));
                findings.push(Finding {
                    message: e.clone(),
                    location: Location {
                        artifact: Some(a.data.display.clone()),
                        ..Location::new(Input::Artifact)
                    },
                    evidence: None,
                });
            }
        }
        if errors.is_empty() {
            Outcome::Done {
                findings,
                suppressed,
                note: None,
            }
        } else {
            Outcome::Error {
                reason: errors.join("; "),
                findings,
            }
        }
    }
}

/// The one list of kinds: `field: Variant(Type)`. `field` is the kind key with `_` for `-`.
/// Calls `$callback!` with the list, so each place that needs every kind generates its code from
/// the same line.
macro_rules! for_each_kind {
    ($callback:ident) => {
        $callback! {
            repo_files: RepoFiles($crate::kinds::repo_files::RepoFiles),
            repo_content: RepoContent($crate::kinds::repo_content::RepoContent),
            artifact_files: ArtifactFiles($crate::kinds::artifact_files::ArtifactFiles),
            artifact_content: ArtifactContent($crate::kinds::artifact_content::ArtifactContent),
            env: Env($crate::kinds::env::Env),
            deploy_window: DeployWindow($crate::kinds::deploy_window::DeployWindow),
            git_commits: GitCommits($crate::kinds::git_commits::GitCommits),
            git_state: GitState($crate::kinds::git_state::GitState),
            command: Command($crate::kinds::command::Command),
            manual: Manual($crate::kinds::manual::Manual),
            migrations: Migrations($crate::kinds::migrations::Migrations),
            deploy_manifests: DeployManifests($crate::kinds::deploy_manifests::DeployManifests),
            runtime_versions: RuntimeVersions($crate::kinds::runtime_versions::RuntimeVersions),
            lockfile_sync: LockfileSync($crate::kinds::lockfile_sync::LockfileSync),
            dependency_versions: DependencyVersions($crate::kinds::dependency_versions::DependencyVersions),
            image_config: ImageConfig($crate::kinds::image_config::ImageConfig),
        }
    };
}
pub(crate) use for_each_kind;

/// Whether a kind's `KEY` is its registry field name with `-` for `_` (checked at compile time).
const fn key_matches(key: &str, field: &str) -> bool {
    let (k, f) = (key.as_bytes(), field.as_bytes());
    if k.len() != f.len() {
        return false;
    }
    let mut i = 0;
    while i < k.len() {
        let want = if f[i] == b'_' { b'-' } else { f[i] };
        if k[i] != want {
            return false;
        }
        i += 1;
    }
    true
}

macro_rules! define_spec {
    ($($field:ident : $variant:ident ($ty:ty)),* $(,)?) => {
        /// A check's kind and its validated parameters: the closed set of kinds.
        #[derive(Debug, Clone)]
        pub enum Spec {
            $($variant($ty),)*
        }

        /// Every kind key, in the order `list` shows them.
        pub const KIND_KEYS: &[&str] = &[$(<$ty as Kind>::KEY,)*];

        $(const _: () = assert!(
            key_matches(<$ty as Kind>::KEY, stringify!($field)),
            concat!("the KEY of ", stringify!($ty), " must be `", stringify!($field), "` with `-` for `_`")
        );)*

        impl Spec {
            pub fn kind(&self) -> &'static str {
                match self { $(Spec::$variant(_) => <$ty as Kind>::KEY,)* }
            }
            /// The input the check reads (the engine opens only inputs some selected check needs).
            pub fn needs(&self) -> Input {
                match self { $(Spec::$variant(k) => k.input(),)* }
            }
            pub fn fields(&self) -> &'static [&'static str] {
                match self { $(Spec::$variant(_) => <$ty as Kind>::FIELDS,)* }
            }
            pub fn describe(&self) -> Vec<String> {
                match self { $(Spec::$variant(k) => k.describe(),)* }
            }
            pub fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
                match self { $(Spec::$variant(k) => k.evaluate(check, view),)* }
            }
            pub fn wants(&self) -> Wants {
                match self { $(Spec::$variant(k) => k.wants(),)* }
            }
            pub fn validate(&self) -> Vec<String> {
                match self { $(Spec::$variant(k) => k.validate(),)* }
            }
            pub fn validate_files(&self, root: &std::path::Path, today: jiff::civil::Date) -> Vec<crate::error::ConfigError> {
                match self { $(Spec::$variant(k) => k.validate_files(root, today),)* }
            }
            pub fn patterns(&self) -> Vec<&Pattern> {
                match self { $(Spec::$variant(k) => k.patterns(),)* }
            }
            pub fn content(&self) -> Option<&content::ContentParams> {
                match self { $(Spec::$variant(k) => k.content(),)* }
            }
            pub fn borrowing(&mut self) -> Option<Borrowing<'_>> {
                match self { $(Spec::$variant(k) => k.borrowing(),)* }
            }
            pub fn has_samples(&self) -> bool {
                match self { $(Spec::$variant(k) => k.has_samples(),)* }
            }
            pub fn run_sample(&self, check: &Meta, sample: &Sample) -> Result<usize, String> {
                match self { $(Spec::$variant(k) => k.run_sample(check, sample),)* }
            }
            pub fn prompt(&self) -> Option<Prompt<'_>> {
                match self { $(Spec::$variant(k) => k.prompt(),)* }
            }
            pub fn calendar(&self, cx: &CalendarCx<'_>) -> Option<Result<crate::report::calendar::Schedule, String>> {
                match self { $(Spec::$variant(k) => k.calendar(cx),)* }
            }
        }
    };
}
for_each_kind!(define_spec);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_kebab_case() {
        let mut keys = KIND_KEYS.to_vec();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), KIND_KEYS.len());
        assert!(key_matches("repo-files", "repo_files"));
        assert!(!key_matches("repo-file", "repo_files"));
        assert!(!key_matches("repo_files", "repo_files"));
    }
}
