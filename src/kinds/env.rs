//! `env`: is the environment a deploy will run with fit for it? Required names come from a list,
//! from example files (`.env.example` …), and from the code: references in JavaScript/TypeScript,
//! Python, Rust, Go, Ruby, shell and docker-compose are found during the one repository pass (their
//! patterns, a table of data in `env_refs.yaml`, join its content matcher). A reference with a
//! default is optional.
//!
//! Values are secrets: no finding, message or evidence ever contains one; findings name variables.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::check::Meta;
use crate::inputs::content::{ContentRule, RawMatch, Selection};
use crate::inputs::env::{EnvInput, Examples, EXAMPLE_FILES};
use crate::kinds::{content, Borrowing, Kind, Outcome, PassView, Wants};
use crate::report::model::{Finding, Location};
use crate::types::{GlobList, Input, Pattern, PatternDef, Sample};

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Env {
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

impl Env {
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

/// One way a language reads a variable (an entry of `env_refs.yaml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RefForm {
    pub form: String,
    pub files: Vec<String>,
    pub regex: String,
    #[serde(default)]
    pub unless_defined_by: Option<String>,
    #[serde(default)]
    pub ignore_names: Vec<String>,
    #[serde(default)]
    pub samples: RefSamples,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RefSamples {
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default)]
    pub optional: Vec<String>,
    #[serde(default)]
    pub ignored: Vec<String>,
}

/// The code-reference forms, from `env_refs.yaml` (embedded; a unit test runs their samples).
pub fn ref_forms() -> &'static [RefForm] {
    static FORMS: OnceLock<Vec<RefForm>> = OnceLock::new();
    FORMS.get_or_init(|| {
        yaml_serde::from_str(include_str!("env_refs.yaml")).expect("env_refs.yaml is valid")
    })
}

/// The code-reference forms as content patterns, each searched only in its language's files.
pub fn ref_patterns() -> Vec<PatternDef> {
    ref_forms()
        .iter()
        .map(|f| PatternDef {
            unless_defined_by: f
                .unless_defined_by
                .as_deref()
                .map(|p| Pattern::new(p).expect("valid built-in pattern")),
            paths: Some(GlobList::new(&f.files).expect("valid built-in globs")),
            ..PatternDef::new(
                &f.form,
                Pattern::new(&f.regex).expect("valid built-in pattern"),
            )
        })
        .collect()
}

impl Kind for Env {
    const KEY: &'static str = "env";
    const INPUT: Input = Input::Env;
    const FIELDS: &'static [&'static str] = &["name", "path", "line", "source", "pattern"];

    fn describe(&self) -> Vec<String> {
        let sources = |r: &Required| {
            let mut v = Vec::new();
            if !r.names.is_empty() {
                v.push(r.names.join(", "));
            }
            if r.from_examples {
                v.push(EXAMPLE_FILES.join(", "));
            }
            if r.from_code {
                v.push("names the code reads without a default".into());
            }
            v.join("; ")
        };
        let mut lines = Vec::new();
        if let Some(r) = &self.missing {
            lines.push(format!("set: {}", sources(r)));
        }
        if let Some(r) = &self.empty {
            lines.push(format!("not empty: {}", sources(r)));
        }
        if self.parity {
            lines.push("the deploy env file and the example file name the same variables".into());
        }
        for d in &self.values {
            lines.push(format!(
                "development value {}: {}",
                d.name,
                d.regex.as_str()
            ));
        }
        if let Some(pb) = &self.public {
            lines.push(format!(
                "no secrets in variables prefixed {}",
                pb.prefixes.join(", ")
            ));
        }
        lines
    }

    fn wants(&self) -> Wants {
        Wants {
            repo_content: self.code_refs().map(|r| ContentRule {
                selection: Selection {
                    include: None,
                    exclude: r.code_exclude.clone().unwrap_or_else(default_code_exclude),
                },
                patterns: ref_patterns(),
            }),
            ..Wants::default()
        }
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        let Some(pass) = view.env else {
            return Outcome::skip("the environment was not read");
        };
        match (&pass.input, &pass.examples) {
            (Ok(e), _) if self.needs_env_file() && !e.from_files => {
                Outcome::skip("needs the deploy env file: --env-file FILE")
            }
            (Err(e), _) | (_, Err(e)) => Outcome::error(e.clone()),
            (Ok(env), Ok(examples)) => {
                let code = if self.code_refs().is_some() {
                    view.repo_matches()
                } else {
                    Vec::new()
                };
                match self.compile() {
                    Err(e) => Outcome::error(e),
                    Ok(()) => Outcome::findings(evaluate(check, self, env, examples, &code)),
                }
            }
        }
    }

    fn patterns(&self) -> Vec<&Pattern> {
        let mut v: Vec<&Pattern> = content::regexes(&self.values).collect();
        if let Some(pb) = &self.public {
            v.extend(&pb.secret_names);
            v.extend(content::regexes(&pb.patterns));
        }
        v
    }

    fn borrowing(&mut self) -> Option<Borrowing<'_>> {
        let pb = self.public.as_mut()?;
        Some(Borrowing {
            from: pb.patterns_from.clone(),
            into: &mut pb.patterns,
            required: false,
        })
    }

    fn has_samples(&self) -> bool {
        !self.values.is_empty() || self.public.is_some()
    }

    fn run_sample(&self, check: &Meta, sample: &Sample) -> Result<usize, String> {
        let line = sample.text("an env sample is `NAME=value`")?;
        let (name, value) = line
            .split_once('=')
            .ok_or("an env sample is `NAME=value`")?;
        let env = EnvInput::from_process(&[(name.to_string(), value.to_string())]);
        let only_values = Env {
            values: self.values.clone(),
            public: self.public.clone(),
            ..Default::default()
        };
        Ok(evaluate(check, &only_values, &env, &Vec::new(), &[]).len())
    }
}

/// A name required somewhere: the first place that requires it.
#[derive(Debug, Clone)]
pub struct Need {
    pub source: String,
    pub line: Option<u64>,
}

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
            let ignored = ref_forms()
                .iter()
                .any(|f| f.form == m.pattern && f.ignore_names.iter().any(|n| n == name));
            if ignored {
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

/// Collects findings about variables.
struct Out<'a> {
    check: &'a Meta,
    findings: Vec<Finding>,
}

impl Out<'_> {
    fn push(&mut self, loc: Location, fields: Vec<(&str, String)>, default: String) {
        self.findings.push(Finding {
            message: self.check.render(|| default, &fields),
            location: loc,
            evidence: None,
        });
    }
}

fn evaluate(
    check: &Meta,
    p: &Env,
    env: &EnvInput,
    examples: &Examples,
    code: &[(String, RawMatch)],
) -> Vec<Finding> {
    let mut out = Out {
        check,
        findings: Vec::new(),
    };
    let src = &env.description;
    if let Some(r) = &p.missing {
        for (name, need) in required(r, examples, code) {
            if !env.vars.contains_key(&name) {
                let at = match need.line {
                    Some(l) => format!("{}:{l}", need.source),
                    None => need.source.clone(),
                };
                out.push(
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
                out.push(
                    env.location(&name),
                    vec![("name", name.clone()), ("source", src.clone())],
                    format!("{name} is set but empty in {src}"),
                );
            }
        }
    }
    if p.parity {
        parity(&mut out, env, examples);
    }
    values(&mut out, p, env);
    out.findings
}

/// The example files and the deploy env file name the same variables, both ways.
fn parity(out: &mut Out<'_>, env: &EnvInput, examples: &Examples) {
    let src = &env.description;
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
            out.push(
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
            out.push(
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

/// Development values, and secrets in variables shipped to browsers.
fn values(out: &mut Out<'_>, p: &Env, env: &EnvInput) {
    let src = &env.description;
    for (name, (value, _, _)) in &env.vars {
        let line = format!("{name}={value}");
        if let Some(d) = p.values.iter().find(|d| d.regex.hit(line.as_bytes())) {
            out.push(
                env.location(name),
                vec![
                    ("name", name.clone()),
                    ("pattern", d.name.clone()),
                    ("source", src.clone()),
                ],
                format!("{name} has a development value ({}) in {src}", d.name),
            );
        }
        let Some(pb) = &p.public else { continue };
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
        out.push(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::content::ContentMatcher;

    /// Every form of `env_refs.yaml` finds its required samples as requirements, its optional
    /// samples as reads with a default, and nothing in its ignored samples.
    #[test]
    fn reference_forms_hold_their_samples() {
        let r = Required {
            from_code: true,
            ..Required::default()
        };
        for (i, f) in ref_forms().iter().enumerate() {
            let path = f.files[0].trim_start_matches("*.").replace('*', "x");
            let path = if f.files[0].starts_with("*.") {
                format!("src/app.{path}")
            } else {
                path
            };
            let m = ContentMatcher::new(vec![(
                0,
                ContentRule {
                    selection: Selection {
                        include: None,
                        exclude: GlobList::default(),
                    },
                    patterns: vec![ref_patterns().remove(i)],
                },
            )])
            .unwrap();
            let run = |text: &str| -> Vec<(String, RawMatch)> {
                m.scan(&[path.as_str()], &[0], text.as_bytes(), &|_| "env".into())
                    .matches
                    .into_iter()
                    .map(|x| (path.clone(), x))
                    .collect()
            };
            for s in &f.samples.required {
                let found = run(s);
                assert!(
                    !required(&r, &Vec::new(), &found).is_empty(),
                    "{}: `{s}` should be a requirement",
                    f.form
                );
            }
            for s in &f.samples.optional {
                let found = run(s);
                assert!(!found.is_empty(), "{}: `{s}` should be found", f.form);
                assert!(
                    required(&r, &Vec::new(), &found).is_empty(),
                    "{}: `{s}` should be optional",
                    f.form
                );
            }
            for s in &f.samples.ignored {
                let found = run(s);
                assert!(
                    required(&r, &Vec::new(), &found).is_empty(),
                    "{}: `{s}` should not be a requirement",
                    f.form
                );
            }
        }
    }
}
