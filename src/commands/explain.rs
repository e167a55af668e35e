//! `shipgate explain ID`: what a check looks for, why it matters, how to fix it.

use std::path::Path;

use crate::error::Error;
use crate::exit::ExitStatus;
use crate::output::stdout;
use crate::report::explain;

pub fn execute(dir: &Path, id: &str, width: Option<usize>) -> Result<ExitStatus, Error> {
    let (_, config) = super::load(dir)?;
    let Some(c) = config.get(id) else {
        return Err(config.unknown_id("explain", id));
    };
    let mut buf = Vec::new();
    explain::human(&explain::model(c), width, &mut buf).map_err(|e| Error::io("<stdout>", e))?;
    stdout(&buf)?;
    Ok(ExitStatus::Pass)
}
