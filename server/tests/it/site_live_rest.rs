//! The adapters' REST routes through the real router, against the real simulator:
//! `GET /api/v1/site/live`, `GET /api/v1/site/battery-packs/{id}/switches` and
//! `POST /api/v1/site/adapter-tests`, with their problem+json answers.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::sync::Arc;
use std::time::Duration;

use crate::common::{self, call};
use axum::http::{Method, StatusCode};
use devices::simulator::Simulator;
use serde_json::{Value, json};
use services::actor::Actor;
use services::site::adapter_types::{AdapterCatalog, upsert_builtin_types};
use services::site::drive::{SiteIo, SiteIoConfig};
use tokio_util::sync::CancellationToken;

/// A request with a JSON body; the answer's body must be JSON.
async fn send(router: &axum::Router, method: Method, uri: &str, body: Option<Value>) -> Answered {
    let answer = call(router, method, uri, &[], body.map(|json| json.to_string())).await;
    Answered {
        status: answer.status,
        content_type: answer.content_type().to_string(),
        json: answer.json(),
    }
}

struct Answered {
    status: StatusCode,
    content_type: String,
    json: Value,
}

fn site_file(port: u16) -> String {
    format!(
        r#"
home: {{id: plant, name: Plant, timezone: UTC}}
battery_bank_arrays:
  - {{id: plant_batteries, name: Batteries, battery_bank_ids: [plant_pack]}}
battery_banks:
  - id: plant_pack
    name: Pack
    battery_array_id: plant_batteries
    batteries: 1
    cells_per_battery: 16
    adapters:
      - {{id: plant_pack_a, type: simulator_bms, priority: 1, transport: tcp, host: 127.0.0.1, port: {port}, unit_id: 2}}
      - {{id: plant_pack_b, type: simulator_bms, priority: 2, transport: tcp, host: 127.0.0.1, port: {port}, unit_id: 2}}
meters:
  - id: plant_meter
    name: Grid
    array_id: home
    type: grid
    adapter: {{type: simulator_meter, transport: tcp, host: 127.0.0.1, port: {port}, unit_id: 3}}
"#
    )
}

#[tokio::test]
async fn live_state_journal_and_adapter_test() {
    let test_db = common::sqlite().await;
    let db = &test_db.db;
    services::database::migrate(db).await.unwrap();
    let catalog = Arc::new(AdapterCatalog::builtin().unwrap());
    upsert_builtin_types(db, &catalog).await.unwrap();
    let cancel = CancellationToken::new();
    let addr = Simulator::new()
        .serve_tcp("127.0.0.1:0".parse().unwrap(), cancel.clone())
        .await
        .unwrap();
    let spec = services::site::yaml::read_site_yaml(
        &site_file(addr.port()),
        "plant.yaml",
        catalog.as_ref(),
    )
    .unwrap_or_else(|problems| panic!("{problems}"));
    services::site::apply_spec(db, &spec, false, false, &Actor::new("t", "t"))
        .await
        .unwrap();

    // Without site I/O in the server, the live state is not configured.
    let bare = crate::common::router(common::app_state(&test_db)).await;
    let answer = send(&bare, Method::GET, "/api/v1/site/live?system=plant", None).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.json);

    let config = SiteIoConfig {
        period: Duration::from_millis(100),
        ..SiteIoConfig::default()
    };
    let io = SiteIo::start(db.clone(), catalog.clone(), config, cancel.clone());
    io.wait_cycles(2).await;
    let router = crate::common::router(common::app_state(&test_db))
        .await
        .layer(axum::Extension(io));

    let live = send(&router, Method::GET, "/api/v1/site/live?system=plant", None).await;
    assert_eq!(live.status, StatusCode::OK, "{}", live.json);
    assert_eq!(live.json["system_id"], "plant");
    assert_eq!(live.json["period_ms"], 100);
    let devices = live.json["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2, "{devices:#?}");
    let pack = devices
        .iter()
        .find(|d| d["device_id"] == "plant_pack")
        .unwrap();
    assert_eq!(pack["kind"], "battery_pack");
    assert_eq!(pack["state"], "answering");
    assert_eq!(pack["adapter_id"], "plant_pack_a");
    assert_eq!(pack["failover"]["serving_adapter_id"], "plant_pack_a");
    assert_eq!(pack["failover"]["failover_active"], false);
    assert_eq!(
        pack["failover"]["adapters"][1]["adapter_id"],
        "plant_pack_b"
    );
    assert_eq!(pack["failover"]["adapters"][1]["answering"], Value::Null);
    let soc = pack["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["quantity"] == "battery_soc_pct")
        .unwrap();
    assert_eq!(
        (&soc["unit"], &soc["quality"]),
        (&json!("percent"), &json!("good"))
    );
    let meter = devices
        .iter()
        .find(|d| d["device_id"] == "plant_meter")
        .unwrap();
    assert!(meter.get("failover").is_none(), "{meter}");

    let missing = send(&router, Method::GET, "/api/v1/site/live?system=nope", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.content_type, "application/problem+json");
    let no_param = send(&router, Method::GET, "/api/v1/site/live", None).await;
    assert_eq!(
        no_param.status,
        StatusCode::BAD_REQUEST,
        "{}",
        no_param.json
    );

    let journal = send(
        &router,
        Method::GET,
        "/api/v1/site/battery-packs/plant_pack/switches",
        None,
    )
    .await;
    assert_eq!(journal.status, StatusCode::OK);
    assert_eq!(journal.json, json!([]));
    let unknown = send(
        &router,
        Method::GET,
        "/api/v1/site/battery-packs/nope/switches",
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // Test connection: the BMS answers every quantity.
    let test = |config: Value| json!({"adapter_type": "simulator_bms", "config": config});
    let tested = send(
        &router,
        Method::POST,
        "/api/v1/site/adapter-tests",
        Some(test(
            json!({"transport": "tcp", "host": "127.0.0.1", "port": addr.port(), "unit_id": 2}),
        )),
    )
    .await;
    assert_eq!(tested.status, StatusCode::OK, "{}", tested.json);
    assert_eq!(
        tested.json["endpoint"],
        format!("Modbus TCP 127.0.0.1:{}", addr.port())
    );
    assert_eq!(tested.json["readings"].as_array().unwrap().len(), 26);

    // Nothing listens on port 1: a 502 in plain words.
    let refused = send(
        &router,
        Method::POST,
        "/api/v1/site/adapter-tests",
        Some(test(
            json!({"transport": "tcp", "host": "127.0.0.1", "port": 1, "unit_id": 2}),
        )),
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_GATEWAY, "{}", refused.json);
    assert_eq!(refused.content_type, "application/problem+json");
    assert!(
        refused.json["detail"]
            .as_str()
            .unwrap()
            .contains("cannot reach Modbus TCP 127.0.0.1:1"),
        "{}",
        refused.json
    );

    let invalid = send(
        &router,
        Method::POST,
        "/api/v1/site/adapter-tests",
        Some(test(
            json!({"transport": "tcp", "host": "127.0.0.1", "unit_id": 0}),
        )),
    )
    .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.json["field"], "/unit_id");

    let unknown_type = send(
        &router,
        Method::POST,
        "/api/v1/site/adapter-tests",
        Some(json!({"adapter_type": "nope", "config": {}})),
    )
    .await;
    assert_eq!(unknown_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown_type.json["field"], "adapter_type");
    cancel.cancel();
}
