//! `manual`: an item a person confirms ("the rollback plan is written"). In `shipgate run` it passes
//! when it is confirmed for this commit: with `--confirm ID[=COMMENT]`, or by a valid sign-off
//! record for HEAD (`shipgate signoff`). Unconfirmed, it fails and says how to confirm it.

use serde::Deserialize;

use crate::check::{Check, Input};
use crate::kinds::Outcome;
use crate::report::model::{Finding, Location};

pub const FIELDS: &[&str] = &["question"];

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Params {
    /// What the person confirms, as a yes/no question.
    pub question: String,
    /// What a good answer means, shown when asking.
    #[serde(default)]
    pub guidance: Option<String>,
}

/// How an item was confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    /// `--confirm ID[=COMMENT]`.
    Flag(Option<String>),
    /// A sign-off record for HEAD, by its signer.
    Record(String),
}

pub fn evaluate(check: &Check, p: &Params, confirmed: Option<&Confirmed>) -> Outcome {
    if confirmed.is_some() {
        return Outcome::default();
    }
    let fields = [("question", p.question.clone())];
    Outcome {
        findings: vec![Finding {
            message: check.render(
                || {
                    format!(
                        "not confirmed: {} — confirm with `shipgate signoff`, or `--confirm {}=\"comment\"`",
                        p.question, check.id
                    )
                },
                &fields,
            ),
            location: Location {
                name: Some(check.id.clone()),
                ..Location::new(Input::Operator)
            },
            evidence: None,
        }],
        ..Outcome::default()
    }
}
