//! The `shipgate` binary: parse the command line, capture the environment, run the command, map
//! the outcome to an exit status (0 pass, 1 fail, 2 could not decide).

use std::process::ExitCode;

use clap::Parser;
use shipgate::cli::Cli;
use shipgate::edge::Environment;
use shipgate::error::Error;
use shipgate::exit::ExitStatus;

fn main() -> ExitCode {
    // Asked by the completion script for candidates: answer and exit.
    clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command)
        .var(shipgate::commands::complete::VAR)
        .complete();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                ExitStatus::Error.code()
            } else {
                0
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match shipgate::commands::execute(cli, &Environment::capture()) {
        Ok(status) => ExitCode::from(status.code()),
        Err(e) => {
            // An error can quote a configuration line or a command's output: no secret whole.
            let redactor =
                shipgate::secrets::Redactor::new(&shipgate::config::builtin_secret_patterns());
            let clean = |s: String| redactor.clean(&s);
            match &e {
                Error::Config(errors) => {
                    for err in errors {
                        eprintln!("error: {}", clean(err.to_string()));
                    }
                    eprintln!(
                        "shipgate: {} configuration error(s); the gate could not decide",
                        errors.len()
                    );
                }
                e => eprintln!("error: {}", clean(e.to_string())),
            }
            ExitCode::from(ExitStatus::Error.code())
        }
    }
}
