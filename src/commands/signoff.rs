//! `shipgate signoff` and `shipgate signoff verify`: the release stage's automatic checks, then each
//! manual item asked at the terminal (or confirmed with flags), then the record stored as a git
//! note; and the check of a record before a deploy.

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
use crate::output::write_atomic;
use crate::report::model::Status;
use crate::signoff::{self, Confirmation, Record, VerifyRequest, NOTES_REF};
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
        }) => verify(
            &repo,
            &config,
            &VerifyRequest {
                record: record.as_deref(),
                artifacts: artifact,
                max_age: max_age.as_deref(),
                at: *at,
            },
        ),
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
    let signer = signer(git, args.signer.as_ref())?;
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
    let pending: Vec<&Check> = manual
        .iter()
        .copied()
        .filter(|c| !flags.contains_key(&c.id))
        .collect();
    if !pending.is_empty() && !env.stdin_terminal {
        let ids: Vec<&str> = pending.iter().map(|c| c.id.as_str()).collect();
        return Err(Error::Usage(format!(
            "no terminal to ask on, and these manual items are not confirmed: {}. Confirm each with --confirm ID[=COMMENT], or all with --confirm-all \"comment\"",
            ids.join(", ")
        )));
    }

    // The automatic checks first; the pending manual items are asked after them.
    let mut run = super::run::options(&args.inputs, repo.root.clone(), Stage::Release, env);
    run.confirms = flags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let evaluation = engine::evaluate(config, repo, &run)?;
    let mut operator = Operator {
        pending: pending.iter().map(|c| c.id.clone()).collect(),
        ..run.operator()
    };
    let report = evaluation.finish(&operator);
    let mut out = io::stdout().lock();
    let _ = crate::report::write(&report, crate::report::Format::Human, color, &mut out);
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

    let mut confirmations: Vec<Confirmation> = manual
        .iter()
        .filter_map(|c| {
            flags.get(&c.id).map(|comment| Confirmation {
                id: c.id.clone(),
                question: question(c),
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
        match ask_item(&mut ask, &mut out, c)? {
            Some(conf) => confirmations.push(conf),
            None => return Ok(ExitStatus::Fail),
        }
    }
    let short = &head[..12];
    if env.stdin_terminal {
        let a = ask.ask(
            &mut out,
            &format!("\nSign off the release of {short} as {signer}? [y/N] "),
        )?;
        if !matches!(a.to_ascii_lowercase().as_str(), "y" | "yes") {
            let _ = writeln!(out, "not signed off. Nothing was recorded.");
            return Ok(ExitStatus::Fail);
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
    let text =
        serde_json::to_string_pretty(&record).map_err(|e| Error::Other(e.to_string()))? + "\n";
    signoff::store(git, &head, &record, &text)?;
    if let Some(path) = &args.record {
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
    if let Some(p) = &args.record {
        let _ = writeln!(out, "and was written to {}", p.display());
    }
    Ok(ExitStatus::Pass)
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
fn ask_item<I: Iterator<Item = io::Result<String>>>(
    ask: &mut Asker<I>,
    out: &mut dyn Write,
    c: &Check,
) -> Result<Option<Confirmation>, Error> {
    let _ = writeln!(out, "\n{} — {}", c.id, question(c));
    if let Some(g) = guidance(c) {
        for l in g.trim().lines() {
            let _ = writeln!(out, "    {l}");
        }
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
        question: question(c),
        how: "prompt".into(),
        comment: (!comment.is_empty()).then_some(comment),
    }))
}

fn question(c: &Check) -> String {
    c.spec
        .prompt()
        .map_or_else(|| c.title.clone(), |p| p.question.to_string())
}

fn guidance(c: &Check) -> Option<String> {
    c.spec
        .prompt()
        .and_then(|p| p.guidance.map(str::to_string))
        .or_else(|| c.help.clone())
}

fn verify(
    repo: &RepoHandle,
    config: &Config,
    req: &VerifyRequest<'_>,
) -> Result<ExitStatus, Error> {
    let v = match signoff::verify(repo, req)? {
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
