//! Parameters shared by the content kinds (`repo-content`, `artifact-content`): which files, and
//! which patterns. `patterns-from` borrows another check's patterns, so "an AWS key" is defined
//! once and used for the repository and for the artifact alike.

use serde::Deserialize;

use crate::check::{Check, GlobList, Pattern};
use crate::inputs::content::RawMatch;
use crate::report::model::{Finding, Location};
use crate::text::{excerpt, redact};

/// Fields a content check's `message` may use.
pub const FIELDS: &[&str] = &["path", "line", "column", "match", "pattern", "artifact"];

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ContentParams {
    /// Files to search (globs; a glob without `/` matches at any depth). Default: every file.
    #[serde(default)]
    pub include: Option<GlobList>,
    /// Files never searched by this check: tests, fixtures, documentation…
    #[serde(default)]
    pub exclude: GlobList,
    /// The patterns of this check.
    #[serde(default)]
    pub patterns: Vec<PatternDef>,
    /// Ids of checks whose patterns this check uses too.
    #[serde(default)]
    pub patterns_from: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PatternDef {
    /// A short name shown in findings, e.g. `aws-access-key-id`.
    pub name: String,
    /// The regular expression (Rust `regex` syntax; `^`/`$` match at line boundaries).
    pub regex: Pattern,
    /// The match is a secret: it is shown redacted (first 4 characters, then `…`) everywhere.
    #[serde(default)]
    pub secret: bool,
    /// A match that this regex also matches is not a finding (documented example values…).
    #[serde(default)]
    pub allow: Option<Pattern>,
    /// A match whose `name` capture equals the first capture of this regex anywhere in the same
    /// file is not a finding (e.g. a Dockerfile `FROM build` naming an earlier `AS build` stage).
    #[serde(default)]
    pub unless_defined_by: Option<Pattern>,
}

/// The shown form of a match: redacted when secret.
pub fn shown(m: &RawMatch) -> String {
    if m.secret {
        redact(&m.matched)
    } else {
        excerpt(&m.matched, 120)
    }
}

/// The line as evidence, with a secret match replaced by its redacted form and the password of
/// any `scheme://user:password@host` URL redacted too.
pub fn evidence(m: &RawMatch) -> String {
    let line = if m.secret {
        m.line_text.replace(&m.matched, &redact(&m.matched))
    } else {
        m.line_text.clone()
    };
    excerpt(&redact_url_passwords(&line), 200)
}

/// `postgres://app:hunter2@db` → `postgres://app:hunt…@db`.
pub fn redact_url_passwords(line: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"(://[^/\s:@]*:)([^@\s/]+)@").unwrap());
    re.replace_all(line, |c: &regex::Captures| {
        format!("{}{}@", &c[1], redact(&c[2]))
    })
    .into_owned()
}

/// Turns the raw matches of one check into findings at `location(path)`.
pub fn findings(
    check: &Check,
    matches: &[(String, RawMatch)],
    location: impl Fn(&str) -> Location,
) -> Vec<Finding> {
    matches
        .iter()
        .map(|(path, m)| {
            let shown = shown(m);
            let loc = location(path).with_line(m.line, Some(m.column));
            let fields = [
                ("path", path.clone()),
                ("line", m.line.to_string()),
                ("column", m.column.to_string()),
                ("match", shown.clone()),
                ("pattern", m.pattern.clone()),
                ("artifact", loc.artifact.clone().unwrap_or_default()),
            ];
            Finding {
                message: check.render(|| format!("{}: {shown}", m.pattern), &fields),
                location: loc,
                evidence: Some(evidence(m)),
            }
        })
        .collect()
}
