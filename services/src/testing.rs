//! Test databases for the services' and the server's tests (feature `testing`): a fresh SQLite
//! file, a fresh database on the PostgreSQL server named by `POWERDECK_TEST_PG_URL` (the test
//! command starts one on loopback), and the example registry imported into either; and, from
//! `devices::testing`, the polling helper and the pseudo-terminal pair.

// Test support: a fixture that cannot set itself up should stop the test at once, loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tempfile::TempDir;

use crate::database::{self, DatabaseTarget};

/// Polling until a condition holds, and a linked pair of pseudo-terminals: the devices' test
/// support, here too so the server's tests find every fixture in one place.
pub use devices::testing::{PtyPair, eventually};

pub struct TestDb {
    pub db: DatabaseConnection,
    pub target: DatabaseTarget,
    /// Keeps the SQLite file's directory alive for the test's duration.
    _dir: Option<TempDir>,
}

impl TestDb {
    pub fn backend(&self) -> &'static str {
        self.target.info.backend.label()
    }
}

/// An empty SQLite database in a new file (not migrated).
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}/data/test.db?mode=rwc", dir.path().display());
    let target = DatabaseTarget::parse(&url).expect("valid sqlite url");
    let db = database::connect(&target).await.expect("open sqlite");
    TestDb {
        db,
        target,
        _dir: Some(dir),
    }
}

/// An empty database on the test PostgreSQL server (not migrated).
///
/// Panics when `POWERDECK_TEST_PG_URL` is unset, unless `POWERDECK_SKIP_PG=1` says to run
/// SQLite only: the database suite must never pass quietly without PostgreSQL.
pub async fn postgres() -> Option<TestDb> {
    let Ok(admin_url) = std::env::var("POWERDECK_TEST_PG_URL") else {
        if std::env::var("POWERDECK_SKIP_PG").as_deref() == Ok("1") {
            return None;
        }
        panic!(
            "POWERDECK_TEST_PG_URL is not set: run the suite through scripts/test.sh, or set POWERDECK_SKIP_PG=1 to test SQLite only"
        );
    };
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "powerdeck_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let admin = Database::connect(&admin_url)
        .await
        .expect("connect to the test PostgreSQL server");
    // A database of this name may be left from an earlier run whose process had this id.
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .expect("drop a leftover test database");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    admin.close().await.ok();
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("POWERDECK_TEST_PG_URL ends with /DATABASE");
    let target = DatabaseTarget::parse(&format!("{base}/{name}")).expect("valid postgres url");
    let db = database::connect(&target).await.expect("open postgres");
    Some(TestDb {
        db,
        target,
        _dir: None,
    })
}

/// One empty database per backend: SQLite always, PostgreSQL unless explicitly skipped.
pub async fn each_backend() -> Vec<TestDb> {
    let mut databases = vec![sqlite().await];
    databases.extend(postgres().await);
    databases
}

/// Like `each_backend`, with every migration applied.
pub async fn each_backend_migrated() -> Vec<TestDb> {
    let databases = each_backend().await;
    for test_db in &databases {
        database::migrate(&test_db.db)
            .await
            .unwrap_or_else(|err| panic!("{}: migrate: {err}", test_db.backend()));
    }
    databases
}

/// Imports the example registry (`examples/data_def.json` + `var_metadata.json`) as `actor`.
pub async fn import_examples(db: &sea_orm::DatabaseConnection, actor: &str) {
    use crate::registry::import::{ImportFiles, ImportOptions, import};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let data_def = std::fs::read_to_string(dir.join("data_def.json")).unwrap();
    let metadata = std::fs::read_to_string(dir.join("var_metadata.json")).unwrap();
    let files = ImportFiles {
        data_def_name: "data_def.json",
        data_def: &data_def,
        metadata_name: Some("var_metadata.json"),
        metadata: Some(&metadata),
    };
    let options = ImportOptions {
        dry_run: false,
        prune: false,
        source: "test".into(),
        actor: actor.into(),
        caller: None,
    };
    import(db, &files, &options).await.unwrap();
}

/// The `Authorization` header of an API token of `role` on `db`, with both scopes (deploy,
/// device writes): created the first time it is asked for, then the same. Its secret is fixed
/// (`pd_test-<role>…`): only tests use it.
pub async fn test_bearer(db: &DatabaseConnection, role: model::auth::Role) -> String {
    use entity::auth::api_token;
    use sea_orm::{
        ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, EntityTrait, QueryFilter, Set,
    };

    let name = format!("test-{role}");
    let secret = format!(
        "{}test-{role}-0123456789abcdef0123456789",
        crate::auth::TOKEN_PREFIX
    );
    // An unmigrated database has no token table: the header is still given (public routes,
    // such as the readiness probe, do not read it).
    let exists = api_token::Entity::find()
        .filter(api_token::Column::Name.eq(name.as_str()))
        .one(db)
        .await
        .map_or(true, |found| found.is_some());
    if !exists {
        let row = api_token::ActiveModel {
            id: NotSet,
            name: Set(name),
            secret_hash: Set(crate::auth::hash_secret(&secret)),
            prefix: Set(secret.chars().take(7).collect()),
            role: Set(role),
            allow_deploy: Set(true),
            allow_device_writes: Set(true),
            created_by: Set("tests".into()),
            created_at: Set(chrono::Utc::now()),
            expires_at: Set(None),
            last_used_at: Set(None),
            revoked_at: Set(None),
        };
        // Two tests of one database asking at once: the second insert hits the name's unique
        // index, and the token is there either way.
        let _ = row.insert(db).await;
    }
    format!("Bearer {secret}")
}
