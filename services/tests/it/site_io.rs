//! The site's adapters as field I/O (`SiteIo`), on SQLite and PostgreSQL, against the real
//! simulator: an inverter and a meter on one TCP listener, a pack whose primary adapter is the
//! BMS on a listener of its own (stopped and restarted here) and whose secondary is the same
//! BMS over Modbus RTU on a pseudo-terminal. Counts poll cycles, never time: after the primary
//! stops, values come from the secondary within 3 cycles; the primary serves again only after
//! it has answered for the hold time; both switches are journalled; an edit in the catalog
//! takes effect without a restart.

// A test may unwrap: a panic is its failure report. The scenario reads top to bottom.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::sync::Arc;
use std::time::Duration;

use devices::simulator::{Route, Simulator, TcpServer};
use devices::testing::PtyPair;
use model::site::live::{DeviceState, LiveDevice, LiveDeviceKind, Quality, SwitchReason};
use model::site::quantity::Quantity;
use model::site::tree::AdapterPatch;
use services::actor::Actor;
use services::site;
use services::site::adapter_types::{AdapterCatalog, upsert_builtin_types};
use services::site::drive::{FailoverRules, SiteIo, SiteIoConfig};
use services::testing as common;
use tokio_util::sync::CancellationToken;

const HOLD: u32 = 3;

/// The devices of the scenario, as `config.yaml`.
fn site_file(main_port: u16, primary_port: u16, serial_port: &str) -> String {
    format!(
        r#"
home: {{id: plant, name: Plant, timezone: UTC}}
arrays:
  - {{id: plant_array, name: Array, inverter_ids: [plant_inverter]}}
inverters:
  - id: plant_inverter
    name: Inverter
    array_id: plant_array
    adapter: {{type: simulator_inverter, transport: tcp, host: 127.0.0.1, port: {main_port}, unit_id: 1}}
battery_bank_arrays:
  - {{id: plant_batteries, name: Batteries, battery_bank_ids: [plant_pack]}}
battery_banks:
  - id: plant_pack
    name: Pack
    battery_array_id: plant_batteries
    batteries: 1
    cells_per_battery: 16
    adapters:
      - {{id: plant_pack_tcp, type: simulator_bms, priority: 1, transport: tcp, host: 127.0.0.1, port: {primary_port}, unit_id: 2}}
      - {{id: plant_pack_rtu, type: simulator_bms, priority: 2, transport: rtu, serial_port: "{serial_port}", baudrate: 115200, unit_id: 2}}
meters:
  - id: plant_meter
    name: Grid
    array_id: home
    type: grid
    adapter: {{type: simulator_meter, transport: tcp, host: 127.0.0.1, port: {main_port}, unit_id: 3}}
"#
    )
}

fn device<'a>(devices: &'a [LiveDevice], id: &str) -> &'a LiveDevice {
    devices
        .iter()
        .find(|d| d.device_id == id)
        .unwrap_or_else(|| panic!("no {id} in {devices:#?}"))
}

/// Waits for the next cycle and answers the pack's live state after it.
async fn next_cycle(io: &SiteIo) -> LiveDevice {
    io.wait_cycles(1).await;
    io.device(LiveDeviceKind::BatteryPack, "plant_pack")
        .unwrap()
}

#[tokio::test]
async fn pack_failover_with_a_stopped_tcp_primary_and_an_rtu_secondary() {
    let catalog = Arc::new(AdapterCatalog::builtin().unwrap());
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        // A pseudo-serial line of its own for each backend: the previous round's simulator and
        // client, cancelled, may still hold theirs (with its exclusive lock) while they wind down.
        let pty = PtyPair::open(&format!("site-io-{backend}")).await;
        upsert_builtin_types(db, &catalog).await.unwrap();

        let cancel = CancellationToken::new();
        let simulator = Simulator::new();
        let any = "127.0.0.1:0".parse().unwrap();
        let main = simulator.serve_tcp(any, cancel.clone()).await.unwrap();
        let primary = TcpServer::start(simulator.clone(), any, Route::AllUnits, cancel.clone())
            .await
            .unwrap();
        let rtu_cancel = cancel.child_token();
        simulator
            .serve_rtu(pty.a().to_str().unwrap(), 115_200, rtu_cancel)
            .unwrap();
        let text = site_file(
            main.port(),
            primary.addr().port(),
            pty.b().to_str().unwrap(),
        );
        let spec = site::yaml::read_site_yaml(&text, "plant.yaml", catalog.as_ref())
            .unwrap_or_else(|problems| panic!("{problems}"));
        let actor = Actor::new("test", "test");
        site::apply_spec(db, &spec, false, false, &actor)
            .await
            .unwrap();

        let config = SiteIoConfig {
            period: Duration::from_millis(100),
            request_timeout: Duration::from_millis(400),
            rules: FailoverRules {
                failures_to_switch: 2,
                hold_cycles: HOLD,
            },
        };
        let io = SiteIo::start(db.clone(), catalog.clone(), config, cancel.clone());
        io.wait_cycles(2).await;
        let live = io.live("plant").unwrap();
        assert_eq!(live.devices.len(), 3, "{backend}: {live:#?}");
        for id in ["plant_inverter", "plant_meter", "plant_pack"] {
            let d = device(&live.devices, id);
            assert_eq!(d.state, DeviceState::Answering, "{backend}: {d:#?}");
            assert!(d.values.iter().all(|v| v.quality == Quality::Good));
        }
        let pack = device(&live.devices, "plant_pack");
        assert_eq!(pack.adapter_id.as_deref(), Some("plant_pack_tcp"));
        let soc = pack
            .values
            .iter()
            .find(|v| v.quantity == Quantity::BatterySocPct)
            .unwrap();
        assert_eq!(soc.adapter_id, "plant_pack_tcp");
        let failover = pack.failover.as_ref().unwrap();
        assert!(!failover.failover_active);
        assert!(
            failover.why.contains("first enabled adapter"),
            "{}",
            failover.why
        );
        assert_eq!(
            device(&live.devices, "plant_meter")
                .endpoint
                .as_deref()
                .unwrap(),
            format!("Modbus TCP 127.0.0.1:{} unit 3", main.port())
        );
        assert!(io.live("nowhere").is_none());

        // The primary's listener stops: count the cycles until the secondary's values serve.
        primary.stop().await;
        let mut to_secondary = 0;
        let pack = loop {
            let pack = next_cycle(&io).await;
            to_secondary += 1;
            if pack.adapter_id.as_deref() == Some("plant_pack_rtu")
                && pack.state == DeviceState::Answering
            {
                break pack;
            }
            assert!(to_secondary < 10, "{backend}: no failover: {pack:#?}");
        };
        assert!(to_secondary <= 3, "{backend}: {to_secondary} cycles");
        assert!(
            pack.values
                .iter()
                .all(|v| v.adapter_id == "plant_pack_rtu" && v.quality == Quality::Good)
        );
        let failover = pack.failover.as_ref().unwrap();
        assert!(failover.failover_active);
        assert!(
            failover
                .why
                .starts_with("failover: plant_pack_tcp failed 2"),
            "{}",
            failover.why
        );
        assert_eq!(
            failover.adapters[0].answering,
            Some(false),
            "the primary is still read"
        );

        // A few cycles on the secondary: it stays there while the primary is down.
        for _ in 0..3 {
            let pack = next_cycle(&io).await;
            assert_eq!(pack.adapter_id.as_deref(), Some("plant_pack_rtu"));
        }

        // The primary comes back: count the cycles from its first answer until it serves.
        primary.restart().await.unwrap();
        let mut answered = 0;
        let mut waited = 0;
        loop {
            let pack = next_cycle(&io).await;
            waited += 1;
            assert!(
                waited < 40,
                "{backend}: the primary never came back: {pack:#?}"
            );
            let primary_up = pack.failover.as_ref().unwrap().adapters[0].answering == Some(true);
            if primary_up {
                answered += 1;
            }
            if pack.adapter_id.as_deref() == Some("plant_pack_tcp") {
                assert_eq!(pack.state, DeviceState::Answering);
                break;
            }
        }
        assert_eq!(answered, HOLD, "{backend}: the hold time, in cycles");

        // Both switches are journalled, newest first.
        let journal = site::drive::adapter_switches(db, "plant_pack")
            .await
            .unwrap();
        let moves: Vec<(SwitchReason, Option<&str>, Option<&str>)> = journal
            .iter()
            .map(|s| {
                (
                    s.reason,
                    s.from_adapter_id.as_deref(),
                    s.to_adapter_id.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            moves,
            [
                (
                    SwitchReason::Recovered,
                    Some("plant_pack_rtu"),
                    Some("plant_pack_tcp")
                ),
                (
                    SwitchReason::Failed,
                    Some("plant_pack_tcp"),
                    Some("plant_pack_rtu")
                ),
            ],
            "{backend}"
        );
        assert!(
            journal[1].detail.contains("cannot reach"),
            "{}",
            journal[1].detail
        );
        assert!(matches!(
            site::drive::adapter_switches(db, "no_such_pack").await,
            Err(model::error::AppError::NotFound(_))
        ));

        // "Test connection" on the serial line the site I/O holds open reads through its bus
        // (the line cannot be opened a second time).
        let rtu = serde_json::json!({"transport": "rtu", "serial_port": pty.b().to_str().unwrap(),
                                     "baudrate": 115200, "unit_id": 2});
        let readings = site::probe(
            catalog.get("simulator_bms").unwrap(),
            &rtu,
            Duration::from_secs(3),
        )
        .await
        .unwrap();
        assert_eq!(readings.len(), 26, "{backend}");

        // An edit in the catalog takes effect without a restart: the meter's adapter is
        // disabled.
        let tree = site::tree(db, "plant").await.unwrap();
        let version = tree
            .meters
            .iter()
            .find(|m| m.id == "plant_meter")
            .and_then(|m| m.adapter.as_ref())
            .map(|a| a.version)
            .unwrap();
        let patch = AdapterPatch {
            enabled: Some(false),
            ..AdapterPatch::default()
        };
        site::update_adapter(db, "plant_meter_adapter", &patch, version, &actor)
            .await
            .unwrap();
        io.wait_cycles(2).await;
        let meter = io.device(LiveDeviceKind::Meter, "plant_meter").unwrap();
        assert_eq!(meter.state, DeviceState::NotPolled, "{backend}: {meter:#?}");
        assert!(meter.message.unwrap().contains("disabled"));
        // The pack kept its state through the reload.
        let pack = io
            .device(LiveDeviceKind::BatteryPack, "plant_pack")
            .unwrap();
        assert!(pack.failover.unwrap().last_switch.is_some(), "{backend}");
        cancel.cancel();
    }
}
