//! Importing `data_def.json` + `var_metadata.json`: compares what the files describe with the
//! registry, reports the field-level diff, and applies it in one transaction with one system
//! version per changed variable and per changed path.

use std::collections::HashMap;

use entity::{system_variable, variable_access_path, variable_change_log};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Statement, Value,
};

use super::bulk::{BulkInsert, ROWS_PER_STATEMENT, insert_verb};
use super::definition::{self, DesiredPath, DesiredVariable};
use super::versions;
use crate::database::begin_write;
use model::error::AppError;
use model::registry::{
    AccessType, FieldChange, ImportReport, MAX_REPORTED_DIFFS, MemoryOffsetRef, VariableDiff,
};

/// Who imports, from where, and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Compute and report, write nothing.
    pub dry_run: bool,
    /// Deactivate memory paths that the definition file no longer has.
    pub prune: bool,
    /// Recorded as `source_system` on new and changed rows.
    pub source: String,
    /// Recorded as `changed_by` in the change log.
    pub actor: String,
}

/// The two input files, already read, with the names to use in error messages.
pub struct ImportFiles<'a> {
    pub data_def_name: &'a str,
    pub data_def: &'a str,
    pub metadata_name: Option<&'a str>,
    pub metadata: Option<&'a str>,
}

/// Parses both files and resolves the registry they describe (no database involved).
pub fn read_definition(files: &ImportFiles<'_>) -> Result<(Vec<DesiredVariable>, u64), AppError> {
    let data_def = definition::parse_data_def(files.data_def_name, files.data_def)
        .map_err(|e| AppError::validation("data_def", e.to_string()))?;
    let metadata = match files.metadata {
        Some(text) => {
            definition::parse_metadata(files.metadata_name.unwrap_or("var_metadata.json"), text)
                .map_err(|e| AppError::validation("metadata", e.to_string()))?
        }
        None => definition::Metadata::default(),
    };
    let variables = definition::resolve(&data_def, &metadata, files.data_def_name)
        .map_err(|e| AppError::validation("data_def", e.to_string()))?;
    Ok((variables, data_def.gaps_skipped))
}

/// Imports the files; on a dry run nothing is written. All or nothing.
pub async fn import(
    db: &DatabaseConnection,
    files: &ImportFiles<'_>,
    options: &ImportOptions,
) -> Result<ImportReport, AppError> {
    let started = std::time::Instant::now();
    let (desired, gaps) = read_definition(files)?;
    let parsed = started.elapsed();
    let txn = begin_write(db).await?;
    // Lock first (see versions::lock) so the state we diff against cannot change under us.
    let current_version = versions::lock(&txn).await?;
    let existing = Existing::load(&txn).await?;
    let loaded = started.elapsed();
    let plan = plan(&desired, &existing, options.prune);
    tracing::debug!(?parsed, ?loaded, planned = ?started.elapsed(), "import phases");
    let mut report = plan.report(gaps, options.dry_run);
    report.system_version = current_version;
    if options.dry_run || plan.versions_needed == 0 {
        txn.rollback().await?;
        return Ok(report);
    }
    let first = versions::allocate(&txn, plan.versions_needed as i64).await?;
    apply(&txn, &plan, first, options).await?;
    let applied = started.elapsed();
    txn.commit().await?;
    tracing::debug!(?applied, committed = ?started.elapsed(), "import phases");
    report.versions_used = plan.versions_needed;
    report.system_version = first + plan.versions_needed as i64 - 1;
    Ok(report)
}

// ------------------------------------------------------------------ the registry as it is

struct ExistingPath {
    id: i64,
    active: bool,
    reference: MemoryOffsetRef,
}

/// A registry variable as the diff needs it: not the whole row, because parsing every row's
/// timestamp alone took a tenth of a 100k-variable re-import.
#[derive(FromQueryResult)]
struct ExistingVariable {
    id: i64,
    name: String,
    display_name: String,
    units: String,
    description: String,
    category: String,
    locator: String,
    variable_version: i64,
    deleted: bool,
}

/// The variables and memory paths in the database, indexed for diffing.
struct Existing {
    variables: HashMap<String, ExistingVariable>,
    /// variable id -> its memory paths (active or not).
    memory_paths: HashMap<i64, Vec<ExistingPath>>,
}

/// Rows per read when loading the registry for a diff: bounded so a 100k-variable registry is
/// never held twice (once as driver rows, once as models) at the same time.
const LOAD_CHUNK: u64 = 10_000;

impl Existing {
    async fn load(txn: &DatabaseTransaction) -> Result<Self, AppError> {
        let mut variables = HashMap::new();
        let mut after = 0i64;
        loop {
            use system_variable::Column;
            let chunk: Vec<ExistingVariable> = system_variable::Entity::find()
                .select_only()
                .columns([
                    Column::Id,
                    Column::Name,
                    Column::DisplayName,
                    Column::Units,
                    Column::Description,
                    Column::Category,
                    Column::Locator,
                    Column::VariableVersion,
                    Column::Deleted,
                ])
                .filter(Column::Id.gt(after))
                .order_by_asc(Column::Id)
                .limit(LOAD_CHUNK)
                .into_model()
                .all(txn)
                .await?;
            let Some(last) = chunk.last() else { break };
            after = last.id;
            variables.extend(chunk.into_iter().map(|v| (v.name.clone(), v)));
        }

        let mut memory_paths: HashMap<i64, Vec<ExistingPath>> = HashMap::new();
        let mut after = 0i64;
        loop {
            // Only the columns the diff needs: re-imports read every memory path.
            let chunk: Vec<(i64, i64, String, bool)> = variable_access_path::Entity::find()
                .select_only()
                .column(variable_access_path::Column::Id)
                .column(variable_access_path::Column::VariableId)
                .column(variable_access_path::Column::Reference)
                .column(variable_access_path::Column::Active)
                .filter(variable_access_path::Column::Id.gt(after))
                .filter(
                    variable_access_path::Column::AccessType.eq(AccessType::MemoryOffset.as_str()),
                )
                .order_by_asc(variable_access_path::Column::Id)
                .limit(LOAD_CHUNK)
                .into_tuple()
                .all(txn)
                .await?;
            let Some(&(last, ..)) = chunk.last() else {
                break;
            };
            after = last;
            for (id, variable_id, text, active) in chunk {
                let reference: MemoryOffsetRef = serde_json::from_str(&text).map_err(|e| {
                    AppError::Internal(format!("stored reference of path {id} is invalid: {e}"))
                })?;
                memory_paths
                    .entry(variable_id)
                    .or_default()
                    .push(ExistingPath {
                        id,
                        active,
                        reference,
                    });
            }
        }
        Ok(Existing {
            variables,
            memory_paths,
        })
    }
}

// ------------------------------------------------------------------ the plan

/// A change to one memory path of an existing variable.
enum PathChange {
    Add(DesiredPath),
    /// Different offset/size/num, or reactivated.
    Update {
        id: i64,
        old: MemoryOffsetRef,
        old_active: bool,
        new: MemoryOffsetRef,
    },
    Deactivate {
        id: i64,
        old: MemoryOffsetRef,
    },
}

enum VariableChange<'a> {
    New(&'a DesiredVariable),
    Changed {
        existing: &'a ExistingVariable,
        desired: Option<&'a DesiredVariable>,
        fields: Vec<FieldChange>,
        paths: Vec<PathChange>,
    },
}

struct Plan<'a> {
    changes: Vec<VariableChange<'a>>,
    unchanged: u64,
    versions_needed: u64,
}

/// The stored text of a memory reference: the same text as the generic JSON encoding (keys in
/// order, see the test below), written directly because a fresh import writes it 210,000 times.
fn canonical(reference: &MemoryOffsetRef) -> String {
    let table = serde_json::to_string(&reference.table).expect("a string always serialises");
    format!(
        r#"{{"num":{},"offset":{},"size":{},"table":{table}}}"#,
        reference.num, reference.offset, reference.size
    )
}

fn path_field(table: &str) -> String {
    format!("path[{table}]")
}

fn plan<'a>(desired: &'a [DesiredVariable], existing: &'a Existing, prune: bool) -> Plan<'a> {
    let mut plan = Plan {
        changes: Vec::new(),
        unchanged: 0,
        versions_needed: 0,
    };
    let no_paths = Vec::new();
    for wanted in desired {
        let Some(current) = existing.variables.get(&wanted.name) else {
            plan.versions_needed += 1 + wanted.paths.len() as u64;
            plan.changes.push(VariableChange::New(wanted));
            continue;
        };
        let mut fields = Vec::new();
        let mut compare = |field: &str, old: &str, new: &str| {
            if old != new {
                fields.push(FieldChange {
                    field: field.to_string(),
                    old: Some(old.to_string()),
                    new: Some(new.to_string()),
                });
            }
        };
        compare("display_name", &current.display_name, &wanted.display_name);
        compare("units", &current.units, &wanted.units);
        compare("description", &current.description, &wanted.description);
        compare("category", &current.category, wanted.category.as_str());
        compare("locator", &current.locator, &wanted.locator);
        if current.deleted {
            compare("deleted", "true", "false");
        }

        let current_paths = existing.memory_paths.get(&current.id).unwrap_or(&no_paths);
        let mut paths = Vec::new();
        for wanted_path in &wanted.paths {
            match current_paths
                .iter()
                .find(|p| p.reference.table == wanted_path.reference.table)
            {
                None => paths.push(PathChange::Add(wanted_path.clone())),
                Some(have) if have.reference != wanted_path.reference || !have.active => paths
                    .push(PathChange::Update {
                        id: have.id,
                        old: have.reference.clone(),
                        old_active: have.active,
                        new: wanted_path.reference.clone(),
                    }),
                Some(_) => {}
            }
        }
        if prune {
            for have in current_paths.iter().filter(|p| p.active) {
                if !wanted
                    .paths
                    .iter()
                    .any(|w| w.reference.table == have.reference.table)
                {
                    paths.push(PathChange::Deactivate {
                        id: have.id,
                        old: have.reference.clone(),
                    });
                }
            }
        }
        if fields.is_empty() && paths.is_empty() {
            plan.unchanged += 1;
        } else {
            plan.versions_needed += 1 + paths.len() as u64;
            plan.changes.push(VariableChange::Changed {
                existing: current,
                desired: Some(wanted),
                fields,
                paths,
            });
        }
    }
    if prune {
        // Variables the file no longer mentions at all lose their active memory paths.
        let mentioned: std::collections::HashSet<&str> =
            desired.iter().map(|d| d.name.as_str()).collect();
        let mut orphans: Vec<&ExistingVariable> = existing
            .variables
            .values()
            .filter(|v| !v.deleted && !mentioned.contains(v.name.as_str()))
            .collect();
        orphans.sort_by_key(|v| v.id);
        for variable in orphans {
            let paths: Vec<PathChange> = existing
                .memory_paths
                .get(&variable.id)
                .unwrap_or(&no_paths)
                .iter()
                .filter(|p| p.active)
                .map(|p| PathChange::Deactivate {
                    id: p.id,
                    old: p.reference.clone(),
                })
                .collect();
            if !paths.is_empty() {
                plan.versions_needed += 1 + paths.len() as u64;
                plan.changes.push(VariableChange::Changed {
                    existing: variable,
                    desired: None,
                    fields: Vec::new(),
                    paths,
                });
            }
        }
    }
    plan
}

impl Plan<'_> {
    fn report(&self, gaps: u64, dry_run: bool) -> ImportReport {
        let mut report = ImportReport {
            unchanged: self.unchanged,
            skipped: gaps,
            dry_run,
            ..ImportReport::default()
        };
        for change in &self.changes {
            let diff = match change {
                VariableChange::New(wanted) => {
                    report.new += 1;
                    report.paths_added += wanted.paths.len() as u64;
                    VariableDiff {
                        name: wanted.name.clone(),
                        kind: "new".into(),
                        changes: Vec::new(),
                    }
                }
                VariableChange::Changed {
                    existing,
                    fields,
                    paths,
                    ..
                } => {
                    report.changed += 1;
                    let mut changes = fields.clone();
                    for path in paths {
                        match path {
                            PathChange::Add(p) => {
                                report.paths_added += 1;
                                changes.push(FieldChange {
                                    field: path_field(&p.reference.table),
                                    old: None,
                                    new: Some(canonical(&p.reference)),
                                });
                            }
                            PathChange::Update {
                                old,
                                old_active,
                                new,
                                ..
                            } => {
                                report.paths_updated += 1;
                                let old_text = if *old_active {
                                    canonical(old)
                                } else {
                                    format!("{} (inactive)", canonical(old))
                                };
                                changes.push(FieldChange {
                                    field: path_field(&new.table),
                                    old: Some(old_text),
                                    new: Some(canonical(new)),
                                });
                            }
                            PathChange::Deactivate { old, .. } => {
                                report.paths_deactivated += 1;
                                changes.push(FieldChange {
                                    field: path_field(&old.table),
                                    old: Some(canonical(old)),
                                    new: None,
                                });
                            }
                        }
                    }
                    VariableDiff {
                        name: existing.name.clone(),
                        kind: "changed".into(),
                        changes,
                    }
                }
            };
            if report.diffs.len() < MAX_REPORTED_DIFFS {
                report.diffs.push(diff);
            } else {
                report.diffs_truncated = true;
            }
        }
        report
    }
}

// ------------------------------------------------------------------ applying it

/// Inserts sea-orm rows in multi-row statements: 2,000 rows × ≤ 13 columns stays under SQLite's
/// 32,766 bound parameters and PostgreSQL's 65,535.
async fn insert_chunks<A, C>(txn: &C, rows: Vec<A>) -> Result<(), AppError>
where
    A: sea_orm::ActiveModelTrait + Send,
    C: ConnectionTrait,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_STATEMENT).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Runs the statements in order, building each next one while the database runs the current one:
/// SQLite executes on its own worker thread (PostgreSQL in its server process), so on two cores
/// statement building and execution overlap instead of taking turns.
async fn execute_pipelined(
    txn: &DatabaseTransaction,
    mut statements: impl Iterator<Item = Statement>,
) -> Result<(), AppError> {
    let mut current = statements.next();
    while let Some(statement) = current {
        // `join!` polls the execution first (it hands the statement to the driver and waits),
        // then builds the next statement on this thread in the meantime.
        let (executed, next) =
            tokio::join!(txn.execute_raw(statement), async { statements.next() });
        executed?;
        current = next;
    }
    Ok(())
}

/// The id the next new variable gets. Only valid under the version lock (see `versions::lock`),
/// which every registry writer takes before inserting.
async fn next_variable_id(txn: &DatabaseTransaction) -> Result<i64, AppError> {
    let max: Option<i64> = system_variable::Entity::find()
        .select_only()
        .column_as(system_variable::Column::Id.max(), "max_id")
        .into_tuple()
        .one(txn)
        .await?
        .flatten();
    Ok(max.unwrap_or(0) + 1)
}

/// Which variable a change-log row belongs to and the versions it records.
#[derive(Clone, Copy)]
struct Stamp {
    variable_id: i64,
    variable_version: i64,
    system_version: i64,
}

fn log_row(
    stamp: Stamp,
    path_id: Option<i64>,
    change_type: &str,
    change: Option<&FieldChange>,
    options: &ImportOptions,
    now: chrono::DateTime<chrono::Utc>,
) -> variable_change_log::ActiveModel {
    let Stamp {
        variable_id,
        variable_version,
        system_version,
    } = stamp;
    variable_change_log::ActiveModel {
        id: NotSet,
        variable_id: Set(variable_id),
        path_id: Set(path_id),
        change_type: Set(change_type.to_string()),
        field_name: Set(change.map(|c| c.field.clone())),
        old_value: Set(change.and_then(|c| c.old.clone())),
        new_value: Set(change.and_then(|c| c.new.clone())),
        timestamp: Set(now),
        changed_by: Set(options.actor.clone()),
        source_system: Set(options.source.clone()),
        variable_version: Set(variable_version),
        system_version: Set(system_version),
    }
}

fn path_row(
    variable_id: i64,
    path: &DesiredPath,
    system_version: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> variable_access_path::ActiveModel {
    variable_access_path::ActiveModel {
        id: NotSet,
        variable_id: Set(variable_id),
        access_type: Set(AccessType::MemoryOffset.as_str().to_string()),
        reference: Set(canonical(&path.reference)),
        priority: Set(path.priority),
        read_only: Set(path.read_only),
        rack_number: Set(None),
        device_id: Set(None),
        path_version: Set(1),
        system_version: Set(system_version),
        last_updated: Set(now),
        active: Set(true),
    }
}

async fn apply(
    txn: &DatabaseTransaction,
    plan: &Plan<'_>,
    first_version: i64,
    options: &ImportOptions,
) -> Result<(), AppError> {
    let now = chrono::Utc::now();
    let mut next_version = first_version;
    let mut take = || {
        let v = next_version;
        next_version += 1;
        v
    };

    // New variables. Each takes a version, then each of its paths one. Their ids are assigned
    // here (the version lock keeps every other registry writer out until commit), so every
    // INSERT can be built before the previous one has run: see `execute_pipelined`.
    let new_variables: Vec<&DesiredVariable> = plan
        .changes
        .iter()
        .filter_map(|change| match change {
            VariableChange::New(wanted) => Some(*wanted),
            VariableChange::Changed { .. } => None,
        })
        .collect();
    if !new_variables.is_empty() {
        let first_id = next_variable_id(txn).await?;
        let versions: Vec<i64> = new_variables
            .iter()
            .map(|wanted| {
                let version = take();
                for _ in &wanted.paths {
                    take();
                }
                version
            })
            .collect();
        insert_new_variables(txn, &new_variables, first_id, &versions, options, now).await?;
    }

    // Changed variables: few, so one UPDATE per row.
    let mut logs = Vec::new();
    for change in &plan.changes {
        let VariableChange::Changed {
            existing,
            desired,
            fields,
            paths,
        } = change
        else {
            continue;
        };
        let version = take();
        let variable_version = existing.variable_version + 1;
        let mut row = system_variable::ActiveModel {
            id: Set(existing.id),
            variable_version: Set(variable_version),
            system_version: Set(version),
            last_updated: Set(now),
            ..Default::default()
        };
        if let Some(wanted) = desired {
            row.display_name = Set(wanted.display_name.clone());
            row.units = Set(wanted.units.clone());
            row.description = Set(wanted.description.clone());
            row.category = Set(wanted.category.as_str().to_string());
            row.locator = Set(wanted.locator.clone());
            row.deleted = Set(false);
            if !fields.is_empty() {
                row.source_system = Set(options.source.clone());
            }
        }
        system_variable::Entity::update(row).exec(txn).await?;
        for field in fields {
            logs.push(log_row(
                Stamp {
                    variable_id: existing.id,
                    variable_version,
                    system_version: version,
                },
                None,
                "updated",
                Some(field),
                options,
                now,
            ));
        }
        for path in paths {
            let path_version = take();
            match path {
                PathChange::Add(p) => {
                    let inserted = variable_access_path::Entity::insert(path_row(
                        existing.id,
                        p,
                        path_version,
                        now,
                    ))
                    .exec(txn)
                    .await?;
                    let added = FieldChange {
                        field: path_field(&p.reference.table),
                        old: None,
                        new: Some(canonical(&p.reference)),
                    };
                    logs.push(log_row(
                        Stamp {
                            variable_id: existing.id,
                            variable_version,
                            system_version: path_version,
                        },
                        Some(inserted.last_insert_id),
                        "path_added",
                        Some(&added),
                        options,
                        now,
                    ));
                }
                PathChange::Update { id, old, new, .. } => {
                    update_path(txn, *id, Some(canonical(new)), true, path_version, now).await?;
                    let updated = FieldChange {
                        field: path_field(&new.table),
                        old: Some(canonical(old)),
                        new: Some(canonical(new)),
                    };
                    logs.push(log_row(
                        Stamp {
                            variable_id: existing.id,
                            variable_version,
                            system_version: path_version,
                        },
                        Some(*id),
                        "path_updated",
                        Some(&updated),
                        options,
                        now,
                    ));
                }
                PathChange::Deactivate { id, old } => {
                    update_path(txn, *id, None, false, path_version, now).await?;
                    let removed = FieldChange {
                        field: path_field(&old.table),
                        old: Some(canonical(old)),
                        new: None,
                    };
                    logs.push(log_row(
                        Stamp {
                            variable_id: existing.id,
                            variable_version,
                            system_version: path_version,
                        },
                        Some(*id),
                        "path_removed",
                        Some(&removed),
                        options,
                        now,
                    ));
                }
            }
        }
    }
    insert_chunks(txn, logs).await?;
    Ok(())
}

/// Inserts new variables with explicit ids from `first_id` on (the version lock keeps every
/// other registry writer out until commit), then their memory paths, then one change-log row per
/// variable and per path: `versions[v]` is variable v's version, its paths take the next ones.
///
/// Every statement can be built before the previous one has run, so building overlaps with
/// execution (see `execute_pipelined`).
async fn insert_new_variables(
    txn: &DatabaseTransaction,
    new_variables: &[&DesiredVariable],
    first_id: i64,
    versions: &[i64],
    options: &ImportOptions,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let backend = txn.get_database_backend();
    let id_of = |v: usize| first_id + v as i64;
    // (variable index, path index) of every new path, in insertion order.
    let new_paths: Vec<(usize, usize)> = new_variables
        .iter()
        .enumerate()
        .flat_map(|(v, wanted)| (0..wanted.paths.len()).map(move |p| (v, p)))
        .collect();
    let variables = BulkInsert::new(backend, "system_variables")
        .shared("variable_version", 1i64)
        .shared("last_updated", now)
        .shared("source_system", options.source.clone())
        .shared("deleted", false)
        .per_row(&[
            "id",
            "name",
            "display_name",
            "units",
            "description",
            "category",
            "locator",
            "system_version",
        ]);
    let variable_inserts =
        new_variables
            .chunks(ROWS_PER_STATEMENT)
            .enumerate()
            .map(|(c, chunk)| {
                let mut values = Vec::with_capacity(chunk.len() * variables.row_width());
                for (i, wanted) in chunk.iter().enumerate() {
                    let v = c * ROWS_PER_STATEMENT + i;
                    values.extend([
                        id_of(v).into(),
                        wanted.name.clone().into(),
                        wanted.display_name.clone().into(),
                        wanted.units.clone().into(),
                        wanted.description.clone().into(),
                        wanted.category.as_str().into(),
                        wanted.locator.clone().into(),
                        versions[v].into(),
                    ]);
                }
                variables.statement(values)
            });

    let paths = BulkInsert::new(backend, "variable_access_paths")
        .shared("access_type", AccessType::MemoryOffset.as_str())
        .shared("path_version", 1i64)
        .shared("last_updated", now)
        .shared("active", true)
        .per_row(&[
            "variable_id",
            "reference",
            "priority",
            "read_only",
            "system_version",
        ]);
    let path_inserts = new_paths.chunks(ROWS_PER_STATEMENT).map(|chunk| {
        let mut values = Vec::with_capacity(chunk.len() * paths.row_width());
        for &(v, p) in chunk {
            let path = &new_variables[v].paths[p];
            values.extend([
                id_of(v).into(),
                canonical(&path.reference).into(),
                path.priority.into(),
                path.read_only.into(),
                (versions[v] + 1 + p as i64).into(),
            ]);
        }
        paths.statement(values)
    });

    if backend == DbBackend::Sqlite {
        // Check the paths' foreign key at commit instead of after each statement, so that SQLite
        // needs no statement journal for them either (see `insert_verb`). It is still
        // checked: a dangling path fails the COMMIT. SQLite switches this off again at commit.
        txn.execute_unprepared("PRAGMA defer_foreign_keys = ON")
            .await?;
    }
    execute_pipelined(txn, variable_inserts.chain(path_inserts)).await?;
    log_new_variables(txn, first_id, id_of(new_variables.len() - 1), options, now).await?;
    if backend == DbBackend::Postgres {
        // Explicit ids do not advance PostgreSQL's sequence: move it past them.
        txn.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('system_variables', 'id'), \
             (SELECT MAX(id) FROM system_variables))",
        )
        .await?;
    }
    Ok(())
}

/// Writes the change log of the new variables `first_id..=last_id` and of their paths, which
/// are all new too: copied inside the database from the rows just inserted (`created` with the
/// name, `path_added` with the path's id and reference), so that none of these ~200,000 rows'
/// values travel through bound parameters. Per variable, `created` gets the lower log id, as
/// when the REST API creates a variable and then adds its paths.
async fn log_new_variables(
    txn: &DatabaseTransaction,
    first_id: i64,
    last_id: i64,
    options: &ImportOptions,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let backend = txn.get_database_backend();
    let insert = insert_verb(backend);
    // `path_field` in SQL: "path[" + the reference's table + "]".
    let path_field = match backend {
        DbBackend::Postgres => "'path[' || (p.reference::json ->> 'table') || ']'",
        _ => "'path[' || json_extract(p.reference, '$.table') || ']'",
    };
    let columns = "variable_id, path_id, change_type, field_name, new_value, system_version, \
                   variable_version, \"timestamp\", changed_by, source_system";
    // The placeholders of the five values below, in their order.
    let (at, actor, source, first, last) = match backend {
        DbBackend::Postgres => ("$1", "$2", "$3", "$4", "$5"),
        _ => ("?", "?", "?", "?", "?"),
    };
    let created = format!(
        "{insert} variable_change_log ({columns}) \
         SELECT v.id, NULL, 'created', 'name', v.name, v.system_version, 1, \
         {at}, {actor}, {source} \
         FROM system_variables v WHERE v.id >= {first} AND v.id <= {last}"
    );
    let paths_added = format!(
        "{insert} variable_change_log ({columns}) \
         SELECT p.variable_id, p.id, 'path_added', {path_field}, p.reference, p.system_version, \
         1, {at}, {actor}, {source} \
         FROM variable_access_paths p WHERE p.variable_id >= {first} AND p.variable_id <= {last}"
    );
    for sql in [created, paths_added] {
        let values: [Value; 5] = [
            now.into(),
            options.actor.clone().into(),
            options.source.clone().into(),
            first_id.into(),
            last_id.into(),
        ];
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

async fn update_path(
    txn: &DatabaseTransaction,
    id: i64,
    reference: Option<String>,
    active: bool,
    system_version: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let current = variable_access_path::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| {
            AppError::Internal(format!("access path {id} vanished during the import"))
        })?;
    let mut row = variable_access_path::ActiveModel {
        id: Set(id),
        active: Set(active),
        path_version: Set(current.path_version + 1),
        system_version: Set(system_version),
        last_updated: Set(now),
        ..Default::default()
    };
    if let Some(reference) = reference {
        row.reference = Set(reference);
    }
    variable_access_path::Entity::update(row).exec(txn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::registry::AccessReference;

    #[test]
    fn canonical_text_matches_the_generic_encoding() {
        for table in ["prot:sbmu:hold", "odd \"name\" \\ ü"] {
            let reference = MemoryOffsetRef {
                table: table.into(),
                offset: 24,
                size: 4,
                num: 96,
            };
            let generic = AccessReference::MemoryOffset(reference.clone())
                .to_json()
                .to_string();
            assert_eq!(canonical(&reference), generic);
        }
    }
}
