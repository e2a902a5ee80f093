//! The prototype API's registry services on SQLite and PostgreSQL: offset paging in name order,
//! LIKE name patterns and locator wildcards, `since_version`, writes without If-Match that
//! record `changed_by`/`source_system`, add-or-update of identical paths, the change feed.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use services::testing as common;

use entity::variable_change_log;
use model::error::AppError;
use model::prototype::{
    PrototypeAccessPathCreate, PrototypeFilter, PrototypePathChange, PrototypeVariableUpdate,
};
use model::registry::{AccessType, Category, ChangeType, NewAccessPath, NewVariable};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use services::actor::Actor;
use services::registry::index::RegistryIndex;
use services::registry::prototype as proto;
use services::registry::write;
use services::system::system_version_of;

/// Creates `name` with one memory path at `offset`.
async fn create(
    db: &DatabaseConnection,
    name: &str,
    category: Category,
    locator: &str,
    offset: u32,
) {
    let variable = NewVariable {
        name: name.into(),
        display_name: None,
        units: "V".into(),
        description: format!("{name} for the prototype tests"),
        category,
        locator: Some(locator.into()),
        paths: vec![NewAccessPath {
            access_type: AccessType::MemoryOffset,
            reference: json!({"table": "oper:test:sm16", "offset": offset, "size": 2, "num": 1}),
            priority: 10,
            read_only: true,
            rack_number: None,
            device_id: None,
        }],
    };
    write::create_variable(db, &variable, &Actor::new("tester", "test"))
        .await
        .unwrap();
}

/// Twelve variables in three categories and locators, created out of name order.
async fn registry(db: &DatabaseConnection) {
    let names = [
        ("rack_voltage", Category::Oper, "rbms.rack[n]"),
        ("cell_voltage_max_warn", Category::Prot, "rbms.cell[n]"),
        ("soc", Category::Oper, "system.global"),
        ("cell_voltage_min_warn", Category::Prot, "rbms.cell[n]"),
        ("chiller_setpoint", Category::Config, "sbmu.chiller[n]"),
        (
            "chiller_pump_speed",
            Category::Config,
            "sbmu.chiller[1].pump[2]",
        ),
        ("module_temp", Category::Oper, "rbms.rack[n].module[m]"),
        ("pack_voltage", Category::Oper, "system.global"),
        ("alarm_word", Category::Oper, "sbmu.global"),
        ("soc_max_warn", Category::Prot, "system.global"),
        ("soh", Category::Oper, "system.global"),
        ("online", Category::Oper, "sbmu.global"),
    ];
    for (offset, (name, category, locator)) in names.into_iter().enumerate() {
        create(db, name, category, locator, offset as u32 * 2).await;
    }
}

fn names(variables: &[model::prototype::PrototypeVariable]) -> Vec<&str> {
    variables.iter().map(|v| v.name.as_str()).collect()
}

#[tokio::test]
async fn offset_pages_follow_name_order_and_count_every_match() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        registry(db).await;
        let index = RegistryIndex::new();
        let all = PrototypeFilter::default();
        let page = proto::list_vars(db, &index, &all, 0, 100).await.unwrap();
        assert_eq!(page.total, 12, "{backend}");
        let mut sorted = names(&page.variables);
        sorted.sort_unstable();
        assert_eq!(names(&page.variables), sorted, "{backend}: name order");

        // Unaligned offsets: offset 5, limit 4 is items 5..9 of the full list.
        let window = proto::list_vars(db, &index, &all, 5, 4).await.unwrap();
        assert_eq!((window.total, window.offset, window.limit), (12, 5, 4));
        assert_eq!(names(&window.variables), sorted[5..9], "{backend}");
        let past_end = proto::list_vars(db, &index, &all, 50, 10).await.unwrap();
        assert!(past_end.variables.is_empty());
        assert_eq!(past_end.total, 12);
        assert!(window.variables.iter().all(|v| v.access_paths.is_none()));

        // Category text as the prototype compared it: an unknown one matches nothing.
        let prot = PrototypeFilter {
            category: Some("prot".into()),
            ..Default::default()
        };
        let page = proto::list_vars(db, &index, &prot, 0, 100).await.unwrap();
        assert_eq!(
            names(&page.variables),
            [
                "cell_voltage_max_warn",
                "cell_voltage_min_warn",
                "soc_max_warn"
            ],
            "{backend}"
        );
        let bogus = PrototypeFilter {
            category: Some("bogus".into()),
            ..Default::default()
        };
        assert_eq!(
            proto::list_vars(db, &index, &bogus, 0, 100)
                .await
                .unwrap()
                .total,
            0
        );

        // `[*]` is the prototype's LIKE `[%]`: it also spans nested indices.
        let chillers = PrototypeFilter {
            locator: Some("sbmu.chiller[*]".into()),
            ..Default::default()
        };
        let page = proto::list_vars(db, &index, &chillers, 0, 100)
            .await
            .unwrap();
        assert_eq!(
            names(&page.variables),
            ["chiller_pump_speed", "chiller_setpoint"],
            "{backend}"
        );
        let exact = PrototypeFilter {
            locator: Some("sbmu.chiller[n]".into()),
            ..Default::default()
        };
        let page = proto::list_vars(db, &index, &exact, 0, 100).await.unwrap();
        assert_eq!(names(&page.variables), ["chiller_setpoint"], "{backend}");
        assert_eq!(
            page.variables[0].locator.as_deref(),
            Some("sbmu.chiller[n]")
        );
    }
}

#[tokio::test]
async fn name_patterns_are_like_and_since_version_selects_later_changes() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        registry(db).await;
        let index = RegistryIndex::new();
        let pattern = |p: &str| PrototypeFilter {
            name_pattern: Some(p.into()),
            ..Default::default()
        };
        let found = proto::list_variables(db, &index, &pattern("voltage"), true)
            .await
            .unwrap();
        assert_eq!(
            names(&found),
            [
                "cell_voltage_max_warn",
                "cell_voltage_min_warn",
                "pack_voltage",
                "rack_voltage"
            ],
            "{backend}: a plain word matches as contains"
        );
        assert!(
            found
                .iter()
                .all(|v| v.access_paths.as_ref().unwrap().len() == 1)
        );
        let found = proto::list_variables(db, &index, &pattern("so_"), false)
            .await
            .unwrap();
        assert_eq!(
            names(&found),
            ["soc", "soh"],
            "{backend}: _ is one character"
        );
        assert!(found.iter().all(|v| v.access_paths.is_none()));
        let found = proto::list_variables(db, &index, &pattern("%_warn"), false)
            .await
            .unwrap();
        assert_eq!(found.len(), 3, "{backend}");

        let before = system_version_of(db).await.unwrap();
        let update = PrototypeVariableUpdate {
            units: Some("mV".into()),
            ..Default::default()
        };
        proto::update_variable(db, "pack_voltage", &update)
            .await
            .unwrap();
        let since = PrototypeFilter {
            since_version: Some(before),
            ..Default::default()
        };
        let changed = proto::list_variables(db, &index, &since, false)
            .await
            .unwrap();
        assert_eq!(names(&changed), ["pack_voltage"], "{backend}");
        assert_eq!(changed[0].units, "mV");
    }
}

#[tokio::test]
async fn updates_record_changed_by_and_source_system_and_take_one_version() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        registry(db).await;
        let before = system_version_of(db).await.unwrap();
        let update = PrototypeVariableUpdate {
            display_name: Some("State of Charge".into()),
            units: Some("%".into()),
            changed_by: Some("alice".into()),
            source_system: Some("central".into()),
            ..Default::default()
        };
        let answer = proto::update_variable(db, "soc", &update).await.unwrap();
        assert!(answer.ok);
        assert_eq!(answer.variable, "soc");
        assert_eq!(answer.variable_version, 2, "{backend}");
        assert_eq!(answer.system_version, before + 1, "{backend}");
        let log = variable_change_log::Entity::find()
            .filter(variable_change_log::Column::SystemVersion.eq(before + 1))
            .order_by_asc(variable_change_log::Column::Id)
            .all(db)
            .await
            .unwrap();
        assert_eq!(log.len(), 2, "{backend}: one row per changed field");
        for row in &log {
            assert_eq!(row.change_type, ChangeType::Updated);
            assert_eq!(row.changed_by, "alice", "{backend}");
            assert_eq!(row.source_system, "central", "{backend}");
        }
        let detail = proto::get_var(db, "soc").await.unwrap();
        assert_eq!(detail.display_name, "State of Charge");
        assert_eq!(detail.source_system, "central");

        // Nothing new: no version; the defaults name the prototype's writer.
        let same = proto::update_variable(db, "soc", &update).await.unwrap();
        assert_eq!(same.system_version, before + 1, "{backend}");
        let units = PrototypeVariableUpdate {
            units: Some("pct".into()),
            ..Default::default()
        };
        proto::update_variable(db, "soc", &units).await.unwrap();
        let last = variable_change_log::Entity::find()
            .order_by_desc(variable_change_log::Column::Id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (last.changed_by.as_str(), last.source_system.as_str()),
            ("system", "local")
        );

        let missing = proto::update_variable(db, "no_such", &units).await;
        assert!(matches!(missing, Err(AppError::NotFound(_))), "{missing:?}");
        let blank = PrototypeVariableUpdate {
            display_name: Some("  ".into()),
            ..Default::default()
        };
        let refused = proto::update_variable(db, "soc", &blank).await;
        assert!(
            matches!(&refused, Err(AppError::Validation { field, .. }) if field == "display_name"),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn an_identical_access_path_is_updated_not_duplicated() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        registry(db).await;
        let can = |priority: i32, reference: serde_json::Value| PrototypeAccessPathCreate {
            access_type: AccessType::Can,
            reference,
            priority: Some(priority),
            read_only: Some(true),
            rack_number: Some(3),
            device_id: None,
            changed_by: Some("bob".into()),
            source_system: Some("rack_3".into()),
        };
        let reference = json!({"can_id": 291, "start_byte": 0, "length": 2, "data_type": "u16"});
        let added = proto::add_or_update_path(db, "soc", &can(1, reference.clone()))
            .await
            .unwrap();
        assert_eq!(
            added.change,
            PrototypePathChange::AccessPathAdded,
            "{backend}"
        );
        assert_eq!(added.version, 2);
        // The same path again, as the prototype's stored string and in another key order.
        let as_text = json!(r#"{"data_type": "u16", "length": 2, "start_byte": 0, "can_id": 291}"#);
        let updated = proto::add_or_update_path(db, "soc", &can(7, as_text))
            .await
            .unwrap();
        assert_eq!(
            updated.change,
            PrototypePathChange::AccessPathUpdated,
            "{backend}"
        );
        assert_eq!(updated.access_path_id, added.access_path_id);
        assert_eq!(updated.version, 3);
        let again = proto::add_or_update_path(db, "soc", &can(7, reference.clone()))
            .await
            .unwrap();
        assert_eq!(again.change, PrototypePathChange::Unchanged, "{backend}");
        assert_eq!(again.system_version, updated.system_version);

        let detail = proto::get_var(db, "soc").await.unwrap();
        let paths = detail.access_paths.unwrap();
        let can_paths: Vec<_> = paths
            .iter()
            .filter(|p| p.access_type == AccessType::Can)
            .collect();
        assert_eq!(can_paths.len(), 1, "{backend}: not duplicated");
        assert_eq!(can_paths[0].priority, 7);
        assert_eq!(can_paths[0].rack_number, Some(3));
        assert_eq!(can_paths[0].path_version, 2);
        let logged = variable_change_log::Entity::find()
            .filter(variable_change_log::Column::PathId.eq(added.access_path_id))
            .all(db)
            .await
            .unwrap();
        assert!(
            logged
                .iter()
                .all(|row| row.changed_by == "bob" && row.source_system == "rack_3")
        );

        // Another reference is another path.
        let other = json!({"can_id": 292, "start_byte": 0, "length": 2, "data_type": "u16"});
        let second = proto::add_or_update_path(db, "soc", &can(1, other))
            .await
            .unwrap();
        assert_eq!(second.change, PrototypePathChange::AccessPathAdded);
        assert_ne!(second.access_path_id, added.access_path_id);

        let bad = proto::add_or_update_path(db, "soc", &can(1, json!("{not json"))).await;
        assert!(
            matches!(&bad, Err(AppError::Validation { field, .. }) if field == "reference"),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn the_change_feed_returns_variables_changed_since_with_their_changed_paths() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        registry(db).await;
        let everything = proto::changes_since(db, 0).await.unwrap();
        assert_eq!(everything.changes.len(), 12, "{backend}");
        assert!(
            everything
                .changes
                .iter()
                .all(|v| v.access_paths.as_ref().unwrap().len() == 1)
        );
        let versions: Vec<i64> = everything
            .changes
            .iter()
            .map(|v| v.system_version)
            .collect();
        let mut sorted = versions.clone();
        sorted.sort_unstable();
        assert_eq!(versions, sorted, "{backend}: system-version order");

        let mark = system_version_of(db).await.unwrap();
        let nothing = proto::changes_since(db, mark).await.unwrap();
        assert!(nothing.changes.is_empty());
        assert_eq!(nothing.current_system_version, mark);

        let update = PrototypeVariableUpdate {
            description: Some("changed".into()),
            ..Default::default()
        };
        proto::update_variable(db, "online", &update).await.unwrap();
        let path = PrototypeAccessPathCreate {
            access_type: AccessType::Can,
            reference: json!({"can_id": 300, "start_byte": 0, "length": 2, "data_type": "u16"}),
            priority: None,
            read_only: None,
            rack_number: None,
            device_id: None,
            changed_by: None,
            source_system: None,
        };
        proto::add_or_update_path(db, "soh", &path).await.unwrap();
        let feed = proto::changes_since(db, mark).await.unwrap();
        assert_eq!(feed.since_version, mark);
        assert_eq!(feed.current_system_version, mark + 3, "{backend}");
        assert_eq!(names(&feed.changes), ["online", "soh"], "{backend}");
        assert!(feed.changes[0].access_paths.as_ref().unwrap().is_empty());
        let soh_paths = feed.changes[1].access_paths.as_ref().unwrap();
        assert_eq!(soh_paths.len(), 1, "{backend}: only the changed path");
        assert_eq!(soh_paths[0].access_type, AccessType::Can);
    }
}

#[tokio::test]
async fn bulk_answers_found_names_in_order_once_and_lists_the_rest() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        registry(db).await;
        let asked: Vec<String> = ["soh", "nope", "soc", "soh", "nope"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let answer = proto::bulk(db, &asked).await.unwrap();
        assert_eq!(
            names(&answer.variables),
            ["soh", "soc"],
            "{}",
            test_db.backend()
        );
        assert_eq!(answer.not_found, ["nope"]);
        assert!(answer.variables.iter().all(|v| v.access_paths.is_some()));
        let index = RegistryIndex::new();
        let categories = proto::categories(db, &index).await.unwrap();
        assert_eq!(categories.categories, ["config", "oper", "prot"]);
        let locators = proto::locators(db, &index, Some("config")).await.unwrap();
        assert_eq!(
            locators.locators,
            ["sbmu.chiller[1].pump[2]", "sbmu.chiller[n]"]
        );
    }
}
