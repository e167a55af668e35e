//! `artifact-files`: what a built artifact contains, by entry path: forbidden and required entries,
//! an allowlist, budgets on entry count and sizes, unsafe entries (`..`, absolute paths, links out
//! of the artifact), source maps and what they expose, and what is new since a baseline artifact.
//! Globs match the path inside the artifact, with and without a common top folder such as npm's
//! `package/`, so `dist/*.map` and `package/dist/*.map` both work.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use crate::check::Meta;
use crate::inputs::artifact::{unsafe_reason, EntryKind};
use crate::inputs::artifact_scan::{ArtifactData, EntryMeta, MapInfo};
use crate::kinds::{BaselineWant, Kind, Outcome, PassView, Wants};
use crate::report::model::{Finding, Location};
use crate::text::{human_bytes, thousands};
use crate::types::{compile_glob, ByteSize, GlobList, Input, Sample};

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ArtifactFiles {
    /// Entries that must not ship. A glob ending in `/` names a folder, reported once.
    #[serde(default)]
    pub forbid: GlobList,
    /// Exceptions to `forbid`.
    #[serde(default)]
    pub allow: GlobList,
    /// Each glob must match at least one entry.
    #[serde(default)]
    pub require: GlobList,
    /// An allowlist: when given, any file entry matching none of these is a finding.
    #[serde(default)]
    pub only: Option<GlobList>,
    /// Entries this check never looks at.
    #[serde(default)]
    pub exclude: GlobList,
    #[serde(default)]
    pub max_entries: Option<u64>,
    #[serde(default)]
    pub max_total_size: Option<ByteSize>,
    #[serde(default)]
    pub max_entry_size: Option<ByteSize>,
    /// Report entries with `..`, absolute paths, links out of the artifact, devices and FIFOs.
    #[serde(default)]
    pub unsafe_paths: bool,
    /// For forbidden `*.map` entries, say whether they embed `sourcesContent` and how many
    /// original files they expose.
    #[serde(default)]
    pub inspect_source_maps: bool,
    /// A previous release's artifact (path relative to the repository; `--baseline` also sets it).
    #[serde(default)]
    pub baseline: Option<String>,
    /// Entries new since the baseline that match these globs are findings.
    #[serde(default)]
    pub new_entries: Option<GlobList>,
    /// Growth of the total uncompressed size since the baseline beyond this percentage is a finding.
    #[serde(default)]
    pub max_growth_percent: Option<f64>,
}

impl ArtifactFiles {
    /// Whether the check compares against a baseline (and is skipped without one).
    pub fn wants_baseline(&self) -> bool {
        self.new_entries.is_some() || self.max_growth_percent.is_some()
    }
}

impl Kind for ArtifactFiles {
    const KEY: &'static str = "artifact-files";
    const INPUT: Input = Input::Artifact;
    const FIELDS: &'static [&'static str] = &["path", "artifact", "glob", "size", "detail"];

    fn describe(&self) -> Vec<String> {
        let globs = |g: &GlobList| g.sources.join(", ");
        let mut lines = Vec::new();
        let mut line = |cond: bool, s: String| {
            if cond {
                lines.push(s)
            }
        };
        line(
            !self.forbid.is_empty(),
            format!("forbidden entries: {}", globs(&self.forbid)),
        );
        line(
            !self.allow.is_empty(),
            format!("allowed anyway: {}", globs(&self.allow)),
        );
        line(
            !self.require.is_empty(),
            format!("required entries: {}", globs(&self.require)),
        );
        if let Some(only) = &self.only {
            line(true, format!("only these may ship: {}", globs(only)));
        }
        line(
            self.unsafe_paths,
            "entries with `..`, absolute paths, links outside the artifact, devices, FIFOs".into(),
        );
        line(
            self.inspect_source_maps,
            "source maps: whether they embed sourcesContent, and how many files they expose".into(),
        );
        if let Some(n) = self.max_entries {
            line(true, format!("at most {n} entries"));
        }
        if let Some(s) = self.max_total_size {
            line(true, format!("at most {} in total", human_bytes(s.0)));
        }
        if let Some(s) = self.max_entry_size {
            line(true, format!("at most {} per entry", human_bytes(s.0)));
        }
        if let Some(g) = &self.new_entries {
            line(
                true,
                format!("entries new since the baseline artifact: {}", globs(g)),
            );
        }
        if let Some(pct) = self.max_growth_percent {
            line(
                true,
                format!("growth since the baseline artifact: at most {pct}%"),
            );
        }
        lines
    }

    fn wants(&self) -> Wants {
        Wants {
            source_maps: self.inspect_source_maps,
            baseline: self.wants_baseline().then(|| BaselineWant {
                param: self.baseline.clone(),
            }),
            ..Wants::default()
        }
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        let baseline = if self.wants_baseline() {
            let path = view
                .baseline_arg
                .map(|p| p.to_path_buf())
                .or_else(|| self.baseline.as_ref().map(|b| view.repo.root.join(b)));
            match path.map(|p| &view.baselines[&p]) {
                None => {
                    return Outcome::skip(
                        "needs a baseline artifact: --baseline PATH, or `baseline` in the check's params",
                    )
                }
                Some(Err(e)) => return Outcome::error(e.clone()),
                Some(Ok(b)) => Some(b),
            }
        } else {
            None
        };
        view.per_artifact(|a| Outcome::findings(evaluate(check, self, &a.data, baseline)))
    }

    fn has_samples(&self) -> bool {
        !self.wants_baseline()
    }

    fn run_sample(&self, check: &Meta, sample: &Sample) -> Result<usize, String> {
        let paths = sample.paths();
        let data = ArtifactData {
            display: "sample".into(),
            entries: paths
                .iter()
                .map(|path| {
                    let kind = if path.ends_with('/') {
                        EntryKind::Dir
                    } else {
                        EntryKind::File
                    };
                    (path.as_str(), kind)
                })
                .collect(),
            ..ArtifactData::default()
        };
        Ok(evaluate(check, self, &data, None).len())
    }
}

fn matches(g: &GlobList, e: &EntryMeta<'_>) -> bool {
    g.is_match(e.path) || g.is_match(e.rel)
}

/// Collects one artifact's findings.
struct Out<'a> {
    check: &'a Meta,
    artifact: &'a str,
    findings: Vec<Finding>,
}

impl Out<'_> {
    fn push(&mut self, path: Option<&str>, fields: Vec<(&str, String)>, default: String) {
        self.findings.push(Finding {
            message: self.check.render(|| default, &fields),
            location: Location {
                path: path.map(str::to_string),
                artifact: Some(self.artifact.to_string()),
                ..Location::new(Input::Artifact)
            },
            evidence: None,
        });
    }
}

fn evaluate(
    check: &Meta,
    p: &ArtifactFiles,
    a: &ArtifactData,
    baseline: Option<&ArtifactData>,
) -> Vec<Finding> {
    let mut out = Out {
        check,
        artifact: &a.display,
        findings: Vec::new(),
    };
    // The entries are walked once per rule, never collected: an artifact may hold a million.
    let entries = || a.entries.iter().filter(|e| !matches(&p.exclude, e));
    // What a container image's layers hold but its filesystem no longer shows (deleted or
    // replaced by a later layer) still ships in its blobs: leaks and unsafe entries count there too.
    let everything = || entries().chain(a.hidden.iter().filter(|e| !matches(&p.exclude, e)));
    if p.unsafe_paths {
        unsafe_entries(&mut out, everything(), a.image.is_some());
    }
    if !p.forbid.is_empty() {
        forbidden(&mut out, p, everything());
    }
    if let Some(only) = &p.only {
        for e in entries() {
            if matches!(e.kind, EntryKind::Dir) || matches(only, &e) {
                continue;
            }
            out.push(
                Some(e.path),
                vec![("path", e.path.to_string())],
                format!("{} is not in the allowlist of what may ship", e.path),
            );
        }
    }
    if !p.require.is_empty() {
        required(&mut out, p, entries());
    }
    budgets(&mut out, p, entries);
    if let Some(base) = baseline {
        against_baseline(&mut out, p, a, entries(), base);
    }
    out.findings
}

/// In a container image, a symlink resolves inside the image's own root filesystem, whatever its
/// target (`/usr/bin/python3`, `../../lib`): only the entries' own paths and devices are unsafe.
fn unsafe_entries<'a>(
    out: &mut Out<'_>,
    entries: impl Iterator<Item = EntryMeta<'a>>,
    rootfs: bool,
) {
    for e in entries {
        if rootfs && matches!(e.kind, EntryKind::Symlink(_)) {
            continue;
        }
        let entry = crate::inputs::artifact::Entry {
            path: e.path.to_string(),
            kind: e.kind.clone(),
            size: e.size,
        };
        if let Some(reason) = unsafe_reason(&entry) {
            out.push(
                Some(e.path),
                vec![("path", e.path.to_string()), ("detail", reason.clone())],
                format!("unsafe entry: {reason}"),
            );
        }
    }
}

fn forbidden<'a>(
    out: &mut Out<'_>,
    p: &ArtifactFiles,
    entries: impl Iterator<Item = EntryMeta<'a>>,
) {
    // Folder globs (`.git/`) are reported once per folder, with the count of entries in it.
    let folder_globs: Vec<(usize, globset::GlobMatcher)> = p
        .forbid
        .sources
        .iter()
        .enumerate()
        .filter(|(_, s)| s.ends_with('/'))
        .filter_map(|(i, s)| {
            let last = s.trim_end_matches('/').rsplit('/').next()?;
            compile_glob(last).ok().map(|_| {
                let g = globset::GlobBuilder::new(last)
                    .literal_separator(true)
                    .build()
                    .unwrap();
                (i, g.compile_matcher())
            })
        })
        .collect();
    let mut folders: BTreeMap<String, (String, u64)> = BTreeMap::new();
    for e in entries {
        if matches!(e.kind, EntryKind::Dir) && folder_globs.is_empty() {
            continue;
        }
        let mut hits = p.forbid.matches(e.path);
        hits.extend(p.forbid.matches(e.rel));
        if hits.is_empty() || matches(&p.allow, &e) {
            continue;
        }
        if let Some((gi, m)) = folder_globs.iter().find(|(gi, _)| hits.contains(gi)) {
            // The folder: the path up to the first component the folder glob matches.
            let comps: Vec<&str> = e.path.split('/').collect();
            if let Some(k) = comps.iter().position(|c| m.is_match(c)) {
                let folder = format!("{}/", comps[..=k].join("/"));
                let entry = folders
                    .entry(folder)
                    .or_insert((p.forbid.sources[*gi].clone(), 0));
                if !matches!(e.kind, EntryKind::Dir) {
                    entry.1 += 1;
                }
                continue;
            }
        }
        if matches!(e.kind, EntryKind::Dir) {
            continue;
        }
        let glob = p.forbid.sources[hits[0]].clone();
        let detail = match (&e.map, p.inspect_source_maps) {
            (Some(m), true) => map_detail(m),
            _ => String::new(),
        };
        let default = if detail.is_empty() {
            format!("{} ships (matches `{glob}`)", e.path)
        } else {
            format!("{} ships: {detail}", e.path)
        };
        out.push(
            Some(e.path),
            vec![
                ("path", e.path.to_string()),
                ("glob", glob),
                ("size", human_bytes(e.size)),
                ("detail", detail),
            ],
            default,
        );
    }
    for (folder, (glob, n)) in folders {
        out.push(
            Some(&folder),
            vec![
                ("path", folder.clone()),
                ("glob", glob.clone()),
                ("detail", format!("{n} files")),
            ],
            format!(
                "{folder} ships ({} file{} inside, matches `{glob}`)",
                thousands(n),
                if n == 1 { "" } else { "s" }
            ),
        );
    }
}

fn required<'a>(
    out: &mut Out<'_>,
    p: &ArtifactFiles,
    entries: impl Iterator<Item = EntryMeta<'a>>,
) {
    let mut seen = vec![false; p.require.sources.len()];
    for e in entries {
        for i in p
            .require
            .matches(e.path)
            .into_iter()
            .chain(p.require.matches(e.rel))
        {
            seen[i] = true;
        }
    }
    for (i, glob) in p.require.sources.iter().enumerate() {
        if !seen[i] {
            out.push(
                None,
                vec![("glob", glob.clone())],
                format!("no entry matches `{glob}`: it is missing from the artifact"),
            );
        }
    }
}

fn budgets<'a, I: Iterator<Item = EntryMeta<'a>>>(
    out: &mut Out<'_>,
    p: &ArtifactFiles,
    entries: impl Fn() -> I,
) {
    let files = entries()
        .filter(|e| !matches!(e.kind, EntryKind::Dir))
        .count() as u64;
    if let Some(max) = p.max_entries {
        if files > max {
            out.push(
                None,
                vec![("detail", format!("{files} entries"))],
                format!(
                    "{} entries, over the budget of {}",
                    thousands(files),
                    thousands(max)
                ),
            );
        }
    }
    let total: u64 = entries().map(|e| e.size).sum();
    if let Some(max) = p.max_total_size {
        if total > max.0 {
            out.push(
                None,
                vec![("size", human_bytes(total))],
                format!(
                    "{} uncompressed, over the budget of {}",
                    human_bytes(total),
                    human_bytes(max.0)
                ),
            );
        }
    }
    if let Some(max) = p.max_entry_size {
        for e in entries().filter(|e| e.size > max.0) {
            out.push(
                Some(e.path),
                vec![("path", e.path.to_string()), ("size", human_bytes(e.size))],
                format!(
                    "{} is {}, over the per-entry budget of {}",
                    e.path,
                    human_bytes(e.size),
                    human_bytes(max.0)
                ),
            );
        }
    }
}

fn against_baseline<'a>(
    out: &mut Out<'_>,
    p: &ArtifactFiles,
    a: &ArtifactData,
    entries: impl Iterator<Item = EntryMeta<'a>>,
    base: &ArtifactData,
) {
    if let Some(globs) = &p.new_entries {
        let before: HashSet<&str> = base.entries.iter().map(|e| e.rel).collect();
        for e in entries {
            if matches!(e.kind, EntryKind::Dir) || before.contains(e.rel) || !matches(globs, &e) {
                continue;
            }
            out.push(
                Some(e.path),
                vec![("path", e.path.to_string()), ("size", human_bytes(e.size))],
                format!("{} is new since the baseline {}", e.path, base.display),
            );
        }
    }
    if let Some(pct) = p.max_growth_percent {
        let b = base.bytes.max(1) as f64;
        let growth = (a.bytes as f64 - b) / b * 100.0;
        if growth > pct {
            out.push(
                None,
                vec![
                    ("size", human_bytes(a.bytes)),
                    ("detail", format!("{growth:.1}%")),
                ],
                format!(
                    "grew {growth:.1}% since the baseline ({} → {}), over the limit of {pct}%",
                    human_bytes(base.bytes),
                    human_bytes(a.bytes)
                ),
            );
        }
    }
}

fn map_detail(m: &MapInfo) -> String {
    match m {
        MapInfo::Parsed {
            sources,
            with_content,
        } if *with_content > 0 => format!(
            "source map embeds sourcesContent: exposes {} original source file{}",
            thousands(*with_content),
            if *with_content == 1 { "" } else { "s" }
        ),
        MapInfo::Parsed { sources, .. } => format!(
            "source map names {} original file{} (no sourcesContent)",
            thousands(*sources),
            if *sources == 1 { "" } else { "s" }
        ),
        MapInfo::TooLarge => "source map (too large to inspect)".into(),
        MapInfo::Unreadable => "source map (not valid JSON)".into(),
    }
}
