//! The command line (clap derive) and the commands. `main.rs` only maps the outcome to an exit code.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::check::Stage;
use crate::config::{self, Config};
use crate::engine::{self, RunOptions};
use crate::error::{ConfigError, Error};
use crate::inputs::git::RepoHandle;
use crate::report::{self, model::Verdict, Format};

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
    /// Print shell completions.
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
    /// Run only these checks (whatever their stages). Repeatable.
    #[arg(long, value_name = "ID", help_heading = "Selection")]
    pub only: Vec<String>,
    /// Skip these checks. Repeatable.
    #[arg(long, value_name = "ID", help_heading = "Selection")]
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
    #[arg(long = "override", value_name = "ID=REASON", value_parser = parse_override, help_heading = "Selection")]
    pub overrides: Vec<(String, String)>,
    /// Confirm a manual item for this run, with an optional comment. Repeatable.
    #[arg(long = "confirm", value_name = "ID[=COMMENT]", value_parser = parse_confirm, help_heading = "Selection")]
    pub confirms: Vec<(String, Option<String>)>,
    /// A built artifact to inspect: .tar.gz/.tgz/.crate, .tar, .zip/.whl/.jar, or a folder. Repeatable.
    #[arg(long, value_name = "PATH", help_heading = "Inputs")]
    pub artifact: Vec<PathBuf>,
    /// A previous release's artifact, for checks that report what is new or how much it grew.
    #[arg(long, value_name = "PATH", help_heading = "Inputs")]
    pub baseline: Option<PathBuf>,
    /// A dotenv file with the deploy environment. Repeatable; later files win.
    #[arg(long = "env-file", value_name = "FILE", help_heading = "Inputs")]
    pub env_file: Vec<PathBuf>,
    /// The commits to examine (e.g. origin/main..HEAD), for every git-commits check.
    #[arg(long, value_name = "REV..REV", help_heading = "Inputs")]
    pub range: Option<String>,
    /// Evaluate as if now were this instant (RFC 3339, e.g. 2026-08-21T17:00:00+02:00).
    #[arg(long, value_name = "RFC3339", value_parser = parse_at, help_heading = "Inputs")]
    pub at: Option<jiff::Timestamp>,
}

impl InputArgs {
    /// Run options for the repository at `root`.
    pub fn options(&self, root: PathBuf, stage: Stage) -> RunOptions {
        let opts = RunOptions {
            stage,
            overrides: self.overrides.clone(),
            confirms: self.confirms.clone(),
            at: self.at,
            artifacts: self.artifact.clone(),
            baseline: self.baseline.clone(),
            range: self.range.clone(),
            ci_branch: ci_branch(),
            env_files: self.env_file.clone(),
            process_env: process_env(),
            counters: Some(Default::default()),
            ..RunOptions::new(root)
        };
        RunOptions {
            push: pre_commit_push(&opts),
            ..opts
        }
    }
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

pub fn parse_at(s: &str) -> Result<jiff::Timestamp, String> {
    s.parse::<jiff::Timestamp>()
        .or_else(|_| s.parse::<jiff::Zoned>().map(|z| z.timestamp()))
        .map_err(|e| format!("expected an RFC 3339 time such as 2026-08-21T17:00:00+02:00: {e}"))
}

/// What a command ended with; `main` maps it to the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: the gate passed (or the command succeeded).
    Pass,
    /// 1: the gate failed.
    Fail,
    /// 2: the gate could not decide.
    Error,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Pass => 0,
            ExitStatus::Fail => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// Decides colour once: `--color`, `NO_COLOR`, and whether stdout is a terminal.
pub fn use_color(when: ColorWhen) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
                && io::stdout().is_terminal()
        }
    }
}

pub fn execute(cli: Cli) -> Result<ExitStatus, Error> {
    let dir = cli.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    let color = use_color(cli.color);
    match cli.command {
        Command::Run(args) => run(&dir, &args, color),
        Command::List { format } => list(&dir, format),
        Command::Explain { id } => explain(&dir, &id),
        Command::Validate { files } => validate(&dir, &files),
        Command::Init => crate::init::init(&dir),
        Command::Windows { at, days } => windows(&dir, at, days),
        Command::Schema { which } => {
            let v = match which {
                SchemaKind::Check => crate::schema::check_schema(),
                SchemaKind::Config => crate::schema::config_schema(),
            };
            let text =
                serde_json::to_string_pretty(&v).map_err(|e| Error::Other(e.to_string()))? + "\n";
            ignore_broken_pipe(io::stdout().lock().write_all(text.as_bytes()))?;
            Ok(ExitStatus::Pass)
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let shell = match shell {
                Shell::Bash => clap_complete::Shell::Bash,
                Shell::Zsh => clap_complete::Shell::Zsh,
                Shell::Fish => clap_complete::Shell::Fish,
                Shell::Powershell => clap_complete::Shell::PowerShell,
            };
            clap_complete::generate(shell, &mut Cli::command(), "shipgate", &mut io::stdout());
            Ok(ExitStatus::Pass)
        }
        Command::Signoff(args) => signoff(&dir, &args, color),
        Command::Hook(HookCommand::Install) => crate::hook::install(&dir),
        Command::Hook(HookCommand::Uninstall) => crate::hook::uninstall(&dir),
        Command::Hook(HookCommand::PrePush { remote, url }) => {
            let url = url.unwrap_or_else(|| remote.clone());
            crate::hook::pre_push(&dir, &remote, &url, color)
        }
    }
}

fn load(dir: &Path) -> Result<(RepoHandle, Config), Error> {
    let repo = RepoHandle::open(dir)?;
    let config = config::load(&repo.root)?;
    Ok((repo, config))
}

fn run(dir: &Path, args: &RunArgs, color: bool) -> Result<ExitStatus, Error> {
    let (repo, config) = load(dir)?;
    let opts = RunOptions {
        only: args.only.clone(),
        skip: args.skip.clone(),
        threads: args.threads,
        ..args.inputs.options(repo.root.clone(), args.stage)
    };
    let report = {
        let _progress = crate::progress::Progress::start(&opts);
        engine::run(&config, &repo, &opts)?
    };
    for (format, path) in &args.reports {
        let mut buf = Vec::new();
        report::write(&report, *format, false, &mut buf).map_err(|e| Error::io(path, e))?;
        write_atomic(path, &buf)?;
    }
    let github =
        args.format == Format::Github || args.reports.iter().any(|(f, _)| *f == Format::Github);
    if github {
        if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
            append(
                Path::new(&summary),
                report::markdown::render(&report).as_bytes(),
            )?;
        }
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
            let stdout = io::stdout();
            let mut lock = stdout.lock();
            match report::write(&report, args.format, color, &mut lock).and_then(|_| lock.flush()) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(Error::io("<stdout>", e)),
            }
        }
    }
    Ok(exit_status(&report))
}

/// Under the pre-commit framework's `pre-push` stage there is no stdin: it names the push in
/// `PRE_COMMIT_*` variables. They become the same push context the git hook builds.
fn pre_commit_push(opts: &RunOptions) -> Option<engine::PushContext> {
    if opts.stage != Stage::PrePush || opts.range.is_some() {
        return None;
    }
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    let to = var("PRE_COMMIT_TO_REF")?;
    let from = var("PRE_COMMIT_FROM_REF").unwrap_or_else(|| "0".repeat(40));
    let remote_ref = var("PRE_COMMIT_REMOTE_BRANCH")?;
    let local_ref = var("PRE_COMMIT_LOCAL_BRANCH").unwrap_or_else(|| "HEAD".into());
    let resolve = |rev: &str| -> Option<String> {
        if rev.len() >= 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some(rev.to_string());
        }
        let repo = git2::Repository::discover(&opts.dir).ok()?;
        let id = repo.revparse_single(rev).ok()?.id().to_string();
        Some(id)
    };
    Some(engine::PushContext {
        remote: var("PRE_COMMIT_REMOTE_NAME").unwrap_or_else(|| "origin".into()),
        lines: vec![crate::inputs::history::PushLine {
            local_ref,
            local: resolve(&to)?,
            remote_ref,
            remote: resolve(&from).unwrap_or_else(|| "0".repeat(40)),
        }],
    })
}

/// The process environment, read once here at the edge.
pub fn process_env() -> Vec<(String, String)> {
    std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect()
}

/// The branch a CI system says it builds, for a detached HEAD.
pub fn ci_branch() -> Option<String> {
    [
        "GITHUB_HEAD_REF",
        "GITHUB_REF_NAME",
        "CI_COMMIT_BRANCH",
        "CI_COMMIT_REF_NAME",
        "BRANCH_NAME",
    ]
    .iter()
    .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
}

/// The exit status a report implies.
pub fn exit_status(report: &report::model::Report) -> ExitStatus {
    match report.verdict {
        Verdict::Pass => ExitStatus::Pass,
        Verdict::Fail if report.has_errors() => ExitStatus::Error,
        Verdict::Fail => ExitStatus::Fail,
    }
}

/// Appends to a file (GitHub's step summary is shared by the steps of a job).
fn append(path: &Path, data: &[u8]) -> Result<(), Error> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.write_all(data).map_err(|e| Error::io(path, e))
}

/// Writes `data` to `path` through a temporary file in the same folder and a rename, so a reader
/// never sees half a report and a failed write never destroys the previous one.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), Error> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(|e| Error::io(parent, e))?;
    tmp.write_all(data).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

fn list(dir: &Path, format: ListFormat) -> Result<ExitStatus, Error> {
    let (_, config) = load(dir)?;
    let mut out = io::stdout().lock();
    let res = match format {
        ListFormat::Json => {
            let items: Vec<serde_json::Value> = config
                .checks
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "id": c.id,
                        "title": c.title,
                        "kind": c.spec.kind(),
                        "severity": c.severity,
                        "stages": c.stages,
                        "off": c.off,
                        "source": c.source,
                        "builtin": c.builtin,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &items)
                .map_err(io::Error::from)
                .and_then(|_| writeln!(out))
        }
        ListFormat::Human => {
            let w = config.checks.iter().map(|c| c.id.len()).max().unwrap_or(10);
            let mut r = writeln!(
                out,
                "{:<w$}  {:<16}  {:<8}  {:<22}  SOURCE",
                "ID", "KIND", "SEVERITY", "STAGES"
            );
            for c in &config.checks {
                let stages: Vec<&str> = c.stages.iter().map(|s| s.as_str()).collect();
                let src = if c.off {
                    format!("{} (off)", c.source)
                } else {
                    c.source.clone()
                };
                r = r.and_then(|_| {
                    writeln!(
                        out,
                        "{:<w$}  {:<16}  {:<8}  {:<22}  {}",
                        c.id,
                        c.spec.kind(),
                        c.severity.as_str(),
                        stages.join(","),
                        src
                    )
                });
            }
            r
        }
    };
    ignore_broken_pipe(res)?;
    Ok(ExitStatus::Pass)
}

fn ignore_broken_pipe(r: io::Result<()>) -> Result<(), Error> {
    match r {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", e)),
        _ => Ok(()),
    }
}

fn explain(dir: &Path, id: &str) -> Result<ExitStatus, Error> {
    let (_, config) = load(dir)?;
    let Some(c) = config.get(id) else {
        return Err(config.unknown_id("explain", id));
    };
    let mut s = String::new();
    let stages: Vec<&str> = c.stages.iter().map(|s| s.as_str()).collect();
    s.push_str(&format!("{} — {}\n\n", c.id, c.title));
    s.push_str(&format!(
        "kind: {}   severity: {}   stages: {}{}\nsource: {}\n",
        c.spec.kind(),
        c.severity.as_str(),
        stages.join(", "),
        if c.off { "   (off)" } else { "" },
        c.source
    ));
    s.push_str(&format!(
        "\nWhat it looks for:\n{}\n",
        indent(&crate::kinds::describe(&c.spec))
    ));
    if let Some(why) = &c.why {
        s.push_str(&format!("\nWhy it matters:\n{}\n", indent(why.trim())));
    }
    if let Some(help) = &c.help {
        s.push_str(&format!("\nHow to fix:\n{}\n", indent(help.trim())));
    }
    s.push_str(&format!(
        "\nTo silence one finding, add a `shipgate:allow {}` comment on its line or the line above; \
to accept it in .shipgate.yaml, add a waiver with a reason and an expiry date.\n",
        c.id
    ));
    ignore_broken_pipe(io::stdout().lock().write_all(s.as_bytes()))?;
    Ok(ExitStatus::Pass)
}

fn signoff(dir: &Path, args: &SignoffArgs, color: bool) -> Result<ExitStatus, Error> {
    let (repo, config) = load(dir)?;
    match &args.action {
        Some(SignoffAction::Verify {
            record,
            artifact,
            max_age,
            at,
        }) => crate::signoff::verify(
            &repo,
            record.as_deref(),
            artifact,
            max_age.as_deref(),
            *at,
            engine::time_zone(&config),
        ),
        None => {
            let opts = crate::signoff::SignoffOptions {
                run: args.inputs.options(repo.root.clone(), Stage::Release),
                confirm_all: args.confirm_all.clone(),
                signer: args.signer.clone(),
                record: args.record.clone(),
                color,
            };
            crate::signoff::signoff(&repo, &config, opts)
        }
    }
}

fn windows(dir: &Path, at: Option<jiff::Timestamp>, days: i64) -> Result<ExitStatus, Error> {
    use crate::kinds::deploy_window::{local, wait, Policy};
    let (repo, config) = load(dir)?;
    let days = days.clamp(1, 366);
    let fallback = engine::time_zone(&config);
    let now = at
        .unwrap_or_else(jiff::Timestamp::now)
        .to_zoned(fallback.clone());
    let mut out = String::new();
    let mut any = false;
    for c in &config.checks {
        let crate::kinds::Spec::DeployWindow(p) = &c.spec else {
            continue;
        };
        any = true;
        let policy = Policy::new(p, &fallback, &repo.root, now.date()).map_err(Error::Other)?;
        let here = now.with_time_zone(policy.tz.clone());
        let stages: Vec<&str> = c.stages.iter().map(|s| s.as_str()).collect();
        out.push_str(&format!(
            "{} — {} ({}, stage {}{})\n",
            c.id,
            c.title,
            policy.tz_name,
            stages.join(", "),
            if c.off { ", off" } else { "" }
        ));
        if p.is_empty() {
            out.push_str("  no rules configured: always open\n\n");
            continue;
        }
        for (start, end, why) in policy.periods(&here, days) {
            let state = if why.is_some() { "closed" } else { "open  " };
            out.push_str(&format!(
                "  {state}  {} → {}  ({}){}\n",
                local(&start),
                local(&end),
                wait(&start, &end),
                why.map(|w| format!("  {w}")).unwrap_or_default()
            ));
        }
        out.push('\n');
    }
    if !any {
        out.push_str("no deploy-window checks are loaded\n");
    }
    ignore_broken_pipe(io::stdout().lock().write_all(out.as_bytes()))?;
    Ok(ExitStatus::Pass)
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn validate(dir: &Path, files: &[PathBuf]) -> Result<ExitStatus, Error> {
    let mut errors: Vec<ConfigError> = Vec::new();
    let checks = if files.is_empty() {
        let (_, config) = load(dir)?;
        config.checks
    } else {
        let mut sources = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(f).map_err(|e| Error::io(f, e))?;
            let label = f.display().to_string();
            if f.file_name().is_some_and(|n| n == config::PROJECT_FILE) {
                let root = f
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let cfg = config::load_from(root, Some((f, &text)), &mut errors);
                sources.clear();
                let mut all = cfg.checks;
                all.retain(|c| !c.builtin);
                for c in &all {
                    errors.extend(config::samples::verify(c));
                }
                continue;
            }
            sources.push(config::Source {
                label,
                text,
                builtin: false,
            });
        }
        config::parse_checks(&sources, &Default::default(), None, &mut errors)
    };
    for c in &checks {
        // Patterns are compiled on first use when running; validating compiles them all.
        if let Err(e) = crate::check::Pattern::compile_all(c.spec.patterns()) {
            errors.push(ConfigError::new(&c.source, e).check(&c.id));
        }
        errors.extend(config::samples::verify(c));
    }
    if !errors.is_empty() {
        return Err(Error::Config(errors));
    }
    println!("ok: {} check(s) valid", checks.len());
    Ok(ExitStatus::Pass)
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
}
