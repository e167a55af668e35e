//! The engine: selects the checks of this run, plans one pass per input, runs the passes, evaluates
//! each check on what its input produced, and applies the sink rules (inline allows were applied
//! during the pass; waivers, severity and overrides here). It never prints.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use jiff::{tz::TimeZone, Timestamp, Zoned};

use crate::check::{Check, Input, Severity, Stage};
use crate::config::Config;
use crate::error::Error;
use crate::inputs::artifact_scan::{self, ArtifactScan};
use crate::inputs::content::{ContentMatcher, RawMatch, Selection};
use crate::inputs::git::RepoHandle;
use crate::inputs::history::{self, PushLine, Range, RangeSpec};
use crate::inputs::repo::{self, RepoScan, ScanOptions};
use crate::kinds::artifact_files::ArtifactData;
use crate::kinds::content::PatternDef;
use crate::kinds::deploy_window::{self, Policy};
use crate::kinds::env::{self, EnvInput, Examples};
use crate::kinds::git_state::branch_matches;
use crate::kinds::{
    artifact_content, artifact_files, command, git_commits, git_state, manual, repo_content,
    repo_files, Outcome, Spec,
};
use crate::report::model::*;

/// What `shipgate run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub dir: PathBuf,
    pub stage: Stage,
    pub only: Vec<String>,
    pub skip: Vec<String>,
    /// `--override ID=REASON`.
    pub overrides: Vec<(String, String)>,
    /// `--at`: evaluate as if now were this instant.
    pub at: Option<Timestamp>,
    pub threads: usize,
    /// `--artifact`: built artifacts (archives or folders), as given.
    pub artifacts: Vec<PathBuf>,
    /// `--baseline`: a previous release's artifact, for checks that compare against one.
    pub baseline: Option<PathBuf>,
    /// `--range A..B`: the commits to examine, for every `git-commits` check.
    pub range: Option<String>,
    /// In the pre-push hook: what is being pushed.
    pub push: Option<PushContext>,
    /// The branch CI says it builds (for a detached HEAD): GITHUB_REF_NAME, CI_COMMIT_BRANCH.
    pub ci_branch: Option<String>,
    /// `--env-file`: the deploy environment, later files winning.
    pub env_files: Vec<PathBuf>,
    /// The process environment (at release, the deploy environment when no env file is given).
    pub process_env: Vec<(String, String)>,
    /// `--confirm ID[=COMMENT]`: manual items confirmed for this run.
    pub confirms: Vec<(String, Option<String>)>,
    /// Whether a sign-off record for HEAD confirms manual items (not while signing off).
    pub use_records: bool,
    /// Counters for a progress display (files walked, artifact entries read).
    pub counters: Option<std::sync::Arc<crate::progress::Counters>>,
}

/// What git told the pre-push hook.
#[derive(Debug, Clone)]
pub struct PushContext {
    pub remote: String,
    pub lines: Vec<PushLine>,
}

impl RunOptions {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        RunOptions {
            dir: dir.into(),
            stage: Stage::Ci,
            only: Vec::new(),
            skip: Vec::new(),
            overrides: Vec::new(),
            at: None,
            threads: 0,
            artifacts: Vec::new(),
            baseline: None,
            range: None,
            push: None,
            ci_branch: None,
            env_files: Vec::new(),
            process_env: Vec::new(),
            confirms: Vec::new(),
            use_records: true,
            counters: None,
        }
    }
}

/// The time zone of the run: `settings.timezone`, else the machine's.
pub fn time_zone(config: &Config) -> TimeZone {
    config
        .settings
        .timezone
        .clone()
        .unwrap_or_else(TimeZone::system)
}

enum Plan {
    Run,
    Skip(String),
}

pub fn run(config: &Config, repo: &RepoHandle, opts: &RunOptions) -> Result<Report, Error> {
    let started = Instant::now();
    for id in opts.only.iter().chain(&opts.skip) {
        if config.get(id).is_none() {
            return Err(config.unknown_id(
                if opts.only.contains(id) {
                    "--only"
                } else {
                    "--skip"
                },
                id,
            ));
        }
    }
    for (id, _) in &opts.confirms {
        match config.get(id) {
            None => return Err(config.unknown_id("--confirm", id)),
            Some(c) if !matches!(c.spec, Spec::Manual(_)) => {
                return Err(Error::Usage(format!(
                    "--confirm {id}: `{id}` is a {} check, not a manual item; only manual items are confirmed",
                    c.spec.kind()
                )))
            }
            Some(_) => {}
        }
    }
    let mut overrides: HashMap<&str, &str> = HashMap::new();
    for (id, reason) in &opts.overrides {
        if config.get(id).is_none() {
            return Err(config.unknown_id("--override", id));
        }
        if reason.trim().is_empty() {
            return Err(Error::Usage(format!(
                "--override {id}= needs a reason: --override {id}=\"why this is acceptable\""
            )));
        }
        overrides.insert(id, reason);
    }
    let now: Zoned = opts
        .at
        .unwrap_or_else(Timestamp::now)
        .to_zoned(time_zone(config));
    let now = now.with().subsec_nanosecond(0).build().unwrap_or(now);

    // Plan: which checks run, which are skipped and why. Checks not named by --only are left out.
    let plan: Vec<(usize, Plan)> = config
        .checks
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            if !opts.only.is_empty() {
                return opts.only.contains(&c.id).then_some((i, Plan::Run));
            }
            if c.off {
                return None;
            }
            if opts.skip.contains(&c.id) {
                return Some((i, Plan::Skip("skipped with --skip".into())));
            }
            if !c.runs_in(opts.stage) {
                let stages: Vec<&str> = c.stages.iter().map(|s| s.as_str()).collect();
                return Some((
                    i,
                    Plan::Skip(format!(
                        "runs in stage{} {} (this run: {})",
                        if stages.len() > 1 { "s" } else { "" },
                        stages.join(", "),
                        opts.stage
                    )),
                ));
            }
            Some((i, Plan::Run))
        })
        .collect();
    let runs = |input: Input| {
        plan.iter()
            .any(|(i, p)| matches!(p, Plan::Run) && config.checks[*i].spec.needs() == input)
    };

    // One pass over the repository for every repository check.
    let mut repo_info = RepoInfo {
        root: ".".into(),
        head: repo.head(),
        branch: repo.branch(),
        scan: None,
    };
    let mut repo_scan: Option<(RepoScan, u64)> = None;
    // Env checks that read the code add their reference patterns to the same repository pass.
    let env_code: Vec<usize> = plan
        .iter()
        .filter(|(i, p)| {
            matches!(p, Plan::Run)
                && matches!(&config.checks[*i].spec, Spec::Env(e) if e.code_refs().is_some())
        })
        .map(|(i, _)| *i)
        .collect();
    let env_code_globs: HashMap<&str, crate::check::GlobList> = env::code_patterns()
        .into_iter()
        .map(|(name, globs, _)| {
            let g: Vec<String> = globs.iter().map(|s| s.to_string()).collect();
            (name, crate::check::GlobList::new(&g).expect("valid globs"))
        })
        .collect();
    if runs(Input::Repo) || !env_code.is_empty() {
        let t = Instant::now();
        let mut content = content_rules(&plan, config, |s| match s {
            Spec::RepoContent(p) => Some(p),
            _ => None,
        });
        for i in &env_code {
            let Spec::Env(e) = &config.checks[*i].spec else {
                unreachable!()
            };
            let r = e.code_refs().expect("filtered");
            content.push((
                *i,
                Selection {
                    include: None,
                    exclude: r
                        .code_exclude
                        .clone()
                        .unwrap_or_else(env::default_code_exclude),
                },
                env_code_patterns(),
            ));
        }
        let matcher = if content.is_empty() {
            None
        } else {
            Some(ContentMatcher::new(content).map_err(Error::Other)?)
        };
        let tracked = repo.tracked()?;
        let ids = |i: usize| config.checks[i].id.clone();
        let scan = repo::scan(&ScanOptions {
            root: &repo.root,
            tracked: tracked.as_ref(),
            exclude: &config.settings.exclude,
            matcher: matcher.as_ref(),
            max_file_size: config.settings.max_file_size,
            ids: &ids,
            threads: opts.threads,
            counter: opts.counters.as_ref().map(|c| &c.files),
        });
        repo_info.scan = Some(scan.stats.clone());
        repo_scan = Some((scan, t.elapsed().as_millis() as u64));
    }

    // One pass per artifact for every artifact check; baselines are read for their entry lists.
    let mut artifact_scans: Vec<ArtifactScan> = Vec::new();
    let mut artifact_ms = 0;
    let mut baselines: HashMap<PathBuf, Result<ArtifactData, String>> = HashMap::new();
    if runs(Input::Artifact) && !opts.artifacts.is_empty() {
        let t = Instant::now();
        let selected = |i: &usize| plan.iter().any(|(j, p)| j == i && matches!(p, Plan::Run));
        let content = content_rules(&plan, config, |s| match s {
            Spec::ArtifactContent(p) => Some(p),
            _ => None,
        });
        let matcher = if content.is_empty() {
            None
        } else {
            Some(ContentMatcher::new(content).map_err(Error::Other)?)
        };
        let inspect_maps = (0..config.checks.len()).filter(selected).any(
            |i| matches!(&config.checks[i].spec, Spec::ArtifactFiles(p) if p.inspect_source_maps),
        );
        let ids = |i: usize| config.checks[i].id.clone();
        let scan_opts = artifact_scan::Options {
            budgets: config.settings.artifact_budgets,
            matcher: matcher.as_ref(),
            inspect_maps,
            ids: &ids,
            counter: opts.counters.as_ref().map(|c| &c.entries),
        };
        for a in &opts.artifacts {
            artifact_scans.push(artifact_scan::scan(
                a,
                a.to_string_lossy().into_owned(),
                &scan_opts,
            ));
        }
        let plain = artifact_scan::Options {
            budgets: config.settings.artifact_budgets,
            matcher: None,
            inspect_maps: false,
            ids: &ids,
            counter: None,
        };
        for i in (0..config.checks.len()).filter(selected) {
            if let Spec::ArtifactFiles(p) = &config.checks[i].spec {
                if let Some(path) = baseline_path(p, opts, &repo.root) {
                    baselines.entry(path.clone()).or_insert_with(|| {
                        let s =
                            artifact_scan::scan(&path, path.to_string_lossy().into_owned(), &plain);
                        match s.error {
                            Some(e) => Err(format!("baseline {e}")),
                            None => Ok(s.data),
                        }
                    });
                }
            }
        }
        artifact_ms = t.elapsed().as_millis() as u64;
    }

    // Git: each distinct range is walked once and shared by the checks that ask for it.
    let mut ranges: HashMap<RangeSpec, Result<Range, String>> = HashMap::new();
    let mut reviewed: HashMap<RangeSpec, HashSet<git2::Oid>> = HashMap::new();
    let mut range_order: Vec<RangeSpec> = Vec::new();
    let mut git_ms = 0;
    let mut commit_plans: HashMap<usize, Result<Vec<RangeSpec>, Outcome>> = HashMap::new();
    if runs(Input::Git) {
        let t = Instant::now();
        for (i, p) in &plan {
            let (Plan::Run, Spec::GitCommits(params)) = (p, &config.checks[*i].spec) else {
                continue;
            };
            let specs = commit_ranges(params, opts, repo, config);
            if let (Ok(specs), Some(git)) = (&specs, &repo.repo) {
                for spec in specs {
                    if !ranges.contains_key(spec) {
                        ranges.insert(spec.clone(), history::walk(git, spec));
                        range_order.push(spec.clone());
                    }
                    if params.needs_merges() && !reviewed.contains_key(spec) {
                        let review = params.review.as_ref().expect("needs_merges");
                        let mut set = HashSet::new();
                        if let Some(Ok(range)) = ranges.get(spec) {
                            for c in range.commits.iter().filter(|c| review.is_pr_merge(c)) {
                                set.extend(history::brought_in(git, c).unwrap_or_default());
                            }
                        }
                        reviewed.insert(spec.clone(), set);
                    }
                }
            }
            commit_plans.insert(*i, specs);
        }
        git_ms = t.elapsed().as_millis() as u64;
    }

    // The environment and the example files, read once for every env check.
    let env_runs = runs(Input::Env);
    let env_input: Option<Result<EnvInput, String>> = if !env_runs {
        None
    } else if !opts.env_files.is_empty() {
        Some(load_env_files(&opts.env_files))
    } else if opts.stage == Stage::Release {
        Some(Ok(EnvInput::from_process(&opts.process_env)))
    } else {
        None
    };
    let examples: Option<Result<Examples, String>> =
        env_runs.then(|| env::read_examples(&repo.root));

    // Manual items: confirmed by flag, or by a valid sign-off record for HEAD.
    let by_record = if opts.use_records && runs(Input::Operator) {
        crate::signoff::confirmed_by_record(repo)
    } else {
        Default::default()
    };
    let confirmed = |id: &str| -> Option<manual::Confirmed> {
        if let Some((_, c)) = opts.confirms.iter().find(|(i, _)| i == id) {
            return Some(manual::Confirmed::Flag(c.clone()));
        }
        by_record
            .get(id)
            .map(|s| manual::Confirmed::Record(s.clone()))
    };
    // Secret patterns, to redact command output: the loaded ones, and the built-in ones even when
    // a project turned the built-in checklist off or replaced their patterns. Each once: a pattern
    // borrowed with patterns-from, or both loaded and built in, redacts a line once.
    let secrets: Vec<PatternDef> = if plan
        .iter()
        .any(|(i, p)| matches!(p, Plan::Run) && matches!(config.checks[*i].spec, Spec::Command(_)))
    {
        let mut seen = HashSet::new();
        config
            .checks
            .iter()
            .filter_map(|c| c.spec.content())
            .flat_map(|p| p.patterns.iter().filter(|d| d.secret).cloned())
            .chain(crate::config::builtin_secret_patterns())
            .filter(|d| seen.insert(d.regex.as_str().to_string()))
            .collect()
    } else {
        Vec::new()
    };

    let mut waiver_hits = vec![0u64; config.waivers.len()];
    let mut waiver_expired = vec![false; config.waivers.len()];
    let mut results = Vec::new();
    let mut notes = Vec::new();
    for (i, plan) in &plan {
        let check = &config.checks[*i];
        let t = Instant::now();
        let mut pass_ms = 0;
        let outcome = match plan {
            Plan::Skip(reason) => Outcome::skip(reason.clone()),
            Plan::Run => match &check.spec {
                Spec::RepoFiles(p) => {
                    let (scan, ms) = repo_scan.as_ref().expect("planned");
                    pass_ms = *ms;
                    with_read_errors(*i, scan, || repo_files::evaluate(check, p, &scan.files))
                }
                Spec::RepoContent(_) => {
                    let (scan, ms) = repo_scan.as_ref().expect("planned");
                    pass_ms = *ms;
                    let mine: Vec<(String, RawMatch)> = scan
                        .matches
                        .iter()
                        .filter(|(_, m)| m.owner == *i)
                        .cloned()
                        .collect();
                    let mut o = with_read_errors(*i, scan, || repo_content::evaluate(check, &mine));
                    o.suppressed = scan.suppressed.iter().filter(|o| **o == *i).count() as u64;
                    o
                }
                Spec::ArtifactFiles(_) | Spec::ArtifactContent(_) if opts.artifacts.is_empty() => {
                    Outcome::skip(
                        "needs an artifact: --artifact PATH (an archive or a build folder)",
                    )
                }
                Spec::ArtifactFiles(p) => {
                    pass_ms = artifact_ms;
                    let baseline = baseline_path(p, opts, &repo.root).map(|b| &baselines[&b]);
                    match baseline {
                        None if p.wants_baseline() => Outcome::skip(
                            "needs a baseline artifact: --baseline PATH, or `baseline` in the check's params",
                        ),
                        Some(Err(e)) => Outcome::error(e.clone()),
                        b => per_artifact(&artifact_scans, *i, |a| {
                            artifact_files::evaluate(check, p, &a.data, b.and_then(|r| r.as_ref().ok()))
                        }),
                    }
                }
                Spec::GitCommits(p) => {
                    pass_ms = git_ms;
                    match commit_plans.remove(i).expect("planned") {
                        Err(outcome) => outcome,
                        Ok(specs) => {
                            let git = repo.repo.as_ref().expect("a repository");
                            let signed = |id: git2::Oid| git.extract_signature(&id, None).is_ok();
                            let mut out = Outcome::default();
                            for spec in &specs {
                                match &ranges[spec] {
                                    Err(e) => {
                                        out.error = Some(e.clone());
                                        out.findings.push(Finding {
                                            message: e.clone(),
                                            location: Location::new(Input::Git),
                                            evidence: None,
                                        });
                                    }
                                    Ok(range) => {
                                        let empty = HashSet::new();
                                        let rev = reviewed.get(spec).unwrap_or(&empty);
                                        let o = git_commits::evaluate(
                                            check,
                                            p,
                                            &range.label,
                                            &range.commits,
                                            rev,
                                            &signed,
                                        );
                                        out.findings.extend(o.findings);
                                    }
                                }
                            }
                            out
                        }
                    }
                }
                Spec::GitState(p) => git_state::evaluate(check, p, repo, opts.ci_branch.as_deref()),
                Spec::Manual(p) => manual::evaluate(check, p, confirmed(&check.id).as_ref()),
                Spec::Command(p) => command::evaluate(check, p, &repo.root, &secrets),
                Spec::DeployWindow(p) => {
                    match Policy::new(p, &time_zone(config), &repo.root, now.date()) {
                        Ok(policy) => deploy_window::evaluate(check, &policy, &now),
                        Err(e) => Outcome::error(e),
                    }
                }
                Spec::Env(p) => match (&env_input, &examples) {
                    (None, _) => Outcome::skip(
                        "outside the release stage the environment is checked only with --env-file FILE \
(at release, the process environment is the deploy environment)",
                    ),
                    (Some(Ok(e)), _) if p.needs_env_file() && !e.from_files => {
                        Outcome::skip("needs the deploy env file: --env-file FILE")
                    }
                    (Some(Err(e)), _) | (_, Some(Err(e))) => Outcome::error(e.clone()),
                    (Some(Ok(e)), Some(Ok(ex))) => {
                        let code: Vec<(String, RawMatch)> = match &repo_scan {
                            Some((scan, ms)) if p.code_refs().is_some() => {
                                pass_ms = *ms;
                                scan.matches
                                    .iter()
                                    .filter(|(path, m)| {
                                        m.owner == *i && env_code_globs.get(m.pattern.as_str()).is_some_and(|g| g.is_match(path))
                                    })
                                    .cloned()
                                    .collect()
                            }
                            _ => Vec::new(),
                        };
                        env::evaluate(check, p, e, ex, &code)
                    }
                    (Some(Ok(_)), None) => unreachable!("examples are read whenever env checks run"),
                },
                Spec::ArtifactContent(_) => {
                    pass_ms = artifact_ms;
                    per_artifact(&artifact_scans, *i, |a| {
                        let mine: Vec<(String, RawMatch)> = a
                            .matches
                            .iter()
                            .filter(|(_, m)| m.owner == *i)
                            .cloned()
                            .collect();
                        artifact_content::evaluate(check, &a.data.display, &mine)
                    })
                }
            },
        };
        let mut result = finish(
            check,
            outcome,
            &now,
            config,
            &mut waiver_hits,
            &mut waiver_expired,
        );
        result.duration_ms = pass_ms + t.elapsed().as_millis() as u64;
        if let Some(reason) = overrides.get(check.id.as_str()) {
            match result.status {
                Status::Fail | Status::Error => {
                    result.status = Status::Overridden;
                    result.override_ = Some(Override {
                        reason: reason.to_string(),
                    });
                }
                s => notes.push(format!(
                    "--override {} was not needed: the check's status is {}",
                    check.id,
                    s.as_str()
                )),
            }
        }
        results.push(result);
    }

    let ran: Vec<&str> = results
        .iter()
        .filter(|r| r.status != Status::Skip)
        .map(|r| r.id.as_str())
        .collect();
    let waivers = config
        .waivers
        .iter()
        .enumerate()
        .map(|(w, waiver)| WaiverReport {
            check: waiver.check.clone(),
            path: waiver.path.clone(),
            reason: waiver.reason.clone(),
            expires: waiver.expires.map(|d| d.to_string()),
            state: if waiver_expired[w] || waiver.expires.is_some_and(|d| d <= now.date()) {
                WaiverState::Expired
            } else if waiver_hits[w] > 0 {
                WaiverState::Active
            } else if ran.contains(&waiver.check.as_str()) {
                WaiverState::Stale
            } else {
                WaiverState::NotEvaluated
            },
            matched: waiver_hits[w],
        })
        .collect();

    let summary = summarize(&results);
    let verdict = if summary.fail > 0 || summary.error > 0 {
        Verdict::Fail
    } else {
        Verdict::Pass
    };
    Ok(Report {
        version: 1,
        tool: Tool {
            name: "shipgate",
            version: env!("CARGO_PKG_VERSION"),
        },
        verdict,
        stage: opts.stage,
        at: now.to_string(),
        repo: repo_info,
        artifacts: artifact_scans.into_iter().map(|a| a.info).collect(),
        ranges: range_order
            .iter()
            .filter_map(|spec| match &ranges[spec] {
                Ok(r) => Some(RangeReport {
                    label: r.label.clone(),
                    commits: r.commits.len() as u64,
                }),
                Err(_) => None,
            })
            .collect(),
        checks: results,
        summary,
        waivers,
        notes,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// The content rules of the checks this run runs whose kind `pick` selects: one matcher per input.
fn content_rules(
    plan: &[(usize, Plan)],
    config: &Config,
    pick: impl Fn(&Spec) -> Option<&crate::kinds::content::ContentParams>,
) -> Vec<(usize, Selection, Vec<PatternDef>)> {
    plan.iter()
        .filter(|(_, p)| matches!(p, Plan::Run))
        .filter_map(|(i, _)| {
            pick(&config.checks[*i].spec).map(|p| {
                let sel = Selection {
                    include: p.include.clone(),
                    exclude: p.exclude.clone(),
                };
                (*i, sel, p.patterns.clone())
            })
        })
        .collect()
}

/// The env code-reference patterns as content patterns. Shell/compose names assigned in the same
/// file are local variables, not the deploy's.
fn env_code_patterns() -> Vec<PatternDef> {
    env::code_patterns()
        .into_iter()
        .map(|(name, _, regex)| PatternDef {
            name: name.to_string(),
            regex: crate::check::Pattern::new(regex).expect("valid built-in pattern"),
            secret: false,
            allow: None,
            unless_defined_by: (name == "shell-braced").then(|| {
                crate::check::Pattern::new(
                    r"(?m)^\s*(?:export\s+|local\s+|readonly\s+)?([A-Z_][A-Z0-9_]*)=",
                )
                .expect("valid")
            }),
        })
        .collect()
}

/// Reads `--env-file`s; a syntax error names the file and line.
fn load_env_files(files: &[PathBuf]) -> Result<EnvInput, String> {
    let mut parsed = Vec::new();
    for f in files {
        let label = f.to_string_lossy().into_owned();
        let text =
            std::fs::read_to_string(f).map_err(|e| format!("cannot read env file {label}: {e}"))?;
        parsed.push((label.clone(), crate::inputs::dotenv::parse(&text, &label)?));
    }
    Ok(EnvInput::from_files(&parsed))
}

/// The ranges a `git-commits` check examines in this run, or why it does not run.
fn commit_ranges(
    p: &git_commits::Params,
    opts: &RunOptions,
    repo: &RepoHandle,
    config: &Config,
) -> Result<Vec<RangeSpec>, Outcome> {
    let Some(git) = &repo.repo else {
        return Err(Outcome::skip("not a git repository"));
    };
    if repo.head().is_none() && opts.range.is_none() && opts.push.is_none() {
        return Err(Outcome::skip("no commits yet (unborn branch)"));
    }
    if let Some(r) = &opts.range {
        return Ok(vec![RangeSpec::Explicit(r.clone())]);
    }
    if opts.stage == Stage::PrePush {
        let Some(push) = &opts.push else {
            return Err(Outcome::skip(
                "at pre-push, commits are examined for pushes to protected branches (the hook), or with --range",
            ));
        };
        let protected = &config.settings.protected_branches;
        let mut specs = Vec::new();
        for line in &push.lines {
            if !line.remote_ref.starts_with("refs/heads/")
                || !branch_matches(protected, line.remote_branch())
            {
                continue;
            }
            match history::push_range(git, &push.remote, line) {
                Ok(Some(spec)) => specs.push(spec),
                Ok(None) => {}
                Err(e) => return Err(Outcome::error(e)),
            }
        }
        if specs.is_empty() {
            return Err(Outcome::skip(format!(
                "this push updates no protected branch ({}): a feature branch is pushed to be reviewed",
                protected.join(", ")
            )));
        }
        return Ok(specs);
    }
    Ok(vec![RangeSpec::parse(
        p.range.as_deref().unwrap_or("since-last-tag"),
    )])
}

/// The baseline artifact of an `artifact-files` check: `--baseline`, else its `baseline` param
/// (relative to the repository root).
fn baseline_path(
    p: &artifact_files::Params,
    opts: &RunOptions,
    root: &std::path::Path,
) -> Option<PathBuf> {
    if !p.wants_baseline() {
        return None;
    }
    opts.baseline
        .clone()
        .or_else(|| p.baseline.as_ref().map(|b| root.join(b)))
}

/// Evaluates an artifact check on every artifact and merges the outcomes. An artifact that could
/// not be read to the end makes the check `error`: what was read may not be all there is.
fn per_artifact(
    scans: &[ArtifactScan],
    owner: usize,
    eval: impl Fn(&ArtifactScan) -> Outcome,
) -> Outcome {
    let mut out = Outcome::default();
    let mut errors = Vec::new();
    for a in scans {
        let o = eval(a);
        out.findings.extend(o.findings);
        out.suppressed += a.suppressed.iter().filter(|o| **o == owner).count() as u64;
        if let Some(e) = &a.error {
            errors.push(e.clone());
            out.findings.push(Finding {
                message: e.clone(),
                location: Location {
                    artifact: Some(a.data.display.clone()),
                    ..Location::new(Input::Artifact)
                },
                evidence: None,
            });
        }
    }
    if !errors.is_empty() {
        out.error = Some(format!(
            "the artifact could not be read to the end: {}",
            errors.join("; ")
        ));
    }
    out
}

/// Applies read errors of the repository pass to check `i`: a file list that is incomplete fails
/// every repository check; an unreadable file fails the content checks that wanted it.
fn with_read_errors(i: usize, scan: &RepoScan, eval: impl FnOnce() -> Outcome) -> Outcome {
    let mine: Vec<_> = scan
        .errors
        .iter()
        .filter(|e| e.owners.as_ref().is_none_or(|o| o.contains(&i)))
        .collect();
    let mut outcome = eval();
    if !mine.is_empty() {
        outcome.error = Some(format!(
            "{} path(s) could not be read, so the result would be incomplete",
            mine.len()
        ));
        outcome.findings.extend(mine.iter().map(|e| Finding {
            message: e.message.clone(),
            location: Location::repo(e.path.clone()),
            evidence: None,
        }));
    }
    outcome
}

/// Outcome + sink rules (waivers, severity) → the check's result.
fn finish(
    check: &Check,
    outcome: Outcome,
    now: &Zoned,
    config: &Config,
    hits: &mut [u64],
    expired: &mut [bool],
) -> CheckResult {
    let mut waived = 0;
    let mut findings = Vec::new();
    for f in outcome.findings {
        let waiver = f.location.path.as_ref().and_then(|p| {
            config
                .waivers
                .iter()
                .enumerate()
                .find(|(_, w)| w.check == check.id && w.glob.is_match(p))
        });
        match waiver {
            Some((w, waiver)) if outcome.error.is_none() => {
                if waiver.expires.is_some_and(|d| d <= now.date()) {
                    expired[w] = true;
                    findings.push(Finding {
                        message: format!(
                            "{} (waiver expired on {})",
                            f.message,
                            waiver.expires.unwrap()
                        ),
                        ..f
                    });
                } else {
                    hits[w] += 1;
                    waived += 1;
                }
            }
            _ => findings.push(f),
        }
    }
    let (status, reason) = if let Some(skip) = outcome.skip {
        (Status::Skip, Some(skip))
    } else if let Some(err) = outcome.error {
        (Status::Error, Some(err))
    } else if findings.is_empty() {
        (Status::Pass, None)
    } else {
        match check.severity {
            Severity::Error => (Status::Fail, None),
            Severity::Warning => (Status::Warn, None),
        }
    };
    CheckResult {
        id: check.id.clone(),
        title: check.title.clone(),
        kind: check.spec.kind(),
        severity: check.severity,
        status,
        duration_ms: 0,
        findings,
        override_: None,
        reason,
        suppressed: outcome.suppressed,
        waived,
        help: check.help.clone(),
        why: check.why.clone(),
    }
}

pub fn summarize(results: &[CheckResult]) -> Summary {
    let mut s = Summary::default();
    for r in results {
        match r.status {
            Status::Pass => s.pass += 1,
            Status::Fail => s.fail += 1,
            Status::Warn => s.warn += 1,
            Status::Skip => s.skip += 1,
            Status::Error => s.error += 1,
            Status::Overridden => s.overridden += 1,
        }
        s.suppressed += r.suppressed;
        s.waived += r.waived;
    }
    s
}
