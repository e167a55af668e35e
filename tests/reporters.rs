//! One hostile `Report` value, rendered by every format and snapshotted: quotes, `<`, `&`, `%`,
//! `::`, commas, control characters (an escape sequence, a bell, a carriage return), a newline and
//! a long line in ids' neighbours — paths, messages, evidence, reasons, notes. A change to any
//! reporter shows up here, in every format at once.

use shipgate::report::model::*;
use shipgate::report::Format;
use shipgate::types::{Input, Severity, Stage};

const NASTY: &str = "we\"ird <b>&amp; %41 a::b,c \u{1b}]0;title\u{7}\r\nnext";

fn finding(input: Input, path: Option<&str>, line: Option<u64>) -> Finding {
    Finding {
        message: format!("found {NASTY}"),
        location: Location {
            input,
            path: path.map(str::to_string),
            line,
            column: line.map(|_| 7),
            artifact: (input == Input::Artifact).then(|| format!("dist/{NASTY}.tgz")),
            commit: (input == Input::Git)
                .then(|| "0123456789abcdef0123456789abcdef01234567".into()),
            name: (input == Input::Env).then(|| "API_KEY".into()),
        },
        evidence: Some(format!("{NASTY} {}", "x".repeat(300))),
    }
}

fn result(id: &str, kind: &'static str, status: Status, findings: Vec<Finding>) -> CheckResult {
    CheckResult {
        id: id.into(),
        title: format!("Title of {id} <&>"),
        kind,
        severity: if status == Status::Warn {
            Severity::Warning
        } else {
            Severity::Error
        },
        status,
        duration_ms: 3,
        findings,
        override_: None,
        reason: None,
        suppressed: 0,
        waived: 0,
        help: Some(format!("Fix it: {NASTY}\nsecond line")),
        why: Some("Because.".into()),
        finds_secrets: id.contains("secrets"),
    }
}

fn hostile_report() -> Report {
    let mut checks = vec![
        result(
            "static-paths",
            "repo-content",
            Status::Fail,
            vec![
                finding(Input::Repo, Some(&format!("src/{NASTY}.py")), Some(3)),
                finding(Input::Repo, Some(&format!("src/{NASTY}.py")), Some(9)),
            ],
        ),
        result(
            "package-source-maps",
            "artifact-files",
            Status::Fail,
            vec![finding(Input::Artifact, Some("package/a.js.map"), None)],
        ),
        result(
            "unreviewed-commits",
            "git-commits",
            Status::Fail,
            vec![finding(Input::Git, None, None)],
        ),
        result(
            "missing-env-vars",
            "env",
            Status::Warn,
            vec![finding(Input::Env, Some(".env.example"), Some(2))],
        ),
        result(
            "friday-deploys",
            "deploy-window",
            Status::Overridden,
            vec![finding(Input::Clock, None, None)],
        ),
        result(
            "rollback-plan",
            "manual",
            Status::Error,
            vec![finding(Input::Operator, None, None)],
        ),
        result("repo-secrets", "repo-content", Status::Pass, vec![]),
        result("package-env-files", "artifact-files", Status::Skip, vec![]),
        result("version-tag", "git-state", Status::Skip, vec![]),
    ];
    checks[4].override_ = Some(Override {
        reason: format!("hotfix {NASTY}"),
    });
    checks[5].reason = Some(format!("could not decide: {NASTY}"));
    checks[7].reason = Some("needs an artifact".into());
    checks[8].reason = Some("runs in stage release (this run: ci)".into());
    checks[0].suppressed = 1;
    Report {
        version: 1,
        tool: Tool {
            name: "shipgate",
            version: "0.0.0-test",
        },
        verdict: Verdict::Fail,
        stage: Stage::Release,
        at: "2026-11-20T16:05:00+01:00[Europe/Berlin]".into(),
        repo: RepoInfo {
            root: ".".into(),
            head: Some("0123456789abcdef0123456789abcdef01234567".into()),
            branch: Some(format!("feature/{NASTY}")),
            scan: None,
        },
        artifacts: vec![ArtifactInfo {
            path: format!("dist/{NASTY}.tgz"),
            entries: 2,
            bytes: 10,
            sha256: "ab".repeat(32),
            format: Some("tar.gz"),
            not_scanned: vec![],
            images: vec![],
        }],
        ranges: vec![RangeReport {
            label: "v1.0..HEAD".into(),
            commits: 1,
        }],
        summary: Summary {
            pass: 1,
            fail: 3,
            warn: 1,
            skip: 2,
            error: 1,
            overridden: 1,
            suppressed: 1,
            waived: 0,
        },
        waivers: vec![],
        notes: vec![format!("a note {NASTY}")],
        elapsed_ms: 1234,
        paths: Paths {
            anchor: Some(".shipgate.yaml".into()),
            ..Paths::default()
        },
        checks,
    }
}

#[test]
fn every_format_renders_the_hostile_report() {
    let report = hostile_report();
    let formats = [
        Format::Human,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Github,
        Format::Markdown,
        Format::Gitlab,
    ];
    assert_eq!(
        formats.len(),
        Format::names().len(),
        "a new format needs its snapshot here"
    );
    for f in formats {
        let mut out = Vec::new();
        shipgate::report::write(&report, f, false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let name = format!("{f:?}").to_lowercase();
        // No format prints a terminal escape or a bell raw (JSON-based ones escape them).
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{name} prints control characters raw"
        );
        insta::assert_snapshot!(format!("hostile_report_{name}"), text);
    }
}
