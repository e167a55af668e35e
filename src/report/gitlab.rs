//! GitLab Code Quality: a JSON array of issues (description, check_name, fingerprint, severity,
//! location.path, location.lines.begin) that merge requests show inline.

use serde_json::{json, Value};

use crate::report::fingerprint::fingerprint;
use crate::report::model::{Report, Status};
use crate::types::Input;

/// Gitlab reporter.
pub struct Gitlab;

impl crate::report::Reporter for Gitlab {
    fn write(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        crate::report::json(out, &render(report))
    }
}

pub fn render(r: &Report) -> Value {
    let mut issues = Vec::new();
    for c in &r.checks {
        let severity = match c.status {
            Status::Fail => "critical",
            Status::Warn => "minor",
            Status::Error => "blocker",
            Status::Overridden => "info",
            _ => continue,
        };
        for f in &c.findings {
            let l = &f.location;
            let path = match (l.input, &l.path) {
                (Input::Artifact, _) => l.artifact.clone(),
                (_, Some(p)) => Some(p.clone()),
                _ => None,
            }
            .unwrap_or_else(|| ".shipgate.yaml".into());
            let line = match l.input {
                Input::Repo | Input::Env => l.line.unwrap_or(1),
                _ => 1,
            };
            let mut description = format!("{}: {}", c.id, f.message);
            if let (Input::Artifact, Some(p)) = (l.input, &l.path) {
                if !description.contains(p.as_str()) {
                    description = format!("{} ({p})", description);
                }
            }
            issues.push(json!({
                "description": description,
                "check_name": c.id,
                // Code Climate's engine field: which tool made the issue.
                "engine_name": "shipgate",
                "fingerprint": fingerprint(&c.id, f),
                "severity": severity,
                "location": {"path": path, "lines": {"begin": line}},
            }));
        }
    }
    Value::Array(issues)
}
