//! Manual items, command checks, `shipgate signoff` (non-interactive flags, the interactive flow
//! through a pseudo-terminal, the git note and the record file), signed records with real keys made
//! by ssh-keygen (and gpg, where it is installed) in the test's temporary directory, and
//! `signoff verify` with every failure: another commit, a changed artifact, an edited or unreadable
//! record, an unknown key, a signer mismatch, self-approval, too few signers, no record, age.

use std::path::{Path, PathBuf};

use crate::util::{check, git, status, write_tar_gz, TestRepo, E};

const WED: &str = "2026-11-18T10:00:00+01:00";
const MANUAL: [&str; 4] = [
    "rollback-plan",
    "staging-verified",
    "migrations-reviewed",
    "monitoring-ready",
];
const DEV: (&str, &str) = ("Dev", "dev@example.com");
const REL: &str = "Rel Eng <rel@example.com>";
const ALICE: &str = "Alice <alice@example.com>";
/// Sign-offs happen at the real time: the fixture's deploy window is turned off.
const ANY_DAY: &str = "checks:\n  friday-deploys: {off: true}\n";

/// An SSH key made by ssh-keygen for one person.
struct Key {
    email: String,
    private: PathBuf,
    /// `ssh-ed25519 AAAA…`
    public: String,
}

fn keygen(t: &TestRepo, email: &str) -> Key {
    let dir = t.home.join(".ssh");
    std::fs::create_dir_all(&dir).unwrap();
    let private = dir.join(email.replace(['@', '.'], "_"));
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", email, "-f"])
        .arg(&private)
        .output()
        .expect("ssh-keygen (OpenSSH) is installed");
    assert!(out.status.success(), "{out:?}");
    let public = std::fs::read_to_string(private.with_extension("pub")).unwrap();
    let public = public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    Key {
        email: email.into(),
        private,
        public,
    }
}

/// Signs with `key` from now on: git's gpg.format and user.signingKey in the test repository.
fn use_key(t: &TestRepo, key: &Key) {
    git(&t.home, &t.root, &["config", "gpg.format", "ssh"]);
    git(
        &t.home,
        &t.root,
        &["config", "user.signingKey", key.private.to_str().unwrap()],
    );
}

/// An allowed-signers line for each (principal, key).
fn allowed_lines(entries: &[(&str, &Key)]) -> String {
    entries
        .iter()
        .map(|(who, k)| format!("{who} {}\n", k.public))
        .collect()
}

/// git's gpg.ssh.allowedSignersFile, outside the repository, allowing each key for its email.
fn allow(t: &TestRepo, keys: &[&Key]) -> PathBuf {
    let entries: Vec<(&str, &Key)> = keys.iter().map(|k| (k.email.as_str(), *k)).collect();
    let path = t.home.join("allowed_signers");
    std::fs::write(&path, allowed_lines(&entries)).unwrap();
    git(
        &t.home,
        &t.root,
        &[
            "config",
            "gpg.ssh.allowedSignersFile",
            path.to_str().unwrap(),
        ],
    );
    path
}

/// Makes `t` a repository that passes every automatic release check (any day: `config` is added
/// to `.shipgate.yaml`), one reviewed commit by Dev tagged v1.0.0; returns an artifact of it.
fn releasable_in(t: &TestRepo, config: &str) -> PathBuf {
    // The previous release bounds the range the release stage examines.
    t.commit_as("CHANGELOG", "Release 0.9.0", DEV, DEV);
    t.tag("v0.9.0");
    t.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"1.0.0\"\n",
    )
    .write(
        ".shipgate.yaml",
        format!("settings:\n  timezone: Europe/Berlin\n{config}"),
    );
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
    art
}

fn releasable_with(config: &str) -> (TestRepo, PathBuf) {
    let t = TestRepo::new();
    let art = releasable_in(&t, config);
    (t, art)
}

fn releasable() -> (TestRepo, PathBuf) {
    releasable_with(ANY_DAY)
}

/// A releasable repository where Rel Eng signs with an allowed SSH key.
fn signed_releasable(config: &str) -> (TestRepo, PathBuf, Key) {
    let (t, art) = releasable_with(config);
    let rel = keygen(&t, "rel@example.com");
    use_key(&t, &rel);
    allow(&t, &[&rel]);
    (t, art, rel)
}

fn signoff(t: &TestRepo, extra: &[&str]) -> (i32, String, String) {
    signoff_as(t, REL, extra)
}

fn signoff_as(t: &TestRepo, who: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["signoff", "--as", who];
    args.extend_from_slice(extra);
    t.run(&args)
}

fn head(t: &TestRepo) -> git2::Oid {
    t.repo.head().unwrap().peel_to_commit().unwrap().id()
}

/// The sign-off history in HEAD's note (a JSON array, oldest first), if there is a note.
fn note(t: &TestRepo) -> Option<serde_json::Value> {
    let n = t
        .repo
        .find_note(Some("refs/notes/shipgate"), head(t))
        .ok()?;
    Some(serde_json::from_str(n.message().unwrap()).unwrap())
}

fn write_note(t: &TestRepo, v: &serde_json::Value) {
    let sig = git2::Signature::now("Mallory", "mallory@example.com").unwrap();
    t.repo
        .note(
            &sig,
            &sig,
            Some("refs/notes/shipgate"),
            head(t),
            &serde_json::to_string_pretty(v).unwrap(),
            true,
        )
        .unwrap();
}

fn verify(t: &TestRepo, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["signoff", "verify"];
    args.extend_from_slice(extra);
    t.run(&args)
}

#[test]
fn manual_items_fail_until_confirmed() {
    let (t, _) = releasable();
    let (code, r) = t.json(&["--stage", "release", "--at", WED]);
    assert_eq!(code, 1, "{r:#}");
    for id in MANUAL {
        // The release adds no migration: that item is not asked.
        let expected = if id == "migrations-reviewed" {
            "skip"
        } else {
            "fail"
        };
        assert_eq!(status(&r, id), expected, "{id}");
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
    let (t, _, _) = signed_releasable(ANY_DAY);
    let (code, _, err) = signoff(&t, &["--confirm", "rollback-plan"]);
    assert_eq!(code, 2);
    for id in ["staging-verified", "monitoring-ready"] {
        assert!(err.contains(id), "{err}");
    }
    assert!(!err.contains("rollback-plan"), "confirmed by flag: {err}");
    assert!(!err.contains("migrations-reviewed"), "no migrations: {err}");
    assert!(err.contains("--confirm-all"), "{err}");
}

#[test]
fn signoff_is_at_the_real_time_and_refuses_at() {
    let (t, _, _) = signed_releasable(ANY_DAY);
    let (code, _, err) = signoff(&t, &["--at", WED, "--confirm-all", "ok"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--at is for what-if runs") && err.contains("real time"),
        "{err}"
    );
    assert!(note(&t).is_none(), "nothing recorded");
    let before = jiff::Timestamp::now();
    let (code, out, err) = signoff(&t, &["--confirm-all", "ok"]);
    assert_eq!(code, 0, "{out}{err}");
    let r = &note(&t).unwrap()[0];
    for at in [&r["at"], &r["signatures"][0]["signed_at"]] {
        let at: jiff::Zoned = at.as_str().unwrap().parse().unwrap();
        let skew = (at.timestamp().as_second() - before.as_second()).abs();
        assert!(skew < 120, "the real clock: {at}");
    }
}

#[test]
fn signoff_records_a_signed_git_note_and_a_file_and_run_honours_it() {
    let (t, art, _) = signed_releasable(ANY_DAY);
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
    assert!(out.contains("signed with SSH key"), "{out}");
    assert!(out.contains("git push origin refs/notes/shipgate"), "{out}");
    let history = note(&t).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 1, "{history:#}");
    let from_file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    assert_eq!(history[0], from_file);
    let r = from_file;
    assert_eq!(r["version"], 2);
    assert_eq!(r["commit"], head(&t).to_string());
    assert_eq!(r["signer"], REL);
    assert_eq!(r["stage"], "release");
    assert!(r["at"].as_str().unwrap().ends_with("[Europe/Berlin]"));
    assert_eq!(r["artifacts"][0]["path"], art.to_str().unwrap());
    assert_eq!(r["artifacts"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(r["report_sha256"].as_str().unwrap().len(), 64);
    let sig = &r["signatures"][0];
    assert_eq!(r["signatures"].as_array().unwrap().len(), 1);
    assert_eq!(sig["format"], "ssh");
    assert_eq!(sig["signer"], REL);
    assert!(sig["key"].as_str().unwrap().starts_with("SHA256:"), "{sig}");
    assert!(sig["signature"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN SSH SIGNATURE-----"));
    let confirmations = r["confirmations"].as_array().unwrap();
    assert_eq!(confirmations.len(), 4);
    let by_id = |id: &str| confirmations.iter().find(|c| c["id"] == id).unwrap();
    assert_eq!(by_id("rollback-plan")["comment"], "runbook RB-12");
    // The item about the artifact names the one bound to the sign-off.
    let q = by_id("staging-verified")["question"].as_str().unwrap();
    assert!(
        q.contains("(artifact: ") && q.contains("app-1.0.0.tgz sha256 "),
        "{q}"
    );
    assert!(r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["status"] != "fail"));
    // The work tree is untouched.
    let statuses = t.repo.statuses(None).unwrap();
    assert!(
        statuses.iter().all(|s| s.status().is_wt_new()),
        "only new files"
    );
    // `run` now finds the manual items confirmed by the record.
    let (code, r) = t.json(&["--stage", "release"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "rollback-plan"), "pass");
}

#[test]
fn without_an_artifact_the_signoff_says_none_is_bound() {
    let (t, _, _) = signed_releasable(ANY_DAY);
    let (code, out, _) = signoff(&t, &["--confirm-all", "ok"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("no artifact is bound to this sign-off"),
        "{out}"
    );
    let r = &note(&t).unwrap()[0];
    assert_eq!(r["artifacts"], serde_json::json!([]));
    let staging = r["confirmations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "staging-verified")
        .unwrap();
    assert!(
        staging["question"]
            .as_str()
            .unwrap()
            .ends_with("(no artifact is bound to this sign-off)"),
        "{staging}"
    );
    let (code, out, _) = verify(&t, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("no artifact is bound to this sign-off"),
        "{out}"
    );
}

#[test]
fn a_failing_automatic_check_blocks_the_signoff_unless_overridden() {
    let closed = "checks:\n  friday-deploys:\n    params:\n      deny: [{days: [mon, tue, wed, thu, fri, sat, sun], reason: every day}]\n";
    let (t, _, _) = signed_releasable(closed);
    let (code, out, _) = signoff(&t, &["--confirm-all", "ok"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("sign-off blocked: friday-deploys failed"),
        "{out}"
    );
    assert!(note(&t).is_none(), "nothing recorded");
    let (code, out, _) = signoff(
        &t,
        &[
            "--confirm-all",
            "ok",
            "--override",
            "friday-deploys=hotfix for incident 4211",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let r = &note(&t).unwrap()[0];
    assert_eq!(r["overrides"][0]["id"], "friday-deploys");
    assert_eq!(r["overrides"][0]["reason"], "hotfix for incident 4211");
}

/// `migrations-reviewed` asks only when the release adds a migration, quoting what the automatic
/// checks found; the destructive change they found is accepted with an override that the record
/// keeps.
#[test]
fn the_migrations_item_asks_only_about_a_release_with_migrations() {
    let (t, _, _) = signed_releasable(ANY_DAY);
    t.repo.tag_delete("v1.0.0").unwrap();
    t.write(
        "db/migrations/000002_drop_legacy.up.sql",
        "DROP TABLE legacy_sessions;\n",
    )
    .write("db/migrations/000002_drop_legacy.down.sql", "SELECT 1;\n")
    .force_add("db/migrations/000002_drop_legacy.up.sql")
    .force_add("db/migrations/000002_drop_legacy.down.sql");
    t.commit_as(
        "CHANGELOG.md",
        "Drop legacy sessions\n\nReviewed-by: Alice <alice@example.com>\n",
        DEV,
        DEV,
    );
    t.tag("v1.0.0");
    let (code, r) = t.json(&["--stage", "release"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(status(&r, "migrations-reviewed"), "fail");
    let evidence = check(&r, "migrations-reviewed")["findings"][0]["evidence"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        evidence.contains("000002_drop_legacy.up.sql") && evidence.contains("destructive 1"),
        "{evidence}"
    );
    assert!(evidence.contains("legacy_sessions"), "{evidence}");
    assert_eq!(status(&r, "destructive-migrations"), "fail");

    // Without a terminal the item must be confirmed; the destructive change blocks until accepted.
    let (code, _, err) = signoff(
        &t,
        &[
            "--confirm",
            "rollback-plan",
            "--confirm",
            "staging-verified",
            "--confirm",
            "monitoring-ready",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("migrations-reviewed"), "{err}");
    let (code, out, _) = signoff(&t, &["--confirm-all", "reviewed with the DBA"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("destructive-migrations"), "{out}");
    let (code, out, _) = signoff(
        &t,
        &[
            "--confirm-all",
            "reviewed with the DBA",
            "--override",
            "destructive-migrations=sessions moved to redis in 0.9",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let rec = &note(&t).unwrap()[0];
    assert_eq!(rec["overrides"][0]["id"], "destructive-migrations");
    // At the terminal, the question comes with what the migration checks found.
    let (code, out) = in_pty(
        &t,
        &[
            "signoff",
            "--as",
            REL,
            "--override",
            "destructive-migrations=sessions moved",
        ],
        "y\n\ny\n\ny\n\ny\n\ny\n",
    );
    assert_eq!(code, 0, "{out}");
    let asked = out.find("migrations-reviewed — ").expect("asked");
    assert!(
        out[asked..].contains("> 1 migration(s)") && out[asked..].contains("legacy_sessions"),
        "{out}"
    );
    assert!(rec["confirmations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == "migrations-reviewed"));
}

/// `--at` for verify: `hours` after the newest record was made.
fn after(t: &TestRepo, hours: i64) -> String {
    let h = note(t).unwrap();
    let at: jiff::Zoned = h.as_array().unwrap().last().unwrap()["at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    (at.timestamp() + jiff::SignedDuration::from_hours(hours)).to_string()
}

#[test]
fn verify_accepts_the_signed_release_and_refuses_everything_else() {
    let (t, art, _) = signed_releasable(ANY_DAY);
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
    let two_hours = after(&t, 2);

    let (code, out, err) = verify(&t, &["--artifact", a, "--at", &two_hours]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("sign-off verified") && out.contains(REL) && out.contains("(2h 0m ago)"),
        "{out}"
    );
    assert!(out.contains("signed by Rel Eng <rel@example.com>"), "{out}");
    assert!(out.contains("confirmed rollback-plan"), "{out}");

    // Too old.
    let (code, _, err) = verify(&t, &["--max-age", "1h", "--at", &two_hours]);
    assert_eq!(code, 1);
    assert!(err.contains("older than --max-age"), "{err}");

    // A changed artifact.
    write_tar_gz(&art, &[E::File("package/index.js", b"console.log(2)")]);
    let (code, _, err) = verify(&t, &["--artifact", a]);
    assert_eq!(code, 1);
    assert!(err.contains("changed since the sign-off"), "{err}");

    // A tampered record: a status edited by hand.
    let text = std::fs::read_to_string(&record).unwrap();
    let tampered = text.replacen("\"status\": \"pass\"", "\"status\": \"skip\"", 1);
    std::fs::write(&record, &tampered).unwrap();
    let (code, _, err) = verify(&t, &["--record", record.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("differ from its report") || err.contains("changed after"),
        "{err}"
    );
    // ... or inside the embedded report.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["report"]["verdict"] = "pass-ish".into();
    std::fs::write(&record, v.to_string()).unwrap();
    let (code, _, err) = verify(&t, &["--record", record.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("sha256 does not match"), "{err}");
    std::fs::write(&record, "{ not json").unwrap();
    let (code, _, err) = verify(&t, &["--record", record.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("not a readable sign-off record"), "{err}");

    // A record for another commit.
    t.commit_as("x", "Later change\n\nReviewed-by: A <a@x>", DEV, DEV);
    let missing = t.dir.path().join("missing.json");
    let (code, _, err) = verify(&t, &["--record", missing.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    std::fs::write(&record, &text).unwrap();
    let (code, _, err) = verify(&t, &["--record", record.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("the record is for commit"), "{err}");
    // No record at all for the new HEAD: exit 2, and how to fetch notes.
    let (code, _, err) = verify(&t, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("git fetch origin refs/notes/shipgate:refs/notes/shipgate"),
        "{err}"
    );
}

/// Recomputes `report_sha256` after the report was edited, as a forger would.
fn rehash(r: &mut serde_json::Value) {
    use sha2::Digest;
    let bytes = shipgate::signoff::canonical(&r["report"]);
    let hex: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    r["report_sha256"] = hex.into();
}

#[test]
fn an_edited_and_rehashed_record_does_not_verify() {
    let (t, _, _) = signed_releasable(ANY_DAY);
    let (code, out, _) = signoff(&t, &["--confirm-all", "ok"]);
    assert_eq!(code, 0, "{out}");
    let signed = note(&t).unwrap();
    let (code, _, _) = verify(&t, &[]);
    assert_eq!(code, 0);

    // A check that was skipped now says it passed, in the record and its report, re-hashed: the
    // record's own integrity holds, its signature does not.
    let mut h = signed.clone();
    let r = &mut h[0];
    let i = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["status"] == "skip")
        .unwrap();
    r["checks"][i]["status"] = "pass".into();
    r["report"]["checks"][i]["status"] = "pass".into();
    rehash(r);
    write_note(&t, &h);
    let (code, _, err) = verify(&t, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("NOT verified: the record was edited after it was signed"),
        "{err}"
    );
    // `run` does not take confirmations from it either.
    let (_, r) = t.json(&["--stage", "release"]);
    assert_eq!(status(&r, "rollback-plan"), "fail");

    // A confirmation's comment, and the signer.
    for edit in [
        ("/confirmations/0/comment", "nobody asked"),
        ("/signer", "Boss <boss@example.com>"),
    ] {
        let mut h = signed.clone();
        *h[0].pointer_mut(edit.0).unwrap() = edit.1.into();
        if edit.0 == "/signer" {
            h[0]["signatures"][0]["signer"] = edit.1.into();
        }
        write_note(&t, &h);
        let (code, _, err) = verify(&t, &[]);
        assert_eq!(code, 1, "{edit:?}: {err}");
        assert!(
            err.contains("edited after it was signed"),
            "{edit:?}: {err}"
        );
    }
    // The signature's time (signed with the record).
    let mut h = signed.clone();
    h[0]["signatures"][0]["signed_at"] = "2026-01-01T00:00:00+01:00[Europe/Berlin]".into();
    write_note(&t, &h);
    let (code, _, err) = verify(&t, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("edited after it was signed"), "{err}");
    // The signature removed: an unsigned record.
    let mut h = signed;
    h[0]["signatures"] = serde_json::json!([]);
    write_note(&t, &h);
    let (code, _, err) = verify(&t, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("the record is not signed"), "{err}");
}

#[test]
fn a_key_that_is_not_allowed_does_not_verify() {
    let (t, _) = releasable();
    let rel = keygen(&t, "rel@example.com");
    let alice = keygen(&t, "alice@example.com");
    use_key(&t, &rel);
    // Signing checks the new signature against the allowed signers, when there are any.
    allow(&t, &[&alice]);
    let (code, out, _) = signoff(&t, &["--confirm-all", "ok"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("your signature would not verify: unknown key")
            && out.contains("is not in the allowed-signers file"),
        "{out}"
    );
    assert!(note(&t).is_none());
    // Signed where no allowed-signers file is configured, and verified where one is.
    git(
        &t.home,
        &t.root,
        &["config", "--unset", "gpg.ssh.allowedSignersFile"],
    );
    let (code, out, _) = signoff(&t, &["--confirm-all", "ok"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no allowed-signers file here"), "{out}");
    let (code, _, err) = verify(&t, &[]);
    assert_eq!(code, 2, "nothing to verify against: {err}");
    assert!(
        err.contains("signoff: {allowed-signers:") && err.contains("gpg.ssh.allowedSignersFile"),
        "{err}"
    );
    allow(&t, &[&alice]);
    let (code, _, err) = verify(&t, &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("NOT verified: unknown key: key SHA256:"),
        "{err}"
    );
}

#[test]
fn a_signer_mismatch_does_not_verify() {
    let (t, _, rel) = signed_releasable(ANY_DAY);
    // Rel's key claimed for Alice.
    let (code, out, _) = signoff_as(&t, ALICE, &["--confirm-all", "ok"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("signer mismatch: the record says Alice <alice@example.com> signed, but key"),
        "{out}"
    );
    assert!(note(&t).is_none());
    // Signed as Rel; the allowed signers give that key to someone else.
    let (code, out, _) = signoff(&t, &["--confirm-all", "ok"]);
    assert_eq!(code, 0, "{out}");
    let path = t.home.join("allowed_signers");
    std::fs::write(&path, allowed_lines(&[("boss@example.com", &rel)])).unwrap();
    let (code, _, err) = verify(&t, &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("NOT verified: signer mismatch") && err.contains("boss@example.com"),
        "{err}"
    );
}

#[test]
fn the_allowed_signers_file_can_be_committed_and_named_in_the_configuration() {
    let t = TestRepo::new();
    let rel = keygen(&t, "rel@example.com");
    t.write(
        ".shipgate/allowed_signers",
        allowed_lines(&[("rel@example.com", &rel)]),
    );
    releasable_in(
        &t,
        &format!("{ANY_DAY}signoff:\n  allowed-signers: .shipgate/allowed_signers\n"),
    );
    use_key(&t, &rel);
    let (code, out, _) = signoff(&t, &["--confirm-all", "ok"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, err) = verify(&t, &[]);
    assert_eq!(code, 0, "{out}{err}");
    // The configuration's file wins over git's: a file without Rel's key refuses.
    let other = keygen(&t, "other@example.com");
    allow(&t, &[&rel]);
    t.write(
        ".shipgate/allowed_signers",
        allowed_lines(&[("other@example.com", &other)]),
    );
    let (code, _, err) = verify(&t, &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("unknown key") && err.contains(".shipgate/allowed_signers"),
        "{err}"
    );
}

#[test]
fn four_eyes_the_author_of_the_release_does_not_sign_it_off() {
    let (t, _) = releasable();
    let dev = keygen(&t, "dev@example.com");
    use_key(&t, &dev);
    allow(&t, &[&dev]);
    let (code, out, _) = signoff_as(&t, "Dev <dev@example.com>", &["--confirm-all", "ok"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "sign-off refused: four eyes: Dev <dev@example.com> authored and committed commit"
        ) && out.contains("\"Release 1.0.0\"")
            && out.contains("four-eyes: false"),
        "{out}"
    );
    assert!(note(&t).is_none());

    // Turned off, Dev may sign; turned on again, verify refuses what Dev signed.
    let yaml = t.path(".shipgate.yaml");
    let original = std::fs::read_to_string(&yaml).unwrap();
    t.write(
        ".shipgate.yaml",
        format!("{original}signoff:\n  four-eyes: false\n"),
    );
    git(
        &t.home,
        &t.root,
        &["update-index", "--assume-unchanged", ".shipgate.yaml"],
    );
    let (code, out, _) = signoff_as(&t, "Dev <dev@example.com>", &["--confirm-all", "ok"]);
    assert_eq!(code, 0, "{out}");
    let (code, _, _) = verify(&t, &[]);
    assert_eq!(code, 0);
    t.write(".shipgate.yaml", original);
    let (code, _, err) = verify(&t, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("NOT verified: four eyes: Dev"), "{err}");

    // The range is the release's: a commit Rel made after the previous release counts too.
    let (t, _) = releasable();
    t.tag("v0.9.5");
    t.commit_as(
        "CHANGELOG.md",
        "Changelog\n\nReviewed-by: Alice <alice@example.com>\n",
        ("Rel Eng", "rel@example.com"),
        DEV,
    );
    t.repo.tag_delete("v1.0.0").unwrap();
    t.tag("v1.0.0");
    let rel = keygen(&t, "rel@example.com");
    use_key(&t, &rel);
    allow(&t, &[&rel]);
    let (code, out, _) = signoff(&t, &["--confirm-all", "ok"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("four eyes: Rel Eng <rel@example.com> authored commit")
            && out.contains("v0.9.5..HEAD"),
        "{out}"
    );
}

#[test]
fn two_signers_required_the_first_signoff_is_incomplete_and_the_second_completes_it() {
    let (t, art) = releasable_with(&format!("{ANY_DAY}signoff:\n  required-signers: 2\n"));
    let rel = keygen(&t, "rel@example.com");
    let alice = keygen(&t, "alice@example.com");
    allow(&t, &[&rel, &alice]);
    let a = art.to_str().unwrap();
    use_key(&t, &rel);
    let (code, out, _) = signoff(&t, &["--confirm-all", "ok", "--artifact", a]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("1 of 2 required signers: the sign-off is incomplete"),
        "{out}"
    );
    let (code, _, err) = verify(&t, &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("NOT verified: incomplete: 1 of 2 required signers"),
        "{err}"
    );
    // The same person twice is still one signer.
    let (code, out, _) = signoff(&t, &["--confirm-all", "ok", "--artifact", a]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("you (Rel Eng <rel@example.com>) already signed"),
        "{out}"
    );

    use_key(&t, &alice);
    let (code, out, _) = signoff_as(&t, ALICE, &["--confirm-all", "seen it", "--artifact", a]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("co-signed the sign-off of")
            && out.contains("by Rel Eng <rel@example.com>")
            && out.contains("2 of 2 required signers: the sign-off is complete"),
        "{out}"
    );
    let h = note(&t).unwrap();
    assert_eq!(h.as_array().unwrap().len(), 1, "one record: {h:#}");
    let sigs = h[0]["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 2);
    assert_eq!(sigs[0]["signer"], REL);
    assert_eq!(sigs[1]["signer"], ALICE);
    assert_ne!(sigs[0]["key"], sigs[1]["key"]);
    let (code, out, err) = verify(&t, &["--artifact", a]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("signed by Rel Eng <rel@example.com>")
            && out.contains("signed by Alice <alice@example.com>"),
        "{out}"
    );

    // A different release of the same commit (another artifact) is a new sign-off, not a second
    // signature on the first.
    let other = t.dir.path().join("app-1.0.0-rebuilt.tgz");
    write_tar_gz(&other, &[E::File("package/index.js", b"console.log(3)")]);
    use_key(&t, &rel);
    let (code, out, _) = signoff(&t, &["--confirm-all", "ok", "--artifact", a]);
    assert_eq!(code, 0, "a complete record is not co-signed again: {out}");
    use_key(&t, &alice);
    let (code, out, _) = signoff_as(
        &t,
        ALICE,
        &["--confirm-all", "ok", "--artifact", other.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 of 2 required signers"), "{out}");
    assert_eq!(note(&t).unwrap().as_array().unwrap().len(), 3);
}

#[test]
fn a_new_signoff_adds_to_the_history_and_verify_shows_it() {
    let (t, art, _) = signed_releasable(ANY_DAY);
    let a = art.to_str().unwrap();
    let (code, out, _) = signoff(&t, &["--confirm-all", "first", "--artifact", a]);
    assert_eq!(code, 0, "{out}");
    let rebuilt = t.dir.path().join("app-1.0.0-2.tgz");
    write_tar_gz(&rebuilt, &[E::File("package/index.js", b"console.log(2)")]);
    let (code, out, _) = signoff(
        &t,
        &[
            "--confirm-all",
            "second",
            "--artifact",
            rebuilt.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    let h = note(&t).unwrap();
    let records = h.as_array().unwrap();
    assert_eq!(records.len(), 2, "the first one is kept: {h:#}");
    assert_eq!(records[0]["artifacts"][0]["path"], a);
    assert_eq!(
        records[1]["artifacts"][0]["path"],
        rebuilt.to_str().unwrap()
    );

    let (code, out, err) = verify(&t, &["--history"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("sign-off history (2 record(s), oldest first):"),
        "{out}"
    );
    let first = out.find("#1 made ").unwrap();
    let second = out.find("#2 made ").unwrap();
    assert!(first < second, "{out}");
    assert!(
        out[first..second].contains("by Rel Eng <rel@example.com>: valid")
            && out[first..second].contains("signed by Rel Eng <rel@example.com> at ")
            && out[first..second].contains("artifact ")
            && out[first..second].contains("app-1.0.0.tgz sha256 "),
        "{out}"
    );
    assert!(out[second..].contains("app-1.0.0-2.tgz sha256 "), "{out}");
    // Verify checks the newest record: the first artifact is no longer the one signed off.
    let (code, _, err) = verify(&t, &["--artifact", a]);
    assert_eq!(code, 1);
    assert!(
        err.contains("was not part of the signed-off release"),
        "{err}"
    );
    // An edited old record shows as such in the history.
    let mut h = h;
    h[0]["confirmations"][0]["comment"] = "edited".into();
    write_note(&t, &h);
    let (code, out, _) = verify(&t, &["--history"]);
    assert_eq!(code, 0, "the newest record is intact");
    assert!(
        out.contains("NOT valid: the record was edited after it was signed"),
        "{out}"
    );
}

#[test]
fn unsigned_records_only_when_the_configuration_allows_them() {
    let (t, _) = releasable();
    let (code, _, err) = signoff(&t, &["--confirm-all", "ok"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no signing key")
            && err.contains("user.signingKey")
            && err.contains("allow-unsigned: true"),
        "{err}"
    );
    assert!(note(&t).is_none(), "nothing recorded");

    let (t, _) = releasable_with(&format!("{ANY_DAY}signoff:\n  allow-unsigned: true\n"));
    let (code, out, _) = signoff(&t, &["--confirm-all", "ok"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("the record is UNSIGNED"), "{out}");
    let h = note(&t).unwrap();
    assert_eq!(h[0]["version"], 2);
    assert_eq!(h[0]["signatures"], serde_json::json!([]));
    let (code, out, _) = verify(&t, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "UNSIGNED: an unsigned record, accepted because signoff.allow-unsigned is set"
        ),
        "{out}"
    );
    // A version-1 record (made before signatures) verifies only with the setting, and says so.
    let mut v1 = h[0].clone();
    v1["version"] = 1.into();
    v1.as_object_mut().unwrap().remove("signatures");
    write_note(&t, &v1);
    let (code, out, _) = verify(&t, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("UNSIGNED: a version-1 record"), "{out}");
    let yaml = t.path(".shipgate.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(
        &yaml,
        text.replace("allow-unsigned: true", "allow-unsigned: false"),
    )
    .unwrap();
    let (code, _, err) = verify(&t, &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("the record is not signed: a version-1 record"),
        "{err}"
    );
    let (_, r) = t.json(&["--stage", "release"]);
    assert_eq!(
        status(&r, "rollback-plan"),
        "fail",
        "not from an unsigned record"
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
    let (t, _, _) = signed_releasable(ANY_DAY);
    // yes + comment for each item (in checklist order: monitoring-ready, rollback-plan,
    // staging-verified; migrations-reviewed is not asked, the release has no migration), then the
    // final sign-off.
    let answers = "yes\n\ny\nrunbook RB-12\ny\n\ny\n";
    let (code, out) = in_pty(&t, &["signoff", "--as", REL], answers);
    assert_eq!(code, 0, "{out}");
    // The automatic part says the manual items are asked below (nobody passed --skip).
    assert!(
        out.contains("a manual item: asked below, after the automatic checks"),
        "{out}"
    );
    assert!(!out.contains("--skip"), "{out}");
    assert!(
        out.contains("rollback-plan — Is there a written, tested way to roll this release back?"),
        "{out}"
    );
    assert!(out.contains("[y]es / [n]o / [s]kip"), "{out}");
    // No --artifact: the item about the artifact says that none is bound.
    let staging = out.find("staging-verified — ").unwrap();
    assert!(
        out[staging..].contains("(no artifact is bound to this sign-off)")
            && out[staging..]
                .contains("No artifact is bound to this sign-off: no --artifact was given"),
        "{out}"
    );
    assert!(
        out.contains("Sign off the release of") && out.contains("signed with SSH key"),
        "{out}"
    );
    let r = &note(&t).unwrap()[0];
    assert_eq!(r["signatures"].as_array().unwrap().len(), 1);
    let c = r["confirmations"].as_array().unwrap();
    assert_eq!(c.len(), 3);
    assert!(c.iter().all(|x| x["how"] == "prompt"));
    assert_eq!(
        c.iter().find(|x| x["id"] == "rollback-plan").unwrap()["comment"],
        "runbook RB-12"
    );
    assert!(c.iter().find(|x| x["id"] == "staging-verified").unwrap()["comment"].is_null());
    let (code, out, err) = verify(&t, &[]);
    assert_eq!(code, 0, "{out}{err}");

    // A "no" fails the sign-off and records nothing new.
    let (t, _, _) = signed_releasable(ANY_DAY);
    let (code, out) = in_pty(&t, &["signoff", "--as", REL], "n\n");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("sign-off refused: monitoring-ready was answered no"),
        "{out}"
    );
    assert!(note(&t).is_none());
}

/// The `script` lines of a CI deploy job, as `bash -e -c` runs them in `dir`; stops at the first
/// failing one and returns its exit status.
fn run_steps(steps: &[String], dir: &Path, home: &Path) -> (i32, String) {
    let bin = assert_cmd::cargo::cargo_bin("shipgate");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    let mut log = String::new();
    for s in steps {
        let out = std::process::Command::new("bash")
            .args(["-e", "-c", s])
            .current_dir(dir)
            .env("PATH", &path)
            .env("HOME", home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .output()
            .unwrap();
        log.push_str(&String::from_utf8_lossy(&out.stdout));
        log.push_str(&String::from_utf8_lossy(&out.stderr));
        let code = out.status.code().unwrap();
        if code != 0 {
            return (code, log);
        }
    }
    (0, log)
}

/// The deploy jobs of examples/ci: fetch the notes, verify the sign-off of the artifact, deploy.
#[test]
fn the_ci_deploy_jobs_verify_the_signoff_before_deploying() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |f: &str| -> yaml_serde::Value {
        yaml_serde::from_str(&std::fs::read_to_string(root.join("examples/ci").join(f)).unwrap())
            .unwrap()
    };
    let gh = read("github-actions.yml");
    let github: Vec<String> = gh["jobs"]["deploy"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str().map(str::to_string))
        .collect();
    let gl = read("gitlab-ci.yml");
    let gitlab: Vec<String> = gl["deploy"]["script"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    for steps in [&github, &gitlab] {
        let joined = steps.join("\n");
        assert!(
            joined.contains("git fetch origin refs/notes/shipgate:refs/notes/shipgate")
                && joined.contains("shipgate signoff verify --artifact dist/app.tgz --max-age 24h"),
            "{joined}"
        );
    }

    // The release manager signs off and pushes the commit, its tag and the notes.
    let t = TestRepo::new();
    let rel = keygen(&t, "rel@example.com");
    t.write(
        ".shipgate/allowed_signers",
        allowed_lines(&[("rel@example.com", &rel)]),
    );
    let art = releasable_in(
        &t,
        &format!("{ANY_DAY}signoff:\n  allowed-signers: .shipgate/allowed_signers\n"),
    );
    use_key(&t, &rel);
    // The build the release manager signs off, as CI will download it (dist/app.tgz).
    std::fs::create_dir_all(t.dir.path().join("dist")).unwrap();
    let art_ = t.dir.path().join("dist/app.tgz");
    std::fs::rename(&art, &art_).unwrap();
    let art = art_;
    let (code, out, _) = signoff(
        &t,
        &["--confirm-all", "ok", "--artifact", art.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}");
    let origin = t.dir.path().join("origin.git");
    git(
        &t.home,
        t.dir.path(),
        &["init", "-q", "--bare", origin.to_str().unwrap()],
    );
    git(
        &t.home,
        &t.root,
        &["remote", "add", "origin", origin.to_str().unwrap()],
    );
    git(
        &t.home,
        &t.root,
        &["push", "-q", "origin", "main", "--tags"],
    );

    for (steps, name) in [(&github, "github"), (&gitlab, "gitlab")] {
        let ci = t.dir.path().join(format!("ci-{name}"));
        let home = t.dir.path().join(format!("ci-home-{name}"));
        std::fs::create_dir_all(&home).unwrap();
        git(
            &home,
            t.dir.path(),
            &[
                "clone",
                "-q",
                origin.to_str().unwrap(),
                ci.to_str().unwrap(),
            ],
        );
        std::fs::create_dir_all(ci.join("dist")).unwrap();
        std::fs::copy(&art, ci.join("dist/app.tgz")).unwrap();
        std::fs::write(
            ci.join("deploy.sh"),
            "#!/bin/sh\necho deployed \"$1\" > deployed.txt\n",
        )
        .unwrap();
        std::fs::set_permissions(
            ci.join("deploy.sh"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        // No notes pushed yet: the fetch fails and nothing is deployed.
        let (code, log) = run_steps(steps, &ci, &home);
        assert_ne!(code, 0, "{name}: {log}");
        assert!(!ci.join("deployed.txt").exists(), "{name}: {log}");
        git(
            &t.home,
            &t.root,
            &["push", "-q", "origin", "refs/notes/shipgate"],
        );
        let (code, log) = run_steps(steps, &ci, &home);
        assert_eq!(code, 0, "{name}: {log}");
        assert!(log.contains("sign-off verified"), "{name}: {log}");
        assert!(ci.join("deployed.txt").exists(), "{name}: {log}");
        // Another build of the artifact is not deployed.
        std::fs::remove_file(ci.join("deployed.txt")).unwrap();
        write_tar_gz(
            &ci.join("dist/app.tgz"),
            &[E::File("package/index.js", b"evil()")],
        );
        let (code, log) = run_steps(steps, &ci, &home);
        assert_eq!(code, 1, "{name}: {log}");
        assert!(log.contains("changed since the sign-off"), "{name}: {log}");
        assert!(!ci.join("deployed.txt").exists(), "{name}: {log}");
        // Delete the notes at origin again for the next job.
        git(
            &t.home,
            &t.root,
            &["push", "-q", "origin", ":refs/notes/shipgate"],
        );
    }
}

/// gpg in the test's own home (`~/.gnupg` under the temporary directory), its agent stopped after.
struct Gpg {
    home: PathBuf,
}

impl Gpg {
    fn run(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("gpg")
            .args(["--batch", "--no-tty"])
            .args(args)
            .env("HOME", &self.home)
            .env_remove("GNUPGHOME")
            .output()
            .unwrap();
        assert!(out.status.success(), "gpg {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = std::process::Command::new("gpgconf")
            .args(["--kill", "all"])
            .env("HOME", &self.home)
            .env_remove("GNUPGHOME")
            .status();
        let empty = self.home.join("empty-gnupg");
        let _ = std::process::Command::new("gpgconf")
            .args(["--kill", "all"])
            .env("GNUPGHOME", &empty)
            .status();
    }
}

#[test]
#[cfg_attr(not(has_gpg), ignore = "needs gpg")]
fn openpgp_signatures_through_gpg() {
    let (t, _) = releasable();
    let g = Gpg {
        home: t.home.clone(),
    };
    std::fs::create_dir_all(t.home.join(".gnupg")).unwrap();
    std::fs::set_permissions(
        t.home.join(".gnupg"),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    g.run(&[
        "--passphrase",
        "",
        "--quick-gen-key",
        REL,
        "ed25519",
        "sign",
        "never",
    ]);
    let listing = g.run(&["--with-colons", "--list-keys", "rel@example.com"]);
    let fpr = listing
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|l| l.trim_matches(':').to_string())
        .unwrap();
    git(&t.home, &t.root, &["config", "gpg.format", "openpgp"]);
    git(&t.home, &t.root, &["config", "user.signingKey", &fpr]);
    let (code, out, err) = signoff(&t, &["--confirm-all", "ok"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("signed with OpenPGP key {fpr}")),
        "{out}"
    );
    let signed = note(&t).unwrap();
    assert_eq!(signed[0]["signatures"][0]["format"], "openpgp");
    assert_eq!(signed[0]["signatures"][0]["key"], fpr.as_str());
    let (code, out, err) = verify(&t, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("(openpgp key "), "{out}");
    // A key not in the verifier's keyring.
    let empty = t.home.join("empty-gnupg");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::set_permissions(&empty, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let out = t
        .cmd()
        .env("GNUPGHOME", &empty)
        .args(["signoff", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown key: OpenPGP key"), "{err}");
    // Signed as someone the key is not.
    let (code, out, _) = signoff_as(&t, ALICE, &["--confirm-all", "ok"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("signer mismatch"), "{out}");
    // Edited after signing.
    let mut h = signed;
    h[0]["confirmations"][0]["comment"] = "edited".into();
    write_note(&t, &h);
    let (code, _, err) = verify(&t, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("edited after it was signed"), "{err}");
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
