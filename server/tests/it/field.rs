//! Field I/O end to end: a real SQLite registry, the simulator on loopback TCP, and the server's
//! `FieldIo` polling, reading, writing with read-back, refusing, and falling back.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use std::time::Duration;

use devices::simulator::{self, BMS_UNIT, METER_UNIT, Simulator, bms};
use model::error::AppError;
use model::field::Quality;
use model::registry::{AccessType, Category, NewAccessPath, NewVariable};
use sea_orm::DatabaseConnection;
use serde_json::json;
use services::actor::Actor;
use services::field::FieldIo;
use services::field::config::FieldConfig;
use services::registry::write;
use tokio_util::sync::CancellationToken;

use crate::common;
use crate::common::{Site, WAIT, eventually};

fn modbus_path(unit_id: u8, address: u16, priority: i32, read_only: bool) -> NewAccessPath {
    NewAccessPath {
        access_type: AccessType::Modbus,
        reference: json!({"device": if unit_id == METER_UNIT { "meter" } else { "bms" },
            "unit_id": unit_id, "table": "input", "address": address, "data_type": "u16"}),
        priority,
        read_only,
        rack_number: None,
        device_id: None,
    }
}

async fn create(db: &DatabaseConnection, name: &str, paths: Vec<NewAccessPath>) {
    let new = NewVariable {
        name: name.into(),
        display_name: None,
        units: String::new(),
        description: String::new(),
        category: Category::Oper,
        locator: Some("system.global".into()),
        paths,
    };
    write::create_variable(db, &new, &Actor::new("tester", "test"))
        .await
        .unwrap();
}

/// The simulated site with two Modbus variables, one with a fallback path.
async fn site() -> Site {
    Site::tcp(async |db: &DatabaseConnection| {
        create(
            db,
            "bms_soc",
            vec![modbus_path(BMS_UNIT, bms::SOC, 5, true)],
        )
        .await;
        // Preferred: the meter (paused in the fallback test); fallback: the BMS SOC register.
        create(
            db,
            "site_soc",
            vec![
                modbus_path(METER_UNIT, 0, 10, true),
                modbus_path(BMS_UNIT, bms::SOC, 1, true),
            ],
        )
        .await;
    })
    .await
}

#[tokio::test]
async fn a_limit_is_read_written_and_read_back_through_its_memory_path() {
    let site = site().await;
    let register = simulator::protection_register("cell_voltage", "max", "warn").unwrap();
    let now = site
        .field
        .read_now(&site.db, "cell_voltage_max_warn", None)
        .await
        .unwrap();
    assert_eq!(now.values, vec![3550.0]);
    assert_eq!(now.quality, Quality::Good);
    assert_eq!(now.source, "bus site, unit 2, holding 0");

    let outcome = site
        .field
        .write(
            &site.db,
            "cell_voltage_max_warn",
            &[3540.0],
            None,
            &services::actor::Actor::new("tester", "test"),
        )
        .await
        .unwrap();
    assert!(outcome.confirmed, "{outcome:?}");
    assert_eq!(outcome.before, vec![3550.0]);
    assert_eq!(outcome.read_back, vec![3540.0]);
    assert_eq!(site.simulator.holding(BMS_UNIT, register), Some(3540));
}

#[tokio::test]
async fn bad_writes_are_refused_before_anything_is_sent() {
    let site = site().await;
    let register = simulator::protection_register("soc", "max", "warn").unwrap();
    let too_big = site
        .field
        .write(
            &site.db,
            "soc_max_warn",
            &[70_000.0],
            None,
            &services::actor::Actor::new("tester", "test"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&too_big, AppError::Validation { message, .. } if message.contains("0..=65535")),
        "{too_big:?}"
    );
    // soc_max_warn counts 0.1 %: 950 is 95 %.
    assert_eq!(site.simulator.holding(BMS_UNIT, register), Some(950));

    let read_only = site
        .field
        .write(
            &site.db,
            "bms_soc",
            &[50.0],
            None,
            &services::actor::Actor::new("tester", "test"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&read_only, AppError::Validation { message, .. } if message.contains("writable")),
        "{read_only:?}"
    );
    let unmapped = site
        .field
        .write(
            &site.db,
            "balancing_threshold",
            &[1.0],
            None,
            &services::actor::Actor::new("tester", "test"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&unmapped, AppError::NotConfigured(why) if why.contains("no data source")),
        "{unmapped:?}"
    );
}

#[tokio::test]
async fn polled_values_arrive_with_quality_and_fall_back_when_the_preferred_path_fails() {
    let site = site().await;
    let names = vec!["bms_soc".to_string(), "soc_max_warn".to_string()];
    let arrived = eventually(WAIT, async || {
        let live = site.field.live(&names);
        live.len() == 2 && live.iter().all(|v| v.quality == Quality::Good)
    })
    .await;
    assert!(arrived, "{:?}", site.field.live(&names));
    let soc = f64::from(site.simulator.input(BMS_UNIT, bms::SOC).unwrap());
    let live = site.field.live(&names);
    assert!((live[0].values[0] - soc).abs() <= 1.0, "{live:?}");
    assert_eq!(live[1].values, vec![950.0], "the register's 0.1 % counts");

    // The meter stops answering: site_soc comes from its second path, and says so.
    site.simulator.pause(METER_UNIT);
    let read = site
        .field
        .read_now(&site.db, "site_soc", None)
        .await
        .unwrap();
    assert!(read.source.contains("fallback"), "{read:?}");
    assert!((read.values[0] - soc).abs() <= 1.0);
    let fell_back = eventually(WAIT, async || {
        site.field
            .live(&["site_soc".to_string()])
            .first()
            .is_some_and(|v| v.quality == Quality::Good && v.source.contains("fallback"))
    })
    .await;
    assert!(
        fell_back,
        "{:?}",
        site.field.live(&["site_soc".to_string()])
    );

    let (blocks, unmapped) = site.field.plan();
    assert!(!blocks.is_empty());
    assert!(
        unmapped.iter().any(|(_, _, why, expected)| *expected
            && why.contains("\"oper:rack:sm16\" has no data source")),
        "{unmapped:?}"
    );
    let stats = site.field.bus_stats();
    assert_eq!(stats.len(), 1);
    assert!(stats[0].requests > 0 && stats[0].timeouts > 0, "{stats:?}");
}

#[tokio::test]
async fn a_variable_whose_table_has_no_data_source_is_a_configuration_conflict() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    let site = site().await;
    // `balancing_threshold` lives in `oper:rack:sm16`, which the field configuration leaves out.
    let error = site
        .field
        .read_now(&site.db, "balancing_threshold", None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, AppError::NotConfigured(why) if why.contains("no data source")),
        "{error:?}"
    );
    assert_eq!(error.title(), "Not configured");

    let router = site.router().await;
    let response = router
        .clone()
        .oneshot(
            Request::get("/api/v1/variables/balancing_threshold/value")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["title"], "Not configured", "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("no data source")),
        "{problem}"
    );

    let response = router
        .oneshot(
            Request::put("/api/v1/variables/balancing_threshold/value")
                .header("content-type", "application/json")
                .body(Body::from(r#"{"value": 1}"#))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
}

/// Checks an object against a generated object schema: every required property is there and
/// nothing undocumented is.
fn assert_matches_schema(item: &serde_json::Value, schema: &serde_json::Value) {
    let properties = schema["properties"]
        .as_object()
        .expect("an object schema with properties");
    let item = item.as_object().expect("an object");
    for key in item.keys() {
        assert!(properties.contains_key(key), "{key} is not documented");
    }
    for required in schema["required"].as_array().into_iter().flatten() {
        let key = required.as_str().unwrap();
        assert!(
            item.contains_key(key),
            "required {key} is missing: {item:?}"
        );
    }
}

/// Reads the stream until `events` complete `live` events have arrived; returns their data.
async fn live_events(
    stream: &mut axum::body::BodyDataStream,
    events: usize,
) -> Vec<Vec<serde_json::Value>> {
    use futures_util::StreamExt;
    let mut text = String::new();
    let mut found = Vec::new();
    while found.len() < events {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("an event within 5 s")
            .expect("the stream stays open")
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        // Events end with a blank line.
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            if event.lines().any(|l| l == "event: live") {
                let data = event
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .expect("a data line");
                found.push(serde_json::from_str(data).unwrap());
            }
        }
    }
    found
}

#[tokio::test]
async fn the_live_stream_sends_values_every_interval_and_ends_at_shutdown() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt;

    let site = site().await;
    let names = vec!["bms_soc".to_string()];
    let polled = eventually(WAIT, async || {
        site.field
            .live(&names)
            .first()
            .is_some_and(|v| v.quality == Quality::Good)
    })
    .await;
    assert!(polled, "{:?}", site.field.live(&names));
    let router = site.router().await;
    // Each event's items are `LiveValue`s as the OpenAPI document describes them.
    let document = router
        .clone()
        .oneshot(
            Request::get("/api/v1/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let document: serde_json::Value = serde_json::from_slice(
        &axum::body::to_bytes(document.into_body(), usize::MAX)
            .await
            .unwrap(),
    )
    .unwrap();
    let live_value = &document["components"]["schemas"]["LiveValue"];

    let bad = router
        .clone()
        .oneshot(
            Request::get("/api/v1/live/stream?names=bms_soc&interval_ms=10")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Timed from before the request: the stream's clock starts when the server answers, so a
    // test thread that gets the response late must not make the events look early.
    let started = std::time::Instant::now();
    let response = router
        .oneshot(
            Request::get("/api/v1/live/stream?names=bms_soc,no_such_variable&interval_ms=250")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut stream = response.into_body().into_data_stream();
    let events = live_events(&mut stream, 3).await;
    // Three events 250 ms apart: the first at once, the third after about 500 ms.
    assert!(started.elapsed() >= Duration::from_millis(400));
    for event in &events {
        for item in event {
            assert_matches_schema(item, live_value);
        }
    }
    for event in &events {
        assert_eq!(event.len(), 1, "unknown names are left out: {event:?}");
        assert_eq!(event[0]["name"], "bms_soc");
        assert_eq!(event[0]["quality"], "good");
        let soc = site.simulator.input(BMS_UNIT, bms::SOC).unwrap();
        assert!((event[0]["values"][0].as_f64().unwrap() - f64::from(soc)).abs() <= 1.0);
    }

    // Shutdown ends the stream, so the server's graceful shutdown is not held open.
    site.cancel.cancel();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        use futures_util::StreamExt;
        while stream.next().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream did not end at shutdown");
}

#[tokio::test]
async fn can_paths_are_read_from_the_broadcast_and_never_written() {
    use devices::can::CanMonitor;
    use devices::can::memory::MemoryCanBus;
    use devices::simulator::{CAN_PERIOD, spawn_can_broadcast};

    let test_db = common::sqlite().await;
    services::database::migrate(&test_db.db).await.unwrap();
    let db = test_db.db.clone();
    let can_path = NewAccessPath {
        access_type: AccessType::Can,
        reference: json!({"can_id": 0x355, "start_byte": 0, "length": 2, "data_type": "u16"}),
        priority: 10,
        read_only: false,
        rack_number: None,
        device_id: Some("bms_can".into()),
    };
    create(&db, "can_soc", vec![can_path]).await;

    let simulator = Simulator::new();
    let cancel = CancellationToken::new();
    let bus = MemoryCanBus::new();
    spawn_can_broadcast(simulator.clone(), bus.node(), CAN_PERIOD, cancel.clone());
    let monitor = CanMonitor::spawn("bms_can".into(), bus.node(), cancel.clone());
    let config = FieldConfig::parse(
        "field.json",
        r#"{"devices": {"bms_can": "bms_can"}, "can": [{"name": "bms_can", "interface": "builtin"}]}"#,
    )
    .unwrap();
    let field = FieldIo::start_with_builtin_can(db.clone(), config, vec![monitor], cancel.clone());

    let names = vec!["can_soc".to_string()];
    let arrived = eventually(WAIT, async || {
        field
            .live(&names)
            .first()
            .is_some_and(|v| v.quality == Quality::Good)
    })
    .await;
    assert!(arrived, "{:?}", field.live(&names));
    let soc = f64::from(simulator.input(BMS_UNIT, bms::SOC).unwrap());
    let live = &field.live(&names)[0];
    assert!((live.values[0] - soc).abs() <= 1.0, "{live:?} vs {soc}");
    assert!(
        live.source.contains("CAN bms_can, id 0x355"),
        "{}",
        live.source
    );

    let now = field.read_now(&db, "can_soc", None).await.unwrap();
    assert!((now.values[0] - soc).abs() <= 1.0);
    // Not written even when the path is not marked read-only: a broadcast has no register.
    let error = field
        .write(
            &db,
            "can_soc",
            &[50.0],
            None,
            &services::actor::Actor::new("tester", "test"),
        )
        .await
        .unwrap_err();
    assert!(error.to_string().contains("CAN"), "{error}");
    // The Buses page sees the bus and the ids heard.
    let overview = field.overview();
    assert_eq!(overview.can_buses.len(), 1);
    assert!(overview.can_buses[0].ids.iter().any(|id| id.id == 0x355));
    cancel.cancel();
}
