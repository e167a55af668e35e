//! The deploy environment: env files given with `--env-file` (later files win), or the process
//! environment at release, and the example files at the repository root (`.env.example` …) that
//! document what a deploy needs. Read once per run for every env check.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::inputs::dotenv::{self, EnvVar};
use crate::report::model::Location;
use crate::types::Input;

/// Example files whose names a deploy needs, at the repository root.
pub const EXAMPLE_FILES: &[&str] = &[".env.example", ".env.sample", ".env.template"];

/// The environment being checked.
#[derive(Debug, Clone, Default)]
pub struct EnvInput {
    /// Variables with the file (label) and line they came from (None for the process env).
    pub vars: BTreeMap<String, (String, Option<String>, Option<u64>)>,
    /// What was read: env file labels, or "the process environment".
    pub description: String,
    pub from_files: bool,
    /// Names set without a known value (a secret reference in a deploy manifest): provided, but
    /// never empty and never matched against value patterns.
    pub unknown: std::collections::BTreeSet<String>,
    /// Sources whose keys are not known (a ConfigMap a manifest names but no given file defines):
    /// a required name may come from one of them.
    pub opaque: Vec<String>,
}

impl EnvInput {
    /// Later files win, as with `--env-file a --env-file b`.
    pub fn from_files(files: &[(String, Vec<EnvVar>)]) -> Self {
        let mut vars = BTreeMap::new();
        let mut unknown = std::collections::BTreeSet::new();
        for (label, vs) in files {
            for v in vs {
                vars.insert(
                    v.name.clone(),
                    (v.value.clone(), Some(label.clone()), Some(v.line)),
                );
                // `URL=${DB_URL}` with DB_URL set nowhere in the files: set, its value not known.
                if v.unresolved {
                    unknown.insert(v.name.clone());
                } else {
                    unknown.remove(&v.name);
                }
            }
        }
        EnvInput {
            vars,
            unknown,
            description: files
                .iter()
                .map(|f| f.0.clone())
                .collect::<Vec<_>>()
                .join(", "),
            from_files: true,
            ..Default::default()
        }
    }

    pub fn from_process(vars: &[(String, String)]) -> Self {
        EnvInput {
            vars: vars
                .iter()
                .map(|(k, v)| (k.clone(), (v.clone(), None, None)))
                .collect(),
            description: "the process environment".into(),
            from_files: false,
            ..Default::default()
        }
    }

    /// Where variable `name` was set (the env file and line, when it came from one).
    pub fn location(&self, name: &str) -> Location {
        let (path, line) = match self.vars.get(name) {
            Some((_, p, l)) => (p.clone(), *l),
            None => (None, None),
        };
        Location {
            path,
            line,
            name: Some(name.to_string()),
            ..Location::new(Input::Env)
        }
    }
}

/// One example file at the root: its variables, and the names it marks required.
#[derive(Debug, Clone)]
pub struct ExampleFile {
    pub label: String,
    pub vars: Vec<EnvVar>,
    /// Names with a comment on their line or just above it that says `required` (and not
    /// `optional` or `not required`).
    pub marked_required: std::collections::BTreeSet<String>,
}

/// The example files found at the root.
pub type Examples = Vec<ExampleFile>;

/// Whether a comment marks its variable required: `required` opens it (`# REQUIRED: …`,
/// `# (required)`) or closes it (`# the signing key, required`), and no condition follows
/// (`# Required if you use SFTP`, `# required for S3 only`). A comment that says it of something
/// else in passing (`# A username is also required, …`) or says `optional` does not.
pub fn marks_required(comment: &str) -> bool {
    let c = comment.to_ascii_lowercase();
    if c.contains("optional") || c.contains("not required") {
        return false;
    }
    let words: Vec<&str> = c
        .split(|ch: char| !ch.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    const CONDITIONS: [&str; 9] = [
        "if", "when", "for", "only", "unless", "in", "with", "by", "on",
    ];
    match words.as_slice() {
        ["required", next, ..] => !CONDITIONS.contains(next),
        [.., "required"] => true,
        _ => false,
    }
}

/// The names a dotenv text marks required in its comments. A marker that names a choice other
/// than the default of a selector above it in the same section (`# Available options: database
/// (default) | s3` … `# REQUIRED: the bucket for the S3 storage transport`) is conditional: the
/// variable is required only when that choice is made.
pub fn marked_required(text: &str, vars: &[EnvVar]) -> std::collections::BTreeSet<String> {
    let lines: Vec<&str> = text.lines().collect();
    let comment = |l: &str| l.find('#').map(|i| l[i + 1..].to_string());
    let says = |l: &str| comment(l).is_some_and(|c| marks_required(&c));
    vars.iter()
        .filter(|v| {
            let at = v.line as usize - 1;
            let here = lines.get(at).copied().unwrap_or("");
            let above = at
                .checked_sub(1)
                .and_then(|k| lines.get(k))
                .copied()
                .unwrap_or("");
            let above_is_comment = above.trim_start().starts_with('#');
            let marker = if says(here) {
                here
            } else if above_is_comment && says(above) {
                above
            } else {
                return false;
            };
            let choices = other_choices(&lines, at);
            let c = comment(marker).unwrap_or_default().to_ascii_lowercase();
            let words: Vec<&str> = c
                .split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'))
                .filter(|w| !w.is_empty())
                .collect();
            // `for the S3 …`, `when using s3`, `with smtp-api`: the choice the requirement is for.
            const LINKS: [&str; 6] = ["for", "with", "when", "using", "if", "via"];
            let conditional = words.iter().enumerate().any(|(j, w)| {
                choices.iter().any(|o| o == w)
                    && words[j.saturating_sub(4)..j]
                        .iter()
                        .any(|l| LINKS.contains(l))
            });
            !conditional
        })
        .map(|v| v.name.clone())
        .collect()
}

/// The choices other than the default that a selector comment above line `at`, in the same
/// section (up to a blank line), offers: `# … options: database (default) | s3` gives `s3`. No
/// default named, no choices.
fn other_choices(lines: &[&str], at: usize) -> Vec<String> {
    let mut out = Vec::new();
    for l in lines[..at].iter().rev() {
        if l.trim().is_empty() {
            break;
        }
        let lower = l.to_ascii_lowercase();
        let Some(i) = lower
            .find("options:")
            .filter(|_| l.trim_start().starts_with('#'))
        else {
            continue;
        };
        let items: Vec<&str> = lower[i + "options:".len()..]
            .split(['|', ','])
            .map(str::trim)
            .collect();
        if !items.iter().any(|x| x.contains("(default)")) {
            continue;
        }
        for x in items.iter().filter(|x| !x.contains("(default)")) {
            let word: String = x
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            if !word.is_empty() {
                out.push(word);
            }
        }
    }
    out
}

/// What the env pass read: the environment and the example files, each possibly unreadable.
pub struct EnvPass {
    pub input: Result<EnvInput, String>,
    pub examples: Result<Examples, String>,
}

impl EnvPass {
    /// `--env-file`s when given; else the process environment (the plan only runs env checks
    /// without env files at release, where the process environment is the deploy's).
    pub fn read(env_files: &[PathBuf], process: &[(String, String)], root: &Path) -> Self {
        EnvPass {
            input: if env_files.is_empty() {
                Ok(EnvInput::from_process(process))
            } else {
                load_env_files(env_files)
            },
            examples: read_examples(root),
        }
    }
}

/// Reads `--env-file`s; a syntax error names the file and line.
pub fn load_env_files(files: &[PathBuf]) -> Result<EnvInput, String> {
    let mut parsed = Vec::new();
    for f in files {
        let label = f.to_string_lossy().into_owned();
        let text =
            std::fs::read_to_string(f).map_err(|e| format!("cannot read env file {label}: {e}"))?;
        // `${X}` reads the files given before this one, as loading them in turn would.
        let before: std::collections::HashMap<String, String> = parsed
            .iter()
            .flat_map(|(_, vs): &(String, Vec<EnvVar>)| vs.iter())
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect();
        let vars = dotenv::parse_in(&text, &label, &|n| before.get(n).cloned())?;
        parsed.push((label.clone(), vars));
    }
    Ok(EnvInput::from_files(&parsed))
}

/// Reads the example files at `root`.
pub fn read_examples(root: &Path) -> Result<Examples, String> {
    let mut out = Vec::new();
    for f in EXAMPLE_FILES {
        let path = root.join(f);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let vars = dotenv::parse(&text, f)?;
                out.push(ExampleFile {
                    label: f.to_string(),
                    marked_required: marked_required(&text, &vars),
                    vars,
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read {f}: {e}")),
        }
    }
    Ok(out)
}

/// Whether a name says its value is secret (`DB_PASSWORD`, `API_TOKEN`, `SECRET_KEY` …).
pub fn secret_name(name: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"(?i)(?:secret|passw(?:or)?d|passwd|\bpwd|_pw\b|^pw_|token|api_?key|_key\b|^key_|private|credential|auth|salt|dsn|cert|signing)",
        )
        .expect("valid")
    })
    .is_match(name)
}

/// Whether a value is a placeholder rather than a real value: empty, `changeme`, `your-key`,
/// `<token>`, `${VAR}`, `xxxx`, `...`, `example`, `dummy`, `todo`.
pub fn placeholder_value(value: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
    v.is_empty()
        || RE
            .get_or_init(|| {
                regex::Regex::new(
                    r"(?i)^(?:change[-_ ]?(?:me|this|it)(?:[-_ ].*)?|(?:your|my)[-_ a-z0-9.]*|.*(?:example|sample|placeholder|dummy|replace[-_]?me|fixme|redacted).*|not[-_ ]?a[-_ ]?(?:real[-_ ]?)?secret\b.*|x{3,}|\*{3,}|\.{3}|<[^>]*>|\{\{[^}]*\}\}|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|todo|tbd|none|null|nil|(?:super|top|very)?[-_]?(?:secret|password)|passwd|test|testing|default|local|dev|development|foo|bar|baz|abc|123456|admin|root|user|guest|postgres|mysql)$",
                )
                .expect("valid")
            })
            .is_match(v)
}

/// Whether a variable's value is harmless to have committed: a placeholder, a boolean or a
/// number, a local address, a URL without a password, or any value of a name that does not
/// look secret (and carries no credentials).
pub fn harmless_value(name: &str, value: &str) -> bool {
    let v = value.trim();
    if placeholder_value(v) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off"
    ) || v.parse::<f64>().is_ok()
    {
        return true;
    }
    let local = [
        "localhost",
        "127.0.0.1",
        "0.0.0.0",
        "[::1]",
        "host.docker.internal",
    ]
    .iter()
    .any(|h| lower.contains(h));
    // A URL with a password that is not local and not a placeholder is a credential.
    if let Some(caps) = url_password(v) {
        return local || placeholder_value(&caps);
    }
    if local {
        return true;
    }
    // A public URL, or a relative path, whatever the name (`PB_OAUTH2_DOCS=https://…/docs`): a
    // URL that carries a credential in its query (`?token=`, `&sig=`) is not one.
    if public_location(v) {
        return true;
    }
    // A public key is public, whatever its name says (`…_PUBLIC_KEY='MIIBIjANBgkq…'`, the key a
    // client checks signatures with: excalidraw's `VITE_APP_PLUS_EXPORT_PUBLIC_KEY`).
    if public_key(v) {
        return true;
    }
    !secret_name(name)
}

/// Whether a value is a public key: PEM (`-----BEGIN PUBLIC KEY-----`) or its bare base64 body,
/// read as DER and found to be a SubjectPublicKeyInfo, `SEQUENCE { SEQUENCE { OID … }, BIT
/// STRING }`. A private key (PKCS#1, PKCS#8: a version INTEGER first; an encrypted PKCS#8: an
/// OCTET STRING after its algorithm) is not one, nor is a certificate or random base64.
pub fn public_key(value: &str) -> bool {
    let mut v = value.trim().trim_matches(['"', '\'']).to_string();
    // PEM armour, with real or escaped (`\n`) line ends.
    v = v.replace("\\n", "\n");
    if let Some(start) = v.find("-----BEGIN ") {
        let Some(label_end) = v[start + 11..].find("-----") else {
            return false;
        };
        let label = &v[start + 11..start + 11 + label_end];
        if label != "PUBLIC KEY" && label != "RSA PUBLIC KEY" {
            return false;
        }
        let body = &v[start + 11 + label_end + 5..];
        let Some(end) = body.find("-----END ") else {
            return false;
        };
        v = body[..end].to_string();
    }
    let Some(der) = crate::inputs::deploy_env::decode_base64_bytes(&v) else {
        return false;
    };
    // One DER element at `at`: its tag, where its contents start, and where it ends.
    let element = |at: usize| -> Option<(u8, usize, usize)> {
        let tag = *der.get(at)?;
        let first = *der.get(at + 1)? as usize;
        let (len, head) = if first < 0x80 {
            (first, 2)
        } else {
            let n = first & 0x7f;
            if n == 0 || n > 3 {
                return None;
            }
            let len =
                (0..n).try_fold(0usize, |l, i| Some(l << 8 | *der.get(at + 2 + i)? as usize))?;
            (len, 2 + n)
        };
        let end = at + head + len;
        (end <= der.len()).then_some((tag, at + head, end))
    };
    let Some((0x30, body, end)) = element(0) else {
        return false;
    };
    // A DER body of some length: what short base64 happens to decode to is not a key.
    if end != der.len() || der.len() < 40 {
        return false;
    }
    let Some((0x30, alg, alg_end)) = element(body) else {
        return false;
    };
    matches!(element(alg), Some((0x06, _, _)))
        && matches!(element(alg_end), Some((0x03, _, e)) if e == end)
}

/// A URL with no credential in it (no user or password before the host, none in the query), of
/// any scheme (`https://…/docs`, Symfony's `null://null` mailer, `sqlite:///data/app.db`,
/// `redis://cache:6379`), or a relative path (`../`, `./api`).
fn public_location(v: &str) -> bool {
    let v = v.trim_matches(['"', '\'']);
    if v.starts_with("../") || v.starts_with("./") || v == "." || v == ".." {
        return true;
    }
    static SCHEME: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let scheme =
        SCHEME.get_or_init(|| regex::Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*://").expect("valid"));
    let Some(rest) = scheme.find(v).map(|m| &v[m.end()..]) else {
        return false;
    };
    let lower = rest.to_ascii_lowercase();
    let host = lower.split(['/', '?', '#']).next().unwrap_or("");
    !host.contains('@')
        && ![
            "token=",
            "key=",
            "secret=",
            "sig=",
            "signature=",
            "password=",
            "auth=",
            "access_token=",
            "apikey=",
        ]
        .iter()
        .any(|q| lower.contains(q))
}

/// The password of a `scheme://user:password@host` URL, if the value is one.
fn url_password(v: &str) -> Option<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"://[^/\s:@]*:([^@\s/]+)@").expect("valid"))
        .captures(v)
        .map(|c| c[1].to_string())
}

#[cfg(test)]
mod tests {
    /// The marker both ways: what marks a name required beside what does not.
    /// A marker for a non-default choice of a selector above it in the same section is
    /// conditional (documenso's S3 bucket); the same marker without that choice, without a
    /// default named, or in another section, still marks the name required.
    #[test]
    fn a_required_marker_for_a_non_default_choice_is_conditional() {
        let names = |text: &str| {
            let vars: Vec<EnvVar> = text
                .lines()
                .enumerate()
                .filter_map(|(i, l)| {
                    let (n, v) = l.split_once('=')?;
                    (!l.starts_with('#')).then(|| EnvVar {
                        name: n.into(),
                        value: v.into(),
                        line: i as u64 + 1,
                        unresolved: false,
                    })
                })
                .collect();
            marked_required(text, &vars).into_iter().collect::<Vec<_>>()
        };
        let storage = "# [[STORAGE]]\n# OPTIONAL: Defines the storage transport to use. Available options: database (default) | s3\nUPLOAD_TRANSPORT=\"database\"\n# REQUIRED: Defines the bucket to use for the S3 storage transport.\nUPLOAD_BUCKET=\"documenso\"\n# REQUIRED: the signing secret\nSIGNING_SECRET=\n";
        assert_eq!(names(storage), ["SIGNING_SECRET"]);
        let no_default = storage.replace(" (default)", "");
        assert_eq!(names(&no_default), ["SIGNING_SECRET", "UPLOAD_BUCKET"]);
        let apart = storage.replace(
            "UPLOAD_TRANSPORT=\"database\"\n",
            "UPLOAD_TRANSPORT=\"database\"\n\n",
        );
        assert_eq!(names(&apart), ["SIGNING_SECRET", "UPLOAD_BUCKET"]);
        // A choice named in passing, not as what the requirement is for.
        let passing = storage.replace(
            "to use for the S3 storage transport",
            "name, also shown in s3 logs",
        );
        assert_eq!(names(&passing), ["SIGNING_SECRET", "UPLOAD_BUCKET"]);
    }

    #[test]
    fn comments_that_mark_a_name_required() {
        for yes in [
            " REQUIRED: a random string of at least 32 characters",
            " required",
            " (required) where the database is",
            " Required: turns the new flow on",
            " the signing key, required",
            " [REQUIRED]",
        ] {
            assert!(super::marks_required(yes), "`{yes}` marks it");
        }
        for no in [
            " Required if you're using the local file system (STORAGE_DRIVER=local).",
            " SFTP settings. Required if you're using SFTP.",
            " A username is also required, this is the one used upon account creation.",
            " required for S3 only",
            " Required when MAIL_DRIVER=smtp",
            " OPTIONAL: the region; required by nothing",
            " not required",
            " the port",
        ] {
            assert!(!super::marks_required(no), "`{no}` does not mark it");
        }
    }

    use super::*;

    /// A public key is harmless under any name; a private key, encrypted or not, never is, and
    /// neither is base64 that only starts like DER. (A throwaway P-256 key made for this test.)
    #[test]
    fn public_keys_are_harmless_and_private_keys_are_not() {
        let public = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3vlmalAxrX2CF96K1eMJW4m7ekgo\n\
                      i0FIi+vjYAcy7VCLwRzljnqpS875Gsl2VSZ/4Ekwe4BBjB2GQpSHG+7Oig==";
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{public}\n-----END PUBLIC KEY-----\n");
        let escaped = pem.replace('\n', "\\n");
        for v in [
            public.to_string(),
            format!("'{public}'"),
            pem.clone(),
            escaped,
        ] {
            assert!(public_key(&v), "{v}");
            assert!(harmless_value("APP_EXPORT_PUBLIC_KEY", &v), "{v}");
            assert!(harmless_value("SIGNING_KEY", &v), "{v}");
        }
        let private = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg8apQcKR3jXvo6Oow\
                       PlduNZdjJomA3zt1RduNpbHT146hRANCAATe+WZqUDGtfYIX3orV4wlbibt6SCiL\
                       QUiL6+NgBzLtUIvBHOWOeqlLzvkayXZVJn/gSTB7gEGMHYZClIcb7s6K";
        let encrypted = "MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjzLvRmXbK2XwICCAAw\
                         DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEGdyVrgXu6bMqG7tYJ4aEvoEgZBg\
                         gOjSPFmV33YzjL/1kZbfxvGtaUdA4aeZYabAuHUPdf4JNQzOFfbzC76SLne4ULCL\
                         qJSS5vfUV+A418tflutpvJ55xvCY+yFjrryY3PSr3v1apL+0EDxQXeM3PKky2W7a\
                         L10fd94YJqtMMJqmYtzSdMEd+R5Hynl3Dxp4jWVI+8/PVLhjqs66Oxb95IWaJRY=";
        let mislabelled = pem.replace("PUBLIC KEY", "PRIVATE KEY");
        let truncated = &public[..60];
        for v in [
            private,
            encrypted,
            &mislabelled,
            truncated,
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0D",
        ] {
            assert!(!public_key(v), "{v}");
            assert!(!harmless_value("APP_EXPORT_PUBLIC_KEY", v), "{v}");
        }
    }

    #[test]
    fn harmless_values_and_the_real_ones_beside_them() {
        for (n, v) in [
            ("SECRET_KEY", "changethis"),
            ("POSTGRES_PASSWORD", "changeit"),
            ("SMTP_PASSWORD", ""),
            ("APP_KEY", ""),
            ("API_TOKEN", "<your token>"),
            ("API_TOKEN", "your-api-token"),
            ("VITE_API_URL", "http://localhost:8000"),
            (
                "DATABASE_URL",
                "postgres://postgres:postgres@localhost:5432/app",
            ),
            ("PB_DOCS_URL", "https://pocketbase.io/docs"),
            (
                "PB_OAUTH2_DOCS",
                "https://pocketbase.io/docs/authentication#authenticate-with-oauth2",
            ),
            ("PB_BACKEND_URL", "../"),
            ("DEBUG", "true"),
            ("PORT", "3000"),
            ("APP_NAME", "Monica"),
            ("PLEX_PATH", "/media/your/plex/path"),
            ("MAILER_DSN", "null://null"),
            (
                "DATABASE_DSN",
                "sqlite:///%kernel.project_dir%/data/database.sqlite",
            ),
            ("APP_SECRET", "not-a-secret--read-the-doc!"),
            // getsentry/self-hosted's committed defaults.
            ("LAUNCHPAD_RPC_SHARED_SECRET", "supersecret"),
            ("ADMIN_PASSWORD", "top-secret"),
        ] {
            assert!(harmless_value(n, v), "{n}={v} should be harmless");
        }
        // Built at run time, so this file holds no secret-shaped literal.
        let stripe = ["rk_", "live_abcdefghijklmnopqrstuv"].concat();
        for (n, v) in [
            ("SECRET_KEY", "k9Qx2Lr7Pz4Wm1Vb8Tn3"),
            ("DB_PASSWORD", "s3cr3tP4ss"),
            (
                "DATABASE_URL",
                "postgres://app:Hunter2isMyPw@db.internal:5432/app",
            ),
            ("STRIPE_API_KEY", stripe.as_str()),
            (
                "MAILER_DSN",
                "smtp://mailer:Zq8Lr2Pw7Xk4@smtp.acme-corp.io:587",
            ),
            (
                "SENTRY_DSN",
                "https://b2f1c9e4d7a84f0e@o1.ingest.sentry.io/42",
            ),
            ("APP_SECRET", "not-so-secret-k9Qx2Lr7Pz4Wm1"),
            ("LAUNCHPAD_RPC_SHARED_SECRET", "supersecret-k9Qx2Lr7Pz4Wm1"),
            (
                "OAUTH_CALLBACK_SECRET",
                "https://auth.acme-corp.io/cb?token=Zq8Lr2Pw7Xk4Vn9Tb3",
            ),
        ] {
            assert!(!harmless_value(n, v), "{n}={v} is a real secret");
        }
    }
}
