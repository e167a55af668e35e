//! Dynamic shell completions: the script `shipgate completions SHELL` prints calls shipgate back
//! as the user types (clap_complete's `CompleteEnv`, with `VAR` set), and the candidates of check
//! ids come from the repository of the current directory: the built-ins and its own checks.

use clap_complete::CompletionCandidate;

use crate::cli::Shell;
use crate::error::Error;
use crate::exit::ExitStatus;

/// The environment variable the completion script sets when it asks shipgate for candidates.
pub const VAR: &str = "SHIPGATE_COMPLETE";

/// Every check id of the current directory's repository, with its title.
pub fn check_ids() -> Vec<CompletionCandidate> {
    checks()
        .into_iter()
        .map(|(id, title)| CompletionCandidate::new(id).help(Some(title.into())))
        .collect()
}

/// `ID=` for every check id, for `--override ID=REASON`.
pub fn override_ids() -> Vec<CompletionCandidate> {
    checks()
        .into_iter()
        .map(|(id, title)| CompletionCandidate::new(format!("{id}=")).help(Some(title.into())))
        .collect()
}

/// The checks a run here would load, best effort: a configuration with errors still lists the
/// checks that loaded; outside a repository, the built-ins.
fn checks() -> Vec<(String, String)> {
    let dir = std::path::Path::new(".");
    let root = crate::inputs::git::RepoHandle::open(dir)
        .map(|r| r.root)
        .unwrap_or_else(|_| dir.to_path_buf());
    let path = root.join(crate::config::PROJECT_FILE);
    let text = std::fs::read_to_string(&path).ok();
    let mut errors = Vec::new();
    let config = crate::config::load_from(
        &root,
        text.as_deref().map(|t| (path.as_path(), t)),
        &mut errors,
    );
    config
        .checks
        .iter()
        .map(|c| (c.id.clone(), c.title.clone()))
        .collect()
}

/// `shipgate completions SHELL`: the registration script of the dynamic completer.
pub fn script(shell: Shell) -> Result<ExitStatus, Error> {
    let name = match shell {
        Shell::Bash => "bash",
        Shell::Zsh => "zsh",
        Shell::Fish => "fish",
        Shell::Powershell => "powershell",
    };
    let shells = clap_complete::env::Shells::builtins();
    let completer = shells
        .completer(name)
        .ok_or_else(|| Error::Other(format!("no completer for {name}")))?;
    let mut buf = Vec::new();
    completer
        .write_registration(VAR, "shipgate", "shipgate", "shipgate", &mut buf)
        .map_err(|e| Error::Other(e.to_string()))?;
    crate::output::stdout(&buf)?;
    Ok(ExitStatus::Pass)
}
