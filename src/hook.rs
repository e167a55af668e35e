//! The git pre-push hook. `install` writes a small shell hook where git will run it (honouring
//! `core.hooksPath` and linked worktrees); a hook that was already there is kept as
//! `pre-push.shipgate-chained` and still runs first, with the same arguments and input.
//! `uninstall` puts back exactly what was there. `pre-push` is what the hook calls: it reads git's
//! `<local ref> <local sha> <remote ref> <remote sha>` lines and runs the `pre-push` stage on every
//! ref being pushed.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::check::Stage;
use crate::cli::{ci_branch, exit_status, write_atomic, ExitStatus};
use crate::config;
use crate::engine::{self, PushContext, RunOptions};
use crate::error::Error;
use crate::inputs::git::RepoHandle;
use crate::inputs::history::parse_push_lines;
use crate::report::model::{Report, Status};

/// Marks a hook as shipgate's.
const MARKER: &str = "# installed by shipgate";
const CHAINED: &str = "pre-push.shipgate-chained";

/// Where git runs hooks for this repository.
pub fn hooks_dir(repo: &RepoHandle) -> Result<PathBuf, Error> {
    let git = repo
        .repo
        .as_ref()
        .ok_or_else(|| Error::Usage(format!("{} is not a git repository", repo.root.display())))?;
    if let Ok(cfg) = git.config() {
        if let Ok(p) = cfg.get_path("core.hooksPath") {
            return Ok(if p.is_absolute() {
                p
            } else {
                repo.root.join(p)
            });
        }
    }
    // Linked worktrees share the main repository's hooks.
    Ok(git.commondir().join("hooks"))
}

fn script(shipgate: &Path) -> String {
    format!(
        r#"#!/bin/sh
{MARKER}: `shipgate hook uninstall` restores what was here before.
# Runs the `pre-push` stage of shipgate on every ref being pushed. Skip once: git push --no-verify
input=$(cat)
hookdir=$(dirname "$0")
if [ -x "$hookdir/{CHAINED}" ]; then
  if [ -n "$input" ]; then printf '%s\n' "$input"; fi | "$hookdir/{CHAINED}" "$@" || exit $?
fi
shipgate="${{SHIPGATE:-{exe}}}"
[ -x "$shipgate" ] || shipgate=shipgate
if [ -n "$input" ]; then printf '%s\n' "$input"; fi | "$shipgate" hook pre-push "$@"
"#,
        exe = shipgate.display()
    )
}

fn is_ours(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(MARKER))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io(path, e))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<(), Error> {
    Ok(())
}

pub fn install(dir: &Path) -> Result<ExitStatus, Error> {
    let repo = RepoHandle::open(dir)?;
    let hooks = hooks_dir(&repo)?;
    std::fs::create_dir_all(&hooks).map_err(|e| Error::io(&hooks, e))?;
    let hook = hooks.join("pre-push");
    let chained = hooks.join(CHAINED);
    let mut kept = false;
    if hook.exists() && !is_ours(&hook) {
        if chained.exists() {
            return Err(Error::Usage(format!(
                "{} exists and so does {}: move one of them away first, shipgate will not overwrite either",
                hook.display(),
                chained.display()
            )));
        }
        std::fs::rename(&hook, &chained).map_err(|e| Error::io(&hook, e))?;
        kept = true;
    }
    let exe = std::env::current_exe().map_err(|e| Error::io("shipgate", e))?;
    write_atomic(&hook, script(&exe).as_bytes())?;
    make_executable(&hook)?;
    println!("installed the shipgate pre-push hook: {}", hook.display());
    if kept {
        println!(
            "the hook that was there still runs first: {}",
            chained.display()
        );
    } else if chained.exists() {
        println!(
            "it still runs the hook that was there before: {}",
            chained.display()
        );
    }
    if hooks.starts_with(&repo.root) && !hooks.starts_with(repo.root.join(".git")) {
        println!("note: core.hooksPath is inside the work tree; the hook file is part of the repository there");
    }
    Ok(ExitStatus::Pass)
}

pub fn uninstall(dir: &Path) -> Result<ExitStatus, Error> {
    let repo = RepoHandle::open(dir)?;
    let hooks = hooks_dir(&repo)?;
    let hook = hooks.join("pre-push");
    let chained = hooks.join(CHAINED);
    if !hook.exists() {
        println!("no pre-push hook is installed in {}", hooks.display());
        return Ok(ExitStatus::Pass);
    }
    if !is_ours(&hook) {
        return Err(Error::Usage(format!(
            "{} was not installed by shipgate; it is left as it is",
            hook.display()
        )));
    }
    if chained.exists() {
        std::fs::rename(&chained, &hook).map_err(|e| Error::io(&chained, e))?;
        println!(
            "removed the shipgate hook and restored the previous one: {}",
            hook.display()
        );
    } else {
        std::fs::remove_file(&hook).map_err(|e| Error::io(&hook, e))?;
        println!("removed the shipgate pre-push hook: {}", hook.display());
    }
    Ok(ExitStatus::Pass)
}

/// `SHIPGATE_OVERRIDE="id=reason;id2=reason"`: overrides for one push (the hook has no flags).
fn env_overrides() -> Result<Vec<(String, String)>, Error> {
    let Ok(v) = std::env::var("SHIPGATE_OVERRIDE") else {
        return Ok(Vec::new());
    };
    v.split(';')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let (id, reason) = s.split_once('=').ok_or_else(|| {
                Error::Usage(format!("SHIPGATE_OVERRIDE: expected ID=REASON, got `{s}`"))
            })?;
            Ok((id.trim().to_string(), reason.trim().to_string()))
        })
        .collect()
}

pub fn pre_push(dir: &Path, remote: &str, url: &str, color: bool) -> Result<ExitStatus, Error> {
    let mut input = String::new();
    io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| Error::io("<stdin>", e))?;
    let lines = parse_push_lines(&input).map_err(Error::Usage)?;
    let repo = RepoHandle::open(dir)?;
    let config = config::load(&repo.root)?;
    let opts = RunOptions {
        stage: Stage::PrePush,
        overrides: env_overrides()?,
        push: Some(PushContext {
            remote: remote.to_string(),
            lines: lines.clone(),
        }),
        ci_branch: ci_branch(),
        process_env: crate::cli::process_env(),
        ..RunOptions::new(repo.root.clone())
    };
    let report = engine::run(&config, &repo, &opts)?;
    let status = exit_status(&report);
    let mut out = io::stdout().lock();
    let res = crate::report::write(&report, crate::report::Format::Human, color, &mut out)
        .and_then(|_| write_push_summary(&mut out, &report, &lines, remote, url, status));
    if let Err(e) = res {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(Error::io("<stdout>", e));
        }
    }
    Ok(status)
}

fn write_push_summary(
    out: &mut dyn Write,
    report: &Report,
    lines: &[crate::inputs::history::PushLine],
    remote: &str,
    url: &str,
    status: ExitStatus,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "push to {remote} ({url}):")?;
    if lines.is_empty() {
        writeln!(out, "  nothing to push")?;
    }
    let failing: Vec<&crate::report::model::CheckResult> = report
        .checks
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Error))
        .collect();
    for line in lines {
        let label = format!("{} → {}", line.local_ref, line.remote_ref);
        let examined = report.ranges.iter().find(|r| r.label == label);
        // A ref fails on its own commits' findings, or on the findings that concern the whole tree.
        let blocking: Vec<&str> = failing
            .iter()
            .filter(|c| {
                c.findings
                    .iter()
                    .any(|f| f.location.name.as_deref().is_none_or(|n| n == label))
            })
            .map(|c| c.id.as_str())
            .collect();
        let what = if line.is_delete() {
            "deletion: no commits sent".to_string()
        } else {
            match examined {
                Some(r) => format!("{} commit(s) examined", r.commits),
                None => "commits not examined (not a protected branch)".into(),
            }
        };
        let verdict = if blocking.is_empty() {
            "ok".to_string()
        } else {
            format!("BLOCKED by {}", blocking.join(", "))
        };
        writeln!(out, "  {label}: {what}: {verdict}")?;
    }
    if status != ExitStatus::Pass {
        let first = failing.first().map(|c| c.id.as_str()).unwrap_or("CHECK-ID");
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
