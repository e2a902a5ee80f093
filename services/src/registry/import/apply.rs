//! Applying an import plan inside the import's transaction: bulk inserts of new variables and
//! their paths, one update per changed variable and path, and the change log of all of it.

use entity::system_variable::{self, locator_column};
use entity::{variable_access_path, variable_change_log};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QuerySelect,
    Statement, Value,
};

use super::ImportOptions;
use super::load::ExistingVariable;
use super::plan::{PathChange, Plan, VariableChange, canonical, path_field};
use crate::registry::bulk::{BulkInsert, ROWS_PER_STATEMENT, insert_verb};
use crate::registry::definition::{DesiredPath, DesiredVariable};
use model::error::AppError;
use model::registry::{AccessType, ChangeType, FieldChange};

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
    change_type: ChangeType,
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
        change_type: Set(change_type),
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
        access_type: Set(AccessType::MemoryOffset),
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

/// Applies `plan` with the system versions from `first_version` on, in the plan's order: each
/// variable takes one, then each of its paths one.
pub(super) async fn apply(
    txn: &DatabaseTransaction,
    plan: &Plan<'_>,
    first_version: i64,
    options: &ImportOptions,
) -> Result<(), AppError> {
    let mut applier = Applier {
        txn,
        options,
        now: chrono::Utc::now(),
        next_version: first_version,
        logs: Vec::new(),
    };
    applier.insert_new_variables(plan).await?;
    // Changed variables: few, so one UPDATE per row.
    for change in &plan.changes {
        if let VariableChange::Changed {
            existing,
            desired,
            fields,
            paths,
            ..
        } = change
        {
            let variable_version = applier.update_variable(existing, *desired, fields).await?;
            for path in paths {
                applier
                    .apply_path_change(existing.id, variable_version, path)
                    .await?;
            }
        }
    }
    insert_chunks(txn, applier.logs).await?;
    Ok(())
}

/// The state of one import being applied: its transaction, the next system version to hand out,
/// and the change-log rows of updated variables (inserted together at the end).
struct Applier<'a> {
    txn: &'a DatabaseTransaction,
    options: &'a ImportOptions,
    now: chrono::DateTime<chrono::Utc>,
    next_version: i64,
    logs: Vec<variable_change_log::ActiveModel>,
}

impl Applier<'_> {
    fn take_version(&mut self) -> i64 {
        let version = self.next_version;
        self.next_version += 1;
        version
    }

    /// New variables. Each takes a version, then each of its paths one. Their ids are assigned
    /// here (the version lock keeps every other registry writer out until commit), so every
    /// INSERT can be built before the previous one has run: see `execute_pipelined`.
    async fn insert_new_variables(&mut self, plan: &Plan<'_>) -> Result<(), AppError> {
        let new_variables: Vec<&DesiredVariable> = plan
            .changes
            .iter()
            .filter_map(|change| match change {
                VariableChange::New(wanted) => Some(*wanted),
                VariableChange::Changed { .. } => None,
            })
            .collect();
        if new_variables.is_empty() {
            return Ok(());
        }
        let first_id = next_variable_id(self.txn).await?;
        let mut versions = Vec::with_capacity(new_variables.len());
        for wanted in &new_variables {
            versions.push(self.take_version());
            for _ in &wanted.paths {
                self.take_version();
            }
        }
        insert_new_variables(
            self.txn,
            &new_variables,
            first_id,
            &versions,
            self.options,
            self.now,
        )
        .await
    }

    /// Updates one existing variable to what the files describe (or only bumps its versions when
    /// the files no longer mention it) and logs each changed field; its new variable version.
    async fn update_variable(
        &mut self,
        existing: &ExistingVariable,
        desired: Option<&DesiredVariable>,
        fields: &[FieldChange],
    ) -> Result<i64, AppError> {
        let version = self.take_version();
        let variable_version = existing.variable_version + 1;
        let mut row = system_variable::ActiveModel {
            id: Set(existing.id),
            variable_version: Set(variable_version),
            system_version: Set(version),
            last_updated: Set(self.now),
            ..Default::default()
        };
        // Only the fields the plan changes: an edited field it keeps stays as it is.
        if let Some(wanted) = desired {
            for field in fields {
                match field.field.as_str() {
                    "display_name" => row.display_name = Set(wanted.display_name.clone()),
                    "units" => row.units = Set(wanted.units.clone()),
                    "description" => row.description = Set(wanted.description.clone()),
                    "category" => row.category = Set(wanted.category),
                    "locator" => row.locator = Set(locator_column(wanted.locator.as_deref())),
                    "deleted" => row.deleted = Set(false),
                    _ => {}
                }
            }
            if !fields.is_empty() {
                row.source_system = Set(self.options.source.clone());
            }
        }
        system_variable::Entity::update(row).exec(self.txn).await?;
        let stamp = Stamp {
            variable_id: existing.id,
            variable_version,
            system_version: version,
        };
        for field in fields {
            self.log(stamp, None, ChangeType::Updated, field);
        }
        Ok(variable_version)
    }

    /// Adds, updates or deactivates one memory path of an existing variable, and logs it.
    async fn apply_path_change(
        &mut self,
        variable_id: i64,
        variable_version: i64,
        change: &PathChange,
    ) -> Result<(), AppError> {
        let stamp = Stamp {
            variable_id,
            variable_version,
            system_version: self.take_version(),
        };
        let (now, version) = (self.now, stamp.system_version);
        match change {
            PathChange::Add(p) => {
                let inserted =
                    variable_access_path::Entity::insert(path_row(variable_id, p, version, now))
                        .exec(self.txn)
                        .await?;
                let added = FieldChange {
                    field: path_field(&p.reference.table),
                    old: None,
                    new: Some(canonical(&p.reference)),
                };
                self.log(
                    stamp,
                    Some(inserted.last_insert_id),
                    ChangeType::PathAdded,
                    &added,
                );
            }
            PathChange::Update { id, old, new, .. } => {
                update_path(self.txn, *id, Some(canonical(new)), true, version, now).await?;
                let updated = FieldChange {
                    field: path_field(&new.table),
                    old: Some(canonical(old)),
                    new: Some(canonical(new)),
                };
                self.log(stamp, Some(*id), ChangeType::PathUpdated, &updated);
            }
            PathChange::Deactivate { id, old } => {
                update_path(self.txn, *id, None, false, version, now).await?;
                let removed = FieldChange {
                    field: path_field(&old.table),
                    old: Some(canonical(old)),
                    new: None,
                };
                self.log(stamp, Some(*id), ChangeType::PathRemoved, &removed);
            }
        }
        Ok(())
    }

    fn log(
        &mut self,
        stamp: Stamp,
        path_id: Option<i64>,
        change_type: ChangeType,
        change: &FieldChange,
    ) {
        self.logs.push(log_row(
            stamp,
            path_id,
            change_type,
            Some(change),
            self.options,
            self.now,
        ));
    }
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
    // (variable index, path index) of every new path, in insertion order.
    let new_paths: Vec<(usize, usize)> = new_variables
        .iter()
        .enumerate()
        .flat_map(|(v, wanted)| (0..wanted.paths.len()).map(move |p| (v, p)))
        .collect();
    let variable_inserts =
        variable_inserts(backend, new_variables, first_id, versions, options, now);
    let path_inserts = path_inserts(backend, new_variables, &new_paths, first_id, versions, now);
    if backend == DbBackend::Sqlite {
        // Check the paths' foreign key at commit instead of after each statement, so that SQLite
        // needs no statement journal for them either (see `insert_verb`). It is still
        // checked: a dangling path fails the COMMIT. SQLite switches this off again at commit.
        txn.execute_unprepared("PRAGMA defer_foreign_keys = ON")
            .await?;
    }
    execute_pipelined(txn, variable_inserts.chain(path_inserts)).await?;
    let last_id = new_variable_id(first_id, new_variables.len() - 1);
    log_new_variables(txn, first_id, last_id, options, now).await?;
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

/// The id of the `v`-th new variable of an import whose new ids start at `first_id`.
fn new_variable_id(first_id: i64, v: usize) -> i64 {
    first_id + v as i64
}

/// The multi-row INSERTs of the new variables' rows, each built only when it is asked for.
fn variable_inserts<'a>(
    backend: DbBackend,
    new_variables: &'a [&'a DesiredVariable],
    first_id: i64,
    versions: &'a [i64],
    options: &ImportOptions,
    now: chrono::DateTime<chrono::Utc>,
) -> impl Iterator<Item = Statement> + 'a {
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
    new_variables
        .chunks(ROWS_PER_STATEMENT)
        .enumerate()
        .map(move |(c, chunk)| {
            let mut values = Vec::with_capacity(chunk.len() * variables.row_width());
            for (i, wanted) in chunk.iter().enumerate() {
                let v = c * ROWS_PER_STATEMENT + i;
                values.extend([
                    new_variable_id(first_id, v).into(),
                    wanted.name.clone().into(),
                    wanted.display_name.clone().into(),
                    wanted.units.clone().into(),
                    wanted.description.clone().into(),
                    wanted.category.into(),
                    locator_column(wanted.locator.as_deref()).into(),
                    versions[v].into(),
                ]);
            }
            variables.statement(values)
        })
}

/// The multi-row INSERTs of the new paths (`new_paths` holds variable and path index), each
/// built only when it is asked for: `versions[v]` is variable v's version, its paths take the
/// next ones.
fn path_inserts<'a>(
    backend: DbBackend,
    new_variables: &'a [&'a DesiredVariable],
    new_paths: &'a [(usize, usize)],
    first_id: i64,
    versions: &'a [i64],
    now: chrono::DateTime<chrono::Utc>,
) -> impl Iterator<Item = Statement> + 'a {
    let paths = BulkInsert::new(backend, "variable_access_paths")
        .shared("access_type", AccessType::MemoryOffset)
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
    new_paths.chunks(ROWS_PER_STATEMENT).map(move |chunk| {
        let mut values = Vec::with_capacity(chunk.len() * paths.row_width());
        for &(v, p) in chunk {
            let path = &new_variables[v].paths[p];
            values.extend([
                new_variable_id(first_id, v).into(),
                canonical(&path.reference).into(),
                path.priority.into(),
                path.read_only.into(),
                (versions[v] + 1 + p as i64).into(),
            ]);
        }
        paths.statement(values)
    })
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
    let (created, path_added) = (ChangeType::Created, ChangeType::PathAdded);
    let created = format!(
        "{insert} variable_change_log ({columns}) \
         SELECT v.id, NULL, '{created}', 'name', v.name, v.system_version, 1, \
         {at}, {actor}, {source} \
         FROM system_variables v WHERE v.id >= {first} AND v.id <= {last}"
    );
    let paths_added = format!(
        "{insert} variable_change_log ({columns}) \
         SELECT p.variable_id, p.id, '{path_added}', {path_field}, p.reference, p.system_version, \
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
