//! SARIF 2.1.0, as GitHub code scanning accepts it: one rule per check (id, name, descriptions,
//! help, `security-severity` for secrets and leaks), one result per finding with level, message,
//! location and a stable fingerprint. Code scanning refuses a whole upload when one result has no
//! physical location, so every result has one: findings in the work tree their file and line
//! relative to the repository root; findings inside an artifact in the repository the artifact,
//! with the entry as a logical location; findings about no file of the repository (commits, the
//! clock, manual items, an artifact or file outside the repository) the anchor file
//! (`.shipgate.yaml`, else a file at the root), line 1, with what they are about in the message and
//! a logical location. Paths are relative to `%SRCROOT%`, which the consumer binds to its checkout
//! (GitHub does); no absolute or `../` path reaches a `uri`. Checks that could not be evaluated,
//! and findings in a repository without a file to attach them to, become tool notifications.

use serde_json::{json, Value};

use crate::report::fingerprint::fingerprints;
use crate::report::model::{Report, Status};
use crate::report::{place, Place};
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
    let rules: Vec<Value> = r.checks.iter().map(rule).collect();
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
        let lvl = match c.status {
            Status::Warn => "warning",
            Status::Overridden => "note",
            _ => "error",
        };
        for (f, print) in c.findings.iter().zip(fingerprints(c)) {
            let place = place(&r.paths, &f.location);
            let mut text = f.message.clone();
            if let Some(about) = &place.about {
                if !text.contains(about.as_str()) {
                    text = format!("{text} ({about})");
                }
            }
            let Some(loc) = location(f, &place) else {
                // No file of the repository to attach it to: said, not dropped.
                notifications.push(json!({
                    "level": lvl,
                    "message": {"text": format!("{}: {text}", c.id)},
                    "descriptor": {"id": c.id},
                }));
                continue;
            };
            let mut result = json!({
                "ruleId": c.id,
                "ruleIndex": index,
                "level": lvl,
                "message": {"text": text},
                "partialFingerprints": {"shipgate/v1": print},
                "locations": [loc],
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

/// One check as a rule. Checks about secrets, keys and files that leak carry GitHub's
/// `security-severity` (9.0 and over is Critical, 7.0 High, 4.0 Medium) and the `security` tag,
/// so code scanning ranks them as security alerts.
fn rule(c: &crate::report::model::CheckResult) -> Value {
    let help = c.help.clone().unwrap_or_else(|| c.title.clone());
    let mut properties = json!({"kind": c.kind, "tags": [c.kind]});
    let score = security_severity(&c.id).or(c.finds_secrets.then_some("9.0"));
    if let Some(score) = score {
        properties["tags"] = json!([c.kind, "security"]);
        properties["security-severity"] = json!(score);
    }
    json!({
        "id": c.id,
        "name": pascal(&c.id),
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": c.why.as_deref().map(str::trim).unwrap_or(&c.title)},
        "help": {"text": help.trim(), "markdown": help.trim()},
        "defaultConfiguration": {"level": level(c.severity.as_str())},
        "properties": properties,
    })
}

/// The `security-severity` of the built-in checks about secrets, keys and leaked files (a
/// project's own check with secret patterns is Critical, 9.0, too).
pub fn security_severity(id: &str) -> Option<&'static str> {
    Some(match id {
        // A live credential or a private key: whoever reads it can use it.
        "repo-secrets"
        | "package-secrets"
        | "package-private-keys"
        | "package-private-key-blocks"
        | "package-npmrc-tokens"
        | "deploy-manifest-secrets"
        | "image-env-secrets"
        | "image-history-secrets"
        | "public-env-secrets" => "9.0",
        // Files that usually hold secrets, or the whole history, shipped or committed.
        "committed-env-files" | "package-env-files" | "package-vcs-dirs" => "7.5",
        "generic-secrets" | "artifact-unsafe-paths" => "7.0",
        // The original source, backups and editor state shipped with the package.
        "package-source-maps"
        | "package-inline-source-maps"
        | "package-backup-files"
        | "package-editor-dirs" => "5.0",
        _ => return None,
    })
}

fn level(severity: &str) -> &'static str {
    if severity == "error" {
        "error"
    } else {
        "warning"
    }
}

/// A result's location: always a physical one code scanning accepts (a repository-relative file
/// with a region), the finding's own file or the anchor; the artifact entry, commit, variable
/// or clock as a logical location beside it. `None` when there is no file to attach it to.
fn location(f: &crate::report::model::Finding, place: &Place) -> Option<Value> {
    let l = &f.location;
    let file = place.file.as_deref()?;
    let mut phys = json!({
        "artifactLocation": {"uri": uri(file), "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1},
    });
    if let Some((line, column)) = place.line(l) {
        phys["region"] = json!({"startLine": line});
        if let Some(col) = column {
            phys["region"]["startColumn"] = json!(col);
        }
    }
    let mut loc = json!({"physicalLocation": phys});
    let logical = if let Some(c) = &l.commit {
        Some(json!({"name": c, "fullyQualifiedName": format!("commit {c}"), "kind": "commit"}))
    } else if l.input == Input::Artifact {
        let full = place.about.clone().unwrap_or_else(|| "artifact".into());
        let name = l.path.clone().unwrap_or_else(|| full.clone());
        Some(json!({"fullyQualifiedName": full, "name": name, "kind": "member"}))
    } else if let (Some(n), Input::Env | Input::Clock | Input::Git) = (&l.name, l.input) {
        Some(json!({"name": n, "kind": l.input.as_str()}))
    } else if !place.own {
        let name = place
            .about
            .clone()
            .unwrap_or_else(|| l.input.as_str().to_string());
        Some(json!({"name": name, "kind": "module"}))
    } else {
        None
    };
    if let Some(logical) = logical {
        loc["logicalLocations"] = json!([logical]);
    }
    Some(loc)
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
