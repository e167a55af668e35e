//! `shipgate windows`: the next open and closed periods of every deploy-window check.

use std::path::Path;

use crate::engine;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::kinds::CalendarCx;
use crate::output::stdout;
use crate::report::calendar::{self, Entry};

pub fn execute(dir: &Path, at: Option<jiff::Timestamp>, days: i64) -> Result<ExitStatus, Error> {
    let (repo, config) = super::load(dir)?;
    let fallback = engine::time_zone(&config);
    let now = at
        .unwrap_or_else(jiff::Timestamp::now)
        .to_zoned(fallback.clone());
    let cx = CalendarCx {
        fallback: &fallback,
        root: &repo.root,
        now: &now,
        days: days.clamp(1, 366),
    };
    let mut entries = Vec::new();
    for c in &config.checks {
        let Some(schedule) = c.spec.calendar(&cx) else {
            continue;
        };
        entries.push(Entry {
            id: c.id.clone(),
            title: c.title.clone(),
            stages: c.stages.iter().map(|s| s.as_str()).collect(),
            off: c.off,
            schedule: schedule.map_err(Error::Other)?,
        });
    }
    let mut buf = Vec::new();
    calendar::human(&entries, &mut buf).map_err(|e| Error::io("<stdout>", e))?;
    stdout(&buf)?;
    Ok(ExitStatus::Pass)
}
