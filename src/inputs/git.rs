//! The repository as git sees it: where its work tree is, HEAD, the branch, and which paths are
//! tracked. Opened with git2 (no network).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The repository under check.
/// What HEAD is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadState {
    Commit(String),
    /// On a branch with no commit yet.
    Unborn,
    /// HEAD or its commit cannot be read: why.
    Damaged(String),
}

pub struct RepoHandle {
    /// The work tree root (or the directory itself, outside git).
    pub root: PathBuf,
    pub repo: Option<git2::Repository>,
}

impl RepoHandle {
    /// Finds the repository containing `dir` (`-C DIR`, default the current directory). Outside
    /// a git repository the directory is checked as a plain tree.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let dir = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
        match git2::Repository::discover(&dir) {
            Ok(repo) => {
                let root = match repo.workdir() {
                    Some(w) => w.to_path_buf(),
                    None => {
                        return Err(Error::Usage(format!(
                            "{} is a bare repository: shipgate checks a work tree; run it in a clone or a linked worktree",
                            repo.path().display()
                        )))
                    }
                };
                let root = root.canonicalize().unwrap_or(root);
                Ok(RepoHandle {
                    root,
                    repo: Some(repo),
                })
            }
            // Only "no repository here" means a plain tree; anything else (a repository owned by
            // someone else, a damaged .git) must not silently lose what git knows.
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(RepoHandle { root: dir, repo: None }),
            Err(e) if e.code() == git2::ErrorCode::Owner => Err(Error::Git(format!(
                "{}: the repository is owned by another user; if you trust it: git config --global --add safe.directory {}",
                dir.display(),
                dir.display()
            ))),
            Err(e) => Err(Error::Git(format!("{}: {}", dir.display(), e.message()))),
        }
    }

    /// What HEAD is: a commit, an unborn branch (no commit yet), or something that cannot be
    /// read (a missing or corrupt commit object, a broken ref) — which is never "no commits".
    pub fn head_state(&self) -> HeadState {
        let Some(repo) = self.repo.as_ref() else {
            return HeadState::Unborn;
        };
        match repo.head() {
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => HeadState::Unborn,
            Err(e) => HeadState::Damaged(format!("HEAD cannot be read: {}", e.message())),
            Ok(h) => match h.peel_to_commit() {
                Ok(c) => HeadState::Commit(c.id().to_string()),
                Err(e) => HeadState::Damaged(format!(
                    "HEAD ({}) points at {}, which cannot be read: {} — the repository is damaged (`git fsck`)",
                    h.shorthand().unwrap_or("HEAD"),
                    h.target().map_or("nothing".to_string(), |o| o.to_string()),
                    e.message()
                )),
            },
        }
    }

    /// HEAD's sha, if HEAD points at a commit (not on an unborn branch).
    pub fn head(&self) -> Option<String> {
        let repo = self.repo.as_ref()?;
        let head = repo.head().ok()?;
        head.peel_to_commit().ok().map(|c| c.id().to_string())
    }

    /// The checked-out branch (None when HEAD is detached). On an unborn branch this is the
    /// branch the first commit will create.
    pub fn branch(&self) -> Option<String> {
        let repo = self.repo.as_ref()?;
        if repo.head_detached().unwrap_or(false) {
            return None;
        }
        match repo.head() {
            Ok(h) => h.shorthand().map(str::to_string),
            Err(_) => {
                // Unborn: HEAD is a symbolic ref to a branch that does not exist yet.
                let r = repo.find_reference("HEAD").ok()?;
                r.symbolic_target()
                    .map(|t| t.trim_start_matches("refs/heads/").to_string())
            }
        }
    }

    /// Every path in the index.
    pub fn tracked(&self) -> Result<Option<HashSet<String>>, Error> {
        let Some(repo) = &self.repo else {
            return Ok(None);
        };
        let index = repo.index()?;
        Ok(Some(
            index
                .iter()
                .map(|e| String::from_utf8_lossy(&e.path).into_owned())
                .collect(),
        ))
    }
}

/// Whether `branch` matches one of the branch globs (`release/*`).
pub fn branch_matches(globs: &[String], branch: &str) -> bool {
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        if let Ok(g) = globset::GlobBuilder::new(g)
            .literal_separator(false)
            .build()
        {
            b.add(g);
        }
    }
    b.build().map(|s| s.is_match(branch)).unwrap_or(false)
}
