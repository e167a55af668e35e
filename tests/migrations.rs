//! Database migrations in the release: real repositories with a release tag, then commits adding
//! migrations of every layout; each operation spelled the unsafe way (found, with file:line) and
//! the safe way (passes); unparsable SQL; released migrations edited; dropped columns still used
//! by the code; the ecosystems' suppressions; range errors failing closed.

use crate::util::{check, git, status, TestRepo};

/// A repository with one release (`v1.0.0`).
fn released() -> TestRepo {
    let t = TestRepo::new();
    t.write("README.md", "app\n");
    t.commit("Initial release");
    t.tag("v1.0.0");
    t
}

/// (path, line, message) of each finding of check `id`.
fn found(r: &serde_json::Value, id: &str) -> Vec<(String, u64, String)> {
    check(r, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["location"]["path"].as_str().unwrap_or("").to_string(),
                f["location"]["line"].as_u64().unwrap_or(0),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The `path:line` of each finding.
fn places(r: &serde_json::Value, id: &str) -> Vec<String> {
    let mut v: Vec<String> = found(r, id)
        .into_iter()
        .map(|(p, l, _)| format!("{p}:{l}"))
        .collect();
    v.sort();
    v
}

fn run(t: &TestRepo, ids: &[&str]) -> (i32, serde_json::Value) {
    t.only(ids).args(&["--stage", "release"]).json()
}

const RAILS_DROP: &str = "class DropEmail < ActiveRecord::Migration[7.1]\n  def change\n    remove_column :users, :email, :string\n  end\nend\n";

#[test]
fn every_layout_is_read_and_findings_have_file_and_line() {
    let t = released();
    t.write("db/migrations/000002_drop.up.sql", "-- drop it\nALTER TABLE users DROP COLUMN email;\n")
        .write("db/migrations/000002_drop.down.sql", "ALTER TABLE users ADD COLUMN email text;\n")
        .write("src/main/resources/db/migration/V2__drop.sql", "\nDROP TABLE sessions;\n")
        .write("db/migrate/20260101000000_drop_email.rb", RAILS_DROP)
        .write(
            "shop/migrations/0002_remove.py",
            "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [\n        migrations.RemoveField(model_name='user', name='email'),\n    ]\n",
        )
        .write(
            "alembic/versions/a1_drop.py",
            "def upgrade():\n    op.drop_column('users', 'email')\n\n\ndef downgrade():\n    op.add_column('users', sa.Column('email', sa.Text()))\n",
        )
        .write("prisma/migrations/20260101_drop/migration.sql", "-- AlterTable\nALTER TABLE \"User\" DROP COLUMN \"email\";\n")
        .write(
            "database/migrations/2026_01_01_000000_drop.php",
            "<?php\nreturn new class extends Migration {\n    public function up(): void\n    {\n        Schema::table('users', function (Blueprint $table) {\n            $table->dropColumn('email');\n        });\n    }\n\n    public function down(): void\n    {\n        Schema::drop('users');\n    }\n};\n",
        )
        .write(
            "knex/migrations/20260101_drop.js",
            "exports.up = function (knex) {\n  return knex.schema.dropTable('sessions');\n};\n\nexports.down = function (knex) {\n  return knex.schema.dropTable('other');\n};\n",
        )
        .write("sqlx/migrations/20260101000000_drop.sql", "TRUNCATE audit_log;\n")
        .write("diesel/migrations/2026-01-01-000000_drop/up.sql", "DROP TABLE old_things;\n")
        .write("diesel/migrations/2026-01-01-000000_drop/down.sql", "CREATE TABLE old_things (id int);\n")
        .write("atlas/20260101000000.sql", "DROP SCHEMA legacy CASCADE;\n")
        .write("atlas/atlas.sum", "h1:x=\n")
        .write("db/migrations/cleanup/remove.sql", "DROP DATABASE scratch;\n");
    t.commit("Drop things");
    let (code, r) = run(&t, &["destructive-migrations"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        places(&r, "destructive-migrations"),
        [
            "alembic/versions/a1_drop.py:2",
            "atlas/20260101000000.sql:1",
            "database/migrations/2026_01_01_000000_drop.php:6",
            "db/migrate/20260101000000_drop_email.rb:3",
            "db/migrations/000002_drop.up.sql:2",
            "db/migrations/cleanup/remove.sql:1",
            "diesel/migrations/2026-01-01-000000_drop/up.sql:1",
            "knex/migrations/20260101_drop.js:2",
            "prisma/migrations/20260101_drop/migration.sql:2",
            "shop/migrations/0002_remove.py:5",
            "sqlx/migrations/20260101000000_drop.sql:1",
            "src/main/resources/db/migration/V2__drop.sql:2",
        ]
    );
    let f = &check(&r, "destructive-migrations")["findings"][0];
    assert_eq!(f["location"]["input"], "repo");
    let all = found(&r, "destructive-migrations");
    let rails = all.iter().find(|(p, _, _)| p.ends_with(".rb")).unwrap();
    assert!(
        rails
            .2
            .contains("drop-column: remove_column on users.email"),
        "{}",
        rails.2
    );
    assert!(rails.2.contains("instead:"), "{}", rails.2);
    let sql = all
        .iter()
        .find(|(p, _, _)| p.ends_with("000002_drop.up.sql"))
        .unwrap();
    assert!(sql.2.contains("DROP COLUMN on users.email"), "{}", sql.2);
    assert_eq!(
        check(&r, "destructive-migrations")["findings"][4]["evidence"],
        "ALTER TABLE users DROP COLUMN email"
    );
}

/// One repository of unsafe SQL migrations and one of their safe spellings, per check.
#[test]
fn sql_operations_both_ways() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "destructive-migrations",
            "drop-table",
            "DROP TABLE a;",
            "CREATE TABLE a2 (id int);",
        ),
        (
            "destructive-migrations",
            "drop-column",
            "ALTER TABLE a DROP COLUMN b;",
            "ALTER TABLE a ADD COLUMN b text;",
        ),
        (
            "destructive-migrations",
            "truncate",
            "TRUNCATE a;",
            "DELETE FROM a WHERE id = 1;",
        ),
        (
            "incompatible-migrations",
            "rename-column",
            "ALTER TABLE a RENAME COLUMN b TO c;",
            "ALTER TABLE a ADD COLUMN c text;",
        ),
        (
            "incompatible-migrations",
            "rename-table",
            "ALTER TABLE a RENAME TO b;",
            "CREATE VIEW b AS SELECT * FROM a;",
        ),
        (
            "incompatible-migrations",
            "change-column-type",
            "ALTER TABLE a ALTER COLUMN n TYPE bigint;",
            "ALTER TABLE a ADD COLUMN n2 bigint;",
        ),
        (
            "incompatible-migrations",
            "set-not-null",
            "ALTER TABLE a ALTER COLUMN n SET NOT NULL;",
            "ALTER TABLE a ADD CONSTRAINT n_nn CHECK (n IS NOT NULL) NOT VALID;",
        ),
        (
            "incompatible-migrations",
            "add-not-null-column",
            "ALTER TABLE a ADD COLUMN n int NOT NULL;",
            "ALTER TABLE a ADD COLUMN n int NOT NULL DEFAULT 0;",
        ),
        (
            "locking-migrations",
            "create-index",
            "CREATE INDEX i ON a (b);",
            "CREATE INDEX CONCURRENTLY i ON a (b);",
        ),
        (
            "locking-migrations",
            "add-foreign-key",
            "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b_id) REFERENCES b (id);",
            "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b_id) REFERENCES b (id) NOT VALID;",
        ),
        (
            "locking-migrations",
            "volatile-default",
            "ALTER TABLE a ADD COLUMN t uuid DEFAULT gen_random_uuid();",
            "ALTER TABLE a ADD COLUMN t timestamptz DEFAULT now();",
        ),
        (
            "locking-migrations",
            "rewrite-column-type",
            "ALTER TABLE a ALTER COLUMN n TYPE bigint;",
            "ALTER TABLE a ADD COLUMN n_big bigint;",
        ),
    ];
    let bad = released();
    let good = released();
    for (i, (_, _, unsafe_sql, safe_sql)) in cases.iter().enumerate() {
        let n = i + 2;
        bad.write(
            &format!("db/migrations/{n:06}_x.up.sql"),
            format!("-- case {n}\n{unsafe_sql}\n"),
        )
        .write(&format!("db/migrations/{n:06}_x.down.sql"), "SELECT 1;\n");
        good.write(
            &format!("db/migrations/{n:06}_x.up.sql"),
            format!("-- case {n}\n{safe_sql}\n"),
        )
        .write(&format!("db/migrations/{n:06}_x.down.sql"), "SELECT 1;\n");
    }
    bad.commit("Unsafe migrations");
    good.commit("Safe migrations");
    let ids = [
        "destructive-migrations",
        "incompatible-migrations",
        "locking-migrations",
        "unparsed-migrations",
    ];
    let (code, r) = run(&bad, &ids);
    assert_eq!(code, 1, "{r:#}");
    for (i, (id, rule, sql, _)) in cases.iter().enumerate() {
        let path = format!("db/migrations/{:06}_x.up.sql", i + 2);
        let hit = found(&r, id)
            .into_iter()
            .any(|(p, l, m)| p == path && l == 2 && m.starts_with(&format!("{rule}:")));
        assert!(hit, "{rule} not found for `{sql}`: {:#?}", found(&r, id));
    }
    assert_eq!(status(&r, "unparsed-migrations"), "pass");
    let (code, r) = run(&good, &ids);
    assert_eq!(code, 0, "{r:#}");
    for id in ids {
        assert!(found(&r, id).is_empty(), "{id}: {:#?}", found(&r, id));
    }
}

#[test]
fn orm_operations_both_ways() {
    let bad = released();
    bad.write(
        "db/migrate/20260101000001_unsafe.rb",
        "class Unsafe < ActiveRecord::Migration[7.1]\n  def change\n    add_column :users, :plan, :string, null: false\n    rename_column :users, :name, :full_name\n    add_index :users, :plan\n    add_foreign_key :orders, :users\n    change_table :accounts do |t|\n      t.remove :legacy\n    end\n  end\nend\n",
    )
    .write(
        "shop/migrations/0002_unsafe.py",
        "operations = [\n    migrations.AddField(model_name='order', name='ref', field=models.CharField(max_length=9, default='x')),\n    migrations.RenameModel(old_name='Order', new_name='Purchase'),\n    migrations.AddIndex(model_name='order', index=models.Index(fields=['ref'], name='ref_idx')),\n]\n",
    )
    .write(
        "alembic/versions/b2_unsafe.py",
        "def upgrade():\n    op.add_column('orders', sa.Column('ref', sa.Text(), nullable=False))\n    op.create_index('ix_ref', 'orders', ['ref'])\n    with op.batch_alter_table('orders') as batch_op:\n        batch_op.drop_column('legacy')\n\n\ndef downgrade():\n    op.drop_column('orders', 'ref')\n",
    )
    .write(
        "database/migrations/2026_01_01_000001_unsafe.php",
        "<?php\nreturn new class extends Migration {\n    public function up(): void\n    {\n        Schema::table('orders', function (Blueprint $table) {\n            $table->string('ref');\n            $table->renameColumn('total', 'amount');\n            $table->index('ref');\n        });\n    }\n};\n",
    )
    .write(
        "migrations/20260101_unsafe.js",
        "exports.up = (knex) => knex.schema.alterTable('orders', (table) => {\n  table.string('ref').notNullable();\n  table.renameColumn('total', 'amount');\n  table.index('ref');\n});\n\nexports.down = (knex) => knex.schema.dropTable('x');\n",
    );
    bad.commit("Unsafe ORM migrations");
    let (code, r) = run(
        &bad,
        &[
            "destructive-migrations",
            "incompatible-migrations",
            "locking-migrations",
        ],
    );
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        places(&r, "incompatible-migrations"),
        [
            "alembic/versions/b2_unsafe.py:2",
            "database/migrations/2026_01_01_000001_unsafe.php:6",
            "database/migrations/2026_01_01_000001_unsafe.php:7",
            "db/migrate/20260101000001_unsafe.rb:3",
            "db/migrate/20260101000001_unsafe.rb:4",
            "migrations/20260101_unsafe.js:2",
            "migrations/20260101_unsafe.js:3",
            "shop/migrations/0002_unsafe.py:2",
            "shop/migrations/0002_unsafe.py:3",
        ]
    );
    assert_eq!(
        places(&r, "locking-migrations"),
        [
            "alembic/versions/b2_unsafe.py:3",
            "database/migrations/2026_01_01_000001_unsafe.php:8",
            "db/migrate/20260101000001_unsafe.rb:5",
            "db/migrate/20260101000001_unsafe.rb:6",
            "migrations/20260101_unsafe.js:4",
            "shop/migrations/0002_unsafe.py:4",
        ]
    );
    assert_eq!(
        places(&r, "destructive-migrations"),
        [
            "alembic/versions/b2_unsafe.py:5",
            "db/migrate/20260101000001_unsafe.rb:8"
        ]
    );

    let good = released();
    good.write(
        "db/migrate/20260101000001_safe.rb",
        "class Safe < ActiveRecord::Migration[7.1]\n  disable_ddl_transaction!\n\n  def change\n    add_column :users, :plan, :string\n    add_index :users, :plan, algorithm: :concurrently\n    add_foreign_key :orders, :users, validate: false\n    create_table :events do |t|\n      t.string :name, null: false\n    end\n    add_index :events, :name\n  end\n\n  def down\n    remove_column :users, :plan\n  end\nend\n",
    )
    .write(
        "shop/migrations/0002_safe.py",
        "operations = [\n    migrations.AddField(model_name='order', name='ref', field=models.CharField(max_length=9, null=True)),\n    AddIndexConcurrently(model_name='order', index=models.Index(fields=['ref'], name='ref_idx')),\n]\n",
    )
    .write(
        "alembic/versions/b2_safe.py",
        "def upgrade():\n    op.add_column('orders', sa.Column('ref', sa.Text(), nullable=True))\n    op.create_index('ix_ref', 'orders', ['ref'], postgresql_concurrently=True)\n\n\ndef downgrade():\n    op.drop_column('orders', 'ref')\n",
    )
    .write(
        "database/migrations/2026_01_01_000001_safe.php",
        "<?php\nreturn new class extends Migration {\n    public function up(): void\n    {\n        Schema::table('orders', function (Blueprint $table) {\n            $table->string('ref')->nullable();\n        });\n    }\n\n    public function down(): void\n    {\n        Schema::table('orders', function (Blueprint $table) {\n            $table->dropColumn('ref');\n        });\n    }\n};\n",
    )
    .write(
        "migrations/20260101_safe.js",
        "exports.up = (knex) => knex.schema.alterTable('orders', (table) => {\n  table.string('ref');\n});\n\nexports.down = (knex) => knex.schema.alterTable('orders', (table) => {\n  table.dropColumn('ref');\n});\n",
    );
    good.commit("Safe ORM migrations");
    let (code, r) = run(
        &good,
        &[
            "destructive-migrations",
            "incompatible-migrations",
            "locking-migrations",
            "unparsed-migrations",
        ],
    );
    assert_eq!(code, 0, "{r:#}");
}

#[test]
fn embedded_sql_is_parsed_and_unparsable_sql_is_a_warning() {
    let t = released();
    t.write(
        "db/migrate/20260101000001_sql.rb",
        "class Sql < ActiveRecord::Migration[7.1]\n  def up\n    execute <<~SQL\n      UPDATE users SET plan = 'free';\n      ALTER TABLE users DROP COLUMN legacy;\n    SQL\n  end\nend\n",
    )
    .write(
        "shop/migrations/0002_sql.py",
        "operations = [\n    migrations.RunSQL(\"DROP TABLE old_orders\", reverse_sql=migrations.RunSQL.noop),\n]\n",
    )
    .write(
        "db/migrations/000002_odd.up.sql",
        "SELECT 1;\n\nCREATE FROBNICATOR widgets;\nALTER TABLE users DROP COLUMN nickname FROBNICATE;\n",
    )
    .write("db/migrations/000002_odd.down.sql", "SELECT 1;\n")
    // Laravel: DB::statement takes SQL; DB::table is the query builder, not SQL.
    .write(
        "database/migrations/2026_01_01_000000_backfill.php",
        "<?php\nreturn new class extends Migration {\n    public function up(): void\n    {\n        DB::table('currencies')->insert([['code' => 'EUR']]);\n        DB::statement('DROP TABLE legacy_rates');\n        DB::affectingStatement('ALTER TABLE currencies DROP COLUMN symbol');\n    }\n};\n",
    );
    t.commit("SQL in migrations");
    let (code, r) = run(&t, &["destructive-migrations", "unparsed-migrations"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        places(&r, "destructive-migrations"),
        [
            "database/migrations/2026_01_01_000000_backfill.php:6",
            "database/migrations/2026_01_01_000000_backfill.php:7",
            "db/migrate/20260101000001_sql.rb:5",
            "db/migrations/000002_odd.up.sql:4",
            "shop/migrations/0002_sql.py:2",
        ]
    );
    assert_eq!(status(&r, "unparsed-migrations"), "warn");
    let unparsed = found(&r, "unparsed-migrations");
    assert_eq!(
        unparsed
            .iter()
            .map(|(p, l, _)| format!("{p}:{l}"))
            .collect::<Vec<_>>(),
        [
            "db/migrations/000002_odd.up.sql:3",
            "db/migrations/000002_odd.up.sql:4"
        ]
    );
    assert!(
        unparsed[0].2.contains("`CREATE FROBNICATOR widgets`"),
        "{}",
        unparsed[0].2
    );
    let keyword = found(&r, "destructive-migrations");
    assert!(
        keyword
            .iter()
            .any(|(_, _, m)| m.contains("recognised by its keywords")),
        "{keyword:#?}"
    );
}

#[test]
fn irreversible_migrations_are_warnings() {
    let t = released();
    t.write("db/migrations/000002_add.up.sql", "ALTER TABLE a ADD COLUMN b text;\n")
        .write("db/migrations/000003_add.up.sql", "ALTER TABLE a ADD COLUMN c text;\n")
        .write("db/migrations/000003_add.down.sql", "ALTER TABLE a DROP COLUMN c;\n")
        .write("diesel/migrations/2026-01-01-000000_x/up.sql", "ALTER TABLE a ADD COLUMN d text;\n")
        .write("diesel/migrations/2026-01-01-000000_x/down.sql", "-- nothing\n")
        .write("alembic/versions/c3_x.py", "def upgrade():\n    op.add_column('a', sa.Column('e', sa.Text()))\n\n\ndef downgrade():\n    \"\"\"Nothing.\"\"\"\n    pass\n")
        .write("db/migrate/20260101000001_x.rb", "class X < ActiveRecord::Migration[7.1]\n  def up\n  end\n\n  def down\n    raise ActiveRecord::IrreversibleMigration\n  end\nend\n")
        .write("shop/migrations/0002_x.py", "operations = [\n    migrations.RunPython(forwards),\n    migrations.RunPython(forwards, backwards),\n]\n");
    t.commit("Migrations");
    let (code, r) = run(&t, &["irreversible-migrations"]);
    assert_eq!(code, 0, "warnings only: {r:#}");
    assert_eq!(status(&r, "irreversible-migrations"), "warn");
    assert_eq!(
        places(&r, "irreversible-migrations"),
        [
            "alembic/versions/c3_x.py:5",
            "db/migrate/20260101000001_x.rb:6",
            "db/migrations/000002_add.up.sql:1",
            "diesel/migrations/2026-01-01-000000_x/up.sql:1",
            "shop/migrations/0002_x.py:2",
        ]
    );
}

#[test]
fn released_migrations_edited_or_deleted_are_errors() {
    let t = TestRepo::new();
    t.write("db/migrate/20250101000000_create_users.rb", "class CreateUsers < ActiveRecord::Migration[7.1]\n  def change\n    create_table :users\n  end\nend\n")
        .write("db/migrate/20250102000000_add_name.rb", "class AddName < ActiveRecord::Migration[7.1]\n  def change\n    add_column :users, :name, :string\n  end\nend\n")
        .write("src/main/resources/db/migration/R__views.sql", "CREATE VIEW v AS SELECT 1;\n")
        .write("database/migrations/2025_01_01_000000_create_posts.php", "<?php\nreturn new class() extends Migration\n{\n    public function up(): void\n    {\n        Schema::create(\"posts\", function (Blueprint $table) {\n            $table->id();\n        });\n    }\n};\n")
        .write("db/migrations/000001_tags.up.sql", "CREATE TABLE tags (id int); -- the tags\n")
        .write("db/migrations/000001_tags.down.sql", "DROP TABLE tags;\n");
    t.commit("Initial");
    t.tag("v1.0.0");
    // Not released yet: added after the tag, then edited.
    t.write("db/migrate/20260101000000_add_plan.rb", "class AddPlan < ActiveRecord::Migration[7.1]\n  def change\n    add_column :users, :plan, :string\n  end\nend\n");
    t.commit("Add plan");
    t.write("db/migrate/20260101000000_add_plan.rb", "class AddPlan < ActiveRecord::Migration[7.1]\n  def change\n    add_column :users, :plan, :text\n  end\nend\n")
        .write("db/migrate/20250102000000_add_name.rb", "class AddName < ActiveRecord::Migration[7.1]\n  def change\n    add_column :users, :name, :text\n  end\nend\n")
        .write("src/main/resources/db/migration/R__views.sql", "CREATE VIEW v AS SELECT 2;\n")
        .remove("db/migrate/20250101000000_create_users.rb")
        // A formatter's rewrite (quotes, `new class()`, comments, spacing) changes nothing a
        // database ran: not an edit.
        .write("database/migrations/2025_01_01_000000_create_posts.php", "<?php\n// formatted\nreturn new class extends Migration\n{\n    public function up(): void\n    {\n        Schema::create('posts', function (Blueprint $table) {\n            $table->id();\n        });\n    }\n};\n")
        .write("db/migrations/000001_tags.up.sql", "-- Tags.\nCREATE TABLE tags (\n  id int\n);\n");
    t.commit("Edit history");
    let (code, r) = run(&t, &["edited-migrations"]);
    assert_eq!(code, 1, "{r:#}");
    let f = found(&r, "edited-migrations");
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_eq!(
        (f[0].0.as_str(), f[0].1),
        ("db/migrate/20250101000000_create_users.rb", 0)
    );
    assert!(
        f[0].2.contains("released in v1.0.0, is deleted"),
        "{}",
        f[0].2
    );
    assert_eq!(
        (f[1].0.as_str(), f[1].1),
        ("db/migrate/20250102000000_add_name.rb", 3)
    );
    assert!(f[1].2.contains("add a new migration"), "{}", f[1].2);
}

/// bakerydemo rewords the `help_text` of released Django migrations: labels of the model state,
/// not the schema (`sqlmigrate` prints nothing for them), so databases that ran the migration
/// miss nothing. A released migration whose `max_length` changes is still an edit.
#[test]
fn a_django_migration_reworded_in_its_labels_only_is_not_an_edit() {
    let path = "app/migrations/0002_title.py";
    let migration = |help: &str, verbose: &str, max: u32| {
        format!("from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [(\"app\", \"0001_initial\")]\n\n    operations = [\n        migrations.AlterField(\n            model_name=\"homepage\",\n            name=\"title\",\n            field=models.CharField(\n                blank=True,\n                help_text=\"{help}\",\n                verbose_name=_(\"{verbose}\"),\n                max_length={max},\n            ),\n        ),\n        migrations.AlterModelOptions(name=\"homepage\", options={{\"verbose_name\": \"{verbose}\"}}),\n    ]\n")
    };
    for (case, help, verbose, max, reported) in [
        (
            "labels reworded",
            "Heading for the first section",
            "Heading",
            255,
            false,
        ),
        (
            "a column changed",
            "Title to display above the section",
            "Title",
            100,
            true,
        ),
    ] {
        let t = TestRepo::new();
        t.write("app/migrations/0001_initial.py", "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = []\n")
            .write(path, migration("Title to display above the section", "Title", 255));
        t.commit("Initial");
        t.tag("v1.0.0");
        t.write(path, migration(help, verbose, max));
        t.commit("Reword");
        let (_, r) = run(&t, &["edited-migrations"]);
        let f = found(&r, "edited-migrations");
        let at: Vec<&str> = f.iter().map(|x| x.0.as_str()).collect();
        let expected: Vec<&str> = if reported { vec![path] } else { vec![] };
        assert_eq!(at, expected, "{case}: {r:#}");
    }
}

/// mealie v2.0.0 annotated the revision identifiers of 31 released Alembic migrations
/// (`down_revision: str | None = None`): nothing a database ran changes, so the edit is none.
/// The same annotation beside a changed operation is still an edit, and in neither case are the
/// released migration's own operations (an index built without CONCURRENTLY) reported again:
/// they ran with the release.
#[test]
fn an_alembic_migration_annotated_in_its_identifiers_only_is_not_an_edit() {
    let path = "alembic/versions/2022_02_21_6b0f5f32d602_initial.py";
    let migration = |annotated: bool, index: &str| {
        let (down, labels) = if annotated {
            ("down_revision: str | None = None", "branch_labels: str | tuple[str, ...] | None = None\ndepends_on: str | tuple[str, ...] | None = None")
        } else {
            (
                "down_revision = None",
                "branch_labels = None\ndepends_on = None",
            )
        };
        format!("from alembic import op\nimport sqlalchemy as sa\n\nrevision = \"6b0f5f32d602\"\n{down}\n{labels}\n\n\ndef upgrade():\n    op.create_index(\"{index}\", \"users\", [\"email\"])\n\n\ndef downgrade():\n    op.drop_index(\"{index}\", table_name=\"users\")\n")
    };
    for (case, index, reported) in [
        ("annotated only", "ix_users_email", false),
        ("annotated, and the index renamed", "ix_users_email_2", true),
    ] {
        let t = TestRepo::new();
        t.write(path, migration(false, "ix_users_email"));
        t.commit("Initial");
        t.tag("v1.12.0");
        t.write(path, migration(true, index));
        t.commit("Annotate revision identifiers");
        let ids = [
            "edited-migrations",
            "locking-migrations",
            "irreversible-migrations",
        ];
        let (_, r) = run(&t, &ids);
        let expected: Vec<&str> = if reported { vec![path] } else { vec![] };
        let f = found(&r, "edited-migrations");
        let at: Vec<&str> = f.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(at, expected, "{case}: {r:#}");
        // What the released migration does ran with the release: its index is not this
        // release's lock, whatever the edit.
        assert!(found(&r, "locking-migrations").is_empty(), "{case}: {r:#}");
        assert!(
            found(&r, "irreversible-migrations").is_empty(),
            "{case}: {r:#}"
        );
    }
}

/// mealie fixed the `downgrade()` of a released Alembic migration: databases that ran its
/// `upgrade()` are where they were, so it is no edit. A change to `upgrade()` still is.
#[test]
fn an_alembic_migration_changed_in_its_downgrade_only_is_not_an_edit() {
    let path = "alembic/versions/2024_03_18_d7c6efd2de42_favorites.py";
    let migration = |up: &str, down: &str| {
        format!("from alembic import op\n\nrevision = \"d7c6efd2de42\"\ndown_revision = None\n\n\ndef upgrade():\n    op.drop_column(\"recipes\", \"{up}\")\n\n\ndef downgrade():\n    op.add_column(\"recipes\", sa.Column(\"rating\", sa.Integer()))\n{down}")
    };
    let unique = "    op.create_unique_constraint(\"units_key\", \"units\", [\"name\"])\n";
    for (case, up, down, reported) in [
        ("downgrade fixed", "rating", "", false),
        ("upgrade changed", "score", unique, true),
    ] {
        let t = TestRepo::new();
        t.write(path, migration("rating", unique));
        t.commit("Initial");
        t.tag("v1.4.0");
        t.write(path, migration(up, down));
        t.commit("Fix the downgrade");
        let (_, r) = run(&t, &["edited-migrations"]);
        let f = found(&r, "edited-migrations");
        let at: Vec<&str> = f.iter().map(|x| x.0.as_str()).collect();
        let expected: Vec<&str> = if reported { vec![path] } else { vec![] };
        assert_eq!(at, expected, "{case}: {r:#}");
    }
}

/// saleor 3.21 adds a field with a Python `default=` and gives it a database default with
/// RunSQL in the same migration, then renames it in the next one: old inserts work, and no
/// released version knew the old name. Without the RunSQL the add still breaks old inserts,
/// and renaming a field of an earlier release still breaks the old version.
#[test]
fn a_django_field_given_a_database_default_or_renamed_in_its_own_release_is_compatible() {
    let head = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = []\n\n    operations = [\n";
    let add = |sql: bool| {
        let run_sql = if sql {
            "        migrations.RunSQL(\n            sql=\"ALTER TABLE channel_channel ALTER COLUMN use_legacy SET DEFAULT true;\",\n            reverse_sql=migrations.RunSQL.noop,\n        ),\n"
        } else {
            ""
        };
        format!("{head}        migrations.AddField(\n            model_name=\"channel\",\n            name=\"use_legacy\",\n            field=models.BooleanField(default=True),\n        ),\n{run_sql}    ]\n")
    };
    let rename = |old: &str| {
        format!("{head}        migrations.RenameField(\n            model_name=\"channel\",\n            old_name=\"{old}\",\n            new_name=\"{old}_2\",\n        ),\n    ]\n")
    };
    for (case, sql, renamed, expected) in [
        (
            "database default, rename of the new field",
            true,
            "use_legacy",
            vec![],
        ),
        ("no database default", false, "use_legacy", vec!["0020"]),
        ("rename of a released field", true, "slug", vec!["0021"]),
    ] {
        let t = TestRepo::new();
        t.write(
            "saleor/channel/migrations/0001_initial.py",
            format!("{head}        migrations.CreateModel(name=\"channel\", fields=[(\"slug\", models.SlugField())]),\n    ]\n"),
        );
        t.commit("Initial");
        t.tag("3.20.0");
        t.write("saleor/channel/migrations/0020_use_legacy.py", add(sql))
            .write("saleor/channel/migrations/0021_rename.py", rename(renamed));
        t.commit("Add and rename");
        let (_, r) = run(&t, &["incompatible-migrations"]);
        let at: Vec<String> = found(&r, "incompatible-migrations")
            .iter()
            .map(|x| x.0.split('/').next_back().unwrap()[..4].to_string())
            .collect();
        assert_eq!(at, expected, "{case}: {r:#}");
    }
}

/// umami's ClickHouse migrations drop a materialized view `TO` a table with `DROP TABLE` and
/// create it again: such a view holds no rows, so nothing is lost, when the earlier migrations
/// made that name such a view. Still a drop: a name they made a table, and a view recreated with
/// its own storage (no `TO`).
#[test]
fn a_clickhouse_view_to_a_table_dropped_and_recreated_is_not_destructive() {
    let dir = "db/clickhouse/migrations";
    let view = |name: &str| {
        format!("CREATE MATERIALIZED VIEW umami.{name}\nTO umami.stats_hourly\nAS\nSELECT website_id, count() AS views FROM umami.website_event GROUP BY website_id;\n")
    };
    let cases = [
        ("a view before", view("stats_hourly_mv"), view("stats_hourly_mv"), false),
        (
            "a table before",
            "CREATE TABLE umami.stats_hourly_mv (website_id UUID);\n".to_string(),
            view("stats_hourly_mv"),
            true,
        ),
        (
            "recreated with its own storage",
            view("stats_hourly_mv"),
            "CREATE MATERIALIZED VIEW umami.stats_hourly_mv\nAS\nSELECT website_id FROM umami.website_event;\n".to_string(),
            true,
        ),
    ];
    for (case, before, after, reported) in cases {
        let t = TestRepo::new();
        t.write(&format!("{dir}/01_init.sql"), &before);
        t.commit("Initial");
        t.tag("v1.0.0");
        t.write(
            &format!("{dir}/02_update_view.sql"),
            format!("-- Update the view\nDROP TABLE umami.stats_hourly_mv;\n\n{after}"),
        );
        t.commit("Update the view");
        let (_, r) = run(&t, &["destructive-migrations"]);
        let at = places(&r, "destructive-migrations");
        let expected: Vec<String> = if reported {
            vec![format!("{dir}/02_update_view.sql:2")]
        } else {
            vec![]
        };
        assert_eq!(at, expected, "{case}: {r:#}");
    }
}

/// A released Laravel create-migration edited to add a column is compensated when a migration
/// the release adds puts the same column on existing databases, guarded by `Schema::hasColumn`
/// (monica's address_types.type): fresh and existing databases converge. Without the new
/// migration, with one for another column or table, or with one that is not guarded (it fails
/// on a fresh database), the edit is still reported.
#[test]
fn an_added_column_compensated_by_a_guarded_new_migration_is_not_an_edit() {
    let create = |table: &str, extra: &str| {
        format!("<?php\nreturn new class extends Migration\n{{\n    public function up(): void\n    {{\n        Schema::create('{table}', function (Blueprint $table) {{\n            $table->id();\n            $table->string('name')->nullable();\n{extra}        }});\n    }}\n}};\n")
    };
    let adds = |table: &str, col: &str, guard: bool| {
        let g = if guard {
            format!("        if (Schema::hasColumn('{table}', '{col}')) {{\n            return;\n        }}\n")
        } else {
            String::new()
        };
        format!("<?php\nreturn new class extends Migration\n{{\n    public function up(): void\n    {{\n{g}        Schema::table('{table}', function (Blueprint $table) {{\n            $table->string('{col}')->nullable()->after('name');\n        }});\n        DB::table('{table}')->update(['{col}' => 'home']);\n    }}\n}};\n")
    };
    let cases: [(&str, Option<String>, bool); 5] = [
        (
            "compensated",
            Some(adds("address_types", "type", true)),
            false,
        ),
        ("no new migration", None, true),
        (
            "another column",
            Some(adds("address_types", "kind", true)),
            true,
        ),
        ("another table", Some(adds("contacts", "type", true)), true),
        (
            "not guarded",
            Some(adds("address_types", "type", false)),
            true,
        ),
    ];
    for (case, new, reported) in cases {
        let t = TestRepo::new();
        let path = "database/migrations/2020_03_20_213318_create_address_types_table.php";
        t.write(path, create("address_types", ""));
        t.commit("Initial");
        t.tag("v1.0.0");
        t.write(
            path,
            create(
                "address_types",
                "            $table->string('type')->nullable();\n",
            ),
        );
        if let Some(n) = &new {
            t.write(
                "database/migrations/2025_02_23_094326_contact_address_type.php",
                n,
            );
        }
        t.commit("Add address type type");
        let (_, r) = run(&t, &["edited-migrations"]);
        let at = places(&r, "edited-migrations");
        let expected: Vec<String> = if reported {
            vec![format!("{path}:9")]
        } else {
            vec![]
        };
        assert_eq!(at, expected, "{case}: {r:#}");
    }
}

/// A released Laravel migration edited only to add a plain index (laravel/laravel #6736:
/// `$table->integer('expiration')->index()`) is `edited-migration-indexes`' warning, not
/// `edited-migrations`' error: databases that ran it keep working without the index. A unique
/// index, or the index beside any other change, is still the error.
#[test]
fn a_released_migration_edited_only_to_add_an_index_is_a_warning() {
    let create = |column: &str| {
        format!("<?php\nreturn new class extends Migration\n{{\n    public function up(): void\n    {{\n        Schema::create('cache', function (Blueprint $table) {{\n            $table->string('key')->primary();\n            $table->mediumText('value');\n            {column}\n        }});\n    }}\n}};\n")
    };
    let cases = [
        ("an index", "$table->integer('expiration')->index();", false),
        (
            "a unique index",
            "$table->integer('expiration')->unique();",
            true,
        ),
        (
            "an index and a type",
            "$table->bigInteger('expiration')->index();",
            true,
        ),
    ];
    for (case, edited, error) in cases {
        let t = TestRepo::new();
        let path = "database/migrations/0001_01_01_000001_create_cache_table.php";
        t.write(path, create("$table->integer('expiration');"));
        t.commit("Initial");
        t.tag("v12.11.1");
        t.write(path, create(edited));
        t.commit("Update cache migration");
        let (code, r) = run(&t, &["edited-migrations", "edited-migration-indexes"]);
        let (errors, warnings) = if error {
            (vec![format!("{path}:9")], vec![])
        } else {
            (vec![], vec![format!("{path}:9")])
        };
        assert_eq!(places(&r, "edited-migrations"), errors, "{case}: {r:#}");
        assert_eq!(
            places(&r, "edited-migration-indexes"),
            warnings,
            "{case}: {r:#}"
        );
        assert_eq!(code, if error { 1 } else { 0 }, "{case}: {r:#}");
        if !error {
            assert_eq!(status(&r, "edited-migration-indexes"), "warn", "{r:#}");
        }
    }
}

#[test]
fn dropped_columns_still_used_by_the_code_are_errors_with_the_place() {
    let t = released();
    t.write(
        "app/models/user.rb",
        "class User < ApplicationRecord\n  def contact\n    email || phone\n  end\nend\n",
    )
    .write(
        "app/models/account.rb",
        "class Account < ApplicationRecord\n  self.ignored_columns += [\"email\"]\nend\n",
    )
    .write(
        "spec/models/user_spec.rb",
        "it { expect(user.email).to be_present }\n",
    )
    .write("db/schema.rb", "t.string \"email\"\n")
    // Another table's `email`: code that never names `users` does not use `users.email`.
    .write(
        "app/models/subscriber.rb",
        "class Subscriber < ApplicationRecord\n  validates :email, presence: true\nend\n",
    )
    .write(
        "prisma/schema.prisma",
        "model Subscriber {\n  email String\n}\nmodel User {\n  id Int @id\n}\n",
    )
    .write("db/migrate/20260101000000_drop_email.rb", RAILS_DROP);
    t.commit("Drop email");
    let (code, r) = run(&t, &["dropped-column-still-used"]);
    assert_eq!(code, 1, "{r:#}");
    let f = found(&r, "dropped-column-still-used");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!((f[0].0.as_str(), f[0].1), ("app/models/user.rb", 3));
    assert!(
        f[0].2
            .contains("`email` (dropped by db/migrate/20260101000000_drop_email.rb:3)"),
        "{}",
        f[0].2
    );
    assert_eq!(
        check(&r, "dropped-column-still-used")["findings"][0]["evidence"],
        "email || phone"
    );

    t.write(
        "app/models/user.rb",
        "class User < ApplicationRecord\n  def contact\n    phone\n  end\nend\n",
    );
    t.commit("Stop using email");
    let (code, r) = run(&t, &["dropped-column-still-used"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "dropped-column-still-used"), "pass");
}

#[test]
fn the_ecosystems_suppressions_are_honoured_and_counted() {
    let t = released();
    t.write(
        "db/migrate/20260101000000_a.rb",
        "class A < ActiveRecord::Migration[7.1]\n  def change\n    safety_assured { remove_column :users, :a, :string }\n    safety_assured do\n      remove_column :users, :b, :string\n    end\n    remove_column :users, :d, :string\n    remove_column :users, :c, :string # shipgate:allow destructive-migrations\n  end\nend\n",
    )
    .write("db/migrations/000002_a.up.sql", "-- squawk-ignore ban-drop-column\nALTER TABLE t DROP COLUMN e;\n-- squawk-ignore renaming-column\nALTER TABLE t DROP COLUMN f;\n")
    .write("db/migrations/000002_a.down.sql", "SELECT 1;\n")
    .write("db/migrations/000003_a.up.sql", "-- squawk-ignore-file\nDROP TABLE g;\n")
    .write("db/migrations/000003_a.down.sql", "SELECT 1;\n")
    .write("shop/migrations/0002_a.py", "import django_migration_linter as linter\n\noperations = [\n    linter.IgnoreMigration(),\n    migrations.DeleteModel(name='H'),\n]\n");
    t.commit("Suppressed drops");
    let (code, r) = run(&t, &["destructive-migrations"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        places(&r, "destructive-migrations"),
        [
            "db/migrate/20260101000000_a.rb:7",
            "db/migrations/000002_a.up.sql:4"
        ]
    );
    assert_eq!(check(&r, "destructive-migrations")["suppressed"], 6);
}

#[test]
fn range_scoping_range_errors_and_skips() {
    let t = TestRepo::new();
    t.write("db/migrations/000001_drop.up.sql", "DROP TABLE old;\n")
        .write("db/migrations/000001_drop.down.sql", "SELECT 1;\n");
    t.commit("Released drop");
    t.tag("v1.0.0");
    t.write("src/app.py", "print(1)\n");
    t.commit("No migrations");
    // A migration released before the tag is not this release's.
    let (code, r) = run(&t, &["destructive-migrations", "irreversible-migrations"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "destructive-migrations"), "pass");
    assert!(found(&r, "destructive-migrations").is_empty());
    assert_eq!(r["ranges"][0]["label"], "v1.0.0..HEAD");
    // --range widens it.
    let (code, r) = t
        .only(&["destructive-migrations"])
        .args(&["--range", "HEAD"])
        .json();
    assert_eq!(code, 1, "{r:#}");
    // A range that cannot be worked out fails closed.
    let (code, r) = t
        .only(&["destructive-migrations"])
        .args(&["--range", "nope..HEAD"])
        .json();
    assert_eq!(code, 2, "{r:#}");
    assert_eq!(status(&r, "destructive-migrations"), "error");
    assert!(found(&r, "destructive-migrations")[0].2.contains("nope"));
    // At pre-push without git's push input, the range is what `git push` would send; with no
    // remote to push to, that cannot be told: an error, not a skip.
    let (code, r) = t
        .only(&["destructive-migrations"])
        .args(&["--stage", "pre-push"])
        .json();
    assert_eq!(code, 2, "{r:#}");
    assert_eq!(status(&r, "destructive-migrations"), "error");
    assert!(
        check(&r, "destructive-migrations")["reason"]
            .as_str()
            .unwrap()
            .contains("has no remote to push to"),
        "{r:#}"
    );
}

/// Without any release tag nothing was released for the migrations to break: a skip that says how
/// to bound the range (a pass when there are no migrations at all); the first tag makes it count.
#[test]
fn without_a_release_tag_migrations_are_skipped_with_the_way_to_bound_them() {
    let t = TestRepo::new();
    t.write("src/app.py", "print(1)\n");
    t.commit("No migrations yet");
    let (code, r) = run(&t, &["destructive-migrations"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "destructive-migrations"), "pass");
    t.write("db/migrations/000002_drop.up.sql", "DROP TABLE old;\n");
    t.commit("Drop");
    let (code, r) = run(&t, &["destructive-migrations"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "destructive-migrations"), "skip");
    let reason = check(&r, "destructive-migrations")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("no release tag") && reason.contains("--range"),
        "{reason}"
    );
    t.repo
        .tag_lightweight("v1.0.0", &t.repo.revparse_single("HEAD~1").unwrap(), false)
        .unwrap();
    let (code, r) = run(&t, &["destructive-migrations"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        found(&r, "destructive-migrations")[0].0,
        "db/migrations/000002_drop.up.sql"
    );
}

#[test]
fn the_dialect_and_layouts_are_configurable() {
    let t = released();
    t.write(
        ".shipgate.yaml",
        "checks:\n  locking-migrations:\n    params: {dialect: mysql}\n  incompatible-migrations:\n    params: {dialect: mysql}\n  destructive-migrations:\n    params:\n      paths: {sql: [\"schema/changes/*.sql\"]}\n",
    )
    .write("schema/changes/001.sql", "DROP TABLE t;\n")
    .write("db/migrations/000002_m.up.sql", "CREATE INDEX i ON t (c);\nALTER TABLE t CHANGE a b int;\n")
    .write("db/migrations/000002_m.down.sql", "SELECT 1;\n");
    t.commit("MySQL migrations");
    let (_, r) = run(
        &t,
        &[
            "locking-migrations",
            "incompatible-migrations",
            "destructive-migrations",
        ],
    );
    assert_eq!(status(&r, "locking-migrations"), "pass", "{r:#}");
    assert_eq!(
        places(&r, "incompatible-migrations"),
        ["db/migrations/000002_m.up.sql:2"]
    );
    assert_eq!(
        places(&r, "destructive-migrations"),
        ["schema/changes/001.sql:1"]
    );
    let (code, out, _) = t.run(&["explain", "locking-migrations"]);
    assert_eq!(code, 0);
    assert!(out.contains("SQL dialect: mysql"), "{out}");
    assert!(out.contains("a release without migrations passes"), "{out}");
}

#[test]
fn the_release_summary_for_the_review_item() {
    let t = released();
    t.write("db/migrate/20260101000000_drop_email.rb", RAILS_DROP);
    let tip = t.commit("Drop email");
    let tag = t
        .repo
        .revparse_single("v1.0.0")
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id();
    let range = shipgate::inputs::history::Range {
        label: "v1.0.0..HEAD".into(),
        commits: Vec::new(),
        include: vec![tip],
        exclude: vec![tag],
        unbounded: false,
    };
    let rel = shipgate::kinds::migrations::in_range(&t.repo, &range).unwrap();
    assert_eq!(
        rel.migrations(),
        ["db/migrate/20260101000000_drop_email.rb"]
    );
    let (found, suppressed) = rel.findings(
        "migrations-reviewed",
        &[shipgate::kinds::migrations::Class::Destructive],
    );
    assert_eq!((found.len(), suppressed), (1, 0));
    assert_eq!(
        rel.summary(),
        "1 migration(s) in v1.0.0..HEAD (db/migrate/20260101000000_drop_email.rb): destructive 1"
    );
}

/// A migration of thousands of unterminated blocks is read in linear time (block ends are indexed
/// once per file), and one over the size limit is named, not read.
#[test]
fn large_migrations_are_bounded() {
    let t = released();
    let mut rb = String::from("class X < ActiveRecord::Migration[7.1]\n");
    while rb.len() < 256 << 10 {
        rb.push_str("  def up\n    remove_column :users, :c, :string\n");
    }
    let big = "SELECT 1;\n".repeat((1 << 20) / 10 + 1);
    t.write("db/migrate/20260101000000_x.rb", &rb)
        .write("db/migrations/000002_big.up.sql", &big)
        .write("db/migrations/000002_big.down.sql", "SELECT 1;\n");
    t.commit("Large migrations");
    let started = std::time::Instant::now();
    let (code, r) = run(&t, &["destructive-migrations", "unparsed-migrations"]);
    assert_eq!(code, 1, "{r:#}");
    assert!(found(&r, "destructive-migrations").len() > 1000);
    let unparsed = found(&r, "unparsed-migrations");
    assert_eq!(unparsed.len(), 1, "{unparsed:#?}");
    assert!(
        unparsed[0].2.contains("over the 1048576-byte limit"),
        "{}",
        unparsed[0].2
    );
    assert!(started.elapsed().as_secs() < 60);
}

/// CI's shallow clone hides the range: a tip without any migration file still passes (nothing
/// can have been added or changed), and without tags nothing released was edited; otherwise
/// the checks fail closed.
#[test]
fn shallow_clones_fail_closed_unless_there_are_no_migrations() {
    let t = TestRepo::new();
    t.write("src/app.py", "print(1)\n");
    t.commit("One");
    t.write("src/app.py", "print(2)\n");
    t.commit("Two");
    let clone = |name: &str| {
        let dir = t.dir.path().join(name);
        let url = format!("file://{}", t.root.display());
        git(
            &t.home,
            t.dir.path(),
            &["clone", "-q", "--depth", "1", &url, dir.to_str().unwrap()],
        );
        dir
    };
    let json = |dir: &std::path::Path, ids: &[&str]| {
        let mut args = vec!["run", "-f", "json", "--stage", "release"];
        for id in ids {
            args.extend(["--only", id]);
        }
        let out = t.cmd().current_dir(dir).args(&args).output().unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap(), r)
    };
    let plain = clone("plain");
    let (code, r) = json(&plain, &["destructive-migrations", "locking-migrations"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "destructive-migrations"), "pass");
    // Without any tag nothing was released, so nothing released was edited.
    let (code, r) = json(&plain, &["edited-migrations"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "edited-migrations"), "pass");

    t.write("db/migrate/20260101000000_drop_email.rb", RAILS_DROP);
    t.commit("Drop email");
    let with = clone("with");
    let (code, r) = json(&with, &["destructive-migrations"]);
    assert_eq!(code, 2, "{r:#}");
    let reason = check(&r, "destructive-migrations")["reason"]
        .as_str()
        .unwrap();
    assert!(reason.contains("fetch-depth: 0"), "{reason}");
}

/// Django's AlterField restates the whole field: what changed is read from the field's earlier
/// definition in the app's migrations (here: a type and null=True dropped).
#[test]
fn django_alter_field_is_compared_with_the_earlier_definition() {
    let t = TestRepo::new();
    t.write(
        "shop/migrations/0001_initial.py",
        "operations = [\n    migrations.CreateModel(\n        name='Order',\n        fields=[\n            ('id', models.AutoField(primary_key=True)),\n            ('ref', models.CharField(max_length=9, null=True, help_text='(optional)')),\n            ('note', models.TextField()),\n        ],\n    ),\n]\n",
    );
    t.commit("Initial");
    t.tag("v1.0.0");
    t.write(
        "shop/migrations/0002_alter.py",
        "operations = [\n    migrations.AlterField(model_name='order', name='ref', field=models.IntegerField()),\n    migrations.AlterField(model_name='order', name='note', field=models.TextField(help_text='Notes')),\n]\n",
    );
    t.commit("Alter fields");
    let (code, r) = run(&t, &["incompatible-migrations"]);
    assert_eq!(code, 1, "{r:#}");
    let f = found(&r, "incompatible-migrations");
    let rules: Vec<(&str, u64)> = f
        .iter()
        .map(|(_, l, m)| (m.split(':').next().unwrap(), *l))
        .collect();
    assert_eq!(
        rules,
        [("change-column-type", 2), ("set-not-null", 2)],
        "{f:#?}"
    );
    assert!(
        f[0].2.contains("from CharField to IntegerField"),
        "{}",
        f[0].2
    );
}

/// wger swaps integer keys for UUIDs: `RemoveField('id')`, then `RenameField('uuid', 'id')` of
/// the UUID field an earlier migration of the release added, then `AlterField('id', UUIDField
/// (primary_key=True))`. The data of the old column is gone (destructive), but the name is
/// back: code naming `id` names the new field, and the AlterField changes no type; nor does a
/// UUID field made a ForeignKey (its column is the target's key). Beside them, a
/// column removed and not given back is still used by the code, and an AlterField that does
/// change what a renamed field was is reported.
#[test]
fn django_a_field_removed_and_renamed_into_place_leaves_no_name_behind() {
    let t = TestRepo::new();
    t.write(
        "shop/migrations/0001_initial.py",
        "operations = [\n    migrations.CreateModel(\n        name='Order',\n        fields=[\n            ('id', models.AutoField(primary_key=True)),\n            ('legacy', models.TextField()),\n            ('code', models.CharField(max_length=9)),\n        ],\n    ),\n]\n",
    )
    .write(
        "shop/models.py",
        "class Order(models.Model):\n    id = models.UUIDField(primary_key=True)\n    def show(self):\n        return Order.objects.get(id=self.id).legacy\n",
    );
    t.commit("Initial");
    t.tag("v1.0.0");
    t.write(
        "shop/migrations/0002_uuid.py",
        "operations = [\n    migrations.AddField(model_name='order', name='uuid', field=models.UUIDField(null=True)),\n    migrations.AddField(model_name='order', name='uuid_ref', field=models.UUIDField(null=True)),\n    migrations.AddField(model_name='order', name='ref_tmp', field=models.CharField(max_length=9, null=True)),\n]\n",
    )
    .write(
        "shop/migrations/0003_swap.py",
        "operations = [\n    migrations.RemoveField(model_name='order', name='id'),\n    migrations.RenameField(model_name='order', old_name='uuid', new_name='id'),\n    migrations.AlterField(model_name='order', name='id', field=models.UUIDField(primary_key=True)),\n    migrations.RemoveField(model_name='order', name='legacy'),\n    migrations.RenameField(model_name='order', old_name='code', new_name='ref'),\n    migrations.AlterField(model_name='order', name='ref', field=models.IntegerField()),\n    migrations.AlterField(model_name='order', name='uuid_ref', field=models.ForeignKey(to='shop.Order', null=True)),\n]\n",
    );
    // A field added nullable and made NOT NULL in the same migration: the old version's inserts,
    // which do not set it, fail (Django's `default=` is the new version's, in Python).
    t.write(
        "shop/migrations/0004_token.py",
        "operations = [\n    migrations.AddField(model_name='order', name='token', field=models.UUIDField(null=True)),\n    migrations.AlterField(model_name='order', name='token', field=models.UUIDField()),\n]\n",
    );
    t.commit("UUID keys");
    let (_, r) = run(
        &t,
        &[
            "destructive-migrations",
            "dropped-column-still-used",
            "incompatible-migrations",
        ],
    );
    assert_eq!(
        places(&r, "destructive-migrations"),
        [
            "shop/migrations/0003_swap.py:2",
            "shop/migrations/0003_swap.py:5"
        ],
        "{r:#}"
    );
    let used = found(&r, "dropped-column-still-used");
    assert_eq!(used.len(), 1, "{used:#?}");
    assert!(used[0].2.contains("`legacy`"), "{}", used[0].2);
    // Where incompatible-migrations reports one rule, as `path:line`.
    let of_rule = |rule: &str| -> Vec<String> {
        found(&r, "incompatible-migrations")
            .into_iter()
            .filter(|(_, _, m)| m.starts_with(rule))
            .map(|(p, l, _)| format!("{p}:{l}"))
            .collect()
    };
    assert_eq!(
        of_rule("change-column-type"),
        ["shop/migrations/0003_swap.py:7"],
        "{r:#}"
    );
    assert_eq!(
        of_rule("set-not-null"),
        ["shop/migrations/0004_token.py:3"],
        "the swapped FK keeps the old version's nullability: {r:#}"
    );
}

/// A table an earlier migration of the same release creates is new: dropping a column of it in a
/// later migration breaks nothing deployed. A released migration only reformatted in the range
/// adds nothing to run. Beside each, the same operation on a released table is reported.
#[test]
fn what_the_release_itself_creates_or_reformats_is_not_reported() {
    let t = released();
    t.write(
        "db/migrations/000001_users.up.sql",
        "CREATE TABLE users (id int, legacy text);\n",
    )
    .write("db/migrations/000001_users.down.sql", "DROP TABLE users;\n");
    t.commit("Users");
    t.tag("v1.1.0");
    t.write(
        "db/migrations/000002_boards.up.sql",
        "CREATE TABLE boards (id int, slug text);\n",
    )
    .write(
        "db/migrations/000002_boards.down.sql",
        "DROP TABLE boards;\n",
    )
    .write(
        "db/migrations/000003_drop.up.sql",
        "ALTER TABLE boards DROP COLUMN slug;\nALTER TABLE users DROP COLUMN legacy;\n",
    )
    .write("db/migrations/000003_drop.down.sql", "SELECT 1;\n")
    // Reformatted only: spacing and a comment.
    .write(
        "db/migrations/000001_users.up.sql",
        "-- the users\nCREATE TABLE users (\n  id int,\n  legacy text\n);\n",
    );
    t.commit("Boards");
    let (code, r) = run(&t, &["destructive-migrations", "edited-migrations"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        places(&r, "destructive-migrations"),
        ["db/migrations/000003_drop.up.sql:2"]
    );
    assert!(found(&r, "edited-migrations").is_empty(), "{r:#}");
}

/// A column or table the release's own migrations add existed in no released version: dropping,
/// renaming or retyping it again within the release breaks nothing that runs (maybe's
/// `families.trial_started_at`, added and dropped between v0.5.0 and v0.6.0; its `api_keys`
/// table created, then its `key` column removed). The true cases beside them: a column of the
/// released schema dropped, and a column new in this release made NOT NULL on a table the old
/// version writes.
#[test]
fn what_the_release_itself_added_can_change_again_within_it() {
    let t = released();
    t.write(
        "db/migrate/20250501000000_add_trial.rb",
        "class AddTrial < ActiveRecord::Migration[7.2]\n  def change\n    add_column :families, :trial_started_at, :datetime\n    add_column :merchants, :kind, :string\n    create_table :api_keys do |t|\n      t.string :key\n      t.string :resource_owner_id\n    end\n  end\nend\n",
    )
    .write(
        "db/migrate/20250601000000_rework.rb",
        "class Rework < ActiveRecord::Migration[7.2]\n  def change\n    remove_column :families, :trial_started_at, :datetime\n    remove_column :families, :stripe_plan_id, :string\n    remove_column :api_keys, :key, :string\n    rename_column :merchants, :kind, :category\n    change_column_null :merchants, :category, false\n  end\nend\n",
    )
    .write(
        "db/migrate/20250602000000_fix_owner.rb",
        "class FixOwner < ActiveRecord::Migration[7.2]\n  def up\n    change_column :api_keys, :resource_owner_id, :uuid\n  end\n\n  def down\n    change_column :api_keys, :resource_owner_id, :string\n  end\nend\n",
    );
    t.commit("Rework billing");
    let (code, r) = run(&t, &["destructive-migrations", "incompatible-migrations"]);
    assert_eq!(code, 1, "{r:#}");
    let drops = found(&r, "destructive-migrations");
    assert_eq!(drops.len(), 1, "{drops:?}");
    assert!(drops[0].2.contains("families.stripe_plan_id"), "{drops:?}");
    let changes = found(&r, "incompatible-migrations");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(
        changes[0].2.contains("merchants.category") && changes[0].0.ends_with("_rework.rb"),
        "{changes:?}"
    );
}

/// A comment that names a dropped column does not use it, nor does a file that defines the name
/// as its own method or attribute (maybe's importers: `attr_reader :start_date` beside the
/// dropped `syncs.start_date`, a log line that says "sync"). The true case beside them: the
/// model that still reads the column in code is reported.
#[test]
fn comments_and_a_files_own_definitions_are_not_uses_of_a_dropped_column() {
    let t = released();
    t.write(
        "app/models/sync.rb",
        "class Sync < ApplicationRecord\n  # start_date was replaced by window_start\n  def window\n    start_date..window_end\n  end\nend\n",
    )
    .write(
        "app/models/importer.rb",
        "class Importer\n  def initialize(start_date:)\n    @start_date = start_date\n  end\n\n  def run\n    log(\"no new rates to sync since #{start_date}\")\n  end\n\n  private\n    attr_reader :start_date\nend\n",
    )
    .write(
        "db/migrate/20260101000000_drop_start.rb",
        "class DropStart < ActiveRecord::Migration[7.2]\n  def change\n    remove_column :syncs, :start_date, :date\n  end\nend\n",
    );
    t.commit("Drop syncs.start_date");
    let (code, r) = run(&t, &["dropped-column-still-used"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        places(&r, "dropped-column-still-used"),
        ["app/models/sync.rb:4"]
    );
}

/// A Rails model whose concern defines the dropped column's name as a method (maybe's
/// `include Syncable`, whose `def last_synced_at` replaces `plaid_items.last_synced_at`): the
/// views' `plaid_item.last_synced_at` calls the method. The true case beside it: with no such
/// method, the view still reads the dropped column.
#[test]
fn a_method_a_models_concern_defines_replaces_the_dropped_column() {
    let t = released();
    t.write(
        "app/models/plaid_item.rb",
        "class PlaidItem < ApplicationRecord\n  include Syncable, Provided\nend\n",
    )
    .write(
        "app/models/concerns/syncable.rb",
        "module Syncable\n  extend ActiveSupport::Concern\n\n  def last_synced_at\n    latest_sync&.completed_at\n  end\nend\n",
    )
    .write(
        "app/views/plaid_items/_plaid_item.html.erb",
        "<p><%= plaid_item.last_synced_at %></p>\n",
    )
    .write(
        "db/migrate/20260101000000_dynamic_last_synced.rb",
        "class DynamicLastSynced < ActiveRecord::Migration[7.2]\n  def change\n    remove_column :plaid_items, :last_synced_at, :datetime\n  end\nend\n",
    );
    t.commit("Compute last_synced_at from syncs");
    let (code, r) = run(&t, &["dropped-column-still-used"]);
    assert_eq!(code, 0, "{r:#}");
    t.write(
        "app/models/concerns/syncable.rb",
        "module Syncable\n  extend ActiveSupport::Concern\nend\n",
    );
    t.commit("no method");
    let (code, r) = run(&t, &["dropped-column-still-used"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        places(&r, "dropped-column-still-used"),
        ["app/views/plaid_items/_plaid_item.html.erb:1"]
    );
}

/// huginn removed its Basecamp agent's notice from a 2014 migration: a block that only `puts` a
/// message to the operator (behind a condition that only reads) changes nothing a database ran.
/// The true cases beside it: removing a schema change, or a block that writes data, from a
/// released migration is still an edit.
#[test]
fn a_released_rails_migration_edited_only_to_drop_a_message_is_not_an_edit() {
    let notice = "    if Agent.where(type: ['Agents::BasecampAgent']).count > 0\n      puts <<-EOF.strip_heredoc\n\n        Your Basecamp agents can not be migrated automatically.\n      EOF\n      migrated = true\n    end\n";
    let migration = |middle: &str| {
        format!("class MigrateAgents < ActiveRecord::Migration[4.2]\n  def up\n    migrated = false\n    add_column :agents, :service_id, :integer\n{middle}    sleep 20 if migrated\n  end\nend\n")
    };
    let write = "    Agent.where(type: ['Agents::BasecampAgent']).update_all(disabled: true)\n";
    for (removed, reported) in [(notice, false), (write, true)] {
        let t = TestRepo::new();
        t.write(
            "db/migrate/20140525150140_migrate_agents.rb",
            migration(removed),
        );
        t.commit("Initial");
        t.tag("v1.0.0");
        t.write("db/migrate/20140525150140_migrate_agents.rb", migration(""));
        t.commit("Drop the Basecamp agent");
        let (_, r) = run(&t, &["edited-migrations"]);
        assert_eq!(
            !found(&r, "edited-migrations").is_empty(),
            reported,
            "{removed}: {r:#}"
        );
    }
    // The schema change itself removed.
    let t = TestRepo::new();
    t.write(
        "db/migrate/20140525150140_migrate_agents.rb",
        migration(notice),
    );
    t.commit("Initial");
    t.tag("v1.0.0");
    t.write(
        "db/migrate/20140525150140_migrate_agents.rb",
        migration(notice).replace("    add_column :agents, :service_id, :integer\n", ""),
    );
    t.commit("No column");
    let (_, r) = run(&t, &["edited-migrations"]);
    assert_eq!(found(&r, "edited-migrations").len(), 1, "{r:#}");
}
