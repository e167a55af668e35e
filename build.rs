//! Embeds the built-in checklist (`checks/*.yaml`) in the binary, so `shipgate run` works with no
//! configuration. The list is generated so a new check file needs no code change. Also tells the
//! tests whether `gpg` is installed (`cfg(has_gpg)`).
use std::{env, fs, path::Path};

// The engine's reading of a pattern and its prefix literals: the built-in secret patterns'
// are extracted here, once, rather than by the redactor at every start.
#[path = "src/literals.rs"]
#[allow(dead_code)]
mod literals;

/// Must equal `inputs::content::QUICK_PREFIX_LIMIT` (a unit test compares the table with what
/// the run-time extraction gives).
const QUICK_PREFIX_LIMIT: usize = 250;

/// Every `regex` string anywhere in a check (the content patterns among them).
fn all_regexes(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(serde_json::Value::String(r)) = m.get("regex") {
                out.push(r.clone());
            }
            m.values().for_each(|x| all_regexes(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| all_regexes(x, out)),
        _ => {}
    }
}

/// `Some(&[b"..", ..])` or `None`, as Rust source.
fn literal_list(ls: Option<Vec<Vec<u8>>>) -> String {
    match ls {
        Some(ls) => format!(
            "Some(&[{}])",
            ls.iter()
                .map(|l| format!("&{l:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => "None".into(),
    }
}

/// Every `regex` of an object that says `secret: true`, anywhere in a check.
fn secret_regexes(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if let (Some(serde_json::Value::String(r)), Some(serde_json::Value::Bool(true))) =
                (m.get("regex"), m.get("secret"))
            {
                out.push(r.clone());
            }
            m.values().for_each(|x| secret_regexes(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| secret_regexes(x, out)),
        _ => {}
    }
}

fn main() {
    // The sign-off tests that need OpenPGP run where `gpg` is installed and are ignored, saying
    // so, where it is not.
    println!("cargo::rustc-check-cfg=cfg(has_gpg)");
    println!("cargo:rerun-if-env-changed=PATH");
    let gpg = std::process::Command::new("gpg")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    if gpg.is_ok_and(|s| s.success()) {
        println!("cargo:rustc-cfg=has_gpg");
    }
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("checks");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("checks/ folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    // Each check also as JSON, converted here: the loader reads the built-in checks from it
    // (JSON parses in a fraction of YAML's time; parsing YAML was most of a pre-push hook's
    // fixed cost). The YAML text stays for `explain`, parameter merges and error positions, and
    // a test checks both forms load to the same checks.
    let mut out = String::from("/// The built-in checks: (file name, YAML text, the same as JSON but its samples, the samples\n/// as JSON).\npub static BUILTIN_CHECKS: &[(&str, &str, &str, &str)] = &[\n");
    let mut secrets = Vec::new();
    let mut every = Vec::new();
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().unwrap().to_string_lossy();
        let text = fs::read_to_string(f).unwrap();
        // A file that is not valid YAML is embedded without its JSON form: the loader parses
        // the YAML and reports the error with its position.
        // The samples apart (`shipgate validate` and the tests run them; a run never does):
        // the loader parses them when first asked.
        let (json, samples) = match yaml_serde::from_str::<serde_json::Value>(&text) {
            Ok(mut v) => {
                secret_regexes(&v, &mut secrets);
                all_regexes(&v, &mut every);
                let samples = v
                    .as_object_mut()
                    .and_then(|m| m.remove("samples"))
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                (v.to_string(), samples)
            }
            Err(_) => Default::default(),
        };
        out.push_str(&format!(
            "    (\"checks/{name}\", include_str!({:?}), {:?}, {:?}),\n",
            f.display().to_string(),
            json,
            samples
        ));
    }
    out.push_str("];\n");
    fs::write(
        Path::new(&env::var("OUT_DIR").unwrap()).join("builtin_checks.rs"),
        out,
    )
    .unwrap();

    println!("cargo:rerun-if-changed=src/literals.rs");
    secrets.sort();
    secrets.dedup();
    let mut table =
        String::from("pub(crate) static QUICK_PREFIXES: &[(&str, Option<&[&[u8]]>)] = &[\n");
    for r in &secrets {
        let lits = literal_list(literals::prefix_literals_within(r, QUICK_PREFIX_LIMIT));
        table.push_str(&format!("    ({r:?}, {lits}),\n"));
    }
    table.push_str("];\n");
    // Of those without such prefixes, the literals one of which every match holds somewhere,
    // when all are ASCII (see `secrets::Redactor`): extracting them costs a search per suffix,
    // which only the build can afford. `true`: only every match in an ASCII text (the pattern's
    // case folding lets a match elsewhere spell them with `ſ` or the Kelvin sign).
    table.push_str("pub(crate) static SCREEN_REQUIRED: &[(&str, bool, &[&[u8]])] = &[\n");
    for r in &secrets {
        if literals::prefix_literals_within(r, QUICK_PREFIX_LIMIT).is_some() {
            continue;
        }
        let Some((ascii_only, ls)) = literals::required_ascii_literals(r) else {
            continue;
        };
        let ls: Vec<String> = ls.iter().map(|l| format!("&{l:?}")).collect();
        table.push_str(&format!(
            "    ({r:?}, {ascii_only}, &[{}]),\n",
            ls.join(", ")
        ));
    }
    table.push_str("];\n");
    // The content matcher's plan of every built-in pattern (`inputs::content::ScanPlan`): its
    // prefix literals, the literals every match holds, and whether a match stays on one line.
    // Made at every start, they were a sixth of a run on a real tree before the first file.
    every.sort();
    every.dedup();
    table.push_str("pub(crate) static PLAN_LITERALS: &[PlanRow] = &[\n");
    for r in &every {
        let Ok(h) = literals::engine_hir(r) else {
            continue;
        };
        let prefix = literals::prefix_literals_within(r, literals::PREFIX_LIMIT);
        let required = literals::needs(&h);
        table.push_str(&format!(
            "    ({r:?}, {}, {}, {}),\n",
            literal_list(prefix),
            literal_list(required),
            !literals::holds_newline(&h)
        ));
    }
    table.push_str("];\n");
    fs::write(
        Path::new(&env::var("OUT_DIR").unwrap()).join("quick_prefixes.rs"),
        table,
    )
    .unwrap();

    // The env kind's table of code-reference forms, as JSON for the same reason (parsing its
    // YAML was a tenth of a pre-push hook's main thread); a unit test checks both load the same.
    let refs = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("src/kinds/env_refs.yaml");
    println!("cargo:rerun-if-changed={}", refs.display());
    let text = fs::read_to_string(&refs).unwrap();
    let json = yaml_serde::from_str::<serde_json::Value>(&text)
        .expect("src/kinds/env_refs.yaml is valid YAML")
        .to_string();
    fs::write(
        Path::new(&env::var("OUT_DIR").unwrap()).join("env_refs.json"),
        json,
    )
    .unwrap();
}
