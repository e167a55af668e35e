//! The JavaScript lockfiles of `lockfile-sync`: package-lock.json (npm, versions 1 to 3),
//! pnpm-lock.yaml (importers' specifiers, versions 5 to 9) and yarn.lock (classic and berry, a
//! partial check). Each compares a package.json's dependencies with what its lockfile recorded
//! for it.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::kinds::lockfile_sync::{join, line_of, Drift, Files};

/// The dependency fields a lockfile records, and whether pnpm does.
const FIELDS: &[&str] = &[
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
];

/// package.json's dependencies: name → (field, specifier).
fn manifest_deps(j: &Value, with_peers: bool) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for f in FIELDS
        .iter()
        .filter(|f| with_peers || **f != "peerDependencies")
    {
        for (n, v) in j.get(*f).and_then(|d| d.as_object()).into_iter().flatten() {
            if let Some(spec) = v.as_str() {
                out.entry(n.clone())
                    .or_insert((f.to_string(), spec.to_string()));
            }
        }
    }
    out
}

fn json(file: &str, text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("{file}:{}: not valid JSON: {e}", e.line()))
}

/// Compares a manifest's dependencies with the lock's record of them, both ways.
fn compare(
    manifest: (&str, &str),
    want: &BTreeMap<String, (String, String)>,
    have: &BTreeMap<String, String>,
    lock: &str,
    tool: &str,
    out: &mut Vec<Drift>,
) {
    compare_tolerating(manifest, want, have, (lock, tool), &Default::default(), out)
}

/// `compare`, where the lock may also record `tolerated` names (peers pnpm installs, the runtime
/// of `devEngines`).
fn compare_tolerating(
    manifest: (&str, &str),
    want: &BTreeMap<String, (String, String)>,
    have: &BTreeMap<String, String>,
    (lock, tool): (&str, &str),
    tolerated: &std::collections::BTreeSet<String>,
    out: &mut Vec<Drift>,
) {
    let (path, text) = manifest;
    for (name, (field, spec)) in want {
        let line = line_of(text, &format!("\"{name}\""));
        let message = match have.get(name) {
            None => format!(
                "{path} {field} has {name} {spec}, which {lock} does not have: `{tool}` fails; run the install and commit {lock}"
            ),
            Some(h) if h != spec => format!(
                "{path} {field} has {name} {spec} but {lock} recorded {h}: `{tool}` fails; run the install and commit {lock}"
            ),
            Some(_) => continue,
        };
        out.push(Drift {
            file: path.to_string(),
            line,
            lockfile: lock.to_string(),
            message,
        });
    }
    for name in have
        .keys()
        .filter(|n| !want.contains_key(*n) && !tolerated.contains(*n))
    {
        out.push(Drift {
            file: path.to_string(),
            line: None,
            lockfile: lock.to_string(),
            message: format!(
                "{lock} still records {name} for {path}, which no longer depends on it: `{tool}` fails; run the install and commit {lock}"
            ),
        });
    }
}

pub fn npm(files: &Files<'_>, out: &mut Vec<Drift>) -> Result<(), String> {
    let mut locks = files.named("package-lock.json");
    locks.extend(files.named("npm-shrinkwrap.json"));
    for (lock_path, dir, lock_text) in locks {
        let lock = json(&lock_path, &lock_text)?;
        let version = lock
            .get("lockfileVersion")
            .and_then(|v| v.as_u64())
            .unwrap_or(1);
        if !(1..=3).contains(&version) {
            return Err(format!(
                "{lock_path}:{}: lockfileVersion {version} is not one this knows (1 to 3)",
                line_of(&lock_text, "lockfileVersion").unwrap_or(1)
            ));
        }
        let Some(packages) = lock.get("packages").and_then(|p| p.as_object()) else {
            // Version 1 records only resolved names: each dependency must be there.
            let root_path = join(&dir, "package.json");
            let Some(text) = files.text(&root_path) else {
                continue;
            };
            let want = manifest_deps(&json(&root_path, &text)?, false);
            let have: BTreeMap<String, String> = lock
                .get("dependencies")
                .and_then(|d| d.as_object())
                .into_iter()
                .flatten()
                .map(|(n, _)| {
                    (
                        n.clone(),
                        want.get(n).map(|w| w.1.clone()).unwrap_or_default(),
                    )
                })
                .filter(|(n, _)| want.contains_key(n))
                .collect();
            compare((&root_path, &text), &want, &have, &lock_path, "npm ci", out);
            continue;
        };
        for (key, entry) in packages {
            if key.contains("node_modules/") || key.starts_with("node_modules") {
                continue;
            }
            let manifest_path = join(&join(&dir, key), "package.json");
            let Some(text) = files.text(&manifest_path) else {
                continue;
            };
            let want = manifest_deps(&json(&manifest_path, &text)?, true);
            let mut have = BTreeMap::new();
            for f in FIELDS {
                for (n, v) in entry
                    .get(*f)
                    .and_then(|d| d.as_object())
                    .into_iter()
                    .flatten()
                {
                    if let Some(s) = v.as_str() {
                        have.entry(n.clone()).or_insert(s.to_string());
                    }
                }
            }
            // `npm ci` refuses a lockfile whose installed versions no longer satisfy package.json,
            // not one whose recorded specifier is spelled otherwise (`16.4.7` asked, `^16.4.7`
            // recorded, 16.4.7 installed: kutt's).
            for (name, (_, spec)) in &want {
                if have.get(name).is_some_and(|h| h != spec)
                    && locked_version(packages, key, name).is_some_and(|v| npm_satisfies(spec, v))
                {
                    have.insert(name.clone(), spec.clone());
                }
            }
            compare(
                (&manifest_path, &text),
                &want,
                &have,
                &lock_path,
                "npm ci",
                out,
            );
        }
    }
    Ok(())
}

/// The version npm installed of `name` for the package at `key` (`""`: the root): the nearest
/// `node_modules/<name>` from the package's folder up, as Node resolves it.
fn locked_version<'a>(
    packages: &'a serde_json::Map<String, Value>,
    key: &str,
    name: &str,
) -> Option<&'a str> {
    let mut dir = key;
    loop {
        let at = join(&join(dir, "node_modules"), name);
        if let Some(entry) = packages.get(&at) {
            return entry.get("version")?.as_str();
        }
        if dir.is_empty() {
            return None;
        }
        dir = dir.rfind('/').map_or("", |i| &dir[..i]);
    }
}

/// Whether `version` (a release `X.Y.Z`) satisfies the npm specifier `spec`, for the forms
/// read exactly: `X.Y.Z`, `=X.Y.Z`, `^X.Y.Z`, `~X.Y.Z`, `>=X.Y.Z`. Any other form (ranges,
/// partial versions, pre-releases, tags, URLs) is not judged here: `false`.
fn npm_satisfies(spec: &str, version: &str) -> bool {
    fn triple(s: &str) -> Option<[u64; 3]> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let mut it = s.split('.').map(|p| {
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u64>().ok())
                .flatten()
        });
        let t = [it.next()??, it.next()??, it.next()??];
        it.next().is_none().then_some(t)
    }
    let Some(v) = triple(version) else {
        return false;
    };
    let spec = spec.trim();
    let (op, rest) = match spec
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit() || *c == 'v')
    {
        Some((i, _)) => (&spec[..i], &spec[i..]),
        None => return false,
    };
    let Some(r) = triple(rest) else {
        return false;
    };
    match op.trim() {
        "" | "=" => v == r,
        ">=" => v >= r,
        "~" => v >= r && v < [r[0], r[1] + 1, 0],
        "^" => {
            let upper = match r {
                [0, 0, z] => [0, 0, z + 1],
                [0, y, _] => [0, y + 1, 0],
                [x, _, _] => [x + 1, 0, 0],
            };
            v >= r && v < upper
        }
        _ => false,
    }
}

pub fn pnpm(files: &Files<'_>, out: &mut Vec<Drift>) -> Result<(), String> {
    for (lock_path, dir, lock_text) in files.named("pnpm-lock.yaml") {
        // pnpm 10+ may write the lockfile of its own environment as a first document: the
        // project's lockfile is the last one.
        let mut docs = Vec::new();
        for d in yaml_serde::Deserializer::from_str(&lock_text) {
            let v = <yaml_serde::Value as serde::Deserialize>::deserialize(d).map_err(|e| {
                let line = e.location().map_or(1, |l| l.line());
                format!("{lock_path}:{line}: not valid YAML: {e}")
            })?;
            docs.push(v);
        }
        let Some(lock) = docs.pop() else { continue };
        let version = match lock.get("lockfileVersion") {
            Some(yaml_serde::Value::String(s)) => s.clone(),
            Some(yaml_serde::Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let major = version
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok());
        if !matches!(major, Some(5..=9)) {
            return Err(format!(
                "{lock_path}:{}: lockfileVersion {version} is not one this knows (5 to 9)",
                line_of(&lock_text, "lockfileVersion").unwrap_or(1)
            ));
        }
        let overrides = pnpm_overrides(&lock);
        pnpm_overrides_agree(files, (&lock_path, &lock_text), &dir, &overrides, out)?;
        // Version 5 without importers: one project, specifiers at the top.
        let importers: Vec<(String, &yaml_serde::Value)> =
            match lock.get("importers").and_then(|i| i.as_mapping()) {
                Some(m) => m
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v)))
                    .collect(),
                None => vec![(".".to_string(), &lock)],
            };
        for (importer, entry) in importers {
            let rel = if importer == "." {
                String::new()
            } else {
                importer.clone()
            };
            let manifest_path = join(&join(&dir, &rel), "package.json");
            let Some(text) = files.text(&manifest_path) else {
                continue;
            };
            let manifest = json(&manifest_path, &text)?;
            let want = manifest_deps(&manifest, false);
            let tolerated = pnpm_tolerated(&manifest);
            let mut have = BTreeMap::new();
            for (n, s) in entry
                .get("specifiers")
                .and_then(|s| s.as_mapping())
                .into_iter()
                .flatten()
            {
                if let (Some(n), Some(s)) = (n.as_str(), s.as_str()) {
                    have.insert(n.to_string(), s.to_string());
                }
            }
            for f in ["dependencies", "devDependencies", "optionalDependencies"] {
                for (n, v) in entry
                    .get(f)
                    .and_then(|d| d.as_mapping())
                    .into_iter()
                    .flatten()
                {
                    let spec = v.get("specifier").and_then(|s| s.as_str());
                    if let (Some(n), Some(s)) = (n.as_str(), spec) {
                        have.insert(n.to_string(), s.to_string());
                    }
                }
            }
            // An override of a direct dependency is what pnpm records as its specifier.
            for (name, (_, spec)) in &want {
                let Some(h) = have.get(name) else { continue };
                if h != spec && overridden(&overrides, name, h) {
                    have.insert(name.clone(), spec.clone());
                }
            }
            let how = (lock_path.as_str(), "pnpm install --frozen-lockfile");
            compare_tolerating((&manifest_path, &text), &want, &have, how, &tolerated, out);
        }
    }
    Ok(())
}

/// The `overrides` a pnpm lockfile recorded: selector (`name`, `name@range`, `a>b`) → value.
fn pnpm_overrides(lock: &yaml_serde::Value) -> BTreeMap<String, String> {
    lock.get("overrides")
        .and_then(|o| o.as_mapping())
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
        .collect()
}

/// Whether an override of every `name` (or of `name@range`) sets its specifier to `spec`.
fn overridden(overrides: &BTreeMap<String, String>, name: &str, spec: &str) -> bool {
    overrides.iter().any(|(k, v)| {
        let applies = k == name
            || k.strip_prefix(name)
                .is_some_and(|r| r.starts_with('@') && !r.contains('>'));
        applies && v == spec
    })
}

/// The overrides declared beside a pnpm lockfile (pnpm-workspace.yaml's `overrides`, package.json's
/// `pnpm.overrides` and `resolutions`) are the ones it recorded: `pnpm install --frozen-lockfile`
/// refuses a lockfile whose overrides differ. A value naming a catalog entry or a dependency
/// (`catalog:`, `$name`) is recorded resolved, and not compared.
fn pnpm_overrides_agree(
    files: &Files<'_>,
    (lock_path, lock_text): (&str, &str),
    dir: &str,
    recorded: &BTreeMap<String, String>,
    out: &mut Vec<Drift>,
) -> Result<(), String> {
    let mut declared: BTreeMap<String, (String, String)> = BTreeMap::new();
    let workspace = join(dir, "pnpm-workspace.yaml");
    if let Some(text) = files.text(&workspace) {
        let v: yaml_serde::Value = yaml_serde::from_str(&text).map_err(|e| {
            let line = e.location().map_or(1, |l| l.line());
            format!("{workspace}:{line}: not valid YAML: {e}")
        })?;
        for (k, v) in v
            .get("overrides")
            .and_then(|o| o.as_mapping())
            .into_iter()
            .flatten()
        {
            if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                declared.insert(k.to_string(), (workspace.clone(), v.to_string()));
            }
        }
    }
    let manifest = join(dir, "package.json");
    if let Some(text) = files.text(&manifest) {
        let j = json(&manifest, &text)?;
        let fields = [
            j.get("pnpm").and_then(|p| p.get("overrides")),
            j.get("resolutions"),
        ];
        for (k, v) in fields
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flatten()
        {
            if let Some(v) = v.as_str() {
                declared.insert(k.clone(), (manifest.clone(), v.to_string()));
            }
        }
    }
    if declared.is_empty() && recorded.is_empty() {
        return Ok(());
    }
    let how = "`pnpm install --frozen-lockfile` fails; run the install and commit";
    for (k, (file, v)) in &declared {
        let text = files.text(file).unwrap_or_default();
        let message = match recorded.get(k) {
            _ if v.starts_with("catalog:") || v.starts_with('$') => continue,
            Some(h) if h == v => continue,
            Some(h) => format!("{file} overrides {k} with {v} but {lock_path} recorded {h}: {how} {lock_path}"),
            None => format!("{file} overrides {k} with {v}, which {lock_path} does not record: {how} {lock_path}"),
        };
        out.push(Drift {
            file: file.clone(),
            line: line_after(&text, "overrides", k).or_else(|| line_of(&text, k)),
            lockfile: lock_path.to_string(),
            message,
        });
    }
    for k in recorded.keys().filter(|k| !declared.contains_key(*k)) {
        out.push(Drift {
            file: lock_path.to_string(),
            line: line_of(lock_text, "overrides:"),
            lockfile: lock_path.to_string(),
            message: format!(
                "{lock_path} records an override of {k} that neither pnpm-workspace.yaml nor package.json declares any more: {how} {lock_path}"
            ),
        });
    }
    Ok(())
}

/// The first line holding `needle` after the first holding `anchor`.
fn line_after(text: &str, anchor: &str, needle: &str) -> Option<u64> {
    let start = text.lines().position(|l| l.contains(anchor))?;
    text.lines()
        .skip(start + 1)
        .position(|l| l.contains(needle))
        .map(|i| (start + i + 2) as u64)
}

/// What a pnpm importer records beyond package.json's dependencies: the peers pnpm installs
/// (`auto-install-peers`) and the runtime `devEngines` names (pnpm installs Node as a dependency).
fn pnpm_tolerated(manifest: &Value) -> std::collections::BTreeSet<String> {
    let mut out: std::collections::BTreeSet<String> = manifest
        .get("peerDependencies")
        .and_then(|p| p.as_object())
        .into_iter()
        .flatten()
        .map(|(n, _)| n.clone())
        .collect();
    for engines in ["devEngines", "engines"] {
        let runtimes = match manifest.get(engines).and_then(|e| e.get("runtime")) {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(o) => vec![o],
            None => Vec::new(),
        };
        out.extend(
            runtimes
                .iter()
                .filter_map(|r| r.get("name")?.as_str().map(str::to_string)),
        );
    }
    out
}

/// yarn.lock (partial): every dependency of the root package.json and its workspaces has an
/// entry for its exact specifier (`name@spec`, or berry's `name@npm:spec`).
pub fn yarn(files: &Files<'_>, out: &mut Vec<Drift>) -> Result<(), String> {
    for (lock_path, dir, lock_text) in files.named("yarn.lock") {
        let mut keys = std::collections::BTreeSet::new();
        for l in lock_text
            .lines()
            .filter(|l| !l.starts_with(' ') && l.ends_with(':'))
        {
            for k in l.trim_end_matches(':').split(", ") {
                keys.insert(k.trim().trim_matches('"').to_string());
            }
        }
        let root_path = join(&dir, "package.json");
        let Some(root_text) = files.text(&root_path) else {
            continue;
        };
        let root = json(&root_path, &root_text)?;
        let globs: Vec<String> = match root.get("workspaces") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(|s| join(&dir, s)))
                .collect(),
            Some(o) => o
                .get("packages")
                .and_then(|p| p.as_array())
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(|s| join(&dir, s)))
                .collect(),
            None => Vec::new(),
        };
        let members = crate::types::GlobList::new(&globs)?;
        let mut manifests = vec![(root_path.clone(), root_text.clone())];
        for (p, mdir, t) in files.named("package.json") {
            if mdir != dir && !globs.is_empty() && members.is_match(&mdir) {
                manifests.push((p, t));
            }
        }
        let local: Vec<String> = manifests
            .iter()
            .filter_map(|(_, t)| json("", t).ok()?.get("name")?.as_str().map(str::to_string))
            .collect();
        // The root's `resolutions` replace what the manifests ask for: yarn locks the resolution's
        // range (outline's `"@types/koa": "2.15.1"` is locked as `@types/koa@npm:2.15.1`, not as
        // the devDependency's `^2.15.1`). Keys: `name`, `**/name`, `parent/name`, `name@spec`.
        let resolutions: Vec<(String, String)> = root
            .get("resolutions")
            .and_then(|r| r.as_object())
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect();
        let resolved = |name: &str, spec: &str| -> Option<&str> {
            resolutions
                .iter()
                .find(|(k, _)| {
                    k == name
                        || k.ends_with(&format!("/{name}"))
                        || *k == format!("{name}@{spec}")
                        || *k == format!("{name}@npm:{spec}")
                })
                .map(|(_, v)| v.as_str())
        };
        for (path, text) in manifests {
            for (name, (field, spec)) in manifest_deps(&json(&path, &text)?, false) {
                if local.contains(&name)
                    || spec.starts_with("workspace:")
                    || spec.starts_with("link:")
                    || spec.starts_with("file:")
                    || spec.starts_with("portal:")
                    || spec.starts_with("patch:")
                {
                    continue;
                }
                let plain = format!("{name}@{spec}");
                let berry = format!("{name}@npm:{spec}");
                let by_resolution = resolved(&name, &spec).is_some_and(|r| {
                    keys.contains(&format!("{name}@{r}"))
                        || keys.contains(&format!("{name}@npm:{r}"))
                });
                if !keys.contains(&plain) && !keys.contains(&berry) && !by_resolution {
                    out.push(Drift {
                        file: path.clone(),
                        line: line_of(&text, &format!("\"{name}\"")),
                        lockfile: lock_path.clone(),
                        message: format!(
                            "{path} {field} has {name} {spec}, which {lock_path} has no entry for: `yarn install --frozen-lockfile` fails; run `yarn install` and commit {lock_path}"
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}
