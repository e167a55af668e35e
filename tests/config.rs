//! Configuration: every validation error names file, line, column and a fix; waivers (active,
//! expired, stale); inline allows; overrides; --only/--skip; stages.

use crate::util::{check, status, TestRepo};

fn repo_with(files: &[(&str, &str)]) -> TestRepo {
    let t = TestRepo::new();
    t.write("README.md", "x\n");
    for (p, c) in files {
        t.write(p, c);
    }
    t.commit("init");
    t
}

const TODO_CHECK: &str = "id: no-todo\ntitle: No TODO left\nseverity: error\nhelp: Do it.\nrepo-content:\n  patterns:\n    - name: todo\n      regex: 'TODO'\n";

#[test]
fn validation_errors_name_file_line_column_and_fix() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "unknown field",
            "id: a-b\ntitle: t\nseverty: error\nrepo-files:\n  forbid: [x]\n",
            &["checks/a.yaml:3:1", "unknown field `severty`", "did you mean `severity`?"],
        ),
        (
            "unknown kind",
            "id: a-b\ntitle: t\nseverity: error\nrepo-contnet:\n  patterns: []\n",
            &["checks/a.yaml:4:1", "did you mean `repo-content`?"],
        ),
        (
            "invalid regex",
            "id: a-b\ntitle: t\nseverity: error\nrepo-content:\n  patterns:\n    - name: x\n      regex: 'a(b'\n",
            &["checks/a.yaml:6:7", "patterns[0]", "invalid regex `a(b`"],
        ),
        (
            "invalid glob",
            "id: a-b\ntitle: t\nseverity: error\nrepo-files:\n  forbid: ['a[b']\n",
            &["checks/a.yaml:5", "invalid glob `a[b`"],
        ),
        (
            "bad severity",
            "id: a-b\ntitle: t\nseverity: fatal\nrepo-files:\n  forbid: [x]\n",
            &["checks/a.yaml:3", "unknown variant `fatal`", "error, warning"],
        ),
        (
            "no kind",
            "id: a-b\ntitle: t\nseverity: error\n",
            &["checks/a.yaml", "needs exactly one kind key"],
        ),
        (
            "two kinds",
            "id: a-b\ntitle: t\nseverity: error\nrepo-files:\n  forbid: [x]\nrepo-content:\n  patterns: [{name: x, regex: x}]\n",
            &["checks/a.yaml:6:1", "several kinds"],
        ),
        (
            "bad id",
            "id: No_Good\ntitle: t\nseverity: error\nrepo-files:\n  forbid: [x]\n",
            &["checks/a.yaml:1:1", "not kebab-case"],
        ),
        (
            "unknown message field",
            "id: a-b\ntitle: t\nseverity: error\nmessage: 'at {pth}'\nrepo-files:\n  forbid: [x]\n",
            &["checks/a.yaml:4:1", "`{pth}`", "did you mean `path`?"],
        ),
        (
            "duplicate id with a built-in",
            "id: static-paths\ntitle: t\nseverity: error\nrepo-files:\n  forbid: [x]\n",
            &["checks/a.yaml:1:1", "duplicate check id `static-paths`", "checks/static-paths.yaml"],
        ),
        (
            "empty pattern",
            "id: a-b\ntitle: t\nseverity: error\nrepo-content:\n  patterns: [{name: x, regex: 'a*'}]\n",
            &["matches the empty string"],
        ),
        (
            "unknown patterns-from",
            "id: a-b\ntitle: t\nseverity: error\nrepo-content:\n  patterns-from: [repo-secret]\n",
            &["`repo-secret`", "did you mean `repo-secrets`?"],
        ),
    ];
    for (name, text, expected) in cases {
        let t = repo_with(&[
            ("checks/a.yaml", text),
            (".shipgate.yaml", "extra-checks: [checks/]\n"),
        ]);
        let (code, _, err) = t.run(&["run"]);
        assert_eq!(code, 2, "{name}: {err}");
        for e in *expected {
            assert!(err.contains(e), "{name}: expected `{e}` in:\n{err}");
        }
    }
}

#[test]
fn project_config_errors() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("unknown check", "checks:\n  static-path:\n    off: true\n", &[".shipgate.yaml:2", "did you mean `static-paths`?"]),
        ("unknown waiver check", "waivers:\n  - check: repo-secret\n    path: x\n    reason: r\n", &[".shipgate.yaml:2", "did you mean `repo-secrets`?"]),
        ("bad timezone", "settings:\n  timezone: Mars/Olympus\n", &[".shipgate.yaml:2", "unknown time zone"]),
        ("bad date", "waivers:\n  - check: repo-secrets\n    path: x\n    reason: r\n    expires: 2026-13-01\n", &[".shipgate.yaml:2", "waivers[0]", "invalid date `2026-13-01`"]),
        ("missing extra", "extra-checks: [nope/]\n", &["cannot read `nope/`"]),
        ("bad params", "checks:\n  static-paths:\n    params:\n      exclud: [x]\n", &[".shipgate.yaml:2", "static-paths", "did you mean `exclude`?"]),
        ("bad size", "settings:\n  max-file-size: 3 parsecs\n", &[".shipgate.yaml:2", "invalid size unit"]),
    ];
    for (name, text, expected) in cases {
        let t = repo_with(&[(".shipgate.yaml", text)]);
        let (code, _, err) = t.run(&["run"]);
        assert_eq!(code, 2, "{name}: {err}");
        for e in *expected {
            assert!(err.contains(e), "{name}: expected `{e}` in:\n{err}");
        }
    }
}

#[test]
fn all_errors_are_reported_at_once() {
    let t = repo_with(&[
        ("checks/a.yaml", "id: a-b\ntitle: t\nseverty: error\nrepo-files: {}\n"),
        ("checks/b.yaml", "id: c-d\ntitle: t\nseverity: error\nrepo-content:\n  patterns: [{name: x, regex: '('}]\n"),
        (".shipgate.yaml", "extra-checks: [checks/]\nchecks:\n  nope: {off: true}\n"),
    ]);
    let (code, _, err) = t.run(&["validate"]);
    assert_eq!(code, 2);
    assert!(err.contains("3 configuration error(s)"), "{err}");
}

#[test]
fn per_check_changes_severity_off_params_stages() {
    let t = repo_with(&[
        ("src/a.py", "P = '/home/alice/x/'\n"),
        ("package.json", "{\"private\": true, \"dependencies\": {\"x\": \"1\"}}\n"),
        (
            ".shipgate.yaml",
            "checks:\n  static-paths:\n    severity: warning\n  lockfile-present:\n    off: true\n  merge-conflict-markers:\n    stages: [release]\n",
        ),
    ]);
    let (code, r) = t.json(&[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "static-paths"), "warn");
    assert!(r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"] != "lockfile-present"));
    assert_eq!(status(&r, "merge-conflict-markers"), "skip");
    assert!(check(&r, "merge-conflict-markers")["reason"]
        .as_str()
        .unwrap()
        .contains("release"));
    let (_, r) = t.json(&["--stage", "release"]);
    assert_eq!(status(&r, "merge-conflict-markers"), "pass");
    // Naming an off check runs it.
    let (_, r) = t.only(&["lockfile-present"]).json();
    assert_eq!(status(&r, "lockfile-present"), "warn");

    t.write(
        ".shipgate.yaml",
        "checks:\n  static-paths:\n    params:\n      exclude: [\"src/\"]\n",
    );
    let (code, r) = t.only(&["static-paths"]).json();
    assert_eq!(code, 0);
    assert_eq!(status(&r, "static-paths"), "pass");
}

#[test]
fn project_checks_from_a_folder() {
    let t = repo_with(&[
        (".shipgate/checks/todo.yaml", TODO_CHECK),
        ("src/a.rs", "// TODO: remove\n"),
        (
            ".shipgate.yaml",
            "builtins: false\nextra-checks: [.shipgate/checks]\n",
        ),
    ]);
    let (code, r) = t.json(&[]);
    assert_eq!(code, 1);
    assert_eq!(r["checks"].as_array().unwrap().len(), 1);
    assert_eq!(status(&r, "no-todo"), "fail");
    let (_, out, _) = t.run(&["list"]);
    assert!(out.contains(".shipgate/checks/todo.yaml"), "{out}");
}

#[test]
fn waivers_active_expired_and_stale() {
    let t = repo_with(&[
        ("scripts/dev.sh", "cd /home/alice/dev/\n"),
        ("src/app.py", "P = '/home/bob/app/'\n"),
        (
            ".shipgate.yaml",
            "waivers:\n  - check: static-paths\n    path: \"scripts/**\"\n    reason: developer script, never deployed\n    expires: 2027-01-01\n  - check: static-paths\n    path: \"src/app.py\"\n    reason: migration in progress\n    expires: 2026-06-01\n  - check: repo-secrets\n    path: \"old/**\"\n    reason: gone\n",
        ),
    ]);
    let (code, r) = t.json(&["--at", "2026-11-20T12:00:00Z"]);
    assert_eq!(code, 1, "the expired waiver no longer waives");
    let c = check(&r, "static-paths");
    assert_eq!(c["waived"], 1);
    assert_eq!(c["findings"].as_array().unwrap().len(), 1);
    assert!(c["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("waiver expired on 2026-06-01"));
    let states: Vec<&str> = r["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["active", "expired", "stale"]);
    let (_, out, _) = t.run(&["run", "--at", "2026-11-20T12:00:00Z"]);
    assert!(
        out.contains("expired on 2026-06-01: it no longer waives"),
        "{out}"
    );
    assert!(out.contains("matched nothing"), "{out}");

    // Before the expiry date, both waive and the gate passes.
    let (code, r) = t.json(&["--at", "2026-05-01T12:00:00Z"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(check(&r, "static-paths")["waived"], 2);
    assert_eq!(r["summary"]["waived"], 2);
}

#[test]
fn inline_allow_suppresses_and_is_counted() {
    let t = repo_with(&[
        ("src/a.py", "A = '/home/alice/x/'  # shipgate:allow static-paths\n# shipgate:allow static-paths\nB = '/home/alice/y/'\nC = '/home/alice/z/'  # shipgate:allow repo-secrets\n"),
    ]);
    let (code, r) = t.only(&["static-paths"]).json();
    assert_eq!(code, 1);
    let c = check(&r, "static-paths");
    assert_eq!(c["suppressed"], 2);
    assert_eq!(c["findings"].as_array().unwrap().len(), 1);
    assert_eq!(c["findings"][0]["location"]["line"], 4);
    assert_eq!(r["summary"]["suppressed"], 2);
}

#[test]
fn overrides_are_recorded() {
    let t = repo_with(&[("src/a.py", "A = '/home/alice/x/'\n")]);
    let (code, r) = t.json(&[
        "--override",
        "static-paths=vendored test data, tracked in #42",
    ]);
    assert_eq!(code, 0, "{r:#}");
    let c = check(&r, "static-paths");
    assert_eq!(c["status"], "overridden");
    assert_eq!(
        c["override"]["reason"],
        "vendored test data, tracked in #42"
    );
    assert_eq!(r["summary"]["overridden"], 1);
    assert_eq!(r["verdict"], "pass");

    let (code, r) = t.json(&["--override", "repo-secrets=not needed"]);
    assert_eq!(code, 1);
    assert!(r["notes"][0].as_str().unwrap().contains("was not needed"));

    let (code, _, err) = t.run(&["run", "--override", "static-path=x"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `static-paths`?"), "{err}");
    let (code, _, err) = t.run(&["run", "--override", "static-paths="]);
    assert_eq!(code, 2);
    assert!(err.contains("needs a reason"), "{err}");
}

#[test]
fn only_and_skip() {
    let t = repo_with(&[("src/a.py", "A = '/home/alice/x/'\n")]);
    let (code, r) = t.json(&["--skip", "static-paths"]);
    assert_eq!(code, 0);
    assert_eq!(status(&r, "static-paths"), "skip");
    assert_eq!(check(&r, "static-paths")["reason"], "skipped with --skip");
    let (_, r) = t.only(&["repo-secrets", "static-paths"]).json();
    assert_eq!(r["checks"].as_array().unwrap().len(), 2);
    let (code, _, err) = t.run(&["run", "--only", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("no check has the id `nope`"), "{err}");
}

/// A duplicate top-level key is reported at its own line, not at the top of the file.
#[test]
fn a_duplicate_top_level_key_is_reported_where_it_is() {
    let t = TestRepo::new();
    t.write(
        ".shipgate.yaml",
        "settings:\n  timezone: UTC\nsettings:\n  timezone: Europe/Berlin\n",
    );
    let (code, _, err) = t.run(&["validate"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(".shipgate.yaml:3:1: duplicate field `settings`"),
        "{err}"
    );
}

/// `shipgate schema config` in `t`, as a validator (formats checked, as editors do).
fn config_validator(t: &TestRepo) -> jsonschema::Validator {
    let (code, out, err) = t.run(&["schema", "config"]);
    assert_eq!(code, 0, "{err}");
    let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn schema_errors(v: &jsonschema::Validator, yaml: &str) -> Vec<String> {
    let doc: serde_json::Value = yaml_serde::from_str(yaml).unwrap();
    v.iter_errors(&doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// The configuration schema rejects what `shipgate validate` rejects — a bad date, an unknown
/// check id, a parameter typo, an unknown time zone — and accepts the repository's own
/// `.shipgate.yaml` and the README's examples.
#[test]
fn the_config_schema_is_as_strict_as_validate() {
    let t = repo_with(&[]);
    let v = config_validator(&t);
    let bad = [
        "waivers:\n  - {check: static-paths, path: x, reason: r, expires: 2027-13-45}\n",
        "waivers:\n  - {check: static-paths, path: x, reason: r, expires: 2027-02-30}\n",
        "checks:\n  static-pathz: {severity: warning}\n",
        "checks:\n  static-paths:\n    params: {exclde: [docs/]}\n",
        "checks:\n  friday-deploys:\n    params: {timezone: Mars/Olympus}\n",
        "checks:\n  friday-deploys:\n    params:\n      deny: [{days: [fri], from: '25:00'}]\n",
        "checks:\n  release-freeze:\n    params:\n      freezes: [{from: 2026-12-40, to: 2027-01-02, reason: x}]\n",
        "settings: {timezone: Mars/Olympus}\n",
        "waivers:\n  - {check: no-such-check, path: x, reason: r}\n",
    ];
    for yaml in bad {
        assert!(
            !schema_errors(&v, yaml).is_empty(),
            "the schema accepts {yaml}"
        );
        t.write(".shipgate.yaml", yaml);
        let (code, _, err) = t.run(&["validate"]);
        assert_eq!(code, 2, "validate accepts {yaml}: {err}");
    }
    let good = [
        "waivers:\n  - {check: static-paths, path: x, reason: r, expires: 2027-03-31}\n",
        "checks:\n  friday-deploys:\n    params:\n      timezone: America/New_York\n      deny: [{days: [fri], from: '9:00', to: '24:00'}]\n",
        "checks:\n  static-paths:\n    params: {exclude: [docs/]}\n",
        "settings: {timezone: Europe/Berlin}\n",
    ];
    for yaml in good {
        assert_eq!(schema_errors(&v, yaml), Vec::<String>::new(), "{yaml}");
    }

    // shipgate's own configuration.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let own = std::fs::read_to_string(root.join(".shipgate.yaml")).unwrap();
    assert_eq!(schema_errors(&v, &own), Vec::<String>::new());

    // Every YAML example of the README's configuration section, in a repository that has what
    // it names (its own check `some-check`): the schema knows the project's checks.
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme
        .split("## Configuration: `.shipgate.yaml`")
        .nth(1)
        .unwrap();
    let section = section.split("\n## ").next().unwrap();
    let examples: Vec<&str> = section
        .split("```yaml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(!examples.is_empty());
    let p = repo_with(&[(
        ".shipgate/checks/some-check.yaml",
        "id: some-check\ntitle: Some check\nseverity: warning\nhelp: h\nrepo-files:\n  forbid: [x]\n",
    )]);
    p.write(".shipgate.yaml", examples[0]);
    let v = config_validator(&p);
    for e in &examples {
        assert_eq!(schema_errors(&v, e), Vec::<String>::new(), "{e}");
    }
    let editor = readme
        .split("# yaml-language-server: $schema=.shipgate/config.schema.json\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    assert_eq!(schema_errors(&v, editor), Vec::<String>::new());
}

/// The check-file schema accepts every built-in check file and rejects a bad id, a bad date and a
/// parameter typo.
#[test]
fn the_check_schema_accepts_the_builtins_and_rejects_mistakes() {
    let t = repo_with(&[]);
    let (code, out, _) = t.run(&["schema", "check"]);
    assert_eq!(code, 0);
    let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
    let v = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let errors = schema_errors(&v, &std::fs::read_to_string(&p).unwrap());
        assert_eq!(errors, Vec::<String>::new(), "{}", p.display());
        n += 1;
    }
    assert!(n > 50);
    let base = "title: t\nseverity: error\nhelp: h\n";
    for bad in [
        format!("id: Bad_Id\n{base}repo-files:\n  forbid: [x]\n"),
        format!("id: freeze\n{base}deploy-window:\n  freezes: [{{from: 2026-13-01, to: 2027-01-02, reason: r}}]\n"),
        format!("id: typo\n{base}repo-files:\n  forbidd: [x]\n"),
        format!("id: two\n{base}repo-files:\n  forbid: [x]\nmanual:\n  question: q\n"),
    ] {
        assert!(!schema_errors(&v, &bad).is_empty(), "accepted: {bad}");
    }
}
