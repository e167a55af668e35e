//! GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message` per finding
//! (`::warning` for warnings), so findings show up as annotations on the pull request. Data is
//! escaped (`%`, CR, LF) and so are properties (also `:` and `,`), as the runner expects. `file=`
//! is always repository-relative; a finding about a file or artifact outside the repository names
//! it in the message instead.

use std::fmt::Write;

use crate::report::model::{Report, Status, Verdict};
use crate::report::place;

/// Github reporter.
pub struct Github;

impl crate::report::Reporter for Github {
    fn write(&self, report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(render(report).as_bytes())
    }
}

pub fn render(r: &Report) -> String {
    let mut out = String::new();
    for c in &r.checks {
        let cmd = match c.status {
            Status::Fail => "error",
            Status::Warn => "warning",
            Status::Error => "error",
            Status::Overridden => "notice",
            _ => continue,
        };
        if c.status == Status::Error {
            let _ = writeln!(
                out,
                "::error title={}::{}",
                prop(&format!("shipgate {} could not decide", c.id)),
                data(c.reason.as_deref().unwrap_or("could not be evaluated"))
            );
        }
        for f in &c.findings {
            let l = &f.location;
            let mut props = Vec::new();
            let place = place(&r.paths, l);
            // Only the finding's own repository file: an annotation on the anchor would say the
            // wrong thing, and one without a file is shown on the run.
            if let (true, Some(file)) = (place.own, &place.file) {
                props.push(format!("file={}", prop(file)));
                if let Some((line, column)) = place.line(l) {
                    props.push(format!("line={line}"));
                    if let Some(col) = column {
                        props.push(format!("col={col}"));
                    }
                }
            }
            props.push(format!(
                "title={}",
                prop(&format!("shipgate {}: {}", c.id, c.title))
            ));
            let mut msg = f.message.clone();
            if let Some(o) = &c.override_ {
                msg = format!("overridden ({}): {msg}", o.reason);
            }
            if let Some(about) = &place.about {
                if !msg.contains(about.as_str()) {
                    msg = format!("{about}: {msg}");
                }
            }
            let _ = writeln!(out, "::{cmd} {}::{}", props.join(","), data(&msg));
        }
    }
    let s = &r.summary;
    let _ = writeln!(
        out,
        "shipgate: gate {} — {} failed, {} errors, {} warnings, {} passed, {} skipped, {} overridden",
        if r.verdict == Verdict::Pass { "passed" } else { "failed" },
        s.fail,
        s.error,
        s.warn,
        s.pass,
        s.skip,
        s.overridden
    );
    out
}

/// Escapes a command's message; other control characters (terminal escapes from entry names or
/// commit subjects) are made visible, never printed raw.
pub fn data(s: &str) -> String {
    crate::text::sanitize(
        &s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A"),
    )
}

/// Escapes a property value.
pub fn prop(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}
