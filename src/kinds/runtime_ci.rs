//! The runtime versions a GitHub Actions workflow tests: the version inputs of the setup actions
//! (`actions/setup-node`, `-python`, `-go`, `-java`, `ruby/setup-ruby`, the Rust toolchain actions,
//! `pnpm/action-setup`) and a job's `container` image, with `${{ matrix.X }}` expanded to every
//! value the job's matrix gives X (its lists and `include` entries). Versions read from a file
//! (`node-version-file`, `.ruby-version`) are that file's declaration, not another one; aliases
//! (`lts/*`, `stable`, `3.x` is a major pin) are left out when they are not numbers.

use std::collections::BTreeMap;

use yaml_serde::Value;

use crate::kinds::runtime_versions::image_version;
use crate::kinds::version_req::Ver;

/// (action, input, runtime) of the setup actions.
const ACTIONS: &[(&str, &str, &str)] = &[
    ("actions/setup-node", "node-version", "node"),
    ("actions/setup-python", "python-version", "python"),
    ("actions/setup-go", "go-version", "go"),
    ("actions/setup-java", "java-version", "java"),
    ("ruby/setup-ruby", "ruby-version", "ruby"),
    ("dtolnay/rust-toolchain", "toolchain", "rust"),
    ("actions-rs/toolchain", "toolchain", "rust"),
    (
        "actions-rust-lang/setup-rust-toolchain",
        "toolchain",
        "rust",
    ),
    ("pnpm/action-setup", "version", "pnpm"),
];

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The values of each matrix key of a job (`include` entries too).
fn matrix(job: &Value) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let Some(m) = job
        .get("strategy")
        .and_then(|s| s.get("matrix"))
        .and_then(Value::as_mapping)
    else {
        return out;
    };
    for (k, v) in m {
        let Some(k) = scalar(k) else { continue };
        if k == "include" {
            for entry in v.as_sequence().into_iter().flatten() {
                for (ik, iv) in entry.as_mapping().into_iter().flatten() {
                    if let Some(ik) = scalar(ik) {
                        out.entry(ik).or_default().push(iv.clone());
                    }
                }
            }
        } else if let Some(list) = v.as_sequence() {
            out.entry(k).or_default().extend(list.iter().cloned());
        }
    }
    out
}

/// The values an input stands for: itself, its lines, or a matrix key's values. An expression
/// other than `matrix.X` stands for nothing known.
fn expand(value: &str, matrix: &BTreeMap<String, Vec<Value>>) -> Vec<String> {
    let v = value.trim();
    if let Some(inner) = v.strip_prefix("${{").and_then(|r| r.strip_suffix("}}")) {
        // `matrix.node`, or `matrix.ruby.version` for a matrix of mappings.
        let path = inner.trim().strip_prefix("matrix.").unwrap_or("");
        let mut keys = path.split('.');
        let first = keys.next().unwrap_or("");
        let rest: Vec<&str> = keys.collect();
        return matrix
            .get(first)
            .into_iter()
            .flatten()
            .filter_map(|v| {
                let mut v = v;
                for k in &rest {
                    v = v.get(*k)?;
                }
                scalar(v)
            })
            .collect();
    }
    if v.contains("${{") {
        return Vec::new();
    }
    v.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// A tested version: a number (`20`, `3.12`, `3.x`, `1.22.x`, `go1.22`), not an alias.
fn tested(runtime: &str, v: &str) -> Option<Ver> {
    let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
    if v.starts_with("pypy") || v.starts_with("graalpy") || v.contains('>') || v.contains('^') {
        return None;
    }
    let v = if runtime == "java" {
        v.trim_start_matches(|c: char| !c.is_ascii_digit())
    } else {
        v
    };
    Ver::parse(v.strip_prefix("go").unwrap_or(v))
}

/// Calls `found(runtime, line, value, version)` for every version the workflow tests.
pub fn workflow(
    file: &str,
    text: &str,
    found: &mut dyn FnMut(&'static str, u64, &str, Ver),
) -> Result<(), String> {
    let doc: Value = yaml_serde::from_str(text).map_err(|e| {
        let line = e.location().map_or(1, |l| l.line());
        format!("{file}:{line}: not valid YAML: {e}")
    })?;
    let line_near = |key: &str, value: &str| -> u64 {
        let lines: Vec<&str> = text.lines().collect();
        lines
            .iter()
            .position(|l| l.contains(key) && l.contains(value))
            .or_else(|| {
                lines
                    .iter()
                    .position(|l| l.contains(value) && !l.trim_start().starts_with('#'))
            })
            .or_else(|| lines.iter().position(|l| l.contains(key)))
            .map_or(1, |i| i as u64 + 1)
    };
    let Some(jobs) = doc.get("jobs").and_then(Value::as_mapping) else {
        return Ok(());
    };
    for job in jobs.values() {
        let m = matrix(job);
        let container = job
            .get("container")
            .and_then(|c| scalar(c).or_else(|| c.get("image").and_then(scalar)));
        for image in container.iter().flat_map(|c| expand(c, &m)) {
            if let Some((rt, v)) = image_version(&image, &BTreeMap::new()) {
                found(rt, line_near("container", &image), &image, v);
            }
        }
        for step in job
            .get("steps")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let Some(uses) = step.get("uses").and_then(Value::as_str) else {
                continue;
            };
            let (action, reference) = uses.split_once('@').unwrap_or((uses, ""));
            let Some((_, input, rt)) = ACTIONS.iter().find(|(a, ..)| *a == action) else {
                continue;
            };
            let mut values: Vec<String> = step
                .get("with")
                .and_then(|w| w.get(*input))
                .and_then(scalar)
                .map(|v| expand(&v, &m))
                .unwrap_or_default();
            if action == "dtolnay/rust-toolchain" && values.is_empty() {
                values.push(reference.to_string());
            }
            for v in values {
                if let Some(ver) = tested(rt, &v) {
                    found(rt, line_near(input, &v), &v, ver);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_actions_matrices_and_containers() {
        let text = "on: push\njobs:\n  test:\n    strategy:\n      matrix:\n        node: [18, 20]\n        include:\n          - node: 22\n    container: python:3.12\n    steps:\n      - uses: actions/setup-node@v4\n        with:\n          node-version: ${{ matrix.node }}\n      - uses: actions/setup-python@v5\n        with:\n          python-version: |\n            3.11\n            pypy3.10\n      - uses: dtolnay/rust-toolchain@1.74\n      - uses: actions/setup-go@v5\n        with:\n          go-version: stable\n";
        let mut got = Vec::new();
        workflow("ci.yml", text, &mut |rt, line, value, v| {
            got.push((rt, line, value.to_string(), v.to_string()))
        })
        .unwrap();
        let want = vec![
            ("python", 9, "python:3.12".to_string(), "3.12".to_string()),
            ("node", 6, "18".into(), "18".into()),
            ("node", 6, "20".into(), "20".into()),
            ("node", 8, "22".into(), "22".into()),
            ("python", 17, "3.11".into(), "3.11".into()),
            ("rust", 19, "1.74".into(), "1.74".into()),
        ];
        assert_eq!(got, want);
    }
}
