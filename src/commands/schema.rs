//! `shipgate schema check|config`.

use std::path::Path;

use crate::cli::SchemaKind;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::output::stdout;

pub fn schema(dir: &Path, which: SchemaKind) -> Result<ExitStatus, Error> {
    let v = match which {
        SchemaKind::Check => crate::schema::check_schema(),
        SchemaKind::Config => crate::schema::config_schema(&known_checks(dir)),
    };
    let text = serde_json::to_string_pretty(&v).map_err(|e| Error::Other(e.to_string()))? + "\n";
    stdout(text.as_bytes())?;
    Ok(ExitStatus::Pass)
}

/// The checks of the repository at `dir` (built-ins and its own check files), for the
/// configuration schema. Outside a repository, or when its check files cannot all be read, the
/// built-ins, with any kebab-case id allowed beside them.
fn known_checks(dir: &Path) -> crate::schema::KnownChecks {
    use crate::config::{self, raw::RawProject};
    let root = crate::inputs::git::RepoHandle::open(dir)
        .map(|r| r.root)
        .unwrap_or_else(|_| dir.to_path_buf());
    let path = root.join(config::PROJECT_FILE);
    let text = std::fs::read_to_string(&path).ok();
    // Whether every extra check file is readable and parses: then the ids are all there is.
    let complete = match &text {
        None => true,
        Some(t) => config::parse_yaml::<RawProject>(config::PROJECT_FILE, t).is_ok_and(|p| {
            p.extra_checks.iter().all(|e| {
                config::read_check_files(&root, e).is_ok_and(|found| {
                    found.iter().all(|src| {
                        config::parse_yaml::<config::raw::RawCheck>(&src.label, &src.text).is_ok()
                    })
                })
            })
        }),
    };
    let mut errors = Vec::new();
    let loaded = config::load_from(
        &root,
        text.as_deref().map(|t| (path.as_path(), t)),
        &mut errors,
    );
    crate::schema::KnownChecks {
        checks: loaded
            .checks
            .iter()
            .map(|c| (c.id.clone(), c.spec.kind()))
            .collect(),
        complete,
    }
}
