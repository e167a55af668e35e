//! `migrations`: the database migrations a release adds or changes, read offline — no database,
//! no framework runtime — and judged for what they do to a running system: destructive changes,
//! changes the old version (still running during a rolling deploy) cannot live with, long locks
//! on PostgreSQL, migrations that cannot be rolled back, released migrations edited afterwards,
//! and dropped or renamed columns the code still names.
//!
//! The range is the one `git-commits` checks use (`--range`, the push, else the check's `range`,
//! `since-last-tag` by default), walked once by the commit pass. The files it changes come from
//! comparing the range's boundary trees with git2, and their contents are read at the tip from
//! git objects: the work tree is never read. Which files are migrations, and of which framework,
//! is decided by path (`layout`); SQL is parsed with `sqlparser` (`sql`), ORM migrations are read
//! with careful patterns over their source (`orm`), suppressions the ecosystems already use are
//! honoured (`suppress`). A release without migrations passes with no finding.
//!
//! `still-used` is a second, limited read: only when a check reports it and the release drops or
//! renames a column or table, the code at the tip is searched for the name (`usage`).
//!
//! Fail closed: a range that cannot be worked out, or an object that cannot be read, ends the
//! check in `error`; a range that does not apply (a push to a feature branch) is a skip. A
//! statement the parser cannot read is an `unparsed` finding naming it, never a silent pass.
//!
//! For the `migrations-reviewed` tie-in, [`in_range`] reads a range with the default layouts
//! and dialect and returns a [`Release`]: how many migrations it has and what every class finds.

mod compensated;
mod layout;
mod ops;
mod orm;
mod source;
mod sql;
mod suppress;
mod usage;

use std::collections::{BTreeMap, HashMap};

use git2::{Oid, Repository};
use serde::Deserialize;

pub use layout::{Layout, Role};
pub use ops::Class;
pub use sql::Dialect;

use crate::check::Meta;
use crate::inputs::changes::{blob_at, blob_size, range_changes, read_blob, ChangeKind};
use crate::inputs::history::{previous_release, Range, RangeProblem, RangeSpec};
use crate::kinds::{CommitsWant, Kind, Outcome, PassView, Wants};
use crate::report::model::{Finding, Location};
use crate::text::{excerpt, sanitize};
use crate::types::{ByteSize, GlobList, Input, Sample};
use layout::Layouts;
use ops::{Op, Rule};
use source::{Lang, Source};
use suppress::Silencers;

/// Migration files larger than this are not parsed (an `unparsed` finding says so): real ones
/// are a few kilobytes, and the ORM readers' block matching grows with the square of the lines.
const MAX_MIGRATION: usize = 1 << 20;

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Migrations {
    /// Which commits, when neither `--range` nor a push says: `since-last-tag` (default),
    /// `upstream`, or a revision range `A..B`.
    #[serde(default)]
    pub range: Option<String>,
    /// What this check reports: `destructive`, `incompatible`, `locking`, `irreversible`,
    /// `edited`, `still-used`, `unparsed`.
    pub report: Vec<Class>,
    /// The database the SQL is written for: `postgres` (default), `mysql`, `sqlite`. Locking
    /// operations are reported for PostgreSQL only.
    #[serde(default)]
    pub dialect: Dialect,
    /// The layouts detected (default: all of them).
    #[serde(default)]
    pub layouts: Option<Vec<Layout>>,
    /// Globs replacing a layout's default globs (`rails: ["db/migrate/*.rb"]`).
    #[serde(default)]
    pub paths: BTreeMap<Layout, GlobList>,
    /// Files that are never migrations (fixtures, seeds…).
    #[serde(default)]
    pub exclude: GlobList,
    /// Where `still-used` looks for the names a release drops or renames.
    #[serde(default)]
    pub code: CodeSearch,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CodeSearch {
    /// Files searched (default: code, by extension).
    #[serde(default)]
    pub include: Option<GlobList>,
    /// Files not searched (default: tests, fixtures, schema dumps, vendored code); migrations
    /// are never searched.
    #[serde(default)]
    pub exclude: Option<GlobList>,
    /// At most this many places are listed per name (the count says how many there are).
    #[serde(default = "default_max_places")]
    pub max_places: usize,
    /// Larger files are not searched.
    #[serde(default = "default_max_file_size")]
    pub max_file_size: ByteSize,
}

fn default_max_places() -> usize {
    10
}

fn default_max_file_size() -> ByteSize {
    ByteSize(2 << 20)
}

impl Default for CodeSearch {
    fn default() -> Self {
        CodeSearch {
            include: None,
            exclude: None,
            max_places: default_max_places(),
            max_file_size: default_max_file_size(),
        }
    }
}

impl Migrations {
    fn detector(&self) -> Result<Layouts, String> {
        Layouts::new(self.layouts.as_deref(), &self.paths, &self.exclude)
    }

    fn reports(&self, c: Class) -> bool {
        self.report.contains(&c)
    }
}

impl Kind for Migrations {
    const KEY: &'static str = "migrations";
    const INPUT: Input = Input::Git;
    const FIELDS: &'static [&'static str] = &[
        "path",
        "line",
        "operation",
        "class",
        "table",
        "column",
        "statement",
        "layout",
        "range",
    ];

    fn describe(&self) -> Vec<String> {
        let mut lines = vec![
            format!(
                "the migrations the release adds or changes: commits {} (unless --range or a push says otherwise)",
                self.range.as_deref().unwrap_or(crate::inputs::history::DEFAULT_RANGE)
            ),
            format!(
                "reports: {}",
                self.report.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
            ),
            format!("SQL dialect: {}", self.dialect.as_str()),
        ];
        if let Ok(l) = self.detector() {
            lines.extend(l.describe().into_iter().map(|d| format!("layout {d}")));
        }
        if !self.exclude.is_empty() {
            lines.push(format!(
                "never migrations: {}",
                self.exclude.sources.join(", ")
            ));
        }
        if self.reports(Class::StillUsed) {
            lines.push(format!(
                "dropped or renamed names are searched for in the code at the tip ({}), at most {} places each",
                self.code.include.as_ref().map_or("code files by extension".to_string(), |g| g.sources.join(", ")),
                self.code.max_places
            ));
        }
        if self.reports(Class::Edited) {
            lines.push(
                "a migration in the last release tag that the range changes or deletes".into(),
            );
        }
        if self.reports(Class::EditedIndex) {
            lines.push(
                "a Laravel migration in the last release tag that the range changes only to add plain indexes".into(),
            );
        }
        lines.push("a release without migrations passes".into());
        lines.push(
            "silenced by: safety_assured (strong_migrations), -- squawk-ignore / squawk-ignore-file, \
IgnoreMigration() (django-migration-linter), shipgate:allow <id>"
                .into(),
        );
        lines
    }

    fn wants(&self) -> Wants {
        Wants {
            commits: Some(CommitsWant {
                default_range: self
                    .range
                    .clone()
                    .unwrap_or_else(|| crate::inputs::history::DEFAULT_RANGE.into()),
                pr_merges: None,
                forge_merges: None,
            }),
            ..Wants::default()
        }
    }

    fn validate(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.report.is_empty() {
            errors.push(
                "`report` names no class: say what the check reports (e.g. [destructive])".into(),
            );
        }
        if let Some(l) = &self.layouts {
            if l.is_empty() {
                errors.push("`layouts` is empty: no file would be a migration".into());
            }
        }
        errors
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        let layouts = match self.detector() {
            Ok(l) => l,
            Err(e) => return Outcome::error(e),
        };
        let (Some(pass), Some(git)) = (view.commits, view.repo.repo.as_ref()) else {
            return Outcome::skip("not a git repository");
        };
        let specs = match pass.per_check.get(&view.owner) {
            None => return Outcome::error("no commit range was planned"),
            Some(Err(RangeProblem::Skip(r))) => return Outcome::skip(r.clone()),
            Some(Err(RangeProblem::Error(e))) => return Outcome::error(e.clone()),
            Some(Ok(specs)) => specs,
        };
        let unbounded = specs
            .iter()
            .all(|s| matches!(&pass.ranges[s], Ok(r) if r.unbounded));
        if unbounded && !tip_has_migrations(git, &layouts) {
            return Outcome::pass();
        }
        if unbounded {
            return Outcome::skip(
                "no release tag is reachable from HEAD, so nothing released could be broken by these \
                 migrations: tag the last release (`git tag v1.2.3 <commit>`), or give the range \
                 (`--range A..B`)",
            );
        }
        let mut out = Outcome::pass();
        for spec in specs {
            let result = match &pass.ranges[spec] {
                Ok(range) if range.unbounded => continue,
                // A shallow clone hides the range, but a tip without any migration file cannot
                // add or change one: that much is known without the history.
                Err(_) if self.shallow_without_migrations(git, spec, &layouts) => {
                    Ok((Vec::new(), 0))
                }
                Err(e) => Err(e.clone()),
                Ok(range) => read_release(git, range, self.dialect, &layouts)
                    .and_then(|rel| self.findings(check, &rel, Some(git), &layouts))
                    .map_err(|e| format!("{}: {e}", range.label)),
            };
            match result {
                Ok((findings, suppressed)) => {
                    out.extend(findings);
                    out = out.with_suppressed(suppressed);
                }
                Err(e) => {
                    let finding = Finding {
                        message: e.clone(),
                        location: Location::new(Input::Git),
                        evidence: None,
                    };
                    out = out.fail_with(e, vec![finding]);
                }
            }
        }
        out
    }

    fn has_samples(&self) -> bool {
        self.report
            .iter()
            .any(|c| !(c.is_edit() || *c == Class::StillUsed))
    }

    fn run_sample(&self, check: &Meta, sample: &Sample) -> Result<usize, String> {
        let Sample::Full(s) = sample else {
            return Err("a migrations sample is a file: `{path: …, content: …}`".into());
        };
        let (Some(path), Some(content)) = (&s.path, &s.content) else {
            return Err("a migrations sample needs `path` and `content`".into());
        };
        let layouts = self.detector()?;
        let Some((layout, role)) = layouts.detect(path, &|_| false) else {
            return Err(format!(
                "`{path}` is not a migration of any layout this check detects"
            ));
        };
        // A down migration runs on rollback only: it is not read for operations.
        let text = if role == Role::Down {
            ""
        } else {
            content.as_str()
        };
        let mut file = analyze_file(
            path,
            layout,
            role,
            text,
            self.dialect.for_path(path),
            &|| Ok(Vec::new()),
            &mut sql::FileState::default(),
        )?;
        // A sample is alone: an up migration's down file is not there.
        if let (Role::Up, Some(down)) = (role, down_of(layout, path)) {
            file.ops.push(no_down(&down));
        }
        let release = Release {
            label: "sample".into(),
            tip: None,
            files: vec![file],
        };
        Ok(self.findings(check, &release, None, &layouts)?.0.len())
    }
}

/// One migration file the release adds, changes or deletes, and what it does.
pub struct MigrationFile {
    pub path: String,
    pub layout: Layout,
    pub role: Role,
    pub change: ChangeKind,
    ops: Vec<Op>,
    silencers: Silencers,
}

/// The migrations of one release range.
pub struct Release {
    pub label: String,
    tip: Option<Oid>,
    pub files: Vec<MigrationFile>,
}

impl Release {
    /// The migrations the release runs: files added or changed that run on deploy.
    pub fn migrations(&self) -> Vec<&str> {
        self.files
            .iter()
            .filter(|f| f.change != ChangeKind::Deleted && f.role != Role::Down)
            .map(|f| f.path.as_str())
            .collect()
    }

    /// Every finding of `classes`, as a check with id `id` reports it (silenced ones left out),
    /// with its class, and how many were silenced. `still-used` is not among them (it needs the
    /// code search of a check that reports it).
    pub fn findings(&self, id: &str, classes: &[Class]) -> (Vec<(Class, Finding)>, u64) {
        let meta = Meta::named(id);
        let mut out = Vec::new();
        let mut suppressed = 0;
        for f in &self.files {
            for op in f.ops.iter().filter(|o| classes.contains(&o.rule.class())) {
                if f.silencers.ecosystem(op).is_some() || f.silencers.allowed(op, id) {
                    suppressed += 1;
                } else {
                    out.push((op.rule.class(), finding(&meta, f, op, &self.label)));
                }
            }
        }
        (out, suppressed)
    }

    /// One line: `2 migration(s) in v1.0.0..HEAD (db/migrate/…, …): destructive 1, locking 2`.
    pub fn summary(&self) -> String {
        let files = self.migrations();
        if files.is_empty() {
            return format!("no migrations in {}", self.label);
        }
        let (found, _) = self.findings("migrations-reviewed", &Class::ALL);
        let counts: Vec<String> = Class::ALL
            .iter()
            .filter_map(|c| {
                let n = found.iter().filter(|(k, _)| k == c).count();
                (n > 0).then(|| format!("{} {n}", c.as_str()))
            })
            .collect();
        format!(
            "{} migration(s) in {} ({}){}",
            files.len(),
            self.label,
            files.join(", "),
            if counts.is_empty() {
                ": nothing found by the automatic checks".to_string()
            } else {
                format!(": {}", counts.join(", "))
            }
        )
    }
}

/// The migrations of `range` with every layout's default globs and the PostgreSQL dialect (for
/// other kinds, such as the `migrations-reviewed` item).
pub fn in_range(git: &Repository, range: &Range) -> Result<Release, String> {
    let layouts = Layouts::new(None, &BTreeMap::new(), &GlobList::default())?;
    read_release(git, range, Dialect::Postgres, &layouts)
}

impl Migrations {
    /// Whether a shallow clone that hides the range still tells enough: a HEAD (the tip of
    /// `spec`) without any migration file cannot add or change one, and without any tag nothing
    /// was released, so nothing released can have been edited.
    fn shallow_without_migrations(
        &self,
        git: &Repository,
        spec: &RangeSpec,
        layouts: &Layouts,
    ) -> bool {
        if !git.is_shallow() || !matches!(spec, RangeSpec::SinceLastTag | RangeSpec::Upstream) {
            return false;
        }
        let edits = self.report.iter().any(|c| c.is_edit());
        if edits && !git.tag_names(None).is_ok_and(|t| t.is_empty()) {
            return false;
        }
        if self.report.iter().all(|c| c.is_edit()) {
            return true;
        }
        !tip_has_migrations(git, layouts)
    }

    /// The findings of the classes this check reports, and how many were silenced.
    fn findings(
        &self,
        check: &Meta,
        rel: &Release,
        git: Option<&Repository>,
        layouts: &Layouts,
    ) -> Result<(Vec<Finding>, u64), String> {
        let mut out = Vec::new();
        let mut suppressed = 0;
        for f in &rel.files {
            for op in f.ops.iter().filter(|o| self.reports(o.rule.class())) {
                if f.silencers.ecosystem(op).is_some() || f.silencers.allowed(op, &check.id) {
                    suppressed += 1;
                } else {
                    out.push(finding(check, f, op, &rel.label));
                }
            }
        }
        if let (true, Some(git), Some(tip)) = (self.reports(Class::StillUsed), git, rel.tip) {
            let (found, s) = self.still_used(check, rel, git, tip, layouts)?;
            out.extend(found);
            suppressed += s;
        }
        Ok((out, suppressed))
    }

    fn still_used(
        &self,
        check: &Meta,
        rel: &Release,
        git: &Repository,
        tip: Oid,
        layouts: &Layouts,
    ) -> Result<(Vec<Finding>, u64), String> {
        let mut gone: Vec<(&MigrationFile, &Op, &ops::Gone)> = Vec::new();
        let mut suppressed = 0;
        for f in &rel.files {
            for op in &f.ops {
                if !matches!(op.rule.class(), Class::Destructive | Class::Incompatible)
                    || op.gone.is_empty()
                {
                    continue;
                }
                if f.silencers.ecosystem(op).is_some() || f.silencers.allowed(op, &check.id) {
                    suppressed += 1;
                    continue;
                }
                for g in &op.gone {
                    if g.word.len() >= 3 && !gone.iter().any(|(_, _, x)| x.word == g.word) {
                        gone.push((f, op, g));
                    }
                }
            }
        }
        if gone.is_empty() {
            return Ok((Vec::new(), suppressed));
        }
        let include = match &self.code.include {
            Some(g) => g.clone(),
            None => GlobList::new(
                &usage::CODE
                    .iter()
                    .map(|e| format!("*.{e}"))
                    .collect::<Vec<_>>(),
            )?,
        };
        let exclude = match &self.code.exclude {
            Some(g) => g.clone(),
            None => GlobList::new(
                &usage::NOT_CODE
                    .iter()
                    .map(|g| g.to_string())
                    .collect::<Vec<_>>(),
            )?,
        };
        let select =
            |p: &str| include.is_match(p) && !exclude.is_match(p) && !layouts.is_migration(p);
        let needles: Vec<usage::Needle> = gone
            .iter()
            .map(|(_, _, g)| usage::Needle::new(&g.word, g.table.as_deref()))
            .collect();
        let uses = usage::search(
            git,
            tip,
            &needles,
            &select,
            self.code.max_file_size.0 as usize,
            self.code.max_places,
        )?;
        let mut out = Vec::new();
        for (f, op, g) in gone {
            let Some((places, total)) = uses.get(&g.word) else {
                continue;
            };
            let (effect, instead) = Rule::StillUsed.advice();
            for (i, p) in places.iter().enumerate() {
                let fields = fields(f, op, &rel.label, &p.path, p.line, Class::StillUsed);
                let default = || {
                    format!(
                        "still-used: `{}` ({} by {}:{}) {effect}{}; instead: {instead}",
                        g.word,
                        verb(op.rule),
                        f.path,
                        op.line,
                        if *total > 1 {
                            format!(" (place {} of {total})", i + 1)
                        } else {
                            String::new()
                        }
                    )
                };
                out.push(Finding {
                    message: check.render(default, &fields),
                    location: Location::repo(p.path.clone()).with_line(p.line, None),
                    evidence: Some(p.text.clone()),
                });
            }
            if *total > places.len() {
                out.push(Finding {
                    message: format!(
                        "still-used: `{}` is named in {} more place(s) not listed",
                        g.word,
                        total - places.len()
                    ),
                    location: Location::repo(f.path.clone()).with_line(op.line.max(1), None),
                    evidence: None,
                });
            }
        }
        Ok((out, suppressed))
    }
}

fn verb(r: Rule) -> &'static str {
    match r {
        Rule::RenameColumn | Rule::RenameTable => "renamed",
        _ => "dropped",
    }
}

fn fields(
    f: &MigrationFile,
    op: &Op,
    range: &str,
    path: &str,
    line: u64,
    class: Class,
) -> Vec<(&'static str, String)> {
    vec![
        ("path", path.to_string()),
        ("line", line.to_string()),
        ("operation", op.rule.id().to_string()),
        ("class", class.as_str().to_string()),
        ("table", op.table.clone().unwrap_or_default()),
        ("column", op.column.clone().unwrap_or_default()),
        ("statement", op.statement.clone()),
        ("layout", f.layout.as_str().to_string()),
        ("range", range.to_string()),
    ]
}

/// The finding for one operation: where it is, what it does, what to write instead.
fn finding(check: &Meta, f: &MigrationFile, op: &Op, range: &str) -> Finding {
    let (effect, instead) = op.rule.advice();
    let mut what = if op.rule == Rule::Unparsed && !op.statement.is_empty() {
        format!("`{}`", excerpt(&op.statement, 60))
    } else {
        op.operation.clone()
    };
    let target = op.target();
    if !target.is_empty() {
        what.push_str(&format!(" on {target}"));
    }
    if let Some(d) = &op.detail {
        what.push_str(&format!(" ({d})"));
    }
    let default = || format!("{}: {what} {effect}; instead: {instead}", op.rule.id());
    let fields = fields(f, op, range, &f.path, op.line, op.rule.class());
    let location = if op.line > 0 {
        Location::repo(f.path.clone()).with_line(op.line, None)
    } else {
        Location::repo(f.path.clone())
    };
    let evidence = if !op.statement.is_empty() {
        Some(op.statement.clone())
    } else {
        let l = f.silencers.text(op.line);
        (!l.trim().is_empty()).then(|| sanitize(&excerpt(l, 200)))
    };
    Finding {
        message: check.render(default, &fields),
        location,
        evidence,
    }
}

/// Reads the migrations `range` adds, changes or deletes.
fn read_release(
    git: &Repository,
    range: &Range,
    dialect: Dialect,
    layouts: &Layouts,
) -> Result<Release, String> {
    let changes = range_changes(git, &range.include, &range.exclude)?;
    let tip = changes.tip;
    let mut atlas: HashMap<String, bool> = HashMap::new();
    for c in changes.changes.iter().filter(|c| c.path.ends_with(".sql")) {
        let dir = c.path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        if let std::collections::hash_map::Entry::Vacant(e) = atlas.entry(dir) {
            let sum = if e.key().is_empty() {
                "atlas.sum".to_string()
            } else {
                format!("{}/atlas.sum", e.key())
            };
            e.insert(blob_at(git, tip, &sum)?.is_some());
        }
    }
    let atlas_dir = |d: &str| atlas.get(d).copied().unwrap_or(false);
    let mut released: Option<Option<(String, Oid)>> = None;
    let mut files = Vec::new();
    // Tables the release's migrations create, in the order they run (by path, as the tools do).
    let mut created = sql::FileState::default();
    // The sources of the Laravel migrations the range adds, read when an edit needs them.
    let added: std::cell::OnceCell<Vec<String>> = std::cell::OnceCell::new();
    let added_sources = || -> Result<&[String], String> {
        if let Some(a) = added.get() {
            return Ok(a);
        }
        let mut out = Vec::new();
        for c in &changes.changes {
            let laravel = layouts
                .detect(&c.path, &atlas_dir)
                .is_some_and(|(l, r)| l == Layout::Laravel && r != Role::Down);
            if let (ChangeKind::Added, Some(id), true) = (c.kind, c.new, laravel) {
                if blob_size(git, id, &c.path)? <= MAX_MIGRATION {
                    out.push(String::from_utf8_lossy(&read_blob(git, id, &c.path)?).into_owned());
                }
            }
        }
        Ok(added.get_or_init(|| out))
    };
    for c in &changes.changes {
        let Some((layout, role)) = layouts.detect(&c.path, &atlas_dir) else {
            continue;
        };
        // A migration of the last release that the range changes ran on production with that
        // release: what it does is not this release's to report again (mealie's v2.0.0 retouched
        // a v1.4 migration's downgrade, and its released DROP TABLE and type changes were
        // reported as new). The edit itself is (`edited`, below).
        let mut tag_of = || -> Result<Option<(String, Oid)>, String> {
            Ok(match &released {
                Some(t) => t.clone(),
                None => {
                    let t = previous_release(git, tip)?;
                    released = Some(t.clone());
                    t
                }
            })
        };
        let ran_before = c.kind == ChangeKind::Modified
            && role != Role::Repeatable
            && match tag_of()? {
                Some((_, at)) => blob_at(git, at, &c.path)?.is_some(),
                None => false,
            };
        let mut file = match (c.kind, c.new) {
            (ChangeKind::Added | ChangeKind::Modified, Some(id))
                if role != Role::Down && !ran_before =>
            {
                let size = blob_size(git, id, &c.path)?;
                if size > MAX_MIGRATION {
                    let d = dialect.for_path(&c.path);
                    let mut f = analyze_file(
                        &c.path,
                        layout,
                        role,
                        "",
                        d,
                        &|| Ok(Vec::new()),
                        &mut created,
                    )?;
                    f.ops
                        .push(Op::new(Rule::Unparsed, 1, "the file").detail(format!(
                            "{size} bytes, over the {MAX_MIGRATION}-byte limit, not read"
                        )));
                    f
                } else {
                    let text = String::from_utf8_lossy(&read_blob(git, id, &c.path)?).into_owned();
                    // An edit that only reformats a migration adds nothing to run.
                    let reformatted = match (c.kind, c.old) {
                        (ChangeKind::Modified, Some(old)) => same_code(
                            &String::from_utf8_lossy(&read_blob(git, old, &c.path)?),
                            &text,
                            layout.lang(),
                        ),
                        _ => false,
                    };
                    if reformatted {
                        // Nothing to run, nor anything missing.
                        without_operations(&c.path, layout, role, c.kind)
                    } else {
                        let prior = || prior_django(git, tip, &c.path, layouts);
                        let d = dialect.for_path(&c.path);
                        let mut f =
                            analyze_file(&c.path, layout, role, &text, d, &prior, &mut created)?;
                        recreated_views(git, tip, &c.path, d, &mut f.ops)?;
                        if let Some(down) = down_of(layout, &c.path) {
                            let missing = match blob_at(git, tip, &down)? {
                                None => true,
                                Some(d) => sql_is_empty(&String::from_utf8_lossy(&read_blob(
                                    git, d, &down,
                                )?)),
                            };
                            if missing {
                                f.ops.push(no_down(&down));
                            }
                        }
                        f
                    }
                }
            }
            _ => without_operations(&c.path, layout, role, c.kind),
        };
        file.change = c.kind;
        if c.kind != ChangeKind::Added && role != Role::Repeatable {
            if let Some((name, at)) = tag_of()? {
                if let Some(op) = edited(git, at, &name, c, layout, &added_sources)? {
                    file.ops.push(op);
                }
            }
        }
        files.push(file);
    }
    Ok(Release {
        label: range.label.clone(),
        tip: Some(tip),
        files,
    })
}

/// Confirms the drops of recreated ClickHouse views (`Op::recreated_view`): a `DROP TABLE v`
/// that the same statements create again as a materialized view `TO` a table loses nothing when
/// the earlier migrations of its folder (at the tip, in name order, as the tools run them) last
/// created `v` as such a view too. A name they last created as a table or as a view with its own
/// storage, or never created, stays a drop.
fn recreated_views(
    git: &Repository,
    tip: Oid,
    path: &str,
    dialect: Dialect,
    ops: &mut Vec<Op>,
) -> Result<(), String> {
    if !ops.iter().any(|o| o.recreated_view) {
        return Ok(());
    }
    let (dir, _) = path.rsplit_once('/').unwrap_or(("", path));
    let mut earlier: Vec<(String, Oid, usize)> = crate::inputs::changes::tree_files(git, tip, dir)?
        .into_iter()
        .filter(|(p, _, size)| {
            p.as_str() < path
                && p.rsplit_once('/').map_or("", |(d, _)| d) == dir
                && p.ends_with(".sql")
                && !p.ends_with(".down.sql")
                && *size <= MAX_MIGRATION
        })
        .collect();
    earlier.sort();
    let mut last: HashMap<String, bool> = HashMap::new();
    for (p, id, _) in &earlier {
        let text = String::from_utf8_lossy(&read_blob(git, *id, p)?).into_owned();
        last.extend(sql::creations(&text, dialect));
    }
    ops.retain(|o| {
        !(o.recreated_view
            && o.table
                .as_ref()
                .is_some_and(|t| last.get(&t.to_lowercase()) == Some(&true)))
    });
    Ok(())
}

/// Whether HEAD's tree holds any migration file of the layouts (unknown when it cannot be read).
fn tip_has_migrations(git: &Repository, layouts: &Layouts) -> bool {
    let Ok(head) = git.head().and_then(|h| h.peel_to_commit()) else {
        return true;
    };
    let Ok(files) = crate::inputs::changes::tree_files(git, head.id(), "") else {
        return true;
    };
    let atlas: std::collections::HashSet<&str> = files
        .iter()
        .filter_map(|(p, _, _)| p.strip_suffix("atlas.sum").map(|d| d.trim_end_matches('/')))
        .collect();
    files
        .iter()
        .any(|(p, _, _)| layouts.detect(p, &|d| atlas.contains(d)).is_some())
}

/// A released migration (present in tag `name` at commit `at`) that the range changes or
/// deletes, with the first line that differs. A Laravel create-migration edited only to add
/// columns that new migrations of the range add to existing databases (`compensated`) is not.
fn edited<'s>(
    git: &Repository,
    at: Oid,
    name: &str,
    c: &crate::inputs::changes::Change,
    layout: Layout,
    added: &dyn Fn() -> Result<&'s [String], String>,
) -> Result<Option<Op>, String> {
    let Some(then) = blob_at(git, at, &c.path)? else {
        return Ok(None);
    };
    if Some(then) == c.new {
        return Ok(None);
    }
    let (line, how) = match c.new {
        None => (0, "deleted"),
        Some(now) => {
            let a = read_blob(git, then, &c.path)?;
            let b = read_blob(git, now, &c.path)?;
            let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
            if same_code(&a, &b, layout.lang()) {
                return Ok(None);
            }
            // An Alembic migration whose `upgrade()` is as it was: databases that ran it are
            // where they were (mealie fixed a released migration's `downgrade()`).
            if layout == Layout::Alembic
                && same_code(
                    &without_downgrade(&a),
                    &without_downgrade(&b),
                    layout.lang(),
                )
            {
                return Ok(None);
            }
            // A Rails migration edited only to remove a block that tells the operator something
            // (huginn dropped its Basecamp agent's `puts` notice from a 2014 migration): the
            // databases that ran it and the ones that will are the same.
            if layout == Layout::Rails && only_removes_messages(&a, &b) {
                return Ok(None);
            }
            if layout == Layout::Laravel && compensated::only_adds_indexes(&a, &b) {
                let first = first_difference(&a, &b);
                return Ok(Some(Op::new(
                    Rule::EditedIndex,
                    first,
                    format!("{}, released in {name}, is changed in this range:", c.path),
                )));
            }
            if layout == Layout::Laravel {
                if let Some(cols) = compensated::added_columns(&a, &b) {
                    let sources = added()?;
                    let converge = cols.iter().all(|(t, col)| {
                        sources.iter().any(|s| compensated::adds_guarded(s, t, col))
                    });
                    if converge {
                        return Ok(None);
                    }
                }
            }
            (first_difference(&a, &b), "changed")
        }
    };
    Ok(Some(Op::new(
        Rule::Edited,
        line,
        format!("{}, released in {name}, is {how} in this range:", c.path),
    )))
}

/// Whether `b` is `a` with one run of lines removed, and those lines only print a message to the
/// operator: `puts`/`say`/`print`/`warn` and their heredoc bodies, `if`/`unless` around them
/// whose condition only reads (no method that writes, no `!` method), `end`, `else`, comments and
/// locals set to a literal. Anything else removed (a schema change, a write, a call of the
/// application's own) is an edit.
fn only_removes_messages(a: &str, b: &str) -> bool {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    if lb.len() >= la.len() {
        return false;
    }
    let head = la.iter().zip(&lb).take_while(|(x, y)| x == y).count();
    let tail = la[head..]
        .iter()
        .rev()
        .zip(lb[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    if head + tail != lb.len() {
        return false;
    }
    static HARMLESS: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let harmless = HARMLESS.get_or_init(|| {
        regex::Regex::new(
            r#"^(?:#.*|(?:puts|say|print|warn)\b.*|end|else|(?:if|unless|elsif) .*|[a-z_][a-z0-9_]* = (?:true|false|nil|\d+|"[^"]*"|'[^']*'))?$"#,
        )
        .expect("valid")
    });
    static WRITES: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let writes = WRITES.get_or_init(|| {
        regex::Regex::new(r"[a-z_]!|\b(?:update|delete|destroy|save|create|insert|execute|exec_|drop|remove|add_|change|rename|truncate|touch|increment|decrement|toggle|reset|write|import|upsert|transaction)").expect("valid")
    });
    let mut heredoc: Option<String> = None;
    for line in &la[head..la.len() - tail] {
        let t = line.trim();
        if let Some(end) = &heredoc {
            if t == end {
                heredoc = None;
            }
            continue;
        }
        let message = ["puts", "say", "print", "warn"].iter().any(|w| {
            t.strip_prefix(w)
                .is_some_and(|r| r.starts_with([' ', '(', '\'']))
        });
        if !harmless.is_match(t) || (!message && !t.starts_with('#') && writes.is_match(t)) {
            return false;
        }
        if let Some(i) = t.find("<<") {
            let id: String = t[i + 2..]
                .trim_start_matches(['-', '~'])
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !id.is_empty() {
                heredoc = Some(id);
            }
        }
    }
    heredoc.is_none()
}

/// A Python migration's text without its top-level `def downgrade(…)` function.
fn without_downgrade(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skipping = false;
    for line in text.split_inclusive('\n') {
        let top_level = !line.starts_with([' ', '\t', '\n', '\r', '#']);
        if top_level {
            skipping = line.starts_with("def downgrade(");
        }
        if !skipping {
            out.push_str(line);
        }
    }
    out
}

/// A migration file of the range with nothing to report of what it does: deleted, a down file,
/// reformatted only, or released before (its edit is `edited`'s to say).
fn without_operations(path: &str, layout: Layout, role: Role, change: ChangeKind) -> MigrationFile {
    MigrationFile {
        path: path.to_string(),
        layout,
        role,
        change,
        ops: Vec::new(),
        silencers: Silencers::default(),
    }
}

/// The 1-based line where two versions of a file first differ.
fn first_difference(a: &str, b: &str) -> u64 {
    let first = a
        .lines()
        .zip(b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or_else(|| a.lines().count().min(b.lines().count()));
    first as u64 + 1
}

/// Whether two versions of a migration differ only in layout: comments, white space, quotes,
/// trailing commas and empty argument lists (`new class()` → `new class`, as code formatters
/// rewrite old migrations). Such an edit changes nothing a database ran.
fn same_code(a: &str, b: &str, lang: Option<Lang>) -> bool {
    fn norm(text: &str, lang: Option<Lang>) -> String {
        let mut blanked = match lang {
            Some(l) => Source::new(text, l).text,
            None => sql_without_comments(text),
        };
        if lang == Some(Lang::Python) {
            blanked = alembic_identifiers_unannotated(&blanked);
        }
        let mut out: String = blanked
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| if c == '"' { '\'' } else { c })
            .collect();
        for (from, to) in [("()", ""), (",)", ")"), (",]", "]"), (",}", "}")] {
            while out.contains(from) {
                out = out.replace(from, to);
            }
        }
        if lang == Some(Lang::Python) {
            out = django_labels_blanked(&out);
        }
        out
    }
    norm(a, lang) == norm(b, lang)
}

/// Alembic's revision identifiers without their type annotations: newer templates write
/// `down_revision: str | None = None` where older ones wrote `down_revision = None`, and
/// projects annotate their old migrations to match (mealie v2.0.0 did in 31 released files):
/// the annotation changes nothing a database ran.
fn alembic_identifiers_unannotated(text: &str) -> String {
    static ANNOTATED: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    ANNOTATED
        .get_or_init(|| {
            regex::Regex::new(
                r"(?m)^(revision|down_revision|branch_labels|depends_on)[ \t]*:[^=\n]*=",
            )
            .expect("valid")
        })
        .replace_all(text, "${1} =")
        .into_owned()
}

/// Django's `help_text` and `verbose_name(_plural)` are labels of the model state, never part of
/// the schema (`sqlmigrate` prints nothing for an `AlterField` that changes only them): their
/// strings (plain or `_('…')`, as a keyword or an `options` key) are blanked before comparing, so
/// rewording one in a released migration changes nothing a database ran. Works on the
/// whitespace-free, single-quoted text of `same_code`.
fn django_labels_blanked(text: &str) -> String {
    static LABEL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    LABEL
        .get_or_init(|| {
            regex::Regex::new(
                r"((?:\b|')(?:help_text|verbose_name|verbose_name_plural)'?[=:])(?:_\('(?:[^'\\]|\\.)*'\)|'(?:[^'\\]|\\.)*')",
            )
            .expect("valid")
        })
        .replace_all(text, "${1}''")
        .into_owned()
}

/// SQL with its `--` and `/* */` comments removed (not inside `'…'` strings).
fn sql_without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut quoted = false;
    while let Some(ch) = rest.chars().next() {
        if !quoted {
            if let Some(r) = rest.strip_prefix("--") {
                rest = r.find('\n').map_or("", |i| &r[i..]);
                continue;
            }
            if let Some(r) = rest.strip_prefix("/*") {
                rest = r.find("*/").map_or("", |i| &r[i + 2..]);
                continue;
            }
        }
        if ch == '\'' {
            quoted = !quoted;
        }
        out.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    out
}

/// The down file an up migration needs: golang-migrate's `.down.sql`, Diesel's `down.sql`.
fn down_of(layout: Layout, path: &str) -> Option<String> {
    match layout {
        Layout::GolangMigrate => path
            .strip_suffix(".up.sql")
            .map(|p| format!("{p}.down.sql")),
        Layout::Diesel => path
            .strip_suffix("/up.sql")
            .map(|p| format!("{p}/down.sql")),
        _ => None,
    }
}

fn no_down(down: &str) -> Op {
    Op::new(
        Rule::Irreversible,
        1,
        "an up migration without a down migration",
    )
    .detail(format!("{down} is missing or empty"))
}

/// Whether SQL has nothing but comments and whitespace.
fn sql_is_empty(s: &str) -> bool {
    s.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with("--")
    })
}

/// The earlier migrations of a Django app, oldest first (to tell what an `AlterField` changes).
fn prior_django(
    git: &Repository,
    tip: Oid,
    path: &str,
    layouts: &Layouts,
) -> Result<Vec<String>, String> {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let mut files: Vec<(String, Oid)> = crate::inputs::changes::tree_files(git, tip, dir)?
        .into_iter()
        .filter(|(p, _, _)| {
            let n = p.rsplit('/').next().unwrap_or(p);
            n < name
                && p.rsplit_once('/').map_or("", |(d, _)| d) == dir
                && layouts
                    .detect(p, &|_| false)
                    .is_some_and(|(l, _)| l == Layout::Django)
        })
        .map(|(p, id, _)| (p, id))
        .collect();
    files.sort();
    files
        .iter()
        .map(|(p, id)| read_blob(git, *id, p).map(|b| String::from_utf8_lossy(&b).into_owned()))
        .collect()
}

/// What one migration file does.
/// Reads one migration file. `state` carries what the release's earlier migrations created: a
/// table a migration of the same release creates is new, and dropping, indexing or changing it
/// breaks nothing deployed.
fn analyze_file(
    path: &str,
    layout: Layout,
    role: Role,
    text: &str,
    dialect: Dialect,
    prior: &dyn Fn() -> Result<Vec<String>, String>,
    state: &mut sql::FileState,
) -> Result<MigrationFile, String> {
    let (ops, marks) = match layout.lang() {
        None => {
            let mut ops = Vec::new();
            sql::analyze(text, 1, dialect, state, &mut ops);
            if layout == Layout::Prisma {
                for (i, l) in text.lines().enumerate() {
                    if l.contains("will be lost")
                        || l.contains("This is not possible if the table is not empty")
                    {
                        ops.push(
                            Op::new(Rule::Irreversible, i as u64 + 1, "Prisma's warning")
                                .detail(sanitize(&excerpt(l.trim().trim_start_matches("- "), 160))),
                        );
                    }
                }
            }
            (ops, orm::Marks::default())
        }
        Some(lang) => {
            let src = Source::new(text, lang);
            let mut cx = orm::Cx::new(&src, dialect);
            cx.state = std::mem::take(state);
            match layout {
                Layout::Rails => orm::rails(&mut cx),
                Layout::Django => {
                    let before = if text.contains("AlterField") {
                        prior()?
                    } else {
                        Vec::new()
                    };
                    orm::django(&mut cx, &before)
                }
                Layout::Alembic => orm::alembic(&mut cx),
                Layout::Laravel => orm::laravel(&mut cx),
                _ if lang == Lang::Js => orm::knex(&mut cx),
                _ => {}
            }
            *state = std::mem::take(&mut cx.state);
            let mut ops = cx.out;
            ops.sort_by_key(|o| o.line);
            (ops, cx.marks)
        }
    };
    Ok(MigrationFile {
        path: path.to_string(),
        layout,
        role,
        change: ChangeKind::Added,
        ops,
        silencers: Silencers::new(text, marks),
    })
}
