//! `lockfile-sync`: each lockfile agrees with its manifest, checked offline from the two files
//! alone — what `npm ci`, `pnpm install --frozen-lockfile`, `cargo build --locked`, `poetry check
//! --lock` and `go mod verify` refuse at deploy time:
//!
//! - npm: every dependency of package.json (and of each workspace package) is in
//!   package-lock.json's `packages[""]` (or the workspace's entry) with the same specifier (or
//!   one its installed version satisfies), and the
//!   lock lists none the manifest dropped;
//! - pnpm: each importer's specifiers in pnpm-lock.yaml are its package.json's (or an override's),
//!   and the lockfile's `overrides` are the declared ones;
//! - Cargo: each workspace member's version is the locked one, and every dependency it declares is
//!   a locked package with a version its requirement allows;
//! - Poetry: poetry.lock's `content-hash` is the hash of pyproject.toml's relevant content,
//!   recomputed as Poetry does (sha256 of Python's `json.dumps(..., sort_keys=True)`);
//! - Go: every `require` of go.mod has its `/go.mod` line in go.sum;
//! - yarn, uv, Bundler (partial): a yarn.lock entry for each dependency and specifier; uv.lock's
//!   `requires-python` and root dependencies; Gemfile.lock's DEPENDENCIES list every Gemfile gem.
//!
//! A lockfile or manifest that does not parse, or a lockfile version this does not know, is an
//! error naming the file and line. What a full resolver checks beyond this is in the README.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::check::Meta;
use crate::inputs::material::Material;
use crate::kinds::runtime_versions::error_location;
use crate::kinds::{Kind, Outcome, PassView, Wants};
use crate::report::model::{Finding, Location};
use crate::types::{Input, Sample};

/// A package ecosystem whose lockfile is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Ecosystem {
    Npm,
    Pnpm,
    Cargo,
    Poetry,
    Go,
    Yarn,
    Uv,
    Bundler,
}

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LockfileSync {
    /// The ecosystems checked.
    pub ecosystems: Vec<Ecosystem>,
}

/// The manifests and lockfiles read.
pub const FILES: &[&str] = &[
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "pnpm-workspace.yaml",
    "yarn.lock",
    "Cargo.toml",
    "Cargo.lock",
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "go.mod",
    "go.sum",
    "Gemfile",
    "Gemfile.lock",
];

/// One disagreement: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub file: String,
    pub line: Option<u64>,
    pub lockfile: String,
    pub message: String,
}

impl Kind for LockfileSync {
    const KEY: &'static str = "lockfile-sync";
    const INPUT: Input = Input::Repo;
    const FIELDS: &'static [&'static str] = &["path", "line", "lockfile"];

    fn describe(&self) -> Vec<String> {
        let names: Vec<String> = self
            .ecosystems
            .iter()
            .map(|e| format!("{e:?}").to_ascii_lowercase())
            .collect();
        vec![
            format!("lockfiles agree with their manifests: {}", names.join(", ")),
            "offline, from the two files alone: no registry is asked".into(),
        ]
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
            match self.drifts(&kept) {
                Ok(d) => Outcome::findings(d.iter().map(|d| finding(check, d)).collect()),
                Err(e) => Outcome::Error {
                    reason: "a manifest or lockfile could not be read".into(),
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

    fn run_sample(&self, _check: &Meta, sample: &Sample) -> Result<usize, String> {
        let kept = sample
            .files()
            .into_iter()
            .map(|(p, t)| (p, t.into_bytes()))
            .collect();
        Ok(self.drifts(&kept)?.len())
    }
}

fn finding(check: &Meta, d: &Drift) -> Finding {
    let fields = [
        ("path", d.file.clone()),
        ("line", d.line.map(|l| l.to_string()).unwrap_or_default()),
        ("lockfile", d.lockfile.clone()),
    ];
    let mut location = Location::repo(d.file.clone());
    location.line = d.line;
    Finding {
        message: check.render(|| d.message.clone(), &fields),
        location,
        evidence: None,
    }
}

impl LockfileSync {
    /// Every disagreement of the ecosystems checked.
    pub fn drifts(&self, kept: &BTreeMap<String, Vec<u8>>) -> Result<Vec<Drift>, String> {
        let files = Files { kept };
        let mut out = Vec::new();
        for e in &self.ecosystems {
            match e {
                Ecosystem::Npm => crate::kinds::lockfile_js::npm(&files, &mut out)?,
                Ecosystem::Pnpm => crate::kinds::lockfile_js::pnpm(&files, &mut out)?,
                Ecosystem::Yarn => crate::kinds::lockfile_js::yarn(&files, &mut out)?,
                Ecosystem::Cargo => cargo(&files, &mut out)?,
                Ecosystem::Poetry => poetry(&files, &mut out)?,
                Ecosystem::Uv => uv(&files, &mut out)?,
                Ecosystem::Go => go(&files, &mut out),
                Ecosystem::Bundler => bundler(&files, &mut out),
            }
        }
        Ok(out)
    }
}

/// The kept files, by repository path.
pub struct Files<'a> {
    pub kept: &'a BTreeMap<String, Vec<u8>>,
}

impl Files<'_> {
    /// Each kept file named `name`, with its folder (`""` at the root) and text.
    pub fn named(&self, name: &str) -> Vec<(String, String, String)> {
        self.kept
            .iter()
            .filter(|(p, _)| p.rsplit('/').next() == Some(name))
            .map(|(p, b)| {
                let dir = p.rfind('/').map_or("", |i| &p[..i]).to_string();
                (p.clone(), dir, String::from_utf8_lossy(b).into_owned())
            })
            .collect()
    }

    pub fn text(&self, path: &str) -> Option<String> {
        self.kept
            .get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The 1-based line of the first line containing `needle`.
pub fn line_of(text: &str, needle: &str) -> Option<u64> {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u64 + 1)
}

pub fn toml_table(file: &str, text: &str) -> Result<toml::Table, String> {
    text.parse::<toml::Table>().map_err(|e| {
        let line = e.span().map_or(1, |s| {
            text[..s.start.min(text.len())].matches('\n').count() + 1
        });
        format!("{file}:{line}: not valid TOML: {}", e.message().trim())
    })
}

fn cargo(files: &Files<'_>, out: &mut Vec<Drift>) -> Result<(), String> {
    for (lock_path, dir, lock_text) in files.named("Cargo.lock") {
        let lock = toml_table(&lock_path, &lock_text)?;
        if let Some(v) = lock.get("version").and_then(|v| v.as_integer()) {
            if !(1..=4).contains(&v) {
                return Err(format!(
                    "{lock_path}:{}: Cargo.lock version {v} is not one this knows (1 to 4)",
                    line_of(&lock_text, "version").unwrap_or(1)
                ));
            }
        }
        let mut locked: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in lock
            .get("package")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
        {
            let name = p.get("name").and_then(|v| v.as_str()).unwrap_or("");
            let version = p.get("version").and_then(|v| v.as_str()).unwrap_or("");
            locked.entry(name.into()).or_default().push(version.into());
        }
        let root_path = join(&dir, "Cargo.toml");
        let Some(root_text) = files.text(&root_path) else {
            continue;
        };
        let root = toml_table(&root_path, &root_text)?;
        for member in cargo_members(files, &dir, &root)? {
            let text = files.text(&member).unwrap_or_default();
            let manifest = toml_table(&member, &text)?;
            cargo_member(&member, &text, &manifest, &root, &locked, &lock_path, out);
        }
    }
    Ok(())
}

/// The workspace members' manifests under `dir` (the root package, and `workspace.members`
/// globs minus `exclude`).
pub fn cargo_members(
    files: &Files<'_>,
    dir: &str,
    root: &toml::Table,
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    if root.contains_key("package") {
        out.push(join(dir, "Cargo.toml"));
    }
    let Some(ws) = root.get("workspace") else {
        return Ok(out);
    };
    let globs = |k: &str| -> Vec<String> {
        ws.get(k)
            .and_then(|m| m.as_array())
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(|s| join(dir, s.trim_end_matches('/'))))
            .collect()
    };
    let members = crate::types::GlobList::new(&globs("members"))?;
    let exclude = crate::types::GlobList::new(&globs("exclude"))?;
    for (path, mdir, _) in files.named("Cargo.toml") {
        if mdir != dir && members.is_match(&mdir) && !exclude.is_match(&mdir) {
            out.push(path);
        }
    }
    Ok(out)
}

/// One member: its own version is locked, and each dependency is a locked package its
/// requirement allows.
fn cargo_member(
    path: &str,
    text: &str,
    manifest: &toml::Table,
    root: &toml::Table,
    locked: &BTreeMap<String, Vec<String>>,
    lock_path: &str,
    out: &mut Vec<Drift>,
) {
    let Some(pkg) = manifest.get("package") else {
        return;
    };
    let name = pkg.get("name").and_then(|v| v.as_str()).unwrap_or("");
    let ws_deps = root
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.as_table());
    let version = match pkg.get("version") {
        Some(toml::Value::String(v)) => Some(v.clone()),
        Some(t) if t.get("workspace").is_some() => root
            .get("workspace")
            .and_then(|w| w.get("package"))
            .and_then(|p| p.get("version"))
            .and_then(|v| v.as_str())
            .map(str::to_string),
        _ => None,
    };
    let mut drift = |line: Option<u64>, message: String| {
        out.push(Drift {
            file: path.to_string(),
            line,
            lockfile: lock_path.to_string(),
            message,
        })
    };
    match (locked.get(name), &version) {
        (None, _) => drift(
            line_of(text, "name"),
            format!("{name} ({path}) is not in {lock_path}: run cargo update -w and commit {lock_path}"),
        ),
        (Some(vs), Some(v)) if !vs.contains(v) => drift(
            line_of(text, "version"),
            format!(
                "{name} is version {v} in {path} but {} in {lock_path}: `cargo build --locked` fails; commit the updated lockfile",
                vs.join(", ")
            ),
        ),
        _ => {}
    }
    let mut tables: Vec<&toml::Table> = ["dependencies", "dev-dependencies", "build-dependencies"]
        .iter()
        .filter_map(|k| manifest.get(*k).and_then(|d| d.as_table()))
        .collect();
    for t in manifest
        .get("target")
        .and_then(|t| t.as_table())
        .into_iter()
        .flat_map(|t| t.values())
    {
        for k in ["dependencies", "dev-dependencies", "build-dependencies"] {
            tables.extend(t.get(k).and_then(|d| d.as_table()));
        }
    }
    for deps in tables {
        for (key, spec) in deps {
            let inherited = spec.get("workspace").and_then(|w| w.as_bool()) == Some(true);
            let spec = if inherited {
                ws_deps.and_then(|w| w.get(key)).unwrap_or(spec)
            } else {
                spec
            };
            let real = spec.get("package").and_then(|p| p.as_str()).unwrap_or(key);
            let req = match spec {
                toml::Value::String(s) => Some(s.as_str()),
                t => t.get("version").and_then(|v| v.as_str()),
            };
            let line = line_of(text, &format!("{key} ")).or_else(|| line_of(text, key));
            match locked.get(real) {
                None => drift(
                    line,
                    format!("{path} depends on {real}, which {lock_path} does not lock: `cargo build --locked` fails"),
                ),
                Some(vs) => {
                    let Some(req) = req.and_then(cargo_req) else { continue };
                    let ok = vs.iter().filter_map(|v| crate::kinds::version_req::Ver::parse(v)).any(|v| req.allows(&v));
                    if !ok {
                        drift(
                            line,
                            format!(
                                "{path} requires {real} {} but {lock_path} locks {}: `cargo build --locked` fails",
                                req_text(spec),
                                vs.join(", ")
                            ),
                        );
                    }
                }
            }
        }
    }
}

fn req_text(spec: &toml::Value) -> String {
    match spec {
        toml::Value::String(s) => s.clone(),
        t => t
            .get("version")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string(),
    }
}

/// A Cargo requirement: a bare version is a caret requirement. Pre-release versions are left out.
pub fn cargo_req(req: &str) -> Option<crate::kinds::version_req::Req> {
    if req.contains('-') {
        return None;
    }
    let parts: Vec<String> = req
        .split(',')
        .map(|p| {
            let p = p.trim();
            if p.starts_with(|c: char| c.is_ascii_digit()) {
                format!("^{p}")
            } else {
                p.to_string()
            }
        })
        .collect();
    crate::kinds::version_req::Req::parse(&parts.join(", "))
}

fn poetry(files: &Files<'_>, out: &mut Vec<Drift>) -> Result<(), String> {
    for (lock_path, dir, lock_text) in files.named("poetry.lock") {
        let pyproject_path = join(&dir, "pyproject.toml");
        let Some(py_text) = files.text(&pyproject_path) else {
            continue;
        };
        let lock = toml_table(&lock_path, &lock_text)?;
        let meta = lock.get("metadata");
        let version = meta
            .and_then(|m| m.get("lock-version"))
            .and_then(|v| v.as_str())
            .unwrap_or("1.0");
        let major = version
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok());
        if !matches!(major, Some(1 | 2)) {
            return Err(format!(
                "{lock_path}:{}: poetry.lock lock-version {version} is not one this knows (1.x or 2.x)",
                line_of(&lock_text, "lock-version").unwrap_or(1)
            ));
        }
        let Some(recorded) = meta
            .and_then(|m| m.get("content-hash"))
            .and_then(|v| v.as_str())
        else {
            continue;
        };
        let py = toml_table(&pyproject_path, &py_text)?;
        if !crate::kinds::poetry_hash::content_hashes(&py)
            .iter()
            .any(|h| h == recorded)
        {
            out.push(Drift {
                file: pyproject_path.clone(),
                line: line_of(&py_text, "dependencies"),
                lockfile: lock_path.clone(),
                message: format!(
                    "{lock_path} is out of date with {pyproject_path}: its content-hash is not the hash of the dependencies it declares; run `poetry lock` and commit it"
                ),
            });
        }
    }
    Ok(())
}

fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// A PEP 508 requirement's name.
fn req_name(req: &str) -> String {
    let end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .unwrap_or(req.len());
    normalize(&req[..end])
}

fn uv(files: &Files<'_>, out: &mut Vec<Drift>) -> Result<(), String> {
    for (lock_path, dir, lock_text) in files.named("uv.lock") {
        let py_path = join(&dir, "pyproject.toml");
        let Some(py_text) = files.text(&py_path) else {
            continue;
        };
        let lock = toml_table(&lock_path, &lock_text)?;
        if let Some(v) = lock.get("version").and_then(|v| v.as_integer()) {
            if v != 1 {
                return Err(format!(
                    "{lock_path}:{}: uv.lock version {v} is not one this knows (1)",
                    line_of(&lock_text, "version").unwrap_or(1)
                ));
            }
        }
        let py = toml_table(&py_path, &py_text)?;
        let Some(project) = py.get("project") else {
            continue;
        };
        let mut drift = |line: Option<u64>, message: String| {
            out.push(Drift {
                file: py_path.clone(),
                line,
                lockfile: lock_path.clone(),
                message,
            })
        };
        let want = project.get("requires-python").and_then(|v| v.as_str());
        let have = lock.get("requires-python").and_then(|v| v.as_str());
        if let (Some(w), Some(h)) = (want, have) {
            if w.replace(' ', "") != h.replace(' ', "") {
                drift(
                    line_of(&py_text, "requires-python"),
                    format!("{py_path} requires Python {w} but {lock_path} was locked for {h}: run `uv lock`"),
                );
            }
        }
        let name = project.get("name").and_then(|v| v.as_str()).map(normalize);
        let root = lock
            .get("package")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
            .find(|p| p.get("name").and_then(|n| n.as_str()).map(normalize) == name);
        let Some(root) = root else { continue };
        let locked: BTreeSet<String> = root
            .get("metadata")
            .and_then(|m| m.get("requires-dist"))
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("name").and_then(|n| n.as_str()).map(normalize))
            .collect();
        let deps = project.get("dependencies").and_then(|d| d.as_array());
        for d in deps.into_iter().flatten().filter_map(|d| d.as_str()) {
            let n = req_name(d);
            if !locked.contains(&n) {
                drift(
                    line_of(&py_text, d),
                    format!(
                        "{py_path} depends on {n}, which {lock_path} does not have: run `uv lock`"
                    ),
                );
            }
        }
    }
    Ok(())
}

fn go(files: &Files<'_>, out: &mut Vec<Drift>) {
    for (mod_path, dir, text) in files.named("go.mod") {
        let sum_path = join(&dir, "go.sum");
        let sum = files.text(&sum_path).unwrap_or_default();
        let sums: BTreeSet<(&str, &str)> = sum
            .lines()
            .filter_map(|l| {
                let mut p = l.split_whitespace();
                let (m, v) = (p.next()?, p.next()?);
                Some((m, v.trim_end_matches("/go.mod")))
            })
            .collect();
        let (requires, replaces) = go_directives(&text);
        for (line, module, version) in requires {
            let (m, v) = match replaces.get(&module) {
                Some(None) => continue, // replaced by a local folder: nothing to sum
                Some(Some((m, v))) => (m.clone(), v.clone()),
                None => (module.clone(), version.clone()),
            };
            if !sums.contains(&(m.as_str(), v.as_str())) {
                out.push(Drift {
                    file: mod_path.clone(),
                    line: Some(line),
                    lockfile: sum_path.clone(),
                    message: format!(
                        "{mod_path} requires {m} {v}, which {sum_path} has no checksum for: `go build` fails with \"missing go.sum entry\"; run `go mod tidy`"
                    ),
                });
            }
        }
    }
}

type Replaces = BTreeMap<String, Option<(String, String)>>;

/// go.mod's requires (line, module, version) and replaces (module → replacement, `None` for a
/// local folder).
fn go_directives(text: &str) -> (Vec<(u64, String, String)>, Replaces) {
    let mut requires = Vec::new();
    let mut replaces = BTreeMap::new();
    let mut block: Option<&str> = None;
    for (i, raw) in text.lines().enumerate() {
        let l = raw.split("//").next().unwrap_or("").trim();
        if l == ")" {
            block = None;
            continue;
        }
        let (kind, rest) = match block {
            Some(b) => (b, l),
            None => match l.split_once(' ') {
                Some((k @ ("require" | "replace"), r)) if r.trim() == "(" => {
                    block = Some(k);
                    continue;
                }
                Some((k @ ("require" | "replace"), r)) => (k, r.trim()),
                _ => continue,
            },
        };
        if rest.is_empty() {
            continue;
        }
        if kind == "require" {
            let mut p = rest.split_whitespace();
            if let (Some(m), Some(v)) = (p.next(), p.next()) {
                requires.push((i as u64 + 1, m.to_string(), v.to_string()));
            }
        } else if let Some((from, to)) = rest.split_once("=>") {
            let from = from.split_whitespace().next().unwrap_or("").to_string();
            let mut to = to.split_whitespace();
            let target = to.next().unwrap_or("");
            let local = target.starts_with('.') || target.starts_with('/');
            let repl = match (local, to.next()) {
                (false, Some(v)) => Some((target.to_string(), v.to_string())),
                _ => None,
            };
            replaces.insert(from, repl);
        }
    }
    (requires, replaces)
}

fn bundler(files: &Files<'_>, out: &mut Vec<Drift>) {
    static GEM: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let gem = GEM.get_or_init(|| regex::Regex::new(r#"^\s*gem\s*\(?\s*["']([^"']+)["']"#).unwrap());
    for (lock_path, dir, lock) in files.named("Gemfile.lock") {
        let gemfile_path = join(&dir, "Gemfile");
        let Some(gemfile) = files.text(&gemfile_path) else {
            continue;
        };
        let mut listed = BTreeSet::new();
        let mut inside = false;
        for l in lock.lines() {
            if !l.starts_with(' ') {
                inside = l.trim() == "DEPENDENCIES";
                continue;
            }
            if inside {
                if let Some(n) = l.split_whitespace().next() {
                    listed.insert(n.trim_end_matches('!').to_string());
                }
            }
        }
        for (i, l) in gemfile.lines().enumerate() {
            let Some(c) = gem.captures(l) else { continue };
            if !listed.contains(&c[1]) {
                out.push(Drift {
                    file: gemfile_path.clone(),
                    line: Some(i as u64 + 1),
                    lockfile: lock_path.clone(),
                    message: format!(
                        "{gemfile_path} needs the gem {}, which {lock_path} does not list: run `bundle lock` and commit it",
                        &c[1]
                    ),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drifts(e: Ecosystem, files: &[(&str, &str)]) -> Result<Vec<Drift>, String> {
        let kept = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect();
        LockfileSync {
            ecosystems: vec![e],
        }
        .drifts(&kept)
    }

    /// `npm ci` accepts a lockfile whose installed version satisfies package.json however the
    /// lock spelled the specifier (kutt: `16.4.7` asked, `^16.4.7` recorded, 16.4.7 installed);
    /// it refuses one whose installed version does not, which is still reported.
    #[test]
    fn npm_specifiers_spelled_otherwise_that_the_installed_version_satisfies() {
        let lock = |spec: &str, version: &str| {
            format!(
                r#"{{"lockfileVersion": 3, "packages": {{"": {{"dependencies": {{"dotenv": "{spec}"}}}}, "node_modules/dotenv": {{"version": "{version}"}}, "packages/api/node_modules/dotenv": {{"version": "15.0.1"}}}}}}"#
            )
        };
        let run = |manifest: &str, lock: &str| {
            drifts(
                Ecosystem::Npm,
                &[
                    (
                        "package.json",
                        &format!(r#"{{"dependencies": {{"dotenv": "{manifest}"}}}}"#),
                    ),
                    ("package-lock.json", lock),
                ],
            )
            .unwrap()
        };
        for (asked, recorded, installed) in [
            ("16.4.7", "^16.4.7", "16.4.7"),
            ("^16.0.0", "^16.4.7", "16.6.1"),
            ("~16.6.0", "^16.4.7", "16.6.1"),
            (">=16.4.0", "^16.4.7", "16.6.1"),
            ("^0.2.3", "0.2.5", "0.2.5"),
        ] {
            let d = run(asked, &lock(recorded, installed));
            assert!(d.is_empty(), "{asked} / {recorded} / {installed}: {d:?}");
        }
        for (asked, recorded, installed) in [
            ("16.4.7", "^16.4.7", "16.6.1"),
            ("^17.0.0", "^16.4.7", "16.6.1"),
            ("~16.5.0", "^16.4.7", "16.6.1"),
            ("^0.2.3", "0.3.0", "0.3.0"),
            // Forms not judged exactly stay reported when spelled otherwise.
            ("16.x", "^16.4.7", "16.6.1"),
            ("^16.0.0-rc.1", "^16.4.7", "16.6.1"),
        ] {
            let d = run(asked, &lock(recorded, installed));
            assert_eq!(d.len(), 1, "{asked} / {recorded} / {installed}: {d:?}");
        }
    }

    /// An override of a direct dependency is the specifier pnpm records (formbricks: postcss
    /// `catalog:` overridden to 8.5.23); the overrides themselves must be the declared ones.
    #[test]
    fn pnpm_overrides_of_direct_dependencies() {
        let manifest = r#"{"devDependencies": {"postcss": "catalog:", "vite": "^7.0.0"}}"#;
        let workspace = "packages: [\"apps/*\"]\ncatalog:\n  postcss: 8.5.20\noverrides:\n  postcss: 8.5.23\n  rolldown: $rolldown\n  json5@<2: 'catalog:'\n";
        let lock = "lockfileVersion: '9.0'\noverrides:\n  postcss: 8.5.23\n  rolldown: ~1.2.4\n  json5@<2: ^2.2.3\nimporters:\n  apps/web:\n    devDependencies:\n      postcss:\n        specifier: 8.5.23\n        version: 8.5.23\n      vite:\n        specifier: ^7.0.0\n        version: 7.3.5\n";
        let run = |ws: &str, lock: &str| {
            drifts(
                Ecosystem::Pnpm,
                &[
                    ("package.json", "{}"),
                    ("pnpm-workspace.yaml", ws),
                    ("apps/web/package.json", manifest),
                    ("pnpm-lock.yaml", lock),
                ],
            )
            .unwrap()
        };
        assert!(
            run(workspace, lock).is_empty(),
            "{:?}",
            run(workspace, lock)
        );
        // The true cases: a specifier no override explains; an override changed, added or
        // removed since the install.
        let drifted = run(
            workspace,
            &lock.replace("specifier: ^7.0.0", "specifier: ^6.0.0"),
        );
        assert_eq!(drifted.len(), 1, "{drifted:?}");
        assert!(drifted[0]
            .message
            .contains("vite ^7.0.0 but pnpm-lock.yaml recorded ^6.0.0"));
        let unexplained = run(
            workspace,
            &lock.replace("specifier: 8.5.23", "specifier: 8.4.0"),
        );
        assert_eq!(unexplained.len(), 1, "{unexplained:?}");
        let changed = run(
            &workspace.replace("postcss: 8.5.23", "postcss: 8.5.30"),
            lock,
        );
        assert!(
            changed.iter().any(|d| d.file == "pnpm-workspace.yaml"
                && d.line == Some(5)
                && d.message
                    .contains("overrides postcss with 8.5.30 but pnpm-lock.yaml recorded 8.5.23")),
            "{changed:?}"
        );
        let added = run(&format!("{workspace}  tar: 7.5.21\n"), lock);
        assert!(
            added.iter().any(|d| d
                .message
                .contains("overrides tar with 7.5.21, which pnpm-lock.yaml does not record")),
            "{added:?}"
        );
        let removed = run(&workspace.replace("  postcss: 8.5.23\n", ""), lock);
        assert!(
            removed
                .iter()
                .any(|d| d.message.contains("records an override of postcss")),
            "{removed:?}"
        );
    }

    #[test]
    fn cargo_members_versions_and_requirements() {
        let root = "[workspace]\nmembers = [\"crates/*\"]\nexclude = [\"crates/skip\"]\n[workspace.dependencies]\nserde = \"1.0.100\"\n";
        let member = "[package]\nname = \"app\"\nversion = \"0.2.0\"\n[dependencies]\nserde = { workspace = true }\nregex = \"1.5\"\n";
        let lock = "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.2.0\"\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\n[[package]]\nname = \"regex\"\nversion = \"1.10.0\"\n";
        let ok = drifts(
            Ecosystem::Cargo,
            &[
                ("Cargo.toml", root),
                ("crates/app/Cargo.toml", member),
                (
                    "crates/skip/Cargo.toml",
                    "[package]\nname = \"skip\"\nversion = \"1.0.0\"\n",
                ),
                ("Cargo.lock", lock),
            ],
        )
        .unwrap();
        assert!(ok.is_empty(), "{ok:?}");
        let bumped = member.replace("0.2.0", "0.3.0").replace("1.5", "2");
        let bad = drifts(
            Ecosystem::Cargo,
            &[
                ("Cargo.toml", root),
                ("crates/app/Cargo.toml", &bumped),
                ("Cargo.lock", lock),
            ],
        )
        .unwrap();
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert_eq!(bad[0].line, Some(3));
        let e = drifts(
            Ecosystem::Cargo,
            &[("Cargo.toml", root), ("Cargo.lock", "version = 9\n")],
        )
        .unwrap_err();
        assert!(e.starts_with("Cargo.lock:1:"), "{e}");
    }

    #[test]
    fn go_sum_lines_for_every_require() {
        let gomod = "module x\n\ngo 1.22\n\nrequire (\n\tgithub.com/a/b v1.2.3\n\tgithub.com/c/d v0.1.0 // indirect\n\tgithub.com/local/e v0.0.0\n)\n\nreplace github.com/local/e => ../e\n";
        let sum = "github.com/a/b v1.2.3 h1:x=\ngithub.com/a/b v1.2.3/go.mod h1:y=\ngithub.com/c/d v0.1.0/go.mod h1:z=\n";
        assert!(drifts(Ecosystem::Go, &[("go.mod", gomod), ("go.sum", sum)])
            .unwrap()
            .is_empty());
        let short = "github.com/a/b v1.2.3/go.mod h1:y=\n";
        let d = drifts(Ecosystem::Go, &[("go.mod", gomod), ("go.sum", short)]).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, Some(7));
    }

    #[test]
    fn uv_and_bundler() {
        let py = "[project]\nname = \"app\"\nrequires-python = \">=3.12\"\ndependencies = [\"fastapi>=0.1\", \"httpx\"]\n";
        let lock = "version = 1\nrequires-python = \">=3.12\"\n[[package]]\nname = \"app\"\nsource = { editable = \".\" }\n[package.metadata]\nrequires-dist = [{ name = \"fastapi\", specifier = \">=0.1\" }]\n";
        let d = drifts(Ecosystem::Uv, &[("pyproject.toml", py), ("uv.lock", lock)]).unwrap();
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("httpx"));
        let gemfile = "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\ngem \"pg\"\n";
        let lock = "GEM\n  specs:\n    rails (7.1.0)\n\nDEPENDENCIES\n  rails (~> 7.1)\n";
        let d = drifts(
            Ecosystem::Bundler,
            &[("Gemfile", gemfile), ("Gemfile.lock", lock)],
        )
        .unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, Some(3));
    }
}
