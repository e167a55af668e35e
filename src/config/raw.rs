//! Raw configuration: plain serde data, exactly what the YAML says. Every struct rejects unknown
//! fields, and per-field parsing (regex, glob, size, date) happens in newtypes (`types`) so
//! yaml_serde can place an error at its line and column. No `tag`/`flatten`: they lose positions.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::kinds::{Kind, Spec};
use crate::types::{ByteSize, Day, GlobList, Samples, Severity, Stage};

macro_rules! define_raw_check {
    ($($field:ident : $variant:ident ($ty:ty)),* $(,)?) => {
        /// One check file. The kind keys (exactly one of them) are generated from the kind
        /// registry, `kinds::for_each_kind!`, one plain field each (no `flatten`: it loses
        /// error positions).
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
            /// Template of each finding's message, with the kind's fields (`{path}`, `{line}`,
            /// `{match}`…).
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
            /// Inputs that must (`fail`) and must not (`pass`) produce a finding; `shipgate
            /// validate` runs them.
            #[serde(default)]
            pub samples: Option<Samples>,
            $(
                #[serde(default)]
                pub $field: Option<$ty>,
            )*
        }

        impl RawCheck {
            /// The kind keys the check has, with their parameters (exactly one in a valid check).
            pub fn take_kinds(&mut self) -> Vec<(&'static str, Spec)> {
                let mut out = Vec::new();
                $(
                    if let Some(k) = self.$field.take() {
                        out.push((<$ty as Kind>::KEY, Spec::$variant(k)));
                    }
                )*
                out
            }
        }
    };
}
crate::kinds::for_each_kind!(define_raw_check);

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
    /// Release sign-off: signatures, allowed signers, four eyes.
    #[serde(default)]
    pub signoff: RawSignoff,
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
    /// Most bytes of entry names kept for one artifact (default 32 MiB).
    #[serde(default)]
    pub artifact_max_names: Option<ByteSize>,
    /// Branches whose pushes the pre-push hook examines commit by commit (globs; default main,
    /// master, trunk, release/*, releases/*, *.x, *.*.x, stable).
    #[serde(default)]
    pub protected_branches: Option<Vec<String>>,
    /// What does not ship (tests, examples, docs, benches, vendored code, development tooling):
    /// every repository check with a `scope` reads this. A category given here replaces its
    /// default globs; `shipped` names paths that ship anyway.
    #[serde(default)]
    pub material: RawMaterial,
    /// Deploy manifests that define the deploy environment, per stage, as `--env-from` does
    /// (docker compose, Kubernetes, fly.toml, app.json, render.yaml), relative to the repository
    /// root. `--env-from` on the command line replaces them for that run.
    #[serde(default)]
    pub env_from: RawEnvFrom,
}

/// `settings.env-from`: the deploy manifests of each stage.
#[derive(Debug, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawEnvFrom {
    #[serde(default)]
    pub pre_push: Vec<String>,
    #[serde(default)]
    pub ci: Vec<String>,
    #[serde(default)]
    pub release: Vec<String>,
}

/// `settings.material`: globs per category of material that does not ship.
#[derive(Debug, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawMaterial {
    /// Tests and fixtures (default: `tests/`, `test/`, `__tests__/`, `*_test.go`, `*.test.*`, …).
    #[serde(default)]
    pub test: Option<Vec<String>>,
    /// Examples, samples, demos, playgrounds.
    #[serde(default)]
    pub example: Option<Vec<String>>,
    /// Documentation (`docs/`, `*.md`, changelogs).
    #[serde(default)]
    pub doc: Option<Vec<String>>,
    /// Benchmarks.
    #[serde(default)]
    pub bench: Option<Vec<String>>,
    /// Third-party and generated code (`vendor/`, `node_modules/`, minified bundles, lockfiles).
    #[serde(default)]
    pub vendored: Option<Vec<String>>,
    /// Build, CI and development configuration (`.github/`, `*.config.js`, `Makefile`, `build.rs`).
    #[serde(default)]
    pub tooling: Option<Vec<String>>,
    /// Paths that ship although a glob above says otherwise (a `docs/` folder that is the product).
    #[serde(default)]
    pub shipped: Vec<String>,
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

/// `signoff:` in `.shipgate.yaml` (see `config::signoff`).
#[derive(Debug, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSignoff {
    /// Without a signing key in git's configuration, make unsigned records (saying so), and let
    /// `signoff verify` accept unsigned and version-1 records (default false).
    #[serde(default)]
    pub allow_unsigned: Option<bool>,
    /// The SSH allowed-signers file signatures are verified against, relative to the repository
    /// root (default: git's `gpg.ssh.allowedSignersFile`).
    #[serde(default)]
    pub allowed_signers: Option<String>,
    /// Nobody who authored or committed a commit of the released range signs it off (default true).
    #[serde(default)]
    pub four_eyes: Option<bool>,
    /// How many distinct people sign the same record (default 1).
    #[serde(default)]
    pub required_signers: Option<u32>,
}
