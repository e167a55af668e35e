//! The artifact pass: one streaming read of one artifact for every artifact check. It keeps each
//! entry's metadata (for `artifact-files`), runs the shared content matcher on each file's content
//! (for `artifact-content`), and inspects source maps, while the content is in memory once.

use std::path::Path;

use crate::inputs::artifact::{self, Budgets, Entry, EntryKind, Visitor};
use crate::inputs::content::{ContentMatcher, RawMatch, Subject};
use crate::report::model::{ArtifactInfo, NotScanned};
use serde::Deserialize;

const MAX_NOT_SCANNED_LISTED: usize = 50;
const BINARY_SNIFF: usize = 8192;

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
    /// For a container image: entries of its layers that its filesystem no longer has (deleted or
    /// replaced by a later layer), still in its blobs. Leak checks look at them too.
    pub hidden: Vec<EntryMeta>,
    /// For a container image: what it is, beyond its files.
    pub image: Option<std::sync::Arc<crate::inputs::image::ImageData>>,
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

pub struct ArtifactScan {
    pub data: ArtifactData,
    pub info: ArtifactInfo,
    pub matches: Vec<(String, RawMatch)>,
    pub suppressed: Vec<usize>,
    /// The artifact could not be read to the end: every artifact check of this run is `error`.
    pub error: Option<String>,
    /// Whether `info` is listed in the report (the second and later images of one artifact share
    /// the first one's).
    pub listed: bool,
}

pub struct Options<'a> {
    pub budgets: Budgets,
    pub matcher: Option<&'a ContentMatcher>,
    pub inspect_maps: bool,
    /// Check ids by owner (`Sync`: an image's layers are matched on a second thread).
    pub ids: &'a (dyn Fn(usize) -> String + Sync),
    /// Bumped once per entry, for a progress display.
    pub counter: Option<&'a std::sync::atomic::AtomicU64>,
    /// `--platform os/arch[/variant]`: of a multi-platform image, only this platform.
    pub platform: Option<&'a str>,
}

struct Collect<'a> {
    opts: &'a Options<'a>,
    top: Option<Option<String>>,
    entries: Vec<EntryMeta>,
    matches: Vec<(String, RawMatch)>,
    suppressed: Vec<usize>,
    not_scanned: Vec<NotScanned>,
    not_scanned_total: u64,
    /// A pattern that could not be compiled: the content checks cannot be decided.
    pattern_error: Option<String>,
}

impl Visitor for Collect<'_> {
    fn entry(&mut self, e: &Entry, content: Option<&[u8]>) {
        if let Some(c) = self.opts.counter {
            c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        // The common top folder is taken from the first entry (npm's `package/`, a crate's
        // `name-version/`); entries outside it keep their full path.
        let top = self.top.get_or_insert_with(|| {
            let p = e.path.trim_start_matches("./");
            match p.find('/') {
                Some(i) => Some(p[..i].to_string()),
                None if e.kind == EntryKind::Dir => Some(p.to_string()),
                None => None,
            }
        });
        let path = e.path.trim_start_matches("./");
        let rel = match top {
            Some(t) => path
                .strip_prefix(t.as_str())
                .and_then(|r| r.strip_prefix('/'))
                .unwrap_or(path)
                .to_string(),
            None => path.to_string(),
        };
        let mut map = None;
        if e.kind == EntryKind::File {
            if self.opts.inspect_maps && path.ends_with(".map") {
                map = Some(content.map_or(MapInfo::TooLarge, inspect_map));
            }
            match content {
                Some(data) => {
                    if let Some(m) = self.opts.matcher {
                        let mut owners = m.owners_for(path);
                        for o in m.owners_for(&rel) {
                            if !owners.contains(&o) {
                                owners.push(o);
                            }
                        }
                        let sniff = &data[..data.len().min(BINARY_SNIFF)];
                        if !owners.is_empty() && !sniff.contains(&0) {
                            let file = Subject {
                                paths: &[path, &rel],
                                material: None,
                            };
                            let out = m.scan(&file, &owners, data, self.opts.ids);
                            self.suppressed.extend(out.suppressed);
                            if let Some((_, e)) = out.errors.into_iter().next() {
                                self.pattern_error.get_or_insert(e);
                            }
                            self.matches
                                .extend(out.matches.into_iter().map(|m| (path.to_string(), m)));
                        }
                    }
                }
                None => {
                    self.not_scanned_total += 1;
                    if self.not_scanned.len() < MAX_NOT_SCANNED_LISTED {
                        self.not_scanned.push(NotScanned {
                            path: path.to_string(),
                            bytes: e.size,
                        });
                    }
                }
            }
        }
        self.entries.push(EntryMeta {
            path: e.path.clone(),
            rel,
            kind: e.kind.clone(),
            size: e.size,
            map,
        });
    }
}

/// Reads the artifact at `path` once.
pub fn scan(path: &Path, display: String, opts: &Options<'_>) -> ArtifactScan {
    let mut c = Collect {
        opts,
        top: None,
        entries: Vec::new(),
        matches: Vec::new(),
        suppressed: Vec::new(),
        not_scanned: Vec::new(),
        not_scanned_total: 0,
        pattern_error: None,
    };
    let (summary, error) = match artifact::read(path, &opts.budgets, &mut c) {
        Ok(s) => (s, None),
        Err((s, e)) => (s, Some(format!("{display}: {e}"))),
    };
    let error = error.or(c.pattern_error.take());
    ArtifactScan {
        info: ArtifactInfo {
            path: display.clone(),
            entries: summary.entries,
            bytes: summary.bytes,
            sha256: summary.sha256,
            format: summary.format.map(|f| f.as_str()),
            not_scanned: c.not_scanned,
            images: Vec::new(),
        },
        data: ArtifactData {
            display,
            entries: c.entries,
            bytes: summary.bytes,
            ..ArtifactData::default()
        },
        matches: c.matches,
        suppressed: c.suppressed,
        error,
        listed: true,
    }
}
