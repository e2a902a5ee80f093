//! Database suite: migrations and the system version row, on a SQLite file and on PostgreSQL.

mod common;

use app::model::system::DatabaseBackend;
use app::ssr::service::system::{overview, schema_status, system_version};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use server::database;

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
    assert_eq!(
        pragma("busy_timeout").await,
        server::database::SQLITE_BUSY_TIMEOUT
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
