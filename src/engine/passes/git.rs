//! The commit pass: the ranges the running `git-commits` checks examine, each distinct range walked
//! once and shared, with what each pull-request merge brought in.

use std::collections::HashSet;

use crate::config::Config;
use crate::engine::plan::Plan;
use crate::engine::request::Request;
use crate::engine::PushContext;
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
    let mut pending = None;
    for i in plan.running() {
        let Some(want) = config.checks[i].spec.wants().commits else {
            continue;
        };
        let opts = request.opts;
        if opts.stage == Stage::PrePush && opts.range.is_none() && opts.push.is_none() {
            pending.get_or_insert_with(|| inferred_push(git));
        }
        let specs = ranges(&want, request, repo, config, pending.as_ref());
        if let Ok(specs) = &specs {
            for spec in specs {
                if !pass.ranges.contains_key(spec) {
                    pass.ranges.insert(spec.clone(), history::walk(git, spec));
                    pass.order.push(spec.clone());
                }
                if let (Some(subjects), false) = (&want.pr_merges, pass.reviewed.contains_key(spec))
                {
                    let set = brought_in(git, &pass, spec, subjects, want.forge_merges.as_ref());
                    pass.reviewed.insert(spec.clone(), set);
                }
            }
        }
        pass.per_check.insert(i, specs);
    }
    Some(pass)
}

/// The commits the pull-request merges of a range brought in: merges with a PR subject, and merges
/// the forge made (its committer).
fn brought_in(
    git: &git2::Repository,
    pass: &CommitsPass,
    spec: &RangeSpec,
    subjects: &[Pattern],
    forge: Option<&crate::kinds::git_commits::IdentGlobs>,
) -> HashSet<git2::Oid> {
    let mut set = HashSet::new();
    let by_forge = |c: &history::CommitInfo| {
        c.parents.len() > 1 && forge.is_some_and(|f| f.is_match(&c.committer_ident()))
    };
    if let Some(Ok(range)) = pass.ranges.get(spec) {
        for c in range
            .commits
            .iter()
            .filter(|c| c.is_merge_by(subjects) || by_forge(c))
        {
            set.extend(history::brought_in(git, c).unwrap_or_default());
        }
    }
    set
}

/// At pre-push without git's push input (a hook manager, `pre-commit run` by hand): what `git push`
/// would send from here, or why that cannot be told.
fn inferred_push(git: &git2::Repository) -> Result<PushContext, String> {
    let (remote, lines) = history::pending_push(git)?;
    Ok(PushContext {
        remote,
        lines,
        inferred: true,
    })
}

/// The ranges a commits check examines in this run, or why it examines none.
fn ranges(
    want: &CommitsWant,
    request: &Request<'_>,
    repo: &RepoHandle,
    config: &Config,
    pending: Option<&Result<PushContext, String>>,
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
    let push = match (&opts.push, pending) {
        (Some(push), _) => push,
        (None, Some(Ok(push))) => push,
        (None, Some(Err(why))) => return Err(RangeProblem::Error(why.clone())),
        (None, None) => {
            return Err(RangeProblem::Skip(
                "at pre-push, commits are examined for pushes to protected branches (the hook), or with --range".into(),
            ))
        }
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
        let what = if push.inferred {
            let refs: Vec<String> = push
                .lines
                .iter()
                .map(|l| {
                    let local = l.local_ref.trim_start_matches("refs/heads/");
                    format!("{local} → {} {}", push.remote, l.remote_branch())
                })
                .collect();
            format!(
                "what `git push` would send from here ({})",
                if refs.is_empty() {
                    "nothing".to_string()
                } else {
                    refs.join(", ")
                }
            )
        } else {
            "this push".into()
        };
        return Err(RangeProblem::Skip(format!(
            "{what} updates no protected branch ({}): a feature branch is pushed to be reviewed",
            protected.join(", ")
        )));
    }
    Ok(specs)
}
