//! `repo-content`: regex findings in the work tree's files. The kind itself has no pass of its own:
//! its patterns join the repository's one content matcher (`inputs::content`), and this module turns
//! the matches routed back to it into findings.

use crate::check::Check;
use crate::inputs::content::RawMatch;
use crate::kinds::{content, Outcome};
use crate::report::model::Location;

pub fn evaluate(check: &Check, matches: &[(String, RawMatch)]) -> Outcome {
    Outcome {
        findings: content::findings(check, matches, |p| Location::repo(p)),
        ..Outcome::default()
    }
}
