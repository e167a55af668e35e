//! ORM migrations, recognised from their source without running it: the Rails DSL, Django
//! operations, Alembic `op.*`, Laravel's Schema builder and Knex. Only the direction a deploy
//! runs is read (`def down`, `downgrade()`, `function down()`, `exports.down` are skipped); SQL
//! passed to `execute`, `RunSQL`, `op.execute`, `DB::statement` and `knex.raw` is parsed as SQL.
//! The patterns are careful rather than complete: a call they do not know is not an operation,
//! and SQL built at run time is reported as unparsed, never silently passed.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

use super::ops::{Op, Rule};
use super::source::{is_false, is_true, kwarg, name_of, positional, Call, Lang, Source};
use super::sql::{self, Dialect, FileState};

/// What reading one ORM migration found beyond its operations.
#[derive(Default)]
pub struct Marks {
    /// Line ranges (inclusive) inside `safety_assured` blocks.
    pub assured: Vec<(u64, u64)>,
    /// The migration says the linter ignores it (django-migration-linter's `IgnoreMigration()`).
    pub ignored: bool,
}

/// Everything one file's reader needs.
pub struct Cx<'s, 'a> {
    pub src: &'s Source<'a>,
    pub dialect: Dialect,
    pub state: FileState,
    pub out: Vec<Op>,
    pub marks: Marks,
    /// Byte ranges that run on rollback only.
    pub down: Vec<(usize, usize)>,
}

impl<'s, 'a> Cx<'s, 'a> {
    pub fn new(src: &'s Source<'a>, dialect: Dialect) -> Self {
        Cx {
            src,
            dialect,
            state: FileState::default(),
            out: Vec::new(),
            marks: Marks::default(),
            down: Vec::new(),
        }
    }

    fn pg(&self) -> bool {
        self.dialect == Dialect::Postgres
    }

    fn in_down(&self, at: usize) -> bool {
        // Sorted and merged by `seal_down`.
        let i = self.down.partition_point(|(a, _)| *a <= at);
        i > 0 && at < self.down[i - 1].1
    }

    /// Sorts and merges the down regions once they are all known.
    fn seal_down(&mut self) {
        self.down.sort();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(self.down.len());
        for (a, b) in self.down.drain(..) {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        self.down = merged;
    }

    fn line(&self, at: usize) -> u64 {
        self.src.line(at)
    }

    fn args(&self, call: &Call) -> Vec<&'s str> {
        call.args
            .iter()
            .map(|r| self.src.slice(*r).trim())
            .collect()
    }

    fn created(&self, table: &str) -> bool {
        self.state.created.contains(&table.to_lowercase())
    }

    /// A column no released version has: its table, or the column itself, is new in this
    /// release (created or added by an earlier migration of the range, or this one).
    fn new_in_release(&self, table: &str, column: &str) -> bool {
        self.created(table)
            || self.state.added_columns.contains(&format!(
                "{}.{}",
                table.to_lowercase(),
                column.to_lowercase()
            ))
    }

    fn added(&mut self, table: &str, column: &str) {
        self.state.added_columns.insert(format!(
            "{}.{}",
            table.to_lowercase(),
            column.to_lowercase()
        ));
    }

    fn push(&mut self, op: Op) {
        self.out.push(op);
    }

    /// Parses the string literals of `range` as SQL (adjacent literals joined); none is SQL
    /// built at run time, reported as unparsed.
    fn embedded(&mut self, range: (usize, usize), what: &str, at: usize) {
        let lits = self.src.lits_in(range);
        if lits.is_empty() {
            self.push(
                Op::new(Rule::Unparsed, self.line(at), what)
                    .detail("SQL built at run time (not a string literal) cannot be read"),
            );
            return;
        }
        for l in lits {
            let sql_text = &self.src.raw[l.content.0..l.content.1];
            let base = self.line(l.content.0);
            let mut state = std::mem::take(&mut self.state);
            sql::analyze(sql_text, base, self.dialect, &mut state, &mut self.out);
            self.state = state;
        }
    }

    /// The names among the call's first positional arguments.
    fn names(&self, call: &Call) -> Vec<String> {
        positional(&self.args(call))
            .iter()
            .map(|a| name_of(a).unwrap_or_default())
            .collect()
    }
}

fn re(cell: &'static OnceLock<Regex>, src: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(src).expect("valid"))
}

fn get(v: &[String], i: usize) -> String {
    v.get(i).cloned().unwrap_or_default()
}

// ---------------------------------------------------------------- Rails

/// Rails: `def up`/`def change` are read, `def down` and `dir.down` blocks are not;
/// `safety_assured` blocks are recorded; irreversible operations in `change` are reported.
pub fn rails(cx: &mut Cx<'_, '_>) {
    static DEF: OnceLock<Regex> = OnceLock::new();
    static OPS: OnceLock<Regex> = OnceLock::new();
    static BLOCK: OnceLock<Regex> = OnceLock::new();
    let src = cx.src;
    let mut change = Vec::new();
    let mut reversible = Vec::new();
    for m in re(&DEF, r"(?m)^[ \t]*def (?:self\.)?(up|down|change)\b").captures_iter(&src.text) {
        let at = m.get(0).unwrap().start();
        let range = (at, src.block_end(at, Lang::Ruby));
        match &m[1] {
            "down" => cx.down.push(range),
            "change" => change.push(range),
            _ => {}
        }
    }
    for m in re(
        &BLOCK,
        r"\b(safety_assured|reversible|up_only|\w+\.down)\s*(do\b|\{)",
    )
    .captures_iter(&src.text)
    {
        let at = m.get(0).unwrap().start();
        let brace = m.get(2).unwrap();
        let end = if brace.as_str() == "{" {
            src.matching(brace.start()).unwrap_or(src.raw.len())
        } else {
            src.block_end(at, Lang::Ruby)
        };
        match &m[1] {
            "safety_assured" => cx.marks.assured.push((src.line(at), src.line(end))),
            "reversible" | "up_only" => reversible.push((at, end)),
            _ => cx.down.push((at, end)),
        }
    }
    cx.seal_down();
    let in_change = |at: usize| {
        change.iter().any(|(a, b)| at >= *a && at < *b)
            && !reversible.iter().any(|(a, b)| at >= *a && at < *b)
    };
    let ops = re(
        &OPS,
        r"(?m)(?:^|[\s;(])(create_table|drop_table|remove_columns?|remove_reference|remove_belongs_to|rename_column|rename_table|change_column_null|change_column_default|change_column|add_column|add_index|add_foreign_key|add_reference|add_belongs_to|add_check_constraint|execute|change_table)\b",
    );
    for m in ops.captures_iter(&src.text) {
        let name = m.get(1).unwrap();
        if cx.in_down(name.start()) {
            continue;
        }
        let Some(call) = src.call(name.end(), Lang::Ruby) else {
            continue;
        };
        rails_op(
            cx,
            name.as_str(),
            name.start(),
            &call,
            in_change(name.start()),
        );
    }
    static RAISE: OnceLock<Regex> = OnceLock::new();
    for m in re(
        &RAISE,
        r"\braise\s+(?:::)?ActiveRecord::IrreversibleMigration\b",
    )
    .find_iter(&src.text)
    {
        cx.push(
            Op::new(
                Rule::Irreversible,
                src.line(m.start()),
                "raise ActiveRecord::IrreversibleMigration",
            )
            .detail("the migration says it cannot be rolled back"),
        );
    }
}

fn rails_op(cx: &mut Cx<'_, '_>, name: &str, at: usize, call: &Call, in_change: bool) {
    let src = cx.src;
    let line = cx.line(at);
    let args = cx.args(call);
    let n = cx.names(call);
    let (t, c) = (get(&n, 0), get(&n, 1));
    let has_block = {
        let rest = src.code[call.span.1..].trim_start();
        rest.starts_with("do") || rest.starts_with('{')
    };
    let irreversible = |cx: &mut Cx<'_, '_>, why: &str| {
        if in_change {
            cx.push(
                Op::new(Rule::Irreversible, line, format!("{name} in change"))
                    .table(&t)
                    .detail(why.to_string()),
            );
        }
    };
    let pg = cx.pg();
    match name {
        "create_table" => {
            cx.state.created.insert(t.to_lowercase());
        }
        "drop_table" if !cx.created(&t) => {
            cx.push(
                Op::new(Rule::DropTable, line, "drop_table")
                    .table(&t)
                    .gone_word(&t),
            );
            if !has_block {
                irreversible(
                    cx,
                    "drop_table without the table's definition in a block cannot be reversed",
                );
            }
        }
        "remove_column" | "remove_columns" => {
            let cols: Vec<String> = n
                .iter()
                .skip(1)
                .filter(|s| !s.is_empty())
                .cloned()
                .collect();
            let typed = kwarg(&args, "type").is_some()
                || (name == "remove_column" && positional(&args).len() >= 3);
            let cols = if name == "remove_column" {
                cols.into_iter().take(1).collect()
            } else {
                cols
            };
            for col in &cols {
                if cx.new_in_release(&t, col) {
                    continue;
                }
                cx.push(
                    Op::new(Rule::DropColumn, line, name)
                        .table(&t)
                        .column(col)
                        .gone_word(col),
                );
            }
            if !typed {
                irreversible(
                    cx,
                    "remove_column without the column's type cannot be reversed",
                );
            }
        }
        "remove_reference" | "remove_belongs_to" if !cx.new_in_release(&t, &format!("{c}_id")) => {
            let col = format!("{c}_id");
            cx.push(
                Op::new(Rule::DropColumn, line, name)
                    .table(&t)
                    .column(&col)
                    .gone_word(&col),
            );
        }
        "rename_column" if !cx.new_in_release(&t, &c) => {
            cx.push(
                Op::new(Rule::RenameColumn, line, name)
                    .table(&t)
                    .column(&c)
                    .detail(format!("to {}", get(&n, 2)))
                    .gone_word(&c),
            );
        }
        "rename_table" => {
            cx.push(
                Op::new(Rule::RenameTable, line, name)
                    .table(&t)
                    .detail(format!("to {c}"))
                    .gone_word(&t),
            );
        }
        "change_column" => {
            let ty = positional(&args)
                .get(2)
                .map(|s| s.trim_start_matches(':').to_string())
                .unwrap_or_default();
            if !cx.new_in_release(&t, &c) {
                sql::type_change(&t, &c, &ty, false, line, pg, &mut cx.out);
            }
            irreversible(cx, "change_column cannot be reversed: use up/down, or change_column_default/null with from:/to:");
        }
        "change_column_null"
            // A column new in this release, on a table the old version writes, is still a
            // problem made NOT NULL: the old version's inserts leave it out.
            if positional(&args).get(2).is_some_and(|v| is_false(v)) && !cx.created(&t) =>
        {
            cx.push(Op::new(Rule::SetNotNull, line, name).table(&t).column(&c));
        }
        "change_column_default"
            if kwarg(&args, "from").is_none() || kwarg(&args, "to").is_none() =>
        {
            irreversible(
                cx,
                "change_column_default without from:/to: cannot be reversed",
            );
        }
        _ => rails_add(cx, name, at, call, in_change),
    }
}

/// The additions (columns, indexes, constraints), `execute` and `change_table`.
fn rails_add(cx: &mut Cx<'_, '_>, name: &str, at: usize, call: &Call, in_change: bool) {
    let line = cx.line(at);
    let args = cx.args(call);
    let n = cx.names(call);
    let (t, c) = (get(&n, 0), get(&n, 1));
    let irreversible = |cx: &mut Cx<'_, '_>, why: &str| {
        if in_change {
            cx.push(
                Op::new(Rule::Irreversible, line, format!("{name} in change"))
                    .table(&t)
                    .detail(why.to_string()),
            );
        }
    };
    let pg = cx.pg();
    if name == "add_column" {
        cx.added(&t, &c);
    } else if matches!(name, "add_reference" | "add_belongs_to") {
        cx.added(&t, &format!("{c}_id"));
    }
    match name {
        "add_column" if !cx.created(&t) => {
            rails_column(cx, &t, &c, &args, line, name);
        }
        "add_index"
            if pg
                && !cx.created(&t)
                && !kwarg(&args, "algorithm").is_some_and(|v| v.contains("concurrently")) =>
        {
            cx.push(
                Op::new(
                    Rule::CreateIndex,
                    line,
                    "add_index without algorithm: :concurrently",
                )
                .table(&t)
                .column(
                    positional(&args)
                        .get(1)
                        .map(|s| s.trim_start_matches(':'))
                        .unwrap_or(""),
                ),
            );
        }
        "add_foreign_key"
            if pg && !cx.created(&t) && !kwarg(&args, "validate").is_some_and(is_false) =>
        {
            cx.push(
                Op::new(
                    Rule::AddForeignKey,
                    line,
                    "add_foreign_key without validate: false",
                )
                .table(&t)
                .detail(format!("referencing {c}")),
            );
        }
        "add_check_constraint"
            if pg && !cx.created(&t) && !kwarg(&args, "validate").is_some_and(is_false) =>
        {
            cx.push(
                Op::new(
                    Rule::AddCheckConstraint,
                    line,
                    "add_check_constraint without validate: false",
                )
                .table(&t),
            );
        }
        "add_reference" | "add_belongs_to" if !cx.created(&t) => {
            rails_reference(cx, &t, &c, &args, line, name);
        }
        "execute" => {
            cx.embedded(call.span, "execute", at);
            if !for_another_adapter(cx, line) {
                irreversible(
                    cx,
                    "execute in change cannot be reversed: use up/down or reversible",
                );
            }
        }
        "change_table" => rails_change_table(cx, &t, at, call),
        _ => {}
    }
}

/// Whether the statement on `line` is the first of an `if … adapter_name == "X"` branch for a
/// database other than the project's (doorkeeper's generated migration, in maybe: an `execute`
/// for SQL Server beside the reversible `add_index` that PostgreSQL runs). That branch never
/// runs here; the same `execute` under the project's own adapter, or under no condition, is
/// still irreversible.
fn for_another_adapter(cx: &Cx<'_, '_>, line: u64) -> bool {
    let Some(cond) = (1..line)
        .rev()
        .map(|l| cx.src.line_text(l).trim())
        .find(|t| !t.is_empty() && !t.starts_with('#'))
    else {
        return false;
    };
    let Some(rest) = cond
        .strip_prefix("if ")
        .or_else(|| cond.strip_prefix("elsif "))
    else {
        return false;
    };
    let Some((_, after)) = rest.split_once("adapter_name") else {
        return false;
    };
    let Some(value) = after.trim_start().strip_prefix("==") else {
        return false;
    };
    let name = value
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .to_ascii_lowercase();
    // The check's dialect defaults to PostgreSQL whatever `config/database.yml` says, so only
    // adapters no dialect here stands for are another database's for sure.
    const OURS: [&str; 9] = [
        "postgresql",
        "postgis",
        "mysql",
        "mysql2",
        "trilogy",
        "sqlite",
        "sqlite3",
        "clickhouse",
        "",
    ];
    name.chars().all(|c| c.is_ascii_alphanumeric()) && !OURS.contains(&name.as_str())
}

fn rails_column(cx: &mut Cx<'_, '_>, t: &str, c: &str, args: &[&str], line: u64, what: &str) {
    let default = kwarg(args, "default");
    if kwarg(args, "null").is_some_and(is_false) && default.is_none() {
        cx.push(
            Op::new(
                Rule::AddNotNullColumn,
                line,
                format!("{what} with null: false and no default"),
            )
            .table(t)
            .column(c),
        );
    }
    if cx.pg() && default.is_some_and(sql::volatile_text) {
        cx.push(
            Op::new(
                Rule::VolatileDefault,
                line,
                format!("{what} with a volatile default"),
            )
            .table(t)
            .column(c)
            .detail(format!("default: {}", default.unwrap_or(""))),
        );
    }
}

fn rails_reference(cx: &mut Cx<'_, '_>, t: &str, r: &str, args: &[&str], line: u64, name: &str) {
    let col = format!("{r}_id");
    rails_column(cx, t, &col, args, line, name);
    if !cx.pg() {
        return;
    }
    let index = kwarg(args, "index");
    if !index.is_some_and(|v| is_false(v) || v.contains("concurrently")) {
        cx.push(
            Op::new(
                Rule::CreateIndex,
                line,
                format!("{name} (its index, without algorithm: :concurrently)"),
            )
            .table(t)
            .column(&col),
        );
    }
    if let Some(fk) = kwarg(args, "foreign_key") {
        if !(is_false(fk) || fk.contains("validate") && fk.contains("false")) {
            cx.push(
                Op::new(
                    Rule::AddForeignKey,
                    line,
                    format!("{name} with foreign_key"),
                )
                .table(t)
                .column(&col),
            );
        }
    }
}

/// `change_table :t do |t| … end`: `t.remove`, `t.rename`, `t.change`, `t.index`, new columns.
fn rails_change_table(cx: &mut Cx<'_, '_>, table: &str, at: usize, call: &Call) {
    let src = cx.src;
    let rest = &src.text[call.span.1..];
    let Some(var) = rest
        .split('|')
        .nth(1)
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    else {
        return;
    };
    let end = src.block_end(at, Lang::Ruby);
    static METHOD: OnceLock<Regex> = OnceLock::new();
    let r = re(&METHOD, r"\b([A-Za-z_]\w*)\.(\w+)\b");
    let body = (call.span.1, end);
    for m in r.captures_iter(&src.text[body.0..body.1]) {
        if &m[1] != var {
            continue;
        }
        let meth = m.get(2).unwrap();
        let name_end = body.0 + meth.end();
        let Some(inner) = src.call(name_end, Lang::Ruby) else {
            continue;
        };
        let line = src.line(body.0 + meth.start());
        let args = cx.args(&inner);
        let n = cx.names(&inner);
        let first = get(&n, 0);
        match meth.as_str() {
            "remove" => {
                for col in n.iter().filter(|s| !s.is_empty()) {
                    cx.push(
                        Op::new(Rule::DropColumn, line, "t.remove")
                            .table(table)
                            .column(col)
                            .gone_word(col),
                    );
                }
            }
            "rename" => cx.push(
                Op::new(Rule::RenameColumn, line, "t.rename")
                    .table(table)
                    .column(&first)
                    .detail(format!("to {}", get(&n, 1)))
                    .gone_word(&first),
            ),
            "change" => {
                let ty = positional(&args)
                    .get(1)
                    .map(|s| s.trim_start_matches(':').to_string())
                    .unwrap_or_default();
                let pg = cx.pg();
                sql::type_change(table, &first, &ty, false, line, pg, &mut cx.out);
            }
            "index"
                if cx.pg()
                    && !kwarg(&args, "algorithm").is_some_and(|v| v.contains("concurrently")) =>
            {
                cx.push(
                    Op::new(
                        Rule::CreateIndex,
                        line,
                        "t.index without algorithm: :concurrently",
                    )
                    .table(table)
                    .column(&first),
                );
            }
            "references" | "belongs_to" => {
                rails_reference(cx, table, &first, &args, line, "t.references")
            }
            "column" => rails_column(cx, table, &first, &args, line, "t.column"),
            m if is_rails_type(m) => {
                rails_column(cx, table, &first, &args, line, &format!("t.{m}"))
            }
            _ => {}
        }
    }
}

fn is_rails_type(m: &str) -> bool {
    matches!(
        m,
        "string"
            | "text"
            | "integer"
            | "bigint"
            | "float"
            | "decimal"
            | "numeric"
            | "datetime"
            | "time"
            | "date"
            | "binary"
            | "boolean"
            | "json"
            | "jsonb"
            | "uuid"
            | "timestamp"
            | "citext"
    )
}

// ---------------------------------------------------------------- Django

/// Django: the operations list. `prior` holds the earlier migrations of the same app (oldest
/// first), to tell what an `AlterField` changes.
pub fn django(cx: &mut Cx<'_, '_>, prior: &[String]) {
    static OPS: OnceLock<Regex> = OnceLock::new();
    let src = cx.src;
    let ops = re(
        &OPS,
        r"\b(RemoveField|DeleteModel|RenameField|RenameModel|AlterModelTable|CreateModel|AddField|AlterField|AddIndex|AddConstraint|RunSQL|RunPython|IgnoreMigration)\s*\(",
    );
    let mut fields = Fields::default();
    for m in ops.captures_iter(&src.text) {
        let name = m.get(1).unwrap();
        let Some(call) = src.call(name.end(), Lang::Python) else {
            continue;
        };
        let line = src.line(name.start());
        let args = cx.args(&call);
        let pos: Vec<String> = positional(&args)
            .iter()
            .map(|a| name_of(a).unwrap_or_default())
            .collect();
        let arg = |k: &str, i: usize| {
            kwarg(&args, k)
                .and_then(name_of)
                .unwrap_or_else(|| get(&pos, i))
        };
        let definition = kwarg(&args, "field")
            .or_else(|| positional(&args).get(2).copied())
            .unwrap_or("")
            .to_string();
        let (before, swapped) = fields.step(
            cx,
            prior,
            name.as_str(),
            &arg("model_name", 0),
            (&arg("name", 1), &arg("old_name", 1), &arg("new_name", 2)),
            &definition,
        );
        let pg = cx.pg();
        match name.as_str() {
            "IgnoreMigration" => cx.marks.ignored = true,
            "CreateModel" => {
                cx.state.created.insert(arg("name", 0).to_lowercase());
            }
            "RemoveField" => {
                let (t, c) = (arg("model_name", 0), arg("name", 1));
                cx.push(
                    Op::new(Rule::DropColumn, line, "RemoveField")
                        .table(&t)
                        .column(&c)
                        .gone_word(&c),
                );
            }
            "DeleteModel" => {
                let t = arg("name", 0);
                cx.push(
                    Op::new(Rule::DropTable, line, "DeleteModel")
                        .table(&t)
                        .gone_word(&t),
                );
            }
            // A field the release itself added: no released version knew its name (saleor's 0021).
            "RenameField" if !cx.new_in_release(&arg("model_name", 0), &arg("old_name", 1)) => {
                let (t, c) = (arg("model_name", 0), arg("old_name", 1));
                cx.push(
                    Op::new(Rule::RenameColumn, line, "RenameField")
                        .table(&t)
                        .column(&c)
                        .detail(format!("to {}", arg("new_name", 2)))
                        .gone_word(&c),
                );
            }
            "RenameModel" => {
                let t = arg("old_name", 0);
                cx.push(
                    Op::new(Rule::RenameTable, line, "RenameModel")
                        .table(&t)
                        .detail(format!("to {}", arg("new_name", 1)))
                        .gone_word(&t),
                );
            }
            "AlterModelTable" => {
                let t = arg("name", 0);
                cx.push(
                    Op::new(Rule::RenameTable, line, "AlterModelTable")
                        .table(&t)
                        .detail(format!("to {}", arg("table", 1))),
                );
            }
            "AddField" => {
                let (t, c) = (arg("model_name", 0), arg("name", 1));
                if !cx.created(&t) {
                    django_add_field(cx, &t, &c, &definition, line);
                }
                cx.added(&t, &c);
            }
            "AlterField" => {
                let (t, c) = (arg("model_name", 0), arg("name", 1));
                // As this migration left the field, else as the earlier ones did; a field of
                // unknown definition (renamed from one no migration defines) is not compared.
                let before = before.unwrap_or_else(|| prior_field(prior, &t, &c));
                if let Some(before) = before {
                    let released = swapped.then(|| prior_field(prior, &t, &c)).flatten();
                    let nulls = if swapped {
                        released.as_deref()
                    } else {
                        Some(before.as_str())
                    };
                    django_alter(cx, &t, &c, &before, nulls, &definition, line);
                }
            }
            "AddIndex" if pg && !cx.created(&arg("model_name", 0)) => {
                cx.push(
                    Op::new(
                        Rule::CreateIndex,
                        line,
                        "AddIndex (use AddIndexConcurrently)",
                    )
                    .table(arg("model_name", 0)),
                );
            }
            "AddConstraint" if pg && !cx.created(&arg("model_name", 0)) => {
                let c = kwarg(&args, "constraint").unwrap_or("");
                django_add_constraint(cx, &arg("model_name", 0), c, line);
            }
            "RunSQL" => {
                let sql_arg = call
                    .args
                    .iter()
                    .find(|r| src.slice(**r).trim_start().starts_with("sql"))
                    .or(call.args.first())
                    .copied();
                if let Some(r) = sql_arg {
                    cx.embedded(r, "RunSQL", name.start());
                }
                if kwarg(&args, "reverse_sql").is_none() && positional(&args).len() < 2 {
                    cx.push(Op::new(Rule::Irreversible, line, "RunSQL without reverse_sql").detail("it cannot be rolled back (use reverse_sql=migrations.RunSQL.noop if nothing needs undoing)"));
                }
            }
            "RunPython"
                if kwarg(&args, "reverse_code").is_none() && positional(&args).len() < 2 =>
            {
                cx.push(Op::new(Rule::Irreversible, line, "RunPython without reverse_code").detail("it cannot be rolled back (use reverse_code=migrations.RunPython.noop if nothing needs undoing)"));
            }
            _ => {}
        }
    }
    drop_adds_given_a_database_default(cx);
}

/// A constraint added to an existing table on PostgreSQL: a CHECK validates every row under a
/// lock, a UNIQUE builds an index.
fn django_add_constraint(cx: &mut Cx<'_, '_>, t: &str, c: &str, line: u64) {
    if c.contains("CheckConstraint") {
        cx.push(
            Op::new(
                Rule::AddCheckConstraint,
                line,
                "AddConstraint (use AddConstraintNotValid, then ValidateConstraint)",
            )
            .table(t),
        );
    } else if c.contains("UniqueConstraint") {
        cx.push(
            Op::new(
                Rule::CreateIndex,
                line,
                "AddConstraint UniqueConstraint (builds a unique index)",
            )
            .table(t),
        );
    }
}

/// Each field's definition as a Django migration's operations leave it, so far (`django`): a
/// field removed and then renamed into place (wger's `RemoveField('id')`, `RenameField('uuid',
/// 'id')`, its integer keys swapped for UUIDs) is the renamed field, not the removed one.
#[derive(Default)]
struct Fields(HashMap<(String, String), Field>);

impl Fields {
    /// Follows one operation on `model`'s field (`name`, or `old` renamed to `new`). For an
    /// AlterField, what it alters: `Some(Some(def))` as this migration left it, `Some(None)`
    /// unknown, `None` not touched here yet (the earlier migrations say); and whether the field
    /// was renamed into the place of a removed one.
    fn step(
        &mut self,
        cx: &mut Cx<'_, '_>,
        prior: &[String],
        op: &str,
        model: &str,
        (name, old, new): (&str, &str, &str),
        definition: &str,
    ) -> (Option<Option<String>>, bool) {
        let key = |c: &str| (model.to_lowercase(), c.to_string());
        // A name removed earlier in this migration that a rename or an add gives back: the
        // code that names it names the new field, so the drop leaves no name behind.
        let back = match op {
            "RenameField" => Some(key(new)),
            "AddField" => Some(key(name)),
            _ => None,
        };
        if let Some(k) = back.filter(|k| self.0.get(k) == Some(&Field::Removed)) {
            for o in cx.out.iter_mut().filter(|o| {
                o.rule == Rule::DropColumn
                    && o.table
                        .as_deref()
                        .is_some_and(|t| t.eq_ignore_ascii_case(&k.0))
                    && o.column.as_deref() == Some(k.1.as_str())
            }) {
                o.gone.clear();
            }
        }
        let mut altered = (None, false);
        match op {
            "RemoveField" => {
                self.0.insert(key(name), Field::Removed);
            }
            "RenameField" => {
                let was = self.0.remove(&key(old)).unwrap_or_else(|| {
                    prior_field(prior, model, old).map_or(Field::Unknown, Field::Known)
                });
                // Into the place of a removed field: its column type is the renamed field's,
                // while the old version still writes the name as it knew it (nullability).
                let was = match (was, self.0.get(&key(new)) == Some(&Field::Removed)) {
                    (Field::Removed, _) => Field::Unknown,
                    (Field::Known(d), true) => Field::Swapped(d),
                    (was, _) => was,
                };
                self.0.insert(key(new), was);
            }
            "AddField" | "AlterField" => {
                if op == "AlterField" {
                    altered = match self.0.get(&key(name)) {
                        Some(Field::Known(d)) => (Some(Some(d.clone())), false),
                        Some(Field::Swapped(d)) => (Some(Some(d.clone())), true),
                        Some(_) => (Some(None), false),
                        None => (None, false),
                    };
                }
                self.0
                    .insert(key(name), Field::Known(definition.to_string()));
            }
            _ => {}
        }
        altered
    }
}

/// A field's state within one Django migration (`django`).
#[derive(Debug, Clone, PartialEq)]
enum Field {
    Known(String),
    /// Renamed into the place of a field removed before it (`Known` for its type).
    Swapped(String),
    Removed,
    Unknown,
}

/// Django keeps a field's `default=` in Python only; a RunSQL of the same migration that gives
/// the column a database default (`ALTER COLUMN c SET DEFAULT true`, saleor's 0020) makes the
/// old version's inserts work: the new column is not what breaks them.
fn drop_adds_given_a_database_default(cx: &mut Cx<'_, '_>) {
    if !cx.out.iter().any(|o| o.rule == Rule::AddNotNullColumn) {
        return;
    }
    let sql = cx.src.text.to_ascii_lowercase();
    let sql: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    cx.out.retain(|o| {
        !(o.rule == Rule::AddNotNullColumn
            && o.column.as_ref().is_some_and(|c| {
                let c = c.to_ascii_lowercase();
                sql.contains(&format!("alter column {c} set default"))
                    || sql.contains(&format!("alter column \"{c}\" set default"))
            }))
    });
}

fn django_add_field(cx: &mut Cx<'_, '_>, t: &str, c: &str, field: &str, line: u64) {
    if field.contains("ManyToManyField") {
        return;
    }
    let nullable = field_kw(field, "null").is_some_and(is_true);
    if !nullable && field_kw(field, "db_default").is_none() {
        cx.push(
            Op::new(Rule::AddNotNullColumn, line, "AddField without null=True")
                .table(t)
                .column(c)
                .detail(
                    "Django's default= is not kept in the database: the old version's inserts fail",
                ),
        );
    }
    if !cx.pg() {
        return;
    }
    if (field.contains("ForeignKey") || field.contains("OneToOneField"))
        && !field_kw(field, "db_constraint").is_some_and(is_false)
    {
        cx.push(
            Op::new(
                Rule::AddForeignKey,
                line,
                "AddField of a ForeignKey (validated in place)",
            )
            .table(t)
            .column(c),
        );
    } else if field_kw(field, "db_index").is_some_and(is_true)
        || field_kw(field, "unique").is_some_and(is_true)
    {
        cx.push(
            Op::new(
                Rule::CreateIndex,
                line,
                "AddField with an index (built without CONCURRENTLY)",
            )
            .table(t)
            .column(c),
        );
    }
}

/// `before` is the field's earlier definition; `nulls` the one whose nullability the old
/// version relies on (the released field's, for one renamed into its place), if known.
fn django_alter(
    cx: &mut Cx<'_, '_>,
    t: &str,
    c: &str,
    before: &str,
    nulls: Option<&str>,
    after: &str,
    line: u64,
) {
    let class = |f: &str| {
        static CLASS: OnceLock<Regex> = OnceLock::new();
        re(&CLASS, r"(\w+Field|ForeignKey)\s*\(")
            .captures(f)
            .map(|m| m[1].to_string())
            .unwrap_or_default()
    };
    let (b, a) = (class(before), class(after));
    // A relation's column has its target's key type, which the field does not say: wger's
    // `category_tmp` UUIDField renamed into place and made a ForeignKey to a model whose key is
    // a UUID changes no type. Relations are compared with relations only.
    let relation = |f: &str| matches!(f, "ForeignKey" | "OneToOneField");
    if !b.is_empty() && !a.is_empty() && a != b && relation(&a) == relation(&b) {
        let pg = cx.pg();
        let ty = if matches!(a.as_str(), "TextField" | "CharField") {
            "text"
        } else {
            a.as_str()
        };
        sql::type_change(t, c, ty, false, line, pg, &mut cx.out);
        if let Some(op) = cx
            .out
            .iter_mut()
            .rev()
            .find(|o| o.rule == Rule::ChangeColumnType)
        {
            op.detail = Some(format!("from {b} to {a}"));
        }
    }
    let null = |f: &str| field_kw(f, "null").is_some_and(is_true);
    if nulls.is_some_and(null) && !null(after) {
        cx.push(
            Op::new(Rule::SetNotNull, line, "AlterField dropping null=True")
                .table(t)
                .column(c),
        );
    }
}

/// A keyword argument inside a field expression (`models.CharField(max_length=3, null=True)`).
fn field_kw<'f>(field: &'f str, name: &str) -> Option<&'f str> {
    let open = field.find('(')?;
    let inner = Source::new(field, Lang::Python);
    let call = inner.call(open, Lang::Python)?;
    call.args
        .iter()
        .map(|r| &field[r.0..r.1])
        .filter_map(super::source::keyword)
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The latest earlier definition of `model.field` in the app's earlier migrations.
fn prior_field(prior: &[String], model: &str, field: &str) -> Option<String> {
    static CALLS: OnceLock<Regex> = OnceLock::new();
    let calls = re(&CALLS, r"\b(CreateModel|AddField|AlterField)\s*\(");
    for text in prior.iter().rev() {
        let src = Source::new(text, Lang::Python);
        let mut found = None;
        for m in calls.captures_iter(&src.text) {
            let Some(call) = src.call(m.get(1).unwrap().end(), Lang::Python) else {
                continue;
            };
            let args: Vec<&str> = call.args.iter().map(|r| src.slice(*r).trim()).collect();
            let pos = positional(&args);
            let arg = |k: &str, i: usize| {
                kwarg(&args, k)
                    .and_then(name_of)
                    .or_else(|| pos.get(i).and_then(|a| name_of(a)))
            };
            if &m[1] == "CreateModel" {
                if !arg("name", 0).is_some_and(|n| n.eq_ignore_ascii_case(model)) {
                    continue;
                }
                let fields = kwarg(&args, "fields")
                    .or_else(|| pos.get(1).copied())
                    .unwrap_or("");
                if let Some(def) = tuple_field(fields, field) {
                    found = Some(def);
                }
            } else if arg("model_name", 0).is_some_and(|n| n.eq_ignore_ascii_case(model))
                && arg("name", 1).as_deref() == Some(field)
            {
                found = kwarg(&args, "field")
                    .or_else(|| pos.get(2).copied())
                    .map(str::to_string);
            }
        }
        if found.is_some() {
            return found;
        }
    }
    None
}

/// In a `fields=[('name', models.X(...)), …]` list, the definition of `field`.
fn tuple_field(fields: &str, field: &str) -> Option<String> {
    let src = Source::new(fields, Lang::Python);
    let mut i = 0;
    while let Some(k) = src.code[i..].find('(') {
        let open = i + k;
        let call = src.call(open, Lang::Python)?;
        let args: Vec<&str> = call.args.iter().map(|r| fields[r.0..r.1].trim()).collect();
        if args.first().and_then(|a| name_of(a)).as_deref() == Some(field) {
            return args.get(1).map(|s| s.to_string());
        }
        i = src.matching(open)? + 1;
    }
    None
}

// ---------------------------------------------------------------- Alembic

/// Alembic: `op.*` calls in `upgrade()` (and `batch_alter_table` blocks); an empty or missing
/// `downgrade()` is irreversible.
pub fn alembic(cx: &mut Cx<'_, '_>) {
    static DEF: OnceLock<Regex> = OnceLock::new();
    static BATCH: OnceLock<Regex> = OnceLock::new();
    static OPS: OnceLock<Regex> = OnceLock::new();
    let src = cx.src;
    let mut has_down = false;
    for m in re(&DEF, r"(?m)^def (upgrade|downgrade)\s*\(").captures_iter(&src.text) {
        if &m[1] != "downgrade" {
            continue;
        }
        has_down = true;
        let at = m.get(0).unwrap().start();
        let end = src.block_end(at, Lang::Python);
        cx.down.push((at, end));
        let body_start = src.text[at..end].find(':').map_or(end, |k| at + k + 1);
        // Only `pass`, docstrings and comments: nothing is undone.
        let body = src.code[body_start..end]
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && *l != "pass")
            .filter(|l| !l.chars().all(|c| c == '"' || c == '\'' || c == ' '))
            .collect::<String>();
        if body.trim().is_empty() {
            cx.push(
                Op::new(Rule::Irreversible, src.line(at), "an empty downgrade()")
                    .detail("the migration cannot be rolled back"),
            );
        }
    }
    if !has_down {
        cx.push(
            Op::new(Rule::Irreversible, 1, "no downgrade()")
                .detail("the migration cannot be rolled back"),
        );
    }
    let mut batches: Vec<(usize, usize, String, String)> = Vec::new();
    for m in re(
        &BATCH,
        r#"with\s+op\.batch_alter_table\(\s*['"](\w+)['"][^)]*\)\s+as\s+(\w+)\s*:"#,
    )
    .captures_iter(&src.text)
    {
        let at = m.get(0).unwrap().start();
        batches.push((
            at,
            src.block_end(at, Lang::Python),
            m[1].to_string(),
            m[2].to_string(),
        ));
    }
    cx.seal_down();
    let ops = re(
        &OPS,
        r"\b(\w+)\.(drop_table|drop_column|rename_table|alter_column|add_column|create_index|create_foreign_key|create_check_constraint|create_table|execute)\s*\(",
    );
    for m in ops.captures_iter(&src.text) {
        let recv = &m[1];
        let name = m.get(2).unwrap();
        if cx.in_down(name.start()) {
            continue;
        }
        let batch = batches
            .iter()
            .find(|b| b.3 == recv && name.start() > b.0 && name.start() < b.1)
            .map(|b| b.2.clone());
        if recv != "op" && batch.is_none() {
            continue;
        }
        let Some(call) = src.call(name.end(), Lang::Python) else {
            continue;
        };
        alembic_op(cx, name.as_str(), name.start(), &call, batch);
    }
}

fn alembic_op(cx: &mut Cx<'_, '_>, name: &str, at: usize, call: &Call, batch: Option<String>) {
    let line = cx.line(at);
    let args = cx.args(call);
    let mut n = cx.names(call);
    // In a batch block the table is implied: the arguments shift by one.
    let table_pos = match name {
        "create_index" | "create_foreign_key" | "create_check_constraint" => 1,
        _ => 0,
    };
    if let Some(t) = &batch {
        n.insert(table_pos.min(n.len()), t.clone());
    }
    let t = get(&n, table_pos);
    let pg = cx.pg();
    match name {
        "create_table" => {
            cx.state.created.insert(t.to_lowercase());
        }
        "drop_table" if !cx.created(&t) => cx.push(
            Op::new(Rule::DropTable, line, "op.drop_table")
                .table(&t)
                .gone_word(&t),
        ),
        "drop_column" if !cx.created(&t) => {
            let c = get(&n, 1);
            cx.push(
                Op::new(Rule::DropColumn, line, "op.drop_column")
                    .table(&t)
                    .column(&c)
                    .gone_word(&c),
            );
        }
        "rename_table" => cx.push(
            Op::new(Rule::RenameTable, line, "op.rename_table")
                .table(&t)
                .detail(format!("to {}", get(&n, 1)))
                .gone_word(&t),
        ),
        "alter_column" if !cx.created(&t) => {
            let c = get(&n, 1);
            if let Some(new) = kwarg(&args, "new_column_name") {
                cx.push(
                    Op::new(
                        Rule::RenameColumn,
                        line,
                        "op.alter_column(new_column_name=…)",
                    )
                    .table(&t)
                    .column(&c)
                    .detail(format!("to {}", name_of(new).unwrap_or_default()))
                    .gone_word(&c),
                );
            }
            if let Some(ty) = kwarg(&args, "type_") {
                let ty = ty
                    .trim_start_matches("sa.")
                    .trim_start_matches("sqlalchemy.");
                let ty = ty.split('(').next().unwrap_or(ty).to_ascii_lowercase();
                let using = kwarg(&args, "postgresql_using").is_some();
                sql::type_change(&t, &c, &ty, using, line, pg, &mut cx.out);
            }
            if kwarg(&args, "nullable").is_some_and(is_false) {
                cx.push(
                    Op::new(Rule::SetNotNull, line, "op.alter_column(nullable=False)")
                        .table(&t)
                        .column(&c),
                );
            }
        }
        "add_column" if !cx.created(&t) => {
            let col = args.get(table_pos + 1).copied().unwrap_or("");
            let c = field_first_name(col);
            let nullable_false = field_kw(col, "nullable").is_some_and(is_false)
                || field_kw(col, "primary_key").is_some_and(is_true);
            let default = field_kw(col, "server_default");
            if nullable_false && default.is_none() {
                cx.push(
                    Op::new(
                        Rule::AddNotNullColumn,
                        line,
                        "op.add_column with nullable=False and no server_default",
                    )
                    .table(&t)
                    .column(&c),
                );
            }
            if pg && default.is_some_and(sql::volatile_text) {
                cx.push(
                    Op::new(
                        Rule::VolatileDefault,
                        line,
                        "op.add_column with a volatile server_default",
                    )
                    .table(&t)
                    .column(&c)
                    .detail(format!("server_default={}", default.unwrap_or(""))),
                );
            }
            if pg && col.contains("ForeignKey(") {
                cx.push(
                    Op::new(
                        Rule::AddForeignKey,
                        line,
                        "op.add_column with a ForeignKey (validated in place)",
                    )
                    .table(&t)
                    .column(&c),
                );
            }
        }
        "create_index"
            if pg
                && !cx.created(&t)
                && !kwarg(&args, "postgresql_concurrently").is_some_and(is_true) =>
        {
            cx.push(
                Op::new(
                    Rule::CreateIndex,
                    line,
                    "op.create_index without postgresql_concurrently=True",
                )
                .table(&t),
            );
        }
        "create_foreign_key" if pg && !cx.created(&t) => {
            cx.push(
                Op::new(
                    Rule::AddForeignKey,
                    line,
                    "op.create_foreign_key (validated in place; use op.execute with NOT VALID)",
                )
                .table(&t)
                .detail(format!("referencing {}", get(&n, 2))),
            );
        }
        "create_check_constraint" if pg && !cx.created(&t) => {
            cx.push(Op::new(Rule::AddCheckConstraint, line, "op.create_check_constraint (validated in place; use op.execute with NOT VALID)").table(&t));
        }
        "execute" => cx.embedded(call.span, "op.execute", at),
        _ => {}
    }
}

/// The first string literal of `sa.Column('name', …)`.
fn field_first_name(col: &str) -> String {
    let Some(open) = col.find('(') else {
        return String::new();
    };
    let src = Source::new(col, Lang::Python);
    src.call(open, Lang::Python)
        .and_then(|c| c.args.first().map(|r| col[r.0..r.1].trim().to_string()))
        .and_then(|a| name_of(&a))
        .unwrap_or_default()
}

// ---------------------------------------------------------------- Laravel and Knex

/// Laravel: `Schema::` calls and Blueprint statements in `up()`; the SQL of `DB::statement`,
/// `unprepared`, `affectingStatement`, `select`, `insert`, `update` and `delete`.
pub fn laravel(cx: &mut Cx<'_, '_>) {
    static DOWN: OnceLock<Regex> = OnceLock::new();
    static OPS: OnceLock<Regex> = OnceLock::new();
    let src = cx.src;
    for m in re(&DOWN, r"function\s+down\s*\(").find_iter(&src.text) {
        if let Some((_, end)) = src.brace_block(m.end()) {
            cx.down.push((m.start(), end));
        }
    }
    cx.seal_down();
    let ops = re(
        &OPS,
        r"\b(Schema|DB)::(drop|dropIfExists|rename|create|table|statement|unprepared|affectingStatement|select|insert|update|delete)\s*\(",
    );
    for m in ops.captures_iter(&src.text) {
        let name = m.get(2).unwrap();
        if cx.in_down(name.start()) {
            continue;
        }
        let Some(call) = src.call(name.end(), Lang::Php) else {
            continue;
        };
        let line = src.line(name.start());
        let n = cx.names(&call);
        let t = get(&n, 0);
        match (&m[1], name.as_str()) {
            ("Schema", "drop" | "dropIfExists") if !cx.created(&t) => cx.push(
                Op::new(Rule::DropTable, line, format!("Schema::{}", name.as_str()))
                    .table(&t)
                    .gone_word(&t),
            ),
            ("Schema", "rename") => cx.push(
                Op::new(Rule::RenameTable, line, "Schema::rename")
                    .table(&t)
                    .detail(format!("to {}", get(&n, 1)))
                    .gone_word(&t),
            ),
            ("Schema", "create") => {
                cx.state.created.insert(t.to_lowercase());
            }
            ("Schema", "table") if !cx.created(&t) => {
                let var = blueprint_var(src.slice(call.span), Lang::Php);
                chain_statements(cx, call.span, &format!("${var}->"), &t, Lang::Php);
            }
            // The calls that take SQL text; `DB::table(..)` is the query builder.
            (
                "DB",
                "statement" | "unprepared" | "affectingStatement" | "select" | "insert" | "update"
                | "delete",
            ) => cx.embedded(call.span, &format!("DB::{}", name.as_str()), name.start()),
            _ => {}
        }
    }
}

/// Knex: `knex.schema` calls and table-builder statements outside `down`; `knex.raw` SQL.
pub fn knex(cx: &mut Cx<'_, '_>) {
    static DOWN: OnceLock<Regex> = OnceLock::new();
    static OPS: OnceLock<Regex> = OnceLock::new();
    let src = cx.src;
    for m in re(
        &DOWN,
        r"(?:exports\.down\s*=|function\s+down\s*\(|\bdown\s*[:(]|\bdown\s*=)",
    )
    .find_iter(&src.text)
    {
        // A body in braces, or an arrow function's expression up to its `;`.
        let semi = src.code[m.end()..]
            .find(';')
            .map_or(src.raw.len(), |k| m.end() + k);
        let brace = src.code[m.end()..].find('{').map(|k| m.end() + k);
        match brace {
            Some(b) if b < semi => {
                if let Some((_, end)) = src.brace_block(m.end()) {
                    cx.down.push((m.start(), end));
                }
            }
            _ => cx.down.push((m.start(), semi)),
        }
    }
    cx.seal_down();
    let ops = re(
        &OPS,
        r"\.(dropTable|dropTableIfExists|renameTable|createTable|alterTable|table|raw)\s*\(",
    );
    for m in ops.captures_iter(&src.text) {
        let name = m.get(1).unwrap();
        if cx.in_down(name.start()) {
            continue;
        }
        let Some(call) = src.call(name.end(), Lang::Js) else {
            continue;
        };
        let line = src.line(name.start());
        let n = cx.names(&call);
        let t = get(&n, 0);
        match name.as_str() {
            "dropTable" | "dropTableIfExists" if !cx.created(&t) => cx.push(
                Op::new(Rule::DropTable, line, name.as_str())
                    .table(&t)
                    .gone_word(&t),
            ),
            "renameTable" => cx.push(
                Op::new(Rule::RenameTable, line, "renameTable")
                    .table(&t)
                    .detail(format!("to {}", get(&n, 1)))
                    .gone_word(&t),
            ),
            "createTable" => {
                cx.state.created.insert(t.to_lowercase());
            }
            "alterTable" | "table" if !t.is_empty() && !cx.created(&t) => {
                let var = blueprint_var(src.slice(call.span), Lang::Js);
                chain_statements(cx, call.span, &format!("{var}."), &t, Lang::Js);
            }
            "raw" => cx.embedded(call.span, "knex.raw", name.start()),
            _ => {}
        }
    }
}

/// The callback's parameter: `function (Blueprint $table)`, `(table) =>`, `function (t)`.
fn blueprint_var(args: &str, lang: Lang) -> String {
    static PHP: OnceLock<Regex> = OnceLock::new();
    static JS: OnceLock<Regex> = OnceLock::new();
    let r = match lang {
        Lang::Php => re(&PHP, r"(?:function|fn)\s*\(\s*(?:\w+\s+)?\$(\w+)"),
        _ => re(
            &JS,
            r"(?:function\s*\(\s*(\w+)|\(\s*(\w+)\s*\)\s*=>|\b(\w+)\s*=>)",
        ),
    };
    r.captures(args)
        .and_then(|c| {
            c.iter()
                .skip(1)
                .flatten()
                .next()
                .map(|m| m.as_str().to_string())
        })
        .unwrap_or_else(|| "table".into())
}

/// Statements on a table builder (`$table->string('x')->nullable();`, `t.dropColumn('x')`)
/// within `span`, each up to its `;` or the next statement on the builder.
fn chain_statements(
    cx: &mut Cx<'_, '_>,
    span: (usize, usize),
    prefix: &str,
    table: &str,
    lang: Lang,
) {
    let src = cx.src;
    let body = &src.text[span.0..span.1];
    let starts: Vec<usize> = body
        .match_indices(prefix)
        .map(|(i, _)| span.0 + i)
        .collect();
    for (k, &s) in starts.iter().enumerate() {
        let next = starts.get(k + 1).copied().unwrap_or(span.1);
        let semi = src.code[s..next].find(';').map_or(next, |j| s + j);
        let stmt = &src.text[s + prefix.len()..semi];
        let meth: String = stmt
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let Some(call) = src.call(s + prefix.len() + meth.len(), lang) else {
            continue;
        };
        let line = src.line(s);
        let names: Vec<String> = src
            .lits_in(call.span)
            .iter()
            .map(|l| src.raw[l.content.0..l.content.1].to_string())
            .collect();
        blueprint_op(cx, &meth, stmt, &names, table, line, lang);
    }
}

fn blueprint_op(
    cx: &mut Cx<'_, '_>,
    meth: &str,
    stmt: &str,
    names: &[String],
    t: &str,
    line: u64,
    lang: Lang,
) {
    let first = get(names, 0);
    let pg = cx.pg();
    let chained = |m: &str| {
        stmt.contains(&format!(
            "{}{m}(",
            if lang == Lang::Php { "->" } else { "." }
        ))
    };
    match meth {
        "dropColumn" | "dropColumns" => {
            for c in names {
                cx.push(
                    Op::new(Rule::DropColumn, line, meth)
                        .table(t)
                        .column(c)
                        .gone_word(c),
                );
            }
        }
        "renameColumn" => cx.push(
            Op::new(Rule::RenameColumn, line, meth)
                .table(t)
                .column(&first)
                .detail(format!("to {}", get(names, 1)))
                .gone_word(&first),
        ),
        "index" | "unique" if pg => cx.push(
            Op::new(
                Rule::CreateIndex,
                line,
                format!("{meth}() (built without CONCURRENTLY)"),
            )
            .table(t)
            .column(&first),
        ),
        "foreign" if pg => cx.push(
            Op::new(Rule::AddForeignKey, line, "foreign() (validated in place)")
                .table(t)
                .column(&first),
        ),
        m if is_column_type(m, lang) => {
            if chained("change") || chained("alter") {
                let ty = if m == "string" { "varchar" } else { m };
                sql::type_change(t, &first, ty, false, line, pg, &mut cx.out);
                return;
            }
            let nullable_default = lang == Lang::Php;
            let nullable = chained("nullable") || (!nullable_default && !chained("notNullable"));
            let default = chained("default") || chained("defaultTo") || chained("useCurrent");
            if !nullable && !default {
                cx.push(
                    Op::new(
                        Rule::AddNotNullColumn,
                        line,
                        format!("{meth}() without a default"),
                    )
                    .table(t)
                    .column(&first),
                );
            }
            if pg && default && sql::volatile_text(stmt) {
                cx.push(
                    Op::new(
                        Rule::VolatileDefault,
                        line,
                        format!("{meth}() with a volatile default"),
                    )
                    .table(t)
                    .column(&first),
                );
            }
            if pg && (chained("constrained") || chained("references")) {
                cx.push(
                    Op::new(
                        Rule::AddForeignKey,
                        line,
                        format!("{meth}() with a foreign key (validated in place)"),
                    )
                    .table(t)
                    .column(&first),
                );
            }
            if pg && (chained("index") || chained("unique")) {
                cx.push(
                    Op::new(
                        Rule::CreateIndex,
                        line,
                        format!("{meth}() with an index (built without CONCURRENTLY)"),
                    )
                    .table(t)
                    .column(&first),
                );
            }
        }
        _ => {}
    }
}

fn is_column_type(m: &str, lang: Lang) -> bool {
    let common = matches!(
        m,
        "string"
            | "text"
            | "integer"
            | "bigInteger"
            | "float"
            | "double"
            | "decimal"
            | "boolean"
            | "date"
            | "dateTime"
            | "time"
            | "timestamp"
            | "json"
            | "jsonb"
            | "uuid"
            | "binary"
            | "enum"
    );
    common
        || match lang {
            Lang::Php => matches!(
                m,
                "char"
                    | "mediumText"
                    | "longText"
                    | "tinyText"
                    | "tinyInteger"
                    | "smallInteger"
                    | "mediumInteger"
                    | "unsignedInteger"
                    | "unsignedBigInteger"
                    | "unsignedSmallInteger"
                    | "unsignedTinyInteger"
                    | "dateTimeTz"
                    | "timestampTz"
                    | "year"
                    | "ulid"
                    | "set"
                    | "ipAddress"
                    | "macAddress"
                    | "foreignId"
                    | "foreignUuid"
                    | "foreignUlid"
            ),
            _ => matches!(
                m,
                "bigint"
                    | "datetime"
                    | "specificType"
                    | "enu"
                    | "tinyint"
                    | "smallint"
                    | "mediumint"
            ),
        }
}
