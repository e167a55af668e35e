//! `shipgate validate [FILE]...`: loads and validates configuration and check files, compiles every
//! pattern and runs every check's samples, without running the checklist.

use std::path::{Path, PathBuf};

use crate::config;
use crate::error::{ConfigError, Error};
use crate::exit::ExitStatus;

pub fn execute(dir: &Path, files: &[PathBuf]) -> Result<ExitStatus, Error> {
    let mut errors: Vec<ConfigError> = Vec::new();
    // Files the checks name (holiday calendars) are read from the repository, as `run` reads them.
    let mut root = dir.to_path_buf();
    let checks = if files.is_empty() {
        let (repo, config) = super::load(dir)?;
        root = repo.root.clone();
        config.checks
    } else {
        let mut sources = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(f).map_err(|e| Error::io(f, e))?;
            let label = f.display().to_string();
            if f.file_name().is_some_and(|n| n == config::PROJECT_FILE) {
                let root = f
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let cfg = config::load_from(root, Some((f, &text)), &mut errors);
                let today = jiff::Zoned::now().date();
                // Built-in checks too: `.shipgate.yaml` gives them their calendars.
                for c in &cfg.checks {
                    errors.extend(
                        c.spec
                            .validate_files(root, today)
                            .into_iter()
                            .map(|e| e.check(&c.id)),
                    );
                }
                sources.clear();
                let mut all = cfg.checks;
                all.retain(|c| !c.builtin);
                for c in &all {
                    errors.extend(config::samples::verify(c));
                }
                continue;
            }
            sources.push(config::Source {
                label,
                text,
                builtin: false,
                json: None,
            });
        }
        config::parse_checks(&sources, &Default::default(), None, &mut errors)
    };
    for c in &checks {
        // Patterns are compiled on first use when running; validating compiles them all.
        if let Err(e) = crate::types::Pattern::compile_all(c.spec.patterns()) {
            errors.push(ConfigError::new(&c.source, e).check(&c.id));
        }
        errors.extend(config::samples::verify(c));
        if files.is_empty() {
            let today = jiff::Zoned::now().date();
            let found = c.spec.validate_files(&root, today);
            errors.extend(found.into_iter().map(|e| e.check(&c.id)));
        }
    }
    if !errors.is_empty() {
        return Err(Error::Config(errors));
    }
    println!("ok: {} check(s) valid", checks.len());
    Ok(ExitStatus::Pass)
}
