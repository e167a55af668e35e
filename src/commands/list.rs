//! `shipgate list`: every loaded check.

use std::path::Path;

use crate::cli::ListFormat;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::output::stdout;
use crate::report::list;

pub fn execute(dir: &Path, format: ListFormat) -> Result<ExitStatus, Error> {
    let (_, config) = super::load(dir)?;
    let items = list::model(&config);
    let mut buf = Vec::new();
    match format {
        ListFormat::Json => list::json(&items, &mut buf),
        ListFormat::Human => list::human(&items, &mut buf),
    }
    .map_err(|e| Error::io("<stdout>", e))?;
    stdout(&buf)?;
    Ok(ExitStatus::Pass)
}
