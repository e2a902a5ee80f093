//! Modbus RTU over a real pseudo-terminal pair made by socat: the simulator serves one end, the
//! bus task (and the bare client) talk through the other.

// Test helpers outside #[test] functions: a panic there is the test's failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use devices::bus::{BusConfig, BusHandle, BusState, spawn_bus};
use devices::codec;
use devices::modbus::{self, Endpoint};
use devices::simulator::{
    BMS_UNIT, INVERTER_UNIT, METER_UNIT, RtuServe, SimulatorConfig, SimulatorHandle, bms, inverter,
};
use devices::testing::PtyPair;
use devices::{DataType, DeviceError, RegisterTable, WordOrder};
use tokio_util::sync::CancellationToken;

const BAUD_RATE: u32 = 115_200;

async fn simulator_on(pty: &PtyPair, cancel: &CancellationToken) -> SimulatorHandle {
    let config = SimulatorConfig {
        tcp: None,
        rtu: Some(RtuServe {
            path: pty.a().display().to_string(),
            baud_rate: BAUD_RATE,
        }),
        ..SimulatorConfig::default()
    };
    SimulatorHandle::start(&config, cancel.clone())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_bus_reads_and_writes_over_a_pseudo_terminal() {
    let pty = PtyPair::open("rtu-bus").await;
    let cancel = CancellationToken::new();
    let sim = simulator_on(&pty, &cancel).await;
    let config = BusConfig {
        request_timeout: Duration::from_secs(1),
        retries: 0,
        ..BusConfig::new(
            "rs485",
            Endpoint::rtu(pty.b().display().to_string(), BAUD_RATE),
        )
    };
    let bus = spawn_bus(config, cancel.clone());
    reads_and_writes(&bus, &sim).await;

    let exception = bus.read(METER_UNIT, RegisterTable::Holding, 0, 1).await;
    assert!(
        matches!(exception, Err(DeviceError::Exception { code: 1, .. })),
        "{exception:?}"
    );
    // Nobody answers for unit 9 on this line.
    let silence = bus.read(9, RegisterTable::Input, 0, 1).await;
    assert_eq!(silence, Err(DeviceError::Timeout(Duration::from_secs(1))));
    // The line is reopened after the timeout and the other units answer as before.
    assert!(
        bus.read(BMS_UNIT, RegisterTable::Input, bms::SOC, 1)
            .await
            .is_ok()
    );

    let stats = bus.stats();
    assert_eq!(
        stats.endpoint,
        format!("Modbus RTU {} 115200 8N1", pty.b().display())
    );
    assert_eq!((stats.requests, stats.errors), (10, 2));
    assert_eq!(
        (stats.timeouts, stats.exceptions, stats.framing_errors),
        (1, 1, 0)
    );
    assert_eq!(stats.backing_off_units.len(), 1, "unit 9 backs off alone");
    assert_eq!(stats.state, BusState::Connected);
    cancel.cancel();
}

/// Reads from every device and writes that read back, over the RTU line.
async fn reads_and_writes(bus: &BusHandle, sim: &SimulatorHandle) {
    let voltage = bus
        .read(BMS_UNIT, RegisterTable::Input, bms::PACK_VOLTAGE, 1)
        .await
        .unwrap();
    assert!((4800..5600).contains(&voltage[0]), "{voltage:?}");
    let cells = bus
        .read(BMS_UNIT, RegisterTable::Input, bms::CELL_VOLTAGE_0, 16)
        .await
        .unwrap();
    assert!(
        cells.iter().all(|mv| (3000..3600).contains(mv)),
        "{cells:?}"
    );
    let energy = bus
        .read(INVERTER_UNIT, RegisterTable::Input, inverter::PV_ENERGY, 2)
        .await
        .unwrap();
    let kwh = codec::decode(&energy, DataType::U32, WordOrder::BigEndian, 0.1, 0.0).unwrap();
    assert!(kwh >= 1234.5, "{kwh}");

    bus.write_registers(INVERTER_UNIT, inverter::POWER_LIMIT, &[80])
        .await
        .unwrap();
    let back = bus
        .read(
            INVERTER_UNIT,
            RegisterTable::Holding,
            inverter::POWER_LIMIT,
            2,
        )
        .await
        .unwrap();
    assert_eq!(back, [80, 1]);
    bus.write_coils(INVERTER_UNIT, 0, &[false, false])
        .await
        .unwrap();
    let coils = bus
        .read(INVERTER_UNIT, RegisterTable::Coil, 0, 2)
        .await
        .unwrap();
    assert_eq!(coils, [0, 0]);
    assert_eq!(
        sim.simulator()
            .holding(INVERTER_UNIT, inverter::POWER_LIMIT),
        Some(80)
    );
}

#[tokio::test]
async fn the_bare_client_reads_and_writes_with_an_explicit_inter_frame_delay() {
    let pty = PtyPair::open("rtu-client").await;
    let cancel = CancellationToken::new();
    let _sim = simulator_on(&pty, &cancel).await;
    // A long explicit silence between frames, as a slow RS485 converter may need.
    let endpoint = Endpoint::Rtu {
        path: pty.b().display().to_string(),
        baud_rate: BAUD_RATE,
        parity: modbus::Parity::None,
        stop_bits: 1,
        data_bits: 8,
        inter_frame_delay_ms: Some(20),
    };
    let mut client = modbus::connect(&endpoint, Duration::from_secs(2))
        .await
        .unwrap();
    for register in [bms::SOC, bms::SOH, bms::MAX_CELL_VOLTAGE] {
        let words = client
            .read(BMS_UNIT, RegisterTable::Input, register, 1)
            .await
            .unwrap();
        assert_ne!(words[0], 0);
    }
    client
        .write_registers(BMS_UNIT, 0, &[3540, 4])
        .await
        .unwrap();
    let back = client
        .read(BMS_UNIT, RegisterTable::Holding, 0, 2)
        .await
        .unwrap();
    assert_eq!(back, [3540, 4]);
    cancel.cancel();
}
