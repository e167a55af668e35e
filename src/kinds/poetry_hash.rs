//! Poetry's `content-hash`, recomputed as Poetry's `Locker._get_content_hash` does
//! (python-poetry/poetry, src/poetry/packages/locker.py): the relevant content of pyproject.toml —
//! `[project]`'s `requires-python`, `dependencies` and `optional-dependencies`, and
//! `[tool.poetry]`'s `dependencies`, `source`, `extras`, `dev-dependencies` and `group` — dumped
//! with Python's `json.dumps(content, sort_keys=True)` (separators `, ` and `: `, non-ASCII
//! escaped) and hashed with SHA-256. Without relevant `[project]` content (Poetry 1.x projects)
//! the `[tool.poetry]` keys are the top level, the legacy keys present as `null` when absent.

use sha2::{Digest, Sha256};

const LEGACY: &[&str] = &["dependencies", "source", "extras", "dev-dependencies"];
const RELEVANT: &[&str] = &[
    "dependencies",
    "source",
    "extras",
    "dev-dependencies",
    "group",
];
const PROJECT: &[&str] = &["requires-python", "dependencies", "optional-dependencies"];

/// The hashes Poetry versions would record for this pyproject.toml (one, or two when a newer
/// Poetry would also hash `[dependency-groups]`).
pub fn content_hashes(py: &toml::Table) -> Vec<String> {
    let empty = toml::Table::new();
    let project = py
        .get("project")
        .and_then(|p| p.as_table())
        .unwrap_or(&empty);
    let poetry = py
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.as_table())
        .unwrap_or(&empty);
    let mut relevant_project = toml::Table::new();
    for k in PROJECT {
        if let Some(v) = project.get(*k) {
            relevant_project.insert(k.to_string(), v.clone());
        }
    }
    // `None` stands for Python's None (JSON null).
    let mut relevant_poetry: Vec<(String, Option<toml::Value>)> = Vec::new();
    for k in RELEVANT {
        let v = poetry.get(*k).cloned();
        if v.is_none() && (!LEGACY.contains(k) || !relevant_project.is_empty()) {
            continue;
        }
        relevant_poetry.push((k.to_string(), v));
    }
    let poetry_json = object(
        relevant_poetry
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_ref().map_or("null".to_string(), dump))),
    );
    let mut out = Vec::new();
    if relevant_project.is_empty() {
        out.push(sha(&poetry_json));
    } else {
        let tool = object([("poetry", poetry_json.clone())]);
        let project_json = dump(&toml::Value::Table(relevant_project));
        out.push(sha(&object([
            ("project", project_json.clone()),
            ("tool", tool.clone()),
        ])));
        if let Some(groups) = py.get("dependency-groups") {
            out.push(sha(&object([
                ("dependency-groups", dump(groups)),
                ("project", project_json),
                ("tool", tool),
            ])));
        }
    }
    out
}

fn sha(s: &str) -> String {
    let d = Sha256::digest(s.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// A JSON object of already-dumped values, keys sorted.
fn object<'a>(items: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let mut items: Vec<(&str, String)> = items.into_iter().collect();
    items.sort_by(|a, b| a.0.cmp(b.0));
    let parts: Vec<String> = items
        .into_iter()
        .map(|(k, v)| format!("{}: {v}", string(k)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// `json.dumps(value, sort_keys=True)`.
fn dump(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => string(s),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => float(*f),
        toml::Value::Boolean(b) => if *b { "true" } else { "false" }.to_string(),
        toml::Value::Datetime(d) => string(&d.to_string()),
        toml::Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(dump).collect();
            format!("[{}]", parts.join(", "))
        }
        toml::Value::Table(t) => object(t.iter().map(|(k, v)| (k.as_str(), dump(v)))),
    }
}

/// Python's float repr for the values a pyproject holds.
fn float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// A JSON string with `ensure_ascii`: `"` `\` and control characters escaped, everything outside
/// printable ASCII as `\uXXXX` (surrogate pairs above the BMP).
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expected hashes are Python's: `hashlib.sha256(json.dumps(content,
    /// sort_keys=True).encode()).hexdigest()` for the same content (computed once with CPython
    /// and pinned here).
    #[test]
    fn hashes_as_python_computes_them() {
        let py: toml::Table = "[tool.poetry]\nname = \"x\"\n[tool.poetry.dependencies]\npython = \"^3.10\"\nrequests = { version = \"^2.31\", extras = [\"socks\"] }\n".parse().unwrap();
        let json = r#"{"dependencies": {"python": "^3.10", "requests": {"extras": ["socks"], "version": "^2.31"}}, "dev-dependencies": null, "extras": null, "source": null}"#;
        assert_eq!(content_hashes(&py), vec![sha(json)]);
        let py: toml::Table = "[project]\nname = \"x\"\nrequires-python = \">=3.10\"\ndependencies = [\"caf\u{e9}>=1\"]\n".parse().unwrap();
        let json = r#"{"project": {"dependencies": ["caf\u00e9>=1"], "requires-python": ">=3.10"}, "tool": {"poetry": {}}}"#;
        assert_eq!(content_hashes(&py), vec![sha(json)]);
    }

    /// Hashes Poetry 2.5.1 wrote into poetry.lock for these pyproject.toml files.
    #[test]
    fn hashes_poetry_wrote() {
        let modern = "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\ndependencies = []\n\n[tool.poetry]\npackage-mode = false\n";
        assert_eq!(
            content_hashes(&modern.parse().unwrap()),
            vec!["b08227dc5674045d1a6b5ab20f461c6a08d2d9bdfd724891aceb1a0c2b3614b1"]
        );
        let legacy = "[tool.poetry]\nname = \"app\"\nversion = \"0.1.0\"\ndescription = \"\"\nauthors = []\npackage-mode = false\n\n[tool.poetry.dependencies]\npython = \"^3.10\"\n";
        assert_eq!(
            content_hashes(&legacy.parse().unwrap()),
            vec!["53f2eabc9c26446fbcc00d348c47878e118afc2054778c3c803a0a8028af27d9"]
        );
    }
}
