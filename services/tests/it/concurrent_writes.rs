//! Every write service from 8 tasks at once, on SQLite and PostgreSQL: no write may fail because
//! another one holds the database (SQLite's `database is locked`), and none may be lost.
//!
//! Each task runs 10 rounds: registry create / update / add path / remove path / delete of a
//! variable of its own; protection profile create / clone / rename / delete, a save to a profile
//! of its own and to one shared by all tasks; at the end of each round an activation by all
//! tasks at the same moment (after which exactly one profile must be active). The costlier
//! writes run in fewer rounds: an import of a small definition of the task's own every 2nd
//! round, a save-and-deploy to the in-process BMS simulator over Modbus TCP every 5th. Then
//! every count and version is checked against the writes that succeeded, and the writes are
//! shown to have met: most began while another was still running.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use services::testing as common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use devices::simulator::{BMS_UNIT, Simulator};
use entity::{protection_deployment, protection_limit};
use model::error::AppError;
use model::protections::{FieldPath, FieldValue, Level, LimitField, ProtectionSet, Side};
use model::registry::{AccessType, Category, NewAccessPath, NewVariable, VariablePatch};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use services::actor::Actor;
use services::field::FieldIo;
use services::field::config::FieldConfig;
use services::protections::alarms::{Protections, ProtectionsConfig};
use services::protections::{self as service, profiles};
use services::registry::import::{ImportFiles, ImportOptions, import};
use services::registry::query;
use services::registry::write;
use services::system::system_version_of;
use tokio_util::sync::CancellationToken;

/// Database errors reach callers only as "see the server log"; this keeps the log's `error`
/// fields, so that a failure shows the database's own words (e.g. `database is locked`).
static DATABASE_ERRORS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct ErrorLog;

struct ErrorField(String);

impl tracing::field::Visit for ErrorField {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "error" {
            self.0 = format!("{value:?}");
        }
    }
}

impl tracing::Subscriber for ErrorLog {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() == tracing::Level::ERROR
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut error = ErrorField(String::new());
        event.record(&mut error);
        if !error.0.is_empty() {
            DATABASE_ERRORS.lock().unwrap().push(error.0);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// The distinct database errors logged so far, with how often each was. (Both backends run at
/// once and share the log: SQLite's errors carry a `code`.)
fn database_errors() -> Vec<(usize, String)> {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for error in DATABASE_ERRORS.lock().unwrap().iter() {
        *counts.entry(error.clone()).or_default() += 1;
    }
    counts.into_iter().map(|(e, n)| (n, e)).collect()
}

const TASKS: usize = 8;
/// Every round starts with all tasks at once (the barrier after the activations), so contention
/// does not build up over rounds: it is there from the first. 10 rounds are about 1,000 writes
/// per backend, nine in ten of them begun while others were in progress (`Overlap`, asserted).
/// (The test ran 50 rounds before: three times as long for more of the same contention.)
const ROUNDS: usize = 10;
/// A save-and-deploy takes tens of milliseconds of Modbus round trips to the simulator, and
/// deploys take turns (`Protections::deploy_lock`): only every 5th round deploys, 2 deploys
/// per task, 16 per backend.
const DEPLOY_EVERY: usize = 5;
/// An import diffs the whole registry (the examples and every variable the rounds created):
/// every 2nd round imports, 5 imports per task, 40 per backend.
const IMPORT_EVERY: usize = 2;

/// System versions one round of registry writes takes besides its import: create with one path
/// (2), update (1), add a path (2), remove it (2), delete (1).
const REGISTRY_VERSIONS_PER_ROUND: i64 = 8;

fn modbus_path(address: u16) -> NewAccessPath {
    NewAccessPath {
        access_type: AccessType::Modbus,
        reference: json!({"device": "bms", "unit_id": 1, "table": "holding", "address": address, "data_type": "u16"}),
        priority: 5,
        read_only: false,
        rack_number: None,
        device_id: None,
    }
}

/// The writes in progress on one backend, and how many began while another was in progress:
/// the evidence that the rounds' writes met (each then waits for the other's write lock on
/// SQLite, for its row locks on PostgreSQL), so that the test cannot pass without contention.
#[derive(Default)]
struct Overlap {
    in_progress: AtomicUsize,
    begun: AtomicUsize,
    begun_beside_another: AtomicUsize,
}

impl Overlap {
    /// Runs one write service call, counting it.
    async fn write<T>(&self, call: impl Future<Output = T>) -> T {
        let others = self.in_progress.fetch_add(1, Ordering::SeqCst);
        self.begun.fetch_add(1, Ordering::SeqCst);
        if others > 0 {
            self.begun_beside_another.fetch_add(1, Ordering::SeqCst);
        }
        let result = call.await;
        self.in_progress.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

/// One round of registry writes on a variable of the task's own; the system versions it took.
async fn registry_round(
    shared: &Shared,
    task: usize,
    round: usize,
    actor: &Actor,
) -> Result<i64, String> {
    let (db, overlap) = (&shared.db, &shared.overlap);
    let name = format!("conc_t{task}_r{round}");
    let step = |what: &'static str| {
        let name = name.clone();
        move |e: AppError| format!("{what} {name:?}: {e:?}")
    };
    let new = NewVariable {
        name: name.clone(),
        display_name: None,
        units: "V".into(),
        description: String::new(),
        category: Category::Oper,
        locator: Some("system.global".into()),
        paths: vec![modbus_path(1_000 + round as u16)],
    };
    let created = overlap
        .write(write::create_variable(db, &new, actor))
        .await
        .map_err(step("create"))?;
    let patch = VariablePatch {
        description: Some(format!("task {task} round {round}")),
        ..Default::default()
    };
    let updated = overlap
        .write(write::update_variable(
            db,
            &name,
            created.variable_version,
            &patch,
            actor,
        ))
        .await
        .map_err(step("update"))?;
    let added = overlap
        .write(write::add_path(
            db,
            &name,
            updated.variable_version,
            &modbus_path(2_000 + round as u16),
            actor,
        ))
        .await
        .map_err(step("add path"))?;
    let path_id = added
        .paths
        .iter()
        .flatten()
        .map(|p| p.id)
        .max()
        .ok_or_else(|| format!("{name}: no path after add_path"))?;
    let removed = overlap
        .write(write::remove_path(
            db,
            &name,
            path_id,
            added.variable_version,
            actor,
        ))
        .await
        .map_err(step("remove path"))?;
    overlap
        .write(write::delete_variable(
            db,
            &name,
            removed.variable_version,
            actor,
        ))
        .await
        .map_err(step("delete"))?;
    Ok(REGISTRY_VERSIONS_PER_ROUND)
}

/// Imports a one-variable definition of the task's own whose description changes every round.
async fn import_round(shared: &Shared, task: usize, round: usize) -> Result<i64, String> {
    let data_def = json!([{
        "table": format!("oper:conc{task}:sm16"),
        "items": [{"name": format!("imported_t{task}"), "offset": 0}]
    }])
    .to_string();
    let metadata = json!({
        "variables": {format!("imported_t{task}"): {"description": format!("round {round}")}}
    })
    .to_string();
    let files = ImportFiles {
        data_def_name: "data_def.json",
        data_def: &data_def,
        metadata_name: Some("var_metadata.json"),
        metadata: Some(&metadata),
    };
    let options = ImportOptions {
        dry_run: false,
        prune: false,
        source: "test".into(),
        actor: format!("task{task}"),
        caller: None,
    };
    let report = shared
        .overlap
        .write(import(&shared.db, &files, &options))
        .await
        .map_err(|e| format!("import task {task} round {round}: {e:?}"))?;
    Ok(report.versions_used as i64)
}

fn threshold(quantity: &str, side: Side, level: Level) -> FieldPath {
    FieldPath::level(quantity, side, level, LimitField::Threshold)
}

/// The default set with soc's max warning moved to `value` (valid from 80 to 97).
fn set_with(base: &ProtectionSet, value: f64) -> ProtectionSet {
    let mut set = base.clone();
    set.set_field(
        &threshold("soc", Side::Max, Level::Warning),
        FieldValue::Number(value),
    )
    .expect("soc has a max warning");
    set
}

struct Shared {
    db: DatabaseConnection,
    field: FieldIo,
    protections: Protections,
    base: ProtectionSet,
    overlap: Overlap,
}

/// One round of protection writes, including a deploy to the simulator.
async fn protections_round(
    shared: &Shared,
    task: usize,
    round: usize,
    actor: &Actor,
) -> Result<(), String> {
    let (db, overlap) = (&shared.db, &shared.overlap);
    let fail = |what: String| move |e: AppError| format!("{what}: {e:?}");
    let name = format!("p_t{task}_r{round}");
    let clone_from = round.is_multiple_of(2).then_some("default");
    overlap
        .write(profiles::create(db, &name, "", clone_from, actor))
        .await
        .map_err(fail(format!("create {name}")))?;
    overlap
        .write(profiles::rename(
            db,
            &name,
            None,
            Some(&format!("renamed {round}")),
            actor,
        ))
        .await
        .map_err(fail(format!("rename {name}")))?;
    let scratch = format!("scratch_t{task}_r{round}");
    overlap
        .write(profiles::create(db, &scratch, "", None, actor))
        .await
        .map_err(fail(format!("create {scratch}")))?;
    overlap
        .write(profiles::delete(db, &scratch, actor))
        .await
        .map_err(fail(format!("delete {scratch}")))?;
    let set = set_with(&shared.base, 80.0 + ((task + round) % 15) as f64);
    // The first save creates the task's own profile at version 1.
    overlap
        .write(profiles::save(
            db,
            Some(&format!("own_t{task}")),
            &set,
            actor,
        ))
        .await
        .map_err(fail(format!("save own_t{task}")))?;
    // A value no other save of the shared profile uses: a save of what the profile holds
    // already takes no version, and every save here must take one.
    let unique = set_with(&shared.base, 80.0 + (task * ROUNDS + round) as f64 / 100.0);
    overlap
        .write(profiles::save(db, Some("shared"), &unique, actor))
        .await
        .map_err(fail("save shared".into()))?;
    if !round.is_multiple_of(DEPLOY_EVERY) {
        return Ok(());
    }
    let detail = overlap
        .write(service::save_and_deploy(
            db,
            &shared.field,
            &shared.protections,
            Some(&format!("deployed_t{task}")),
            &set,
            actor,
        ))
        .await
        .map_err(fail(format!("deploy task {task} round {round}")))?;
    if detail.summary.status != model::profiles::DeploymentStatus::Succeeded {
        return Err(format!(
            "deploy task {task} round {round}: {}",
            detail.summary.message
        ));
    }
    Ok(())
}

/// The example registry (whose `prot:sbmu:hold` limits the simulator holds), the seeded default
/// profile, a `shared` profile, and field I/O to a simulator on loopback.
async fn prepare(db: &DatabaseConnection, cancel: &CancellationToken) -> Shared {
    common::import_examples(db, "tester").await;
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let defaults = std::fs::read_to_string(examples.join("protections_default.json")).unwrap();
    let actor = Actor::new("tester", "test");
    profiles::seed_default(db, "protections_default.json", &defaults, &actor)
        .await
        .unwrap();
    let base = profiles::load(db, None).await.unwrap().1;
    profiles::save(db, Some("shared"), &base, &actor)
        .await
        .unwrap();
    let simulator = Simulator::new();
    let addr = simulator
        .serve_tcp("127.0.0.1:0".parse().unwrap(), cancel.clone())
        .await
        .unwrap();
    let config = json!({
        "buses": [{"name": "site", "endpoint": {"tcp": {"addr": addr.to_string()}}, "request_timeout_ms": 2000}],
        "devices": {"bms": "site"},
        "memory": {"prot:sbmu:hold": {"bus": "site", "unit_id": BMS_UNIT, "table": "holding", "base": 0}}
    })
    .to_string();
    let field = FieldIo::start(
        db.clone(),
        FieldConfig::parse("field.json", &config).unwrap(),
        cancel.clone(),
    );
    Shared {
        db: db.clone(),
        field,
        protections: Protections::new(ProtectionsConfig::default()),
        base,
        overlap: Overlap::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_write_service_from_8_tasks_at_once_neither_fails_nor_loses_a_write() {
    tracing::subscriber::set_global_default(ErrorLog).unwrap();
    // The backends are independent: test them at the same time.
    let runs: Vec<_> = common::each_backend_migrated()
        .await
        .into_iter()
        .map(|test_db| tokio::spawn(exercise(test_db)))
        .collect();
    for run in runs {
        if let Err(error) = run.await {
            std::panic::resume_unwind(error.into_panic());
        }
    }
}

/// Runs the rounds on one backend and checks what they left.
async fn exercise(test_db: common::TestDb) {
    let backend = test_db.backend();
    let db = test_db.db.clone();
    let cancel = CancellationToken::new();
    let shared = std::sync::Arc::new(prepare(&db, &cancel).await);
    let start_version = system_version_of(&db).await.unwrap();
    let started = Instant::now();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let shared = shared.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let actor = Actor::new(format!("task{task}"), "test");
            let mut versions = 0;
            let mut errors = Vec::new();
            for round in 0..ROUNDS {
                match registry_round(&shared, task, round, &actor).await {
                    Ok(used) => versions += used,
                    Err(e) => errors.push(e),
                }
                if round.is_multiple_of(IMPORT_EVERY) {
                    match import_round(&shared, task, round).await {
                        Ok(used) => versions += used,
                        Err(e) => errors.push(e),
                    }
                }
                if let Err(e) = protections_round(&shared, task, round, &actor).await {
                    errors.push(e);
                }
                // All tasks activate a profile at the same moment; then one profile, and only
                // one, is active.
                barrier.wait().await;
                let name = format!("p_t{task}_r{round}");
                let activated = shared
                    .overlap
                    .write(profiles::activate(&shared.db, &name, &actor))
                    .await;
                if let Err(e) = activated {
                    errors.push(format!("activate {name}: {e:?}"));
                }
                if barrier.wait().await.is_leader() {
                    match profiles::list(&shared.db).await {
                        Ok(list) => {
                            let active: Vec<String> = list
                                .into_iter()
                                .filter(|p| p.active)
                                .map(|p| p.name)
                                .collect();
                            if active.len() != 1 {
                                errors.push(format!("round {round}: active profiles {active:?}"));
                            }
                        }
                        Err(e) => errors.push(format!("list profiles: {e:?}")),
                    }
                }
            }
            (versions, errors)
        }));
    }
    let mut versions = 0;
    let mut errors = Vec::new();
    for task in tasks {
        let (used, failed) = task.await.unwrap();
        versions += used;
        errors.extend(failed);
    }
    let elapsed = started.elapsed();
    let begun = shared.overlap.begun.load(Ordering::SeqCst);
    let beside_another = shared.overlap.begun_beside_another.load(Ordering::SeqCst);
    eprintln!(
        "{backend}: {TASKS} tasks x {ROUNDS} rounds of every write in {:.2} s: {begun} writes, {beside_another} begun while another was in progress",
        elapsed.as_secs_f64()
    );
    // The writes met, so the test proves something: with all tasks writing all the time, a
    // write rarely begins alone (the first after each barrier does). Without the overlap, no
    // write could have waited for another, and none could have failed for it.
    assert!(
        2 * beside_another > begun,
        "{backend}: only {beside_another} of {begun} writes began while another was in progress"
    );
    assert!(
        errors.is_empty(),
        "{backend}: {} failed writes or broken invariants, e.g. {:#?}\nthe database said (count, error; on either backend): {:#?}",
        errors.len(),
        &errors[..errors.len().min(5)],
        database_errors()
    );

    // Registry: every version taken is accounted for, every write is visible.
    assert_eq!(
        system_version_of(&db).await.unwrap(),
        start_version + versions,
        "{backend}: system versions"
    );
    for task in 0..TASKS {
        for round in 0..ROUNDS {
            let name = format!("conc_t{task}_r{round}");
            let variable = query::get_variable(&db, &name).await.unwrap();
            assert!(variable.deleted, "{backend}: {name}");
            assert_eq!(variable.variable_version, 5, "{backend}: {name}");
            assert_eq!(
                variable.description,
                format!("task {task} round {round}"),
                "{backend}: {name}"
            );
            let paths = variable.paths.unwrap_or_default();
            assert_eq!(
                (paths.len(), paths.iter().filter(|p| p.active).count()),
                (2, 1),
                "{backend}: {name}"
            );
        }
        let imported = query::get_variable(&db, &format!("imported_t{task}"))
            .await
            .unwrap();
        assert_eq!(
            (imported.variable_version, imported.description.as_str()),
            (
                ROUNDS.div_ceil(IMPORT_EVERY) as i64,
                format!("round {}", (ROUNDS - 1) / IMPORT_EVERY * IMPORT_EVERY).as_str()
            ),
            "{backend}: imported_t{task}"
        );
    }

    // Protections: every save took a version, no limit is doubled, one profile is active.
    let list = profiles::list(&db).await.unwrap();
    let version_of = |name: &str| {
        list.iter()
            .find(|p| p.name == name)
            .map(|p| p.version)
            .unwrap_or_else(|| panic!("{backend}: no profile {name}"))
    };
    assert_eq!(
        version_of("shared"),
        1 + (TASKS * ROUNDS) as i64,
        "{backend}: saves of the shared profile"
    );
    let (shared_summary, shared_set) = profiles::load(&db, Some("shared")).await.unwrap();
    let limit_rows = protection_limit::Entity::find()
        .filter(protection_limit::Column::ProfileId.eq(shared_summary.id))
        .count(&db)
        .await
        .unwrap();
    let expected_rows: usize = shared_set
        .values()
        .map(|limits| limits.sides().count())
        .sum();
    assert_eq!(
        limit_rows as usize, expected_rows,
        "{backend}: shared limits"
    );
    for task in 0..TASKS {
        assert_eq!(
            version_of(&format!("own_t{task}")),
            ROUNDS as i64,
            "{backend}: own_t{task}"
        );
        // Every save and deploy saves the profile once.
        assert_eq!(
            version_of(&format!("deployed_t{task}")),
            ROUNDS.div_ceil(DEPLOY_EVERY) as i64,
            "{backend}: deployed_t{task}"
        );
        for round in 0..ROUNDS {
            let name = format!("p_t{task}_r{round}");
            let profile = list.iter().find(|p| p.name == name);
            assert_eq!(
                profile.map(|p| p.description.clone()),
                Some(format!("renamed {round}")),
                "{backend}: {name}"
            );
        }
    }
    assert!(
        !list.iter().any(|p| p.name.starts_with("scratch_")),
        "{backend}: deleted profiles are gone"
    );
    let active: Vec<&str> = list
        .iter()
        .filter(|p| p.active)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(active.len(), 1, "{backend}: one active profile: {active:?}");
    assert!(active[0].starts_with("p_t"), "{backend}: {active:?}");
    assert_eq!(
        list.len(),
        2 + 2 * TASKS + TASKS * ROUNDS,
        "{backend}: default, shared, own_*, deployed_* and p_*"
    );
    let deployments = protection_deployment::Entity::find()
        .filter(
            protection_deployment::Column::Status
                .eq(model::profiles::DeploymentStatus::Succeeded.as_str()),
        )
        .count(&db)
        .await
        .unwrap();
    assert_eq!(
        deployments,
        (TASKS * ROUNDS.div_ceil(DEPLOY_EVERY)) as u64,
        "{backend}: deployments"
    );
    cancel.cancel();
}
