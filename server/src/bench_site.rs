//! `powerdeck bench site`: the site configuration's figures (issue 12) on generated
//! `config.yaml` files: importing ten systems of about 2,700 rows each, and the site tree's
//! server response. Uses its own throw-away databases, never the configured one.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Body;
use axum::http::Request;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use services::actor::Actor;
use services::database::{self, DatabaseTarget};
use tower::ServiceExt;

use crate::bench::{bench_state, median, ms};

/// Systems imported, one file each.
const SYSTEMS: usize = 10;
const ARRAYS: usize = 10;
const INVERTERS_PER_ARRAY: usize = 10;
const PACKS: usize = 10;
const BATTERIES_PER_PACK: usize = 16;
const CELLS_PER_BATTERY: usize = 16;

/// The rows one generated system makes: the system, its arrays, inverters and their adapters,
/// the battery array, its attachment, packs and their adapters, batteries and cells.
fn rows_per_system() -> usize {
    let inverters = ARRAYS * INVERTERS_PER_ARRAY;
    let batteries = PACKS * BATTERIES_PER_PACK;
    1 + ARRAYS + 2 * inverters + 1 + 1 + 2 * PACKS + batteries + batteries * CELLS_PER_BATTERY
}

/// The id prefix of system `n` (ids are unique across the database, so every system has its own).
fn prefix(n: usize) -> String {
    format!("s{n:02}")
}

/// One system as `config.yaml` (seed 002 §3.2): `ARRAYS` inverter arrays of
/// `INVERTERS_PER_ARRAY` inverters, one battery array of `PACKS` packs of `BATTERIES_PER_PACK` ×
/// `CELLS_PER_BATTERY` cells, every device with a simulator adapter.
pub fn generate_config(n: usize) -> String {
    use std::fmt::Write;
    let p = prefix(n);
    let mut yaml = String::new();
    let _ = writeln!(
        yaml,
        "home:\n  id: {p}_system\n  name: \"Bench site {n}\"\n  timezone: Europe/Berlin\n\narrays:"
    );
    for a in 0..ARRAYS {
        let _ = writeln!(
            yaml,
            "  - id: {p}_array{a}\n    name: \"Array {a}\"\n    inverter_ids:"
        );
        for i in 0..INVERTERS_PER_ARRAY {
            let _ = writeln!(yaml, "      - {p}_inverter{a}_{i}");
        }
    }
    yaml.push_str("\ninverters:\n");
    for a in 0..ARRAYS {
        for i in 0..INVERTERS_PER_ARRAY {
            let _ = writeln!(
                yaml,
                "  - id: {p}_inverter{a}_{i}\n    name: \"Inverter {a}.{i}\"\n    array_id: {p}_array{a}\n    \
                 vendor: simulator\n    phase_type: three\n    adapter:\n      type: simulator_inverter\n      \
                 transport: tcp\n      host: 127.0.0.1\n      port: 5020\n      unit_id: 1"
            );
        }
    }
    let _ = writeln!(
        yaml,
        "\nbattery_bank_arrays:\n  - id: {p}_battery_array\n    name: \"Battery room\"\n    battery_bank_ids:"
    );
    for k in 0..PACKS {
        let _ = writeln!(yaml, "      - {p}_pack{k}");
    }
    yaml.push_str("\nbattery_banks:\n");
    for k in 0..PACKS {
        let _ = writeln!(
            yaml,
            "  - id: {p}_pack{k}\n    name: \"Rack {k}\"\n    battery_array_id: {p}_battery_array\n    \
             chemistry: LFP\n    nominal_kwh: 81.92\n    max_charge_kw: 40\n    max_discharge_kw: 40\n    \
             batteries: {BATTERIES_PER_PACK}\n    cells_per_battery: {CELLS_PER_BATTERY}\n    \
             cell_nominal_voltage: 3.2\n    adapter:\n      type: simulator_bms\n      transport: tcp\n      \
             host: 127.0.0.1\n      port: 5020\n      unit_id: 2"
        );
    }
    let _ = writeln!(
        yaml,
        "\nbattery_bank_array_attachments:\n  - battery_bank_array_id: {p}_battery_array\n    \
         inverter_array_id: {p}_array0\n    attached_since: \"2025-01-01T00:00:00+01:00\""
    );
    yaml
}

/// Reads, checks and imports each file as `powerdeck site import` does; returns the time taken.
async fn import_all(db: &DatabaseConnection, files: &[PathBuf]) -> anyhow::Result<Duration> {
    let actor = Actor::new("bench", "bench");
    let started = Instant::now();
    for file in files {
        let spec = crate::site_cli::read_file(file)?;
        let plan = services::site::apply_spec(db, &spec, false, false, &actor)
            .await
            .map_err(|err| anyhow::anyhow!("importing {}: {err}", file.display()))?;
        anyhow::ensure!(!plan.is_empty(), "{} planned nothing", file.display());
    }
    Ok(started.elapsed())
}

/// Counts the rows the imports made, to show the figure is for the whole site.
async fn count_rows(db: &DatabaseConnection) -> anyhow::Result<i64> {
    let tables = [
        "systems",
        "arrays",
        "inverters",
        "battery_arrays",
        "battery_array_attachments",
        "battery_packs",
        "batteries",
        "battery_cells",
        "adapters",
        "battery_pack_adapters",
    ];
    let mut total = 0;
    for table in tables {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await?
            .context("COUNT(*) answered no row")?;
        total += row.try_get::<i64>("", "n")?;
    }
    Ok(total)
}

/// Imports the files into an empty database at `url`, then measures the tree of one system
/// through the whole HTTP stack.
async fn measure(label: &str, url: &str, files: &[PathBuf]) -> anyhow::Result<()> {
    let target = DatabaseTarget::parse(url)?;
    let db = database::connect(&target).await?;
    database::migrate(&db).await?;
    crate::site_cli::upsert_adapter_types(&db).await?;
    let took = import_all(&db, files).await?;
    let rows = count_rows(&db).await?;
    println!(
        "{label}: import {SYSTEMS} files   {:>10}  ({rows} rows; issue 12 asks ≤ 2 s)",
        ms(took)
    );
    let again = import_all_unchanged(&db, files).await?;
    println!(
        "{label}: re-import, no change {:>10}  (read, check and plan only)",
        ms(again)
    );

    let router = crate::http::router(bench_state(db.clone(), target.info.clone()));
    let path = format!("/api/v1/site/systems/{}_system", prefix(SYSTEMS / 2));
    let tree_p50 = median(50, || {
        let router = router.clone();
        let path = path.clone();
        async move {
            let response = router
                .oneshot(Request::get(path.as_str()).body(Body::empty())?)
                .await?;
            anyhow::ensure!(
                response.status().is_success(),
                "the site tree answered {}",
                response.status()
            );
            axum::body::to_bytes(response.into_body(), 64 << 20).await?;
            Ok(())
        }
    })
    .await?;
    println!(
        "{label}: site tree p50        {:>10}  (server response, one system; issue 12 asks ≤ 50 ms)",
        ms(tree_p50)
    );
    db.close().await?;
    Ok(())
}

/// Imports every file again: each must plan nothing.
async fn import_all_unchanged(
    db: &DatabaseConnection,
    files: &[PathBuf],
) -> anyhow::Result<Duration> {
    let actor = Actor::new("bench", "bench");
    let started = Instant::now();
    for file in files {
        let spec = crate::site_cli::read_file(file)?;
        let plan = services::site::apply_spec(db, &spec, false, false, &actor)
            .await
            .map_err(|err| anyhow::anyhow!("importing {}: {err}", file.display()))?;
        anyhow::ensure!(
            plan.is_empty(),
            "{} changed something on re-import:\n{plan}",
            file.display()
        );
    }
    Ok(started.elapsed())
}

fn write_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    (0..SYSTEMS)
        .map(|n| {
            let file = dir.join(format!("site{n:02}.yaml"));
            std::fs::write(&file, generate_config(n))
                .with_context(|| format!("writing {}", file.display()))?;
            Ok(file)
        })
        .collect()
}

pub async fn run(postgres_url: Option<String>) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("temporary directory")?;
    let files = write_files(dir.path())?;
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "site bench: {SYSTEMS} config.yaml files of {ARRAYS}×{INVERTERS_PER_ARRAY} inverters and \
         {PACKS}×{BATTERIES_PER_PACK}×{CELLS_PER_BATTERY} cells ({} rows each, {:.1} MB in all), {} cores",
        rows_per_system(),
        bytes as f64 / 1e6,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
    measure("SQLite", &url, &files).await?;

    if let Some(admin_url) = postgres_url {
        let name = format!("powerdeck_bench_site_{}", std::process::id());
        let (admin, url) = scratch_database(&admin_url, &name).await?;
        let result = measure("PostgreSQL", &url, &files).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        result?;
    }
    Ok(())
}

/// Connects to the PostgreSQL server at `admin_url` and creates an empty database `name` there
/// (dropping a leftover of that name first). Returns the admin connection, which drops it when the
/// bench is done, and the new database's URL.
pub(crate) async fn scratch_database(
    admin_url: &str,
    name: &str,
) -> anyhow::Result<(DatabaseConnection, String)> {
    let admin = sea_orm::Database::connect(admin_url)
        .await
        .context("connect to PostgreSQL")?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    let url = database_url_with_name(admin_url, name)?;
    Ok((admin, url))
}

/// `admin_url` with its database name replaced by `name`.
pub(crate) fn database_url_with_name(admin_url: &str, name: &str) -> anyhow::Result<String> {
    let (base, _) = admin_url
        .rsplit_once('/')
        .context("the PostgreSQL URL ends with /DATABASE")?;
    Ok(format!("{base}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated file is a valid site that makes the rows the figure claims.
    #[test]
    fn a_generated_file_reads_as_the_system_it_describes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("site.yaml");
        std::fs::write(&file, generate_config(3)).unwrap();
        let spec = crate::site_cli::read_file(&file).unwrap();
        assert_eq!(spec.system.id, "s03_system");
        assert_eq!(spec.inverter_arrays.len(), ARRAYS);
        assert_eq!(spec.inverters.len(), ARRAYS * INVERTERS_PER_ARRAY);
        assert_eq!(spec.battery_packs.len(), PACKS);
        assert!(
            spec.battery_packs
                .iter()
                .all(|p| p.batteries as usize == BATTERIES_PER_PACK
                    && p.cells_per_battery as usize == CELLS_PER_BATTERY)
        );
        assert_eq!(spec.attachments.len(), 1);
        assert_eq!(rows_per_system(), 2_953);
    }
}
