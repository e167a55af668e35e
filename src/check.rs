//! The validated check: what the engine runs. Raw YAML becomes a `Check` in `config`; evaluation
//! code only ever sees compiled regexes and glob sets (`Pattern`, `GlobList`), never raw strings.

use std::fmt;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::kinds::Spec;

/// `error` fails the gate; `warning` is reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// When a check runs: on `git push` (the hook), in every CI pipeline, or at release.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    Serialize,
    clap::ValueEnum,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    PrePush,
    Ci,
    Release,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::PrePush, Stage::Ci, Stage::Release];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::PrePush => "pre-push",
            Stage::Ci => "ci",
            Stage::Release => "release",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a check reads. Drives planning (an input nobody needs is never opened) and
/// `location.input` in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Input {
    Repo,
    Artifact,
    Git,
    Env,
    Clock,
    Operator,
}

impl Input {
    pub fn as_str(self) -> &'static str {
        match self {
            Input::Repo => "repo",
            Input::Artifact => "artifact",
            Input::Git => "git",
            Input::Env => "env",
            Input::Clock => "clock",
            Input::Operator => "operator",
        }
    }
}

/// A regular expression from a check file. Matching is on bytes (files need not be UTF-8),
/// multi-line (`^`/`$` are line anchors), and linear-time by construction (the `regex` crate has
/// no backtracking). Its syntax is checked when the check is loaded; it is compiled the first time
/// it is used, since most patterns of a run are never needed (a file is only searched pattern by
/// pattern once the combined matcher says something matched). Compiling every pattern of every
/// check up front was 43% of the pre-push hook's fixed cost. `shipgate validate` compiles them all.
#[derive(Clone)]
pub struct Pattern {
    src: std::sync::Arc<str>,
    compiled: std::sync::Arc<std::sync::OnceLock<Result<regex::bytes::Regex, String>>>,
}

/// The most memory one compiled pattern (or the union of a run's patterns) may take.
pub const PATTERN_SIZE_LIMIT: usize = 64 << 20;

impl Pattern {
    /// Checks the syntax (rejecting what the engine cannot run: look-around, backreferences).
    pub fn new(src: &str) -> Result<Self, String> {
        parse(src)?;
        Ok(Pattern {
            src: src.into(),
            compiled: Default::default(),
        })
    }

    /// The compiled regex; compiles it on first use. An error means the pattern is too large.
    pub fn compiled(&self) -> Result<&regex::bytes::Regex, String> {
        self.compiled
            .get_or_init(|| {
                regex::bytes::RegexBuilder::new(&self.src)
                    .multi_line(true)
                    .size_limit(PATTERN_SIZE_LIMIT)
                    .dfa_size_limit(8 << 20)
                    .build()
                    .map_err(|e| {
                        format!("invalid regex `{}`: {}", self.src, one_line(&e.to_string()))
                    })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Whether `s` matches; a pattern that cannot be compiled is an error, never "no match".
    pub fn is_match(&self, s: &[u8]) -> Result<bool, String> {
        self.compiled().map(|r| r.is_match(s))
    }

    /// Whether `s` matches, for patterns already compiled with `compile_all` (a pattern that
    /// failed there never reaches matching: its check ended in `error`).
    pub fn hit(&self, s: &[u8]) -> bool {
        self.compiled().is_ok_and(|r| r.is_match(s))
    }

    /// Compiles every pattern, or says which one cannot be.
    pub fn compile_all<'a>(patterns: impl IntoIterator<Item = &'a Pattern>) -> Result<(), String> {
        patterns
            .into_iter()
            .try_for_each(|p| p.compiled().map(|_| ()))
    }

    /// Whether the pattern can match the empty string (decided from its syntax).
    pub fn matches_empty(&self) -> bool {
        parse(&self.src).is_ok_and(|h| h.properties().minimum_len() == Some(0))
    }

    pub fn as_str(&self) -> &str {
        &self.src
    }
}

fn parse(src: &str) -> Result<regex_syntax::hir::Hir, String> {
    regex_syntax::ParserBuilder::new()
        .multi_line(true)
        .utf8(false)
        .build()
        .parse(src)
        .map_err(|e| format!("invalid regex `{src}`: {}", one_line(&e.to_string())))
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.src)
    }
}

impl TryFrom<String> for Pattern {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Pattern::new(&s)
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Pattern::new(&s).map_err(serde::de::Error::custom)
    }
}

/// A list of globs compiled into one `GlobSet`. A glob without `/` matches a file name at any
/// depth (as in `.gitignore`: `*.map` is `**/*.map`); `*` never crosses a `/`.
#[derive(Clone, Default)]
pub struct GlobList {
    pub sources: Vec<String>,
    pub set: GlobSet,
}

impl GlobList {
    pub fn new(globs: &[String]) -> Result<Self, String> {
        let mut b = GlobSetBuilder::new();
        for g in globs {
            b.add(compile_glob(g)?);
        }
        let set = b.build().map_err(|e| e.to_string())?;
        Ok(GlobList {
            sources: globs.to_vec(),
            set,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    pub fn is_match(&self, path: &str) -> bool {
        self.set.is_match(path)
    }

    /// Index (in `sources`) of every glob that matches.
    pub fn matches(&self, path: &str) -> Vec<usize> {
        self.set.matches(path)
    }
}

/// Compiles one user glob with shipgate's rules (see `GlobList`).
pub fn compile_glob(g: &str) -> Result<globset::Glob, String> {
    if g.is_empty() {
        return Err("empty glob".into());
    }
    let trimmed = g.trim_start_matches("./");
    let expanded = if trimmed.ends_with('/') {
        // `dir/` means everything under dir.
        let d = trimmed.trim_end_matches('/');
        if d.contains('/') {
            format!("{d}/**")
        } else {
            format!("**/{d}/**")
        }
    } else if trimmed.contains('/') {
        trimmed.trim_start_matches('/').to_string()
    } else {
        format!("**/{trimmed}")
    };
    GlobBuilder::new(&expanded)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| format!("invalid glob `{g}`: {}", e.kind()))
}

impl fmt::Debug for GlobList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GlobList({:?})", self.sources)
    }
}

impl<'de> Deserialize<'de> for GlobList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        GlobList::new(&v).map_err(serde::de::Error::custom)
    }
}

/// A `message` template: text with `{field}` placeholders (`{{` and `}}` for literal braces).
#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Field(String),
}

impl Template {
    pub fn parse(src: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = src.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => return Err(format!("unclosed `{{` in message `{src}`")),
                        }
                    }
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Field(name.trim().to_string()));
                }
                '}' => return Err(format!("unmatched `}}` in message `{src}` (write `}}}}`)")),
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template { parts })
    }

    /// Field names used by the template.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Field(f) => Some(f.as_str()),
            Part::Text(_) => None,
        })
    }

    pub fn render(&self, fields: &[(&str, String)]) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Field(f) => {
                    if let Some((_, v)) = fields.iter().find(|(k, _)| k == f) {
                        out.push_str(v);
                    }
                }
            }
        }
        out
    }
}

/// A validated check.
#[derive(Debug, Clone)]
pub struct Check {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub stages: Vec<Stage>,
    pub message: Option<Template>,
    pub help: Option<String>,
    pub why: Option<String>,
    /// Turned off: loaded (so `list` and `explain` know it) but not run unless named with `--only`.
    pub off: bool,
    /// Where the check came from: `checks/x.yaml (built-in)` or a path relative to the repository.
    pub source: String,
    pub builtin: bool,
    pub spec: Spec,
    pub samples: Option<crate::config::raw::Samples>,
}

impl Check {
    pub fn runs_in(&self, stage: Stage) -> bool {
        self.stages.contains(&stage)
    }

    /// The finding's message: the check's template if it has one, else the kind's default.
    pub fn render(&self, default: impl FnOnce() -> String, fields: &[(&str, String)]) -> String {
        match &self.message {
            Some(t) => t.render(fields),
            None => default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_without_slash_matches_any_depth() {
        let g = GlobList::new(&["*.map".into(), "docs/*.md".into(), ".git/".into()]).unwrap();
        assert!(g.is_match("a/b/cli.js.map"));
        assert!(g.is_match("cli.js.map"));
        assert!(g.is_match("docs/x.md"));
        assert!(!g.is_match("docs/a/x.md"));
        assert!(g.is_match("package/.git/config"));
        assert!(!g.is_match("a.mapx"));
    }

    #[test]
    fn template_renders_fields() {
        let t = Template::parse("{path}:{line} has {{x}} {match}").unwrap();
        let s = t.render(&[
            ("path", "a".into()),
            ("line", "3".into()),
            ("match", "m".into()),
        ]);
        assert_eq!(s, "a:3 has {x} m");
        assert!(Template::parse("oops {path").is_err());
        assert!(Template::parse("oops }").is_err());
    }

    #[test]
    fn bad_regex_is_rejected() {
        assert!(Pattern::new("a(b").is_err());
        assert!(Pattern::new("a(?=b)").unwrap_err().contains("look-around"));
        // Too large is found when compiled.
        assert!(Pattern::new(r"\w{1000}{1000}")
            .unwrap()
            .compiled()
            .unwrap_err()
            .contains("exceeds size limit"));
        assert!(Pattern::new("a*").unwrap().matches_empty());
        assert!(!Pattern::new("a+").unwrap().matches_empty());
    }
}
