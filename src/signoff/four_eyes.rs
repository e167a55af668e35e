//! Four eyes: nobody who authored or committed a commit of the released range signs that release
//! off. The range is the one `unreviewed-commits` examines at release (its `range` setting), by
//! default the commits since the last release: when the release's own tag is already on HEAD, since
//! the tag before it.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::inputs::history::{self, RangeSpec};
use crate::kinds::Spec;

/// A commit of the range a person made, for the message.
#[derive(Debug, Clone)]
pub struct OwnCommit {
    pub short: String,
    pub subject: String,
    /// `authored`, `committed`, or `authored and committed`.
    pub role: &'static str,
}

/// The people of the released range: lowercased email → their first commit in it (newest first).
pub struct People {
    pub label: String,
    pub by_email: BTreeMap<String, OwnCommit>,
}

impl People {
    /// Why `signer` may not sign off, if they made a commit of the range.
    pub fn objection(&self, signer: &str) -> Option<String> {
        let email = super::signing::email_of(signer)?.to_ascii_lowercase();
        let c = self.by_email.get(&email)?;
        Some(format!(
            "four eyes: {signer} {} commit {} \"{}\" in the released range ({}); someone who did not make the release signs it off (or set `signoff: {{four-eyes: false}}` in .shipgate.yaml)",
            c.role,
            c.short,
            crate::text::sanitize(&c.subject),
            self.label
        ))
    }
}

/// The range the release ships, as `unreviewed-commits` is configured to examine it.
fn released_range(git: &git2::Repository, config: &Config) -> Result<(RangeSpec, String), String> {
    let configured = config
        .get("unreviewed-commits")
        .and_then(|c| match &c.spec {
            Spec::GitCommits(g) => g.range.clone(),
            _ => None,
        });
    if let Some(r) = configured.as_deref().map(RangeSpec::parse) {
        if r != RangeSpec::SinceLastTag {
            let label = r.describe();
            return Ok((r, label));
        }
    }
    let head = git
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(|_| "HEAD has no commits yet".to_string())?;
    // `since-last-tag` ends at the release before HEAD's own tag: what this release adds.
    Ok(match history::previous_release(git, head.id())? {
        Some((prev, _)) => (RangeSpec::SinceLastTag, format!("{prev}..HEAD")),
        // A first release ships all of its history.
        None => (
            RangeSpec::Explicit(head.id().to_string()),
            "all history (no earlier release tag)".into(),
        ),
    })
}

/// Who made the commits of the released range.
pub fn people(git: &git2::Repository, config: &Config) -> Result<People, String> {
    let (spec, label) = released_range(git, config)?;
    let range = history::walk(git, &spec)?;
    let mut by_email: BTreeMap<String, OwnCommit> = BTreeMap::new();
    for c in &range.commits {
        let a = c.author_email.to_ascii_lowercase();
        let m = c.committer_email.to_ascii_lowercase();
        let mut add = |email: String, role: &'static str| {
            by_email.entry(email).or_insert_with(|| OwnCommit {
                short: c.short(),
                subject: c.subject().to_string(),
                role,
            });
        };
        if a == m {
            add(a, "authored and committed");
        } else {
            add(a, "authored");
            add(m, "committed");
        }
    }
    Ok(People { label, by_email })
}
