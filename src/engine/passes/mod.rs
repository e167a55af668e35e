//! The passes: one per input that some running check needs, each reading its input once for all
//! the checks that read it (DESIGN.md's first rule). Each is its own module; this one runs them,
//! then lets each check's kind evaluate its view of what they produced.

pub mod artifact;
pub mod git;
pub mod repo;

use std::collections::HashSet;
use std::time::Instant;

use crate::config::Config;
use crate::engine::plan::{Plan, State};
use crate::engine::request::Request;
use crate::error::Error;
use crate::inputs::artifact_scan::ArtifactScan;
use crate::inputs::deploy_env::{self, DeployEnv, ManifestPath};
use crate::inputs::env::{self as env_input, EnvPass};
use crate::inputs::git::RepoHandle;
use crate::inputs::history::CommitsPass;
use crate::inputs::repo::RepoScan;
use crate::kinds::{Baselines, Outcome, PassView};
use crate::report::model::{ArtifactInfo, RangeReport, RepoInfo};
use crate::types::{Input, PatternDef};

/// What every pass produced, and how long each took.
#[derive(Default)]
pub struct Passes {
    pub tree: Option<RepoScan>,
    pub tree_ms: u64,
    pub artifacts: Vec<ArtifactScan>,
    pub baselines: Baselines,
    pub artifact_ms: u64,
    pub commits: Option<CommitsPass>,
    pub git_ms: u64,
    pub env: Option<EnvPass>,
    /// The deploy manifests (`--env-from`), when given.
    pub deploy: Option<Result<DeployEnv, String>>,
    /// The secret patterns of the loaded and built-in checks, when a check wants them.
    pub secrets: Vec<PatternDef>,
}

/// What the report says about the inputs themselves.
#[derive(Debug, Clone, Default)]
pub struct PassSummary {
    pub repo: RepoInfo,
    pub artifacts: Vec<ArtifactInfo>,
    pub ranges: Vec<RangeReport>,
}

impl Passes {
    pub fn run(
        config: &Config,
        repo: &RepoHandle,
        request: &Request<'_>,
        plan: &Plan,
    ) -> Result<Self, Error> {
        let mut p = Passes::default();
        let t = Instant::now();
        p.tree = repo::run(config, repo, request, plan)?;
        p.tree_ms = t.elapsed().as_millis() as u64;

        let t = Instant::now();
        if plan.runs(config, Input::Artifact) {
            (p.artifacts, p.baselines) = artifact::run(config, repo, request, plan)?;
        }
        p.artifact_ms = t.elapsed().as_millis() as u64;

        let t = Instant::now();
        // Checks of other inputs may ask for a range too (a manual item about the migrations).
        let wants_range = plan
            .running()
            .any(|i| config.checks[i].spec.wants().commits.is_some());
        if plan.runs(config, Input::Git) || wants_range {
            p.commits = git::run(config, repo, request, plan);
        }
        p.git_ms = t.elapsed().as_millis() as u64;

        if plan.runs(config, Input::Env) {
            let opts = request.opts;
            if request.env_from.is_empty() {
                p.env = Some(EnvPass::read(
                    &opts.env_files,
                    &opts.process_env,
                    &repo.root,
                ));
            } else {
                let (env, deploy) = deploy_pass(&opts.env_files, &request.env_from, &repo.root);
                p.env = Some(env);
                p.deploy = Some(deploy);
            }
        }
        if plan
            .running()
            .any(|i| config.checks[i].spec.wants().secrets)
        {
            p.secrets = secret_patterns(config);
        }
        Ok(p)
    }

    /// Each planned check's outcome: a skip from the plan, or its kind's evaluation of its view.
    pub fn evaluate(
        &self,
        config: &Config,
        repo: &RepoHandle,
        request: &Request<'_>,
        plan: &Plan,
    ) -> Vec<(usize, Outcome, u64)> {
        plan.checks
            .iter()
            .map(|planned| {
                let i = planned.index;
                let check = &config.checks[i];
                if let State::Skip(reason) = &planned.state {
                    return (i, Outcome::skip(reason.clone()), 0);
                }
                let view = PassView {
                    owner: i,
                    repo,
                    stage: request.opts.stage,
                    ci_branch: request.opts.ci_branch.as_deref(),
                    ci_tag: request.opts.ci_tag.as_deref(),
                    now: &request.now,
                    tz: &request.tz,
                    tree: self.tree.as_ref(),
                    artifacts: &self.artifacts,
                    baselines: &self.baselines,
                    baseline_arg: request.opts.baseline.as_deref(),
                    commits: self.commits.as_ref(),
                    env: self.env.as_ref(),
                    deploy: self.deploy.as_ref(),
                    secrets: &self.secrets,
                };
                let t = Instant::now();
                let outcome = check.spec.evaluate(&check.meta, &view);
                let ms = self.pass_ms(check) + t.elapsed().as_millis() as u64;
                (i, outcome, ms)
            })
            .collect()
    }

    /// The time of the shared pass a check used (a shared pass cannot be split honestly).
    fn pass_ms(&self, check: &crate::check::Check) -> u64 {
        let wants = check.spec.wants();
        match check.spec.needs() {
            Input::Repo => self.tree_ms,
            Input::Artifact => self.artifact_ms,
            Input::Git if wants.commits.is_some() => self.git_ms,
            Input::Env if wants.repo_content.is_some() => self.tree_ms,
            _ => 0,
        }
    }

    /// The inputs as the report describes them.
    pub fn summary(&self, repo: &RepoHandle) -> PassSummary {
        PassSummary {
            repo: RepoInfo {
                root: ".".into(),
                head: repo.head(),
                branch: repo.branch(),
                scan: self.tree.as_ref().map(|t| t.stats.clone()),
            },
            artifacts: self
                .artifacts
                .iter()
                .filter(|a| a.listed)
                .map(|a| a.info.clone())
                .collect(),
            ranges: self
                .commits
                .iter()
                .flat_map(|c| {
                    c.order.iter().filter_map(|spec| match &c.ranges[spec] {
                        Ok(r) => Some(RangeReport {
                            label: r.label.clone(),
                            commits: r.commits.len() as u64,
                        }),
                        Err(_) => None,
                    })
                })
                .collect(),
        }
    }
}

/// The environment from `--env-file`s and deploy manifests together (manifests win), and what the
/// manifests define: an unreadable one fails both.
fn deploy_pass(
    env_files: &[std::path::PathBuf],
    manifests: &[ManifestPath],
    root: &std::path::Path,
) -> (EnvPass, Result<DeployEnv, String>) {
    let deploy = deploy_env::read(manifests).map_err(|e| e.to_string());
    let files = if env_files.is_empty() {
        Ok(Default::default())
    } else {
        env_input::load_env_files(env_files)
    };
    let input = match (&files, &deploy) {
        (Err(e), _) | (_, Err(e)) => Err(e.clone()),
        (Ok(f), Ok(d)) => Ok(d.env_input(f)),
    };
    let env = EnvPass {
        input,
        examples: env_input::read_examples(root),
    };
    (env, deploy)
}

/// Secret patterns, to redact what a check shows: the loaded ones, and the built-in ones even
/// when a project turned the built-in checklist off or replaced their patterns. Each once: a
/// pattern borrowed with patterns-from, or both loaded and built in, redacts a line once.
pub(crate) fn secret_patterns(config: &Config) -> Vec<PatternDef> {
    let mut seen = HashSet::new();
    // With the built-in checks loaded as shipped, their secret patterns are among the checks'
    // own already (each would be passed over as seen): parsing the checklist again for them was
    // a tenth of a pre-push hook's main thread.
    let builtin = if config.builtins_as_shipped {
        Vec::new()
    } else {
        crate::config::builtin_secret_patterns()
    };
    config
        .checks
        .iter()
        .filter_map(|c| c.spec.content())
        .flat_map(|p| p.patterns.iter().filter(|d| d.secret).cloned())
        .chain(builtin)
        .filter(|d| seen.insert(d.regex.as_str().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RunOptions;

    /// The built-in checks as shipped hold every built-in secret pattern: leaving out the
    /// second parse of the checklist changes nothing; with a check's params changed it is done.
    #[test]
    fn secret_patterns_with_the_builtins_as_shipped_are_the_same() {
        let mut errors = Vec::new();
        let mut config = crate::config::load_from(std::path::Path::new("."), None, &mut errors);
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(config.builtins_as_shipped);
        let regexes = |c: &Config| -> Vec<String> {
            secret_patterns(c)
                .iter()
                .map(|d| d.regex.as_str().to_string())
                .collect()
        };
        let shortcut = regexes(&config);
        config.builtins_as_shipped = false;
        assert_eq!(shortcut, regexes(&config));
        let root = std::path::Path::new(".");
        let project = "checks:\n  repo-secrets:\n    params:\n      exclude: [\"*.lock\"]\n";
        let changed = crate::config::load_from(root, Some((root, project)), &mut errors);
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(!changed.builtins_as_shipped);
    }

    /// One repository pass serves the content checks and the env check that reads the code; the
    /// passes nobody needs are not run.
    #[test]
    fn one_pass_per_input_on_a_plain_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("app.py"),
            "import os\nX = os.environ['DB_URL']\nP = '/home/alice/x'\n",
        )
        .unwrap();
        let mut errors = Vec::new();
        let config = crate::config::load_from(dir.path(), None, &mut errors);
        let repo = RepoHandle::open(dir.path()).unwrap();
        let mut opts = RunOptions::new(dir.path());
        opts.stage = crate::types::Stage::Release;
        opts.only = vec!["static-paths".into(), "missing-env-vars".into()];
        let request = Request::resolve(&config, &opts).unwrap();
        let plan = Plan::new(&config, &request, &repo);
        let passes = Passes::run(&config, &repo, &request, &plan).unwrap();
        assert!(passes.tree.is_some() && passes.commits.is_none() && passes.artifacts.is_empty());
        let tree = passes.tree.as_ref().unwrap();
        assert_eq!(
            tree.stats.scanned, 1,
            "the file was read once for both checks"
        );
        let outcomes = passes.evaluate(&config, &repo, &request, &plan);
        for (i, o, _) in &outcomes {
            let Outcome::Done { findings, .. } = o else {
                panic!("{o:?}")
            };
            assert_eq!(findings.len(), 1, "{}: {findings:?}", config.checks[*i].id);
        }
    }
}
