//! The human report: one line per check with a coloured status, findings as `path:line:col` with
//! the (redacted) line and the check's help, quiet skips, and a summary line. Colours come from a
//! `Styles` value decided once by the caller; untrusted text is sanitized before printing.

use std::io::{self, Write};

use owo_colors::{OwoColorize, Style};

use crate::report::location_label;
use crate::report::model::{CheckResult, Report, Status, Verdict, WaiverState};
use crate::text::{paragraphs, sanitize, wrap};

/// At most this many findings per check are printed; the JSON report has them all.
const MAX_FINDINGS_SHOWN: usize = 20;

/// Styles by meaning; all plain when colour is off.
pub struct Styles {
    pub pass: Style,
    pub fail: Style,
    pub warn: Style,
    pub skip: Style,
    pub error: Style,
    pub overridden: Style,
    pub dim: Style,
    pub bold: Style,
    pub path: Style,
    /// The terminal's width: help, reasons and lists of skipped checks wrap to it, keeping their
    /// indent. `None` (a file, a pipe): lines are not wrapped.
    pub width: Option<usize>,
}

impl Styles {
    pub fn new(color: bool) -> Self {
        if !color {
            let p = Style::new();
            return Styles {
                pass: p,
                fail: p,
                warn: p,
                skip: p,
                error: p,
                overridden: p,
                dim: p,
                bold: p,
                path: p,
                width: None,
            };
        }
        Styles {
            pass: Style::new().green().bold(),
            fail: Style::new().red().bold(),
            warn: Style::new().yellow().bold(),
            skip: Style::new().dimmed(),
            error: Style::new().magenta().bold(),
            overridden: Style::new().cyan().bold(),
            dim: Style::new().dimmed(),
            bold: Style::new().bold(),
            path: Style::new().cyan(),
            width: None,
        }
    }

    /// These styles, wrapping to `width` columns.
    pub fn wrapping(self, width: Option<usize>) -> Self {
        Styles { width, ..self }
    }

    fn status(&self, s: Status) -> Style {
        match s {
            Status::Pass => self.pass,
            Status::Fail => self.fail,
            Status::Warn => self.warn,
            Status::Skip => self.skip,
            Status::Error => self.error,
            Status::Overridden => self.overridden,
        }
    }
}

fn label(s: Status) -> &'static str {
    match s {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::Warn => "WARN",
        Status::Skip => "SKIP",
        Status::Error => "ERROR",
        Status::Overridden => "OVERRIDE",
    }
}

/// The human reporter, with its styles.
pub struct Human(pub Styles);

impl crate::report::Reporter for Human {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        write(report, &self.0, out)
    }
}

pub fn write(r: &Report, st: &Styles, out: &mut dyn Write) -> io::Result<()> {
    header(r, st, out)?;
    let width = r
        .checks
        .iter()
        .map(|c| c.id.len())
        .max()
        .unwrap_or(10)
        .min(32);
    // Skips are quiet: one line per reason, after the checks that ran. Manual items not
    // confirmed are said together, with how to confirm them once.
    let mut skips: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut unconfirmed: Vec<&CheckResult> = Vec::new();
    for c in &r.checks {
        if c.kind == "manual" && c.status == Status::Fail && c.findings.len() == 1 {
            unconfirmed.push(c);
            continue;
        }
        if c.status == Status::Skip {
            let reason = c.reason.as_deref().unwrap_or("skipped");
            match skips.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, ids)) => ids.push(&c.id),
                None => skips.push((reason, vec![&c.id])),
            }
            continue;
        }
        check(c, width, st, out)?;
    }
    manual_items(&unconfirmed, st, out)?;
    let indent = " ".repeat(9);
    for (reason, ids) in &skips {
        let head = if ids.len() == 1 {
            format!("{:<width$}  ", ids[0])
        } else {
            format!("{} checks: ", ids.len())
        };
        let at = 9 + head.chars().count();
        for (n, line) in wrap(reason, st.width, at, 9).iter().enumerate() {
            if n == 0 {
                let text = format!("{head}{line}");
                writeln!(
                    out,
                    "{} {}",
                    format!("{:<8}", "SKIP").style(st.skip),
                    text.style(st.dim)
                )?;
            } else {
                writeln!(out, "{indent}{}", line.style(st.dim))?;
            }
        }
        if ids.len() > 1 {
            for line in wrap(&ids.join(", "), st.width, 9, 9) {
                writeln!(out, "{indent}{}", line.style(st.dim))?;
            }
        }
    }
    notes(r, st, out)?;
    summary(r, st, out)
}

fn header(r: &Report, st: &Styles, out: &mut dyn Write) -> io::Result<()> {
    let mut head = format!("shipgate {} · stage {} · {}", r.tool.version, r.stage, r.at);
    if let Some(b) = &r.repo.branch {
        head.push_str(&format!(" · {}", sanitize(b)));
    }
    if let Some(h) = &r.repo.head {
        head.push_str(&format!(" @ {}", &h[..h.len().min(10)]));
    }
    writeln!(out, "{}", head.style(st.dim))?;
    for a in &r.artifacts {
        writeln!(
            out,
            "{}",
            format!(
                "artifact {} · {} entries · {}",
                sanitize(&a.path),
                a.entries,
                crate::text::human_bytes(a.bytes)
            )
            .style(st.dim)
        )?;
        for i in &a.images {
            image(i, st, out)?;
        }
    }
    writeln!(out)
}

/// An image of an artifact: its names, platform, config digest and layers.
fn image(i: &crate::report::model::ImageInfo, st: &Styles, out: &mut dyn Write) -> io::Result<()> {
    use crate::text::human_bytes;
    let short = |d: &str| d.chars().take(19).collect::<String>();
    let name = i.tags.first().map_or("(untagged)", String::as_str);
    let mut line = format!("  image {}", sanitize(name));
    if let Some(p) = &i.platform {
        line.push_str(&format!(" · {}", sanitize(p)));
    }
    line.push_str(&format!(
        " · config {} · {} layer{}, {} ({} uncompressed)",
        sanitize(&short(&i.config_digest)),
        i.layers.len(),
        if i.layers.len() == 1 { "" } else { "s" },
        human_bytes(i.size),
        human_bytes(i.uncompressed)
    ));
    writeln!(out, "{}", line.style(st.dim))?;
    for (n, l) in i.layers.iter().enumerate() {
        let text = format!(
            "    layer {} {} · {} {} · {} entries",
            n + 1,
            sanitize(&short(&l.digest)),
            human_bytes(l.size),
            l.compression,
            l.entries
        );
        writeln!(out, "{}", text.style(st.dim))?;
    }
    Ok(())
}

/// One check that ran: its line, and unless it passed, its reason, findings and help.
fn check(c: &CheckResult, width: usize, st: &Styles, out: &mut dyn Write) -> io::Result<()> {
    let status = format!("{:<8}", label(c.status));
    let mut line = format!("{:<width$}  ", c.id);
    line.push_str(&sanitize(&c.title));
    let n = c.findings.len();
    if n > 0 && c.status != Status::Error {
        line.push_str(&format!(" ({n} finding{})", if n == 1 { "" } else { "s" }));
    }
    if c.suppressed + c.waived > 0 {
        line.push_str(&format!(
            " {}",
            format!("[{} suppressed, {} waived]", c.suppressed, c.waived).style(st.dim)
        ));
    }
    writeln!(out, "{} {}", status.style(st.status(c.status)), line)?;
    let indent = " ".repeat(9);
    // The reason; on a pass, what it left out on purpose (dimmed), said once.
    let pass = c.status == Status::Pass;
    if let Some(reason) = &c.reason {
        let style = if pass { st.dim } else { st.status(c.status) };
        for line in wrap(&sanitize(reason), st.width, 9, 9) {
            writeln!(out, "{indent}{}", line.style(style))?;
        }
    }
    if pass {
        return Ok(());
    }
    if let Some(o) = &c.override_ {
        writeln!(
            out,
            "{indent}overridden: {}",
            sanitize(&o.reason).style(st.overridden)
        )?;
    }
    for f in c.findings.iter().take(MAX_FINDINGS_SHOWN) {
        let label = location_label(&f.location);
        let at = 9 + label.chars().count() + 2;
        for (n, line) in wrap(&sanitize(&f.message), st.width, at, 11)
            .iter()
            .enumerate()
        {
            if n == 0 {
                writeln!(out, "{indent}{}  {line}", label.style(st.path))?;
            } else {
                writeln!(out, "{indent}  {line}")?;
            }
        }
        if let Some(e) = &f.evidence {
            if !e.is_empty() && e != &f.message {
                writeln!(
                    out,
                    "{indent}  {} {}",
                    "│".style(st.dim),
                    sanitize(e).style(st.dim)
                )?;
            }
        }
    }
    if n > MAX_FINDINGS_SHOWN {
        writeln!(
            out,
            "{indent}{}",
            format!(
                "… and {} more (`-f json` lists all)",
                n - MAX_FINDINGS_SHOWN
            )
            .style(st.dim)
        )?;
    }
    if let Some(help) = &c.help {
        if matches!(c.status, Status::Fail | Status::Warn | Status::Error) {
            // Each line of the help wraps to the terminal, under the text after `help: `.
            let lines = paragraphs(help.trim(), st.width)
                .into_iter()
                .flat_map(|l| wrap(&sanitize(&l), st.width, 15, 15));
            for (n, l) in lines.enumerate() {
                if n == 0 {
                    writeln!(out, "{indent}{} {l}", "help:".style(st.bold))?;
                } else {
                    writeln!(out, "{indent}      {l}")?;
                }
            }
        }
    }
    Ok(())
}

/// Manual items not confirmed: one line each, and how to confirm them, once.
fn manual_items(items: &[&CheckResult], st: &Styles, out: &mut dyn Write) -> io::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let n = items.len();
    let what = format!(
        "{n} manual item{} not confirmed",
        if n == 1 { "" } else { "s" }
    );
    writeln!(
        out,
        "{} {what}",
        format!("{:<8}", label(Status::Fail)).style(st.fail)
    )?;
    let indent = " ".repeat(9);
    for c in items {
        let question = c.findings[0]
            .message
            .strip_prefix("not confirmed: ")
            .and_then(|m| m.split(" — confirm with").next())
            .unwrap_or(&c.title);
        let at = 9 + c.id.chars().count() + 2;
        for (n, line) in wrap(&sanitize(question), st.width, at, 11)
            .iter()
            .enumerate()
        {
            if n == 0 {
                writeln!(out, "{indent}{}  {line}", c.id.style(st.path))?;
            } else {
                writeln!(out, "{indent}  {line}")?;
            }
        }
    }
    let help = "confirm them with `shipgate signoff` (it asks each), or `--confirm ID=\"comment\"`; `shipgate explain ID` says what each one means";
    for (n, line) in wrap(help, st.width, 15, 15).iter().enumerate() {
        if n == 0 {
            writeln!(out, "{indent}{} {line}", "help:".style(st.bold))?;
        } else {
            writeln!(out, "{indent}      {line}")?;
        }
    }
    Ok(())
}

/// Notes: files not scanned, waivers that expired or matched nothing, the run's own notes.
fn notes(r: &Report, st: &Styles, out: &mut dyn Write) -> io::Result<()> {
    let mut extra = Vec::new();
    if let Some(scan) = &r.repo.scan {
        if scan.skipped_large > 0 {
            extra.push(format!(
                "{} file(s) over the size limit were listed but not scanned: {}",
                scan.skipped_large,
                scan.not_scanned
                    .iter()
                    .map(|n| sanitize(&n.path))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    for w in &r.waivers {
        match w.state {
            WaiverState::Expired => extra.push(format!(
                "waiver for {} on `{}` expired on {}: it no longer waives anything",
                w.check,
                sanitize(&w.path),
                w.expires.as_deref().unwrap_or("?")
            )),
            WaiverState::Stale => extra.push(format!(
                "waiver for {} on `{}` matched nothing: remove it from .shipgate.yaml or fix its path",
                w.check,
                sanitize(&w.path)
            )),
            _ => {}
        }
    }
    extra.extend(r.notes.iter().map(|n| sanitize(n)));
    if !extra.is_empty() {
        writeln!(out)?;
        for e in extra {
            writeln!(out, "{} {}", "note:".style(st.warn), e)?;
        }
    }
    Ok(())
}

fn summary(r: &Report, st: &Styles, out: &mut dyn Write) -> io::Result<()> {
    let s = &r.summary;
    let mut parts = vec![
        format!("{} failed", s.fail),
        format!("{} errors", s.error),
        format!("{} warnings", s.warn),
        format!("{} passed", s.pass),
        format!("{} skipped", s.skip),
    ];
    if s.overridden > 0 {
        parts.push(format!("{} overridden", s.overridden));
    }
    if s.suppressed > 0 {
        parts.push(format!("{} suppressed", s.suppressed));
    }
    if s.waived > 0 {
        parts.push(format!("{} waived", s.waived));
    }
    let verdict = match (r.verdict, r.has_errors()) {
        (Verdict::Pass, _) => "PASSED".style(st.pass).to_string(),
        (Verdict::Fail, true) => "UNDECIDED".style(st.error).to_string(),
        (Verdict::Fail, false) => "FAILED".style(st.fail).to_string(),
    };
    writeln!(out)?;
    writeln!(
        out,
        "{verdict}  {}  {}",
        parts.join(" · "),
        format!("({:.2}s)", r.elapsed_ms as f64 / 1000.0).style(st.dim)
    )
}
