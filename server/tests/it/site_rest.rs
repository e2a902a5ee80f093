//! The site's REST API (`/api/v1/site`) through the real router, on a SQLite file with the
//! default structure (system `system`, inverter array `array1`, battery array `battery_array1`
//! attached to it).

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use crate::common::{self, Answer, Payload, call_with};
use app::ssr::state::AppState;
use axum::http::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

async fn site_state() -> (AppState, common::TestDb) {
    let test_db = common::sqlite().await;
    services::database::migrate(&test_db.db).await.unwrap();
    let actor = services::actor::Actor::new("test", "test");
    assert!(
        services::site::ensure_default_structure(&test_db.db, &actor)
            .await
            .unwrap()
    );
    (common::app_state(&test_db), test_db)
}

/// A request with `headers` and, when given, a body: JSON for a value, the text itself for a
/// string (the import's YAML).
async fn send(
    state: &AppState,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Answer {
    let payload = match body {
        Some(Value::String(text)) => Payload::Text("text/yaml", text),
        other => Payload::from(other.map(|json| json.to_string())),
    };
    let router = crate::common::router(state.clone()).await;
    call_with(&router, method, path, headers, payload).await
}

async fn get(state: &AppState, path: &str) -> Answer {
    send(state, Method::GET, path, &[], None).await
}

async fn post(state: &AppState, path: &str, body: Value) -> Answer {
    send(state, Method::POST, path, &[], Some(body)).await
}

#[tokio::test]
async fn systems_and_the_tree_are_read_with_the_systems_version_as_etag() {
    let (state, _db) = site_state().await;
    let systems = get(&state, "/api/v1/site/systems").await;
    assert_eq!(systems.status, StatusCode::OK, "{}", systems.text);
    let list = systems.json();
    assert_eq!(list[0]["id"], "system");
    assert_eq!(list[0]["inverter_arrays"], 1);
    assert_eq!(list[0]["battery_arrays"], 1);

    let tree = get(&state, "/api/v1/site/systems/system").await;
    assert_eq!(tree.status, StatusCode::OK, "{}", tree.text);
    let body = tree.json();
    assert_eq!(tree.etag(), format!("\"{}\"", body["system"]["version"]));
    assert_eq!(body["inverter_arrays"][0]["id"], "array1");
    assert_eq!(body["battery_arrays"][0]["attached_to"], "array1");
    assert_eq!(body["attachments"][0]["detached_at"], Value::Null);

    let missing = get(&state, "/api/v1/site/systems/nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.content_type(), "application/problem+json");
}

#[tokio::test]
async fn rows_are_created_changed_with_if_match_and_deleted_after_a_preview() {
    let (state, _db) = site_state().await;
    let created = post(
        &state,
        "/api/v1/site/inverter-arrays",
        json!({"system_id": "system", "id": "array2", "name": "First floor"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json()["name"], "First floor");
    let array_version = created.json()["version"].as_i64().unwrap();
    assert_eq!(created.etag(), format!("\"{array_version}\""));

    let inverter = post(
        &state,
        "/api/v1/site/inverters",
        json!({"id": "inv2", "array_id": "array2", "name": "Inverter 2", "model": "PD-8K",
               "phase_type": "three"}),
    )
    .await;
    assert_eq!(inverter.status, StatusCode::CREATED, "{}", inverter.text);
    assert_eq!(inverter.json()["array_id"], "array2");
    let version = inverter.json()["version"].as_i64().unwrap();

    // A write without If-Match is refused; a stale one answers the row as it is now.
    let patch = json!({"name": "Inverter two"});
    let missing = send(
        &state,
        Method::PATCH,
        "/api/v1/site/inverters/inv2",
        &[],
        Some(patch.clone()),
    )
    .await;
    assert_eq!(missing.status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(missing.content_type(), "application/problem+json");
    let if_match = format!("\"{version}\"");
    let changed = send(
        &state,
        Method::PATCH,
        "/api/v1/site/inverters/inv2",
        &[("if-match", &if_match)],
        Some(patch),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.json()["name"], "Inverter two");
    assert!(changed.json()["version"].as_i64().unwrap() > version);
    let stale = send(
        &state,
        Method::PATCH,
        "/api/v1/site/inverters/inv2",
        &[("if-match", &if_match)],
        Some(json!({"model": null})),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
    assert_eq!(stale.json()["current"]["name"], "Inverter two");
    let not_a_version = send(
        &state,
        Method::PATCH,
        "/api/v1/site/inverters/inv2",
        &[("if-match", "*")],
        Some(json!({})),
    )
    .await;
    assert_eq!(not_a_version.status, StatusCode::BAD_REQUEST);

    // The preview says what goes with the array; the delete needs its version.
    let preview = get(&state, "/api/v1/site/inverter-arrays/array2/delete-preview").await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    let preview = preview.json();
    assert_eq!(preview["kind"], "inverter_array");
    assert!(
        preview["removes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "inverter" && r["count"] == 1),
        "{preview}"
    );
    let if_match = format!("\"{}\"", preview["version"]);
    let gone = send(
        &state,
        Method::DELETE,
        "/api/v1/site/inverter-arrays/array2",
        &[("if-match", &if_match)],
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    let again = get(&state, "/api/v1/site/inverters/inv2/delete-preview").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    // The change log names who made each change, newest first.
    let changes = get(&state, "/api/v1/site/systems/system/changes?limit=50").await;
    assert_eq!(changes.status, StatusCode::OK, "{}", changes.text);
    let changes = changes.json();
    assert_eq!(changes[0]["change_type"], "deleted");
    assert!(
        changes
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["entity_id"] == "inv2" && c["changed_by"] == "test-admin")
    );
    let unknown = get(&state, "/api/v1/site/systems/system/changes?offset=5").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn broken_rules_name_their_field() {
    let (state, _db) = site_state().await;
    let taken = post(
        &state,
        "/api/v1/site/inverters",
        json!({"id": "array1", "array_id": "array1", "name": "Clash"}),
    )
    .await;
    assert_eq!(
        taken.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        taken.text
    );
    assert_eq!(taken.json()["field"], "id");
    let no_parent = post(
        &state,
        "/api/v1/site/inverters",
        json!({"id": "inv9", "array_id": "array9", "name": "Orphan"}),
    )
    .await;
    assert_eq!(no_parent.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_parent.json()["field"], "array_id");
    let blank = post(
        &state,
        "/api/v1/site/battery-packs",
        json!({"id": "p9", "battery_array_id": "battery_array1", "name": " ", "batteries": 2,
               "cells_per_battery": 4, "adapters": []}),
    )
    .await;
    assert_eq!(
        blank.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        blank.text
    );
    assert_eq!(blank.json()["field"], "name");
    let shape = post(&state, "/api/v1/site/inverter-arrays", json!({"id": "x"})).await;
    assert_eq!(shape.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(shape.json()["title"], "Invalid request body");
}

#[tokio::test]
async fn packs_meters_and_adapters_are_written_with_their_units_and_failover_order() {
    let (state, _db) = site_state().await;
    let pack = post(
        &state,
        "/api/v1/site/battery-packs",
        json!({"id": "pack1", "battery_array_id": "battery_array1", "name": "Pack 1",
               "chemistry": "LFP", "nominal_kwh": 10.24, "max_charge_kw": 5.0,
               "max_discharge_kw": 5.0, "batteries": 2, "cells_per_battery": 16,
               "cell_nominal_voltage": 3.2, "adapters": []}),
    )
    .await;
    assert_eq!(pack.status, StatusCode::CREATED, "{}", pack.text);
    let body = pack.json();
    assert_eq!(body["batteries_count"], 2);
    assert_eq!(body["cell_count"], 32);
    assert_eq!(body["batteries"][1]["id"], "pack1_b1");

    let meter = post(
        &state,
        "/api/v1/site/meters",
        json!({"system_id": "system", "id": "grid1", "name": "Grid", "array_id": null,
               "meter_type": "grid"}),
    )
    .await;
    assert_eq!(meter.status, StatusCode::CREATED, "{}", meter.text);
    assert_eq!(meter.json()["array_id"], Value::Null);
    let if_match = format!("\"{}\"", meter.json()["version"]);
    let moved = send(
        &state,
        Method::PATCH,
        "/api/v1/site/meters/grid1",
        &[("if-match", &if_match)],
        Some(json!({"array_id": "array1"})),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.json()["array_id"], "array1");

    // A battery adapter type of our own: the catalog's types are not this test's business.
    let now = "'2026-12-02T10:00:00+00:00'";
    state
        .db
        .execute_unprepared(&format!(
            "INSERT INTO adapter_base (adapter_type, device_category, name, config_schema, version, created_at, updated_at) \
             VALUES ('test_bms', 'battery', 'Test BMS', '{{}}', 1, {now}, {now})"
        ))
        .await
        .unwrap();
    let battery_type = "test_bms";
    for (id, priority) in [("pack1_second", 2), ("pack1_first", 1)] {
        let adapter = post(
            &state,
            "/api/v1/site/adapters",
            json!({"device_id": "pack1", "id": id, "adapter_type": battery_type,
                   "name": null, "config": {}, "priority": priority, "enabled": true}),
        )
        .await;
        assert_eq!(adapter.status, StatusCode::CREATED, "{}", adapter.text);
    }
    let tree = get(&state, "/api/v1/site/systems/system").await.json();
    let adapters = &tree["battery_arrays"][0]["packs"][0]["adapters"];
    assert_eq!(adapters[0]["id"], "pack1_first");
    assert_eq!(adapters[1]["id"], "pack1_second");
}

/// An adapter's configuration keeps its type's JSON Schema whichever route writes it: a new
/// pack's adapters, one more adapter, and a change of an adapter; each refusal names every
/// problem at its path and writes nothing.
#[tokio::test]
async fn adapter_configurations_are_checked_against_their_types_schema() {
    let (state, _db) = site_state().await;
    let catalog = services::site::adapter_types::AdapterCatalog::builtin().unwrap();
    services::site::adapter_types::upsert_builtin_types(&state.db, &catalog)
        .await
        .unwrap();
    let pack = |adapters: Value| {
        json!({"id": "pack1", "battery_array_id": "battery_array1", "name": "Pack 1",
               "batteries": 1, "cells_per_battery": 4, "adapters": adapters})
    };
    let adapter = |id: &str, config: Value| {
        json!({"id": id, "adapter_type": "simulator_bms", "name": null, "config": config,
               "priority": 1, "enabled": true})
    };
    let broken = json!({"transport": "tcp", "unit_id": 0, "colour": "red"});

    let refused = post(
        &state,
        "/api/v1/site/battery-packs",
        pack(json!([adapter("pack1_bms", broken.clone())])),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let body = refused.json();
    let detail = body["detail"].as_str().unwrap();
    // Every problem, each at its path: the bad unit, the unknown member and the missing host.
    for path in [
        "adapters[0].config.unit_id",
        "adapters[0].config.colour",
        "adapters[0].config.host",
    ] {
        assert!(
            body["field"] == path || detail.contains(path),
            "{path} in {body}"
        );
    }
    let packs = |tree: &Answer| tree.json()["battery_arrays"][0]["packs"].clone();
    let tree = get(&state, "/api/v1/site/systems/system").await;
    assert_eq!(packs(&tree), json!([]), "{}", tree.text);

    let sound = json!({"transport": "tcp", "host": "127.0.0.1", "unit_id": 2});
    let created = post(
        &state,
        "/api/v1/site/battery-packs",
        pack(json!([adapter("pack1_bms", sound.clone())])),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);

    let another = post(
        &state,
        "/api/v1/site/adapters",
        json!({"device_id": "pack1", "id": "pack1_rtu", "adapter_type": "simulator_bms",
               "name": null, "config": {"transport": "rtu", "unit_id": 2, "baudrate": 1234},
               "priority": 2, "enabled": true}),
    )
    .await;
    assert_eq!(
        another.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        another.text
    );
    assert!(another.text.contains("config.baudrate"), "{}", another.text);
    assert!(
        another.text.contains("config.serial_port"),
        "{}",
        another.text
    );
    let tree = get(&state, "/api/v1/site/systems/system").await;
    let adapters = packs(&tree)[0]["adapters"].clone();
    assert_eq!(adapters.as_array().unwrap().len(), 1, "{}", tree.text);
    let etag = format!("\"{}\"", adapters[0]["version"].as_i64().unwrap());
    let changed = send(
        &state,
        Method::PATCH,
        "/api/v1/site/adapters/pack1_bms",
        &[("if-match", &etag)],
        Some(json!({"config": {"transport": "tcp", "host": "127.0.0.1", "port": 70000, "unit_id": 2}})),
    )
    .await;
    assert_eq!(
        changed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        changed.text
    );
    assert_eq!(changed.json()["field"], "config.port", "{}", changed.text);
    let tree = get(&state, "/api/v1/site/systems/system").await;
    assert_eq!(
        packs(&tree)[0]["adapters"][0]["config"],
        sound,
        "{}",
        tree.text
    );
}

#[tokio::test]
async fn attaching_keeps_the_history() {
    let (state, _db) = site_state().await;
    let created = post(
        &state,
        "/api/v1/site/inverter-arrays",
        json!({"system_id": "system", "id": "array2", "name": "First floor"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let attached = post(
        &state,
        "/api/v1/site/battery-arrays/battery_array1/attach",
        json!({"inverter_array_id": "array2"}),
    )
    .await;
    assert_eq!(attached.status, StatusCode::OK, "{}", attached.text);
    let history = attached.json();
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
    assert_eq!(history[0]["inverter_array_id"], "array2");
    assert_eq!(history[0]["detached_at"], Value::Null);
    assert_eq!(history[1]["inverter_array_id"], "array1");
    assert!(history[1]["detached_at"].is_string());

    let elsewhere = post(
        &state,
        "/api/v1/site/battery-arrays/battery_array1/attach",
        json!({"inverter_array_id": "array9"}),
    )
    .await;
    assert_eq!(elsewhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(elsewhere.json()["field"], "inverter_array_id");

    let detached = send(
        &state,
        Method::POST,
        "/api/v1/site/battery-arrays/battery_array1/detach",
        &[],
        None,
    )
    .await;
    assert_eq!(detached.status, StatusCode::OK, "{}", detached.text);
    assert!(
        detached
            .json()
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["detached_at"].is_string())
    );
    let twice = send(
        &state,
        Method::POST,
        "/api/v1/site/battery-arrays/battery_array1/detach",
        &[],
        None,
    )
    .await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_system_exports_as_yaml_and_imports_back_with_nothing_to_change() {
    let (state, _db) = site_state().await;
    let export = get(&state, "/api/v1/site/systems/system/export").await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.text);
    // text/* defaults to ISO-8859-1 without a charset (RFC 2046): the file has "§" and "→".
    assert_eq!(export.content_type(), "text/yaml; charset=utf-8");
    assert!(export.text.contains("array1"), "{}", export.text);

    let back = post(
        &state,
        "/api/v1/site/import?dry_run=true",
        Value::String(export.text.clone()),
    )
    .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    assert_eq!(back.json()["changes"], json!([]));

    // A new array in the file: planned on a dry run, written otherwise.
    let more = export
        .text
        .replacen("arrays:\n", "arrays:\n  - id: array7\n    name: Shed\n", 1);
    let plan = post(
        &state,
        "/api/v1/site/import?dry_run=true",
        Value::String(more.clone()),
    )
    .await;
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.text);
    assert_eq!(plan.json()["changes"][0]["id"], "array7");
    let tree = get(&state, "/api/v1/site/systems/system").await.json();
    assert_eq!(tree["inverter_arrays"].as_array().unwrap().len(), 1);
    let applied = post(&state, "/api/v1/site/import", Value::String(more)).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.text);
    let tree = get(&state, "/api/v1/site/systems/system").await.json();
    assert_eq!(tree["inverter_arrays"].as_array().unwrap().len(), 2);

    // A bad file lists every problem with its place, and nothing is written.
    let bad = "home:\n  id: system\n  name: Home\narrays:\n  - id: array1\n    name: A\ninverters:\n  - id: inv1\n    name: I\n    array_id: array9\n    phase_type: sideways\n";
    let refused = post(&state, "/api/v1/site/import", Value::String(bad.into())).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.content_type(), "application/problem+json");
    let problems = refused.json()["problems"].clone();
    assert!(problems.as_array().unwrap().len() >= 2, "{problems}");
    assert!(
        problems
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["line"].as_u64().unwrap() >= 1)
    );
    assert!(
        problems
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["path"] == "inverters[0].array_id" && p["line"] == 10),
        "{problems}"
    );
    let syntax = post(
        &state,
        "/api/v1/site/import",
        Value::String("home: [".into()),
    )
    .await;
    assert_eq!(syntax.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Adapters are checked against the built-in types, at their line.
    let unknown_adapter = "home:\n  id: system\n  name: Home\narrays:\n  - id: array1\n    name: A\ninverters:\n  - id: inv1\n    name: I\n    array_id: array1\n    adapter:\n      type: no_such_adapter\n";
    let refused = post(
        &state,
        "/api/v1/site/import?dry_run=true",
        Value::String(unknown_adapter.into()),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let problems = refused.json()["problems"].clone();
    assert!(
        problems
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["line"] == 12 && p["message"].as_str().unwrap().contains("no_such_adapter")),
        "{problems}"
    );
    let as_json = send(
        &state,
        Method::POST,
        "/api/v1/site/import",
        &[("content-type", "application/json")],
        None,
    )
    .await;
    assert_eq!(as_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn the_site_routes_are_documented() {
    let (state, _db) = site_state().await;
    let document = get(&state, "/api/v1/openapi.json").await.json();
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/api/v1/site/systems",
        "/api/v1/site/systems/{system_id}",
        "/api/v1/site/systems/{system_id}/changes",
        "/api/v1/site/systems/{system_id}/export",
        "/api/v1/site/import",
        "/api/v1/site/inverter-arrays",
        "/api/v1/site/inverter-arrays/{id}",
        "/api/v1/site/inverters/{id}/delete-preview",
        "/api/v1/site/battery-arrays/{id}/attach",
        "/api/v1/site/battery-arrays/{id}/detach",
        "/api/v1/site/battery-packs/{id}",
        "/api/v1/site/meters/{id}",
        "/api/v1/site/adapters/{id}",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    let patch = &paths["/api/v1/site/inverters/{id}"]["patch"]["responses"];
    for status in ["200", "400", "404", "409", "422", "428"] {
        assert!(patch.get(status).is_some(), "PATCH inverter lacks {status}");
    }
    // The rules every /api/v1 operation keeps (as server/tests/it/rest.rs checks them): named and
    // tagged; what a client can get wrong is documented (a query string, a body), a versioned
    // write documents its missing and stale If-Match.
    let mut operations = 0;
    for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/api/v1/site/")) {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let name = format!("{method} {path}");
            for key in ["operationId", "summary", "tags", "description"] {
                assert!(operation.get(key).is_some(), "{name} has no {key}");
            }
            let responses = operation["responses"].as_object().unwrap();
            let has_query = operation["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
            let mut wanted = vec!["500"];
            if has_query || operation.get("requestBody").is_some() {
                wanted.push("400");
            }
            if operation.get("requestBody").is_some() {
                wanted.extend(["413", "415", "422"]);
            }
            let versioned = operation["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == "If-Match"));
            if versioned {
                wanted.extend(["400", "404", "409", "428"]);
            }
            for status in wanted {
                assert!(
                    responses.contains_key(status),
                    "{name} does not document {status}"
                );
            }
        }
    }
    // 35 of the catalog, 3 of its field I/O (live state, failover journal, adapter test).
    assert_eq!(operations, 38);
}
