//! Single-variable writes: create, patch, soft-delete, and add/patch/remove access paths. Each is
//! one transaction that takes its system version(s) first, checks the caller's `If-Match`
//! variable version, and writes the change log with who made the change.

use entity::system_variable::{self, locator_column, locator_of};
use entity::{variable_access_path, variable_change_log};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
};

use super::query::get_variable;
use super::{history, versions};
use crate::database::begin_write;
use model::error::AppError;
use model::registry::{
    AccessPathPatch, AccessReference, ChangeType, NewAccessPath, NewVariable,
    RESTORED_VERSION_FIELD, Variable, VariablePatch, title_case, validate_new_path,
    validate_new_variable, validate_patch,
};

use crate::actor::Actor;
use crate::auth::audit;
use model::auth::AuditAction;

fn field_error(e: model::registry::FieldError) -> AppError {
    AppError::validation(e.field, e.message)
}

struct Log<'a> {
    txn: &'a DatabaseTransaction,
    actor: &'a Actor,
    /// The variable's name, as the audit log names it.
    name: &'a str,
    variable_id: i64,
    variable_version: i64,
    now: chrono::DateTime<chrono::Utc>,
}

impl Log<'_> {
    async fn write(
        &self,
        change_type: ChangeType,
        path_id: Option<i64>,
        field: Option<&str>,
        old: Option<String>,
        new: Option<String>,
        system_version: i64,
    ) -> Result<(), AppError> {
        let (old_audited, new_audited) = (old.clone(), new.clone());
        variable_change_log::Entity::insert(variable_change_log::ActiveModel {
            id: NotSet,
            variable_id: Set(self.variable_id),
            path_id: Set(path_id),
            change_type: Set(change_type),
            field_name: Set(field.map(str::to_string)),
            old_value: Set(old),
            new_value: Set(new),
            timestamp: Set(self.now),
            changed_by: Set(self.actor.user.clone()),
            source_system: Set(self.actor.source_system.clone()),
            variable_version: Set(self.variable_version),
            system_version: Set(system_version),
        })
        .exec_without_returning(self.txn)
        .await?;
        // The same change in the audit log, in the same transaction.
        let what = field.map_or_else(|| change_type.to_string(), str::to_string);
        let entry = self
            .actor
            .audit(
                AuditAction::RegistryWrite,
                format!("variable {}", self.name),
                self.now,
            )
            .change(
                old_audited.map(|old| serde_json::json!({ what.clone(): old })),
                new_audited.map(|new| serde_json::json!({ what.clone(): new })),
            );
        audit::record(self.txn, entry).await?;
        Ok(())
    }
}

/// Loads the variable for a write and checks the caller saw its current version.
async fn load_for_write(
    txn: &DatabaseTransaction,
    name: &str,
    if_match: i64,
) -> Result<system_variable::Model, AppError> {
    let model = system_variable::Entity::find()
        .filter(system_variable::Column::Name.eq(name))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("variable {name:?}")))?;
    if model.deleted {
        return Err(AppError::NotFound(format!("variable {name:?} (deleted)")));
    }
    check_version(&model, if_match)?;
    Ok(model)
}

/// A conflict unless the variable is still at `if_match`, the version the caller read.
fn check_version(model: &system_variable::Model, if_match: i64) -> Result<(), AppError> {
    if model.variable_version != if_match {
        return Err(AppError::Conflict(format!(
            "variable {:?} is at version {}, not {if_match}: it changed since you read it",
            model.name, model.variable_version
        )));
    }
    Ok(())
}

/// Bumps the variable's own versions (every write to it or its paths does).
async fn touch_variable(
    txn: &DatabaseTransaction,
    model: &system_variable::Model,
    system_version: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64, AppError> {
    let variable_version = model.variable_version + 1;
    system_variable::Entity::update(system_variable::ActiveModel {
        id: Set(model.id),
        variable_version: Set(variable_version),
        system_version: Set(system_version),
        last_updated: Set(now),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    Ok(variable_version)
}

fn path_model(
    variable_id: i64,
    path: &NewAccessPath,
    reference: &AccessReference,
    system_version: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> variable_access_path::ActiveModel {
    variable_access_path::ActiveModel {
        id: NotSet,
        variable_id: Set(variable_id),
        access_type: Set(path.access_type),
        reference: Set(reference.to_json().to_string()),
        priority: Set(path.priority),
        read_only: Set(path.read_only),
        rack_number: Set(path.rack_number),
        device_id: Set(no_blank_device(path.device_id.clone())),
        path_version: Set(1),
        system_version: Set(system_version),
        last_updated: Set(now),
        active: Set(true),
    }
}

/// A blank device id names no device: stored as none, so the change log (which logs no device
/// as no value) can always tell the two apart.
fn no_blank_device(device_id: Option<String>) -> Option<String> {
    device_id.filter(|d| !d.trim().is_empty())
}

/// The paths of a new variable that passed validation, each with its parsed reference.
struct ValidNewVariable<'a> {
    paths: Vec<(&'a NewAccessPath, AccessReference)>,
}

/// Checks a new variable and parses its paths' references once, for the insert to use.
fn validate_create(new: &NewVariable) -> Result<ValidNewVariable<'_>, AppError> {
    validate_new_variable(new).map_err(field_error)?;
    // `validate_new_variable` has checked each path the same way; this keeps the references.
    let paths = new
        .paths
        .iter()
        .enumerate()
        .map(|(i, path)| {
            validate_new_path(path)
                .map(|reference| (path, reference))
                .map_err(|e| field_error(e.under(&format!("paths[{i}]"))))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ValidNewVariable { paths })
}

pub async fn create_variable(
    db: &DatabaseConnection,
    new: &NewVariable,
    actor: &Actor,
) -> Result<Variable, AppError> {
    let valid = validate_create(new)?;
    let txn = begin_write(db).await?;
    versions::lock(&txn).await?;
    let exists = system_variable::Entity::find()
        .filter(system_variable::Column::Name.eq(&new.name))
        .one(&txn)
        .await?;
    if exists.is_some() {
        return Err(AppError::Conflict(format!(
            "variable {:?} already exists",
            new.name
        )));
    }
    let first = versions::allocate(&txn, 1 + new.paths.len() as i64).await?;
    let now = chrono::Utc::now();
    let variable_id = insert_variable(&txn, new, first, actor, now).await?;
    let log = Log {
        txn: &txn,
        actor,
        name: &new.name,
        variable_id,
        variable_version: 1,
        now,
    };
    log.write(
        ChangeType::Created,
        None,
        Some("name"),
        None,
        Some(new.name.clone()),
        first,
    )
    .await?;
    insert_new_paths(&log, &valid, first + 1).await?;
    txn.commit().await?;
    get_variable(db, &new.name).await
}

/// Inserts the variable row of a new variable at `system_version`; its id.
async fn insert_variable(
    txn: &DatabaseTransaction,
    new: &NewVariable,
    system_version: i64,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64, AppError> {
    let inserted = system_variable::Entity::insert(system_variable::ActiveModel {
        id: NotSet,
        name: Set(new.name.clone()),
        display_name: Set(new
            .display_name
            .clone()
            .unwrap_or_else(|| title_case(&new.name))),
        units: Set(new.units.clone()),
        description: Set(new.description.clone()),
        category: Set(new.category),
        locator: Set(locator_column(new.locator.as_deref())),
        variable_version: Set(1),
        system_version: Set(system_version),
        last_updated: Set(now),
        source_system: Set(actor.source_system.clone()),
        deleted: Set(false),
    })
    .exec(txn)
    .await?;
    Ok(inserted.last_insert_id)
}

/// Inserts the paths of a new variable, each with its own system version from `first_version`
/// on, and logs each.
async fn insert_new_paths(
    log: &Log<'_>,
    valid: &ValidNewVariable<'_>,
    first_version: i64,
) -> Result<(), AppError> {
    for (i, (path, reference)) in valid.paths.iter().enumerate() {
        let version = first_version + i as i64;
        let path_id = variable_access_path::Entity::insert(path_model(
            log.variable_id,
            path,
            reference,
            version,
            log.now,
        ))
        .exec(log.txn)
        .await?
        .last_insert_id;
        log.write(
            ChangeType::PathAdded,
            Some(path_id),
            Some(path.access_type.as_str()),
            None,
            Some(reference.to_json().to_string()),
            version,
        )
        .await?;
    }
    Ok(())
}

pub async fn update_variable(
    db: &DatabaseConnection,
    name: &str,
    if_match: i64,
    patch: &VariablePatch,
    actor: &Actor,
) -> Result<Variable, AppError> {
    validate_patch(patch).map_err(field_error)?;
    let txn = begin_write(db).await?;
    versions::lock(&txn).await?;
    let model = load_for_write(&txn, name, if_match).await?;
    // (field, old, new); `None` is no locator, logged as a missing value.
    let mut changes: Vec<(&str, Option<String>, Option<String>)> = Vec::new();
    // `wanted`: `None` when the patch leaves the field as it is.
    let mut check = |field: &'static str, old: Option<&str>, wanted: Option<Option<&str>>| {
        if let Some(new) = wanted.filter(|new| *new != old) {
            changes.push((field, old.map(str::to_string), new.map(str::to_string)));
        }
    };
    check(
        "display_name",
        Some(&model.display_name),
        patch.display_name.as_deref().map(Some),
    );
    check(
        "units",
        Some(&model.units),
        patch.units.as_deref().map(Some),
    );
    check(
        "description",
        Some(&model.description),
        patch.description.as_deref().map(Some),
    );
    check(
        "category",
        Some(model.category.as_str()),
        patch.category.map(|c| Some(c.as_str())),
    );
    check(
        "locator",
        locator_of(&model.locator),
        patch.locator.as_ref().map(Option::as_deref),
    );
    if changes.is_empty() {
        // Nothing to change: no version is taken.
        txn.rollback().await?;
        return get_variable(db, name).await;
    }
    let version = versions::allocate(&txn, 1).await?;
    let now = chrono::Utc::now();
    let mut row = system_variable::ActiveModel {
        id: Set(model.id),
        variable_version: Set(model.variable_version + 1),
        system_version: Set(version),
        last_updated: Set(now),
        source_system: Set(actor.source_system.clone()),
        ..Default::default()
    };
    for (field, _, new) in &changes {
        // Only the locator can be `None`; the other fields are listed with their new text.
        let text = new.clone().unwrap_or_default();
        match *field {
            "display_name" => row.display_name = Set(text),
            "units" => row.units = Set(text),
            "description" => row.description = Set(text),
            // Listed only when the patch names a category.
            "category" => {
                if let Some(category) = patch.category {
                    row.category = Set(category);
                }
            }
            _ => row.locator = Set(locator_column(new.as_deref())),
        }
    }
    system_variable::Entity::update(row).exec(&txn).await?;
    let log = Log {
        txn: &txn,
        actor,
        name,
        variable_id: model.id,
        variable_version: model.variable_version + 1,
        now,
    };
    for (field, old, new) in changes {
        log.write(ChangeType::Updated, None, Some(field), old, new, version)
            .await?;
    }
    txn.commit().await?;
    get_variable(db, name).await
}

/// Soft delete: the row stays as a tombstone so other controllers learn of the deletion.
pub async fn delete_variable(
    db: &DatabaseConnection,
    name: &str,
    if_match: i64,
    actor: &Actor,
) -> Result<Variable, AppError> {
    let txn = begin_write(db).await?;
    versions::lock(&txn).await?;
    let model = load_for_write(&txn, name, if_match).await?;
    let version = versions::allocate(&txn, 1).await?;
    let now = chrono::Utc::now();
    system_variable::Entity::update(system_variable::ActiveModel {
        id: Set(model.id),
        deleted: Set(true),
        variable_version: Set(model.variable_version + 1),
        system_version: Set(version),
        last_updated: Set(now),
        source_system: Set(actor.source_system.clone()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let log = Log {
        txn: &txn,
        actor,
        name,
        variable_id: model.id,
        variable_version: model.variable_version + 1,
        now,
    };
    log.write(
        ChangeType::Deleted,
        None,
        Some("deleted"),
        Some("false".into()),
        Some("true".into()),
        version,
    )
    .await?;
    txn.commit().await?;
    get_variable(db, name).await
}

pub async fn add_path(
    db: &DatabaseConnection,
    name: &str,
    if_match: i64,
    path: &NewAccessPath,
    actor: &Actor,
) -> Result<Variable, AppError> {
    let reference = validate_new_path(path).map_err(field_error)?;
    let txn = begin_write(db).await?;
    versions::lock(&txn).await?;
    let model = load_for_write(&txn, name, if_match).await?;
    let first = versions::allocate(&txn, 2).await?;
    let now = chrono::Utc::now();
    let variable_version = touch_variable(&txn, &model, first, now).await?;
    let path_id = variable_access_path::Entity::insert(path_model(
        model.id,
        path,
        &reference,
        first + 1,
        now,
    ))
    .exec(&txn)
    .await?
    .last_insert_id;
    Log {
        txn: &txn,
        actor,
        name,
        variable_id: model.id,
        variable_version,
        now,
    }
    .write(
        ChangeType::PathAdded,
        Some(path_id),
        Some(path.access_type.as_str()),
        None,
        Some(reference.to_json().to_string()),
        first + 1,
    )
    .await?;
    txn.commit().await?;
    get_variable(db, name).await
}

async fn load_path(
    txn: &DatabaseTransaction,
    variable_id: i64,
    path_id: i64,
) -> Result<variable_access_path::Model, AppError> {
    variable_access_path::Entity::find_by_id(path_id)
        .filter(variable_access_path::Column::VariableId.eq(variable_id))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("access path {path_id} of this variable")))
}

pub async fn update_path(
    db: &DatabaseConnection,
    name: &str,
    path_id: i64,
    if_match: i64,
    patch: &AccessPathPatch,
    actor: &Actor,
) -> Result<Variable, AppError> {
    let txn = begin_write(db).await?;
    versions::lock(&txn).await?;
    let model = load_for_write(&txn, name, if_match).await?;
    let current = load_path(&txn, model.id, path_id).await?;
    let PathEdit {
        mut row,
        changes,
        device_changes,
    } = path_edit(&current, patch)?;
    if changes.is_empty() && device_changes.is_empty() {
        txn.rollback().await?;
        return get_variable(db, name).await;
    }
    let first = versions::allocate(&txn, 2).await?;
    let now = chrono::Utc::now();
    let variable_version = touch_variable(&txn, &model, first, now).await?;
    row.path_version = Set(current.path_version + 1);
    row.system_version = Set(first + 1);
    row.last_updated = Set(now);
    variable_access_path::Entity::update(row).exec(&txn).await?;
    let removed_only = device_changes.is_empty()
        && changes.len() == 1
        && changes[0].0 == "active"
        && changes[0].2 == "false";
    let change_type = if removed_only {
        ChangeType::PathRemoved
    } else {
        ChangeType::PathUpdated
    };
    let log = Log {
        txn: &txn,
        actor,
        name,
        variable_id: model.id,
        variable_version,
        now,
    };
    for (field, old, new) in changes {
        log.write(
            change_type,
            Some(path_id),
            Some(field),
            Some(old),
            Some(new),
            first + 1,
        )
        .await?;
    }
    for (old, new) in device_changes {
        log.write(
            change_type,
            Some(path_id),
            Some("device_id"),
            old,
            new,
            first + 1,
        )
        .await?;
    }
    txn.commit().await?;
    get_variable(db, name).await
}

/// What a patch changes on a stored path: the row to update and the changes to log.
struct PathEdit {
    /// The path's row with only the changed columns set.
    row: variable_access_path::ActiveModel,
    /// Field, old value, new value.
    changes: Vec<(&'static str, String, String)>,
    /// Old and new device; no device is logged as no value (NULL), so the history can tell it
    /// from a name.
    device_changes: Vec<(Option<String>, Option<String>)>,
}

/// Compares a patch with the stored path and checks the new values; fields the patch leaves out
/// or sets to what they already are change nothing.
fn path_edit(
    current: &variable_access_path::Model,
    patch: &AccessPathPatch,
) -> Result<PathEdit, AppError> {
    let mut changes: Vec<(&'static str, String, String)> = Vec::new();
    let mut device_changes: Vec<(Option<String>, Option<String>)> = Vec::new();
    let mut row = variable_access_path::ActiveModel {
        id: Set(current.id),
        ..Default::default()
    };
    if let Some(reference) = &patch.reference {
        let parsed = AccessReference::parse(current.access_type, reference)
            .map_err(|e| field_error(e.under("reference")))?;
        let text = parsed.to_json().to_string();
        if text != current.reference {
            changes.push(("reference", current.reference.clone(), text.clone()));
            row.reference = Set(text);
        }
    }
    if let Some(priority) = patch.priority.filter(|p| *p != current.priority) {
        changes.push((
            "priority",
            current.priority.to_string(),
            priority.to_string(),
        ));
        row.priority = Set(priority);
    }
    if let Some(read_only) = patch.read_only.filter(|r| *r != current.read_only) {
        changes.push((
            "read_only",
            current.read_only.to_string(),
            read_only.to_string(),
        ));
        row.read_only = Set(read_only);
    }
    if let Some(rack) = patch.rack_number.filter(|r| *r != current.rack_number) {
        if rack.is_some_and(|r| r < 0) {
            return Err(AppError::validation("rack_number", "must not be negative"));
        }
        let show = |r: Option<i32>| r.map_or("all".to_string(), |r| r.to_string());
        changes.push(("rack_number", show(current.rack_number), show(rack)));
        row.rack_number = Set(rack);
    }
    if let Some(device) = patch
        .device_id
        .clone()
        .map(no_blank_device)
        .filter(|d| *d != current.device_id)
    {
        device_changes.push((current.device_id.clone(), device.clone()));
        row.device_id = Set(device);
    }
    if let Some(active) = patch.active.filter(|a| *a != current.active) {
        changes.push(("active", current.active.to_string(), active.to_string()));
        row.active = Set(active);
    }
    Ok(PathEdit {
        row,
        changes,
        device_changes,
    })
}

/// Removing a path deactivates it (never deletes): the feed reports it as a tombstone.
pub async fn remove_path(
    db: &DatabaseConnection,
    name: &str,
    path_id: i64,
    if_match: i64,
    actor: &Actor,
) -> Result<Variable, AppError> {
    let patch = AccessPathPatch {
        active: Some(false),
        ..Default::default()
    };
    update_path(db, name, path_id, if_match, &patch, actor).await
}

/// A logged change: field, old value, new value (`None` = no value).
type Change = (&'static str, Option<String>, Option<String>);

/// Brings back version `version` of a variable as a new version: its metadata, its deleted flag
/// and its paths as they were then; paths added since are deactivated (paths are never deleted).
/// Logged as a restore of `version` (a `restored_version` row) plus the field and path changes it
/// made. A deleted variable can be restored too. Nothing to change takes no version.
pub async fn restore_version(
    db: &DatabaseConnection,
    name: &str,
    version: i64,
    if_match: i64,
    actor: &Actor,
) -> Result<Variable, AppError> {
    let txn = begin_write(db).await?;
    versions::lock(&txn).await?;
    // Now and then from one read, under the version lock the restore writes with.
    let (current, past) = history::states_now_and_at(&txn, name, version).await?;
    let model = current.variable;
    check_version(&model, if_match)?;
    let fields = restored_fields(&model, &past.variable);
    let mut current_paths = current.paths;
    current_paths.sort_by_key(|p| p.id);
    let paths: Vec<(variable_access_path::Model, Vec<Change>)> = current_paths
        .into_iter()
        .filter_map(|now| {
            let changes = match past.paths.iter().find(|p| p.id == now.id) {
                Some(then) => restored_path_fields(&now, then),
                None if now.active => vec![("active", Some("true".into()), Some("false".into()))],
                None => Vec::new(),
            };
            (!changes.is_empty()).then_some((now, changes))
        })
        .collect();
    if fields.is_empty() && paths.is_empty() {
        txn.rollback().await?;
        return get_variable(db, name).await;
    }
    let first = versions::allocate(&txn, 1 + paths.len() as i64).await?;
    let now = chrono::Utc::now();
    let log = Log {
        txn: &txn,
        actor,
        name,
        variable_id: model.id,
        variable_version: model.variable_version + 1,
        now,
    };
    restore_variable_row(&log, &model, &past.variable, version, &fields, first).await?;
    for (i, (current, changes)) in paths.iter().enumerate() {
        let then = past.paths.iter().find(|p| p.id == current.id);
        restore_path_row(&log, current, then, changes, first + 1 + i as i64).await?;
    }
    txn.commit().await?;
    get_variable(db, name).await
}

/// The metadata fields (and the deleted flag) that differ between now and then; no locator is
/// logged as a missing value, as `update_variable` logs it.
fn restored_fields(now: &system_variable::Model, then: &system_variable::Model) -> Vec<Change> {
    let text = |value: &str| Some(value.to_string());
    let locator = |column: &str| locator_of(column).map(str::to_string);
    let pairs: [Change; 6] = [
        (
            "display_name",
            text(&now.display_name),
            text(&then.display_name),
        ),
        ("units", text(&now.units), text(&then.units)),
        (
            "description",
            text(&now.description),
            text(&then.description),
        ),
        (
            "category",
            text(now.category.as_str()),
            text(then.category.as_str()),
        ),
        ("locator", locator(&now.locator), locator(&then.locator)),
        (
            "deleted",
            text(&now.deleted.to_string()),
            text(&then.deleted.to_string()),
        ),
    ];
    pairs
        .into_iter()
        .filter(|(_, old, new)| old != new)
        .collect()
}

/// The fields of a path that differ between now and then, spelled as `update_path` logs them.
fn restored_path_fields(
    now: &variable_access_path::Model,
    then: &variable_access_path::Model,
) -> Vec<Change> {
    let rack = |r: Option<i32>| Some(r.map_or("all".to_string(), |r| r.to_string()));
    let mut changes: Vec<Change> = Vec::new();
    if now.reference != then.reference {
        changes.push((
            "reference",
            Some(now.reference.clone()),
            Some(then.reference.clone()),
        ));
    }
    if now.priority != then.priority {
        changes.push((
            "priority",
            Some(now.priority.to_string()),
            Some(then.priority.to_string()),
        ));
    }
    if now.read_only != then.read_only {
        changes.push((
            "read_only",
            Some(now.read_only.to_string()),
            Some(then.read_only.to_string()),
        ));
    }
    if now.rack_number != then.rack_number {
        changes.push(("rack_number", rack(now.rack_number), rack(then.rack_number)));
    }
    if now.device_id != then.device_id {
        changes.push(("device_id", now.device_id.clone(), then.device_id.clone()));
    }
    if now.active != then.active {
        changes.push((
            "active",
            Some(now.active.to_string()),
            Some(then.active.to_string()),
        ));
    }
    changes
}

/// Writes the variable's row as it was then at the restore's first system version, and logs the
/// restore and its field changes.
async fn restore_variable_row(
    log: &Log<'_>,
    now: &system_variable::Model,
    then: &system_variable::Model,
    version: i64,
    fields: &[Change],
    system_version: i64,
) -> Result<(), AppError> {
    system_variable::Entity::update(system_variable::ActiveModel {
        id: Set(now.id),
        display_name: Set(then.display_name.clone()),
        units: Set(then.units.clone()),
        description: Set(then.description.clone()),
        category: Set(then.category),
        locator: Set(then.locator.clone()),
        deleted: Set(then.deleted),
        variable_version: Set(log.variable_version),
        system_version: Set(system_version),
        last_updated: Set(log.now),
        source_system: Set(log.actor.source_system.clone()),
        ..Default::default()
    })
    .exec(log.txn)
    .await?;
    log.write(
        ChangeType::Updated,
        None,
        Some(RESTORED_VERSION_FIELD),
        Some(now.variable_version.to_string()),
        Some(version.to_string()),
        system_version,
    )
    .await?;
    for (field, old, new) in fields {
        log.write(
            ChangeType::Updated,
            None,
            Some(field),
            old.clone(),
            new.clone(),
            system_version,
        )
        .await?;
    }
    Ok(())
}

/// Writes one path back as it was then (or deactivates it when it did not exist then) at its own
/// system version, and logs its changes.
async fn restore_path_row(
    log: &Log<'_>,
    now: &variable_access_path::Model,
    then: Option<&variable_access_path::Model>,
    changes: &[Change],
    system_version: i64,
) -> Result<(), AppError> {
    let mut row = variable_access_path::ActiveModel {
        id: Set(now.id),
        active: Set(then.is_some_and(|p| p.active)),
        path_version: Set(now.path_version + 1),
        system_version: Set(system_version),
        last_updated: Set(log.now),
        ..Default::default()
    };
    if let Some(then) = then {
        row.reference = Set(then.reference.clone());
        row.priority = Set(then.priority);
        row.read_only = Set(then.read_only);
        row.rack_number = Set(then.rack_number);
        row.device_id = Set(then.device_id.clone());
    }
    variable_access_path::Entity::update(row)
        .exec(log.txn)
        .await?;
    let removed_only =
        changes.len() == 1 && changes[0].0 == "active" && changes[0].2.as_deref() == Some("false");
    let change_type = if removed_only {
        ChangeType::PathRemoved
    } else {
        ChangeType::PathUpdated
    };
    for (field, old, new) in changes {
        log.write(
            change_type,
            Some(now.id),
            Some(field),
            old.clone(),
            new.clone(),
            system_version,
        )
        .await?;
    }
    Ok(())
}
