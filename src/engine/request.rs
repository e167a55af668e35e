//! The request: the run's options checked against the configuration before anything is read.
//! Every id named on the command line exists (with the nearest id when it does not), `--confirm`
//! names manual items, every `--override` has a reason, and the clock is read once.

use jiff::{Timestamp, Zoned};

use crate::config::Config;
use crate::engine::{time_zone, RunOptions};
use crate::error::Error;
use crate::inputs::deploy_env::ManifestPath;

/// Validated options and the run's instant.
pub struct Request<'a> {
    pub opts: &'a RunOptions,
    /// `--at`, else the clock, in the run's zone, to the second.
    pub now: Zoned,
    pub tz: jiff::tz::TimeZone,
    /// The deploy manifests of this run: `--env-from`, else `settings.env-from` of the stage.
    pub env_from: Vec<ManifestPath>,
}

impl<'a> Request<'a> {
    pub fn resolve(config: &Config, opts: &'a RunOptions) -> Result<Self, Error> {
        for id in opts.only.iter().chain(&opts.skip) {
            if config.get(id).is_none() {
                let flag = if opts.only.contains(id) {
                    "--only"
                } else {
                    "--skip"
                };
                return Err(config.unknown_id(flag, id));
            }
        }
        for (id, _) in &opts.confirms {
            match config.get(id) {
                None => return Err(config.unknown_id("--confirm", id)),
                Some(c) if c.spec.prompt().is_none() => {
                    return Err(Error::Usage(format!(
                        "--confirm {id}: `{id}` is a {} check, not a manual item; only manual items are confirmed",
                        c.spec.kind()
                    )))
                }
                Some(_) => {}
            }
        }
        for (id, reason) in &opts.overrides {
            if config.get(id).is_none() {
                return Err(config.unknown_id("--override", id));
            }
            if reason.trim().is_empty() {
                return Err(Error::Usage(format!(
                    "--override {id}= needs a reason: --override {id}=\"why this is acceptable\""
                )));
            }
        }
        let tz = time_zone(config);
        let now = opts.at.unwrap_or_else(Timestamp::now).to_zoned(tz.clone());
        let now = now.with().subsec_nanosecond(0).build().unwrap_or(now);
        let env_from = if opts.env_from.is_empty() {
            let named = config.settings.env_from.get(&opts.stage);
            named
                .into_iter()
                .flatten()
                .map(|p| ManifestPath {
                    path: opts.dir.join(p),
                    label: p.clone(),
                })
                .collect()
        } else {
            opts.env_from
                .iter()
                .map(|p| ManifestPath {
                    path: p.clone(),
                    label: p.to_string_lossy().into_owned(),
                })
                .collect()
        };
        Ok(Request {
            opts,
            now,
            tz,
            env_from,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtins() -> Config {
        let mut errors = Vec::new();
        let c = crate::config::load_from(std::path::Path::new("."), None, &mut errors);
        assert!(errors.is_empty());
        c
    }

    #[test]
    fn ids_reasons_and_manual_items_are_checked_before_anything_is_read() {
        let config = builtins();
        let opts = |f: &dyn Fn(&mut RunOptions)| {
            let mut o = RunOptions::new(".");
            f(&mut o);
            o
        };
        let err = |o: &RunOptions| Request::resolve(&config, o).err().unwrap().to_string();
        assert!(err(&opts(&|o| o.only = vec!["repo-secret".into()]))
            .contains("did you mean `repo-secrets`"));
        assert!(
            err(&opts(&|o| o.confirms = vec![("repo-secrets".into(), None)]))
                .contains("not a manual item")
        );
        assert!(err(&opts(
            &|o| o.overrides = vec![("repo-secrets".into(), " ".into())]
        ))
        .contains("needs a reason"));
        let at = "2026-11-20T15:05:00.123Z".parse().unwrap();
        let o = opts(&|o| o.at = Some(at));
        let r = Request::resolve(&config, &o).unwrap();
        assert_eq!(r.now.timestamp().subsec_nanosecond(), 0);
    }
}
