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

/// The explanation as text; paragraphs wrap to a terminal `width` columns wide, indented.
pub fn human(e: &Explanation, width: Option<usize>, out: &mut dyn Write) -> io::Result<()> {
    let indent = |s: &str| indent(s, width);
    let wrapped = |s: &str| crate::text::wrap(s, width, 0, 2).join("\n  ");
    writeln!(out, "{}\n", wrapped(&format!("{} — {}", e.id, e.title)))?;
    let kind = format!(
        "kind: {}   severity: {}   stages: {}{}",
        e.kind,
        e.severity,
        e.stages.join(", "),
        if e.off { "   (off)" } else { "" },
    );
    writeln!(out, "{}\nsource: {}", wrapped(&kind), e.source)?;
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
    let silence = format!(
        "To silence one finding, add a `shipgate:allow {}` comment on its line or the line above; \
to accept it in .shipgate.yaml, add a waiver with a reason and an expiry date.",
        e.id
    );
    writeln!(
        out,
        "\n{}",
        crate::text::wrap(&silence, width, 0, 0).join("\n")
    )
}

/// Each line indented by two spaces; on a terminal, paragraphs reflowed and wrapped to `width`
/// under their own indent.
fn indent(s: &str, width: Option<usize>) -> String {
    crate::text::paragraphs(s, width)
        .into_iter()
        .flat_map(|l| {
            let lead = l.len() - l.trim_start().len();
            let pad = " ".repeat(2 + lead);
            crate::text::wrap(l.trim_start(), width, 2 + lead, 2 + lead)
                .into_iter()
                .map(move |w| format!("{pad}{w}"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
