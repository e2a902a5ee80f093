//! Allows the fifth access type, `memory_id` (a 32-bit ID of the controller's shared memory, the
//! prototype's `{"memory_id", "width"}` reference), in `variable_access_paths.access_type`.
//!
//! SQLite cannot alter a CHECK constraint, so the table is rebuilt the documented way
//! (<https://sqlite.org/lang_altertable.html#otheralter>) inside the migration's transaction:
//! ids, the AUTOINCREMENT counter and the indexes are kept. No table refers to the access paths,
//! so foreign keys can stay on. PostgreSQL replaces its named check.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::sqlx::{self, Connection};
use sea_orm_migration::sea_orm::{DatabaseBackend, DatabaseExecutor, Statement};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const TABLE: &str = "variable_access_paths";

/// The table with the access types of `values` allowed (spelled `=` … `OR`, see migration 5).
fn sqlite_table(values: &[&str]) -> String {
    let check = values
        .iter()
        .map(|value| format!(r#""access_type" = '{value}'"#))
        .collect::<Vec<_>>()
        .join(" OR ");
    format!(
        r#"CREATE TABLE "{TABLE}_rebuilt" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "variable_id" integer NOT NULL, "access_type" varchar NOT NULL CHECK ({check}), "reference" text NOT NULL, "priority" integer NOT NULL DEFAULT 0, "read_only" boolean NOT NULL DEFAULT FALSE, "rack_number" integer NULL, "device_id" varchar NULL, "path_version" integer NOT NULL DEFAULT 1, "system_version" integer NOT NULL, "last_updated" timestamp_with_timezone_text NOT NULL, "active" boolean NOT NULL DEFAULT TRUE, FOREIGN KEY ("variable_id") REFERENCES "system_variables" ("id") ON DELETE CASCADE )"#
    )
}

const SQLITE_INDEXES: [&str; 2] = [
    r#"CREATE INDEX "idx_access_paths_variable" ON "variable_access_paths" ("variable_id")"#,
    r#"CREATE INDEX "idx_access_paths_system_version" ON "variable_access_paths" ("system_version")"#,
];

/// PostgreSQL's name for the column check of migration 2.
const POSTGRES_CHECK: &str = "variable_access_paths_access_type_check";

const WITH_MEMORY_ID: [&str; 5] = ["memory_offset", "modbus", "can", "rs485", "memory_id"];
const WITHOUT_MEMORY_ID: [&str; 4] = ["memory_offset", "modbus", "can", "rs485"];

async fn allow(manager: &SchemaManager<'_>, values: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let rebuilt = format!("{TABLE}_rebuilt");
            let mut statements = vec![
                sqlite_table(values),
                format!(r#"INSERT INTO "{rebuilt}" SELECT * FROM "{TABLE}""#),
                format!("DELETE FROM sqlite_sequence WHERE name = '{rebuilt}'"),
                format!(
                    "INSERT INTO sqlite_sequence (name, seq) SELECT '{rebuilt}', seq FROM sqlite_sequence WHERE name = '{TABLE}'"
                ),
                format!(r#"DROP TABLE "{TABLE}""#),
                format!(r#"ALTER TABLE "{rebuilt}" RENAME TO "{TABLE}""#),
            ];
            statements.extend(SQLITE_INDEXES.iter().map(|index| String::from(*index)));
            rebuild_sqlite(db, statements).await?;
        }
        _ => {
            let list = values
                .iter()
                .map(|value| format!("'{value}'"))
                .collect::<Vec<_>>()
                .join(", ");
            db.execute_unprepared(&format!(
                r#"ALTER TABLE "{TABLE}" DROP CONSTRAINT IF EXISTS "{POSTGRES_CHECK}""#
            ))
            .await?;
            db.execute_unprepared(&format!(
                r#"ALTER TABLE "{TABLE}" ADD CONSTRAINT "{POSTGRES_CHECK}" CHECK ("access_type" IN ({list}))"#
            ))
            .await?;
        }
    }
    Ok(())
}

/// Runs the rebuild on one pooled connection in one transaction: spread over the pool, a
/// statement could meet another connection's view of the schema.
async fn rebuild_sqlite(db: &DatabaseExecutor<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    let DatabaseExecutor::Connection(db) = db else {
        return Err(DbErr::Migration(
            "the SQLite table rebuild needs its own connection, not a transaction".into(),
        ));
    };
    let mut conn = db
        .get_sqlite_connection_pool()
        .acquire()
        .await
        .map_err(sqlx_error)?;
    let mut txn = conn.begin().await.map_err(sqlx_error)?;
    for statement in statements {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut *txn)
            .await
            .map_err(sqlx_error)?;
    }
    txn.commit().await.map_err(sqlx_error)
}

fn sqlx_error(error: sqlx::Error) -> DbErr {
    DbErr::Migration(format!("rebuilding {TABLE}: {error}"))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        allow(manager, &WITH_MEMORY_ID).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Paths of the fifth type cannot live under the old check, and history is never deleted.
        let db = manager.get_connection();
        let sql =
            format!(r#"SELECT COUNT(*) AS n FROM "{TABLE}" WHERE "access_type" = 'memory_id'"#);
        let statement = Statement::from_string(manager.get_database_backend(), sql);
        let count: i64 = match db.query_one_raw(statement).await? {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        if count > 0 {
            return Err(DbErr::Migration(format!(
                "{count} access path(s) of type memory_id exist; remove them before reverting this migration"
            )));
        }
        allow(manager, &WITHOUT_MEMORY_ID).await
    }
}
