//! The commands: one module each, dispatched from what `cli` parsed. They read the `Environment`
//! captured at the edge, call the library, and print; `main` maps what they return to the exit
//! status.

pub mod complete;
pub mod explain;
pub mod hook;
pub mod init;
pub mod list;
pub mod run;
pub mod schema;
pub mod signoff;
pub mod validate;
pub mod windows;

use std::path::{Path, PathBuf};

use crate::cli::{Cli, ColorWhen, Command, HookCommand};
use crate::config::{self, Config};
use crate::edge::Environment;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::inputs::git::RepoHandle;

pub fn execute(cli: Cli, env: &Environment) -> Result<ExitStatus, Error> {
    let dir = cli.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    let color = match cli.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => env.auto_color(),
    };
    match cli.command {
        Command::Run(args) => run::execute(&dir, &args, env, color),
        Command::List { format } => list::execute(&dir, format),
        Command::Explain { id } => explain::execute(&dir, &id, env.width()),
        Command::Validate { files } => validate::execute(&dir, &files),
        Command::Init => init::execute(&dir),
        Command::Windows { at, days } => windows::execute(&dir, at, days),
        Command::Schema { which } => schema::schema(&dir, which),
        Command::Completions { shell } => complete::script(shell),
        Command::Signoff(args) => signoff::execute(&dir, &args, env, color),
        Command::Hook(HookCommand::Install) => hook::install(&dir),
        Command::Hook(HookCommand::Uninstall) => hook::uninstall(&dir),
        Command::Hook(HookCommand::PrePush { remote, url }) => {
            let url = url.unwrap_or_else(|| remote.clone());
            hook::pre_push(&dir, &remote, &url, env, color)
        }
    }
}

/// The repository containing `dir`, and its configuration.
pub fn load(dir: &Path) -> Result<(RepoHandle, Config), Error> {
    let repo = RepoHandle::open(dir)?;
    let config = config::load(&repo.root)?;
    Ok((repo, config))
}
