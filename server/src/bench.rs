//! `powerdeck bench registry`: measures the registry's figures on generated data and prints them.
//! Uses its own throw-away databases, never the configured one.

use std::time::{Duration, Instant};

use anyhow::Context;
use app::ssr::state::AppState;
use axum::body::Body;
use axum::http::Request;
use clap::Subcommand;
use leptos::prelude::LeptosOptions;
use model::registry::{Category, VariableQuery};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use services::registry::index::RegistryIndex;
use services::registry::{import, query};
use tower::ServiceExt;

use services::database::{self, DatabaseTarget};

#[derive(Debug, Clone, Subcommand)]
pub enum BenchTarget {
    /// Import, re-import, list, change feed and page figures at registry scale.
    Registry {
        /// How many variables to generate.
        #[arg(long, default_value_t = 100_000)]
        variables: usize,
        /// Also run the import on this PostgreSQL server (an empty database is created on it).
        #[arg(long, env = "POWERDECK_BENCH_PG_URL")]
        postgres_url: Option<String>,
    },
    /// Poll cycle, sustained polling CPU, and write + read-back figures against the simulator.
    Io {
        /// How long the 100-device polling run lasts.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
    /// Deploy of 20 quantities × 2 sides × 3 levels with read-back, and alarm engine speed.
    Protections,
    /// Import of ten generated config.yaml files (about 29,500 rows) and the site tree's response.
    Site {
        /// Also run on this PostgreSQL server (an empty database is created on it).
        #[arg(long, env = "POWERDECK_BENCH_PG_URL")]
        postgres_url: Option<String>,
    },
    /// Access control: an argon2id hash, a sign-in, and a session cookie's and a bearer token's
    /// lookup (what an authenticated request adds).
    Auth {
        /// Also run on this PostgreSQL server (an empty database is created on it).
        #[arg(long, env = "POWERDECK_BENCH_PG_URL")]
        postgres_url: Option<String>,
    },
    /// Pack failover in poll cycles: a real TCP primary stopped and restarted, an RTU secondary
    /// on a pseudo-terminal.
    SiteFailover {
        #[arg(long, default_value_t = 3)]
        rounds: u32,
        /// Milliseconds between two poll cycles.
        #[arg(long, default_value_t = 1000)]
        period_ms: u64,
        /// Cycles the primary must answer before it serves again.
        #[arg(long, default_value_t = 5)]
        hold_cycles: u32,
    },
}

/// The server's state over a bench database, with no field I/O and no protections.
pub(crate) fn bench_state(
    db: DatabaseConnection,
    database_info: model::system::DatabaseInfo,
) -> AppState {
    AppState {
        leptos_options: LeptosOptions::builder().output_name("powerdeck").build(),
        db,
        database_info,
        started_at: Instant::now(),
        registry_index: RegistryIndex::new(),
        field: Default::default(),
        protections: Default::default(),
        // The benches time reads; what signing in adds is `bench auth`'s figure.
        access: app::ssr::state::Access {
            anonymous_read: true,
            ..Default::default()
        },
    }
}

/// Generated definition files: realistic table names and variable families, `_gap` entries, and
/// one variable in twenty reachable through a second table.
pub fn generate(variables: usize) -> (String, String) {
    const ITEMS_PER_TABLE: usize = 2_000;
    let mut tables: Vec<serde_json::Value> = Vec::new();
    let mut mirrors: Vec<serde_json::Value> = Vec::new();
    let mut made = 0;
    let mut table_no = 0;
    while made < variables {
        table_no += 1;
        let rack = table_no;
        let (prefix, kind) = match table_no % 10 {
            0 => ("prot", "hold"),
            1 => ("config", "sm16"),
            _ => ("oper", "sm16"),
        };
        let table = format!("{prefix}:rack{rack:03}:{kind}");
        let mut items = Vec::new();
        let mut offset = 0u32;
        let count = ITEMS_PER_TABLE.min(variables - made);
        for i in 0..count {
            if i % 50 == 49 {
                items.push(serde_json::json!({"name": format!("_gap{i}"), "offset": offset, "size": 2, "num": 2}));
                offset += 4;
            }
            let (module, cell) = (i / 100 + 1, i % 100 + 1);
            let quantity = ["voltage", "temp", "soc", "balance_current"][i % 4];
            let name = format!("rack{rack:03}_module{module:02}_cell{cell:03}_{quantity}");
            let num = if i % 97 == 0 { 16 } else { 1 };
            items.push(serde_json::json!({"name": name, "offset": offset, "size": 2, "num": num}));
            if i % 20 == 0 {
                mirrors.push(serde_json::json!({"name": name, "offset": mirrors.len() * 2}));
            }
            offset += 2 * num;
            made += 1;
        }
        tables.push(serde_json::json!({"table": table, "items": items}));
    }
    tables.push(serde_json::json!({"table": "oper:sbmu:input", "items": mirrors}));
    let metadata = serde_json::json!({
        "defaults": {"category": "oper", "locator": "system.global"},
        "variables": {},
        "patterns": [
            {"name_pattern": ".*_voltage$", "units": "mV", "locator": "rbms.rack[n].module[m].cell[c]"},
            {"name_pattern": ".*_temp$", "units": "°C", "locator": "rbms.rack[n].module[m].cell[c]"},
            {"name_pattern": ".*_soc$", "units": "%", "locator": "rbms.rack[n].module[m]"},
            {"name_pattern": ".*_current$", "units": "A", "locator": "rbms.rack[n].module[m]"}
        ]
    });
    // A JSON value's `Display` is its compact text, as `serde_json::to_string` writes it.
    (
        serde_json::Value::Array(tables).to_string(),
        metadata.to_string(),
    )
}

fn options() -> import::ImportOptions {
    import::ImportOptions {
        dry_run: false,
        prune: false,
        source: "bench".into(),
        actor: "bench".into(),
        caller: None,
    }
}

fn files<'a>(data_def: &'a str, metadata: &'a str) -> import::ImportFiles<'a> {
    import::ImportFiles {
        data_def_name: "generated data_def.json",
        data_def,
        metadata_name: Some("generated var_metadata.json"),
        metadata: Some(metadata),
    }
}

/// Peak resident set size of this process so far, from /proc (Linux).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// A duration in milliseconds, as every bench prints it.
pub(crate) fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The median time of `runs` runs of `f`.
pub(crate) async fn median<F, Fut>(runs: usize, mut f: F) -> anyhow::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f().await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

async fn import_twice(
    db: &DatabaseConnection,
    data_def: &str,
    metadata: &str,
    label: &str,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let report = import::import(db, &files(data_def, metadata), &options())
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let fresh = started.elapsed();
    let log_rows = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM variable_change_log",
        ))
        .await?
        .and_then(|row| row.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0);
    println!(
        "{label}: fresh import          {:>10}  ({} variables, {} paths, {} change-log rows, {} versions)",
        ms(fresh),
        report.new,
        report.paths_added,
        log_rows,
        report.versions_used
    );
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        // Not part of the import: the background task copies the WAL into the database file
        // within a second. Measured here (waiting for that task if it has started) so the cost
        // is on record.
        let started = Instant::now();
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
        println!(
            "{label}: then WAL checkpoint  {:>10}  (background task, after the import returned)",
            ms(started.elapsed())
        );
    }
    if let Some(mb) = peak_rss_mb() {
        println!("{label}: peak RSS after fresh {mb:>7.1} MB");
    }
    let started = Instant::now();
    let again = import::import(db, &files(data_def, metadata), &options())
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    println!(
        "{label}: re-import, no change  {:>10}  ({} unchanged, {} versions taken)",
        ms(started.elapsed()),
        again.unchanged,
        again.versions_used
    );
    anyhow::ensure!(
        again.versions_used == 0,
        "a re-import with no change took versions"
    );
    Ok(())
}

pub async fn run(target: BenchTarget) -> anyhow::Result<()> {
    match target {
        BenchTarget::Registry {
            variables,
            postgres_url,
        } => registry(variables, postgres_url).await,
        BenchTarget::Io { seconds } => crate::bench_io::run(seconds).await,
        BenchTarget::Protections => crate::bench_protections::run().await,
        BenchTarget::Site { postgres_url } => crate::bench_site::run(postgres_url).await,
        BenchTarget::Auth { postgres_url } => crate::bench_auth::run(postgres_url).await,
        BenchTarget::SiteFailover {
            rounds,
            period_ms,
            hold_cycles,
        } => crate::bench_failover::run(rounds, period_ms, hold_cycles).await,
    }
}

/// `bench registry`: imports `variables` generated variables into a throw-away SQLite database
/// (and into one on the PostgreSQL server at `postgres_url`) and prints the registry's figures.
async fn registry(variables: usize, postgres_url: Option<String>) -> anyhow::Result<()> {
    let (data_def, metadata) = generate(variables);
    println!(
        "registry bench: {variables} variables, data_def.json {:.1} MB, {} cores",
        data_def.len() as f64 / 1e6,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    if let Some(mb) = peak_rss_mb() {
        println!("input generated: peak RSS     {mb:>7.1} MB  (the generator's own share)");
    }
    let dir = tempfile::tempdir().context("temporary directory")?;
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
    let target = DatabaseTarget::parse(&url)?;
    let db = database::connect(&target).await?;
    database::migrate(&db).await?;
    import_twice(&db, &data_def, &metadata, "SQLite").await?;
    if let Some(mb) = peak_rss_mb() {
        println!("SQLite: peak RSS so far       {mb:>7.1} MB");
    }

    let index = RegistryIndex::new();
    let started = Instant::now();
    index.current(&db).await.map_err(|e| anyhow::anyhow!(e))?;
    println!(
        "SQLite: list index first load {:>10}  (once per server start)",
        ms(started.elapsed())
    );
    print_list_figures(&db, &index).await?;

    // The index loaded above, so the page figure does not include its first load.
    let state = AppState {
        registry_index: index.clone(),
        ..bench_state(db.clone(), target.info.clone())
    };
    let router = crate::http::router(state);
    print_page_figure(&router).await?;
    crate::bench_prototype::print_vars_offset_p50(&router, variables).await?;
    crate::bench_history::print_history_figures(&db).await?;
    db.close().await?;

    if let Some(admin_url) = postgres_url {
        import_on_postgres(&admin_url, &data_def, &metadata).await?;
    } else {
        println!("PostgreSQL: skipped (pass --postgres-url or POWERDECK_BENCH_PG_URL)");
    }
    if let Some(mb) = peak_rss_mb() {
        println!("peak RSS                      {mb:>7.1} MB");
    }
    Ok(())
}

/// Prints the median times of a filtered list, a list by locator wildcard and a change feed of
/// 1,000 changes.
async fn print_list_figures(db: &DatabaseConnection, index: &RegistryIndex) -> anyhow::Result<()> {
    let filtered = VariableQuery {
        category: Some(Category::Oper),
        q: Some("module07_cell01".into()),
        per_page: Some(50),
        ..VariableQuery::default()
    };
    let list_p50 = median(50, || async {
        query::list_variables(db, index, &filtered)
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        Ok(())
    })
    .await?;
    println!(
        "SQLite: filtered list p50     {:>10}  (category + search, page of 50)",
        ms(list_p50)
    );
    let wildcard = VariableQuery {
        locator: Some("rbms.rack[*].module[*]".into()),
        per_page: Some(50),
        page: Some(20),
        ..VariableQuery::default()
    };
    let wildcard_p50 = median(50, || async {
        query::list_variables(db, index, &wildcard)
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        Ok(())
    })
    .await?;
    println!(
        "SQLite: locator [*] list p50  {:>10}  (page 20)",
        ms(wildcard_p50)
    );

    let current = services::system::system_version_of(db).await?;
    let changes_p50 = median(50, || async {
        let feed = query::changes_since(db, current - 1_000, 1_000)
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        anyhow::ensure!(
            feed.items.len() == 1_000,
            "expected 1,000 changes, got {}",
            feed.items.len()
        );
        Ok(())
    })
    .await?;
    println!("SQLite: changes?since 1,000   {:>10}", ms(changes_p50));
    Ok(())
}

/// Prints the median time of the server's answer to a filtered registry page.
async fn print_page_figure(router: &axum::Router) -> anyhow::Result<()> {
    let page_p50 = median(20, || {
        let router = router.clone();
        async move {
            let response = router
                .oneshot(Request::get("/registry?category=oper&q=cell001").body(Body::empty())?)
                .await?;
            anyhow::ensure!(
                response.status().is_success(),
                "registry page answered {}",
                response.status()
            );
            axum::body::to_bytes(response.into_body(), 16 << 20).await?;
            Ok(())
        }
    })
    .await?;
    println!(
        "SQLite: registry page p50     {:>10}  (server response, filtered)",
        ms(page_p50)
    );
    Ok(())
}

/// Creates an empty database on the PostgreSQL server at `admin_url`, imports the files into it
/// twice (printing the figures), and drops it again.
async fn import_on_postgres(admin_url: &str, data_def: &str, metadata: &str) -> anyhow::Result<()> {
    let name = format!("powerdeck_bench_{}", std::process::id());
    let (admin, url) = crate::bench_site::scratch_database(admin_url, &name).await?;
    let target = DatabaseTarget::parse(&url)?;
    let db = database::connect(&target).await?;
    database::migrate(&db).await?;
    import_twice(&db, data_def, metadata, "PostgreSQL").await?;
    db.close().await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE {name}"))
        .await?;
    Ok(())
}
