//! The reports as their real consumers read them: SARIF against the official SARIF 2.1.0 schema
//! and GitHub code scanning's rules (every result has a repository-relative physical location,
//! distinct fingerprints, `security-severity` on secrets), GitLab Code Quality (every path a file
//! that exists), GitHub annotations (no `file=` outside the repository), JUnit against Jenkins'
//! `junit-10.xsd`. The schemas are in tests/schemas/ (README.md there names their sources).
//! The ignored tests run the external validators themselves (xmllint, Microsoft's SARIF
//! multitool): `cargo test -- --ignored consumers`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::util::{fake_aws_key, write_tar_gz, TestRepo, E};

fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas")
}

/// A repository whose release-stage report has every kind of finding: a home path on two
/// identical lines of one file, a key, an unreviewed commit, Friday afternoon, a manual item not
/// confirmed, a version without its tag, and source maps in an artifact outside the repository
/// (given absolute) and in one inside it (given with `../`).
fn everything(with_config: bool) -> TestRepo {
    let t = TestRepo::new();
    let home = format!("/{}/alice/app/", "home");
    t.write("README.md", "app\n");
    t.commit("Initial");
    t.tag("v1.0.0");
    t.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"1.2.0\"\nedition = \"2021\"\n",
    );
    t.write(
        "src/paths.py",
        format!("A = '{home}'\nB = 1\nA = '{home}'\n"),
    );
    t.write("src/key.py", format!("K = \"{}\"\n", fake_aws_key()));
    if with_config {
        t.write(".shipgate.yaml", "builtins: true\n");
    }
    t.commit("Add the app");
    write_tar_gz(
        &t.dir.path().join("outside.tgz"),
        &[E::File("package/a.js.map", b"{}")],
    );
    std::fs::create_dir_all(t.path("dist")).unwrap();
    write_tar_gz(
        &t.path("dist/inside.tgz"),
        &[E::File("package/b.js.map", b"{}")],
    );
    t
}

/// The report of `everything` in `format`.
fn render(t: &TestRepo, format: &str) -> String {
    let outside = t.dir.path().join("outside.tgz");
    let out = t
        .cmd()
        .args(["run", "--stage", "release", "-f", format])
        .args(["--at", "2026-11-20T15:00:00Z"])
        .args(["--range", "HEAD~1..HEAD"])
        .args(["--artifact", outside.to_str().unwrap()])
        .args(["--artifact", "../repo/dist/inside.tgz"])
        .args(["--only", "static-paths", "--only", "repo-secrets"])
        .args(["--only", "unreviewed-commits", "--only", "friday-deploys"])
        .args(["--only", "rollback-plan", "--only", "version-tag"])
        .args(["--only", "package-source-maps"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A path a consumer resolves against the checkout: relative, no `..`, no scheme.
fn repo_relative(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains(':')
        && !p.contains('\\')
        && p.split('/').all(|c| c != ".." && c != "." && !c.is_empty())
}

fn sarif_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schemas().join("sarif-2.1.0.json")).unwrap())
            .unwrap();
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

#[test]
fn sarif_is_valid_and_every_result_has_a_file_code_scanning_accepts() {
    let validator = sarif_validator();
    for with_config in [true, false] {
        let t = everything(with_config);
        let text = render(&t, "sarif");
        let sarif: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");

        let run = &sarif["runs"][0];
        let results = run["results"].as_array().unwrap();
        let rules: HashSet<&str> = results
            .iter()
            .map(|r| r["ruleId"].as_str().unwrap())
            .collect();
        for id in [
            "static-paths",
            "repo-secrets",
            "unreviewed-commits",
            "friday-deploys",
            "rollback-plan",
            "version-tag",
            "package-source-maps",
        ] {
            assert!(rules.contains(id), "{id} has a result: {rules:?}");
        }
        let anchor = if with_config {
            ".shipgate.yaml"
        } else {
            "README.md"
        };
        for r in results {
            let loc = &r["locations"][0]["physicalLocation"];
            let uri = loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or_else(|| panic!("no physical location: {r:#}"));
            assert!(repo_relative(uri), "{uri}");
            assert!(t.root.join(uri).is_file(), "{uri} exists in the repository");
            assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1, "{r:#}");
            match r["ruleId"].as_str().unwrap() {
                "unreviewed-commits" | "friday-deploys" | "rollback-plan" => {
                    assert_eq!(uri, anchor, "{r:#}")
                }
                // About the manifest whose version has no tag.
                "version-tag" => assert_eq!(uri, "Cargo.toml", "{r:#}"),
                _ => {}
            }
        }
        // The artifact inside the repository is its own file; the one outside is named.
        let maps: Vec<&serde_json::Value> = results
            .iter()
            .filter(|r| r["ruleId"] == "package-source-maps")
            .collect();
        assert_eq!(maps.len(), 2);
        let uris: HashSet<&str> = maps
            .iter()
            .map(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(uris, HashSet::from(["dist/inside.tgz", anchor]));
        assert!(maps.iter().any(|r| r["message"]["text"]
            .as_str()
            .unwrap()
            .contains("outside.tgz!package/a.js.map")));

        // Two identical lines, two alerts.
        let prints: Vec<&str> = results
            .iter()
            .map(|r| r["partialFingerprints"]["shipgate/v1"].as_str().unwrap())
            .collect();
        assert_eq!(
            prints.len(),
            prints.iter().collect::<HashSet<_>>().len(),
            "fingerprints are distinct: {prints:?}"
        );
        assert_eq!(
            results
                .iter()
                .filter(|r| r["ruleId"] == "static-paths")
                .count(),
            2
        );

        let rule = |id: &str| {
            run["tool"]["driver"]["rules"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == id)
                .unwrap()
                .clone()
        };
        let secrets = rule("repo-secrets");
        assert_eq!(secrets["properties"]["security-severity"], "9.0");
        assert!(secrets["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&"security".into()));
        let score: f64 = shipgate::report::sarif::security_severity("package-env-files")
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (7.0..9.0).contains(&score),
            "leaked files are high: {score}"
        );
        assert!(rule("friday-deploys")["properties"]["security-severity"].is_null());
    }
}

#[test]
fn gitlab_and_github_attach_findings_to_files_that_exist_in_the_repository() {
    let t = everything(false);
    let cq: serde_json::Value = serde_json::from_str(&render(&t, "gitlab")).unwrap();
    let issues = cq.as_array().unwrap();
    assert!(issues.len() >= 8, "{cq:#}");
    let mut prints = HashSet::new();
    for i in issues {
        let path = i["location"]["path"].as_str().unwrap();
        assert!(repo_relative(path), "{path}");
        assert!(t.root.join(path).is_file(), "{path} exists: {i:#}");
        assert_ne!(path, ".shipgate.yaml");
        assert!(prints.insert(i["fingerprint"].as_str().unwrap().to_string()));
    }
    assert!(issues
        .iter()
        .any(|i| i["location"]["path"] == "dist/inside.tgz"));

    let gh = render(&t, "github");
    for line in gh.lines().filter(|l| l.starts_with("::")) {
        if let Some(file) = line.split("file=").nth(1) {
            let file = file.split([',', ':']).next().unwrap();
            assert!(repo_relative(file), "{line}");
            assert!(t.root.join(file).is_file(), "{line}");
        }
    }
    assert!(gh.contains("file=dist/inside.tgz"), "{gh}");
    assert!(gh.contains("outside.tgz!package/a.js.map: "), "{gh}");
}

/// The JUnit report against Jenkins' junit-10.xsd, read with roxmltree: every element the
/// report uses is declared, its attributes are among the declared ones, the required ones are
/// there, and each child is one the schema allows. (xmllint runs the full XSD validation in the
/// ignored test below.)
#[test]
fn junit_conforms_to_jenkins_junit_10_xsd() {
    let xsd_text = std::fs::read_to_string(schemas().join("junit-10.xsd")).unwrap();
    let xsd = roxmltree::Document::parse(&xsd_text).unwrap();
    let t = everything(true);
    let xml_text = render(&t, "junit");
    let xml = roxmltree::Document::parse(&xml_text).unwrap();
    let root = xml.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert!(root.attribute("skipped").is_none());
    let mut seen = 0;
    for node in root.descendants().filter(|n| n.is_element()) {
        seen += 1;
        let name = node.tag_name().name();
        let decl = xsd
            .root_element()
            .children()
            .find(|d| d.tag_name().name() == "element" && d.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("<{name}> is not declared in junit-10.xsd"));
        let attrs: Vec<roxmltree::Node> = decl
            .descendants()
            .filter(|d| d.tag_name().name() == "attribute")
            .collect();
        for a in node.attributes() {
            assert!(
                attrs.iter().any(|d| d.attribute("name") == Some(a.name())),
                "<{name} {}> is not allowed by junit-10.xsd",
                a.name()
            );
        }
        for d in &attrs {
            if d.attribute("use") == Some("required") {
                let a = d.attribute("name").unwrap();
                assert!(node.attribute(a).is_some(), "<{name}> needs {a}");
            }
        }
        let children: Vec<&str> = decl
            .descendants()
            .filter(|d| d.tag_name().name() == "element")
            .filter_map(|d| d.attribute("ref"))
            .collect();
        for c in node.children().filter(|c| c.is_element()) {
            assert!(
                children.contains(&c.tag_name().name()),
                "<{}> inside <{name}>",
                c.tag_name().name()
            );
        }
        if let Some(time) = node.attribute("time") {
            assert!(
                time.bytes().all(|b| b.is_ascii_digit() || b == b'.'),
                "{time}"
            );
        }
    }
    assert!(seen > 8);
}

/// Where an external validator is: the environment variable, else PATH. A missing validator
/// fails the test (it is ignored by default, so only someone asking for it runs it).
fn tool(var: &str, name: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(var) {
        return PathBuf::from(p);
    }
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| panic!("{name} not found: install it or set {var}"))
}

#[test]
#[ignore = "needs xmllint (apt-get install libxml2-utils); run with --ignored"]
fn junit_validates_with_xmllint_against_junit_10_xsd() {
    let xmllint = tool("XMLLINT", "xmllint");
    let t = everything(true);
    let report = t.dir.path().join("junit.xml");
    std::fs::write(&report, render(&t, "junit")).unwrap();
    let out = std::process::Command::new(xmllint)
        .arg("--noout")
        .arg("--schema")
        .arg(schemas().join("junit-10.xsd"))
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs Microsoft's SARIF multitool (npm @microsoft/sarif-multitool-linux); set SARIF_MULTITOOL or put Sarif.Multitool on PATH"]
fn sarif_validates_with_the_sarif_multitool() {
    let multitool = tool("SARIF_MULTITOOL", "Sarif.Multitool");
    let t = everything(false);
    let report = t.dir.path().join("shipgate.sarif");
    std::fs::write(&report, render(&t, "sarif")).unwrap();
    let log = t.dir.path().join("validation.sarif");
    let out = std::process::Command::new(multitool)
        .arg("validate")
        .arg(&report)
        .args(["--level", "Error;Warning", "--log", "ForceOverwrite"])
        .arg("-o")
        .arg(&log)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
    let problems: Vec<&serde_json::Value> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["level"] == "error" || r["level"] == "warning")
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

/// A project's own check with secret patterns (borrowed here) is a security rule too; one
/// without is not.
#[test]
fn sarif_rules_of_custom_secret_checks_carry_security_severity() {
    let t = TestRepo::new();
    t.write("README.md", "app\n");
    t.write(".shipgate.yaml", "extra-checks: [checks/]\n");
    t.write(
        "checks/vault-keys.yaml",
        "id: vault-keys\ntitle: No keys in the vault folder\nseverity: error\nhelp: Rotate it.\nrepo-content:\n  include: [vault/]\n  patterns-from: [repo-secrets]\n",
    );
    t.write(
        "checks/no-todo.yaml",
        "id: no-todo\ntitle: No TODO left\nseverity: error\nhelp: Do it.\nrepo-content:\n  patterns:\n    - name: todo\n      regex: 'TODO'\n",
    );
    t.write("vault/k.py", format!("K = \"{}\"\n", fake_aws_key()));
    t.write("src/a.py", "# TODO\n");
    t.commit("init");
    let out = t
        .cmd()
        .args([
            "run",
            "-f",
            "sarif",
            "--only",
            "vault-keys",
            "--only",
            "no-todo",
        ])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let props = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap()["properties"].clone();
    assert_eq!(props("vault-keys")["security-severity"], "9.0");
    assert!(props("no-todo")["security-severity"].is_null());
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    for id in ["vault-keys", "no-todo"] {
        assert!(results.iter().any(|r| r["ruleId"] == id), "{id}");
    }
}
