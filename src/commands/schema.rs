//! `shipgate schema check|config` and `shipgate completions SHELL`.

use crate::cli::{Cli, SchemaKind, Shell};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::output::stdout;

pub fn schema(which: SchemaKind) -> Result<ExitStatus, Error> {
    let v = match which {
        SchemaKind::Check => crate::schema::check_schema(),
        SchemaKind::Config => crate::schema::config_schema(),
    };
    let text = serde_json::to_string_pretty(&v).map_err(|e| Error::Other(e.to_string()))? + "\n";
    stdout(text.as_bytes())?;
    Ok(ExitStatus::Pass)
}

pub fn completions(shell: Shell) -> Result<ExitStatus, Error> {
    use clap::CommandFactory;
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "shipgate", &mut buf);
    stdout(&buf)?;
    Ok(ExitStatus::Pass)
}
