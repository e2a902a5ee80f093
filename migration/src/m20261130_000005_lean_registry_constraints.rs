//! Makes the registry tables cheaper to write without allowing anything new:
//!
//! - SQLite checks `category`, `access_type` and `change_type` with `=` … `OR` instead of
//!   `IN (…)`. The two accept exactly the same values, but SQLite evaluates a CHECK's `IN` list
//!   through a temporary index that it rebuilds for every row: a fresh 100k-variable import
//!   (410k rows) spent about a third of its time there.
//! - The change log no longer has a foreign key to `system_variables`. It is the audit trail:
//!   its rows are only ever appended, the importer and the writers fill `variable_id` inside the
//!   transaction that creates the variable, and history must not be erased together with a
//!   variable (the old key said ON DELETE CASCADE). Checking it cost another fifth of the import.
//!
//! SQLite cannot alter a constraint, so its three tables are rebuilt the documented way
//! (<https://sqlite.org/lang_altertable.html#otheralter>): on one connection with foreign keys
//! off, in one transaction, ids, AUTOINCREMENT counters and indexes preserved. PostgreSQL keeps
//! its `IN` checks (they cost it nothing) and only drops the change log's foreign key.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::sqlx::{self, Connection, Row};
use sea_orm_migration::sea_orm::{DatabaseBackend, DatabaseExecutor};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// One SQLite table in two shapes: `lean` (after this migration) and `original` (migration 2).
struct SqliteTable {
    name: &'static str,
    lean: &'static str,
    original: &'static str,
    indexes: &'static [&'static str],
}

// The column lists are identical in both shapes (same names, same order), so rows copy with
// `SELECT *`. Each DDL creates `{name}_rebuilt`, which is renamed once the old table is gone.
const TABLES: [SqliteTable; 3] = [
    SqliteTable {
        name: "system_variables",
        lean: r#"CREATE TABLE "system_variables_rebuilt" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar NOT NULL UNIQUE, "display_name" varchar NOT NULL, "units" varchar NOT NULL DEFAULT '', "description" text NOT NULL DEFAULT '', "category" varchar NOT NULL CHECK ("category" = 'config' OR "category" = 'prot' OR "category" = 'oper'), "locator" varchar NOT NULL, "variable_version" integer NOT NULL DEFAULT 1 CHECK ("variable_version" >= 1), "system_version" integer NOT NULL, "last_updated" timestamp_with_timezone_text NOT NULL, "source_system" varchar NOT NULL, "deleted" boolean NOT NULL DEFAULT FALSE )"#,
        original: r#"CREATE TABLE "system_variables_rebuilt" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar NOT NULL UNIQUE, "display_name" varchar NOT NULL, "units" varchar NOT NULL DEFAULT '', "description" text NOT NULL DEFAULT '', "category" varchar NOT NULL CHECK ("category" IN ('config', 'prot', 'oper')), "locator" varchar NOT NULL, "variable_version" integer NOT NULL DEFAULT 1 CHECK ("variable_version" >= 1), "system_version" integer NOT NULL, "last_updated" timestamp_with_timezone_text NOT NULL, "source_system" varchar NOT NULL, "deleted" boolean NOT NULL DEFAULT FALSE )"#,
        indexes: &[
            r#"CREATE INDEX "idx_system_variables_system_version" ON "system_variables" ("system_version")"#,
        ],
    },
    SqliteTable {
        name: "variable_access_paths",
        lean: r#"CREATE TABLE "variable_access_paths_rebuilt" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "variable_id" integer NOT NULL, "access_type" varchar NOT NULL CHECK ("access_type" = 'memory_offset' OR "access_type" = 'modbus' OR "access_type" = 'can' OR "access_type" = 'rs485'), "reference" text NOT NULL, "priority" integer NOT NULL DEFAULT 0, "read_only" boolean NOT NULL DEFAULT FALSE, "rack_number" integer NULL, "device_id" varchar NULL, "path_version" integer NOT NULL DEFAULT 1, "system_version" integer NOT NULL, "last_updated" timestamp_with_timezone_text NOT NULL, "active" boolean NOT NULL DEFAULT TRUE, FOREIGN KEY ("variable_id") REFERENCES "system_variables" ("id") ON DELETE CASCADE )"#,
        original: r#"CREATE TABLE "variable_access_paths_rebuilt" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "variable_id" integer NOT NULL, "access_type" varchar NOT NULL CHECK ("access_type" IN ('memory_offset', 'modbus', 'can', 'rs485')), "reference" text NOT NULL, "priority" integer NOT NULL DEFAULT 0, "read_only" boolean NOT NULL DEFAULT FALSE, "rack_number" integer NULL, "device_id" varchar NULL, "path_version" integer NOT NULL DEFAULT 1, "system_version" integer NOT NULL, "last_updated" timestamp_with_timezone_text NOT NULL, "active" boolean NOT NULL DEFAULT TRUE, FOREIGN KEY ("variable_id") REFERENCES "system_variables" ("id") ON DELETE CASCADE )"#,
        indexes: &[
            r#"CREATE INDEX "idx_access_paths_variable" ON "variable_access_paths" ("variable_id")"#,
            r#"CREATE INDEX "idx_access_paths_system_version" ON "variable_access_paths" ("system_version")"#,
        ],
    },
    SqliteTable {
        name: "variable_change_log",
        lean: r#"CREATE TABLE "variable_change_log_rebuilt" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "variable_id" integer NOT NULL, "path_id" integer NULL, "change_type" varchar NOT NULL CHECK ("change_type" = 'created' OR "change_type" = 'updated' OR "change_type" = 'deleted' OR "change_type" = 'path_added' OR "change_type" = 'path_updated' OR "change_type" = 'path_removed'), "field_name" varchar NULL, "old_value" text NULL, "new_value" text NULL, "timestamp" timestamp_with_timezone_text NOT NULL, "changed_by" varchar NOT NULL, "source_system" varchar NOT NULL, "variable_version" integer NOT NULL, "system_version" integer NOT NULL )"#,
        original: r#"CREATE TABLE "variable_change_log_rebuilt" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "variable_id" integer NOT NULL, "path_id" integer NULL, "change_type" varchar NOT NULL CHECK ("change_type" IN ('created', 'updated', 'deleted', 'path_added', 'path_updated', 'path_removed')), "field_name" varchar NULL, "old_value" text NULL, "new_value" text NULL, "timestamp" timestamp_with_timezone_text NOT NULL, "changed_by" varchar NOT NULL, "source_system" varchar NOT NULL, "variable_version" integer NOT NULL, "system_version" integer NOT NULL, FOREIGN KEY ("variable_id") REFERENCES "system_variables" ("id") ON DELETE CASCADE )"#,
        indexes: &[
            r#"CREATE INDEX "idx_change_log_variable" ON "variable_change_log" ("variable_id")"#,
            r#"CREATE INDEX "idx_change_log_system_version" ON "variable_change_log" ("system_version")"#,
        ],
    },
];

const POSTGRES_CHANGE_LOG_FK: &str = "fk_change_log_variable";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => rebuild_sqlite(manager, |t| t.lean).await,
            _ => {
                manager
                    .get_connection()
                    .execute_unprepared(&format!(
                        r#"ALTER TABLE "variable_change_log" DROP CONSTRAINT IF EXISTS "{POSTGRES_CHANGE_LOG_FK}""#
                    ))
                    .await?;
                Ok(())
            }
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => rebuild_sqlite(manager, |t| t.original).await,
            _ => {
                manager
                    .get_connection()
                    .execute_unprepared(&format!(
                        r#"ALTER TABLE "variable_change_log" ADD CONSTRAINT "{POSTGRES_CHANGE_LOG_FK}" FOREIGN KEY ("variable_id") REFERENCES "system_variables" ("id") ON DELETE CASCADE"#
                    ))
                    .await?;
                Ok(())
            }
        }
    }
}

/// Rebuilds the three tables into the shape `ddl` picks, on one pooled connection.
async fn rebuild_sqlite(
    manager: &SchemaManager<'_>,
    ddl: fn(&SqliteTable) -> &'static str,
) -> Result<(), DbErr> {
    let DatabaseExecutor::Connection(db) = manager.get_connection() else {
        return Err(DbErr::Migration(
            "the SQLite table rebuild needs its own connection, not a transaction".into(),
        ));
    };
    let mut conn = db
        .get_sqlite_connection_pool()
        .acquire()
        .await
        .map_err(sqlx_error)?;
    // Dropping a parent table with foreign keys on would cascade-delete its children, and the
    // setting cannot change inside a transaction: switch it off around the transaction.
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await
        .map_err(sqlx_error)?;
    let rebuilt = rebuild_in_transaction(&mut conn, ddl).await;
    let restored = sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await;
    if restored.is_err() {
        // Never hand a connection without foreign keys back to the pool.
        conn.close_on_drop();
    }
    rebuilt?;
    restored.map_err(sqlx_error)?;
    Ok(())
}

async fn rebuild_in_transaction(
    conn: &mut sqlx::SqliteConnection,
    ddl: fn(&SqliteTable) -> &'static str,
) -> Result<(), DbErr> {
    let mut txn = conn.begin().await.map_err(sqlx_error)?;
    for table in &TABLES {
        let name = table.name;
        let rebuilt = format!("{name}_rebuilt");
        let mut statements = vec![
            String::from(ddl(table)),
            format!(r#"INSERT INTO "{rebuilt}" SELECT * FROM "{name}""#),
            // Keep the AUTOINCREMENT high-water mark: ids of deleted rows are never reused.
            format!("DELETE FROM sqlite_sequence WHERE name = '{rebuilt}'"),
            format!(
                "INSERT INTO sqlite_sequence (name, seq) SELECT '{rebuilt}', seq FROM sqlite_sequence WHERE name = '{name}'"
            ),
            format!(r#"DROP TABLE "{name}""#),
            format!(r#"ALTER TABLE "{rebuilt}" RENAME TO "{name}""#),
        ];
        statements.extend(table.indexes.iter().map(|index| String::from(*index)));
        for statement in statements {
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&mut *txn)
                .await
                .map_err(sqlx_error)?;
        }
    }
    let violations = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut *txn)
        .await
        .map_err(sqlx_error)?;
    if let Some(first) = violations.first() {
        let table: String = first.try_get(0).unwrap_or_default();
        return Err(DbErr::Migration(format!(
            "rebuilding the registry tables would break {} foreign key(s), first in {table}; nothing was changed",
            violations.len()
        )));
    }
    txn.commit().await.map_err(sqlx_error)
}

fn sqlx_error(error: sqlx::Error) -> DbErr {
    DbErr::Migration(format!("rebuilding the registry tables: {error}"))
}
