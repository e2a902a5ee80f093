//! The simulator's BMS broadcasting on CAN and a `CanMonitor` listening: over the in-memory bus,
//! and over slcan on a real pseudo-terminal pair with the simulator playing the adapter.

// Test helpers outside #[test] functions: a panic there is the test's failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use devices::can::memory::MemoryCanBus;
use devices::can::slcan::{SlcanAdapter, SlcanBus};
use devices::can::{CanMonitor, CanMonitorState};
use devices::simulator::{BMS_UNIT, CAN_PERIOD, SimulatorConfig, SimulatorHandle, bms, can_signal};
use devices::testing::PtyPair;
use tokio_util::sync::CancellationToken;

/// Generous: frames come every 100 ms, but CI machines stall.
const WAIT: Duration = Duration::from_secs(2);

/// A simulator with its tick task and no Modbus servers, the BMS's SOC and SOH pinned so the
/// comparison cannot race the model.
async fn simulator(cancel: &CancellationToken) -> SimulatorHandle {
    let config = SimulatorConfig {
        tcp: None,
        ..SimulatorConfig::default()
    };
    let handle = SimulatorHandle::start(&config, cancel.clone())
        .await
        .unwrap();
    handle
        .simulator()
        .force_inputs(BMS_UNIT, bms::SOC, &[77, 96]);
    handle
}

/// The SOC in the next 0x355 frame, and what the Modbus BMS reports.
async fn soc_over_can_and_modbus(monitor: &CanMonitor, handle: &SimulatorHandle) -> (f64, f64) {
    let soc = can_signal("bms_can_soc").unwrap();
    let frame = monitor
        .next(soc.can_id, soc.extended, WAIT)
        .await
        .expect("a 0x355 frame");
    let over_can = soc.decode(&frame).unwrap();
    let over_modbus = f64::from(handle.simulator().input(BMS_UNIT, bms::SOC).unwrap());
    (over_can, over_modbus)
}

#[tokio::test]
async fn the_monitor_hears_the_simulated_bms_on_the_memory_bus() {
    let cancel = CancellationToken::new();
    let handle = simulator(&cancel).await;
    let bus = MemoryCanBus::new();
    let monitor = CanMonitor::spawn("can0".into(), bus.node(), cancel.clone());
    handle.spawn_can_broadcast(bus.node(), CAN_PERIOD);

    let (over_can, over_modbus) = soc_over_can_and_modbus(&monitor, &handle).await;
    assert_eq!(over_can, 77.0);
    assert_eq!(over_can, over_modbus);

    // Every broadcast id is kept, and the live values agree with Modbus too.
    let voltage = can_signal("bms_can_pack_voltage").unwrap();
    let asked = std::time::Instant::now();
    monitor
        .next(voltage.can_id, false, WAIT)
        .await
        .expect("a 0x356 frame");
    let (volts, age) = monitor.latest_value(&voltage).unwrap().unwrap();
    let modbus = f64::from(
        handle
            .simulator()
            .input(BMS_UNIT, bms::PACK_VOLTAGE)
            .unwrap(),
    ) * 0.1;
    // The frame came after we asked for it, so it cannot be older than the asking.
    assert!(age <= asked.elapsed(), "{age:?}");
    // The model moves between the frame and the read; a tenth of a volt is plenty.
    assert!(
        (volts - modbus).abs() <= 0.15,
        "{volts} V over CAN, {modbus} V over Modbus"
    );
    let soh = can_signal("bms_can_soh").unwrap();
    assert_eq!(monitor.latest_value(&soh).unwrap().unwrap().0, 96.0);

    let stats = monitor.stats();
    let ids: Vec<u32> = stats.ids_seen.iter().map(|s| s.id).collect();
    for id in [0x351, 0x355, 0x356, 0x35A] {
        assert!(ids.contains(&id), "{id:#x} not in {ids:x?}");
    }
    assert_eq!(stats.errors, 0, "{stats:?}");
    handle.stop();
}

#[tokio::test]
async fn the_monitor_hears_the_simulated_bms_over_slcan_on_a_pty() {
    let pty = PtyPair::open("can-monitor").await;
    let cancel = CancellationToken::new();
    let handle = simulator(&cancel).await;
    // The simulator is the adapter on one end; Powerdeck's slcan bus opens the other.
    let adapter = SlcanAdapter::open_serial(&pty.b().display().to_string()).unwrap();
    handle.spawn_can_broadcast(adapter, CAN_PERIOD);
    let bus = SlcanBus::open_serial(&pty.a().display().to_string(), 500_000)
        .await
        .unwrap();
    let monitor = CanMonitor::spawn("slcan0".into(), bus, cancel.clone());

    let (over_can, over_modbus) = soc_over_can_and_modbus(&monitor, &handle).await;
    assert_eq!(over_can, 77.0);
    assert_eq!(over_can, over_modbus);
    // A value pinned later shows up in the following frames.
    handle.simulator().force_inputs(BMS_UNIT, bms::SOC, &[41]);
    let soc = can_signal("bms_can_soc").unwrap();
    let mut latest = 0.0;
    for _ in 0..5 {
        let frame = monitor.next(soc.can_id, false, WAIT).await.unwrap();
        latest = soc.decode(&frame).unwrap();
        if latest == 41.0 {
            break;
        }
    }
    assert_eq!(latest, 41.0);
    assert_eq!(monitor.stats().errors, 0);
    cancel.cancel();
}

#[tokio::test]
async fn noise_on_the_slcan_line_is_counted_and_the_monitor_keeps_listening() {
    let pty = PtyPair::open("can-monitor-noise").await;
    let cancel = CancellationToken::new();
    let handle = simulator(&cancel).await;
    let adapter = Arc::new(SlcanAdapter::open_serial(&pty.b().display().to_string()).unwrap());
    handle.spawn_can_broadcast(adapter.clone(), CAN_PERIOD);
    let bus = SlcanBus::open_serial(&pty.a().display().to_string(), 500_000)
        .await
        .unwrap();
    let monitor = CanMonitor::spawn("slcan0".into(), bus, cancel.clone());
    monitor.next(0x355, false, WAIT).await.unwrap();

    adapter
        .send_raw(b"#*noise*#\rt12G1AA\r\x00\xff")
        .await
        .unwrap();
    // Frames keep coming after the noise, and the noise is in the stats once they do.
    let before = monitor.stats().frames;
    let (over_can, over_modbus) = soc_over_can_and_modbus(&monitor, &handle).await;
    assert_eq!(over_can, over_modbus);
    let stats = monitor.stats();
    assert!(stats.frames > before);
    assert_eq!(stats.state, CanMonitorState::Listening);
    // Two garbage lines; the two stray bytes start a line the next frame finishes as garbage.
    assert!(stats.errors >= 2, "{stats:?}");
    assert!(
        stats.last_errors.iter().any(|e| e.contains("slcan line")),
        "{stats:?}"
    );
    cancel.cancel();
}
