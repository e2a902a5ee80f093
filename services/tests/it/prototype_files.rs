//! The prototype's files and references, on SQLite and PostgreSQL: its example files import as
//! they are (`examples/prototype/`, copied verbatim from seed 000), a re-import keeps what someone
//! edited unless told to overwrite it, a bad name pattern is named with why, the access-path
//! spellings of seed 001 are accepted, stored and shown as written, and the field plan lists the
//! paths it cannot decode with the reason.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use std::path::Path;
use std::time::Duration;

use entity::variable_access_path;
use model::error::AppError;
use model::registry::{
    AccessPath, AccessType, Category, DiffKind, ImportReport, MemoryOffsetRef, NewAccessPath,
    NewVariable, Variable, VariablePatch, VariableQuery,
};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Value, json};
use services::actor::Actor;
use services::field::FieldIo;
use services::field::config::FieldConfig;
use services::registry::import::{EditedFields, ImportFiles, ImportOptions, import_with};
use services::registry::index::RegistryIndex;
use services::registry::{query, write};
use services::system::system_version_of;
use services::testing as common;
use tokio_util::sync::CancellationToken;

fn prototype_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/prototype")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn options(dry_run: bool) -> ImportOptions {
    ImportOptions {
        dry_run,
        prune: false,
        source: "test".into(),
        actor: "tester".into(),
        caller: None,
    }
}

async fn import_files(
    db: &DatabaseConnection,
    data_def: &str,
    metadata: Option<&str>,
    dry_run: bool,
    edited: EditedFields,
) -> Result<ImportReport, AppError> {
    let files = ImportFiles {
        data_def_name: "data_def.json",
        data_def,
        metadata_name: metadata.map(|_| "var_metadata.json"),
        metadata,
    };
    import_with(db, &files, &options(dry_run), edited).await
}

async fn all_variables(db: &DatabaseConnection) -> Vec<Variable> {
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

fn variable<'a>(variables: &'a [Variable], name: &str) -> &'a Variable {
    variables
        .iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("{name} was not imported"))
}

/// The memory references of a variable, as stored.
fn memory_refs(variable: &Variable) -> Vec<MemoryOffsetRef> {
    let mut refs: Vec<MemoryOffsetRef> = variable
        .paths
        .as_ref()
        .unwrap()
        .iter()
        .filter(|p| p.access_type == AccessType::MemoryOffset)
        .map(|p| serde_json::from_value(p.reference.clone()).unwrap())
        .collect();
    refs.sort_by(|a, b| a.table.cmp(&b.table));
    refs
}

fn memory(table: &str, offset: u32, size: u32, num: u32) -> MemoryOffsetRef {
    MemoryOffsetRef {
        table: table.into(),
        offset,
        size,
        num,
    }
}

#[tokio::test]
async fn the_prototypes_step_1c_sample_imports_as_written() {
    let sample = prototype_file("sample_variables.json");
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let report = import_files(db, &sample, None, false, EditedFields::Keep)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        assert_eq!(
            (report.new, report.skipped, report.paths_added),
            (8, 1, 8),
            "{backend}: {report:?}"
        );
        let variables = all_variables(db).await;
        assert_eq!(variables.len(), 8);
        // No category prefix and no metadata: the prototype's default, and no locator (as the
        // prototype stored it: NULL, not a made-up `system.global`).
        assert!(
            variables
                .iter()
                .all(|v| v.category == Category::Oper && v.locator.is_none()),
            "{backend}: {variables:?}"
        );
        // `size` 16 without `num` is one 16-byte element, as written; sizes 1 and 20 too.
        let expected = [
            ("online", memory("rack:sm16", 26_626, 1, 1)),
            ("rs_485_1", memory("rack:sm16", 7_182, 16, 1)),
            ("rs_485_2", memory("rack:sm16", 7_198, 16, 1)),
            ("config_cfg", memory("rack:sm16", 7_218, 20, 1)),
            ("terminal_overvoltage", memory("rtos:bits", 1, 3, 1)),
            ("terminal_undervoltage", memory("rtos:bits", 4, 3, 1)),
            ("soc", memory("sbmu:sm16", 100, 1, 1)),
            ("cell_voltage", memory("sbmu:sm16", 200, 1, 1)),
        ];
        for (name, reference) in expected {
            assert_eq!(
                memory_refs(variable(&variables, name)),
                [reference],
                "{backend}: {name}"
            );
        }
        assert_eq!(
            variable(&variables, "rs_485_1").description,
            "Imported from rack:sm16, 1 element(s) of size 16 bytes"
        );
        // Measurement tables are read-only; importing the same file again changes nothing.
        assert!(
            variables
                .iter()
                .flat_map(|v| v.paths.as_ref().unwrap())
                .all(|p| p.read_only)
        );
        let again = import_files(db, &sample, None, false, EditedFields::Keep)
            .await
            .unwrap();
        assert_eq!((again.unchanged, again.versions_used), (8, 0), "{backend}");
    }
}

#[tokio::test]
async fn the_category_in_table_name_files_import_with_their_metadata() {
    let data_def = prototype_file("data_def.json");
    let metadata = prototype_file("var_metadata.json");
    let with_num = prototype_file("sample_variables_with_num.json");
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let report = import_files(db, &data_def, Some(&metadata), false, EditedFields::Keep)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        assert_eq!(
            (report.new, report.skipped, report.paths_added),
            (43, 1, 43),
            "{backend}: {report:?}"
        );
        let variables = all_variables(db).await;
        let count =
            |category: Category| variables.iter().filter(|v| v.category == category).count();
        assert_eq!(
            (
                count(Category::Oper),
                count(Category::Config),
                count(Category::Prot)
            ),
            (7, 1, 35),
            "{backend}"
        );
        let placed = [
            ("online", Category::Oper, "system.global"),
            ("rs_485_2", Category::Oper, "system.rs485[1]"),
            ("config_cfg", Category::Config, "system.global"),
            (
                "terminal_undervoltage",
                Category::Oper,
                "system.terminal[n]",
            ),
            ("soc", Category::Oper, "sbmu.global"),
            ("cell_voltages", Category::Oper, "rbms.cell[n]"),
            ("cell_voltage_max_warn", Category::Prot, "rbms.cell[n]"),
            ("temperature_max_hyst", Category::Prot, "rbms.module[n]"),
            ("current_max_fault_dur", Category::Prot, "system.global"),
            ("soc_min_warn", Category::Prot, "sbmu.global"),
        ];
        for (name, category, locator) in placed {
            let v = variable(&variables, name);
            assert_eq!(
                (v.category, v.locator.as_deref()),
                (category, Some(locator)),
                "{backend}: {name}"
            );
        }
        // The bit-addressed table keeps its odd offsets; sizes count bits there.
        assert_eq!(
            memory_refs(variable(&variables, "terminal_overvoltage")),
            [memory("oper:rtos:bits", 1, 1, 3)]
        );
        assert_eq!(
            memory_refs(variable(&variables, "terminal_undervoltage")),
            [memory("oper:rtos:bits", 4, 1, 3)]
        );
        let cells = variable(&variables, "cell_voltages");
        assert_eq!(cells.display_name, "Cell Voltages [96]");
        assert_eq!(memory_refs(cells), [memory("oper:sbmu:input", 200, 2, 96)]);
        let warn = variable(&variables, "cell_voltage_max_warn");
        assert!(
            !warn.paths.as_ref().unwrap()[0].read_only,
            "holding tables are writable"
        );

        // The later sample (with `num`) into the same registry: its tables have no category
        // prefix, so they are other tables; its new names come in as `oper`.
        let later = import_files(db, &with_num, None, false, EditedFields::Keep)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        assert_eq!((later.new, later.skipped), (2, 1), "{backend}: {later:?}");
        let variables = all_variables(db).await;
        let energy = variable(&variables, "total_energy");
        assert_eq!(energy.category, Category::Oper);
        assert_eq!(energy.locator, None, "no metadata: no locator");
        assert_eq!(memory_refs(energy), [memory("sbmu:sm32", 500, 4, 1)]);
        assert_eq!(
            memory_refs(variable(&variables, "rs_485_1")),
            [
                memory("oper:rack:sm16", 7_182, 2, 16),
                memory("rack:sm16", 7_182, 2, 16)
            ]
        );
    }
}

/// The prototype's `var_metadata.json` with `soc` given a display name and units, and
/// `online` a description: what a site's next version of the file might say.
fn metadata_naming_soc() -> String {
    let mut metadata: Value = serde_json::from_str(&prototype_file("var_metadata.json")).unwrap();
    metadata["variables"]["soc"] = json!({
        "locator": "sbmu.soc", "display_name": "SoC from the file", "units": "percent"
    });
    metadata["variables"]["online"]["description"] = json!("Online flag from the file");
    metadata.to_string()
}

#[tokio::test]
async fn a_re_import_keeps_edits_and_overwrites_them_only_when_told() {
    let data_def = prototype_file("data_def.json");
    let metadata = prototype_file("var_metadata.json");
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        import_files(db, &data_def, Some(&metadata), false, EditedFields::Keep)
            .await
            .unwrap();
        let before = query::get_variable(db, "soc").await.unwrap();
        let ana = Actor::new("ana", "console");
        let patch = VariablePatch {
            display_name: Some("State of Charge".into()),
            units: Some("%".into()),
            ..VariablePatch::default()
        };
        let edited = write::update_variable(db, "soc", before.variable_version, &patch, &ana)
            .await
            .unwrap();
        let edit_version = edited.system_version;
        let next = metadata_naming_soc();

        // A dry run shows the locator changing and the edited fields kept, with who and when.
        let dry = import_files(db, &data_def, Some(&next), true, EditedFields::Keep)
            .await
            .unwrap();
        assert_eq!(dry.kept, 2, "{backend}: {dry:?}");
        let soc = dry.diffs.iter().find(|d| d.name == "soc").unwrap();
        assert_eq!(soc.kind, DiffKind::Changed);
        let changed: Vec<&str> = soc.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(changed, ["locator"], "{backend}");
        let kept: Vec<(&str, &str, &str, &str, i64, i64)> = soc
            .kept
            .iter()
            .map(|k| {
                (
                    k.field.as_str(),
                    k.kept.as_str(),
                    k.file.as_str(),
                    k.edited_by.as_str(),
                    k.variable_version,
                    k.system_version,
                )
            })
            .collect();
        assert_eq!(
            kept,
            [
                (
                    "display_name",
                    "State of Charge",
                    "SoC from the file",
                    "ana",
                    2,
                    edit_version
                ),
                ("units", "%", "percent", "ana", 2, edit_version),
            ],
            "{backend}"
        );
        // Never edited: the file's new description applies.
        let online = dry.diffs.iter().find(|d| d.name == "online").unwrap();
        assert!(online.kept.is_empty());
        assert_eq!(online.changes[0].field, "description");

        let applied = import_files(db, &data_def, Some(&next), false, EditedFields::Keep)
            .await
            .unwrap();
        assert_eq!(
            (applied.changed, applied.kept),
            (2, 2),
            "{backend}: {applied:?}"
        );
        let soc = query::get_variable(db, "soc").await.unwrap();
        assert_eq!(
            (
                soc.display_name.as_str(),
                soc.units.as_str(),
                soc.locator.as_deref().unwrap()
            ),
            ("State of Charge", "%", "sbmu.soc"),
            "{backend}"
        );
        // Again: the edits are still kept (and reported), nothing else changes.
        let again = import_files(db, &data_def, Some(&next), true, EditedFields::Keep)
            .await
            .unwrap();
        assert_eq!((again.changed, again.kept), (0, 2), "{backend}: {again:?}");
        assert_eq!(again.diffs[0].kind, DiffKind::Kept);

        // An import's own change is not an edit: the next file's description replaces it.
        let mut third: Value = serde_json::from_str(&next).unwrap();
        third["variables"]["online"]["description"] = json!("Online flag, second version");
        let third = third.to_string();
        let report = import_files(db, &data_def, Some(&third), false, EditedFields::Keep)
            .await
            .unwrap();
        assert_eq!(
            (report.changed, report.kept),
            (1, 2),
            "{backend}: {report:?}"
        );
        let online = query::get_variable(db, "online").await.unwrap();
        assert_eq!(online.description, "Online flag, second version");

        // --overwrite-edits takes the file's values.
        let overwritten = import_files(db, &data_def, Some(&third), false, EditedFields::Overwrite)
            .await
            .unwrap();
        assert_eq!((overwritten.changed, overwritten.kept), (1, 0), "{backend}");
        let soc = query::get_variable(db, "soc").await.unwrap();
        assert_eq!(
            (soc.display_name.as_str(), soc.units.as_str()),
            ("SoC from the file", "percent"),
            "{backend}"
        );
        // Now that the file's values are back, a plain re-import has nothing to keep.
        let settled = import_files(db, &data_def, Some(&third), true, EditedFields::Keep)
            .await
            .unwrap();
        assert_eq!(
            (settled.changed, settled.kept),
            (0, 0),
            "{backend}: {settled:?}"
        );
    }
}

#[tokio::test]
async fn a_pattern_the_regex_engine_cannot_compile_is_named_with_why_and_nothing_imports() {
    let data_def = prototype_file("data_def.json");
    let mut metadata: Value = serde_json::from_str(&prototype_file("var_metadata.json")).unwrap();
    let patterns = metadata["patterns"].as_array_mut().unwrap();
    patterns.insert(
        0,
        json!({"name_pattern": "(?<!x)cell_", "locator": "rbms.cell[n]"}),
    );
    patterns.push(json!({"name_pattern": "^relay_[", "locator": "system.relay[n]"}));
    let metadata = metadata.to_string();
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let error = import_files(db, &data_def, Some(&metadata), false, EditedFields::Keep)
            .await
            .unwrap_err();
        let AppError::Validation { message, .. } = error else {
            panic!("{error:?}");
        };
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines.len(), 2, "every problem is reported: {message}");
        assert!(
            lines[0].starts_with(
                "var_metadata.json: $.patterns[0].name_pattern: invalid regular expression \"(?<!x)cell_\": look-around"
            ),
            "{message}"
        );
        assert!(
            lines[1].starts_with(
                "var_metadata.json: $.patterns[10].name_pattern: invalid regular expression \"^relay_[\": unclosed character class"
            ),
            "{message}"
        );
        assert_eq!(
            system_version_of(db).await.unwrap(),
            0,
            "nothing was imported"
        );
    }
}

fn path(access_type: AccessType, reference: Value) -> NewAccessPath {
    NewAccessPath {
        access_type,
        reference,
        priority: 5,
        read_only: false,
        rack_number: None,
        device_id: None,
    }
}

/// Seed 001's paths of `soc`, in its own spellings, plus its RS485 example.
fn prototype_paths() -> Vec<NewAccessPath> {
    vec![
        path(
            AccessType::Modbus,
            json!({"device": "rbms", "table": "holding", "address": 40010}),
        ),
        path(
            AccessType::MemoryId,
            json!({"memory_id": 2_952_790_016u32, "width": 16}),
        ),
        path(
            AccessType::Can,
            json!({"can_id": 291, "data0": 0, "data1": 1}),
        ),
        path(
            AccessType::Rs485,
            json!({"channel": 1, "device_id": 5, "table": "holding", "address": 100}),
        ),
    ]
}

fn soc_with(paths: Vec<NewAccessPath>) -> NewVariable {
    NewVariable {
        name: "soc".into(),
        display_name: Some("State of Charge".into()),
        units: "%".into(),
        description: "Battery state of charge percentage".into(),
        category: Category::Oper,
        locator: Some("sbmu.global".into()),
        paths,
    }
}

#[tokio::test]
async fn the_seeds_reference_spellings_are_accepted_stored_normalised_and_shown_as_written() {
    let tester = Actor::new("tester", "test");
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let written = prototype_paths();
        let created = write::create_variable(db, &soc_with(written.clone()), &tester)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        let shown: Vec<(AccessType, Value)> = created
            .paths
            .unwrap()
            .into_iter()
            .map(|p| (p.access_type, p.reference))
            .collect();
        let expected: Vec<(AccessType, Value)> = written
            .iter()
            .map(|p| (p.access_type, p.reference.clone()))
            .collect();
        assert_eq!(shown, expected, "{backend}: shown as written");
        // Stored as canonical JSON text: keys sorted, no spaces.
        let mut stored: Vec<String> = variable_access_path::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.reference)
            .collect();
        stored.sort();
        assert_eq!(
            stored,
            [
                r#"{"address":100,"channel":1,"device_id":5,"table":"holding"}"#,
                r#"{"address":40010,"device":"rbms","table":"holding"}"#,
                r#"{"can_id":291,"data0":0,"data1":1}"#,
                r#"{"memory_id":2952790016,"width":16}"#,
            ],
            "{backend}"
        );
        // Today's full shapes keep working beside them.
        let full = path(
            AccessType::Modbus,
            json!({"device": "bms", "unit_id": 2, "table": "holding", "address": 10, "data_type": "u16"}),
        );
        let soc = query::get_variable(db, "soc").await.unwrap();
        write::add_path(db, "soc", soc.variable_version, &full, &tester)
            .await
            .unwrap_or_else(|e| panic!("{backend}: {e}"));

        // Wrong spellings are refused with the field path, and nothing is written.
        let version = system_version_of(db).await.unwrap();
        let wrong = [
            (
                path(
                    AccessType::Can,
                    json!({"can_id": 291, "data0": 3, "data1": 1}),
                ),
                "paths[0].reference.data1",
            ),
            (
                path(AccessType::MemoryId, json!({"memory_id": 1, "width": 65})),
                "paths[0].reference.width",
            ),
            (
                path(
                    AccessType::Rs485,
                    json!({"channel": "", "device_id": 5, "table": "holding", "address": 1}),
                ),
                "paths[0].reference.channel",
            ),
            (
                path(
                    AccessType::Modbus,
                    json!({"device": "rbms", "table": "holding", "address": 1, "unit": 2}),
                ),
                "paths[0].reference.unit",
            ),
        ];
        for (bad, field) in wrong {
            let mut new = soc_with(vec![bad]);
            new.name = "soc_copy".into();
            let error = write::create_variable(db, &new, &tester).await.unwrap_err();
            let AppError::Validation { field: got, .. } = &error else {
                panic!("{backend}: {error:?}");
            };
            assert_eq!(got, field, "{backend}: {error}");
        }
        assert_eq!(system_version_of(db).await.unwrap(), version, "{backend}");
    }
}

/// Waits until the field I/O task has made its first plan.
async fn planned(field: &FieldIo) {
    for _ in 0..200 {
        let (blocks, unmapped) = field.plan();
        if !blocks.is_empty() || !unmapped.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no plan was made (did the planner task panic?)");
}

fn path_id(variables: &[Variable], name: &str, table: &str) -> i64 {
    variable(variables, name)
        .paths
        .as_ref()
        .unwrap()
        .iter()
        .find(|p: &&AccessPath| p.reference["table"] == table)
        .unwrap_or_else(|| panic!("{name} has no path on {table}"))
        .id
}

#[tokio::test]
async fn the_field_plan_polls_what_it_can_decode_and_lists_the_rest_with_the_reason() {
    let sample = prototype_file("sample_variables.json");
    let data_def = prototype_file("data_def.json");
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        import_files(db, &sample, None, false, EditedFields::Keep)
            .await
            .unwrap();
        import_files(db, &data_def, None, false, EditedFields::Keep)
            .await
            .unwrap();
        let mut paths = prototype_paths();
        paths.push(path(
            AccessType::Can,
            json!({"can_id": 292, "data0": 0, "data1": 2}),
        ));
        let mut new = soc_with(paths);
        new.name = "pack_soc".into();
        let pack_soc = write::create_variable(db, &new, &Actor::new("tester", "test"))
            .await
            .unwrap();
        let variables = all_variables(db).await;

        // Nothing listens on the port: planning needs no device.
        let config = FieldConfig::parse(
            "field.json",
            r#"{"buses": [{"name": "site", "endpoint": {"tcp": {"addr": "127.0.0.1:9"}}}],
                "devices": {"rbms": {"bus": "site", "unit_id": 3}},
                "rs485_channels": {"1": "site"},
                "memory": {
                    "rack:sm16": {"bus": "site", "unit_id": 1, "table": "holding"},
                    "rtos:bits": {"bus": "site", "unit_id": 1, "table": "coil"},
                    "oper:rtos:bits": {"bus": "site", "unit_id": 1, "table": "coil", "base": 100},
                    "oper:rack:sm16": {"bus": "site", "unit_id": 1, "table": "input"}
                }}"#,
        )
        .unwrap();
        let cancel = CancellationToken::new();
        let field = FieldIo::start(db.clone(), config, cancel.clone());
        planned(&field).await;
        let (blocks, unmapped) = field.plan();
        cancel.cancel();
        let reason_of = |id: i64| -> String {
            unmapped
                .iter()
                .find(|(_, path_id, ..)| *path_id == id)
                .map(|(_, _, reason, _)| reason.clone())
                .unwrap_or_else(|| panic!("{backend}: path {id} is not listed: {unmapped:?}"))
        };
        let polled = |id: i64| {
            blocks
                .iter()
                .any(|b| b.members.iter().any(|(key, _)| i64::from(*key) == id))
        };
        let not_decodable = [
            ("online", "rack:sm16", "1-byte elements cannot be decoded"),
            (
                "rs_485_1",
                "rack:sm16",
                "16-byte elements cannot be decoded",
            ),
            (
                "config_cfg",
                "rack:sm16",
                "20-byte elements cannot be decoded",
            ),
            (
                "terminal_overvoltage",
                "rtos:bits",
                "3-bit elements cannot be decoded",
            ),
            ("soc", "sbmu:sm16", "has no data source"),
        ];
        for (name, table, reason) in not_decodable {
            let id = path_id(&variables, name, table);
            assert!(!polled(id), "{backend}: {name} is polled");
            let why = reason_of(id);
            assert!(why.contains(reason), "{backend}: {name}: {why}");
        }
        // Decodable: single bits at odd offsets of the bit table, 2-byte arrays.
        for (name, table) in [
            ("terminal_overvoltage", "oper:rtos:bits"),
            ("terminal_undervoltage", "oper:rtos:bits"),
            ("rs_485_1", "oper:rack:sm16"),
        ] {
            let id = path_id(&variables, name, table);
            assert!(
                polled(id),
                "{backend}: {name} on {table} is not polled: {unmapped:?}"
            );
        }
        let bits = blocks
            .iter()
            .find(|b| b.table == devices::RegisterTable::Coil)
            .unwrap();
        assert_eq!((bits.start, bits.count), (101, 6), "{backend}: {bits:?}");

        // The seed's paths of `pack_soc`: Modbus and RS485 through the configuration, the
        // others listed with why.
        let ids: Vec<i64> = pack_soc.paths.unwrap().iter().map(|p| p.id).collect();
        assert!(
            polled(ids[0]),
            "{backend}: the short Modbus path is not polled"
        );
        let modbus = blocks
            .iter()
            .find(|b| b.members.iter().any(|(key, _)| i64::from(*key) == ids[0]))
            .unwrap();
        assert_eq!(
            (modbus.unit_id, modbus.start),
            (3, 40_010),
            "unit id from the device"
        );
        assert!(reason_of(ids[1]).contains("shared memory directly"));
        assert!(reason_of(ids[2]).contains("no CAN bus is configured"));
        assert!(polled(ids[3]), "{backend}: RS485 channel 1 is not polled");
        assert!(
            reason_of(ids[4]).contains("are 3 byte(s): only 2-, 4- and 8-byte values"),
            "{backend}: {}",
            reason_of(ids[4])
        );
    }
}
