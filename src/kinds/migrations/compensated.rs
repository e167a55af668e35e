//! A released Laravel create-migration edited to add columns, where the same release also adds
//! each column to existing databases with a new migration guarded by `Schema::hasColumn`: fresh
//! databases get the column from the edited create, existing ones from the new migration (the
//! guard lets the new one run on both), so every database converges. Such an edit is not reported.
//! Anything else the edit changes, a column the new migrations do not add, or a new migration
//! without the guard (it fails on a fresh database) leaves the edit reported.

use super::source::{Lang, Source};

/// One line of PHP as compared: comments blanked, white space removed, `"` read as `'`, empty
/// argument lists dropped (as `same_code` compares whole files).
fn norm(line: &str) -> String {
    let out: String = line
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == '"' { '\'' } else { c })
        .collect();
    out.replace("()", "")
}

/// The `$table->type('name'…)` column a normalised line defines, when it defines one (not an
/// index, key, drop or rename).
fn column_of(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("$table->")?;
    let (method, args) = rest.split_once("('")?;
    let not_column = [
        "index",
        "unique",
        "primary",
        "foreign",
        "fulltext",
        "spatialindex",
    ];
    let m = method.to_ascii_lowercase();
    if !method.chars().all(|c| c.is_ascii_alphanumeric())
        || not_column.contains(&m.as_str())
        || m.starts_with("drop")
        || m.starts_with("rename")
    {
        return None;
    }
    let (name, _) = args.split_once('\'')?;
    (!name.is_empty()).then_some(name)
}

/// The `(table, column)` pairs an edit of a create-migration adds, when adding column
/// definitions inside `Schema::create('table', …)` is all it does (`None` otherwise).
pub fn added_columns(old: &str, new: &str) -> Option<Vec<(String, String)>> {
    let lines = |t: &str| -> Vec<String> {
        Source::new(t, Lang::Php)
            .text
            .lines()
            .map(norm)
            .filter(|l| !l.is_empty())
            .collect()
    };
    let (before, after) = (lines(old), lines(new));
    let mut unmatched = before.clone();
    let mut table = None;
    let mut added = Vec::new();
    for l in &after {
        if let Some(t) = l
            .strip_prefix("Schema::create('")
            .and_then(|r| r.split_once('\''))
        {
            table = Some(t.0.to_string());
        }
        if let Some(i) = unmatched.iter().position(|o| o == l) {
            unmatched.remove(i);
            continue;
        }
        added.push((table.clone()?, column_of(l)?.to_string()));
    }
    (unmatched.is_empty() && !added.is_empty()).then_some(added)
}

/// Whether an edit of a migration only adds plain (not unique, primary or full-text) indexes:
/// `->index()` appended to a column's definition, or new `$table->index(…)` lines; every other
/// line stays as it was. Laravel's skeleton (#6736) indexed `cache.expiration` so.
pub fn only_adds_indexes(old: &str, new: &str) -> bool {
    let lines = |t: &str| -> Vec<String> {
        Source::new(t, Lang::Php)
            .text
            .lines()
            .map(norm)
            .filter(|l| !l.is_empty())
            .collect()
    };
    let (before, after) = (lines(old), lines(new));
    let mut indexed = false;
    let mut kept = Vec::with_capacity(after.len());
    for l in &after {
        // A new `$table->index(…);` line holding that one statement alone.
        if l.starts_with("$table->index(") && l.ends_with(");") && l.matches(';').count() == 1 {
            indexed = true;
            continue;
        }
        match without_index(l) {
            Some(plain) => {
                indexed = true;
                kept.push(plain);
            }
            None => kept.push(l.clone()),
        }
    }
    // Every other line as it was, in its order.
    indexed && kept == before
}

/// A normalised column line without the `->index()` (or `->index('name')`) that ends it.
fn without_index(line: &str) -> Option<String> {
    let body = line.strip_suffix(';')?;
    let at = body.rfind("->index")?;
    let rest = &body[at + "->index".len()..];
    let plain_args = rest.is_empty()
        || rest
            .strip_prefix("('")
            .and_then(|r| r.strip_suffix("')"))
            .is_some_and(|a| !a.contains('\''));
    (plain_args && at > 0 && !body[..at].contains(';')).then(|| format!("{};", &body[..at]))
}

/// Whether a migration's source adds `column` to `table` guarded by
/// `Schema::hasColumn('table', 'column')`.
pub fn adds_guarded(source: &str, table: &str, column: &str) -> bool {
    let text: String = Source::new(source, Lang::Php)
        .text
        .lines()
        .map(norm)
        .collect::<Vec<_>>()
        .join("\n");
    if !text.contains(&format!("hasColumn('{table}','{column}')")) {
        return false;
    }
    let open = format!("Schema::table('{table}'");
    text.match_indices(&open).any(|(at, _)| {
        let block = &text[at + open.len()..];
        let block = block.find("Schema::").map_or(block, |end| &block[..end]);
        block
            .lines()
            .any(|l| column_of(l.trim_start_matches(['{', ';'])) == Some(column))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATE: &str = "<?php\nreturn new class() extends Migration\n{\n    public function up()\n    {\n        Schema::create('address_types', function (Blueprint $table) {\n            $table->id();\n            $table->string('name')->nullable();\n            $table->timestamps();\n        });\n    }\n};\n";

    fn edit(from: &str, to: &str) -> String {
        CREATE.replace(from, to)
    }

    #[test]
    fn an_edit_that_only_adds_columns_names_them() {
        let added = edit(
            "            $table->timestamps();\n",
            "            $table->string(\"type\")->nullable(); // new\n            $table->timestamps();\n",
        )
        .replace("class()", "class");
        assert_eq!(
            added_columns(CREATE, &added),
            Some(vec![("address_types".into(), "type".into())])
        );
        // Anything else changed, or an index added, is not only added columns.
        let changed = edit("->nullable()", "");
        let both = changed.replace(
            "            $table->timestamps();\n",
            "            $table->string('type');\n            $table->timestamps();\n",
        );
        assert_eq!(added_columns(CREATE, &both), None);
        let index = edit(
            "            $table->timestamps();\n",
            "            $table->index('name');\n            $table->timestamps();\n",
        );
        assert_eq!(added_columns(CREATE, &index), None);
        assert_eq!(added_columns(CREATE, CREATE), None);
    }

    #[test]
    fn an_edit_that_only_adds_plain_indexes() {
        // Laravel's skeleton (#6736): `->index()` on a column, and an index line.
        let appended = edit(
            "$table->string('name')->nullable();",
            "$table->string('name')->nullable()->index();",
        );
        assert!(only_adds_indexes(CREATE, &appended));
        let line = edit(
            "            $table->timestamps();\n",
            "            $table->timestamps();\n            $table->index(['name', 'created_at']);\n",
        );
        assert!(only_adds_indexes(CREATE, &line));
        // A unique index changes what the table accepts; any other change is an edit.
        let unique = edit(
            "$table->string('name')->nullable();",
            "$table->string('name')->nullable()->unique();",
        );
        assert!(!only_adds_indexes(CREATE, &unique));
        let unique_line = edit(
            "            $table->timestamps();\n",
            "            $table->timestamps();\n            $table->unique('name');\n",
        );
        assert!(!only_adds_indexes(CREATE, &unique_line));
        let and_more = appended.replace("->nullable()", "");
        assert!(!only_adds_indexes(CREATE, &and_more));
        let column = edit(
            "            $table->timestamps();\n",
            "            $table->string('type')->index();\n            $table->timestamps();\n",
        );
        assert!(!only_adds_indexes(CREATE, &column));
        assert!(!only_adds_indexes(CREATE, CREATE));
        // An odd argument does not panic; a moved line, or another statement beside the index
        // line, is more than an index.
        let odd = edit(
            "$table->string('name')->nullable();",
            "$table->string('name')->index(');",
        );
        assert!(!only_adds_indexes(CREATE, &odd));
        let moved = edit(
            "            $table->id();\n            $table->string('name')->nullable();\n",
            "            $table->string('name')->nullable()->index();\n            $table->id();\n",
        );
        assert!(!only_adds_indexes(CREATE, &moved));
        let beside = edit(
            "            $table->timestamps();\n",
            "            $table->timestamps();\n            $table->index('name'); $table->dropColumn('name');\n",
        );
        assert!(!only_adds_indexes(CREATE, &beside));
    }

    #[test]
    fn a_new_migration_compensates_only_for_its_guarded_column() {
        let new = "<?php\nreturn new class extends Migration {\n    public function up(): void\n    {\n        if (Schema::hasColumn('address_types', 'type')) {\n            return;\n        }\n        Schema::table('address_types', function (Blueprint $table) {\n            $table->string('type')->nullable()->after('name');\n        });\n        DB::table('address_types')->update(['type' => 'home']);\n    }\n};\n";
        assert!(adds_guarded(new, "address_types", "type"));
        assert!(!adds_guarded(new, "address_types", "kind"));
        assert!(!adds_guarded(new, "contacts", "type"));
        let unguarded = new.replace("Schema::hasColumn('address_types', 'type')", "false");
        assert!(!adds_guarded(&unguarded, "address_types", "type"));
    }
}
