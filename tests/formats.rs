//! Every output format, from one hostile report: file names, commit subjects and archive members
//! with quotes, `<`, `&`, newlines, `%`, `::` and `,`. Each output is parsed back (serde for
//! JSON/SARIF/GitLab, a strict XML parser for JUnit) and its required fields and escaping checked.
//! The CI examples in examples/ci run as written.

use std::path::{Path, PathBuf};

use crate::util::{write_tar_gz, TestRepo, E};

const HOSTILE: &str = "we\"ird <b>&amp; %41 a::b,c";

/// A repository whose report has a repo finding, a commit finding and an artifact finding, all
/// carrying hostile text.
fn hostile_repo() -> (TestRepo, PathBuf) {
    let t = TestRepo::new();
    t.commit_as(
        "first",
        "Initial",
        ("Dev", "dev@example.com"),
        ("Dev", "dev@example.com"),
    );
    t.tag("v0.1.0");
    t.write(&format!("src/{HOSTILE}.py"), "P = '/home/alice/x/'\n");
    t.write(
        "package.json",
        "{\"private\": true, \"dependencies\": {\"x\": \"1\"}}\n",
    );
    t.commit_as(
        "a",
        &format!("Direct {HOSTILE}\nsecond line"),
        ("Dev", "dev@example.com"),
        ("Dev", "dev@example.com"),
    );
    let art = t.dir.path().join("app.tgz");
    let member = format!("package/{HOSTILE}.js.map");
    write_tar_gz(&art, &[E::File(&member, b"{}")]);
    (t, art)
}

fn run_format(t: &TestRepo, art: &Path, format: &str) -> (i32, String) {
    let out = t
        .cmd()
        .args([
            "run",
            "--stage",
            "release",
            "--only",
            "static-paths",
            "--only",
            "unreviewed-commits",
        ])
        .args([
            "--only",
            "package-source-maps",
            "--only",
            "lockfile-present",
            "--only",
            "friday-deploys",
        ])
        .args([
            "--at",
            "2026-11-18T10:00:00Z",
            "--artifact",
            art.to_str().unwrap(),
            "-f",
            format,
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn sarif_is_valid_for_code_scanning() {
    let (t, art) = hostile_repo();
    let (code, out) = run_format(&t, &art, "sarif");
    assert_eq!(code, 1);
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["version"], "2.1.0");
    assert!(s["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    assert!(
        s["runs"][0]["originalUriBaseIds"].is_null(),
        "the consumer binds %SRCROOT% to its checkout"
    );
    let run = &s["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"static-paths") && ids.contains(&"unreviewed-commits"));
    for r in rules {
        for k in ["name", "shortDescription", "fullDescription", "help"] {
            assert!(!r[k].is_null(), "rule {} lacks {k}", r["id"]);
        }
    }
    let results = run["results"].as_array().unwrap();
    let by = |id: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let repo = by("static-paths");
    assert_eq!(repo["level"], "error");
    let phys = &repo["locations"][0]["physicalLocation"];
    assert_eq!(
        phys["artifactLocation"]["uri"],
        "src/we%22ird%20%3Cb%3E%26amp%3B%20%2541%20a%3A%3Ab%2Cc.py"
    );
    assert_eq!(phys["region"]["startLine"], 1);
    assert_eq!(phys["region"]["startColumn"], 6);
    assert_eq!(
        repo["partialFingerprints"]["shipgate/v1"]
            .as_str()
            .unwrap()
            .len(),
        32
    );
    assert_eq!(
        rules[repo["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "static-paths"
    );
    let commit = by("unreviewed-commits");
    assert_eq!(
        commit["locations"][0]["logicalLocations"][0]["kind"],
        "commit"
    );
    assert!(commit["message"]["text"]
        .as_str()
        .unwrap()
        .contains(HOSTILE));
    let member = by("package-source-maps");
    assert_eq!(
        member["locations"][0]["logicalLocations"][0]["kind"],
        "member"
    );
    // The artifact is outside the repository: the result is attached to a file of the
    // repository (package.json: there is no .shipgate.yaml) and names the artifact.
    assert_eq!(
        member["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "package.json"
    );
    assert!(member["message"]["text"]
        .as_str()
        .unwrap()
        .contains("app.tgz!package/"));
    assert_eq!(by("lockfile-present")["level"], "warning");
    // Fingerprints are stable across runs and survive lines moving.
    let (_, again) = run_format(&t, &art, "sarif");
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(again["runs"][0]["results"], run["results"]);
    t.write(&format!("src/{HOSTILE}.py"), "\n\nP = '/home/alice/x/'\n");
    let (_, moved) = run_format(&t, &art, "sarif");
    let moved: serde_json::Value = serde_json::from_str(&moved).unwrap();
    let m = moved["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "static-paths")
        .unwrap()
        .clone();
    assert_eq!(m["partialFingerprints"], repo["partialFingerprints"]);
    assert_eq!(
        m["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
}

#[test]
fn junit_is_valid_xml_whatever_the_messages_hold() {
    let (t, art) = hostile_repo();
    let (_, out) = run_format(&t, &art, "junit");
    let doc = roxmltree::Document::parse(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    let cases: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 5, "one test case per check");
    let case = |id: &str| {
        *cases
            .iter()
            .find(|c| c.attribute("name") == Some(id))
            .unwrap()
    };
    let failure = case("unreviewed-commits")
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(
        failure
            .text()
            .unwrap()
            .contains(&format!("Direct {HOSTILE}")),
        "escaping round-trips"
    );
    assert!(
        case("friday-deploys")
            .children()
            .all(|n| !n.has_tag_name("failure")),
        "Wednesday passes"
    );
    let warn = case("lockfile-present")
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .unwrap();
    assert!(warn.text().unwrap().contains("package.json"));
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(
        suite.attribute("timestamp"),
        Some("2026-11-18T10:00:00+00:00")
    );
    assert_eq!(suite.attribute("tests"), Some("5"));
    assert_eq!(suite.attribute("failures"), Some("3"));
    // Characters XML 1.0 cannot carry are replaced, never emitted raw.
    let x = shipgate::report::junit::esc("a\u{1b}b\u{0}c");
    assert_eq!(x, "a\u{FFFD}b\u{FFFD}c");
    let skipped = TestRepo::new();
    skipped.write("README.md", "x\n");
    skipped.commit("x");
    let out = skipped.cmd().args(["run", "-f", "junit"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    assert!(doc.descendants().any(|n| n.has_tag_name("skipped")));
}

#[test]
fn github_annotations_are_escaped() {
    let (t, art) = hostile_repo();
    let (_, out) = run_format(&t, &art, "github");
    let lines: Vec<&str> = out.lines().collect();
    let repo = lines
        .iter()
        .find(|l| l.starts_with("::error file=src/"))
        .expect(&out);
    // Properties escape %, :, and , ; the message escapes % and newlines.
    assert!(repo.starts_with("::error file=src/we\"ird <b>&amp; %2541 a%3A%3Ab%2Cc.py,line=1,col=6,title=shipgate static-paths%3A "), "{repo}");
    let commit = lines
        .iter()
        .find(|l| l.contains("unreviewed-commits") && l.starts_with("::error"))
        .unwrap();
    assert!(
        commit.contains(&format!("Direct {}", HOSTILE.replace('%', "%25"))),
        "{commit}"
    );
    assert!(lines
        .iter()
        .any(|l| l.starts_with("::warning ") && l.contains("lockfile-present")));
    assert!(lines.iter().all(|l| !l.contains('\r')));
    let member = lines
        .iter()
        .find(|l| l.contains("package-source-maps"))
        .unwrap();
    // Outside the repository: no `file=` (it would attach to nothing), the artifact named.
    assert!(
        !member.contains("file=") && member.contains("app.tgz!package/"),
        "{member}"
    );
    assert!(out
        .trim_end()
        .lines()
        .last()
        .unwrap()
        .starts_with("shipgate: gate failed"));
}

#[test]
fn gitlab_code_quality_has_the_required_fields() {
    let (t, art) = hostile_repo();
    let (_, out) = run_format(&t, &art, "gitlab");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let issues = v.as_array().unwrap();
    assert!(issues.len() >= 4);
    for i in issues {
        for k in ["description", "check_name", "fingerprint", "severity"] {
            assert!(i[k].is_string(), "{k}: {i}");
        }
        assert!(i["location"]["path"].is_string());
        assert!(i["location"]["lines"]["begin"].is_u64());
    }
    let repo = issues
        .iter()
        .find(|i| i["check_name"] == "static-paths")
        .unwrap();
    assert_eq!(repo["location"]["path"], format!("src/{HOSTILE}.py"));
    assert_eq!(repo["severity"], "critical");
    assert_eq!(
        issues
            .iter()
            .find(|i| i["check_name"] == "lockfile-present")
            .unwrap()["severity"],
        "minor"
    );
}

#[test]
fn markdown_has_a_table_and_the_findings() {
    let (t, art) = hostile_repo();
    let (_, out) = run_format(&t, &art, "markdown");
    assert!(out.starts_with("## shipgate: gate ❌ failed"), "{out}");
    assert!(out.contains("| | Check | Result |"));
    assert!(out.contains("| ❌ | `static-paths`"));
    assert!(out.contains("### `unreviewed-commits`"));
    // Outside code spans HTML is made inert (inside them it is literal text already).
    let outside: String = out.split('`').step_by(2).collect();
    assert!(!outside.contains("<b>"), "HTML is made inert: {out}");
    assert!(outside.contains("&lt;b&gt;"));
    for line in out.lines().filter(|l| l.starts_with("| ")) {
        assert_eq!(
            line.matches(" | ").count() + 2,
            4,
            "a table row has three cells: {line}"
        );
    }
}

#[test]
fn several_reports_from_one_evaluation() {
    let (t, art) = hostile_repo();
    let d = t.dir.path();
    let summary = d.join("summary.md");
    std::fs::write(&summary, "previous step\n").unwrap();
    let out = t
        .cmd()
        .args([
            "run",
            "--stage",
            "release",
            "--at",
            "2026-11-18T10:00:00Z",
            "--artifact",
            art.to_str().unwrap(),
            "-f",
            "github",
        ])
        .arg("--report")
        .arg(format!("sarif={}", d.join("r.sarif").display()))
        .arg("--report")
        .arg(format!("junit={}", d.join("r.xml").display()))
        .arg("--report")
        .arg(format!("json={}", d.join("r.json").display()))
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r.json")).unwrap()).unwrap();
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r.sarif")).unwrap()).unwrap();
    roxmltree::Document::parse(&std::fs::read_to_string(d.join("r.xml")).unwrap()).unwrap();
    // One evaluation: the same checks in every report.
    assert_eq!(
        json["checks"].as_array().unwrap().len(),
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len()
    );
    let s = std::fs::read_to_string(&summary).unwrap();
    assert!(
        s.starts_with("previous step\n## shipgate: gate"),
        "appended: {s}"
    );
    let (code, _, err) = t.run(&["run", "--report", "pdf=x.pdf"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown format `pdf`"), "{err}");
}

#[test]
fn schema_and_completions() {
    let t = TestRepo::new();
    let (code, out, _) = t.run(&["schema", "check"]);
    assert_eq!(code, 0);
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["additionalProperties"], false);
    assert!(s["properties"]["repo-content"].is_object());
    assert_eq!(
        s["oneOf"].as_array().unwrap().len(),
        shipgate::kinds::KIND_KEYS.len(),
        "exactly one kind key"
    );
    let (_, out, _) = t.run(&["schema", "config"]);
    let c: serde_json::Value = serde_json::from_str(&out).unwrap();
    for k in ["builtins", "extra-checks", "checks", "settings", "waivers"] {
        assert!(c["properties"][k].is_object(), "{k}");
    }
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (code, out, _) = t.run(&["completions", shell]);
        assert_eq!(code, 0);
        assert!(out.contains("shipgate"), "{shell}");
    }
}

/// Runs every `run:` step of examples/ci/github-actions.yml, in order, as the runner would, with
/// this build of shipgate on PATH (so the install step finds it).
#[test]
fn the_github_workflow_example_runs_its_shell_steps() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let wf: yaml_serde::Value = yaml_serde::from_str(
        &std::fs::read_to_string(root.join("examples/ci/github-actions.yml")).unwrap(),
    )
    .unwrap();
    let steps = wf["jobs"]["gate"]["steps"].as_sequence().unwrap();
    let scripts: Vec<String> = steps
        .iter()
        .filter_map(|s| s["run"].as_str().map(str::to_string))
        .collect();
    assert_eq!(scripts.len(), 2, "install and gate");

    for (clean, expected) in [(true, 0), (false, 1)] {
        let t = TestRepo::new();
        t.write("README.md", "x\n");
        if !clean {
            t.write("src/a.py", "P = '/home/alice/x/'\n");
        }
        t.commit("init");
        let summary = t.dir.path().join("step-summary.md");
        let bin = assert_cmd::cargo::cargo_bin("shipgate");
        let path = format!(
            "{}:{}",
            bin.parent().unwrap().display(),
            std::env::var("PATH").unwrap()
        );
        let mut last = 0;
        for script in &scripts {
            let out = std::process::Command::new("bash")
                .args(["-e", "-c", script])
                .current_dir(&t.root)
                .env("PATH", &path)
                .env("GITHUB_STEP_SUMMARY", &summary)
                .env("GITHUB_ACTIONS", "true")
                .env("CI", "true")
                .output()
                .unwrap();
            last = out.status.code().unwrap();
            if last != 0 {
                let stdout = String::from_utf8_lossy(&out.stdout);
                assert!(stdout.contains("::error file=src/a.py,line=1"), "{stdout}");
                break;
            }
        }
        assert_eq!(last, expected, "clean={clean}");
        let sarif: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(t.root.join("shipgate.sarif")).unwrap())
                .unwrap();
        assert_eq!(sarif["version"], "2.1.0");
        roxmltree::Document::parse(
            &std::fs::read_to_string(t.root.join("shipgate-junit.xml")).unwrap(),
        )
        .unwrap();
        assert!(std::fs::read_to_string(&summary)
            .unwrap()
            .contains("## shipgate: gate"));
    }
}

/// examples/ci/gitlab-ci.yml's script lines and examples/ci/ci.sh run as written.
#[test]
fn the_gitlab_job_and_the_shell_script_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let t = TestRepo::new();
    t.write("README.md", "x\n");
    t.commit("init");
    let bin = assert_cmd::cargo::cargo_bin("shipgate");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    let job: yaml_serde::Value = yaml_serde::from_str(
        &std::fs::read_to_string(root.join("examples/ci/gitlab-ci.yml")).unwrap(),
    )
    .unwrap();
    for line in job["shipgate"]["script"].as_sequence().unwrap() {
        let out = std::process::Command::new("bash")
            .args(["-e", "-c", line.as_str().unwrap()])
            .current_dir(&t.root)
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let cq: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(t.root.join("gl-code-quality-report.json")).unwrap(),
    )
    .unwrap();
    assert!(cq.is_array());
    let out = std::process::Command::new("bash")
        .arg(root.join("examples/ci/ci.sh"))
        .current_dir(&t.root)
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in ["shipgate.json", "shipgate-junit.xml", "shipgate.md"] {
        assert!(t.root.join("reports").join(f).exists(), "{f}");
    }
}
