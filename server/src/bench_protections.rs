//! `powerdeck bench protections`: deploy 20 quantities × 2 sides × 3 levels (thresholds,
//! on- and off-delays, enables, hysteresis) to the simulator on loopback with read-back, on a
//! real SQLite file; and the alarm engine's samples per second on one core.

use std::time::{Duration, Instant};

use anyhow::Context;
use devices::simulator::Simulator;
use model::protections::{LevelLimit, ProtectionSet, Side, SideLimits, VariableLimits};
use services::actor::Actor;
use services::field::FieldIo;
use services::field::config::FieldConfig;
use services::protections::alarms::{Protections, ProtectionsConfig};
use services::protections::engine::AlarmEngine;
use services::protections::naming::NamingRule;
use services::protections::{profiles, save_and_deploy};
use services::registry::import::{ImportFiles, ImportOptions, import};
use tokio_util::sync::CancellationToken;

use services::database::{self, DatabaseTarget};

use crate::bench::ms;

const QUANTITIES: usize = 20;
const BANK_UNIT: u8 = 10;
const DEPLOYS: usize = 20;
const ENGINE_SAMPLES: usize = 2_000_000;

/// The 20 quantities' limit variables as one `prot:bench:hold` table, in the default naming.
fn data_def(naming: &NamingRule) -> String {
    let mut items = Vec::new();
    for (path, _) in limits(0).fields() {
        items.push(serde_json::json!({
            "name": naming.device_variable(&path),
            "offset": items.len() * 2,
            "size": 2,
        }));
    }
    serde_json::json!([{"table": "prot:bench:hold", "items": items}]).to_string()
}

/// Valid limits for every quantity and side; `shift` moves every number so that each deploy
/// of an alternate set writes every field.
fn limits(shift: u32) -> ProtectionSet {
    let shift = f64::from(shift);
    let level = |threshold: f64, on: f64| LevelLimit {
        threshold,
        on_duration: on + shift,
        off_duration: 10.0 + shift,
        enabled: true,
    };
    (0..QUANTITIES)
        .map(|q| {
            let max = SideLimits {
                hysteresis: 2.0 + shift,
                warning: Some(level(1_000.0 + shift, 5.0)),
                alert: Some(level(1_100.0 + shift, 3.0)),
                fault: Some(level(1_200.0 + shift, 1.0)),
            };
            let min = SideLimits {
                hysteresis: 2.0 + shift,
                warning: Some(level(500.0 + shift, 5.0)),
                alert: Some(level(400.0 + shift, 3.0)),
                fault: Some(level(300.0 + shift, 1.0)),
            };
            (
                format!("q{q:02}"),
                VariableLimits {
                    max: Some(max),
                    min: Some(min),
                },
            )
        })
        .collect()
}

pub async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("a temporary directory")?;
    let actor = Actor::new("bench", "bench");
    let db = seeded_database(dir.path(), &actor).await?;

    let cancel = CancellationToken::new();
    let simulator = Simulator::new().with_bank(BANK_UNIT, 1_000);
    let addr = simulator
        .serve_tcp("127.0.0.1:0".parse()?, cancel.clone())
        .await?;
    let config = serde_json::json!({
        "buses": [{"name": "bench", "endpoint": {"tcp": {"addr": addr.to_string()}}}],
        "memory": {"prot:bench:hold": {"bus": "bench", "unit_id": BANK_UNIT, "table": "holding", "base": 0}}
    })
    .to_string();
    let field = FieldIo::start(
        db.clone(),
        FieldConfig::parse("bench", &config).map_err(|e| anyhow::anyhow!(e))?,
        cancel.clone(),
    );
    let protections = Protections::new(ProtectionsConfig::default());
    let fields = limits(0).fields().len();
    println!(
        "protections bench: {QUANTITIES} quantities × 2 sides × 3 levels = {fields} fields on one Modbus TCP device, SQLite file"
    );
    print_deploy_figure(&db, &field, &protections, &actor).await?;
    cancel.cancel();
    print_engine_figure();
    Ok(())
}

/// A migrated SQLite database in `dir` with the limit variables imported and the default
/// protection profile seeded.
async fn seeded_database(
    dir: &std::path::Path,
    actor: &Actor,
) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.display());
    let target = DatabaseTarget::parse(&url)?;
    let db = database::connect(&target).await?;
    database::migrate(&db).await?;
    let naming = NamingRule::default();
    let data_def = data_def(&naming);
    let files = ImportFiles {
        data_def_name: "data_def.json",
        data_def: &data_def,
        metadata_name: None,
        metadata: None,
    };
    let options = ImportOptions {
        dry_run: false,
        prune: false,
        source: "bench".into(),
        actor: "bench".into(),
        caller: None,
    };
    import(&db, &files, &options)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    profiles::seed_default(&db, "bench", r#"{"protections": {}}"#, actor)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(db)
}

/// Deploys the two alternating limit sets `DEPLOYS` times after a first deploy and prints the
/// median and the slowest deploy.
async fn print_deploy_figure(
    db: &sea_orm::DatabaseConnection,
    field: &FieldIo,
    protections: &Protections,
    actor: &Actor,
) -> anyhow::Result<()> {
    let mut times = Vec::new();
    let mut written = 0;
    for run in 0..=DEPLOYS {
        // Odd runs deploy the shifted set, even runs the plain one.
        let set = limits(u32::from(run % 2 == 1));
        let started = Instant::now();
        let detail = save_and_deploy(db, field, protections, None, &set, actor)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let took = started.elapsed();
        anyhow::ensure!(
            detail.summary.status == model::profiles::DeploymentStatus::Succeeded,
            "deploy failed: {}",
            detail.summary.message
        );
        // The first deploy writes onto the bank's initial values; time the alternating ones.
        if run > 0 {
            times.push(took);
            written = detail.summary.written;
        }
    }
    times.sort();
    let p50 = times[times.len() / 2];
    let worst = times[times.len() - 1];
    let requests = field.bus_stats().first().map_or(0, |s| s.requests);
    println!(
        "deploy with read-back ({written} fields written and confirmed): p50 {}, worst {} over {DEPLOYS} deploys ({} Modbus requests in all)",
        ms(p50),
        ms(worst),
        requests
    );
    Ok(())
}

/// The engine alone, one core: samples alternately inside and outside the limits; prints the
/// samples per second.
fn print_engine_figure() {
    let set = limits(0);
    let mut engine = AlarmEngine::new(&set);
    let names: Vec<String> = set.keys().cloned().collect();
    let mut events = Vec::new();
    let start = tokio::time::Instant::now();
    let began = Instant::now();
    for i in 0..ENGINE_SAMPLES {
        let name = &names[i % names.len()];
        let value = 700.0 + ((i / names.len()) % 700) as f64;
        let now = start + Duration::from_millis(i as u64);
        engine.observe_side_into(name, Side::Max, value, now, &mut events);
        engine.observe_side_into(name, Side::Min, value, now, &mut events);
        events.clear();
    }
    let took = began.elapsed();
    println!(
        "alarm engine: {:.2} M samples/s on one core ({ENGINE_SAMPLES} samples, both sides each, {})",
        2.0 * ENGINE_SAMPLES as f64 / took.as_secs_f64() / 1e6,
        ms(took)
    );
}
