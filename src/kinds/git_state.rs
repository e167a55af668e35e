//! `git-state`: the state of the repository a release is cut from: a clean work tree, an allowed
//! branch, a version tag on HEAD that matches the manifest, and not being behind the upstream.

use std::path::Path;

use serde::Deserialize;

use crate::check::Meta;
use crate::inputs::git::{branch_matches, RepoHandle};
use crate::kinds::{Kind, Outcome, PassView};
use crate::report::model::{Finding, Location};
use crate::types::Input;

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GitState {
    /// No uncommitted changes to tracked files.
    #[serde(default)]
    pub clean_worktree: bool,
    /// HEAD is on one of these branches (globs, e.g. `release/*`).
    #[serde(default)]
    pub branches: Option<Vec<String>>,
    /// The version in Cargo.toml / package.json / pyproject.toml has a tag on HEAD.
    #[serde(default)]
    pub version_tag: bool,
    /// The tag's form (default `v{version}`; `{version}` alone is accepted too).
    #[serde(default)]
    pub tag_format: Option<String>,
    /// The branch is not behind its upstream (as far as local refs know).
    #[serde(default)]
    pub up_to_date: bool,
}

/// At most this many dirty files are named.
const MAX_DIRTY: usize = 50;

impl Kind for GitState {
    const KEY: &'static str = "git-state";
    const INPUT: Input = Input::Git;
    const FIELDS: &'static [&'static str] = &["path", "branch", "version", "tag", "detail"];

    fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.clean_worktree {
            lines.push("no uncommitted changes to tracked files".into());
        }
        if let Some(b) = &self.branches {
            lines.push(format!("HEAD on one of: {}", b.join(", ")));
        }
        if self.version_tag {
            lines.push(format!(
                "HEAD tagged {} with the manifest's version",
                self.tag_format.as_deref().unwrap_or("v{version}")
            ));
        }
        if self.up_to_date {
            lines.push("the branch is not behind its upstream".into());
        }
        lines
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        evaluate(check, self, view.repo, view.ci_branch)
    }
}

fn evaluate(check: &Meta, p: &GitState, repo: &RepoHandle, ci_branch: Option<&str>) -> Outcome {
    let Some(git) = &repo.repo else {
        return Outcome::skip("not a git repository");
    };
    let mut findings = Vec::new();
    let mut push = |path: Option<String>, fields: Vec<(&str, String)>, default: String| {
        findings.push(Finding {
            message: check.render(|| default, &fields),
            location: Location {
                path,
                ..Location::new(Input::Git)
            },
            evidence: None,
        });
    };

    if p.clean_worktree {
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(false)
            .include_ignored(false)
            .exclude_submodules(false);
        match git.statuses(Some(&mut opts)) {
            Ok(st) => {
                for s in st.iter().filter(|s| !s.status().is_empty()).take(MAX_DIRTY) {
                    let path = s.path().unwrap_or("?").to_string();
                    let what = describe_status(s.status());
                    push(
                        Some(path.clone()),
                        vec![("path", path.clone()), ("detail", what.into())],
                        format!("{path}: {what}, not committed"),
                    );
                }
            }
            Err(e) => {
                return Outcome::error(format!("cannot read the work tree status: {}", e.message()))
            }
        }
    }

    if let Some(allowed) = &p.branches {
        let branch = repo.branch().or_else(|| ci_branch.map(str::to_string));
        match branch {
            None => push(
                None,
                vec![("detail", "detached".into())],
                format!("HEAD is detached: check out one of {} (in CI, the branch comes from GITHUB_REF_NAME or CI_COMMIT_BRANCH)", allowed.join(", ")),
            ),
            Some(b) if !branch_matches(allowed, &b) => push(
                None,
                vec![("branch", b.clone())],
                format!("HEAD is on `{b}`, not on an allowed branch ({})", allowed.join(", ")),
            ),
            Some(_) => {}
        }
    }

    if p.version_tag {
        let head = repo.head();
        match (head, manifest_version(&repo.root)) {
            (None, _) => push(
                None,
                vec![],
                "HEAD has no commits yet, so it has no tag".into(),
            ),
            (_, None) => push(
                None,
                vec![],
                "no version found in Cargo.toml, package.json or pyproject.toml".into(),
            ),
            (Some(head), Some((file, version))) => {
                let format = p.tag_format.as_deref().unwrap_or("v{version}");
                let expected = format.replace("{version}", &version);
                let tags = tags_at(git, &head);
                if !tags
                    .iter()
                    .any(|t| *t == expected || (p.tag_format.is_none() && *t == version))
                {
                    let found = if tags.is_empty() {
                        "HEAD has no tag".to_string()
                    } else {
                        format!("HEAD is tagged {}", tags.join(", "))
                    };
                    push(
                        Some(file.clone()),
                        vec![("version", version.clone()), ("tag", expected.clone()), ("path", file.clone())],
                        format!("{file} says {version}, but {found}: tag the release `git tag {expected}` (or bump the version)"),
                    );
                }
            }
        }
    }

    if p.up_to_date {
        if let Ok(head) = git.head() {
            if head.is_branch() {
                let name = head.shorthand().unwrap_or("HEAD").to_string();
                let local = head.target();
                let branch = git2::Branch::wrap(head);
                if let (Ok(up), Some(local)) = (branch.upstream(), local) {
                    if let Some(remote) = up.get().target() {
                        if let Ok((_, behind)) = git.graph_ahead_behind(local, remote) {
                            if behind > 0 {
                                let upn =
                                    up.name().ok().flatten().unwrap_or("upstream").to_string();
                                push(
                                    None,
                                    vec![("branch", name.clone()), ("detail", format!("{behind}"))],
                                    format!("`{name}` is {behind} commit(s) behind {upn} (as of the last fetch): pull first"),
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    Outcome::findings(findings)
}

fn describe_status(s: git2::Status) -> &'static str {
    if s.intersects(git2::Status::CONFLICTED) {
        "conflicted"
    } else if s.intersects(
        git2::Status::INDEX_NEW
            | git2::Status::INDEX_MODIFIED
            | git2::Status::INDEX_DELETED
            | git2::Status::INDEX_RENAMED,
    ) {
        "staged"
    } else if s.intersects(git2::Status::WT_DELETED) {
        "deleted"
    } else {
        "modified"
    }
}

/// Tags pointing at `head` (lightweight or annotated).
fn tags_at(repo: &git2::Repository, head: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(names) = repo.tag_names(None) {
        for n in names.iter().flatten() {
            if let Ok(obj) = repo.revparse_single(&format!("refs/tags/{n}")) {
                if obj
                    .peel_to_commit()
                    .map(|c| c.id().to_string())
                    .ok()
                    .as_deref()
                    == Some(head)
                {
                    out.push(n.to_string());
                }
            }
        }
    }
    out.sort();
    out
}

/// The project's version and the manifest it came from.
pub fn manifest_version(root: &Path) -> Option<(String, String)> {
    if let Ok(text) = std::fs::read_to_string(root.join("Cargo.toml")) {
        if let Some(v) = toml_version(&text, &["package", "workspace.package"]) {
            return Some(("Cargo.toml".into(), v));
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join("package.json")) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            if let Some(s) = v.get("version").and_then(|v| v.as_str()) {
                return Some(("package.json".into(), s.to_string()));
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join("pyproject.toml")) {
        if let Some(v) = toml_version(&text, &["project", "tool.poetry"]) {
            return Some(("pyproject.toml".into(), v));
        }
    }
    None
}

/// `version = "x"` under one of `tables` (a small reader for this one key, not a TOML parser).
fn toml_version(text: &str, tables: &[&str]) -> Option<String> {
    let mut current = String::new();
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            current = l.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            continue;
        }
        if tables.contains(&current.as_str()) {
            if let Some(rest) = l.strip_prefix("version") {
                let rest = rest.trim_start();
                if let Some(v) = rest.strip_prefix('=') {
                    let v = v.trim();
                    if let Some(q) = v.strip_prefix('"') {
                        return q.split('"').next().map(str::to_string);
                    }
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions() {
        assert_eq!(
            toml_version(
                "[package]\nname = \"x\"\nversion = \"1.4.2\"\n",
                &["package"]
            )
            .as_deref(),
            Some("1.4.2")
        );
        assert_eq!(
            toml_version(
                "[workspace.package]\nversion = \"0.3.0\"\n",
                &["package", "workspace.package"]
            )
            .as_deref(),
            Some("0.3.0")
        );
        assert_eq!(
            toml_version("[dependencies]\nversion = \"9\"\n", &["package"]),
            None
        );
        assert!(branch_matches(
            &["main".into(), "release/*".into()],
            "release/1.2"
        ));
        assert!(!branch_matches(&["main".into()], "feature/x"));
    }
}
