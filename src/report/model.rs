//! The report model: what every reporter formats. It is finished before any reporter sees it;
//! reporters never evaluate. Serializing it gives DESIGN.md's JSON report, version 1 (extra fields
//! are additions, never renames).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::types::{Input, Severity, Stage};

/// Where a finding is. `input`, `path`, `line` and `column` are always present (null when not
/// known); the rest appear only when they apply.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Location {
    pub input: Input,
    pub path: Option<String>,
    pub line: Option<u64>,
    pub column: Option<u64>,
    /// For `artifact` findings: which artifact (as given with `--artifact`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    /// For `git` findings: the commit's full sha.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// For `env` findings: the variable's name; for `git` findings: the range or pushed ref.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Location {
    pub fn new(input: Input) -> Self {
        Location {
            input,
            path: None,
            line: None,
            column: None,
            artifact: None,
            commit: None,
            name: None,
        }
    }

    pub fn repo(path: impl Into<String>) -> Self {
        Location {
            path: Some(path.into()),
            ..Location::new(Input::Repo)
        }
    }

    pub fn with_line(mut self, line: u64, column: Option<u64>) -> Self {
        self.line = Some(line);
        self.column = column;
        self
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Finding {
    pub message: String,
    pub location: Location,
    /// What was found, redacted when it is a secret.
    pub evidence: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    Warn,
    Skip,
    Error,
    Overridden,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Skip => "skip",
            Status::Error => "error",
            Status::Overridden => "overridden",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Override {
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub severity: Severity,
    pub status: Status,
    pub duration_ms: u64,
    pub findings: Vec<Finding>,
    #[serde(rename = "override")]
    pub override_: Option<Override>,
    /// Why the check was skipped or could not be evaluated; for one that was evaluated, what it
    /// left out on purpose (a Dockerfile nothing builds), when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Findings silenced by a `shipgate:allow` comment.
    #[serde(skip_serializing_if = "is_zero")]
    pub suppressed: u64,
    /// Findings accepted by a waiver in `.shipgate.yaml`.
    #[serde(skip_serializing_if = "is_zero")]
    pub waived: u64,
    /// How to fix: from the check's `help`. Not part of the JSON report (see `shipgate explain`).
    #[serde(skip)]
    pub help: Option<String>,
    /// Why it matters: from the check's `why` (SARIF rule descriptions).
    #[serde(skip)]
    pub why: Option<String>,
    /// Whether the check has secret patterns (its own or borrowed): a security check, whatever
    /// its id (SARIF's `security-severity`).
    #[serde(skip)]
    pub finds_secrets: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct RepoInfo {
    pub root: String,
    pub head: Option<String>,
    pub branch: Option<String>,
    /// Files whose contents were scanned, and those that were not (binary, or over the size limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan: Option<ScanStats>,
}

#[derive(Debug, Clone, Serialize, Default, PartialEq, Eq)]
pub struct ScanStats {
    pub files: u64,
    pub scanned: u64,
    pub skipped_binary: u64,
    pub skipped_large: u64,
    /// shipgate's own reports written into the repository: not scanned again.
    #[serde(skip_serializing_if = "is_zero")]
    pub skipped_reports: u64,
    /// The large files that were not scanned (path and size), so the report says what was missed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_scanned: Vec<NotScanned>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NotScanned {
    pub path: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArtifactInfo {
    pub path: String,
    pub entries: u64,
    pub bytes: u64,
    pub sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<&'static str>,
    /// Entries listed and size-checked but not scanned for content (over the size limit).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_scanned: Vec<NotScanned>,
    /// For a container image artifact: each image it holds (several for a multi-platform index).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageInfo>,
}

/// One container image of an artifact.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ImageInfo {
    pub tags: Vec<String>,
    /// `os/arch[/variant]`, when the index or the configuration names it.
    pub platform: Option<String>,
    /// The image manifest's digest (`null` for a `docker save` tarball before Docker 25).
    pub manifest_digest: Option<String>,
    pub config_digest: String,
    pub layers: Vec<LayerInfo>,
    /// The layers' bytes as stored (compressed), and uncompressed.
    pub size: u64,
    pub uncompressed: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LayerInfo {
    pub digest: String,
    /// Bytes as stored.
    pub size: u64,
    /// `gzip`, `zstd` or `tar` (uncompressed), told by the layer's first bytes.
    pub compression: &'static str,
    pub uncompressed: u64,
    pub entries: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RangeReport {
    pub label: String,
    pub commits: u64,
}

#[derive(Debug, Clone, Serialize, Default, PartialEq, Eq)]
pub struct Summary {
    pub pass: u64,
    pub fail: u64,
    pub warn: u64,
    pub skip: u64,
    pub error: u64,
    pub overridden: u64,
    /// Findings silenced inline and by waivers, over all checks.
    #[serde(skip_serializing_if = "is_zero")]
    pub suppressed: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub waived: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaiverState {
    /// Matched at least one finding in this run.
    Active,
    /// Past its `expires` date: it no longer waives anything.
    Expired,
    /// Its check ran and it matched nothing: remove it, or fix its path.
    Stale,
    /// Its check did not run in this run, so nothing can be said.
    NotEvaluated,
}

#[derive(Debug, Clone, Serialize)]
pub struct WaiverReport {
    pub check: String,
    pub path: String,
    pub reason: String,
    pub expires: Option<String>,
    pub state: WaiverState,
    pub matched: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub tool: Tool,
    pub verdict: Verdict,
    pub stage: Stage,
    pub at: String,
    pub repo: RepoInfo,
    pub artifacts: Vec<ArtifactInfo>,
    /// The commit ranges examined, with how many commits each held.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<RangeReport>,
    pub checks: Vec<CheckResult>,
    pub summary: Summary,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<WaiverReport>,
    /// Things the operator should know that are not findings (an override that was not needed…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Whole run, wall clock.
    #[serde(skip)]
    pub elapsed_ms: u64,
    /// Where the repository is, for the reporters whose consumers attach findings to repository
    /// files (SARIF, GitLab, GitHub). Not part of the JSON report.
    #[serde(skip)]
    pub paths: Paths,
}

/// The repository as the file-attaching reporters need it: its root, the directory paths on the
/// command line were given from, and a file that exists in it for findings about no file.
#[derive(Debug, Clone, Default)]
pub struct Paths {
    /// The repository root, absolute.
    pub root: Option<PathBuf>,
    /// The directory `--artifact`, `--env-file` and `--env-from` paths are relative to, absolute.
    pub cwd: Option<PathBuf>,
    /// A file of the repository, repository-relative, that findings about no file (commits, the
    /// clock, manual items, an artifact outside the repository) are attached to:
    /// `.shipgate.yaml` when there is one, else a file at the root (README, manifest, …).
    pub anchor: Option<String>,
}

impl Paths {
    /// The paths of the repository at `root`, with command-line paths given from `cwd`.
    pub fn discover(root: &Path, cwd: &Path) -> Paths {
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let cwd = cwd.canonicalize().unwrap_or_else(|_| cwd.to_path_buf());
        let is_file = |name: &str| std::fs::metadata(root.join(name)).is_ok_and(|m| m.is_file());
        let preferred = [
            ".shipgate.yaml",
            "README.md",
            "README",
            "README.rst",
            "README.txt",
            "Cargo.toml",
            "package.json",
            "pyproject.toml",
            "go.mod",
        ];
        let anchor = preferred
            .iter()
            .find(|n| is_file(n))
            .map(|n| n.to_string())
            .or_else(|| {
                let mut names: Vec<String> = std::fs::read_dir(&root)
                    .ok()?
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|n| is_file(n) && uri_safe(n))
                    .collect();
                names.sort();
                names.into_iter().next()
            });
        Paths {
            root: Some(root),
            cwd: Some(cwd),
            anchor,
        }
    }

    /// `path` relative to the repository root, `/`-separated, when it is inside the repository;
    /// `None` for a path outside it (absolute, or climbing out with `..`). `from_root` says that a
    /// relative path is relative to the root (repository findings); otherwise it is as given on
    /// the command line, relative to `cwd`, unless the root holds it.
    pub fn in_repo(&self, path: &str, from_root: bool) -> Option<String> {
        let p = Path::new(path);
        let Some(root) = &self.root else {
            // No repository known (a report built by hand): only plain relative paths are.
            return normalize(p)
                .filter(|n| !p.is_absolute() && !n.starts_with(".."))
                .map(|n| slashes(&n));
        };
        let joined = if p.is_absolute() {
            p.to_path_buf()
        } else if from_root || root.join(p).exists() {
            root.join(p)
        } else {
            self.cwd.as_deref().unwrap_or(root).join(p)
        };
        let n = normalize(&joined)?;
        let rel = n.strip_prefix(root).ok()?;
        (!rel.as_os_str().is_empty()).then(|| slashes(rel))
    }
}

/// `p` with `.` and `..` resolved lexically; `None` when `..` climbs above an absolute root.
fn normalize(p: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if out.has_root() {
                    return None;
                } else {
                    out.push("..");
                }
            }
            c => out.push(c.as_os_str()),
        }
    }
    Some(out)
}

fn slashes(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A file name every consumer takes as it is.
fn uri_safe(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
}

impl Report {
    /// Whether any check could not be evaluated: the gate could not decide (exit 2).
    pub fn has_errors(&self) -> bool {
        self.checks.iter().any(|c| c.status == Status::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_the_repository_are_relative_and_others_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("repo");
        std::fs::create_dir_all(root.join("dist")).unwrap();
        std::fs::write(root.join("README.md"), "x").unwrap();
        let p = Paths::discover(&root, &root);
        assert_eq!(p.anchor.as_deref(), Some("README.md"));
        let abs = |s: &str| base.join(s).display().to_string();
        assert_eq!(
            p.in_repo(&abs("repo/dist/a.tgz"), false).as_deref(),
            Some("dist/a.tgz")
        );
        assert_eq!(p.in_repo(&abs("elsewhere/a.tgz"), false), None);
        assert_eq!(
            p.in_repo("../repo/dist/a.tgz", false).as_deref(),
            Some("dist/a.tgz")
        );
        assert_eq!(p.in_repo("../a.tgz", false), None);
        assert_eq!(
            p.in_repo("./dist/x/../a.tgz", true).as_deref(),
            Some("dist/a.tgz")
        );
        assert_eq!(p.in_repo(&abs("repo"), false), None, "the root is no file");
        // From another directory (`-C repo`): command-line paths are relative to it.
        let from_base = Paths::discover(&root, &base);
        assert_eq!(
            from_base.in_repo("repo/dist/a.tgz", false).as_deref(),
            Some("dist/a.tgz")
        );
        assert_eq!(
            from_base.in_repo("README.md", false).as_deref(),
            Some("README.md")
        );
        // With .shipgate.yaml, it is the anchor.
        std::fs::write(root.join(".shipgate.yaml"), "builtins: true\n").unwrap();
        assert_eq!(
            Paths::discover(&root, &root).anchor.as_deref(),
            Some(".shipgate.yaml")
        );
        // A report made by hand (no root): plain relative paths only.
        let none = Paths::default();
        assert_eq!(none.in_repo("src/a.py", true).as_deref(), Some("src/a.py"));
        assert_eq!(none.in_repo("../a.py", true), None);
        assert_eq!(none.in_repo("/tmp/a.py", true), None);
    }
}
