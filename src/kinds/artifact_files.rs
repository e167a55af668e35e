//! `artifact-files`: what a built artifact contains, by entry path: forbidden and required entries,
//! an allowlist, budgets on entry count and sizes, unsafe entries (`..`, absolute paths, links out
//! of the artifact), source maps and what they expose, and what is new since a baseline artifact.
//! Globs match the path inside the artifact, with and without a common top folder such as npm's
//! `package/`, so `dist/*.map` and `package/dist/*.map` both work.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use crate::check::Input;
use crate::check::{compile_glob, Check, GlobList};
use crate::config::raw::ByteSize;
use crate::inputs::artifact::{unsafe_reason, EntryKind};
use crate::kinds::Outcome;
use crate::report::model::{Finding, Location};
use crate::text::{human_bytes, thousands};

pub const FIELDS: &[&str] = &["path", "artifact", "glob", "size", "detail"];

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Params {
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

impl Params {
    /// Whether the check compares against a baseline (and is skipped without one).
    pub fn wants_baseline(&self) -> bool {
        self.new_entries.is_some() || self.max_growth_percent.is_some()
    }
}

/// What a source map exposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapInfo {
    /// `sources` count, and how many of them have their content embedded.
    Parsed {
        sources: u64,
        with_content: u64,
    },
    TooLarge,
    Unreadable,
}

/// One entry as kept after the pass (no content).
#[derive(Debug, Clone)]
pub struct EntryMeta {
    pub path: String,
    /// The path without the artifact's common top folder (npm's `package/`), if it has one.
    pub rel: String,
    pub kind: EntryKind,
    pub size: u64,
    pub map: Option<MapInfo>,
}

/// Everything the pass kept about one artifact.
#[derive(Debug, Clone, Default)]
pub struct ArtifactData {
    pub display: String,
    pub entries: Vec<EntryMeta>,
    pub bytes: u64,
}

fn matches(g: &GlobList, e: &EntryMeta) -> bool {
    g.is_match(&e.path) || g.is_match(&e.rel)
}

pub fn evaluate(
    check: &Check,
    p: &Params,
    a: &ArtifactData,
    baseline: Option<&ArtifactData>,
) -> Outcome {
    let mut findings = Vec::new();
    let loc = |path: Option<&str>| Location {
        path: path.map(str::to_string),
        artifact: Some(a.display.clone()),
        ..Location::new(Input::Artifact)
    };
    let mut push = |path: Option<&str>, fields: Vec<(&str, String)>, default: String| {
        findings.push(Finding {
            message: check.render(|| default, &fields),
            location: loc(path),
            evidence: None,
        });
    };
    let entries: Vec<&EntryMeta> = a
        .entries
        .iter()
        .filter(|e| !matches(&p.exclude, e))
        .collect();

    if p.unsafe_paths {
        for e in &entries {
            let entry = crate::inputs::artifact::Entry {
                path: e.path.clone(),
                kind: e.kind.clone(),
                size: e.size,
            };
            if let Some(reason) = unsafe_reason(&entry) {
                push(
                    Some(&e.path),
                    vec![("path", e.path.clone()), ("detail", reason.clone())],
                    format!("unsafe entry: {reason}"),
                );
            }
        }
    }

    if !p.forbid.is_empty() {
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
        for e in &entries {
            if matches!(e.kind, EntryKind::Dir) && folder_globs.is_empty() {
                continue;
            }
            let mut hits = p.forbid.matches(&e.path);
            hits.extend(p.forbid.matches(&e.rel));
            if hits.is_empty() || matches(&p.allow, e) {
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
            push(
                Some(&e.path),
                vec![
                    ("path", e.path.clone()),
                    ("glob", glob),
                    ("size", human_bytes(e.size)),
                    ("detail", detail),
                ],
                default,
            );
        }
        for (folder, (glob, n)) in folders {
            push(
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

    if let Some(only) = &p.only {
        for e in &entries {
            if matches!(e.kind, EntryKind::Dir) || matches(only, e) {
                continue;
            }
            push(
                Some(&e.path),
                vec![("path", e.path.clone())],
                format!("{} is not in the allowlist of what may ship", e.path),
            );
        }
    }

    if !p.require.is_empty() {
        let mut seen = vec![false; p.require.sources.len()];
        for e in &entries {
            for i in p
                .require
                .matches(&e.path)
                .into_iter()
                .chain(p.require.matches(&e.rel))
            {
                seen[i] = true;
            }
        }
        for (i, glob) in p.require.sources.iter().enumerate() {
            if !seen[i] {
                push(
                    None,
                    vec![("glob", glob.clone())],
                    format!("no entry matches `{glob}`: it is missing from the artifact"),
                );
            }
        }
    }

    let files = entries
        .iter()
        .filter(|e| !matches!(e.kind, EntryKind::Dir))
        .count() as u64;
    if let Some(max) = p.max_entries {
        if files > max {
            push(
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
    let total: u64 = entries.iter().map(|e| e.size).sum();
    if let Some(max) = p.max_total_size {
        if total > max.0 {
            push(
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
        for e in entries.iter().filter(|e| e.size > max.0) {
            push(
                Some(&e.path),
                vec![("path", e.path.clone()), ("size", human_bytes(e.size))],
                format!(
                    "{} is {}, over the per-entry budget of {}",
                    e.path,
                    human_bytes(e.size),
                    human_bytes(max.0)
                ),
            );
        }
    }

    if let Some(base) = baseline {
        if let Some(globs) = &p.new_entries {
            let before: HashSet<&str> = base.entries.iter().map(|e| e.rel.as_str()).collect();
            for e in &entries {
                if matches!(e.kind, EntryKind::Dir)
                    || before.contains(e.rel.as_str())
                    || !matches(globs, e)
                {
                    continue;
                }
                push(
                    Some(&e.path),
                    vec![("path", e.path.clone()), ("size", human_bytes(e.size))],
                    format!("{} is new since the baseline {}", e.path, base.display),
                );
            }
        }
        if let Some(pct) = p.max_growth_percent {
            let b = base.bytes.max(1) as f64;
            let growth = (a.bytes as f64 - b) / b * 100.0;
            if growth > pct {
                push(
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

    Outcome {
        findings,
        ..Outcome::default()
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

/// Reads what a source map exposes.
pub fn inspect_map(content: &[u8]) -> MapInfo {
    #[derive(Deserialize)]
    struct Map {
        #[serde(default)]
        sources: Vec<serde::de::IgnoredAny>,
        #[serde(default, rename = "sourcesContent")]
        sources_content: Vec<Option<serde::de::IgnoredAny>>,
    }
    match serde_json::from_slice::<Map>(content) {
        Ok(m) => MapInfo::Parsed {
            sources: m.sources.len() as u64,
            with_content: m.sources_content.iter().filter(|c| c.is_some()).count() as u64,
        },
        Err(_) => MapInfo::Unreadable,
    }
}
