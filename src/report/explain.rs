//! `shipgate explain ID`: what a check looks for, why it matters and how to fix it, as a typed
//! model printed as text.

use std::io::{self, Write};

use crate::check::Check;

pub struct Explanation {
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub severity: &'static str,
    pub stages: Vec<&'static str>,
    pub off: bool,
    pub source: String,
    /// What it looks for, one line each.
    pub looks_for: Vec<String>,
    pub why: Option<String>,
    pub help: Option<String>,
}

pub fn model(c: &Check) -> Explanation {
    Explanation {
        id: c.id.clone(),
        title: c.title.clone(),
        kind: c.spec.kind(),
        severity: c.severity.as_str(),
        stages: c.stages.iter().map(|s| s.as_str()).collect(),
        off: c.off,
        source: c.source.clone(),
        looks_for: c.spec.describe(),
        why: c.why.as_ref().map(|w| w.trim().to_string()),
        help: c.help.as_ref().map(|h| h.trim().to_string()),
    }
}

pub fn human(e: &Explanation, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{} — {}\n", e.id, e.title)?;
    writeln!(
        out,
        "kind: {}   severity: {}   stages: {}{}\nsource: {}",
        e.kind,
        e.severity,
        e.stages.join(", "),
        if e.off { "   (off)" } else { "" },
        e.source
    )?;
    writeln!(
        out,
        "\nWhat it looks for:\n{}",
        indent(&e.looks_for.join("\n"))
    )?;
    if let Some(why) = &e.why {
        writeln!(out, "\nWhy it matters:\n{}", indent(why))?;
    }
    if let Some(help) = &e.help {
        writeln!(out, "\nHow to fix:\n{}", indent(help))?;
    }
    writeln!(
        out,
        "\nTo silence one finding, add a `shipgate:allow {}` comment on its line or the line above; \
to accept it in .shipgate.yaml, add a waiver with a reason and an expiry date.",
        e.id
    )
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
