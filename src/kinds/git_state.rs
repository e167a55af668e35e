//! `git-state`: the state of the repository a release is cut from: a clean work tree, an allowed
//! branch, a version tag on HEAD that matches the manifest, and not being behind the upstream.

use serde::Deserialize;

use crate::check::Meta;
use crate::inputs::git::branch_matches;
use crate::kinds::{Kind, Outcome, PassView, Wants};
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
        evaluate(check, self, view)
    }

    fn wants(&self) -> Wants {
        Wants {
            contents: if self.version_tag {
                crate::kinds::versions::MANIFESTS
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            } else {
                Vec::new()
            },
            ..Wants::default()
        }
    }
}

impl GitState {
    /// How many of the parts are switched on.
    fn enabled(&self) -> usize {
        [
            self.clean_worktree,
            self.branches.is_some(),
            self.version_tag,
            self.up_to_date,
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }
}

/// What one part of a git-state check found, or why it does not apply.
enum Part {
    Found(Vec<Finding>),
    Skip(String),
}

/// Builds the findings of one part.
struct Out<'a> {
    check: &'a Meta,
    findings: Vec<Finding>,
}

impl Out<'_> {
    fn push(&mut self, path: Option<String>, fields: Vec<(&str, String)>, default: String) {
        self.findings.push(Finding {
            message: self.check.render(|| default, &fields),
            location: Location {
                path,
                ..Location::new(Input::Git)
            },
            evidence: None,
        });
    }

    fn done(self) -> Part {
        Part::Found(self.findings)
    }
}

fn evaluate(check: &Meta, p: &GitState, view: &PassView<'_>) -> Outcome {
    let Some(git) = &view.repo.repo else {
        return Outcome::skip("not a git repository");
    };
    if let crate::inputs::git::HeadState::Damaged(why) = view.repo.head_state() {
        return Outcome::error(why);
    }
    let out = || Out {
        check,
        findings: Vec::new(),
    };
    let mut parts = Vec::new();
    if p.clean_worktree {
        match clean_worktree(out(), git) {
            Ok(part) => parts.push(part),
            Err(e) => return Outcome::error(e),
        }
    }
    if let Some(allowed) = &p.branches {
        parts.push(release_branch(out(), allowed, view, git));
    }
    if p.version_tag {
        parts.push(version_tag(out(), p, view, git));
    }
    if p.up_to_date {
        parts.push(up_to_date(out(), git));
    }
    let mut findings = Vec::new();
    let mut skips = Vec::new();
    for part in parts {
        match part {
            Part::Found(f) => findings.extend(f),
            Part::Skip(r) => skips.push(r),
        }
    }
    if findings.is_empty() && !skips.is_empty() && skips.len() == p.enabled() {
        return Outcome::skip(skips.join("; "));
    }
    Outcome::findings(findings)
}

fn clean_worktree(mut out: Out<'_>, git: &git2::Repository) -> Result<Part, String> {
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(false)
        .include_ignored(false)
        .exclude_submodules(false);
    let st = git
        .statuses(Some(&mut opts))
        .map_err(|e| format!("cannot read the work tree status: {}", e.message()))?;
    // Paths a sparse checkout leaves out (skip-worktree) are not deletions: git status agrees.
    let skipped: std::collections::HashSet<Vec<u8>> = git
        .index()
        .map(|i| {
            i.iter()
                .filter(|e| e.flags_extended & (1 << 14) != 0)
                .map(|e| e.path)
                .collect()
        })
        .unwrap_or_default();
    for s in st
        .iter()
        .filter(|s| !s.status().is_empty() && !skipped.contains(s.path_bytes()))
        .take(MAX_DIRTY)
    {
        let path = s.path().unwrap_or("?").to_string();
        let what = describe_status(s.status());
        out.push(
            Some(path.clone()),
            vec![("path", path.clone()), ("detail", what.into())],
            format!("{path}: {what}, not committed"),
        );
    }
    Ok(out.done())
}

/// HEAD is on an allowed branch: the checked-out branch, the one CI names, or — in a
/// tag-triggered job or on a detached HEAD — an allowed branch (local or remote-tracking) that
/// contains the commit.
fn release_branch(
    mut out: Out<'_>,
    allowed: &[String],
    view: &PassView<'_>,
    git: &git2::Repository,
) -> Part {
    let list = allowed.join(", ");
    // The remote's default branch is the project's main line whatever its name (FreshRSS tags
    // its releases on `edge`, pixelfed on `dev`, mealie on `mealie-next`): as `git clone` and
    // `git remote set-head` record it, `refs/remotes/<remote>/HEAD`.
    let defaults = default_branches(git);
    let mut allowed = allowed.to_vec();
    allowed.extend(defaults.iter().map(|b| globset::escape(b)));
    let allowed = allowed.as_slice();
    let list = if defaults.is_empty() {
        list
    } else {
        format!("{list}, or the default branch {}", defaults.join(", "))
    };
    if let Some(b) = view
        .repo
        .branch()
        .or_else(|| view.ci_branch.map(str::to_string))
    {
        if !branch_matches(allowed, &b) {
            out.push(
                None,
                vec![("branch", b.clone())],
                format!("HEAD is on `{b}`, not on an allowed branch ({list})"),
            );
        }
        return out.done();
    }
    let Some(head) = view.repo.head().and_then(|h| git2::Oid::from_str(&h).ok()) else {
        return Part::Skip("HEAD has no commits yet".into());
    };
    if containing_branch(git, head, allowed).is_some() {
        return out.done();
    }
    let what = match view.ci_tag {
        Some(t) => format!("the tag `{t}` being released"),
        None => "HEAD (detached)".into(),
    };
    out.push(
        None,
        vec![("detail", "not on an allowed branch".into())],
        format!("{what} is on no allowed branch ({list}) as far as the branches here know: release from one, or fetch the branches first (actions/checkout with fetch-depth: 0; GIT_DEPTH: 0 in GitLab)"),
    );
    out.done()
}

/// The branches the remotes' `HEAD`s point at (`refs/remotes/origin/HEAD` → `edge`).
fn default_branches(git: &git2::Repository) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(refs) = git.references_glob("refs/remotes/*/HEAD") else {
        return out;
    };
    for r in refs.flatten() {
        let (Some(name), Some(target)) = (r.name(), r.symbolic_target()) else {
            continue;
        };
        let remote = &name["refs/remotes/".len()..name.len() - "/HEAD".len()];
        if let Some(b) = target.strip_prefix(&format!("refs/remotes/{remote}/")) {
            if !out.iter().any(|x| x == b) {
                out.push(b.to_string());
            }
        }
    }
    out
}

/// An allowed local or remote-tracking branch whose tip is `head` or descends from it.
fn containing_branch(
    git: &git2::Repository,
    head: git2::Oid,
    allowed: &[String],
) -> Option<String> {
    let refs = git.references().ok()?;
    for r in refs.flatten() {
        let Some(name) = r.name() else { continue };
        let short = if let Some(b) = name.strip_prefix("refs/heads/") {
            b.to_string()
        } else if let Some(rb) = name.strip_prefix("refs/remotes/") {
            match rb.split_once('/') {
                Some((_, b)) if b != "HEAD" => b.to_string(),
                _ => continue,
            }
        } else {
            continue;
        };
        if !branch_matches(allowed, &short) {
            continue;
        }
        let Ok(tip) = r.peel_to_commit().map(|c| c.id()) else {
            continue;
        };
        if tip == head || git.graph_descendant_of(tip, head).unwrap_or(false) {
            return Some(short);
        }
    }
    None
}

/// HEAD carries the tag of the version the project declares.
fn version_tag(
    mut out: Out<'_>,
    p: &GitState,
    view: &PassView<'_>,
    git: &git2::Repository,
) -> Part {
    use crate::kinds::versions::{self, Root};
    let Some(head) = view.repo.head() else {
        return Part::Skip("HEAD has no commits yet, so there is nothing to tag".into());
    };
    let Some(tree) = view.tree else {
        return Part::Skip("the repository was not read".into());
    };
    let all_tags: Vec<String> = git
        .tag_names(None)
        .map(|t| t.iter().flatten().map(str::to_string).collect())
        .unwrap_or_default();
    if all_tags.is_empty() {
        return Part::Skip("the repository has no tags: it is not released by tag".into());
    }
    // Only branch markers and moving tags (`1.5.x`, `latest`): no release was ever tagged.
    if !all_tags
        .iter()
        .any(|t| crate::inputs::history::release_tag(t).is_some())
    {
        return Part::Skip(format!(
            "no tag is a release tag ({}): the project is not released by tag",
            all_tags.join(", ")
        ));
    }
    let tags = tags_at(git, &head);
    let declared = match versions::declared_in(&tree.kept, "") {
        Root::Version(d) => d,
        Root::Dynamic(file) => {
            return Part::Skip(format!("{file} computes its version (dynamic) from a file shipgate did not find: nothing to compare the tag with"));
        }
        Root::None => {
            // A monorepo: the root has no version; a released member's tag names its own.
            let members = versions::all_declared(&tree.kept);
            if tags
                .iter()
                .any(|t| members.iter().any(|m| versions::tag_names(t, &m.version)))
            {
                return out.done();
            }
            return Part::Skip(if tags.is_empty() {
                "no version file at the root (Go modules, PHP and other tag-versioned projects are released by their tag): nothing to compare".into()
            } else {
                format!(
                    "no manifest declares the version HEAD's tag {} names: nothing to compare",
                    tags.join(", ")
                )
            });
        }
    };
    let (file, version) = (declared.file.clone(), declared.version.clone());
    if let Some(why) = versions::unreleased(&version) {
        // A workspace root's placeholder (`0.0.0`, linkwarden's): the member whose version
        // HEAD's tag names is what is released (`apps/web/package.json` says 2.16.1).
        let members = versions::all_declared(&tree.kept);
        if tags.iter().any(|t| {
            members
                .iter()
                .any(|m| m.file != file && versions::tag_names(t, &m.version))
        }) {
            return out.done();
        }
        if let Some(why) = never_carried_release(git, &file, &head) {
            return Part::Skip(why);
        }
        out.push(
            Some(file.clone()),
            vec![("version", version.clone()), ("path", file.clone())],
            format!("{file} says {version}, which {why}"),
        );
        return out.done();
    }
    let expected = match &p.tag_format {
        Some(f) => f.replace("{version}", &version),
        // The repository's own convention: bare versions if its tags are bare.
        None if all_tags
            .iter()
            .filter(|t| t.starts_with(|c: char| c.is_ascii_digit()))
            .count()
            * 2
            > all_tags.len() =>
        {
            version.clone()
        }
        None => format!("v{version}"),
    };
    let ok = tags.iter().any(|t| match &p.tag_format {
        Some(_) => *t == expected,
        None => versions::tag_names(t, &version),
    });
    if !ok {
        if let Some(why) = never_carried_release(git, &file, &head) {
            return Part::Skip(why);
        }
        let found = if tags.is_empty() {
            "HEAD has no tag".to_string()
        } else {
            format!("HEAD is tagged {}", tags.join(", "))
        };
        out.push(
            Some(file.clone()),
            vec![("version", version.clone()), ("tag", expected.clone()), ("path", file.clone())],
            format!("{file} says {version}, but {found}: tag the release `git tag {expected}` (or bump the version)"),
        );
    }
    out.done()
}

/// How many earlier release tags `never_carried_release` reads the manifest at.
const EARLIER_RELEASES: usize = 20;

/// Why `file` does not carry the release version, if its history says so: at none of the latest
/// earlier release tags (up to [`EARLIER_RELEASES`], newest first, reachable from HEAD, not on it)
/// did the file name the version that tag released, while it existed at one or more of them. A
/// private front end's `package.json` left at `1.0.0` beside `v7.3`, a `Cargo.toml` at `1.0.0`
/// whose binary takes its version from the tag: the file is not where the release version is
/// kept, so there is nothing to compare. A project whose last release did match its manifest,
/// and that forgot to bump it this time, is still reported; so is a first release (no earlier
/// tag to learn from).
fn never_carried_release(git: &git2::Repository, file: &str, head: &str) -> Option<String> {
    use crate::kinds::versions::{self, Root};
    let head = git2::Oid::from_str(head).ok()?;
    let mut tags: Vec<(i64, String, git2::Oid)> = Vec::new();
    for name in git.tag_names(None).ok()?.iter().flatten() {
        if crate::inputs::history::release_tag(name).is_none() {
            continue;
        }
        let Ok(c) = git
            .revparse_single(&format!("refs/tags/{name}"))
            .and_then(|o| o.peel_to_commit())
        else {
            continue;
        };
        if c.id() != head {
            tags.push((c.time().seconds(), name.to_string(), c.id()));
        }
    }
    tags.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let dir = file.rfind('/').map_or("", |i| &file[..i]);
    let mut examined: Vec<String> = Vec::new();
    for (_, name, id) in tags {
        if examined.len() >= EARLIER_RELEASES {
            break;
        }
        if !git.graph_descendant_of(head, id).unwrap_or(false) {
            continue;
        }
        let Some(text) = git
            .find_commit(id)
            .and_then(|c| c.tree())
            .and_then(|t| t.get_path(std::path::Path::new(file)))
            .and_then(|e| git.find_blob(e.id()))
            .ok()
            .map(|b| b.content().to_vec())
        else {
            continue;
        };
        let then = match versions::declared_in(&[(file.to_string(), text.clone())].into(), dir) {
            Root::Version(d) => Some(d.version),
            _ => None,
        };
        let named = match then {
            Some(v) => versions::tag_names(&name, &v),
            // A version file no manifest parser reads alone (`_version.py`, `version.rb`): the
            // tag's version written in it.
            None => crate::inputs::history::release_tag(&name).is_some_and(|(_, v)| {
                let text = String::from_utf8_lossy(&text);
                text.contains(&format!("\"{v}\"")) || text.contains(&format!("'{v}'"))
            }),
        };
        if named {
            return None;
        }
        examined.push(name);
    }
    if examined.is_empty() {
        return None;
    }
    let shown: Vec<&str> = examined.iter().take(3).map(String::as_str).collect();
    Some(format!(
        "{file} named the released version at none of the {} earlier release tag(s) ({}{}): it does not carry the release version, so there is nothing to compare the tag with",
        examined.len(),
        shown.join(", "),
        if examined.len() > 3 { ", …" } else { "" }
    ))
}

fn up_to_date(mut out: Out<'_>, git: &git2::Repository) -> Part {
    let Ok(head) = git.head() else {
        return Part::Skip("HEAD has no commits yet".into());
    };
    if !head.is_branch() {
        return Part::Skip("HEAD is detached: no upstream to compare with".into());
    }
    let name = head.shorthand().unwrap_or("HEAD").to_string();
    let local = head.target();
    let branch = git2::Branch::wrap(head);
    let (Ok(up), Some(local)) = (branch.upstream(), local) else {
        return Part::Skip(format!("`{name}` has no upstream branch"));
    };
    let Some(remote) = up.get().target() else {
        return out.done();
    };
    if let Ok((_, behind)) = git.graph_ahead_behind(local, remote) {
        if behind > 0 {
            let upn = up.name().ok().flatten().unwrap_or("upstream").to_string();
            out.push(
                None,
                vec![("branch", name.clone()), ("detail", format!("{behind}"))],
                format!("`{name}` is {behind} commit(s) behind {upn} (as of the last fetch): pull first"),
            );
        }
    }
    out.done()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_globs() {
        assert!(branch_matches(
            &["main".into(), "release/*".into()],
            "release/1.2"
        ));
        assert!(!branch_matches(&["main".into()], "feature/x"));
        assert!(branch_matches(&["*.x".into()], "12.x"));
        let version = ["v[0-9]*.[0-9]*".to_string(), "[0-9]*.[0-9]*".to_string()];
        assert!(branch_matches(&version, "v0.19"));
        assert!(branch_matches(&version, "3.20"));
        assert!(!branch_matches(&version, "v2-redesign"));
        assert!(!branch_matches(&version, "feature/v0.19"));
    }
}
