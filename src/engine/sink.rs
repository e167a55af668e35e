//! The sink: every rule that turns outcomes into the report, in one place. Inline allows were
//! applied during the passes; here come waivers (with expiry, and the waivers that matched nothing),
//! severity, the operator's confirmations and overrides, the summary and the verdict. It reads
//! nothing and can run again on the same outcomes (sign-off does, after asking).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use jiff::Zoned;

use crate::check::Check;
use crate::config::Config;
use crate::engine::passes::PassSummary;
use crate::kinds::Outcome;
use crate::report::model::*;
use crate::types::{Severity, Stage};

/// The operator's input: overrides, confirmations of manual items, and items still to be asked.
#[derive(Debug, Clone, Default)]
pub struct Operator {
    /// Check id → reason.
    pub overrides: BTreeMap<String, String>,
    pub confirmations: Vec<Confirmation>,
    /// Manual items that will be asked after the automatic checks (`shipgate signoff`).
    pub pending: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub id: String,
    pub by: ConfirmedBy,
}

/// How a manual item was confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmedBy {
    /// `--confirm ID[=COMMENT]` (or `--confirm-all`).
    Flag(Option<String>),
    /// A sign-off record for HEAD, by its signer.
    Record(String),
    /// Answered at the sign-off prompt, with an optional comment.
    Prompt(Option<String>),
}

pub struct Sink<'a> {
    pub config: &'a Config,
    /// Applied to every text of the report: no secret is shown whole.
    pub redactor: &'a crate::secrets::Redactor,
    pub now: &'a Zoned,
    pub stage: Stage,
    pub operator: &'a Operator,
}

/// What the waivers did over the whole run.
struct WaiverUse {
    hits: Vec<u64>,
    expired: Vec<bool>,
}

impl Sink<'_> {
    pub fn finish(
        &self,
        outcomes: &[(usize, Outcome, u64)],
        inputs: &PassSummary,
        elapsed: Duration,
    ) -> Report {
        let n = self.config.waivers.len();
        let mut used = WaiverUse {
            hits: vec![0; n],
            expired: vec![false; n],
        };
        let mut notes = Vec::new();
        let mut cleaned = HashMap::new();
        let checks: Vec<CheckResult> = outcomes
            .iter()
            .map(|(i, outcome, ms)| {
                let check = &self.config.checks[*i];
                let mut r = self.result(check, outcome.clone(), &mut used);
                r.duration_ms = *ms;
                self.operate(check, &mut r, &mut notes);
                self.redact(&mut r, &mut cleaned);
                r
            })
            .collect();
        let summary = summarize(&checks);
        let verdict = if summary.fail > 0 || summary.error > 0 {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        Report {
            version: 1,
            tool: Tool {
                name: "shipgate",
                version: env!("CARGO_PKG_VERSION"),
            },
            verdict,
            stage: self.stage,
            at: self.now.to_string(),
            repo: inputs.repo.clone(),
            artifacts: inputs.artifacts.clone(),
            ranges: inputs.ranges.clone(),
            waivers: self.waivers(&checks, &used),
            checks,
            summary,
            notes,
            elapsed_ms: elapsed.as_millis() as u64,
            paths: Default::default(),
        }
    }

    /// Every secret-shaped value in what the result shows, redacted: messages, evidence, the
    /// reason (command output, errors), whatever check produced them.
    /// `cleaned` holds each text already cleaned in this report, and what it became: many
    /// results give the same text (a skip reason shared by a dozen checks), cleaned once.
    fn redact(&self, r: &mut CheckResult, cleaned: &mut HashMap<String, String>) {
        let mut clean = |s: &mut String| {
            let c = match cleaned.get(s.as_str()) {
                Some(c) => c.clone(),
                None => {
                    let c = self.redactor.clean(s);
                    cleaned.insert(s.clone(), c.clone());
                    c
                }
            };
            if c != *s {
                *s = c;
            }
        };
        for f in &mut r.findings {
            clean(&mut f.message);
            if let Some(e) = f.evidence.as_mut() {
                clean(e);
            }
        }
        if let Some(reason) = r.reason.as_mut() {
            clean(reason);
        }
    }

    /// Outcome + waivers + severity → the check's result.
    fn result(&self, check: &Check, outcome: Outcome, used: &mut WaiverUse) -> CheckResult {
        let (status, reason, raw, suppressed) = match outcome {
            Outcome::Skip(r) => (Status::Skip, Some(r), Vec::new(), 0),
            Outcome::Error { reason, findings } => (Status::Error, Some(reason), findings, 0),
            Outcome::Done {
                findings,
                suppressed,
                note,
            } => (Status::Pass, note, findings, suppressed),
        };
        let mut waived = 0;
        let mut findings = Vec::new();
        for f in raw {
            let waiver = f.location.path.as_ref().and_then(|p| {
                self.config
                    .waivers
                    .iter()
                    .enumerate()
                    .find(|(_, w)| w.check == check.id && w.glob.is_match(p))
            });
            match waiver {
                // What could not be evaluated is never waived.
                Some((w, waiver)) if status != Status::Error => {
                    if waiver.expires.is_some_and(|d| d <= self.now.date()) {
                        used.expired[w] = true;
                        findings.push(Finding {
                            message: format!(
                                "{} (waiver expired on {})",
                                f.message,
                                waiver.expires.unwrap()
                            ),
                            ..f
                        });
                    } else {
                        used.hits[w] += 1;
                        waived += 1;
                    }
                }
                _ => findings.push(f),
            }
        }
        let status = match status {
            Status::Pass if !findings.is_empty() => match check.severity {
                Severity::Error => Status::Fail,
                Severity::Warning => Status::Warn,
            },
            s => s,
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
            suppressed,
            waived,
            help: check.help.clone(),
            why: check.why.clone(),
            finds_secrets: check
                .spec
                .content()
                .is_some_and(|c| c.patterns.iter().any(|p| p.secret)),
        }
    }

    /// The operator's input: a confirmed manual item passes, a pending one is asked later, and an
    /// override accepts a failing or undecided check with its reason.
    fn operate(&self, check: &Check, r: &mut CheckResult, notes: &mut Vec<String>) {
        let op = self.operator;
        if check.spec.prompt().is_some() && r.status != Status::Skip {
            if op.confirmations.iter().any(|c| c.id == check.id) {
                r.status = Status::Pass;
                r.reason = None;
                r.findings.clear();
            } else if op.pending.contains(&check.id) {
                r.status = Status::Skip;
                r.reason = Some("a manual item: asked below, after the automatic checks".into());
                r.findings.clear();
            }
        }
        if let Some(reason) = op.overrides.get(&check.id) {
            match r.status {
                Status::Fail | Status::Error => {
                    r.status = Status::Overridden;
                    r.override_ = Some(Override {
                        reason: reason.clone(),
                    });
                }
                s => notes.push(format!(
                    "--override {} was not needed: the check's status is {}",
                    check.id,
                    s.as_str()
                )),
            }
        }
    }

    fn waivers(&self, results: &[CheckResult], used: &WaiverUse) -> Vec<WaiverReport> {
        let ran: Vec<&str> = results
            .iter()
            .filter(|r| r.status != Status::Skip)
            .map(|r| r.id.as_str())
            .collect();
        self.config
            .waivers
            .iter()
            .enumerate()
            .map(|(w, waiver)| WaiverReport {
                check: waiver.check.clone(),
                path: waiver.path.clone(),
                reason: waiver.reason.clone(),
                expires: waiver.expires.map(|d| d.to_string()),
                state: if used.expired[w] || waiver.expires.is_some_and(|d| d <= self.now.date()) {
                    WaiverState::Expired
                } else if used.hits[w] > 0 {
                    WaiverState::Active
                } else if ran.contains(&waiver.check.as_str()) {
                    WaiverState::Stale
                } else {
                    WaiverState::NotEvaluated
                },
                matched: used.hits[w],
            })
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;
    use crate::report::model::{Finding, Location};

    fn config(project: &str) -> Config {
        let mut errors = Vec::new();
        let root = std::path::Path::new(".");
        let mut c = crate::config::load_from(root, Some((root, project)), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let extra = Source {
            label: "x.yaml".into(),
            text: "id: hygiene\ntitle: t\nseverity: warning\nrepo-files:\n  forbid: [x]\n".into(),
            builtin: false,
            json: None,
        };
        c.checks.extend(crate::config::parse_checks(
            &[extra],
            &Default::default(),
            None,
            &mut errors,
        ));
        c
    }

    fn finding(path: &str) -> Finding {
        Finding {
            message: format!("{path} is bad"),
            location: Location::repo(path),
            evidence: None,
        }
    }

    fn finish(config: &Config, outcomes: Vec<(&str, Outcome)>, operator: &Operator) -> Report {
        let now: Zoned = "2026-11-20T12:00:00+00:00[UTC]".parse().unwrap();
        let outcomes: Vec<(usize, Outcome, u64)> = outcomes
            .into_iter()
            .map(|(id, o)| (config.checks.iter().position(|c| c.id == id).unwrap(), o, 0))
            .collect();
        Sink {
            config,
            redactor: &crate::secrets::Redactor::new(&crate::config::builtin_secret_patterns()),
            now: &now,
            stage: Stage::Release,
            operator,
        }
        .finish(&outcomes, &PassSummary::default(), Duration::ZERO)
    }

    #[test]
    fn waivers_severity_confirmations_and_overrides_in_one_place() {
        let config = config(
            "waivers:\n  - {check: static-paths, path: 'old/**', reason: legacy, expires: 2026-01-01}\n  - {check: static-paths, path: 'tools/**', reason: dev only}\n  - {check: repo-secrets, path: 'none/**', reason: never matches}\n",
        );
        let op = Operator {
            overrides: [
                ("friday-deploys".to_string(), "hotfix".to_string()),
                ("repo-secrets".to_string(), "x".to_string()),
            ]
            .into(),
            confirmations: vec![Confirmation {
                id: "rollback-plan".into(),
                by: ConfirmedBy::Flag(None),
            }],
            pending: vec!["staging-verified".into()],
        };
        let r = finish(
            &config,
            vec![
                (
                    "static-paths",
                    Outcome::findings(vec![finding("old/a.py"), finding("tools/b.sh")]),
                ),
                ("repo-secrets", Outcome::pass()),
                ("hygiene", Outcome::findings(vec![finding("x")])),
                ("friday-deploys", Outcome::findings(vec![finding("now")])),
                (
                    "rollback-plan",
                    Outcome::findings(vec![finding("not confirmed")]),
                ),
                (
                    "staging-verified",
                    Outcome::findings(vec![finding("not confirmed")]),
                ),
                ("package-env-files", Outcome::error("corrupt")),
            ],
            &op,
        );
        let get = |id: &str| r.checks.iter().find(|c| c.id == id).unwrap();
        // The expired waiver no longer waives; the active one does.
        assert_eq!(get("static-paths").status, Status::Fail);
        assert_eq!(get("static-paths").waived, 1);
        assert!(get("static-paths").findings[0]
            .message
            .contains("waiver expired"));
        assert_eq!(get("hygiene").status, Status::Warn);
        assert_eq!(get("friday-deploys").status, Status::Overridden);
        assert_eq!(get("rollback-plan").status, Status::Pass);
        assert_eq!(get("staging-verified").status, Status::Skip);
        assert_eq!(get("package-env-files").status, Status::Error);
        let states: Vec<WaiverState> = r.waivers.iter().map(|w| w.state).collect();
        assert_eq!(
            states,
            [
                WaiverState::Expired,
                WaiverState::Active,
                WaiverState::Stale
            ]
        );
        assert!(r.notes[0].contains("--override repo-secrets was not needed"));
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(
            (r.summary.fail, r.summary.error, r.summary.overridden),
            (1, 1, 1)
        );
    }
}
