//! Protections in engineering units and the prototype's protections services (save only what is
//! posted, recall, deploy only the posted fields), against the example registry and the
//! simulated BMS, on a SQLite file and on PostgreSQL; and the migration that converts stored
//! raw limits.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::float_cmp
)]

use services::testing as common;

use devices::simulator::{BMS_UNIT, Simulator, protection_register};
use migration::MigratorTrait;
use model::protections::prototype::{ProtectionConfigIn, PrototypeSource};
use model::protections::{LevelLimit, ProtectionsPayload};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::json;
use services::actor::Actor;
use services::database;
use services::field::FieldIo;
use services::field::config::FieldConfig;
use services::protections::alarms::{Protections, ProtectionsConfig};
use services::protections::deploy::{self, DeployOutcome};
use services::protections::prototype::{self, PrototypeError};
use services::protections::{self as service, profiles};
use tokio_util::sync::CancellationToken;

/// The seed's test script's body.
const SEED: &str = r#"{"protections":{"soc":{"max":{"hysteresis":0.5,"warning":{"threshold":95,"on_duration":30,"off_duration":60,"enabled":true}}}}}"#;

struct Site {
    simulator: Simulator,
    field: FieldIo,
    protections: Protections,
    actor: Actor,
    _cancel: tokio_util::sync::DropGuard,
}

fn examples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// The example registry, the seeded default profile, the demo's protections configuration and
/// field I/O to the simulated BMS on loopback (its `prot:sbmu:hold` limits as holding registers).
async fn site(db: &DatabaseConnection) -> Site {
    site_on(db, Simulator::new(), |_| {}).await
}

/// [`site`] on this simulator, with more entries in the field configuration's `devices`.
async fn site_on(
    db: &DatabaseConnection,
    simulator: Simulator,
    extra_devices: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> Site {
    common::import_examples(db, "tester").await;
    let defaults = std::fs::read_to_string(examples().join("protections_default.json")).unwrap();
    let actor = Actor::new("tester", "test");
    profiles::seed_default(db, "protections_default.json", &defaults, &actor)
        .await
        .unwrap();
    let cancel = CancellationToken::new();
    let addr = simulator
        .serve_tcp("127.0.0.1:0".parse().unwrap(), cancel.clone())
        .await
        .unwrap();
    let mut devices = serde_json::Map::new();
    devices.insert("bms".into(), json!("site"));
    extra_devices(&mut devices);
    let config = json!({
        "buses": [{"name": "site", "endpoint": {"tcp": {"addr": addr.to_string()}}, "request_timeout_ms": 2000}],
        "devices": devices,
        "memory": {"prot:sbmu:hold": {"bus": "site", "unit_id": BMS_UNIT, "table": "holding", "base": 0}}
    })
    .to_string();
    let field = FieldIo::start(
        db.clone(),
        FieldConfig::parse("field.json", &config).unwrap(),
        cancel.clone(),
    );
    let config_text = std::fs::read_to_string(examples().join("protections_config.json")).unwrap();
    let defaults: ProtectionsPayload = serde_json::from_str(&defaults).unwrap();
    let protections = Protections::with_defaults(
        ProtectionsConfig::parse("protections_config.json", &config_text).unwrap(),
        defaults.protections,
    );
    Site {
        simulator,
        field,
        protections,
        actor,
        _cancel: cancel.drop_guard(),
    }
}

fn register(site: &Site, quantity: &str, side: &str, field: &str) -> u16 {
    let register = protection_register(quantity, side, field).unwrap();
    site.simulator.holding(BMS_UNIT, register).unwrap()
}

fn config(text: &str) -> ProtectionConfigIn {
    serde_json::from_str(text).unwrap()
}

#[tokio::test]
async fn limits_are_engineering_units_and_the_register_step_applies_only_at_the_device() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let site = site(db).await;
        // The seeded profile is in engineering units: 45 °C, not 450 tenths.
        let (_, set) = profiles::load(db, None).await.unwrap();
        let cell_temp = set["cell_temp"].max.as_ref().unwrap();
        assert_eq!(cell_temp.warning.unwrap().threshold, 45.0, "{backend}");
        assert_eq!(cell_temp.hysteresis, 2.0, "{backend}");

        // The registry's units of the registers tell the limits' units.
        let recalled = service::recall(
            db,
            &site.field,
            &site.protections,
            &model::profiles::RecallSource::Current,
        )
        .await
        .unwrap();
        assert_eq!(recalled.known["cell_temp"].units, "°C", "{backend}");
        assert_eq!(recalled.known["pack_voltage"].units, "V", "{backend}");
        assert_eq!(recalled.known["soc"].units, "%", "{backend}");
        assert_eq!(recalled.known["cell_voltage"].units, "mV", "{backend}");

        // The device holds raw counts; a device recall reads engineering units.
        let device = service::recall(
            db,
            &site.field,
            &site.protections,
            &model::profiles::RecallSource::Device,
        )
        .await
        .unwrap();
        assert_eq!(device.read_errors, vec![], "{backend}");
        assert_eq!(
            device.protections, set,
            "{backend}: the device holds the defaults"
        );

        // 45.5 °C and a 0.5 % soc hysteresis reach the registers as 455 and 5.
        let mut edited = set.clone();
        edited
            .get_mut("cell_temp")
            .unwrap()
            .max
            .as_mut()
            .unwrap()
            .warning = Some(LevelLimit::new(45.5).with_delays(5.0, 10.0));
        edited
            .get_mut("soc")
            .unwrap()
            .max
            .as_mut()
            .unwrap()
            .hysteresis = 0.5;
        let detail = service::save_and_deploy(
            db,
            &site.field,
            &site.protections,
            None,
            &edited,
            &site.actor,
        )
        .await
        .unwrap();
        assert_eq!(
            detail.summary.status,
            model::profiles::DeploymentStatus::Succeeded,
            "{backend}: {}",
            detail.summary.message
        );
        assert_eq!(
            register(&site, "cell_temp", "max", "warn"),
            455,
            "{backend}"
        );
        assert_eq!(register(&site, "soc", "max", "hyst"), 5, "{backend}");
        let hysteresis = detail
            .fields
            .iter()
            .find(|f| f.path == "soc.max.hysteresis")
            .unwrap();
        assert_eq!(
            (hysteresis.before, hysteresis.read_back),
            (Some(2.0), Some(0.5)),
            "{backend}"
        );

        // A value the register cannot hold exactly is refused before anything is sent.
        let mut inexact = edited.clone();
        inexact
            .get_mut("soc")
            .unwrap()
            .max
            .as_mut()
            .unwrap()
            .hysteresis = 0.25;
        let refused = service::save_and_deploy_with_outcome(
            db,
            &site.field,
            &site.protections,
            None,
            &inexact,
            &site.actor,
        )
        .await
        .unwrap();
        assert_eq!(refused.outcome, DeployOutcome::Refused, "{backend}");
        assert!(
            refused
                .detail
                .summary
                .message
                .contains("soc.max.hysteresis"),
            "{backend}: {}",
            refused.detail.summary.message
        );
        assert_eq!(register(&site, "soc", "max", "hyst"), 5, "{backend}");
    }
}

#[tokio::test]
async fn the_seed_script_saves_what_it_names_recalls_it_and_deploys_only_the_posted_fields() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let site = site(db).await;
        let (before, profile_before) = profiles::load(db, None).await.unwrap();

        let saved = prototype::save(
            db,
            &site.field,
            &site.protections,
            &config(SEED),
            &site.actor,
        )
        .await
        .unwrap();
        assert_eq!(
            serde_json::to_value(&saved).unwrap(),
            json!({"ok": true, "profile": "default", "message": "Protections saved"}),
            "{backend}"
        );
        let recalled = prototype::recall(db, &site.protections, PrototypeSource::Current)
            .await
            .unwrap();
        assert_eq!(recalled.profile, "default");
        let answer = serde_json::to_value(&recalled).unwrap();
        // `jq '.protections.soc.max'`: the posted values, and the levels not posted kept.
        assert_eq!(
            answer["protections"]["soc"]["max"],
            json!({
                "hysteresis": 0.5,
                "warning": {"threshold": 95.0, "on_duration": 30.0, "off_duration": 60.0, "enabled": true},
                "alert": {"threshold": 98.0, "on_duration": 3.0, "off_duration": 10.0, "enabled": true},
                "fault": {"threshold": 100.0, "on_duration": 1.0, "off_duration": 10.0, "enabled": true}
            }),
            "{backend}"
        );
        assert_eq!(
            recalled.protections["soc"].min, profile_before["soc"].min,
            "{backend}"
        );
        assert_eq!(
            recalled.protections["cell_temp"], profile_before["cell_temp"],
            "{backend}"
        );
        let (after, _) = profiles::load(db, None).await.unwrap();
        assert_eq!(after.version, before.version + 1, "{backend}");

        let defaults = prototype::recall(db, &site.protections, PrototypeSource::Default)
            .await
            .unwrap();
        assert_eq!(defaults.protections, profile_before, "{backend}");

        // Someone sets the min warning on the device (11 %, 110 tenths); the prototype's deploy
        // of soc.max must leave it alone, where an /api/v1 deploy of the profile would not.
        site.field
            .write(
                db,
                "soc_min_warn",
                &[110.0],
                None,
                &services::actor::Actor::new("tester", "test"),
            )
            .await
            .unwrap();
        let deploy_text = SEED.replace("\"threshold\":95", "\"threshold\":96");
        let deployed = prototype::deploy(
            db,
            &site.field,
            &site.protections,
            &config(&deploy_text),
            &site.actor,
        )
        .await
        .unwrap();
        assert_eq!(
            serde_json::to_value(&deployed).unwrap(),
            json!({"ok": true, "profile": "default", "message": "Protections deployed"}),
            "{backend}"
        );
        assert_eq!(register(&site, "soc", "max", "warn"), 960, "{backend}");
        assert_eq!(register(&site, "soc", "max", "warn_dur"), 30, "{backend}");
        assert_eq!(register(&site, "soc", "max", "hyst"), 5, "{backend}");
        assert_eq!(register(&site, "soc", "min", "warn"), 110, "{backend}");
        assert_eq!(register(&site, "soc", "max", "alert"), 980, "{backend}");
        let latest = deploy::history(db, 1).await.unwrap().remove(0);
        let detail = deploy::detail(db, latest.id).await.unwrap();
        let paths: Vec<&str> = detail.fields.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "soc.max.hysteresis",
                "soc.max.warning.threshold",
                "soc.max.warning.on_duration",
                "soc.max.warning.off_duration",
                "soc.max.warning.enabled",
            ],
            "{backend}"
        );
        let (_, saved_set) = profiles::load(db, None).await.unwrap();
        assert_eq!(
            saved_set["soc"]
                .max
                .as_ref()
                .unwrap()
                .warning
                .unwrap()
                .threshold,
            96.0
        );
        // After a restart the alarm engine evaluates the whole profile, not the posted fields only.
        assert_eq!(
            services::protections::alarms::deployed_limits(db)
                .await
                .unwrap(),
            saved_set,
            "{backend}"
        );

        // A named profile that does not exist is not found, as in the prototype.
        let missing = prototype::save(
            db,
            &site.field,
            &site.protections,
            &config(r#"{"profile": "winter", "protections": {}}"#),
            &site.actor,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                missing,
                PrototypeError::App(model::error::AppError::NotFound(_))
            ),
            "{backend}: {missing:?}"
        );
    }
}

#[tokio::test]
async fn every_problem_is_reported_with_its_path_and_nothing_is_saved() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let site = site(db).await;
        let (before, _) = profiles::load(db, None).await.unwrap();
        let save = |text: &'static str| {
            let (field, protections, actor) = (&site.field, &site.protections, &site.actor);
            async move { prototype::save(db, field, protections, &config(text), actor).await }
        };
        let paths = |error: PrototypeError| match error {
            PrototypeError::Invalid(errors) => {
                errors.into_iter().map(|e| e.field).collect::<Vec<_>>()
            }
            other => panic!("{backend}: {other:?}"),
        };
        // The shape: unknown sides, levels and keys.
        let shape = save(
            r#"{"protections": {"soc": {"up": {}, "max": {"severe": {}, "warning": {"treshold": 1, "threshold": 96, "on_duration": 0, "off_duration": 0}}}}}"#,
        )
        .await
        .unwrap_err();
        assert_eq!(
            paths(shape),
            vec![
                "protections.soc.max.severe",
                "protections.soc.max.warning.treshold",
                "protections.soc.up",
            ],
            "{backend}"
        );
        // The rules: an unknown quantity and a warning above the alert, both reported.
        let rules = save(
            r#"{"protections": {
                "bogus": {"max": {"warning": {"threshold": 1, "on_duration": 0, "off_duration": 0}}},
                "soc": {"max": {"warning": {"threshold": 99, "on_duration": 0, "off_duration": 0}}}}}"#,
        )
        .await
        .unwrap_err();
        // (Thresholds out of order are reported at both: the alert and the warning.)
        assert_eq!(
            paths(rules),
            vec![
                "protections.bogus",
                "protections.soc.max.alert.threshold",
                "protections.soc.max.warning.threshold"
            ],
            "{backend}"
        );
        let (after, _) = profiles::load(db, None).await.unwrap();
        assert_eq!(after.version, before.version, "{backend}: nothing saved");
    }
}

#[tokio::test]
async fn a_prototype_deploy_the_register_cannot_hold_fails_with_the_v1_detail() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let site = site(db).await;
        let text = SEED.replace("0.5", "0.25");
        let error = prototype::deploy(
            db,
            &site.field,
            &site.protections,
            &config(&text),
            &site.actor,
        )
        .await
        .unwrap_err();
        let PrototypeError::Deploy {
            outcome,
            deployment,
        } = &error
        else {
            panic!("{backend}: {error:?}");
        };
        assert_eq!(*outcome, DeployOutcome::Refused, "{backend}");
        assert_eq!(error.detail(), deployment.summary.message);
        assert!(
            error
                .detail()
                .starts_with("nothing was written: soc.max.hysteresis: 0.25"),
            "{backend}: {}",
            error.detail()
        );
        assert_eq!(register(&site, "soc", "max", "hyst"), 20, "{backend}");
        // /api/v1's deploy of the same profile gives the same detail.
        let (_, saved) = profiles::load(db, None).await.unwrap();
        let v1 = service::save_and_deploy_with_outcome(
            db,
            &site.field,
            &site.protections,
            None,
            &saved,
            &site.actor,
        )
        .await
        .unwrap();
        assert_eq!(v1.outcome, DeployOutcome::Refused, "{backend}");
        assert_eq!(v1.detail.summary.message, error.detail(), "{backend}");
    }
}

async fn numbers(db: &DatabaseConnection, sql: &str) -> Vec<Option<f64>> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    (0..4)
        .map_while(|i| row.try_get_by_index::<Option<f64>>(i).ok())
        .collect()
}

#[tokio::test]
async fn the_migration_converts_stored_raw_limits_by_the_register_step() {
    for test_db in common::each_backend().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        migration::Migrator::up(db, Some(6)).await.unwrap();
        let now = "'2026-12-01T00:00:00+00:00'";
        for (id, name, units) in [
            (1, "cell_temp_max_warn", "0.1 °C"),
            (2, "cell_temp_max_hyst", "0.1 °C"),
            (3, "soc_max_warn", "%"),
            (4, "cell_temp_max_warn_dur", "s"),
        ] {
            db.execute_unprepared(&format!(
                "INSERT INTO system_variables (id, name, display_name, units, category, locator, system_version, last_updated, source_system) \
                 VALUES ({id}, '{name}', '{name}', '{units}', 'prot', 'sbmu.protection', 1, {now}, 'test')"
            ))
            .await
            .unwrap();
        }
        db.execute_unprepared(&format!(
            "INSERT INTO protection_profiles (id, name, description, is_default, active, version, updated_at, updated_by) \
             VALUES (1, 'default', '', TRUE, TRUE, 1, {now}, 'test')"
        ))
        .await
        .unwrap();
        db.execute_unprepared(
            "INSERT INTO protection_limits (profile_id, variable, side, hysteresis, warning_threshold, warning_on_delay, alert_threshold) \
             VALUES (1, 'cell_temp', 'max', 20, 450, 5, NULL), (1, 'soc', 'max', 2, 95, 5, 98)",
        )
        .await
        .unwrap();
        db.execute_unprepared(&format!(
            "INSERT INTO protection_deployments (id, profile_id, profile_name, profile_version, system_version, status, message, started_at, finished_at, deployed_by, source_system) \
             VALUES (1, 1, 'default', 1, 1, 'succeeded', '', {now}, {now}, 'test', 'test')"
        ))
        .await
        .unwrap();
        db.execute_unprepared(
            "INSERT INTO protection_deployment_fields (deployment_id, field_path, device_variable, intended, before, written, read_back, status) \
             VALUES (1, 'cell_temp.max.warning.threshold', 'cell_temp_max_warn', 455, 450, 455, 455, 'written'), \
                    (1, 'cell_temp.max.warning.on_duration', 'cell_temp_max_warn_dur', 5, 5, NULL, 5, 'unchanged')",
        )
        .await
        .unwrap();
        db.execute_unprepared(&format!(
            "INSERT INTO alarm_journal (at, variable, side, level, event, value, threshold) \
             VALUES ({now}, 'cell_temp', 'max', 'warning', 'raised', 461, 450)"
        ))
        .await
        .unwrap();

        database::migrate(db).await.unwrap();

        let limits = |variable: &str| {
            format!(
                "SELECT hysteresis, warning_threshold, warning_on_delay, alert_threshold FROM protection_limits WHERE variable = '{variable}'"
            )
        };
        assert_eq!(
            numbers(db, &limits("cell_temp")).await,
            vec![Some(2.0), Some(45.0), Some(5.0), None],
            "{backend}"
        );
        assert_eq!(
            numbers(db, &limits("soc")).await,
            vec![Some(2.0), Some(95.0), Some(5.0), Some(98.0)],
            "{backend}: % declares no step"
        );
        let field = |path: &str| {
            format!(
                "SELECT intended, before, written, read_back FROM protection_deployment_fields WHERE field_path = '{path}'"
            )
        };
        let converted = numbers(db, &field("cell_temp.max.warning.threshold")).await;
        let expected = [45.5, 45.0, 45.5, 45.5];
        for (value, want) in converted.iter().zip(expected) {
            assert!(
                (value.unwrap() - want).abs() < 1e-9,
                "{backend}: {converted:?}"
            );
        }
        assert_eq!(
            numbers(db, &field("cell_temp.max.warning.on_duration")).await,
            vec![Some(5.0), Some(5.0), None, Some(5.0)],
            "{backend}"
        );
        let journal = numbers(db, "SELECT value, threshold FROM alarm_journal").await;
        assert!((journal[0].unwrap() - 46.1).abs() < 1e-9, "{backend}");
        assert_eq!(journal[1], Some(45.0), "{backend}");

        // Down converts back.
        let after_seven = u32::try_from(migration::Migrator::migrations().len() - 7).unwrap();
        migration::Migrator::down(db, Some(after_seven + 1))
            .await
            .unwrap();
        assert_eq!(
            numbers(db, &limits("cell_temp")).await,
            vec![Some(20.0), Some(450.0), Some(5.0), None],
            "{backend}"
        );
    }
}

/// Rack-specific paths of the multi-rack test: a register bank standing in for rack BMSs.
const RACK_BANK: u8 = 10;

async fn add_rack_path(
    db: &DatabaseConnection,
    name: &str,
    rack: i32,
    address: u16,
    priority: i32,
) {
    let version = services::registry::query::get_variable(db, name)
        .await
        .unwrap()
        .variable_version;
    let path = model::registry::NewAccessPath {
        access_type: model::registry::AccessType::Modbus,
        reference: json!({"device": "racks", "unit_id": RACK_BANK, "table": "holding",
            "address": address, "data_type": "u16"}),
        priority,
        read_only: false,
        rack_number: Some(rack),
        device_id: None,
    };
    services::registry::write::add_path(db, name, version, &path, &Actor::new("tester", "test"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_multi_rack_deploy_writes_each_chosen_rack_through_its_own_best_path() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let simulator = Simulator::new().with_bank(RACK_BANK, 16);
        let site = site_on(db, simulator, |devices| {
            devices.insert("racks".into(), json!("site"));
        })
        .await;
        // soc_max_warn: rack 2 has a path of its own above the all-racks memory path (priority
        // 10); rack 1's own path ranks below it, so rack 1 keeps the shared register.
        add_rack_path(db, "soc_max_warn", 2, 1, 20).await;
        add_rack_path(db, "soc_max_warn", 1, 0, 5).await;
        add_rack_path(db, "soc_max_hyst", 2, 2, 20).await;
        let (_, mut set) = profiles::load(db, None).await.unwrap();
        assert_eq!(
            deploy::racks_of(db, site.protections.naming(), &set)
                .await
                .unwrap(),
            vec![1, 2],
            "{backend}"
        );
        let max = set.get_mut("soc").unwrap().max.as_mut().unwrap();
        max.warning.as_mut().unwrap().threshold = 94.0;
        max.hysteresis = 1.5;

        // The preview lists rack 2's fields with their rack, and the shared ones once.
        let preview = deploy::preview(db, &site.field, site.protections.naming(), "default", &set)
            .await
            .unwrap();
        assert_eq!(preview.racks, vec![1, 2], "{backend}");
        let warn: Vec<Option<i32>> = preview
            .fields
            .iter()
            .filter(|f| f.path == "soc.max.warning.threshold")
            .map(|f| f.rack)
            .collect();
        assert_eq!(warn, vec![None, Some(2)], "{backend}");
        let shared = preview
            .fields
            .iter()
            .filter(|f| f.path == "cell_voltage.max.warning.threshold")
            .count();
        assert_eq!(
            shared, 1,
            "{backend}: an all-racks register is written once"
        );

        // Rack 2 only: its own registers, nothing of the shared ones.
        let only_two = service::save_and_deploy_to_racks(
            db,
            &site.field,
            &site.protections,
            None,
            &set,
            Some(&[2]),
            &site.actor,
        )
        .await
        .unwrap();
        assert_eq!(
            only_two.outcome,
            DeployOutcome::Succeeded,
            "{backend}: {}",
            only_two.detail.summary.message
        );
        let bank = |register: u16| site.simulator.holding(RACK_BANK, register).unwrap();
        assert_eq!(
            (bank(1), bank(2)),
            (940, 15),
            "{backend}: rack 2's registers"
        );
        assert_eq!(
            bank(0),
            0,
            "{backend}: rack 1's low-priority path is not used"
        );
        assert_eq!(
            register(&site, "soc", "max", "warn"),
            950,
            "{backend}: shared register kept"
        );
        assert_eq!(register(&site, "soc", "max", "hyst"), 20, "{backend}");
        let racks: Vec<Option<i32>> = only_two.detail.fields.iter().map(|f| f.rack).collect();
        assert!(
            racks.contains(&Some(2)) && !racks.contains(&Some(1)),
            "{backend}: {racks:?}"
        );

        // Every rack (the default): the shared registers too, each once.
        let all = service::save_and_deploy_to_racks(
            db,
            &site.field,
            &site.protections,
            None,
            &set,
            None,
            &site.actor,
        )
        .await
        .unwrap();
        assert_eq!(
            all.outcome,
            DeployOutcome::Succeeded,
            "{backend}: {}",
            all.detail.summary.message
        );
        assert_eq!(register(&site, "soc", "max", "warn"), 940, "{backend}");
        assert_eq!(register(&site, "soc", "max", "hyst"), 15, "{backend}");
        assert_eq!(bank(0), 0, "{backend}");
        let warn_rows = all
            .detail
            .fields
            .iter()
            .filter(|f| f.path == "soc.max.warning.threshold")
            .map(|f| (f.rack, f.status))
            .collect::<Vec<_>>();
        assert_eq!(
            warn_rows,
            vec![
                (None, model::profiles::FieldResult::Written),
                (Some(2), model::profiles::FieldResult::Unchanged)
            ],
            "{backend}"
        );

        // No rack at all is refused before anything is saved.
        let (before, _) = profiles::load(db, None).await.unwrap();
        let none = service::save_and_deploy_to_racks(
            db,
            &site.field,
            &site.protections,
            None,
            &set,
            Some(&[]),
            &site.actor,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&none, model::error::AppError::Validation { field, .. } if field == "racks"),
            "{backend}: {none:?}"
        );
        assert_eq!(
            profiles::load(db, None).await.unwrap().0.version,
            before.version
        );
    }
}
