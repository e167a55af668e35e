//! Reporters: each formats a finished `Report` and nothing else. `Format` picks one.

pub mod fingerprint;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod sarif;

use std::io::{self, Write};

use clap::ValueEnum;

use crate::check::Input;
use model::{Location, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable text, colored on a terminal.
    Human,
    /// The version-1 JSON report of DESIGN.md.
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// JUnit XML, one test case per check.
    Junit,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// Markdown: a summary table and the findings.
    Markdown,
    /// GitLab Code Quality JSON.
    Gitlab,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        <Format as ValueEnum>::from_str(s, true).ok()
    }
}

/// Writes `report` in `format`. `color` only matters for `human`.
pub fn write(report: &Report, format: Format, color: bool, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, &human::Styles::new(color), out),
        Format::Json => json(out, report),
        Format::Sarif => json(out, &sarif::render(report)),
        Format::Gitlab => json(out, &gitlab::render(report)),
        Format::Junit => out.write_all(junit::render(report).as_bytes()),
        Format::Github => out.write_all(github::render(report).as_bytes()),
        Format::Markdown => out.write_all(markdown::render(report).as_bytes()),
    }
}

fn json(out: &mut dyn Write, v: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, v)?;
    writeln!(out)
}

/// A location as one short label: `path:line:col`, `artifact!entry`, `commit abc1234`, `$NAME`.
pub fn location_label(l: &Location) -> String {
    let mut s = match (l.input, &l.path) {
        (Input::Artifact, Some(p)) => match &l.artifact {
            Some(a) => format!("{a}!{p}"),
            None => p.clone(),
        },
        (_, Some(p)) => p.clone(),
        (Input::Git, None) => l
            .commit
            .as_ref()
            .map(|c| format!("commit {}", &c[..c.len().min(12)]))
            .unwrap_or_else(|| "git".into()),
        (Input::Env, None) => l
            .name
            .as_ref()
            .map(|n| format!("${n}"))
            .unwrap_or_else(|| "env".into()),
        (Input::Artifact, None) => l.artifact.clone().unwrap_or_else(|| "artifact".into()),
        (i, None) => i.as_str().to_string(),
    };
    if let Some(line) = l.line {
        s.push_str(&format!(":{line}"));
        if let Some(col) = l.column {
            s.push_str(&format!(":{col}"));
        }
    }
    crate::text::sanitize(&s)
}
