//! What a repository's docker compose files provide to the services they run: the names set in
//! each service's `environment:` and in the env files its `env_file:` names, and for `${X}`
//! interpolation in a compose file, the `.env` file beside it (which `docker compose` reads).
//! Read from the contents the repository pass kept.

use std::collections::{BTreeMap, BTreeSet};

/// Names the compose files provide.
#[derive(Debug, Default)]
pub struct Provided {
    /// Set in some service's environment (directly or through `env_file:`).
    pub services: BTreeSet<String>,
    /// By compose file: the names its folder's `.env` sets (for `${X}` in that file).
    pub interpolation: BTreeMap<String, BTreeSet<String>>,
}

impl Provided {
    /// Whether `name`, read at `path`, is provided: a `${X}` in a compose file by the `.env` beside
    /// it; a read in code by any compose service's environment.
    pub fn provides(&self, path: &str, name: &str, compose_ref: bool) -> bool {
        if compose_ref {
            self.interpolation
                .get(path)
                .is_some_and(|names| names.contains(name))
        } else {
            self.services.contains(name)
        }
    }
}

fn dir(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

fn join(dir: &str, rel: &str) -> String {
    let rel = rel.trim_start_matches("./");
    let mut parts: Vec<&str> = if dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for c in rel.split('/') {
        match c {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

fn dotenv_names(kept: &BTreeMap<String, Vec<u8>>, path: &str) -> BTreeSet<String> {
    let Some(text) = kept.get(path) else {
        return BTreeSet::new();
    };
    let text = String::from_utf8_lossy(text);
    match crate::inputs::dotenv::parse(&text, path) {
        Ok(vars) => vars.into_iter().map(|v| v.name).collect(),
        Err(_) => BTreeSet::new(),
    }
}

fn is_compose(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    (name.starts_with("docker-compose") || name.starts_with("compose"))
        && (name.ends_with(".yml") || name.ends_with(".yaml"))
}

/// What every compose file among `kept` provides. A compose file that does not parse provides
/// nothing (it cannot run either).
pub fn provided(kept: &BTreeMap<String, Vec<u8>>) -> Provided {
    use yaml_serde::Value;
    let mut out = Provided::default();
    for (path, bytes) in kept.iter().filter(|(p, _)| is_compose(p)) {
        let here = dir(path);
        out.interpolation
            .insert(path.clone(), dotenv_names(kept, &join(here, ".env")));
        let Ok(doc) = yaml_serde::from_slice::<Value>(bytes) else {
            continue;
        };
        let Some(services) = doc.get("services").and_then(Value::as_mapping) else {
            continue;
        };
        for (_, svc) in services {
            match svc.get("environment") {
                Some(Value::Mapping(m)) => {
                    out.services
                        .extend(m.keys().filter_map(|k| k.as_str().map(str::to_string)));
                }
                Some(Value::Sequence(s)) => out.services.extend(
                    s.iter()
                        .filter_map(Value::as_str)
                        .map(|e| e.split('=').next().unwrap_or(e).trim().to_string()),
                ),
                _ => {}
            }
            let files: Vec<String> = match svc.get("env_file") {
                Some(Value::String(f)) => vec![f.clone()],
                Some(Value::Sequence(s)) => s
                    .iter()
                    .filter_map(|e| {
                        e.as_str()
                            .map(str::to_string)
                            .or_else(|| e.get("path").and_then(Value::as_str).map(str::to_string))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for f in files {
                out.services.extend(dotenv_names(kept, &join(here, &f)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_and_interpolation() {
        let mut kept = BTreeMap::new();
        kept.insert(
            "app/compose.yaml".to_string(),
            b"services:\n  api:\n    env_file: [./config/api.env]\n    environment:\n      - DATABASE_DB=example\n      - TOKEN\n  web:\n    environment:\n      PUBLIC_URL: http://x\n    image: web:${TAG}\n".to_vec(),
        );
        kept.insert("app/.env".to_string(), b"TAG=1.2\n".to_vec());
        kept.insert("app/config/api.env".to_string(), b"SECRET_KEY=x\n".to_vec());
        let p = provided(&kept);
        for n in ["DATABASE_DB", "TOKEN", "PUBLIC_URL", "SECRET_KEY"] {
            assert!(p.provides("app/src/config.js", n, false), "{n}");
        }
        assert!(!p.provides("app/src/config.js", "OTHER", false));
        assert!(p.provides("app/compose.yaml", "TAG", true));
        assert!(
            !p.provides("app/compose.yaml", "DATABASE_DB", true),
            "a service's env is not interpolation"
        );
    }
}
