//! `shipgate signoff` and `shipgate signoff verify`: the release stage's automatic checks, then each
//! manual item asked at the terminal (or confirmed with flags), then the record signed with the
//! signer's key from git's configuration and stored in the commit's sign-off history (a git note);
//! and the check of the newest record before a deploy, with the history on request.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::path::Path;

use crate::check::Check;
use crate::cli::{SignoffAction, SignoffArgs};
use crate::config::Config;
use crate::edge::Environment;
use crate::engine::{self, Confirmation as Confirmed, ConfirmedBy, Operator};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::inputs::git::RepoHandle;
use crate::kinds::Outcome;
use crate::output::write_atomic;
use crate::report::model::{ArtifactInfo, Status};
use crate::signoff::signing::{self, SigningKey};
use crate::signoff::{
    self, Confirmation, Context, History, Placement, Record, VerifyRequest, NOTES_REF,
};
use crate::types::Stage;

pub fn execute(
    dir: &Path,
    args: &SignoffArgs,
    env: &Environment,
    color: bool,
) -> Result<ExitStatus, Error> {
    let (repo, config) = super::load(dir)?;
    match &args.action {
        Some(SignoffAction::Verify {
            record,
            artifact,
            max_age,
            at,
            history,
        }) => {
            if *history {
                show_history(&repo, &config, record.as_deref())?;
            }
            verify(
                &repo,
                &config,
                &VerifyRequest {
                    record: record.as_deref(),
                    artifacts: artifact,
                    max_age: max_age.as_deref(),
                    at: *at,
                },
            )
        }
        None => sign(&repo, &config, args, env, color),
    }
}

/// Who signs: `--as`, else git's user.name and user.email.
fn signer(git: &git2::Repository, given: Option<&String>) -> Result<String, Error> {
    if let Some(s) = given {
        return Ok(s.clone());
    }
    let sig = git.signature().map_err(|_| {
        Error::Usage(
            "who is signing? give --as \"Name <email>\", or set git's user.name and user.email"
                .into(),
        )
    })?;
    Ok(format!(
        "{} <{}>",
        sig.name().unwrap_or("?"),
        sig.email().unwrap_or("?")
    ))
}

/// The signing key from git's configuration; `None` (an unsigned record) only when
/// `signoff.allow-unsigned` allows it.
fn signing_key(git: &git2::Repository, config: &Config) -> Result<Option<SigningKey>, Error> {
    match signing::signing_key(git).map_err(Error::Usage)? {
        Some(k) => Ok(Some(k)),
        None if config.settings.signoff.allow_unsigned => Ok(None),
        None => Err(Error::Usage(
            "no signing key: a sign-off is signed with your key from git's configuration, as signed commits are. \
Set one (SSH: git config gpg.format ssh && git config user.signingKey ~/.ssh/id_ed25519.pub; OpenPGP: git config user.signingKey KEYID), \
or allow unsigned records in .shipgate.yaml with `signoff: {allow-unsigned: true}`"
                .into(),
        )),
    }
}

/// The manual items of the release stage, and the confirmations given by flags (id → comment).
fn manual_items<'c>(
    config: &'c Config,
    args: &SignoffArgs,
) -> (Vec<&'c Check>, BTreeMap<String, Option<String>>) {
    let manual: Vec<&Check> = config
        .checks
        .iter()
        .filter(|c| c.spec.prompt().is_some() && !c.off && c.runs_in(Stage::Release))
        .collect();
    let mut flags: BTreeMap<String, Option<String>> =
        args.inputs.confirms.iter().cloned().collect();
    if let Some(comment) = &args.confirm_all {
        for c in &manual {
            flags
                .entry(c.id.clone())
                .or_insert_with(|| Some(comment.clone()));
        }
    }
    (manual, flags)
}

fn sign(
    repo: &RepoHandle,
    config: &Config,
    args: &SignoffArgs,
    env: &Environment,
    color: bool,
) -> Result<ExitStatus, Error> {
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
    if args.inputs.at.is_some() {
        return Err(Error::Usage(
            "--at is for what-if runs (`shipgate run --stage release --at …`): a sign-off is evaluated and recorded at the real time, so `shipgate signoff` does not take --at".into(),
        ));
    }
    let signer = signer(git, args.signer.as_ref())?;
    let key = signing_key(git, config)?;
    let cx = Context::new(git, &repo.root, config);
    let mut out = io::stdout().lock();
    if let Some(why) = cx.objection(&signer)? {
        let _ = writeln!(out, "sign-off refused: {why}. Nothing was recorded.");
        return Ok(ExitStatus::Fail);
    }
    let (manual, flags) = manual_items(config, args);

    // The automatic checks first; the pending manual items are asked after them. An item that does
    // not apply to this release (an `about-migrations` item without migrations) is not asked.
    let mut run = super::run::options(&args.inputs, repo.root.clone(), Stage::Release, env);
    run.confirms = flags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let evaluation = engine::evaluate(config, repo, &run)?;
    let pending: Vec<&Check> = manual
        .iter()
        .copied()
        .filter(|c| !flags.contains_key(&c.id))
        .filter(|c| !matches!(evaluation.outcome_of(&c.id), Some(Outcome::Skip(_))))
        .collect();
    if !pending.is_empty() && !env.stdin_terminal {
        let ids: Vec<&str> = pending.iter().map(|c| c.id.as_str()).collect();
        return Err(Error::Usage(format!(
            "no terminal to ask on, and these manual items are not confirmed: {}. Confirm each with --confirm ID[=COMMENT], or all with --confirm-all \"comment\"",
            ids.join(", ")
        )));
    }
    let mut operator = Operator {
        pending: pending.iter().map(|c| c.id.clone()).collect(),
        ..run.operator()
    };
    let report = evaluation.finish(&operator);
    let _ = crate::report::write_to(
        &report,
        crate::report::Format::Human,
        color,
        env.width(),
        &mut out,
    );
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
        return Ok(ExitStatus::from(&report));
    }

    let arts = &report.artifacts;
    let mut confirmations: Vec<Confirmation> = manual
        .iter()
        .filter_map(|c| {
            flags.get(&c.id).map(|comment| Confirmation {
                id: c.id.clone(),
                question: question(c, arts),
                how: "flag".into(),
                comment: comment.clone(),
            })
        })
        .collect();
    let mut ask = Asker {
        lines: io::stdin().lock().lines(),
    };
    if !pending.is_empty() {
        let _ = writeln!(out, "\nManual items ({}):", pending.len());
    }
    for c in &pending {
        let context = evidence(evaluation.outcome_of(&c.id));
        match ask_item(&mut ask, &mut out, c, arts, &context)? {
            Some(conf) => confirmations.push(conf),
            None => return Ok(ExitStatus::Fail),
        }
    }

    // The sink again, with the answers: the manual items pass in the report the record is made of.
    operator.pending.clear();
    for c in &confirmations {
        if c.how == "prompt" {
            operator.confirmations.push(Confirmed {
                id: c.id.clone(),
                by: ConfirmedBy::Prompt(c.comment.clone()),
            });
        }
    }
    let report = evaluation.finish(&operator);
    let record = Record::new(&report, &signer, confirmations);
    let signed = Signing {
        cx: &cx,
        head: &head,
        signer: &signer,
        key: key.as_ref(),
        terminal: env.stdin_terminal,
        record_file: args.record.as_deref(),
    };
    signed.finish(record, &mut ask, &mut out)
}

/// The last part of a sign-off: where the signature goes, the final question, signing, storing.
struct Signing<'a> {
    cx: &'a Context<'a>,
    head: &'a str,
    signer: &'a str,
    key: Option<&'a SigningKey>,
    terminal: bool,
    record_file: Option<&'a Path>,
}

impl Signing<'_> {
    fn finish<I: Iterator<Item = io::Result<String>>>(
        &self,
        record: Record,
        ask: &mut Asker<I>,
        out: &mut dyn Write,
    ) -> Result<ExitStatus, Error> {
        let (git, config) = (self.cx.git, self.cx.config);
        let required = config.settings.signoff.required_signers;
        let short = &self.head[..12];
        let mut history = match signoff::load_history(git, self.head) {
            Ok(h) => h,
            Err(why) => {
                let _ = writeln!(out, "\nnote: the sign-off note on {short} is not readable ({why}); it is replaced by this sign-off (git log -p {NOTES_REF} still has it).");
                History::default()
            }
        };
        let placement = if self.key.is_some() {
            signoff::place(&history, &record, self.signer, required)
        } else {
            Placement::New
        };
        let first = history
            .newest()
            .and_then(|v| v["signer"].as_str().map(str::to_string))
            .unwrap_or_default();
        let what = match &placement {
            Placement::AlreadySigned => {
                let _ = writeln!(out, "\nnot signed: you ({}) already signed the newest sign-off of {short}, which needs {required} distinct signers: another person signs off the same release. Nothing was recorded.", self.signer);
                return Ok(ExitStatus::Fail);
            }
            Placement::CoSign { .. } => format!("Co-sign the sign-off of {short} by {first}"),
            Placement::New => format!("Sign off the release of {short}"),
        };
        if self.terminal {
            let a = ask.ask(out, &format!("\n{what} as {}? [y/N] ", self.signer))?;
            if !matches!(a.to_ascii_lowercase().as_str(), "y" | "yes") {
                let _ = writeln!(out, "not signed off. Nothing was recorded.");
                return Ok(ExitStatus::Fail);
            }
        }
        let mut value = match placement {
            Placement::CoSign { .. } => history.records.pop().expect("placed on the newest"),
            _ => serde_json::to_value(&record).map_err(|e| Error::Other(e.to_string()))?,
        };
        let now = jiff::Zoned::now().with_time_zone(engine::time_zone(config));
        let mut notes = Vec::new();
        if let Some(key) = self.key {
            let sig = signoff::sign(key, self.cx.root, &mut value, self.signer, &now)?;
            if let Some(why) = self.self_check(&value, &sig, &mut notes)? {
                let _ = writeln!(out, "\nnot signed off: your signature would not verify: {why}. Nothing was recorded.");
                return Ok(ExitStatus::Fail);
            }
            notes.insert(0, format!("signed with {} ({})", key.describe(), sig.key));
        }
        let text =
            serde_json::to_string_pretty(&value).map_err(|e| Error::Other(e.to_string()))? + "\n";
        history.records.push(value);
        signoff::store(git, self.head, self.signer, &history)?;
        if let Some(path) = self.record_file {
            write_atomic(path, text.as_bytes())?;
        }
        let done: Record = serde_json::from_str(&text).map_err(|e| Error::Other(e.to_string()))?;
        self.report(out, &done, &placement, &first, &notes);
        Ok(ExitStatus::Pass)
    }

    /// Verifies the new signature as `signoff verify` will: `Some(why)` when it would not pass.
    fn self_check(
        &self,
        value: &serde_json::Value,
        sig: &signoff::Signature,
        notes: &mut Vec<String>,
    ) -> Result<Option<String>, Error> {
        if sig.format == "ssh" && self.cx.verifier.allowed_signers.is_none() {
            notes.push("no allowed-signers file here to check your key against: `signoff verify` needs one (signoff.allowed-signers in .shipgate.yaml, or git's gpg.ssh.allowedSignersFile)".into());
            return Ok(None);
        }
        Ok(self.cx.check_signature(value, sig)?.err())
    }

    fn report(
        &self,
        out: &mut dyn Write,
        rec: &Record,
        placement: &Placement,
        first: &str,
        notes: &[String],
    ) {
        let short = &self.head[..12];
        let required = self.cx.config.settings.signoff.required_signers as usize;
        let signers = rec.distinct_signers().len();
        match placement {
            Placement::CoSign { .. } => {
                let _ = writeln!(
                    out,
                    "\nco-signed the sign-off of {short} by {first} (made at {}) as {}.",
                    rec.at, self.signer
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "\nsigned off {short} as {} at {}: {} confirmation(s), {} override(s).",
                    self.signer,
                    rec.at,
                    rec.confirmations.len(),
                    rec.overrides.len()
                );
            }
        }
        for n in notes {
            let _ = writeln!(out, "{n}");
        }
        if self.key.is_none() {
            let _ = writeln!(out, "the record is UNSIGNED: git's configuration has no signing key (user.signingKey), and signoff.allow-unsigned is set in .shipgate.yaml. Anyone who can push {NOTES_REF} could write a record like it.");
        } else if signers < required {
            let _ = writeln!(out, "{signers} of {required} required signers: the sign-off is incomplete until another person signs off the same release (`shipgate signoff` on {short}).");
        } else if required > 1 {
            let _ = writeln!(
                out,
                "{signers} of {required} required signers: the sign-off is complete."
            );
        }
        if rec.artifacts.is_empty() {
            let _ = writeln!(out, "no artifact is bound to this sign-off (no --artifact): `signoff verify --artifact` will accept none.");
        }
        let _ = writeln!(out, "the record is in the sign-off history of {short}, the git note {NOTES_REF}; share it with: git push origin {NOTES_REF}");
        if let Some(p) = self.record_file {
            let _ = writeln!(out, "and was written to {}", p.display());
        }
    }
}

/// Reads answers from standard input.
struct Asker<I> {
    lines: I,
}

impl<I: Iterator<Item = io::Result<String>>> Asker<I> {
    fn ask(&mut self, out: &mut dyn Write, prompt: &str) -> Result<String, Error> {
        write!(out, "{prompt}")
            .and_then(|_| out.flush())
            .map_err(|e| Error::io("<stdout>", e))?;
        match self.lines.next() {
            Some(Ok(l)) => Ok(l.trim().to_string()),
            Some(Err(e)) => Err(Error::io("<stdin>", e)),
            None => Err(Error::Usage(
                "input ended before the sign-off was complete".into(),
            )),
        }
    }
}

/// Asks one manual item: its confirmation, or `None` when it was refused or skipped (said so).
/// What the item's evaluation found to show with the question (an `about-migrations` item's
/// migrations and what the automatic checks said of them).
fn evidence(outcome: Option<&Outcome>) -> Vec<String> {
    let Some(Outcome::Done { findings, .. }) = outcome else {
        return Vec::new();
    };
    findings
        .iter()
        .filter_map(|f| f.evidence.as_deref())
        .flat_map(|e| e.lines().map(crate::text::sanitize))
        .collect()
}

fn ask_item<I: Iterator<Item = io::Result<String>>>(
    ask: &mut Asker<I>,
    out: &mut dyn Write,
    c: &Check,
    arts: &[ArtifactInfo],
    context: &[String],
) -> Result<Option<Confirmation>, Error> {
    let q = question(c, arts);
    let _ = writeln!(out, "\n{} — {q}", c.id);
    for l in context {
        let _ = writeln!(out, "  > {l}");
    }
    if let Some(g) = guidance(c) {
        for l in g.trim().lines() {
            let _ = writeln!(out, "    {l}");
        }
    }
    if about_artifact(c) && arts.is_empty() {
        let _ = writeln!(out, "    No artifact is bound to this sign-off: no --artifact was given, so the record names none");
        let _ = writeln!(out, "    and `signoff verify --artifact` accepts none. To bind the build you deploy: shipgate signoff --artifact PATH");
    }
    loop {
        let a = ask
            .ask(out, "  [y]es / [n]o / [s]kip: ")?
            .to_ascii_lowercase();
        match a.as_str() {
            "y" | "yes" => break,
            "n" | "no" => {
                let _ = writeln!(
                    out,
                    "\nsign-off refused: {} was answered no. Nothing was recorded.",
                    c.id
                );
                return Ok(None);
            }
            "s" | "skip" => {
                let _ = writeln!(out, "\nnot signed off: {} was skipped. Run `shipgate signoff` again when it can be confirmed.", c.id);
                return Ok(None);
            }
            _ => {
                let _ = writeln!(out, "  please answer y, n or s");
            }
        }
    }
    let comment = ask.ask(out, "  comment (optional): ")?;
    Ok(Some(Confirmation {
        id: c.id.clone(),
        question: q,
        how: "prompt".into(),
        comment: (!comment.is_empty()).then_some(comment),
    }))
}

fn about_artifact(c: &Check) -> bool {
    c.spec.prompt().is_some_and(|p| p.about_artifact)
}

/// The question as asked and recorded: an item about the artifact names the artifacts bound to
/// the sign-off, or says that none is.
fn question(c: &Check, arts: &[ArtifactInfo]) -> String {
    let q = c
        .spec
        .prompt()
        .map_or_else(|| c.title.clone(), |p| p.question.to_string());
    if !about_artifact(c) {
        return q;
    }
    if arts.is_empty() {
        return format!("{q} (no artifact is bound to this sign-off)");
    }
    let named: Vec<String> = arts
        .iter()
        .map(|a| format!("{} sha256 {}", a.path, &a.sha256[..a.sha256.len().min(16)]))
        .collect();
    format!("{q} (artifact: {})", named.join(", "))
}

fn guidance(c: &Check) -> Option<String> {
    c.spec
        .prompt()
        .and_then(|p| p.guidance.map(str::to_string))
        .or_else(|| c.help.clone())
}

/// A recorded time in the configured zone.
fn when(config: &Config, at: &str) -> String {
    at.parse::<jiff::Zoned>().map_or_else(
        |_| at.to_string(),
        |z| {
            z.with_time_zone(engine::time_zone(config))
                .strftime("%Y-%m-%d %H:%M %Z")
                .to_string()
        },
    )
}

fn show_history(repo: &RepoHandle, config: &Config, file: Option<&Path>) -> Result<(), Error> {
    let entries = match signoff::history(repo, config, file)? {
        Ok(e) => e,
        Err(why) => {
            println!("sign-off history: {why}");
            return Ok(());
        }
    };
    println!(
        "sign-off history ({} record(s), oldest first):",
        entries.len()
    );
    for (i, e) in entries.iter().enumerate() {
        let valid = match &e.valid {
            Ok(None) => "valid".to_string(),
            Ok(Some(why)) => format!("valid, unsigned: {why}"),
            Err(why) => format!("NOT valid: {why}"),
        };
        let Some(r) = &e.record else {
            println!("  #{} {valid}", i + 1);
            continue;
        };
        println!(
            "  #{} made {} by {}: {valid}",
            i + 1,
            when(config, &r.at),
            r.signer
        );
        for s in &r.signatures {
            println!(
                "      signed by {} at {} ({} key {})",
                s.signer,
                when(config, &s.signed_at),
                s.format,
                s.key
            );
        }
        if r.signatures.is_empty() {
            println!("      no signature");
        }
        for a in &r.artifacts {
            println!("      artifact {} sha256 {}", a.path, &a.sha256[..16]);
        }
        if r.artifacts.is_empty() {
            println!("      no artifact bound");
        }
    }
    println!();
    Ok(())
}

fn verify(
    repo: &RepoHandle,
    config: &Config,
    req: &VerifyRequest<'_>,
) -> Result<ExitStatus, Error> {
    let v = match signoff::verify(repo, config, req)? {
        Ok(v) => v,
        Err(why) => {
            eprintln!("sign-off NOT verified: {why}");
            return Ok(ExitStatus::Fail);
        }
    };
    let rec = &v.record;
    println!(
        "sign-off verified: {} signed off by {} at {} ({} ago)",
        &rec.commit[..12],
        rec.signer,
        v.signed_at
            .to_zoned(engine::time_zone(config))
            .strftime("%Y-%m-%d %H:%M %Z"),
        signoff::human_age(v.age_secs)
    );
    if let Some(why) = &v.unsigned {
        println!("  UNSIGNED: {why}");
    }
    for s in &rec.signatures {
        println!(
            "  signed by {} at {} ({} key {})",
            s.signer,
            when(config, &s.signed_at),
            s.format,
            s.key
        );
    }
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
    if rec.artifacts.is_empty() {
        println!("  no artifact is bound to this sign-off");
    }
    Ok(ExitStatus::Pass)
}
