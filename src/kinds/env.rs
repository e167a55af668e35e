//! `env`: is the environment a deploy will run with fit for it? Required names come from a list,
//! from example files (`.env.example` …), and from the code: references in JavaScript/TypeScript,
//! Python, Rust, Go, Ruby, shell and docker-compose are found during the one repository pass (their
//! patterns join its content matcher). A reference with a default is optional.
//!
//! Values are secrets: no finding, message or evidence ever contains one; findings name variables.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::check::{Check, GlobList, Input, Pattern};
use crate::inputs::content::RawMatch;
use crate::inputs::dotenv::EnvVar;
use crate::kinds::content::PatternDef;
use crate::kinds::Outcome;
use crate::report::model::{Finding, Location};

pub const FIELDS: &[&str] = &["name", "path", "line", "source", "pattern"];

/// Example files whose names a deploy needs, at the repository root.
pub const EXAMPLE_FILES: &[&str] = &[".env.example", ".env.sample", ".env.template"];

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Params {
    /// Report required names that are unset.
    #[serde(default)]
    pub missing: Option<Required>,
    /// Report required names that are set but empty.
    #[serde(default)]
    pub empty: Option<Required>,
    /// Compare the example file's names with the deploy env file's, both ways.
    #[serde(default)]
    pub parity: bool,
    /// Values that must not be deployed, matched against `NAME=value`.
    #[serde(default)]
    pub values: Vec<PatternDef>,
    /// Secrets in variables the build exposes to browsers.
    #[serde(default)]
    pub public: Option<Public>,
}

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Required {
    /// Names required whatever the code says.
    #[serde(default)]
    pub names: Vec<String>,
    /// Names in `.env.example`, `.env.sample`, `.env.template`.
    #[serde(default)]
    pub from_examples: bool,
    /// Names the code reads without a default.
    #[serde(default)]
    pub from_code: bool,
    /// Where code references are looked for (default: everything but tests and docs).
    #[serde(default)]
    pub code_exclude: Option<GlobList>,
    /// Names never required (set by the platform at run time, e.g. `PORT`).
    #[serde(default)]
    pub ignore: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Public {
    /// Prefixes that make a bundler ship a variable to browsers.
    pub prefixes: Vec<String>,
    /// A name that looks secret (`SECRET`, `PASSWORD` …).
    #[serde(default)]
    pub secret_names: Option<Pattern>,
    /// Values that look secret.
    #[serde(default)]
    pub patterns: Vec<PatternDef>,
    /// Checks whose patterns say what a secret value looks like (e.g. `repo-secrets`).
    #[serde(default)]
    pub patterns_from: Vec<String>,
}

impl Params {
    /// The required-name settings that read code, if any.
    pub fn code_refs(&self) -> Option<&Required> {
        [self.missing.as_ref(), self.empty.as_ref()]
            .into_iter()
            .flatten()
            .find(|r| r.from_code)
    }

    /// Compiles the check's value patterns (they are compiled on first use).
    pub fn compile(&self) -> Result<(), String> {
        let values = self
            .values
            .iter()
            .flat_map(|d| std::iter::once(&d.regex).chain(&d.allow));
        let public = self.public.iter().flat_map(|pb| {
            pb.secret_names.iter().chain(
                pb.patterns
                    .iter()
                    .flat_map(|d| std::iter::once(&d.regex).chain(&d.allow)),
            )
        });
        Pattern::compile_all(values.chain(public))
    }

    /// Whether the check compares against a deploy env file (and needs one).
    pub fn needs_env_file(&self) -> bool {
        self.parity
    }
}

/// Default places code references are not looked for.
pub fn default_code_exclude() -> GlobList {
    GlobList::new(&[
        "tests/".into(),
        "test/".into(),
        "__tests__/".into(),
        "spec/".into(),
        "fixtures/".into(),
        "testdata/".into(),
        "docs/".into(),
        "examples/".into(),
        "*.md".into(),
        "*.test.*".into(),
        "*.spec.*".into(),
    ])
    .expect("valid globs")
}

/// The code-reference patterns: each has a `name` group, and a `default` group that takes part
/// when the reference carries a default (so the name is optional).
pub fn code_patterns() -> Vec<(&'static str, &'static [&'static str], &'static str)> {
    const JS: &[&str] = &[
        "*.js", "*.mjs", "*.cjs", "*.jsx", "*.ts", "*.mts", "*.cts", "*.tsx", "*.vue", "*.svelte",
        "*.astro",
    ];
    const PY: &[&str] = &["*.py"];
    const RS: &[&str] = &["*.rs"];
    const GO: &[&str] = &["*.go"];
    const RB: &[&str] = &["*.rb", "*.rake", "Rakefile", "Gemfile"];
    const SH: &[&str] = &[
        "*.sh",
        "*.bash",
        "docker-compose*.yml",
        "docker-compose*.yaml",
        "compose*.yml",
        "compose*.yaml",
    ];
    vec![
        (
            "js-process-env",
            JS,
            r#"process\.env\.(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<default>\s*(?:\|\||\?\?))?"#,
        ),
        (
            "js-process-env-index",
            JS,
            r#"process\.env\[\s*["'`](?P<name>[A-Za-z_][A-Za-z0-9_]*)["'`]\s*\](?P<default>\s*(?:\|\||\?\?))?"#,
        ),
        (
            "js-import-meta-env",
            JS,
            r#"import\.meta\.env\.(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<default>\s*(?:\|\||\?\?))?"#,
        ),
        (
            "python-environ-index",
            PY,
            r#"os\.environ\[\s*["'](?P<name>[A-Za-z_][A-Za-z0-9_]*)["']\s*\]"#,
        ),
        (
            "python-environ-get",
            PY,
            r#"os\.environ\.get\(\s*["'](?P<name>[A-Za-z_][A-Za-z0-9_]*)["'](?P<default>\s*,)?"#,
        ),
        (
            "python-getenv",
            PY,
            r#"os\.getenv\(\s*["'](?P<name>[A-Za-z_][A-Za-z0-9_]*)["'](?P<default>\s*,)?"#,
        ),
        (
            "rust-env-var",
            RS,
            r#"env::var(?:_os)?\(\s*"(?P<name>[A-Za-z_][A-Za-z0-9_]*)"\s*\)(?P<default>\s*\.\s*(?:unwrap_or|ok\(\)|is_ok|is_err|map_or))?"#,
        ),
        (
            "rust-env-macro",
            RS,
            r#"\benv!\(\s*"(?P<name>[A-Za-z_][A-Za-z0-9_]*)""#,
        ),
        (
            "go-getenv",
            GO,
            r#"os\.(?:Getenv|LookupEnv)\(\s*"(?P<name>[A-Za-z_][A-Za-z0-9_]*)"\s*\)"#,
        ),
        (
            "ruby-env-index",
            RB,
            r#"\bENV\[\s*["'](?P<name>[A-Za-z_][A-Za-z0-9_]*)["']\s*\](?P<default>\s*\|\|)?"#,
        ),
        (
            "ruby-env-fetch",
            RB,
            r#"\bENV\.fetch\(\s*["'](?P<name>[A-Za-z_][A-Za-z0-9_]*)["'](?P<default>\s*,|\s*\)\s*\{)?"#,
        ),
        (
            "shell-braced",
            SH,
            r#"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?P<default>:?[-=+])?"#,
        ),
    ]
}

/// Names a shell or compose file uses that the platform sets, never the deploy.
const SHELL_BUILTINS: &[&str] = &[
    "HOME",
    "PATH",
    "PWD",
    "OLDPWD",
    "USER",
    "SHELL",
    "TERM",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "HOSTNAME",
    "UID",
    "GID",
    "IFS",
    "RANDOM",
    "SECONDS",
    "LINENO",
    "BASH_SOURCE",
    "FUNCNAME",
    "OSTYPE",
    "EUID",
    "PPID",
    "CI",
    "NODE_ENV",
];

/// A name required somewhere: the first place that requires it.
#[derive(Debug, Clone)]
pub struct Need {
    pub source: String,
    pub line: Option<u64>,
}

/// The environment being checked.
#[derive(Debug, Clone, Default)]
pub struct EnvInput {
    /// Variables with the file (label) and line they came from (None for the process env).
    pub vars: BTreeMap<String, (String, Option<String>, Option<u64>)>,
    /// What was read: env file labels, or "the process environment".
    pub description: String,
    pub from_files: bool,
}

impl EnvInput {
    /// Later files win, as with `--env-file a --env-file b`.
    pub fn from_files(files: &[(String, Vec<EnvVar>)]) -> Self {
        let mut vars = BTreeMap::new();
        for (label, vs) in files {
            for v in vs {
                vars.insert(
                    v.name.clone(),
                    (v.value.clone(), Some(label.clone()), Some(v.line)),
                );
            }
        }
        EnvInput {
            vars,
            description: files
                .iter()
                .map(|f| f.0.clone())
                .collect::<Vec<_>>()
                .join(", "),
            from_files: true,
        }
    }

    pub fn from_process(vars: &[(String, String)]) -> Self {
        EnvInput {
            vars: vars
                .iter()
                .map(|(k, v)| (k.clone(), (v.clone(), None, None)))
                .collect(),
            description: "the process environment".into(),
            from_files: false,
        }
    }

    fn location(&self, name: &str) -> Location {
        let (path, line) = match self.vars.get(name) {
            Some((_, p, l)) => (p.clone(), *l),
            None => (None, None),
        };
        Location {
            path,
            line,
            name: Some(name.to_string()),
            ..Location::new(Input::Env)
        }
    }
}

/// The example files found at the root: (label, variables).
pub type Examples = Vec<(String, Vec<EnvVar>)>;

/// Everything a required-names rule requires, with where.
fn required(
    r: &Required,
    examples: &Examples,
    code: &[(String, RawMatch)],
) -> BTreeMap<String, Need> {
    let mut out: BTreeMap<String, Need> = BTreeMap::new();
    for n in &r.names {
        out.entry(n.clone()).or_insert(Need {
            source: "the check's names".into(),
            line: None,
        });
    }
    if r.from_examples {
        for (label, vars) in examples {
            for v in vars {
                out.entry(v.name.clone()).or_insert(Need {
                    source: label.clone(),
                    line: Some(v.line),
                });
            }
        }
    }
    if r.from_code {
        // Optional if any reference carries a default; required otherwise.
        let optional: BTreeSet<&str> = code
            .iter()
            .filter(|(_, m)| m.has_default)
            .filter_map(|(_, m)| m.name.as_deref())
            .collect();
        for (path, m) in code {
            let Some(name) = &m.name else { continue };
            if m.has_default || optional.contains(name.as_str()) {
                continue;
            }
            if m.pattern == "shell-braced" && SHELL_BUILTINS.contains(&name.as_str()) {
                continue;
            }
            out.entry(name.clone()).or_insert(Need {
                source: path.clone(),
                line: Some(m.line),
            });
        }
    }
    for i in &r.ignore {
        out.remove(i);
    }
    out
}

fn need_location(name: &str, need: &Need) -> Location {
    Location {
        path: (need.source != "the check's names").then(|| need.source.clone()),
        line: need.line,
        name: Some(name.to_string()),
        ..Location::new(Input::Env)
    }
}

pub fn evaluate(
    check: &Check,
    p: &Params,
    env: &EnvInput,
    examples: &Examples,
    code: &[(String, RawMatch)],
) -> Outcome {
    if let Err(e) = p.compile() {
        return Outcome::error(e);
    }
    let mut findings = Vec::new();
    let mut push = |loc: Location, fields: Vec<(&str, String)>, default: String| {
        findings.push(Finding {
            message: check.render(|| default, &fields),
            location: loc,
            evidence: None,
        });
    };
    let src = &env.description;
    if let Some(r) = &p.missing {
        for (name, need) in required(r, examples, code) {
            if !env.vars.contains_key(&name) {
                let at = match need.line {
                    Some(l) => format!("{}:{l}", need.source),
                    None => need.source.clone(),
                };
                push(
                    need_location(&name, &need),
                    vec![
                        ("name", name.clone()),
                        ("source", src.clone()),
                        ("path", need.source.clone()),
                    ],
                    format!("{name} is required ({at}) but not set in {src}"),
                );
            }
        }
    }
    if let Some(r) = &p.empty {
        for (name, _) in required(r, examples, code) {
            if env
                .vars
                .get(&name)
                .is_some_and(|(v, _, _)| v.trim().is_empty())
            {
                push(
                    env.location(&name),
                    vec![("name", name.clone()), ("source", src.clone())],
                    format!("{name} is set but empty in {src}"),
                );
            }
        }
    }
    if p.parity {
        let example_names: BTreeMap<&str, (&str, u64)> = examples
            .iter()
            .flat_map(|(l, vs)| {
                vs.iter()
                    .map(move |v| (v.name.as_str(), (l.as_str(), v.line)))
            })
            .collect();
        let labels: Vec<&str> = examples.iter().map(|e| e.0.as_str()).collect();
        for (name, (label, line)) in &example_names {
            if !env.vars.contains_key(*name) {
                push(
                    Location {
                        path: Some(label.to_string()),
                        line: Some(*line),
                        name: Some(name.to_string()),
                        ..Location::new(Input::Env)
                    },
                    vec![("name", name.to_string()), ("source", src.clone())],
                    format!("{name} is in {label} but not in {src}"),
                );
            }
        }
        for name in env.vars.keys() {
            if !example_names.contains_key(name.as_str()) {
                push(
                    env.location(name),
                    vec![("name", name.clone()), ("source", src.clone())],
                    format!(
                        "{name} is in {src} but not in {}: document it there",
                        labels.join(", ")
                    ),
                );
            }
        }
    }
    for (name, (value, _, _)) in &env.vars {
        let line = format!("{name}={value}");
        if let Some(d) = p.values.iter().find(|d| d.regex.hit(line.as_bytes())) {
            push(
                env.location(name),
                vec![
                    ("name", name.clone()),
                    ("pattern", d.name.clone()),
                    ("source", src.clone()),
                ],
                format!("{name} has a development value ({}) in {src}", d.name),
            );
        }
        if let Some(pb) = &p.public {
            let Some(prefix) = pb
                .prefixes
                .iter()
                .find(|pre| name.starts_with(pre.as_str()))
            else {
                continue;
            };
            let by_name = pb
                .secret_names
                .as_ref()
                .is_some_and(|r| r.hit(name.as_bytes()));
            let by_value = pb.patterns.iter().find(|d| {
                d.regex.hit(value.as_bytes())
                    && !d.allow.as_ref().is_some_and(|a| a.hit(value.as_bytes()))
            });
            let why = match (by_name, by_value) {
                (true, _) => "its name says it is secret".to_string(),
                (false, Some(d)) => format!("its value looks like a {}", d.name),
                _ => continue,
            };
            push(
                env.location(name),
                vec![
                    ("name", name.clone()),
                    ("pattern", prefix.clone()),
                    ("source", src.clone()),
                ],
                format!("{name} is shipped to browsers (the {prefix} prefix) and {why}"),
            );
        }
    }
    Outcome {
        findings,
        ..Outcome::default()
    }
}

/// Reads the example files at `root`.
pub fn read_examples(root: &std::path::Path) -> Result<Examples, String> {
    let mut out = Vec::new();
    for f in EXAMPLE_FILES {
        let path = root.join(f);
        match std::fs::read_to_string(&path) {
            Ok(text) => out.push((f.to_string(), crate::inputs::dotenv::parse(&text, f)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read {f}: {e}")),
        }
    }
    Ok(out)
}
