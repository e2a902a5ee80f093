//! Registry services on SQLite and PostgreSQL: import/export, versioning under concurrent
//! writers, If-Match conflicts, the change feed.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use services::testing as common;

use std::path::Path;

use entity::{system_variable, variable_access_path, variable_change_log};
use model::error::AppError;
use model::registry::{
    AccessType, Category, ChangeType, NewAccessPath, VariablePatch, VariableQuery,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryOrder, Statement};
use serde_json::json;
use services::actor::Actor;
use services::registry::export::export;
use services::registry::import::{ImportFiles, ImportOptions, import};
use services::registry::index::RegistryIndex;
use services::registry::query::{self, ChangeItem};
use services::registry::write;
use services::system::system_version_of;

fn examples() -> (String, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    (
        std::fs::read_to_string(dir.join("data_def.json")).unwrap(),
        std::fs::read_to_string(dir.join("var_metadata.json")).unwrap(),
    )
}

fn options() -> ImportOptions {
    ImportOptions {
        dry_run: false,
        prune: false,
        source: "test".into(),
        actor: "tester".into(),
        caller: None,
    }
}

async fn import_texts(
    db: &DatabaseConnection,
    data_def: &str,
    metadata: &str,
    options: &ImportOptions,
) -> Result<model::registry::ImportReport, AppError> {
    let files = ImportFiles {
        data_def_name: "data_def.json",
        data_def,
        metadata_name: Some("var_metadata.json"),
        metadata: Some(metadata),
    };
    import(db, &files, options).await
}

async fn all_variables(db: &DatabaseConnection) -> Vec<model::registry::Variable> {
    let query = VariableQuery {
        include_paths: true,
        per_page: Some(1_000),
        ..VariableQuery::default()
    };
    query::list_variables(db, &RegistryIndex::new(), &query)
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn importing_the_examples_versions_every_change_once_and_reimporting_changes_nothing() {
    let (data_def, metadata) = examples();
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let report = import_texts(db, &data_def, &metadata, &options())
            .await
            .unwrap();
        assert!(report.new > 100, "{}: {report:?}", test_db.backend());
        assert_eq!(report.skipped, 9);
        // One version per variable and per path, gapless from 1.
        assert_eq!(report.versions_used, report.new + report.paths_added);
        assert_eq!(
            system_version_of(db).await.unwrap(),
            report.versions_used as i64
        );

        let logs = variable_change_log::Entity::find()
            .order_by_asc(variable_change_log::Column::SystemVersion)
            .all(db)
            .await
            .unwrap();
        let versions: Vec<i64> = logs.iter().map(|l| l.system_version).collect();
        assert_eq!(
            versions,
            (1..=report.versions_used as i64).collect::<Vec<_>>()
        );
        // Each row says what it logs: the name for `created`, the path (id, table and
        // reference) for `path_added`, at the version the variable or path was given.
        let variables = system_variable::Entity::find().all(db).await.unwrap();
        let paths = variable_access_path::Entity::find().all(db).await.unwrap();
        for log in &logs {
            let variable = variables.iter().find(|v| v.id == log.variable_id).unwrap();
            assert_eq!(log.changed_by, "tester");
            assert_eq!(log.variable_version, 1);
            match log.change_type.as_str() {
                "created" => {
                    assert_eq!(log.field_name.as_deref(), Some("name"));
                    assert_eq!(log.new_value.as_deref(), Some(variable.name.as_str()));
                    assert_eq!(log.system_version, variable.system_version);
                }
                "path_added" => {
                    let path = paths.iter().find(|p| Some(p.id) == log.path_id).unwrap();
                    assert_eq!(path.variable_id, variable.id);
                    let table: serde_json::Value = serde_json::from_str(&path.reference).unwrap();
                    assert_eq!(
                        log.field_name,
                        Some(format!("path[{}]", table["table"].as_str().unwrap()))
                    );
                    assert_eq!(log.new_value.as_deref(), Some(path.reference.as_str()));
                    assert_eq!(log.system_version, path.system_version);
                }
                other => panic!("{}: unexpected {other} row", test_db.backend()),
            }
        }

        // The same name in two tables is one variable with two paths.
        let max_cell = query::get_variable(db, "max_cell_voltage").await.unwrap();
        assert_eq!(
            max_cell.paths.as_ref().unwrap().len(),
            2,
            "{}",
            test_db.backend()
        );
        // The table prefix decides the category.
        let warn = query::get_variable(db, "cell_voltage_max_warn")
            .await
            .unwrap();
        assert_eq!(warn.category, Category::Prot);

        let again = import_texts(db, &data_def, &metadata, &options())
            .await
            .unwrap();
        assert_eq!(
            (again.new, again.changed, again.versions_used),
            (0, 0, 0),
            "{}",
            test_db.backend()
        );
        assert_eq!(again.unchanged, report.new);
        assert_eq!(
            system_version_of(db).await.unwrap(),
            report.versions_used as i64
        );
    }
}

#[tokio::test]
async fn a_change_takes_new_versions_and_logs_old_and_new_values_and_a_dry_run_writes_nothing() {
    let (data_def, metadata) = examples();
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        import_texts(db, &data_def, &metadata, &options())
            .await
            .unwrap();
        let before = system_version_of(db).await.unwrap();
        let soc_before = query::get_variable(db, "rack_voltage").await.unwrap();

        let changed_meta = metadata.replacen(
            r#""rack_voltage": {"display_name": "Rack Voltage", "units": "V","#,
            r#""rack_voltage": {"display_name": "Rack Voltage", "units": "kV","#,
            1,
        );
        assert_ne!(
            changed_meta, metadata,
            "the example must describe rack_voltage"
        );
        let moved = data_def.replacen(
            "\"name\": \"rack_voltage\"",
            "\"name\": \"rack_voltage\", \"num\": 2",
            1,
        );
        assert_ne!(moved, data_def, "the example must define rack_voltage");

        let dry = import_texts(
            db,
            &moved,
            &changed_meta,
            &ImportOptions {
                dry_run: true,
                ..options()
            },
        )
        .await
        .unwrap();
        assert!(dry.dry_run);
        assert_eq!(dry.changed, 1, "{}: {dry:?}", test_db.backend());
        assert_eq!(
            system_version_of(db).await.unwrap(),
            before,
            "a dry run takes no version"
        );
        let diff = &dry.diffs[0];
        assert_eq!(diff.name, "rack_voltage");
        assert!(
            diff.changes
                .iter()
                .any(|c| c.field == "path[oper:rack:sm16]"),
            "{diff:?}"
        );

        let applied = import_texts(db, &moved, &changed_meta, &options())
            .await
            .unwrap();
        assert_eq!(applied.changed, 1);
        assert_eq!(
            applied.versions_used, 2,
            "one for the variable, one for its path"
        );
        let after = query::get_variable(db, "rack_voltage").await.unwrap();
        assert_eq!(after.units, "kV");
        assert_eq!(after.variable_version, soc_before.variable_version + 1);
        assert_eq!(after.system_version, before + 1);
        let history = query::history(db, "rack_voltage").await.unwrap();
        let path_change = history
            .iter()
            .find(|h| h.change_type == ChangeType::PathUpdated)
            .unwrap();
        assert!(
            path_change
                .old_value
                .as_deref()
                .unwrap()
                .contains("\"num\":1")
        );
        assert!(
            path_change
                .new_value
                .as_deref()
                .unwrap()
                .contains("\"num\":2")
        );
        assert_eq!(path_change.changed_by, "tester");
    }
}

#[tokio::test]
async fn a_file_broken_in_its_last_item_imports_nothing() {
    let (data_def, metadata) = examples();
    let mut tables: serde_json::Value = serde_json::from_str(&data_def).unwrap();
    let last_table = tables.as_array_mut().unwrap().last_mut().unwrap();
    let items = last_table["items"].as_array_mut().unwrap();
    let last = items.len() - 1;
    // Any width is a size the registry keeps (the prototype's files use 16 and 20); none is not.
    items[last]["size"] = json!(0);
    let broken = serde_json::to_string_pretty(&tables).unwrap();
    let table_index = tables.as_array().unwrap().len() - 1;
    for test_db in common::each_backend_migrated().await {
        let err = import_texts(&test_db.db, &broken, &metadata, &options())
            .await
            .unwrap_err();
        let AppError::Validation { message, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(
            message.split(": must").next().unwrap(),
            format!("data_def.json: $[{table_index}].items[{last}].size"),
            "{message}"
        );
        assert!(
            all_variables(&test_db.db).await.is_empty(),
            "{}",
            test_db.backend()
        );
        assert_eq!(system_version_of(&test_db.db).await.unwrap(), 0);
    }
}

/// The database refuses the very last change-log row, after the variables and paths are in and
/// halfway through the last bulk INSERT: the whole import must still vanish.
#[tokio::test]
async fn a_database_failure_in_the_last_insert_leaves_nothing_behind() {
    let (data_def, metadata) = examples();
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let refuse_last_log_row = "NEW.change_type = 'path_added' \
            AND NEW.variable_id = (SELECT MAX(id) FROM system_variables)";
        let install = match db.get_database_backend() {
            DbBackend::Sqlite => vec![format!(
                "CREATE TRIGGER refuse_last BEFORE INSERT ON variable_change_log \
                 WHEN {refuse_last_log_row} BEGIN SELECT RAISE(FAIL, 'injected failure'); END"
            )],
            _ => vec![
                format!(
                    "CREATE FUNCTION refuse_last() RETURNS trigger AS $$ BEGIN \
                     IF {refuse_last_log_row} THEN RAISE EXCEPTION 'injected failure'; END IF; \
                     RETURN NEW; END $$ LANGUAGE plpgsql"
                ),
                "CREATE TRIGGER refuse_last BEFORE INSERT ON variable_change_log \
                 FOR EACH ROW EXECUTE FUNCTION refuse_last()"
                    .to_string(),
            ],
        };
        for sql in &install {
            db.execute_unprepared(sql).await.unwrap();
        }

        let err = import_texts(db, &data_def, &metadata, &options())
            .await
            .unwrap_err();
        // A database failure is an internal error to the caller (details go to the server log).
        assert!(
            matches!(err, AppError::Internal(_)),
            "{}: {err:?}",
            test_db.backend()
        );
        for table in [
            "system_variables",
            "variable_access_paths",
            "variable_change_log",
        ] {
            let rows = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT COUNT(*) AS n FROM {table}"),
                ))
                .await
                .unwrap()
                .unwrap()
                .try_get::<i64>("", "n")
                .unwrap();
            assert_eq!(rows, 0, "{}: {table}", test_db.backend());
        }
        assert_eq!(system_version_of(db).await.unwrap(), 0);

        // Nothing of the failed attempt lingers: without the trigger the same import succeeds.
        let drop = match db.get_database_backend() {
            DbBackend::Sqlite => "DROP TRIGGER refuse_last",
            _ => "DROP TRIGGER refuse_last ON variable_change_log",
        };
        db.execute_unprepared(drop).await.unwrap();
        let report = import_texts(db, &data_def, &metadata, &options())
            .await
            .unwrap();
        assert!(report.new > 0, "{}", test_db.backend());
    }
}

#[tokio::test]
async fn prune_deactivates_paths_the_file_no_longer_has() {
    let (data_def, metadata) = examples();
    let mut tables: Vec<serde_json::Value> = serde_json::from_str(&data_def).unwrap();
    let removed = tables.remove(0);
    let without_first = serde_json::to_string(&tables).unwrap();
    let removed_table = removed["table"].as_str().unwrap().to_string();
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        import_texts(db, &data_def, &metadata, &options())
            .await
            .unwrap();
        let kept = import_texts(db, &without_first, &metadata, &options())
            .await
            .unwrap();
        assert_eq!(
            kept.paths_deactivated, 0,
            "without --prune nothing is deactivated"
        );
        let pruned = import_texts(
            db,
            &without_first,
            &metadata,
            &ImportOptions {
                prune: true,
                ..options()
            },
        )
        .await
        .unwrap();
        let expected = removed["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| !i["name"].as_str().unwrap().starts_with("_gap"))
            .count();
        assert_eq!(
            pruned.paths_deactivated as usize,
            expected,
            "{}",
            test_db.backend()
        );
        let rack_voltage = query::get_variable(db, "rack_voltage").await.unwrap();
        let path = rack_voltage
            .paths
            .unwrap()
            .into_iter()
            .find(|p| p.reference["table"] == json!(removed_table))
            .unwrap();
        assert!(!path.active, "pruned paths are deactivated, not deleted");
    }
}

#[tokio::test]
async fn export_then_import_reproduces_the_registry() {
    let (data_def, metadata) = examples();
    for test_db in common::each_backend_migrated().await {
        import_texts(&test_db.db, &data_def, &metadata, &options())
            .await
            .unwrap();
        let exported = export(&test_db.db).await.unwrap();
        let again = import_texts(
            &test_db.db,
            &exported.data_def,
            &exported.metadata,
            &options(),
        )
        .await
        .unwrap();
        assert_eq!(
            (again.new, again.changed, again.versions_used),
            (0, 0, 0),
            "{}",
            test_db.backend()
        );

        let fresh = common::sqlite().await;
        services::database::migrate(&fresh.db).await.unwrap();
        import_texts(
            &fresh.db,
            &exported.data_def,
            &exported.metadata,
            &options(),
        )
        .await
        .unwrap();
        let strip = |vars: Vec<model::registry::Variable>| -> Vec<serde_json::Value> {
            vars.into_iter()
                .map(|v| {
                    let paths: Vec<_> = v
                        .paths
                        .unwrap()
                        .into_iter()
                        .map(|p| (p.access_type, p.reference, p.priority, p.read_only))
                        .collect();
                    json!([
                        v.name,
                        v.display_name,
                        v.units,
                        v.description,
                        v.category,
                        v.locator,
                        paths
                    ])
                })
                .collect()
        };
        assert_eq!(
            strip(all_variables(&fresh.db).await),
            strip(all_variables(&test_db.db).await),
            "{}",
            test_db.backend()
        );
    }
}

/// What the files below say: `soc` has no locator (its entry's `null` wins over the defaults'),
/// `soh` has its own and `pack_voltage` the defaults'.
const NO_LOCATOR_DATA_DEF: &str = r#"[{"table": "oper:sbmu:input", "items": [
    {"name": "soc", "offset": 0}, {"name": "soh", "offset": 2}, {"name": "pack_voltage", "offset": 4}
]}]"#;
const NO_LOCATOR_METADATA: &str = r#"{"defaults": {"category": "oper", "locator": "system.global"},
    "variables": {"soc": {"locator": null}, "soh": {"locator": "sbmu.global"}}}"#;

async fn locators_of(db: &DatabaseConnection) -> Vec<(String, Option<String>)> {
    all_variables(db)
        .await
        .into_iter()
        .map(|v| (v.name, v.locator))
        .collect()
}

#[tokio::test]
async fn no_locator_imports_exports_and_imports_again_as_none() {
    let expected = vec![
        (
            "pack_voltage".to_string(),
            Some("system.global".to_string()),
        ),
        ("soc".to_string(), None),
        ("soh".to_string(), Some("sbmu.global".to_string())),
    ];
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        import_texts(db, NO_LOCATOR_DATA_DEF, NO_LOCATOR_METADATA, &options())
            .await
            .unwrap();
        assert_eq!(locators_of(db).await, expected, "{backend}");

        // The export says `null`, and its files bring back no locator.
        let exported = export(db).await.unwrap();
        let metadata: serde_json::Value = serde_json::from_str(&exported.metadata).unwrap();
        assert_eq!(
            metadata["variables"]["soc"]["locator"],
            serde_json::Value::Null,
            "{backend}"
        );
        let again = import_texts(db, &exported.data_def, &exported.metadata, &options())
            .await
            .unwrap();
        assert_eq!(
            (again.changed, again.versions_used),
            (0, 0),
            "{backend}: {again:?}"
        );
        let fresh = common::sqlite().await;
        services::database::migrate(&fresh.db).await.unwrap();
        import_texts(
            &fresh.db,
            &exported.data_def,
            &exported.metadata,
            &options(),
        )
        .await
        .unwrap();
        assert_eq!(locators_of(&fresh.db).await, expected, "{backend}");

        // A locator imported before (the defaults' `system.global`) stays until the files say
        // otherwise; when their defaults say `null`, it goes, logged as a change to none, and
        // the history still knows the old one.
        let no_default =
            NO_LOCATOR_METADATA.replace(r#""locator": "system.global""#, r#""locator": null"#);
        let report = import_texts(db, NO_LOCATOR_DATA_DEF, &no_default, &options())
            .await
            .unwrap();
        assert_eq!(report.changed, 1, "{backend}: {report:?}");
        let change = &report.diffs[0].changes[0];
        assert_eq!(
            (
                report.diffs[0].name.as_str(),
                change.field.as_str(),
                change.old.as_deref(),
                change.new.as_deref()
            ),
            ("pack_voltage", "locator", Some("system.global"), None),
            "{backend}"
        );
        let now = query::get_variable(db, "pack_voltage").await.unwrap();
        assert_eq!((now.locator, now.variable_version), (None, 2), "{backend}");
        let then = services::registry::history::variable_at_version(db, "pack_voltage", 1)
            .await
            .unwrap();
        assert_eq!(then.locator.as_deref(), Some("system.global"), "{backend}");
    }
}

async fn seed_one(db: &DatabaseConnection) {
    let new = model::registry::NewVariable {
        name: "soc".into(),
        display_name: None,
        units: "%".into(),
        description: "State of charge".into(),
        category: Category::Oper,
        locator: Some("system.global".into()),
        paths: vec![NewAccessPath {
            access_type: AccessType::Modbus,
            reference: json!({"device": "bms", "unit_id": 1, "table": "holding", "address": 100, "data_type": "u16", "scale": 0.1}),
            priority: 5,
            read_only: false,
            rack_number: None,
            device_id: Some("bms".into()),
        }],
    };
    write::create_variable(db, &new, &Actor::new("seed", "test"))
        .await
        .unwrap();
}

#[tokio::test]
async fn concurrent_writers_get_unique_gapless_versions_and_lose_no_update() {
    const WRITERS: usize = 8;
    // Enough to race: 8 writers updating one variable collide on most attempts (each success
    // makes the others' versions stale), so 200 updates meet hundreds of conflicts on either
    // backend; the test asserts that they did (below), so it cannot pass without contention.
    const UPDATES: usize = 25;
    for test_db in common::each_backend_migrated().await {
        let db = test_db.db.clone();
        seed_one(&db).await;
        let start = system_version_of(&db).await.unwrap();
        let mut tasks = Vec::new();
        for writer in 0..WRITERS {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let actor = Actor::new(format!("writer{writer}"), "test");
                let mut done = 0;
                let mut conflicts = 0;
                while done < UPDATES {
                    let current = query::get_variable(&db, "soc").await.unwrap();
                    let patch = VariablePatch {
                        description: Some(format!("w{writer} u{done}")),
                        ..Default::default()
                    };
                    match write::update_variable(
                        &db,
                        "soc",
                        current.variable_version,
                        &patch,
                        &actor,
                    )
                    .await
                    {
                        Ok(_) => done += 1,
                        Err(AppError::Conflict(_)) => conflicts += 1,
                        Err(other) => panic!("writer {writer}: {other:?}"),
                    }
                }
                conflicts
            }));
        }
        let mut conflicts = 0;
        for task in tasks {
            conflicts += task.await.unwrap();
        }
        eprintln!(
            "{}: {} updates by {WRITERS} writers met {conflicts} conflicts",
            test_db.backend(),
            WRITERS * UPDATES
        );
        // The writers did race: some wrote against a version another had just replaced.
        assert!(
            conflicts > 0,
            "{}: no conflict in {} updates, the writers never overlapped",
            test_db.backend(),
            WRITERS * UPDATES
        );
        let variable = query::get_variable(&db, "soc").await.unwrap();
        let total = (WRITERS * UPDATES) as i64;
        assert_eq!(
            variable.variable_version,
            1 + total,
            "{}: no update lost",
            test_db.backend()
        );
        assert_eq!(
            system_version_of(&db).await.unwrap(),
            start + total,
            "{}",
            test_db.backend()
        );
        let history = query::history(&db, "soc").await.unwrap();
        let mut versions: Vec<i64> = history
            .iter()
            .filter(|h| h.change_type == ChangeType::Updated)
            .map(|h| h.system_version)
            .collect();
        versions.sort();
        assert_eq!(
            versions,
            ((start + 1)..=(start + total)).collect::<Vec<_>>(),
            "{}: unique and gapless",
            test_db.backend()
        );
        // Variable versions rise with system versions: commit order is version order.
        let mut by_version: Vec<(i64, i64)> = history
            .iter()
            .filter(|h| h.change_type == ChangeType::Updated)
            .map(|h| (h.system_version, h.variable_version))
            .collect();
        by_version.sort();
        assert!(
            by_version.windows(2).all(|w| w[0].1 < w[1].1),
            "{}",
            test_db.backend()
        );
    }
}

#[tokio::test]
async fn a_stale_if_match_is_a_conflict_and_changes_nothing() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        seed_one(db).await;
        let actor = Actor::new("op", "test");
        let patch = VariablePatch {
            units: Some("‰".into()),
            ..Default::default()
        };
        write::update_variable(db, "soc", 1, &patch, &actor)
            .await
            .unwrap();
        let before = system_version_of(db).await.unwrap();
        let err = write::update_variable(
            db,
            "soc",
            1,
            &VariablePatch {
                units: Some("x".into()),
                ..Default::default()
            },
            &actor,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
        assert_eq!(
            system_version_of(db).await.unwrap(),
            before,
            "a refused write takes no version"
        );
        assert_eq!(query::get_variable(db, "soc").await.unwrap().units, "‰");
    }
}

#[tokio::test]
async fn the_change_feed_lists_changes_in_version_order_with_tombstones() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        seed_one(db).await; // versions 1 (variable) and 2 (path)
        let actor = Actor::new("op", "test");
        let soc = query::get_variable(db, "soc").await.unwrap();
        let path_id = soc.paths.unwrap()[0].id;
        write::remove_path(db, "soc", path_id, soc.variable_version, &actor)
            .await
            .unwrap(); // 3, 4
        let soc = query::get_variable(db, "soc").await.unwrap();
        write::delete_variable(db, "soc", soc.variable_version, &actor)
            .await
            .unwrap(); // 5

        let feed = query::changes_since(db, 0, 100).await.unwrap();
        assert_eq!(feed.current_version, 5);
        // Only the latest state of each entity remains: the path (4) and the variable (5).
        let versions: Vec<i64> = feed.items.iter().map(ChangeItem::system_version).collect();
        assert_eq!(versions, [4, 5], "{}", test_db.backend());
        assert!(matches!(
            &feed.items[0],
            ChangeItem::Path { removed: true, .. }
        ));
        assert!(matches!(
            &feed.items[1],
            ChangeItem::Variable { deleted: true, .. }
        ));

        let page = query::changes_since(db, 0, 1).await.unwrap();
        assert!(page.has_more);
        assert_eq!(page.next_since, 4);
        let rest = query::changes_since(db, page.next_since, 1).await.unwrap();
        assert_eq!(rest.items.len(), 1);
        assert!(!rest.has_more);
        assert_eq!(
            query::changes_since(db, 5, 10).await.unwrap().items.len(),
            0
        );
    }
}

#[tokio::test]
async fn list_filters_by_category_locator_wildcard_search_and_access_type() {
    let (data_def, metadata) = examples();
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        import_texts(db, &data_def, &metadata, &options())
            .await
            .unwrap();
        let index = &RegistryIndex::new();
        let list = |q: VariableQuery| async move {
            query::list_variables(
                db,
                index,
                &VariableQuery {
                    per_page: Some(1_000),
                    ..q
                },
            )
            .await
            .unwrap()
        };

        let prot = list(VariableQuery {
            category: Some(Category::Prot),
            ..Default::default()
        })
        .await;
        assert!(prot.total > 0 && prot.items.iter().all(|v| v.category == Category::Prot));

        let cells = list(VariableQuery {
            locator: Some("rbms.rack[*].module[*].cell[*]".into()),
            ..Default::default()
        })
        .await;
        assert!(cells.total > 0, "{}", test_db.backend());
        assert!(
            cells
                .items
                .iter()
                .all(|v| v.locator.as_deref().unwrap().starts_with("rbms.rack["))
        );

        let search = list(VariableQuery {
            q: Some("VOLTAGE_MAX".into()),
            ..Default::default()
        })
        .await;
        assert!(
            search.total > 0
                && search.items.iter().all(|v| v.name.contains("voltage_max")
                    || v.display_name.to_lowercase().contains("voltage_max")
                    || v.description.to_lowercase().contains("voltage_max"))
        );
        // `_` is a literal in searches, not a LIKE wildcard.
        let literal = list(VariableQuery {
            q: Some("cell_v".into()),
            ..Default::default()
        })
        .await;
        assert!(literal.items.iter().all(|v| v.name.contains("cell_v")
            || v.description.to_lowercase().contains("cell_v")
            || v.display_name.to_lowercase().contains("cell_v")));

        let modbus = list(VariableQuery {
            access_type: Some(AccessType::Modbus),
            ..Default::default()
        })
        .await;
        assert_eq!(modbus.total, 0);

        let paged = query::list_variables(
            db,
            index,
            &VariableQuery {
                per_page: Some(10),
                page: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(paged.items.len(), 10);
        assert_eq!(paged.page, 2);
    }
}

#[tokio::test]
async fn the_preferred_path_is_the_highest_priority_writable_one_for_the_rack() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        seed_one(db).await;
        let actor = Actor::new("op", "test");
        let add = |priority: i32, read_only: bool, rack: Option<i32>| NewAccessPath {
            access_type: AccessType::Can,
            reference: json!({"can_id": 0x100 + priority, "start_byte": 0, "length": 2, "data_type": "u16"}),
            priority,
            read_only,
            rack_number: rack,
            device_id: None,
        };
        for (priority, read_only, rack) in [(9, true, None), (7, false, Some(2)), (3, false, None)]
        {
            let v = query::get_variable(db, "soc").await.unwrap();
            write::add_path(
                db,
                "soc",
                v.variable_version,
                &add(priority, read_only, rack),
                &actor,
            )
            .await
            .unwrap();
        }
        let pick = |rack: Option<i32>, writable: bool| query::PathPreference {
            rack,
            access_type: None,
            writable,
        };
        assert_eq!(
            query::preferred_path(db, "soc", &pick(None, false))
                .await
                .unwrap()
                .priority,
            9
        );
        assert_eq!(
            query::preferred_path(db, "soc", &pick(Some(2), true))
                .await
                .unwrap()
                .priority,
            7
        );
        assert_eq!(
            query::preferred_path(db, "soc", &pick(Some(1), true))
                .await
                .unwrap()
                .priority,
            5
        );
        let only_can = query::PathPreference {
            rack: Some(1),
            access_type: Some(AccessType::Can),
            writable: true,
        };
        assert_eq!(
            query::preferred_path(db, "soc", &only_can)
                .await
                .unwrap()
                .priority,
            3
        );
    }
}

#[tokio::test]
async fn list_index_follows_every_kind_of_write() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let index = RegistryIndex::new();
        let modbus_soc = |index: &RegistryIndex| {
            let index = index.clone();
            async move {
                let page = query::list_variables(
                    db,
                    &index,
                    &VariableQuery {
                        access_type: Some(AccessType::Modbus),
                        q: Some("state of CHARGE".into()),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
                page.items.into_iter().map(|v| v.name).collect::<Vec<_>>()
            }
        };
        // Loaded while empty, then every change must show up through the same index.
        assert!(modbus_soc(&index).await.is_empty());
        seed_one(db).await;
        assert_eq!(modbus_soc(&index).await, vec!["soc"]);

        let actor = Actor::new("tester", "test");
        let soc = query::get_variable(db, "soc").await.unwrap();
        let path_id = soc.paths.as_ref().unwrap()[0].id;
        let soc = write::remove_path(db, "soc", path_id, soc.variable_version, &actor)
            .await
            .unwrap();
        assert!(
            modbus_soc(&index).await.is_empty(),
            "{}: a removed path still matches",
            test_db.backend()
        );

        let patch = VariablePatch {
            category: Some(Category::Config),
            description: Some("Renamed text".into()),
            ..Default::default()
        };
        let soc = write::update_variable(db, "soc", soc.variable_version, &patch, &actor)
            .await
            .unwrap();
        let config = query::categories(db, &index).await.unwrap();
        assert_eq!(config[0].value, "config");
        assert_eq!(config[0].count, 1, "{}", test_db.backend());

        write::delete_variable(db, "soc", soc.variable_version, &actor)
            .await
            .unwrap();
        let listed = query::list_variables(db, &index, &VariableQuery::default())
            .await
            .unwrap();
        assert_eq!(
            listed.total,
            0,
            "{}: a deleted variable is listed",
            test_db.backend()
        );
        let with_deleted = VariableQuery {
            include_deleted: true,
            q: Some("renamed".into()),
            ..Default::default()
        };
        let listed = query::list_variables(db, &index, &with_deleted)
            .await
            .unwrap();
        assert_eq!(listed.total, 1);
    }
}

#[tokio::test]
async fn variables_created_after_an_import_get_fresh_ids() {
    // The importer assigns ids itself; on PostgreSQL it must move the id sequence past them.
    let (data_def, metadata) = examples();
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        import_texts(db, &data_def, &metadata, &options())
            .await
            .unwrap();
        let new = model::registry::NewVariable {
            name: "site_note_counter".into(),
            display_name: None,
            units: String::new(),
            description: "Created after an import".into(),
            category: Category::Config,
            locator: Some("system.global".into()),
            paths: Vec::new(),
        };
        let created = write::create_variable(db, &new, &Actor::new("tester", "test")).await;
        assert!(created.is_ok(), "{}: {created:?}", test_db.backend());
        let listed = query::list_variables(db, &RegistryIndex::new(), &VariableQuery::default())
            .await
            .unwrap();
        let imported_and_created = listed.total;
        let second_import = import_texts(db, &data_def, &metadata, &options()).await;
        assert!(second_import.is_ok());
        assert_eq!(
            query::list_variables(db, &RegistryIndex::new(), &VariableQuery::default())
                .await
                .unwrap()
                .total,
            imported_and_created
        );
    }
}
