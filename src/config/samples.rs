//! A check's `samples`: inputs that must produce a finding (`fail`) and inputs that must not
//! (`pass`). `shipgate validate` and the test suite run them, so a pattern cannot silently rot.

use crate::check::Check;
use crate::error::ConfigError;
use crate::types::Sample;

/// Runs the check's samples; one error per sample that does not behave.
pub fn verify(check: &Check) -> Vec<ConfigError> {
    let Some(samples) = check.samples.get() else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    let cases = (samples.fail.iter().enumerate().map(|(i, s)| (true, i, s)))
        .chain(samples.pass.iter().enumerate().map(|(i, s)| (false, i, s)));
    for (must_find, i, sample) in cases {
        let found = match check.spec.run_sample(&check.meta, sample) {
            Ok(n) => n,
            Err(msg) => {
                errors.push(
                    ConfigError::new(
                        &check.source,
                        format!(
                            "{} sample {}: {msg}",
                            if must_find { "fail" } else { "pass" },
                            i + 1
                        ),
                    )
                    .check(&check.id),
                );
                continue;
            }
        };
        if must_find && found == 0 {
            errors.push(
                ConfigError::new(&check.source, format!("fail sample {} produced no finding: {}", i + 1, describe(sample)))
                    .check(&check.id)
                    .help("the check no longer catches what it says it catches: fix the pattern or the sample"),
            );
        } else if !must_find && found > 0 {
            errors.push(
                ConfigError::new(&check.source, format!("pass sample {} produced {found} finding(s): {}", i + 1, describe(sample)))
                    .check(&check.id)
                    .help("the check reports something it should accept: tighten the pattern or fix the sample"),
            );
        }
    }
    errors
}

fn describe(s: &Sample) -> String {
    match s {
        Sample::Text(t) => format!("{t:?}"),
        Sample::Full(f) => match (&f.path, &f.content) {
            (Some(p), Some(c)) => format!("{p}: {c:?}"),
            (None, Some(c)) => format!("{c:?}"),
            _ => format!("{:?}", f.paths),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{builtin_sources, parse_checks};

    fn builtins() -> Vec<Check> {
        let mut errors = Vec::new();
        let mut checks = parse_checks(&builtin_sources(), &Default::default(), None, &mut errors);
        crate::config::resolve_patterns_from(&mut checks, &mut errors);
        assert!(errors.is_empty(), "{errors:#?}");
        checks
    }

    /// Every built-in check carries samples that must match and must not, and they behave.
    #[test]
    fn builtin_samples_hold() {
        for c in builtins() {
            if !c.spec.has_samples() {
                continue;
            }
            let s = c
                .samples
                .get()
                .unwrap_or_else(|| panic!("{} has no samples", c.id));
            assert!(
                !s.fail.is_empty() && !s.pass.is_empty(),
                "{} needs fail and pass samples",
                c.id
            );
            let errors = verify(&c);
            assert!(
                errors.is_empty(),
                "{}",
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }

    /// Ids are unique, and the sorted list is pinned so a rename shows up in review.
    #[test]
    fn builtin_ids_are_unique_and_pinned() {
        let mut ids: Vec<String> = builtins().into_iter().map(|c| c.meta.id).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(n, ids.len(), "duplicate built-in id");
        insta::assert_snapshot!("builtin_ids", ids.join("\n"));
    }

    /// Every built-in says how to fix what it finds.
    #[test]
    fn builtins_have_help() {
        for c in builtins() {
            assert!(
                c.help.as_deref().is_some_and(|h| h.len() > 40),
                "{} needs a real help text",
                c.id
            );
        }
    }
}
