//! The SunSpec walk against a Modbus TCP device laid out unlike anything else here: the marker
//! at 50000 (not the usual 40000), then the common model, a model this build does not know, and
//! the three-phase inverter model 103. The device is a simulator register bank on loopback.

// Test helpers outside #[test] functions: a panic there is the test's failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use devices::modbus;
use devices::simulator::Simulator;
use devices::sunspec::{self, SunspecError};
use tokio_modbus::Request;
use tokio_util::sync::CancellationToken;

const UNIT: u8 = 20;
const BASE: u16 = 50_000;

/// Two characters a register, padded with NULs to `registers`.
fn text(value: &str, registers: usize) -> Vec<u16> {
    let mut bytes = value.as_bytes().to_vec();
    bytes.resize(registers * 2, 0);
    bytes
        .chunks(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
        .collect()
}

/// The device's registers from `BASE`: marker, model 1, model 120 (26 registers of filler),
/// model 103 and the end model.
fn image() -> Vec<u16> {
    let mut words = vec![0x5375, 0x6e53];
    // Model 1: Mn, Md, Opt, Vr, SN, DA, Pad.
    words.extend([1, 66]);
    words.extend(text("Powerdeck", 16));
    words.extend(text("Test inverter", 16));
    words.extend(text("", 8));
    words.extend(text("1.0", 8));
    words.extend(text("SN-0042", 16));
    words.extend([UNIT.into(), 0x8000]);
    // A model this build has no table for: walked over, never read.
    words.extend([120, 26]);
    words.extend([7; 26]);
    // Model 103.
    let mut inverter = vec![0u16; 50];
    let mut set = |offset: usize, word: u16| inverter[offset - 2] = word;
    set(3, 1234); // AphA
    set(6, (-2i16).cast_unsigned()); // A_SF
    set(10, 2301); // PhVphA
    set(11, 0xFFFF); // PhVphB: not implemented
    set(13, (-1i16).cast_unsigned()); // V_SF
    set(14, 4500); // W
    set(16, 5002); // Hz
    set(17, (-2i16).cast_unsigned()); // Hz_SF
    set(24, 1); // WH, high word
    set(25, 57_920); // WH, low word: 123,456
    set(26, 1); // WH_SF
    set(33, 415); // TmpCab
    set(37, (-1i16).cast_unsigned()); // Tmp_SF
    set(38, 4); // St: MPPT
    words.extend([103, 50]);
    words.extend(inverter);
    words.extend([0xFFFF, 0]);
    words
}

/// A register bank at `UNIT` whose holding registers from `BASE` hold `image()`.
fn device() -> Simulator {
    let simulator = Simulator::new().with_bank(UNIT, 65_536);
    let words = image();
    for (index, chunk) in words.chunks(100).enumerate() {
        let start = BASE + u16::try_from(index * 100).unwrap();
        let write = Request::WriteMultipleRegisters(start, chunk.to_vec().into());
        assert!(matches!(simulator.handle(UNIT, &write), Some(Ok(_))));
    }
    simulator
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
