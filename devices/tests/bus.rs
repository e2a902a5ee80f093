//! The bus task against the simulator over loopback TCP: serialised requests with statistics,
//! a unit that stops answering backs off alone, and a server that goes away and comes back.

use std::net::SocketAddr;
use std::time::Duration;

use devices::bus::{BusConfig, BusState, spawn_bus};
use devices::modbus::Endpoint;
use devices::simulator::{BMS_UNIT, METER_UNIT, Simulator, bms, meter};
use devices::{DeviceError, RegisterTable};
use tokio_util::sync::CancellationToken;

fn config(addr: SocketAddr) -> BusConfig {
    BusConfig {
        request_timeout: Duration::from_millis(300),
        retries: 1,
        min_backoff: Duration::from_millis(400),
        max_backoff: Duration::from_secs(2),
        ..BusConfig::new(
            "site",
            Endpoint::Tcp {
                addr: addr.to_string(),
            },
        )
    }
}

async fn simulator_on(addr: &str) -> (Simulator, SocketAddr, CancellationToken) {
    let simulator = Simulator::new();
    let cancel = CancellationToken::new();
    let bound = simulator
        .serve_tcp(addr.parse().unwrap(), cancel.clone())
        .await
        .unwrap();
    (simulator, bound, cancel)
}

/// Polls `f` until it returns true, for at most `seconds`.
async fn eventually(seconds: u64, mut f: impl AsyncFnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while tokio::time::Instant::now() < deadline {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn concurrent_callers_are_served_and_counted() {
    let (_simulator, addr, server) = simulator_on("127.0.0.1:0").await;
    let cancel = CancellationToken::new();
    let bus = spawn_bus(config(addr), cancel.clone());
    let mut tasks = Vec::new();
    for i in 0..20u16 {
        let bus = bus.clone();
        tasks.push(tokio::spawn(async move {
            bus.read(
                BMS_UNIT,
                RegisterTable::Input,
                bms::CELL_VOLTAGE_0 + i % 16,
                1,
            )
            .await
        }));
    }
    for task in tasks {
        let words = task.await.unwrap().unwrap();
        assert!((3000..3600).contains(&words[0]));
    }
    bus.write(BMS_UNIT, RegisterTable::Holding, 0, &[3540])
        .await
        .unwrap();
    let stats = bus.stats();
    assert_eq!(stats.requests, 21);
    assert_eq!(stats.errors, 0);
    assert_eq!(stats.state, BusState::Connected);
    assert!(stats.latency_p50_ms.is_some() && stats.requests_per_s > 0.0);

    let refused = bus.write(BMS_UNIT, RegisterTable::Input, 0, &[1]).await;
    assert!(matches!(refused, Err(DeviceError::Refused(_))));
    assert_eq!(bus.stats().requests, 21, "a refusal sends nothing");

    cancel.cancel();
    assert!(eventually(5, async || bus.stats().state == BusState::Stopped).await);
    let stopped = bus.read(BMS_UNIT, RegisterTable::Input, 0, 1).await;
    assert_eq!(stopped, Err(DeviceError::Stopped));
    server.cancel();
}

#[tokio::test]
async fn a_silent_unit_backs_off_alone_and_recovers() {
    let (simulator, addr, server) = simulator_on("127.0.0.1:0").await;
    let bus = spawn_bus(config(addr), CancellationToken::new());
    simulator.pause(METER_UNIT);
    let first = bus
        .read(METER_UNIT, RegisterTable::Input, meter::FREQUENCY, 1)
        .await;
    assert!(matches!(first, Err(DeviceError::Timeout(_))), "{first:?}");
    // Backing off: answered at once, nothing sent.
    let requests = bus.stats().requests;
    let again = bus
        .read(METER_UNIT, RegisterTable::Input, meter::FREQUENCY, 1)
        .await;
    assert!(
        matches!(again, Err(DeviceError::Disconnected(_))),
        "{again:?}"
    );
    assert_eq!(bus.stats().requests, requests);
    assert_eq!(bus.stats().backing_off_units.len(), 1);
    // The other unit on the same bus keeps answering meanwhile.
    assert!(
        bus.read(BMS_UNIT, RegisterTable::Input, bms::SOC, 1)
            .await
            .is_ok()
    );

    simulator.resume(METER_UNIT);
    let recovered = eventually(5, async || {
        bus.read(METER_UNIT, RegisterTable::Input, meter::FREQUENCY, 1)
            .await
            .is_ok()
    })
    .await;
    assert!(recovered);
    let stats = bus.stats();
    assert!(stats.timeouts >= 1 && stats.backing_off_units.is_empty());
    assert!(
        stats.last_errors[0]
            .message
            .contains("no answer within 300 ms")
    );
    assert_eq!(stats.last_errors[0].registers, "input 10..=10");
    server.cancel();
}

#[tokio::test]
async fn a_server_that_goes_away_and_comes_back_is_reconnected() {
    let (_simulator, addr, server) = simulator_on("127.0.0.1:0").await;
    let bus = spawn_bus(config(addr), CancellationToken::new());
    assert!(
        bus.read(BMS_UNIT, RegisterTable::Input, bms::SOC, 1)
            .await
            .is_ok()
    );

    server.cancel();
    let down = eventually(5, async || {
        matches!(
            bus.read(BMS_UNIT, RegisterTable::Input, bms::SOC, 1).await,
            Err(DeviceError::Io(_))
        )
    })
    .await;
    assert!(down, "the bus never noticed the server was gone");
    assert!(matches!(bus.stats().state, BusState::BackingOff { .. }));

    let (_again, rebound, server) = simulator_on(&addr.to_string()).await;
    assert_eq!(rebound, addr);
    let back = eventually(10, async || {
        bus.read(BMS_UNIT, RegisterTable::Input, bms::SOC, 1)
            .await
            .is_ok()
    })
    .await;
    assert!(back, "the bus did not reconnect: {:?}", bus.stats());
    assert_eq!(bus.stats().state, BusState::Connected);
    server.cancel();
}
