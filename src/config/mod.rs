//! Loading and validating configuration: the built-in checklist (embedded from `checks/`), extra
//! check files named in `.shipgate.yaml`, per-check changes, settings and waivers. Raw serde data
//! (`raw`) becomes validated `Check`s; every problem is collected with its file, line, column and
//! a suggestion, so a user sees all their mistakes at once.

pub mod raw;
pub mod samples;
pub mod signoff;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::check::{Check, CheckSamples, Meta};
use crate::error::{ConfigError, Error};
use crate::kinds::{Borrowing, KIND_KEYS};
use crate::text::did_you_mean;
use crate::types::{GlobList, PatternDef, Stage, Template};
use raw::{RawChange, RawCheck, RawProject};

include!(concat!(env!("OUT_DIR"), "/builtin_checks.rs"));

/// The project configuration file, at the repository root.
pub const PROJECT_FILE: &str = ".shipgate.yaml";
/// Files larger than this are listed but not scanned, unless `settings.max-file-size` says otherwise.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 << 20;

#[derive(Debug, Clone)]
pub struct Settings {
    pub timezone: Option<jiff::tz::TimeZone>,
    pub timezone_name: Option<String>,
    pub max_file_size: u64,
    pub exclude: GlobList,
    pub artifact_budgets: crate::inputs::artifact::Budgets,
    pub protected_branches: Vec<String>,
    /// What does not ship: the one notion every repository check's `scope` uses.
    pub materials: crate::inputs::material::Materials,
    /// `signoff:` in `.shipgate.yaml`.
    pub signoff: signoff::SignoffSettings,
    /// `settings.env-from`: deploy manifests by stage, relative to the repository root.
    pub env_from: BTreeMap<Stage, Vec<String>>,
}

/// Branches whose pushes are examined commit by commit unless `settings.protected-branches` says.
pub const DEFAULT_PROTECTED: &[&str] = &[
    "main",
    "master",
    "trunk",
    "release/*",
    "releases/*",
    "*.x",
    "*.*.x",
    "stable",
];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timezone: None,
            timezone_name: None,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            exclude: GlobList::default(),
            artifact_budgets: Default::default(),
            protected_branches: DEFAULT_PROTECTED.iter().map(|s| s.to_string()).collect(),
            materials: Default::default(),
            signoff: Default::default(),
            env_from: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Waiver {
    pub check: String,
    pub path: String,
    pub glob: GlobList,
    pub reason: String,
    pub expires: Option<jiff::civil::Date>,
}

/// Everything loaded: the checks (in a stable order), settings, waivers.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub checks: Vec<Check>,
    pub settings: Settings,
    pub waivers: Vec<Waiver>,
    /// `.shipgate.yaml`, when the project has one.
    pub project_file: Option<PathBuf>,
    /// Every built-in check was loaded, and none with changed `params`: the built-in secret
    /// patterns are then all among the checks' own (`engine::passes::secret_patterns` need not
    /// parse the checklist again for them).
    pub builtins_as_shipped: bool,
}

impl Config {
    pub fn get(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.checks.iter().map(|c| c.id.as_str())
    }

    /// An error for an id that is not loaded, with the nearest id.
    pub fn unknown_id(&self, what: &str, id: &str) -> Error {
        let mut msg = format!("{what}: no check has the id `{id}`");
        if let Some(s) = did_you_mean(id, self.ids()) {
            msg.push_str(&format!("; {s}"));
        } else {
            msg.push_str(" (`shipgate list` shows every id)");
        }
        Error::Usage(msg)
    }
}

/// Loads the configuration of the repository at `root`.
pub fn load(root: &Path) -> Result<Config, Error> {
    let path = root.join(PROJECT_FILE);
    let project = match std::fs::read_to_string(&path) {
        Ok(text) => Some((path, text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut errors = Vec::new();
    let config = load_from(
        root,
        project.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
        &mut errors,
    );
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(Error::Config(errors))
    }
}

/// One check file's text, labelled as the user knows it.
pub struct Source {
    pub label: String,
    pub text: String,
    pub builtin: bool,
    /// A built-in check's text as JSON, converted at build time: the loader reads it instead of
    /// the YAML (the same check, in a fraction of the time).
    pub json: Option<&'static str>,
}

/// Builds the configuration; problems go to `errors` and loading goes on.
pub fn load_from(
    root: &Path,
    project: Option<(&Path, &str)>,
    errors: &mut Vec<ConfigError>,
) -> Config {
    let project_label = PROJECT_FILE.to_string();
    let raw_project: RawProject = match project {
        Some((_, text)) => match parse_yaml(&project_label, text) {
            Ok(p) => p,
            Err(e) => {
                errors.push(e);
                RawProject::default()
            }
        },
        None => RawProject::default(),
    };
    let mut sources: Vec<Source> = Vec::new();
    if raw_project.builtins.unwrap_or(true) {
        sources.extend(builtin_sources());
    }
    for extra in &raw_project.extra_checks {
        match read_check_files(root, extra) {
            Ok(found) => sources.extend(found),
            Err(msg) => errors.push(
                ConfigError::new(&project_label, msg)
                    .at(find_line(project.map(|p| p.1), extra), None)
                    .help(
                        "extra-checks names check files or folders relative to the repository root",
                    ),
            ),
        }
    }

    let mut checks = parse_checks(&sources, &raw_project.checks, project.map(|p| p.1), errors);
    resolve_patterns_from(&mut checks, errors);
    let mut settings = settings(&raw_project, project.map(|p| p.1), errors);
    settings.env_from = env_from(
        root,
        &raw_project.settings.env_from,
        project.map(|p| p.1),
        errors,
    );
    let waivers = waivers(&raw_project, &checks, project.map(|p| p.1), errors);

    // Changes for ids that no check has.
    for id in raw_project.checks.keys() {
        if !checks.iter().any(|c| &c.id == id) {
            let mut e = ConfigError::new(
                &project_label,
                format!("`checks` changes `{id}`, but no check has that id"),
            )
            .at(find_key_line(project.map(|p| p.1), id), None);
            if let Some(s) = did_you_mean(id, checks.iter().map(|c| c.id.as_str())) {
                e = e.help(s);
            }
            errors.push(e);
        }
    }

    Config {
        builtins_as_shipped: raw_project.builtins.unwrap_or(true)
            && raw_project.checks.values().all(|c| c.params.is_none())
            && errors.is_empty(),
        checks,
        settings,
        waivers,
        project_file: project.map(|p| p.0.to_path_buf()),
    }
}

/// The secret patterns of the built-in checklist (for redaction wherever output is shown).
pub fn builtin_secret_patterns() -> Vec<PatternDef> {
    let mut errors = Vec::new();
    // Only the files that declare secret patterns (a check borrowing them with `patterns-from`
    // adds none of its own): parsing the whole checklist a second time was a sixth of a hook's
    // fixed cost.
    let sources: Vec<Source> = builtin_sources()
        .into_iter()
        .filter(|s| s.text.contains("secret: true"))
        .collect();
    parse_checks(&sources, &BTreeMap::new(), None, &mut errors)
        .into_iter()
        .filter_map(|c| c.spec.content().map(|p| p.patterns.clone()))
        .flatten()
        .filter(|d| d.secret)
        .collect()
}

/// The embedded built-in checklist.
pub fn builtin_sources() -> Vec<Source> {
    BUILTIN_CHECKS
        .iter()
        .map(|(name, text, json, _)| Source {
            label: (*name).to_string(),
            text: (*text).to_string(),
            builtin: true,
            json: (!json.is_empty()).then_some(*json),
        })
        .collect()
}

/// The samples of the built-in check file `label` as JSON (`""`: it has none), which its JSON
/// form leaves out.
fn builtin_samples(label: &str) -> &'static str {
    BUILTIN_CHECKS
        .iter()
        .find(|c| c.0 == label)
        .map_or("", |c| c.3)
}

/// Check files at `rel` (a file, or a folder of `*.yaml`/`*.yml` files), relative to `root`.
pub fn read_check_files(root: &Path, rel: &str) -> Result<Vec<Source>, String> {
    let path = root.join(rel);
    let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read `{rel}`: {e}"))?;
    let mut files = Vec::new();
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
            .map_err(|e| format!("cannot read folder `{rel}`: {e}"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        entries.sort();
        files.extend(entries);
    } else {
        files.push(path);
    }
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
            let label = p
                .strip_prefix(root)
                .map(|r| r.to_string_lossy().into_owned())
                .unwrap_or_else(|_| p.display().to_string());
            Ok(Source {
                label,
                text,
                builtin: false,
                json: None,
            })
        })
        .collect()
}

/// Parses check files into checks, applying the project's per-check changes.
pub fn parse_checks(
    sources: &[Source],
    changes: &BTreeMap<String, RawChange>,
    project_text: Option<&str>,
    errors: &mut Vec<ConfigError>,
) -> Vec<Check> {
    let mut checks: Vec<Check> = Vec::new();
    let mut origin: HashMap<String, String> = HashMap::new();
    for src in sources {
        // A built-in check as shipped (a `.shipgate.yaml` change to it is parsed again below,
        // untrusted).
        let trusted = crate::types::Trusted::set(src.builtin);
        let parsed = match src.json {
            Some(json) => serde_json::from_str(json)
                .map_err(|e| ConfigError::new(&src.label, format!("built-in check: {e}"))),
            None => parse_yaml(&src.label, &src.text),
        };
        let raw: RawCheck = match parsed {
            Ok(r) => r,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        drop(trusted);
        let id = raw.id.clone();
        let change = changes.get(&id);
        // Parameters changed in .shipgate.yaml: merge, then parse the merged document again.
        let raw = match change.and_then(|c| c.params.as_ref()) {
            Some(params) => match merge_params(&src.text, params) {
                Ok(r) => r,
                Err(msg) => {
                    errors.push(
                        ConfigError::new(PROJECT_FILE, format!("params: {msg}"))
                            .at(find_key_line(project_text, &id), None)
                            .check(&id),
                    );
                    continue;
                }
            },
            None => raw,
        };
        match validate_check(raw, src, change) {
            Ok(check) => {
                if let Some(first) = origin.get(&check.id) {
                    errors.push(
                        ConfigError::new(
                            &src.label,
                            format!(
                                "duplicate check id `{}`: already defined in {first}",
                                check.id
                            ),
                        )
                        .at(find_line(Some(&src.text), "id:"), Some(1))
                        .help("ids must be unique; rename one of the checks"),
                    );
                    continue;
                }
                origin.insert(check.id.clone(), src.label.clone());
                checks.push(check);
            }
            Err(e) => errors.extend(e),
        }
    }
    checks
}

fn merge_params(text: &str, params: &yaml_serde::Mapping) -> Result<RawCheck, String> {
    let mut doc: yaml_serde::Value = yaml_serde::from_str(text).map_err(|e| e.to_string())?;
    let map = doc
        .as_mapping_mut()
        .ok_or("the check file is not a mapping")?;
    let key = KIND_KEYS
        .iter()
        .find(|k| map.contains_key(**k))
        .ok_or("the check has no kind key")?;
    let kind = map
        .get_mut(*key)
        .and_then(|v| v.as_mapping_mut())
        .ok_or_else(|| format!("`{key}` is not a mapping"))?;
    for (k, v) in params {
        kind.insert(k.clone(), v.clone());
    }
    let merged = yaml_serde::to_string(&doc).map_err(|e| e.to_string())?;
    yaml_serde::from_str(&merged).map_err(|e| {
        let (msg, help) = describe_yaml_error(&e);
        match help {
            Some(h) => format!("{msg}; {h}"),
            None => msg,
        }
    })
}

fn validate_check(
    mut raw: RawCheck,
    src: &Source,
    change: Option<&RawChange>,
) -> Result<Check, Vec<ConfigError>> {
    let mut errs = Vec::new();
    let id = raw.id.clone();
    let err = |msg: String| ConfigError::new(&src.label, msg).check(&id);
    if !is_kebab_case(&raw.id) {
        errs.push(
            err(format!("id `{}` is not kebab-case", raw.id))
                .at(find_line(Some(&src.text), "id:"), Some(1))
                .help("use lowercase letters, digits and single dashes, e.g. `no-debug-flags`"),
        );
    }
    let mut specs = raw.take_kinds();
    let spec = match specs.len() {
        1 => specs.pop().map(|s| s.1),
        0 => {
            errs.push(
                err("no kind: a check needs exactly one kind key".into())
                    .help(format!("add one of: {}", KIND_KEYS.join(", "))),
            );
            None
        }
        _ => {
            let names: Vec<&str> = specs.iter().map(|s| s.0).collect();
            errs.push(
                err(format!(
                    "several kinds ({}): a check has exactly one kind key",
                    names.join(", ")
                ))
                .at(
                    find_line(Some(&src.text), &format!("{}:", names[1])),
                    Some(1),
                )
                .help("split it into one check file per kind"),
            );
            None
        }
    };
    let message = change
        .and_then(|c| c.message.clone())
        .or(raw.message.take());
    let message = match message.map(|m| Template::parse(&m)) {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            errs.push(err(e).at(find_line(Some(&src.text), "message:"), Some(1)));
            None
        }
        None => None,
    };
    if let (Some(spec), Some(t)) = (&spec, &message) {
        for f in t.fields() {
            if !spec.fields().contains(&f) {
                let e = err(format!(
                    "message uses `{{{f}}}`, which a {} check does not have",
                    spec.kind()
                ))
                .at(find_line(Some(&src.text), "message:"), Some(1));
                errs.push(
                    e.help(match did_you_mean(f, spec.fields().iter().copied()) {
                        Some(s) => s,
                        None => format!("available: {}", spec.fields().join(", ")),
                    }),
                );
            }
        }
    }
    // A built-in check as shipped is validated by the test suite (`builtins_load_cleanly`); the
    // validation compiles every pattern, which a run may never need.
    if let Some(spec) = spec.as_ref().filter(|_| !(src.builtin && change.is_none())) {
        for problem in spec.validate() {
            errs.push(err(problem).help("make the pattern require at least one character"));
        }
    }
    let Some(spec) = spec.filter(|_| errs.is_empty()) else {
        return Err(errs);
    };
    let stages = change
        .and_then(|c| c.stages.clone())
        .or(raw.stages)
        .unwrap_or_else(|| Stage::ALL.to_vec());
    Ok(Check {
        meta: Meta {
            id: raw.id,
            title: raw.title,
            severity: change.and_then(|c| c.severity).unwrap_or(raw.severity),
            stages,
            message,
            help: change.and_then(|c| c.help.clone()).or(raw.help),
            why: raw.why,
            off: change.and_then(|c| c.off).unwrap_or(raw.off),
            source: src.label.clone(),
            builtin: src.builtin,
        },
        spec,
        // A built-in check read from its JSON form has its samples apart, parsed when asked.
        samples: match (
            src.builtin,
            src.json,
            change.and_then(|c| c.params.as_ref()),
        ) {
            (true, Some(_), None) => CheckSamples::built_in(builtin_samples(&src.label)),
            _ => CheckSamples::parsed(raw.samples),
        },
    })
}

/// Lowercase letters and digits in dash-separated parts.
pub fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// Copies the patterns named by `patterns-from` into each content check.
pub(crate) fn resolve_patterns_from(checks: &mut [Check], errors: &mut Vec<ConfigError>) {
    let ids: Vec<String> = checks.iter().map(|c| c.id.clone()).collect();
    // Each check's placeholder rules go with its own secret patterns, borrowed or not.
    for c in checks.iter_mut() {
        if let Some(Borrowing {
            into,
            placeholders: Some(p),
            ..
        }) = c.spec.borrowing()
        {
            for d in into
                .iter_mut()
                .filter(|d| d.secret && d.placeholders.is_none())
            {
                d.placeholders = Some(p.clone());
            }
        }
    }
    for i in 0..checks.len() {
        let Some(refs) = checks[i].spec.borrowing().map(|b| b.from) else {
            continue;
        };
        let mut borrowed = Vec::new();
        for r in &refs {
            // `check-id` borrows all of a check's patterns; `check-id:pattern` borrows one.
            let (id, only) = match r.split_once(':') {
                Some((id, name)) => (id, Some(name)),
                None => (r.as_str(), None),
            };
            match checks
                .iter()
                .find(|c| c.id == id)
                .and_then(|c| c.spec.content())
            {
                Some(other) => {
                    let before = borrowed.len();
                    borrowed.extend(
                        other
                            .patterns
                            .iter()
                            .filter(|d| only.is_none_or(|n| d.name == n))
                            .cloned(),
                    );
                    if let (Some(name), true) = (only, borrowed.len() == before) {
                        let names: Vec<&str> =
                            other.patterns.iter().map(|d| d.name.as_str()).collect();
                        let mut e = ConfigError::new(
                            &checks[i].source,
                            format!(
                                "patterns-from names `{r}`, but `{id}` has no pattern `{name}`"
                            ),
                        )
                        .check(&checks[i].id);
                        if let Some(s) = did_you_mean(name, names.iter().copied()) {
                            e = e.help(s);
                        }
                        errors.push(e);
                    }
                }
                None => {
                    let mut e = ConfigError::new(
                        &checks[i].source,
                        format!("patterns-from names `{r}`, which is not a content check"),
                    )
                    .check(&checks[i].id);
                    if let Some(s) = did_you_mean(id, ids.iter().map(String::as_str)) {
                        e = e.help(s);
                    }
                    errors.push(e);
                }
            }
        }
        let c = &mut checks[i];
        if let Some(target) = c.spec.borrowing() {
            target.into.extend(borrowed);
            if target.required && target.into.is_empty() {
                errors.push(
                    ConfigError::new(
                        &c.source,
                        "a content check needs at least one pattern (patterns or patterns-from)",
                    )
                    .check(&c.id),
                );
            }
        }
    }
}

fn settings(raw: &RawProject, text: Option<&str>, errors: &mut Vec<ConfigError>) -> Settings {
    let s = &raw.settings;
    // Every field here rather than `..Settings::default()`: the default materials were built
    // only to be replaced below.
    let mut out = Settings {
        timezone: None,
        timezone_name: None,
        max_file_size: s.max_file_size.map_or(DEFAULT_MAX_FILE_SIZE, |b| b.0),
        exclude: s.exclude.clone(),
        artifact_budgets: Default::default(),
        protected_branches: DEFAULT_PROTECTED.iter().map(|s| s.to_string()).collect(),
        signoff: signoff::SignoffSettings::from_raw(&raw.signoff, text, errors),
        materials: materials(&s.material, text, errors),
        env_from: BTreeMap::new(),
    };
    let b = &mut out.artifact_budgets;
    if let Some(v) = s.artifact_max_scan_size {
        b.max_scan_size = v.0;
    }
    if let Some(v) = s.artifact_max_size {
        b.max_total = v.0;
    }
    if let Some(v) = s.artifact_max_ratio {
        b.max_ratio = v;
    }
    if let Some(v) = s.artifact_max_entries {
        b.max_entries = v;
    }
    if let Some(v) = s.artifact_max_names {
        b.max_names = v.0;
    }
    if let Some(p) = &s.protected_branches {
        out.protected_branches = p.clone();
    }
    if let Some(name) = &s.timezone {
        match jiff::tz::TimeZone::get(name) {
            Ok(tz) => {
                out.timezone = Some(tz);
                out.timezone_name = Some(name.clone());
            }
            Err(_) => errors.push(
                ConfigError::new(PROJECT_FILE, format!("unknown time zone `{name}`"))
                    .at(find_line(text, "timezone:"), None)
                    .help("use an IANA name such as `Europe/Berlin`, `America/New_York` or `UTC`"),
            ),
        }
    }
    out
}

/// `settings.env-from`: every manifest named must exist (a typo would leave the deploy
/// environment unread).
fn env_from(
    root: &Path,
    raw: &raw::RawEnvFrom,
    text: Option<&str>,
    errors: &mut Vec<ConfigError>,
) -> BTreeMap<Stage, Vec<String>> {
    let mut out = BTreeMap::new();
    for (stage, paths) in [
        (Stage::PrePush, &raw.pre_push),
        (Stage::Ci, &raw.ci),
        (Stage::Release, &raw.release),
    ] {
        for p in paths {
            if !root.join(p).is_file() {
                errors.push(
                    ConfigError::new(
                        PROJECT_FILE,
                        format!("settings.env-from.{stage}: no file `{p}` in the repository"),
                    )
                    .at(find_line(text, p), None)
                    .help("name deploy manifests relative to the repository root"),
                );
            }
        }
        if !paths.is_empty() {
            out.insert(stage, paths.clone());
        }
    }
    out
}

fn materials(
    m: &raw::RawMaterial,
    text: Option<&str>,
    errors: &mut Vec<ConfigError>,
) -> crate::inputs::material::Materials {
    use crate::inputs::material::{Material, Materials};
    let replace: Vec<(Material, Vec<String>)> = [
        (Material::Test, &m.test),
        (Material::Example, &m.example),
        (Material::Doc, &m.doc),
        (Material::Bench, &m.bench),
        (Material::Vendored, &m.vendored),
        (Material::Tooling, &m.tooling),
    ]
    .into_iter()
    .filter_map(|(k, g)| g.clone().map(|g| (k, g)))
    .collect();
    match Materials::new(&replace, &m.shipped) {
        Ok(x) => x,
        Err(e) => {
            errors.push(
                ConfigError::new(PROJECT_FILE, format!("settings.material: {e}"))
                    .at(find_line(text, "material:"), None),
            );
            Materials::default()
        }
    }
}

fn waivers(
    raw: &RawProject,
    checks: &[Check],
    text: Option<&str>,
    errors: &mut Vec<ConfigError>,
) -> Vec<Waiver> {
    let mut out = Vec::new();
    for w in &raw.waivers {
        let line = find_line(text, &w.path);
        if !checks.iter().any(|c| c.id == w.check) {
            let mut e = ConfigError::new(
                PROJECT_FILE,
                format!("waiver for `{}`, but no check has that id", w.check),
            )
            .at(find_line(text, &w.check), None);
            if let Some(s) = did_you_mean(&w.check, checks.iter().map(|c| c.id.as_str())) {
                e = e.help(s);
            }
            errors.push(e);
            continue;
        }
        if w.reason.trim().is_empty() {
            errors.push(
                ConfigError::new(
                    PROJECT_FILE,
                    format!("waiver for `{}` has an empty reason", w.check),
                )
                .at(line, None),
            );
            continue;
        }
        match GlobList::new(std::slice::from_ref(&w.path)) {
            Ok(glob) => out.push(Waiver {
                check: w.check.clone(),
                path: w.path.clone(),
                glob,
                reason: w.reason.clone(),
                expires: w.expires.map(|d| d.0),
            }),
            Err(e) => errors.push(ConfigError::new(PROJECT_FILE, e).at(line, None)),
        }
    }
    out
}

/// Parses YAML into `T`, turning yaml_serde's error into a positioned `ConfigError` with a
/// suggestion for unknown names.
pub fn parse_yaml<T: DeserializeOwned>(label: &str, text: &str) -> Result<T, ConfigError> {
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(ConfigError::new(label, "the file is empty")
            .help("a check file holds one check: id, title, severity and a kind"));
    }
    yaml_serde::from_str(text).map_err(|e| {
        let (message, help) = describe_yaml_error(&e);
        let loc = e
            .location()
            .map(|l| (l.line(), l.column()))
            .map(|at| duplicate_at(&message, text, at).unwrap_or(at));
        let mut ce = ConfigError::new(label, message).at(loc.map(|l| l.0), loc.map(|l| l.1));
        if let Some(h) = help {
            ce = ce.help(h);
        }
        ce
    })
}

/// Where a duplicate key really is. serde places a duplicate field of the top-level mapping at
/// the mapping's start (1:1); the second `key:` at the indentation of that position is the one.
fn duplicate_at(message: &str, text: &str, at: (usize, usize)) -> Option<(usize, usize)> {
    let start = message.find("duplicate field `")? + "duplicate field `".len();
    let key = &message[start..start + message[start..].find('`')?];
    let indent = at.1.saturating_sub(1);
    let mut seen = 0;
    for (i, line) in text.lines().enumerate().skip(at.0.saturating_sub(1)) {
        let Some(rest) = line.get(indent..) else {
            continue;
        };
        if line[..indent].trim().is_empty()
            && rest.starts_with(key)
            && rest[key.len()..].trim_start().starts_with(':')
        {
            seen += 1;
            if seen == 2 {
                return Some((i + 1, indent + 1));
            }
        }
    }
    None
}

/// The error text without its position suffix, and a "did you mean" for unknown fields/variants.
fn describe_yaml_error(e: &yaml_serde::Error) -> (String, Option<String>) {
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) if full[i..].contains(" column ") => full[..i].to_string(),
        _ => full,
    };
    let help = ["unknown field `", "unknown variant `"]
        .iter()
        .find_map(|marker| {
            let start = message.find(marker)? + marker.len();
            let name = &message[start..start + message[start..].find('`')?];
            let expected = &message[message.find("expected")?..];
            let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
            did_you_mean(name, candidates.iter().copied())
                .or_else(|| Some(format!("valid here: {}", candidates.join(", "))))
        });
    (message, help)
}

/// 1-based line of the first line containing `needle` (for errors that serde cannot place).
pub fn find_line(text: Option<&str>, needle: &str) -> Option<usize> {
    text?
        .lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
}

/// 1-based line where `key:` is a mapping key.
fn find_key_line(text: Option<&str>, key: &str) -> Option<usize> {
    let pat = format!("{key}:");
    text?
        .lines()
        .position(|l| l.trim_start().starts_with(&pat))
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_errors(text: &str) -> Vec<ConfigError> {
        let src = Source {
            label: "x.yaml".into(),
            text: text.into(),
            builtin: false,
            json: None,
        };
        let mut errors = Vec::new();
        parse_checks(&[src], &BTreeMap::new(), None, &mut errors);
        errors
    }

    #[test]
    fn unknown_field_has_position_and_suggestion() {
        let errs = check_errors("id: a\ntitle: t\nseverty: error\nrepo-files:\n  forbid: [x]\n");
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, Some(3));
        assert!(
            errs[0].message.contains("unknown field `severty`"),
            "{}",
            errs[0]
        );
        assert_eq!(errs[0].help.as_deref(), Some("did you mean `severity`?"));
    }

    #[test]
    fn unknown_kind_is_suggested() {
        let errs =
            check_errors("id: a\ntitle: t\nseverity: error\nrepo-contnet:\n  patterns: []\n");
        assert_eq!(
            errs[0].help.as_deref(),
            Some("did you mean `repo-content`?")
        );
    }

    #[test]
    fn bad_regex_is_placed() {
        let errs = check_errors(
            "id: a\ntitle: t\nseverity: error\nrepo-content:\n  patterns:\n    - name: x\n      regex: 'a(b'\n",
        );
        assert!(errs[0].message.contains("invalid regex"), "{}", errs[0]);
        assert!(errs[0].line.is_some());
    }

    #[test]
    fn builtin_secret_patterns_are_those_of_the_whole_checklist() {
        let mut errors = Vec::new();
        let all: std::collections::BTreeSet<String> =
            parse_checks(&builtin_sources(), &BTreeMap::new(), None, &mut errors)
                .into_iter()
                .filter_map(|c| c.spec.content().map(|p| p.patterns.clone()))
                .flatten()
                .filter(|d| d.secret)
                .map(|d| d.regex.as_str().to_string())
                .collect();
        let quick: std::collections::BTreeSet<String> = builtin_secret_patterns()
            .into_iter()
            .map(|d| d.regex.as_str().to_string())
            .collect();
        assert!(all.len() > 40);
        assert_eq!(quick, all);
    }

    /// The loader reads the built-in checks from their JSON form (converted at build time):
    /// every one is the same check as its YAML gives, and every one has a JSON form.
    #[test]
    fn builtin_checks_as_json_are_the_checks_their_yaml_gives() {
        let sources = builtin_sources();
        assert!(sources.iter().all(|s| s.json.is_some()));
        let yaml: Vec<Source> = builtin_sources()
            .into_iter()
            .map(|s| Source { json: None, ..s })
            .collect();
        let mut errors = Vec::new();
        let from_json = parse_checks(&sources, &BTreeMap::new(), None, &mut errors);
        let from_yaml = parse_checks(&yaml, &BTreeMap::new(), None, &mut errors);
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(from_json.len(), from_yaml.len());
        for (j, y) in from_json.iter().zip(&from_yaml) {
            assert_eq!(format!("{j:?}"), format!("{y:?}"), "{}", y.id);
        }
    }

    #[test]
    fn builtins_load_cleanly() {
        let mut errors = Vec::new();
        let checks = parse_checks(&builtin_sources(), &BTreeMap::new(), None, &mut errors);
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(!checks.is_empty());
        // At run time the built-in checks are trusted (their patterns' syntax and the kinds'
        // validation are not redone at every load): here they pass all of it, as a project's
        // own check would, and every pattern compiles.
        let untrusted: Vec<Source> = builtin_sources()
            .into_iter()
            .map(|s| Source {
                builtin: false,
                json: None,
                ..s
            })
            .collect();
        let checks = parse_checks(&untrusted, &BTreeMap::new(), None, &mut errors);
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(checks.len(), builtin_sources().len());
        for c in &checks {
            for p in c
                .spec
                .content()
                .map(|p| p.patterns.clone())
                .unwrap_or_default()
            {
                p.regex.compiled().unwrap();
            }
        }
    }
}
