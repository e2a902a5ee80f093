//! Adapter instances read their devices: `site::probe` (the console's "Test connection")
//! against the real simulator over Modbus TCP and over RTU on a pseudo-terminal, and a SunSpec
//! inverter whose marker sits at 50000 with a model this build does not know before model 103.

// A test may unwrap: a panic is its failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use devices::simulator::{BMS_UNIT, INVERTER_UNIT, METER_UNIT, Simulator};
use devices::testing::{PtyPair, sunspec_device};
use model::error::AppError;
use model::site::live::Reading;
use model::site::quantity::{Quantity, Unit};
use serde_json::{Value, json};
use services::site::adapter_types::AdapterCatalog;
use services::site::probe;
use tokio_util::sync::CancellationToken;

const TIMEOUT: Duration = Duration::from_secs(3);

async fn probe_type(adapter_type: &str, config: Value) -> Result<Vec<Reading>, AppError> {
    let catalog = AdapterCatalog::builtin().unwrap();
    probe(catalog.get(adapter_type).unwrap(), &config, TIMEOUT).await
}

fn value(readings: &[Reading], quantity: Quantity, index: Option<u16>) -> f64 {
    readings
        .iter()
        .find(|r| r.quantity == quantity && r.index == index)
        .unwrap_or_else(|| panic!("no {quantity:?} {index:?} in {readings:?}"))
        .value
        .unwrap()
}

fn close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < 1e-6, "{actual} != {expected}");
}

#[tokio::test]
async fn the_simulator_bms_meter_and_inverter_read_over_tcp() {
    let cancel = CancellationToken::new();
    let simulator = Simulator::new();
    let addr = simulator
        .serve_tcp("127.0.0.1:0".parse().unwrap(), cancel.clone())
        .await
        .unwrap();
    let tcp = |unit: u8| json!({"transport": "tcp", "host": "127.0.0.1", "port": addr.port(), "unit_id": unit});

    let bms = probe_type("simulator_bms", tcp(BMS_UNIT)).await.unwrap();
    // 4 single values, 16 cells, 4 temperatures, max and min cell voltage.
    assert_eq!(bms.len(), 4 + 16 + 4 + 2, "{bms:?}");
    let input = |unit: u8, register: u16| f64::from(simulator.input(unit, register).unwrap());
    close(
        value(&bms, Quantity::BatteryVoltageV, None),
        input(BMS_UNIT, 0) * 0.1,
    );
    close(
        value(&bms, Quantity::BatterySocPct, None),
        input(BMS_UNIT, 2),
    );
    close(
        value(&bms, Quantity::CellVoltageV, Some(15)),
        input(BMS_UNIT, 19) * 0.001,
    );
    let soc = bms
        .iter()
        .find(|r| r.quantity == Quantity::BatterySocPct)
        .unwrap();
    assert_eq!((soc.index, soc.unit), (None, Unit::Percent));

    let meter = probe_type("simulator_meter", tcp(METER_UNIT))
        .await
        .unwrap();
    close(
        value(&meter, Quantity::GridFrequencyHz, None),
        input(METER_UNIT, 10) * 0.01,
    );
    let inverter = probe_type("simulator_inverter", tcp(INVERTER_UNIT))
        .await
        .unwrap();
    close(
        value(&inverter, Quantity::PvPowerW, None),
        input(INVERTER_UNIT, 0),
    );
    cancel.cancel();
}

#[tokio::test]
async fn the_simulator_bms_reads_over_rtu_on_a_pseudo_terminal() {
    let pty = PtyPair::open("site-probe").await;
    let cancel = CancellationToken::new();
    let simulator = Simulator::new();
    simulator
        .serve_rtu(pty.a().to_str().unwrap(), 115_200, cancel.clone())
        .unwrap();
    let config = json!({"transport": "rtu", "serial_port": pty.b().to_str().unwrap(),
                        "baudrate": 115200, "parity": "none", "unit_id": BMS_UNIT});
    let bms = probe_type("simulator_bms", config).await.unwrap();
    assert_eq!(bms.len(), 26, "{bms:?}");
    close(
        value(&bms, Quantity::BatterySocPct, None),
        f64::from(simulator.input(BMS_UNIT, 2).unwrap()),
    );
    cancel.cancel();
}

#[tokio::test]
async fn a_sunspec_inverter_at_50000_with_an_unknown_model_first_reads_model_103() {
    const UNIT: u8 = 20;
    let cancel = CancellationToken::new();
    let addr = sunspec_device(UNIT)
        .serve_tcp("127.0.0.1:0".parse().unwrap(), cancel.clone())
        .await
        .unwrap();
    // Configured at 40000 (the schema's default): the marker is found at 50000.
    let config = json!({"transport": "tcp", "host": "127.0.0.1", "port": addr.port(),
                        "unit_id": UNIT, "base_address": 40000});
    let readings = probe_type("sunspec_inverter", config).await.unwrap();
    close(value(&readings, Quantity::AcPowerW, None), 4500.0);
    close(value(&readings, Quantity::GridFrequencyHz, None), 50.02);
    close(value(&readings, Quantity::AcEnergyWh, None), 1_234_560.0);
    close(value(&readings, Quantity::InverterTempC, None), 41.5);
    // The quantity is mapped for models 101, 102 and 103: only the device's one is read.
    assert_eq!(
        readings
            .iter()
            .filter(|r| r.quantity == Quantity::AcPowerW)
            .count(),
        1
    );
    cancel.cancel();
}

#[tokio::test]
async fn failures_are_said_in_plain_words() {
    // Nothing listens on port 1.
    let refused = probe_type(
        "simulator_bms",
        json!({"transport": "tcp", "host": "127.0.0.1", "port": 1, "unit_id": 2}),
    )
    .await
    .unwrap_err();
    let AppError::Device(message) = &refused else {
        panic!("{refused:?}");
    };
    assert!(
        message.starts_with("cannot reach Modbus TCP 127.0.0.1:1"),
        "{message}"
    );

    let invalid = probe_type(
        "simulator_bms",
        json!({"transport": "tcp", "host": "127.0.0.1", "unit_id": 0}),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&invalid, AppError::Validation { field, .. } if field == "/unit_id"),
        "{invalid:?}"
    );

    // A unit that does not answer: the simulator routes no unit 99.
    let cancel = CancellationToken::new();
    let addr = Simulator::new()
        .serve_tcp("127.0.0.1:0".parse().unwrap(), cancel.clone())
        .await
        .unwrap();
    let silent = probe_type(
        "simulator_bms",
        json!({"transport": "tcp", "host": "127.0.0.1", "port": addr.port(), "unit_id": 99}),
    )
    .await
    .unwrap_err();
    let AppError::Device(message) = &silent else {
        panic!("{silent:?}");
    };
    assert!(message.contains("unit 99"), "{message}");

    // No SunSpec marker anywhere on the simulator's BMS.
    let not_sunspec = probe_type(
        "sunspec_battery",
        json!({"transport": "tcp", "host": "127.0.0.1", "port": addr.port(), "unit_id": 2,
               "base_address": 40000}),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&not_sunspec, AppError::Device(m) if m.contains("SunS")),
        "{not_sunspec:?}"
    );
    cancel.cancel();
}
