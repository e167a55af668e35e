//! `command`: a release item that is a program — the test suite, a migration dry run, `npm audit`.
//! It passes on exit 0. On failure the finding carries the exit status and the last lines of
//! output, with secrets redacted. A program that cannot start, or runs past its time limit, is
//! status `error` (the gate could not decide); a timed-out program is stopped with its whole
//! process group. Output is kept only as a bounded tail, whatever the program prints.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::check::Meta;
use crate::kinds::{Kind, Outcome, PassView, Wants};
use crate::report::model::{Finding, Location};
use crate::text::redact;
use crate::types::{Input, PatternDef, Timeout};

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Command {
    /// The program and its arguments (no shell: write `[sh, -c, "…"]` for one).
    pub run: Vec<String>,
    /// Working directory, relative to the repository root.
    #[serde(default)]
    pub cwd: Option<String>,
    /// Variables added to the environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Time limit, e.g. `10m`, `90s`, `1h` (default 10m).
    #[serde(default)]
    pub timeout: Option<Timeout>,
    /// How many of the last output lines a failure shows (default 20).
    #[serde(default)]
    pub tail: Option<usize>,
}

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
const DEFAULT_TAIL: usize = 20;

impl Kind for Command {
    const KEY: &'static str = "command";
    const INPUT: Input = Input::Operator;
    const FIELDS: &'static [&'static str] = &["command", "status", "tail"];

    fn describe(&self) -> Vec<String> {
        let mut lines = vec![format!("runs: {} (passes on exit 0)", self.run.join(" "))];
        if let Some(c) = &self.cwd {
            lines.push(format!("in: {c}"));
        }
        lines.push(format!(
            "time limit: {}s",
            self.timeout.map_or(DEFAULT_TIMEOUT, |t| t.0).as_secs()
        ));
        lines
    }

    fn wants(&self) -> Wants {
        Wants {
            secrets: true,
            ..Wants::default()
        }
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        evaluate(check, self, &view.repo.root, view.secrets)
    }
}

/// Runs the command. `secrets` are patterns whose matches are redacted in the output tail.
fn evaluate(check: &Meta, p: &Command, root: &Path, secrets: &[PatternDef]) -> Outcome {
    let Some((program, args)) = p.run.split_first() else {
        return Outcome::error("`run` is empty: give the program and its arguments");
    };
    let shown = p.run.join(" ");
    let cwd = p
        .cwd
        .as_ref()
        .map_or_else(|| root.to_path_buf(), |c| root.join(c));
    let mut cmd = std::process::Command::new(program);
    cmd.args(args)
        .current_dir(&cwd)
        .envs(&p.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome::error(format!(
                "`{shown}` could not start in {}: {e}",
                cwd.display()
            ))
        }
    };
    let tail_len = p.tail.unwrap_or(DEFAULT_TAIL).max(1);
    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(tail_len)));
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|stream| {
        let tail = tail.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).split(b'\n').map_while(Result::ok) {
                let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
                if t.len() == tail_len {
                    t.pop_front();
                }
                t.push_back(String::from_utf8_lossy(&line).into_owned());
            }
        })
    })
    .collect();
    let limit = p.timeout.map_or(DEFAULT_TIMEOUT, |t| t.0);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Ok(s),
            Ok(None) if started.elapsed() >= limit => {
                kill_group(&mut child);
                let _ = child.wait();
                break Err(format!(
                    "`{shown}` ran past its time limit of {}s and was stopped",
                    limit.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => break Err(format!("`{shown}`: {e}")),
        }
    };
    for r in readers {
        let _ = r.join();
    }
    let redactor = crate::secrets::Redactor::new(secrets);
    let lines: Vec<String> = tail
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|l| redact_line(l, &redactor, &p.env))
        .collect();
    let status = match status {
        Ok(s) => s,
        Err(e) => return Outcome::error(e),
    };
    if status.success() {
        return Outcome::pass();
    }
    let code = match status.code() {
        Some(c) => format!("exit status {c}"),
        None => "killed by a signal".to_string(),
    };
    let tail_text = lines.join("\n");
    let fields = [
        ("command", shown.clone()),
        ("status", code.clone()),
        ("tail", tail_text.clone()),
    ];
    Outcome::findings(vec![Finding {
        message: check.render(|| format!("`{shown}` failed: {code}"), &fields),
        location: Location {
            path: p.cwd.clone(),
            ..Location::new(Input::Repo)
        },
        evidence: (!tail_text.is_empty()).then_some(tail_text),
    }])
}

#[cfg(unix)]
fn kill_group(child: &mut std::process::Child) {
    // The child leads its own process group: stop everything it started, not just it.
    let pid = child.id() as libc::pid_t;
    // SAFETY: killpg only sends a signal; the group id is the child's own pid.
    unsafe {
        libc::killpg(pid, libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_group(child: &mut std::process::Child) {
    let _ = child.kill();
}

/// Redacts the values of the check's own env additions, then every secret-shaped value (the sink
/// redacts again what any check shows; the env values only this check knows).
fn redact_line(
    line: &str,
    redactor: &crate::secrets::Redactor,
    env: &BTreeMap<String, String>,
) -> String {
    let mut out = line.to_string();
    for v in env.values().filter(|v| v.len() >= 6) {
        out = out.replace(v.as_str(), &redact(v));
    }
    crate::text::excerpt(&redactor.clean(&out), 300)
}
