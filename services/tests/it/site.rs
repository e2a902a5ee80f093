//! The site catalog on SQLite and PostgreSQL: the default structure, applying a spec (plans,
//! generated batteries and cells, prune, validation), the console's writes with If-Match,
//! attachments and their history, the tree, delete previews and the change log.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use entity::site::adapter_base;
use model::error::AppError;
use model::site::plan::SitePlan;
use model::site::spec::{
    AdapterSpec, AttachmentSpec, BatteryArraySpec, BatteryPackSpec, DeviceCategory,
    InverterArraySpec, InverterSpec, MeterSpec, MeterType, PhaseType, SiteSpec, SystemSpec,
};
use model::site::tree::{
    BatteryPackPatch, EntityKind, InverterPatch, KindCount, SiteChangeType, SiteTree,
};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait};
use services::actor::Actor;
use services::site;
use services::system::system_version;
use services::testing as common;

fn operator() -> Actor {
    Actor::new("alice", "console")
}

async fn exec(db: &DatabaseConnection, sql: &str) -> Result<(), sea_orm::DbErr> {
    db.execute_unprepared(sql).await.map(|_| ())
}

async fn version(db: &DatabaseConnection) -> i64 {
    system_version(db).await.unwrap().current_version
}

/// The adapter types the tests use (the adapter catalog writes these rows in the product).
async fn seed_adapter_types(db: &DatabaseConnection) {
    let now = chrono::Utc::now();
    let types = [
        ("powdrive", Some(DeviceCategory::Inverter)),
        ("pytes", Some(DeviceCategory::Battery)),
        ("jkbms_ble", Some(DeviceCategory::Battery)),
        ("iammeter", Some(DeviceCategory::Meter)),
        ("simulator_inverter", Some(DeviceCategory::Inverter)),
        ("simulator_bms", Some(DeviceCategory::Battery)),
        ("simulator_meter", Some(DeviceCategory::Meter)),
        ("modbus_generic", None),
    ];
    let rows = types.map(
        |(adapter_type, device_category)| adapter_base::ActiveModel {
            adapter_type: Set(adapter_type.into()),
            device_category: Set(device_category),
            name: Set(adapter_type.into()),
            description: Set(None),
            config_schema: Set("{}".into()),
            supported_transports: Set(None),
            default_config: Set(None),
            type_version: Set(1),
            drivable: Set(true),
            not_drivable_reason: Set(None),
            register_map: Set("[]".into()),
            sources: Set("[]".into()),
            version: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        },
    );
    adapter_base::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .unwrap();
}

/// Every backend, migrated, with the adapter types.
async fn databases() -> Vec<common::TestDb> {
    let databases = common::each_backend_migrated().await;
    for test_db in &databases {
        seed_adapter_types(&test_db.db).await;
    }
    databases
}

fn adapter(id: &str, adapter_type: &str, priority: i32) -> AdapterSpec {
    AdapterSpec {
        id: id.into(),
        adapter_type: adapter_type.into(),
        name: None,
        config: serde_json::json!({"transport": "rtu", "serial_port": "/dev/ttyUSB0", "unit_id": 1}),
        priority,
        enabled: true,
    }
}

/// A small site: two inverter arrays, one inverter, a pack of 4 × 16 cells with two adapters,
/// a system-level meter, the battery array attached to `array1`.
fn demo() -> SiteSpec {
    SiteSpec {
        system: SystemSpec {
            id: "home".into(),
            name: "Home".into(),
            description: Some("Rooftop".into()),
            timezone: "Asia/Karachi".into(),
        },
        inverter_arrays: vec![
            InverterArraySpec {
                id: "array1".into(),
                name: "Array 1".into(),
            },
            InverterArraySpec {
                id: "array2".into(),
                name: "Array 2".into(),
            },
        ],
        inverters: vec![InverterSpec {
            id: "powdrive1".into(),
            array_id: "array1".into(),
            name: "Powdrive 1".into(),
            model: Some("A".into()),
            serial_number: Some("PD-1".into()),
            vendor: Some("powdrive".into()),
            phase_type: Some(PhaseType::Three),
            adapter: Some(adapter("powdrive1_adapter", "powdrive", 1)),
        }],
        battery_arrays: vec![BatteryArraySpec {
            id: "battery_array1".into(),
            name: "Battery Room".into(),
        }],
        battery_packs: vec![BatteryPackSpec {
            id: "battery1".into(),
            battery_array_id: "battery_array1".into(),
            name: "Rack A".into(),
            chemistry: Some("LFP".into()),
            nominal_kwh: Some(20.48),
            max_charge_kw: Some(10.0),
            max_discharge_kw: None,
            batteries: 4,
            cells_per_battery: 16,
            cell_nominal_voltage: Some(3.2),
            adapters: vec![
                adapter("battery1_adapter", "pytes", 1),
                adapter("battery1_adapter_2", "jkbms_ble", 2),
            ],
        }],
        attachments: vec![AttachmentSpec {
            battery_array_id: "battery_array1".into(),
            inverter_array_id: "array1".into(),
            attached_since: Some("2025-01-01T00:00:00+05:00".into()),
            detached_at: None,
        }],
        meters: vec![MeterSpec {
            id: "grid_meter_1".into(),
            name: "Grid".into(),
            array_id: None,
            model: Some("WEM3080T".into()),
            meter_type: Some(MeterType::Grid),
            adapter: Some(adapter("grid_meter_1_adapter", "iammeter", 1)),
        }],
    }
}

fn lines(plan: &SitePlan) -> Vec<String> {
    plan.changes.iter().map(ToString::to_string).collect()
}

async fn apply(db: &DatabaseConnection, spec: &SiteSpec, prune: bool) -> SitePlan {
    site::apply_spec(db, spec, prune, false, &operator())
        .await
        .unwrap()
}

fn validation(result: Result<impl std::fmt::Debug, AppError>) -> (String, String) {
    match result {
        Err(AppError::Validation { field, message }) => (field, message),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_database_allows_one_open_attachment_per_battery_array() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let now = "'2026-12-02T10:00:00+00:00'";
        for sql in [
            format!(
                "INSERT INTO systems (system_id, name, timezone, version, created_at, updated_at) VALUES ('s', 'S', 'UTC', 1, {now}, {now})"
            ),
            format!(
                "INSERT INTO battery_arrays (battery_array_id, system_id, name, version, created_at, updated_at) VALUES ('ba', 's', 'BA', 1, {now}, {now})"
            ),
            format!(
                "INSERT INTO battery_array_attachments (system_id, battery_array_id, inverter_array_id, attached_since, detached_at, version, created_at) VALUES ('s', 'ba', 'a1', {now}, {now}, 1, {now})"
            ),
            format!(
                "INSERT INTO battery_array_attachments (system_id, battery_array_id, inverter_array_id, attached_since, version, created_at) VALUES ('s', 'ba', 'a2', {now}, 1, {now})"
            ),
        ] {
            exec(db, &sql)
                .await
                .unwrap_or_else(|e| panic!("{backend}: {sql}: {e}"));
        }
        let second_open = format!(
            "INSERT INTO battery_array_attachments (system_id, battery_array_id, inverter_array_id, attached_since, version, created_at) VALUES ('s', 'ba', 'a3', {now}, 1, {now})"
        );
        assert!(
            exec(db, &second_open).await.is_err(),
            "{backend}: a second open attachment"
        );
    }
}

#[tokio::test]
async fn the_default_structure_is_created_once_and_never_again() {
    for test_db in databases().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        assert!(
            site::ensure_default_structure(db, &operator())
                .await
                .unwrap(),
            "{backend}"
        );
        assert!(
            !site::ensure_default_structure(db, &operator())
                .await
                .unwrap(),
            "{backend}"
        );

        let tree = site::tree(db, "system").await.unwrap();
        assert_eq!(tree.system.name, "My Solar System");
        assert_eq!(tree.system.timezone, "Asia/Karachi");
        assert_eq!(tree.inverter_arrays[0].id, "array1");
        assert_eq!(tree.inverter_arrays[0].name, "Default Inverter Array");
        assert_eq!(tree.inverter_arrays[0].battery_arrays, ["battery_array1"]);
        assert_eq!(tree.battery_arrays[0].name, "Default Battery Array");
        assert_eq!(
            tree.battery_arrays[0].attached_to.as_deref(),
            Some("array1")
        );
        assert_eq!(version(db).await, 1, "{backend}: one system version");
        assert_eq!(tree.system.version, 1);

        // Deleted by the operator: it stays deleted.
        site::delete_system(db, "system", 1, &operator())
            .await
            .unwrap();
        assert!(site::systems(db).await.unwrap().is_empty());
        assert!(
            !site::ensure_default_structure(db, &operator())
                .await
                .unwrap(),
            "{backend}"
        );
        assert!(site::systems(db).await.unwrap().is_empty(), "{backend}");
        let log = site::changes(db, "system", 10).await.unwrap();
        assert_eq!(log[0].change_type, SiteChangeType::Deleted);
        assert_eq!(log[0].entity_kind, EntityKind::System);
        assert!(
            log[0]
                .old_value
                .as_deref()
                .unwrap()
                .contains("Default Battery Array")
        );
    }
}

#[tokio::test]
async fn applying_a_spec_creates_it_then_plans_nothing_then_logs_each_change() {
    for test_db in databases().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let spec = demo();

        let dry = site::apply_spec(db, &spec, false, true, &operator())
            .await
            .unwrap();
        assert_eq!(dry.changes.len(), 12, "{backend}: {}", dry.summary());
        assert!(
            site::systems(db).await.unwrap().is_empty(),
            "{backend}: a dry run writes nothing"
        );
        assert_eq!(version(db).await, 0);

        let created = apply(db, &spec, false).await;
        assert_eq!(lines(&created), lines(&dry), "{backend}");
        assert_eq!(version(db).await, 1, "{backend}: one version per apply");

        // What the database holds is the spec, times in the site's form.
        let mut expected = spec.clone();
        expected.attachments[0].attached_since = Some("2024-12-31T19:00:00Z".into());
        assert_eq!(
            site::load_spec(db, "home").await.unwrap(),
            Some(expected),
            "{backend}"
        );

        let again = apply(db, &spec, true).await;
        assert!(again.is_empty(), "{backend}: {}", again.summary());
        assert_eq!(
            version(db).await,
            1,
            "{backend}: nothing changed, no version taken"
        );

        let mut changed = spec.clone();
        changed.inverters[0].model = Some("B".into());
        changed.battery_packs[0].adapters[1].enabled = false;
        let plan = apply(db, &changed, false).await;
        assert_eq!(
            lines(&plan),
            [
                "update inverter powdrive1: model 'A' → 'B'",
                "update adapter battery1_adapter_2: enabled true → false",
            ],
            "{backend}"
        );
        let log = site::changes(db, "home", 2).await.unwrap();
        let model = log.iter().find(|c| c.entity_id == "powdrive1").unwrap();
        assert_eq!(model.change_type, SiteChangeType::Updated);
        assert_eq!(model.field.as_deref(), Some("model"));
        assert_eq!(model.old_value.as_deref(), Some("A"));
        assert_eq!(model.new_value.as_deref(), Some("B"));
        assert_eq!(
            (model.changed_by.as_str(), model.source_system.as_str()),
            ("alice", "console")
        );
        assert_eq!(model.system_version, 2);

        let tree = site::tree(db, "home").await.unwrap();
        let inverter = &tree.inverter_arrays[0].inverters[0];
        assert_eq!(
            inverter.version, 2,
            "{backend}: the changed row carries the new version"
        );
        assert_eq!(
            tree.inverter_arrays[1].version, 1,
            "{backend}: the others keep theirs"
        );
        let pack = &tree.battery_arrays[0].packs[0];
        assert!(
            !pack.adapters[1].enabled,
            "{backend}: the link says disabled"
        );
        assert_eq!(pack.adapters[1].link_version, Some(2));
    }
}

#[tokio::test]
async fn without_prune_rows_the_spec_leaves_out_are_kept_with_prune_removed() {
    for test_db in databases().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        apply(db, &demo(), false).await;
        let mut smaller = demo();
        smaller.inverter_arrays.truncate(1);
        smaller.meters.clear();
        smaller.battery_packs.clear();

        assert!(apply(db, &smaller, false).await.is_empty(), "{backend}");
        let plan = apply(db, &smaller, true).await;
        assert_eq!(
            lines(&plan),
            [
                "remove inverter array array2",
                "remove battery pack battery1",
                "remove meter grid_meter_1",
                "remove adapter battery1_adapter",
                "remove adapter battery1_adapter_2",
                "remove adapter grid_meter_1_adapter",
            ],
            "{backend}"
        );
        let tree = site::tree(db, "home").await.unwrap();
        assert_eq!(tree.inverter_arrays.len(), 1);
        assert!(tree.meters.is_empty());
        assert!(tree.battery_arrays[0].packs.is_empty());
        let remaining = site::delete_preview(db, EntityKind::System, "home")
            .await
            .unwrap();
        assert!(
            !remaining
                .removes
                .iter()
                .any(|k| matches!(k.kind, EntityKind::Battery | EntityKind::BatteryCell)),
            "{backend}: the pack's batteries and cells went with it: {remaining:?}"
        );
        let log = site::changes(db, "home", 100).await.unwrap();
        let removed = log
            .iter()
            .filter(|c| c.change_type == SiteChangeType::Deleted)
            .count();
        assert_eq!(removed, 6, "{backend}");
    }
}

#[tokio::test]
async fn packs_generate_their_batteries_and_cells_and_follow_new_counts() {
    for test_db in databases().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        apply(db, &demo(), false).await;
        let pack = |tree: &SiteTree| tree.battery_arrays[0].packs[0].clone();

        let tree = site::tree(db, "home").await.unwrap();
        let generated = pack(&tree);
        assert_eq!(
            (
                generated.batteries_count,
                generated.cells_per_battery,
                generated.cell_count
            ),
            (4, 16, 64),
            "{backend}"
        );
        let ids: Vec<&str> = generated.batteries.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(
            ids,
            ["battery1_b0", "battery1_b1", "battery1_b2", "battery1_b3"]
        );
        assert!(generated.batteries.iter().all(|b| b.cell_count == 16));
        let cell_ids: Vec<String> = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT cell_id FROM battery_cells WHERE battery_id = 'battery1_b0' ORDER BY cell_index",
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).unwrap())
            .collect();
        assert_eq!(cell_ids.first().map(String::as_str), Some("battery1_b0_c0"));
        assert_eq!(cell_ids.last().map(String::as_str), Some("battery1_b0_c15"));

        // Fewer batteries, more cells, through a spec.
        let mut spec = demo();
        spec.battery_packs[0].batteries = 2;
        spec.battery_packs[0].cells_per_battery = 20;
        let plan = apply(db, &spec, false).await;
        assert_eq!(
            lines(&plan),
            ["update battery pack battery1: batteries 4 → 2, cells_per_battery 16 → 20"]
        );
        let reshaped = pack(&site::tree(db, "home").await.unwrap());
        assert_eq!(
            (reshaped.batteries_count, reshaped.cell_count),
            (2, 40),
            "{backend}"
        );

        // More batteries, fewer cells, through the console.
        let patch = BatteryPackPatch {
            batteries: Some(3),
            cells_per_battery: Some(8),
            ..BatteryPackPatch::default()
        };
        site::update_battery_pack(db, "battery1", &patch, reshaped.version, &operator())
            .await
            .unwrap();
        let patched = pack(&site::tree(db, "home").await.unwrap());
        assert_eq!(
            (patched.batteries_count, patched.cell_count),
            (3, 24),
            "{backend}"
        );
        assert!(
            patched.batteries.iter().all(|b| b.cell_count == 8),
            "{backend}"
        );

        let too_many = BatteryPackPatch {
            batteries: Some(10_000),
            ..BatteryPackPatch::default()
        };
        let (field, _) = validation(
            site::update_battery_pack(db, "battery1", &too_many, patched.version, &operator())
                .await,
        );
        assert_eq!(field, "batteries");
    }
}

#[tokio::test]
async fn an_id_taken_by_another_kind_or_system_is_refused_with_its_path_and_nothing_is_written() {
    for test_db in databases().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        apply(db, &demo(), false).await;
        let before = version(db).await;

        // Another system may not reuse any id of the first, nor a spec one id twice.
        let mut other = demo();
        other.system.id = "cabin".into();
        other.inverter_arrays = vec![InverterArraySpec {
            id: "cabin_array".into(),
            name: "Cabin".into(),
        }];
        other.inverters[0].array_id = "cabin_array".into();
        other.inverters[0].adapter = None;
        other.battery_packs.clear();
        other.battery_arrays.clear();
        other.attachments.clear();
        other.meters[0].id = "cabin_array".into();
        other.meters[0].adapter = None;
        let (field, message) =
            validation(site::apply_spec(db, &other, false, false, &operator()).await);
        assert_eq!(field, "meters[0].id", "{backend}: {message}");
        assert!(
            message.contains(
                r#""cabin_array" is already the id of the inverter array at inverter_arrays[0].id"#
            ),
            "{message}"
        );
        assert!(message.contains(r#"inverters[0].id: "powdrive1" is already the id of inverter "powdrive1" in system "home""#), "{message}");
        assert_eq!(version(db).await, before, "{backend}: nothing written");
        assert_eq!(site::systems(db).await.unwrap().len(), 1);

        // Within one system: an inverter may not take an array's id; a reference must resolve;
        // a slug must be a slug.
        let mut clash = demo();
        clash.inverters[0].id = "array2".into();
        clash.meters[0].array_id = Some("nowhere".into());
        clash.battery_packs[0].adapters[1].id = "bad id".into();
        let (field, message) =
            validation(site::apply_spec(db, &clash, true, false, &operator()).await);
        assert_eq!(field, "inverters[0].id", "{backend}: {message}");
        assert!(
            message.contains("battery_packs[0].adapters[1].id: an id holds only letters"),
            "{message}"
        );
        assert!(
            message.contains(
                r#"meters[0].array_id: there is no inverter array "nowhere" in system "home""#
            ),
            "{message}"
        );

        // An unknown adapter type, and one of the wrong category.
        let mut types = demo();
        types.inverters[0].adapter.as_mut().unwrap().adapter_type = "nope".into();
        types.meters[0].adapter.as_mut().unwrap().adapter_type = "pytes".into();
        let (field, message) =
            validation(site::apply_spec(db, &types, false, false, &operator()).await);
        assert_eq!(
            field, "inverters[0].adapter.adapter_type",
            "{backend}: {message}"
        );
        assert!(message.contains(r#"meters[0].adapter.adapter_type: adapter type "pytes" drives a battery, not a meter"#), "{message}");

        // The console's creates follow the same namespace.
        let new = InverterArraySpec {
            id: "powdrive1".into(),
            name: "X".into(),
        };
        let (field, message) =
            validation(site::create_inverter_array(db, "home", &new, &operator()).await);
        assert_eq!(
            (field.as_str(), message.as_str()),
            (
                "id",
                r#""powdrive1" is already the id of inverter "powdrive1" in system "home""#
            )
        );
        assert_eq!(version(db).await, before, "{backend}: nothing written");
    }
}

#[tokio::test]
async fn writes_check_if_match_and_log_old_and_new_values() {
    for test_db in databases().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        apply(db, &demo(), false).await;
        let patch = InverterPatch {
            model: Some(None),
            name: Some("West".into()),
            ..InverterPatch::default()
        };
        let stale = site::update_inverter(db, "powdrive1", &patch, 7, &operator()).await;
        assert!(
            matches!(stale, Err(AppError::Conflict(_))),
            "{backend}: {stale:?}"
        );
        let version = site::update_inverter(db, "powdrive1", &patch, 1, &operator())
            .await
            .unwrap();
        assert_eq!(version, 2, "{backend}");
        // The same patch again changes nothing and takes no version.
        assert_eq!(
            site::update_inverter(db, "powdrive1", &patch, 2, &operator())
                .await
                .unwrap(),
            2
        );
        let log = site::changes(db, "home", 2).await.unwrap();
        let fields: Vec<(Option<&str>, Option<&str>, Option<&str>)> = log
            .iter()
            .map(|c| {
                (
                    c.field.as_deref(),
                    c.old_value.as_deref(),
                    c.new_value.as_deref(),
                )
            })
            .collect();
        assert!(
            fields.contains(&(Some("name"), Some("Powdrive 1"), Some("West"))),
            "{fields:?}"
        );
        assert!(
            fields.contains(&(Some("model"), Some("A"), None)),
            "{fields:?}"
        );
        let inverter =
            site::tree(db, "home").await.unwrap().inverter_arrays[0].inverters[0].clone();
        assert_eq!(
            (inverter.name.as_str(), inverter.model, inverter.version),
            ("West", None, 2)
        );
        assert_eq!(
            inverter.adapter.unwrap().id,
            "powdrive1_adapter",
            "{backend}: the adapter stays"
        );

        let gone = site::delete_inverter(db, "powdrive1", 1, &operator()).await;
        assert!(matches!(gone, Err(AppError::Conflict(_))), "{backend}");
        let missing = site::delete_inverter(db, "nobody", 1, &operator()).await;
        assert!(matches!(missing, Err(AppError::NotFound(_))), "{backend}");
        site::delete_inverter(db, "powdrive1", 2, &operator())
            .await
            .unwrap();
        let preview = site::delete_preview(db, EntityKind::System, "home")
            .await
            .unwrap();
        assert!(
            !preview
                .removes
                .iter()
                .any(|k| k.kind == EntityKind::Inverter),
            "{preview:?}"
        );
        assert_eq!(
            preview
                .removes
                .iter()
                .find(|k| k.kind == EntityKind::Adapter),
            Some(&KindCount {
                kind: EntityKind::Adapter,
                count: 3
            }),
            "{backend}: the inverter's adapter went with it"
        );
    }
}

#[tokio::test]
async fn attachments_are_history_that_outlives_the_inverter_array() {
    for test_db in databases().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        apply(db, &demo(), false).await;

        // Re-attaching closes the open attachment and opens a new one.
        site::attach(db, "battery_array1", "array2", &operator())
            .await
            .unwrap();
        let tree = site::tree(db, "home").await.unwrap();
        assert_eq!(
            tree.battery_arrays[0].attached_to.as_deref(),
            Some("array2"),
            "{backend}"
        );
        assert_eq!(tree.attachments.len(), 2);
        assert_eq!(
            tree.attachments
                .iter()
                .filter(|a| a.detached_at.is_none())
                .count(),
            1
        );
        let closed = tree
            .attachments
            .iter()
            .find(|a| a.inverter_array_id == "array1")
            .unwrap();
        let open = tree
            .attachments
            .iter()
            .find(|a| a.inverter_array_id == "array2")
            .unwrap();
        assert_eq!(
            closed.detached_at.as_deref(),
            Some(open.attached_since.as_str())
        );
        // Attaching where it is attached changes nothing.
        let before = version(db).await;
        site::attach(db, "battery_array1", "array2", &operator())
            .await
            .unwrap();
        assert_eq!(version(db).await, before, "{backend}");
        let elsewhere = site::attach(db, "battery_array1", "nowhere", &operator()).await;
        assert_eq!(validation(elsewhere).0, "inverter_array_id");

        // Deleting the inverter array closes its attachment and keeps both rows.
        let preview = site::delete_preview(db, EntityKind::InverterArray, "array2")
            .await
            .unwrap();
        assert_eq!(preview.closes_attachments, 1, "{backend}");
        site::delete_inverter_array(db, "array2", preview.version, &operator())
            .await
            .unwrap();
        let tree = site::tree(db, "home").await.unwrap();
        assert_eq!(tree.battery_arrays[0].attached_to, None, "{backend}");
        assert_eq!(tree.attachments.len(), 2, "{backend}: history kept");
        assert!(
            tree.attachments.iter().all(|a| a.detached_at.is_some()),
            "{backend}"
        );
        assert!(
            tree.attachments
                .iter()
                .any(|a| a.inverter_array_id == "array2")
        );
        let detach = site::detach(db, "battery_array1", &operator()).await;
        assert!(matches!(detach, Err(AppError::NotFound(_))), "{backend}");

        // A spec naming only the current arrays still applies (history of the deleted array is
        // not part of the spec), and attaching through a spec closes nothing that is closed.
        let mut spec = site::load_spec(db, "home").await.unwrap().unwrap();
        assert_eq!(
            spec.attachments.len(),
            1,
            "{backend}: {:?}",
            spec.attachments
        );
        spec.attachments.push(AttachmentSpec {
            battery_array_id: "battery_array1".into(),
            inverter_array_id: "array1".into(),
            attached_since: None,
            detached_at: None,
        });
        let plan = apply(db, &spec, true).await;
        assert_eq!(
            lines(&plan),
            ["create attachment battery_array1 → array1"],
            "{backend}"
        );
        site::detach(db, "battery_array1", &operator())
            .await
            .unwrap();
        assert_eq!(site::tree(db, "home").await.unwrap().attachments.len(), 3);
    }
}

#[tokio::test]
async fn a_spec_that_moves_the_battery_array_closes_the_old_attachment() {
    for test_db in databases().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        apply(db, &demo(), false).await;
        let mut moved = demo();
        moved.attachments[0].inverter_array_id = "array2".into();
        moved.attachments[0].attached_since = Some("2026-06-01T00:00:00Z".into());
        let plan = apply(db, &moved, false).await;
        assert_eq!(
            lines(&plan),
            [
                "update attachment battery_array1 → array1: detached_at none → '2026-06-01T00:00:00Z'",
                "create attachment battery_array1 → array2",
            ],
            "{backend}"
        );
        let tree = site::tree(db, "home").await.unwrap();
        assert_eq!(tree.attachments.len(), 2);
        assert_eq!(
            tree.attachments[0].inverter_array_id, "array2",
            "{backend}: newest first"
        );
        assert_eq!(
            tree.battery_arrays[0].attached_to.as_deref(),
            Some("array2")
        );
    }
}

#[tokio::test]
async fn console_writes_cover_every_kind() {
    for test_db in databases().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let actor = operator();
        let system = SystemSpec {
            id: "lab".into(),
            name: "Lab".into(),
            description: None,
            timezone: "UTC".into(),
        };
        site::create_system(db, &system, &actor).await.unwrap();
        site::create_inverter_array(
            db,
            "lab",
            &InverterArraySpec {
                id: "lab_a".into(),
                name: "A".into(),
            },
            &actor,
        )
        .await
        .unwrap();
        site::create_battery_array(
            db,
            "lab",
            &BatteryArraySpec {
                id: "lab_b".into(),
                name: "B".into(),
            },
            &actor,
        )
        .await
        .unwrap();
        let mut inverter = demo().inverters[0].clone();
        inverter.array_id = "lab_a".into();
        site::create_inverter(db, &inverter, &actor).await.unwrap();
        let mut pack = demo().battery_packs[0].clone();
        pack.battery_array_id = "lab_b".into();
        site::create_battery_pack(db, &pack, &actor).await.unwrap();
        let mut meter = demo().meters[0].clone();
        meter.array_id = Some("lab_a".into());
        meter.adapter = None;
        site::create_meter(db, "lab", &meter, &actor).await.unwrap();
        site::create_adapter(
            db,
            "grid_meter_1",
            &adapter("grid_meter_1_adapter", "iammeter", 1),
            &actor,
        )
        .await
        .unwrap();
        let second = site::create_adapter(
            db,
            "grid_meter_1",
            &adapter("meter_2", "iammeter", 1),
            &actor,
        )
        .await;
        assert_eq!(validation(second).0, "device_id", "{backend}");
        site::create_adapter(
            db,
            "battery1",
            &adapter("battery1_adapter_3", "modbus_generic", 3),
            &actor,
        )
        .await
        .unwrap();
        site::attach(db, "lab_b", "lab_a", &actor).await.unwrap();

        let tree = site::tree(db, "lab").await.unwrap();
        let pack_node = &tree.battery_arrays[0].packs[0];
        let order: Vec<&str> = pack_node.adapters.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            order,
            [
                "battery1_adapter",
                "battery1_adapter_2",
                "battery1_adapter_3"
            ],
            "{backend}"
        );
        assert_eq!(
            tree.meters[0].adapter.as_ref().unwrap().id,
            "grid_meter_1_adapter"
        );

        // Failover order through the link, and an adapter patch.
        let link = &pack_node.adapters[2];
        let patch = model::site::tree::PackAdapterPatch {
            priority: Some(0),
            enabled: None,
        };
        site::update_pack_adapter(
            db,
            "battery1",
            "battery1_adapter_3",
            &patch,
            link.link_version.unwrap(),
            &actor,
        )
        .await
        .unwrap();
        let adapter_patch = model::site::tree::AdapterPatch {
            config: Some(serde_json::json!({"transport": "tcp", "host": "10.0.0.2"})),
            ..Default::default()
        };
        let meter_adapter = tree.meters[0].adapter.clone().unwrap();
        site::update_adapter(
            db,
            &meter_adapter.id,
            &adapter_patch,
            meter_adapter.version,
            &actor,
        )
        .await
        .unwrap();
        let wrong = model::site::tree::AdapterPatch {
            adapter_type: Some("pytes".into()),
            ..Default::default()
        };
        let refused = site::update_adapter(db, "powdrive1_adapter", &wrong, 1, &actor).await;
        assert!(
            matches!(
                refused,
                Err(AppError::Conflict(_)) | Err(AppError::Validation { .. })
            ),
            "{refused:?}"
        );

        let tree = site::tree(db, "lab").await.unwrap();
        let pack_node = &tree.battery_arrays[0].packs[0];
        assert_eq!(
            pack_node.adapters[0].id, "battery1_adapter_3",
            "{backend}: priority 0 first"
        );
        assert_eq!(
            tree.meters[0].adapter.as_ref().unwrap().config["host"],
            "10.0.0.2"
        );

        // Deleting the battery array takes its pack, batteries, cells and adapters, and keeps
        // its attachment closed.
        let preview = site::delete_preview(db, EntityKind::BatteryArray, "lab_b")
            .await
            .unwrap();
        assert_eq!(
            preview.removes,
            [
                KindCount {
                    kind: EntityKind::BatteryPack,
                    count: 1
                },
                KindCount {
                    kind: EntityKind::Battery,
                    count: 4
                },
                KindCount {
                    kind: EntityKind::BatteryCell,
                    count: 64
                },
                KindCount {
                    kind: EntityKind::Adapter,
                    count: 3
                },
            ],
            "{backend}"
        );
        assert_eq!(preview.closes_attachments, 1);
        site::delete_battery_array(db, "lab_b", preview.version, &actor)
            .await
            .unwrap();
        let a_preview = site::delete_preview(db, EntityKind::InverterArray, "lab_a")
            .await
            .unwrap();
        assert_eq!(a_preview.unassigns_meters, 1, "{backend}");
        site::delete_inverter_array(db, "lab_a", a_preview.version, &actor)
            .await
            .unwrap();
        let tree = site::tree(db, "lab").await.unwrap();
        assert!(
            tree.inverter_arrays.is_empty() && tree.battery_arrays.is_empty(),
            "{backend}"
        );
        assert_eq!(
            tree.meters[0].array_id, None,
            "{backend}: the meter is system-level now"
        );
        assert_eq!(tree.attachments.len(), 1);
        let summary = &site::systems(db).await.unwrap()[0];
        assert_eq!(
            (summary.id.as_str(), summary.meters, summary.inverters),
            ("lab", 1, 0)
        );
    }
}

/// 10 inverter arrays × 10 inverters, 10 packs × 16 batteries × 16 cells.
fn large() -> SiteSpec {
    let mut spec = demo();
    spec.inverter_arrays = (0..10)
        .map(|a| InverterArraySpec {
            id: format!("array{a}"),
            name: format!("Array {a}"),
        })
        .collect();
    spec.inverters = (0..100)
        .map(|i| InverterSpec {
            id: format!("inverter{i}"),
            array_id: format!("array{}", i / 10),
            adapter: Some(adapter(&format!("inverter{i}_adapter"), "powdrive", 1)),
            ..demo().inverters[0].clone()
        })
        .collect();
    spec.battery_packs = (0..10)
        .map(|p| BatteryPackSpec {
            id: format!("pack{p}"),
            batteries: 16,
            cells_per_battery: 16,
            adapters: vec![adapter(&format!("pack{p}_adapter"), "pytes", 1)],
            ..demo().battery_packs[0].clone()
        })
        .collect();
    spec.attachments[0].inverter_array_id = "array0".into();
    spec
}

#[tokio::test]
async fn a_large_system_reads_back_whole_and_quickly() {
    for test_db in databases().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let started = std::time::Instant::now();
        let plan = apply(db, &large(), false).await;
        let applied = started.elapsed();
        assert_eq!(
            plan.changes.len(),
            1 + 10 + 100 + 1 + 10 + 1 + 110 + 1 + 1,
            "{backend}"
        );

        let started = std::time::Instant::now();
        let tree = site::tree(db, "home").await.unwrap();
        let read = started.elapsed();
        println!("{backend}: apply {applied:?}, tree {read:?}");
        assert!(
            read < std::time::Duration::from_secs(2),
            "{backend}: tree took {read:?}"
        );
        assert_eq!(tree.inverter_arrays.len(), 10);
        assert!(tree.inverter_arrays.iter().all(|a| a.inverters.len() == 10));
        assert!(
            tree.inverter_arrays
                .iter()
                .flat_map(|a| &a.inverters)
                .all(|i| i.adapter.is_some())
        );
        let packs = &tree.battery_arrays[0].packs;
        assert_eq!(packs.len(), 10);
        assert!(
            packs
                .iter()
                .all(|p| p.batteries.len() == 16 && p.cell_count == 256),
            "{backend}"
        );
        assert_eq!(tree.inverter_arrays[0].battery_arrays, ["battery_array1"]);

        assert!(
            apply(db, &large(), true).await.is_empty(),
            "{backend}: the read-back matches"
        );
    }
}

#[tokio::test]
async fn the_example_config_imports_exports_and_imports_back_with_nothing_to_change() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/site/config.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let read = |text: &str| {
        site::yaml::read_site_yaml(text, "config.yaml", &site::yaml::AnyAdapter)
            .unwrap_or_else(|problems| panic!("{problems}"))
    };
    for test_db in databases().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let spec = read(&text);
        let plan = apply(db, &spec, false).await;
        assert!(!plan.is_empty());
        let exported = site::yaml::write_site_yaml(
            &site::load_spec(db, &spec.system.id).await.unwrap().unwrap(),
        );
        let again = apply(db, &read(&exported), true).await;
        assert!(
            again.is_empty(),
            "{backend}: {}\n{exported}",
            again.summary()
        );
        assert!(
            apply(db, &spec, true).await.is_empty(),
            "{backend}: the original file too"
        );
    }
}

#[tokio::test]
async fn an_adapter_moved_to_another_device_serves_only_that_one() {
    for test_db in databases().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let mut spec = demo();
        let mut second = spec.battery_packs[0].clone();
        second.id = "battery2".into();
        second.adapters.clear();
        spec.battery_packs.push(second);
        apply(db, &spec, false).await;

        let moved = spec.battery_packs[0].adapters.pop().unwrap();
        spec.battery_packs[1].adapters.push(moved);
        let plan = apply(db, &spec, false).await;
        assert_eq!(
            lines(&plan),
            ["update adapter battery1_adapter_2: device 'battery1' → 'battery2'"],
            "{backend}"
        );
        let stored = site::load_spec(db, "home").await.unwrap().unwrap();
        let ids = |i: usize| -> Vec<String> {
            stored.battery_packs[i]
                .adapters
                .iter()
                .map(|a| a.id.clone())
                .collect()
        };
        assert_eq!(ids(0), ["battery1_adapter"], "{backend}");
        assert_eq!(ids(1), ["battery1_adapter_2"], "{backend}");
        assert!(apply(db, &spec, true).await.is_empty(), "{backend}");
    }
}

#[tokio::test]
async fn the_builtin_adapter_types_are_inserted_once_and_never_replaced_by_an_older_file() {
    use services::site::adapter_types::{AdapterCatalog, builtin_types, upsert_builtin_types};

    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let catalog = AdapterCatalog::builtin().unwrap();
        let names: Vec<String> = catalog
            .list()
            .into_iter()
            .map(|t| t.adapter_type.clone())
            .collect();

        // Fresh: every type inserted, with what the catalog knows.
        let report = upsert_builtin_types(db, &catalog).await.unwrap();
        assert_eq!(report.inserted, names, "{backend}");
        assert!(report.updated.is_empty(), "{backend}");
        let jk = adapter_base::Entity::find_by_id("jkbms_ble")
            .one(db)
            .await
            .unwrap()
            .unwrap();
        let file = catalog.get("jkbms_ble").unwrap();
        assert_eq!(jk.type_version, file.version as i32, "{backend}");
        assert!(!jk.drivable, "{backend}");
        assert_eq!(
            jk.not_drivable_reason, file.not_drivable_reason,
            "{backend}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&jk.register_map).unwrap(),
            serde_json::to_value(&file.register_map).unwrap(),
            "{backend}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&jk.sources).unwrap(),
            serde_json::to_value(&file.sources).unwrap(),
            "{backend}"
        );
        let meter = adapter_base::Entity::find_by_id("simulator_meter")
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            meter.device_category,
            Some(DeviceCategory::Meter),
            "{backend}"
        );
        assert!(meter.drivable, "{backend}");

        // Again: nothing changes.
        let again = upsert_builtin_types(db, &catalog).await.unwrap();
        assert!(!again.changed(), "{backend}: {again:?}");
        assert_eq!(again.unchanged, names, "{backend}");

        // A newer file replaces the row; an older one never does; nothing is deleted.
        let mut types = builtin_types().unwrap();
        let bms = types
            .iter_mut()
            .find(|t| t.adapter_type == "simulator_bms")
            .unwrap();
        bms.version += 1;
        bms.name = "Simulated BMS, newer".into();
        let newer_version = bms.version;
        types.retain(|t| t.adapter_type != "sunspec_meter");
        let newer = AdapterCatalog::new(types.clone()).unwrap();
        let report = upsert_builtin_types(db, &newer).await.unwrap();
        assert_eq!(report.updated, ["simulator_bms"], "{backend}");
        assert!(report.inserted.is_empty(), "{backend}");

        let older_bms = types
            .iter_mut()
            .find(|t| t.adapter_type == "simulator_bms")
            .unwrap();
        older_bms.version = newer_version - 1;
        older_bms.name = "Simulated BMS, older".into();
        let older = AdapterCatalog::new(types).unwrap();
        let report = upsert_builtin_types(db, &older).await.unwrap();
        assert!(!report.changed(), "{backend}: {report:?}");
        let stored = adapter_base::Entity::find_by_id("simulator_bms")
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.name, "Simulated BMS, newer", "{backend}");
        assert_eq!(stored.type_version, newer_version as i32, "{backend}");
        let count = adapter_base::Entity::find().all(db).await.unwrap().len();
        assert_eq!(count, names.len(), "{backend}: a dropped type stays");
    }
}
