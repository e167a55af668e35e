//! The repository pass: one walk of the work tree for every check that reads it, with the content
//! patterns of all of them in one matcher (repository content checks, and env checks that read
//! the code). It runs when some running check reads the repository or wants its content.

use crate::config::Config;
use crate::engine::plan::Plan;
use crate::engine::request::Request;
use crate::error::Error;
use crate::inputs::content::ContentMatcher;
use crate::inputs::git::RepoHandle;
use crate::inputs::repo::{self, RepoScan, ScanOptions};
use crate::types::{GlobList, Input};

pub fn run(
    config: &Config,
    repo: &RepoHandle,
    request: &Request<'_>,
    plan: &Plan,
) -> Result<Option<RepoScan>, Error> {
    let mut rules = Vec::new();
    let mut keep = Vec::new();
    for i in plan.running() {
        let w = config.checks[i].spec.wants();
        if let Some(r) = w.repo_content {
            rules.push((i, r));
        }
        if !w.contents.is_empty() {
            keep.push((i, GlobList::new(&w.contents).map_err(Error::Other)?));
        }
    }
    if rules.is_empty() && keep.is_empty() && !plan.runs(config, Input::Repo) {
        return Ok(None);
    }
    let matcher = if rules.is_empty() {
        None
    } else {
        Some(std::sync::Arc::new(
            ContentMatcher::new(rules).map_err(Error::Other)?,
        ))
    };
    let tracked = repo.tracked()?;
    // What the walk's first file would otherwise make while the other threads wait (the literal
    // pass over every pattern, the selections' glob sets) is made on a thread of its own while
    // the walk lists the first folders. Not waited for: a walk that scans nothing ends without
    // it; and not for a tree of a few files (a pre-push hook's new repository), which might
    // never need it.
    const FEW: usize = 64;
    if let Some(m) = matcher
        .as_ref()
        .filter(|_| tracked.as_ref().is_none_or(|t| t.len() >= FEW))
    {
        let m = std::sync::Arc::clone(m);
        let _ = std::thread::Builder::new()
            .name("content-plan".into())
            .spawn(move || m.prepare());
    }
    let ids = |i: usize| config.checks[i].id.clone();
    let opts = request.opts;
    Ok(Some(repo::scan(&ScanOptions {
        root: &repo.root,
        tracked: tracked.as_ref(),
        exclude: &config.settings.exclude,
        materials: &config.settings.materials,
        keep: &keep,
        matcher: matcher.as_deref(),
        max_file_size: config.settings.max_file_size,
        ids: &ids,
        threads: opts.threads,
        counter: opts.counters.as_ref().map(|c| &c.files),
    })))
}
