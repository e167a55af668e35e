//! The version a project declares, as its ecosystem's manifests say it: Cargo (a package, or a
//! workspace's `workspace.package`), npm, Python (`[project]`, Poetry, `setup.cfg`, and a dynamic
//! version read from the file the build backend names), Maven, Gradle, Composer, Mix, .NET, and a
//! Ruby gem's `version.rb`. Go modules and many PHP projects have no version file: their version is
//! the tag. Used by `git-state`'s `version-tag`.

use std::collections::BTreeMap;

use regex::Regex;

/// Manifests whose contents the repository pass keeps for this module (any depth: workspace
/// members are looked at when the root has no version).
pub const MANIFESTS: &[&str] = &[
    "Cargo.toml",
    "package.json",
    "pyproject.toml",
    "setup.cfg",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "gradle.properties",
    "composer.json",
    "mix.exs",
    "*.csproj",
    "*.gemspec",
    "version.rb",
    "__version__.py",
    "_version.py",
    "__about__.py",
];

/// One declared version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The manifest it is in (repository-relative).
    pub file: String,
    /// The package's name, when the manifest says it.
    pub name: Option<String>,
    pub version: String,
}

/// What the root declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    Version(Declared),
    /// A manifest that says its version is computed (`dynamic = ["version"]`) from a file that
    /// was not found.
    Dynamic(String),
    /// No manifest with a version.
    None,
}

fn text<'a>(kept: &'a BTreeMap<String, Vec<u8>>, path: &str) -> Option<std::borrow::Cow<'a, str>> {
    kept.get(path).map(|b| String::from_utf8_lossy(b))
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The version declared in folder `dir` (`""`: the root), by the first manifest that has one.
pub fn declared_in(kept: &BTreeMap<String, Vec<u8>>, dir: &str) -> Root {
    let at = |n: &str| join(dir, n);
    if let Some(t) = text(kept, &at("Cargo.toml")) {
        if let Some(v) = toml_value(&t, &["package", "workspace.package"], "version") {
            return version(at("Cargo.toml"), toml_value(&t, &["package"], "name"), v);
        }
    }
    if let Some(t) = text(kept, &at("package.json")) {
        if let Ok(j) = serde_json::from_str::<serde_json::Value>(&t) {
            if let Some(v) = j.get("version").and_then(|v| v.as_str()) {
                let name = j.get("name").and_then(|n| n.as_str()).map(str::to_string);
                return version(at("package.json"), name, v.to_string());
            }
        }
    }
    if let Some(t) = text(kept, &at("pyproject.toml")) {
        if let Some(v) = toml_value(&t, &["project", "tool.poetry"], "version") {
            return version(
                at("pyproject.toml"),
                toml_value(&t, &["project", "tool.poetry"], "name"),
                v,
            );
        }
        if t.contains("dynamic") && t.contains("\"version\"") {
            return python_dynamic(kept, dir, &t);
        }
    }
    if let Some(t) = text(kept, &at("setup.cfg")) {
        if let Some(v) = ini_value(&t, "metadata", "version").filter(|v| !v.starts_with("attr:")) {
            return version(at("setup.cfg"), ini_value(&t, "metadata", "name"), v);
        }
    }
    if let Some(t) = text(kept, &at("pom.xml")) {
        if let Some((name, v)) = maven(&t) {
            return version(at("pom.xml"), name, v);
        }
    }
    static GRADLE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let gradle = GRADLE.get_or_init(|| {
        Regex::new(r#"(?m)^\s*version\s*[=:]?\s*["']?([0-9][^"'\s]*)["']?\s*$"#).unwrap()
    });
    for f in ["build.gradle", "build.gradle.kts", "gradle.properties"] {
        if let Some(t) = text(kept, &at(f)) {
            if let Some(c) = gradle.captures(&t) {
                return version(at(f), None, c[1].to_string());
            }
        }
    }
    if let Some(t) = text(kept, &at("composer.json")) {
        if let Ok(j) = serde_json::from_str::<serde_json::Value>(&t) {
            if let Some(v) = j.get("version").and_then(|v| v.as_str()) {
                return version(at("composer.json"), None, v.to_string());
            }
        }
    }
    if let Some(t) = text(kept, &at("mix.exs")) {
        static MIX: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
        let re = MIX.get_or_init(|| Regex::new(r#"\bversion:\s*"([^"]+)""#).unwrap());
        if let Some(c) = re.captures(&t) {
            return version(at("mix.exs"), None, c[1].to_string());
        }
    }
    static CS: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let csproj =
        CS.get_or_init(|| Regex::new(r"<(?:Version|VersionPrefix)>\s*([^<\s]+)\s*<").unwrap());
    let prefix = join(dir, "");
    for (path, bytes) in kept.range(prefix.clone()..) {
        if !path.starts_with(&prefix) {
            break;
        }
        let rest = &path[prefix.len()..];
        if rest.contains('/') {
            continue;
        }
        let t = String::from_utf8_lossy(bytes);
        if rest.ends_with(".csproj") {
            if let Some(c) = csproj.captures(&t) {
                return version(path.clone(), None, c[1].to_string());
            }
        }
        if rest.ends_with(".gemspec") {
            if let Some(v) = ruby_gem_version(kept, dir) {
                return v;
            }
        }
    }
    Root::None
}

fn version(file: String, name: Option<String>, v: String) -> Root {
    Root::Version(Declared {
        file,
        name,
        version: v.trim().to_string(),
    })
}

/// `dynamic = ["version"]`: the version file the build backend names (hatch's `path`, setuptools'
/// `attr`), or the usual `__version__.py` files of the package.
fn python_dynamic(kept: &BTreeMap<String, Vec<u8>>, dir: &str, pyproject: &str) -> Root {
    static PATH: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    static ASSIGN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let path = PATH.get_or_init(|| Regex::new(r#"(?m)^\s*path\s*=\s*"([^"]+\.py)""#).unwrap());
    let assign = ASSIGN.get_or_init(|| {
        Regex::new(
            r#"(?m)^\s*(?:__version__|VERSION|version)\s*(?::\s*str\s*)?=\s*["']([^"']+)["']"#,
        )
        .unwrap()
    });
    let mut candidates: Vec<String> = path
        .captures_iter(pyproject)
        .map(|c| join(dir, &c[1]))
        .collect();
    let prefix = join(dir, "");
    candidates.extend(
        kept.keys()
            .filter(|k| k.starts_with(&prefix))
            .filter(|k| {
                let n = k.rsplit('/').next().unwrap_or(k);
                matches!(n, "__version__.py" | "_version.py" | "__about__.py")
                    && k[prefix.len()..].matches('/').count() <= 2
            })
            .cloned(),
    );
    for c in candidates {
        if let Some(t) = text(kept, &c) {
            if let Some(m) = assign.captures(&t) {
                return version(c, None, m[1].to_string());
            }
        }
    }
    Root::Dynamic(join(dir, "pyproject.toml"))
}

fn ruby_gem_version(kept: &BTreeMap<String, Vec<u8>>, dir: &str) -> Option<Root> {
    static V: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = V.get_or_init(|| Regex::new(r#"VERSION\s*=\s*["']([^"']+)["']"#).unwrap());
    let prefix = join(dir, "lib/");
    kept.iter()
        .filter(|(k, _)| k.starts_with(&prefix) && k.ends_with("/version.rb"))
        .find_map(|(k, b)| {
            re.captures(&String::from_utf8_lossy(b))
                .map(|c| version(k.clone(), None, c[1].to_string()))
        })
}

/// The `<version>` and `<artifactId>` of the project itself (not its parent's, nor a
/// dependency's), with `${revision}`-style properties left as they are.
fn maven(pom: &str) -> Option<(Option<String>, String)> {
    let doc = roxmltree::Document::parse(pom).ok()?;
    let project = doc.root_element();
    let child = |name: &str| {
        project
            .children()
            .find(|c| c.is_element() && c.tag_name().name() == name)
            .and_then(|c| c.text())
            .map(|t| t.trim().to_string())
    };
    let v = child("version")?;
    (!v.starts_with("${")).then(|| (child("artifactId"), v))
}

/// `key = "value"` under one of `tables` (a small reader for a few keys, not a TOML parser).
pub fn toml_value(text: &str, tables: &[&str], key: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            current = l.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            continue;
        }
        if !tables.contains(&current.as_str()) {
            continue;
        }
        let Some(rest) = l.strip_prefix(key) else {
            continue;
        };
        let Some(v) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let v = v.trim();
        if let Some(q) = v.strip_prefix('"') {
            return q.split('"').next().map(str::to_string);
        }
        if let Some(q) = v.strip_prefix('\'') {
            return q.split('\'').next().map(str::to_string);
        }
    }
    None
}

fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            current = l.trim_matches(|c| c == '[' || c == ']').to_string();
        } else if current == section {
            if let Some((k, v)) = l.split_once('=') {
                if k.trim() == key {
                    return Some(v.trim().to_string());
                }
            }
        }
    }
    None
}

/// Every version declared anywhere in the repository (workspace members, packages of a
/// monorepo), by folder.
pub fn all_declared(kept: &BTreeMap<String, Vec<u8>>) -> Vec<Declared> {
    let mut dirs: Vec<&str> = kept
        .keys()
        .map(|k| k.rfind('/').map_or("", |i| &k[..i]))
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    dirs.into_iter()
        .filter_map(|d| match declared_in(kept, d) {
            Root::Version(v) => Some(v),
            _ => None,
        })
        .collect()
}

/// Whether `version` says it is not a release: `0.0.0`, or a development version
/// (`3.2.0.dev0`, `1.4.0-dev`, `2.0-SNAPSHOT`).
pub fn unreleased(version: &str) -> Option<&'static str> {
    let v = version.to_ascii_lowercase();
    if v == "0.0.0" || v == "0.0.0-development" {
        return Some("is no release version");
    }
    if v.contains(".dev") || v.contains("-dev") || v.ends_with("-snapshot") || v.contains("+dev") {
        return Some("is a development version: set the release version before tagging");
    }
    None
}

/// Whether tag `t` names `version`: `v1.2.3`, `1.2.3`, or a package's own form such as
/// `axum-v0.8.9`, `pkg@1.2.3`, `release-1.2.3`.
pub fn tag_names(t: &str, version: &str) -> bool {
    let Some(prefix) = t.strip_suffix(version) else {
        return false;
    };
    prefix.is_empty()
        || prefix == "v"
        || prefix.ends_with(['-', '_', '@', '/'])
        || (prefix.ends_with('v') && prefix[..prefix.len() - 1].ends_with(['-', '_', '@', '/']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(files: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect()
    }

    fn root(files: &[(&str, &str)]) -> Option<String> {
        match declared_in(&kept(files), "") {
            Root::Version(d) => Some(format!("{} {}", d.file, d.version)),
            Root::Dynamic(f) => Some(format!("dynamic {f}")),
            Root::None => None,
        }
    }

    #[test]
    fn manifests_of_every_ecosystem() {
        assert_eq!(
            root(&[(
                "Cargo.toml",
                "[package]\nname = \"x\"\nversion = \"1.4.2\"\n"
            )])
            .unwrap(),
            "Cargo.toml 1.4.2"
        );
        assert_eq!(
            root(&[("Cargo.toml", "[workspace.package]\nversion = \"0.3.0\"\n")]).unwrap(),
            "Cargo.toml 0.3.0"
        );
        assert_eq!(
            root(&[("Cargo.toml", "[workspace]\nmembers = [\"a\"]\n")]),
            None
        );
        assert_eq!(root(&[("pom.xml", "<project><parent><version>9</version></parent><artifactId>app</artifactId><version>2.1.0</version><dependencies><dependency><version>5</version></dependency></dependencies></project>")]).unwrap(), "pom.xml 2.1.0");
        assert_eq!(
            root(&[("build.gradle.kts", "plugins {}\nversion = \"3.4.1\"\n")]).unwrap(),
            "build.gradle.kts 3.4.1"
        );
        assert_eq!(
            root(&[("gradle.properties", "group=x\nversion=1.0.2\n")]).unwrap(),
            "gradle.properties 1.0.2"
        );
        assert_eq!(
            root(&[("mix.exs", "def project, do: [app: :x, version: \"0.9.0\"]")]).unwrap(),
            "mix.exs 0.9.0"
        );
        assert_eq!(
            root(&[(
                "App.csproj",
                "<Project><PropertyGroup><Version>4.0.1</Version></PropertyGroup></Project>"
            )])
            .unwrap(),
            "App.csproj 4.0.1"
        );
        assert_eq!(
            root(&[
                ("x.gemspec", "Gem::Specification.new"),
                ("lib/x/version.rb", "module X\n  VERSION = \"4.4.1\"\nend\n")
            ])
            .unwrap(),
            "lib/x/version.rb 4.4.1"
        );
        assert_eq!(root(&[("pyproject.toml", "[project]\nname = \"h\"\ndynamic = [\"version\"]\n[tool.hatch.version]\npath = \"h/__version__.py\"\n"), ("h/__version__.py", "__version__ = \"0.28.1\"\n")]).unwrap(), "h/__version__.py 0.28.1");
        assert_eq!(
            root(&[("pyproject.toml", "[project]\ndynamic = [\"version\"]\n")]).unwrap(),
            "dynamic pyproject.toml"
        );
        assert_eq!(root(&[("go.mod", "module x\n")]), None);
    }

    #[test]
    fn tags_and_versions() {
        assert!(tag_names("v1.2.3", "1.2.3"));
        assert!(tag_names("1.2.3", "1.2.3"));
        assert!(tag_names("axum-v0.8.9", "0.8.9"));
        assert!(tag_names("pkg@1.2.3", "1.2.3"));
        assert!(tag_names("parent-5.4.0", "5.4.0"));
        assert!(!tag_names("v11.2.3", "1.2.3"));
        assert!(!tag_names("v1.2.3", "2.3"));
        assert!(unreleased("3.2.0.dev0").is_some());
        assert!(unreleased("2.0-SNAPSHOT").is_some());
        assert!(unreleased("0.0.0").is_some());
        assert!(unreleased("1.4.2").is_none());
    }
}
