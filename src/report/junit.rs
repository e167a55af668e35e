//! JUnit XML: one test case per check, so the whole checklist shows up in CI's test view. `fail`
//! is a failure, `error` an error, `skip` skipped; warnings pass with their findings in
//! `system-out`. Every text is escaped, and characters XML 1.0 cannot carry are replaced, so the
//! file is valid whatever a commit subject or an archive member name contains. The attributes are
//! those of Jenkins' `junit-10.xsd` (jenkinsci/xunit-plugin), the strictest reader: `skipped` is
//! counted on `<testsuite>` only, never on `<testsuites>`.

use std::fmt::Write;

use crate::report::location_label;
use crate::report::model::{Report, Status};

/// Junit reporter.
pub struct Junit;

impl crate::report::Reporter for Junit {
    fn write(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(render(report).as_bytes())
    }
}

pub fn render(r: &Report) -> String {
    let count = |s: Status| r.checks.iter().filter(|c| c.status == s).count();
    let secs = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"shipgate\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">",
        r.checks.len(),
        count(Status::Fail),
        count(Status::Error),
        secs(r.elapsed_ms)
    );
    let _ = writeln!(
        x,
        "  <testsuite name=\"shipgate {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
        esc(r.stage.as_str()),
        r.checks.len(),
        count(Status::Fail),
        count(Status::Error),
        count(Status::Skip),
        secs(r.elapsed_ms),
        // ISO 8601, without the `[Zone]` name JUnit readers do not expect.
        esc(r.at.split('[').next().unwrap_or(&r.at))
    );
    for c in &r.checks {
        let _ = write!(
            x,
            "    <testcase classname=\"shipgate.{}\" name=\"{}\" time=\"{}\"",
            esc(c.kind),
            esc(&c.id),
            secs(c.duration_ms)
        );
        let findings: String = c
            .findings
            .iter()
            .map(|f| {
                let mut s = format!("{}: {}", location_label(&f.location), f.message);
                if let Some(e) = &f.evidence {
                    s.push_str(&format!("\n    {e}"));
                }
                s.push('\n');
                s
            })
            .collect();
        match c.status {
            Status::Pass => x.push_str("/>\n"),
            Status::Fail => {
                let _ = writeln!(
                    x,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    esc(&format!("{} ({} finding(s))", c.title, c.findings.len())),
                    esc(c.severity.as_str()),
                    esc(&format!(
                        "{findings}{}",
                        c.help
                            .as_deref()
                            .map(|h| format!("\nhelp: {h}"))
                            .unwrap_or_default()
                    ))
                );
            }
            Status::Error => {
                let _ = writeln!(
                    x,
                    ">\n      <error message=\"{}\" type=\"input-error\">{}</error>\n    </testcase>",
                    esc(c.reason.as_deref().unwrap_or("could not be evaluated")),
                    esc(&findings)
                );
            }
            Status::Skip => {
                let _ = writeln!(
                    x,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    esc(c.reason.as_deref().unwrap_or(""))
                );
            }
            Status::Warn => {
                let _ = writeln!(
                    x,
                    ">\n      <system-out>{}</system-out>\n    </testcase>",
                    esc(&format!("warning:\n{findings}"))
                );
            }
            Status::Overridden => {
                let reason = c
                    .override_
                    .as_ref()
                    .map(|o| o.reason.as_str())
                    .unwrap_or("");
                let _ = writeln!(
                    x,
                    ">\n      <system-out>{}</system-out>\n    </testcase>",
                    esc(&format!("overridden: {reason}\n{findings}"))
                );
            }
        }
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

/// Escapes for XML text and attributes; characters XML 1.0 forbids become U+FFFD.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
