//! `manual`: an item a person confirms ("the rollback plan is written"). Unconfirmed, it fails and
//! says how to confirm it. Confirmations are the operator's input, applied in the sink: with
//! `--confirm ID[=COMMENT]`, by a valid sign-off record for HEAD, or answered at the prompt of
//! `shipgate signoff`; a confirmed item passes.
//!
//! An item `about-migrations` asks only when the release range adds or changes a migration (a
//! skip otherwise), and its finding quotes what the automatic migration checks found there.

use serde::Deserialize;

use crate::check::Meta;
use crate::inputs::history::RangeProblem;
use crate::kinds::{CommitsWant, Kind, Outcome, PassView, Prompt, Wants};
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
    /// The question is about the release's database migrations: asked only when the release
    /// range adds or changes one, quoting what the migration checks found.
    #[serde(default)]
    pub about_migrations: bool,
}

/// What the release's migrations are, for an `about-migrations` item: `None` when the range has
/// none; otherwise the lines to quote.
fn migrations_in_release(view: &PassView<'_>) -> Option<Vec<String>> {
    let (Some(pass), Some(git)) = (view.commits, view.repo.repo.as_ref()) else {
        return Some(vec![
            "not a git repository: the release's migrations are not known".into(),
        ]);
    };
    let specs = match pass.per_check.get(&view.owner) {
        Some(Ok(specs)) => specs,
        Some(Err(RangeProblem::Skip(r) | RangeProblem::Error(r))) => {
            return Some(vec![format!("the release's migrations are not known: {r}")]);
        }
        None => return Some(vec!["no commit range was planned".into()]),
    };
    let mut lines = Vec::new();
    for spec in specs {
        match &pass.ranges[spec] {
            Err(e) => lines.push(format!("the release's migrations are not known: {e}")),
            Ok(r) if r.unbounded => lines.push(
                "no release tag bounds the range: every migration in the repository may be new"
                    .into(),
            ),
            Ok(r) => match crate::kinds::migrations::in_range(git, r) {
                Err(e) => lines.push(format!("{}: the migrations are not readable: {e}", r.label)),
                Ok(rel) if rel.migrations().is_empty() => {}
                Ok(rel) => {
                    lines.push(rel.summary());
                    let (found, _) =
                        rel.findings("migrations-reviewed", &crate::kinds::migrations::Class::ALL);
                    lines.extend(
                        found
                            .into_iter()
                            .take(20)
                            .map(|(_, f)| format!("- {}", f.message)),
                    );
                }
            },
        }
    }
    (!lines.is_empty()).then_some(lines)
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

    fn wants(&self) -> Wants {
        Wants {
            commits: self.about_migrations.then(|| CommitsWant {
                default_range: crate::inputs::history::DEFAULT_RANGE.into(),
                pr_merges: None,
                forge_merges: None,
            }),
            ..Wants::default()
        }
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        let evidence = if self.about_migrations {
            match migrations_in_release(view) {
                None => return Outcome::skip("the release adds or changes no database migration"),
                Some(lines) => Some(lines.join("\n")),
            }
        } else {
            None
        };
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
            evidence,
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
