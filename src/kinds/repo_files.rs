//! `repo-files`: required and forbidden paths in the work tree — the files git tracks plus the
//! untracked files that are not ignored (those are one `git add .` away from being committed).

use std::collections::HashSet;

use serde::Deserialize;

use crate::check::Meta;
use crate::inputs::material::{Materials, Scope};
use crate::inputs::repo::RepoFile;
use crate::kinds::{Kind, Outcome, PassView, Wants};
use crate::report::model::{Finding, Location};
use crate::types::{GlobList, Input, Sample};

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RepoFiles {
    /// Paths that must not be in the repository.
    #[serde(default)]
    pub forbid: GlobList,
    /// Exceptions to `forbid` (e.g. `.env.example`).
    #[serde(default)]
    pub allow: GlobList,
    /// Each glob must match at least one file.
    #[serde(default)]
    pub require: GlobList,
    /// Paths this check never looks at.
    #[serde(default)]
    pub exclude: GlobList,
    /// Which material it looks at: `shipped` (default: not tests, examples, docs, benches,
    /// vendored code), `runtime`, or `all` (settings.material says what is what).
    #[serde(default)]
    pub scope: Scope,
    /// A manifest needs one of its lockfiles (e.g. package.json and package-lock.json).
    #[serde(default)]
    pub companions: Vec<Companion>,
    /// A forbidden file that is a dotenv file holding only harmless values (empty, placeholders
    /// such as `changeme` or `your-key`, booleans, numbers, local or credential-free URLs, and no
    /// value that looks like a secret) is accepted: a template's defaults, a bundler's public
    /// build settings.
    #[serde(default)]
    pub allow_harmless_env: bool,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Companion {
    /// The manifest's file name, e.g. `Cargo.toml`.
    pub manifest: String,
    /// Only when one of these paths exists beside the manifest (e.g. `src/main.rs`; a path ending
    /// in `/` is a folder).
    #[serde(default)]
    pub when_beside: Vec<String>,
    /// Any one of these file names beside the manifest satisfies it.
    pub lockfiles: Vec<String>,
    /// A lockfile in a parent folder counts too (workspaces keep one lockfile at the root).
    #[serde(default)]
    pub search_parents: bool,
    /// Only applications need a lockfile: a published library's users resolve its dependencies
    /// themselves. For package.json: not `private` and with an entry point (`main`, `exports`,
    /// `module`, `bin`, `files`, `types`), or no runtime `dependencies` at all; for
    /// pyproject.toml: a build backend and no application sign (`package = false`,
    /// `package-mode = false`, a Dockerfile, compose file, Procfile or manage.py beside it). A
    /// `.npmrc` saying `package-lock=false` turns npm's lockfile off on purpose.
    #[serde(default)]
    pub apps_only: bool,
}

impl Kind for RepoFiles {
    const KEY: &'static str = "repo-files";
    const INPUT: Input = Input::Repo;
    const FIELDS: &'static [&'static str] = &["path", "state", "glob", "manifest", "lockfiles"];

    fn describe(&self) -> Vec<String> {
        let globs = |g: &GlobList| g.sources.join(", ");
        let mut lines = Vec::new();
        if !self.forbid.is_empty() {
            lines.push(format!("forbidden paths: {}", globs(&self.forbid)));
        }
        if !self.allow.is_empty() {
            lines.push(format!("allowed anyway: {}", globs(&self.allow)));
        }
        if !self.require.is_empty() {
            lines.push(format!("required paths: {}", globs(&self.require)));
        }
        for c in &self.companions {
            lines.push(format!(
                "{} needs one of: {}",
                c.manifest,
                c.lockfiles.join(", ")
            ));
        }
        if !self.exclude.is_empty() {
            lines.push(format!("not looked at: {}", globs(&self.exclude)));
        }
        lines.push(format!("looks at: {}", self.scope.describe()));
        lines
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        view.on_tree(|scan| {
            let cx = Contents {
                kept: Some(&scan.kept),
                secrets: view.secrets,
            };
            Outcome::findings(evaluate(check, self, &scan.files, &cx))
        })
    }

    fn wants(&self) -> Wants {
        let mut contents = Vec::new();
        if self.allow_harmless_env {
            contents.extend(self.forbid.sources.iter().cloned());
        }
        for c in self.companions.iter().filter(|c| c.apps_only) {
            contents.push(c.manifest.clone());
            contents.push(".npmrc".into());
        }
        Wants {
            contents,
            secrets: self.allow_harmless_env,
            ..Wants::default()
        }
    }

    fn has_samples(&self) -> bool {
        true
    }

    fn run_sample(&self, check: &Meta, sample: &Sample) -> Result<usize, String> {
        let files: Vec<RepoFile> = sample
            .paths()
            .into_iter()
            .map(|path| RepoFile {
                material: Materials::default().of(&path),
                path,
                tracked: true,
                names_dockerfile: None,
                symlink: false,
            })
            .collect();
        let cx = Contents {
            kept: None,
            secrets: &[],
        };
        Ok(evaluate(check, self, &files, &cx).len())
    }
}

/// Whether a dotenv text holds only harmless values (see `allow_harmless_env`). An ERB template
/// (Kamal's `.env.erb`, `MASTER_KEY=<%= `op read "op://…"` %>`) is read as what it holds: its
/// `<%= … %>` outputs are computed where it is rendered, placeholders here; its `<% … %>`
/// control tags are not variables. A literal value beside them counts as in any env file.
fn harmless_env(text: &[u8], secrets: &[crate::types::PatternDef]) -> bool {
    let Ok(text) = std::str::from_utf8(text) else {
        return false;
    };
    static ERB: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let erb = ERB.get_or_init(|| regex::Regex::new(r"(?s)<%(=?)(.*?)%>").expect("valid"));
    let text = erb.replace_all(text, |c: &regex::Captures<'_>| {
        if &c[1] == "=" {
            "${ERB}".to_string()
        } else {
            String::new()
        }
    });
    let Ok(vars) = crate::inputs::dotenv::parse(&text, "env") else {
        return false;
    };
    let pairs: Vec<(&str, &str)> = vars
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_str()))
        .collect();
    vars.iter().enumerate().all(|(i, v)| {
        crate::inputs::env::harmless_value(&v.name, &v.value)
            && !secrets
                .iter()
                .any(|d| d.regex.hit(v.value.as_bytes()) && !d.allowed_among(&pairs, i))
    })
}

/// The file contents the repository pass kept, and the secret patterns.
struct Contents<'a> {
    kept: Option<&'a std::collections::BTreeMap<String, Vec<u8>>>,
    secrets: &'a [crate::types::PatternDef],
}

impl Contents<'_> {
    fn text(&self, path: &str) -> Option<std::borrow::Cow<'_, str>> {
        self.kept?.get(path).map(|b| String::from_utf8_lossy(b))
    }
}

/// Why a manifest needs no lockfile (a published library, lockfiles off on purpose), if it does
/// not.
fn no_lockfile_needed(
    manifest: &str,
    path: &str,
    dir: &str,
    beside: &dyn Fn(&str) -> bool,
    cx: &Contents<'_>,
) -> Option<&'static str> {
    let text = cx.text(path)?;
    match manifest {
        "package.json" => {
            let npmrc_off = [join(dir, ".npmrc"), ".npmrc".to_string()].iter().any(|p| {
                cx.text(p).is_some_and(|t| {
                    t.lines().any(|l| {
                        l.replace(' ', "")
                            .eq_ignore_ascii_case("package-lock=false")
                    })
                })
            });
            if npmrc_off {
                return Some(".npmrc turns package-lock off");
            }
            let j: serde_json::Value = serde_json::from_str(&text).ok()?;
            let private = j.get("private").and_then(|v| v.as_bool()) == Some(true);
            let entry = [
                "main", "exports", "module", "bin", "files", "types", "typings",
            ]
            .iter()
            .any(|k| j.get(*k).is_some());
            let deps = j
                .get("dependencies")
                .and_then(|d| d.as_object())
                .is_some_and(|d| !d.is_empty());
            if !deps {
                return Some("no runtime dependencies");
            }
            // No name, not marked private, no scripts that start or build anything: the manifest
            // only installs the repository's tooling (a linter beside a Rust or Go project).
            let runs = j
                .get("scripts")
                .and_then(|s| s.as_object())
                .is_some_and(|s| {
                    ["start", "build", "serve", "dev", "preview"]
                        .iter()
                        .any(|k| s.contains_key(*k))
                });
            if j.get("name").is_none() && !private && !entry && !runs {
                return Some("tooling only: no name, nothing that runs or ships");
            }
            (!private && entry).then_some("a published library")
        }
        "pyproject.toml" => {
            // A pyproject.toml that only configures tools ([tool.black], [tool.isort]) declares
            // no project and no dependencies: there is nothing for a lockfile to lock (Tandoor's
            // dependencies are in requirements.txt). Poetry and PDM declare theirs under [tool].
            if let Ok(t) = text.parse::<toml::Table>() {
                let tool = |k: &str| {
                    t.get("tool")
                        .and_then(|v| v.as_table())
                        .is_some_and(|tool| tool.contains_key(k))
                };
                let declares = ["project", "dependency-groups"]
                    .iter()
                    .any(|k| t.contains_key(*k))
                    || tool("poetry")
                    || tool("pdm")
                    || tool("uv");
                if !declares {
                    return Some("tool settings only: no [project] and no dependencies");
                }
            }
            // Trove classifiers are the package index's metadata: a project that declares them
            // is published to PyPI, whose users resolve its dependencies themselves, whatever
            // else sits beside it (black's Dockerfile installs the same package into an image).
            static CLASSIFIERS: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
            let published = CLASSIFIERS
                .get_or_init(|| regex::Regex::new(r"(?m)^\s*classifiers\s*=\s*\[").unwrap())
                .is_match(&text);
            let app = !text.contains("[build-system]")
                || text.contains("package = false")
                || text.contains("package-mode = false")
                || (!published
                    && [
                        "Dockerfile",
                        "compose.yaml",
                        "compose.yml",
                        "docker-compose.yml",
                        "docker-compose.yaml",
                        "Procfile",
                        "manage.py",
                    ]
                    .iter()
                    .any(|f| beside(f)));
            (!app).then_some("a published library")
        }
        _ => None,
    }
}

fn evaluate(check: &Meta, p: &RepoFiles, files: &[RepoFile], cx: &Contents<'_>) -> Vec<Finding> {
    let harmless = |path: &str| {
        p.allow_harmless_env
            && cx
                .text(path)
                .is_some_and(|t| harmless_env(t.as_bytes(), cx.secrets))
    };
    let files: Vec<&RepoFile> = files
        .iter()
        .filter(|f| !p.exclude.is_match(&f.path) && p.scope.covers(f.material))
        .collect();
    let mut findings = Vec::new();

    if !p.forbid.is_empty() {
        for f in &files {
            let hits = p.forbid.matches(&f.path);
            // A symbolic link holds no values: what it points at is a file of its own (formbricks'
            // tracked `apps/web/.env -> ../../.env`, whose target git ignores).
            if hits.is_empty() || f.symlink || p.allow.is_match(&f.path) || harmless(&f.path) {
                continue;
            }
            let state = if f.tracked {
                "tracked by git"
            } else {
                "not ignored (one `git add .` from being committed)"
            };
            let glob = p.forbid.sources[hits[0]].clone();
            let fields = [
                ("path", f.path.clone()),
                ("state", state.to_string()),
                ("glob", glob.clone()),
            ];
            findings.push(Finding {
                message: check.render(|| format!("{} is {state}", f.path), &fields),
                location: Location::repo(f.path.clone()),
                evidence: None,
            });
        }
    }

    if !p.require.is_empty() {
        let mut seen = vec![false; p.require.sources.len()];
        for f in &files {
            for i in p.require.matches(&f.path) {
                seen[i] = true;
            }
        }
        for (i, glob) in p.require.sources.iter().enumerate() {
            if !seen[i] {
                let fields = [("glob", glob.clone())];
                findings.push(Finding {
                    message: check.render(|| format!("no file matches `{glob}`"), &fields),
                    location: Location::new(Input::Repo),
                    evidence: None,
                });
            }
        }
    }

    if !p.companions.is_empty() {
        let set: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
        for c in &p.companions {
            for f in &files {
                let (dir, name) = split(&f.path);
                if name != c.manifest {
                    continue;
                }
                let beside = |rel: &str| join(dir, rel);
                if !c.when_beside.is_empty()
                    && !c
                        .when_beside
                        .iter()
                        .any(|w| exists(&set, &files, &beside(w)))
                {
                    continue;
                }
                if has_lockfile(&set, dir, &c.lockfiles, c.search_parents) {
                    continue;
                }
                let present = |rel: &str| exists(&set, &files, &beside(rel));
                if c.apps_only
                    && no_lockfile_needed(&c.manifest, &f.path, dir, &present, cx).is_some()
                {
                    continue;
                }
                let locks = c.lockfiles.join(", ");
                let fields = [
                    ("path", f.path.clone()),
                    ("manifest", f.path.clone()),
                    ("lockfiles", locks.clone()),
                ];
                findings.push(Finding {
                    message: check.render(
                        || format!("{} has no lockfile beside it (any of: {locks})", f.path),
                        &fields,
                    ),
                    location: Location::repo(f.path.clone()),
                    evidence: None,
                });
            }
        }
    }

    findings
}

fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

fn exists(set: &HashSet<&str>, files: &[&RepoFile], path: &str) -> bool {
    if path.ends_with('/') {
        files.iter().any(|f| f.path.starts_with(path))
    } else {
        set.contains(path)
    }
}

fn has_lockfile(set: &HashSet<&str>, dir: &str, locks: &[String], parents: bool) -> bool {
    let mut dir = dir.to_string();
    loop {
        if locks.iter().any(|l| set.contains(join(&dir, l).as_str())) {
            return true;
        }
        if !parents || dir.is_empty() {
            return false;
        }
        dir = split(&dir).0.to_string();
    }
}
