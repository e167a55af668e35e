//! The git pre-push hook, what it decides: where git runs hooks (honouring `core.hooksPath` and
//! linked worktrees), the hook script, installing it (a hook that was already there is kept as
//! `pre-push.shipgate-chained` and still runs first, with the same arguments and input) and
//! uninstalling it (putting back exactly what was there), and which pushed refs a report blocks.
//! `commands::hook` prints; the hook calls `shipgate hook pre-push`, which runs the `pre-push`
//! stage on every ref being pushed.
//!
//! Husky 9 (`core.hooksPath=.husky/_`) runs the user's `.husky/pre-push` from a stub that finds it
//! by the stub's own name, so the stub is never renamed: shipgate's call goes into the user's
//! `.husky/pre-push` instead, as a marked block (husky's way: the file is versioned, so the whole
//! team runs it), and uninstalling takes the block out again.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::inputs::git::RepoHandle;
use crate::inputs::history::PushLine;
use crate::output::write_atomic;
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

/// Whether something is at `path`: a file, or a symlink even when it dangles (its target may be
/// made later by a build step; it is still the user's hook).
fn present(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
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

/// What `install` did.
pub struct Installed {
    pub hook: PathBuf,
    /// The hook that was there, kept and still run first.
    pub chained: Option<PathBuf>,
    /// A hook kept by an earlier install, still run first.
    pub chained_before: Option<PathBuf>,
    /// `core.hooksPath` points inside the work tree (the hook file is part of the repository).
    pub in_work_tree: bool,
    /// Husky 9 runs the hooks: shipgate's call was added to this user hook (`.husky/pre-push`).
    pub husky: bool,
}

const BLOCK_START: &str =
    "# >>> shipgate: installed by shipgate, `shipgate hook uninstall` removes this block";
const BLOCK_END: &str = "# <<< shipgate";

/// Whether husky 9 runs the hooks of `hooks` (`.husky/_` with its `h` runner).
fn husky9(hooks: &Path) -> bool {
    hooks.file_name().is_some_and(|n| n == "_")
        && hooks
            .parent()
            .and_then(|p| p.file_name())
            .is_some_and(|n| n == ".husky")
        && hooks.join("h").is_file()
}

/// The block shipgate adds at the top of `.husky/pre-push`: it reads the push lines, runs the
/// pre-push stage on them (a refusal stops the push), then gives the rest of the user's hook the
/// same lines on its standard input.
fn husky_block(shipgate: &Path) -> String {
    format!(
        r#"{BLOCK_START}
shipgate_input=$(cat)
shipgate="${{SHIPGATE:-{exe}}}"
[ -x "$shipgate" ] || shipgate=shipgate
if [ -n "$shipgate_input" ]; then printf '%s\n' "$shipgate_input"; fi | "$shipgate" hook pre-push "$@" || exit $?
shipgate_tmp=$(mktemp) && printf '%s\n' "$shipgate_input" > "$shipgate_tmp" && exec < "$shipgate_tmp" && rm -f "$shipgate_tmp"
{BLOCK_END}
"#,
        exe = shipgate.display()
    )
}

/// `text` without shipgate's block, if it has one.
fn without_block(text: &str) -> Option<String> {
    let start = text.find(BLOCK_START)?;
    let end = text[start..].find(BLOCK_END)? + start + BLOCK_END.len();
    let end = text[end..].strip_prefix('\n').map_or(end, |_| end + 1);
    Some(format!("{}{}", &text[..start], &text[end..]))
}

fn husky_install(user_hook: &Path, shipgate: &Path) -> Result<(), Error> {
    let text = std::fs::read_to_string(user_hook).unwrap_or_default();
    let text = without_block(&text).unwrap_or(text);
    // After a shebang line, if there is one; husky 9 hooks usually have none.
    let (head, rest) = match text.strip_prefix("#!") {
        Some(_) => text.split_at(text.find('\n').map_or(text.len(), |i| i + 1)),
        None => ("", text.as_str()),
    };
    let out = format!("{head}{}{rest}", husky_block(shipgate));
    write_atomic(user_hook, out.as_bytes())?;
    make_executable(user_hook)
}

pub fn install(repo: &RepoHandle, shipgate: &Path) -> Result<Installed, Error> {
    let hooks = hooks_dir(repo)?;
    if husky9(&hooks) {
        let user_hook = hooks.parent().unwrap_or(&hooks).join("pre-push");
        husky_install(&user_hook, shipgate)?;
        return Ok(Installed {
            hook: user_hook,
            chained: None,
            chained_before: None,
            in_work_tree: true,
            husky: true,
        });
    }
    std::fs::create_dir_all(&hooks).map_err(|e| Error::io(&hooks, e))?;
    let hook = hooks.join("pre-push");
    let chained = hooks.join(CHAINED);
    let mut kept = false;
    if present(&hook) && !is_ours(&hook) {
        if present(&chained) {
            return Err(Error::Usage(format!(
                "{} exists and so does {}: move one of them away first, shipgate will not overwrite either",
                hook.display(),
                chained.display()
            )));
        }
        std::fs::rename(&hook, &chained).map_err(|e| Error::io(&hook, e))?;
        kept = true;
    }
    write_atomic(&hook, script(shipgate).as_bytes())?;
    make_executable(&hook)?;
    Ok(Installed {
        chained: kept.then(|| chained.clone()),
        chained_before: (!kept && present(&chained)).then_some(chained),
        in_work_tree: hooks.starts_with(&repo.root) && !hooks.starts_with(repo.root.join(".git")),
        husky: false,
        hook,
    })
}

/// What `uninstall` did.
pub enum Uninstalled {
    /// Nothing was installed in this hooks folder.
    Nothing(PathBuf),
    /// A pre-push hook is there, but it is not shipgate's: left as it is.
    NotOurs(PathBuf),
    /// The hook that was there before is back.
    Restored(PathBuf),
    Removed(PathBuf),
}

pub fn uninstall(repo: &RepoHandle) -> Result<Uninstalled, Error> {
    let hooks = hooks_dir(repo)?;
    if husky9(&hooks) {
        let user_hook = hooks.parent().unwrap_or(&hooks).join("pre-push");
        let text = std::fs::read_to_string(&user_hook).unwrap_or_default();
        return match without_block(&text) {
            None => Ok(Uninstalled::Nothing(user_hook)),
            Some(rest) if rest.trim().is_empty() || rest.trim() == "#!/bin/sh" => {
                std::fs::remove_file(&user_hook).map_err(|e| Error::io(&user_hook, e))?;
                Ok(Uninstalled::Removed(user_hook))
            }
            Some(rest) => {
                write_atomic(&user_hook, rest.as_bytes())?;
                Ok(Uninstalled::Restored(user_hook))
            }
        };
    }
    let hook = hooks.join("pre-push");
    let chained = hooks.join(CHAINED);
    if !present(&hook) {
        return Ok(Uninstalled::Nothing(hooks));
    }
    if !is_ours(&hook) {
        return Ok(Uninstalled::NotOurs(hook));
    }
    if present(&chained) {
        std::fs::rename(&chained, &hook).map_err(|e| Error::io(&chained, e))?;
        Ok(Uninstalled::Restored(hook))
    } else {
        std::fs::remove_file(&hook).map_err(|e| Error::io(&hook, e))?;
        Ok(Uninstalled::Removed(hook))
    }
}

/// `SHIPGATE_OVERRIDE="id=reason;id2=reason"`: overrides for one push (the hook has no flags).
pub fn parse_overrides(v: &str) -> Result<Vec<(String, String)>, Error> {
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

/// What the report says about one pushed ref.
pub struct RefVerdict {
    pub label: String,
    /// Commits examined, when its range was (a push to a protected branch).
    pub examined: Option<u64>,
    pub delete: bool,
    /// The failing checks that block it: its own commits' findings, or those about the whole tree.
    pub blocking: Vec<String>,
}

pub fn verdicts(report: &Report, lines: &[PushLine]) -> Vec<RefVerdict> {
    let failing: Vec<&crate::report::model::CheckResult> = report
        .checks
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Error))
        .collect();
    lines
        .iter()
        .map(|line| {
            let label = format!("{} → {}", line.local_ref, line.remote_ref);
            let blocking = failing
                .iter()
                .filter(|c| {
                    c.findings
                        .iter()
                        .any(|f| f.location.name.as_deref().is_none_or(|n| n == label))
                })
                .map(|c| c.id.clone())
                .collect();
            RefVerdict {
                examined: report
                    .ranges
                    .iter()
                    .find(|r| r.label == label)
                    .map(|r| r.commits),
                delete: line.is_delete(),
                blocking,
                label,
            }
        })
        .collect()
}
