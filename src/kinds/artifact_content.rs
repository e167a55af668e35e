//! `artifact-content`: regex findings inside the files an artifact ships. Its patterns join the
//! artifact pass's one content matcher; `patterns-from` shares definitions with `repo-content`
//! checks (one definition of "an AWS key"), and this module turns matches into findings.

use crate::check::{Check, Input};
use crate::inputs::content::RawMatch;
use crate::kinds::{content, Outcome};
use crate::report::model::Location;

pub fn evaluate(check: &Check, artifact: &str, matches: &[(String, RawMatch)]) -> Outcome {
    let location = |p: &str| Location {
        path: Some(p.to_string()),
        artifact: Some(artifact.to_string()),
        ..Location::new(Input::Artifact)
    };
    Outcome {
        findings: content::findings(check, matches, location),
        ..Outcome::default()
    }
}
