//! The artifact pass: each `--artifact` streamed once for every artifact check, with the content
//! patterns of all of them in one matcher; baseline artifacts are read for their entry lists.

use std::path::PathBuf;

use crate::config::Config;
use crate::engine::plan::Plan;
use crate::engine::request::Request;
use crate::error::Error;
use crate::inputs::artifact_scan::{self, ArtifactScan};
use crate::inputs::content::ContentMatcher;
use crate::inputs::git::RepoHandle;
use crate::inputs::image;
use crate::kinds::Baselines;

pub fn run(
    config: &Config,
    repo: &RepoHandle,
    request: &Request<'_>,
    plan: &Plan,
) -> Result<(Vec<ArtifactScan>, Baselines), Error> {
    let opts = request.opts;
    let wants: Vec<(usize, crate::kinds::Wants)> = plan
        .running()
        .map(|i| (i, config.checks[i].spec.wants()))
        .collect();
    let mut rules = Vec::new();
    let mut inspect_maps = false;
    let mut baselines: Vec<PathBuf> = Vec::new();
    for (i, w) in wants {
        inspect_maps |= w.source_maps;
        if let Some(r) = w.artifact_content {
            rules.push((i, r));
        }
        if let Some(b) = w.baseline {
            let path = opts
                .baseline
                .clone()
                .or_else(|| b.param.map(|p| repo.root.join(p)));
            baselines.extend(path);
        }
    }
    let matcher = if rules.is_empty() {
        None
    } else {
        Some(ContentMatcher::new(rules).map_err(Error::Other)?)
    };
    let ids = |i: usize| config.checks[i].id.clone();
    let scan_opts = artifact_scan::Options {
        budgets: config.settings.artifact_budgets,
        matcher: matcher.as_ref(),
        inspect_maps,
        ids: &ids,
        counter: opts.counters.as_ref().map(|c| &c.entries),
        platform: opts.platform.as_deref(),
    };
    // A container image gives one scan per image (a multi-platform index, several tags).
    let scans = opts
        .artifacts
        .iter()
        .flat_map(|a| image::scan(a, a.to_string_lossy().into_owned(), &scan_opts))
        .collect();
    let plain = artifact_scan::Options {
        matcher: None,
        inspect_maps: false,
        counter: None,
        ..scan_opts
    };
    let mut read = Baselines::new();
    for path in baselines {
        read.entry(path.clone()).or_insert_with(|| {
            let s = image::scan(&path, path.to_string_lossy().into_owned(), &plain);
            // Of a baseline image with several platforms, the first (or `--platform`'s).
            let s = s.into_iter().next().expect("one scan at least");
            match s.error {
                Some(e) => Err(format!("baseline {e}")),
                None => Ok(s.data),
            }
        });
    }
    Ok((scans, read))
}
