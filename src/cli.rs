//! The command line: clap definitions and value parsers, nothing else. `commands` dispatches
//! what was parsed; no library module imports this one.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use clap_complete::ArgValueCandidates;

use crate::report::Format;
use crate::types::Stage;

#[derive(Debug, Parser)]
#[command(
    name = "shipgate",
    version,
    about = "A pre-deploy release gate: may this ship now?",
    long_about = "shipgate runs a checklist of YAML checks against the repository, the commits being \
pushed, the built artifact, the deploy environment and the clock, and says pass or fail.\n\n\
Exit status: 0 the gate passed; 1 the gate failed; 2 the gate could not decide (bad configuration, \
unreadable input)."
)]
pub struct Cli {
    /// The repository to check (default: the current directory's repository).
    #[arg(short = 'C', long = "repo", value_name = "DIR", global = true)]
    pub repo: Option<PathBuf>,
    /// When to use colors: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the checklist and say whether this may ship.
    Run(Box<RunArgs>),
    /// List every loaded check: id, kind, severity, stages, source file.
    List {
        #[arg(short = 'f', long = "format", value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// What a check looks for, why it matters, how to fix it.
    Explain {
        /// The check's id.
        #[arg(add = ArgValueCandidates::new(crate::commands::complete::check_ids))]
        id: String,
    },
    /// Load and validate configuration and check files (and run their samples) without running.
    Validate {
        /// Check files (or a .shipgate.yaml) to validate; default: the project's whole configuration.
        files: Vec<PathBuf>,
    },
    /// Write a starter .shipgate.yaml for the detected ecosystem.
    Init,
    /// Print the JSON Schema of check files or of .shipgate.yaml, for editors.
    Schema {
        #[arg(value_enum)]
        which: SchemaKind,
    },
    /// Print the shell completion script: it asks shipgate for candidates as you type, so check
    /// ids (explain, --only, --skip, --override, --confirm) come from the current repository.
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// The next open and closed periods of every deploy-window check: the team's deploy calendar.
    Windows {
        /// Start from this instant instead of now (RFC 3339).
        #[arg(long, value_name = "RFC3339", value_parser = parse_at)]
        at: Option<jiff::Timestamp>,
        /// How many days to show.
        #[arg(long, value_name = "N", default_value_t = 14)]
        days: i64,
    },
    /// Manual release sign-off: run the release stage, confirm the manual items, record it.
    Signoff(Box<SignoffArgs>),
    /// The git pre-push hook: install, uninstall, or run (what the hook calls).
    #[command(subcommand)]
    Hook(HookCommand),
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Install the pre-push hook (an existing hook is kept and still runs).
    Install,
    /// Remove the hook and restore exactly what was there before.
    Uninstall,
    /// Run the pre-push stage on what git is pushing (reads git's pre-push lines on stdin).
    PrePush {
        /// The remote's name (git passes it).
        remote: String,
        /// The remote's URL (git passes it).
        url: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// A check file (checks/*.yaml).
    Check,
    /// The project configuration, .shipgate.yaml.
    Config,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The stage: pre-push (what the hook runs), ci (every pipeline), release (the deploy).
    #[arg(long, value_enum, default_value_t = Stage::Ci, help_heading = "Selection")]
    pub stage: Stage,
    /// Run only these checks (whatever their stages): a comma list, repeatable (--only a,b --only c).
    #[arg(long, value_name = "ID[,ID]", value_delimiter = ',', value_parser = parse_id, help_heading = "Selection", add = ArgValueCandidates::new(crate::commands::complete::check_ids))]
    pub only: Vec<String>,
    /// Skip these checks: a comma list, repeatable.
    #[arg(long, value_name = "ID[,ID]", value_delimiter = ',', value_parser = parse_id, help_heading = "Selection", add = ArgValueCandidates::new(crate::commands::complete::check_ids))]
    pub skip: Vec<String>,
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Output format.
    #[arg(short = 'f', long = "format", value_enum, default_value_t = Format::Human, help_heading = "Output")]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        help_heading = "Output"
    )]
    pub output: Option<PathBuf>,
    /// Also write a report in FORMAT to PATH, from the same evaluation (e.g. sarif=shipgate.sarif).
    /// Repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_report, help_heading = "Output")]
    pub reports: Vec<(Format, PathBuf)>,
    /// Worker threads for the repository walk (default: one per core).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0, hide = true)]
    pub threads: usize,
}

/// The inputs of an evaluation, shared by `run` and `signoff`.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Accept a failing check for this run; the reason is kept in the report. Repeatable.
    #[arg(long = "override", value_name = "ID=REASON", value_parser = parse_override, help_heading = "Selection", add = ArgValueCandidates::new(crate::commands::complete::override_ids))]
    pub overrides: Vec<(String, String)>,
    /// Confirm a manual item for this run, with an optional comment. Repeatable.
    #[arg(long = "confirm", value_name = "ID[=COMMENT]", value_parser = parse_confirm, help_heading = "Selection", add = ArgValueCandidates::new(crate::commands::complete::check_ids))]
    pub confirms: Vec<(String, Option<String>)>,
    /// A built artifact to inspect: .tar.gz/.tgz/.crate, .tar, .zip/.whl/.jar, a folder, or a
    /// container image (docker save tarball, OCI layout folder, oci-archive). Repeatable.
    #[arg(long, value_name = "PATH", help_heading = "Inputs")]
    pub artifact: Vec<PathBuf>,
    /// A previous release's artifact, for checks that report what is new or how much it grew.
    #[arg(long, value_name = "PATH", help_heading = "Inputs")]
    pub baseline: Option<PathBuf>,
    /// Of a multi-platform image, check only this platform (e.g. linux/amd64, linux/arm/v7);
    /// default: every platform.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", value_parser = parse_platform, help_heading = "Inputs")]
    pub platform: Option<String>,
    /// A dotenv file with the deploy environment. Repeatable; later files win.
    #[arg(long = "env-file", value_name = "FILE", help_heading = "Inputs")]
    pub env_file: Vec<PathBuf>,
    /// A deploy manifest whose environment is the deploy's: a docker compose file, Kubernetes
    /// manifests, fly.toml, app.json or render.yaml. Repeatable; like --env-file.
    #[arg(long = "env-from", value_name = "MANIFEST", help_heading = "Inputs")]
    pub env_from: Vec<PathBuf>,
    /// The commits to examine (e.g. origin/main..HEAD), for every git-commits check.
    #[arg(long, value_name = "REV..REV", help_heading = "Inputs")]
    pub range: Option<String>,
    /// Evaluate as if now were this instant (RFC 3339, e.g. 2026-08-21T17:00:00+02:00).
    #[arg(long, value_name = "RFC3339", value_parser = parse_at, help_heading = "Inputs")]
    pub at: Option<jiff::Timestamp>,
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SignoffArgs {
    #[command(subcommand)]
    pub action: Option<SignoffAction>,
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Confirm every manual item with this comment (for scripts; no terminal needed).
    #[arg(
        long = "confirm-all",
        value_name = "COMMENT",
        help_heading = "Selection"
    )]
    pub confirm_all: Option<String>,
    /// Who signs: "Name <email>" (default: git's user.name and user.email).
    #[arg(long = "as", value_name = "NAME <EMAIL>")]
    pub signer: Option<String>,
    /// Also write the record to FILE.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SignoffAction {
    /// Check the sign-off record for HEAD (or --record FILE) before a deploy.
    Verify {
        /// A record file instead of the git note on HEAD.
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
        /// An artifact about to be deployed: it must be the one signed off. Repeatable.
        #[arg(long, value_name = "PATH")]
        artifact: Vec<PathBuf>,
        /// The record must not be older than this (e.g. 24h, 7d).
        #[arg(long = "max-age", value_name = "DURATION")]
        max_age: Option<String>,
        /// Verify as if now were this instant.
        #[arg(long, value_name = "RFC3339", value_parser = parse_at)]
        at: Option<jiff::Timestamp>,
        /// Also list every sign-off recorded for HEAD: who signed when, which artifacts, valid or not.
        #[arg(long)]
        history: bool,
    },
}

fn parse_confirm(s: &str) -> Result<(String, Option<String>), String> {
    match s.split_once('=') {
        Some((id, c)) => Ok((
            id.trim().to_string(),
            Some(c.trim().to_string()).filter(|c| !c.is_empty()),
        )),
        None if s.trim().is_empty() => Err("--confirm needs a check id".into()),
        None => Ok((s.trim().to_string(), None)),
    }
}

/// One id of an `--only`/`--skip` list: trimmed (`--only "a, b"`), never empty (`--only a,,b`).
fn parse_id(s: &str) -> Result<String, String> {
    let id = s.trim();
    if id.is_empty() {
        return Err(
            "an empty check id: give ids separated by commas, e.g. --only repo-secrets,wip-commits"
                .into(),
        );
    }
    Ok(id.to_string())
}

fn parse_report(s: &str) -> Result<(Format, PathBuf), String> {
    let (f, p) = s
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=PATH, e.g. sarif=shipgate.sarif, got `{s}`"))?;
    let format = Format::parse(f.trim()).ok_or_else(|| {
        format!("unknown format `{f}`: use human, json, sarif, junit, github, markdown or gitlab")
    })?;
    if p.trim().is_empty() {
        return Err(format!("--report {f}= needs a path"));
    }
    Ok((format, PathBuf::from(p.trim())))
}

fn parse_override(s: &str) -> Result<(String, String), String> {
    let (id, reason) = s.split_once('=').ok_or_else(|| {
        format!("expected ID=REASON, e.g. friday-deploys=\"hotfix for incident 4211\", got `{s}`")
    })?;
    if reason.trim().is_empty() {
        return Err(format!("the override of `{id}` needs a reason after `=`"));
    }
    Ok((id.trim().to_string(), reason.trim().to_string()))
}

fn parse_platform(s: &str) -> Result<String, String> {
    let parts: Vec<&str> = s.trim().split('/').collect();
    if (2..=3).contains(&parts.len()) && parts.iter().all(|p| !p.is_empty()) {
        Ok(s.trim().to_string())
    } else {
        Err(format!(
            "expected OS/ARCH or OS/ARCH/VARIANT, e.g. linux/amd64 or linux/arm/v7, got `{s}`"
        ))
    }
}

pub fn parse_at(s: &str) -> Result<jiff::Timestamp, String> {
    s.parse::<jiff::Timestamp>()
        .or_else(|_| s.parse::<jiff::Zoned>().map(|z| z.timestamp()))
        .map_err(|e| format!("expected an RFC 3339 time such as 2026-08-21T17:00:00+02:00: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definitions_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn report_and_override_arguments() {
        assert_eq!(
            parse_report("sarif=out/x.sarif").unwrap(),
            (Format::Sarif, PathBuf::from("out/x.sarif"))
        );
        assert!(parse_report("sarif").is_err());
        assert!(parse_report("nope=x")
            .unwrap_err()
            .contains("unknown format"));
        assert_eq!(parse_override("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert!(parse_override("a=").is_err());
    }

    #[test]
    fn only_and_skip_take_comma_lists_and_repeat() {
        use clap::Parser;
        let cli = Cli::try_parse_from([
            "shipgate", "run", "--only", "a,b", "--only", " c ", "--skip", "d, e",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        assert_eq!(args.only, ["a", "b", "c"]);
        assert_eq!(args.skip, ["d", "e"]);
        assert!(Cli::try_parse_from(["shipgate", "run", "--only", "a,,b"]).is_err());
    }
}
