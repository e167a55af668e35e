//! The repository pass: one parallel, `.gitignore`-aware walk of the work tree that lists every
//! file for `repo-files` and feeds each selected file's contents, read once, to the content
//! matcher shared by all content checks. Tracked files that a `.gitignore` hides (a force-added
//! `.env`) are listed and scanned too: they ship.

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

use ignore::{ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

use crate::inputs::content::{ContentMatcher, RawMatch, Subject};
use crate::inputs::material::{Material, Materials};
use crate::report::model::{NotScanned, ScanStats};
use crate::types::GlobList;

/// How many bytes are inspected to decide that a file is binary (as git and ripgrep do: a NUL).
const BINARY_SNIFF: usize = 8192;
/// At most this many unscanned large files are named in the report (all are counted).
const MAX_NOT_SCANNED_LISTED: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoFile {
    /// Relative to the repository root, `/`-separated.
    pub path: String,
    pub tracked: bool,
    /// What the file is when it does not ship (a test, a doc…); `None`: it ships.
    pub material: Option<Material>,
    /// Whether the file's text holds `dockerfile` or `containerfile` (any case), when the walk
    /// read it whole (`None`: not read). A file that holds neither names no Dockerfile, so the
    /// search for what builds a variant Dockerfile (`references`) does not read it again.
    pub names_dockerfile: Option<bool>,
    /// A symbolic link (listed, never followed or read).
    pub symlink: bool,
}

/// A part of the repository that could not be read. `owners` are the content checks that wanted
/// it; `None` means the file list itself is incomplete, which affects every repository check.
#[derive(Debug, Clone)]
pub struct ReadError {
    pub path: String,
    pub message: String,
    pub owners: Option<Vec<usize>>,
}

#[derive(Default)]
pub struct RepoScan {
    pub files: Vec<RepoFile>,
    pub matches: Vec<(String, RawMatch)>,
    /// The contents of the files some check asked to read (manifests, compose files…), read
    /// during the same walk.
    pub kept: std::collections::BTreeMap<String, Vec<u8>>,
    pub errors: Vec<ReadError>,
    /// The variant-named Dockerfiles no file of the tree names, found the first time a check asks
    /// (`references::unbuilt`): the second read of the tree is made once, whichever checks ask.
    pub unbuilt_dockerfiles: std::sync::OnceLock<std::collections::BTreeSet<String>>,
    /// Owner of each finding silenced by `shipgate:allow`.
    pub suppressed: Vec<usize>,
    /// The content checks (by owner) whose selection takes in a listed file of the material
    /// they look at: a check absent here had nothing to look at (found during the walk, so that
    /// no check asks every path of the tree again afterwards).
    pub selected: HashSet<usize>,
    pub stats: ScanStats,
}

impl RepoScan {
    /// The kept files a check reads: those its own `globs` select (the walk keeps, in one map,
    /// what every running check asked for: a CI script beside the workflows is kept for one check
    /// and is no workflow for another), whose material `ships` accepts.
    pub fn kept_among(
        &self,
        globs: &[&str],
        ships: impl Fn(Option<Material>) -> bool,
    ) -> std::collections::BTreeMap<String, Vec<u8>> {
        let globs: Vec<String> = globs.iter().map(|g| g.to_string()).collect();
        let Ok(mine) = GlobList::new(&globs) else {
            return Default::default();
        };
        self.kept
            .iter()
            .filter(|(p, _)| mine.is_match(p))
            .filter(|(p, _)| {
                let i = self
                    .files
                    .binary_search_by(|f| f.path.as_str().cmp(p.as_str()));
                i.map_or(true, |i| ships(self.files[i].material))
            })
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect()
    }

    fn merge(&mut self, other: RepoScan) {
        self.files.extend(other.files);
        self.matches.extend(other.matches);
        self.kept.extend(other.kept);
        self.errors.extend(other.errors);
        self.suppressed.extend(other.suppressed);
        self.selected.extend(other.selected);
        self.stats.files += other.stats.files;
        self.stats.scanned += other.stats.scanned;
        self.stats.skipped_binary += other.stats.skipped_binary;
        self.stats.skipped_large += other.stats.skipped_large;
        self.stats.skipped_reports += other.stats.skipped_reports;
        self.stats.not_scanned.extend(other.stats.not_scanned);
    }
}

pub struct ScanOptions<'a> {
    pub root: &'a Path,
    /// Paths git tracks (`None` outside a git repository).
    pub tracked: Option<&'a HashSet<String>>,
    /// `settings.exclude`: paths no repository check looks at.
    pub exclude: &'a GlobList,
    /// `settings.material`: what does not ship.
    pub materials: &'a Materials,
    /// Checks (by index) and the files whose contents they need (`Wants::contents`).
    pub keep: &'a [(usize, GlobList)],
    pub matcher: Option<&'a ContentMatcher>,
    pub max_file_size: u64,
    /// Check id by owner index (for `shipgate:allow <id>`).
    pub ids: &'a (dyn Fn(usize) -> String + Sync),
    pub threads: usize,
    /// Bumped once per file, for a progress display.
    pub counter: Option<&'a std::sync::atomic::AtomicU64>,
}

pub fn scan(opts: &ScanOptions<'_>) -> RepoScan {
    let shared = Mutex::new(RepoScan::default());
    let mut builder = WalkBuilder::new(opts.root);
    builder
        .hidden(false)
        .ignore(false)
        .parents(false)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(true)
        .follow_links(false)
        .threads(opts.threads)
        .filter_entry(|e| e.file_name() != ".git");
    let mut vb = VisitorBuilder {
        opts,
        shared: &shared,
    };
    builder.build_parallel().visit(&mut vb);
    let mut out = shared.into_inner().unwrap_or_else(|e| e.into_inner());

    // Tracked files the walk did not see: ignored by a .gitignore, yet committed.
    if let Some(tracked) = opts.tracked {
        let seen: HashSet<&str> = out.files.iter().map(|f| f.path.as_str()).collect();
        let mut missing: Vec<&String> = tracked
            .iter()
            .filter(|p| !seen.contains(p.as_str()) && !opts.exclude.is_match(p))
            .collect();
        missing.sort();
        let unused = Mutex::new(RepoScan::default());
        let mut v = Visitor {
            opts,
            local: RepoScan::default(),
            shared: &unused,
            buf: Vec::new(),
            folders: Default::default(),
        };
        for p in missing {
            let full = opts.root.join(p);
            match std::fs::symlink_metadata(&full) {
                Ok(m) if m.file_type().is_file() => v.file(p.clone(), &full),
                Ok(m) if m.file_type().is_symlink() => v.symlink(p.clone(), true),
                _ => {} // deleted in the work tree, or not a regular file
            }
        }
        let extra = std::mem::take(&mut v.local);
        drop(v);
        out.merge(extra);
    }

    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.files.dedup_by(|a, b| a.path == b.path);
    out.stats.files = out.files.len() as u64;
    out.matches.sort_by(|a, b| {
        (&a.0, a.1.line, a.1.column, a.1.owner).cmp(&(&b.0, b.1.line, b.1.column, b.1.owner))
    });
    out.errors.sort_by(|a, b| a.path.cmp(&b.path));
    out.stats.not_scanned.sort_by(|a, b| a.path.cmp(&b.path));
    out.stats.not_scanned.truncate(MAX_NOT_SCANNED_LISTED);
    out
}

struct VisitorBuilder<'s, 'a> {
    opts: &'s ScanOptions<'a>,
    shared: &'s Mutex<RepoScan>,
}

impl<'s, 'a: 's> ParallelVisitorBuilder<'s> for VisitorBuilder<'s, 'a> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor {
            opts: self.opts,
            local: RepoScan::default(),
            shared: self.shared,
            buf: Vec::new(),
            folders: Default::default(),
        })
    }
}

struct Visitor<'s, 'a> {
    opts: &'s ScanOptions<'a>,
    local: RepoScan,
    shared: &'s Mutex<RepoScan>,
    buf: Vec<u8>,
    /// The material folder globs' answer for the folder last visited.
    folders: crate::inputs::material::FolderMemo,
}

impl Drop for Visitor<'_, '_> {
    fn drop(&mut self) {
        let local = std::mem::take(&mut self.local);
        if let Ok(mut s) = self.shared.lock() {
            s.merge(local);
        }
    }
}

impl ParallelVisitor for Visitor<'_, '_> {
    fn visit(&mut self, entry: Result<ignore::DirEntry, ignore::Error>) -> WalkState {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = error_path(&e, self.opts.root);
                self.local.errors.push(ReadError {
                    path,
                    message: e.to_string(),
                    owners: None,
                });
                return WalkState::Continue;
            }
        };
        if entry.depth() == 0 {
            return WalkState::Continue;
        }
        let Some(rel) = relative(entry.path(), self.opts.root) else {
            return WalkState::Continue;
        };
        let Some(ft) = entry.file_type() else {
            return WalkState::Continue;
        };
        if ft.is_dir() {
            return WalkState::Continue;
        }
        if self.opts.exclude.is_match(&rel) {
            return WalkState::Continue;
        }
        if ft.is_file() {
            self.file(rel, entry.path());
        } else if ft.is_symlink() {
            let tracked = self.is_tracked(&rel);
            self.symlink(rel, tracked);
        }
        // FIFOs, sockets and devices are neither listed nor opened: opening a FIFO would hang.
        WalkState::Continue
    }
}

impl Visitor<'_, '_> {
    fn is_tracked(&self, rel: &str) -> bool {
        self.opts.tracked.is_some_and(|t| t.contains(rel))
    }

    /// A symbolic link: listed (a committed symlink is a file to git), never followed or read.
    fn symlink(&mut self, rel: String, tracked: bool) {
        let material = self.opts.materials.of_in(&rel, &mut self.folders);
        self.owners(&rel, material);
        self.local.files.push(RepoFile {
            path: rel,
            tracked,
            material,
            names_dockerfile: None,
            symlink: true,
        });
    }

    /// The content checks whose selection takes in the file at `rel`; those of them that look at
    /// its material are recorded (`RepoScan::selected`).
    fn owners(&mut self, rel: &str, material: Option<Material>) -> Vec<usize> {
        let Some(m) = self.opts.matcher else {
            return Vec::new();
        };
        let owners = m.owners_for(rel);
        self.local
            .selected
            .extend(owners.iter().filter(|o| m.covers(**o, material)).copied());
        owners
    }

    fn file(&mut self, rel: String, full: &Path) {
        if let Some(c) = self.opts.counter {
            c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let tracked = self.is_tracked(&rel);
        let material = self.opts.materials.of_in(&rel, &mut self.folders);
        let owners = self.owners(&rel, material);
        let keepers: Vec<usize> = self
            .opts
            .keep
            .iter()
            .filter(|(_, g)| g.is_match(&rel))
            .map(|(i, _)| *i)
            .collect();
        let names_dockerfile = if !owners.is_empty() || !keepers.is_empty() {
            self.read_and_scan(&rel, material, full, &owners, &keepers)
        } else {
            None
        };
        self.local.files.push(RepoFile {
            path: rel,
            tracked,
            material,
            names_dockerfile,
            symlink: false,
        });
    }

    /// Reads the file once: its contents go to the content matcher (for `owners`) and are kept
    /// for the checks that asked for them (`keepers`). Returns, when the file was read whole,
    /// whether it names a Dockerfile (`RepoFile::names_dockerfile`).
    fn read_and_scan(
        &mut self,
        rel: &str,
        material: Option<Material>,
        full: &Path,
        owners: &[usize],
        keepers: &[usize],
    ) -> Option<bool> {
        let max = self.opts.max_file_size;
        let result = File::open(full).and_then(|f| {
            let len = f.metadata()?.len();
            if len > max {
                return Ok(Some(len));
            }
            self.buf.clear();
            f.take(max + 1).read_to_end(&mut self.buf)?;
            Ok(None)
        });
        let everyone = || owners.iter().chain(keepers).copied().collect::<Vec<_>>();
        match result {
            Err(e) => {
                self.local.errors.push(ReadError {
                    path: rel.to_string(),
                    message: format!("cannot read {rel}: {e}"),
                    owners: Some(everyone()),
                });
                None
            }
            Ok(Some(len)) => {
                self.large(rel, len, keepers);
                None
            }
            Ok(None) if self.buf.len() as u64 > max => {
                self.large(rel, self.buf.len() as u64, keepers);
                None
            }
            Ok(None) => {
                let names_dockerfile =
                    Some(crate::inputs::references::mentions_dockerfile(&self.buf));
                if !keepers.is_empty() {
                    self.local.kept.insert(rel.to_string(), self.buf.clone());
                }
                let Some(matcher) = self.opts.matcher.filter(|_| !owners.is_empty()) else {
                    return names_dockerfile;
                };
                let sniff = &self.buf[..self.buf.len().min(BINARY_SNIFF)];
                // memchr's SIMD search (the slice's `contains` reads a word at a time).
                if memchr::memchr(0, sniff).is_some() {
                    self.local.stats.skipped_binary += 1;
                    return names_dockerfile;
                }
                if crate::report::is_own_report(sniff) {
                    self.local.stats.skipped_reports += 1;
                    return names_dockerfile;
                }
                self.local.stats.scanned += 1;
                let file = Subject {
                    paths: &[rel],
                    material,
                };
                let out = matcher.scan(&file, owners, &self.buf, self.opts.ids);
                self.local.suppressed.extend(out.suppressed);
                self.local
                    .errors
                    .extend(out.errors.into_iter().map(|(owner, message)| ReadError {
                        path: rel.to_string(),
                        message,
                        owners: Some(vec![owner]),
                    }));
                self.local
                    .matches
                    .extend(out.matches.into_iter().map(|m| (rel.to_string(), m)));
                names_dockerfile
            }
        }
    }

    /// A file over the size limit: listed, not scanned; a check that needed its contents cannot
    /// decide.
    fn large(&mut self, rel: &str, bytes: u64, keepers: &[usize]) {
        if !keepers.is_empty() {
            self.local.errors.push(ReadError {
                path: rel.to_string(),
                message: format!(
                    "{rel} is {}, over settings.max-file-size: its contents were not read",
                    crate::text::human_bytes(bytes)
                ),
                owners: Some(keepers.to_vec()),
            });
        }
        self.local.stats.skipped_large += 1;
        self.local.stats.not_scanned.push(NotScanned {
            path: rel.to_string(),
            bytes,
        });
    }
}

/// `root`-relative, `/`-separated path.
pub fn relative(path: &Path, root: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let s = rel.to_string_lossy();
    Some(if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    })
}

fn error_path(e: &ignore::Error, root: &Path) -> String {
    fn find(e: &ignore::Error) -> Option<&Path> {
        match e {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                find(err)
            }
            _ => None,
        }
    }
    find(e)
        .and_then(|p| relative(p, root))
        .unwrap_or_else(|| ".".into())
}
