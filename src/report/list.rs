//! `shipgate list`: every loaded check, as a typed model printed as a table or as JSON.

use std::io::{self, Write};

use serde::Serialize;

use crate::config::Config;
use crate::types::{Severity, Stage};

#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub severity: Severity,
    pub stages: Vec<Stage>,
    pub off: bool,
    pub source: String,
    pub builtin: bool,
}

/// Every check of the configuration, in its order.
pub fn model(config: &Config) -> Vec<Listed> {
    config
        .checks
        .iter()
        .map(|c| Listed {
            id: c.id.clone(),
            title: c.title.clone(),
            kind: c.spec.kind(),
            severity: c.severity,
            stages: c.stages.clone(),
            off: c.off,
            source: c.source.clone(),
            builtin: c.builtin,
        })
        .collect()
}

pub fn json(items: &[Listed], out: &mut dyn Write) -> io::Result<()> {
    crate::report::json(out, &items)
}

pub fn human(items: &[Listed], out: &mut dyn Write) -> io::Result<()> {
    let w = items.iter().map(|c| c.id.len()).max().unwrap_or(10);
    writeln!(
        out,
        "{:<w$}  {:<16}  {:<8}  {:<22}  SOURCE",
        "ID", "KIND", "SEVERITY", "STAGES"
    )?;
    for c in items {
        let stages: Vec<&str> = c.stages.iter().map(|s| s.as_str()).collect();
        let src = if c.off {
            format!("{} (off)", c.source)
        } else {
            c.source.clone()
        };
        writeln!(
            out,
            "{:<w$}  {:<16}  {:<8}  {:<22}  {}",
            c.id,
            c.kind,
            c.severity.as_str(),
            stages.join(","),
            src
        )?;
    }
    Ok(())
}
