//! Check kinds: the engine's primitives. Each kind is one module holding its YAML parameters and its
//! evaluation; `Spec` is the closed set of them. A kind key in a check file (`repo-content:`) names
//! the kind, and the parameters under it are the module's `Params`.

pub mod artifact_content;
pub mod artifact_files;
pub mod command;
pub mod content;
pub mod deploy_window;
pub mod env;
pub mod git_commits;
pub mod git_state;
pub mod manual;
pub mod repo_content;
pub mod repo_files;

use crate::check::Input;
use crate::report::model::Finding;

/// A check's kind and its validated parameters.
#[derive(Debug, Clone)]
pub enum Spec {
    RepoFiles(repo_files::Params),
    RepoContent(content::ContentParams),
    ArtifactFiles(artifact_files::Params),
    ArtifactContent(content::ContentParams),
    GitCommits(git_commits::Params),
    GitState(git_state::Params),
    DeployWindow(deploy_window::Params),
    Env(env::Params),
    Command(command::Params),
    Manual(manual::Params),
}

/// Every kind key, in the order `list` shows them.
pub const KIND_KEYS: &[&str] = &[
    "repo-files",
    "repo-content",
    "artifact-files",
    "artifact-content",
    "env",
    "deploy-window",
    "git-commits",
    "git-state",
    "command",
    "manual",
];

impl Spec {
    pub fn kind(&self) -> &'static str {
        match self {
            Spec::RepoFiles(_) => "repo-files",
            Spec::RepoContent(_) => "repo-content",
            Spec::ArtifactFiles(_) => "artifact-files",
            Spec::ArtifactContent(_) => "artifact-content",
            Spec::GitCommits(_) => "git-commits",
            Spec::GitState(_) => "git-state",
            Spec::DeployWindow(_) => "deploy-window",
            Spec::Env(_) => "env",
            Spec::Command(_) => "command",
            Spec::Manual(_) => "manual",
        }
    }

    /// The input the check reads (the engine opens only inputs some selected check needs).
    pub fn needs(&self) -> Input {
        match self {
            Spec::RepoFiles(_) | Spec::RepoContent(_) => Input::Repo,
            Spec::ArtifactFiles(_) | Spec::ArtifactContent(_) => Input::Artifact,
            Spec::GitCommits(_) | Spec::GitState(_) => Input::Git,
            Spec::DeployWindow(_) => Input::Clock,
            Spec::Env(_) => Input::Env,
            Spec::Command(_) | Spec::Manual(_) => Input::Operator,
        }
    }

    /// The fields a `message` template may use for this kind.
    pub fn fields(&self) -> &'static [&'static str] {
        match self {
            Spec::RepoFiles(_) => repo_files::FIELDS,
            Spec::RepoContent(_) | Spec::ArtifactContent(_) => content::FIELDS,
            Spec::ArtifactFiles(_) => artifact_files::FIELDS,
            Spec::GitCommits(_) => git_commits::FIELDS,
            Spec::GitState(_) => git_state::FIELDS,
            Spec::DeployWindow(_) => deploy_window::FIELDS,
            Spec::Env(_) => env::FIELDS,
            Spec::Command(_) => command::FIELDS,
            Spec::Manual(_) => manual::FIELDS,
        }
    }

    /// Every regex of the check (compiled on first use; `shipgate validate` compiles them all).
    pub fn patterns(&self) -> Vec<&crate::check::Pattern> {
        fn defs(ds: &[content::PatternDef]) -> Vec<&crate::check::Pattern> {
            ds.iter()
                .flat_map(|d| {
                    std::iter::once(&d.regex)
                        .chain(&d.allow)
                        .chain(&d.unless_defined_by)
                })
                .collect()
        }
        match self {
            Spec::RepoContent(p) | Spec::ArtifactContent(p) => defs(&p.patterns),
            Spec::GitCommits(p) => p
                .review
                .iter()
                .flat_map(|r| r.merge_subjects.iter().chain(&r.squash_subjects))
                .chain(p.forbid_subjects.iter().map(|s| &s.regex))
                .collect(),
            Spec::Env(p) => {
                let mut v = defs(&p.values);
                if let Some(pb) = &p.public {
                    v.extend(&pb.secret_names);
                    v.extend(defs(&pb.patterns));
                }
                v
            }
            _ => Vec::new(),
        }
    }

    /// The content patterns, for kinds that have them (`patterns-from` reads these).
    pub fn content(&self) -> Option<&content::ContentParams> {
        match self {
            Spec::RepoContent(p) | Spec::ArtifactContent(p) => Some(p),
            _ => None,
        }
    }

    /// Checks whose patterns this check borrows (`patterns-from`), and where they go.
    pub fn borrowing(&mut self) -> Option<(Vec<String>, &mut Vec<content::PatternDef>)> {
        match self {
            Spec::RepoContent(p) | Spec::ArtifactContent(p) => {
                Some((p.patterns_from.clone(), &mut p.patterns))
            }
            Spec::Env(env::Params {
                public: Some(pb), ..
            }) => Some((pb.patterns_from.clone(), &mut pb.patterns)),
            _ => None,
        }
    }

    pub fn content_mut(&mut self) -> Option<&mut content::ContentParams> {
        match self {
            Spec::RepoContent(p) | Spec::ArtifactContent(p) => Some(p),
            _ => None,
        }
    }
}

/// What evaluating one check produced, before waivers, severity and overrides are applied.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    /// The check could not be evaluated (its input could not be read): status `error`.
    pub error: Option<String>,
    /// The check did not apply (its input was not given): status `skip`, with this reason.
    pub skip: Option<String>,
    /// Findings silenced by `shipgate:allow` comments.
    pub suppressed: u64,
}

impl Outcome {
    pub fn error(msg: impl Into<String>) -> Self {
        Outcome {
            error: Some(msg.into()),
            ..Outcome::default()
        }
    }

    pub fn skip(msg: impl Into<String>) -> Self {
        Outcome {
            skip: Some(msg.into()),
            ..Outcome::default()
        }
    }
}

/// What a check looks for, in words (for `shipgate explain`).
pub fn describe(spec: &Spec) -> String {
    let globs = |g: &crate::check::GlobList| g.sources.join(", ");
    let mut lines = Vec::new();
    match spec {
        Spec::RepoFiles(p) => {
            if !p.forbid.is_empty() {
                lines.push(format!("forbidden paths: {}", globs(&p.forbid)));
            }
            if !p.allow.is_empty() {
                lines.push(format!("allowed anyway: {}", globs(&p.allow)));
            }
            if !p.require.is_empty() {
                lines.push(format!("required paths: {}", globs(&p.require)));
            }
            for c in &p.companions {
                lines.push(format!(
                    "{} needs one of: {}",
                    c.manifest,
                    c.lockfiles.join(", ")
                ));
            }
            if !p.exclude.is_empty() {
                lines.push(format!("not looked at: {}", globs(&p.exclude)));
            }
        }
        Spec::RepoContent(p) | Spec::ArtifactContent(p) => {
            lines.push(format!(
                "files: {}",
                p.include
                    .as_ref()
                    .map_or("every text file".to_string(), globs)
            ));
            if !p.exclude.is_empty() {
                lines.push(format!("not searched: {}", globs(&p.exclude)));
            }
            for d in &p.patterns {
                lines.push(format!(
                    "pattern {}{}: {}",
                    d.name,
                    if d.secret { " (secret, redacted)" } else { "" },
                    d.regex.as_str()
                ));
            }
        }
        Spec::ArtifactFiles(p) => {
            if !p.forbid.is_empty() {
                lines.push(format!("forbidden entries: {}", globs(&p.forbid)));
            }
            if !p.allow.is_empty() {
                lines.push(format!("allowed anyway: {}", globs(&p.allow)));
            }
            if !p.require.is_empty() {
                lines.push(format!("required entries: {}", globs(&p.require)));
            }
            if let Some(only) = &p.only {
                lines.push(format!("only these may ship: {}", globs(only)));
            }
            if p.unsafe_paths {
                lines.push(
                    "entries with `..`, absolute paths, links outside the artifact, devices, FIFOs"
                        .into(),
                );
            }
            if p.inspect_source_maps {
                lines.push("source maps: whether they embed sourcesContent, and how many files they expose".into());
            }
            if let Some(n) = p.max_entries {
                lines.push(format!("at most {n} entries"));
            }
            if let Some(s) = p.max_total_size {
                lines.push(format!(
                    "at most {} in total",
                    crate::text::human_bytes(s.0)
                ));
            }
            if let Some(s) = p.max_entry_size {
                lines.push(format!(
                    "at most {} per entry",
                    crate::text::human_bytes(s.0)
                ));
            }
            if let Some(g) = &p.new_entries {
                lines.push(format!(
                    "entries new since the baseline artifact: {}",
                    globs(g)
                ));
            }
            if let Some(pct) = p.max_growth_percent {
                lines.push(format!(
                    "growth since the baseline artifact: at most {pct}%"
                ));
            }
        }
        Spec::GitCommits(p) => {
            lines.push(format!(
                "commits: {} (unless --range or a push says otherwise)",
                p.range.as_deref().unwrap_or("since-last-tag")
            ));
            if let Some(r) = &p.review {
                lines.push(format!(
                    "each needs review evidence: {}",
                    r.looked_for_public()
                ));
            }
            for s in &p.forbid_subjects {
                lines.push(format!(
                    "forbidden subject {}: {}",
                    s.name,
                    s.regex.as_str()
                ));
            }
            if p.require_signature {
                lines.push("each commit carries a GPG or SSH signature".into());
            }
            if !p.exempt_authors.sources.is_empty() {
                lines.push(format!(
                    "not examined: commits by {}",
                    p.exempt_authors.sources.join(", ")
                ));
            }
        }
        Spec::GitState(p) => {
            if p.clean_worktree {
                lines.push("no uncommitted changes to tracked files".into());
            }
            if let Some(b) = &p.branches {
                lines.push(format!("HEAD on one of: {}", b.join(", ")));
            }
            if p.version_tag {
                lines.push(format!(
                    "HEAD tagged {} with the manifest's version",
                    p.tag_format.as_deref().unwrap_or("v{version}")
                ));
            }
            if p.up_to_date {
                lines.push("the branch is not behind its upstream".into());
            }
        }
        Spec::DeployWindow(p) => {
            if let Some(z) = &p.timezone {
                lines.push(format!("time zone: {}", z.name));
            }
            for w in &p.deny {
                lines.push(format!("denied: {}", deploy_window::describe(w)));
            }
            for w in &p.allow {
                lines.push(format!("allowed only: {}", deploy_window::describe(w)));
            }
            for f in &p.freezes {
                lines.push(format!("freeze: {}", f.reason));
            }
            if !p.holidays.dates.is_empty() || !p.holidays.ics.is_empty() {
                lines.push(format!(
                    "holidays: {} date(s){}",
                    p.holidays.dates.len(),
                    if p.holidays.ics.is_empty() {
                        String::new()
                    } else {
                        format!(", calendars {}", p.holidays.ics.join(", "))
                    }
                ));
            }
            if p.is_empty() {
                lines.push(
                    "no rules yet: add deny/allow windows, freezes or holidays in .shipgate.yaml"
                        .into(),
                );
            }
        }
        Spec::Env(p) => {
            let sources = |r: &env::Required| {
                let mut v = Vec::new();
                if !r.names.is_empty() {
                    v.push(r.names.join(", "));
                }
                if r.from_examples {
                    v.push(env::EXAMPLE_FILES.join(", "));
                }
                if r.from_code {
                    v.push("names the code reads without a default".into());
                }
                v.join("; ")
            };
            if let Some(r) = &p.missing {
                lines.push(format!("set: {}", sources(r)));
            }
            if let Some(r) = &p.empty {
                lines.push(format!("not empty: {}", sources(r)));
            }
            if p.parity {
                lines.push(
                    "the deploy env file and the example file name the same variables".into(),
                );
            }
            for d in &p.values {
                lines.push(format!(
                    "development value {}: {}",
                    d.name,
                    d.regex.as_str()
                ));
            }
            if let Some(pb) = &p.public {
                lines.push(format!(
                    "no secrets in variables prefixed {}",
                    pb.prefixes.join(", ")
                ));
            }
        }
        Spec::Command(p) => {
            lines.push(format!("runs: {} (passes on exit 0)", p.run.join(" ")));
            if let Some(c) = &p.cwd {
                lines.push(format!("in: {c}"));
            }
            lines.push(format!(
                "time limit: {}s",
                p.timeout.map_or(600, |t| t.0.as_secs())
            ));
        }
        Spec::Manual(p) => {
            lines.push(format!("a person confirms: {}", p.question));
            if let Some(g) = &p.guidance {
                lines.push(g.trim().to_string());
            }
        }
    }
    lines.join("\n")
}
