//! Markdown: a summary table and the findings, fit for a pull-request comment, a job summary
//! (`GITHUB_STEP_SUMMARY`) or a release record.

use std::fmt::Write;

use crate::report::location_label;
use crate::report::model::{Report, Status, Verdict};

/// Findings listed per check; the JSON report has them all.
const MAX_FINDINGS: usize = 50;

/// Markdown reporter.
pub struct Markdown;

impl crate::report::Reporter for Markdown {
    fn write(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(render(report).as_bytes())
    }
}

pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let verdict = if r.verdict == Verdict::Pass {
        "✅ passed"
    } else {
        "❌ failed"
    };
    let _ = writeln!(out, "## shipgate: gate {verdict}\n");
    let mut meta = format!("Stage `{}` · {}", r.stage, cell(&r.at));
    if let Some(b) = &r.repo.branch {
        meta.push_str(&format!(" · branch `{}`", cell(b)));
    }
    if let Some(h) = &r.repo.head {
        meta.push_str(&format!(" · commit `{}`", &h[..h.len().min(12)]));
    }
    let _ = writeln!(out, "{meta}\n");
    let s = &r.summary;
    let _ = writeln!(
        out,
        "**{} failed** · {} errors · {} warnings · {} passed · {} skipped · {} overridden\n",
        s.fail, s.error, s.warn, s.pass, s.skip, s.overridden
    );
    let _ = writeln!(out, "| | Check | Result |\n|---|---|---|");
    for c in &r.checks {
        let icon = match c.status {
            Status::Pass => "✅",
            Status::Fail => "❌",
            Status::Warn => "⚠️",
            Status::Skip => "⏭️",
            Status::Error => "⛔",
            Status::Overridden => "🟦",
        };
        let result = match c.status {
            Status::Fail | Status::Warn => format!("{} finding(s)", c.findings.len()),
            Status::Skip | Status::Error => cell(c.reason.as_deref().unwrap_or("")),
            Status::Overridden => format!(
                "overridden: {}",
                cell(
                    c.override_
                        .as_ref()
                        .map(|o| o.reason.as_str())
                        .unwrap_or("")
                )
            ),
            Status::Pass => "passed".into(),
        };
        let _ = writeln!(out, "| {icon} | `{}` {} | {result} |", c.id, cell(&c.title));
    }
    for c in r.checks.iter().filter(|c| {
        matches!(
            c.status,
            Status::Fail | Status::Warn | Status::Error | Status::Overridden
        )
    }) {
        if c.findings.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n### `{}` — {}\n", c.id, text(&c.title));
        for f in c.findings.iter().take(MAX_FINDINGS) {
            let _ = writeln!(
                out,
                "- `{}` {}",
                code(&location_label(&f.location)),
                text(&f.message)
            );
        }
        if c.findings.len() > MAX_FINDINGS {
            let _ = writeln!(out, "- … and {} more", c.findings.len() - MAX_FINDINGS);
        }
        if let Some(h) = &c.help {
            let _ = writeln!(
                out,
                "\n> **How to fix:** {}",
                text(&h.split_whitespace().collect::<Vec<_>>().join(" "))
            );
        }
    }
    out
}

/// Text inside a table cell: no pipes or line breaks.
fn cell(s: &str) -> String {
    text(s).replace('|', "\\|").replace('\n', " ")
}

/// Text outside code: HTML and Markdown-significant characters made inert.
fn text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Text inside inline code: backticks and line breaks cannot appear.
fn code(s: &str) -> String {
    crate::text::sanitize(&s.replace('`', "'").replace(['\n', '\r'], " "))
}
