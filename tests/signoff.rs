//! Manual items, command checks, `shipgate signoff` (non-interactive flags, the interactive flow
//! through a pseudo-terminal, the git note and the record file), and `signoff verify` with every
//! failure: another commit, a changed artifact, a tampered or unreadable record, no record, age.

use std::path::PathBuf;

use crate::util::{check, status, write_tar_gz, TestRepo, E};

const WED: &str = "2026-11-18T10:00:00+01:00";
const FRI: &str = "2026-11-20T16:00:00+01:00";
const MANUAL: [&str; 4] = [
    "rollback-plan",
    "staging-verified",
    "migrations-reviewed",
    "monitoring-ready",
];
const DEV: (&str, &str) = ("Dev", "dev@example.com");

/// A repository that passes every automatic release check on a Wednesday.
fn releasable() -> (TestRepo, PathBuf) {
    let t = TestRepo::new();
    // The previous release bounds the range the release stage examines.
    t.commit_as("CHANGELOG", "Release 0.9.0", DEV, DEV);
    t.tag("v0.9.0");
    t.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"1.0.0\"\n",
    )
    .write(".shipgate.yaml", "settings:\n  timezone: Europe/Berlin\n");
    let mut index = t.repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    t.commit_as(
        "README.md",
        "Release 1.0.0\n\nReviewed-by: Alice <alice@example.com>\n",
        DEV,
        DEV,
    );
    t.tag("v1.0.0");
    let art = t.dir.path().join("app-1.0.0.tgz");
    write_tar_gz(&art, &[E::File("package/index.js", b"console.log(1)")]);
    (t, art)
}

fn signoff(t: &TestRepo, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["signoff", "--at", WED, "--as", "Rel Eng <rel@example.com>"];
    args.extend_from_slice(extra);
    t.run(&args)
}

#[test]
fn manual_items_fail_until_confirmed() {
    let (t, _) = releasable();
    let (code, r) = t.json(&["--stage", "release", "--at", WED]);
    assert_eq!(code, 1, "{r:#}");
    for id in MANUAL {
        assert_eq!(status(&r, id), "fail", "{id}");
    }
    let msg = check(&r, "rollback-plan")["findings"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        msg.contains("confirm with `shipgate signoff`, or `--confirm rollback-plan="),
        "{msg}"
    );
    let mut args = vec!["--stage", "release", "--at", WED];
    for id in MANUAL {
        args.push("--confirm");
        args.push(id);
    }
    let (code, r) = t.json(&args);
    assert_eq!(code, 0, "{r:#}");
    // Only manual items can be confirmed.
    let (code, _, err) = t.run(&["run", "--confirm", "friday-deploys"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a manual item"), "{err}");
}

#[test]
fn without_a_terminal_signoff_never_waits() {
    let (t, _) = releasable();
    let (code, _, err) = signoff(&t, &["--confirm", "rollback-plan"]);
    assert_eq!(code, 2);
    for id in [
        "staging-verified",
        "migrations-reviewed",
        "monitoring-ready",
    ] {
        assert!(err.contains(id), "{err}");
    }
    assert!(!err.contains("rollback-plan"), "confirmed by flag: {err}");
    assert!(err.contains("--confirm-all"), "{err}");
}

#[test]
fn signoff_records_a_git_note_and_a_file_and_run_honours_it() {
    let (t, art) = releasable();
    let record = t.dir.path().join("record.json");
    let (code, out, err) = signoff(
        &t,
        &[
            "--confirm",
            "rollback-plan=runbook RB-12",
            "--confirm-all",
            "checked in the release meeting",
            "--artifact",
            art.to_str().unwrap(),
            "--record",
            record.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("signed off"), "{out}");
    assert!(out.contains("git push origin refs/notes/shipgate"), "{out}");
    let head = t.repo.head().unwrap().peel_to_commit().unwrap().id();
    let note = t.repo.find_note(Some("refs/notes/shipgate"), head).unwrap();
    let from_note: serde_json::Value = serde_json::from_str(note.message().unwrap()).unwrap();
    let from_file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    assert_eq!(from_note, from_file);
    let r = from_file;
    assert_eq!(r["version"], 1);
    assert_eq!(r["commit"], head.to_string());
    assert_eq!(r["signer"], "Rel Eng <rel@example.com>");
    assert_eq!(r["stage"], "release");
    assert!(r["at"].as_str().unwrap().ends_with("[Europe/Berlin]"));
    assert_eq!(r["artifacts"][0]["path"], art.to_str().unwrap());
    assert_eq!(r["artifacts"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(r["report_sha256"].as_str().unwrap().len(), 64);
    let confirmations = r["confirmations"].as_array().unwrap();
    assert_eq!(confirmations.len(), 4);
    assert_eq!(
        confirmations
            .iter()
            .find(|c| c["id"] == "rollback-plan")
            .unwrap()["comment"],
        "runbook RB-12"
    );
    assert!(r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["status"] != "fail"));
    assert_eq!(
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "monitoring-ready")
            .unwrap()["status"],
        "pass"
    );
    // The work tree is untouched.
    let statuses = t.repo.statuses(None).unwrap();
    assert!(
        statuses
            .iter()
            .all(|s| s.path() == Some("app-1.0.0.tgz") || s.status().is_wt_new()),
        "only new files"
    );
    // `run` now finds the manual items confirmed by the record.
    let (code, r) = t.json(&["--stage", "release", "--at", WED]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "rollback-plan"), "pass");
}

#[test]
fn a_failing_automatic_check_blocks_the_signoff_unless_overridden() {
    let (t, _) = releasable();
    let (code, out, _) = t.run(&[
        "signoff",
        "--at",
        FRI,
        "--as",
        "R <r@x>",
        "--confirm-all",
        "ok",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("sign-off blocked: friday-deploys failed"),
        "{out}"
    );
    let head = t.repo.head().unwrap().peel_to_commit().unwrap().id();
    assert!(
        t.repo.find_note(Some("refs/notes/shipgate"), head).is_err(),
        "nothing recorded"
    );
    let (code, out, _) = t.run(&[
        "signoff",
        "--at",
        FRI,
        "--as",
        "R <r@x>",
        "--confirm-all",
        "ok",
        "--override",
        "friday-deploys=hotfix for incident 4211",
    ]);
    assert_eq!(code, 0, "{out}");
    let note = t.repo.find_note(Some("refs/notes/shipgate"), head).unwrap();
    let r: serde_json::Value = serde_json::from_str(note.message().unwrap()).unwrap();
    assert_eq!(r["overrides"][0]["id"], "friday-deploys");
    assert_eq!(r["overrides"][0]["reason"], "hotfix for incident 4211");
}

#[test]
fn verify_accepts_the_signed_release_and_refuses_everything_else() {
    let (t, art) = releasable();
    let record = t.dir.path().join("record.json");
    let (code, out, _) = signoff(
        &t,
        &[
            "--confirm-all",
            "ok",
            "--artifact",
            art.to_str().unwrap(),
            "--record",
            record.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    let a = art.to_str().unwrap();

    let (code, out, err) = t.run(&[
        "signoff",
        "verify",
        "--artifact",
        a,
        "--at",
        "2026-11-18T12:00:00+01:00",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("sign-off verified")
            && out.contains("Rel Eng <rel@example.com>")
            && out.contains("(2h 0m ago)"),
        "{out}"
    );
    assert!(out.contains("confirmed rollback-plan"), "{out}");

    // Too old.
    let (code, _, err) = t.run(&[
        "signoff",
        "verify",
        "--max-age",
        "1h",
        "--at",
        "2026-11-18T12:00:00+01:00",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("older than --max-age"), "{err}");

    // A changed artifact.
    write_tar_gz(&art, &[E::File("package/index.js", b"console.log(2)")]);
    let (code, _, err) = t.run(&["signoff", "verify", "--artifact", a]);
    assert_eq!(code, 1);
    assert!(err.contains("changed since the sign-off"), "{err}");

    // A tampered record: a status edited by hand.
    let text = std::fs::read_to_string(&record).unwrap();
    let tampered = text.replacen("\"status\": \"pass\"", "\"status\": \"skip\"", 1);
    std::fs::write(&record, &tampered).unwrap();
    let (code, _, err) = t.run(&["signoff", "verify", "--record", record.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("differ from its report") || err.contains("changed after"),
        "{err}"
    );
    // ... or inside the embedded report.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["report"]["verdict"] = "pass-ish".into();
    std::fs::write(&record, v.to_string()).unwrap();
    let (code, _, err) = t.run(&["signoff", "verify", "--record", record.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("sha256 does not match"), "{err}");
    std::fs::write(&record, "{ not json").unwrap();
    let (code, _, err) = t.run(&["signoff", "verify", "--record", record.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("not a readable sign-off record"), "{err}");

    // A record for another commit.
    t.commit_as("x", "Later change\n\nReviewed-by: A <a@x>", DEV, DEV);
    let (code, _, err) = t.run(&[
        "signoff",
        "verify",
        "--record",
        t.dir.path().join("missing.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    let old =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&text).unwrap()).unwrap();
    std::fs::write(&record, old).unwrap();
    let (code, _, err) = t.run(&["signoff", "verify", "--record", record.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("the record is for commit"), "{err}");
    // No record at all for the new HEAD: exit 2, and how to fetch notes.
    let (code, _, err) = t.run(&["signoff", "verify"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("git fetch origin refs/notes/shipgate:refs/notes/shipgate"),
        "{err}"
    );
}

/// Runs `shipgate ARGS` under a pseudo-terminal (util-linux `script`), typing `answers`.
fn in_pty(t: &TestRepo, args: &[&str], answers: &str) -> (i32, String) {
    let bin = assert_cmd::cargo::cargo_bin("shipgate");
    let mut cmd = format!("'{}'", bin.display());
    for a in args {
        cmd.push_str(&format!(" '{a}'"));
    }
    let mut child = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .current_dir(&t.root)
        .env("HOME", &t.home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(answers.as_bytes()).unwrap();
        // Keep stdin open until the program has read its answers.
        std::thread::sleep(std::time::Duration::from_millis(1500));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_interactive_flow_through_a_terminal() {
    let (t, _) = releasable();
    // yes + comment for each item (in checklist order: migrations-reviewed, monitoring-ready,
    // rollback-plan, staging-verified), then the final sign-off.
    let answers = "y\nno migrations\nyes\n\ny\nrunbook RB-12\ny\n\ny\n";
    let (code, out) = in_pty(
        &t,
        &["signoff", "--at", WED, "--as", "Rel Eng <rel@example.com>"],
        answers,
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("rollback-plan — Is there a written, tested way to roll this release back?"),
        "{out}"
    );
    assert!(out.contains("[y]es / [n]o / [s]kip"), "{out}");
    assert!(out.contains("Sign off the release of"), "{out}");
    let head = t.repo.head().unwrap().peel_to_commit().unwrap().id();
    let note = t.repo.find_note(Some("refs/notes/shipgate"), head).unwrap();
    let r: serde_json::Value = serde_json::from_str(note.message().unwrap()).unwrap();
    let c = r["confirmations"].as_array().unwrap();
    assert_eq!(c.len(), 4);
    assert!(c.iter().all(|x| x["how"] == "prompt"));
    assert_eq!(
        c.iter().find(|x| x["id"] == "rollback-plan").unwrap()["comment"],
        "runbook RB-12"
    );
    assert!(c.iter().find(|x| x["id"] == "staging-verified").unwrap()["comment"].is_null());

    // A "no" fails the sign-off and records nothing new.
    let (t, _) = releasable();
    let (code, out) = in_pty(&t, &["signoff", "--at", WED, "--as", "R <r@x>"], "n\n");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("sign-off refused: migrations-reviewed was answered no"),
        "{out}"
    );
    let head = t.repo.head().unwrap().peel_to_commit().unwrap().id();
    assert!(t.repo.find_note(Some("refs/notes/shipgate"), head).is_err());
}

#[test]
fn command_checks_pass_fail_time_out_and_redact() {
    let t = TestRepo::new();
    let key = format!("{}{}", "AKIA", "Q2Z7XK4N5M6P3R2S");
    t.write(
        ".shipgate.yaml",
        "builtins: false\nextra-checks: [checks/]\n",
    );
    t.write(
        "checks/ok.yaml",
        "id: ok-cmd\ntitle: t\nseverity: error\ncommand:\n  run: [sh, -c, \"exit 0\"]\n",
    );
    t.write(
        "checks/bad.yaml",
        format!("id: bad-cmd\ntitle: t\nseverity: error\ncommand:\n  run: [sh, -c, \"for i in $(seq 1 50); do echo line $i; done; echo key={key}; echo token=$TOKEN; exit 3\"]\n  env: {{TOKEN: hunter2-secret}}\n  tail: 5\n"),
    );
    t.write("checks/slow.yaml", "id: slow-cmd\ntitle: t\nseverity: error\ncommand:\n  run: [sh, -c, \"sleep 30 & sleep 30\"]\n  timeout: 1s\n");
    t.write("checks/missing.yaml", "id: missing-cmd\ntitle: t\nseverity: error\ncommand:\n  run: [definitely-not-a-program-xyz]\n");
    t.write("README.md", "x");
    t.commit("init");
    let started = std::time::Instant::now();
    let (code, r) = t.json(&[]);
    assert_eq!(code, 2, "{r:#}");
    assert!(
        started.elapsed().as_secs() < 20,
        "the time limit stops the whole process group"
    );
    assert_eq!(status(&r, "ok-cmd"), "pass");
    assert_eq!(status(&r, "bad-cmd"), "fail");
    let f = &check(&r, "bad-cmd")["findings"][0];
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("failed: exit status 3"));
    let tail = f["evidence"].as_str().unwrap();
    assert_eq!(tail.lines().count(), 5, "{tail}");
    assert!(tail.contains("line 50") && !tail.contains("line 45"));
    assert!(tail.contains("key=AKIA…") && !tail.contains(&key), "{tail}");
    assert!(
        tail.contains("token=hunt…") && !tail.contains("hunter2-secret"),
        "{tail}"
    );
    assert_eq!(status(&r, "slow-cmd"), "error");
    assert!(check(&r, "slow-cmd")["reason"]
        .as_str()
        .unwrap()
        .contains("time limit"));
    assert_eq!(status(&r, "missing-cmd"), "error");
    assert!(check(&r, "missing-cmd")["reason"]
        .as_str()
        .unwrap()
        .contains("could not start"));
}
