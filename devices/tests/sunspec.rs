//! The SunSpec walk against a Modbus TCP device laid out unlike anything else here: the marker
//! at 50000 (not the usual 40000), then the common model, a model this build does not know, and
//! the three-phase inverter model 103. The device is a simulator register bank on loopback.

// Test helpers outside #[test] functions: a panic there is the test's failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use devices::modbus;
use devices::simulator::Simulator;
use devices::sunspec::{self, SunspecError};
use tokio_util::sync::CancellationToken;

const UNIT: u8 = 20;
const BASE: u16 = devices::testing::SUNSPEC_TEST_BASE;

/// A register bank at `UNIT` whose holding registers from `BASE` hold the SunSpec image.
fn device() -> Simulator {
    devices::testing::sunspec_device(UNIT)
}

fn close(value: Option<f64>, expected: f64) {
    let value = value.unwrap();
    assert!((value - expected).abs() < 1e-9, "{value} != {expected}");
}

#[tokio::test]
async fn the_chain_is_found_at_50000_walked_and_read_with_scale_factors() {
    let cancel = CancellationToken::new();
    let simulator = device();
    let addr = simulator
        .serve_tcp("127.0.0.1:0".parse().unwrap(), cancel.clone())
        .await
        .unwrap();
    let mut client = modbus::connect_tcp(&addr.to_string(), Duration::from_secs(2))
        .await
        .unwrap();

    // The configured base (40000) holds no marker; 0 neither; 50000 does.
    let chain = sunspec::discover(&mut client, UNIT, Some(40_000))
        .await
        .unwrap();
    assert_eq!(chain.base, BASE);
    let headers: Vec<(u16, u16, u16)> = chain
        .models
        .iter()
        .map(|m| (m.id, m.address, m.length))
        .collect();
    assert_eq!(
        headers,
        [(1, 50_002, 66), (120, 50_070, 26), (103, 50_098, 50)]
    );

    let read = async |client: &mut modbus::ModbusClient, point: &str| {
        sunspec::read_point(client, UNIT, &chain, 103, point)
            .await
            .unwrap()
    };
    close(read(&mut client, "W").await, 4500.0);
    close(read(&mut client, "AphA").await, 12.34);
    close(read(&mut client, "PhVphA").await, 230.1);
    close(read(&mut client, "Hz").await, 50.02);
    close(read(&mut client, "WH").await, 1_234_560.0);
    close(read(&mut client, "TmpCab").await, 41.5);
    close(read(&mut client, "St").await, 4.0);
    assert_eq!(read(&mut client, "PhVphB").await, None);

    let common = chain.model(1).unwrap();
    let words = sunspec::read_model(&mut client, UNIT, common)
        .await
        .unwrap();
    assert_eq!(sunspec::string_value(1, &words, "Mn").unwrap(), "Powerdeck");
    assert_eq!(sunspec::string_value(1, &words, "SN").unwrap(), "SN-0042");

    let missing = sunspec::read_point(&mut client, UNIT, &chain, 203, "W").await;
    assert_eq!(missing, Err(SunspecError::NoModel(203)));
    let nowhere = sunspec::walk(&mut client, UNIT, 40_000).await;
    assert_eq!(nowhere, Err(SunspecError::NoMarker(vec![40_000])));
    cancel.cancel();
}

#[tokio::test]
async fn a_device_without_a_marker_names_every_base_tried() {
    let cancel = CancellationToken::new();
    let simulator = Simulator::new().with_bank(UNIT, 1_000);
    let addr = simulator
        .serve_tcp("127.0.0.1:0".parse().unwrap(), cancel.clone())
        .await
        .unwrap();
    let mut client = modbus::connect_tcp(&addr.to_string(), Duration::from_secs(2))
        .await
        .unwrap();
    // 40000 and 50000 are past the bank's end (an exception: no marker there), 0 holds 0, 1.
    let found = sunspec::discover(&mut client, UNIT, None).await;
    assert_eq!(found, Err(SunspecError::NoMarker(vec![40_000, 0, 50_000])));
    cancel.cancel();
}
