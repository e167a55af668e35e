//! Parameters shared by the content kinds (`repo-content`, `artifact-content`): which files, and
//! which patterns. `patterns-from` borrows another check's patterns, so "an AWS key" is defined
//! once and used for the repository and for the artifact alike.

use serde::Deserialize;

use crate::check::Meta;
use crate::inputs::content::{ContentMatcher, ContentRule, RawMatch, Selection, Subject};
use crate::inputs::material::{Materials, Scope};
use crate::kinds::Borrowing;
use crate::report::model::{Finding, Location};
use crate::text::{excerpt, redact, redact_match};
use crate::types::{GlobList, Pattern, PatternDef, Sample};

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
    /// Which material it looks at: `shipped` (default: not tests, examples, docs, benches,
    /// vendored code), `runtime` (also not build/CI tooling) or `all`. A pattern marked
    /// `everywhere` is reported in any file.
    #[serde(default)]
    pub scope: Scope,
    /// Matches inside comments, doc comments and docstrings do not count (for checks about what
    /// the program uses, not what the text says).
    #[serde(default)]
    pub ignore_comments: bool,
    /// Matches in a variant-named Dockerfile (`Dockerfile.<x>`, `<x>.Dockerfile`) that no other
    /// file of the repository names (documentation aside) do not count: nothing builds it. The
    /// result says which were left out. A plain `Dockerfile` always counts.
    #[serde(default)]
    pub built_dockerfiles_only: bool,
    /// What a made-up value looks like, for every secret pattern of this check: `min-entropy`,
    /// `repeated`, `sequence`, `words`, `patterns`, `examples` (a match that looks so is not a
    /// finding).
    #[serde(default)]
    pub placeholders: Option<crate::secrets::Placeholders>,
    /// The application's own keys where it runs locally: in `files` (CI workflows, development
    /// configuration), a match on a line that sets one of `names` (`SECRET_KEY: …`,
    /// `secret_key_base: …`) is the key a test run or a developer's server signs with, not a
    /// credential anything deployed uses.
    #[serde(default)]
    pub local_run_keys: Option<LocalRunKeys>,
    /// Example files (globs: `.env.example`, `.env.template` …) whose commented-out lines show
    /// alternatives: a match on such a line is documentation. An uncommented value there, and a
    /// commented-out one anywhere else, still count.
    #[serde(default)]
    pub commented_examples: Option<GlobList>,
    /// Key files named for localhost (mkcert's `localhost-key.pem`, a development server's
    /// `localhost.pem` beside its `localhost.cert`): a certificate for localhost names no host
    /// anyone else reaches, so a match of `patterns` in `files` is a local server's key.
    #[serde(default)]
    pub local_tls_keys: Option<LocalTlsKeys>,
    /// Configuration files of the development and test environments only (Mix's `config/dev.exs`
    /// and `config/test.exs`, imported by `config/config.exs` for that environment alone; Rails'
    /// `config/environments/development.rb`): a match of `patterns` in `files` is the key a
    /// developer's server or a test run signs with; a release is built with the production
    /// environment and never loads them. Any other secret in them is still reported.
    #[serde(default)]
    pub dev_config_keys: Option<LocalTlsKeys>,
    /// Settings a later file of the same folder sets again for production: Phoenix's
    /// `config/config.exs` holds the development `secret_key_base`, and `config/runtime.exs`
    /// (or `config/prod.exs`), loaded after it, sets the key from the environment. A match in
    /// `files` on a line that sets a key `names` captures is not a finding when one of `by`
    /// sets that key too; the same key with no later setting is still reported.
    #[serde(default)]
    pub overridden_keys: Option<OverriddenKeys>,
    /// Accounts the repository itself creates: a match of `/home/<user>/` where one of `files` creates `<user>` (`creates` captures the name: `adduser … nextjs` in
    /// a Dockerfile, `sudo adduser … huginn` in an install guide, a Dockerfile's
    /// `WORKDIR /home/shlink`) is that service account's home, not a developer's machine.
    /// Another user's home is still reported.
    #[serde(default)]
    pub service_users: Option<ServiceUsers>,
}

/// See [`ContentParams::service_users`].
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServiceUsers {
    /// The files that create accounts (globs: Dockerfiles, install guides, setup scripts).
    pub files: GlobList,
    /// A regex whose first capture that takes part is the name of an account a line creates
    /// (or whose home a Dockerfile works in: `WORKDIR /home/shlink`).
    pub creates: Pattern,
}

/// See [`ContentParams::overridden_keys`].
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OverriddenKeys {
    /// The files whose settings later files override (globs).
    pub files: GlobList,
    /// The file names, in the same folder, that override them (`runtime.exs`, `prod.exs`).
    pub by: Vec<String>,
    /// A regex the match's line must match; its first capture is the key's name.
    pub names: Pattern,
}

/// See [`ContentParams::local_tls_keys`].
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LocalTlsKeys {
    /// The key files (globs).
    pub files: GlobList,
    /// The names of the patterns they are left out of (`private-key`).
    pub patterns: Vec<String>,
}

/// See [`ContentParams::local_run_keys`].
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LocalRunKeys {
    /// The CI files (globs).
    pub files: GlobList,
    /// A regex the whole line must match: the application's own key names.
    pub names: Pattern,
}

impl ContentParams {
    pub fn selection(&self) -> Selection {
        Selection {
            include: self.include.clone(),
            exclude: self.exclude.clone(),
            scope: self.scope,
            ignore_comments: self.ignore_comments,
        }
    }

    pub fn rule(&self) -> ContentRule {
        ContentRule {
            selection: self.selection(),
            patterns: self.patterns.clone(),
        }
    }

    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "files: {}",
            self.include
                .as_ref()
                .map_or("every text file".to_string(), |g| g.sources.join(", "))
        )];
        if !self.exclude.is_empty() {
            lines.push(format!("not searched: {}", self.exclude.sources.join(", ")));
        }
        lines.push(format!("looks at: {}", self.scope.describe()));
        if self.ignore_comments {
            lines.push("comments, doc comments and docstrings do not count".into());
        }
        if let Some(k) = &self.local_run_keys {
            lines.push(format!(
                "in {}, a line setting the application's own key ({}) is a local run's, not a finding",
                k.files.sources.join(", "),
                k.names.as_str()
            ));
        }
        if let Some(k) = &self.local_tls_keys {
            lines.push(format!(
                "{} in a key file named for localhost ({}) is a local development server's key, not a finding",
                k.patterns.join(", "),
                k.files.sources.join(", ")
            ));
        }
        if let Some(k) = &self.dev_config_keys {
            lines.push(format!(
                "{} in a development or test environment's configuration ({}) is a developer's or a test run's key, never loaded by a production release, not a finding",
                k.patterns.join(", "),
                k.files.sources.join(", ")
            ));
        }
        if let Some(k) = &self.overridden_keys {
            lines.push(format!(
                "in {}, a line setting a key that {} in the same folder sets again is a development default the production setting replaces, not a finding",
                k.files.sources.join(", "),
                k.by.join(" or ")
            ));
        }
        if let Some(u) = &self.service_users {
            lines.push(format!(
                "the home of an account that {} create (`{}`) is that service's, not a developer's machine",
                u.files.sources.join(", "),
                u.creates.as_str()
            ));
        }
        if let Some(g) = &self.commented_examples {
            lines.push(format!(
                "a commented-out line of an example file ({}) is documentation, not a finding",
                g.sources.join(", ")
            ));
        }
        if self.built_dockerfiles_only {
            lines.push("a Dockerfile.<x> or <x>.Dockerfile that no other file of the repository names (docs aside) is not built, and not looked at".into());
        }
        for d in &self.patterns {
            lines.push(format!(
                "pattern {}{}{}: {}",
                d.name,
                if d.secret { " (secret, redacted)" } else { "" },
                if d.everywhere && self.scope != Scope::All {
                    " (in every file, tests and docs too)"
                } else {
                    ""
                },
                d.regex.as_str()
            ));
            if let Some(c) = &d.unless_in_comment_with {
                lines.push(format!(
                    "  not a finding inside a doc comment that also matches {} (a documented example)",
                    c.as_str()
                ));
            }
        }
        lines
    }

    pub fn validate(&self) -> Vec<String> {
        self.patterns
            .iter()
            .filter(|d| d.regex.matches_empty())
            .map(|d| {
                format!(
                    "pattern `{}` matches the empty string, so it would match every file",
                    d.name
                )
            })
            .collect()
    }

    pub fn borrowing(&mut self) -> Borrowing<'_> {
        Borrowing {
            placeholders: self.placeholders.clone().map(std::sync::Arc::new),
            from: self.patterns_from.clone(),
            into: &mut self.patterns,
            required: true,
        }
    }

    /// Drops the matches on a CI or development file's line that sets the application's own key,
    /// on a commented-out line of an example file, a localhost key file's key, and a development
    /// environment configuration's key.
    pub fn drop_documented(&self, matches: &mut Vec<(String, RawMatch)>) {
        if let Some(k) = &self.local_run_keys {
            matches.retain(|(path, m)| {
                !(k.files.is_match(path)
                    && k.names.is_match(m.line_text.as_bytes()).unwrap_or(false))
            });
        }
        // A localhost key file's key, a development environment configuration's key: the same
        // shape of list (files, and the patterns whose matches there are a developer's).
        for k in [&self.local_tls_keys, &self.dev_config_keys]
            .into_iter()
            .flatten()
        {
            matches
                .retain(|(path, m)| !(k.files.is_match(path) && k.patterns.contains(&m.pattern)));
        }
        if let Some(g) = &self.commented_examples {
            matches.retain(|(path, m)| {
                !(g.is_match(path) && m.line_text.trim_start().starts_with('#'))
            });
        }
    }

    /// The files the cross-file rules read, kept by the repository pass (`Wants::contents`):
    /// the later configuration files of `overridden-keys`, the files of `service-users`.
    pub fn kept_files(&self) -> Vec<String> {
        let mut globs = Vec::new();
        if let Some(k) = &self.overridden_keys {
            globs.extend(k.by.iter().cloned());
        }
        if let Some(u) = &self.service_users {
            globs.extend(u.files.sources.iter().cloned());
        }
        globs
    }

    /// Drops the matches of [`ContentParams::overridden_keys`]: a key that a later file of the
    /// same folder (read by the repository pass, in `kept`) sets again.
    pub fn drop_overridden(&self, kept: &Kept, matches: &mut Vec<(String, RawMatch)>) {
        let Some(k) = &self.overridden_keys else {
            return;
        };
        let Ok(names) = k.names.compiled() else {
            return;
        };
        matches.retain(|(path, m)| {
            if !k.files.is_match(path) {
                return true;
            }
            let Some(key) = names
                .captures(m.line_text.as_bytes())
                .and_then(|c| c.get(1))
                .map(|g| String::from_utf8_lossy(g.as_bytes()).into_owned())
            else {
                return true;
            };
            let folder = path.rsplit_once('/').map_or("", |(d, _)| d);
            !k.by.iter().any(|f| {
                let later = if folder.is_empty() {
                    f.clone()
                } else {
                    format!("{folder}/{f}")
                };
                kept.get(&later)
                    .is_some_and(|t| sets_key(&String::from_utf8_lossy(t), &key))
            })
        });
    }

    /// Drops the matches of [`ContentParams::service_users`]: the home of an account one of
    /// `files` (read by the repository pass, in `kept`) creates.
    pub fn drop_service_homes(&self, kept: &Kept, matches: &mut Vec<(String, RawMatch)>) {
        let Some(s) = &self.service_users else {
            return;
        };
        let home = |m: &RawMatch| -> Option<String> {
            let rest = m.matched.strip_prefix("/home/")?;
            Some(rest.split('/').next()?.to_string())
        };
        if !matches.iter().any(|(_, m)| home(m).is_some()) {
            return;
        }
        let Ok(creates) = s.creates.compiled() else {
            return;
        };
        let users: std::collections::BTreeSet<String> = kept
            .iter()
            .filter(|(path, _)| s.files.is_match(path))
            .flat_map(|(_, text)| creates.captures_iter(text))
            .filter_map(|c| c.iter().skip(1).flatten().next())
            .map(|u| String::from_utf8_lossy(u.as_bytes()).into_owned())
            .collect();
        matches.retain(|(_, m)| home(m).is_none_or(|u| !users.contains(&u)));
    }

    /// How many findings these patterns make on a sample file.
    pub fn run_sample(&self, id: &str, sample: &Sample) -> Result<usize, String> {
        let content = sample.text("a content sample needs `content`")?;
        let path = match sample {
            Sample::Text(_) => None,
            Sample::Full(f) => f.path.clone(),
        };
        let path = match path {
            Some(p) => p,
            None if self.include.is_none() => "src/sample".to_string(),
            None => {
                return Err(
                    "this check selects files with `include`, so its samples need a `path`".into(),
                )
            }
        };
        let m = ContentMatcher::new(vec![(0, self.rule())])?;
        let owners = m.owners_for(&path);
        let id = id.to_string();
        let file = Subject {
            paths: &[path.as_str()],
            material: Materials::default().of(&path),
        };
        Ok(m.scan(&file, &owners, content.as_bytes(), &|_| id.clone())
            .matches
            .len())
    }
}

/// The contents the repository pass kept, by path (`RepoScan::kept`).
type Kept = std::collections::BTreeMap<String, Vec<u8>>;

/// Whether `text` sets `key` (`key:` or `key =`, outside a `#` comment).
fn sets_key(text: &str, key: &str) -> bool {
    if key.is_empty() {
        return false;
    }
    text.lines().any(|line| {
        let code = line.split('#').next().unwrap_or("");
        code.match_indices(key).any(|(at, _)| {
            let before = code[..at].chars().next_back();
            let after = code[at + key.len()..].trim_start();
            before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
                && (after.starts_with(':') && !after.starts_with("::") || after.starts_with('='))
                && !after.starts_with("==")
        })
    })
}

/// Every regex of a list of pattern definitions.
pub fn regexes(defs: &[PatternDef]) -> impl Iterator<Item = &Pattern> {
    defs.iter().flat_map(|d| {
        std::iter::once(&d.regex)
            .chain(&d.allow)
            .chain(&d.unless_defined_by)
            .chain(&d.unless_before)
            .chain(&d.unless_whole)
            .chain(&d.unless_near)
            .chain(&d.only_if_used)
            .chain(&d.unless_in_comment_with)
    })
}

/// The shown form of a match: redacted when secret.
pub fn shown(m: &RawMatch) -> String {
    if m.secret {
        redact_match(&m.matched)
    } else {
        excerpt(&m.matched, 120)
    }
}

/// The line as evidence, with a secret match replaced by its redacted form and the password of
/// any `scheme://user:password@host` URL redacted too.
pub fn evidence(m: &RawMatch) -> String {
    let line = if m.secret {
        // A key block goes whole (its match is only the start of it).
        crate::secrets::redact_key_blocks(&m.line_text)
            .replace(&m.matched, &redact_match(&m.matched))
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
    check: &Meta,
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
