//! The commit pass: the ranges the running `git-commits` checks examine, each distinct range walked
//! once and shared, with what each pull-request merge brought in.

use std::collections::HashSet;

use crate::config::Config;
use crate::engine::plan::Plan;
use crate::engine::request::Request;
use crate::inputs::git::{branch_matches, HeadState, RepoHandle};
use crate::inputs::history::{self, CommitsPass, RangeProblem, RangeSpec};
use crate::kinds::CommitsWant;
use crate::types::{Pattern, Stage};

pub fn run(
    config: &Config,
    repo: &RepoHandle,
    request: &Request<'_>,
    plan: &Plan,
) -> Option<CommitsPass> {
    let git = repo.repo.as_ref()?;
    let mut pass = CommitsPass::default();
    for i in plan.running() {
        let Some(want) = config.checks[i].spec.wants().commits else {
            continue;
        };
        let specs = ranges(&want, request, repo, config);
        if let Ok(specs) = &specs {
            for spec in specs {
                if !pass.ranges.contains_key(spec) {
                    pass.ranges.insert(spec.clone(), history::walk(git, spec));
                    pass.order.push(spec.clone());
                }
                if let (Some(subjects), false) = (&want.pr_merges, pass.reviewed.contains_key(spec))
                {
                    let set = brought_in(git, &pass, spec, subjects);
                    pass.reviewed.insert(spec.clone(), set);
                }
            }
        }
        pass.per_check.insert(i, specs);
    }
    Some(pass)
}

/// The commits the pull-request merges of a range brought in.
fn brought_in(
    git: &git2::Repository,
    pass: &CommitsPass,
    spec: &RangeSpec,
    subjects: &[Pattern],
) -> HashSet<git2::Oid> {
    let mut set = HashSet::new();
    if let Some(Ok(range)) = pass.ranges.get(spec) {
        for c in range.commits.iter().filter(|c| c.is_merge_by(subjects)) {
            set.extend(history::brought_in(git, c).unwrap_or_default());
        }
    }
    set
}

/// The ranges a commits check examines in this run, or why it examines none.
fn ranges(
    want: &CommitsWant,
    request: &Request<'_>,
    repo: &RepoHandle,
    config: &Config,
) -> Result<Vec<RangeSpec>, RangeProblem> {
    let opts = request.opts;
    let git = repo
        .repo
        .as_ref()
        .ok_or_else(|| RangeProblem::Skip("not a git repository".into()))?;
    match repo.head_state() {
        HeadState::Damaged(why) => return Err(RangeProblem::Error(why)),
        HeadState::Unborn if opts.range.is_none() && opts.push.is_none() => {
            return Err(RangeProblem::Skip("no commits yet (unborn branch)".into()));
        }
        _ => {}
    }
    if let Some(r) = &opts.range {
        return Ok(vec![RangeSpec::Explicit(r.clone())]);
    }
    if opts.stage != Stage::PrePush {
        return Ok(vec![RangeSpec::parse(&want.default_range)]);
    }
    let Some(push) = &opts.push else {
        return Err(RangeProblem::Skip(
            "at pre-push, commits are examined for pushes to protected branches (the hook), or with --range".into(),
        ));
    };
    let protected = &config.settings.protected_branches;
    let mut specs = Vec::new();
    for line in &push.lines {
        if !line.remote_ref.starts_with("refs/heads/")
            || !branch_matches(protected, line.remote_branch())
        {
            continue;
        }
        match history::push_range(git, &push.remote, line, protected) {
            Ok(Some(spec)) => specs.push(spec),
            Ok(None) => {}
            Err(e) => return Err(RangeProblem::Error(e)),
        }
    }
    if specs.is_empty() {
        return Err(RangeProblem::Skip(format!(
            "this push updates no protected branch ({}): a feature branch is pushed to be reviewed",
            protected.join(", ")
        )));
    }
    Ok(specs)
}
