//! What a commit range changes, read from git objects only (no work tree): the files that differ
//! between the range's boundary trees, blobs by id, a path at a commit, and a commit's files.
//! Every read that fails is an error naming what could not be read, never an empty answer.

use std::collections::HashMap;
use std::path::Path;

use git2::{Delta, DiffOptions, ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

/// How a path changed between the range's base and its tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

/// One changed file: its blob before (at the base) and after (at the tip).
#[derive(Debug, Clone)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
    pub old: Option<Oid>,
    pub new: Option<Oid>,
}

/// The files a range changes, and the commits it was compared between.
#[derive(Debug, Clone)]
pub struct RangeChanges {
    pub tip: Oid,
    /// Where the range starts: the merge bases of the tip with what it excludes (none: the range
    /// is all history, compared with the empty tree).
    pub bases: Vec<Oid>,
    pub changes: Vec<Change>,
}

/// The files that differ between the range's base trees and its tip. `include` is the tip (one
/// commit); `exclude` what the target already has. With several bases (a new branch pushed while
/// several remote branches exist), a path changed relative to any of them is listed once, as the
/// nearest base sees it.
pub fn range_changes(
    repo: &Repository,
    include: &[Oid],
    exclude: &[Oid],
) -> Result<RangeChanges, String> {
    let [tip] = include else {
        return Err(format!(
            "a range to compare trees over has one tip, not {}",
            include.len()
        ));
    };
    let bases = merge_bases(repo, *tip, exclude)?;
    let tip_tree = tree_of(repo, *tip)?;
    let mut changes: Vec<Change> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let base_trees: Vec<Option<git2::Tree>> = if bases.is_empty() {
        vec![None]
    } else {
        bases
            .iter()
            .map(|b| tree_of(repo, *b).map(Some))
            .collect::<Result<_, _>>()?
    };
    for base in &base_trees {
        let mut opts = DiffOptions::new();
        opts.ignore_submodules(true);
        let diff = repo
            .diff_tree_to_tree(base.as_ref(), Some(&tip_tree), Some(&mut opts))
            .map_err(|e| format!("comparing the range's trees: {}", e.message()))?;
        for d in diff.deltas() {
            let kind = match d.status() {
                Delta::Added => ChangeKind::Added,
                Delta::Deleted => ChangeKind::Deleted,
                Delta::Modified | Delta::Typechange => ChangeKind::Modified,
                _ => continue,
            };
            let file = if kind == ChangeKind::Deleted {
                d.old_file()
            } else {
                d.new_file()
            };
            let Some(path) = file.path_bytes() else {
                continue;
            };
            let path = String::from_utf8_lossy(path).into_owned();
            if seen.contains_key(&path) {
                continue;
            }
            let id = |f: git2::DiffFile<'_>| (!f.id().is_zero()).then(|| f.id());
            seen.insert(path.clone(), changes.len());
            changes.push(Change {
                path,
                kind,
                old: id(d.old_file()),
                new: id(d.new_file()),
            });
        }
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(RangeChanges {
        tip: *tip,
        bases,
        changes,
    })
}

/// The merge bases of `tip` with each excluded commit, newest first, without those that are
/// ancestors of another (they would only add changes the target already has).
fn merge_bases(repo: &Repository, tip: Oid, exclude: &[Oid]) -> Result<Vec<Oid>, String> {
    let mut bases = Vec::new();
    for x in exclude {
        match repo.merge_base(tip, *x) {
            Ok(b) => {
                if !bases.contains(&b) {
                    bases.push(b);
                }
            }
            Err(e) if e.code() == git2::ErrorCode::NotFound => {}
            Err(e) => return Err(format!("the merge base of the range: {}", e.message())),
        }
    }
    let mut independent = Vec::new();
    for b in &bases {
        let mut covered = false;
        for o in &bases {
            if o != b
                && repo
                    .graph_descendant_of(*o, *b)
                    .map_err(|e| e.message().to_string())?
            {
                covered = true;
                break;
            }
        }
        if !covered {
            independent.push(*b);
        }
    }
    let time = |id: &Oid| {
        repo.find_commit(*id)
            .map(|c| c.time().seconds())
            .unwrap_or(0)
    };
    independent.sort_by_key(|id| std::cmp::Reverse(time(id)));
    Ok(independent)
}

fn tree_of(repo: &Repository, commit: Oid) -> Result<git2::Tree<'_>, String> {
    repo.find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(|e| {
            format!(
                "the tree of commit {} could not be read: {}",
                short(commit),
                e.message()
            )
        })
}

/// A blob's bytes; `path` names it in the error.
pub fn read_blob(repo: &Repository, id: Oid, path: &str) -> Result<Vec<u8>, String> {
    repo.find_blob(id)
        .map(|b| b.content().to_vec())
        .map_err(|e| {
            format!(
                "{path}: blob {} could not be read: {}",
                short(id),
                e.message()
            )
        })
}

/// A blob's size, without reading it.
pub fn blob_size(repo: &Repository, id: Oid, path: &str) -> Result<usize, String> {
    repo.odb()
        .and_then(|o| o.read_header(id))
        .map(|(size, _)| size)
        .map_err(|e| {
            format!(
                "{path}: blob {} could not be read: {}",
                short(id),
                e.message()
            )
        })
}

/// The blob at `path` in `commit`'s tree (`None`: no file there).
pub fn blob_at(repo: &Repository, commit: Oid, path: &str) -> Result<Option<Oid>, String> {
    let tree = tree_of(repo, commit)?;
    match tree.get_path(Path::new(path)) {
        Ok(e) if e.kind() == Some(ObjectType::Blob) => Ok(Some(e.id())),
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(format!("{path} at {}: {}", short(commit), e.message())),
    }
}

/// The files (blobs, not symlinks or submodules) of `commit`'s tree under `dir` (`""`: all),
/// with their paths from the root and their sizes.
pub fn tree_files(
    repo: &Repository,
    commit: Oid,
    dir: &str,
) -> Result<Vec<(String, Oid, usize)>, String> {
    let root = tree_of(repo, commit)?;
    let tree = if dir.is_empty() {
        root
    } else {
        match root.get_path(Path::new(dir)) {
            Ok(e) if e.kind() == Some(ObjectType::Tree) => repo
                .find_tree(e.id())
                .map_err(|e| format!("{dir}: {}", e.message()))?,
            Ok(_) => return Ok(Vec::new()),
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("{dir}: {}", e.message())),
        }
    };
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{}/", dir.trim_end_matches('/'))
    };
    let odb = repo.odb().map_err(|e| e.message().to_string())?;
    let mut out = Vec::new();
    let mut error = None;
    tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
        if entry.kind() != Some(ObjectType::Blob) || entry.filemode() == 0o120000 {
            return TreeWalkResult::Ok;
        }
        let path = format!(
            "{prefix}{parent}{}",
            String::from_utf8_lossy(entry.name_bytes())
        );
        match odb.read_header(entry.id()) {
            Ok((size, _)) => out.push((path, entry.id(), size)),
            Err(e) => {
                error = Some(format!("{path}: {}", e.message()));
                return TreeWalkResult::Abort;
            }
        }
        TreeWalkResult::Ok
    })
    .map_err(|e| error.clone().unwrap_or_else(|| e.message().to_string()))?;
    match error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn short(id: Oid) -> String {
    id.to_string()[..8].to_string()
}
