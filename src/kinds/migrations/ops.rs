//! What a migration does, as the checks see it: operation classes, the rules within them, and
//! one recognised operation (`Op`) with where it is and what to do instead.

use serde::Deserialize;

/// The classes of finding a `migrations` check can report (its `report` parameter).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Data is deleted: DROP TABLE/COLUMN/SCHEMA/DATABASE, TRUNCATE.
    Destructive,
    /// The old version, still running during a rolling deploy, breaks: renames, type changes,
    /// NOT NULL without a default.
    Incompatible,
    /// Long locks on PostgreSQL: indexes without CONCURRENTLY, constraints validated in place,
    /// volatile defaults, rewriting type changes.
    Locking,
    /// Cannot be rolled back: no down migration, an empty downgrade, irreversible operations.
    Irreversible,
    /// A migration released in the last tag was changed or deleted.
    Edited,
    /// A Laravel migration released in the last tag was changed only to add plain indexes:
    /// databases that ran it keep running without them (slower, not wrong).
    EditedIndex,
    /// The code at the tip still names a column or table the release drops or renames.
    StillUsed,
    /// A statement the SQL parser could not read (so nothing could be said about it).
    Unparsed,
}

impl Class {
    pub const ALL: [Class; 8] = [
        Class::Destructive,
        Class::Incompatible,
        Class::Locking,
        Class::Irreversible,
        Class::Edited,
        Class::EditedIndex,
        Class::StillUsed,
        Class::Unparsed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Destructive => "destructive",
            Class::Incompatible => "incompatible",
            Class::Locking => "locking",
            Class::Irreversible => "irreversible",
            Class::Edited => "edited",
            Class::EditedIndex => "edited-index",
            Class::StillUsed => "still-used",
            Class::Unparsed => "unparsed",
        }
    }

    /// Whether the class is about released migrations that the range edits (it needs the last
    /// release tag, and the migration's history rather than its text).
    pub fn is_edit(self) -> bool {
        matches!(self, Class::Edited | Class::EditedIndex)
    }
}

/// One rule: what was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    DropTable,
    DropColumn,
    Truncate,
    DropSchema,
    DropDatabase,
    RenameColumn,
    RenameTable,
    ChangeColumnType,
    SetNotNull,
    AddNotNullColumn,
    CreateIndex,
    AddForeignKey,
    AddCheckConstraint,
    VolatileDefault,
    RewriteColumnType,
    Irreversible,
    Edited,
    EditedIndex,
    StillUsed,
    Unparsed,
}

impl Rule {
    pub fn id(self) -> &'static str {
        match self {
            Rule::DropTable => "drop-table",
            Rule::DropColumn => "drop-column",
            Rule::Truncate => "truncate",
            Rule::DropSchema => "drop-schema",
            Rule::DropDatabase => "drop-database",
            Rule::RenameColumn => "rename-column",
            Rule::RenameTable => "rename-table",
            Rule::ChangeColumnType => "change-column-type",
            Rule::SetNotNull => "set-not-null",
            Rule::AddNotNullColumn => "add-not-null-column",
            Rule::CreateIndex => "create-index",
            Rule::AddForeignKey => "add-foreign-key",
            Rule::AddCheckConstraint => "add-check-constraint",
            Rule::VolatileDefault => "volatile-default",
            Rule::RewriteColumnType => "rewrite-column-type",
            Rule::Irreversible => "irreversible",
            Rule::Edited => "edited",
            Rule::EditedIndex => "edited-index",
            Rule::StillUsed => "still-used",
            Rule::Unparsed => "unparsed",
        }
    }

    pub fn class(self) -> Class {
        match self {
            Rule::DropTable
            | Rule::DropColumn
            | Rule::Truncate
            | Rule::DropSchema
            | Rule::DropDatabase => Class::Destructive,
            Rule::RenameColumn
            | Rule::RenameTable
            | Rule::ChangeColumnType
            | Rule::SetNotNull
            | Rule::AddNotNullColumn => Class::Incompatible,
            Rule::CreateIndex
            | Rule::AddForeignKey
            | Rule::AddCheckConstraint
            | Rule::VolatileDefault
            | Rule::RewriteColumnType => Class::Locking,
            Rule::Irreversible => Class::Irreversible,
            Rule::Edited => Class::Edited,
            Rule::EditedIndex => Class::EditedIndex,
            Rule::StillUsed => Class::StillUsed,
            Rule::Unparsed => Class::Unparsed,
        }
    }

    /// The names squawk gives the same problem (`-- squawk-ignore <rule>` silences it).
    pub fn squawk(self) -> &'static [&'static str] {
        match self {
            Rule::DropTable => &["ban-drop-table"],
            Rule::DropColumn => &["ban-drop-column"],
            Rule::Truncate => &["ban-truncate-cascade"],
            Rule::DropSchema => &["ban-drop-schema"],
            Rule::DropDatabase => &["ban-drop-database"],
            Rule::RenameColumn => &["renaming-column"],
            Rule::RenameTable => &["renaming-table"],
            Rule::ChangeColumnType | Rule::RewriteColumnType => &["changing-column-type"],
            Rule::SetNotNull => &["adding-not-nullable-field"],
            Rule::AddNotNullColumn => &["adding-required-field"],
            Rule::CreateIndex => &["require-concurrent-index-creation"],
            Rule::AddForeignKey => &[
                "adding-foreign-key-constraint",
                "constraint-missing-not-valid",
            ],
            Rule::AddCheckConstraint => &["constraint-missing-not-valid"],
            Rule::VolatileDefault => &["adding-field-with-default"],
            _ => &[],
        }
    }

    /// What the operation does to a release, and what to write instead.
    pub fn advice(self) -> (&'static str, &'static str) {
        match self {
            Rule::DropTable => (
                "deletes the table and its data, while the old version still reads it",
                "ship code that no longer uses the table first, drop it in a later release (and keep a backup)",
            ),
            Rule::DropColumn => (
                "deletes the column and its data, while the old version still reads and writes it",
                "stop using the column in one release (Rails: `self.ignored_columns`), drop it in the next",
            ),
            Rule::Truncate => (
                "deletes every row of the table",
                "delete in batches from a one-off task you can stop, not in a migration",
            ),
            Rule::DropSchema | Rule::DropDatabase => (
                "deletes everything in it",
                "do this by hand, outside the deploy, after a backup",
            ),
            Rule::RenameColumn => (
                "breaks the old version, which still uses the old name while the deploy rolls out",
                "expand/contract: add the new column, write both, backfill, switch reads, drop the old one in a later release",
            ),
            Rule::RenameTable => (
                "breaks the old version, which still uses the old name while the deploy rolls out",
                "expand/contract: create the new table (or a view with the old name), move readers and writers, drop the old name later",
            ),
            Rule::ChangeColumnType => (
                "changes what the old version reads and writes",
                "add a column of the new type, write both, backfill, switch reads, drop the old column later",
            ),
            Rule::SetNotNull => (
                "makes the old version's inserts without the column fail (and scans the table under an exclusive lock)",
                "add a CHECK (col IS NOT NULL) NOT VALID constraint, VALIDATE it, then SET NOT NULL once every writer sets the column",
            ),
            Rule::AddNotNullColumn => (
                "makes the old version's inserts fail: they do not set the new column",
                "add the column with a default, or nullable, and make it NOT NULL in a later release",
            ),
            Rule::CreateIndex => (
                "blocks writes to the table while the index is built",
                "CREATE INDEX CONCURRENTLY (outside a transaction; Rails: `algorithm: :concurrently` with `disable_ddl_transaction!`)",
            ),
            Rule::AddForeignKey => (
                "locks both tables while every row is checked",
                "ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT in a separate migration (Rails: `validate: false`, then `validate_foreign_key`)",
            ),
            Rule::AddCheckConstraint => (
                "locks the table while every row is checked",
                "ADD CONSTRAINT … CHECK (…) NOT VALID, then VALIDATE CONSTRAINT in a separate migration",
            ),
            Rule::VolatileDefault => (
                "rewrites the whole table under an exclusive lock (a volatile default is computed per row)",
                "add the column without a default, set the default, backfill in batches",
            ),
            Rule::RewriteColumnType => (
                "rewrites the whole table under an exclusive lock",
                "add a column of the new type and backfill it in batches, or change to a type that needs no rewrite (varchar → text, a longer varchar)",
            ),
            Rule::Irreversible => (
                "cannot be rolled back",
                "write the down migration (or the reverse operation), so a bad release can be undone",
            ),
            Rule::Edited => (
                "rewrites history: databases that already ran the released version will not run it again",
                "leave released migrations as they are and add a new migration",
            ),
            Rule::EditedIndex => (
                "adds indexes that only databases created from now on get: those that already ran the released version keep running without them",
                "leave the released migration as it was and add the indexes in a new migration (`Schema::table(…, fn ($t) => $t->index(…))`)",
            ),
            Rule::StillUsed => (
                "is still named by the code at the tip of the release",
                "remove the uses in this release, and drop or rename in a later one",
            ),
            Rule::Unparsed => (
                "could not be parsed, so nothing can be said about what it does",
                "check it by hand, or set the check's `dialect` to your database's",
            ),
        }
    }
}

/// A name the migration removes or renames, which the code must no longer use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gone {
    /// `users.email` or `users`.
    pub label: String,
    /// The word searched for in the code.
    pub word: String,
    /// For a column, its table: a place counts only where the code names the table too.
    pub table: Option<String>,
}

/// One recognised operation in one migration file.
#[derive(Debug, Clone)]
pub struct Op {
    pub rule: Rule,
    /// 1-based, in the migration file.
    pub line: u64,
    pub table: Option<String>,
    pub column: Option<String>,
    /// How the operation is spelled (`ALTER TABLE users DROP COLUMN email`, `remove_column`).
    pub operation: String,
    /// The statement's start, for evidence.
    pub statement: String,
    /// More detail for the message (the type, the default, why it is irreversible).
    pub detail: Option<String>,
    /// Names the code must no longer use (drops and renames).
    pub gone: Vec<Gone>,
    /// The first line of the statement the operation is in (suppression comments above it count).
    pub statement_line: u64,
    /// A `DROP TABLE` of a name the same statements create again as a ClickHouse materialized
    /// view `TO` a table: not destructive when the name was such a view before (confirmed from
    /// the earlier migrations, `recreated_views`).
    pub recreated_view: bool,
}

impl Op {
    pub fn new(rule: Rule, line: u64, operation: impl Into<String>) -> Self {
        Op {
            rule,
            line,
            table: None,
            column: None,
            operation: operation.into(),
            statement: String::new(),
            detail: None,
            gone: Vec::new(),
            statement_line: line,
            recreated_view: false,
        }
    }

    pub fn table(mut self, t: impl Into<String>) -> Self {
        let t = t.into();
        if !t.is_empty() {
            self.table = Some(t);
        }
        self
    }

    pub fn column(mut self, c: impl Into<String>) -> Self {
        let c = c.into();
        if !c.is_empty() {
            self.column = Some(c);
        }
        self
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }

    /// The table or column the code must no longer name (the column's, else the table's).
    pub fn gone_word(mut self, word: &str) -> Self {
        let label = match (&self.table, &self.column) {
            (Some(t), Some(c)) => format!("{t}.{c}"),
            (Some(t), None) => t.clone(),
            (None, Some(c)) => c.clone(),
            (None, None) => word.to_string(),
        };
        let table = self
            .table
            .clone()
            .filter(|t| t.rsplit('.').next() != Some(word));
        self.gone.push(Gone {
            label,
            word: word.to_string(),
            table,
        });
        self
    }

    /// `users.email`, `users`, or nothing.
    pub fn target(&self) -> String {
        match (&self.table, &self.column) {
            (Some(t), Some(c)) => format!("{t}.{c}"),
            (Some(t), None) => t.clone(),
            (None, Some(c)) => c.clone(),
            (None, None) => String::new(),
        }
    }
}
