//! `runtime-versions`: every place a project declares the version of its runtime agrees. The
//! declarations (Node, Python, Ruby, Go, Rust, Java, and the package managers pnpm, yarn and npm)
//! are read from the files the repository pass kept:
//!
//! - pins: `.nvmrc`, `.node-version`, `.tool-versions`, `mise.toml`, package.json `volta` and
//!   `packageManager`, `.python-version`, `runtime.txt`, Pipfile `python_version`, `.ruby-version`,
//!   Gemfile `ruby "x"`, go.mod `toolchain`, `rust-toolchain(.toml)`, `.java-version`, and the
//!   images of Dockerfiles (`FROM node:20-alpine`, with `ARG` defaults);
//! - ranges: package.json `engines`, pyproject `requires-python` and Poetry's `python`, Gemfile
//!   `ruby "~> 3.2"`;
//! - floors: Cargo `rust-version`, go.mod `go`, Maven `maven.compiler.release` (and `java.version`,
//!   `source`/`target`), Gradle's toolchain `languageVersion` and `sourceCompatibility`: code built
//!   for the floor needs at least it;
//! - what CI tests: `actions/setup-*` (node, python, go, java), `ruby/setup-ruby`, the Rust
//!   toolchain actions, `pnpm/action-setup`, a job's `container`, GitLab CI `image:`, every entry
//!   of a matrix.
//!
//! The rules: two pins in related folders (one is the other's or an ancestor of it) agree at the
//! precision both state; a range contains every related pin; no pin and no tested version is
//! below a floor; and when CI tests concrete versions, it tests every pin (a matrix testing
//! several versions is not drift; production running a version CI never tests is). Aliases
//! (`lts/*`, `node`, `stable`, `latest`) are moving targets and are left out; LTS code names
//! (`lts/iron`) are their major version. Declarations in tests, examples and docs do not count.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;

use crate::check::Meta;
use crate::inputs::material::Material;
use crate::inputs::references;
use crate::kinds::version_req::{Req, Ver};
use crate::kinds::{Kind, Outcome, PassView, Wants};
use crate::report::model::{Finding, Location};
use crate::types::{Input, Sample};

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuntimeVersions {
    /// Runtimes not compared (`node`, `python`, `ruby`, `go`, `rust`, `java`, `pnpm`, `yarn`, `npm`).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Also compare what CI tests with the pins (default true).
    #[serde(default = "yes")]
    pub ci: bool,
}

fn yes() -> bool {
    true
}

/// The files declarations are read from (any depth).
pub const FILES: &[&str] = &[
    ".nvmrc",
    ".node-version",
    ".tool-versions",
    "mise.toml",
    ".mise.toml",
    "package.json",
    ".python-version",
    "runtime.txt",
    "Pipfile",
    "pyproject.toml",
    ".ruby-version",
    "Gemfile",
    "go.mod",
    "rust-toolchain",
    "rust-toolchain.toml",
    "Cargo.toml",
    ".java-version",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Dockerfile",
    "Dockerfile.*",
    "*.Dockerfile",
    "*.dockerfile",
    "Containerfile",
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    ".gitlab-ci.yml",
];

/// What a declaration says about the version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Pin(Ver),
    Range(Req),
    Floor(Ver),
    /// A version CI tests.
    Tested(Ver),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub runtime: &'static str,
    pub file: String,
    pub line: u64,
    /// As written (`node:18-alpine`, `>=3.9`).
    pub value: String,
    pub role: Role,
}

impl Declaration {
    fn dir(&self) -> &str {
        if matches!(self.role, Role::Tested(_)) {
            return "";
        }
        self.file.rfind('/').map_or("", |i| &self.file[..i])
    }

    fn at(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    fn says(&self) -> String {
        let what = match &self.role {
            Role::Pin(_) => "pins",
            Role::Range(_) => "requires",
            Role::Floor(_) => "needs at least",
            Role::Tested(_) => "tests",
        };
        format!("{} {what} {}", self.at(), self.value)
    }
}

/// Whether one folder is the other or inside it.
fn related(a: &str, b: &str) -> bool {
    let inside = |x: &str, y: &str| x.is_empty() || y == x || y.starts_with(&format!("{x}/"));
    inside(a, b) || inside(b, a)
}

impl Kind for RuntimeVersions {
    const KEY: &'static str = "runtime-versions";
    const INPUT: Input = Input::Repo;
    const FIELDS: &'static [&'static str] = &["name", "path", "line", "versions"];

    fn describe(&self) -> Vec<String> {
        let mut v = vec![
            "pins of one runtime in related folders agree at the precision both state".to_string(),
            "a range (engines, requires-python, Gemfile ruby) contains every pin".into(),
            "no pin or tested version is below a floor (rust-version, go.mod go, Maven/Gradle Java release)".into(),
        ];
        if self.ci {
            v.push("CI tests every pinned version, when it tests concrete versions".into());
        }
        v.push(format!("read from: {}", FILES.join(", ")));
        v.push("a Dockerfile.<x> or <x>.Dockerfile that no other file of the repository names (docs aside) is not built, and not compared".into());
        if !self.ignore.is_empty() {
            v.push(format!("not compared: {}", self.ignore.join(", ")));
        }
        v
    }

    fn wants(&self) -> Wants {
        Wants {
            contents: FILES.iter().map(|s| s.to_string()).collect(),
            ..Wants::default()
        }
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        view.on_shipped_tree(|scan| {
            let kept = scan.kept_among(FILES, |m| matches!(m, None | Some(Material::Tooling)));
            match declarations(&kept) {
                Ok(mut decls) => {
                    // A variant Dockerfile nothing names is not built: its base image is no
                    // runtime of this project (said in the result, not dropped silently).
                    let mut found = self.findings(check, &decls);
                    let variants: Vec<&str> = decls
                        .iter()
                        .map(|d| d.file.as_str())
                        .filter(|f| references::is_variant_dockerfile(f))
                        .collect();
                    if found.is_empty() || variants.is_empty() {
                        return Outcome::findings(found);
                    }
                    let unbuilt = references::unbuilt(&view.repo.root, scan, &variants);
                    if unbuilt.is_empty() {
                        return Outcome::findings(found);
                    }
                    decls.retain(|d| !unbuilt.contains(&d.file));
                    found = self.findings(check, &decls);
                    Outcome::findings(found).with_note(references::left_out(&unbuilt))
                }
                Err(e) => Outcome::Error {
                    reason: "a manifest could not be read".into(),
                    findings: vec![Finding {
                        message: e.clone(),
                        location: error_location(&e),
                        evidence: None,
                    }],
                },
            }
        })
    }

    fn has_samples(&self) -> bool {
        true
    }

    fn run_sample(&self, check: &Meta, sample: &Sample) -> Result<usize, String> {
        let kept = sample
            .files()
            .into_iter()
            .map(|(p, t)| (p, t.into_bytes()))
            .collect();
        Ok(self.findings(check, &declarations(&kept)?).len())
    }
}

/// `file:line: message` as a location.
pub fn error_location(e: &str) -> Location {
    let mut parts = e.splitn(3, ':');
    let file = parts.next().unwrap_or("").to_string();
    let line = parts.next().and_then(|l| l.trim().parse().ok());
    Location {
        line,
        ..Location::repo(file)
    }
}

impl RuntimeVersions {
    fn findings(&self, check: &Meta, decls: &[Declaration]) -> Vec<Finding> {
        let mut by_runtime: BTreeMap<&str, Vec<&Declaration>> = BTreeMap::new();
        for d in decls {
            if !self.ignore.iter().any(|i| i == d.runtime)
                && (self.ci || !matches!(d.role, Role::Tested(_)))
            {
                by_runtime.entry(d.runtime).or_default().push(d);
            }
        }
        let mut out = Vec::new();
        for (runtime, mut ds) in by_runtime {
            let mut seen = std::collections::HashSet::new();
            ds.retain(|d| seen.insert((&d.file, d.line, &d.value)));
            for (culprit, mut problems, members) in conflicts(&ds) {
                problems.dedup();
                if problems.len() > 5 {
                    let more = problems.len() - 5;
                    problems.truncate(5);
                    problems.push(format!("and {more} more"));
                }
                let listed: Vec<String> = members.iter().map(|d| d.says()).collect();
                let fields = [
                    ("name", runtime.to_string()),
                    ("path", culprit.file.clone()),
                    ("line", culprit.line.to_string()),
                    ("versions", listed.join("; ")),
                ];
                let default = || {
                    format!(
                        "{runtime} versions disagree: {}. Declared: {}",
                        problems.join("; "),
                        listed.join("; ")
                    )
                };
                out.push(Finding {
                    message: check.render(default, &fields),
                    location: Location::repo(culprit.file.clone()).with_line(culprit.line, None),
                    evidence: Some(listed.join("\n")),
                });
            }
        }
        out
    }
}

/// The disagreements of one runtime, grouped: (where the first one is, what disagrees, every
/// declaration related to them).
fn conflicts<'a>(
    ds: &[&'a Declaration],
) -> Vec<(&'a Declaration, Vec<String>, Vec<&'a Declaration>)> {
    let pins: Vec<&Declaration> = ds
        .iter()
        .copied()
        .filter(|d| matches!(d.role, Role::Pin(_)))
        .collect();
    let tested: Vec<&Declaration> = ds
        .iter()
        .copied()
        .filter(|d| matches!(d.role, Role::Tested(_)))
        .collect();
    let mut edges: Vec<Edge> = Vec::new();
    let index = |d: &Declaration| ds.iter().position(|x| std::ptr::eq(*x, d)).unwrap_or(0);
    for (i, a) in pins.iter().enumerate() {
        for b in &pins[i + 1..] {
            if let (Role::Pin(x), Role::Pin(y)) = (&a.role, &b.role) {
                if related(a.dir(), b.dir()) && !x.agrees(y) {
                    edges.push((
                        index(a),
                        index(b),
                        format!(
                            "{} pins {} but {} pins {}",
                            a.at(),
                            a.value,
                            b.at(),
                            b.value
                        ),
                    ));
                }
            }
        }
    }
    for r in ds.iter().filter(|d| matches!(d.role, Role::Range(_))) {
        let Role::Range(req) = &r.role else { continue };
        for p in pins.iter().filter(|p| related(p.dir(), r.dir())) {
            if let Role::Pin(v) = &p.role {
                if !req.allows(v) {
                    edges.push((
                        index(r),
                        index(p),
                        format!(
                            "{} pins {}, outside {} ({})",
                            p.at(),
                            p.value,
                            r.value,
                            r.at()
                        ),
                    ));
                }
            }
        }
    }
    for f in ds.iter().filter(|d| matches!(d.role, Role::Floor(_))) {
        let Role::Floor(floor) = &f.role else {
            continue;
        };
        // What CI tests is held against the project's own floor, not a module's: a job may
        // build only some modules.
        let applies = |p: &Declaration| match p.role {
            Role::Tested(_) => f.dir().is_empty(),
            _ => related(p.dir(), f.dir()),
        };
        for p in ds.iter().filter(|p| applies(p)) {
            let (Role::Pin(v) | Role::Tested(v)) = &p.role else {
                continue;
            };
            if v.below(floor) {
                edges.push((
                    index(f),
                    index(p),
                    format!(
                        "{} {} {}, below the {} that {} needs",
                        p.at(),
                        if matches!(p.role, Role::Tested(_)) {
                            "tests"
                        } else {
                            "pins"
                        },
                        p.value,
                        f.value,
                        f.at()
                    ),
                ));
            }
        }
    }
    if !tested.is_empty() {
        let versions: Vec<&Ver> = tested
            .iter()
            .filter_map(|t| match &t.role {
                Role::Tested(v) => Some(v),
                _ => None,
            })
            .collect();
        let lowest = versions.iter().min().copied();
        let highest = versions.iter().max().copied();
        for p in &pins {
            let Role::Pin(v) = &p.role else { continue };
            // Tested: a tested version agrees, or CI sweeps a span of versions the pin is inside.
            let inside = matches!((lowest, highest), (Some(lo), Some(hi)) if lo < v && v < hi && !lo.agrees(hi));
            let covered = inside || versions.iter().any(|c| c.agrees(v));
            if !covered {
                let mut versions: Vec<&str> = tested.iter().map(|t| t.value.as_str()).collect();
                versions.sort();
                versions.dedup();
                edges.push((
                    index(p),
                    index(tested[0]),
                    format!(
                        "{} pins {}, which CI never tests (it tests {})",
                        p.at(),
                        p.value,
                        versions.join(", ")
                    ),
                ));
            }
        }
    }
    components(ds, &edges)
}

/// A disagreement between two declarations (by index), in words.
type Edge = (usize, usize, String);

/// The components of the disagreements, each with every declaration related to one of its
/// members.
fn components<'a>(
    ds: &[&'a Declaration],
    edges: &[Edge],
) -> Vec<(&'a Declaration, Vec<String>, Vec<&'a Declaration>)> {
    let mut group: Vec<usize> = (0..ds.len()).collect();
    fn find(g: &mut [usize], i: usize) -> usize {
        if g[i] != i {
            let r = find(g, g[i]);
            g[i] = r;
        }
        g[i]
    }
    for (a, b, _) in edges {
        let (ra, rb) = (find(&mut group, *a), find(&mut group, *b));
        group[ra] = rb;
    }
    let mut out: Vec<(usize, Vec<String>)> = Vec::new();
    for (a, _, msg) in edges {
        let root = find(&mut group, *a);
        match out.iter_mut().find(|(r, _)| *r == root) {
            Some((_, msgs)) => msgs.push(msg.clone()),
            None => out.push((root, vec![msg.clone()])),
        }
    }
    out.into_iter()
        .map(|(root, msgs)| {
            let inside: Vec<usize> = (0..ds.len())
                .filter(|i| find(&mut group, *i) == root)
                .collect();
            let members: Vec<&Declaration> = ds
                .iter()
                .copied()
                .filter(|d| inside.iter().any(|i| related(ds[*i].dir(), d.dir())))
                .collect();
            let first = edges
                .iter()
                .find(|(a, _, _)| find(&mut group, *a) == root)
                .map_or(0, |e| e.1);
            (ds[first], msgs, members)
        })
        .collect()
}

/// The runtime a tool name in `.tool-versions`/`mise.toml` stands for.
fn tool_runtime(name: &str) -> Option<&'static str> {
    Some(match name.trim().trim_start_matches("core:") {
        "node" | "nodejs" => "node",
        "python" => "python",
        "ruby" => "ruby",
        "go" | "golang" => "go",
        "rust" => "rust",
        "java" => "java",
        "pnpm" => "pnpm",
        "yarn" => "yarn",
        "npm" => "npm",
        _ => return None,
    })
}

/// A version as a pin: `lts/iron` is Node 20; `lts/*`, `node`, `stable`, `latest` are no pin.
fn pin_version(runtime: &str, value: &str) -> Option<Ver> {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
    let v = v
        .strip_prefix("ruby-")
        .or_else(|| v.strip_prefix("python-"))
        .or_else(|| v.strip_prefix("go"))
        .unwrap_or(v);
    if runtime == "node" {
        let codename = v.strip_prefix("lts/").unwrap_or(v).to_ascii_lowercase();
        let major = match codename.as_str() {
            "argon" => Some(4),
            "boron" => Some(6),
            "carbon" => Some(8),
            "dubnium" => Some(10),
            "erbium" => Some(12),
            "fermium" => Some(14),
            "gallium" => Some(16),
            "hydrogen" => Some(18),
            "iron" => Some(20),
            "jod" => Some(22),
            "krypton" => Some(24),
            _ => None,
        };
        if let Some(m) = major {
            return Some(Ver(vec![m]));
        }
    }
    if runtime == "java" {
        // temurin-17.0.9+9, openjdk-21, corretto-17
        let digits = v.find(|c: char| c.is_ascii_digit())?;
        let prefix = &v[..digits];
        if prefix.is_empty() || prefix.ends_with('-') {
            return Ver::parse(&v[digits..]);
        }
        return None;
    }
    Ver::parse(v)
}

/// The 1-based line of the first line containing `needle` (1 when none does).
fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i as u64 + 1)
}

/// The first line containing `key` and `value`, else `value`, else `key`.
fn line_near(text: &str, key: &str, value: &str) -> u64 {
    let pos = text
        .lines()
        .position(|l| l.contains(key) && l.contains(value))
        .or_else(|| text.lines().position(|l| l.contains(value)))
        .or_else(|| text.lines().position(|l| l.contains(key)));
    pos.map_or(1, |i| i as u64 + 1)
}

struct Sink<'a> {
    file: &'a str,
    out: Vec<Declaration>,
}

impl Sink<'_> {
    fn add(&mut self, runtime: &'static str, line: u64, value: &str, role: Option<Role>) {
        if let Some(role) = role {
            self.out.push(Declaration {
                runtime,
                file: self.file.to_string(),
                line,
                value: value.trim().to_string(),
                role,
            });
        }
    }

    fn pin(&mut self, runtime: &'static str, line: u64, value: &str) {
        let role = pin_version(runtime, value).map(Role::Pin);
        self.add(runtime, line, value, role);
    }

    fn range(&mut self, runtime: &'static str, line: u64, value: &str) {
        let role = Req::parse(value).map(Role::Range);
        self.add(runtime, line, value, role);
    }

    fn floor(&mut self, runtime: &'static str, line: u64, value: &str) {
        let role = Ver::parse(value).map(Role::Floor);
        self.add(runtime, line, value, role);
    }
}

/// Every declaration in the kept files. A manifest that does not parse is an error naming the
/// file and line.
pub fn declarations(kept: &BTreeMap<String, Vec<u8>>) -> Result<Vec<Declaration>, String> {
    let mut all = Vec::new();
    for (path, bytes) in kept {
        let text = String::from_utf8_lossy(bytes);
        let name = path.rsplit('/').next().unwrap_or(path);
        let mut s = Sink {
            file: path,
            out: Vec::new(),
        };
        match name {
            ".nvmrc" | ".node-version" => first_line(&mut s, "node", &text),
            ".python-version" => first_line(&mut s, "python", &text),
            ".ruby-version" => first_line(&mut s, "ruby", &text),
            ".java-version" => first_line(&mut s, "java", &text),
            "runtime.txt" => first_line(&mut s, "python", &text),
            "rust-toolchain" if !text.contains('[') => first_line(&mut s, "rust", &text),
            ".tool-versions" => tool_versions(&mut s, &text),
            "package.json" => package_json(&mut s, &text)?,
            "Gemfile" => gemfile(&mut s, &text),
            "go.mod" => go_mod(&mut s, &text),
            "pom.xml" => pom(&mut s, &text),
            "build.gradle" | "build.gradle.kts" => gradle(&mut s, &text),
            "mise.toml"
            | ".mise.toml"
            | "rust-toolchain"
            | "rust-toolchain.toml"
            | "Cargo.toml"
            | "pyproject.toml"
            | "Pipfile" => toml_file(&mut s, name, &text)?,
            ".gitlab-ci.yml" => gitlab(&mut s, &text)?,
            // A workflow is YAML: a Dockerfile kept beside them (lldap's
            // `.github/workflows/Dockerfile.ci.alpine`) is read as a Dockerfile.
            _ if path.starts_with(".github/workflows/")
                && (name.ends_with(".yml") || name.ends_with(".yaml")) =>
            {
                crate::kinds::runtime_ci::workflow(path, &text, &mut |rt, line, value, v| {
                    s.add(rt, line, value, Some(Role::Tested(v)))
                })?
            }
            _ => dockerfile(&mut s, &text),
        }
        all.extend(s.out);
    }
    Ok(all)
}

fn first_line(s: &mut Sink<'_>, runtime: &'static str, text: &str) {
    if let Some((i, l)) = text
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    {
        s.pin(
            runtime,
            i as u64 + 1,
            l.split_whitespace().next().unwrap_or(l),
        );
    }
}

fn tool_versions(s: &mut Sink<'_>, text: &str) {
    for (i, l) in text.lines().enumerate() {
        let l = l.split('#').next().unwrap_or("");
        let mut parts = l.split_whitespace();
        let (Some(tool), Some(v)) = (parts.next(), parts.next()) else {
            continue;
        };
        if let Some(rt) = tool_runtime(tool) {
            s.pin(rt, i as u64 + 1, v);
        }
    }
}

fn package_json(s: &mut Sink<'_>, text: &str) -> Result<(), String> {
    let j: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("{}:{}: not valid JSON: {e}", s.file, e.line()))?;
    let str_at =
        |o: &serde_json::Value, k: &str| o.get(k).and_then(|v| v.as_str()).map(str::to_string);
    if let Some(engines) = j.get("engines") {
        for tool in ["node", "pnpm", "yarn", "npm"] {
            if let Some(v) = str_at(engines, tool) {
                let rt = tool_runtime(tool).unwrap_or("node");
                s.range(rt, line_near(text, &format!("\"{tool}\""), &v), &v);
            }
        }
    }
    if let Some(volta) = j.get("volta") {
        for tool in ["node", "pnpm", "yarn", "npm"] {
            if let Some(v) = str_at(volta, tool) {
                let rt = tool_runtime(tool).unwrap_or("node");
                s.pin(rt, line_near(text, &format!("\"{tool}\""), &v), &v);
            }
        }
    }
    if let Some(pm) = str_at(&j, "packageManager") {
        if let Some((tool, v)) = pm.split_once('@') {
            if let Some(rt) = tool_runtime(tool).filter(|r| matches!(*r, "pnpm" | "yarn" | "npm")) {
                let v = v.split('+').next().unwrap_or(v);
                s.pin(rt, line_of(text, "packageManager"), v);
            }
        }
    }
    Ok(())
}

fn gemfile(s: &mut Sink<'_>, text: &str) {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re =
        RE.get_or_init(|| Regex::new(r#"^\s*ruby\s*\(?\s*((?:["'][^"']+["']\s*,?\s*)+)"#).unwrap());
    for (i, l) in text.lines().enumerate() {
        let Some(c) = re.captures(l) else { continue };
        let parts: Vec<&str> = c[1]
            .split(['"', '\''])
            .map(str::trim)
            .filter(|p| !p.is_empty() && *p != ",")
            .collect();
        let joined = parts.join(", ");
        if parts.len() == 1 && Ver::parse(parts[0]).is_some() {
            s.pin("ruby", i as u64 + 1, parts[0]);
        } else {
            s.range("ruby", i as u64 + 1, &joined);
        }
    }
}

fn go_mod(s: &mut Sink<'_>, text: &str) {
    for (i, l) in text.lines().enumerate() {
        let l = l.split("//").next().unwrap_or("").trim();
        if let Some(v) = l.strip_prefix("go ") {
            s.floor("go", i as u64 + 1, v.trim());
        } else if let Some(v) = l.strip_prefix("toolchain ") {
            s.pin("go", i as u64 + 1, v.trim());
        }
    }
}

fn pom(s: &mut Sink<'_>, text: &str) {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"<(maven\.compiler\.release|maven\.compiler\.source|maven\.compiler\.target|java\.version|release)>\s*([0-9][0-9.]*)\s*</").unwrap()
    });
    // One floor per file: the release if there is one, else the first of the others.
    let mut found: Vec<(u64, String, String)> = Vec::new();
    for (i, l) in text.lines().enumerate() {
        for c in re.captures_iter(l) {
            found.push((i as u64 + 1, c[1].to_string(), c[2].to_string()));
        }
    }
    let best = found
        .iter()
        .find(|f| f.1 == "maven.compiler.release" || f.1 == "release")
        .or(found.first());
    if let Some((line, _, v)) = best {
        s.floor("java", *line, &java_legacy(v));
    }
}

/// `1.8` is Java 8.
fn java_legacy(v: &str) -> String {
    v.strip_prefix("1.").map_or(v.to_string(), str::to_string)
}

fn gradle(s: &mut Sink<'_>, text: &str) {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"(?:JavaLanguageVersion\.of\(\s*["']?(\d+)|(?:source|target)Compatibility\s*=\s*(?:JavaVersion\.VERSION_(?:1_)?(\d+)|["']?(?:1\.)?(\d+)))"#).unwrap()
    });
    for (i, l) in text.lines().enumerate() {
        if l.trim_start().starts_with("//") {
            continue;
        }
        if let Some(c) = re.captures(l) {
            let v = c
                .get(1)
                .or(c.get(2))
                .or(c.get(3))
                .map_or("", |m| m.as_str());
            s.floor("java", i as u64 + 1, v);
            return;
        }
    }
}

fn toml_err(file: &str, text: &str, e: &toml::de::Error) -> String {
    let line = e.span().map_or(1, |sp| {
        text[..sp.start.min(text.len())].matches('\n').count() + 1
    });
    format!("{file}:{line}: not valid TOML: {}", e.message().trim())
}

fn toml_file(s: &mut Sink<'_>, name: &str, text: &str) -> Result<(), String> {
    let t: toml::Table = text.parse().map_err(|e| toml_err(s.file, text, &e))?;
    let get = |path: &[&str]| -> Option<&toml::Value> {
        let mut v = t.get(path[0])?;
        for k in &path[1..] {
            v = v.get(k)?;
        }
        Some(v)
    };
    match name {
        "mise.toml" | ".mise.toml" => {
            let Some(tools) = get(&["tools"]).and_then(|v| v.as_table()) else {
                return Ok(());
            };
            for (tool, v) in tools {
                let Some(rt) = tool_runtime(tool) else {
                    continue;
                };
                let v = match v {
                    toml::Value::String(x) => Some(x.clone()),
                    toml::Value::Array(a) => a.first().and_then(|x| x.as_str()).map(str::to_string),
                    toml::Value::Table(t) => t
                        .get("version")
                        .and_then(|x| x.as_str())
                        .map(str::to_string),
                    _ => None,
                };
                if let Some(v) = v {
                    s.pin(rt, line_near(text, tool, &v), &v);
                }
            }
        }
        "rust-toolchain" | "rust-toolchain.toml" => {
            if let Some(c) = get(&["toolchain", "channel"]).and_then(|v| v.as_str()) {
                s.pin("rust", line_of(text, "channel"), c);
            }
        }
        "Cargo.toml" => {
            for p in [
                &["package", "rust-version"][..],
                &["workspace", "package", "rust-version"],
            ] {
                if let Some(v) = get(p).and_then(|v| v.as_str()) {
                    s.floor("rust", line_near(text, "rust-version", v), v);
                }
            }
        }
        "pyproject.toml" => {
            if let Some(v) = get(&["project", "requires-python"]).and_then(|v| v.as_str()) {
                s.range("python", line_near(text, "requires-python", v), v);
            }
            if let Some(v) =
                get(&["tool", "poetry", "dependencies", "python"]).and_then(|v| v.as_str())
            {
                s.range("python", line_near(text, "python", v), v);
            }
        }
        _ => {
            // Pipfile
            for k in ["python_full_version", "python_version"] {
                if let Some(v) = get(&["requires", k]).and_then(|v| v.as_str()) {
                    s.pin("python", line_near(text, k, v), v);
                    break;
                }
            }
        }
    }
    Ok(())
}

fn gitlab(s: &mut Sink<'_>, text: &str) -> Result<(), String> {
    let doc: yaml_serde::Value = yaml_serde::from_str(text).map_err(|e| {
        let line = e.location().map_or(1, |l| l.line());
        format!("{}:{line}: not valid YAML: {e}", s.file)
    })?;
    let Some(m) = doc.as_mapping() else {
        return Ok(());
    };
    let image = |v: &yaml_serde::Value| {
        v.get("image").and_then(|i| {
            i.as_str()
                .map(str::to_string)
                .or_else(|| i.get("name").and_then(|n| n.as_str()).map(str::to_string))
        })
    };
    let mut images: Vec<String> = image(&doc).into_iter().collect();
    images.extend(m.values().filter_map(image));
    images.sort();
    images.dedup();
    for img in images {
        if let Some((rt, v)) = image_version(&img, &BTreeMap::new()) {
            s.add(rt, line_of(text, &img), &img, Some(Role::Tested(v)));
        }
    }
    Ok(())
}

/// The runtime and version of a container image (`node:20-alpine`, `python:3.12-slim`,
/// `docker.io/library/golang:1.22`, `maven:3.9-eclipse-temurin-17`), with `${ARG}`s replaced by
/// their defaults.
pub fn image_version(image: &str, args: &BTreeMap<String, String>) -> Option<(&'static str, Ver)> {
    let mut img = image.to_string();
    for (k, v) in args {
        img = img
            .replace(&format!("${{{k}}}"), v)
            .replace(&format!("${k}"), v);
    }
    if img.contains('$') {
        return None;
    }
    let img = img.split('@').next()?;
    let last = img.rsplit('/').next()?;
    let (name, mut tag) = last.split_once(':')?;
    // The dev container images tag the image's own version first: `devcontainers/python:
    // 0-3.10-bullseye` is Python 3.10 (mealie's `.devcontainer/Dockerfile`), not 0.
    if img.contains("devcontainers/") {
        if let Some((lead, rest)) = tag.split_once('-') {
            if !lead.is_empty() && lead.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty() {
                tag = rest;
            }
        }
    }
    let rt = match name {
        "node" => "node",
        "python" => "python",
        "ruby" => "ruby",
        "golang" => "go",
        "rust" => "rust",
        "eclipse-temurin" | "openjdk" | "amazoncorretto" | "ibm-semeru-runtimes" | "sapmachine" => {
            "java"
        }
        "maven" | "gradle" => {
            static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
            let re = RE.get_or_init(|| {
                Regex::new(r"(?:temurin|jdk|openjdk|corretto|zulu|graal)-?(\d+)").unwrap()
            });
            let c = re.captures(tag)?;
            return Some(("java", Ver::parse(&c[1])?));
        }
        _ => return None,
    };
    let v =
        pin_version(rt, tag.split('-').next().unwrap_or(tag)).or_else(|| pin_version(rt, tag))?;
    Some((rt, v))
}

fn dockerfile(s: &mut Sink<'_>, text: &str) {
    let mut args: BTreeMap<String, String> = BTreeMap::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        let upper = t.to_ascii_uppercase();
        if upper.starts_with("ARG ") {
            if let Some((k, v)) = t[4..].trim().split_once('=') {
                args.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
            }
        } else if upper.starts_with("FROM ") {
            let image = t[5..]
                .split_whitespace()
                .find(|w| !w.starts_with("--"))
                .unwrap_or("");
            if let Some((rt, v)) = image_version(image, &args) {
                s.add(rt, i as u64 + 1, image, Some(Role::Pin(v)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decls(files: &[(&str, &str)]) -> Vec<(String, String, u64, String)> {
        let kept = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect();
        declarations(&kept)
            .unwrap()
            .into_iter()
            .map(|d| (d.runtime.to_string(), d.file, d.line, d.value))
            .collect()
    }

    fn count(files: &[(&str, &str)]) -> usize {
        let kept = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect();
        let k = RuntimeVersions {
            ignore: vec![],
            ci: true,
        };
        k.findings(&Meta::named("x"), &declarations(&kept).unwrap())
            .len()
    }

    #[test]
    fn declarations_of_every_ecosystem() {
        let got = decls(&[
            (".nvmrc", "lts/iron\n"),
            ("Dockerfile", "ARG PY=3.12\nFROM --platform=$BUILDPLATFORM node:20-alpine AS web\nFROM python:${PY}-slim\nFROM scratch\n"),
            ("package.json", "{\n  \"engines\": {\"node\": \">=18\"},\n  \"packageManager\": \"pnpm@9.1.0+sha512.x\"\n}\n"),
            ("go.mod", "module x\n\ngo 1.21\n\ntoolchain go1.22.1\n"),
            ("Cargo.toml", "[package]\nname = \"x\"\nrust-version = \"1.74\"\n"),
            ("rust-toolchain.toml", "[toolchain]\nchannel = \"stable\"\n"),
            ("Gemfile", "source 'x'\nruby \"~> 3.2\"\n"),
            ("pom.xml", "<project><properties>\n<java.version>17</java.version>\n</properties></project>\n"),
            (".tool-versions", "nodejs 20.11.0\njava temurin-17.0.9+9\n"),
        ]);
        let want: Vec<(&str, &str, u64, &str)> = vec![
            ("node", ".nvmrc", 1, "lts/iron"),
            ("node", ".tool-versions", 1, "20.11.0"),
            ("java", ".tool-versions", 2, "temurin-17.0.9+9"),
            ("rust", "Cargo.toml", 3, "1.74"),
            ("node", "Dockerfile", 2, "node:20-alpine"),
            ("python", "Dockerfile", 3, "python:${PY}-slim"),
            ("ruby", "Gemfile", 2, "~> 3.2"),
            ("go", "go.mod", 3, "1.21"),
            ("go", "go.mod", 5, "go1.22.1"),
            ("node", "package.json", 2, ">=18"),
            ("pnpm", "package.json", 3, "9.1.0"),
            ("java", "pom.xml", 2, "17"),
        ];
        let want: Vec<(String, String, u64, String)> = want
            .into_iter()
            .map(|(a, b, c, d)| (a.into(), b.into(), c, d.into()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn drift_and_the_agreement_beside_it() {
        // Pins at different precisions agree; a major pin and a minor pin that differ do not.
        assert_eq!(
            count(&[
                (".nvmrc", "20.11.0\n"),
                ("Dockerfile", "FROM node:20-alpine\n")
            ]),
            0
        );
        assert_eq!(
            count(&[(".nvmrc", "20\n"), ("Dockerfile", "FROM node:18-alpine\n")]),
            1
        );
        // Aliases are no pins.
        assert_eq!(
            count(&[(".nvmrc", "lts/*\n"), ("Dockerfile", "FROM node:18\n")]),
            0
        );
        // A range contains the pins, or does not.
        assert_eq!(
            count(&[
                ("pyproject.toml", "[project]\nrequires-python = \">=3.9\"\n"),
                (".python-version", "3.12\n")
            ]),
            0
        );
        assert_eq!(
            count(&[
                (
                    "pyproject.toml",
                    "[project]\nrequires-python = \">=3.10\"\n"
                ),
                ("Dockerfile", "FROM python:3.9-slim\n")
            ]),
            1
        );
        // A floor above the toolchain.
        assert_eq!(
            count(&[
                ("Cargo.toml", "[package]\nrust-version = \"1.80\"\n"),
                ("rust-toolchain", "1.79.0\n")
            ]),
            1
        );
        assert_eq!(
            count(&[
                ("Cargo.toml", "[package]\nrust-version = \"1.80\"\n"),
                ("rust-toolchain", "1.80.1\n")
            ]),
            0
        );
        // Unrelated folders are separate projects.
        assert_eq!(
            count(&[
                ("a/Dockerfile", "FROM node:18\n"),
                ("b/Dockerfile", "FROM node:20\n")
            ]),
            0
        );
        assert_eq!(
            count(&[(".nvmrc", "20\n"), ("web/Dockerfile", "FROM node:18\n")]),
            1
        );
        // Java: built for 17, run on 11.
        // A dev container image's tag leads with its own version.
        assert_eq!(
            count(&[
                ("pyproject.toml", "[project]\nname = \"app\"\nrequires-python = \">=3.10\"\n"),
                (".devcontainer/Dockerfile", "ARG VARIANT=\"3.10-bullseye\"\nFROM mcr.microsoft.com/devcontainers/python:0-${VARIANT}\n")
            ]),
            0
        );
        assert_eq!(
            count(&[
                (
                    "pyproject.toml",
                    "[project]\nname = \"app\"\nrequires-python = \">=3.11\"\n"
                ),
                (
                    ".devcontainer/Dockerfile",
                    "FROM mcr.microsoft.com/devcontainers/python:1-3.9-bookworm\n"
                )
            ]),
            1
        );
        assert_eq!(count(&[("pom.xml", "<project><properties><maven.compiler.release>17</maven.compiler.release></properties></project>"), ("Dockerfile", "FROM eclipse-temurin:11-jre\n")]), 1);
        assert_eq!(count(&[("pom.xml", "<project><properties><maven.compiler.release>17</maven.compiler.release></properties></project>"), ("Dockerfile", "FROM eclipse-temurin:21-jre\n")]), 0);
    }
}
