//! `image-config`: what a container image's configuration says, beyond its files: secrets in
//! `Env` and in the build history (`created_by` keeps build arguments and `ENV` lines), the user
//! it runs as, the `org.opencontainers.image.revision` label against the commit being released,
//! size and layer budgets, and growth since a baseline image. Values are secrets: findings show
//! them redacted (first four characters), never whole.

use serde::Deserialize;

use crate::check::Meta;
use crate::inputs::artifact_scan::ArtifactData;
use crate::inputs::image::layout::{short, ImageConfig as Config};
use crate::inputs::image::ImageData;
use crate::kinds::{BaselineWant, Borrowing, Kind, Outcome, PassView, Wants};
use crate::report::model::{Finding, Location};
use crate::text::{excerpt, human_bytes, redact};
use crate::types::{ByteSize, Input, Pattern, PatternDef, Sample};

const REVISION: &str = "org.opencontainers.image.revision";

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ImageConfig {
    /// Report `Env` entries whose value is a secret (by the patterns, or by a secret name).
    #[serde(default)]
    pub env_secrets: bool,
    /// Report build steps (`history[].created_by`) that hold a secret: a build argument or `ENV`
    /// with a secret name and a value, or a value the patterns recognise.
    #[serde(default)]
    pub history_secrets: bool,
    /// Report an image that runs as root: no `User`, or `root`/`0`.
    #[serde(default)]
    pub root_user: bool,
    /// `match`: the revision label, when present, names the commit being released (HEAD);
    /// `require`: and it must be present.
    #[serde(default)]
    pub revision_label: Option<RevisionLabel>,
    /// The layers' uncompressed size (what `docker images` shows) at most this.
    #[serde(default)]
    pub max_size: Option<ByteSize>,
    /// At most this many layers.
    #[serde(default)]
    pub max_layers: Option<u64>,
    /// Growth of the uncompressed size since the baseline image beyond this percentage.
    #[serde(default)]
    pub max_growth_percent: Option<f64>,
    /// A previous release's image (path relative to the repository; `--baseline` also sets it).
    #[serde(default)]
    pub baseline: Option<String>,
    /// Names of variables and build arguments that hold secrets (`DB_PASSWORD`, `NPM_TOKEN`).
    #[serde(default)]
    pub secret_names: Option<Pattern>,
    /// Values that are secrets.
    #[serde(default)]
    pub patterns: Vec<PatternDef>,
    /// Checks whose patterns say what a secret value looks like (e.g. `repo-secrets`).
    #[serde(default)]
    pub patterns_from: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RevisionLabel {
    Match,
    Require,
}

impl ImageConfig {
    fn wants_baseline(&self) -> bool {
        self.max_growth_percent.is_some()
    }

    /// Whether the check reads only the configuration (its samples are configurations).
    fn config_only(&self) -> bool {
        self.revision_label.is_none()
            && self.max_size.is_none()
            && self.max_layers.is_none()
            && !self.wants_baseline()
    }
}

impl Kind for ImageConfig {
    const KEY: &'static str = "image-config";
    const INPUT: Input = Input::Artifact;
    const FIELDS: &'static [&'static str] = &["name", "detail", "path", "artifact"];

    fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = |cond: bool, s: String| {
            if cond {
                lines.push(s)
            }
        };
        line(self.env_secrets, "secrets in the image's Env".into());
        line(
            self.history_secrets,
            "secrets in the build history (build arguments, ENV lines)".into(),
        );
        line(
            self.root_user,
            "an image that runs as root (no User, or root/0)".into(),
        );
        if let Some(r) = self.revision_label {
            line(
                true,
                format!(
                    "the {REVISION} label names the commit being released{}",
                    if r == RevisionLabel::Require {
                        " (and is present)"
                    } else {
                        ""
                    }
                ),
            );
        }
        if let Some(s) = self.max_size {
            line(true, format!("at most {} uncompressed", human_bytes(s.0)));
        }
        if let Some(n) = self.max_layers {
            line(true, format!("at most {n} layers"));
        }
        if let Some(p) = self.max_growth_percent {
            line(
                true,
                format!("growth since the baseline image: at most {p}%"),
            );
        }
        if let Some(n) = &self.secret_names {
            line(true, format!("secret names: {}", n.as_str()));
        }
        lines
    }

    fn wants(&self) -> Wants {
        Wants {
            baseline: self.wants_baseline().then(|| BaselineWant {
                param: self.baseline.clone(),
            }),
            ..Wants::default()
        }
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        let any_image = view.artifacts.iter().any(|a| a.data.image.is_some());
        if !any_image && view.artifacts.iter().all(|a| a.error.is_none()) {
            return Outcome::skip("no container image among the artifacts");
        }
        let baseline = match self.baseline_image(view) {
            Ok(b) => b,
            Err(o) => return o,
        };
        let head = view.repo.head();
        if self.revision_label.is_some() && head.is_none() && any_image {
            return Outcome::skip(
                "needs the commit being released: HEAD has no commit (not a git repository?)",
            );
        }
        Pattern::compile_all(self.patterns()).map_or_else(Outcome::error, |_| {
            view.per_artifact(|a| match &a.data.image {
                None => Outcome::pass(),
                Some(img) => {
                    let mut out = Out::new(check, &a.data.display, &img.config_digest);
                    self.image(&mut out, img, head.as_deref(), baseline);
                    Outcome::findings(out.findings)
                }
            })
        })
    }

    fn validate(&self) -> Vec<String> {
        self.secret_names
            .iter()
            .filter(|p| p.matches_empty())
            .map(|_| {
                "`secret-names` matches the empty string, so every name would be a secret".into()
            })
            .collect()
    }

    fn patterns(&self) -> Vec<&Pattern> {
        self.patterns
            .iter()
            .map(|d| &d.regex)
            .chain(&self.secret_names)
            .collect()
    }

    fn borrowing(&mut self) -> Option<Borrowing<'_>> {
        Some(Borrowing {
            from: self.patterns_from.clone(),
            into: &mut self.patterns,
            required: false,
            placeholders: None,
        })
    }

    fn has_samples(&self) -> bool {
        self.config_only()
    }

    fn run_sample(&self, check: &Meta, sample: &Sample) -> Result<usize, String> {
        let text = sample.text("an image-config sample is an image configuration (JSON)")?;
        let config: Config = serde_json::from_str(&text)
            .map_err(|e| format!("the sample is not an image configuration: {e}"))?;
        Pattern::compile_all(self.patterns())?;
        let mut out = Out::new(check, "sample", "sha256:sample");
        self.configuration(&mut out, &config);
        Ok(out.findings.len())
    }
}

/// Collects one image's findings.
struct Out<'a> {
    check: &'a Meta,
    artifact: &'a str,
    config: String,
    findings: Vec<Finding>,
}

impl<'a> Out<'a> {
    fn new(check: &'a Meta, artifact: &'a str, config_digest: &str) -> Self {
        Out {
            check,
            artifact,
            config: format!("config ({})", short(config_digest)),
            findings: Vec::new(),
        }
    }

    /// A finding at `where_` in the configuration (`Env/NAME`), or about the whole image.
    fn push(&mut self, at: Option<&str>, name: &str, detail: String, evidence: Option<String>) {
        let path = at.map(|w| format!("{}/{w}", self.config));
        let fields = [
            ("name", name.to_string()),
            ("detail", detail.clone()),
            ("path", path.clone().unwrap_or_default()),
            ("artifact", self.artifact.to_string()),
        ];
        self.findings.push(Finding {
            message: self.check.render(|| detail.clone(), &fields),
            location: Location {
                path,
                artifact: Some(self.artifact.to_string()),
                ..Location::new(Input::Artifact)
            },
            evidence,
        });
    }
}

impl ImageConfig {
    fn baseline_image<'v>(&self, view: &'v PassView<'_>) -> Result<Option<&'v ImageData>, Outcome> {
        if !self.wants_baseline() {
            return Ok(None);
        }
        let path = view
            .baseline_arg
            .map(|p| p.to_path_buf())
            .or_else(|| self.baseline.as_ref().map(|b| view.repo.root.join(b)));
        let data: &ArtifactData =
            match path.and_then(|p| view.baselines.get(&p)) {
                None => return Err(Outcome::skip(
                    "needs a baseline image: --baseline PATH, or `baseline` in the check's params",
                )),
                Some(Err(e)) => return Err(Outcome::error(e.clone())),
                Some(Ok(b)) => b,
            };
        match &data.image {
            Some(i) => Ok(Some(i)),
            None => Err(Outcome::error(format!(
                "the baseline {} is not a container image",
                data.display
            ))),
        }
    }

    fn image(
        &self,
        out: &mut Out<'_>,
        img: &ImageData,
        head: Option<&str>,
        base: Option<&ImageData>,
    ) {
        self.configuration(out, &img.config);
        if let (Some(mode), Some(head)) = (self.revision_label, head) {
            revision(out, &img.config, head, mode);
        }
        let size = img.uncompressed();
        if let Some(max) = self.max_size.filter(|m| size > m.0) {
            out.push(
                None,
                "",
                format!(
                    "the image is {} uncompressed, over the budget of {}",
                    human_bytes(size),
                    human_bytes(max.0)
                ),
                None,
            );
        }
        let layers = img.layers.len() as u64;
        if let Some(max) = self.max_layers.filter(|m| layers > *m) {
            out.push(
                None,
                "",
                format!("the image has {layers} layers, over the budget of {max}"),
                None,
            );
        }
        if let (Some(pct), Some(base)) = (self.max_growth_percent, base) {
            let before = base.uncompressed().max(1) as f64;
            let growth = (size as f64 - before) / before * 100.0;
            if growth > pct {
                out.push(
                    None,
                    "",
                    format!(
                        "grew {growth:.1}% since the baseline image ({} → {}, {} → {layers} layers), over the limit of {pct}%",
                        human_bytes(base.uncompressed()),
                        human_bytes(size),
                        base.layers.len()
                    ),
                    None,
                );
            }
        }
    }

    /// The checks that read only the configuration document.
    fn configuration(&self, out: &mut Out<'_>, config: &Config) {
        let run = config.config.clone().unwrap_or_default();
        if self.env_secrets {
            for var in run.env.iter().flatten() {
                let (name, value) = var.split_once('=').unwrap_or((var, ""));
                if let Some(why) = self.secret(name, value) {
                    out.push(
                        Some(&format!("Env/{name}")),
                        name,
                        format!("the image's environment sets {name} to {why}"),
                        Some(format!("{name}={}", redact(value))),
                    );
                }
            }
        }
        if self.history_secrets {
            for (i, step) in config.history.iter().enumerate() {
                let Some(cmd) = step.created_by.as_deref() else {
                    continue;
                };
                if let Some((name, why, shown)) = self.in_command(cmd) {
                    out.push(
                        Some(&format!("history/{}", i + 1)),
                        &name,
                        format!(
                            "build step {} keeps {why} in the image's history (anyone who pulls it can read it)",
                            i + 1
                        ),
                        Some(shown),
                    );
                }
            }
        }
        if self.root_user {
            let user = run.user.as_deref().unwrap_or("").trim();
            if runs_as_root(user) {
                let detail = if user.is_empty() {
                    "the image sets no User: its containers run as root".to_string()
                } else {
                    format!("the image runs as `{user}`: root")
                };
                out.push(Some("User"), user, detail, None);
            }
        }
    }

    /// Why `NAME=value` is a secret, if it is: a value the patterns recognise, or a secret name
    /// with a literal value.
    fn secret(&self, name: &str, value: &str) -> Option<String> {
        if let Some(p) = self.pattern_in(value) {
            return Some(format!("a secret ({p})"));
        }
        if url_password(value) {
            return Some("a URL with a password".to_string());
        }
        let named = self
            .secret_names
            .as_ref()
            .is_some_and(|p| p.hit(name.as_bytes()));
        (named && literal(name, value) && !self.placeholder(value))
            .then(|| "a literal value".to_string())
    }

    /// Whether a secret-named variable's value is made up (`AKIAIOSFODNN7EXAMPLE`, `changeme`,
    /// `<token>`), by the placeholder rules of the check whose patterns this one borrows. Not by
    /// entropy: `DB_PASSWORD=hunter2` is a short password, and a real one.
    fn placeholder(&self, value: &str) -> bool {
        let Some(rules) = self.patterns.iter().find_map(|d| d.placeholders.as_deref()) else {
            return false;
        };
        let mut rules = rules.clone();
        rules.min_entropy = None;
        rules.why(value, None).is_some()
    }

    /// The first pattern with a real match in `text`: not allowed by the pattern, and not a
    /// placeholder by its check's rules (unless its checksum verifies).
    fn pattern_in(&self, text: &str) -> Option<&str> {
        self.patterns
            .iter()
            .find(|d| {
                let Ok(re) = d.regex.compiled() else {
                    return false;
                };
                re.captures_iter(text.as_bytes()).any(|c| {
                    let m = c.name("match").or_else(|| c.get(0));
                    let token = String::from_utf8_lossy(m.map_or(&[][..], |m| m.as_bytes()));
                    !token.is_empty()
                        && !d.allow.as_ref().is_some_and(|a| a.hit(token.as_bytes()))
                        && !made_up(d, &token)
                })
            })
            .map(|d| d.name.as_str())
    }

    /// A secret in a build step: (name, why, the step with the value redacted).
    fn in_command(&self, cmd: &str) -> Option<(String, String, String)> {
        for (name, value) in assignments(cmd) {
            if let Some(why) = self.secret(&name, &value) {
                let shown = cmd.replace(
                    &format!("{name}={value}"),
                    &format!("{name}={}", redact(&value)),
                );
                return Some((
                    name.clone(),
                    format!("{name} = {why}"),
                    excerpt(&shown, 200),
                ));
            }
        }
        let p = self.pattern_in(cmd)?;
        let shown = self.redact_matches(cmd);
        Some((
            String::new(),
            format!("a secret ({p})"),
            excerpt(&shown, 200),
        ))
    }

    fn redact_matches(&self, text: &str) -> String {
        let mut shown = text.to_string();
        for d in &self.patterns {
            if let Ok(re) = d.regex.compiled() {
                let found: Vec<String> = re
                    .find_iter(shown.as_bytes())
                    .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
                    .collect();
                for f in found {
                    shown = shown.replace(&f, &redact(&f));
                }
            }
        }
        shown
    }
}

/// Whether a secret pattern's match is a placeholder (`AKIAIOSFODNN7EXAMPLE`, `xxxxxxxx`), as the
/// content matcher decides it.
fn made_up(d: &PatternDef, token: &str) -> bool {
    if d.checksum.and_then(|c| c.verify(token)) == Some(true) {
        return false;
    }
    match &d.placeholders {
        Some(p) => p.why(token, d.entropy).is_some(),
        None => d
            .entropy
            .is_some_and(|min| crate::secrets::shannon(token) < min),
    }
}

/// `NAME=value` pairs of a build step: Docker's `|2 A=b C=d /bin/sh -c …` build arguments, and
/// `ENV`/`ARG` lines.
fn assignments(cmd: &str) -> Vec<(String, String)> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r#"(?:^|[\s|])([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s"']+)"#)
            .expect("valid")
    });
    re.captures_iter(cmd)
        .map(|c| {
            let v = c[2].trim_matches(|ch| ch == '"' || ch == '\'').to_string();
            (c[1].to_string(), v)
        })
        .collect()
}

/// Whether a value of a secret-named variable is a literal secret. Not: empty, a reference to
/// another variable (`$DB_PASSWORD`, `${TOKEN}`), a flag (`true`, `0`), or a name ending in
/// `_FILE`/`_PATH`/`_DIR` (where the secret is, not what it is: `/run/secrets/db`).
fn literal(name: &str, value: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let v = value.trim();
    !(v.is_empty()
        || v.starts_with('$')
        || ["_FILE", "_PATH", "_DIR", "_LOCATION"]
            .iter()
            .any(|s| upper.ends_with(s))
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "0" | "1" | "none" | "null"
        ))
}

/// `scheme://user:password@host`: a password in a URL (`postgres://app@db` has none).
fn url_password(value: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"://[^/\s:@]*:[^@\s/]+@").expect("valid"));
    re.is_match(value)
}

/// `""`, `root`, `0`, `root:…`, `0:…`.
fn runs_as_root(user: &str) -> bool {
    let u = user.split(':').next().unwrap_or("").trim();
    u.is_empty() || u == "root" || u == "0"
}

fn revision(out: &mut Out<'_>, config: &Config, head: &str, mode: RevisionLabel) {
    let label = config
        .config
        .as_ref()
        .and_then(|c| c.labels.as_ref())
        .and_then(|l| l.get(REVISION))
        .map(|s| s.trim().to_string());
    let at = format!("Labels/{REVISION}");
    match label {
        None if mode == RevisionLabel::Require => out.push(
            Some(&at),
            REVISION,
            format!(
                "the image has no {REVISION} label: nothing says which commit it was built from"
            ),
            None,
        ),
        None => {}
        Some(l) => {
            let same = l.len() >= 7 && (head.starts_with(&l) || l.starts_with(head));
            if !same {
                out.push(
                    Some(&at),
                    REVISION,
                    format!(
                        "the image was built from {}, not from the commit being released ({})",
                        excerpt(&l, 40),
                        &head[..head.len().min(12)]
                    ),
                    Some(l),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_arguments_and_env_lines_are_read() {
        let a = assignments("|2 NPM_TOKEN=abc123 MODE=prod /bin/sh -c npm ci");
        assert_eq!(
            a,
            [
                ("NPM_TOKEN".to_string(), "abc123".to_string()),
                ("MODE".to_string(), "prod".to_string())
            ]
        );
        let a = assignments("ENV DB_PASSWORD=\"hunter 2\" X=1");
        assert_eq!(a[0], ("DB_PASSWORD".to_string(), "hunter 2".to_string()));
    }

    #[test]
    fn what_is_a_literal_secret_and_what_is_not() {
        assert!(literal("DB_PASSWORD", "hunter2hunter2"));
        assert!(!literal("DB_PASSWORD", "$DB_PASSWORD"));
        assert!(!literal("DB_PASSWORD_FILE", "/run/secrets/db"));
        assert!(!literal("REQUIRE_TOKEN", "true"));
        assert!(!literal("API_KEY", ""));
        assert!(url_password("postgres://app:hunter2@db:5432/app"));
        assert!(!url_password("postgres://app@db:5432/app") && !url_password("http://db:5432/x"));
        assert!(runs_as_root("") && runs_as_root("root") && runs_as_root("0:0"));
        assert!(!runs_as_root("app") && !runs_as_root("1000:1000"));
    }
}
