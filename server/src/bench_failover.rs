//! `powerdeck bench site-failover`: pack failover's figures, counted in poll cycles (issue 12).
//! A throw-away SQLite site holds one pack with two adapters reading the one simulated BMS: a
//! TCP primary on a listener of its own and an RTU secondary on a pseudo-terminal pair this
//! process opens. `SiteIo` polls it; the primary's real TCP listener is stopped, and the cycles
//! until the pack's values come from the secondary are counted; then it is restarted, and the
//! cycles from the primary's first answer until it serves the pack again are counted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use devices::pty::PtyLink;
use devices::simulator::{BMS_UNIT, Route, Simulator, TcpServer};
use model::site::live::{DeviceState, LiveDevice, LiveDeviceKind, SwitchReason};
use services::actor::Actor;
use services::database::{self, DatabaseTarget};
use services::site::adapter_types::{AdapterCatalog, upsert_builtin_types};
use services::site::drive::{self, FailoverRules, SiteIo, SiteIoConfig};
use tokio_util::sync::CancellationToken;

const PACK: &str = "bench_pack";
const PRIMARY: &str = "bench_pack_tcp";
const SECONDARY: &str = "bench_pack_rtu";
/// Cycles the scenario waits for a switch before it gives up.
const PATIENCE: u32 = 50;

/// One round's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailoverFigures {
    /// Poll cycles from the primary's stop until a cycle whose values came from the secondary
    /// (that cycle included).
    pub cycles_to_secondary: u32,
    /// Poll cycles from the first cycle the restarted primary answered until a cycle whose
    /// values came from it (both included).
    pub cycles_back_to_primary: u32,
    pub to_secondary: Duration,
    pub back_to_primary: Duration,
    /// The switches journalled in the round, oldest first.
    pub journalled: usize,
}

/// The site of the scenario.
fn site_file(primary_port: u16, serial_port: &str) -> String {
    format!(
        r#"
home: {{id: bench, name: Failover bench, timezone: UTC}}
battery_bank_arrays:
  - {{id: bench_batteries, name: Batteries, battery_bank_ids: [{PACK}]}}
battery_banks:
  - id: {PACK}
    name: Pack
    battery_array_id: bench_batteries
    batteries: 1
    cells_per_battery: 16
    adapters:
      - {{id: {PRIMARY}, type: simulator_bms, priority: 1, transport: tcp, host: 127.0.0.1, port: {primary_port}, unit_id: {BMS_UNIT}}}
      - {{id: {SECONDARY}, type: simulator_bms, priority: 2, transport: rtu, serial_port: "{serial_port}", baudrate: 115200, unit_id: {BMS_UNIT}}}
"#
    )
}

/// The simulator, the primary's listener and the pseudo-terminals of one scenario.
pub struct FailoverRig {
    pub primary: TcpServer,
    _link: PtyLink,
    pub io: SiteIo,
    pub db: sea_orm::DatabaseConnection,
    cancel: CancellationToken,
    _dir: tempfile::TempDir,
}

impl FailoverRig {
    /// A fresh SQLite site polled by `SiteIo` with `config`.
    pub async fn start(config: SiteIoConfig) -> anyhow::Result<FailoverRig> {
        let dir = tempfile::tempdir().context("temporary directory")?;
        let url = format!("sqlite://{}/failover.db?mode=rwc", dir.path().display());
        let db = database::connect(&DatabaseTarget::parse(&url)?).await?;
        database::migrate(&db).await?;
        let catalog =
            Arc::new(AdapterCatalog::builtin().map_err(|e| anyhow::anyhow!("adapter types: {e}"))?);
        upsert_builtin_types(&db, &catalog)
            .await
            .map_err(|e| anyhow::anyhow!("adapter types: {e}"))?;

        let cancel = CancellationToken::new();
        let simulator = Simulator::new();
        tokio::spawn(simulator.clone().run(cancel.clone()));
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let primary = TcpServer::start(
            simulator.clone(),
            any,
            Route::OneUnit(BMS_UNIT),
            cancel.clone(),
        )
        .await
        .context("the primary's listener")?;
        let link = PtyLink::open().context("the pseudo-terminals")?;
        simulator
            .serve_rtu(&link.a().to_string_lossy(), 115_200, cancel.clone())
            .context("the RTU server")?;
        let text = site_file(primary.addr().port(), &link.b().to_string_lossy());
        let spec = services::site::yaml::read_site_yaml(&text, "bench.yaml", catalog.as_ref())
            .map_err(|problems| anyhow::anyhow!("{problems}"))?;
        services::site::apply_spec(&db, &spec, false, false, &Actor::new("bench", "bench"))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let io = SiteIo::start(db.clone(), catalog, config, cancel.clone());
        Ok(FailoverRig {
            primary,
            _link: link,
            io,
            db,
            cancel,
            _dir: dir,
        })
    }

    /// The pack after the next cycle.
    async fn next_cycle(&self) -> anyhow::Result<LiveDevice> {
        self.io.wait_cycles(1).await;
        self.io
            .device(LiveDeviceKind::BatteryPack, PACK)
            .context("the pack is not polled")
    }

    /// Waits until the pack is read from the primary.
    async fn settle(&self) -> anyhow::Result<()> {
        for _ in 0..PATIENCE {
            let pack = self.next_cycle().await?;
            if serves(&pack, PRIMARY) {
                return Ok(());
            }
        }
        anyhow::bail!("the pack is not read from its primary")
    }

    /// One round: stop the primary, count, restart it, count.
    pub async fn round(&self) -> anyhow::Result<FailoverFigures> {
        self.settle().await?;
        let journal_before = drive::adapter_switches(&self.db, PACK)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .len();

        self.primary.stop().await;
        let stopped = Instant::now();
        let mut cycles_to_secondary = 0;
        loop {
            let pack = self.next_cycle().await?;
            cycles_to_secondary += 1;
            if serves(&pack, SECONDARY) {
                break;
            }
            anyhow::ensure!(
                cycles_to_secondary < PATIENCE,
                "no failover after {PATIENCE} cycles: {pack:?}"
            );
        }
        let to_secondary = stopped.elapsed();

        self.primary
            .restart()
            .await
            .context("restarting the primary")?;
        let mut first_answer: Option<Instant> = None;
        let mut cycles_back_to_primary = 0;
        let mut waited = 0;
        loop {
            let pack = self.next_cycle().await?;
            waited += 1;
            anyhow::ensure!(
                waited < PATIENCE,
                "the primary never served again: {pack:?}"
            );
            let primary_answered = pack
                .failover
                .as_ref()
                .and_then(|f| f.adapters.first())
                .is_some_and(|a| a.answering == Some(true));
            if primary_answered {
                first_answer.get_or_insert_with(Instant::now);
                cycles_back_to_primary += 1;
            }
            if serves(&pack, PRIMARY) {
                break;
            }
        }
        let back_to_primary = first_answer.map_or(Duration::ZERO, |at| at.elapsed());
        let journal = drive::adapter_switches(&self.db, PACK)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let new = &journal[..journal.len() - journal_before];
        let reasons: Vec<SwitchReason> = new.iter().rev().map(|s| s.reason).collect();
        anyhow::ensure!(
            reasons == [SwitchReason::Failed, SwitchReason::Recovered],
            "the journal holds {reasons:?} for the round"
        );
        Ok(FailoverFigures {
            cycles_to_secondary,
            cycles_back_to_primary,
            to_secondary,
            back_to_primary,
            journalled: new.len(),
        })
    }

    pub fn stop(&self) {
        self.cancel.cancel();
    }
}

fn serves(pack: &LiveDevice, adapter_id: &str) -> bool {
    pack.state == DeviceState::Answering && pack.adapter_id.as_deref() == Some(adapter_id)
}

pub async fn run(rounds: u32, period_ms: u64, hold_cycles: u32) -> anyhow::Result<()> {
    let config = SiteIoConfig {
        period: Duration::from_millis(period_ms),
        rules: FailoverRules {
            hold_cycles,
            ..FailoverRules::default()
        },
        ..SiteIoConfig::default()
    };
    println!(
        "site failover bench: one pack, TCP primary (real listener, stopped and restarted) and \
         RTU secondary (pseudo-terminal), poll period {period_ms} ms, switch after {} failed \
         cycles, hold {hold_cycles} cycles, {rounds} rounds",
        config.rules.failures_to_switch
    );
    let rig = FailoverRig::start(config).await?;
    let result = async {
        for round in 1..=rounds {
            let figures = rig.round().await?;
            println!(
                "round {round}: values from the secondary {} cycles after the primary stopped \
                 ({}), from the primary again {} cycles after it first answered ({}); \
                 {} switches journalled",
                figures.cycles_to_secondary,
                crate::bench::ms(figures.to_secondary),
                figures.cycles_back_to_primary,
                crate::bench::ms(figures.back_to_primary),
                figures.journalled
            );
            anyhow::ensure!(
                figures.cycles_to_secondary <= 3,
                "over the 3 cycles issue 12 allows"
            );
            anyhow::ensure!(
                figures.cycles_back_to_primary >= hold_cycles,
                "back before the hold time"
            );
        }
        Ok(())
    }
    .await;
    rig.stop();
    result
}
