//! A check's `samples`: inputs that must produce a finding (`fail`) and inputs that must not
//! (`pass`). `shipgate validate` and the test suite run them, so a pattern cannot silently rot.

use crate::check::Check;
use crate::config::raw::Sample;
use crate::error::ConfigError;
use crate::inputs::artifact::EntryKind;
use crate::inputs::content::{ContentMatcher, Selection};
use crate::inputs::repo::RepoFile;
use crate::kinds::{artifact_files, env, git_commits, repo_files, Spec};

/// Runs the check's samples; one error per sample that does not behave.
pub fn verify(check: &Check) -> Vec<ConfigError> {
    let Some(samples) = &check.samples else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    let cases = (samples.fail.iter().enumerate().map(|(i, s)| (true, i, s)))
        .chain(samples.pass.iter().enumerate().map(|(i, s)| (false, i, s)));
    for (must_find, i, sample) in cases {
        let found = match count(check, sample) {
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

/// How many findings the check makes on one sample.
fn count(check: &Check, sample: &Sample) -> Result<usize, String> {
    match &check.spec {
        Spec::RepoContent(p) | Spec::ArtifactContent(p) => {
            let content = sample.text("a content sample needs `content`")?;
            let path = match sample {
                Sample::Text(_) => None,
                Sample::Full(f) => f.path.clone(),
            };
            let path = match path {
                Some(p) => p,
                None if p.include.is_none() => "src/sample".to_string(),
                None => {
                    return Err(
                        "this check selects files with `include`, so its samples need a `path`"
                            .into(),
                    )
                }
            };
            let sel = Selection {
                include: p.include.clone(),
                exclude: p.exclude.clone(),
            };
            let m = ContentMatcher::new(vec![(0, sel, p.patterns.clone())])?;
            let owners = m.owners_for(&path);
            let id = check.id.clone();
            Ok(m.scan(&owners, content.as_bytes(), &|_| id.clone())
                .matches
                .len())
        }
        Spec::RepoFiles(p) => {
            let files: Vec<RepoFile> = sample
                .paths()
                .into_iter()
                .map(|path| RepoFile {
                    path,
                    tracked: true,
                })
                .collect();
            Ok(repo_files::evaluate(check, p, &files).findings.len())
        }
        Spec::ArtifactFiles(p) => {
            let paths = sample.paths();
            let data = artifact_files::ArtifactData {
                display: "sample".into(),
                entries: paths
                    .into_iter()
                    .map(|path| artifact_files::EntryMeta {
                        rel: path.clone(),
                        kind: if path.ends_with('/') {
                            EntryKind::Dir
                        } else {
                            EntryKind::File
                        },
                        path,
                        size: 0,
                        map: None,
                    })
                    .collect(),
                bytes: 0,
            };
            Ok(artifact_files::evaluate(check, p, &data, None)
                .findings
                .len())
        }
        Spec::GitCommits(p) => {
            let message = sample.text("a commit sample is the commit message")?;
            let commits = [git_commits::sample_commit(&message)];
            let o =
                git_commits::evaluate(check, p, "sample", &commits, &Default::default(), &|_| true);
            Ok(o.findings.len())
        }
        Spec::GitState(_) | Spec::DeployWindow(_) | Spec::Command(_) | Spec::Manual(_) => {
            Err("this kind has no samples".into())
        }
        Spec::Env(p) => {
            let line = sample.text("an env sample is `NAME=value`")?;
            let (name, value) = line
                .split_once('=')
                .ok_or("an env sample is `NAME=value`")?;
            let env = env::EnvInput::from_process(&[(name.to_string(), value.to_string())]);
            let only_values = env::Params {
                values: p.values.clone(),
                public: p.public.clone(),
                ..Default::default()
            };
            Ok(env::evaluate(check, &only_values, &env, &Vec::new(), &[])
                .findings
                .len())
        }
    }
}

/// Whether this check's samples can be run: file and content kinds, commit messages for
/// `git-commits` (review and subjects), `NAME=value` lines for `env` (values and public).
pub fn supports_samples(spec: &Spec) -> bool {
    match spec {
        Spec::RepoContent(_) | Spec::RepoFiles(_) | Spec::ArtifactContent(_) => true,
        Spec::ArtifactFiles(p) => !p.wants_baseline(),
        Spec::GitCommits(p) => p.review.is_some() || !p.forbid_subjects.is_empty(),
        Spec::Env(p) => !p.values.is_empty() || p.public.is_some(),
        Spec::GitState(_) | Spec::DeployWindow(_) | Spec::Command(_) | Spec::Manual(_) => false,
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
            if !supports_samples(&c.spec) {
                continue;
            }
            let s = c
                .samples
                .as_ref()
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
        let mut ids: Vec<String> = builtins().into_iter().map(|c| c.id).collect();
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
