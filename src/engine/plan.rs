//! The plan: which checks of the configuration this run evaluates and which it skips, and why.
//! Checks not named by `--only` are left out; checks turned off are left out unless named;
//! `--skip`, the stage and an input that was not given (no `--artifact`, not a git repository, no
//! deploy environment outside the release stage) skip a check with the reason.

use crate::config::Config;
use crate::engine::request::Request;
use crate::inputs::git::RepoHandle;
use crate::types::{Input, Stage};

/// One check of the run, by its index in the configuration.
#[derive(Debug, Clone)]
pub struct Planned {
    pub index: usize,
    pub state: State,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Run,
    Skip(String),
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// In the configuration's order.
    pub checks: Vec<Planned>,
}

impl Plan {
    pub fn new(config: &Config, request: &Request<'_>, repo: &RepoHandle) -> Self {
        let opts = request.opts;
        let checks = config
            .checks
            .iter()
            .enumerate()
            .filter_map(|(index, c)| {
                let named = opts.only.contains(&c.id);
                if (!opts.only.is_empty() && !named) || (opts.only.is_empty() && c.off) {
                    return None;
                }
                let state = if named {
                    State::Run
                } else if opts.skip.contains(&c.id) {
                    State::Skip("skipped with --skip".into())
                } else if !c.runs_in(opts.stage) {
                    let stages: Vec<&str> = c.stages.iter().map(|s| s.as_str()).collect();
                    State::Skip(format!(
                        "runs in stage{} {} (this run: {})",
                        if stages.len() > 1 { "s" } else { "" },
                        stages.join(", "),
                        opts.stage
                    ))
                } else {
                    State::Run
                };
                let state = match state {
                    State::Run => match unavailable(c.spec.needs(), request, repo) {
                        Some(reason) => State::Skip(reason.into()),
                        None => State::Run,
                    },
                    skip => skip,
                };
                Some(Planned { index, state })
            })
            .collect();
        Plan { checks }
    }

    /// Indexes of the checks that run.
    pub fn running(&self) -> impl Iterator<Item = usize> + '_ {
        self.checks
            .iter()
            .filter(|p| p.state == State::Run)
            .map(|p| p.index)
    }

    /// Whether a running check reads `input`.
    pub fn runs(&self, config: &Config, input: Input) -> bool {
        self.running()
            .any(|i| config.checks[i].spec.needs() == input)
    }
}

/// Why checks that read `input` cannot run in this request, if they cannot.
fn unavailable(input: Input, request: &Request<'_>, repo: &RepoHandle) -> Option<&'static str> {
    let opts = request.opts;
    match input {
        Input::Artifact if opts.artifacts.is_empty() => {
            Some("needs an artifact: --artifact PATH (an archive or a build folder)")
        }
        Input::Git if repo.repo.is_none() => Some("not a git repository"),
        Input::Env
            if opts.env_files.is_empty()
                && request.env_from.is_empty()
                && opts.stage != Stage::Release =>
        {
            Some(
                "outside the release stage the environment is checked only with --env-file FILE \
or --env-from MANIFEST (at release, the process environment is the deploy environment)",
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RunOptions;

    #[test]
    fn skips_say_why_and_named_checks_run_whatever_their_stage() {
        let mut errors = Vec::new();
        let config = crate::config::load_from(std::path::Path::new("."), None, &mut errors);
        let dir = tempfile::tempdir().unwrap();
        let repo = RepoHandle::open(dir.path()).unwrap();
        assert!(repo.repo.is_none(), "a plain folder, no git");
        let mut opts = RunOptions::new(dir.path());
        opts.skip = vec!["static-paths".into()];
        let request = Request::resolve(&config, &opts).unwrap();
        let plan = Plan::new(&config, &request, &repo);
        let state = |id: &str| {
            let i = config.checks.iter().position(|c| c.id == id).unwrap();
            plan.checks
                .iter()
                .find(|p| p.index == i)
                .map(|p| p.state.clone())
        };
        assert_eq!(
            state("static-paths"),
            Some(State::Skip("skipped with --skip".into()))
        );
        assert_eq!(state("repo-secrets"), Some(State::Run));
        assert!(
            matches!(state("package-env-files"), Some(State::Skip(r)) if r.starts_with("needs an artifact"))
        );
        assert!(
            matches!(state("friday-deploys"), Some(State::Skip(r)) if r.contains("this run: ci"))
        );
        assert!(
            matches!(state("missing-env-vars"), Some(State::Skip(r)) if r.contains("--env-file"))
        );
        assert_eq!(state("unsigned-commits"), None, "off, and not named");

        opts.only = vec!["friday-deploys".into(), "dirty-worktree".into()];
        let request = Request::resolve(&config, &opts).unwrap();
        let plan = Plan::new(&config, &request, &repo);
        assert_eq!(plan.checks.len(), 2);
        assert_eq!(state_of(&plan, &config, "friday-deploys"), State::Run);
        assert_eq!(
            state_of(&plan, &config, "dirty-worktree"),
            State::Skip("not a git repository".into())
        );
    }

    fn state_of(plan: &Plan, config: &Config, id: &str) -> State {
        let i = config.checks.iter().position(|c| c.id == id).unwrap();
        plan.checks
            .iter()
            .find(|p| p.index == i)
            .unwrap()
            .state
            .clone()
    }
}
