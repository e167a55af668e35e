//! `shipgate init`: writes a starter `.shipgate.yaml`; never overwrites one.

use std::path::Path;

use crate::config::PROJECT_FILE;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::inputs::git::RepoHandle;
use crate::output::write_atomic;

pub fn execute(dir: &Path) -> Result<ExitStatus, Error> {
    let repo = RepoHandle::open(dir)?;
    let path = repo.root.join(PROJECT_FILE);
    if path.exists() {
        return Err(Error::Usage(format!(
            "{} already exists; shipgate init never overwrites it (edit it, or delete it first)",
            path.display()
        )));
    }
    let found = crate::init::detect(&repo.root);
    write_atomic(&path, crate::init::starter(&found).as_bytes())?;
    let what = if found.is_empty() {
        "no known ecosystem detected".to_string()
    } else {
        format!("detected: {}", found.join(", "))
    };
    println!("wrote {} ({what})", path.display());
    println!("next: `shipgate run` to see the report, `shipgate list` for every check");
    Ok(ExitStatus::Pass)
}
