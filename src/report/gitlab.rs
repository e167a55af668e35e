//! GitLab Code Quality: a JSON array of issues (description, check_name, fingerprint, severity,
//! location.path, location.lines.begin) that merge requests show inline. `location.path` is always
//! a repository-relative file that exists: the finding's own, else the anchor (`.shipgate.yaml`
//! when there is one, else a file at the root), with what the finding is about in the
//! description. Identical findings keep distinct fingerprints.

use serde_json::{json, Value};

use crate::report::fingerprint::fingerprints;
use crate::report::model::{Report, Status};
use crate::report::place;

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
        for (f, print) in c.findings.iter().zip(fingerprints(c)) {
            let l = &f.location;
            let place = place(&r.paths, l);
            let line = place.line(l).map_or(1, |(line, _)| line);
            let mut description = format!("{}: {}", c.id, f.message);
            if let Some(about) = &place.about {
                if !description.contains(about.as_str()) {
                    description = format!("{description} ({about})");
                }
            }
            issues.push(json!({
                "description": description,
                "check_name": c.id,
                // Code Climate's engine field: which tool made the issue.
                "engine_name": "shipgate",
                "fingerprint": print,
                "severity": severity,
                // `.` only in a repository without a file at its root to attach it to.
                "location": {"path": place.file.as_deref().unwrap_or("."), "lines": {"begin": line}},
            }));
        }
    }
    Value::Array(issues)
}
