//! Manual release sign-off and its record. `shipgate signoff` runs the release stage, shows the
//! automatic results, asks each manual item (or takes `--confirm`), and writes a versioned JSON
//! record: commit, signer, time, stage, artifacts with their sha256, every check's status, every
//! confirmation and override, and the canonical report it was made from with that report's sha256.
//! The record is a git note on the commit under `refs/notes/shipgate` (it travels with
//! `git push origin refs/notes/shipgate` and does not touch the work tree), and optionally a file.
//! `shipgate signoff verify` checks a record against HEAD and the artifacts about to be deployed.

use std::collections::BTreeMap;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::check::Stage;
use crate::cli::{write_atomic, ExitStatus};
use crate::config::Config;
use crate::engine::{self, RunOptions};
use crate::error::Error;
use crate::inputs::git::RepoHandle;
use crate::kinds::Spec;
use crate::report::model::{Report, Status, Verdict};

/// The notes ref records are stored under.
pub const NOTES_REF: &str = "refs/notes/shipgate";
pub const RECORD_KIND: &str = "shipgate-signoff";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    pub version: u32,
    pub kind: String,
    pub commit: String,
    pub signer: String,
    pub at: String,
    pub stage: Stage,
    pub artifacts: Vec<RecordArtifact>,
    pub checks: Vec<RecordCheck>,
    pub confirmations: Vec<Confirmation>,
    pub overrides: Vec<RecordOverride>,
    /// sha256 of the canonical form of `report` (sorted keys, no whitespace).
    pub report_sha256: String,
    pub report: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordArtifact {
    pub path: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordCheck {
    pub id: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Confirmation {
    pub id: String,
    pub question: String,
    /// `prompt` (answered at the terminal) or `flag` (`--confirm`, `--confirm-all`).
    pub how: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordOverride {
    pub id: String,
    pub reason: String,
}

/// JSON with object keys sorted and no whitespace: the same bytes for the same report.
pub fn canonical(v: &Value) -> Vec<u8> {
    fn write(v: &Value, out: &mut Vec<u8>) {
        match v {
            Value::Object(m) => {
                out.push(b'{');
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend(serde_json::to_vec(k).expect("a string serializes"));
                    out.push(b':');
                    write(&m[*k], out);
                }
                out.push(b'}');
            }
            Value::Array(a) => {
                out.push(b'[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(x, out);
                }
                out.push(b']');
            }
            other => out.extend(serde_json::to_vec(other).expect("a scalar serializes")),
        }
    }
    let mut out = Vec::new();
    write(v, &mut out);
    out
}

fn sha256(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Record {
    /// A record of `report`, signed by `signer`.
    pub fn new(report: &Report, signer: &str, confirmations: Vec<Confirmation>) -> Self {
        let value = serde_json::to_value(report).expect("a report serializes");
        Record {
            version: 1,
            kind: RECORD_KIND.into(),
            commit: report.repo.head.clone().unwrap_or_default(),
            signer: signer.to_string(),
            at: report.at.clone(),
            stage: report.stage,
            artifacts: report
                .artifacts
                .iter()
                .map(|a| RecordArtifact {
                    path: a.path.clone(),
                    sha256: a.sha256.clone(),
                })
                .collect(),
            checks: report
                .checks
                .iter()
                .map(|c| RecordCheck {
                    id: c.id.clone(),
                    status: c.status.as_str().into(),
                })
                .collect(),
            confirmations,
            overrides: report
                .checks
                .iter()
                .filter_map(|c| {
                    c.override_.as_ref().map(|o| RecordOverride {
                        id: c.id.clone(),
                        reason: o.reason.clone(),
                    })
                })
                .collect(),
            report_sha256: sha256(&canonical(&value)),
            report: value,
        }
    }

    /// Whether the record agrees with the report it carries (nothing was edited by hand).
    pub fn integrity(&self) -> Result<(), String> {
        if self.kind != RECORD_KIND || self.version != 1 {
            return Err(format!(
                "not a version-1 shipgate sign-off record (kind `{}`, version {})",
                self.kind, self.version
            ));
        }
        if sha256(&canonical(&self.report)) != self.report_sha256 {
            return Err(
                "the record was changed after it was made: the report's sha256 does not match"
                    .into(),
            );
        }
        let r = &self.report;
        if r["repo"]["head"].as_str() != Some(self.commit.as_str()) {
            return Err("the record's commit is not the commit of its report".into());
        }
        // The report's entries carry more fields; only these are compared.
        let checks: Vec<RecordCheck> =
            serde_json::from_value(r["checks"].clone()).unwrap_or_default();
        if checks != self.checks {
            return Err("the record's check statuses differ from its report's".into());
        }
        let arts: Vec<RecordArtifact> =
            serde_json::from_value(r["artifacts"].clone()).unwrap_or_default();
        if arts != self.artifacts {
            return Err("the record's artifacts differ from its report's".into());
        }
        if let Some(bad) = self
            .checks
            .iter()
            .find(|c| c.status == "fail" || c.status == "error")
        {
            return Err(format!(
                "the record holds a failing check ({}: {})",
                bad.id, bad.status
            ));
        }
        Ok(())
    }
}

/// The record stored for `commit`, if any (as text: parsing is the caller's, to report tampering).
pub fn load_note(repo: &git2::Repository, commit: &str) -> Option<String> {
    let oid = git2::Oid::from_str(commit).ok()?;
    let note = repo.find_note(Some(NOTES_REF), oid).ok()?;
    note.message().map(str::to_string)
}

/// The manual checks a valid record for HEAD confirms, with the signer.
pub fn confirmed_by_record(repo: &RepoHandle) -> BTreeMap<String, String> {
    let (Some(git), Some(head)) = (&repo.repo, repo.head()) else {
        return BTreeMap::new();
    };
    let Some(text) = load_note(git, &head) else {
        return BTreeMap::new();
    };
    match serde_json::from_str::<Record>(&text) {
        Ok(r) if r.commit == head && r.integrity().is_ok() => r
            .confirmations
            .iter()
            .map(|c| (c.id.clone(), r.signer.clone()))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// `shipgate signoff`'s options beyond those of `run`.
pub struct SignoffOptions {
    pub run: RunOptions,
    pub confirm_all: Option<String>,
    pub signer: Option<String>,
    pub record: Option<PathBuf>,
    pub color: bool,
}

pub fn signoff(repo: &RepoHandle, config: &Config, o: SignoffOptions) -> Result<ExitStatus, Error> {
    let Some(git) = &repo.repo else {
        return Err(Error::Usage(
            "sign-off needs a git repository: the record is attached to a commit".into(),
        ));
    };
    let Some(head) = repo.head() else {
        return Err(Error::Usage(
            "HEAD has no commits yet: there is nothing to sign off".into(),
        ));
    };
    let signer = match &o.signer {
        Some(s) => s.clone(),
        None => {
            let sig = git.signature().map_err(|_| {
                Error::Usage("who is signing? give --as \"Name <email>\", or set git's user.name and user.email".into())
            })?;
            format!(
                "{} <{}>",
                sig.name().unwrap_or("?"),
                sig.email().unwrap_or("?")
            )
        }
    };
    let manual: Vec<&crate::check::Check> = config
        .checks
        .iter()
        .filter(|c| matches!(c.spec, Spec::Manual(_)) && !c.off && c.runs_in(Stage::Release))
        .collect();
    let mut flags: BTreeMap<String, Option<String>> = o.run.confirms.iter().cloned().collect();
    if let Some(comment) = &o.confirm_all {
        for c in &manual {
            flags
                .entry(c.id.clone())
                .or_insert_with(|| Some(comment.clone()));
        }
    }
    let pending: Vec<&crate::check::Check> = manual
        .iter()
        .copied()
        .filter(|c| !flags.contains_key(&c.id))
        .collect();
    let interactive = io::stdin().is_terminal();
    if !pending.is_empty() && !interactive {
        let ids: Vec<&str> = pending.iter().map(|c| c.id.as_str()).collect();
        return Err(Error::Usage(format!(
            "no terminal to ask on, and these manual items are not confirmed: {}. Confirm each with --confirm ID[=COMMENT], or all with --confirm-all \"comment\"",
            ids.join(", ")
        )));
    }

    // The automatic checks first; the pending manual items are asked after them.
    let mut run = o.run.clone();
    run.stage = Stage::Release;
    run.confirms = flags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    run.use_records = false;
    run.skip.extend(pending.iter().map(|c| c.id.clone()));
    let mut report = engine::run(config, repo, &run)?;
    let mut out = io::stdout().lock();
    let _ = crate::report::write(&report, crate::report::Format::Human, o.color, &mut out);
    let blocking: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Error))
        .map(|c| c.id.as_str())
        .collect();
    if !blocking.is_empty() {
        let _ = writeln!(
            out,
            "\nsign-off blocked: {} failed. Fix them, or accept one with --override ID=\"reason\" (the record keeps it).",
            blocking.join(", ")
        );
        return Ok(crate::cli::exit_status(&report));
    }

    // Ask.
    let mut confirmations: Vec<Confirmation> = Vec::new();
    for c in &manual {
        if let Some(comment) = flags.get(&c.id) {
            confirmations.push(Confirmation {
                id: c.id.clone(),
                question: question(c),
                how: "flag".into(),
                comment: comment.clone(),
            });
        }
    }
    let stdin = io::stdin();
    let mut lines = stdin.lock().lines();
    let mut ask = |out: &mut dyn Write, prompt: &str| -> Result<String, Error> {
        write!(out, "{prompt}")
            .and_then(|_| out.flush())
            .map_err(|e| Error::io("<stdout>", e))?;
        match lines.next() {
            Some(Ok(l)) => Ok(l.trim().to_string()),
            Some(Err(e)) => Err(Error::io("<stdin>", e)),
            None => Err(Error::Usage(
                "input ended before the sign-off was complete".into(),
            )),
        }
    };
    if !pending.is_empty() {
        let _ = writeln!(out, "\nManual items ({}):", pending.len());
    }
    for c in &pending {
        let _ = writeln!(out, "\n{} — {}", c.id, question(c));
        if let Some(g) = guidance(c) {
            for l in g.trim().lines() {
                let _ = writeln!(out, "    {l}");
            }
        }
        let answer = loop {
            let a = ask(&mut out, "  [y]es / [n]o / [s]kip: ")?.to_ascii_lowercase();
            match a.as_str() {
                "y" | "yes" => break 'y',
                "n" | "no" => break 'n',
                "s" | "skip" => break 's',
                _ => {
                    let _ = writeln!(out, "  please answer y, n or s");
                }
            }
        };
        match answer {
            'n' => {
                let _ = writeln!(
                    out,
                    "\nsign-off refused: {} was answered no. Nothing was recorded.",
                    c.id
                );
                return Ok(ExitStatus::Fail);
            }
            's' => {
                let _ = writeln!(out, "\nnot signed off: {} was skipped. Run `shipgate signoff` again when it can be confirmed.", c.id);
                return Ok(ExitStatus::Fail);
            }
            _ => {}
        }
        let comment = ask(&mut out, "  comment (optional): ")?;
        confirmations.push(Confirmation {
            id: c.id.clone(),
            question: question(c),
            how: "prompt".into(),
            comment: (!comment.is_empty()).then_some(comment),
        });
    }
    let short = &head[..12];
    if interactive {
        let a = ask(
            &mut out,
            &format!("\nSign off the release of {short} as {signer}? [y/N] "),
        )?;
        if !matches!(a.to_ascii_lowercase().as_str(), "y" | "yes") {
            let _ = writeln!(out, "not signed off. Nothing was recorded.");
            return Ok(ExitStatus::Fail);
        }
    }

    // The manual items are confirmed: they pass in the report the record is made from.
    for c in report.checks.iter_mut() {
        if confirmations.iter().any(|x| x.id == c.id) {
            c.status = Status::Pass;
            c.reason = None;
            c.findings.clear();
        }
    }
    report.summary = engine::summarize(&report.checks);
    report.verdict = if report.summary.fail + report.summary.error == 0 {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    let record = Record::new(&report, &signer, confirmations);
    let text =
        serde_json::to_string_pretty(&record).map_err(|e| Error::Other(e.to_string()))? + "\n";
    let sig = identity(&signer)
        .or_else(|_| git.signature())
        .map_err(Error::from)?;
    let oid = git2::Oid::from_str(&head).map_err(Error::from)?;
    git.note(&sig, &sig, Some(NOTES_REF), oid, &text, true)?;
    if let Some(path) = &o.record {
        write_atomic(path, text.as_bytes())?;
    }
    let _ = writeln!(
        out,
        "\nsigned off {short} as {signer} at {}: {} confirmation(s), {} override(s).",
        record.at,
        record.confirmations.len(),
        record.overrides.len()
    );
    let _ = writeln!(out, "the record is the git note {NOTES_REF} on {short}; share it with: git push origin {NOTES_REF}");
    if let Some(p) = &o.record {
        let _ = writeln!(out, "and was written to {}", p.display());
    }
    Ok(ExitStatus::Pass)
}

fn question(c: &crate::check::Check) -> String {
    match &c.spec {
        Spec::Manual(p) => p.question.clone(),
        _ => c.title.clone(),
    }
}

fn guidance(c: &crate::check::Check) -> Option<String> {
    match &c.spec {
        Spec::Manual(p) => p.guidance.clone().or_else(|| c.help.clone()),
        _ => c.help.clone(),
    }
}

/// A git signature from `Name <email>`.
fn identity(s: &str) -> Result<git2::Signature<'static>, git2::Error> {
    let (name, email) = match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => (s[..a].trim(), s[a + 1..b].trim()),
        _ => (s.trim(), ""),
    };
    git2::Signature::now(name, email)
}

/// `shipgate signoff verify`.
pub fn verify(
    repo: &RepoHandle,
    record: Option<&Path>,
    artifacts: &[PathBuf],
    max_age: Option<&str>,
    at: Option<jiff::Timestamp>,
    tz: jiff::tz::TimeZone,
) -> Result<ExitStatus, Error> {
    let head = repo.head().ok_or_else(|| {
        Error::Usage("HEAD has no commits yet: there is nothing to verify".into())
    })?;
    let text = match record {
        Some(p) => std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?,
        None => {
            let git = repo
                .repo
                .as_ref()
                .ok_or_else(|| Error::Usage("not a git repository: give --record FILE".into()))?;
            load_note(git, &head).ok_or_else(|| {
                Error::Usage(format!(
                    "no sign-off record for HEAD ({}) in {NOTES_REF}. Fetch the notes first: git fetch origin {NOTES_REF}:{NOTES_REF}",
                    &head[..12]
                ))
            })?
        }
    };
    let fail = |why: String| -> Result<ExitStatus, Error> {
        eprintln!("sign-off NOT verified: {why}");
        Ok(ExitStatus::Fail)
    };
    let rec: Record = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            return fail(format!(
                "the record is not a readable sign-off record ({e}): it was damaged or edited"
            ))
        }
    };
    if let Err(e) = rec.integrity() {
        return fail(e);
    }
    if rec.commit != head {
        return fail(format!(
            "the record is for commit {}, but HEAD is {}",
            &rec.commit[..rec.commit.len().min(12)],
            &head[..12]
        ));
    }
    for a in artifacts {
        let given = a.to_string_lossy().into_owned();
        let name = a
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let recorded = rec.artifacts.iter().find(|r| r.path == given).or_else(|| {
            rec.artifacts.iter().find(|r| {
                Path::new(&r.path).file_name().map(|n| n.to_string_lossy())
                    == Some(name.as_str().into())
            })
        });
        let Some(recorded) = recorded else {
            return fail(format!("{given} was not part of the signed-off release"));
        };
        let actual =
            crate::inputs::artifact::sha256_file(a).map_err(|e| Error::Other(e.to_string()))?;
        if actual != recorded.sha256 {
            return fail(format!(
                "{given} changed since the sign-off: sha256 {} was signed, this file is {}",
                &recorded.sha256[..16],
                &actual[..16]
            ));
        }
    }
    let signed_at: jiff::Timestamp = match rec.at.parse::<jiff::Zoned>() {
        Ok(z) => z.timestamp(),
        Err(e) => return fail(format!("the record's time `{}` is unreadable: {e}", rec.at)),
    };
    let now = at.unwrap_or_else(jiff::Timestamp::now);
    let age = now.as_second() - signed_at.as_second();
    if let Some(max) = max_age {
        let max = crate::kinds::command::parse_duration(max).map_err(Error::Usage)?;
        if age > max.as_secs() as i64 {
            return fail(format!(
                "the sign-off is {} old, older than --max-age {}",
                human_age(age),
                human_age(max.as_secs() as i64)
            ));
        }
    }
    println!(
        "sign-off verified: {} signed off by {} at {} ({} ago)",
        &rec.commit[..12],
        rec.signer,
        signed_at.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z"),
        human_age(age)
    );
    for c in &rec.confirmations {
        println!(
            "  confirmed {}: {}{}",
            c.id,
            c.question,
            c.comment
                .as_ref()
                .map(|x| format!(" — \"{x}\""))
                .unwrap_or_default()
        );
    }
    for o in &rec.overrides {
        println!("  overridden {}: {}", o.id, o.reason);
    }
    for a in &rec.artifacts {
        println!("  artifact {} sha256 {}", a.path, &a.sha256[..16]);
    }
    Ok(ExitStatus::Pass)
}

fn human_age(secs: i64) -> String {
    let s = secs.max(0);
    match (s / 86_400, s % 86_400 / 3600, s % 3600 / 60) {
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let v: Value =
            serde_json::from_str(r#"{ "b": [1, {"z": 1, "a": "x"}], "a": null }"#).unwrap();
        assert_eq!(
            String::from_utf8(canonical(&v)).unwrap(),
            r#"{"a":null,"b":[1,{"a":"x","z":1}]}"#
        );
    }
}
