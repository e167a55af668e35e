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

/// One entry as kept after the pass (no content): a view into [`Entries`].
#[derive(Debug, Clone)]
pub struct EntryMeta<'a> {
    pub path: &'a str,
    /// The path without the artifact's common top folder (npm's `package/`), if it has one.
    pub rel: &'a str,
    pub kind: EntryKind,
    pub size: u64,
    pub map: Option<MapInfo>,
}

/// Every entry of an artifact, kept compactly: the names in one buffer, 24 bytes of fixed state
/// per entry, link targets and source-map details aside (few entries have them). The names kept
/// are bounded (`Budgets::max_names`): a million long names cannot exhaust the memory.
#[derive(Debug, Clone, Default)]
pub struct Entries {
    names: String,
    items: Vec<Item>,
    links: std::collections::HashMap<u32, String>,
    maps: std::collections::HashMap<u32, MapInfo>,
}

#[derive(Debug, Clone, Copy)]
struct Item {
    start: u32,
    len: u32,
    size: u64,
    /// Where `rel` starts inside the path.
    rel: u16,
    kind: u8,
}

const FILE: u8 = 0;
const DIR: u8 = 1;
const SYMLINK: u8 = 2;
const HARDLINK: u8 = 3;
/// Special kinds: their names, by code - 4.
const SPECIAL: [&str; 4] = ["character device", "block device", "FIFO", "special entry"];

impl Entries {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The bytes of names kept so far.
    pub fn name_bytes(&self) -> usize {
        self.names.len()
    }

    /// Adds one entry (`rel` must be a suffix of `path`).
    pub fn push(
        &mut self,
        path: &str,
        rel: &str,
        kind: &EntryKind,
        size: u64,
        map: Option<MapInfo>,
    ) {
        let index = self.items.len() as u32;
        let start = self.names.len() as u32;
        self.names.push_str(path);
        let rel_at = path.len().saturating_sub(rel.len()).min(u16::MAX as usize) as u16;
        let code = match kind {
            EntryKind::File => FILE,
            EntryKind::Dir => DIR,
            EntryKind::Symlink(l) => {
                self.links.insert(index, l.clone());
                SYMLINK
            }
            EntryKind::Hardlink(l) => {
                self.links.insert(index, l.clone());
                HARDLINK
            }
            EntryKind::Special(name) => {
                4 + SPECIAL.iter().position(|s| s == name).unwrap_or(3) as u8
            }
        };
        if let Some(m) = map {
            self.maps.insert(index, m);
        }
        self.items.push(Item {
            start,
            len: path.len() as u32,
            size,
            rel: rel_at,
            kind: code,
        });
    }

    pub fn iter(&self) -> impl Iterator<Item = EntryMeta<'_>> + '_ {
        self.items.iter().enumerate().map(|(i, it)| {
            let path = &self.names[it.start as usize..(it.start + it.len) as usize];
            let link = || self.links.get(&(i as u32)).cloned().unwrap_or_default();
            let kind = match it.kind {
                FILE => EntryKind::File,
                DIR => EntryKind::Dir,
                SYMLINK => EntryKind::Symlink(link()),
                HARDLINK => EntryKind::Hardlink(link()),
                k => EntryKind::Special(SPECIAL[(k as usize - 4).min(3)]),
            };
            EntryMeta {
                path,
                rel: path.get(it.rel as usize..).unwrap_or(path),
                kind,
                size: it.size,
                map: self.maps.get(&(i as u32)).cloned(),
            }
        })
    }
}

impl<'a> FromIterator<(&'a str, EntryKind)> for Entries {
    /// Entries with no top folder and no size (samples).
    fn from_iter<I: IntoIterator<Item = (&'a str, EntryKind)>>(iter: I) -> Self {
        let mut e = Entries::default();
        for (path, kind) in iter {
            e.push(path, path, &kind, 0, None);
        }
        e
    }
}

/// Everything the pass kept about one artifact.
#[derive(Debug, Clone, Default)]
pub struct ArtifactData {
    pub display: String,
    pub entries: Entries,
    pub bytes: u64,
    /// For a container image: entries of its layers that its filesystem no longer has (deleted or
    /// replaced by a later layer), still in its blobs. Leak checks look at them too.
    pub hidden: Entries,
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
    /// Check ids by owner (`Sync`: files are matched on other threads).
    pub ids: &'a (dyn Fn(usize) -> String + Sync),
    /// Bumped once per entry, for a progress display.
    pub counter: Option<&'a std::sync::atomic::AtomicU64>,
    /// `--platform os/arch[/variant]`: of a multi-platform image, only this platform.
    pub platform: Option<&'a str>,
}

struct Collect<'a> {
    opts: &'a Options<'a>,
    top: Option<Option<String>>,
    entries: Entries,
    /// The name budget was exceeded: reading stops with this error.
    over_names: Option<String>,
    /// A wheel's `*.dist-info/RECORD`, kept to compare with the entries.
    record: Option<(String, Vec<u8>)>,
    /// Files for the matcher threads, while the artifact is read (with a content matcher).
    matching: Option<Sender>,
    index: usize,
    not_scanned: Vec<NotScanned>,
    not_scanned_total: u64,
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
                .unwrap_or(path),
            None => path,
        };
        let mut map = None;
        if e.kind == EntryKind::File && path.ends_with(".dist-info/RECORD") {
            if let Some(c) = content {
                self.record = Some((path.to_string(), c.to_vec()));
            }
        }
        if e.kind == EntryKind::File {
            if self.opts.inspect_maps && path.ends_with(".map") {
                map = Some(content.map_or(MapInfo::TooLarge, inspect_map));
            }
            match content {
                Some(data) => {
                    if let (Some(m), Some(tx)) = (self.opts.matcher, &self.matching) {
                        let mut owners = m.owners_for(path);
                        for o in m.owners_for(rel) {
                            if !owners.contains(&o) {
                                owners.push(o);
                            }
                        }
                        if !owners.is_empty() && !looks_binary(data) {
                            self.index += 1;
                            tx.send(Job {
                                index: self.index,
                                path: path.to_string(),
                                rel: Some(rel.to_string()),
                                owners,
                                data: data.to_vec(),
                            });
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
        if self.entries.name_bytes() + e.path.len() > self.opts.budgets.max_names as usize {
            self.over_names.get_or_insert_with(|| {
                format!(
                    "the entries' names take more than {}: over the name budget (an archive built to exhaust memory?)",
                    crate::text::human_bytes(self.opts.budgets.max_names)
                )
            });
            return;
        }
        self.entries.push(&e.path, rel, &e.kind, e.size, map);
    }

    fn stop(&self) -> Option<String> {
        self.over_names.clone()
    }
}

/// A wheel's RECORD against its entries: every file is listed (but RECORD and its signatures),
/// every listed file is there, with the size RECORD gives. A mismatch is a broken build or a
/// tampered wheel; pip refuses to install it.
fn wheel_record(entries: &Entries, record: Option<&(String, Vec<u8>)>) -> Option<String> {
    let Some((at, text)) = record else {
        return Some("a wheel without a *.dist-info/RECORD: a broken build".into());
    };
    let mut listed: std::collections::HashMap<String, Option<u64>> = Default::default();
    for line in String::from_utf8_lossy(text)
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        // `path,hash,size`; a path with a comma is quoted.
        let (path, rest) = match line.strip_prefix('"') {
            Some(q) => match q.split_once("\",") {
                Some((p, r)) => (p.replace("\"\"", "\""), r),
                None => return Some(format!("{at}: a line that does not parse: `{line}`")),
            },
            None => match line.split_once(',') {
                Some((p, r)) => (p.to_string(), r),
                None => return Some(format!("{at}: a line that does not parse: `{line}`")),
            },
        };
        let size = rest.rsplit(',').next().and_then(|s| s.trim().parse().ok());
        listed.insert(path, size);
    }
    let mut problems = Vec::new();
    let mut present = std::collections::HashSet::new();
    for e in entries.iter().filter(|e| e.kind == EntryKind::File) {
        present.insert(e.path.to_string());
        let signature =
            e.path.ends_with(".dist-info/RECORD.jws") || e.path.ends_with(".dist-info/RECORD.p7s");
        match listed.get(e.path) {
            None if e.path != at && !signature => {
                problems.push(format!("`{}` is not in RECORD", e.path))
            }
            Some(Some(size)) if *size != e.size => problems.push(format!(
                "`{}` is {} bytes, RECORD says {size}",
                e.path, e.size
            )),
            _ => {}
        }
    }
    for p in listed.keys().filter(|p| !present.contains(*p)) {
        problems.push(format!("`{p}` is in RECORD but not in the wheel"));
    }
    if problems.is_empty() {
        return None;
    }
    problems.sort();
    let n = problems.len();
    problems.truncate(5);
    Some(format!(
        "the wheel's RECORD does not match its entries ({n} difference(s): {}): a broken build or a tampered wheel",
        problems.join("; ")
    ))
}

/// Files are matched on other threads while an archive is read and inflated on this one; the
/// files waiting or being matched take at most this many bytes (one larger file at a time), so
/// memory stays bounded whatever the entries.
const IN_FLIGHT: usize = 24 << 20;
const QUEUE: usize = 64;

/// Whether the first bytes of a file say it is binary (a NUL): the content checks skip it.
pub fn looks_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(BINARY_SNIFF)]).is_some()
}

/// The bytes of the files handed to the matcher threads and not yet matched.
#[derive(Default)]
struct InFlight {
    bytes: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

impl InFlight {
    fn take(&self, n: usize) {
        let mut b = self.bytes.lock().unwrap_or_else(|e| e.into_inner());
        while *b > 0 && *b + n > IN_FLIGHT {
            b = self.freed.wait(b).unwrap_or_else(|e| e.into_inner());
        }
        *b += n;
    }

    fn give(&self, n: usize) {
        let mut b = self.bytes.lock().unwrap_or_else(|e| e.into_inner());
        *b = b.saturating_sub(n);
        self.freed.notify_all();
    }
}

/// Gives its bytes back to the in-flight budget when dropped.
struct Freed<'a>(&'a InFlight, usize);

impl Drop for Freed<'_> {
    fn drop(&mut self) {
        self.0.give(self.1);
    }
}

/// A file for the content matcher: `path`, and `rel` when it is also known by another path
/// (an npm package's entries without `package/`).
pub struct Job {
    pub index: usize,
    pub path: String,
    pub rel: Option<String>,
    pub owners: Vec<usize>,
    pub data: Vec<u8>,
}

/// What the matcher threads found: (entry index, entry path, match), in entry order.
#[derive(Default)]
pub struct Found {
    pub matches: Vec<(usize, String, RawMatch)>,
    pub suppressed: Vec<usize>,
    pub pattern_error: Option<String>,
}

impl Found {
    fn scan(&mut self, m: &ContentMatcher, ids: &(dyn Fn(usize) -> String + Sync), job: Job) {
        let paths = [job.path.as_str(), job.rel.as_deref().unwrap_or_default()];
        let file = Subject {
            paths: &paths[..if job.rel.is_some() { 2 } else { 1 }],
            material: None,
        };
        let out = m.scan(&file, &job.owners, &job.data, ids);
        self.suppressed.extend(out.suppressed);
        if let Some((_, e)) = out.errors.into_iter().next() {
            self.pattern_error.get_or_insert(e);
        }
        self.matches.extend(
            out.matches
                .into_iter()
                .map(|m| (job.index, job.path.clone(), m)),
        );
    }

    fn add(&mut self, other: Found) {
        self.matches.extend(other.matches);
        self.suppressed.extend(other.suppressed);
        if let Some(e) = other.pattern_error {
            self.pattern_error.get_or_insert(e);
        }
    }
}

/// Hands files to the matcher threads of a [`Matching`].
#[derive(Clone)]
pub struct Sender {
    tx: std::sync::mpsc::SyncSender<Job>,
    flight: std::sync::Arc<InFlight>,
}

impl Sender {
    /// Waits while the in-flight budget is spent. A send fails only when a matcher thread
    /// panicked: [`Matching::finish`] says so.
    pub fn send(&self, job: Job) {
        self.flight.take(job.data.len());
        let _ = self.tx.send(job);
    }
}

/// Content matching on as many threads as there are cores beside the reader (the one thread of
/// an archive's pass that reads and inflates it): the pass takes about as long as the slower of
/// reading and matching, not their sum. Shared by plain archives and image layers.
pub struct Matching<'scope> {
    sender: Sender,
    workers: Vec<std::thread::ScopedJoinHandle<'scope, Found>>,
}

impl<'scope> Matching<'scope> {
    pub fn start<'env>(
        s: &'scope std::thread::Scope<'scope, 'env>,
        m: &'env ContentMatcher,
        ids: &'env (dyn Fn(usize) -> String + Sync),
    ) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Job>(QUEUE);
        let flight = std::sync::Arc::new(InFlight::default());
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let n = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
        let workers = (0..n)
            .map(|_| {
                let (rx, flight) = (rx.clone(), flight.clone());
                s.spawn(move || {
                    let mut found = Found::default();
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => break,
                        };
                        let Ok(job) = job else { break };
                        // Given back even if matching panics, so the reader never waits for
                        // bytes no one will free.
                        let _freed = Freed(&flight, job.data.len());
                        found.scan(m, ids, job);
                    }
                    found
                })
            })
            .collect();
        Matching {
            sender: Sender { tx, flight },
            workers,
        }
    }

    pub fn sender(&self) -> Sender {
        self.sender.clone()
    }

    /// Waits for every file handed over (every [`Sender`] cloned from this one must be dropped
    /// first) and gives what was found, in entry order.
    pub fn finish(self) -> Found {
        drop(self.sender);
        let mut found = Found::default();
        for w in self.workers {
            found.add(w.join().expect("the content matcher does not panic"));
        }
        found.matches.sort_by_key(|(i, _, _)| *i);
        found
    }
}

/// Reads the artifact at `path` once.
pub fn scan(path: &Path, display: String, opts: &Options<'_>) -> ArtifactScan {
    let mut c = Collect {
        opts,
        top: None,
        entries: Entries::default(),
        over_names: None,
        record: None,
        matching: None,
        index: 0,
        not_scanned: Vec::new(),
        not_scanned_total: 0,
    };
    let (read, found) = std::thread::scope(|s| {
        let matching = opts.matcher.map(|m| Matching::start(s, m, opts.ids));
        c.matching = matching.as_ref().map(Matching::sender);
        let read = artifact::read(path, &opts.budgets, &mut c);
        c.matching = None;
        (read, matching.map(Matching::finish).unwrap_or_default())
    });
    let (summary, error) = match read {
        Ok(s) => (s, None),
        Err((s, e)) => (s, Some(format!("{display}: {e}"))),
    };
    let is_wheel = path
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("whl"));
    let error = error
        .or_else(|| {
            is_wheel
                .then(|| wheel_record(&c.entries, c.record.as_ref()))
                .flatten()
                .map(|e| format!("{display}: {e}"))
        })
        .or(found.pattern_error);
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
        matches: found.matches.into_iter().map(|(_, p, m)| (p, m)).collect(),
        suppressed: found.suppressed,
        error,
        listed: true,
    }
}
