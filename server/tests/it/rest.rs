//! The REST API and the Registry pages through the real router, on a SQLite file.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use crate::common::{self, Answer, call};
use app::ssr::state::AppState;
use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

async fn state_with_examples() -> (AppState, common::TestDb) {
    let test_db = common::sqlite().await;
    services::database::migrate(&test_db.db).await.unwrap();
    common::import_examples(&test_db.db, "test").await;
    (common::app_state(&test_db), test_db)
}

async fn send(
    state: &AppState,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Answer {
    let router = crate::common::router(state.clone()).await;
    call(
        &router,
        method,
        path,
        headers,
        body.map(|json| json.to_string()),
    )
    .await
}

/// A GET without headers.
async fn get(state: &AppState, path: &str) -> Answer {
    send(state, Method::GET, path, &[], None).await
}

#[tokio::test]
async fn lists_filter_and_page() {
    let (state, _db) = state_with_examples().await;
    let answer = get(
        &state,
        "/api/v1/variables?category=prot&per_page=5&include_paths=true",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let page = answer.json();
    assert!(page["total"].as_u64().unwrap() > 5);
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["category"] == "prot" && v["paths"].is_array())
    );

    let bad = get(&state, "/api/v1/variables?category=bogus").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.content_type(), "application/problem+json");
    assert!(
        bad.json()["detail"].as_str().unwrap().contains("bogus"),
        "{}",
        bad.text
    );
}

#[tokio::test]
async fn writes_need_the_current_if_match_and_a_stale_one_answers_409_with_the_current_state() {
    let (state, _db) = state_with_examples().await;
    let read = get(&state, "/api/v1/variables/rack_voltage").await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.headers.get(header::ETAG).unwrap(), "\"1\"");

    let patch = json!({"description": "Rack DC bus voltage"});
    let missing = send(
        &state,
        Method::PATCH,
        "/api/v1/variables/rack_voltage",
        &[],
        Some(patch.clone()),
    )
    .await;
    assert_eq!(missing.status, StatusCode::PRECONDITION_REQUIRED);

    let ok = send(
        &state,
        Method::PATCH,
        "/api/v1/variables/rack_voltage",
        &[("if-match", "\"1\"")],
        Some(patch),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.headers.get(header::ETAG).unwrap(), "\"2\"");
    assert_eq!(ok.json()["description"], "Rack DC bus voltage");

    let stale = send(
        &state,
        Method::PATCH,
        "/api/v1/variables/rack_voltage",
        &[("if-match", "1")],
        Some(json!({"units": "kV"})),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.content_type(), "application/problem+json");
    assert_eq!(stale.json()["current"]["variable_version"], 2);
    assert_eq!(
        stale.json()["current"]["units"],
        "V",
        "the stale write changed nothing"
    );

    let invalid = send(
        &state,
        Method::PATCH,
        "/api/v1/variables/rack_voltage",
        &[("if-match", "2")],
        Some(json!({"locator": "Not A Locator"})),
    )
    .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.json()["field"], "locator");

    let history = get(&state, "/api/v1/variables/rack_voltage/history").await;
    let entries = history.json();
    // The writer is the token's name (the router's admin token), whatever a header claims.
    assert_eq!(entries[0]["changed_by"], "test-admin");
    assert_eq!(entries[0]["field_name"], "description");
}

#[tokio::test]
async fn create_add_path_and_delete_through_the_api() {
    let (state, _db) = state_with_examples().await;
    let new = json!({
        "name": "grid_frequency", "units": "Hz", "category": "oper", "locator": "system.global",
        "paths": [{"access_type": "modbus", "reference": {"device": "meter", "unit_id": 3, "table": "input", "address": 30, "count": 2, "data_type": "f32"}, "priority": 5, "read_only": true}]
    });
    let created = send(
        &state,
        Method::POST,
        "/api/v1/variables",
        &[],
        Some(new.clone()),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json()["display_name"], "Grid Frequency");
    let again = send(&state, Method::POST, "/api/v1/variables", &[], Some(new)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let bad_path = json!({"access_type": "can", "reference": {"can_id": 4096, "start_byte": 0, "length": 2, "data_type": "u16"}});
    let refused = send(
        &state,
        Method::POST,
        "/api/v1/variables/grid_frequency/access-paths",
        &[("if-match", "1")],
        Some(bad_path),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["field"], "reference.can_id");

    let deleted = send(
        &state,
        Method::DELETE,
        "/api/v1/variables/grid_frequency",
        &[("if-match", "1")],
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert_eq!(deleted.json()["deleted"], true);
    let feed = get(&state, "/api/v1/changes?since=0&limit=100000")
        .await
        .json();
    let last = feed["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "variable");
    assert_eq!(last["deleted"], true);
    assert_eq!(last["system_version"], feed["current_version"]);
}

#[tokio::test]
async fn facets_bulk_preferred_path_and_version() {
    let (state, _db) = state_with_examples().await;
    let categories = get(&state, "/api/v1/categories").await.json();
    assert_eq!(categories["items"].as_array().unwrap().len(), 3);
    let locators = get(&state, "/api/v1/locators?category=prot").await.json();
    assert!(!locators["items"].as_array().unwrap().is_empty());

    let bulk = send(
        &state,
        Method::POST,
        "/api/v1/variables/bulk",
        &[],
        Some(json!({"names": ["rack_voltage", "nope"]})),
    )
    .await
    .json();
    assert_eq!(bulk["items"].as_array().unwrap().len(), 1);
    assert_eq!(bulk["missing"], json!(["nope"]));

    let read_only = get(
        &state,
        "/api/v1/variables/rack_voltage/preferred-path?writable=true",
    )
    .await;
    assert_eq!(
        read_only.status,
        StatusCode::NOT_FOUND,
        "{}",
        read_only.text
    );
    let writable = get(
        &state,
        "/api/v1/variables/cell_voltage_max_warn/preferred-path?writable=true&rack=2",
    )
    .await;
    assert_eq!(writable.status, StatusCode::OK, "{}", writable.text);
    assert_eq!(writable.json()["reference"]["table"], "prot:sbmu:hold");

    let version = get(&state, "/api/v1/system/version").await.json();
    assert!(version["system_version"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn a_wrong_method_answers_405_with_allow() {
    let (state, _db) = state_with_examples().await;
    let answer = send(
        &state,
        Method::PUT,
        "/api/v1/variables/rack_voltage",
        &[],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    let allow = answer
        .headers
        .get(header::ALLOW)
        .expect("Allow header")
        .to_str()
        .unwrap()
        .to_string();
    for method in ["GET", "PATCH", "DELETE"] {
        assert!(allow.contains(method), "{allow}");
    }
    assert_eq!(
        answer.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/problem+json"
    );
    let problem = answer.json();
    assert_eq!(problem["status"], 405);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("does not answer PUT"),
        "{problem}"
    );
}

#[tokio::test]
async fn registry_pages_render_on_the_server() {
    let (state, _db) = state_with_examples().await;
    let list = get(&state, "/registry?q=cell_voltage_max&category=prot").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("cell_voltage_max_warn"), "{}", list.text);
    assert!(!list.text.contains(">rack_voltage<"), "filtered out");

    let detail = get(&state, "/registry/max_cell_voltage").await;
    assert_eq!(detail.status, StatusCode::OK);
    for expected in [
        "Access paths",
        "oper:rack:sm16",
        "oper:sbmu:input",
        "History",
        "created",
    ] {
        assert!(detail.text.contains(expected), "missing {expected}");
    }
    let missing = get(&state, "/registry/no_such_variable").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_openapi_document_covers_every_route_and_the_docs_page_renders_it() {
    let (state, _db) = state_with_examples().await;
    let answer = get(&state, "/api/v1/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    let doc = answer.json();
    assert_eq!(doc["openapi"], "3.1.0");
    // The document is generated from the router, so every route is in it; this inventory makes
    // a removed or renamed route a deliberate change.
    let mut paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            // The prototype's API (server/tests/it/prototype.rs).
            "/",
            "/api/categories",
            "/api/locators",
            "/api/protections",
            "/api/protections/deploy",
            "/api/system/version",
            "/api/v1/alarms",
            "/api/v1/alarms/acknowledge",
            "/api/v1/alarms/journal",
            "/api/v1/alarms/stream",
            "/api/v1/audit",
            "/api/v1/audit.csv",
            "/api/v1/buses",
            "/api/v1/categories",
            "/api/v1/changes",
            "/api/v1/docs",
            "/api/v1/export/data_def.json",
            "/api/v1/export/var_metadata.json",
            "/api/v1/live",
            "/api/v1/live/stream",
            "/api/v1/locators",
            "/api/v1/me/password",
            "/api/v1/openapi.json",
            "/api/v1/protections",
            "/api/v1/protections/deploy",
            "/api/v1/protections/deployments",
            "/api/v1/protections/deployments/{id}",
            "/api/v1/protections/profiles",
            "/api/v1/protections/profiles/{name}",
            "/api/v1/protections/profiles/{name}/activate",
            "/api/v1/registry/snapshot",
            "/api/v1/site/adapter-tests",
            "/api/v1/site/adapters",
            "/api/v1/site/adapters/{id}",
            "/api/v1/site/adapters/{id}/delete-preview",
            "/api/v1/site/battery-arrays",
            "/api/v1/site/battery-arrays/{id}",
            "/api/v1/site/battery-arrays/{id}/attach",
            "/api/v1/site/battery-arrays/{id}/delete-preview",
            "/api/v1/site/battery-arrays/{id}/detach",
            "/api/v1/site/battery-packs",
            "/api/v1/site/battery-packs/{id}",
            "/api/v1/site/battery-packs/{id}/delete-preview",
            "/api/v1/site/battery-packs/{id}/switches",
            "/api/v1/site/import",
            "/api/v1/site/inverter-arrays",
            "/api/v1/site/inverter-arrays/{id}",
            "/api/v1/site/inverter-arrays/{id}/delete-preview",
            "/api/v1/site/inverters",
            "/api/v1/site/inverters/{id}",
            "/api/v1/site/inverters/{id}/delete-preview",
            "/api/v1/site/live",
            "/api/v1/site/meters",
            "/api/v1/site/meters/{id}",
            "/api/v1/site/meters/{id}/delete-preview",
            "/api/v1/site/systems",
            "/api/v1/site/systems/{system_id}",
            "/api/v1/site/systems/{system_id}/changes",
            "/api/v1/site/systems/{system_id}/delete-preview",
            "/api/v1/site/systems/{system_id}/export",
            "/api/v1/system/version",
            "/api/v1/tokens",
            "/api/v1/tokens/{name}",
            "/api/v1/users",
            "/api/v1/users/{name}",
            "/api/v1/variables",
            "/api/v1/variables/bulk",
            "/api/v1/variables/{name}",
            "/api/v1/variables/{name}/access-paths",
            "/api/v1/variables/{name}/access-paths/{id}",
            "/api/v1/variables/{name}/history",
            "/api/v1/variables/{name}/preferred-path",
            "/api/v1/variables/{name}/restore",
            "/api/v1/variables/{name}/value",
            "/api/variables",
            "/api/variables/bulk",
            "/api/variables/changes",
            "/api/variables/{name}",
            "/api/variables/{name}/access_paths",
            "/api/vars",
            "/api/vars/{name}",
            "/healthz",
            "/readyz",
        ]
    );
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let name = format!("{method} {path}");
            for key in ["operationId", "summary", "tags"] {
                assert!(operation.get(key).is_some(), "{name} has no {key}");
            }
            // What a client can get wrong is documented: a body can be malformed JSON, a query
            // string or an integer path segment can fail to parse.
            let responses = operation["responses"].as_object().unwrap();
            // The prototype's API reads any body as JSON, as FastAPI does: a malformed body is its
            // 422 (`json_invalid`), never a 400 or 415.
            let prototype = operation["tags"][0] == "Prototype API";
            let takes_input = (!prototype && operation.get("requestBody").is_some())
                || operation["parameters"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["in"] == "query" || p["schema"]["type"] == "integer")
                });
            if takes_input {
                assert!(
                    responses.contains_key("400"),
                    "{name} does not document 400"
                );
            }
            let body_statuses: &[&str] = if prototype {
                &["413", "422"]
            } else {
                &["413", "415", "422"]
            };
            if operation.get("requestBody").is_some() {
                for &status in body_statuses {
                    assert!(
                        responses.contains_key(status),
                        "{name} does not document {status}"
                    );
                }
            }
        }
    }
    // 43 of /api/v1 and the probes (the alarm stream included), 38 of the site configuration
    // (live state, failover journal and adapter test included), 15 of the prototype's API, 2 of
    // the audit log, 7 of users, tokens and one's own password.
    assert_eq!(operations, 105);
    // Every schema reference points at a component.
    let text = doc.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "no component schema {name}");
    }
    let page = get(&state, "/api/v1/docs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("/api/v1/changes"),
        "{}",
        &page.text[..200.min(page.text.len())]
    );
    assert!(
        !page.text.contains("<script"),
        "the docs page needs no scripts"
    );
}

#[tokio::test]
async fn past_versions_snapshots_and_restores_through_the_api() {
    let (state, _db) = state_with_examples().await;
    let new = json!({"name": "grid_frequency", "units": "Hz", "category": "oper", "locator": "system.global"});
    let v1 = send(&state, Method::POST, "/api/v1/variables", &[], Some(new)).await;
    assert_eq!(v1.status, StatusCode::CREATED, "{}", v1.text);
    let v1 = v1.json();
    let at_v1 = v1["system_version"].as_i64().unwrap();
    let v2 = send(
        &state,
        Method::PATCH,
        "/api/v1/variables/grid_frequency",
        &[("if-match", "1")],
        Some(json!({"units": "mHz", "description": "Measured at the meter"})),
    )
    .await
    .json();
    assert_eq!(v2["variable_version"], 2);

    // A past version and a past system version answer what the writes answered then.
    let past = get(&state, "/api/v1/variables/grid_frequency?version=1").await;
    assert_eq!(past.status, StatusCode::OK, "{}", past.text);
    assert_eq!(past.json(), v1);
    assert!(past.headers.get(header::ETAG).is_none());
    let by_system = get(
        &state,
        &format!("/api/v1/variables/grid_frequency?at_system_version={at_v1}"),
    )
    .await;
    assert_eq!(by_system.json(), v1);
    let missing = get(&state, "/api/v1/variables/grid_frequency?version=7").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.json()["detail"]
            .as_str()
            .unwrap()
            .contains("versions 1 to 2")
    );
    let before = get(
        &state,
        &format!(
            "/api/v1/variables/grid_frequency?at_system_version={}",
            at_v1 - 1
        ),
    )
    .await;
    assert_eq!(before.status, StatusCode::NOT_FOUND, "{}", before.text);
    let both = get(
        &state,
        "/api/v1/variables/grid_frequency?version=1&at_system_version=1",
    )
    .await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The snapshot at the creation holds the variable as created, and nothing created later.
    let snapshot = get(
        &state,
        &format!("/api/v1/registry/snapshot?at_system_version={at_v1}"),
    )
    .await;
    assert_eq!(snapshot.status, StatusCode::OK, "{}", snapshot.text);
    let snapshot = snapshot.json();
    let variables = snapshot["variables"].as_array().unwrap();
    let found: Vec<&Value> = variables
        .iter()
        .filter(|v| v["name"] == "grid_frequency")
        .collect();
    assert_eq!(found, [&v1]);
    let earlier = get(
        &state,
        &format!("/api/v1/registry/snapshot?at_system_version={}", at_v1 - 1),
    )
    .await
    .json();
    assert_eq!(
        earlier["variables"].as_array().unwrap().len(),
        variables.len() - 1
    );

    // Restoring version 1 is a new version 3 with version 1's fields, logged as a restore.
    let stale = send(
        &state,
        Method::POST,
        "/api/v1/variables/grid_frequency/restore",
        &[("if-match", "1")],
        Some(json!({"version": 1})),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let restored = send(
        &state,
        Method::POST,
        "/api/v1/variables/grid_frequency/restore",
        &[("if-match", "2")],
        Some(json!({"version": 1})),
    )
    .await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.text);
    let restored = restored.json();
    assert_eq!(restored["variable_version"], 3);
    assert_eq!(restored["units"], "Hz");
    assert_eq!(restored["description"], v1["description"]);
    let history = get(&state, "/api/v1/variables/grid_frequency/history")
        .await
        .json();
    let newest: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["variable_version"] == 3)
        .collect();
    assert!(
        newest.iter().any(|h| h["field_name"] == "restored_version"
            && h["new_value"] == "1"
            && h["changed_by"] == "test-admin"),
        "{history}"
    );
    assert!(
        newest
            .iter()
            .any(|h| h["field_name"] == "units" && h["new_value"] == "Hz")
    );
}

#[tokio::test]
async fn an_unknown_query_parameter_is_a_400_naming_it_and_the_known_ones() {
    let (state, _db) = state_with_examples().await;
    let offset_paging = get(&state, "/api/v1/variables?limit=10&offset=20").await;
    assert_eq!(offset_paging.status, StatusCode::BAD_REQUEST);
    assert_eq!(offset_paging.content_type(), "application/problem+json");
    let detail = offset_paging.json()["detail"].as_str().unwrap().to_string();
    for named in ["`limit`", "`offset`", "`page`", "`per_page`", "`category`"] {
        assert!(detail.contains(named), "{detail}");
    }
    let page = get(&state, "/api/v1/variables?page=2&per_page=5").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for route in [
        "/api/v1/changes?since=0&offset=5",
        "/api/v1/locators?categry=oper",
        "/api/v1/variables/rack_voltage?versoin=1",
        "/api/v1/registry/snapshot?at_system_version=0&limit=1",
        "/api/v1/live?names=soc&x=1",
    ] {
        let answer = get(&state, route).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{route}: {}",
            answer.text
        );
        assert!(
            answer.json()["detail"]
                .as_str()
                .unwrap()
                .starts_with("unknown query parameter"),
            "{route}: {}",
            answer.text
        );
    }
    // The prototype's API keeps FastAPI's habit of ignoring what it does not know.
    let prototype = get(&state, "/api/system/version?x=1").await;
    assert_ne!(
        prototype.status,
        StatusCode::BAD_REQUEST,
        "{}",
        prototype.text
    );
}

#[tokio::test]
async fn the_variable_page_opens_a_past_version_and_its_restore_confirmation() {
    let (state, _db) = state_with_examples().await;
    let new = json!({"name": "grid_frequency", "units": "Hz", "description": "First", "category": "oper", "locator": "system.global"});
    send(&state, Method::POST, "/api/v1/variables", &[], Some(new)).await;
    send(
        &state,
        Method::PATCH,
        "/api/v1/variables/grid_frequency",
        &[("if-match", "1")],
        Some(json!({"units": "mHz"})),
    )
    .await;
    let page = get(&state, "/registry/grid_frequency").await;
    assert!(
        page.text
            .contains("/registry/grid_frequency?version=1#past-version"),
        "the history links version 1"
    );
    assert!(!page.text.contains("past-version-title"));

    let opened = get(&state, "/registry/grid_frequency?version=1").await;
    assert_eq!(opened.status, StatusCode::OK);
    let text = &opened.text;
    for expected in [
        ">Version 1<",
        "Version 1 against today",
        "Today (v2)",
        ">Hz<",
        ">mHz<",
        "Restore version 1…",
        "?version=1&amp;confirm=2#past-version",
    ] {
        assert!(text.contains(expected), "missing {expected}");
    }
    assert!(!text.contains("Confirm the restore"));

    let confirming = get(&state, "/registry/grid_frequency?version=1&confirm=2").await;
    assert!(confirming.text.contains("Confirm the restore"));
    assert!(
        confirming
            .text
            .contains("Restoring makes version 3 with the values of version 1")
    );
    // A confirmation opened against an older version is not shown.
    let stale = get(&state, "/registry/grid_frequency?version=1&confirm=1").await;
    assert!(!stale.text.contains("Confirm the restore"));
}

/// A definition without a locator for `soc` (`"locator": null` in its metadata entry, which the
/// defaults' locator does not override), `soh` with one and `pack_voltage` left to the defaults.
const NO_LOCATOR_DATA_DEF: &str = r#"[{"table": "oper:sbmu:input", "items": [
    {"name": "soc", "offset": 0}, {"name": "soh", "offset": 2}, {"name": "pack_voltage", "offset": 4}
]}]"#;
const NO_LOCATOR_METADATA: &str = r#"{"defaults": {"category": "oper", "locator": "system.global"},
    "variables": {"soc": {"locator": null}, "soh": {"locator": "sbmu.global"}}}"#;

async fn import_no_locator_files(db: &sea_orm::DatabaseConnection, data_def: &str, metadata: &str) {
    let files = services::registry::import::ImportFiles {
        data_def_name: "data_def.json",
        data_def,
        metadata_name: Some("var_metadata.json"),
        metadata: Some(metadata),
    };
    let options = services::registry::import::ImportOptions {
        dry_run: false,
        prune: false,
        source: "test".into(),
        actor: "tester".into(),
        caller: None,
    };
    services::registry::import::import(db, &files, &options)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_variable_without_a_locator_is_null_in_the_api_the_pages_and_the_export() {
    let test_db = common::sqlite().await;
    services::database::migrate(&test_db.db).await.unwrap();
    import_no_locator_files(&test_db.db, NO_LOCATOR_DATA_DEF, NO_LOCATOR_METADATA).await;
    let state = common::app_state(&test_db);

    let soc = get(&state, "/api/v1/variables/soc").await;
    assert_eq!(soc.status, StatusCode::OK, "{}", soc.text);
    assert_eq!(soc.json()["locator"], Value::Null, "{}", soc.text);
    let listed = get(&state, "/api/v1/variables?per_page=100").await.json();
    let locators: Vec<(&str, &Value)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), &v["locator"]))
        .collect();
    assert_eq!(
        locators,
        [
            ("pack_voltage", &json!("system.global")),
            ("soc", &Value::Null),
            ("soh", &json!("sbmu.global")),
        ]
    );
    // The facets and the filters leave it out.
    let facets = get(&state, "/api/v1/locators").await.json();
    assert_eq!(
        facets["items"],
        json!([{"value": "sbmu.global", "count": 1}, {"value": "system.global", "count": 1}])
    );
    let global = get(&state, "/api/v1/variables?locator=system.global")
        .await
        .json();
    assert_eq!(global["total"], 1);
    assert_eq!(global["items"][0]["name"], "pack_voltage");

    // The pages show "—" where the locator would be.
    let page = get(&state, "/registry?q=soc").await.markup();
    assert!(page.contains(r#"<td class="mono muted">—</td>"#), "{page}");
    let detail = get(&state, "/registry/soc").await.markup();
    assert!(
        detail.contains(r#"<dt>Locator</dt><dd class="mono">—</dd>"#),
        "{detail}"
    );

    // Created without a locator, or with `null`; PATCH: absent keeps it, `null` removes it.
    for (name, body) in [
        (
            "grid_frequency",
            json!({"name": "grid_frequency", "category": "oper"}),
        ),
        (
            "grid_voltage",
            json!({"name": "grid_voltage", "category": "oper", "locator": null}),
        ),
    ] {
        let created = send(&state, Method::POST, "/api/v1/variables", &[], Some(body)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        assert_eq!(created.json()["locator"], Value::Null, "{name}");
    }
    let patch = async |version: &str, body: Value| {
        let answer = send(
            &state,
            Method::PATCH,
            "/api/v1/variables/grid_frequency",
            &[("if-match", version)],
            Some(body),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        answer.json()
    };
    let placed = patch("1", json!({"locator": "system.grid"})).await;
    assert_eq!(placed["locator"], "system.grid");
    let kept = patch("2", json!({"units": "Hz"})).await;
    assert_eq!(kept["locator"], "system.grid", "absent: unchanged");
    let removed = patch("3", json!({"locator": null})).await;
    assert_eq!(removed["locator"], Value::Null, "null: no locator");
    assert_eq!(removed["variable_version"], 4);
    let empty = send(
        &state,
        Method::PATCH,
        "/api/v1/variables/grid_frequency",
        &[("if-match", "4")],
        Some(json!({"locator": ""})),
    )
    .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.text
    );
    let history = get(&state, "/api/v1/variables/grid_frequency/history")
        .await
        .json();
    let locator_changes: Vec<(&Value, &Value)> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["field_name"] == "locator")
        .map(|e| (&e["old_value"], &e["new_value"]))
        .collect();
    assert!(
        locator_changes.contains(&(&json!("system.grid"), &Value::Null)),
        "{history}"
    );
    // Version 1 had none, version 3 had one: rebuilt from the change log.
    let v1 = get(&state, "/api/v1/variables/grid_frequency?version=1")
        .await
        .json();
    assert_eq!(v1["locator"], Value::Null);
    let v3 = get(&state, "/api/v1/variables/grid_frequency?version=3")
        .await
        .json();
    assert_eq!(v3["locator"], "system.grid");

    // The export writes `null`; its files import without a locator again, and back into the
    // same registry they change nothing.
    let metadata = get(&state, "/api/v1/export/var_metadata.json").await;
    assert_eq!(metadata.status, StatusCode::OK, "{}", metadata.text);
    assert_eq!(metadata.json()["variables"]["soc"]["locator"], Value::Null);
    let data_def = get(&state, "/api/v1/export/data_def.json").await.text;
    let fresh = common::sqlite().await;
    services::database::migrate(&fresh.db).await.unwrap();
    import_no_locator_files(&fresh.db, &data_def, &metadata.text).await;
    let again = services::registry::query::get_variable(&fresh.db, "soc")
        .await
        .unwrap();
    assert_eq!(again.locator, None);
    let before = get(&state, "/api/v1/system/version").await.json();
    import_no_locator_files(&test_db.db, &data_def, &metadata.text).await;
    assert_eq!(get(&state, "/api/v1/system/version").await.json(), before);
}
