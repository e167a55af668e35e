//! Which files are migrations, of which framework, and which direction they run in. Detected by
//! path with globs (each layout's can be replaced in the check's `paths`), in a fixed order so a
//! file that two layouts could claim goes to the more specific one (a Prisma `migration.sql`
//! before the plain `sql` fallback).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::source::Lang;
use crate::types::GlobList;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    Prisma,
    Diesel,
    GolangMigrate,
    Flyway,
    Atlas,
    Sqlx,
    Rails,
    Django,
    Alembic,
    Laravel,
    Knex,
    Sql,
}

/// Which way a migration file runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Runs on deploy.
    Up,
    /// Runs on rollback (`.down.sql`, Diesel `down.sql`, Flyway `U…`): not read for operations.
    Down,
    /// Flyway `R__…`: re-run whenever it changes, so editing it is how it is used.
    Repeatable,
}

impl Layout {
    pub const ALL: [Layout; 12] = [
        Layout::Prisma,
        Layout::Diesel,
        Layout::GolangMigrate,
        Layout::Flyway,
        Layout::Atlas,
        Layout::Sqlx,
        Layout::Rails,
        Layout::Django,
        Layout::Alembic,
        Layout::Laravel,
        Layout::Knex,
        Layout::Sql,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Prisma => "prisma",
            Layout::Diesel => "diesel",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Flyway => "flyway",
            Layout::Atlas => "atlas",
            Layout::Sqlx => "sqlx",
            Layout::Rails => "rails",
            Layout::Django => "django",
            Layout::Alembic => "alembic",
            Layout::Laravel => "laravel",
            Layout::Knex => "knex",
            Layout::Sql => "sql",
        }
    }

    pub fn default_globs(self) -> &'static [&'static str] {
        match self {
            Layout::Prisma => &["**/migrations/*/migration.sql"],
            Layout::Diesel => &["**/migrations/*/up.sql", "**/migrations/*/down.sql"],
            Layout::GolangMigrate => &["[0-9]*_*.up.sql", "[0-9]*_*.down.sql"],
            Layout::Flyway => &["V[0-9]*__*.sql", "U[0-9]*__*.sql", "R__*.sql"],
            // Any SQL file in a folder with an `atlas.sum`.
            Layout::Atlas => &["*.sql"],
            Layout::Sqlx => &["**/migrations/[0-9]*_*.sql"],
            Layout::Rails => &["**/db/migrate/*.rb", "**/db/*_migrate/*.rb"],
            Layout::Django => &["**/migrations/[0-9][0-9][0-9][0-9]_*.py"],
            Layout::Alembic => &["**/versions/*.py"],
            Layout::Laravel => &["**/database/migrations/*.php"],
            Layout::Knex => &[
                "**/migrations/*.js",
                "**/migrations/*.ts",
                "**/migrations/*.cjs",
                "**/migrations/*.mjs",
            ],
            Layout::Sql => &[
                "**/migrations/**/*.sql",
                "**/migration/**/*.sql",
                "**/migrate/**/*.sql",
            ],
        }
    }

    /// The language of its files (`None`: SQL).
    pub fn lang(self) -> Option<Lang> {
        match self {
            Layout::Rails => Some(Lang::Ruby),
            Layout::Django | Layout::Alembic => Some(Lang::Python),
            Layout::Laravel => Some(Lang::Php),
            Layout::Knex => Some(Lang::Js),
            _ => None,
        }
    }

    fn role(self, path: &str) -> Role {
        let name = path.rsplit('/').next().unwrap_or(path);
        match self {
            Layout::GolangMigrate if name.ends_with(".down.sql") => Role::Down,
            Layout::Diesel if name == "down.sql" => Role::Down,
            Layout::Flyway if name.starts_with('U') => Role::Down,
            Layout::Flyway if name.starts_with("R__") => Role::Repeatable,
            _ => Role::Up,
        }
    }
}

/// The layouts a check detects, with their globs.
#[derive(Debug, Clone)]
pub struct Layouts {
    order: Vec<(Layout, GlobList)>,
    exclude: GlobList,
}

impl Layouts {
    pub fn new(
        enabled: Option<&[Layout]>,
        paths: &BTreeMap<Layout, GlobList>,
        exclude: &GlobList,
    ) -> Result<Self, String> {
        let mut order = Vec::new();
        for l in Layout::ALL {
            if enabled.is_some_and(|e| !e.contains(&l)) {
                continue;
            }
            let globs = match paths.get(&l) {
                Some(g) => g.clone(),
                None => GlobList::new(
                    &l.default_globs()
                        .iter()
                        .map(|g| g.to_string())
                        .collect::<Vec<_>>(),
                )?,
            };
            order.push((l, globs));
        }
        Ok(Layouts {
            order,
            exclude: exclude.clone(),
        })
    }

    /// The layout and role of `path`, if it is a migration. `atlas_dir` says whether a folder
    /// holds an `atlas.sum`.
    pub fn detect(&self, path: &str, atlas_dir: &dyn Fn(&str) -> bool) -> Option<(Layout, Role)> {
        if self.exclude.is_match(path) {
            return None;
        }
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        for (l, globs) in &self.order {
            if !globs.is_match(path) {
                continue;
            }
            if *l == Layout::Atlas && !atlas_dir(dir) {
                continue;
            }
            let name = path.rsplit('/').next().unwrap_or(path);
            if name.starts_with("__") || name.ends_with(".d.ts") {
                continue;
            }
            return Some((*l, l.role(path)));
        }
        None
    }

    pub fn describe(&self) -> Vec<String> {
        self.order
            .iter()
            .map(|(l, g)| {
                let extra = if *l == Layout::Atlas {
                    " in a folder with atlas.sum"
                } else {
                    ""
                };
                format!("{}: {}{extra}", l.as_str(), g.sources.join(", "))
            })
            .collect()
    }

    /// Whether `path` is a migration of any layout (the code search leaves them out).
    pub fn is_migration(&self, path: &str) -> bool {
        self.detect(path, &|_| true).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_layout_is_detected() {
        let l = Layouts::new(None, &BTreeMap::new(), &GlobList::default()).unwrap();
        let atlas = |d: &str| d == "db/atlas";
        let d = |p: &str| l.detect(p, &atlas).map(|(l, r)| (l.as_str(), r));
        assert_eq!(
            d("prisma/migrations/20240101_init/migration.sql"),
            Some(("prisma", Role::Up))
        );
        assert_eq!(
            d("migrations/2024-01-01-000000_add/up.sql"),
            Some(("diesel", Role::Up))
        );
        assert_eq!(
            d("migrations/2024-01-01-000000_add/down.sql"),
            Some(("diesel", Role::Down))
        );
        assert_eq!(
            d("db/migrations/000002_add.up.sql"),
            Some(("golang-migrate", Role::Up))
        );
        assert_eq!(
            d("db/migrations/000002_add.down.sql"),
            Some(("golang-migrate", Role::Down))
        );
        assert_eq!(
            d("src/main/resources/db/migration/V2__add.sql"),
            Some(("flyway", Role::Up))
        );
        assert_eq!(
            d("src/main/resources/db/migration/U2__add.sql"),
            Some(("flyway", Role::Down))
        );
        assert_eq!(
            d("src/main/resources/db/migration/R__views.sql"),
            Some(("flyway", Role::Repeatable))
        );
        assert_eq!(d("db/atlas/20240101000000.sql"), Some(("atlas", Role::Up)));
        assert_eq!(
            d("migrations/20240101000000_add.sql"),
            Some(("sqlx", Role::Up))
        );
        assert_eq!(
            d("db/migrate/20240101000000_add.rb"),
            Some(("rails", Role::Up))
        );
        assert_eq!(d("shop/migrations/0002_add.py"), Some(("django", Role::Up)));
        assert_eq!(d("shop/migrations/__init__.py"), None);
        assert_eq!(
            d("alembic/versions/abc123_add.py"),
            Some(("alembic", Role::Up))
        );
        assert_eq!(
            d("database/migrations/2024_01_01_000000_add.php"),
            Some(("laravel", Role::Up))
        );
        assert_eq!(d("migrations/20240101_add.js"), Some(("knex", Role::Up)));
        assert_eq!(d("db/migrations/seed/cleanup.sql"), Some(("sql", Role::Up)));
        assert_eq!(d("src/app.sql"), None);
        assert_eq!(d("src/app.rb"), None);
    }
}
