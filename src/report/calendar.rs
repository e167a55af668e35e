//! `shipgate windows`: the next open and closed periods of every clock check, the team's deploy
//! calendar, as a typed model printed as text.

use std::io::{self, Write};

/// One clock check's periods, as its kind computes them.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub timezone: String,
    /// No rules configured: always open.
    pub always_open: bool,
    pub periods: Vec<Period>,
}

#[derive(Debug, Clone)]
pub struct Period {
    /// Local times, `Mon 2026-11-23 00:00`.
    pub start: String,
    pub end: String,
    /// "2d 8h".
    pub length: String,
    /// Why it is closed; `None` when open.
    pub closed: Option<String>,
}

/// A check with its schedule.
pub struct Entry {
    pub id: String,
    pub title: String,
    pub stages: Vec<&'static str>,
    pub off: bool,
    pub schedule: Schedule,
}

pub fn human(entries: &[Entry], out: &mut dyn Write) -> io::Result<()> {
    if entries.is_empty() {
        return writeln!(out, "no deploy-window checks are loaded");
    }
    for e in entries {
        writeln!(
            out,
            "{} — {} ({}, stage {}{})",
            e.id,
            e.title,
            e.schedule.timezone,
            e.stages.join(", "),
            if e.off { ", off" } else { "" }
        )?;
        if e.schedule.always_open {
            writeln!(out, "  no rules configured: always open\n")?;
            continue;
        }
        for p in &e.schedule.periods {
            let state = if p.closed.is_some() {
                "closed"
            } else {
                "open  "
            };
            writeln!(
                out,
                "  {state}  {} → {}  ({}){}",
                p.start,
                p.end,
                p.length,
                p.closed
                    .as_ref()
                    .map(|w| format!("  {w}"))
                    .unwrap_or_default()
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}
