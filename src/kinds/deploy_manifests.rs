//! `deploy-manifests`: what the deploy's own manifests (`--env-from`, `settings.env-from`) say
//! beyond the variables the env checks read: secret values written into them (a literal
//! `DB_PASSWORD` in a Deployment's `env`, a Secret object's `data`, a fly.toml `[env]` token), and
//! references to ConfigMaps, Secrets or env groups that no given manifest defines, whose keys are
//! therefore not known. Values are shown redacted, never whole.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::check::Meta;
use crate::inputs::deploy_env::{self, DeployEnv, ManifestPath};
use crate::inputs::env::{harmless_value, placeholder_value};
use crate::kinds::{Kind, Outcome, PassView, Wants};
use crate::report::model::{Finding, Location};
use crate::types::{Input, PatternDef, Sample};

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DeployManifests {
    /// Report secret values written into the manifests: a variable whose name says it is secret
    /// with a value that is not a placeholder, a value that matches a secret pattern of the loaded
    /// checks, and any non-placeholder value of a Secret object's `data`/`stringData`.
    #[serde(default)]
    pub secrets: bool,
    /// Report `envFrom`/`fromGroup` references to a ConfigMap, Secret or env group that no given
    /// manifest defines: its keys are not known, so the env checks take every required name as
    /// possibly provided by it.
    #[serde(default)]
    pub unresolved: bool,
}

impl Kind for DeployManifests {
    const KEY: &'static str = "deploy-manifests";
    const INPUT: Input = Input::Env;
    const FIELDS: &'static [&'static str] = &["name", "path", "line", "source"];

    fn describe(&self) -> Vec<String> {
        let mut v = vec![
            "reads the manifests given with --env-from (or settings.env-from): docker compose, Kubernetes, fly.toml, app.json, render.yaml".to_string(),
        ];
        if self.secrets {
            v.push("no secret value is written into them (values shown redacted)".into());
        }
        if self.unresolved {
            v.push(
                "every ConfigMap, Secret and env group they reference is defined in one of them"
                    .into(),
            );
        }
        v
    }

    fn wants(&self) -> Wants {
        Wants {
            secrets: self.secrets,
            ..Wants::default()
        }
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        match view.deploy {
            None => {
                Outcome::skip("needs deploy manifests: --env-from MANIFEST or settings.env-from")
            }
            Some(Err(e)) => Outcome::error(e.clone()),
            Some(Ok(d)) => Outcome::findings(self.findings(check, d, view.secrets)),
        }
    }

    fn has_samples(&self) -> bool {
        true
    }

    fn run_sample(&self, check: &Meta, sample: &Sample) -> Result<usize, String> {
        let files = sample.files();
        if files.is_empty() {
            return Err("a deploy-manifests sample has `files: {path: content}`".into());
        }
        let paths: Vec<ManifestPath> = files
            .keys()
            .filter(|p| !p.ends_with(".env"))
            .map(|p| ManifestPath {
                path: PathBuf::from(p),
                label: p.clone(),
            })
            .collect();
        let by_path: BTreeMap<PathBuf, String> = files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.clone()))
            .collect();
        let load = |p: &Path| {
            by_path
                .get(p)
                .cloned()
                .ok_or_else(|| std::io::ErrorKind::NotFound.into())
        };
        let d = deploy_env::read_with(&paths, &load).map_err(|e| e.to_string())?;
        Ok(self.findings(check, &d, &[]).len())
    }
}

impl DeployManifests {
    fn findings(&self, check: &Meta, d: &DeployEnv, patterns: &[PatternDef]) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut push =
            |name: &str, file: &str, line: Option<u64>, msg: String, evidence: Option<String>| {
                let fields = [
                    ("name", name.to_string()),
                    ("path", file.to_string()),
                    ("line", line.map(|l| l.to_string()).unwrap_or_default()),
                    ("source", file.to_string()),
                ];
                out.push(Finding {
                    message: check.render(|| msg, &fields),
                    location: Location {
                        path: Some(file.to_string()),
                        line,
                        name: Some(name.to_string()),
                        ..Location::new(Input::Env)
                    },
                    evidence,
                });
            };
        if self.secrets {
            // An example file a compose file names documents values; it holds none to keep.
            let example = |f: &str| {
                [".example", ".sample", ".template"]
                    .iter()
                    .any(|e| f.ends_with(e))
            };
            for v in d.vars.iter().filter(|v| !example(&v.file)) {
                let Some(value) = &v.value else { continue };
                let by_pattern = patterns
                    .iter()
                    .find(|p| p.regex.hit(value.as_bytes()) && !placeholder_value(value));
                let why = match by_pattern {
                    Some(p) => format!("its value looks like a {}", p.name),
                    None if credential(&v.name, value) => {
                        "it looks like a credential (a secret name or a URL with a password, and no placeholder)".to_string()
                    }
                    None => continue,
                };
                push(
                    &v.name,
                    &v.file,
                    v.line,
                    format!(
                        "{} is written into {} ({}): {why}; reference a secret instead",
                        v.name, v.file, v.from
                    ),
                    Some(crate::text::redact(value)),
                );
            }
            // A Secret object's keys are held to the same rule: its `host` and `port` are no
            // secrets, its `password` is.
            let secret = |s: &&deploy_env::Stored| {
                credential(&s.key, &s.value)
                    || patterns
                        .iter()
                        .any(|p| p.regex.hit(s.value.as_bytes()) && !placeholder_value(&s.value))
            };
            for s in d.stored.iter().filter(secret) {
                push(
                    &s.key,
                    &s.file,
                    s.line,
                    format!(
                        "{} of {} holds its value in {}: a committed secret; create the Secret from a secret store instead",
                        s.key, s.object, s.file
                    ),
                    Some(crate::text::redact(&s.value)),
                );
            }
        }
        if self.unresolved {
            for o in &d.opaque {
                push(
                    &o.what,
                    &o.file,
                    o.line,
                    format!(
                        "{} is referenced in {} but defined in none of the given manifests: its keys are not known, so every required name was taken as possibly provided by it; add its manifest with --env-from",
                        o.what, o.file
                    ),
                    None,
                );
            }
        }
        // Services sharing one `environment:` (a YAML anchor) or env file name it once.
        let mut seen = std::collections::HashSet::new();
        out.retain(|f| {
            seen.insert((
                f.location.path.clone(),
                f.location.line,
                f.location.name.clone(),
            ))
        });
        out
    }
}

/// Whether a name and its literal value are a credential: not a harmless value (a placeholder, a
/// number, a local or credential-free URL, a name that does not look secret), and either a name
/// that says password, secret, token or key, or a URL with a password, or a value that looks
/// generated. A mode word behind a name that only mentions `auth` or `private`
/// (`POSTGRES_HOST_AUTH_METHOD=trust`, `NEXT_PRIVATE_SMTP_TRANSPORT=smtp-auth`) is none.
fn credential(name: &str, value: &str) -> bool {
    static STRONG: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let strong = STRONG.get_or_init(|| {
        regex::Regex::new(r"(?i)(?:passw|passwd|secret|token|api_?key|private_?key|access_?key|credential|_pw$|^pw_|signing_?key|encryption_?key)")
            .expect("valid")
    });
    let bare = name.strip_prefix("NEXT_PRIVATE_").unwrap_or(name);
    let v = value.trim();
    // `MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db`: where the secret is, not the secret.
    let upper = bare.to_ascii_uppercase();
    let path = v.starts_with('/') && !v.contains(char::is_whitespace);
    if harmless_value(bare, value) || upper.ends_with("_FILE") || upper.ends_with("_PATH") || path {
        return false;
    }
    let generated = v.len() >= 16
        && !v.contains(char::is_whitespace)
        && v.chars().any(|c| c.is_ascii_digit())
        && v.chars().any(|c| c.is_ascii_alphabetic());
    strong.is_match(bare) || v.contains("://") || generated
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::SampleSpec;

    fn run(files: &[(&str, &str)]) -> usize {
        let k = DeployManifests {
            secrets: true,
            unresolved: false,
        };
        let sample = Sample::Full(SampleSpec {
            files: files
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
            ..Default::default()
        });
        k.run_sample(&Meta::named("x"), &sample).unwrap()
    }

    #[test]
    fn secret_literals_and_the_harmless_values_beside_them() {
        let pw = ["s3cr3t", "P4ssw0rd!"].concat();
        let k8s = format!("kind: Pod\nspec:\n  containers:\n    - name: a\n      env:\n        - name: DB_PASSWORD\n          value: {pw}\n        - name: LOG_LEVEL\n          value: debug\n        - name: API_TOKEN\n          valueFrom:\n            secretKeyRef: {{name: t, key: t}}\n");
        assert_eq!(run(&[("k8s.yaml", &k8s)]), 1);
        let compose = "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: example\n      SECRET_KEY: ${SECRET_KEY}\n";
        assert_eq!(run(&[("compose.yaml", compose)]), 0);
        let compose = "services:\n  app:\n    env_file: app.env\n";
        let env = format!("{}={pw}\n", "SESSION_SECRET");
        assert_eq!(run(&[("compose.yaml", compose), ("app.env", &env)]), 1);
    }

    #[test]
    fn credentials_and_the_mode_words_beside_them() {
        assert!(credential("POSTGRES_PASSWORD", "umami"));
        assert!(credential(
            "DATABASE_URL",
            "postgresql://umami:umami@db:5432/umami"
        ));
        assert!(credential(
            "AUTH_SECRET_SALT",
            &["a8f3k2", "9d0q7w1e5r"].concat()
        ));
        assert!(!credential("POSTGRES_HOST_AUTH_METHOD", "trust"));
        assert!(!credential("NEXT_PRIVATE_SMTP_TRANSPORT", "smtp-auth"));
        assert!(!credential("DB_PASSWORD", "changeme"));
        assert!(!credential("POSTGRES_USER", "app"));
        assert!(!credential(
            "MYSQL_ROOT_PASSWORD_FILE",
            "/run/secrets/db-password"
        ));
        assert!(!credential("DATABASE_PASSWORD", "/run/secrets/db-password"));
    }
}
