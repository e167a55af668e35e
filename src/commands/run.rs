//! `shipgate run`: the checklist on the repository, its artifacts, commits and environment; the
//! report to standard output or a file, and more reports from the same evaluation.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{InputArgs, RunArgs};
use crate::edge::Environment;
use crate::engine::{self, PushContext, RunOptions};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::inputs::history::PushLine;
use crate::output::{append, stdout_result, write_atomic};
use crate::report::{self, model::Verdict, Format};
use crate::types::Stage;

pub fn execute(
    dir: &Path,
    args: &RunArgs,
    env: &Environment,
    color: bool,
) -> Result<ExitStatus, Error> {
    let (repo, config) = super::load(dir)?;
    let mut opts = RunOptions {
        only: args.only.clone(),
        skip: args.skip.clone(),
        threads: args.threads,
        ..options(&args.inputs, repo.root.clone(), args.stage, env)
    };
    opts.recorded = crate::signoff::confirmed_by_record(&repo, &config);
    let report = {
        let _progress = crate::progress::Progress::start(
            opts.counters.as_ref(),
            env.stderr_terminal && !env.is_ci(),
        );
        engine::run(&config, &repo, &opts)?
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let report = report::model::Report {
        paths: report::model::Paths::discover(&repo.root, &cwd),
        ..report
    };
    for (format, path) in &args.reports {
        let mut buf = Vec::new();
        report::write(&report, *format, false, &mut buf).map_err(|e| Error::io(path, e))?;
        write_atomic(path, &buf)?;
    }
    let github =
        args.format == Format::Github || args.reports.iter().any(|(f, _)| *f == Format::Github);
    if let (true, Some(summary)) = (github, env.var("GITHUB_STEP_SUMMARY")) {
        append(
            Path::new(summary),
            report::markdown::render(&report).as_bytes(),
        )?;
    }
    match &args.output {
        Some(path) => {
            let mut buf = Vec::new();
            report::write(&report, args.format, false, &mut buf).map_err(|e| Error::io(path, e))?;
            write_atomic(path, &buf)?;
            eprintln!(
                "shipgate: gate {} ({} failed, {} errors); report written to {}",
                if report.verdict == Verdict::Pass {
                    "passed"
                } else {
                    "failed"
                },
                report.summary.fail,
                report.summary.error,
                path.display()
            );
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            stdout_result(
                report::write_to(&report, args.format, color, env.width(), &mut lock)
                    .and_then(|_| lock.flush()),
            )?;
        }
    }
    // The process ends here: the repository handle (libgit2's cache of every commit a long
    // walk read) and the checklist are left to the process's exit rather than freed one by
    // one (a twentieth of a run over 10,000 commits).
    std::mem::forget(repo);
    std::mem::forget(config);
    Ok(ExitStatus::from(&report))
}

/// Run options for the repository at `root` from the inputs shared by `run` and `signoff`.
pub fn options(inputs: &InputArgs, root: PathBuf, stage: Stage, env: &Environment) -> RunOptions {
    let opts = RunOptions {
        stage,
        overrides: inputs.overrides.clone(),
        confirms: inputs.confirms.clone(),
        at: inputs.at,
        artifacts: inputs.artifact.clone(),
        baseline: inputs.baseline.clone(),
        platform: inputs.platform.clone(),
        range: inputs.range.clone(),
        ci_branch: env.ci_branch(),
        ci_tag: env.ci_tag(),
        env_files: inputs.env_file.clone(),
        env_from: inputs.env_from.clone(),
        process_env: env.vars.clone(),
        counters: Some(Default::default()),
        ..RunOptions::new(root)
    };
    match pre_commit(&opts, env) {
        PreCommit::Push(push) => RunOptions {
            push: Some(push),
            ..opts
        },
        PreCommit::Range(range) => RunOptions {
            range: Some(range),
            ..opts
        },
        PreCommit::None => opts,
    }
}

/// What pre-commit's `PRE_COMMIT_*` variables say is being pushed.
enum PreCommit {
    /// pre-commit's own pre-push hook: the first pushed ref that sends commits.
    Push(PushContext),
    /// `pre-commit run --hook-stage pre-push --from-ref A --to-ref B`: the commits named, as
    /// `--range A..B` names them.
    Range(String),
    /// No variables: the pre-push stage examines what `git push` would send (engine/passes/git.rs).
    None,
}

/// Under the pre-commit framework's `pre-push` stage there is no stdin: pre-commit's hook names the
/// first ref being pushed in `PRE_COMMIT_*` variables, which become the same push context the git
/// hook builds. pre-commit's `FROM_REF` for a new branch is where it leaves what any branch of the
/// remote has; shipgate's rule for new branches (what the remote's protected branches hold) is
/// applied instead, as for the git hook. Pushing a root commit sets no `TO_REF` at all.
fn pre_commit(opts: &RunOptions, env: &Environment) -> PreCommit {
    if opts.stage != Stage::PrePush || opts.range.is_some() {
        return PreCommit::None;
    }
    let zero = || "0".repeat(40);
    let repo = git2::Repository::discover(&opts.dir).ok();
    let resolve = |rev: &str| -> String {
        repo.as_ref()
            .and_then(|r| r.revparse_single(rev).ok())
            .and_then(|o| o.peel_to_commit().ok())
            .map_or_else(|| rev.to_string(), |c| c.id().to_string())
    };
    let (from, to) = (env.var("PRE_COMMIT_FROM_REF"), env.var("PRE_COMMIT_TO_REF"));
    let Some(remote_ref) = env.var("PRE_COMMIT_REMOTE_BRANCH") else {
        return match (from, to) {
            (Some(from), Some(to)) => PreCommit::Range(format!("{from}..{to}")),
            _ => PreCommit::None,
        };
    };
    let remote = env
        .var("PRE_COMMIT_REMOTE_NAME")
        .unwrap_or("origin")
        .to_string();
    let local_ref = env
        .var("PRE_COMMIT_LOCAL_BRANCH")
        .unwrap_or("HEAD")
        .to_string();
    // The remote already has the branch when its remote-tracking ref is here.
    let tracked = repo.as_ref().is_some_and(|r| {
        r.find_remote(&remote).is_err()
            || remote_ref.strip_prefix("refs/heads/").is_some_and(|b| {
                r.refname_to_id(&format!("refs/remotes/{remote}/{b}"))
                    .is_ok()
            })
    });
    PreCommit::Push(PushContext {
        lines: vec![PushLine {
            local: resolve(to.unwrap_or(&local_ref)),
            remote: match from {
                Some(f) if tracked => resolve(f),
                _ => zero(),
            },
            local_ref,
            remote_ref: remote_ref.to_string(),
        }],
        remote,
        inferred: false,
    })
}
