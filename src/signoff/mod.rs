//! The release sign-off record, what it is and what makes it valid. `shipgate signoff`
//! (`commands::signoff`) runs the release stage, asks each manual item, and stores a versioned
//! JSON record: commit, signer, time, stage, artifacts with their sha256, every check's status,
//! every confirmation and override, the canonical report it was made from with that report's
//! sha256, and its signatures (`signing`). The records of a commit are a git note on it under
//! `refs/notes/shipgate`: a JSON array, oldest first, so a new sign-off adds to the history instead
//! of replacing it (the note travels with `git push origin refs/notes/shipgate` and does not touch
//! the work tree). `verify` checks the newest record against HEAD, the allowed signers, the four-eyes
//! rule (`four_eyes`), the number of signers required, and the artifacts about to be deployed.
//!
//! Each signature signs the canonical JSON of `{"record": R, "signature": S}`: R is the record
//! without its `signatures` field, S that signature's `format`, `signer` and `signed_at`, so who
//! signed and when are signed too, and every signer of a record signs the same R.

pub mod four_eyes;
pub mod signing;

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::error::Error;
use crate::inputs::git::RepoHandle;
use crate::report::model::Report;
use crate::types::Stage;
use signing::{Claim, Format, SigningKey, Verifier};

/// The notes ref records are stored under.
pub const NOTES_REF: &str = "refs/notes/shipgate";
pub const RECORD_KIND: &str = "shipgate-signoff";
/// The version of the records `shipgate signoff` makes (1: unsigned, before signatures).
pub const RECORD_VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    pub version: u32,
    pub kind: String,
    pub commit: String,
    /// Who made the record (the first signer).
    pub signer: String,
    /// When the release stage was evaluated and the record made: the real clock.
    pub at: String,
    pub stage: Stage,
    pub artifacts: Vec<RecordArtifact>,
    pub checks: Vec<RecordCheck>,
    pub confirmations: Vec<Confirmation>,
    pub overrides: Vec<RecordOverride>,
    /// sha256 of the canonical form of `report` (sorted keys, no whitespace).
    pub report_sha256: String,
    pub report: Value,
    /// Every signature of the record, in the order they were made (absent in version 1).
    #[serde(default)]
    pub signatures: Vec<Signature>,
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
    /// The question as it was asked (naming the artifact bound to the sign-off, or that none is).
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

/// One signer's signature on a record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Signature {
    /// `ssh` (sshsig, namespace `shipgate`) or `openpgp`.
    pub format: String,
    /// The key's fingerprint (`SHA256:…` for SSH).
    pub key: String,
    /// `Name <email>`; the email is the key's principal in the allowed signers.
    pub signer: String,
    /// When this signature was made (the real clock).
    pub signed_at: String,
    /// The armored signature.
    pub signature: String,
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

/// The bytes one signature signs: the record (as stored, without `signatures`) and the signature's
/// own `format`, `signer` and `signed_at`, in canonical JSON.
pub fn payload(record: &Value, format: &str, signer: &str, signed_at: &str) -> Vec<u8> {
    let mut body = record.clone();
    if let Some(m) = body.as_object_mut() {
        m.remove("signatures");
    }
    canonical(&serde_json::json!({
        "record": body,
        "signature": {"format": format, "signer": signer, "signed_at": signed_at},
    }))
}

impl Record {
    /// An unsigned record of `report`, made by `signer`.
    pub fn new(report: &Report, signer: &str, confirmations: Vec<Confirmation>) -> Self {
        let value = serde_json::to_value(report).expect("a report serializes");
        Record {
            version: RECORD_VERSION,
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
            signatures: Vec::new(),
        }
    }

    /// Whether the record agrees with the report it carries (nothing was edited by hand).
    pub fn integrity(&self) -> Result<(), String> {
        if self.kind != RECORD_KIND || !(1..=RECORD_VERSION).contains(&self.version) {
            return Err(format!(
                "not a shipgate sign-off record of version 1 or {RECORD_VERSION} (kind `{}`, version {})",
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

    /// Whether `other` signs off the same release: commit, stage, artifacts, check statuses,
    /// overrides and the items confirmed (not who answered, when, or with which comment).
    pub fn same_release(&self, other: &Record) -> bool {
        fn confirmed(r: &Record) -> Vec<&str> {
            let mut ids: Vec<&str> = r.confirmations.iter().map(|c| c.id.as_str()).collect();
            ids.sort_unstable();
            ids
        }
        self.commit == other.commit
            && self.stage == other.stage
            && self.artifacts == other.artifacts
            && self.checks == other.checks
            && self.overrides == other.overrides
            && confirmed(self) == confirmed(other)
    }

    /// The distinct signers of the signatures, by email (lowercased), in signing order: a second
    /// signature by the same email, or with the same key, is not another signer.
    pub fn distinct_signers(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut keys: Vec<&str> = Vec::new();
        for s in &self.signatures {
            let email = signing::email_of(&s.signer)
                .unwrap_or(&s.signer)
                .to_ascii_lowercase();
            if !out.contains(&email) && !keys.contains(&s.key.as_str()) {
                out.push(email);
            }
            keys.push(&s.key);
        }
        out
    }
}

/// The records of one commit, oldest first, as the note holds them (each kept as stored).
#[derive(Debug, Clone, Default)]
pub struct History {
    pub records: Vec<Value>,
}

impl History {
    /// A note's or a record file's text: a JSON array of records, or one record (version 1 notes,
    /// `--record` files).
    pub fn parse(text: &str) -> Result<History, String> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(records)) if !records.is_empty() => Ok(History { records }),
            Ok(v @ Value::Object(_)) => Ok(History { records: vec![v] }),
            Ok(_) => Err("the record is not a readable sign-off record (no record in it): it was damaged or edited".into()),
            Err(e) => Err(format!(
                "the record is not a readable sign-off record ({e}): it was damaged or edited"
            )),
        }
    }

    pub fn newest(&self) -> Option<&Value> {
        self.records.last()
    }

    /// The note's text.
    pub fn text(&self) -> String {
        serde_json::to_string_pretty(&self.records).expect("JSON values serialize") + "\n"
    }
}

/// The note stored for `commit`, if any (as text: parsing is the caller's, to report tampering).
pub fn load_note(repo: &git2::Repository, commit: &str) -> Option<String> {
    let oid = git2::Oid::from_str(commit).ok()?;
    let note = repo.find_note(Some(NOTES_REF), oid).ok()?;
    note.message().map(str::to_string)
}

/// The sign-off history of `commit`: empty when there is no note, `Err` when the note is not readable.
pub fn load_history(repo: &git2::Repository, commit: &str) -> Result<History, String> {
    match load_note(repo, commit) {
        Some(text) => History::parse(&text),
        None => Ok(History::default()),
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

/// Stores `history` as the git note on `head`, as a commit of the notes ref by `signer`.
pub fn store(
    git: &git2::Repository,
    head: &str,
    signer: &str,
    history: &History,
) -> Result<(), Error> {
    let sig = identity(signer)
        .or_else(|_| git.signature())
        .map_err(Error::from)?;
    let oid = git2::Oid::from_str(head).map_err(Error::from)?;
    git.note(&sig, &sig, Some(NOTES_REF), oid, &history.text(), true)?;
    Ok(())
}

/// Where a new signature goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// A new record, added to the history.
    New,
    /// Onto the newest record (the same release, still short of signers), which has these signers.
    CoSign { signers: Vec<String> },
    /// The newest record is the same release, still short of signers, and `signer` signed it.
    AlreadySigned,
}

/// Whether `candidate` (a new sign-off by `signer`) adds a signature to the newest record of the
/// history: when that record signs off the same release and has fewer distinct signers than
/// required; otherwise it is a new sign-off.
pub fn place(history: &History, candidate: &Record, signer: &str, required: u32) -> Placement {
    let Some(newest) = history
        .newest()
        .and_then(|v| serde_json::from_value::<Record>(v.clone()).ok())
    else {
        return Placement::New;
    };
    let signers = newest.distinct_signers();
    if newest.version != RECORD_VERSION
        || signers.is_empty()
        || signers.len() >= required as usize
        || !newest.same_release(candidate)
    {
        return Placement::New;
    }
    let me = signing::email_of(signer)
        .unwrap_or(signer)
        .to_ascii_lowercase();
    if signers.contains(&me) {
        Placement::AlreadySigned
    } else {
        Placement::CoSign { signers }
    }
}

/// Signs `record` (a record as stored) as `signer` at `now`, and adds the signature to it.
pub fn sign(
    key: &SigningKey,
    root: &Path,
    record: &mut Value,
    signer: &str,
    now: &jiff::Zoned,
) -> Result<Signature, Error> {
    let format = key.format.as_str();
    let signed_at = now.to_string();
    let made = signing::sign(key, root, &payload(record, format, signer, &signed_at))
        .map_err(Error::Other)?;
    let sig = Signature {
        format: format.into(),
        key: made.key,
        signer: signer.into(),
        signed_at,
        signature: made.signature,
    };
    let entry = serde_json::to_value(&sig).expect("a signature serializes");
    match record.get_mut("signatures").and_then(Value::as_array_mut) {
        Some(a) => a.push(entry),
        None => {
            if let Some(m) = record.as_object_mut() {
                m.insert("signatures".into(), Value::Array(vec![entry]));
            }
        }
    }
    Ok(sig)
}

/// A record that verified, and what it rests on.
#[derive(Debug, Clone)]
pub struct Assessed {
    pub record: Record,
    /// Accepted without a signature, and why.
    pub unsigned: Option<String>,
}

/// What records are checked against: the repository, the `signoff:` settings, the verifying
/// programs and allowed signers, and (read once, when first needed) who made the released range.
pub struct Context<'a> {
    pub git: &'a git2::Repository,
    pub root: &'a Path,
    pub config: &'a Config,
    pub verifier: Verifier,
    people: OnceCell<Result<four_eyes::People, String>>,
}

impl<'a> Context<'a> {
    pub fn new(git: &'a git2::Repository, root: &'a Path, config: &'a Config) -> Self {
        Context {
            git,
            root,
            config,
            verifier: Verifier::new(
                Some(git),
                root,
                config.settings.signoff.allowed_signers.as_deref(),
            ),
            people: OnceCell::new(),
        }
    }

    /// Why `signer` may not sign this release off (four eyes), if they may not.
    pub fn objection(&self, signer: &str) -> Result<Option<String>, Error> {
        if !self.config.settings.signoff.four_eyes {
            return Ok(None);
        }
        match self
            .people
            .get_or_init(|| four_eyes::people(self.git, self.config))
        {
            Ok(p) => Ok(p.objection(signer)),
            Err(e) => Err(Error::Git(format!(
                "four eyes: the released range cannot be read: {e}"
            ))),
        }
    }

    /// Checks one signature of `record` (as stored): `Ok(Err(why))` when it is not accepted.
    pub fn check_signature(
        &self,
        record: &Value,
        sig: &Signature,
    ) -> Result<Result<(), String>, Error> {
        let Some(format) = Format::parse(&sig.format) else {
            return Ok(Err(format!(
                "a signature has the unknown format `{}` (ssh or openpgp)",
                sig.format
            )));
        };
        let claim = Claim {
            format,
            key: &sig.key,
            signer: &sig.signer,
            signed_at: sig
                .signed_at
                .parse::<jiff::Zoned>()
                .ok()
                .map(|z| z.timestamp()),
            signature: &sig.signature,
        };
        let bytes = payload(record, &sig.format, &sig.signer, &sig.signed_at);
        Ok(signing::verify(&self.verifier, self.root, &claim, &bytes)
            .map_err(Error::Usage)?
            .map_err(|r| format!("{r} (the signature by {}, key {})", sig.signer, sig.key)))
    }

    /// Whether the record (as stored) is a valid, complete sign-off of `head`.
    pub fn assess(&self, value: &Value, head: &str) -> Result<Result<Assessed, String>, Error> {
        let rec: Record = match serde_json::from_value(value.clone()) {
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
                &head[..head.len().min(12)]
            )));
        }
        let s = &self.config.settings.signoff;
        if rec.signatures.is_empty() {
            return self.unsigned(rec);
        }
        if rec.signatures[0].signer != rec.signer {
            return Ok(Err(format!(
                "signer mismatch: the record names {} as its signer, but its first signature is by {}",
                rec.signer, rec.signatures[0].signer
            )));
        }
        for sig in &rec.signatures {
            if let Err(why) = self.check_signature(value, sig)? {
                return Ok(Err(why));
            }
            if let Some(why) = self.objection(&sig.signer)? {
                return Ok(Err(why));
            }
        }
        let signers = rec.distinct_signers();
        if signers.len() < s.required_signers as usize {
            return Ok(Err(format!(
                "incomplete: {} of {} required signers signed ({}); another person signs off the same release with `shipgate signoff`",
                signers.len(),
                s.required_signers,
                signers.join(", ")
            )));
        }
        Ok(Ok(Assessed {
            record: rec,
            unsigned: None,
        }))
    }

    /// A record without signatures: accepted only when the configuration says so.
    fn unsigned(&self, rec: Record) -> Result<Result<Assessed, String>, Error> {
        let s = &self.config.settings.signoff;
        let what = if rec.version == 1 {
            "a version-1 record (made before records were signed)"
        } else {
            "an unsigned record"
        };
        if !s.allow_unsigned {
            return Ok(Err(format!(
                "the record is not signed: {what}, which anyone who can push {NOTES_REF} could have written. Sign off again with a signing key in git's configuration (user.signingKey), or accept unsigned records with `signoff: {{allow-unsigned: true}}` in .shipgate.yaml"
            )));
        }
        if s.required_signers > 1 {
            return Ok(Err(format!(
                "the record is not signed ({what}), and signoff.required-signers is {}: unsigned records have no signers to count",
                s.required_signers
            )));
        }
        if let Some(why) = self.objection(&rec.signer)? {
            return Ok(Err(why));
        }
        Ok(Ok(Assessed {
            record: rec,
            unsigned: Some(format!(
                "{what}, accepted because signoff.allow-unsigned is set in .shipgate.yaml"
            )),
        }))
    }
}

/// The manual checks a valid record for HEAD confirms, with its signers.
pub fn confirmed_by_record(repo: &RepoHandle, config: &Config) -> BTreeMap<String, String> {
    let (Some(git), Some(head)) = (&repo.repo, repo.head()) else {
        return BTreeMap::new();
    };
    let Ok(history) = load_history(git, &head) else {
        return BTreeMap::new();
    };
    let Some(newest) = history.newest() else {
        return BTreeMap::new();
    };
    match Context::new(git, &repo.root, config).assess(newest, &head) {
        Ok(Ok(a)) => {
            let signers = if a.record.signatures.is_empty() {
                a.record.signer.clone()
            } else {
                let names: Vec<&str> = a
                    .record
                    .signatures
                    .iter()
                    .map(|s| s.signer.as_str())
                    .collect();
                names.join(", ")
            };
            a.record
                .confirmations
                .iter()
                .map(|c| (c.id.clone(), signers.clone()))
                .collect()
        }
        _ => BTreeMap::new(),
    }
}

/// A verified record and how old it is.
pub struct Verified {
    pub record: Record,
    /// Accepted without a signature, and why.
    pub unsigned: Option<String>,
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

/// The history to verify: from `--record FILE`, or the note on HEAD.
fn read_history(
    repo: &RepoHandle,
    record: Option<&Path>,
) -> Result<(String, Result<History, String>), Error> {
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
    Ok((head, History::parse(&text)))
}

fn context<'a>(repo: &'a RepoHandle, config: &'a Config) -> Result<Context<'a>, Error> {
    let git = repo.repo.as_ref().ok_or_else(|| {
        Error::Usage("sign-off records are verified in the git repository of the release".into())
    })?;
    Ok(Context::new(git, &repo.root, config))
}

/// Checks the newest record for HEAD: `Ok(Err(why))` when it does not verify (exit 1), `Err` when
/// it cannot even be looked at (exit 2).
pub fn verify(
    repo: &RepoHandle,
    config: &Config,
    req: &VerifyRequest<'_>,
) -> Result<Result<Verified, String>, Error> {
    let (head, history) = read_history(repo, req.record)?;
    let max_age = req
        .max_age
        .map(crate::types::parse_duration)
        .transpose()
        .map_err(Error::Usage)?;
    let history = match history {
        Ok(h) => h,
        Err(e) => return Ok(Err(e)),
    };
    let newest = history.newest().expect("a parsed history has a record");
    let a = match context(repo, config)?.assess(newest, &head)? {
        Ok(a) => a,
        Err(why) => return Ok(Err(why)),
    };
    let rec = a.record;
    for art in req.artifacts {
        if let Err(why) = artifact_matches(&rec, art)? {
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
        unsigned: a.unsigned,
        signed_at,
        age_secs: age,
    }))
}

/// One record of the history and whether it is a valid sign-off of HEAD.
pub struct Entry {
    /// The record, when it is readable at all.
    pub record: Option<Record>,
    /// `Ok(None)` valid, `Ok(Some(why))` valid unsigned, `Err(why)` not valid.
    pub valid: Result<Option<String>, String>,
}

/// Every record for HEAD (from `--record FILE` or the note), oldest first, each assessed.
pub fn history(
    repo: &RepoHandle,
    config: &Config,
    record: Option<&Path>,
) -> Result<Result<Vec<Entry>, String>, Error> {
    let (head, history) = read_history(repo, record)?;
    let history = match history {
        Ok(h) => h,
        Err(e) => return Ok(Err(e)),
    };
    let cx = context(repo, config)?;
    let mut out = Vec::new();
    for v in &history.records {
        out.push(Entry {
            record: serde_json::from_value(v.clone()).ok(),
            valid: cx.assess(v, &head)?.map(|a| a.unsigned),
        });
    }
    Ok(Ok(out))
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

    fn record(artifact: &str, signers: &[(&str, &str)]) -> Record {
        Record {
            version: RECORD_VERSION,
            kind: RECORD_KIND.into(),
            commit: "c0ffee".into(),
            signer: signers.first().map_or("R <r@x>", |s| s.0).into(),
            at: "2026-11-18T10:00:00+01:00[Europe/Berlin]".into(),
            stage: Stage::Release,
            artifacts: vec![RecordArtifact {
                path: artifact.into(),
                sha256: "ab".repeat(32),
            }],
            checks: vec![RecordCheck {
                id: "rollback-plan".into(),
                status: "pass".into(),
            }],
            confirmations: vec![Confirmation {
                id: "rollback-plan".into(),
                question: "q".into(),
                how: "flag".into(),
                comment: Some("first".into()),
            }],
            overrides: Vec::new(),
            report_sha256: String::new(),
            report: Value::Null,
            signatures: signers
                .iter()
                .map(|(who, key)| Signature {
                    format: "ssh".into(),
                    key: (*key).into(),
                    signer: (*who).into(),
                    signed_at: "2026-11-18T10:00:00+01:00[Europe/Berlin]".into(),
                    signature: "sig".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_payload_is_the_record_without_signatures_and_the_signature_s_own_fields() {
        let r = record("a.tgz", &[("R <r@x>", "K1")]);
        let signed = serde_json::to_value(&r).unwrap();
        let mut unsigned = signed.clone();
        unsigned["signatures"] = serde_json::json!([]);
        let p = payload(&signed, "ssh", "R <r@x>", "t");
        assert_eq!(
            p,
            payload(&unsigned, "ssh", "R <r@x>", "t"),
            "signatures excluded"
        );
        assert_ne!(
            p,
            payload(&signed, "ssh", "S <s@x>", "t"),
            "the signer is signed"
        );
        assert_ne!(
            p,
            payload(&signed, "ssh", "R <r@x>", "u"),
            "the time is signed"
        );
        let text = String::from_utf8(p).unwrap();
        assert!(text.starts_with(r#"{"record":{"artifacts":"#), "{text}");
        assert!(
            text.ends_with(r#""signature":{"format":"ssh","signed_at":"t","signer":"R <r@x>"}}"#),
            "{text}"
        );
    }

    #[test]
    fn a_second_signer_co_signs_the_same_release_while_signers_are_missing() {
        let first = record("a.tgz", &[("R <r@x>", "K1")]);
        let history = History {
            records: vec![serde_json::to_value(&first).unwrap()],
        };
        let mut mine = record("a.tgz", &[]);
        mine.confirmations[0].comment = Some("other words".into());
        assert_eq!(
            place(&history, &mine, "A <A@X>", 2),
            Placement::CoSign {
                signers: vec!["r@x".into()]
            }
        );
        assert_eq!(
            place(&history, &mine, "R <R@x>", 2),
            Placement::AlreadySigned
        );
        assert_eq!(
            place(&history, &mine, "A <a@x>", 1),
            Placement::New,
            "complete"
        );
        let other = record("b.tgz", &[]);
        assert_eq!(
            place(&history, &other, "A <a@x>", 2),
            Placement::New,
            "another release"
        );
        assert_eq!(
            place(&History::default(), &mine, "A <a@x>", 2),
            Placement::New
        );
    }

    #[test]
    fn distinct_signers_by_email_and_by_key() {
        let r = record(
            "a",
            &[
                ("R <r@x>", "K1"),
                ("R <R@X>", "K2"),
                ("A <a@x>", "K1"),
                ("B <b@x>", "K3"),
            ],
        );
        assert_eq!(r.distinct_signers(), vec!["r@x".to_string(), "b@x".into()]);
    }

    #[test]
    fn a_note_holds_a_history_or_one_record() {
        assert_eq!(
            History::parse(r#"[{"a":1},{"b":2}]"#)
                .unwrap()
                .records
                .len(),
            2
        );
        assert_eq!(History::parse(r#"{"a":1}"#).unwrap().records.len(), 1);
        assert!(History::parse("[]").is_err());
        assert!(History::parse("nope")
            .unwrap_err()
            .contains("not a readable"));
        let h = History::parse(r#"{"a":1}"#).unwrap();
        assert_eq!(History::parse(&h.text()).unwrap().records, h.records);
    }

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
