//! `artifact-content`: regex findings inside the files an artifact ships. Its patterns join the
//! artifact pass's one content matcher; `patterns-from` shares definitions with `repo-content`
//! checks (one definition of "an AWS key"), and this module turns matches into findings.

use serde::Deserialize;

use crate::check::Meta;
use crate::kinds::content::{self, ContentParams};
use crate::kinds::{Borrowing, Kind, Outcome, PassView, Wants};
use crate::report::model::Location;
use crate::types::{Input, Pattern, Sample};

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct ArtifactContent(pub ContentParams);

impl Kind for ArtifactContent {
    const KEY: &'static str = "artifact-content";
    const INPUT: Input = Input::Artifact;
    const FIELDS: &'static [&'static str] = content::FIELDS;

    fn describe(&self) -> Vec<String> {
        self.0.describe()
    }

    fn wants(&self) -> Wants {
        Wants {
            artifact_content: Some(self.0.rule()),
            ..Wants::default()
        }
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        view.per_artifact(|a| {
            let location = |p: &str| Location {
                path: Some(p.to_string()),
                artifact: Some(a.data.display.clone()),
                ..Location::new(Input::Artifact)
            };
            let mine = view.artifact_matches(a);
            Outcome::findings(content::findings(check, &mine, location))
        })
    }

    fn validate(&self) -> Vec<String> {
        self.0.validate()
    }

    fn patterns(&self) -> Vec<&Pattern> {
        content::regexes(&self.0.patterns).collect()
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
