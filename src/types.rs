//! The shared vocabulary of checks, configuration and kinds: severities, stages, inputs, and the
//! value types that parse on load (regexes, globs, message templates, sizes, dates, durations), so
//! evaluation code only ever sees compiled, validated values, never raw strings. It depends on
//! nothing else in the crate, which keeps `check`, `config` and `kinds` free of cycles.

use std::fmt;
use std::time::Duration;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

pub use crate::literals::engine_hir;
use crate::literals::{engine_ast, invalid};

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
    /// Taken while `Trusted` was set (shipped with shipgate: the test suite compiles it).
    trusted: bool,
}

thread_local! {
    static TRUSTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// While alive, patterns are taken without checking their syntax: for the built-in checks, whose
/// patterns the test suite compiles (`shipgate validate` compiles every pattern; a pattern that
/// does not compile ends its check in `error` at run time either way). Parsing them at every load
/// was a fifth of a pre-push hook's fixed cost.
pub struct Trusted(bool);

impl Trusted {
    pub fn set(yes: bool) -> Trusted {
        Trusted(TRUSTED.with(|t| t.replace(yes)))
    }
}

impl Drop for Trusted {
    fn drop(&mut self) {
        TRUSTED.with(|t| t.set(self.0));
    }
}

/// The most memory one compiled pattern (or the union of a run's patterns) may take.
pub const PATTERN_SIZE_LIMIT: usize = 64 << 20;

impl Pattern {
    /// Checks the syntax (rejecting what the engine cannot run: look-around, backreferences).
    pub fn new(src: &str) -> Result<Self, String> {
        let trusted = TRUSTED.with(std::cell::Cell::get);
        if !trusted {
            parse(src)?;
        }
        Ok(Pattern {
            src: src.into(),
            compiled: Default::default(),
            trusted,
        })
    }

    /// The compiled regex; compiles it on first use. An error means the pattern is too large.
    pub fn compiled(&self) -> Result<&regex::bytes::Regex, String> {
        self.compiled
            .get_or_init(|| {
                regex::bytes::RegexBuilder::new(&engine_syntax(&self.src)?)
                    .multi_line(true)
                    .size_limit(PATTERN_SIZE_LIMIT)
                    .dfa_size_limit(8 << 20)
                    .build()
                    .map_err(|e| invalid(&self.src, &e))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Whether the pattern has been compiled (the tests of what a run leaves uncompiled).
    #[cfg(test)]
    pub fn is_compiled(&self) -> bool {
        self.compiled.get().is_some()
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

    /// `compile_all` of the patterns not shipped with shipgate: the only ones that can fail (the
    /// test suite compiles every built-in one), so `Ok` here means `compile_all` will be `Ok`.
    pub fn compile_untrusted<'a>(
        patterns: impl IntoIterator<Item = &'a Pattern>,
    ) -> Result<(), String> {
        Pattern::compile_all(patterns.into_iter().filter(|p| !p.trusted))
    }

    /// Whether the pattern can match the empty string (decided from its syntax).
    pub fn matches_empty(&self) -> bool {
        parse(&self.src).is_ok_and(|h| h.properties().minimum_len() == Some(0))
    }

    pub fn as_str(&self) -> &str {
        &self.src
    }
}

/// The pattern as the engine runs it: word boundaries (`\b`, `\B`, `\b{start}` …) are ASCII, as
/// in RE2 and Go (and so gitleaks). A Unicode word boundary makes the fast DFA engines give up on
/// the first non-ASCII byte and fall back to the slowest one for the rest of the file; secrets,
/// paths and URLs are ASCII anyway.
pub fn engine_syntax(src: &str) -> Result<String, String> {
    use regex_syntax::ast;
    if !src.contains('\\') {
        return Ok(src.to_string());
    }
    let mut out = String::new();
    ast::print::Printer::new()
        .print(&engine_ast(src)?, &mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn parse(src: &str) -> Result<regex_syntax::hir::Hir, String> {
    regex_syntax::ParserBuilder::new()
        .multi_line(true)
        .utf8(false)
        .build()
        .parse(src)
        .map_err(|e| invalid(src, &e))
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
    /// Compiled by `new`, which checks them; a trusted list (see `Trusted`) is compiled with its
    /// set, on first use (compiling the built-in checks' globs at every load was a seventh of a
    /// pre-push hook's main thread).
    globs: Vec<globset::Glob>,
    /// Built on first use: the built-in checks hold dozens of glob lists, most never asked in a
    /// run, and building a set compiles its regexes (a fifth of a pre-push hook's fixed cost).
    set: std::sync::OnceLock<Matcher>,
}

/// A path asked of many glob lists, prepared once (`globset::Candidate`): preparing it was a
/// third of the cost of asking, and a file of a tree is asked of ~40 lists.
pub struct PathQuery<'a> {
    candidate: globset::Candidate<'a>,
}

impl<'a> PathQuery<'a> {
    pub fn new(path: &'a str) -> Self {
        PathQuery {
            candidate: globset::Candidate::new(path),
        }
    }
}

#[derive(Clone)]
enum Matcher {
    Set(GlobSet),
    /// The set could not be built (too large for the regex engine): each glob on its own.
    Each(Vec<globset::GlobMatcher>),
}

impl GlobList {
    pub fn new(globs: &[String]) -> Result<Self, String> {
        if TRUSTED.with(std::cell::Cell::get) {
            return Ok(GlobList {
                sources: globs.to_vec(),
                globs: Vec::new(),
                set: std::sync::OnceLock::new(),
            });
        }
        Ok(GlobList {
            sources: globs.to_vec(),
            globs: globs
                .iter()
                .map(|g| compile_glob(g))
                .collect::<Result<_, _>>()?,
            set: std::sync::OnceLock::new(),
        })
    }

    fn matcher(&self) -> &Matcher {
        self.set.get_or_init(|| {
            // A trusted list's globs, compiled now (the test suite compiles every built-in one;
            // one that did not compile would match nothing).
            let deferred: Vec<globset::Glob>;
            let globs = if self.globs.len() == self.sources.len() {
                &self.globs
            } else {
                deferred = self
                    .sources
                    .iter()
                    .filter_map(|g| compile_glob(g).ok())
                    .collect();
                &deferred
            };
            let mut b = GlobSetBuilder::new();
            for g in globs {
                b.add(g.clone());
            }
            match b.build() {
                Ok(set) => Matcher::Set(set),
                Err(_) => Matcher::Each(globs.iter().map(|g| g.compile_matcher()).collect()),
            }
        })
    }

    /// Builds the set now, ahead of the first path (it is otherwise built by the first ask).
    pub fn prepare(&self) {
        self.matcher();
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    pub fn is_match(&self, path: &str) -> bool {
        self.is_match_query(&PathQuery::new(path))
    }

    /// `is_match` for a path prepared once and asked of many lists.
    pub fn is_match_query(&self, q: &PathQuery<'_>) -> bool {
        match self.matcher() {
            Matcher::Set(s) => s.is_match_candidate(&q.candidate),
            Matcher::Each(ms) => ms.iter().any(|m| m.is_match_candidate(&q.candidate)),
        }
    }

    /// Index (in `sources`) of every glob that matches.
    pub fn matches(&self, path: &str) -> Vec<usize> {
        match self.matcher() {
            Matcher::Set(s) => s.matches(path),
            Matcher::Each(ms) => (0..ms.len()).filter(|&i| ms[i].is_match(path)).collect(),
        }
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

/// One named pattern of a content check.
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
    /// Only files whose path matches one of these globs are searched for this pattern (default:
    /// every file the check selects).
    #[serde(default)]
    pub paths: Option<GlobList>,
    /// Reported wherever it is, tests and docs included, whatever the check's `scope` (a live
    /// credential leaks from a test file as well).
    #[serde(default)]
    pub everywhere: bool,
    /// How many lines after each match's line to keep with it (for checks that look at what
    /// the code does next).
    #[serde(default)]
    pub context_after: usize,
    /// A match is not a finding when the text before it on its line matches this regex (e.g. a
    /// local address that is only the default argument of a lookup: `get("url", "http://…`).
    #[serde(default)]
    pub unless_before: Option<Pattern>,
    /// A match is not a finding when the whole text the regex matched (of which the `match`
    /// group, tested by `allow`, is a part) matches this regex: a local address whose URL's user
    /// and password say it is a placeholder (`postgresql://placeholder:placeholder@localhost`,
    /// the value a build step needs to generate a database client).
    #[serde(default)]
    pub unless_whole: Option<Pattern>,
    /// A match is not a finding when the lines around it (its own and `NEAR_LINES` on each
    /// side), with `NEAR_MARK` put just before the match, match this regex: a Firebase web
    /// config's `apiKey` beside its `authDomain: "….firebaseapp.com"` is an identifier every
    /// visitor's browser gets (Firebase documents it as not secret), where the same key alone,
    /// or another key beside the config, may be a server's.
    #[serde(default)]
    pub unless_near: Option<Pattern>,
    /// A match is a finding only when some match of this regex in the same file refers to its
    /// `name` capture as `$name` or `${name}`: a Dockerfile `ARG X=latest` that no `FROM` uses
    /// (solidtime's `ARG BUN_VERSION="latest"`, used by a commented-out `FROM` alone) picks no
    /// image.
    #[serde(default)]
    pub only_if_used: Option<Pattern>,
    /// A match inside a doc comment (`/** */`, `///`, `//!`, a docstring: an API's example) is
    /// not a finding when that comment (with the comments right beside it) also matches this
    /// regex: a key shown with its certificate is documentation. In code, in a plain comment
    /// (commented-out configuration), or alone in a doc comment, it is still reported.
    #[serde(default)]
    pub unless_in_comment_with: Option<Pattern>,
    /// For a secret: the least Shannon entropy (bits per character) of a real match, in place of
    /// the check's `placeholders.min-entropy`.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// For a secret: the checksum its format carries. A match whose checksum verifies is never a
    /// placeholder; one whose checksum fails is a look-alike, not reported in tests, examples and
    /// docs.
    #[serde(default)]
    pub checksum: Option<crate::secrets::Checksum>,
    /// The placeholder rules of the check the pattern belongs to (set when the checklist loads).
    #[serde(skip)]
    #[schemars(skip)]
    pub placeholders: Option<std::sync::Arc<crate::secrets::Placeholders>>,
}

/// How many lines on each side of a match `unless-near` looks at.
pub const NEAR_LINES: usize = 6;

/// What `unless-near` reads just before the match, so that its regex can say where the match
/// is: `api_?key\W{0,8}@MATCH@` is a key assigned to `apiKey`, not another key in the lines.
pub const NEAR_MARK: &str = "@MATCH@";

impl PatternDef {
    /// Whether the text around a match says it is not a finding (`unless-near`): `before` is
    /// the text from `NEAR_LINES` lines up to the match, `at` the match and the lines after it.
    pub fn allowed_near(&self, before: &[u8], at: &[u8]) -> bool {
        let Some(near) = &self.unless_near else {
            return false;
        };
        let mut text = Vec::with_capacity(before.len() + NEAR_MARK.len() + at.len());
        text.extend_from_slice(before);
        text.extend_from_slice(NEAR_MARK.as_bytes());
        text.extend_from_slice(at);
        near.hit(&text)
    }

    /// `allowed_near` for a match in the value of `vars[i]`, a list of variables (an env
    /// file's, in its order; a deploy environment's, by name), read as `NAME=value` lines.
    pub fn allowed_among(&self, vars: &[(&str, &str)], i: usize) -> bool {
        if self.unless_near.is_none() {
            return false;
        }
        let (name, value) = vars[i];
        let Some(start) = self.regex.compiled().ok().and_then(|r| {
            let c = r.captures(value.as_bytes())?;
            Some(c.name("match").or_else(|| c.get(0))?.start())
        }) else {
            return false;
        };
        let lines = |vars: &[(&str, &str)]| -> String {
            vars.iter().map(|(n, v)| format!("{n}={v}\n")).collect()
        };
        let before = lines(&vars[i.saturating_sub(NEAR_LINES)..i]);
        let after = lines(&vars[i + 1..(i + 1 + NEAR_LINES).min(vars.len())]);
        let (head, tail) = value.as_bytes().split_at(start);
        self.allowed_near(
            &[before.as_bytes(), name.as_bytes(), b"=", head].concat(),
            &[tail, b"\n", after.as_bytes()].concat(),
        )
    }

    /// A pattern with just a name and a regex.
    pub fn new(name: &str, regex: Pattern) -> Self {
        PatternDef {
            name: name.to_string(),
            regex,
            secret: false,
            allow: None,
            unless_defined_by: None,
            paths: None,
            everywhere: false,
            context_after: 0,
            unless_before: None,
            unless_whole: None,
            unless_near: None,
            only_if_used: None,
            unless_in_comment_with: None,
            entropy: None,
            checksum: None,
            placeholders: None,
        }
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

/// A size: a number of bytes, or a string such as `512KiB`, `2MB`, `1 GiB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub fn parse(s: &str) -> Result<u64, String> {
        let t = s.trim();
        let split = t
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: f64 = num.parse().map_err(|_| {
            format!("invalid size `{s}`: expected e.g. `2MiB`, `500KB` or a byte count")
        })?;
        let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" => 1000,
            "kib" => 1 << 10,
            "m" | "mb" => 1000 * 1000,
            "mib" => 1 << 20,
            "g" | "gb" => 1000 * 1000 * 1000,
            "gib" => 1 << 30,
            other => {
                return Err(format!(
                    "invalid size unit `{other}` in `{s}`: use B, KB, KiB, MB, MiB, GB or GiB"
                ))
            }
        };
        Ok((n * mult as f64) as u64)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a size such as 2MiB or a byte count")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v)
                    .map(ByteSize)
                    .map_err(|_| E::custom("a size cannot be negative"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ByteSize, E> {
                ByteSize::parse(v).map(ByteSize).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day(pub jiff::civil::Date);

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.trim().parse::<jiff::civil::Date>().map(Day).map_err(|e| {
            serde::de::Error::custom(format!("invalid date `{s}` (expected YYYY-MM-DD): {e}"))
        })
    }
}

/// A check's `samples`: inputs that must (`fail`) and must not (`pass`) produce a finding.
#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Samples {
    #[serde(default)]
    pub fail: Vec<Sample>,
    #[serde(default)]
    pub pass: Vec<Sample>,
}

/// A sample: a string (file content for content kinds, a path for file kinds), or a mapping.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Sample {
    Text(String),
    Full(SampleSpec),
}

impl Sample {
    /// The sample's text: the string itself, or its `content` (`missing` says what it should be).
    pub fn text(&self, missing: &str) -> Result<String, String> {
        match self {
            Sample::Text(t) => Ok(t.clone()),
            Sample::Full(f) => f.content.clone().ok_or_else(|| missing.to_string()),
        }
    }

    /// The files of a sample with contents: `files`, or `path` with `content`.
    pub fn files(&self) -> std::collections::BTreeMap<String, String> {
        match self {
            Sample::Full(f) if !f.files.is_empty() => f.files.clone(),
            Sample::Full(SampleSpec {
                path: Some(p),
                content: Some(c),
                ..
            }) => [(p.clone(), c.clone())].into(),
            _ => Default::default(),
        }
    }

    /// The files a file-kind sample stands for: the string, `paths`, or `path`.
    pub fn paths(&self) -> Vec<String> {
        match self {
            Sample::Text(t) => vec![t.clone()],
            Sample::Full(f) if !f.paths.is_empty() => f.paths.clone(),
            Sample::Full(f) => f.path.clone().into_iter().collect(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleSpec {
    /// The file the content is in (content kinds whose `include` selects certain files).
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    /// The files present (file kinds).
    #[serde(default)]
    pub paths: Vec<String>,
    /// Files with their contents (kinds that read several files: manifests, lockfiles).
    #[serde(default)]
    pub files: std::collections::BTreeMap<String, String>,
}

/// A duration such as `90s`, `10m`, `1h30m` (a `command` time limit, a sign-off's age).
#[derive(Debug, Clone, Copy, schemars::JsonSchema)]
#[schemars(with = "String")]
pub struct Timeout(pub Duration);

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s)
            .map(Timeout)
            .map_err(serde::de::Error::custom)
    }
}

/// `90s`, `10m`, `1h30m`, `2d`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration `{s}`: use e.g. 90s, 10m, 1h30m, 7d");
    let mut total = 0u64;
    let mut num = String::new();
    let t = s.trim();
    if t.is_empty() {
        return Err(bad());
    }
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().map_err(|_| bad())?;
        num.clear();
        total += n * match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
    }
    if !num.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
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
        assert_eq!(engine_syntax(r"\bAKIA\B").unwrap(), r"(?-u:\b)AKIA(?-u:\B)");
        assert_eq!(engine_syntax(r"^a\$").unwrap(), r"^a\$");
        // ASCII: a non-ASCII letter is not a word character.
        let p = Pattern::new(r"\bkey\b").unwrap();
        assert!(p.is_match("ékey".as_bytes()).unwrap());
        assert!(!Pattern::new("a+").unwrap().matches_empty());
    }

    /// The pattern analysed (`engine_hir`, one parse) is the pattern the engine runs
    /// (`engine_syntax`, printed and parsed again), for every built-in pattern and a few shapes.
    #[test]
    fn engine_hir_is_the_engine_syntax_parsed() {
        let mut errors = Vec::new();
        let checks = crate::config::parse_checks(
            &crate::config::builtin_sources(),
            &Default::default(),
            None,
            &mut errors,
        );
        let mut sources: Vec<String> = checks
            .iter()
            .filter_map(|c| c.spec.content())
            .flat_map(|p| p.patterns.iter().map(|d| d.regex.as_str().to_string()))
            .collect();
        assert!(sources.len() > 40);
        sources.extend([
            r"\bAKIA\B".into(),
            r"(?i)\btoken\b\s*=".into(),
            "plain".into(),
        ]);
        for src in &sources {
            let printed = regex_syntax::ParserBuilder::new()
                .multi_line(true)
                .utf8(false)
                .build()
                .parse(&engine_syntax(src).unwrap())
                .unwrap();
            assert_eq!(engine_hir(src).unwrap(), printed, "{src}");
        }
        assert!(engine_hir("(").unwrap_err().contains("invalid regex"));
    }

    /// A list answers as the globs `compile_glob` makes, asked one by one: names at any depth,
    /// nested paths, look-alikes and the other shapes.
    #[test]
    fn glob_lists_answer_as_their_globs() {
        let sources: Vec<String> = [
            "tests/",
            "./fixtures/",
            "node_modules/",
            ".github/",
            "features/support/",
            "/top/",
            "example-*/",
            "*_test.go",
            "*.md",
            "Jenkinsfile",
            "src/*.rs",
            "a[b]/",
        ]
        .map(String::from)
        .to_vec();
        let list = GlobList::new(&sources).unwrap();
        let mut b = GlobSetBuilder::new();
        for g in &sources {
            b.add(compile_glob(g).unwrap());
        }
        let set = b.build().unwrap();
        for path in [
            "tests/a.py",
            "pkg/tests/deep/a.py",
            "tests",
            "mytests/a.py",
            "tests.py",
            "a/tests",
            "x/fixtures/y",
            "web/node_modules/pkg/index.js",
            ".github/workflows/ci.yml",
            "features/support/env.rb",
            "app/features/support/env.rb",
            "top/x",
            "a/top/x",
            "example-app/main.go",
            "pkg/x_test.go",
            "README.md",
            "ci/Jenkinsfile",
            "src/main.rs",
            "src/a/main.rs",
            "ab/x",
            "a[b]/x",
            "Tests/a.py",
            "",
        ] {
            assert_eq!(list.is_match(path), set.is_match(path), "{path}");
        }
        assert!(list.is_match("pkg/tests/deep/a.py"));
        assert!(!list.is_match("mytests/a.py"));
    }

    #[test]
    fn sizes() {
        assert_eq!(ByteSize::parse("2MiB").unwrap(), 2 << 20);
        assert_eq!(ByteSize::parse("500 KB").unwrap(), 500_000);
        assert_eq!(ByteSize::parse("1024").unwrap(), 1024);
        assert!(ByteSize::parse("12 parsecs").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("5 weeks").is_err());
    }
}
