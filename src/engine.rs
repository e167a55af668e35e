//! The engine: selects the checks of this run, plans one pass per input, runs the passes, evaluates
//! each check on what its input produced, and applies the sink rules (inline allows were applied
//! during the pass; waivers, severity and overrides here). It never prints.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use jiff::{tz::TimeZone, Timestamp, Zoned};

use crate::check::{Check, Input, Severity, Stage};
use crate::config::Config;
use crate::error::Error;
use crate::inputs::content::{ContentMatcher, RawMatch, Selection};
use crate::inputs::git::RepoHandle;
use crate::inputs::repo::{self, RepoScan, ScanOptions};
use crate::kinds::{repo_content, repo_files, Outcome, Spec};
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
                        "runs in stage {} (this run: {})",
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
    if runs(Input::Repo) {
        let t = Instant::now();
        let content: Vec<(usize, Selection, Vec<_>)> = plan
            .iter()
            .filter(|(_, p)| matches!(p, Plan::Run))
            .filter_map(|(i, _)| {
                let c = &config.checks[*i];
                match &c.spec {
                    Spec::RepoContent(p) => Some((
                        *i,
                        Selection {
                            include: p.include.clone(),
                            exclude: p.exclude.clone(),
                        },
                        p.patterns.clone(),
                    )),
                    _ => None,
                }
            })
            .collect();
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
        });
        repo_info.scan = Some(scan.stats.clone());
        repo_scan = Some((scan, t.elapsed().as_millis() as u64));
    }

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
        artifacts: Vec::new(),
        checks: results,
        summary,
        waivers,
        notes,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
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
