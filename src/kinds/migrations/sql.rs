//! SQL migrations, parsed with `sqlparser` in the project's dialect. The text is tokenized once
//! and split at top-level `;` (the tokenizer knows strings, comments and dollar quotes), and each
//! statement is parsed on its own, so one statement the parser does not know is reported by
//! itself and the others are still read. A statement that cannot be parsed is an `unparsed`
//! finding naming it; its keywords are still looked at, so an unparsable `DROP TABLE` is still a
//! destructive operation.

use std::collections::HashSet;

use serde::Deserialize;
use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnOption, Expr, ObjectName, ObjectType,
    RenameTableNameKind, Spanned, Statement, TableConstraint,
};
use sqlparser::dialect::{Dialect as SqlDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

use super::ops::{Op, Rule};
use crate::text::{excerpt, sanitize};

/// The database the SQL is written for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    #[default]
    Postgres,
    Mysql,
    Sqlite,
    Clickhouse,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
            Dialect::Sqlite => "sqlite",
            Dialect::Clickhouse => "clickhouse",
        }
    }

    fn parser(self) -> Box<dyn SqlDialect> {
        match self {
            Dialect::Postgres => Box::new(PostgreSqlDialect {}),
            Dialect::Mysql => Box::new(MySqlDialect {}),
            Dialect::Sqlite => Box::new(SQLiteDialect {}),
            Dialect::Clickhouse => Box::new(sqlparser::dialect::ClickHouseDialect {}),
        }
    }

    /// The dialect of one migration file: ClickHouse migrations (a `clickhouse` folder, as
    /// projects keep them beside their main database's) are read as ClickHouse, the rest in the
    /// project's dialect.
    pub fn for_path(self, path: &str) -> Dialect {
        if path
            .split('/')
            .any(|seg| seg.eq_ignore_ascii_case("clickhouse"))
        {
            Dialect::Clickhouse
        } else {
            self
        }
    }
}

/// Functions whose value differs per row: as a column default they make PostgreSQL rewrite the
/// table (a constant or `now()` is stored once, since PostgreSQL 11).
const VOLATILE: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "gen_random_bytes",
];

/// What the statements of one file have established so far: tables it creates (operations on
/// them lock nothing anyone uses), and columns the release's migrations add (`table.column`,
/// lower case; Rails' `add_column`/`add_reference`): no released version has them, so dropping,
/// renaming or retyping them again within the release breaks nothing that runs.
#[derive(Default)]
pub struct FileState {
    pub created: HashSet<String>,
    pub added_columns: HashSet<String>,
}

/// Reads SQL that starts at line `base` of its file; the operations found go to `out`.
pub fn analyze(sql: &str, base: u64, dialect: Dialect, state: &mut FileState, out: &mut Vec<Op>) {
    let d = dialect.parser();
    let at = |line: u64| base + line.max(1) - 1;
    let tokens = match Tokenizer::new(d.as_ref(), sql).tokenize_with_location() {
        Ok(t) => t,
        Err(e) => {
            let line = at(e.location.line);
            let mut op = Op::new(Rule::Unparsed, line, "SQL").detail(e.message.clone());
            op.statement = statement_text(
                sql.lines()
                    .nth((e.location.line.max(1) - 1) as usize)
                    .unwrap_or(""),
            );
            out.push(op);
            return;
        }
    };
    let from = out.len();
    let mut views_to = HashSet::new();
    for chunk in tokens.split(|t| t.token == Token::SemiColon) {
        if let Some(v) = view_to(chunk) {
            views_to.insert(v);
        }
        let Some(first) = chunk
            .iter()
            .find(|t| !matches!(t.token, Token::Whitespace(_)))
        else {
            continue;
        };
        let line = first.span.start.line;
        let text = statement_text(
            &chunk
                .iter()
                .map(|t| t.token.to_string())
                .collect::<String>(),
        );
        let mut parser = Parser::new(d.as_ref()).with_tokens_with_locations(chunk.to_vec());
        let parsed = parser
            .parse_statement()
            .and_then(|s| match parser.peek_token().token {
                Token::EOF => Ok(s),
                t => Err(sqlparser::parser::ParserError::ParserError(format!(
                    "unexpected `{t}` after the statement"
                ))),
            });
        // Lines are the SQL text's until here.
        let mut found = Vec::new();
        match parsed {
            Ok(stmt) => statement(&stmt, line, dialect, state, &mut found),
            Err(e) => {
                let msg = e.to_string();
                let msg = msg.trim_start_matches("sql parser error: ").to_string();
                found.push(Op::new(Rule::Unparsed, line, "statement").detail(msg));
                keywords(chunk, line, &mut found);
            }
        }
        for mut op in found {
            op.line = at(if op.line < line { line } else { op.line });
            op.statement_line = at(line);
            op.statement = text.clone();
            out.push(op);
        }
    }
    // `DROP TABLE v` of a name these statements create again as a ClickHouse materialized view
    // `TO <table>`: such a view holds no rows (they go to the target table), so dropping and
    // recreating it loses nothing, if `v` was such a view before (the caller confirms that from
    // the earlier migrations). A view without `TO` owns an inner table with the data, and a
    // table recreated as a table is emptied: neither is marked.
    for op in &mut out[from..] {
        op.recreated_view = op.rule == Rule::DropTable
            && op
                .table
                .as_ref()
                .is_some_and(|t| views_to.contains(&t.to_lowercase()));
    }
}

/// What SQL creates, in order: each `CREATE TABLE` / `CREATE [MATERIALIZED] VIEW` name (the last
/// part, lower case) and whether it is a materialized view `TO` a table.
pub fn creations(sql: &str, dialect: Dialect) -> Vec<(String, bool)> {
    let d = dialect.parser();
    let Ok(tokens) = Tokenizer::new(d.as_ref(), sql).tokenize_with_location() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for chunk in tokens.split(|t| t.token == Token::SemiColon) {
        if let Some(v) = view_to(chunk) {
            out.push((v, true));
        } else if let Some(n) = created_name(chunk) {
            out.push((n, false));
        }
    }
    out
}

/// The name a `CREATE [OR REPLACE] [TEMPORARY] TABLE|[MATERIALIZED] VIEW [IF NOT EXISTS] name`
/// creates (last part, lower case).
fn created_name(chunk: &[TokenWithSpan]) -> Option<String> {
    let t = significant(chunk);
    let mut i = 0;
    if !eat(&t, &mut i, Keyword::CREATE) {
        return None;
    }
    while eat(&t, &mut i, Keyword::OR)
        || eat(&t, &mut i, Keyword::REPLACE)
        || eat(&t, &mut i, Keyword::TEMPORARY)
    {}
    eat(&t, &mut i, Keyword::MATERIALIZED);
    if !eat(&t, &mut i, Keyword::TABLE) && !eat(&t, &mut i, Keyword::VIEW) {
        return None;
    }
    if eat(&t, &mut i, Keyword::IF) {
        i += 2;
    }
    dotted_name(&t, &mut i)
}

/// The name of the materialized view a `CREATE MATERIALIZED VIEW name [ON CLUSTER c] TO target`
/// statement creates (the last part of a dotted name, lower case); `None` for anything else,
/// including a materialized view without `TO`.
fn view_to(chunk: &[TokenWithSpan]) -> Option<String> {
    let t = significant(chunk);
    let mut i = 0;
    let kw = |i: &mut usize, k: Keyword| eat(&t, i, k);
    if !kw(&mut i, Keyword::CREATE) || (kw(&mut i, Keyword::OR) && !kw(&mut i, Keyword::REPLACE)) {
        return None;
    }
    if !kw(&mut i, Keyword::MATERIALIZED) || !kw(&mut i, Keyword::VIEW) {
        return None;
    }
    if kw(&mut i, Keyword::IF) && !(kw(&mut i, Keyword::NOT) && kw(&mut i, Keyword::EXISTS)) {
        return None;
    }
    let name = dotted_name(&t, &mut i);
    if kw(&mut i, Keyword::ON) {
        if !kw(&mut i, Keyword::CLUSTER) {
            return None;
        }
        i += 1;
    }
    let to = matches!(t.get(i), Some(Token::Word(w)) if w.keyword == Keyword::TO);
    name.filter(|_| to)
}

/// A statement's tokens without the white space.
fn significant(chunk: &[TokenWithSpan]) -> Vec<&Token> {
    chunk
        .iter()
        .map(|t| &t.token)
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect()
}

/// Whether token `i` is the keyword `k`; if so, steps past it.
fn eat(t: &[&Token], i: &mut usize, k: Keyword) -> bool {
    let yes = matches!(t.get(*i), Some(Token::Word(w)) if w.keyword == k);
    *i += usize::from(yes);
    yes
}

/// The dotted name at token `i` (`db.schema.table`): its last part, lower case; steps past it.
fn dotted_name(t: &[&Token], i: &mut usize) -> Option<String> {
    let mut name = None;
    while let Some(Token::Word(w)) = t.get(*i) {
        name = Some(w.value.to_lowercase());
        *i += 1;
        if t.get(*i) != Some(&&Token::Period) {
            break;
        }
        *i += 1;
    }
    name
}

/// The statement's start as evidence: comments dropped, whitespace collapsed.
fn statement_text(s: &str) -> String {
    let no_comments: String = s
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    let collapsed = no_comments.split_whitespace().collect::<Vec<_>>().join(" ");
    sanitize(&excerpt(&collapsed, 120))
}

fn name(n: &ObjectName) -> String {
    n.0.last()
        .map(|p| {
            p.to_string()
                .trim_matches('"')
                .trim_matches('`')
                .to_string()
        })
        .unwrap_or_default()
}

fn ident(i: &sqlparser::ast::Ident) -> String {
    i.value.clone()
}

fn statement(s: &Statement, line: u64, dialect: Dialect, state: &mut FileState, out: &mut Vec<Op>) {
    let pg = dialect == Dialect::Postgres;
    match s {
        Statement::CreateTable(ct) => {
            state.created.insert(name(&ct.name).to_lowercase());
        }
        Statement::Drop {
            object_type, names, ..
        } => {
            let rule = match object_type {
                ObjectType::Table => Rule::DropTable,
                ObjectType::Schema => Rule::DropSchema,
                ObjectType::Database => Rule::DropDatabase,
                _ => return,
            };
            for n in names {
                let t = name(n);
                if rule == Rule::DropTable && state.created.contains(&t.to_lowercase()) {
                    continue;
                }
                let op = Op::new(rule, line, format!("DROP {object_type}")).table(&t);
                out.push(if rule == Rule::DropTable {
                    op.gone_word(&t)
                } else {
                    op
                });
            }
        }
        Statement::Truncate(t) => {
            for target in &t.table_names {
                out.push(Op::new(Rule::Truncate, line, "TRUNCATE").table(name(&target.name)));
            }
        }
        Statement::RenameTable(renames) => {
            for r in renames {
                let old = name(&r.old_name);
                out.push(
                    Op::new(Rule::RenameTable, line, "RENAME TABLE")
                        .table(&old)
                        .detail(format!("to {}", name(&r.new_name)))
                        .gone_word(&old),
                );
            }
        }
        Statement::CreateIndex(ci) => {
            let table = name(&ci.table_name);
            if pg && !ci.concurrently && !state.created.contains(&table.to_lowercase()) {
                let what = if ci.unique {
                    "CREATE UNIQUE INDEX"
                } else {
                    "CREATE INDEX"
                };
                let cols: Vec<String> = ci.columns.iter().map(|c| c.to_string()).collect();
                out.push(
                    Op::new(
                        Rule::CreateIndex,
                        line,
                        format!("{what} without CONCURRENTLY"),
                    )
                    .table(table)
                    .column(cols.join(", ")),
                );
            }
        }
        Statement::AlterTable(at) => {
            let table = name(&at.name);
            if state.created.contains(&table.to_lowercase()) {
                return;
            }
            for op in &at.operations {
                let l = op.span().start.line;
                alter(op, &table, if l > 0 { l } else { line }, pg, out);
            }
        }
        _ => {}
    }
}

fn alter(op: &AlterTableOperation, table: &str, line: u64, pg: bool, out: &mut Vec<Op>) {
    let t = table.to_string();
    match op {
        AlterTableOperation::DropColumn { column_names, .. } => {
            for c in column_names {
                let c = ident(c);
                out.push(
                    Op::new(Rule::DropColumn, line, "DROP COLUMN")
                        .table(&t)
                        .column(&c)
                        .gone_word(&c),
                );
            }
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            let c = ident(old_column_name);
            out.push(
                Op::new(Rule::RenameColumn, line, "RENAME COLUMN")
                    .table(&t)
                    .column(&c)
                    .detail(format!("to {}", ident(new_column_name)))
                    .gone_word(&c),
            );
        }
        AlterTableOperation::RenameTable { table_name } => {
            let new = match table_name {
                RenameTableNameKind::As(n) | RenameTableNameKind::To(n) => name(n),
            };
            out.push(
                Op::new(Rule::RenameTable, line, "RENAME TO")
                    .table(&t)
                    .detail(format!("to {new}"))
                    .gone_word(&t),
            );
        }
        AlterTableOperation::AlterColumn { column_name, op } => {
            let c = ident(column_name);
            match op {
                AlterColumnOperation::SetNotNull => {
                    out.push(
                        Op::new(Rule::SetNotNull, line, "SET NOT NULL")
                            .table(&t)
                            .column(&c),
                    );
                }
                AlterColumnOperation::SetDataType {
                    data_type, using, ..
                } => {
                    type_change(
                        &t,
                        &c,
                        &data_type.to_string(),
                        using.is_some(),
                        line,
                        pg,
                        out,
                    );
                }
                _ => {}
            }
        }
        AlterTableOperation::ChangeColumn {
            old_name,
            new_name,
            data_type,
            ..
        } => {
            let (old, new) = (ident(old_name), ident(new_name));
            if old != new {
                out.push(
                    Op::new(Rule::RenameColumn, line, "CHANGE COLUMN")
                        .table(&t)
                        .column(&old)
                        .detail(format!("to {new}"))
                        .gone_word(&old),
                );
            } else {
                type_change(&t, &old, &data_type.to_string(), false, line, pg, out);
            }
        }
        AlterTableOperation::ModifyColumn {
            col_name,
            data_type,
            ..
        } => {
            type_change(
                &t,
                &ident(col_name),
                &data_type.to_string(),
                false,
                line,
                pg,
                out,
            );
        }
        AlterTableOperation::AddColumn { column_def, .. } => {
            add_column(&t, column_def, line, pg, out);
        }
        AlterTableOperation::AddConstraint {
            constraint,
            not_valid,
        } if pg && !*not_valid => match constraint {
            TableConstraint::ForeignKey(fk) => {
                let cols: Vec<String> = fk.columns.iter().map(ident).collect();
                out.push(
                    Op::new(
                        Rule::AddForeignKey,
                        line,
                        "ADD FOREIGN KEY without NOT VALID",
                    )
                    .table(&t)
                    .column(cols.join(", "))
                    .detail(format!("referencing {}", name(&fk.foreign_table))),
                );
            }
            TableConstraint::Check(_) => {
                out.push(
                    Op::new(
                        Rule::AddCheckConstraint,
                        line,
                        "ADD CHECK without NOT VALID",
                    )
                    .table(&t),
                );
            }
            _ => {}
        },
        _ => {}
    }
}

/// A column type change: incompatible everywhere, and on PostgreSQL a rewrite unless the new
/// type needs none (text, varchar).
pub fn type_change(
    t: &str,
    c: &str,
    ty: &str,
    using: bool,
    line: u64,
    pg: bool,
    out: &mut Vec<Op>,
) {
    out.push(
        Op::new(Rule::ChangeColumnType, line, "column type change")
            .table(t)
            .column(c)
            .detail(format!("to {ty}")),
    );
    if pg && (using || !no_rewrite(ty)) {
        out.push(
            Op::new(Rule::RewriteColumnType, line, "column type change")
                .table(t)
                .column(c)
                .detail(format!("to {ty}{}", if using { " USING …" } else { "" })),
        );
    }
}

/// Types a column can be changed to without a rewrite, assuming it grows (varchar(n) → text, a
/// longer varchar).
pub fn no_rewrite(ty: &str) -> bool {
    let t = ty.trim().to_ascii_lowercase();
    let t = t.trim_start_matches(':');
    t == "text"
        || t == "string"
        || t.starts_with("varchar")
        || t.starts_with("character varying")
        || t == "citext"
}

fn add_column(t: &str, def: &sqlparser::ast::ColumnDef, line: u64, pg: bool, out: &mut Vec<Op>) {
    let c = ident(&def.name);
    let mut not_null = false;
    let mut default = None;
    let mut generated = false;
    let mut references = None;
    for o in &def.options {
        match &o.option {
            ColumnOption::NotNull => not_null = true,
            ColumnOption::Default(e) => default = Some(e),
            ColumnOption::Generated { .. } | ColumnOption::Identity(_) => generated = true,
            ColumnOption::ForeignKey(fk) if pg => references = Some(name(&fk.foreign_table)),
            _ => {}
        }
    }
    // A new column with no default is all NULL: PostgreSQL skips validating a foreign key added
    // with it (`ADD COLUMN x int REFERENCES t`); with a default, every row is checked.
    if let (Some(other), Some(_)) = (references, default) {
        out.push(
            Op::new(Rule::AddForeignKey, line, "ADD COLUMN … REFERENCES")
                .table(t)
                .column(&c)
                .detail(format!("referencing {other} with a default")),
        );
    }
    let ty = def.data_type.to_string().to_ascii_lowercase();
    let serial = ty.ends_with("serial");
    if not_null && default.is_none() && !generated && !serial {
        out.push(
            Op::new(
                Rule::AddNotNullColumn,
                line,
                "ADD COLUMN … NOT NULL without a default",
            )
            .table(t)
            .column(&c),
        );
    }
    if !pg {
        return;
    }
    let why = match default {
        Some(e) if volatile(e) => Some(format!("DEFAULT {e}")),
        _ if serial => Some(format!("type {ty} (a sequence default)")),
        _ if generated
            && def.options.iter().any(|o| {
                matches!(
                    &o.option,
                    ColumnOption::Generated {
                        generation_expr: Some(_),
                        ..
                    }
                )
            }) =>
        {
            Some("a stored generated column".to_string())
        }
        _ => None,
    };
    if let Some(why) = why {
        out.push(
            Op::new(
                Rule::VolatileDefault,
                line,
                "ADD COLUMN with a volatile default",
            )
            .table(t)
            .column(&c)
            .detail(why),
        );
    }
}

/// Whether a default expression calls a volatile function.
pub fn volatile(e: &Expr) -> bool {
    match e {
        Expr::Function(f) => {
            let n = f.name.to_string().to_ascii_lowercase();
            let n = n.rsplit('.').next().unwrap_or(&n).trim_matches('"');
            VOLATILE.contains(&n)
        }
        Expr::UnaryOp { expr, .. } | Expr::Nested(expr) | Expr::Cast { expr, .. } => volatile(expr),
        Expr::BinaryOp { left, right, .. } => volatile(left) || volatile(right),
        _ => false,
    }
}

/// Whether a default given as text (Rails `default: -> { "gen_random_uuid()" }`) is volatile.
pub fn volatile_text(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    VOLATILE.iter().any(|f| {
        l.match_indices(f).any(|(i, _)| {
            let before = l[..i].chars().last();
            let after = l[i + f.len()..].trim_start().chars().next();
            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') && after == Some('(')
        })
    })
}

/// What an unparsable statement's keywords say it does: DROP TABLE/SCHEMA/DATABASE, TRUNCATE,
/// ALTER TABLE … DROP/RENAME.
fn keywords(chunk: &[TokenWithSpan], line: u64, out: &mut Vec<Op>) {
    let words: Vec<(Keyword, String, u64)> = chunk
        .iter()
        .filter(|t| {
            !matches!(
                t.token,
                Token::Whitespace(Whitespace::Space | Whitespace::Newline | Whitespace::Tab)
                    | Token::Whitespace(_)
            )
        })
        .map(|t| match &t.token {
            Token::Word(w) => (w.keyword, w.value.clone(), t.span.start.line),
            other => (Keyword::NoKeyword, other.to_string(), t.span.start.line),
        })
        .collect();
    let kw = |i: usize| words.get(i).map(|w| w.0);
    let after = |mut i: usize| -> String {
        while matches!(
            kw(i),
            Some(Keyword::IF | Keyword::EXISTS | Keyword::ONLY | Keyword::COLUMN | Keyword::TABLE)
        ) {
            i += 1;
        }
        words
            .get(i)
            .map(|w| w.1.trim_matches('"').to_string())
            .unwrap_or_default()
    };
    let note = "recognised by its keywords: the statement could not be parsed";
    let alter_table = kw(0) == Some(Keyword::ALTER) && kw(1) == Some(Keyword::TABLE);
    let table = if alter_table { after(2) } else { String::new() };
    for (i, w) in words.iter().enumerate() {
        let l = if w.2 > 0 { w.2 } else { line };
        let push = |out: &mut Vec<Op>, op: Op| out.push(op.detail(note));
        match w.0 {
            Keyword::DROP if !alter_table => {
                let rule = match kw(i + 1) {
                    Some(Keyword::TABLE) => Rule::DropTable,
                    Some(Keyword::SCHEMA) => Rule::DropSchema,
                    Some(Keyword::DATABASE) => Rule::DropDatabase,
                    _ => continue,
                };
                let t = after(i + 2);
                push(
                    out,
                    Op::new(rule, l, format!("DROP {}", words[i + 1].1.to_uppercase()))
                        .table(&t)
                        .gone_word(&t),
                );
            }
            Keyword::DROP
                if alter_table
                    && !matches!(
                        kw(i + 1),
                        Some(
                            Keyword::CONSTRAINT | Keyword::INDEX | Keyword::DEFAULT | Keyword::NOT
                        )
                    ) =>
            {
                let c = after(i + 1);
                push(
                    out,
                    Op::new(Rule::DropColumn, l, "DROP COLUMN")
                        .table(&table)
                        .column(&c)
                        .gone_word(&c),
                );
            }
            Keyword::TRUNCATE if i == 0 => {
                push(out, Op::new(Rule::Truncate, l, "TRUNCATE").table(after(1)));
            }
            Keyword::RENAME if alter_table => {
                if kw(i + 1) == Some(Keyword::TO) {
                    push(
                        out,
                        Op::new(Rule::RenameTable, l, "RENAME TO")
                            .table(&table)
                            .gone_word(&table),
                    );
                } else if kw(i + 1) != Some(Keyword::CONSTRAINT) {
                    let c = after(i + 1);
                    push(
                        out,
                        Op::new(Rule::RenameColumn, l, "RENAME COLUMN")
                            .table(&table)
                            .column(&c)
                            .gone_word(&c),
                    );
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The operations of `sql`, one file read in `dialect`.
    fn analyzed(sql: &str, dialect: Dialect) -> Vec<Op> {
        let mut out = Vec::new();
        analyze(sql, 1, dialect, &mut FileState::default(), &mut out);
        out
    }

    fn ops(sql: &str) -> Vec<(&'static str, u64, String)> {
        analyzed(sql, Dialect::Postgres)
            .iter()
            .map(|o| (o.rule.id(), o.line, o.target()))
            .collect()
    }

    #[test]
    fn unsafe_and_safe_spellings() {
        assert_eq!(
            ops("ALTER TABLE users DROP COLUMN email;"),
            [("drop-column", 1, "users.email".into())]
        );
        assert_eq!(
            ops("-- x\n\nCREATE INDEX i ON users (email);"),
            [("create-index", 3, "users.email".into())]
        );
        assert!(ops("CREATE INDEX CONCURRENTLY i ON users (email);").is_empty());
        assert_eq!(
            ops("ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b_id) REFERENCES b (id);")[0].0,
            "add-foreign-key"
        );
        assert!(ops(
            "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b_id) REFERENCES b (id) NOT VALID;"
        )
        .is_empty());
        assert!(ops("ALTER TABLE a VALIDATE CONSTRAINT f;").is_empty());
        // A new nullable column's foreign key is not validated; one with a default is.
        assert!(ops("ALTER TABLE a ADD COLUMN b_id int REFERENCES b (id);").is_empty());
        assert_eq!(
            ops("ALTER TABLE a ADD COLUMN b_id int DEFAULT 1 REFERENCES b (id);")[0].0,
            "add-foreign-key"
        );
        assert_eq!(
            ops("ALTER TABLE a ADD COLUMN u uuid DEFAULT gen_random_uuid();")[0].0,
            "volatile-default"
        );
        assert!(ops("ALTER TABLE a ADD COLUMN t timestamptz DEFAULT now();").is_empty());
        assert_eq!(
            ops("ALTER TABLE a ADD COLUMN n int NOT NULL;")[0].0,
            "add-not-null-column"
        );
        assert!(ops("ALTER TABLE a ADD COLUMN n int NOT NULL DEFAULT 0;").is_empty());
        assert_eq!(
            ops("ALTER TABLE a ALTER COLUMN n SET NOT NULL;")[0].0,
            "set-not-null"
        );
        let t = ops("ALTER TABLE a ALTER COLUMN n TYPE bigint;");
        assert_eq!(
            t.iter().map(|o| o.0).collect::<Vec<_>>(),
            ["change-column-type", "rewrite-column-type"]
        );
        assert_eq!(ops("ALTER TABLE a ALTER COLUMN n TYPE text;").len(), 1);
        assert_eq!(
            ops("ALTER TABLE a RENAME COLUMN n TO m;")[0].0,
            "rename-column"
        );
        assert_eq!(ops("ALTER TABLE a RENAME TO b;")[0].0, "rename-table");
        assert_eq!(ops("DROP TABLE IF EXISTS a, b;").len(), 2);
        assert_eq!(ops("TRUNCATE a;")[0].0, "truncate");
        assert_eq!(ops("DROP SCHEMA s CASCADE;")[0].0, "drop-schema");
        // A table created in the same file is new: indexing or dropping it is not a problem.
        assert!(ops("CREATE TABLE n (id int); CREATE INDEX i ON n (id); ALTER TABLE n ADD COLUMN x int NOT NULL;").is_empty());
    }

    #[test]
    fn unparsable_statements_are_named_and_read_by_keyword() {
        let o = ops("SELECT 1;\nALTER TABLE users DROP COLUMN email FROBNICATE;\nSELECT 2;");
        assert_eq!(o[0].0, "unparsed");
        assert_eq!(o[0].1, 2);
        assert_eq!(o[1], ("drop-column", 2, "users.email".into()));
        assert_eq!(o.len(), 2);
        let o = ops("SELECT 'unterminated");
        assert_eq!(o[0].0, "unparsed");
    }

    /// ClickHouse migrations beside a PostgreSQL project's are read as ClickHouse: its types
    /// parse there, and not in PostgreSQL.
    #[test]
    fn clickhouse_folders_are_read_as_clickhouse() {
        let sql = "ALTER TABLE umami.website_event ADD COLUMN lcp Nullable(Decimal(10, 1));";
        let d = Dialect::Postgres.for_path("db/clickhouse/migrations/09_add_performance.sql");
        assert_eq!(d, Dialect::Clickhouse);
        let read = |d: Dialect| {
            let mut out = Vec::new();
            analyze(sql, 1, d, &mut FileState::default(), &mut out);
            out.iter().map(|o| o.rule.id()).collect::<Vec<_>>()
        };
        assert!(read(d).is_empty(), "{:?}", read(d));
        assert_eq!(read(Dialect::Postgres), ["unparsed"]);
        assert_eq!(
            Dialect::Postgres.for_path("prisma/migrations/1/migration.sql"),
            Dialect::Postgres
        );
    }

    /// A ClickHouse materialized view `TO` a table holds no rows: dropping it and creating it
    /// again loses nothing. A view without `TO` owns its data, and a table dropped and created
    /// again as a table is emptied.
    #[test]
    fn a_clickhouse_view_to_a_table_dropped_and_recreated_is_not_a_drop() {
        // The drops that stay destructive whatever the earlier migrations say (the marked ones
        // are confirmed by the caller, `recreated_views`).
        let read = |sql: &str| {
            // (sqlparser reads neither ON CLUSTER nor ENGINE in a view: those statements are
            // also reported unparsed, which is not what this is about.)
            analyzed(sql, Dialect::Clickhouse)
                .iter()
                .filter(|o| o.rule != Rule::Unparsed && !o.recreated_view)
                .map(|o| (o.rule.id(), o.line, o.target()))
                .collect::<Vec<_>>()
        };
        let view = "DROP TABLE umami.stats_hourly_mv;\n\nCREATE MATERIALIZED VIEW umami.stats_hourly_mv\nTO umami.stats_hourly\nAS SELECT website_id, count() AS views FROM umami.website_event GROUP BY website_id;";
        assert!(read(view).is_empty(), "{:?}", read(view));
        let on_cluster = "DROP TABLE IF EXISTS mv;\nCREATE MATERIALIZED VIEW IF NOT EXISTS db.mv ON CLUSTER c TO db.t AS SELECT a FROM db.e;";
        assert!(read(on_cluster).is_empty(), "{:?}", read(on_cluster));
        // Without TO the view owns an inner table with the data.
        let inner = "DROP TABLE umami.stats_hourly_mv;\nCREATE MATERIALIZED VIEW umami.stats_hourly_mv\nENGINE = SummingMergeTree ORDER BY website_id\nAS SELECT website_id, count() AS views FROM umami.website_event GROUP BY website_id;";
        assert_eq!(read(inner), [("drop-table", 1, "stats_hourly_mv".into())]);
        // A table recreated as a table starts empty.
        let table = "DROP TABLE umami.stats;\nCREATE TABLE umami.stats (id UUID) ENGINE = MergeTree ORDER BY id;";
        assert_eq!(read(table), [("drop-table", 1, "stats".into())]);
        // A view TO a table under another name does not make this drop safe.
        let other = "DROP TABLE umami.stats;\nCREATE MATERIALIZED VIEW umami.stats_mv TO umami.stats2 AS SELECT 1;";
        assert_eq!(read(other), [("drop-table", 1, "stats".into())]);
    }

    #[test]
    fn creations_in_order() {
        let sql = "CREATE TABLE db.events (id UUID) ENGINE = MergeTree ORDER BY id;\nCREATE MATERIALIZED VIEW IF NOT EXISTS db.events_mv TO db.stats AS SELECT id FROM db.events;\nCREATE MATERIALIZED VIEW db.inner_mv ENGINE = MergeTree ORDER BY id AS SELECT id FROM db.events;\nCREATE VIEW v AS SELECT 1;";
        assert_eq!(
            creations(sql, Dialect::Clickhouse),
            [
                ("events".to_string(), false),
                ("events_mv".to_string(), true),
                ("inner_mv".to_string(), false),
                ("v".to_string(), false)
            ]
        );
    }

    #[test]
    fn lines_count_from_the_base() {
        let mut out = Vec::new();
        analyze(
            "\n  DROP TABLE a;",
            10,
            Dialect::Postgres,
            &mut FileState::default(),
            &mut out,
        );
        assert_eq!(out[0].line, 11);
        assert!(volatile_text("-> { \"gen_random_uuid()\" }"));
        assert!(!volatile_text("'random_thing'"));
    }
}
