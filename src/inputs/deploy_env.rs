//! The deploy environment as the deploy's own manifests define it (`--env-from`, or
//! `settings.env-from` per stage): docker compose files (`environment:`, `env_file:`), Kubernetes
//! manifests (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob; `env` with `value`
//! or `valueFrom`, `envFrom` with `configMapRef`/`secretRef`), `fly.toml` (`[env]`), Heroku's
//! `app.json` (`env`) and `render.yaml` (`envVars`, `envVarGroups`).
//!
//! Each variable is recorded with the file and line that set it and its value when the manifest
//! holds one; a reference to a secret (`secretKeyRef`, `generateValue`, a `sync: false` variable,
//! an interpolated `${X}`) is provided without a value. A ConfigMap, Secret or env group defined in
//! the same files provides its keys; one defined elsewhere is recorded as opaque: provided, keys
//! unknown. Values a Secret object writes into the manifest are kept apart (`stored`), for the check
//! that reports secrets committed in manifests. A manifest that cannot be read or parsed is an
//! error naming the file and line: never an empty environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_serde::Value;

use crate::inputs::dotenv::EnvVar;
use crate::inputs::env::EnvInput;

/// What a manifest is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Compose,
    Kubernetes,
    Fly,
    Heroku,
    Render,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Compose => "docker compose",
            Format::Kubernetes => "Kubernetes",
            Format::Fly => "fly.toml",
            Format::Heroku => "app.json",
            Format::Render => "render.yaml",
        }
    }
}

/// One variable a manifest sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployVar {
    pub name: String,
    /// The value written in the manifest; `None` when it comes from a reference (a secret, a
    /// field of the pod, an interpolated variable) and is not known here.
    pub value: Option<String>,
    pub file: String,
    pub line: Option<u64>,
    /// Where the value comes from, in words (`value`, `secretKeyRef db/password` …).
    pub from: String,
}

/// A source of variables whose keys are not known: a ConfigMap, Secret or env group that the
/// given manifests reference but do not define.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opaque {
    /// `configMap app-config`, `secret db-creds`, `env group shared`.
    pub what: String,
    pub file: String,
    pub line: Option<u64>,
}

/// A value written into a Secret object (`data`, `stringData`) of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// `secret/db-creds`.
    pub object: String,
    pub key: String,
    pub value: String,
    pub file: String,
    pub line: Option<u64>,
}

/// Everything the manifests define.
#[derive(Debug, Clone, Default)]
pub struct DeployEnv {
    /// Each manifest's label and format, in the order given.
    pub manifests: Vec<(String, Format)>,
    /// In the order given: a later manifest wins, as later env files do.
    pub vars: Vec<DeployVar>,
    pub opaque: Vec<Opaque>,
    pub stored: Vec<Stored>,
}

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read deploy manifest {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}: {message}")]
    Parse {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}: {message}")]
    Shape { file: String, message: String },
}

/// One manifest to read: its path on disk and its label in findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestPath {
    pub path: PathBuf,
    pub label: String,
}

/// Reads every manifest. ConfigMaps, Secrets and env groups of all of them are known before any
/// reference is resolved, so a Deployment may name a ConfigMap of another file.
pub fn read(paths: &[ManifestPath]) -> Result<DeployEnv, ManifestError> {
    read_with(paths, &|p: &Path| std::fs::read_to_string(p))
}

/// Reads files with `load` (the file system, or a sample's files).
pub type Loader<'a> = &'a dyn Fn(&Path) -> std::io::Result<String>;

/// `read`, with files (manifests, and the env files compose names) read by `load`.
pub fn read_with(paths: &[ManifestPath], load: Loader<'_>) -> Result<DeployEnv, ManifestError> {
    let mut docs = Vec::new();
    for m in paths {
        let text = load(&m.path).map_err(|source| ManifestError::Read {
            file: m.label.clone(),
            source,
        })?;
        let format = detect(&m.label, &text);
        docs.push((m, text, format));
    }
    let mut objects = Objects::default();
    let mut parsed = Vec::new();
    for (m, text, format) in &docs {
        let p = parse(&m.label, text, *format)?;
        if let Parsed::Yaml(ds) = &p {
            if *format == Format::Kubernetes {
                objects.collect(&m.label, text, ds);
            }
        }
        parsed.push(p);
    }
    let mut out = DeployEnv {
        stored: objects.stored.clone(),
        ..Default::default()
    };
    for ((m, text, format), p) in docs.iter().zip(&parsed) {
        out.manifests.push((m.label.clone(), *format));
        let cx = Cx {
            file: &m.label,
            text,
            dir: m.path.parent().unwrap_or(Path::new("")),
            load,
        };
        match (format, p) {
            (Format::Compose, Parsed::Yaml(ds)) => compose(&cx, ds, &mut out)?,
            (Format::Kubernetes, Parsed::Yaml(ds)) => kubernetes(&cx, ds, &objects, &mut out),
            (Format::Render, Parsed::Yaml(ds)) => render(&cx, ds, &mut out),
            (Format::Heroku, Parsed::Json(j)) => heroku(&cx, j, &mut out),
            (Format::Fly, Parsed::Toml(t)) => fly(&cx, t, &mut out),
            _ => {}
        }
    }
    Ok(out)
}

impl DeployEnv {
    /// The environment the env checks read: `--env-file`s first, then the manifests (later wins).
    /// A variable whose value is not known is set, with its name in `unknown`.
    pub fn env_input(&self, env_files: &EnvInput) -> EnvInput {
        let mut by_file: Vec<(String, Vec<EnvVar>)> = Vec::new();
        for v in &self.vars {
            let var = EnvVar {
                name: v.name.clone(),
                value: v.value.clone().unwrap_or_default(),
                line: v.line.unwrap_or(1),
                unresolved: false,
            };
            match by_file.iter_mut().find(|(f, _)| *f == v.file) {
                Some((_, vs)) => vs.push(var),
                None => by_file.push((v.file.clone(), vec![var])),
            }
        }
        let mut input = EnvInput::from_files(&by_file);
        let mut vars = env_files.vars.clone();
        vars.extend(input.vars);
        input.vars = vars;
        for v in &self.vars {
            if v.value.is_none() {
                input.unknown.insert(v.name.clone());
            } else {
                input.unknown.remove(&v.name);
            }
        }
        input.opaque = self
            .opaque
            .iter()
            .map(|o| format!("{} ({})", o.what, at(&o.file, o.line)))
            .collect();
        let labels: Vec<String> = env_files
            .description
            .split(", ")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .chain(self.manifests.iter().map(|(l, _)| l.clone()))
            .collect();
        input.description = labels.join(", ");
        input.from_files = true;
        input
    }
}

fn at(file: &str, line: Option<u64>) -> String {
    match line {
        Some(l) => format!("{file}:{l}"),
        None => file.to_string(),
    }
}

/// The format, from the file name, else from the contents.
fn detect(label: &str, text: &str) -> Format {
    let name = label.rsplit(['/', '\\']).next().unwrap_or(label);
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".toml") {
        return Format::Fly;
    }
    if lower.ends_with(".json") {
        return Format::Heroku;
    }
    if lower.starts_with("render.") {
        return Format::Render;
    }
    if (lower.starts_with("docker-compose") || lower.starts_with("compose"))
        && !text.lines().any(|l| l.starts_with("apiVersion:"))
    {
        return Format::Compose;
    }
    let k8s = text
        .lines()
        .any(|l| l.starts_with("apiVersion:") || l.starts_with("kind:"));
    if !k8s && text.lines().any(|l| l.starts_with("services:")) {
        return Format::Compose;
    }
    Format::Kubernetes
}

enum Parsed {
    Yaml(Vec<(Value, Option<u64>)>),
    Json(serde_json::Value),
    Toml(toml::Table),
}

/// Parses a manifest: YAML (every document, each with the line it starts at), JSON or TOML.
fn parse(file: &str, text: &str, format: Format) -> Result<Parsed, ManifestError> {
    let perr = |line: u64, message: String| ManifestError::Parse {
        file: file.to_string(),
        line,
        message,
    };
    match format {
        Format::Fly => {
            let t = text.parse::<toml::Table>().map_err(|e| {
                let line = e.span().map_or(1, |s| line_of(text, s.start));
                perr(line, e.message().trim().to_string())
            })?;
            Ok(Parsed::Toml(t))
        }
        Format::Heroku => serde_json::from_str(text)
            .map(Parsed::Json)
            .map_err(|e| perr(e.line() as u64, e.to_string())),
        _ => {
            let starts = doc_starts(text);
            let mut docs = Vec::new();
            for (i, d) in yaml_serde::Deserializer::from_str(text).enumerate() {
                let v = <Value as serde::Deserialize>::deserialize(d).map_err(|e| {
                    let line = e.location().map_or(1, |l| l.line() as u64);
                    let msg = e.to_string();
                    let msg = match msg.rfind(" at line ") {
                        Some(k) => msg[..k].to_string(),
                        None => msg,
                    };
                    perr(line, format!("not valid YAML: {msg}"))
                })?;
                if !v.is_null() {
                    docs.push((v, starts.get(i).copied()));
                }
            }
            Ok(Parsed::Yaml(docs))
        }
    }
}

/// 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> u64 {
    text[..at.min(text.len())].matches('\n').count() as u64 + 1
}

/// The first line of each YAML document (a `---` line starts a new one).
fn doc_starts(text: &str) -> Vec<u64> {
    let mut starts = vec![1];
    for (i, l) in text.lines().enumerate() {
        if l == "---" || l.starts_with("--- ") {
            if i == 0 {
                starts[0] = 2;
            } else {
                starts.push(i as u64 + 2);
            }
        }
    }
    starts
}

/// One manifest being read.
struct Cx<'a> {
    file: &'a str,
    text: &'a str,
    dir: &'a Path,
    load: Loader<'a>,
}

impl Cx<'_> {
    /// The line at or after `from` where `key` is named: `name: KEY`, `key: KEY`, `KEY:`, `KEY=`,
    /// `KEY =`.
    fn line(&self, from: Option<u64>, key: &str) -> Option<u64> {
        let start = from.unwrap_or(1).max(1) as usize - 1;
        let quoted = |s: &str| {
            let s = s.trim().trim_matches(|c| c == '"' || c == '\'');
            s == key
        };
        self.text
            .lines()
            .enumerate()
            .skip(start)
            .find(|(_, l)| {
                let l = l.trim_start().trim_start_matches("- ").trim_start();
                if let Some(rest) = l
                    .strip_prefix("name:")
                    .or_else(|| l.strip_prefix("key:"))
                    .or_else(|| l.strip_prefix("\"key\":"))
                {
                    if quoted(rest.split(" #").next().unwrap_or(rest)) {
                        return true;
                    }
                }
                let head = l.split([':', '=']).next().unwrap_or("");
                quoted(head) && l.len() > head.len()
            })
            .map(|(i, _)| i as u64 + 1)
    }

    fn var(&self, doc: Option<u64>, name: &str, value: Option<String>, from: &str) -> DeployVar {
        DeployVar {
            name: name.to_string(),
            value,
            file: self.file.to_string(),
            line: self.line(doc, name).or(doc),
            from: from.to_string(),
        }
    }
}

/// A YAML scalar as text (numbers and booleans as written by YAML's own rules).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether a compose value is interpolated when the deploy runs (`${X}`, `$X`).
fn interpolated(v: &str) -> bool {
    v.contains("${")
        || v.split('$')
            .skip(1)
            .any(|s| s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
}

fn compose(
    cx: &Cx<'_>,
    docs: &[(Value, Option<u64>)],
    out: &mut DeployEnv,
) -> Result<(), ManifestError> {
    for (doc, start) in docs {
        let Some(services) = doc.get("services").and_then(Value::as_mapping) else {
            continue;
        };
        for (svc_name, svc) in services {
            let svc_name = scalar(svc_name).unwrap_or_default();
            for f in env_files(svc) {
                let (rel, required) = f;
                let path = cx.dir.join(&rel);
                let label = join_label(cx.file, &rel);
                let text = match (cx.load)(&path) {
                    Ok(t) => t,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => continue,
                    Err(source) => {
                        return Err(ManifestError::Read {
                            file: label,
                            source,
                        })
                    }
                };
                let vars = crate::inputs::dotenv::parse(&text, &label).map_err(|e| {
                    ManifestError::Parse {
                        file: e.file,
                        line: e.line,
                        message: e.problem,
                    }
                })?;
                for v in vars {
                    // `${X}` set nowhere in the file, or compose's `$X`: known only where it runs.
                    let value = (!v.unresolved && !interpolated(&v.value)).then(|| v.value.clone());
                    out.vars.push(DeployVar {
                        name: v.name,
                        value,
                        file: label.clone(),
                        line: Some(v.line),
                        from: format!("env_file of service {svc_name}"),
                    });
                }
            }
            let from = format!("environment of service {svc_name}");
            match svc.get("environment") {
                Some(Value::Mapping(m)) => {
                    for (k, v) in m {
                        let Some(name) = scalar(k) else { continue };
                        let value = scalar(v).filter(|v| !interpolated(v));
                        out.vars.push(cx.var(*start, &name, value, &from));
                    }
                }
                Some(Value::Sequence(s)) => {
                    for e in s.iter().filter_map(scalar) {
                        let (name, value) = match e.split_once('=') {
                            Some((n, v)) => {
                                (n.trim(), Some(v.to_string()).filter(|v| !interpolated(v)))
                            }
                            None => (e.trim(), None),
                        };
                        out.vars.push(cx.var(*start, name, value, &from));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// A service's `env_file:` entries: (path, required).
fn env_files(svc: &Value) -> Vec<(String, bool)> {
    match svc.get("env_file") {
        Some(Value::String(f)) => vec![(f.clone(), true)],
        Some(Value::Sequence(s)) => s
            .iter()
            .filter_map(|e| match e {
                Value::String(f) => Some((f.clone(), true)),
                m => {
                    let p = m.get("path").and_then(scalar)?;
                    let req = m.get("required").and_then(Value::as_bool).unwrap_or(true);
                    Some((p, req))
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `rel` beside manifest `label`, as a label.
fn join_label(label: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = label.split('/').collect();
    parts.pop();
    for c in rel.split('/') {
        match c {
            "." | "" => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

type KeyValue = (String, String, String, Option<u64>);

/// ConfigMaps and Secrets the Kubernetes manifests define, by name.
#[derive(Default)]
struct Objects {
    /// name → (key, value, file, line).
    config_maps: BTreeMap<String, Vec<KeyValue>>,
    secrets: BTreeMap<String, Vec<(String, String, Option<u64>)>>,
    stored: Vec<Stored>,
}

impl Objects {
    fn collect(&mut self, file: &str, text: &str, docs: &[(Value, Option<u64>)]) {
        let none = |_: &Path| Err(std::io::ErrorKind::NotFound.into());
        let cx = Cx {
            file,
            text,
            dir: Path::new("."),
            load: &none,
        };
        for (doc, start) in docs {
            for obj in k8s_objects(doc) {
                let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
                let Some(name) = obj
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(scalar)
                else {
                    continue;
                };
                match kind {
                    "ConfigMap" => {
                        let data = string_map(obj.get("data"));
                        let entry = self.config_maps.entry(name).or_default();
                        for (k, v) in data {
                            let line = cx.line(*start, &k);
                            entry.push((k, v, file.to_string(), line));
                        }
                    }
                    "Secret" => {
                        let mut keys = Vec::new();
                        for (field, encoded) in [("stringData", false), ("data", true)] {
                            for (k, v) in string_map(obj.get(field)) {
                                let line = cx.line(*start, &k);
                                let value = if encoded {
                                    decode_base64(&v).unwrap_or(v)
                                } else {
                                    v
                                };
                                self.stored.push(Stored {
                                    object: format!("secret/{name}"),
                                    key: k.clone(),
                                    value,
                                    file: file.to_string(),
                                    line,
                                });
                                keys.push((k, file.to_string(), line));
                            }
                        }
                        self.secrets.entry(name).or_default().extend(keys);
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The objects of a document: itself, or the items of a `List`.
fn k8s_objects(doc: &Value) -> Vec<&Value> {
    match doc.get("items").and_then(Value::as_sequence) {
        Some(items)
            if doc
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List")) =>
        {
            items.iter().collect()
        }
        _ => vec![doc],
    }
}

fn string_map(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((scalar(k)?, scalar(v).unwrap_or_default())))
                .collect()
        })
        .unwrap_or_default()
}

/// Standard base64 (a Secret's `data`), when it decodes to UTF-8.
pub(crate) fn decode_base64(s: &str) -> Option<String> {
    String::from_utf8(decode_base64_bytes(s)?).ok()
}

/// Standard base64, whitespace ignored, to bytes; `None` on a character outside the alphabet.
pub(crate) fn decode_base64_bytes(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.trim().bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        bits = (bits << 6) | v as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    Some(out)
}

/// Where a workload keeps its pod spec.
fn pod_spec(obj: &Value) -> Option<&Value> {
    let kind = obj.get("kind").and_then(Value::as_str)?;
    let spec = obj.get("spec")?;
    match kind {
        "Pod" => Some(spec),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => spec.get("template")?.get("spec"),
        "CronJob" => spec
            .get("jobTemplate")?
            .get("spec")?
            .get("template")?
            .get("spec"),
        _ => None,
    }
}

fn kubernetes(cx: &Cx<'_>, docs: &[(Value, Option<u64>)], objects: &Objects, out: &mut DeployEnv) {
    for (doc, start) in docs {
        for obj in k8s_objects(doc) {
            let Some(spec) = pod_spec(obj) else { continue };
            let containers = ["initContainers", "containers"]
                .iter()
                .filter_map(|k| spec.get(*k).and_then(Value::as_sequence))
                .flatten();
            for c in containers {
                if let Some(env) = c.get("env").and_then(Value::as_sequence) {
                    for e in env {
                        let Some(name) = e.get("name").and_then(scalar) else {
                            continue;
                        };
                        let (value, from) = match (e.get("value"), e.get("valueFrom")) {
                            (Some(v), _) => (scalar(v), "value".to_string()),
                            (None, Some(vf)) => value_from(vf, objects),
                            (None, None) => (Some(String::new()), "value".to_string()),
                        };
                        out.vars.push(cx.var(*start, &name, value, &from));
                    }
                }
                if let Some(env_from) = c.get("envFrom").and_then(Value::as_sequence) {
                    for e in env_from {
                        env_from_source(cx, *start, e, objects, out);
                    }
                }
            }
        }
    }
}

/// `valueFrom`: a key of a ConfigMap defined here has its value; anything else has none.
fn value_from(vf: &Value, objects: &Objects) -> (Option<String>, String) {
    if let Some(r) = vf.get("configMapKeyRef") {
        let name = r.get("name").and_then(scalar).unwrap_or_default();
        let key = r.get("key").and_then(scalar).unwrap_or_default();
        let value = objects
            .config_maps
            .get(&name)
            .and_then(|kv| kv.iter().find(|(k, ..)| *k == key))
            .map(|(_, v, ..)| v.clone());
        return (value, format!("configMapKeyRef {name}/{key}"));
    }
    if let Some(r) = vf.get("secretKeyRef") {
        let name = r.get("name").and_then(scalar).unwrap_or_default();
        let key = r.get("key").and_then(scalar).unwrap_or_default();
        return (None, format!("secretKeyRef {name}/{key}"));
    }
    let what = vf
        .as_mapping()
        .and_then(|m| m.keys().next())
        .and_then(scalar)
        .unwrap_or_else(|| "valueFrom".into());
    (None, what)
}

fn env_from_source(
    cx: &Cx<'_>,
    start: Option<u64>,
    e: &Value,
    objects: &Objects,
    out: &mut DeployEnv,
) {
    let prefix = e.get("prefix").and_then(scalar).unwrap_or_default();
    for (field, kind) in [("configMapRef", "configMap"), ("secretRef", "secret")] {
        let Some(name) = e.get(field).and_then(|r| r.get("name")).and_then(scalar) else {
            continue;
        };
        let line = cx.line(start, &name).or(start);
        let known = match kind {
            "configMap" => objects.config_maps.get(&name).map(|kv| {
                kv.iter()
                    .map(|(k, v, f, l)| (k.clone(), Some(v.clone()), f.clone(), *l))
                    .collect::<Vec<_>>()
            }),
            _ => objects.secrets.get(&name).map(|ks| {
                ks.iter()
                    .map(|(k, f, l)| (k.clone(), None, f.clone(), *l))
                    .collect::<Vec<_>>()
            }),
        };
        match known {
            Some(keys) => {
                for (k, value, file, l) in keys {
                    out.vars.push(DeployVar {
                        name: format!("{prefix}{k}"),
                        value,
                        file,
                        line: l,
                        from: format!("envFrom {field} {name}"),
                    });
                }
            }
            None => out.opaque.push(Opaque {
                what: format!("{kind} {name}"),
                file: cx.file.to_string(),
                line,
            }),
        }
    }
}

fn render(cx: &Cx<'_>, docs: &[(Value, Option<u64>)], out: &mut DeployEnv) {
    for (doc, start) in docs {
        let groups: BTreeMap<String, &Value> = doc
            .get("envVarGroups")
            .and_then(Value::as_sequence)
            .map(|gs| {
                gs.iter()
                    .filter_map(|g| Some((g.get("name").and_then(scalar)?, g)))
                    .collect()
            })
            .unwrap_or_default();
        let services = doc.get("services").and_then(Value::as_sequence);
        for svc in services.into_iter().flatten() {
            let Some(vars) = svc.get("envVars").and_then(Value::as_sequence) else {
                continue;
            };
            for v in vars {
                if let Some(group) = v.get("fromGroup").and_then(scalar) {
                    match groups
                        .get(&group)
                        .and_then(|g| g.get("envVars"))
                        .and_then(Value::as_sequence)
                    {
                        Some(gvars) => {
                            for gv in gvars {
                                render_var(cx, *start, gv, &format!("env group {group}"), out);
                            }
                        }
                        None => out.opaque.push(Opaque {
                            what: format!("env group {group}"),
                            file: cx.file.to_string(),
                            line: cx.line(*start, &group).or(*start),
                        }),
                    }
                    continue;
                }
                render_var(cx, *start, v, "envVars", out);
            }
        }
    }
}

fn render_var(cx: &Cx<'_>, start: Option<u64>, v: &Value, from: &str, out: &mut DeployEnv) {
    let Some(name) = v.get("key").and_then(scalar) else {
        return;
    };
    let value = v.get("value").and_then(scalar);
    let how = if value.is_some() {
        from.to_string()
    } else if v.get("generateValue").is_some() {
        "generateValue".into()
    } else if v.get("fromDatabase").is_some() || v.get("fromService").is_some() {
        "a reference to another service".into()
    } else {
        "set in the dashboard (sync: false)".into()
    };
    out.vars.push(cx.var(start, &name, value, &how));
}

fn heroku(cx: &Cx<'_>, j: &serde_json::Value, out: &mut DeployEnv) {
    let Some(env) = j.get("env").and_then(|e| e.as_object()) else {
        return;
    };
    for (name, spec) in env {
        let line = cx
            .line(None, name)
            .or_else(|| cx.line(None, &format!("\"{name}\"")));
        let (value, from) = match spec {
            serde_json::Value::String(s) => (Some(s.clone()), "value"),
            serde_json::Value::Object(o) => match o.get("value").and_then(|v| v.as_str()) {
                Some(v) => (Some(v.to_string()), "value"),
                None if o.get("generator").is_some() => (None, "generator"),
                None if o.get("required").and_then(|r| r.as_bool()) == Some(false) => continue,
                None => (None, "asked for at deploy (required)"),
            },
            other => (Some(other.to_string()), "value"),
        };
        out.vars.push(DeployVar {
            name: name.clone(),
            value,
            file: cx.file.to_string(),
            line,
            from: from.into(),
        });
    }
}

fn fly(cx: &Cx<'_>, t: &toml::Table, out: &mut DeployEnv) {
    let Some(env) = t.get("env").and_then(|e| e.as_table()) else {
        return;
    };
    for (name, v) in env {
        let value = match v {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            _ => continue,
        };
        out.vars.push(DeployVar {
            name: name.clone(),
            value: Some(value),
            file: cx.file.to_string(),
            line: cx.line(None, name),
            from: "[env]".into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_one(name: &str, text: &str) -> Result<DeployEnv, ManifestError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        read(&[ManifestPath {
            path,
            label: name.to_string(),
        }])
    }

    fn vars(d: &DeployEnv) -> Vec<(String, Option<String>, Option<u64>)> {
        d.vars
            .iter()
            .map(|v| (v.name.clone(), v.value.clone(), v.line))
            .collect()
    }

    #[test]
    fn kubernetes_env_value_from_and_env_from() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  LOG_LEVEL: info\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          env:\n            - name: PORT\n              value: \"8080\"\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: db\n                  key: password\n          envFrom:\n            - configMapRef:\n                name: app-config\n            - secretRef:\n                name: elsewhere\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - name: job\n              env:\n                - name: JOB_MODE\n                  value: nightly\n";
        let d = read_one("k8s/app.yaml", text).unwrap();
        assert_eq!(
            vars(&d),
            vec![
                ("PORT".into(), Some("8080".into()), Some(18)),
                ("DB_PASSWORD".into(), None, Some(20)),
                ("LOG_LEVEL".into(), Some("info".into()), Some(6)),
                ("JOB_MODE".into(), Some("nightly".into()), Some(43)),
            ]
        );
        assert_eq!(d.opaque.len(), 1);
        assert_eq!(d.opaque[0].what, "secret elsewhere");
        assert_eq!(d.opaque[0].line, Some(29));
    }

    #[test]
    fn a_manifest_that_does_not_parse_names_its_line() {
        let e = read_one("k8s.yaml", "kind: Pod\nspec:\n  containers: [\n").unwrap_err();
        assert!(
            matches!(e, ManifestError::Parse { line, .. } if line >= 3),
            "{e}"
        );
        let e = read_one("fly.toml", "app = \"x\"\n[env\nA = 1\n").unwrap_err();
        assert!(matches!(e, ManifestError::Parse { line: 2, .. }), "{e}");
    }

    #[test]
    fn fly_heroku_render_and_compose() {
        let d = read_one(
            "fly.toml",
            "app = \"x\"\n[env]\n  PORT = \"8080\"\n  WORKERS = 4\n",
        )
        .unwrap();
        assert_eq!(
            vars(&d),
            vec![
                ("PORT".into(), Some("8080".into()), Some(3)),
                ("WORKERS".into(), Some("4".into()), Some(4))
            ]
        );
        let d = read_one("app.json", "{\n  \"env\": {\n    \"SECRET_TOKEN\": {\"generator\": \"secret\"},\n    \"WEB_CONCURRENCY\": \"2\",\n    \"OPTIONAL\": {\"required\": false}\n  }\n}\n").unwrap();
        assert_eq!(
            vars(&d),
            vec![
                ("SECRET_TOKEN".into(), None, Some(3)),
                ("WEB_CONCURRENCY".into(), Some("2".into()), Some(4))
            ]
        );
        let d = read_one("render.yaml", "services:\n  - type: web\n    envVars:\n      - key: NODE_ENV\n        value: production\n      - key: API_KEY\n        sync: false\n      - fromGroup: shared\n      - fromGroup: missing\nenvVarGroups:\n  - name: shared\n    envVars:\n      - key: REGION\n        value: eu\n").unwrap();
        assert_eq!(
            vars(&d),
            vec![
                ("NODE_ENV".into(), Some("production".into()), Some(4)),
                ("API_KEY".into(), None, Some(6)),
                ("REGION".into(), Some("eu".into()), Some(13))
            ]
        );
        assert_eq!(d.opaque[0].what, "env group missing");
        let d = read_one("compose.yaml", "services:\n  web:\n    environment:\n      PORT: 80\n      TOKEN:\n      URL: ${URL:-x}\n").unwrap();
        assert_eq!(
            vars(&d),
            vec![
                ("PORT".into(), Some("80".into()), Some(4)),
                ("TOKEN".into(), None, Some(5)),
                ("URL".into(), None, Some(6))
            ]
        );
    }

    #[test]
    fn secrets_written_into_manifests_are_kept_apart() {
        let d = read_one("s.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: aHVudGVyMg==\nstringData:\n  token: abc\n").unwrap();
        let got: Vec<(&str, &str, Option<u64>)> = d
            .stored
            .iter()
            .map(|s| (s.key.as_str(), s.value.as_str(), s.line))
            .collect();
        assert_eq!(
            got,
            vec![("token", "abc", Some(8)), ("password", "hunter2", Some(6))]
        );
    }
}
