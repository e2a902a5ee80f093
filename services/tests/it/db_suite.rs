//! Database suite: migrations and the system version row, on a SQLite file and on PostgreSQL.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use services::testing as common;

use migration::MigratorTrait;
use model::system::DatabaseBackend;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use services::database;
use services::system::{overview, schema_status, system_version};

/// The first integer of every row `sql` returns.
async fn integers(db: &sea_orm::DatabaseConnection, sql: &str) -> Vec<i64> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0).unwrap())
        .collect()
}

/// How many foreign keys `table` declares.
async fn foreign_keys_of(db: &sea_orm::DatabaseConnection, table: &str) -> usize {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => format!("SELECT COUNT(*) FROM pragma_foreign_key_list('{table}')"),
        _ => format!(
            "SELECT COUNT(*) FROM information_schema.table_constraints \
             WHERE table_name = '{table}' AND constraint_type = 'FOREIGN KEY'"
        ),
    };
    integers(db, &sql).await[0] as usize
}

#[tokio::test]
async fn the_lean_constraints_migration_keeps_every_row_and_every_rule() {
    for test_db in common::each_backend().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        // Up to migration 4, with rows in all three tables and a deleted path id (4) that the
        // AUTOINCREMENT counter must keep remembering.
        migration::Migrator::up(db, Some(4)).await.unwrap();
        db.execute_unprepared(
            "INSERT INTO system_variables (id, name, display_name, category, locator, system_version, last_updated, source_system) \
             VALUES (1, 'soc', 'SoC', 'oper', 'system.global', 1, '2026-11-30T00:00:00+00:00', 'test')",
        )
        .await
        .unwrap();
        for version in 1..=4 {
            db.execute_unprepared(&format!(
                "INSERT INTO variable_access_paths (variable_id, access_type, reference, system_version, last_updated) \
                 VALUES (1, 'modbus', '{{}}', {version}, '2026-11-30T00:00:00+00:00')"
            ))
            .await
            .unwrap();
        }
        db.execute_unprepared("DELETE FROM variable_access_paths WHERE id = 4")
            .await
            .unwrap();
        db.execute_unprepared(
            "INSERT INTO variable_change_log (variable_id, change_type, timestamp, changed_by, source_system, variable_version, system_version) \
             VALUES (1, 'created', '2026-11-30T00:00:00+00:00', 'test', 'test', 1, 1)",
        )
        .await
        .unwrap();
        assert_eq!(
            foreign_keys_of(db, "variable_change_log").await,
            1,
            "{backend}"
        );

        database::migrate(db).await.unwrap();

        assert_eq!(
            integers(db, "SELECT id FROM system_variables").await,
            [1],
            "{backend}"
        );
        assert_eq!(
            integers(db, "SELECT id FROM variable_access_paths ORDER BY id").await,
            [1, 2, 3],
            "{backend}"
        );
        assert_eq!(
            integers(db, "SELECT variable_id FROM variable_change_log").await,
            [1]
        );
        assert_eq!(
            foreign_keys_of(db, "variable_change_log").await,
            0,
            "{backend}"
        );
        assert_eq!(
            foreign_keys_of(db, "variable_access_paths").await,
            1,
            "{backend}"
        );
        // The next path id is 5: id 4 is not reused.
        db.execute_unprepared(
            "INSERT INTO variable_access_paths (variable_id, access_type, reference, system_version, last_updated) \
             VALUES (1, 'can', '{}', 5, '2026-11-30T00:00:00+00:00')",
        )
        .await
        .unwrap();
        assert_eq!(
            integers(db, "SELECT MAX(id) FROM variable_access_paths").await,
            [5],
            "{backend}"
        );
        // The same values are still refused, and paths still need their variable.
        for refused in [
            "UPDATE system_variables SET category = 'misc'",
            "UPDATE variable_access_paths SET access_type = 'usb'",
            "UPDATE variable_change_log SET change_type = 'renamed'",
            "UPDATE variable_access_paths SET variable_id = 99",
        ] {
            assert!(
                db.execute_unprepared(refused).await.is_err(),
                "{backend}: {refused} was accepted"
            );
        }
        if backend == "SQLite" {
            let in_lists = integers(
                db,
                "SELECT COUNT(*) FROM sqlite_schema WHERE sql LIKE '% IN (%' \
                 AND tbl_name IN ('system_variables', 'variable_access_paths', 'variable_change_log')",
            )
            .await;
            assert_eq!(in_lists, [0]);
            assert_eq!(integers(db, "PRAGMA foreign_keys").await, [1]);
        }

        // And back to migration 4 (undoing the later ones first): the original constraints
        // return, the rows stay.
        let after_four = u32::try_from(migration::Migrator::migrations().len() - 4).unwrap();
        migration::Migrator::down(db, Some(after_four))
            .await
            .unwrap();
        assert_eq!(
            foreign_keys_of(db, "variable_change_log").await,
            1,
            "{backend}"
        );
        assert_eq!(
            integers(db, "SELECT id FROM variable_access_paths ORDER BY id").await,
            [1, 2, 3, 5],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_fresh_database_is_migrated_to_the_current_schema() {
    for test_db in common::each_backend().await {
        let before = schema_status(&test_db.db).await.unwrap();
        assert!(before.applied.is_empty(), "{}", test_db.backend());
        assert!(!before.pending.is_empty(), "{}", test_db.backend());

        database::migrate(&test_db.db).await.unwrap();

        let after = schema_status(&test_db.db).await.unwrap();
        assert!(after.is_current(), "{}: {after:?}", test_db.backend());
        assert_eq!(after.applied, before.pending, "{}", test_db.backend());
    }
}

#[tokio::test]
async fn migrating_again_changes_nothing() {
    for test_db in common::each_backend_migrated().await {
        let first = schema_status(&test_db.db).await.unwrap();
        database::migrate(&test_db.db).await.unwrap();
        assert_eq!(
            schema_status(&test_db.db).await.unwrap(),
            first,
            "{}",
            test_db.backend()
        );
    }
}

#[tokio::test]
async fn the_system_version_starts_at_zero_in_its_single_row() {
    for test_db in common::each_backend_migrated().await {
        let row = system_version(&test_db.db).await.unwrap();
        assert_eq!(row.id, 1, "{}", test_db.backend());
        assert_eq!(row.current_version, 0, "{}", test_db.backend());
        let age = chrono::Utc::now() - row.last_updated;
        assert!(
            age.num_seconds().abs() < 300,
            "{}: last_updated {} is not the migration time",
            test_db.backend(),
            row.last_updated
        );
    }
}

#[tokio::test]
async fn a_second_system_version_row_is_rejected() {
    for test_db in common::each_backend_migrated().await {
        let result = test_db
            .db
            .execute_unprepared("INSERT INTO system_version (id, current_version) VALUES (2, 0)")
            .await;
        assert!(
            result.is_err(),
            "{}: a second row was accepted",
            test_db.backend()
        );

        let negative = test_db
            .db
            .execute_unprepared("UPDATE system_version SET current_version = -1 WHERE id = 1")
            .await;
        assert!(
            negative.is_err(),
            "{}: a negative version was accepted",
            test_db.backend()
        );
        assert_eq!(
            system_version(&test_db.db).await.unwrap().current_version,
            0
        );
    }
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout() {
    let test_db = common::sqlite().await;
    let pragma = |name: &str| {
        let sql = format!("PRAGMA {name}");
        let db = test_db.db.clone();
        async move {
            let row = db
                .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
                .await
                .unwrap()
                .expect("pragma row");
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .unwrap()
        }
    };
    assert_eq!(pragma("journal_mode").await, "wal");
    assert_eq!(pragma("foreign_keys").await, "1");
    // Checkpoints run on the background task, statement journals stay in memory.
    assert_eq!(pragma("wal_autocheckpoint").await, "0");
    assert_eq!(pragma("temp_store").await, "2");
    assert_eq!(
        pragma("busy_timeout").await,
        services::database::SQLITE_BUSY_TIMEOUT
            .as_millis()
            .to_string()
    );
}

#[tokio::test]
async fn the_overview_reports_backend_schema_and_version() {
    for test_db in common::each_backend_migrated().await {
        let facts = overview(&test_db.db, &test_db.target.info, std::time::Instant::now())
            .await
            .unwrap();
        assert_eq!(facts.database, test_db.target.info);
        assert!(facts.schema_current(), "{}: {facts:?}", test_db.backend());
        assert_eq!(facts.system_version, 0);
        assert_eq!(facts.product_version, env!("CARGO_PKG_VERSION"));
        match test_db.target.info.backend {
            DatabaseBackend::Sqlite => assert!(facts.database.location.ends_with("data/test.db")),
            DatabaseBackend::Postgres => {
                assert!(facts.database.location.contains("powerdeck_test_"))
            }
        }
    }
}
