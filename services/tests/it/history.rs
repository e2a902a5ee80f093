//! Any variable at any past version, on SQLite and PostgreSQL: random edits of many variables
//! (REST-style writes, re-imports with pruning, restores), what each write answered recorded, and
//! every rebuilt version (by variable version, by system version, and the whole snapshot)
//! compared with it.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use std::collections::{BTreeMap, BTreeSet};

use model::error::AppError;
use model::registry::{
    AccessPathPatch, AccessType, Category, NewAccessPath, NewVariable, Variable, VariablePatch,
};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use services::actor::Actor;
use services::registry::import::{ImportFiles, ImportOptions, import};
use services::registry::{export, history, query, write};
use services::system::system_version_of;
use services::testing as common;

/// xorshift64*: a small seeded generator, so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SEED: u64 = 0x5eed_2026_1202;
const OPERATIONS: usize = 260;
const IMPORTED: [&str; 5] = ["imp_a", "imp_b", "imp_c", "imp_d", "imp_e"];
const TABLES: [&str; 2] = ["oper:test:in", "config:test:hold"];
const UNITS: [&str; 5] = ["", "V", "mV", "%", "°C"];
/// `None` is no locator: created, patched and imported as often as each locator.
const LOCATORS: [Option<&str>; 4] = [
    Some("system.global"),
    Some("rbms.rack[n]"),
    Some("sbmu.chiller[n]"),
    None,
];

fn random_locator(rng: &mut Rng) -> Option<String> {
    rng.pick(&LOCATORS).map(str::to_string)
}

fn random_reference(rng: &mut Rng, access_type: AccessType) -> Value {
    match access_type {
        AccessType::Modbus => json!({
            "device": *rng.pick(&["bms", "pcs", "meter"]),
            "unit_id": 1 + rng.below(3),
            "table": *rng.pick(&["holding", "input"]),
            "address": rng.below(2_000),
            "data_type": "u16",
            "scale": *rng.pick(&[1.0, 0.1, 0.01]),
        }),
        AccessType::Rs485 => json!({
            "channel": *rng.pick(&["rs485-1", "rs485-2"]),
            "device_id": 1 + rng.below(10),
            "table": "holding",
            "address": rng.below(500),
        }),
        _ => json!({
            "table": *rng.pick(&TABLES),
            "offset": 2 * rng.below(100),
            "size": 2,
            "num": 1 + rng.below(3),
        }),
    }
}

fn random_path(rng: &mut Rng) -> NewAccessPath {
    let access_type = *rng.pick(&[
        AccessType::Modbus,
        AccessType::Rs485,
        AccessType::MemoryOffset,
    ]);
    NewAccessPath {
        access_type,
        reference: random_reference(rng, access_type),
        priority: rng.below(20) as i32,
        read_only: rng.chance(50),
        rack_number: rng.chance(40).then(|| rng.below(4) as i32),
        device_id: rng
            .chance(40)
            .then(|| rng.pick(&["bms-1", "pcs-2"]).to_string()),
    }
}

fn random_patch(rng: &mut Rng, serial: usize) -> VariablePatch {
    VariablePatch {
        display_name: rng.chance(40).then(|| format!("Display {serial}")),
        units: rng.chance(40).then(|| rng.pick(&UNITS).to_string()),
        description: rng.chance(40).then(|| format!("Description {serial}")),
        category: rng.chance(30).then(|| *rng.pick(&Category::ALL)),
        locator: rng.chance(30).then(|| random_locator(rng)),
    }
}

fn random_path_patch(rng: &mut Rng, access_type: AccessType) -> AccessPathPatch {
    AccessPathPatch {
        reference: rng.chance(40).then(|| random_reference(rng, access_type)),
        priority: rng.chance(40).then(|| rng.below(20) as i32),
        read_only: rng.chance(30).then(|| rng.chance(50)),
        rack_number: rng
            .chance(30)
            .then(|| rng.chance(50).then(|| rng.below(4) as i32)),
        device_id: rng
            .chance(30)
            .then(|| rng.chance(50).then(|| "bms-9".to_string())),
        active: rng.chance(25).then(|| rng.chance(50)),
    }
}

/// A definition file with some of the imported variables (each on one or both tables, at random
/// offsets) and metadata with random units; what is left out is pruned.
fn random_import(rng: &mut Rng, serial: usize) -> (String, String) {
    let mut tables: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    let mut metadata = serde_json::Map::new();
    for name in IMPORTED {
        if rng.chance(20) {
            continue;
        }
        for table in TABLES {
            if rng.chance(60) {
                tables.entry(table).or_default().push(json!({
                    "name": name,
                    "offset": 2 * rng.below(50),
                    "size": 2,
                    "num": 1 + rng.below(2),
                }));
            }
        }
        metadata.insert(
            name.to_string(),
            json!({
                "locator": random_locator(rng),
                "units": *rng.pick(&UNITS),
                "description": format!("Imported {serial}"),
            }),
        );
    }
    let data_def: Vec<Value> = tables
        .into_iter()
        .map(|(table, items)| json!({"table": table, "items": items}))
        .collect();
    (
        serde_json::to_string(&data_def).unwrap(),
        json!({"variables": metadata}).to_string(),
    )
}

/// What the writes answered: each variable at each of its versions, and every variable's state
/// (by name) at every system version the registry reached.
#[derive(Default)]
struct Recorded {
    by_version: BTreeMap<(String, i64), Variable>,
    by_system_version: BTreeMap<i64, BTreeMap<String, Variable>>,
    latest: BTreeMap<String, Variable>,
}

impl Recorded {
    fn answered(&mut self, variable: Variable) {
        self.by_version.insert(
            (variable.name.clone(), variable.variable_version),
            variable.clone(),
        );
        self.latest.insert(variable.name.clone(), variable);
    }

    async fn settle(&mut self, db: &DatabaseConnection) {
        let now = system_version_of(db).await.unwrap();
        self.by_system_version.insert(now, self.latest.clone());
    }
}

/// One random write; records what it answered. Refusals a client could also get (a deleted
/// variable, no path) are skipped, not errors.
async fn random_write(db: &DatabaseConnection, rng: &mut Rng, serial: usize, seen: &mut Recorded) {
    let actor = Actor::new(format!("user{}", rng.below(3)), *rng.pick(&["rest", "ui"]));
    let live: Vec<Variable> = seen
        .latest
        .values()
        .filter(|v| !v.deleted)
        .cloned()
        .collect();
    let choice = if live.len() < 4 { 0 } else { rng.below(100) };
    if choice < 8 {
        let new = NewVariable {
            name: format!("var_{serial}"),
            display_name: rng.chance(50).then(|| format!("Variable {serial}")),
            units: rng.pick(&UNITS).to_string(),
            description: String::new(),
            category: *rng.pick(&Category::ALL),
            locator: random_locator(rng),
            paths: (0..rng.below(3)).map(|_| random_path(rng)).collect(),
        };
        seen.answered(write::create_variable(db, &new, &actor).await.unwrap());
        return;
    }
    if choice < 16 {
        let (data_def, metadata) = random_import(rng, serial);
        let files = ImportFiles {
            data_def_name: "data_def.json",
            data_def: &data_def,
            metadata_name: Some("var_metadata.json"),
            metadata: Some(&metadata),
        };
        let options = ImportOptions {
            dry_run: false,
            prune: rng.chance(60),
            source: "import".into(),
            actor: "importer".into(),
            caller: None,
        };
        import(db, &files, &options).await.unwrap();
        // Pruning also deactivates the memory paths of variables the files do not mention.
        let mut names: BTreeSet<String> = seen.latest.keys().cloned().collect();
        names.extend(IMPORTED.map(String::from));
        for name in names {
            if let Ok(variable) = query::get_variable(db, &name).await {
                seen.answered(variable);
            }
        }
        return;
    }
    let target = rng.pick(&live).clone();
    let (name, version) = (target.name.as_str(), target.variable_version);
    let paths = target.paths.clone().unwrap_or_default();
    let answer = match choice {
        16..=45 => {
            write::update_variable(db, name, version, &random_patch(rng, serial), &actor).await
        }
        46..=50 => write::delete_variable(db, name, version, &actor).await,
        51..=65 => write::add_path(db, name, version, &random_path(rng), &actor).await,
        66..=85 if !paths.is_empty() => {
            let path = rng.pick(&paths);
            let patch = random_path_patch(rng, path.access_type);
            write::update_path(db, name, path.id, version, &patch, &actor).await
        }
        86..=90 if !paths.is_empty() => {
            let path = rng.pick(&paths);
            write::remove_path(db, name, path.id, version, &actor).await
        }
        _ if version > 1 => {
            let past = 1 + rng.below(version as usize - 1) as i64;
            write::restore_version(db, name, past, version, &actor).await
        }
        _ => return,
    };
    seen.answered(answer.unwrap());
}

async fn check_every_version(db: &DatabaseConnection, seen: &Recorded, backend: &str) {
    // Every version of every variable was answered by some write.
    for variable in seen.latest.values() {
        for version in 1..=variable.variable_version {
            assert!(
                seen.by_version
                    .contains_key(&(variable.name.clone(), version)),
                "{backend}: {} version {version} was never answered",
                variable.name
            );
        }
    }
    for ((name, version), answered) in &seen.by_version {
        let rebuilt = history::variable_at_version(db, name, *version)
            .await
            .unwrap();
        assert_eq!(&rebuilt, answered, "{backend}: {name} at version {version}");
    }
    // Each variable asked for one by one at the system versions just before and just after each
    // of its changes: every state the writes left it in, and both sides of every boundary
    // between two. Between two of its changes the answer is one state, so asking there adds
    // nothing (every variable at one system version in four asked ~2,000 times and still missed
    // short-lived states). The snapshots below rebuild every variable at every system version.
    let settled: Vec<(&i64, &BTreeMap<String, Variable>)> = seen.by_system_version.iter().collect();
    for name in seen.latest.keys() {
        let mut around_changes = BTreeSet::new();
        for pair in settled.windows(2) {
            let ((before, earlier), (after, later)) = (pair[0], pair[1]);
            if earlier.get(name) != later.get(name) {
                around_changes.insert(*before);
                around_changes.insert(*after);
            }
        }
        for at in around_changes {
            let rebuilt = history::variable_at_system_version(db, name, at).await;
            match seen.by_system_version[&at].get(name) {
                Some(answered) => assert_eq!(
                    &rebuilt.unwrap(),
                    answered,
                    "{backend}: {name} at system version {at}"
                ),
                None => assert!(
                    matches!(rebuilt, Err(AppError::NotFound(_))),
                    "{backend}: {name} did not exist at system version {at}: {rebuilt:?}"
                ),
            }
        }
    }
    for (at, state) in &seen.by_system_version {
        let snapshot = history::snapshot(db, *at).await.unwrap();
        assert_eq!(snapshot.at_system_version, *at);
        let expected: Vec<&Variable> = state.values().collect();
        let got: Vec<&Variable> = snapshot.variables.iter().collect();
        assert_eq!(got, expected, "{backend}: snapshot at system version {at}");
    }
}

#[tokio::test]
async fn every_rebuilt_version_equals_what_the_writes_answered() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let mut rng = Rng(SEED);
        let mut seen = Recorded::default();
        seen.settle(db).await;
        for serial in 0..OPERATIONS {
            random_write(db, &mut rng, serial, &mut seen).await;
            seen.settle(db).await;
        }
        let names: BTreeSet<&String> = seen.latest.keys().collect();
        assert!(
            names.len() >= 10,
            "{backend}: only {} variables",
            names.len()
        );
        assert!(
            seen.by_version.len() >= 150,
            "{backend}: only {} versions",
            seen.by_version.len()
        );
        check_every_version(db, &seen, backend).await;
        check_exports(db, &seen, backend).await;
    }
}

/// `export --at-version X` writes the registry as it was at X: now, the same files as the plain
/// export; at past versions, metadata for exactly the variables that were there and not deleted.
async fn check_exports(db: &DatabaseConnection, seen: &Recorded, backend: &str) {
    let now = system_version_of(db).await.unwrap();
    let plain = export::export(db).await.unwrap();
    let at_now = export::export_at(db, now).await.unwrap();
    assert_eq!(at_now.data_def, plain.data_def, "{backend}");
    assert_eq!(at_now.metadata, plain.metadata, "{backend}");
    for (at, state) in seen.by_system_version.iter().step_by(10) {
        let exported = export::export_at(db, *at).await.unwrap();
        let metadata: Value = serde_json::from_str(&exported.metadata).unwrap();
        let names: BTreeSet<&str> = metadata["variables"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let expected: BTreeSet<&str> = state
            .values()
            .filter(|v| !v.deleted)
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(names, expected, "{backend}: export at system version {at}");
    }
}

#[tokio::test]
async fn versions_that_never_existed_are_not_found() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let actor = Actor::new("op", "test");
        let new = NewVariable {
            name: "soc".into(),
            display_name: None,
            units: "%".into(),
            description: String::new(),
            category: Category::Oper,
            locator: Some("system.global".into()),
            paths: Vec::new(),
        };
        write::create_variable(db, &new, &actor).await.unwrap();
        let now = system_version_of(db).await.unwrap();
        for version in [0, 2, -1] {
            let err = history::variable_at_version(db, "soc", version)
                .await
                .unwrap_err();
            assert!(
                matches!(&err, AppError::NotFound(m) if m.contains("versions 1 to 1")),
                "{err:?}"
            );
        }
        let err = history::variable_at_system_version(db, "soc", now + 1)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
        let err = history::variable_at_system_version(db, "soc", now - 1)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::NotFound(m) if m.contains("created at system version")),
            "{err:?}"
        );
        assert!(matches!(
            history::snapshot(db, now + 1).await,
            Err(AppError::NotFound(_))
        ));
        assert!(
            history::snapshot(db, now - 1)
                .await
                .unwrap()
                .variables
                .is_empty()
        );
        assert!(matches!(
            history::variable_at_version(db, "nope", 1).await,
            Err(AppError::NotFound(_))
        ));
    }
}
