//! Writing what the user asked for: report files written atomically, appends (GitHub's step
//! summary), and standard output where a closed pipe (`| head`) is not an error.

use std::io::{self, Write};
use std::path::Path;

use crate::error::Error;

/// Writes `data` to `path` through a temporary file in the same folder and a rename, so a reader
/// never sees half a report and a failed write never destroys the previous one.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), Error> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(|e| Error::io(parent, e))?;
    tmp.write_all(data).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Appends to a file (GitHub's step summary is shared by the steps of a job).
pub fn append(path: &Path, data: &[u8]) -> Result<(), Error> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.write_all(data).map_err(|e| Error::io(path, e))
}

/// The result of writing to standard output: a closed pipe is fine (the reader has what it wanted).
pub fn stdout_result(r: io::Result<()>) -> Result<(), Error> {
    match r {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", e)),
        _ => Ok(()),
    }
}

/// Writes `data` to standard output and flushes it.
pub fn stdout(data: &[u8]) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    stdout_result(out.write_all(data).and_then(|_| out.flush()))
}
