//! Raw configuration: plain serde data, exactly what the YAML says. Every struct rejects unknown
//! fields, and per-field parsing (regex, glob, size, date) happens in `try_from` newtypes so
//! yaml_serde can place an error at its line and column. No `tag`/`flatten`: they lose positions.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::check::{GlobList, Severity, Stage};
use crate::kinds::{
    artifact_files, command, content::ContentParams, deploy_window, env, git_commits, git_state,
    manual, repo_files,
};

/// One check file.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCheck {
    /// Unique, kebab-case.
    pub id: String,
    /// One line: what passing means ("The package ships no source maps").
    pub title: String,
    pub severity: Severity,
    /// Stages the check runs in (default: all).
    #[serde(default)]
    pub stages: Option<Vec<Stage>>,
    /// Template of each finding's message, with the kind's fields (`{path}`, `{line}`, `{match}`…).
    #[serde(default)]
    pub message: Option<String>,
    /// How to fix a finding.
    #[serde(default)]
    pub help: Option<String>,
    /// Why this matters (shown by `shipgate explain`).
    #[serde(default)]
    pub why: Option<String>,
    /// Loaded but not run unless turned on in `.shipgate.yaml` or named with `--only`.
    #[serde(default)]
    pub off: bool,
    /// Inputs that must (`fail`) and must not (`pass`) produce a finding; `shipgate validate` runs them.
    #[serde(default)]
    pub samples: Option<Samples>,
    // The kinds: exactly one of these keys.
    #[serde(default)]
    pub repo_files: Option<repo_files::Params>,
    #[serde(default)]
    pub repo_content: Option<ContentParams>,
    #[serde(default)]
    pub artifact_files: Option<artifact_files::Params>,
    #[serde(default)]
    pub artifact_content: Option<ContentParams>,
    #[serde(default)]
    pub git_commits: Option<git_commits::Params>,
    #[serde(default)]
    pub git_state: Option<git_state::Params>,
    #[serde(default)]
    pub deploy_window: Option<deploy_window::Params>,
    #[serde(default)]
    pub env: Option<env::Params>,
    #[serde(default)]
    pub command: Option<command::Params>,
    #[serde(default)]
    pub manual: Option<manual::Params>,
}

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
}

/// `.shipgate.yaml`.
#[derive(Debug, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawProject {
    /// Use the built-in checklist (default true).
    #[serde(default)]
    pub builtins: Option<bool>,
    /// Extra check files or folders of check files, relative to the repository root.
    #[serde(default)]
    pub extra_checks: Vec<String>,
    /// Per-check changes, by check id.
    #[serde(default)]
    pub checks: BTreeMap<String, RawChange>,
    #[serde(default)]
    pub settings: RawSettings,
    #[serde(default)]
    pub waivers: Vec<RawWaiver>,
}

#[derive(Debug, Deserialize, Default, Clone, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawChange {
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub stages: Option<Vec<Stage>>,
    /// `true` turns the check off; `false` turns on a check that is off by default.
    #[serde(default)]
    pub off: Option<bool>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub help: Option<String>,
    /// Replaces parameters of the check's kind, key by key.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub params: Option<yaml_serde::Mapping>,
}

#[derive(Debug, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// IANA time zone for deploy windows and the report's time (default: the machine's).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Files larger than this are listed but not scanned for content (default 2 MiB).
    #[serde(default)]
    pub max_file_size: Option<ByteSize>,
    /// Paths no repository check looks at.
    #[serde(default)]
    pub exclude: GlobList,
    /// Artifact entries larger than this are listed and size-checked but not scanned (default 16 MiB).
    #[serde(default)]
    pub artifact_max_scan_size: Option<ByteSize>,
    /// Total uncompressed bytes one artifact may expand to (default 16 GiB).
    #[serde(default)]
    pub artifact_max_size: Option<ByteSize>,
    /// Highest uncompressed/compressed ratio before an artifact is taken for a bomb (default 250).
    #[serde(default)]
    pub artifact_max_ratio: Option<u64>,
    /// Most entries one artifact may have (default 1,000,000).
    #[serde(default)]
    pub artifact_max_entries: Option<u64>,
    /// Branches whose pushes the pre-push hook examines commit by commit (globs; default main,
    /// master, trunk, release/*, releases/*).
    #[serde(default)]
    pub protected_branches: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawWaiver {
    pub check: String,
    /// Glob of the paths whose findings are waived.
    pub path: String,
    pub reason: String,
    /// `YYYY-MM-DD`: from this day on the waiver no longer waives.
    #[serde(default)]
    pub expires: Option<Day>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(ByteSize::parse("2MiB").unwrap(), 2 << 20);
        assert_eq!(ByteSize::parse("500 KB").unwrap(), 500_000);
        assert_eq!(ByteSize::parse("1024").unwrap(), 1024);
        assert!(ByteSize::parse("12 parsecs").is_err());
    }
}
