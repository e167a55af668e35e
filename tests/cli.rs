//! The command line end to end: exit codes, the JSON report's exact shape, `-o`, `list`,
//! `explain`, `validate`, `init`.

use crate::util::{check, status, TestRepo};

fn leaky() -> TestRepo {
    let t = TestRepo::new();
    t.write("src/app.py", "PATH = '/home/alice/app/data'\n")
        .write(
            "package.json",
            "{\"private\": true, \"dependencies\": {\"x\": \"1\"}}\n",
        );
    t.commit("init");
    t
}

#[test]
fn json_report_has_the_version_1_shape() {
    let t = leaky();
    let (code, r) = t.json(&["--at", "2026-11-20T16:05:00+01:00"]);
    assert_eq!(code, 1);
    let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    for k in [
        "version",
        "tool",
        "verdict",
        "stage",
        "at",
        "repo",
        "artifacts",
        "checks",
        "summary",
    ] {
        assert!(keys.contains(&k), "missing {k}: {keys:?}");
    }
    assert_eq!(r["version"], 1);
    assert_eq!(r["tool"]["name"], "shipgate");
    assert_eq!(r["verdict"], "fail");
    assert_eq!(r["stage"], "ci");
    assert_eq!(r["at"], "2026-11-20T15:05:00+00:00[UTC]");
    assert_eq!(r["repo"]["branch"], "main");
    assert_eq!(r["repo"]["head"].as_str().unwrap().len(), 40);
    assert_eq!(r["repo"]["root"], ".");
    let c = check(&r, "static-paths");
    assert_eq!(c["kind"], "repo-content");
    assert_eq!(c["severity"], "error");
    assert_eq!(c["status"], "fail");
    assert!(c["duration_ms"].is_u64());
    assert!(c["override"].is_null());
    let f = &c["findings"][0];
    assert_eq!(
        f,
        &serde_json::json!({
            "message": "hard-coded path to a developer's machine: /home/alice/",
            "location": {"input": "repo", "path": "src/app.py", "line": 1, "column": 9},
            "evidence": "PATH = '/home/alice/app/data'"
        })
    );
    assert_eq!(status_counts(&r), (1, 1));
    let s = &r["summary"];
    for k in ["pass", "fail", "warn", "skip", "error", "overridden"] {
        assert!(s[k].is_u64(), "summary.{k}");
    }

    // The whole report, with run-specific values filtered, is snapshotted so a change of shape
    // shows up in review.
    let mut r = r;
    r["repo"]["head"] = "[SHA]".into();
    for c in r["checks"].as_array_mut().unwrap() {
        c["duration_ms"] = 0.into();
    }
    r["tool"]["version"] = "[VERSION]".into();
    insta::assert_json_snapshot!("json_report_v1", r);
}

fn status_counts(r: &serde_json::Value) -> (u64, u64) {
    (
        r["summary"]["fail"].as_u64().unwrap(),
        r["summary"]["warn"].as_u64().unwrap(),
    )
}

#[test]
fn exit_codes_pass_fail_and_undecided() {
    let t = TestRepo::new();
    t.write("a.txt", "fine\n");
    t.commit("init");
    assert_eq!(t.run(&["run"]).0, 0);

    let t = leaky();
    assert_eq!(t.run(&["run"]).0, 1);

    t.write(".shipgate.yaml", "settings:\n  timezon: UTC\n");
    let (code, _, err) = t.run(&["run"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(".shipgate.yaml:2:3"), "{err}");
    assert!(err.contains("did you mean `timezone`?"), "{err}");

    // A usage error is 2 as well.
    assert_eq!(t.run(&["run", "--stage", "prod"]).0, 2);
}

/// Issue 16: `--only a,b` and `--skip a,b` take comma lists, and are still repeatable; an unknown
/// id inside a list is still an error with the nearest id.
#[test]
fn only_and_skip_take_comma_lists() {
    let t = leaky();
    let (code, r) = t.json(&[
        "--only",
        "static-paths,lockfile-present",
        "--only",
        "repo-secrets",
    ]);
    assert_eq!(code, 1);
    let ran: Vec<&str> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] != "skip")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ran.len(), 3, "{ran:?}");
    for id in ["static-paths", "lockfile-present", "repo-secrets"] {
        assert!(ran.contains(&id), "{ran:?}");
    }
    let (_, r) = t.json(&["--skip", "static-paths, repo-secrets"]);
    assert_eq!(status(&r, "static-paths"), "skip");
    assert_eq!(status(&r, "repo-secrets"), "skip");
    let (code, _, err) = t.run(&["run", "--only", "static-paths,repo-secret"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `repo-secrets`?"), "{err}");
    let (code, _, err) = t.run(&["run", "--skip", "static-path,repo-secrets"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `static-paths`?"), "{err}");
}

#[test]
fn output_file_is_written_atomically_and_replaces_the_old_one() {
    let t = leaky();
    let out = t.dir.path().join("report.json");
    std::fs::write(&out, "old").unwrap();
    let (code, stdout, stderr) = t.run(&["run", "-f", "json", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("report written to"), "{stderr}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(r["verdict"], "fail");
    // No temp file is left beside it.
    let leftovers: Vec<_> = std::fs::read_dir(t.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".shipgate-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn human_report_shows_findings_help_and_summary() {
    let t = leaky();
    let (code, out, _) = t.run(&["run"]);
    assert_eq!(code, 1);
    assert!(out.contains("FAIL     static-paths"), "{out}");
    assert!(out.contains("src/app.py:1:9  hard-coded path"), "{out}");
    assert!(out.contains("help: Derive the path at run time"), "{out}");
    assert!(out.contains("WARN     lockfile-present"), "{out}");
    assert!(
        out.contains("FAILED  1 failed · 0 errors · 1 warnings"),
        "{out}"
    );
    assert!(!out.contains('\x1b'), "no colour when not a terminal");
    let (_, out, _) = t.run(&["--color", "always", "run"]);
    assert!(out.contains('\x1b'), "--color always forces colour");
}

#[test]
fn list_explain_validate() {
    let t = TestRepo::new();
    let (code, out, _) = t.run(&["list"]);
    assert_eq!(code, 0);
    for id in [
        "static-paths",
        "repo-secrets",
        "lockfile-present",
        "unpinned-base-images",
    ] {
        assert!(out.contains(id), "{out}");
    }
    let (_, out, _) = t.run(&["list", "-f", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let first = &v.as_array().unwrap()[0];
    for k in ["id", "kind", "severity", "stages", "source"] {
        assert!(!first[k].is_null(), "{k}");
    }

    let (code, out, _) = t.run(&["explain", "repo-secrets"]);
    assert_eq!(code, 0);
    assert!(out.contains("Why it matters"), "{out}");
    assert!(out.contains("How to fix"), "{out}");
    assert!(out.contains("aws-access-key-id"), "{out}");

    let (code, _, err) = t.run(&["explain", "repo-secret"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `repo-secrets`?"), "{err}");

    let (code, out, _) = t.run(&["validate"]);
    assert_eq!(code, 0);
    assert!(out.contains("check(s) valid"));
}

#[test]
fn validate_named_files_runs_their_samples() {
    let t = TestRepo::new();
    t.write(
        "checks/todo.yaml",
        "id: no-todo\ntitle: No TODO\nseverity: warning\nsamples:\n  fail: [\"// TODO: x\"]\n  pass: [\"// done\", \"// TODO later\"]\nrepo-content:\n  patterns:\n    - name: todo\n      regex: 'TODO'\n",
    );
    let (code, _, err) = t.run(&["validate", "checks/todo.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("pass sample 2 produced 1 finding"), "{err}");
}

#[test]
fn init_writes_a_starter_config_and_never_overwrites() {
    let t = TestRepo::new();
    t.write(
        "package.json",
        "{\"private\": true, \"dependencies\": {\"x\": \"1\"}}\n",
    );
    let (code, out, _) = t.run(&["init"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("JavaScript"), "{out}");
    let text = std::fs::read_to_string(t.path(".shipgate.yaml")).unwrap();
    assert!(text.contains("npm pack"));
    // What init writes is valid configuration.
    assert_eq!(t.run(&["validate"]).0, 0);
    let (code, _, err) = t.run(&["init"]);
    assert_eq!(code, 2);
    assert!(err.contains("never overwrites"), "{err}");
    assert_eq!(
        std::fs::read_to_string(t.path(".shipgate.yaml")).unwrap(),
        text
    );
}

#[test]
fn works_outside_git_and_on_an_unborn_branch() {
    let t = TestRepo::new();
    t.write("a.txt", "x\n");
    let (code, r) = t.json(&[]);
    assert_eq!(code, 0);
    assert!(r["repo"]["head"].is_null());
    assert_eq!(r["repo"]["branch"], "main");
}

/// The examples in examples/ load and validate as they are, so they never rot.
#[test]
fn examples_validate() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let t = TestRepo::new();
    let out = t
        .cmd()
        .current_dir(root.join("project"))
        .args(["validate", ".shipgate.yaml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = t
        .cmd()
        .current_dir(&root)
        .args(["validate", "checks/no-todo-in-release.yaml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// shipgate's own reports written into the repository are not scanned by the next run (or every
/// finding would be found again inside them); a file that merely mentions shipgate still is.
#[test]
fn reports_written_into_the_repository_are_not_scanned_again() {
    let t = leaky();
    let (_, first) = t.json(&[]);
    let count = |r: &serde_json::Value| {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["findings"].as_array().unwrap().len())
            .sum::<usize>()
    };
    for (format, name) in [
        ("json", "report.json"),
        ("sarif", "shipgate.sarif"),
        ("junit", "junit.xml"),
        ("github", "annotations.txt"),
        ("markdown", "summary.md.txt"),
        ("gitlab", "gl-code-quality.json"),
        ("human", "report.log.txt"),
    ] {
        let (_, _, _) = t.run(&["run", "-f", format, "-o", name]);
    }
    t.write(
        "notes.py",
        "# shipgate reports: see report.json\nP = '/home/bob/data/'\n",
    );
    let (_, again) = t.json(&[]);
    assert_eq!(count(&again), count(&first) + 1, "{again:#}");
    assert_eq!(again["repo"]["scan"]["skipped_reports"], 7);
}

/// `-o` writes into what is there: through a symlink (the link stays, its target gets the
/// report), into a FIFO (a reader gets it) and into a device (it stays a device); a report file
/// it creates gets the umask's mode. With standard output closed, a report meant for it is not
/// lost silently: exit 2.
#[cfg(unix)]
#[test]
fn reports_are_written_through_links_fifos_and_devices_and_never_lost() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let t = TestRepo::new();
    t.write("README.md", "app\n");
    t.commit("init");
    let target = t.dir.path().join("target.json");
    let link = t.dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let (code, _, err) = t.run(&["run", "-f", "json", "-o", link.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(written["version"], 1);
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode & 0o044,
        0o044,
        "readable as the umask allows: {mode:o}"
    );

    let fifo = t.dir.path().join("report.fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let (code, _, err) = t.run(&["run", "-f", "json", "-o", fifo.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(reader.join().unwrap().contains("\"version\": 1"));
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());

    let (code, _, err) = t.run(&["run", "-f", "json", "-o", "/dev/null"]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());

    let bin = assert_cmd::cargo::cargo_bin("shipgate");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" run -f json >&-")
        .arg(&bin)
        .current_dir(&t.root)
        .env("HOME", &t.home)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard output is closed"));
}

/// Report files (`-o` and `--report`) are created as any new file is: 0666 minus the umask, so a
/// later CI step or another container user can read them (tempfile's own default is 0600).
#[cfg(unix)]
#[test]
fn report_files_get_the_mode_the_umask_gives() {
    use std::os::unix::fs::PermissionsExt;
    let t = TestRepo::new();
    t.write("README.md", "app\n");
    t.commit("init");
    let bin = assert_cmd::cargo::cargo_bin("shipgate");
    for (umask, mode) in [
        (0o022, 0o644),
        (0o002, 0o664),
        (0o027, 0o640),
        (0o077, 0o600),
    ] {
        let dir = t.dir.path().join(format!("out-{umask:03o}"));
        std::fs::create_dir_all(&dir).unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask {umask:03o} && exec \"$0\" run -f json -o \"$1/r.json\" --report sarif=\"$1/r.sarif\""
            ))
            .arg(&bin)
            .arg(&dir)
            .current_dir(&t.root)
            .env("HOME", &t.home)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        for f in ["r.json", "r.sarif"] {
            let got = std::fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777;
            assert_eq!(got, mode, "{f} under umask {umask:03o}: {got:o}");
        }
    }
}

/// The bash completion script, sourced by a real bash, completes the repository's check ids
/// (built-in and its own) for `explain`, `--only`, `--skip` and `--override`.
#[test]
fn completions_offer_the_repositorys_check_ids() {
    let t = TestRepo::new();
    t.write("README.md", "app\n");
    t.write(".shipgate.yaml", "extra-checks: [checks/]\n");
    t.write(
        "checks/no-todo.yaml",
        "id: no-todo\ntitle: No TODO left\nseverity: error\nhelp: Do it.\nrepo-content:\n  patterns:\n    - name: todo\n      regex: 'TODO'\n",
    );
    t.commit("init");
    let (code, script, _) = t.run(&["completions", "bash"]);
    assert_eq!(code, 0);
    let bin = assert_cmd::cargo::cargo_bin("shipgate");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    let complete = |words: &[&str]| -> Vec<String> {
        let line = words.join(" ");
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "{script}\nCOMP_WORDS=({line}); COMP_CWORD={}; COMP_TYPE=9\n_clap_complete_shipgate shipgate '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
                words.len() - 1,
                words.last().unwrap()
            ))
            .current_dir(&t.root)
            .env("PATH", &path)
            .env("HOME", &t.home)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    assert_eq!(complete(&["shipgate", "explain", "no-t"]), ["no-todo"]);
    assert_eq!(
        complete(&["shipgate", "run", "--only", "repo-sec"]),
        ["repo-secrets"]
    );
    assert!(complete(&["shipgate", "run", "--skip", "lockfile-"])
        .contains(&"lockfile-present".to_string()));
    assert_eq!(
        complete(&["shipgate", "run", "--override", "friday"]),
        ["friday-deploys="]
    );
    assert!(complete(&["shipgate", "run", "--sta"]).contains(&"--stage".to_string()));
}

/// On a terminal `COLUMNS` wide, the human report's reasons, skip lists and help, and
/// `explain`'s paragraphs, wrap to it under their indent; `run --help` points at the README's
/// JSON report section (there is no DESIGN.md in the repository).
#[test]
fn help_and_skip_lists_wrap_to_the_terminal_with_their_indent() {
    let t = TestRepo::new();
    t.write("README.md", "app\n");
    t.write("src/a.py", format!("P = '/{}/alice/x/'\n", "home"));
    t.commit("init");
    let out = t
        .cmd()
        .args(["run", "--stage", "release"])
        .env("COLUMNS", "60")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let body: Vec<&str> = text
        .lines()
        .skip(1) // the header
        // Evidence (`│ the line`) is shown as it is.
        .filter(|l| (l.starts_with("SKIP") || l.starts_with("         ")) && !l.contains('│'))
        .collect();
    assert!(body.len() > 10, "{text}");
    for l in &body {
        let longest_word = l.split(' ').map(|w| w.chars().count()).max().unwrap_or(0);
        assert!(
            l.chars().count() <= 60 || longest_word > 40,
            "wider than 60: {l:?}\n{text}"
        );
    }
    // A skip list continues under its indent.
    let list = text
        .lines()
        .position(|l| l.starts_with("SKIP") && l.contains(" checks: "))
        .unwrap();
    assert!(text.lines().nth(list + 1).unwrap().starts_with("         "));
    // The help wraps under the text after `help: `.
    let help = text.lines().position(|l| l.contains("help: ")).unwrap();
    let next = text.lines().nth(help + 1).unwrap();
    assert!(
        next.starts_with(&" ".repeat(15)) || !next.starts_with(' '),
        "{text}"
    );

    // Not a terminal and no COLUMNS: lines as they are.
    let (_, wide, _) = t.run(&["run", "--stage", "release"]);
    assert!(wide.lines().any(|l| l.chars().count() > 60));

    let out = t
        .cmd()
        .args(["explain", "friday-deploys"])
        .env("COLUMNS", "50")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for l in text.lines() {
        assert!(l.chars().count() <= 50, "{l:?}\n{text}");
    }
    assert!(text.contains("\n  people who can fix it") || text.contains("\n  A deploy"));

    let (_, help, _) = t.run(&["run", "--help"]);
    assert!(!help.contains("DESIGN.md"), "{help}");
    assert!(help.contains("README's \"JSON report\" section"), "{help}");
}
