//! The release sign-off record, what it is and what makes it valid. `shipgate signoff`
//! (`commands::signoff`) runs the release stage, asks each manual item, and stores a versioned
//! JSON record: commit, signer, time, stage, artifacts with their sha256, every check's status,
//! every confirmation and override, and the canonical report it was made from with that report's
//! sha256. The record is a git note on the commit under `refs/notes/shipgate` (it travels with
//! `git push origin refs/notes/shipgate` and does not touch the work tree), and optionally a file.
//! `verify` checks a record against HEAD and the artifacts about to be deployed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::inputs::git::RepoHandle;
use crate::report::model::Report;
use crate::types::Stage;

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

/// A git signature from `Name <email>`.
pub fn identity(s: &str) -> Result<git2::Signature<'static>, git2::Error> {
    let (name, email) = match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => (s[..a].trim(), s[a + 1..b].trim()),
        _ => (s.trim(), ""),
    };
    git2::Signature::now(name, email)
}

/// Stores the record as the git note on `head`.
pub fn store(git: &git2::Repository, head: &str, record: &Record, text: &str) -> Result<(), Error> {
    let sig = identity(&record.signer)
        .or_else(|_| git.signature())
        .map_err(Error::from)?;
    let oid = git2::Oid::from_str(head).map_err(Error::from)?;
    git.note(&sig, &sig, Some(NOTES_REF), oid, text, true)?;
    Ok(())
}

/// A verified record and how old it is.
pub struct Verified {
    pub record: Record,
    pub signed_at: jiff::Timestamp,
    pub age_secs: i64,
}

/// What `verify` checks against: the record (a file, or the note on HEAD), the artifacts about to
/// be deployed, the longest age allowed, and the instant to verify at.
pub struct VerifyRequest<'a> {
    pub record: Option<&'a Path>,
    pub artifacts: &'a [PathBuf],
    pub max_age: Option<&'a str>,
    pub at: Option<jiff::Timestamp>,
}

/// Checks the record for HEAD: `Ok(Err(why))` when it does not verify (exit 1), `Err` when it
/// cannot even be looked at (exit 2).
pub fn verify(
    repo: &RepoHandle,
    req: &VerifyRequest<'_>,
) -> Result<Result<Verified, String>, Error> {
    let head = repo.head().ok_or_else(|| {
        Error::Usage("HEAD has no commits yet: there is nothing to verify".into())
    })?;
    let text = match req.record {
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
    let max_age = req
        .max_age
        .map(crate::types::parse_duration)
        .transpose()
        .map_err(Error::Usage)?;
    let rec: Record = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            return Ok(Err(format!(
                "the record is not a readable sign-off record ({e}): it was damaged or edited"
            )))
        }
    };
    if let Err(e) = rec.integrity() {
        return Ok(Err(e));
    }
    if rec.commit != head {
        return Ok(Err(format!(
            "the record is for commit {}, but HEAD is {}",
            &rec.commit[..rec.commit.len().min(12)],
            &head[..12]
        )));
    }
    for a in req.artifacts {
        if let Err(why) = artifact_matches(&rec, a)? {
            return Ok(Err(why));
        }
    }
    let signed_at: jiff::Timestamp = match rec.at.parse::<jiff::Zoned>() {
        Ok(z) => z.timestamp(),
        Err(e) => {
            return Ok(Err(format!(
                "the record's time `{}` is unreadable: {e}",
                rec.at
            )))
        }
    };
    let now = req.at.unwrap_or_else(jiff::Timestamp::now);
    let age = now.as_second() - signed_at.as_second();
    if let Some(max) = max_age {
        if age > max.as_secs() as i64 {
            return Ok(Err(format!(
                "the sign-off is {} old, older than --max-age {}",
                human_age(age),
                human_age(max.as_secs() as i64)
            )));
        }
    }
    Ok(Ok(Verified {
        record: rec,
        signed_at,
        age_secs: age,
    }))
}

/// Whether artifact `a` is one the record signed off, byte for byte.
fn artifact_matches(rec: &Record, a: &Path) -> Result<Result<(), String>, Error> {
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
        return Ok(Err(format!(
            "{given} was not part of the signed-off release"
        )));
    };
    let actual =
        crate::inputs::artifact::sha256_file(a).map_err(|e| Error::Other(e.to_string()))?;
    if actual != recorded.sha256 {
        return Ok(Err(format!(
            "{given} changed since the sign-off: sha256 {} was signed, this file is {}",
            &recorded.sha256[..16],
            &actual[..16]
        )));
    }
    Ok(Ok(()))
}

pub fn human_age(secs: i64) -> String {
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
