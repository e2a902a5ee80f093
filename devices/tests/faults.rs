//! Failures on real transports: a device that stops answering, a server that is killed and comes
//! back, and garbage, bad checksums and replies from the wrong unit on an RTU line. The bus task
//! must survive every one of them, count them, and never stall callers of other devices.

// Test helpers outside #[test] functions: a panic there is the test's failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use devices::bus::{BusConfig, BusHandle, BusState, spawn_bus};
use devices::modbus::Endpoint;
use devices::simulator::{
    BMS_UNIT, METER_UNIT, SimulatorConfig, SimulatorHandle, bank_unit, bms, meter,
};
use devices::testing::{PtyPair, eventually};
use devices::{DeviceError, RegisterTable};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

/// Short timeouts and back-offs so the faults play out quickly; no test asserts on durations.
fn config(name: &str, endpoint: Endpoint) -> BusConfig {
    BusConfig {
        request_timeout: Duration::from_millis(300),
        retries: 0,
        min_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(1),
        ..BusConfig::new(name, endpoint)
    }
}

/// Generous: the faults play out in well under a second, but CI machines stall.
const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_paused_device_backs_off_while_other_devices_keep_answering() {
    let cancel = CancellationToken::new();
    let sim_config = SimulatorConfig {
        banks: 1,
        bank_registers: 1_000,
        bank_ports: Some([127, 0, 0, 1].into()),
        ..SimulatorConfig::default()
    };
    let sim = SimulatorHandle::start(&sim_config, cancel.clone())
        .await
        .unwrap();
    let site = spawn_bus(
        config("site", Endpoint::tcp(sim.tcp_addr().unwrap())),
        cancel.clone(),
    );
    let bank = spawn_bus(
        config("bank", Endpoint::tcp(sim.bank_addrs()[0])),
        cancel.clone(),
    );

    sim.simulator().pause(METER_UNIT);
    let silent = tokio::spawn({
        let site = site.clone();
        async move {
            site.read(METER_UNIT, RegisterTable::Input, meter::FREQUENCY, 1)
                .await
        }
    });
    // While the site bus waits for the silent meter, the bank's bus keeps answering: count the
    // bank reads that complete before the meter's read has given up.
    let mut answered_meanwhile = 0;
    while !silent.is_finished() {
        let words = bank
            .read(bank_unit(0), RegisterTable::Input, 0, 100)
            .await
            .unwrap();
        assert_eq!(words.len(), 100);
        if !silent.is_finished() {
            answered_meanwhile += 1;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(answered_meanwhile > 0);
    let first = silent.await.unwrap();
    assert_eq!(first, Err(DeviceError::Timeout(Duration::from_millis(300))));

    // Backing off: answered at once, nothing sent.
    let requests = site.stats().requests;
    let again = site
        .read(METER_UNIT, RegisterTable::Input, meter::FREQUENCY, 1)
        .await;
    assert!(
        matches!(again, Err(DeviceError::Disconnected(_))),
        "{again:?}"
    );
    assert_eq!(site.stats().requests, requests);
    let units: Vec<u8> = site
        .stats()
        .backing_off_units
        .iter()
        .map(|(u, _)| *u)
        .collect();
    assert_eq!(units, [METER_UNIT]);
    // The other units of the same bus keep answering meanwhile.
    let soc = site.read(BMS_UNIT, RegisterTable::Input, bms::SOC, 1).await;
    assert!(soc.is_ok(), "{soc:?}");

    sim.simulator().resume(METER_UNIT);
    let recovered = eventually(WAIT, async || {
        site.read(METER_UNIT, RegisterTable::Input, meter::FREQUENCY, 1)
            .await
            .is_ok()
    })
    .await;
    assert!(recovered, "{:?}", site.stats());
    let stats = site.stats();
    assert!(stats.timeouts >= 1 && stats.backing_off_units.is_empty());
    assert_eq!(stats.last_errors[0].message, "no answer within 300 ms");
    assert_eq!(stats.last_errors[0].registers, "input 10");
    assert_eq!(stats.last_errors[0].unit_id, METER_UNIT);
    assert_eq!(bank.stats().errors, 0);
    cancel.cancel();
}

#[tokio::test]
async fn a_killed_server_is_reconnected_by_itself() {
    let cancel = CancellationToken::new();
    let sim = SimulatorHandle::start(&SimulatorConfig::default(), cancel.clone())
        .await
        .unwrap();
    let server = sim.tcp_server().unwrap();
    let bus = spawn_bus(config("site", Endpoint::tcp(server.addr())), cancel.clone());
    let read = || bus.read(BMS_UNIT, RegisterTable::Input, bms::SOC, 1);
    assert!(read().await.is_ok());

    server.stop().await;
    assert!(!server.is_running());
    let down = read().await;
    assert!(matches!(down, Err(DeviceError::Io(_))), "{down:?}");
    assert!(matches!(bus.stats().state, BusState::BackingOff { .. }));
    assert!(matches!(read().await, Err(DeviceError::Disconnected(_))));

    server.restart().await.unwrap();
    let back = eventually(WAIT, async || read().await.is_ok()).await;
    assert!(back, "the bus did not reconnect: {:?}", bus.stats());
    let stats = bus.stats();
    assert_eq!(stats.state, BusState::Connected);
    assert_eq!(stats.backoff_ms, None, "a success resets the back-off");
    assert!(stats.errors >= 1);
    cancel.cancel();
}

/// CRC-16/MODBUS, low byte first on the wire.
fn with_crc(body: &[u8]) -> Vec<u8> {
    let mut crc: u16 = 0xFFFF;
    for byte in body {
        crc ^= u16::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    [body, &crc.to_le_bytes()].concat()
}

/// A read-input-registers reply carrying one word.
fn reply(unit: u8, word: u16) -> Vec<u8> {
    let [high, low] = word.to_be_bytes();
    with_crc(&[unit, 0x04, 2, high, low])
}

/// Plays the device end of the line by hand: waits for one request, answers with `answer`.
async fn exchange(
    bus: &BusHandle,
    device: &mut tokio_serial::SerialStream,
    answer: &[u8],
) -> Result<Vec<u16>, DeviceError> {
    let caller = tokio::spawn({
        let bus = bus.clone();
        async move { bus.read(BMS_UNIT, RegisterTable::Input, bms::SOC, 1).await }
    });
    let mut request = [0u8; 8];
    device.read_exact(&mut request).await.unwrap();
    assert_eq!(request.to_vec(), with_crc(&[BMS_UNIT, 0x04, 0, 2, 0, 1]));
    device.write_all(answer).await.unwrap();
    caller.await.unwrap()
}

/// Waits until the unit's back-off after a framing error is over.
async fn until_ready(bus: &BusHandle) {
    let ready = eventually(WAIT, async || bus.stats().backing_off_units.is_empty()).await;
    assert!(ready, "{:?}", bus.stats());
}

#[tokio::test]
async fn garbage_bad_checksums_and_wrong_units_on_the_rtu_line_are_framing_errors() {
    let pty = PtyPair::open("rtu-faults").await;
    let mut device = tokio_serial::SerialStream::open(&tokio_serial::new(
        pty.a().display().to_string(),
        115_200,
    ))
    .unwrap();
    let endpoint = Endpoint::rtu(pty.b().display().to_string(), 115_200);
    let bus = spawn_bus(config("rs485", endpoint), CancellationToken::new());

    assert_eq!(
        exchange(&bus, &mut device, &reply(BMS_UNIT, 61)).await,
        Ok(vec![61])
    );

    // Line noise: bytes that never make a frame.
    let noise = exchange(&bus, &mut device, &[0xFF; 100]).await;
    assert!(matches!(noise, Err(DeviceError::Framing(_))), "{noise:?}");
    until_ready(&bus).await;
    assert_eq!(
        exchange(&bus, &mut device, &reply(BMS_UNIT, 62)).await,
        Ok(vec![62])
    );

    // A reply whose checksum is wrong.
    let mut corrupted = reply(BMS_UNIT, 63);
    *corrupted.last_mut().unwrap() ^= 0x55;
    let bad_crc = exchange(&bus, &mut device, &corrupted).await;
    match &bad_crc {
        Err(DeviceError::Framing(message)) => assert!(message.contains("7 bytes"), "{message}"),
        other => panic!("{other:?}"),
    }
    until_ready(&bus).await;

    // A well-formed reply from another unit.
    let wrong_unit = exchange(&bus, &mut device, &reply(7, 64)).await;
    assert!(
        matches!(wrong_unit, Err(DeviceError::Framing(_))),
        "{wrong_unit:?}"
    );
    until_ready(&bus).await;

    assert_eq!(
        exchange(&bus, &mut device, &reply(BMS_UNIT, 65)).await,
        Ok(vec![65])
    );
    let stats = bus.stats();
    assert_eq!(stats.framing_errors, 3);
    assert_eq!((stats.requests, stats.errors, stats.timeouts), (6, 3, 0));
    assert_eq!(stats.state, BusState::Connected);
    assert!(
        stats
            .last_errors
            .iter()
            .all(|e| e.message.starts_with("framing error"))
    );
}
