//! The bus task and the Modbus TCP client against the simulator on loopback: every device's
//! values, writes read back, typed exceptions, refusals that send nothing, banks and the memory
//! image on their own ports, and shutdown.

// Test helpers outside #[test] functions: a panic there is the test's failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use devices::bus::{BusConfig, BusHandle, BusState, spawn_bus};
use devices::codec;
use devices::modbus::{self, Endpoint};
use devices::simulator::{
    self, BMS_UNIT, INVERTER_UNIT, METER_UNIT, SimulatorConfig, SimulatorHandle, bank_unit, bms,
    inverter, memory, meter,
};
use devices::testing::eventually;
use devices::{DataType, DeviceError, RegisterTable, WordOrder};
use tokio_util::sync::CancellationToken;

async fn start(config: SimulatorConfig) -> (SimulatorHandle, CancellationToken) {
    let cancel = CancellationToken::new();
    let handle = SimulatorHandle::start(&config, cancel.clone())
        .await
        .unwrap();
    (handle, cancel)
}

fn bus_to(addr: SocketAddr, cancel: &CancellationToken) -> BusHandle {
    let config = BusConfig {
        request_timeout: Duration::from_millis(500),
        retries: 0,
        ..BusConfig::new(addr.to_string(), Endpoint::tcp(addr))
    };
    spawn_bus(config, cancel.clone())
}

fn u32_at(words: &[u16], index: usize) -> f64 {
    codec::decode(
        &words[index..index + 2],
        DataType::U32,
        WordOrder::BigEndian,
        1.0,
        0.0,
    )
    .unwrap()
}

#[tokio::test]
async fn the_bus_reads_every_device() {
    let (sim, cancel) = start(SimulatorConfig::default()).await;
    let bus = bus_to(sim.tcp_addr().unwrap(), &cancel);
    check_inverter(&bus).await;
    check_bms(&bus).await;
    check_grid_meter(&bus).await;

    let stats = bus.stats();
    assert_eq!((stats.requests, stats.errors), (6, 0));
    assert_eq!(stats.state, BusState::Connected);
    assert!(stats.latency_p50_ms.is_some() && stats.requests_per_s > 0.0);
    cancel.cancel();
}

/// The inverter's input registers, coils and status bits over `bus`.
async fn check_inverter(bus: &BusHandle) {
    // One request is one consistent snapshot: the power balance holds within rounding.
    let inv = bus
        .read(INVERTER_UNIT, RegisterTable::Input, 0, 14)
        .await
        .unwrap();
    let watts = |r: u16| f64::from(inv[usize::from(r)] as i16);
    let (pv, load) = (watts(inverter::PV_POWER), watts(inverter::LOAD_POWER));
    let (grid, battery) = (watts(inverter::GRID_POWER), watts(inverter::BATTERY_POWER));
    assert!((load - pv - battery - grid).abs() <= 2.0, "{inv:?}");
    assert!((0.0..=6_000.0).contains(&pv) && (1_600.0..=3_400.0).contains(&load));
    assert!((1..=100).contains(&inv[usize::from(inverter::BATTERY_SOC)]));
    assert!(u32_at(&inv, usize::from(inverter::PV_ENERGY)) >= 12_345.0);
    assert!(u32_at(&inv, usize::from(inverter::LOAD_ENERGY)) >= 23_456.0);
    let coils = bus
        .read(INVERTER_UNIT, RegisterTable::Coil, 0, 2)
        .await
        .unwrap();
    assert_eq!(coils, [1, 1]);
    let status = bus
        .read(INVERTER_UNIT, RegisterTable::Discrete, 0, 4)
        .await
        .unwrap();
    assert_eq!(status[usize::from(inverter::GRID_PRESENT)], 1);
    assert_eq!(
        status[usize::from(inverter::BATTERY_CHARGING)]
            + status[usize::from(inverter::BATTERY_DISCHARGING)],
        u16::from(battery != 0.0)
    );
}

/// The BMS's pack values and protection thresholds over `bus`.
async fn check_bms(bus: &BusHandle) {
    let pack = bus
        .read(
            BMS_UNIT,
            RegisterTable::Input,
            0,
            u16::try_from(bms::INPUT_REGISTERS).unwrap(),
        )
        .await
        .unwrap();
    let cells = &pack[usize::from(bms::CELL_VOLTAGE_0)..][..usize::from(simulator::CELLS)];
    assert!(
        cells.iter().all(|mv| (3000..3600).contains(mv)),
        "{cells:?}"
    );
    assert_eq!(
        pack[usize::from(bms::MAX_CELL_VOLTAGE)],
        *cells.iter().max().unwrap()
    );
    assert_eq!(
        pack[usize::from(bms::MIN_CELL_VOLTAGE)],
        *cells.iter().min().unwrap()
    );
    let temps = &pack[usize::from(bms::TEMP_0)..][..4];
    assert!(temps.iter().all(|t| (150..=350).contains(&(*t as i16))));
    assert_eq!(pack[usize::from(bms::SOH)], 97);
    assert_eq!(
        &pack[usize::from(bms::WARNING_BITS)..][..3],
        [0, 0, 0],
        "no alarm with the default thresholds"
    );
    let thresholds = bus
        .read(BMS_UNIT, RegisterTable::Holding, 0, 70)
        .await
        .unwrap();
    assert_eq!(thresholds, simulator::default_thresholds());
}

/// The grid meter's voltages, frequency and energy over `bus`.
async fn check_grid_meter(bus: &BusHandle) {
    let grid_meter = bus
        .read(METER_UNIT, RegisterTable::Input, 0, 16)
        .await
        .unwrap();
    let volts = &grid_meter[usize::from(meter::VOLTAGE_L1)..][..3];
    assert!(volts.iter().all(|v| (2270..=2330).contains(v)), "{volts:?}");
    let hz = codec::decode(
        &grid_meter[usize::from(meter::FREQUENCY)..][..1],
        DataType::U16,
        WordOrder::BigEndian,
        0.01,
        0.0,
    )
    .unwrap();
    assert!((49.9..50.1).contains(&hz), "{hz}");
    assert!(u32_at(&grid_meter, usize::from(meter::IMPORT_ENERGY)) >= 34_567.0);
}

#[tokio::test]
async fn writes_read_back_and_act_on_the_model() {
    let (sim, cancel) = start(SimulatorConfig::default()).await;
    let bus = bus_to(sim.tcp_addr().unwrap(), &cancel);

    // A protection threshold, one register and then a block.
    let register = simulator::protection_register("cell_voltage", "max", "warn").unwrap();
    bus.write_registers(BMS_UNIT, register, &[3500])
        .await
        .unwrap();
    bus.write_registers(BMS_UNIT, register + 2, &[3580, 2, 3640])
        .await
        .unwrap();
    let back = bus
        .read(BMS_UNIT, RegisterTable::Holding, register, 5)
        .await
        .unwrap();
    assert_eq!(back, [3500, 5, 3580, 2, 3640]);
    assert_eq!(sim.simulator().holding(BMS_UNIT, register + 4), Some(3640));

    // A threshold below the live value raises its warning bit.
    let soc = bus
        .read(BMS_UNIT, RegisterTable::Input, bms::SOC, 1)
        .await
        .unwrap()[0];
    let soc_max_warn = simulator::protection_register("soc", "max", "warn").unwrap();
    bus.write_registers(BMS_UNIT, soc_max_warn, &[soc - 5])
        .await
        .unwrap();
    let warnings = bus
        .read(BMS_UNIT, RegisterTable::Input, bms::WARNING_BITS, 1)
        .await
        .unwrap()[0];
    assert_eq!(warnings & (1 << 6), 1 << 6, "soc max warning bit");

    // The inverter's power limit caps PV at once.
    bus.write_registers(INVERTER_UNIT, inverter::POWER_LIMIT, &[10])
        .await
        .unwrap();
    let limited = bus
        .read(INVERTER_UNIT, RegisterTable::Input, inverter::PV_POWER, 1)
        .await
        .unwrap()[0];
    assert!(limited <= 600, "{limited} W over 10 % of 6 kW");

    // Coils, through the dedicated call and through the table-generic one.
    bus.write_coils(INVERTER_UNIT, inverter::EXPORT_ALLOWED, &[false])
        .await
        .unwrap();
    bus.write(INVERTER_UNIT, RegisterTable::Coil, 0, &[0, 0])
        .await
        .unwrap();
    let coils = bus
        .read(INVERTER_UNIT, RegisterTable::Coil, 0, 2)
        .await
        .unwrap();
    assert_eq!(coils, [0, 0]);
    assert_eq!(
        sim.simulator()
            .coil(INVERTER_UNIT, inverter::EXPORT_ALLOWED),
        Some(false)
    );
    cancel.cancel();
}

#[tokio::test]
async fn exceptions_are_typed_and_named_and_refusals_send_nothing() {
    let (sim, cancel) = start(SimulatorConfig::default()).await;
    let bus = bus_to(sim.tcp_addr().unwrap(), &cancel);

    let past_end = bus
        .read(
            BMS_UNIT,
            RegisterTable::Input,
            u16::try_from(bms::INPUT_REGISTERS).unwrap(),
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
    let no_such_table = bus.read(METER_UNIT, RegisterTable::Holding, 0, 1).await;
    assert_eq!(
        no_such_table,
        Err(DeviceError::Exception {
            code: 1,
            name: "illegal function"
        })
    );

    let refusals = [
        bus.read(BMS_UNIT, RegisterTable::Input, 0, 126).await,
        bus.read(BMS_UNIT, RegisterTable::Coil, 0, 2001).await,
        bus.read(BMS_UNIT, RegisterTable::Input, 0, 0).await,
        bus.read(BMS_UNIT, RegisterTable::Holding, 65_535, 2).await,
        bus.write_registers(BMS_UNIT, 0, &[1; 124])
            .await
            .map(|()| vec![]),
        bus.write_registers(BMS_UNIT, 0, &[]).await.map(|()| vec![]),
        bus.write(BMS_UNIT, RegisterTable::Input, 0, &[1])
            .await
            .map(|()| vec![]),
        bus.write(BMS_UNIT, RegisterTable::Discrete, 0, &[1])
            .await
            .map(|()| vec![]),
    ];
    for refusal in refusals {
        assert!(
            matches!(refusal, Err(DeviceError::Refused(_))),
            "{refusal:?}"
        );
    }
    let stats = bus.stats();
    assert_eq!(stats.requests, 2, "refusals send nothing");
    assert_eq!((stats.errors, stats.exceptions), (2, 2));
    assert_eq!(
        stats.state,
        BusState::Connected,
        "an exception is an answer"
    );
    assert_eq!(stats.last_errors[0].registers, "input 40");
    assert_eq!(
        stats.last_errors[1].message,
        "Modbus exception 0x01 (illegal function)"
    );
    cancel.cancel();
}

#[tokio::test]
async fn concurrent_callers_are_served_and_shutdown_answers_stopped() {
    let (sim, cancel) = start(SimulatorConfig::default()).await;
    let bus_cancel = CancellationToken::new();
    let bus = bus_to(sim.tcp_addr().unwrap(), &bus_cancel);
    let mut tasks = Vec::new();
    for i in 0..20u16 {
        let bus = bus.clone();
        tasks.push(tokio::spawn(async move {
            let cell = bms::CELL_VOLTAGE_0 + i % 16;
            bus.read(BMS_UNIT, RegisterTable::Input, cell, 1).await
        }));
    }
    for task in tasks {
        let words = task.await.unwrap().unwrap();
        assert!((3000..3600).contains(&words[0]));
    }
    assert_eq!(bus.stats().requests, 20);

    // A caller waiting on a silent unit is released by the shutdown, not by its timeout.
    let patient = spawn_bus(
        BusConfig {
            request_timeout: Duration::from_secs(60),
            ..BusConfig::new("patient", Endpoint::tcp(sim.tcp_addr().unwrap()))
        },
        bus_cancel.clone(),
    );
    sim.simulator().pause(METER_UNIT);
    let waiting = tokio::spawn({
        let patient = patient.clone();
        async move { patient.read(METER_UNIT, RegisterTable::Input, 0, 1).await }
    });
    // The request reaches the device, which leaves it unanswered: the caller is waiting on the
    // device, not in the queue, when the shutdown comes.
    let reached = eventually(Duration::from_secs(5), async || {
        sim.simulator().unanswered(METER_UNIT) == Some(1)
    })
    .await;
    assert!(reached, "{:?}", sim.simulator().unanswered(METER_UNIT));
    bus_cancel.cancel();
    assert_eq!(waiting.await.unwrap(), Err(DeviceError::Stopped));
    assert_eq!(patient.stats().state, BusState::Stopped);
    let after = bus.read(BMS_UNIT, RegisterTable::Input, 0, 1).await;
    assert_eq!(after, Err(DeviceError::Stopped));
    assert_eq!(bus.stats().state, BusState::Stopped);
    cancel.cancel();
}

#[tokio::test]
async fn banks_and_the_memory_image_answer_on_their_own_ports() {
    let config = SimulatorConfig {
        banks: 3,
        bank_ports: Some([127, 0, 0, 1].into()),
        memory_tcp: Some("127.0.0.1:0".parse().unwrap()),
        ..SimulatorConfig::default()
    };
    let (sim, cancel) = start(config).await;
    let bank_addrs = sim.bank_addrs();
    assert_eq!(bank_addrs.len(), 3);

    let bank = bus_to(bank_addrs[2], &cancel);
    let top = bank
        .read(bank_unit(2), RegisterTable::Input, 9_875, 125)
        .await
        .unwrap();
    assert!(top.iter().all(|w| (950..=10_950).contains(w)), "{top:?}");
    let held = bank
        .read(bank_unit(2), RegisterTable::Holding, 9_990, 10)
        .await
        .unwrap();
    assert_eq!(held, (9_990..10_000).collect::<Vec<u16>>());
    let past_end = bank
        .read(bank_unit(2), RegisterTable::Input, 9_999, 2)
        .await;
    assert!(matches!(
        past_end,
        Err(DeviceError::Exception { code: 2, .. })
    ));
    // On its own port a bank answers for its unit id only.
    let other_unit = bank.read(bank_unit(0), RegisterTable::Input, 0, 1).await;
    assert!(
        matches!(other_unit, Err(DeviceError::Timeout(_))),
        "{other_unit:?}"
    );
    // Every bank also answers on the simulator's main port.
    let main = bus_to(sim.tcp_addr().unwrap(), &cancel);
    assert!(
        main.read(bank_unit(1), RegisterTable::Input, 0, 10)
            .await
            .is_ok()
    );

    let image = bus_to(sim.memory_addr().unwrap(), &cancel);
    let soc_max_warn = memory::register("prot:sbmu:hold", 2 * 42).unwrap();
    assert_eq!(
        soc_max_warn,
        memory::PROT_SBMU_BASE + simulator::protection_register("soc", "max", "warn").unwrap()
    );
    let unit = simulator::MEMORY_UNIT;
    let warn = image
        .read(unit, RegisterTable::Holding, soc_max_warn, 1)
        .await;
    // 95 % in the register's 0.1 % counts.
    assert_eq!(warn, Ok(vec![950]));
    image
        .write_registers(unit, soc_max_warn, &[90])
        .await
        .unwrap();
    let warn = image
        .read(unit, RegisterTable::Holding, soc_max_warn, 1)
        .await;
    assert_eq!(warn, Ok(vec![90]));
    let last = image.read(unit, RegisterTable::Holding, 65_535, 1).await;
    assert!(last.is_ok(), "{last:?}");
    let uptime = image
        .read(
            unit,
            RegisterTable::Holding,
            memory::register("oper:rtos:bits", 58).unwrap(),
            2,
        )
        .await
        .unwrap();
    assert!(u32_at(&uptime, 0) >= 200.0, "{uptime:?}");
    cancel.cancel();
}

#[tokio::test]
async fn the_client_alone_reads_and_connecting_to_a_closed_port_is_an_io_error() {
    let (sim, cancel) = start(SimulatorConfig::default()).await;
    let endpoint = Endpoint::tcp(sim.tcp_addr().unwrap());
    let mut client = modbus::connect(&endpoint, Duration::from_secs(2))
        .await
        .unwrap();
    let soc =
        modbus::RegisterTransport::read(&mut client, BMS_UNIT, RegisterTable::Input, bms::SOC, 1)
            .await
            .unwrap();
    assert!((1..=100).contains(&soc[0]));
    cancel.cancel();

    // Port 1 (tcpmux) is never served here; a freed ephemeral port could be taken by a
    // simulator of a test running in parallel.
    let closed = modbus::connect(&Endpoint::tcp("127.0.0.1:1"), Duration::from_secs(2)).await;
    assert!(matches!(closed, Err(DeviceError::Io(_))));
}
