//! `repo-content`: regex findings in the work tree's files. The kind itself has no pass of its own:
//! its patterns join the repository's one content matcher (`inputs::content`), and this module turns
//! the matches routed back to it into findings.

use serde::Deserialize;

use crate::check::Meta;
use crate::inputs::references;
use crate::kinds::content::{self, ContentParams};
use crate::kinds::{Borrowing, Kind, Outcome, PassView, Wants};
use crate::report::model::Location;
use crate::types::{Input, Pattern, Sample};

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct RepoContent(pub ContentParams);

impl Kind for RepoContent {
    const KEY: &'static str = "repo-content";
    const INPUT: Input = Input::Repo;
    const FIELDS: &'static [&'static str] = content::FIELDS;

    fn describe(&self) -> Vec<String> {
        self.0.describe()
    }

    fn wants(&self) -> Wants {
        Wants {
            repo_content: Some(self.0.rule()),
            contents: self.0.kept_files(),
            ..Wants::default()
        }
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        let mut mine = view.repo_matches();
        view.on_tree(|scan| {
            // A check that looks at certain files only, and finds none, says so: a pass would
            // claim something was checked.
            if let Some(include) = &self.0.include {
                // Found during the walk (`RepoScan::selected`).
                if !scan.selected.contains(&view.owner) {
                    let mut shown: Vec<&str> =
                        include.sources.iter().take(8).map(String::as_str).collect();
                    if include.sources.len() > 8 {
                        shown.push("…");
                    }
                    return Outcome::skip(format!(
                        "no file to look at: nothing matches {}",
                        shown.join(", ")
                    ));
                }
            }
            self.0.drop_documented(&mut mine);
            self.0.drop_overridden(&scan.kept, &mut mine);
            self.0.drop_service_homes(&scan.kept, &mut mine);
            let mut unbuilt = std::collections::BTreeSet::new();
            if self.0.built_dockerfiles_only {
                let mut paths: Vec<&str> = mine.iter().map(|(p, _)| p.as_str()).collect();
                paths.dedup();
                unbuilt = references::unbuilt(&view.repo.root, scan, &paths);
                mine.retain(|(p, _)| !unbuilt.contains(p));
            }
            let outcome = Outcome::findings(content::findings(check, &mine, |p| Location::repo(p)));
            if unbuilt.is_empty() {
                outcome
            } else {
                outcome.with_note(references::left_out(&unbuilt))
            }
        })
    }

    fn validate(&self) -> Vec<String> {
        self.0.validate()
    }

    fn patterns(&self) -> Vec<&Pattern> {
        content::regexes(&self.0.patterns)
            .chain(self.0.local_run_keys.as_ref().map(|k| &k.names))
            .chain(self.0.overridden_keys.as_ref().map(|k| &k.names))
            .chain(self.0.service_users.as_ref().map(|u| &u.creates))
            .collect()
    }

    fn content(&self) -> Option<&ContentParams> {
        Some(&self.0)
    }

    fn borrowing(&mut self) -> Option<Borrowing<'_>> {
        Some(self.0.borrowing())
    }

    fn has_samples(&self) -> bool {
        true
    }

    fn run_sample(&self, check: &Meta, sample: &Sample) -> Result<usize, String> {
        self.0.run_sample(&check.id, sample)
    }
}
