//! Reporters: each formats a finished `Report` and nothing else, behind one trait. `Format`
//! picks one. `list`, `explain` and `calendar` are the typed models of the other commands' output.

pub mod calendar;
pub mod explain;
pub mod fingerprint;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod junit;
pub mod list;
pub mod markdown;
pub mod model;
pub mod sarif;

use std::io::{self, Write};

use clap::ValueEnum;

use crate::types::Input;
use model::{Location, Paths, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable text, colored on a terminal.
    Human,
    /// The version-1 JSON report (see the README's "JSON report" section).
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// JUnit XML, one test case per check.
    Junit,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// Markdown: a summary table and the findings.
    Markdown,
    /// GitLab Code Quality JSON.
    Gitlab,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        <Format as ValueEnum>::from_str(s, true).ok()
    }

    /// Every format's name, as the command line spells it.
    pub fn names() -> Vec<String> {
        Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
            .collect()
    }

    /// The reporter of this format. `color` only matters for `human`.
    pub fn reporter(self, color: bool) -> Box<dyn Reporter> {
        match self {
            Format::Human => Box::new(human::Human(human::Styles::new(color))),
            Format::Json => Box::new(Json),
            Format::Sarif => Box::new(sarif::Sarif),
            Format::Junit => Box::new(junit::Junit),
            Format::Github => Box::new(github::Github),
            Format::Markdown => Box::new(markdown::Markdown),
            Format::Gitlab => Box::new(gitlab::Gitlab),
        }
    }
}

/// Formats a finished report.
pub trait Reporter {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()>;
}

/// Writes `report` in `format`. `color` only matters for `human`.
pub fn write(report: &Report, format: Format, color: bool, out: &mut dyn Write) -> io::Result<()> {
    format.reporter(color).write(report, out)
}

/// Writes `report` in `format` to a terminal `width` columns wide (`None`: not a terminal): the
/// human report wraps its help, reasons and skip lists to it.
pub fn write_to(
    report: &Report,
    format: Format,
    color: bool,
    width: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::Human(human::Styles::new(color).wrapping(width)).write(report, out),
        _ => write(report, format, color, out),
    }
}

/// The version-1 JSON report: the `Report` model serialized.
pub struct Json;

impl Reporter for Json {
    fn write(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        json(out, report)
    }
}

/// Pretty JSON and a final newline.
pub fn json(out: &mut dyn Write, v: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, v)?;
    writeln!(out)
}

/// A location as one short label: `path:line:col`, `artifact!entry`, `commit abc1234`, `$NAME`.
pub fn location_label(l: &Location) -> String {
    let mut s = match (l.input, &l.path) {
        (Input::Artifact, Some(p)) => match &l.artifact {
            Some(a) => format!("{a}!{p}"),
            None => p.clone(),
        },
        (_, Some(p)) => p.clone(),
        (Input::Git, None) => l
            .commit
            .as_ref()
            .map(|c| format!("commit {}", &c[..c.len().min(12)]))
            .unwrap_or_else(|| "git".into()),
        (Input::Env, None) => l
            .name
            .as_ref()
            .map(|n| format!("${n}"))
            .unwrap_or_else(|| "env".into()),
        (Input::Artifact, None) => l.artifact.clone().unwrap_or_else(|| "artifact".into()),
        (i, None) => i.as_str().to_string(),
    };
    if let Some(line) = l.line {
        s.push_str(&format!(":{line}"));
        if let Some(col) = l.column {
            s.push_str(&format!(":{col}"));
        }
    }
    crate::text::sanitize(&s)
}

/// Whether `head` (a file's first bytes) is one of shipgate's own reports, in any format: a
/// report written into the repository (`-o report.json`) is not scanned by the next run, or every
/// finding would be found again inside it.
pub fn is_own_report(head: &[u8]) -> bool {
    let head = &head[..head.len().min(4096)];
    // Every format names the tool in its first bytes: a file that does not is none of them
    // (decoding and searching the head of every file was a twentieth of a tree's scan).
    if memchr::memmem::find(head, b"shipgate").is_none() {
        return false;
    }
    let h = String::from_utf8_lossy(head);
    let t = h.trim_start();
    let json_tool = h.contains("\"name\": \"shipgate\"") || h.contains("\"name\":\"shipgate\"");
    (t.starts_with('{') && json_tool && (h.contains("\"verdict\"") || h.contains("sarif")))
        || (t.starts_with('[') && h.contains("\"engine_name\": \"shipgate\""))
        || t.starts_with("<?xml") && h.contains("<testsuites name=\"shipgate\"")
        || t.starts_with("## shipgate: gate ")
        || (t.starts_with("shipgate ") && h.contains(" · stage "))
        || t.lines().next().is_some_and(|l| {
            (l.starts_with("::error ") || l.starts_with("::warning ") || l.starts_with("::notice "))
                && l.contains("title=shipgate ")
        })
}

/// Where a consumer that attaches findings to repository files (code scanning, Code Quality,
/// annotations) puts one finding. Such consumers take repository-relative paths only: an absolute
/// or `../` path attaches to nothing, and a result without a file is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The repository-relative file: the finding's own (`own`), or `Paths::anchor` for a finding
    /// about no file of the repository. `None` when the repository has no file to attach it to.
    pub file: Option<String>,
    /// Whether `file` is the finding's own file, not the anchor: its line and column apply, unless
    /// the file is an artifact (their line is inside the entry).
    pub own: bool,
    /// What the finding is about when `file` does not say it: the artifact and its entry, or the
    /// path as given when it is outside the repository.
    pub about: Option<String>,
}

impl Place {
    /// The line and column in `file`, when they are the finding's.
    pub fn line(&self, l: &Location) -> Option<(u64, Option<u64>)> {
        if self.own && l.input != Input::Artifact {
            l.line.map(|n| (n, l.column))
        } else {
            None
        }
    }
}

/// The place of a finding at `l`.
pub fn place(paths: &Paths, l: &Location) -> Place {
    let anchor = |about: Option<String>| Place {
        file: paths.anchor.clone(),
        own: false,
        about,
    };
    match (l.input, &l.path) {
        (Input::Artifact, entry) => {
            let Some(a) = &l.artifact else {
                return anchor(entry.clone());
            };
            // An image of a multi-image artifact is named `app-oci.tar!linux/arm64`.
            let file = a.split('!').next().unwrap_or(a);
            let full = match entry {
                Some(e) => format!("{a}!{e}"),
                None => a.clone(),
            };
            match paths.in_repo(file, false) {
                Some(rel) => Place {
                    file: Some(rel),
                    own: true,
                    about: Some(full),
                },
                None => anchor(Some(full)),
            }
        }
        // Repository files, env files, and the files commit and state findings are about
        // (a manifest, a migration).
        (_, Some(p)) => match paths.in_repo(p, l.input != Input::Env) {
            Some(rel) => Place {
                file: Some(rel),
                own: true,
                about: None,
            },
            None => anchor(Some(p.clone())),
        },
        _ => anchor(None),
    }
}
