//! Protections end to end: a real SQLite registry (the examples, whose `prot:sbmu:hold` limits
//! the simulated BMS holds), the simulator over Modbus TCP and RTU, profiles, validation, deploy
//! with read-back, rollback when the device stops answering halfway, the REST payload of the
//! original prototype, and the alarm journal.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use axum::http::{Method, StatusCode};
use devices::simulator::{BMS_UNIT, Simulator, protection_register};
use model::error::AppError;
use model::profiles::RecallSource;
use model::protections::{FieldPath, FieldValue, Level, LimitField, ProtectionSet, Side};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use services::actor::Actor;
use services::protections::alarms::{Protections, ProtectionsConfig};
use services::protections::{self as service, deploy, profiles};
use tokio_util::sync::CancellationToken;

use crate::common::{PtyPair, Site, WAIT, eventually};

fn examples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// Seeds the default profile from the examples.
async fn seed_default_profile(db: &DatabaseConnection) {
    let defaults = std::fs::read_to_string(examples().join("protections_default.json")).unwrap();
    assert!(
        profiles::seed_default(db, "protections_default.json", &defaults, &actor())
            .await
            .unwrap()
    );
}

/// The simulated site over Modbus TCP, with the default profile.
async fn site() -> Site {
    Site::tcp(seed_default_profile).await
}

fn actor() -> Actor {
    Actor::new("tester", "test")
}

fn threshold(quantity: &str, side: Side, level: Level) -> FieldPath {
    FieldPath::level(quantity, side, level, LimitField::Threshold)
}

/// Sets one threshold of `set`.
fn set_threshold(set: &mut ProtectionSet, quantity: &str, side: Side, level: Level, value: f64) {
    set.set_field(&threshold(quantity, side, level), FieldValue::Number(value))
        .unwrap();
}

/// Saves `set` to the active profile (nothing is deployed).
async fn save(
    site: &Site,
    set: &ProtectionSet,
) -> Result<model::profiles::ProfileSummary, AppError> {
    service::save(
        &site.db,
        &site.field,
        &site.protections,
        None,
        set,
        &actor(),
    )
    .await
}

fn register(quantity: &str, side: &str, field: &str) -> u16 {
    protection_register(quantity, side, field).unwrap()
}

/// Saves `set` to the active profile and deploys it.
async fn deploy_set(site: &Site, set: &ProtectionSet) -> model::profiles::DeploymentDetail {
    service::save_and_deploy(
        &site.db,
        &site.field,
        &site.protections,
        None,
        set,
        &actor(),
    )
    .await
    .unwrap()
}

/// Saves `set` to the active profile and deploys it; with how the deploy ended.
async fn deploy_with_outcome(site: &Site, set: &ProtectionSet) -> deploy::Deployed {
    service::save_and_deploy_with_outcome(
        &site.db,
        &site.field,
        &site.protections,
        None,
        set,
        &actor(),
    )
    .await
    .unwrap()
}

async fn current(site: &Site) -> ProtectionSet {
    profiles::load(&site.db, None).await.unwrap().1
}

#[tokio::test]
async fn the_default_profile_is_seeded_once_and_fields_without_a_variable_stay_in_the_console() {
    let site = site().await;
    let text = std::fs::read_to_string(examples().join("protections_default.json")).unwrap();
    assert!(
        !profiles::seed_default(&site.db, "x", &text, &actor())
            .await
            .unwrap(),
        "a second start seeds nothing"
    );
    let list = profiles::list(&site.db).await.unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].is_default && list[0].active && list[0].version == 1);

    let recalled = service::recall(
        &site.db,
        &site.field,
        &site.protections,
        &RecallSource::Current,
    )
    .await
    .unwrap();
    assert!(
        recalled
            .console_only
            .contains(&"soc.max.warning.off_duration".to_string())
    );
    assert!(
        !recalled
            .console_only
            .contains(&"soc.max.warning.threshold".to_string())
    );
    // The registry knows soc, its limits are in %, and its thresholds live in u16 registers
    // counting 0.1 %.
    let soc = &recalled.known["soc"];
    assert_eq!((soc.min, soc.max), (Some(0.0), Some(6_553.5)));
    assert_eq!(soc.units, "%");
    assert_eq!(recalled.known["cell_temp"].units, "°C");
    let errors = service::check(
        &site.db,
        &site.field,
        &site.protections,
        &recalled.protections,
    )
    .await
    .unwrap();
    assert!(errors.is_empty(), "{errors:?}");
}

#[tokio::test]
async fn an_invalid_save_names_the_field_and_changes_nothing() {
    let site = site().await;
    let mut set = current(&site).await;
    // On the max side the alert must lie above the warning (95).
    set_threshold(&mut set, "soc", Side::Max, Level::Alert, 90.0);
    let error = save(&site, &set).await.unwrap_err();
    match error {
        AppError::Validation { field, .. } => assert_eq!(field, "soc.max.alert.threshold"),
        other => panic!("{other:?}"),
    }
    set_threshold(
        &mut set,
        "nonexistent_quantity",
        Side::Max,
        Level::Warning,
        1.0,
    );
    let errors = service::check(&site.db, &site.field, &site.protections, &set)
        .await
        .unwrap();
    assert!(
        errors.iter().any(|e| e.field == "nonexistent_quantity"),
        "{errors:?}"
    );
    let (summary, unchanged) = profiles::load(&site.db, None).await.unwrap();
    assert_eq!(summary.version, 1);
    assert_eq!(
        unchanged.get_field(&threshold("soc", Side::Max, Level::Alert)),
        Some(FieldValue::Number(98.0))
    );
}

#[tokio::test]
async fn save_keeps_limits_in_the_console_and_deploy_writes_only_changes_with_read_back() {
    let site = site().await;
    let mut set = current(&site).await;
    set_threshold(&mut set, "soc", Side::Max, Level::Warning, 90.0);
    set_threshold(&mut set, "soc", Side::Max, Level::Alert, 97.0);
    let saved = save(&site, &set).await.unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(
        site.simulator
            .holding(BMS_UNIT, register("soc", "max", "warn")),
        Some(950),
        "Save writes nothing to the device"
    );

    let preview = deploy::preview(
        &site.db,
        &site.field,
        site.protections.naming(),
        "default",
        &set,
    )
    .await
    .unwrap();
    let changing: Vec<&str> = preview
        .fields
        .iter()
        .filter(|f| f.changes)
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        changing,
        vec!["soc.max.warning.threshold", "soc.max.alert.threshold"]
    );

    let detail = deploy_set(&site, &set).await;
    assert_eq!(
        detail.summary.status,
        model::profiles::DeploymentStatus::Succeeded,
        "{}",
        detail.summary.message
    );
    assert_eq!(detail.summary.written, 2);
    // Deploying what was saved takes no new profile version: the deploy names version 2.
    assert_eq!(detail.summary.profile_version, 2);
    let unchanged = detail
        .fields
        .iter()
        .filter(|f| f.status == model::profiles::FieldResult::Unchanged)
        .count();
    let console_only = detail
        .fields
        .iter()
        .filter(|f| f.status == model::profiles::FieldResult::ConsoleOnly)
        .count();
    assert_eq!(unchanged + console_only + 2, detail.fields.len());
    assert!(console_only > 0);
    assert_eq!(
        site.simulator
            .holding(BMS_UNIT, register("soc", "max", "warn")),
        Some(900)
    );
    assert_eq!(
        site.simulator
            .holding(BMS_UNIT, register("soc", "max", "alert")),
        Some(970)
    );
    let written = detail
        .fields
        .iter()
        .find(|f| f.path == "soc.max.alert.threshold")
        .unwrap();
    assert_eq!(
        (written.before, written.read_back),
        (Some(98.0), Some(97.0))
    );

    // The device's limits, read live, are what was deployed.
    let device = service::recall(
        &site.db,
        &site.field,
        &site.protections,
        &RecallSource::Device,
    )
    .await
    .unwrap();
    assert!(device.read_errors.is_empty(), "{:?}", device.read_errors);
    assert_eq!(
        device
            .protections
            .get_field(&threshold("soc", Side::Max, Level::Warning)),
        Some(FieldValue::Number(90.0))
    );
    let history = deploy::history(&site.db, 10).await.unwrap();
    assert_eq!(history.len(), 1);
    // Deploying again with nothing changed: still version 2, a second deployment of it.
    let again = deploy_set(&site, &set).await;
    assert_eq!(again.summary.profile_version, 2);
    assert_eq!(again.summary.written, 0);
    let list = profiles::list(&site.db).await.unwrap();
    assert_eq!(list.iter().find(|p| p.active).unwrap().version, 2);
    // The engine now evaluates the deployed limits.
    let states = site.protections.states();
    assert!(
        states.iter().any(|r| r.view.variable == "soc"
            && r.view.side == Side::Max
            && r.view.level == Level::Warning
            && r.view.threshold == 90.0),
        "{states:?}"
    );
}

#[tokio::test]
async fn a_device_that_stops_answering_halfway_is_restored_and_the_deployment_fails() {
    let site = site().await;
    let mut set = current(&site).await;
    // Two changes in registers far apart: two block writes.
    set_threshold(&mut set, "cell_voltage", Side::Max, Level::Warning, 3500.0);
    set_threshold(&mut set, "soc", Side::Max, Level::Warning, 90.0);
    // The first block is answered; the device then ignores the next three requests (the
    // second block's write and its two retries) and comes back.
    site.simulator.go_silent_after_writes(BMS_UNIT, 1, 3);
    let deploy::Deployed { outcome, detail } = deploy_with_outcome(&site, &set).await;
    assert_eq!(outcome, deploy::DeployOutcome::DeviceFailed);
    assert_eq!(
        detail.summary.status,
        model::profiles::DeploymentStatus::Failed
    );
    assert!(
        detail.summary.message.contains("soc.max.warning.threshold")
            && detail.summary.message.contains("restored"),
        "{}",
        detail.summary.message
    );
    let status = |path: &str| {
        detail
            .fields
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.status.as_str())
    };
    assert_eq!(
        status("cell_voltage.max.warning.threshold"),
        Some("restored")
    );
    assert_eq!(status("soc.max.warning.threshold"), Some("failed"));
    // The device holds what it held before.
    assert_eq!(
        site.simulator
            .holding(BMS_UNIT, register("cell_voltage", "max", "warn")),
        Some(3550)
    );
    assert_eq!(
        site.simulator
            .holding(BMS_UNIT, register("soc", "max", "warn")),
        Some(950)
    );
    // The profile keeps what was saved; the failure is in the history.
    assert_eq!(
        current(&site)
            .await
            .get_field(&threshold("soc", Side::Max, Level::Warning)),
        Some(FieldValue::Number(90.0))
    );
    let history = deploy::history(&site.db, 10).await.unwrap();
    assert_eq!(history[0].status, model::profiles::DeploymentStatus::Failed);
}

#[tokio::test]
async fn an_unencodable_value_is_refused_before_anything_is_written() {
    let site = site().await;
    let mut set = current(&site).await;
    // Hysteresis 0.25 % fits the console but not the device's register, which counts 0.1 %.
    set.set_field(
        &FieldPath::hysteresis("soc", Side::Max),
        FieldValue::Number(0.25),
    )
    .unwrap();
    set_threshold(&mut set, "soc", Side::Max, Level::Warning, 90.0);
    let deploy::Deployed { outcome, detail } = deploy_with_outcome(&site, &set).await;
    assert_eq!(
        outcome,
        deploy::DeployOutcome::Refused,
        "refused before anything was sent, not failed at the device"
    );
    assert_eq!(
        detail.summary.status,
        model::profiles::DeploymentStatus::Failed
    );
    assert!(
        detail.summary.message.starts_with("nothing was written")
            && detail.summary.message.contains("soc.max.hysteresis")
            && detail.summary.message.contains("cannot be held exactly"),
        "{}",
        detail.summary.message
    );
    assert_eq!(
        site.simulator
            .holding(BMS_UNIT, register("soc", "max", "warn")),
        Some(950),
        "the other change was not written either"
    );
}

#[tokio::test]
async fn deploy_works_over_modbus_rtu_on_a_pseudo_terminal() {
    let pty = PtyPair::open("deploy-rtu").await;
    let simulator = Simulator::new();
    let cancel = CancellationToken::new();
    simulator
        .serve_rtu(pty.a().to_str().unwrap(), 115_200, cancel.clone())
        .unwrap();
    let site = Site::on(
        simulator,
        json!({"rtu": {"path": pty.b().to_str().unwrap(), "baud_rate": 115_200}}),
        cancel,
        seed_default_profile,
    )
    .await;
    let mut set = current(&site).await;
    // 470 V: the register counts 0.1 V.
    set_threshold(&mut set, "pack_voltage", Side::Min, Level::Warning, 470.0);
    let detail = deploy_set(&site, &set).await;
    assert_eq!(
        detail.summary.status,
        model::profiles::DeploymentStatus::Succeeded,
        "{}",
        detail.summary.message
    );
    assert_eq!(
        site.simulator
            .holding(BMS_UNIT, register("pack_voltage", "min", "warn")),
        Some(4700)
    );
    // The site (and its RTU server) stops before the pty pair goes.
    drop(site);
}

async fn send(
    router: &axum::Router,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let body = body.map(|json| json.to_string());
    let answer = crate::common::call(router, method, path, &[], body).await;
    (answer.status, answer.json_or_null())
}

#[tokio::test]
async fn the_original_prototypes_payload_is_accepted_unchanged_over_rest() {
    let site = site().await;
    let router = site.router().await;
    let payload: Value = serde_json::from_str(
        r#"{
        "profile": "site-a",
        "protections": {
            "soc": {
                "max": {
                    "hysteresis": 0.5,
                    "warning": {"threshold": 95, "on_duration": 30, "off_duration": 60, "enabled": true},
                    "alert": {"threshold": 98, "on_duration": 10, "off_duration": 60, "enabled": true}
                },
                "min": {
                    "hysteresis": 0.5,
                    "warning": {"threshold": 10, "on_duration": 30, "off_duration": 60, "enabled": true},
                    "fault": {"threshold": 2, "on_duration": 1, "off_duration": 60, "enabled": false}
                }
            }
        }
    }"#,
    )
    .unwrap();
    let (status, saved) = send(
        &router,
        "POST",
        "/api/v1/protections",
        Some(payload.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["name"], "site-a");
    let (status, recalled) = send(
        &router,
        "GET",
        "/api/v1/protections?source=profile:site-a",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{recalled}");
    let as_set =
        |value: &Value| -> ProtectionSet { serde_json::from_value(value.clone()).unwrap() };
    assert_eq!(
        as_set(&recalled["protections"]),
        as_set(&payload["protections"])
    );

    // A broken rule answers 422 with the field path.
    let mut broken = payload.clone();
    broken["protections"]["soc"]["max"]["alert"]["threshold"] = json!(90);
    let (status, problem) = send(&router, "POST", "/api/v1/protections", Some(broken)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["field"], "soc.max.alert.threshold");

    let (status, list) = send(&router, "GET", "/api/v1/protections/profiles", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (status, _) = send(
        &router,
        "DELETE",
        "/api/v1/protections/profiles/default",
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the default profile stays"
    );
    let (status, _) = send(
        &router,
        "POST",
        "/api/v1/protections/profiles/site-a/activate",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = send(&router, "GET", "/api/v1/protections/profiles", None).await;
    let active: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["active"] == true)
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(active, vec!["site-a"], "exactly one active profile");
}

#[tokio::test]
async fn a_refused_deploy_answers_422_and_a_failure_at_the_device_502_over_rest() {
    let site = site().await;
    let router = site.router().await;
    let problem_keys = |problem: &Value| {
        let mut keys: Vec<String> = problem.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };

    // 0.25 % in the device's hysteresis register (0.1 % steps): refused before anything is sent. The
    // set is at fault, not the device: 422, not 502.
    let saved = current(&site).await;
    let mut refused = saved.clone();
    refused
        .set_field(
            &FieldPath::hysteresis("soc", Side::Max),
            FieldValue::Number(0.25),
        )
        .unwrap();
    set_threshold(&mut refused, "soc", Side::Max, Level::Warning, 90.0);
    let (status, problem) = send(
        &router,
        "POST",
        "/api/v1/protections/deploy",
        Some(json!({"protections": refused})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}: {}",
        problem["title"],
        problem["detail"]
    );
    assert_eq!(problem["status"], 422);
    assert_eq!(problem["title"], "Deploy refused");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("nothing was written") && detail.contains("soc.max.hysteresis"),
        "{detail}"
    );
    assert_eq!(problem["deployment"]["summary"]["status"], "failed");
    assert_eq!(problem["deployment"]["summary"]["message"], detail);
    assert_eq!(
        site.simulator
            .holding(BMS_UNIT, register("soc", "max", "warn")),
        Some(950),
        "nothing was written"
    );
    let refused_keys = problem_keys(&problem);

    // A device that stops answering halfway: the device failed, 502, same body shape.
    let mut set = saved;
    set_threshold(&mut set, "cell_voltage", Side::Max, Level::Warning, 3500.0);
    set_threshold(&mut set, "soc", Side::Max, Level::Warning, 90.0);
    site.simulator.go_silent_after_writes(BMS_UNIT, 1, 3);
    let (status, problem) = send(
        &router,
        "POST",
        "/api/v1/protections/deploy",
        Some(json!({"protections": set})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_GATEWAY,
        "{}: {}",
        problem["title"],
        problem["detail"]
    );
    assert_eq!(problem["status"], 502);
    assert_eq!(problem["title"], "Deploy failed");
    assert!(
        problem["detail"].as_str().unwrap().contains("restored"),
        "{problem}"
    );
    assert_eq!(problem["deployment"]["summary"]["status"], "failed");
    assert_eq!(problem_keys(&problem), refused_keys);
}

#[tokio::test]
async fn alarms_raise_clear_and_are_journaled_with_acknowledgements() {
    let site = site().await;
    // soc is measured by the simulated BMS's SOC input register.
    let new = model::registry::NewVariable {
        name: "bms_soc".into(),
        display_name: None,
        units: "%".into(),
        description: String::new(),
        category: model::registry::Category::Oper,
        locator: Some("bms[1]".into()),
        paths: vec![model::registry::NewAccessPath {
            access_type: model::registry::AccessType::Modbus,
            reference: json!({"device": "bms", "unit_id": BMS_UNIT, "table": "input",
                "address": devices::simulator::bms::SOC, "data_type": "u16"}),
            priority: 1,
            read_only: true,
            rack_number: None,
            device_id: None,
        }],
    };
    services::registry::write::create_variable(&site.db, &new, &actor())
        .await
        .unwrap();
    let config = ProtectionsConfig::parse(
        "protections.json",
        r#"{"measure": {"soc": {"variable": "bms_soc"}}}"#,
    )
    .unwrap();
    let protections = Protections::new(config);
    protections
        .start(site.db.clone(), site.field.clone(), site.cancel.clone())
        .await
        .unwrap();
    // Only soc max warning, at 1 % with a short on-delay: the simulated SOC lies above it.
    let mut set = ProtectionSet::new();
    let warning = threshold("soc", Side::Max, Level::Warning);
    set.set_field(&warning, FieldValue::Number(1.0)).unwrap();
    set.set_field(
        &FieldPath::level("soc", Side::Max, Level::Warning, LimitField::OnDuration),
        FieldValue::Number(0.3),
    )
    .unwrap();
    protections.use_limits(&set);
    let state = || {
        protections
            .states()
            .into_iter()
            .find(|r| r.view.variable == "soc")
            .map(|r| (r.view.state, r.acknowledged))
    };
    use model::protections::AlarmState;
    let raised = eventually(WAIT, async || state() == Some((AlarmState::Active, false))).await;
    assert!(raised, "{:?}", protections.states());
    // The alarm stream's first event counts it: one warning, unacknowledged.
    assert_eq!(
        first_alarm_event(&site, &protections).await,
        "event: alarms\nretry: 30000\ndata: 1 0 0 1\n\n"
    );
    protections
        .acknowledge(
            &site.db,
            "soc",
            Side::Max,
            Level::Warning,
            &services::actor::Actor::new("operator", "test"),
        )
        .await
        .unwrap();
    assert_eq!(state(), Some((AlarmState::Active, true)));
    // A level that is not raised cannot be acknowledged.
    assert!(
        protections
            .acknowledge(
                &site.db,
                "soc",
                Side::Min,
                Level::Warning,
                &services::actor::Actor::new("operator", "test")
            )
            .await
            .is_err()
    );

    // Raise the limit above any SOC: the level recovers and, after no off-delay, clears.
    set.set_field(&warning, FieldValue::Number(100.0)).unwrap();
    protections.use_limits(&set);
    let cleared = eventually(WAIT, async || state() == Some((AlarmState::Normal, false))).await;
    assert!(cleared, "{:?}", protections.states());

    let mut events = Vec::new();
    let journaled = eventually(WAIT, async || {
        events = services::protections::alarms::journal(&site.db, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event.as_str())
            .collect::<Vec<_>>();
        events.len() >= 3
    })
    .await;
    assert!(journaled, "{events:?}");
    // Newest first.
    assert_eq!(events, vec!["cleared", "acknowledged", "raised"]);
}

#[tokio::test]
async fn limits_cross_the_api_in_engineering_units_and_become_register_counts_at_the_device() {
    let site = site().await;
    let router = site.router().await;
    let (status, recalled) = send(&router, "GET", "/api/v1/protections", None).await;
    assert_eq!(status, StatusCode::OK, "{recalled}");
    // 45 °C and 570 V, not the registers' 450 and 5700 tenths; each quantity says its unit.
    assert_eq!(
        recalled["protections"]["cell_temp"]["max"]["warning"]["threshold"],
        45.0
    );
    assert_eq!(
        recalled["protections"]["pack_voltage"]["max"]["warning"]["threshold"],
        570.0
    );
    assert_eq!(recalled["known"]["cell_temp"]["units"], "°C");
    assert_eq!(recalled["known"]["pack_voltage"]["units"], "V");

    // The seed's 0.5 % soc hysteresis and 45.5 °C reach the device as 5 and 455 counts.
    let mut set = recalled["protections"].clone();
    set["soc"]["max"]["hysteresis"] = json!(0.5);
    set["cell_temp"]["max"]["warning"]["threshold"] = json!(45.5);
    let (status, deployed) = send(
        &router,
        "POST",
        "/api/v1/protections/deploy",
        Some(json!({"protections": set})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{deployed}");
    assert_eq!(
        site.simulator
            .holding(BMS_UNIT, register("soc", "max", "hyst")),
        Some(5)
    );
    assert_eq!(
        site.simulator
            .holding(BMS_UNIT, register("cell_temp", "max", "warn")),
        Some(455)
    );
    let hysteresis = deployed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "soc.max.hysteresis")
        .unwrap();
    assert_eq!(
        (&hysteresis["before"], &hysteresis["read_back"]),
        (&json!(2.0), &json!(0.5))
    );

    // Read live from the device, in engineering units again.
    let (status, device) = send(&router, "GET", "/api/v1/protections?source=device", None).await;
    assert_eq!(status, StatusCode::OK, "{device}");
    assert_eq!(device["read_errors"], json!([]));
    assert_eq!(device["protections"]["soc"]["max"]["hysteresis"], 0.5);
    assert_eq!(
        device["protections"]["cell_temp"]["max"]["warning"]["threshold"],
        45.5
    );
}

#[tokio::test]
async fn a_deploy_to_no_rack_is_refused_and_racks_default_to_all() {
    let site = site().await;
    let router = site.router().await;
    let mut set = serde_json::to_value(current(&site).await).unwrap();
    set["soc"]["max"]["warning"]["threshold"] = json!(94);
    let (status, problem) = send(
        &router,
        "POST",
        "/api/v1/protections/deploy",
        Some(json!({"protections": set, "racks": []})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "racks");
    assert_eq!(
        site.simulator
            .holding(BMS_UNIT, register("soc", "max", "warn")),
        Some(950),
        "nothing was written"
    );
    // A single-rack site: naming racks or not, the shared registers are written once.
    let (status, deployed) = send(
        &router,
        "POST",
        "/api/v1/protections/deploy",
        Some(json!({"protections": set, "racks": [1, 2]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{deployed}");
    let warn: Vec<&Value> = deployed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "soc.max.warning.threshold")
        .collect();
    assert_eq!(warn.len(), 1);
    assert_eq!(warn[0]["rack"], Value::Null);
    assert_eq!(
        site.simulator
            .holding(BMS_UNIT, register("soc", "max", "warn")),
        Some(940)
    );
}

/// The first event of `GET /api/v1/alarms/stream` of a router over `protections`, as sent.
async fn first_alarm_event(site: &Site, protections: &Protections) -> String {
    use futures_util::StreamExt;
    use tower::ServiceExt;
    let mut state = crate::common::app_state(&site.test_db);
    state.protections = protections.clone();
    let router = crate::common::router(state).await;
    let request = axum::http::Request::get("/api/v1/alarms/stream")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body().into_data_stream();
    let mut text = String::new();
    while !text.ends_with("\n\n") {
        let chunk = tokio::time::timeout(WAIT, body.next())
            .await
            .expect("an alarm event within the wait")
            .expect("the stream goes on")
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}
