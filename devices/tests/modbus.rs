//! The Modbus clients against the simulator over real transports: TCP on loopback, and RTU over a
//! pseudo-terminal pair made by socat.

use std::path::Path;
use std::time::Duration;

use devices::codec;
use devices::modbus::{self, Endpoint, Parity};
use devices::simulator::{self, BMS_UNIT, INVERTER_UNIT, METER_UNIT, Simulator, bms, inverter};
use devices::{DataType, DeviceError, RegisterTable, WordOrder};
use tokio_util::sync::CancellationToken;

mod common;
use common::PtyPair;

const TIMEOUT: Duration = Duration::from_millis(500);

async fn tcp_simulator() -> (Simulator, Endpoint, CancellationToken) {
    let simulator = Simulator::new();
    let cancel = CancellationToken::new();
    let addr = simulator
        .serve_tcp("127.0.0.1:0".parse().unwrap(), cancel.clone())
        .await
        .unwrap();
    let endpoint = Endpoint::Tcp {
        addr: addr.to_string(),
    };
    (simulator, endpoint, cancel)
}

#[tokio::test]
async fn tcp_reads_every_device_and_writes_read_back() {
    let (simulator, endpoint, cancel) = tcp_simulator().await;
    let mut client = modbus::connect(&endpoint, TIMEOUT).await.unwrap();

    let soc = client
        .read(
            INVERTER_UNIT,
            RegisterTable::Input,
            inverter::BATTERY_SOC,
            1,
        )
        .await
        .unwrap();
    assert_eq!(
        soc[0],
        simulator
            .input(INVERTER_UNIT, inverter::BATTERY_SOC)
            .unwrap()
    );

    let cells = client
        .read(BMS_UNIT, RegisterTable::Input, bms::CELL_VOLTAGE_0, 16)
        .await
        .unwrap();
    assert!(
        cells.iter().all(|mv| (3000..3600).contains(mv)),
        "{cells:?}"
    );

    let frequency = client
        .read(METER_UNIT, RegisterTable::Input, 10, 1)
        .await
        .unwrap();
    let hz = codec::decode(&frequency, DataType::U16, WordOrder::BigEndian, 0.01, 0.0).unwrap();
    assert!((49.9..50.1).contains(&hz), "{hz}");

    // Write a protection threshold (one register, then a block) and read it back.
    let register = simulator::protection_register("cell_voltage", "max", "warn").unwrap();
    client
        .write_registers(BMS_UNIT, register, &[3500])
        .await
        .unwrap();
    client
        .write_registers(BMS_UNIT, register + 2, &[3580, 2, 3640])
        .await
        .unwrap();
    let back = client
        .read(BMS_UNIT, RegisterTable::Holding, register, 5)
        .await
        .unwrap();
    assert_eq!(back, vec![3500, 5, 3580, 2, 3640]);
    assert_eq!(simulator.holding(BMS_UNIT, register + 4), Some(3640));
    cancel.cancel();
}

#[tokio::test]
async fn tcp_errors_are_typed_and_refusals_send_nothing() {
    let (simulator, endpoint, cancel) = tcp_simulator().await;
    let mut client = modbus::connect(&endpoint, TIMEOUT).await.unwrap();

    let past_end = client
        .read(
            BMS_UNIT,
            RegisterTable::Input,
            bms::INPUT_REGISTERS as u16,
            1,
        )
        .await
        .unwrap_err();
    assert_eq!(
        past_end,
        DeviceError::Exception {
            code: 2,
            name: "illegal data address"
        }
    );
    assert_eq!(
        past_end.to_string(),
        "Modbus exception 0x02 (illegal data address)"
    );

    let too_large = client.read(BMS_UNIT, RegisterTable::Input, 0, 126).await;
    assert!(
        matches!(too_large, Err(DeviceError::Refused(_))),
        "{too_large:?}"
    );
    let read_only = client.write(BMS_UNIT, RegisterTable::Input, 0, &[1]).await;
    assert!(
        matches!(read_only, Err(DeviceError::Refused(_))),
        "{read_only:?}"
    );

    // A device that stops answering times out; the connection still serves the others.
    simulator.pause(METER_UNIT);
    let silent = client.read(METER_UNIT, RegisterTable::Input, 0, 1).await;
    assert_eq!(silent, Err(DeviceError::Timeout(TIMEOUT)));
    simulator.resume(METER_UNIT);
    let mut fresh = modbus::connect(&endpoint, TIMEOUT).await.unwrap();
    assert!(
        fresh
            .read(METER_UNIT, RegisterTable::Input, 0, 3)
            .await
            .is_ok()
    );
    cancel.cancel();
}

#[tokio::test]
async fn connecting_to_a_closed_port_is_an_io_error() {
    // Port 1 (tcpmux) is never served here; a freed ephemeral port could be taken by a
    // simulator of a test running in parallel.
    let endpoint = Endpoint::Tcp {
        addr: "127.0.0.1:1".into(),
    };
    let error = modbus::connect(&endpoint, TIMEOUT).await.err().unwrap();
    assert!(matches!(error, DeviceError::Io(_)), "{error:?}");
}

fn rtu_endpoint(path: &Path) -> Endpoint {
    Endpoint::Rtu {
        path: path.display().to_string(),
        baud_rate: 115_200,
        parity: Parity::None,
        stop_bits: 1,
        inter_frame_delay_ms: None,
    }
}

#[tokio::test]
async fn rtu_over_a_pseudo_terminal_reads_and_writes() {
    let pty = PtyPair::new("rtu");
    let simulator = Simulator::new();
    let cancel = CancellationToken::new();
    simulator
        .serve_rtu(&pty.a().display().to_string(), 115_200, cancel.clone())
        .unwrap();
    let mut client = modbus::connect(&rtu_endpoint(&pty.b()), Duration::from_secs(2))
        .await
        .unwrap();

    let voltage = client
        .read(BMS_UNIT, RegisterTable::Input, bms::PACK_VOLTAGE, 1)
        .await
        .unwrap();
    assert!((4800..5600).contains(&voltage[0]), "{voltage:?}");
    let power = client
        .read(INVERTER_UNIT, RegisterTable::Input, inverter::PV_ENERGY, 2)
        .await
        .unwrap();
    let kwh = codec::decode(&power, DataType::U32, WordOrder::BigEndian, 0.1, 0.0).unwrap();
    assert!(kwh > 1000.0, "{kwh}");

    client
        .write_registers(INVERTER_UNIT, inverter::POWER_LIMIT, &[80])
        .await
        .unwrap();
    let back = client
        .read(
            INVERTER_UNIT,
            RegisterTable::Holding,
            inverter::POWER_LIMIT,
            1,
        )
        .await
        .unwrap();
    assert_eq!(back, vec![80]);

    let exception = client.read(METER_UNIT, RegisterTable::Holding, 0, 1).await;
    assert!(
        matches!(exception, Err(DeviceError::Exception { code: 2, .. })),
        "{exception:?}"
    );
    cancel.cancel();
}
