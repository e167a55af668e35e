//! `dependency-versions`: in a monorepo, the workspace packages that depend on the same
//! dependency ask for the same version of it. Two packages of one workspace pinning `react` as
//! `^18.2.0` and `^19.0.0` ship two Reacts, or one of them runs against a version it never asked
//! for. Workspaces: npm/yarn `workspaces`, `pnpm-workspace.yaml` `packages`, Cargo
//! `[workspace] members`, Go `go.work` `use`. Peer dependencies (ranges by design), workspace
//! links (`workspace:`, `link:`, `file:`), pnpm catalogs (`catalog:`, one version by
//! construction), `*` and Cargo `workspace = true` do not count, and neither do what ships in no
//! package: development dependencies (`devDependencies`, Cargo's `[dev-dependencies]`: each
//! package's own build, lint and test tools, eslint 9 in one and 10 in another) and TypeScript's
//! type declarations (`@types/*`, erased at compile time wherever they are listed).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::check::Meta;
use crate::kinds::lockfile_sync::{cargo_members, join, line_of, toml_table, Files};
use crate::kinds::runtime_versions::error_location;
use crate::kinds::version_req::Req;
use crate::kinds::{Kind, Outcome, PassView, Wants};
use crate::report::model::{Finding, Location};
use crate::types::{GlobList, Input, Sample};

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DependencyVersions {
    /// Dependencies allowed to differ between packages (by name).
    #[serde(default)]
    pub ignore: Vec<String>,
}

const FILES: &[&str] = &[
    "package.json",
    "pnpm-workspace.yaml",
    "Cargo.toml",
    "go.work",
    "go.mod",
];

/// One package's request for a dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ask {
    file: String,
    line: Option<u64>,
    spec: String,
    /// The versions it accepts, when the requirement is understood (`None`: compared as text).
    req: Option<Req>,
}

/// A workspace's root folder, each dependency's requests, and which packages are loaded
/// together (`None`: all of them, as go.work's one build list).
type Workspace = (String, BTreeMap<String, Vec<Ask>>, Option<Links>);

/// Which packages of a workspace end up in one program: a package and the workspace packages it
/// depends on (`dependencies`, `optionalDependencies`, `peerDependencies`; Cargo's
/// `[dependencies]` and `[build-dependencies]`), transitively. Two packages that are not linked
/// so are built and installed apart (an API server and a web front end, two apps): each gets the
/// version it asked for. Two that depend on one shared package with a peer dependency on the
/// dependency are loaded together too (that package resolves one copy for both).
#[derive(Debug, Default)]
struct Links {
    /// Manifest path → the manifest paths of the workspace packages it depends on.
    direct: BTreeMap<String, BTreeSet<String>>,
    /// Dependency name → the manifests that ask for it as a peer.
    peers: BTreeMap<String, BTreeSet<String>>,
}

impl Links {
    /// The package and every workspace package it depends on, transitively.
    fn closure(&self, from: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::from([from.to_string()]);
        let mut todo = vec![from.to_string()];
        while let Some(p) = todo.pop() {
            for q in self.direct.get(&p).into_iter().flatten() {
                if seen.insert(q.clone()) {
                    todo.push(q.clone());
                }
            }
        }
        seen
    }

    fn together(&self, a: &str, b: &str, dep: &str) -> bool {
        let (ca, cb) = (self.closure(a), self.closure(b));
        ca.contains(b)
            || cb.contains(a)
            || self
                .peers
                .get(dep)
                .is_some_and(|ps| ps.iter().any(|p| ca.contains(p) && cb.contains(p)))
    }
}

/// Whether no one version satisfies both.
fn apart(a: &Ask, b: &Ask) -> bool {
    match (&a.req, &b.req) {
        (Some(x), Some(y)) => !x.intersects(y),
        _ => a.spec != b.spec,
    }
}

/// An npm requirement (a bare version is exact) or a Cargo one (a bare version is a caret).
fn npm_req(spec: &str) -> Option<Req> {
    if spec.contains('-') && !spec.contains(" - ") {
        return None;
    }
    Req::parse(spec)
}

impl Kind for DependencyVersions {
    const KEY: &'static str = "dependency-versions";
    const INPUT: Input = Input::Repo;
    const FIELDS: &'static [&'static str] = &["name", "path", "line", "versions"];

    fn describe(&self) -> Vec<String> {
        let mut v = vec![
            "workspace packages (npm, yarn, pnpm, Cargo, go.work) ask for one version of each dependency".to_string(),
        ];
        if !self.ignore.is_empty() {
            v.push(format!("allowed to differ: {}", self.ignore.join(", ")));
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
            let shipped = scan.kept_among(FILES, |m| m.is_none());
            match self.findings(check, &shipped) {
                Ok(f) => Outcome::findings(f),
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
        Ok(self.findings(check, &kept)?.len())
    }
}

impl DependencyVersions {
    fn findings(
        &self,
        check: &Meta,
        kept: &BTreeMap<String, Vec<u8>>,
    ) -> Result<Vec<Finding>, String> {
        let files = Files { kept };
        let mut workspaces: Vec<Workspace> = Vec::new();
        workspaces.extend(js(&files)?);
        workspaces.extend(cargo(&files)?);
        workspaces.extend(go(&files));
        let mut out = Vec::new();
        let mut roots_seen = BTreeSet::new();
        for (root, deps, links) in workspaces {
            // A root named by both its package.json `workspaces` and a pnpm-workspace.yaml is
            // one workspace, reported once.
            if !roots_seen.insert(root.clone()) {
                continue;
            }
            for (name, asks) in deps {
                if self.ignore.contains(&name) {
                    continue;
                }
                let mut specs: Vec<&str> = asks.iter().map(|a| a.spec.as_str()).collect();
                specs.sort();
                specs.dedup();
                let together = |a: &Ask, b: &Ask| {
                    links
                        .as_ref()
                        .is_none_or(|l| l.together(&a.file, &b.file, &name))
                };
                let conflict = asks
                    .iter()
                    .enumerate()
                    .any(|(i, a)| asks[i + 1..].iter().any(|b| apart(a, b) && together(a, b)));
                if !conflict {
                    continue;
                }
                let listed: Vec<String> = asks
                    .iter()
                    .map(|a| {
                        format!(
                            "{}{} asks for {}",
                            a.file,
                            a.line.map(|l| format!(":{l}")).unwrap_or_default(),
                            a.spec
                        )
                    })
                    .collect();
                let first = &asks[0];
                let fields = [
                    ("name", name.clone()),
                    ("path", first.file.clone()),
                    (
                        "line",
                        first.line.map(|l| l.to_string()).unwrap_or_default(),
                    ),
                    ("versions", listed.join("; ")),
                ];
                let default = || {
                    format!(
                        "{name} is asked for in versions no one version satisfies, across the workspace {root} ({} requirements): {}",
                        specs.len(),
                        listed.join("; ")
                    )
                };
                let mut location = Location::repo(first.file.clone());
                location.line = first.line;
                out.push(Finding {
                    message: check.render(default, &fields),
                    location,
                    evidence: Some(listed.join("\n")),
                });
            }
        }
        Ok(out)
    }
}

fn json(file: &str, text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|e| format!("{file}:{}: not valid JSON: {e}", e.line()))
}

/// npm/yarn/pnpm workspaces: root folder → dependency → asks.
fn js(files: &Files<'_>) -> Result<Vec<Workspace>, String> {
    let mut roots: Vec<(String, Vec<String>)> = Vec::new();
    for (path, dir, text) in files.named("package.json") {
        let j = json(&path, &text)?;
        let globs: Vec<String> = match j.get("workspaces") {
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(o) => o
                .get("packages")
                .and_then(|p| p.as_array())
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            None => continue,
        };
        add_root(&mut roots, dir, globs);
    }
    for (path, dir, text) in files.named("pnpm-workspace.yaml") {
        let doc: yaml_serde::Value = yaml_serde::from_str(&text).map_err(|e| {
            format!(
                "{path}:{}: not valid YAML: {e}",
                e.location().map_or(1, |l| l.line())
            )
        })?;
        let globs = doc
            .get("packages")
            .and_then(|p| p.as_sequence())
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        add_root(&mut roots, dir, globs);
    }
    let mut out = Vec::new();
    for (root, globs) in roots {
        let include: Vec<String> = globs
            .iter()
            .filter(|g| !g.starts_with('!'))
            .map(|g| join(&root, g.trim_end_matches('/')))
            .collect();
        let exclude: Vec<String> = globs
            .iter()
            .filter_map(|g| g.strip_prefix('!'))
            .map(|g| join(&root, g.trim_end_matches('/')))
            .collect();
        let (inc, exc) = (GlobList::new(&include)?, GlobList::new(&exclude)?);
        let mut deps: BTreeMap<String, Vec<Ask>> = BTreeMap::new();
        // The workspace's package.json files, each parsed once: for the links, then the asks.
        let mut members = Vec::new();
        for (path, dir, text) in files.named("package.json") {
            if dir != root && (!inc.is_match(&dir) || exc.is_match(&dir)) {
                continue;
            }
            let j = json(&path, &text)?;
            members.push((path, text, j));
        }
        let names: BTreeMap<&str, &str> = members
            .iter()
            .filter_map(|(p, _, j)| Some((j.get("name")?.as_str()?, p.as_str())))
            .collect();
        let mut links = Links::default();
        for (path, _, j) in &members {
            for field in ["dependencies", "optionalDependencies", "peerDependencies"] {
                for name in j
                    .get(field)
                    .and_then(|d| d.as_object())
                    .into_iter()
                    .flatten()
                    .map(|(n, _)| n)
                {
                    if let Some(to) = names.get(name.as_str()) {
                        links
                            .direct
                            .entry(path.clone())
                            .or_default()
                            .insert(to.to_string());
                    }
                    if field == "peerDependencies" {
                        links
                            .peers
                            .entry(name.clone())
                            .or_default()
                            .insert(path.clone());
                    }
                }
            }
        }
        for (path, text, j) in &members {
            for field in ["dependencies", "optionalDependencies"] {
                for (name, spec) in j
                    .get(field)
                    .and_then(|d| d.as_object())
                    .into_iter()
                    .flatten()
                {
                    let Some(spec) = spec.as_str() else { continue };
                    if [
                        "workspace:",
                        "link:",
                        "file:",
                        "catalog:",
                        "portal:",
                        "patch:",
                        "npm:",
                    ]
                    .iter()
                    .any(|p| spec.starts_with(p))
                        || spec == "*"
                        || spec.is_empty()
                        || name.starts_with("@types/")
                    {
                        continue;
                    }
                    deps.entry(name.clone()).or_default().push(Ask {
                        file: path.clone(),
                        line: line_of(text, &format!("\"{name}\"")),
                        spec: spec.to_string(),
                        req: npm_req(spec),
                    });
                }
            }
        }
        out.push((
            if root.is_empty() { ".".into() } else { root },
            deps,
            Some(links),
        ));
    }
    Ok(out)
}

/// One workspace per root folder: a root named by its package.json and by a pnpm-workspace.yaml
/// takes the globs of both.
fn add_root(roots: &mut Vec<(String, Vec<String>)>, dir: String, globs: Vec<String>) {
    match roots.iter_mut().find(|(d, _)| *d == dir) {
        Some((_, g)) => g.extend(globs),
        None => roots.push((dir, globs)),
    }
}

/// Cargo workspaces: each member's dependency requirements (not `workspace = true`, not paths).
fn cargo(files: &Files<'_>) -> Result<Vec<Workspace>, String> {
    let mut out = Vec::new();
    for (path, dir, text) in files.named("Cargo.toml") {
        let root = toml_table(&path, &text)?;
        if !root.contains_key("workspace") {
            continue;
        }
        let mut deps: BTreeMap<String, Vec<Ask>> = BTreeMap::new();
        let mut tables = Vec::new();
        for member in cargo_members(files, &dir, &root)? {
            let mtext = files.text(&member).unwrap_or_default();
            let m = toml_table(&member, &mtext)?;
            tables.push((member, mtext, m));
        }
        let names: BTreeMap<String, String> = tables
            .iter()
            .filter_map(|(p, _, m)| {
                let n = m.get("package")?.get("name")?.as_str()?;
                Some((n.to_string(), p.clone()))
            })
            .collect();
        let mut links = Links::default();
        for (member, mtext, m) in &tables {
            let member = member.clone();
            for field in ["dependencies", "build-dependencies"] {
                for (key, spec) in m
                    .get(field)
                    .and_then(|d| d.as_table())
                    .into_iter()
                    .flatten()
                {
                    let dep_name = spec.get("package").and_then(|p| p.as_str()).unwrap_or(key);
                    if let Some(to) = names.get(dep_name) {
                        links
                            .direct
                            .entry(member.clone())
                            .or_default()
                            .insert(to.clone());
                    }
                    let req = match spec {
                        toml::Value::String(s) => Some(s.clone()),
                        t if t.get("workspace").is_some() || t.get("path").is_some() => None,
                        t => t
                            .get("version")
                            .and_then(|v| v.as_str())
                            .map(str::to_string),
                    };
                    let Some(req) = req else { continue };
                    let name = spec
                        .get("package")
                        .and_then(|p| p.as_str())
                        .unwrap_or(key)
                        .to_string();
                    deps.entry(name).or_default().push(Ask {
                        file: member.clone(),
                        line: line_of(mtext, &format!("{key} ")).or_else(|| line_of(mtext, key)),
                        req: crate::kinds::lockfile_sync::cargo_req(&req),
                        spec: req,
                    });
                }
            }
        }
        out.push((
            if dir.is_empty() { ".".into() } else { dir },
            deps,
            Some(links),
        ));
    }
    Ok(out)
}

/// go.work workspaces: each used module's requires.
fn go(files: &Files<'_>) -> Vec<Workspace> {
    let mut out = Vec::new();
    for (_, dir, text) in files.named("go.work") {
        let mut uses = Vec::new();
        let mut inside = false;
        for l in text
            .lines()
            .map(|l| l.split("//").next().unwrap_or("").trim())
        {
            if l.starts_with("use (") {
                inside = true;
            } else if inside && l == ")" {
                inside = false;
            } else if let Some(u) = l.strip_prefix("use ").or(if inside && !l.is_empty() {
                Some(l)
            } else {
                None
            }) {
                uses.push(
                    join(&dir, u.trim().trim_start_matches("./"))
                        .trim_end_matches("/.")
                        .to_string(),
                );
            }
        }
        let mut deps: BTreeMap<String, Vec<Ask>> = BTreeMap::new();
        for u in uses {
            let path = join(&u, "go.mod");
            let Some(t) = files.text(&path) else { continue };
            let mut block = false;
            for (i, l) in t.lines().enumerate() {
                let l = l.split("//").next().unwrap_or("").trim();
                let req = if l == "require (" {
                    block = true;
                    continue;
                } else if block && l == ")" {
                    block = false;
                    continue;
                } else if block {
                    l
                } else if let Some(r) = l.strip_prefix("require ") {
                    r
                } else {
                    continue;
                };
                let mut p = req.split_whitespace();
                if let (Some(m), Some(v)) = (p.next(), p.next()) {
                    deps.entry(m.to_string()).or_default().push(Ask {
                        file: path.clone(),
                        line: Some(i as u64 + 1),
                        spec: v.to_string(),
                        req: None,
                    });
                }
            }
        }
        out.push((if dir.is_empty() { ".".into() } else { dir }, deps, None));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(files: &[(&str, &str)]) -> usize {
        let kept = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect();
        DependencyVersions::default()
            .findings(&Meta::named("x"), &kept)
            .unwrap()
            .len()
    }

    #[test]
    fn one_version_per_workspace_and_the_exceptions() {
        let root = ("package.json", "{\"workspaces\": [\"packages/*\"]}");
        let a = (
            "packages/a/package.json",
            "{\"name\": \"a\", \"dependencies\": {\"react\": \"^18.2.0\", \"shared\": \"workspace:*\"}}",
        );
        let b = ("packages/b/package.json", "{\"dependencies\": {\"react\": \"^19.0.0\", \"shared\": \"workspace:^\", \"a\": \"workspace:*\"}, \"peerDependencies\": {\"react\": \">=18\"}}");
        let same = (
            "packages/b/package.json",
            "{\"dependencies\": {\"react\": \"^18.2.0\"}}",
        );
        let outside = (
            "tools/x/package.json",
            "{\"dependencies\": {\"react\": \"^17.0.0\"}}",
        );
        assert_eq!(count(&[root, a, b]), 1);
        assert_eq!(count(&[root, a, same, outside]), 0);
        let ws = ("Cargo.toml", "[workspace]\nmembers = [\"a\", \"b\"]\n");
        let ca = ("a/Cargo.toml", "[package]\nname = \"a\"\n[dependencies]\nserde = \"1.0\"\nlog = { workspace = true }\nb = { path = \"../b\" }\n");
        let cb = (
            "b/Cargo.toml",
            "[package]\nname = \"b\"\n[dependencies]\nserde = { version = \"0.9\" }\n",
        );
        assert_eq!(count(&[ws, ca, cb]), 1);
    }

    /// hoppscotch's NestJS backend asks for graphql 16.14.0 and its web front end for 16.13.2;
    /// linkwarden's web and mobile apps for different zustand majors: packages that do not load
    /// one another are built apart. Linked (one depends on the other, or both on a package with a
    /// peer dependency on it), the same split is reported.
    #[test]
    fn packages_built_apart_may_differ_and_linked_ones_may_not() {
        let root = (
            "package.json",
            "{\"private\": true, \"workspaces\": [\"packages/*\"]}",
        );
        let server = (
            "packages/server/package.json",
            "{\"name\": \"server\", \"dependencies\": {\"graphql\": \"16.14.0\"}}",
        );
        let web = ("packages/web/package.json", "{\"name\": \"web\", \"dependencies\": {\"graphql\": \"16.13.2\", \"ui\": \"workspace:*\"}}");
        let ui = (
            "packages/ui/package.json",
            "{\"name\": \"ui\", \"peerDependencies\": {\"graphql\": \"^16\"}}",
        );
        assert_eq!(count(&[root, server, web, ui]), 0);
        let linked = ("packages/server/package.json", "{\"name\": \"server\", \"dependencies\": {\"graphql\": \"16.14.0\", \"web\": \"workspace:*\"}}");
        assert_eq!(count(&[root, linked, web, ui]), 1);
        let shared = ("packages/server/package.json", "{\"name\": \"server\", \"dependencies\": {\"graphql\": \"16.14.0\", \"ui\": \"workspace:*\"}}");
        assert_eq!(count(&[root, shared, web, ui]), 1);
        // A dev-only link (a schema shared for code generation) loads nothing at run time.
        let dev = ("packages/server/package.json", "{\"name\": \"server\", \"dependencies\": {\"graphql\": \"16.14.0\"}, \"devDependencies\": {\"web\": \"workspace:*\"}}");
        assert_eq!(count(&[root, dev, web, ui]), 0);
        // One root named twice (package.json `workspaces` and pnpm-workspace.yaml) is one workspace.
        let pnpm = ("pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n");
        assert_eq!(count(&[root, pnpm, linked, web, ui]), 1);
        // Cargo: crates that do not depend on one another, and one that does.
        let ws = ("Cargo.toml", "[workspace]\nmembers = [\"a\", \"b\"]\n");
        let ca = (
            "a/Cargo.toml",
            "[package]\nname = \"a\"\n[dependencies]\ntokio = \"0.2\"\n",
        );
        let cb = (
            "b/Cargo.toml",
            "[package]\nname = \"b\"\n[dependencies]\ntokio = \"1.40\"\n",
        );
        assert_eq!(count(&[ws, ca, cb]), 0);
        let cb = (
            "b/Cargo.toml",
            "[package]\nname = \"b\"\n[dependencies]\ntokio = \"1.40\"\na = { path = \"../a\" }\n",
        );
        assert_eq!(count(&[ws, ca, cb]), 1);
    }

    /// hoppscotch's packages ask for eslint 9 and 10, @types/node 24 and 25: development tools
    /// and type declarations, which no package ships. The same split in `dependencies` is still
    /// reported.
    #[test]
    fn development_tools_and_type_declarations_may_differ() {
        let root = ("pnpm-workspace.yaml", "packages:\n  - 'packages/**'\n");
        let a = ("packages/a/package.json", "{\"name\": \"a\", \"dependencies\": {\"@types/node\": \"24.10.1\", \"graphql\": \"16.13.2\"}, \"devDependencies\": {\"eslint\": \"9.39.2\"}}");
        let b = ("packages/b/package.json", "{\"dependencies\": {\"graphql\": \"16.13.2\", \"a\": \"workspace:*\"}, \"devDependencies\": {\"eslint\": \"10.5.0\", \"@types/node\": \"25.9.3\"}}");
        assert_eq!(count(&[root, a, b]), 0);
        let runtime = ("packages/b/package.json", "{\"dependencies\": {\"graphql\": \"16.14.0\", \"a\": \"workspace:*\"}, \"devDependencies\": {\"eslint\": \"10.5.0\"}}");
        assert_eq!(count(&[root, a, runtime]), 1);
    }
}
