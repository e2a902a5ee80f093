//! Opening the database named by `DATABASE_URL`: URL checks, the SQLite data directory, connection
//! settings (WAL with background checkpoints, busy timeout, foreign keys), migrations, and how a
//! write transaction begins ([`begin_write`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use migration::MigratorTrait;
use model::system::{DatabaseBackend, DatabaseInfo};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnAcquireErr, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// How long a SQLite writer waits for the write lock before giving up.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the background task copies committed WAL pages into the SQLite database file.
pub const WAL_CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// Why the database could not be opened; each message names the value at fault.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error(
        "DATABASE_URL {url:?} is not a supported database URL: expected sqlite://PATH?mode=rwc or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    )]
    UnsupportedUrl { url: String },
    #[error("cannot create the data directory {dir}: {error}")]
    CreateDataDir { dir: PathBuf, error: std::io::Error },
    #[error("the data directory {dir} is not writable: {error}")]
    DataDirNotWritable { dir: PathBuf, error: std::io::Error },
    #[error("cannot open the {backend} database at {location}: {error}")]
    Connect {
        backend: &'static str,
        location: String,
        error: sea_orm::DbErr,
    },
    #[error("database migration failed: {0}")]
    Migration(sea_orm::DbErr),
}

/// A checked `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseTarget {
    pub url: String,
    pub info: DatabaseInfo,
    /// The SQLite file, when the backend is SQLite and not in memory.
    pub sqlite_file: Option<PathBuf>,
}

impl DatabaseTarget {
    pub fn parse(url: &str) -> Result<Self, DatabaseError> {
        let unsupported = || DatabaseError::UnsupportedUrl {
            url: redact_password(url),
        };
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(unsupported());
            }
            let in_memory = path == ":memory:";
            return Ok(DatabaseTarget {
                url: url.to_string(),
                info: DatabaseInfo {
                    backend: DatabaseBackend::Sqlite,
                    location: path.to_string(),
                },
                sqlite_file: (!in_memory).then(|| PathBuf::from(path)),
            });
        }
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .ok_or_else(unsupported)?;
        // postgres://user:password@host:port/database?options -> host:port/database
        let without_options = rest.split('?').next().unwrap_or_default();
        let after_credentials = without_options
            .rsplit_once('@')
            .map_or(without_options, |(_, host)| host);
        let (host, database) = after_credentials
            .split_once('/')
            .unwrap_or((after_credentials, ""));
        if host.is_empty() || database.is_empty() {
            return Err(unsupported());
        }
        Ok(DatabaseTarget {
            url: url.to_string(),
            info: DatabaseInfo {
                backend: DatabaseBackend::Postgres,
                location: format!("{host}/{database}"),
            },
            sqlite_file: None,
        })
    }
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`, for error messages and logs.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// Creates the directory of the SQLite file and checks that it is writable.
fn prepare_data_dir(file: &Path) -> Result<(), DatabaseError> {
    let dir = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|error| DatabaseError::CreateDataDir {
        dir: dir.clone(),
        error,
    })?;
    let probe = dir.join(".powerdeck-write-check");
    std::fs::write(&probe, b"ok")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|error| DatabaseError::DataDirNotWritable { dir, error })
}

/// Opens the database (creating the SQLite data directory first) without migrating it.
pub async fn connect(target: &DatabaseTarget) -> Result<DatabaseConnection, DatabaseError> {
    if let Some(file) = &target.sqlite_file {
        prepare_data_dir(file)?;
    }
    let mut options = ConnectOptions::new(target.url.clone());
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    match target.info.backend {
        DatabaseBackend::Sqlite => {
            // A local file: waiting longer for a pooled connection costs nothing at start-up,
            // and under load it beats failing a request.
            options
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .map_sqlx_sqlite_opts(|sqlite| {
                    sqlite
                        // WAL lets the UI read while a background task writes.
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        // Writers queue (SQLite retries, not in arrival order) instead of failing
                        // with SQLITE_BUSY; writes are short, so 30 s only matters under heavy load.
                        .busy_timeout(SQLITE_BUSY_TIMEOUT)
                        .foreign_keys(true)
                        // Rows travel from SQLite's worker thread to the async side through a
                        // bounded channel; at the default 50 a 100k-row load ping-pongs between
                        // the two threads (`bench registry`: list index load, re-import).
                        .row_buffer_size(1024)
                        // 16 MB page cache per connection (default 2 MB): a large import's
                        // B-tree pages stay in memory instead of spilling to the WAL mid-way.
                        .pragma("cache_size", "-16384")
                        // Checkpoints run on their own task (see `checkpoint_wal`), not inside
                        // whichever commit happens to cross SQLite's 1,000-page threshold: that
                        // commit would also copy the whole WAL into the database file (≈ 0.7 s
                        // after a 100k-variable import), and a small write right after a large
                        // one would pay for the large one.
                        .pragma("wal_autocheckpoint", "0")
                        // Statement journals in memory: every multi-row INSERT inside a
                        // transaction keeps one so that it can be undone alone, and on disk a
                        // fresh 100k-variable import wrote ~80 MB of them to /var/tmp.
                        .pragma("temp_store", "memory")
                });
        }
        DatabaseBackend::Postgres => {
            options.max_connections(16);
        }
    }
    let db = Database::connect(options)
        .await
        .map_err(|error| DatabaseError::Connect {
            backend: target.info.backend.label(),
            location: target.info.location.clone(),
            error,
        })?;
    if target.info.backend == DatabaseBackend::Sqlite {
        tokio::spawn(checkpoint_wal(db.clone()));
    }
    Ok(db)
}

/// Copies committed WAL pages into the SQLite database file every second, until the pool is
/// closed. PASSIVE never waits for readers or writers: what it cannot copy now, it copies on a
/// later round. (Closing the last connection checkpoints what is left.)
async fn checkpoint_wal(db: DatabaseConnection) {
    let mut ticks = tokio::time::interval(WAL_CHECKPOINT_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match db
            .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
            .await
        {
            Ok(_) => {}
            Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)) => break,
            Err(error) => tracing::warn!(%error, "SQLite WAL checkpoint failed; retrying"),
        }
    }
}

/// Begins a transaction that will write. Every service's write transaction begins here.
///
/// On SQLite this is `BEGIN IMMEDIATE`: the transaction takes the database's write lock at once,
/// and a writer that finds it taken waits for it (up to [`SQLITE_BUSY_TIMEOUT`]). A plain
/// `BEGIN` is deferred: the transaction starts as a reader, and its first write must upgrade to
/// the write lock. In WAL mode SQLite does not wait for that upgrade: while another connection
/// holds the write lock, or once it has committed since this transaction's first read (its
/// snapshot is stale), the write fails at once with SQLITE_BUSY, `database is locked`; the busy
/// timeout does not apply. Two clients writing at once (say, saving a profile while another
/// activates one) then got a 500 where they should have taken turns.
///
/// On PostgreSQL this is the plain `BEGIN` it always was (`sqlite_transaction_mode` only applies
/// to SQLite): writers wait for the rows they write, and a read-then-write that must not
/// interleave takes its lock itself (`registry::versions::lock`, `protections::profiles`).
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Applies every pending migration; an error stops start-up.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DatabaseError> {
    migration::Migrator::up(db, None)
        .await
        .map_err(DatabaseError::Migration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        let target = DatabaseTarget::parse("sqlite://data/powerdeck.db?mode=rwc").unwrap();
        assert_eq!(target.info.backend, DatabaseBackend::Sqlite);
        assert_eq!(target.info.location, "data/powerdeck.db");
        assert_eq!(target.sqlite_file, Some(PathBuf::from("data/powerdeck.db")));

        let absolute = DatabaseTarget::parse("sqlite:///var/lib/pd.db").unwrap();
        assert_eq!(absolute.sqlite_file, Some(PathBuf::from("/var/lib/pd.db")));

        let memory = DatabaseTarget::parse("sqlite::memory:").unwrap();
        assert_eq!(memory.sqlite_file, None);
    }

    #[test]
    fn postgres_urls_show_host_and_database_but_no_password() {
        let target =
            DatabaseTarget::parse("postgres://pd:secret@127.0.0.1:5433/powerdeck?sslmode=disable")
                .unwrap();
        assert_eq!(target.info.backend, DatabaseBackend::Postgres);
        assert_eq!(target.info.location, "127.0.0.1:5433/powerdeck");
        assert!(!format!("{:?}", target.info).contains("secret"));
    }

    #[test]
    fn unsupported_urls_are_refused_with_the_value_and_without_the_password() {
        for url in [
            "mysql://root@localhost/x",
            "data/powerdeck.db",
            "sqlite://",
            "postgres://host",
        ] {
            let err = DatabaseTarget::parse(url).unwrap_err().to_string();
            assert!(err.contains("not a supported database URL"), "{url}: {err}");
        }
        let err = DatabaseTarget::parse("mysql://root:hunter2@localhost/x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("root:***@localhost"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
