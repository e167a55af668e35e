//! The CI templates run as they are: the GitHub Action (`action.yml`) and the GitLab CI template
//! (`templates/shipgate.gitlab-ci.yml`). Their shell is taken from the YAML and run the way the
//! runners run it (GitHub: `bash --noprofile --norc -eo pipefail`, step by step, with the step's
//! `env:` and `working-directory:` evaluated, `GITHUB_OUTPUT` and `GITHUB_PATH` carried to later
//! steps; GitLab: the job's `script:` as one `bash -eo pipefail` script with its variables),
//! against fixture repositories, with this build of shipgate — installed, or "installed" by a stub
//! `cargo` that the install step calls.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::util::TestRepo;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A repository that passes, or fails on a path to a developer's machine.
fn fixture(clean: bool) -> TestRepo {
    let t = TestRepo::new();
    t.write("README.md", "app\n");
    if !clean {
        t.write("src/a.py", format!("P = '/{}/alice/x/'\n", "home"));
    }
    t.commit("init");
    t
}

/// A folder with a stub `cargo`: `cargo install …` logs its arguments and puts this build of
/// shipgate into `$HOME/.cargo/bin`, as a real install would.
fn stub_cargo(dir: &Path) -> PathBuf {
    let bin = dir.join("stub-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let shipgate = assert_cmd::cargo::cargo_bin("shipgate");
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> \"{log}\"\nmkdir -p \"$HOME/.cargo/bin\"\nln -sf \"{shipgate}\" \"$HOME/.cargo/bin/shipgate\"\n",
        log = dir.join("cargo.log").display(),
        shipgate = shipgate.display()
    );
    let cargo = bin.join("cargo");
    std::fs::write(&cargo, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// `PATH` for a run: the stub folder (never the real shipgate) and the system's tools; with
/// `installed`, this build of shipgate first.
fn path(stub: &Path, installed: bool) -> String {
    let mut dirs = Vec::new();
    if installed {
        let bin = assert_cmd::cargo::cargo_bin("shipgate");
        dirs.push(bin.parent().unwrap().display().to_string());
    }
    dirs.push(stub.display().to_string());
    dirs.push("/usr/local/bin:/usr/bin:/bin".into());
    dirs.join(":")
}

/// `${{ … }}` expressions of the action replaced by their values.
fn expand(s: &str, values: &BTreeMap<String, String>) -> String {
    let re = regex::Regex::new(r"\$\{\{\s*([^}]*?)\s*\}\}").unwrap();
    re.replace_all(s, |c: &regex::Captures| {
        values
            .get(&c[1])
            .cloned()
            .unwrap_or_else(|| panic!("no value for `{}` in {s}", &c[1]))
    })
    .into_owned()
}

/// `name=value` lines of a `GITHUB_OUTPUT` file.
fn outputs(file: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

struct ActionRun {
    /// The status of each step that ran its shell, by step name.
    statuses: Vec<(String, i32)>,
    stdout: String,
    /// The `sarif_file` the upload step would upload, when it would run.
    uploaded: Option<PathBuf>,
}

/// Runs action.yml's steps on `t` as the runner does, with `inputs` over the defaults.
fn run_action(t: &TestRepo, installed: bool, inputs: &[(&str, &str)]) -> ActionRun {
    let action: yaml_serde::Value =
        yaml_serde::from_str(&std::fs::read_to_string(root().join("action.yml")).unwrap()).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    let mut values = BTreeMap::new();
    for (name, def) in action["inputs"].as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        let default = def["default"].as_str().unwrap_or("").to_string();
        values.insert(format!("inputs.{name}"), default);
    }
    for (k, v) in inputs {
        assert!(values.contains_key(&format!("inputs.{k}")), "no input {k}");
        values.insert(format!("inputs.{k}"), v.to_string());
    }
    values.insert("github.action_path".into(), root().display().to_string());
    let work = t.dir.path().join("runner");
    std::fs::create_dir_all(&work).unwrap();
    let stub = stub_cargo(&work);
    let summary = work.join("step-summary.md");
    let github_path = work.join("github-path");
    std::fs::write(&github_path, "").unwrap();
    let mut run = ActionRun {
        statuses: Vec::new(),
        stdout: String::new(),
        uploaded: None,
    };
    for (n, step) in action["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .enumerate()
    {
        let name = step["name"].as_str().unwrap().to_string();
        if let Some(uses) = step["uses"].as_str() {
            assert!(
                uses.starts_with("github/codeql-action/upload-sarif@"),
                "{uses}"
            );
            let cond = step["if"].as_str().unwrap();
            let would_run = values["inputs.upload-sarif"] == "true"
                && values
                    .get("steps.gate.outputs.exit-code")
                    .is_some_and(|c| !c.is_empty());
            assert!(
                cond.contains("always()"),
                "the upload runs when the gate fails"
            );
            if would_run {
                let file = expand(step["with"]["sarif_file"].as_str().unwrap(), &values);
                run.uploaded = Some(t.root.join(file));
            }
            continue;
        }
        let script = step["run"].as_str().unwrap();
        assert_eq!(step["shell"], "bash", "{name}");
        let output = work.join(format!("output-{n}"));
        let dir = match step["working-directory"].as_str() {
            Some(d) => t.root.join(expand(d, &values)),
            None => t.root.clone(),
        };
        // Earlier steps' GITHUB_PATH entries come first, as the runner puts them.
        let mut p: Vec<String> = std::fs::read_to_string(&github_path)
            .unwrap()
            .lines()
            .rev()
            .map(str::to_string)
            .collect();
        p.push(path(&stub, installed));
        let mut cmd = std::process::Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(dir)
            .env_clear()
            .env("PATH", p.join(":"))
            .env("HOME", &t.home)
            .env("TZ", "UTC")
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_PATH", &github_path)
            .env("GITHUB_STEP_SUMMARY", &summary);
        if let Some(env) = step["env"].as_mapping() {
            for (k, v) in env {
                cmd.env(k.as_str().unwrap(), expand(v.as_str().unwrap(), &values));
            }
        }
        let out = cmd.output().unwrap();
        let code = out.status.code().unwrap();
        run.stdout.push_str(&String::from_utf8_lossy(&out.stdout));
        assert!(
            code == 0 || name == "Verdict",
            "step {name} failed ({code}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(id) = step["id"].as_str() {
            for (k, v) in outputs(&output) {
                values.insert(format!("steps.{id}.outputs.{k}"), v);
            }
        }
        run.statuses.push((name, code));
    }
    run
}

#[test]
fn the_github_action_installs_runs_uploads_and_summarises() {
    for (clean, installed, verdict) in [(true, true, 0), (false, false, 1)] {
        let t = fixture(clean);
        let run = run_action(&t, installed, &[]);
        let names: Vec<&str> = run.statuses.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Install shipgate", "Release gate", "Verdict"]);
        assert_eq!(run.statuses[2].1, verdict, "{}", run.stdout);
        // Installed through cargo from the action's own source when missing.
        let log = t.dir.path().join("runner/cargo.log");
        if installed {
            assert!(!log.exists());
        } else {
            let args = std::fs::read_to_string(&log).unwrap();
            assert!(
                args.contains("install --locked --path") && args.contains(root().to_str().unwrap()),
                "{args}"
            );
        }
        let sarif = run.uploaded.expect("the SARIF report is uploaded");
        let sarif: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(sarif).unwrap()).unwrap();
        assert_eq!(sarif["version"], "2.1.0");
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.is_empty(), clean);
        roxmltree::Document::parse(
            &std::fs::read_to_string(t.root.join("shipgate-junit.xml")).unwrap(),
        )
        .unwrap();
        let summary = std::fs::read_to_string(t.dir.path().join("runner/step-summary.md")).unwrap();
        assert!(summary.contains("## shipgate: gate"), "{summary}");
        if !clean {
            assert!(
                run.stdout.contains("::error file=src/a.py,line=1"),
                "{}",
                run.stdout
            );
        }
    }
}

#[test]
fn the_github_action_takes_its_inputs() {
    let t = fixture(false);
    std::fs::create_dir_all(t.path("out")).unwrap();
    let run = run_action(
        &t,
        true,
        &[
            ("args", "--skip static-paths"),
            ("sarif", "out/gate.sarif"),
            ("junit", ""),
            ("upload-sarif", "false"),
        ],
    );
    assert_eq!(run.statuses.last().unwrap().1, 0, "{}", run.stdout);
    assert!(run.uploaded.is_none());
    assert!(t.path("out/gate.sarif").is_file());
    assert!(!t.path("shipgate-junit.xml").exists());
}

/// The job's variables (its own over its template's) and its script, as GitLab resolves
/// `extends`.
fn gitlab_job(name: &str) -> (BTreeMap<String, String>, String) {
    let doc: yaml_serde::Value = yaml_serde::from_str(
        &std::fs::read_to_string(root().join("templates/shipgate.gitlab-ci.yml")).unwrap(),
    )
    .unwrap();
    let job = &doc[name];
    let base = &doc[job["extends"].as_str().unwrap_or(name)];
    let mut vars = BTreeMap::new();
    for j in [base, job] {
        if let Some(v) = j["variables"].as_mapping() {
            for (k, v) in v {
                vars.insert(
                    k.as_str().unwrap().to_string(),
                    v.as_str().unwrap().to_string(),
                );
            }
        }
    }
    let script = if job["script"].is_sequence() {
        job
    } else {
        base
    }["script"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let reports = &base["artifacts"]["reports"];
    assert_eq!(reports["codequality"], "gl-code-quality-report.json");
    assert_eq!(reports["junit"], "shipgate-junit.xml");
    assert_eq!(base["artifacts"]["when"], "always");
    (vars, script)
}

#[test]
fn the_gitlab_template_writes_the_code_quality_report() {
    let (vars, script) = gitlab_job("shipgate");
    assert_eq!(vars["GIT_DEPTH"], "0");
    for (clean, installed, status) in [(true, true, 0), (false, false, 1)] {
        let t = fixture(clean);
        let work = t.dir.path().join("runner");
        std::fs::create_dir_all(&work).unwrap();
        let stub = stub_cargo(&work);
        let cargo_home = t.home.join(".cargo");
        let out = std::process::Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
            .current_dir(&t.root)
            .env_clear()
            .envs(&vars)
            .env("PATH", path(&stub, installed))
            .env("HOME", &t.home)
            .env("CARGO_HOME", &cargo_home)
            .env("TZ", "UTC")
            .env("CI", "true")
            .env("GITLAB_CI", "true")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(status),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let log = work.join("cargo.log");
        assert_eq!(log.exists(), !installed);
        if !installed {
            assert!(std::fs::read_to_string(&log)
                .unwrap()
                .contains("install --locked shipgate"));
        }
        let cq: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(t.path("gl-code-quality-report.json")).unwrap(),
        )
        .unwrap();
        let issues = cq.as_array().unwrap();
        assert_eq!(issues.is_empty(), clean, "{cq:#}");
        for i in issues {
            let p = i["location"]["path"].as_str().unwrap();
            assert!(t.path(p).is_file(), "{p}");
        }
        roxmltree::Document::parse(&std::fs::read_to_string(t.path("shipgate-junit.xml")).unwrap())
            .unwrap();
    }
}
