//! `env`: is the environment a deploy will run with fit for it? Required names come from a list,
//! from the code, from the frameworks a project uses, and from example files where they mark a name
//! required. Code references in JavaScript/TypeScript, Python, Rust, Go, Ruby, shell and compose
//! files are found during the one repository pass (their patterns, a table of data in
//! `env_refs.yaml`, join its content matcher) in what the program runs (`Scope::Runtime`, comments
//! left out), and each read is classified by the code around it (`env_refs`): a name is required
//! when one of its reads requires it. Names the repository's own compose services set
//! (`environment:`, `env_file:`) are provided.
//!
//! Values are secrets: no finding, message or evidence ever contains one; findings name variables.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::check::Meta;
use crate::inputs::content::{ContentRule, RawMatch, Selection};
use crate::inputs::env::{EnvInput, Examples, EXAMPLE_FILES};
use crate::inputs::material::Scope;
use crate::kinds::env_refs::{self, Use};
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
    /// Report names the code requires that no example file lists, when there is an example file
    /// (the example is how the next environment learns what to set). Needs no deploy environment.
    #[serde(default)]
    pub undocumented: Option<Required>,
    /// Values that must not be deployed, matched against `NAME=value`.
    #[serde(default)]
    pub values: Vec<PatternDef>,
    /// Secrets in variables the build exposes to browsers.
    #[serde(default)]
    pub public: Option<Public>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Required {
    /// Names required whatever the code says.
    #[serde(default)]
    pub names: Vec<String>,
    /// Names an example file (`.env.example`, `.env.sample`, `.env.template`) marks required: a
    /// comment on the line or just above it says `required` (and not `optional`). The other
    /// names of an example file document options, they are not requirements.
    #[serde(default)]
    pub from_examples: bool,
    /// Names the code requires: read with no default or fallback and used as a value, or read by
    /// a call that fails when the variable is unset (README: "What counts as required").
    #[serde(default)]
    pub from_code: bool,
    /// Names a detected framework requires although the code never spells them out
    /// (Laravel's APP_KEY), with `from-code`.
    #[serde(default = "yes")]
    pub from_frameworks: bool,
    /// Names the repository's compose services set (`environment:`, `env_file:`) are provided.
    #[serde(default = "yes")]
    pub provided_by_compose: bool,
    /// Paths where code references are not looked for, beyond what does not ship (tests, docs,
    /// examples, vendored code and build tooling never count: settings.material).
    #[serde(default)]
    pub code_exclude: Option<GlobList>,
    /// Names never required (set by the platform at run time). The platform's own names
    /// (`TERM`, `GITHUB_SHA`, `npm_*` …) are never required anyway.
    #[serde(default)]
    pub ignore: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Default for Required {
    fn default() -> Self {
        Required {
            names: Vec::new(),
            from_examples: false,
            from_code: false,
            from_frameworks: true,
            provided_by_compose: true,
            code_exclude: None,
            ignore: Vec::new(),
        }
    }
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
        [
            self.missing.as_ref(),
            self.empty.as_ref(),
            self.undocumented.as_ref(),
        ]
        .into_iter()
        .flatten()
        .find(|r| r.from_code)
    }

    /// Compiles the check's value patterns (they are compiled on first use).
    pub fn compile(&self) -> Result<(), String> {
        Pattern::compile_all(self.patterns())
    }

    /// Whether the check compares against a deploy env file (and needs one).
    pub fn needs_env_file(&self) -> bool {
        self.parity
    }

    /// Whether the check reads only the repository (no deploy environment).
    fn repository_only(&self) -> bool {
        self.undocumented.is_some()
            && self.missing.is_none()
            && self.empty.is_none()
            && !self.parity
            && self.values.is_empty()
            && self.public.is_none()
    }
}

/// Compose files, and the env files they may name: read during the repository pass.
const COMPOSE_FILES: &[&str] = &[
    "docker-compose*.yml",
    "docker-compose*.yaml",
    "compose*.yml",
    "compose*.yaml",
];

/// The code-reference forms as content patterns, each searched only in its language's files,
/// with a few lines after each match (to see whether the code tests what it read).
pub fn ref_patterns() -> Vec<PatternDef> {
    // Made once and cloned: `wants` is asked several times a run (by each pass, and for the
    // timings), and compiling these globs and parsing these regexes each time was a fifth of a
    // pre-push hook's main thread.
    static PATTERNS: std::sync::OnceLock<Vec<PatternDef>> = std::sync::OnceLock::new();
    PATTERNS
        .get_or_init(|| {
            // Shipped with shipgate: `forms_compile` checks their globs and regexes.
            let _trusted = crate::types::Trusted::set(true);
            env_refs::forms()
                .iter()
                .map(|f| PatternDef {
                    paths: Some(GlobList::new(&f.files).expect("valid built-in globs")),
                    context_after: 12,
                    ..PatternDef::new(
                        &f.form,
                        Pattern::new(&f.regex).expect("valid built-in pattern"),
                    )
                })
                .collect()
        })
        .clone()
}

/// The repository rule of the code references.
fn code_rule(r: &Required) -> ContentRule {
    ContentRule {
        selection: Selection {
            include: None,
            exclude: r.code_exclude.clone().unwrap_or_default(),
            scope: Scope::Runtime,
            ignore_comments: true,
        },
        patterns: ref_patterns(),
    }
}

impl Kind for Env {
    const KEY: &'static str = "env";
    const INPUT: Input = Input::Env;
    const FIELDS: &'static [&'static str] = &["name", "path", "line", "source", "pattern"];

    fn input(&self) -> Input {
        if self.repository_only() {
            Input::Repo
        } else {
            Input::Env
        }
    }

    fn describe(&self) -> Vec<String> {
        let sources = |r: &Required| {
            let mut v = Vec::new();
            if !r.names.is_empty() {
                v.push(r.names.join(", "));
            }
            if r.from_examples {
                v.push(format!("names {} mark required", EXAMPLE_FILES.join(", ")));
            }
            if r.from_code {
                v.push("names the code requires (read with no default and used, or read by a call that fails when unset)".into());
                if r.from_frameworks {
                    v.push("names the project's framework requires".into());
                }
            }
            let mut s = v.join("; ");
            if r.from_code && r.provided_by_compose {
                s.push_str(" — names the repository's compose services set are provided");
            }
            s
        };
        let mut lines = Vec::new();
        if let Some(r) = &self.missing {
            lines.push(format!("set: {}", sources(r)));
        }
        if let Some(r) = &self.empty {
            lines.push(format!("not empty: {}", sources(r)));
        }
        if let Some(r) = &self.undocumented {
            lines.push(format!(
                "listed in the example file, when there is one: {}",
                sources(r)
            ));
        }
        if self.code_refs().is_some() {
            lines.push(format!(
                "code looked at: {}; comments and docstrings do not count",
                Scope::Runtime.describe()
            ));
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
        let mut contents = Vec::new();
        if let Some(r) = self.code_refs() {
            contents.extend(COMPOSE_FILES.iter().map(|s| s.to_string()));
            contents.extend([
                ".env".to_string(),
                "*.env".to_string(),
                ".env.*".to_string(),
            ]);
            if r.from_frameworks {
                for f in env_refs::frameworks() {
                    contents.push(f.marker.file.clone());
                    contents.extend(f.requires.iter().map(|n| n.read_in.clone()));
                }
            }
        }
        if self.undocumented.is_some() {
            contents.extend(EXAMPLE_FILES.iter().map(|s| s.to_string()));
        }
        Wants {
            repo_content: self.code_refs().map(code_rule),
            contents,
            ..Wants::default()
        }
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        if let Err(e) = self.compile() {
            return Outcome::error(e);
        }
        if self.repository_only() {
            return view.on_tree(|scan| Outcome::findings(undocumented(check, self, view, scan)));
        }
        let Some(pass) = view.env else {
            return Outcome::skip("the environment was not read");
        };
        match (&pass.input, &pass.examples) {
            (Ok(e), _) if self.needs_env_file() && !e.from_files => {
                Outcome::skip("needs the deploy env file: --env-file FILE")
            }
            (Err(e), _) | (_, Err(e)) => Outcome::error(e.clone()),
            (Ok(env), Ok(examples)) => {
                let reqs = |r: &Required| Requirements::collect(r, examples, view);
                let mut out = Out {
                    check,
                    findings: Vec::new(),
                };
                if let Some(r) = &self.missing {
                    missing(&mut out, &reqs(r), env);
                }
                if let Some(r) = &self.empty {
                    empty(&mut out, &reqs(r), env);
                }
                if self.parity {
                    parity(&mut out, env, examples);
                }
                values(&mut out, self, env);
                if self.code_refs().is_some() {
                    view.on_tree(|_| Outcome::findings(out.findings))
                } else {
                    Outcome::findings(out.findings)
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
            placeholders: None,
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
        let mut out = Out {
            check,
            findings: Vec::new(),
        };
        values(&mut out, self, &env);
        Ok(out.findings.len())
    }
}

/// A name required somewhere: the first place that requires it, and why.
#[derive(Debug, Clone)]
pub struct Need {
    pub source: String,
    pub line: Option<u64>,
    pub why: String,
}

/// Every name one required-names rule requires, with where.
struct Requirements {
    needs: BTreeMap<String, Need>,
}

impl Requirements {
    fn collect(r: &Required, examples: &Examples, view: &PassView<'_>) -> Self {
        let mut needs: BTreeMap<String, Need> = BTreeMap::new();
        for n in &r.names {
            needs.entry(n.clone()).or_insert(Need {
                source: "the check's names".into(),
                line: None,
                why: "listed in the check".into(),
            });
        }
        if r.from_examples {
            for ex in examples {
                for v in ex
                    .vars
                    .iter()
                    .filter(|v| ex.marked_required.contains(&v.name))
                {
                    needs.entry(v.name.clone()).or_insert(Need {
                        source: ex.label.clone(),
                        line: Some(v.line),
                        why: "the example file marks it required".into(),
                    });
                }
            }
        }
        if r.from_code {
            let kept = view.tree.map(|t| &t.kept);
            let empty = BTreeMap::new();
            let kept = kept.unwrap_or(&empty);
            let root = &view.repo.root;
            let source = |path: &str| read_source(&root.join(path));
            for (name, need) in code_requirements(&view.repo_matches(), kept, r, &source) {
                needs.entry(name).or_insert(need);
            }
            if r.from_frameworks {
                for (name, need) in framework_requirements(kept, view) {
                    needs.entry(name).or_insert(need);
                }
            }
        }
        for i in &r.ignore {
            needs.remove(i);
        }
        Requirements { needs }
    }
}

/// The names the code requires, minus what the repository's compose files provide. A read that
/// fails when the variable is unset (or that the code aborts on) requires its name on its own. A
/// value read (`password: ENV['X']`) requires it only when a deploy manifest hands the name to the
/// program and no code anywhere tests the name or gives it a default: optional features read
/// their settings as values too.
///
/// A Python read in a block that tests the environment (`if "X" in os.environ:`) is conditional,
/// and a shell script's `${X:?}` of a variable the script itself set above (`X=$2`) reads no
/// environment: `source` gives the file's text (read only for such reads, once per file).
fn code_requirements(
    code: &[(String, RawMatch)],
    kept: &BTreeMap<String, Vec<u8>>,
    r: &Required,
    source: &dyn Fn(&str) -> Option<String>,
) -> BTreeMap<String, Need> {
    let compose = if r.provided_by_compose {
        crate::inputs::compose::provided(kept)
    } else {
        Default::default()
    };
    let classified: Vec<(&String, &RawMatch, &str, Use)> = code
        .iter()
        .filter_map(|(path, m)| Some((path, m, m.name.as_deref()?, env_refs::classify(m))))
        .collect();
    let mut optional: BTreeSet<&str> = BTreeSet::new();
    let mut declared: BTreeMap<&str, (&String, u64)> = BTreeMap::new();
    for (path, m, name, u) in &classified {
        match u {
            Use::Optional => {
                optional.insert(name);
            }
            Use::Declared => {
                declared.entry(name).or_insert((path, m.line));
            }
            _ => {}
        }
    }
    // Names the code asks "is it configured?" of (`Boolean(process.env.X)`): switches of
    // features the program runs without, so an abort on them is the feature's requirement.
    let switches: BTreeSet<&str> = classified
        .iter()
        .filter(|(_, m, _, _)| env_refs::boolean_probe(m))
        .map(|(_, _, name, _)| *name)
        .collect();
    let mut out = BTreeMap::new();
    let mut texts: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for (path, m, name, u) in classified {
        if matches!(u, Use::Required(env_refs::ABORTS)) && switches.contains(name) {
            continue;
        }
        if matches!(u, Use::Required(_)) && m.pattern == "shell-required" {
            let text = texts.entry(path.as_str()).or_insert_with(|| source(path));
            if text
                .as_deref()
                .is_some_and(|t| env_refs::shell_sets_before(t, name, m.line))
            {
                continue;
            }
        }
        if matches!(u, Use::Required(_) | Use::Value) && path.ends_with(".py") {
            let text = texts.entry(path.as_str()).or_insert_with(|| source(path));
            if text
                .as_deref()
                .is_some_and(|t| env_refs::python_under_env_test(t, m.line))
            {
                continue;
            }
        }
        let why = match u {
            Use::Required(why) => why.to_string(),
            Use::Value if !optional.contains(name) => match declared.get(name) {
                Some((at, line)) => {
                    format!("used as a value with no fallback, and {at}:{line} deploys it")
                }
                None => continue,
            },
            _ => continue,
        };
        if compose.provides(path, name, m.pattern == "compose-required") {
            continue;
        }
        out.entry(name.to_string()).or_insert(Need {
            source: path.clone(),
            line: Some(m.line),
            why: format!("{why}: `{}`", crate::text::excerpt(m.line_text.trim(), 80)),
        });
    }
    out
}

/// A source file's text for the block test of `code_requirements`: up to 4 MiB, else none (the
/// read then counts as it is).
fn read_source(path: &std::path::Path) -> Option<String> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(4 << 20)
        .read_to_end(&mut buf)
        .ok()?;
    String::from_utf8(buf).ok()
}

/// Names the project's framework requires (env_refs.yaml `frameworks`).
fn framework_requirements(
    kept: &BTreeMap<String, Vec<u8>>,
    view: &PassView<'_>,
) -> BTreeMap<String, Need> {
    let mut out = BTreeMap::new();
    let Some(tree) = view.tree else {
        return out;
    };
    let has = |p: &str| tree.files.iter().any(|f| f.path == p);
    for f in env_refs::frameworks() {
        let marked = kept
            .get(&f.marker.file)
            .is_some_and(|t| String::from_utf8_lossy(t).contains(&f.marker.contains));
        if !f.detect.iter().all(|d| has(d)) || !marked {
            continue;
        }
        for n in &f.requires {
            let Some(text) = kept.get(&n.read_in) else {
                continue;
            };
            let text = String::from_utf8_lossy(text);
            let Some(at) = text.find(&n.name) else {
                continue;
            };
            out.entry(n.name.clone()).or_insert(Need {
                source: n.read_in.clone(),
                line: Some(text[..at].matches('\n').count() as u64 + 1),
                why: format!("{} ({})", n.why, f.name),
            });
        }
    }
    out
}

/// Names the code requires that no example file lists (when there is one).
fn undocumented(
    check: &Meta,
    p: &Env,
    view: &PassView<'_>,
    scan: &crate::inputs::repo::RepoScan,
) -> Vec<Finding> {
    let Some(r) = &p.undocumented else {
        return Vec::new();
    };
    let mut listed = BTreeSet::new();
    let mut labels = Vec::new();
    for f in EXAMPLE_FILES {
        if let Some(text) = scan.kept.get(*f) {
            labels.push(f.to_string());
            let text = String::from_utf8_lossy(text);
            // An example file that does not parse still lists names, line by line.
            for l in text.lines() {
                let l = l
                    .trim_start()
                    .trim_start_matches("export ")
                    .trim_start_matches('#')
                    .trim();
                if let Some((n, _)) = l.split_once('=') {
                    listed.insert(n.trim().to_string());
                }
            }
        }
    }
    if labels.is_empty() {
        return Vec::new();
    }
    let reqs = Requirements::collect(r, &Vec::new(), view);
    let mut out = Out {
        check,
        findings: Vec::new(),
    };
    for (name, need) in &reqs.needs {
        if listed.contains(name) {
            continue;
        }
        let at = match need.line {
            Some(l) => format!("{}:{l}", need.source),
            None => need.source.clone(),
        };
        out.push(
            need_location(name, need),
            vec![
                ("name", name.clone()),
                ("path", need.source.clone()),
                ("source", labels.join(", ")),
            ],
            format!(
                "{name} is required ({at}) but {} does not list it: the next environment will miss it",
                labels.join(", ")
            ),
        );
    }
    out.findings
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

fn missing(out: &mut Out<'_>, reqs: &Requirements, env: &EnvInput) {
    let src = &env.description;
    for (name, need) in &reqs.needs {
        // A source whose keys are not known may set it (`deploy-manifest-refs` says so).
        if env.vars.contains_key(name) || !env.opaque.is_empty() {
            continue;
        }
        let at = match need.line {
            Some(l) => format!("{}:{l}", need.source),
            None => need.source.clone(),
        };
        let fields = vec![
            ("name", name.clone()),
            ("source", src.clone()),
            ("path", need.source.clone()),
        ];
        out.findings.push(Finding {
            message: out.check.render(
                || format!("{name} is required ({at}) but not set in {src}"),
                &fields,
            ),
            location: need_location(name, need),
            evidence: Some(need.why.clone()),
        });
    }
}

fn empty(out: &mut Out<'_>, reqs: &Requirements, env: &EnvInput) {
    let src = &env.description;
    for name in reqs.needs.keys() {
        if !env.unknown.contains(name)
            && env
                .vars
                .get(name)
                .is_some_and(|(v, _, _)| v.trim().is_empty())
        {
            out.push(
                env.location(name),
                vec![("name", name.clone()), ("source", src.clone())],
                format!("{name} is set but empty in {src}"),
            );
        }
    }
}

/// The example files and the deploy env file name the same variables, both ways.
fn parity(out: &mut Out<'_>, env: &EnvInput, examples: &Examples) {
    if examples.is_empty() {
        return; // no example file to compare with
    }
    let src = &env.description;
    let example_names: BTreeMap<&str, (&str, u64)> = examples
        .iter()
        .flat_map(|ex| {
            ex.vars
                .iter()
                .map(move |v| (v.name.as_str(), (ex.label.as_str(), v.line)))
        })
        .collect();
    let labels: Vec<&str> = examples.iter().map(|e| e.label.as_str()).collect();
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
    // In name order, for `unless-near`: a Firebase config's `…_API_KEY` sorts beside its
    // `…_AUTH_DOMAIN`.
    let pairs: Vec<(&str, &str)> = env
        .vars
        .iter()
        .filter(|(n, _)| !env.unknown.contains(*n))
        .map(|(n, (v, _, _))| (n.as_str(), v.as_str()))
        .collect();
    for (i, &(name, value)) in pairs.iter().enumerate() {
        let line = format!("{name}={value}");
        if let Some(d) = p.values.iter().find(|d| d.regex.hit(line.as_bytes())) {
            out.push(
                env.location(name),
                vec![
                    ("name", name.to_string()),
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
                && !d.allowed_among(&pairs, i)
        });
        let why = match (by_name, by_value) {
            (true, _) => "its name says it is secret".to_string(),
            (false, Some(d)) => format!("its value looks like a {}", d.name),
            _ => continue,
        };
        out.push(
            env.location(name),
            vec![
                ("name", name.to_string()),
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
    use crate::inputs::content::{ContentMatcher, Subject};

    /// Every form of `env_refs.yaml` finds its required samples as requirements, its optional
    /// samples as reads that are not, and nothing in its ignored samples; the matcher is the one
    /// the repository pass uses (comments left out).
    #[test]
    fn reference_forms_hold_their_samples() {
        let r = Required {
            from_code: true,
            ..Required::default()
        };
        for f in env_refs::forms() {
            let glob = &f.files[0];
            let path = match glob.strip_prefix("*.") {
                Some(ext) => format!("src/app.{ext}"),
                None => glob.replace('*', "x"),
            };
            let m = ContentMatcher::new(vec![(0, code_rule(&r))]).unwrap();
            let run = |text: &str| -> Vec<(String, RawMatch)> {
                let file = Subject {
                    paths: &[path.as_str()],
                    material: None,
                };
                m.scan(&file, &[0], text.as_bytes(), &|_| "env".into())
                    .matches
                    .into_iter()
                    .filter(|x| x.pattern == f.form)
                    .map(|x| (path.clone(), x))
                    .collect()
            };
            let needs = |text: &str| {
                let own = |_: &str| Some(text.to_string());
                code_requirements(&run(text), &BTreeMap::new(), &r, &own)
            };
            for s in &f.samples.required {
                assert!(
                    !needs(s).is_empty(),
                    "{}: `{s}` should be a requirement",
                    f.form
                );
            }
            let uses = |text: &str| -> Vec<Use> {
                run(text)
                    .iter()
                    .map(|(_, m)| env_refs::classify(m))
                    .collect()
            };
            for s in &f.samples.value {
                assert!(
                    uses(s).contains(&Use::Value) && needs(s).is_empty(),
                    "{}: `{s}` should be a value read, not a requirement on its own",
                    f.form
                );
            }
            for s in &f.samples.declares {
                assert!(
                    uses(s).contains(&Use::Declared),
                    "{}: `{s}` should declare its name",
                    f.form
                );
            }
            for s in &f.samples.optional {
                assert!(!run(s).is_empty(), "{}: `{s}` should be found", f.form);
                assert!(needs(s).is_empty(), "{}: `{s}` should be optional", f.form);
            }
            for s in &f.samples.ignored {
                assert!(
                    needs(s).is_empty(),
                    "{}: `{s}` should not be a requirement",
                    f.form
                );
            }
        }
    }

    /// A value read requires its name only with a deploy manifest's declaration, and not when any
    /// read of the name tests it or gives it a default.
    #[test]
    fn value_reads_need_a_deploy_declaration_and_no_optional_read() {
        let r = Required {
            from_code: true,
            ..Required::default()
        };
        let m = ContentMatcher::new(vec![(0, code_rule(&r))]).unwrap();
        let scan = |files: &[(&str, &str)]| -> Vec<(String, RawMatch)> {
            let mut out = Vec::new();
            for (path, text) in files {
                let file = Subject {
                    paths: &[path],
                    material: None,
                };
                for x in m
                    .scan(&file, &[0], text.as_bytes(), &|_| "env".into())
                    .matches
                {
                    out.push((path.to_string(), x));
                }
            }
            out
        };
        let read = ("lib/fs.rb", "  key: ENV['S3_KEY'],\n");
        let deploy = (
            "config/deploy/web.yaml",
            "      env:\n        - name: S3_KEY\n          valueFrom:\n            secretKeyRef: {name: s3, key: k}\n",
        );
        let probe = ("lib/s3.rb", "return unless ENV['S3_KEY'].present?\n");
        let none = |_: &str| None;
        let needs =
            |files: &[(&str, &str)]| code_requirements(&scan(files), &BTreeMap::new(), &r, &none);
        assert!(needs(&[read]).is_empty(), "a value read alone");
        let got = needs(&[read, deploy]);
        let need = got.get("S3_KEY").expect("declared by the deploy manifest");
        assert_eq!((need.source.as_str(), need.line), ("lib/fs.rb", Some(1)));
        assert!(
            need.why.contains("config/deploy/web.yaml:2"),
            "{}",
            need.why
        );
        assert!(needs(&[read, deploy, probe]).is_empty(), "tested elsewhere");
    }
}
