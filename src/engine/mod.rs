//! The engine: DESIGN.md's flow as five stages, each its own module.
//!
//! 1. [`request`]: the options, validated against the configuration (ids, reasons), and the clock.
//! 2. [`plan`]: which checks run and which are skipped, with the reason.
//! 3. [`passes`]: one pass per input that some running check needs (the repository tree, each
//!    artifact, the commit ranges, the environment), each read once for all checks.
//! 4. evaluation: each running check's kind turns its view of the passes into an `Outcome`.
//! 5. [`sink`]: waivers, severity, confirmations, overrides, the summary and the verdict, in one
//!    place, into the `Report`. Sign-off reads the sink's result and never recomputes it.
//!
//! The engine never prints.

pub mod passes;
pub mod plan;
pub mod request;
pub mod sink;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::config::Config;
use crate::error::Error;
use crate::inputs::git::RepoHandle;
use crate::inputs::history::PushLine;
use crate::kinds::Outcome;
use crate::report::model::Report;
use crate::types::Stage;

pub use sink::{Confirmation, ConfirmedBy, Operator};

/// What `shipgate run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub dir: PathBuf,
    pub stage: Stage,
    pub only: Vec<String>,
    pub skip: Vec<String>,
    /// `--override ID=REASON`.
    pub overrides: Vec<(String, String)>,
    /// `--at`: evaluate as if now were this instant.
    pub at: Option<Timestamp>,
    pub threads: usize,
    /// `--artifact`: built artifacts (archives or folders), as given.
    pub artifacts: Vec<PathBuf>,
    /// `--baseline`: a previous release's artifact, for checks that compare against one.
    pub baseline: Option<PathBuf>,
    /// `--platform os/arch[/variant]`: of a multi-platform image, only this platform.
    pub platform: Option<String>,
    /// `--range A..B`: the commits to examine, for every `git-commits` check.
    pub range: Option<String>,
    /// In the pre-push hook: what is being pushed.
    pub push: Option<PushContext>,
    /// The branch CI says it builds (for a detached HEAD): GITHUB_REF_NAME, CI_COMMIT_BRANCH.
    pub ci_branch: Option<String>,
    /// The tag CI says it builds (a tag-triggered job): GITHUB_REF_NAME with GITHUB_REF_TYPE=tag,
    /// CI_COMMIT_TAG.
    pub ci_tag: Option<String>,
    /// `--env-file`: the deploy environment, later files winning.
    pub env_files: Vec<PathBuf>,
    /// `--env-from`: deploy manifests that define the deploy environment (replacing
    /// `settings.env-from` of the stage when given).
    pub env_from: Vec<PathBuf>,
    /// The process environment (at release, the deploy environment when no env file is given).
    pub process_env: Vec<(String, String)>,
    /// `--confirm ID[=COMMENT]`: manual items confirmed for this run.
    pub confirms: Vec<(String, Option<String>)>,
    /// Manual items a valid sign-off record for HEAD confirms: id → signer. Filled by the command
    /// layer from the record (`signoff::record::confirmed_by_record`).
    pub recorded: BTreeMap<String, String>,
    /// Counters for a progress display (files walked, artifact entries read).
    pub counters: Option<std::sync::Arc<crate::progress::Counters>>,
}

/// What git told the pre-push hook (or pre-commit's `PRE_COMMIT_*` variables), or, at pre-push
/// without either, what `git push` would send from here (`inferred`).
#[derive(Debug, Clone)]
pub struct PushContext {
    pub remote: String,
    pub lines: Vec<PushLine>,
    pub inferred: bool,
}

impl RunOptions {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        RunOptions {
            dir: dir.into(),
            stage: Stage::Ci,
            only: Vec::new(),
            skip: Vec::new(),
            overrides: Vec::new(),
            at: None,
            threads: 0,
            artifacts: Vec::new(),
            baseline: None,
            platform: None,
            range: None,
            push: None,
            ci_branch: None,
            ci_tag: None,
            env_files: Vec::new(),
            env_from: Vec::new(),
            process_env: Vec::new(),
            confirms: Vec::new(),
            recorded: BTreeMap::new(),
            counters: None,
        }
    }

    /// The operator's input as given: `--override`, `--confirm` and a sign-off record.
    pub fn operator(&self) -> Operator {
        let mut confirmations: Vec<Confirmation> = self
            .confirms
            .iter()
            .map(|(id, comment)| Confirmation {
                id: id.clone(),
                by: ConfirmedBy::Flag(comment.clone()),
            })
            .collect();
        for (id, signer) in &self.recorded {
            if !confirmations.iter().any(|c| &c.id == id) {
                confirmations.push(Confirmation {
                    id: id.clone(),
                    by: ConfirmedBy::Record(signer.clone()),
                });
            }
        }
        Operator {
            overrides: self.overrides.iter().cloned().collect(),
            confirmations,
            pending: Vec::new(),
        }
    }
}

/// The time zone of the run: `settings.timezone`, else the machine's.
pub fn time_zone(config: &Config) -> TimeZone {
    config
        .settings
        .timezone
        .clone()
        .unwrap_or_else(TimeZone::system)
}

/// Runs the checklist: every stage, with the operator's input as the options give it.
pub fn run(config: &Config, repo: &RepoHandle, opts: &RunOptions) -> Result<Report, Error> {
    Ok(evaluate(config, repo, opts)?.finish(&opts.operator()))
}

/// Every stage but the sink: what each check found, ready to become a report.
pub fn evaluate<'c>(
    config: &'c Config,
    repo: &RepoHandle,
    opts: &RunOptions,
) -> Result<Evaluation<'c>, Error> {
    let started = Instant::now();
    let request = request::Request::resolve(config, opts)?;
    let plan = plan::Plan::new(config, &request, repo);
    // The sink's redactor is built on a spare thread while the passes run (its screen and
    // patterns were a twentieth of a history run); a run that prints nothing never waits for it.
    let redactor = std::sync::Arc::new(crate::secrets::Redactor::new(&passes::secret_patterns(
        config,
    )));
    let warming = std::sync::Arc::clone(&redactor);
    let _ = std::thread::Builder::new()
        .name("redactor".into())
        .spawn(move || warming.warm());
    let passes = passes::Passes::run(config, repo, &request, &plan)?;
    let outcomes = passes.evaluate(config, repo, &request, &plan);
    Ok(Evaluation {
        config,
        redactor,
        now: request.now.clone(),
        stage: opts.stage,
        outcomes,
        summary: passes.summary(repo),
        started,
    })
}

/// What each check found, before the sink: a report can be made of it (again, with other
/// confirmations) without reading any input again.
pub struct Evaluation<'c> {
    config: &'c Config,
    /// Every secret pattern, loaded and built in: the sink redacts what the report shows.
    redactor: std::sync::Arc<crate::secrets::Redactor>,
    now: jiff::Zoned,
    stage: Stage,
    /// By planned check: its outcome and how long it took.
    outcomes: Vec<(usize, Outcome, u64)>,
    summary: passes::PassSummary,
    started: Instant,
}

impl Evaluation<'_> {
    /// The outcome the check `id` was evaluated to, before the sink (`None`: not planned).
    pub fn outcome_of(&self, id: &str) -> Option<&Outcome> {
        self.outcomes
            .iter()
            .find(|(i, _, _)| self.config.checks[*i].id == id)
            .map(|(_, o, _)| o)
    }

    /// The sink: the report, with the operator's overrides and confirmations applied.
    pub fn finish(&self, operator: &Operator) -> Report {
        sink::Sink {
            config: self.config,
            redactor: &self.redactor,
            now: &self.now,
            stage: self.stage,
            operator,
        }
        .finish(&self.outcomes, &self.summary, self.started.elapsed())
    }
}
