//! `shipgate hook install|uninstall|pre-push`: what the hook library decided, printed; and the
//! pre-push stage on what git is pushing.

use std::io::{self, Read, Write};
use std::path::Path;

use crate::config;
use crate::edge::Environment;
use crate::engine::{self, PushContext, RunOptions};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::hook::{self, Installed, Uninstalled};
use crate::inputs::git::RepoHandle;
use crate::inputs::history::{parse_push_lines, PushLine};
use crate::output::stdout_result;
use crate::report::model::Report;
use crate::types::Stage;

pub fn install(dir: &Path) -> Result<ExitStatus, Error> {
    let repo = RepoHandle::open(dir)?;
    let exe = std::env::current_exe().map_err(|e| Error::io("shipgate", e))?;
    let Installed {
        hook,
        chained,
        chained_before,
        in_work_tree,
        husky,
    } = hook::install(&repo, &exe)?;
    if husky {
        println!(
            "husky runs this repository's hooks: shipgate's pre-push call was added at the top of {} (commit it so everyone runs it; the rest of that hook still runs after it)",
            hook.display()
        );
        return Ok(ExitStatus::Pass);
    }
    println!("installed the shipgate pre-push hook: {}", hook.display());
    if let Some(c) = chained {
        println!("the hook that was there still runs first: {}", c.display());
    } else if let Some(c) = chained_before {
        println!(
            "it still runs the hook that was there before: {}",
            c.display()
        );
    }
    if in_work_tree {
        println!("note: core.hooksPath is inside the work tree; the hook file is part of the repository there");
    }
    Ok(ExitStatus::Pass)
}

pub fn uninstall(dir: &Path) -> Result<ExitStatus, Error> {
    let repo = RepoHandle::open(dir)?;
    match hook::uninstall(&repo)? {
        Uninstalled::Nothing(hooks) => {
            println!(
                "no shipgate pre-push hook is installed in {}",
                hooks.display()
            )
        }
        Uninstalled::NotOurs(hook) => println!(
            "{} is not shipgate's: nothing to uninstall, it is left as it is",
            hook.display()
        ),
        Uninstalled::Restored(hook) => println!(
            "removed the shipgate hook and restored the previous one: {}",
            hook.display()
        ),
        Uninstalled::Removed(hook) => {
            println!("removed the shipgate pre-push hook: {}", hook.display())
        }
    }
    Ok(ExitStatus::Pass)
}

pub fn pre_push(
    dir: &Path,
    remote: &str,
    url: &str,
    env: &Environment,
    color: bool,
) -> Result<ExitStatus, Error> {
    let mut input = String::new();
    io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| Error::io("<stdin>", e))?;
    let lines = parse_push_lines(&input).map_err(Error::Usage)?;
    let repo = RepoHandle::open(dir)?;
    let config = config::load(&repo.root)?;
    let overrides = match env.var("SHIPGATE_OVERRIDE") {
        Some(v) => hook::parse_overrides(v)?,
        None => Vec::new(),
    };
    let opts = RunOptions {
        stage: Stage::PrePush,
        overrides,
        push: Some(PushContext {
            remote: remote.to_string(),
            lines: lines.clone(),
            inferred: false,
        }),
        ci_branch: env.ci_branch(),
        ci_tag: env.ci_tag(),
        process_env: env.vars.clone(),
        recorded: crate::signoff::confirmed_by_record(&repo, &config),
        ..RunOptions::new(repo.root.clone())
    };
    let report = engine::run(&config, &repo, &opts)?;
    let status = ExitStatus::from(&report);
    let mut out = io::stdout().lock();
    stdout_result(
        crate::report::write_to(
            &report,
            crate::report::Format::Human,
            color,
            env.width(),
            &mut out,
        )
        .and_then(|_| write_push_summary(&mut out, &report, &lines, remote, url, status)),
    )?;
    // The process ends here: its repository handle, checklist and report are left to the exit
    // (as `run` does) rather than freed one by one on every push.
    std::mem::forget(repo);
    std::mem::forget(config);
    std::mem::forget(report);
    Ok(status)
}

fn write_push_summary(
    out: &mut dyn Write,
    report: &Report,
    lines: &[PushLine],
    remote: &str,
    url: &str,
    status: ExitStatus,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "push to {remote} ({url}):")?;
    if lines.is_empty() {
        writeln!(out, "  nothing to push")?;
    }
    for v in hook::verdicts(report, lines) {
        let what = if v.delete {
            "deletion: no commits sent".to_string()
        } else {
            match v.examined {
                Some(n) => format!("{n} commit(s) examined"),
                None => "commits not examined (not a protected branch)".into(),
            }
        };
        let verdict = if v.blocking.is_empty() {
            "ok".to_string()
        } else {
            format!("BLOCKED by {}", v.blocking.join(", "))
        };
        writeln!(out, "  {}: {what}: {verdict}", v.label)?;
    }
    if status != ExitStatus::Pass {
        let first = report
            .checks
            .iter()
            .find(|c| {
                matches!(
                    c.status,
                    crate::report::model::Status::Fail | crate::report::model::Status::Error
                )
            })
            .map(|c| c.id.as_str())
            .unwrap_or("CHECK-ID");
        writeln!(out)?;
        writeln!(
            out,
            "shipgate blocked this push. Fix the findings above and push again, or:"
        )?;
        writeln!(
            out,
            "  accept one check for this push, with a reason:  SHIPGATE_OVERRIDE='{first}=why this is fine' git push"
        )?;
        writeln!(
            out,
            "  skip every hook for this push:                  git push --no-verify"
        )?;
    }
    Ok(())
}
