//! SARIF 2.1.0, as GitHub code scanning accepts it: one rule per check (id, name, descriptions,
//! help), one result per finding with level, message, location and a stable fingerprint. Findings
//! in the work tree get physical locations relative to the repository root; findings inside an
//! artifact point at the artifact with the entry as a logical location; commit, environment and
//! clock findings carry logical locations only. Paths are relative to `%SRCROOT%`, which the
//! consumer binds to its checkout (GitHub does). Checks that could not be evaluated become tool
//! notifications.

use serde_json::{json, Value};

use crate::report::fingerprint::fingerprint;
use crate::report::model::{Report, Status};
use crate::types::Input;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Sarif reporter.
pub struct Sarif;

impl crate::report::Reporter for Sarif {
    fn write(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        crate::report::json(out, &render(report))
    }
}

pub fn render(r: &Report) -> Value {
    let rules: Vec<Value> = r
        .checks
        .iter()
        .map(|c| {
            let help = c.help.clone().unwrap_or_else(|| c.title.clone());
            json!({
                "id": c.id,
                "name": pascal(&c.id),
                "shortDescription": {"text": c.title},
                "fullDescription": {"text": c.why.as_deref().map(str::trim).unwrap_or(&c.title)},
                "help": {"text": help.trim(), "markdown": help.trim()},
                "defaultConfiguration": {"level": level(c.severity.as_str())},
                "properties": {"kind": c.kind, "tags": [c.kind]},
            })
        })
        .collect();
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for (index, c) in r.checks.iter().enumerate() {
        if c.status == Status::Error {
            notifications.push(json!({
                "level": "error",
                "message": {"text": format!("{}: {}", c.id, c.reason.as_deref().unwrap_or("could not be evaluated"))},
                "descriptor": {"id": c.id},
            }));
            continue;
        }
        if !matches!(c.status, Status::Fail | Status::Warn | Status::Overridden) {
            continue;
        }
        for f in &c.findings {
            let lvl = match c.status {
                Status::Warn => "warning",
                Status::Overridden => "note",
                _ => "error",
            };
            let mut result = json!({
                "ruleId": c.id,
                "ruleIndex": index,
                "level": lvl,
                "message": {"text": f.message},
                "partialFingerprints": {"shipgate/v1": fingerprint(&c.id, f)},
                "locations": [location(f)],
            });
            if let Some(o) = &c.override_ {
                result["suppressions"] = json!([{"kind": "external", "justification": o.reason}]);
            }
            results.push(result);
        }
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "shipgate",
                "version": r.tool.version,
                "informationUri": "https://github.com/shipgate/shipgate",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": !r.has_errors(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": {"stage": r.stage, "verdict": r.verdict, "at": r.at},
        }],
    })
}

fn level(severity: &str) -> &'static str {
    if severity == "error" {
        "error"
    } else {
        "warning"
    }
}

fn location(f: &crate::report::model::Finding) -> Value {
    let l = &f.location;
    let mut loc = json!({});
    match (l.input, &l.path) {
        (Input::Artifact, path) => {
            if let Some(a) = &l.artifact {
                loc["physicalLocation"] =
                    json!({"artifactLocation": {"uri": uri(a), "uriBaseId": "%SRCROOT%"}});
            }
            if let Some(p) = path {
                loc["logicalLocations"] = json!([{
                    "fullyQualifiedName": format!("{}!{p}", l.artifact.as_deref().unwrap_or("artifact")),
                    "name": p,
                    "kind": "member",
                }]);
            }
        }
        (Input::Repo | Input::Env, Some(p)) => {
            let mut phys = json!({"artifactLocation": {"uri": uri(p), "uriBaseId": "%SRCROOT%"}});
            if let Some(line) = l.line {
                phys["region"] = json!({"startLine": line});
                if let Some(col) = l.column {
                    phys["region"]["startColumn"] = json!(col);
                }
            }
            loc["physicalLocation"] = phys;
        }
        _ => {}
    }
    if let Some(c) = &l.commit {
        loc["logicalLocations"] =
            json!([{"name": c, "fullyQualifiedName": format!("commit {c}"), "kind": "commit"}]);
    } else if let (Some(n), Input::Env | Input::Clock | Input::Git) = (&l.name, l.input) {
        loc["logicalLocations"] = json!([{"name": n, "kind": l.input.as_str()}]);
    }
    if loc.as_object().is_some_and(|o| o.is_empty()) {
        loc["logicalLocations"] = json!([{"name": l.input.as_str(), "kind": "module"}]);
    }
    loc
}

/// A relative URI: `/`-separated, with characters outside the URI grammar percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.trim_start_matches("./").bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'@'
            | b'+' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}
