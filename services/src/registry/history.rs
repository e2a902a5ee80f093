//! Any variable at any past version: today's rows with the change log undone back to a variable
//! version (`?version=N`) or a system version (`?at_system_version=X`), for one variable or for
//! the whole registry (the snapshot and `registry export --at-version`).
//!
//! The log is walked backwards from the current rows because it holds every change's old value
//! but not a created variable's first metadata (the importer logs only its name). Undoing a row
//! sets its field back to `old_value`; a path added after the version is dropped. A path's
//! `active` flag is replayed forwards instead, because the importer reactivates a path in the
//! same row that changes its reference. The versions and times of a past state come from the log
//! rows of that version, which rest on how every writer numbers its changes: a change takes its
//! system versions in one transaction, the variable the first and each path the next ones, and
//! logs every row with the change's one timestamp. So when a change logs only path rows, the
//! variable's own system version is the one just before the first of them.
//!
//! Limits for rows written before the history existed (2026-12-02): a path's absent device id
//! was logged as `""`, so a past `""` is read as no device (the writers now store a blank device
//! id as none, so no path can hold `""` any more).

use std::collections::{HashMap, HashSet};

use entity::system_variable::{self, locator_column};
use entity::{variable_access_path, variable_change_log};
use sea_orm::sea_query::Query;
use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityName, EntityTrait, IsolationLevel, QueryFilter, QueryOrder, TransactionTrait,
};

use super::query::find_model;
use crate::convert::{count_u32, to_path, to_variable};
use crate::system::system_version_of;
use model::error::AppError;
use model::registry::{Category, ChangeType, RESTORED_VERSION_FIELD, RegistrySnapshot, Variable};

type LogRow = variable_change_log::Model;

/// A variable's row and all its paths' rows, as they are now or as they were.
#[derive(Debug, Clone)]
pub struct VariableState {
    pub variable: system_variable::Model,
    pub paths: Vec<variable_access_path::Model>,
}

impl VariableState {
    /// The DTO the current read (`query::get_variable`) answers: every path, highest priority
    /// first, and the count of active ones.
    pub fn into_variable(mut self) -> Result<Variable, AppError> {
        self.paths
            .sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));
        let active = count_u32(self.paths.iter().filter(|p| p.active).count());
        let paths = self
            .paths
            .into_iter()
            .map(to_path)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(to_variable(self.variable, Some(paths), active))
    }
}

/// A read transaction that sees one state of the database: SQLite's WAL gives one from the first
/// read on; PostgreSQL needs REPEATABLE READ for several statements to agree.
async fn begin_read(db: &DatabaseConnection) -> Result<DatabaseTransaction, AppError> {
    let txn = match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
        _ => db.begin().await?,
    };
    Ok(txn)
}

/// A variable as it was at its own version `version` (1 = as created).
pub async fn variable_at_version(
    db: &DatabaseConnection,
    name: &str,
    version: i64,
) -> Result<Variable, AppError> {
    state_at_version(db, name, version).await?.into_variable()
}

/// The rows of a variable and its paths as they were at its own version `version`.
pub async fn state_at_version(
    db: &DatabaseConnection,
    name: &str,
    version: i64,
) -> Result<VariableState, AppError> {
    let txn = begin_read(db).await?;
    let (_, past) = states_now_and_at(&txn, name, version).await?;
    txn.commit().await?;
    Ok(past)
}

/// The rows of a variable and its paths now (deleted or not) and as they were at its own
/// version `version`, both read through `db`: a restore reads them in its write transaction.
pub(crate) async fn states_now_and_at<C: ConnectionTrait>(
    db: &C,
    name: &str,
    version: i64,
) -> Result<(VariableState, VariableState), AppError> {
    let (current, rows) = load_one(db, name).await?;
    let latest = current.variable.variable_version;
    if !(1..=latest).contains(&version) {
        return Err(AppError::NotFound(format!(
            "version {version} of variable {name:?}: it has versions 1 to {latest}"
        )));
    }
    let past = rebuild(current.clone(), &rows, version)?;
    Ok((current, past))
}

/// A variable as it was when the registry was at system version `at`.
pub async fn variable_at_system_version(
    db: &DatabaseConnection,
    name: &str,
    at: i64,
) -> Result<Variable, AppError> {
    let txn = begin_read(db).await?;
    check_system_version(&txn, at).await?;
    let (current, rows) = load_one(&txn, name).await?;
    txn.commit().await?;
    let Some(version) = version_as_of(&rows, at, current.variable.variable_version) else {
        let created = rows.first().map_or(0, |r| r.system_version);
        return Err(AppError::NotFound(format!(
            "variable {name:?} at system version {at}: it was created at system version {created}"
        )));
    };
    rebuild(current, &rows, version)?.into_variable()
}

/// The whole registry as it was at system version `at`.
pub async fn snapshot(db: &DatabaseConnection, at: i64) -> Result<RegistrySnapshot, AppError> {
    let (current_version, states) = snapshot_states(db, at).await?;
    let mut variables = states
        .into_iter()
        .map(VariableState::into_variable)
        .collect::<Result<Vec<_>, _>>()?;
    variables.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(RegistrySnapshot {
        at_system_version: at,
        current_version,
        variables,
    })
}

/// Every variable that existed at system version `at`, as it was then (in id order), and the
/// system version now. Only variables changed after `at` are rebuilt; the rest are today's rows.
pub async fn snapshot_states(
    db: &DatabaseConnection,
    at: i64,
) -> Result<(i64, Vec<VariableState>), AppError> {
    let txn = begin_read(db).await?;
    let current_version = check_system_version(&txn, at).await?;
    let variables = system_variable::Entity::find()
        .order_by_asc(system_variable::Column::Id)
        .all(&txn)
        .await?;
    let mut paths: HashMap<i64, Vec<variable_access_path::Model>> = HashMap::new();
    for path in variable_access_path::Entity::find().all(&txn).await? {
        paths.entry(path.variable_id).or_default().push(path);
    }
    let changed_since = Query::select()
        .distinct()
        .column(variable_change_log::Column::VariableId)
        .from(variable_change_log::Entity.table_ref())
        .and_where(variable_change_log::Column::SystemVersion.gt(at))
        .to_owned();
    let mut logs: HashMap<i64, Vec<LogRow>> = HashMap::new();
    for row in variable_change_log::Entity::find()
        .filter(variable_change_log::Column::VariableId.in_subquery(changed_since))
        .all(&txn)
        .await?
    {
        logs.entry(row.variable_id).or_default().push(row);
    }
    txn.commit().await?;
    let mut states = Vec::with_capacity(variables.len());
    for variable in variables {
        let id = variable.id;
        let latest = variable.variable_version;
        let current = VariableState {
            variable,
            paths: paths.remove(&id).unwrap_or_default(),
        };
        match logs.get_mut(&id) {
            None => states.push(current),
            Some(rows) => {
                sort_log(rows);
                if let Some(version) = version_as_of(rows, at, latest) {
                    states.push(rebuild(current, rows, version)?);
                }
            }
        }
    }
    Ok((current_version, states))
}

/// The system version now, after checking that `at` is one the registry has been at.
async fn check_system_version<C: ConnectionTrait>(db: &C, at: i64) -> Result<i64, AppError> {
    let current = system_version_of(db).await?;
    if !(0..=current).contains(&at) {
        return Err(AppError::NotFound(format!(
            "system version {at}: the registry's system versions run from 0 to {current}"
        )));
    }
    Ok(current)
}

/// A variable's current rows (deleted or not) and its whole change log in order.
async fn load_one<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<(VariableState, Vec<LogRow>), AppError> {
    let variable = find_model(db, name).await?;
    let paths = variable_access_path::Entity::find()
        .filter(variable_access_path::Column::VariableId.eq(variable.id))
        .all(db)
        .await?;
    let mut rows = variable_change_log::Entity::find()
        .filter(variable_change_log::Column::VariableId.eq(variable.id))
        .all(db)
        .await?;
    sort_log(&mut rows);
    Ok((VariableState { variable, paths }, rows))
}

/// In the order the changes were made (a change's rows in the order they were written).
fn sort_log(rows: &mut [LogRow]) {
    rows.sort_by_key(|r| (r.variable_version, r.system_version, r.id));
}

/// The newest variable version whose change was complete at system version `at`: one before the
/// first version with a row after `at` (`latest` when none is); `None` before the variable existed.
fn version_as_of(rows: &[LogRow], at: i64, latest: i64) -> Option<i64> {
    let version = rows
        .iter()
        .find(|r| r.system_version > at)
        .map_or(latest, |r| r.variable_version - 1);
    (version >= 1).then_some(version)
}

/// `current` as it was at variable version `version` (1 ≤ version ≤ its current version), given
/// its whole change log in order.
pub fn rebuild(
    mut state: VariableState,
    rows: &[LogRow],
    version: i64,
) -> Result<VariableState, AppError> {
    let latest = state.variable.variable_version;
    let logged = rows.last().map_or(0, |r| r.variable_version);
    if logged != latest {
        return Err(AppError::Internal(format!(
            "the change log of variable {:?} ends at version {logged}, but the variable is at {latest}",
            state.variable.name
        )));
    }
    let active = active_at(rows, version);
    for row in rows
        .iter()
        .rev()
        .take_while(|r| r.variable_version > version)
    {
        undo(&mut state, row)?;
    }
    stamp(&mut state, rows, version, &active)?;
    Ok(state)
}

/// Each path's `active` flag after the changes up to `version`, replayed forwards.
fn active_at(rows: &[LogRow], version: i64) -> HashMap<i64, bool> {
    let mut active = HashMap::new();
    for row in rows.iter().take_while(|r| r.variable_version <= version) {
        let Some(path_id) = row.path_id else {
            continue;
        };
        let field = row.field_name.as_deref().unwrap_or_default();
        let now_active = match row.change_type {
            ChangeType::PathAdded => Some(true),
            _ if field == "active" => Some(row.new_value.as_deref() == Some("true")),
            // The importer's rows name the table (`path[prot:sbmu:hold]`): an update there
            // (re)activates the path, a removal deactivates it.
            ChangeType::PathUpdated if is_import_path_field(field) => Some(true),
            ChangeType::PathRemoved if is_import_path_field(field) => Some(false),
            _ => None,
        };
        if let Some(now_active) = now_active {
            active.insert(path_id, now_active);
        }
    }
    active
}

fn is_import_path_field(field: &str) -> bool {
    field.starts_with("path[")
}

fn unreadable(row: &LogRow, why: &str) -> AppError {
    AppError::Internal(format!(
        "change-log row {} ({} {:?} at variable version {}) {why}",
        row.id, row.change_type, row.field_name, row.variable_version
    ))
}

fn old_value(row: &LogRow) -> Result<String, AppError> {
    row.old_value
        .clone()
        .ok_or_else(|| unreadable(row, "has no old value to go back to"))
}

fn old_parsed<T: std::str::FromStr>(row: &LogRow) -> Result<T, AppError> {
    old_value(row)?
        .parse()
        .map_err(|_| unreadable(row, "has an old value of the wrong type"))
}

/// Takes back one logged change.
fn undo(state: &mut VariableState, row: &LogRow) -> Result<(), AppError> {
    let field = row.field_name.as_deref().unwrap_or_default();
    match (row.path_id, row.change_type) {
        (None, ChangeType::Updated | ChangeType::Deleted) => {
            undo_variable_field(&mut state.variable, field, row)
        }
        (Some(path_id), ChangeType::PathAdded) => {
            state.paths.retain(|p| p.id != path_id);
            Ok(())
        }
        (Some(path_id), ChangeType::PathUpdated | ChangeType::PathRemoved) => {
            let path = state
                .paths
                .iter_mut()
                .find(|p| p.id == path_id)
                .ok_or_else(|| unreadable(row, "names a path the variable does not have"))?;
            undo_path_field(path, field, row)
        }
        _ => Err(unreadable(row, "cannot be taken back")),
    }
}

fn undo_variable_field(
    variable: &mut system_variable::Model,
    field: &str,
    row: &LogRow,
) -> Result<(), AppError> {
    match field {
        "display_name" => variable.display_name = old_value(row)?,
        "units" => variable.units = old_value(row)?,
        "description" => variable.description = old_value(row)?,
        // No locator is logged as a missing value; the column holds it as the empty text.
        "locator" => variable.locator = locator_column(row.old_value.as_deref()),
        "category" => {
            variable.category = Category::parse(&old_value(row)?)
                .ok_or_else(|| unreadable(row, "has an unknown old category"))?;
        }
        "deleted" => variable.deleted = old_parsed(row)?,
        // A marker: the restore's own changes are logged in rows of their own.
        RESTORED_VERSION_FIELD => {}
        _ => return Err(unreadable(row, "names a field the history does not know")),
    }
    Ok(())
}

fn undo_path_field(
    path: &mut variable_access_path::Model,
    field: &str,
    row: &LogRow,
) -> Result<(), AppError> {
    match field {
        "reference" => path.reference = old_value(row)?,
        "priority" => path.priority = old_parsed(row)?,
        "read_only" => path.read_only = old_parsed(row)?,
        "rack_number" => {
            let old = old_value(row)?;
            path.rack_number = if old == "all" {
                None
            } else {
                Some(old_parsed(row)?)
            };
        }
        "device_id" => path.device_id = row.old_value.clone().filter(|d| !d.is_empty()),
        // Replayed forwards by `active_at`.
        "active" => {}
        _ if is_import_path_field(field) => {
            if let Some(old) = &row.old_value {
                path.reference.clone_from(old);
            }
        }
        _ => {
            return Err(unreadable(
                row,
                "names a path field the history does not know",
            ));
        }
    }
    Ok(())
}

/// Sets the versions, times and source of the state at `version` from the log rows up to it.
fn stamp(
    state: &mut VariableState,
    rows: &[LogRow],
    version: i64,
    active: &HashMap<i64, bool>,
) -> Result<(), AppError> {
    let upto: Vec<&LogRow> = rows
        .iter()
        .take_while(|r| r.variable_version <= version)
        .collect();
    let of_version: Vec<&LogRow> = upto
        .iter()
        .copied()
        .filter(|r| r.variable_version == version)
        .collect();
    let first = of_version.first().ok_or_else(|| {
        AppError::Internal(format!(
            "the change log of variable {:?} has no row for version {version}",
            state.variable.name
        ))
    })?;
    let variable = &mut state.variable;
    variable.variable_version = version;
    variable.system_version = match of_version.iter().find(|r| r.path_id.is_none()) {
        Some(own) => own.system_version,
        // Only paths changed: the variable took the version before the first path's.
        None => first.system_version - 1,
    };
    variable.last_updated = first.timestamp;
    if let Some(own) = upto.iter().rev().find(|r| r.path_id.is_none()) {
        variable.source_system.clone_from(&own.source_system);
    }
    for path in &mut state.paths {
        let own: Vec<&LogRow> = upto
            .iter()
            .copied()
            .filter(|r| r.path_id == Some(path.id))
            .collect();
        let Some(last) = own.last() else {
            // A path the log never mentions is shown as it is today.
            continue;
        };
        let changes: HashSet<i64> = own.iter().map(|r| r.variable_version).collect();
        path.path_version = changes.len() as i64;
        path.system_version = last.system_version;
        path.last_updated = last.timestamp;
        if let Some(&now_active) = active.get(&path.id) {
            path.active = now_active;
        }
    }
    Ok(())
}
