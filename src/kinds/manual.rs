//! `manual`: an item a person confirms ("the rollback plan is written"). Unconfirmed, it fails and
//! says how to confirm it. Confirmations are the operator's input, applied in the sink: with
//! `--confirm ID[=COMMENT]`, by a valid sign-off record for HEAD, or answered at the prompt of
//! `shipgate signoff`; a confirmed item passes.

use serde::Deserialize;

use crate::check::Meta;
use crate::kinds::{Kind, Outcome, PassView, Prompt};
use crate::report::model::{Finding, Location};
use crate::types::Input;

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Manual {
    /// What the person confirms, as a yes/no question.
    pub question: String,
    /// What a good answer means, shown when asking.
    #[serde(default)]
    pub guidance: Option<String>,
    /// The question is about the artifact being released: `shipgate signoff` names the artifact
    /// bound to the sign-off with the question, or says that none is (no `--artifact`).
    #[serde(default)]
    pub about_artifact: bool,
}

impl Kind for Manual {
    const KEY: &'static str = "manual";
    const INPUT: Input = Input::Operator;
    const FIELDS: &'static [&'static str] = &["question"];

    fn describe(&self) -> Vec<String> {
        let mut lines = vec![format!("a person confirms: {}", self.question)];
        if let Some(g) = &self.guidance {
            lines.push(g.trim().to_string());
        }
        lines
    }

    fn evaluate(&self, check: &Meta, _view: &PassView<'_>) -> Outcome {
        let fields = [("question", self.question.clone())];
        Outcome::findings(vec![Finding {
            message: check.render(
                || {
                    format!(
                        "not confirmed: {} — confirm with `shipgate signoff`, or `--confirm {}=\"comment\"`",
                        self.question, check.id
                    )
                },
                &fields,
            ),
            location: Location {
                name: Some(check.id.clone()),
                ..Location::new(Input::Operator)
            },
            evidence: None,
        }])
    }

    fn prompt(&self) -> Option<Prompt<'_>> {
        Some(Prompt {
            question: &self.question,
            guidance: self.guidance.as_deref(),
            about_artifact: self.about_artifact,
        })
    }
}
