//! Reporters: each formats a finished `Report` and nothing else. `Format` picks one.

pub mod human;
pub mod model;

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
}

/// Writes `report` in `format`. `color` only matters for `human`.
pub fn write(report: &Report, format: Format, color: bool, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, &human::Styles::new(color), out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
    }
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
