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
    RunOptions {
        push: pre_commit_push(&opts, env),
        ..opts
    }
}

/// Under the pre-commit framework's `pre-push` stage there is no stdin: it names the push in
/// `PRE_COMMIT_*` variables. They become the same push context the git hook builds.
fn pre_commit_push(opts: &RunOptions, env: &Environment) -> Option<PushContext> {
    if opts.stage != Stage::PrePush || opts.range.is_some() {
        return None;
    }
    let to = env.var("PRE_COMMIT_TO_REF")?;
    let from = env
        .var("PRE_COMMIT_FROM_REF")
        .map(str::to_string)
        .unwrap_or_else(|| "0".repeat(40));
    let remote_ref = env.var("PRE_COMMIT_REMOTE_BRANCH")?.to_string();
    let local_ref = env
        .var("PRE_COMMIT_LOCAL_BRANCH")
        .unwrap_or("HEAD")
        .to_string();
    let resolve = |rev: &str| -> Option<String> {
        if rev.len() >= 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some(rev.to_string());
        }
        let repo = git2::Repository::discover(&opts.dir).ok()?;
        let id = repo.revparse_single(rev).ok()?.id().to_string();
        Some(id)
    };
    Some(PushContext {
        remote: env
            .var("PRE_COMMIT_REMOTE_NAME")
            .unwrap_or("origin")
            .to_string(),
        lines: vec![PushLine {
            local_ref,
            local: resolve(to)?,
            remote_ref,
            remote: resolve(&from).unwrap_or_else(|| "0".repeat(40)),
        }],
    })
}
