//! The registry as the Python prototype's HTTP API serves it: offset-paged lists, LIKE name
//! patterns, facets as plain lists, `changed_by`/`source_system` writes without `If-Match`,
//! add-or-update of identical access paths, and its change feed. Reads filter on the in-memory
//! index; writes go through the registry's own write services, so they are versioned and logged
//! like every other write.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Timelike, Utc};
use entity::{system_variable, variable_access_path};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::Value;

use super::index::{ListEntry, RegistryIndex};
use super::write;
use crate::actor::Actor;
use crate::convert::to_path;
use model::error::AppError;
use model::prototype::{
    PrototypeAccessPath, PrototypeAccessPathAnswer, PrototypeAccessPathCreate, PrototypeBulkAnswer,
    PrototypeCategories, PrototypeChanges, PrototypeFilter, PrototypeLocators, PrototypePathChange,
    PrototypeServiceInfo, PrototypeUpdateAnswer, PrototypeVariable, PrototypeVariableAnswer,
    PrototypeVariableAtVersion, PrototypeVariableList, PrototypeVariableUpdate,
    locator_filter_matches, name_pattern_matches,
};
use model::registry::{
    AccessPath, AccessPathPatch, AccessReference, Category, NewAccessPath, Variable, VariablePatch,
    validate_new_path,
};
use model::system::{DatabaseBackend, DatabaseInfo};

/// Ids per `IN (...)` read: far under both databases' bound-parameter limits.
const READ_CHUNK: usize = 1_000;

/// How often a write without `If-Match` re-reads the version and tries again when another
/// writer committed in between (the prototype's writes never conflicted: last writer wins).
const WRITE_ATTEMPTS: usize = 5;

/// Who the prototype records when a body names nobody (its defaults).
const DEFAULT_CHANGED_BY: &str = "system";
const DEFAULT_SOURCE_SYSTEM: &str = "local";

/// The largest `limit` of `GET /api/vars`.
pub const MAX_LIMIT: u64 = 100_000;

/// The most names one bulk read takes.
pub const MAX_BULK_NAMES: usize = 10_000;

/// A time as Python's `datetime.isoformat()` writes an aware UTC time: microseconds only when
/// there are any, and `+00:00`.
pub fn python_isoformat(time: DateTime<Utc>) -> String {
    if time.nanosecond() / 1_000 == 0 {
        time.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        time.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    }
}

fn to_prototype_path(model: variable_access_path::Model) -> Result<PrototypeAccessPath, AppError> {
    let last_updated = python_isoformat(model.last_updated);
    Ok(prototype_path(to_path(model)?, last_updated))
}

/// A path of the registry's DTOs in the prototype's shape, with `last_updated` as Python spells it.
fn prototype_path(path: AccessPath, last_updated: String) -> PrototypeAccessPath {
    PrototypeAccessPath {
        id: path.id,
        access_type: path.access_type,
        reference: path.reference,
        priority: path.priority,
        read_only: path.read_only,
        rack_number: path.rack_number,
        device_id: path.device_id,
        path_version: path.path_version,
        version: path.path_version,
        system_version: path.system_version,
        last_updated,
        active: path.active,
    }
}

fn to_prototype_variable(
    model: system_variable::Model,
    access_paths: Option<Vec<PrototypeAccessPath>>,
) -> PrototypeVariable {
    PrototypeVariable {
        id: model.id,
        name: model.name,
        display_name: model.display_name,
        units: model.units,
        description: model.description,
        category: model.category,
        locator: system_variable::locator_of(&model.locator).map(str::to_string),
        variable_version: model.variable_version,
        system_version: model.system_version,
        source_system: model.source_system,
        last_updated: python_isoformat(model.last_updated),
        deleted: model.deleted,
        access_paths,
    }
}

/// A variable (as the registry's queries and history answer it) in the shape of the prototype's
/// `GET /api/variables/{name}`: active paths only, highest priority first.
pub fn at_version(variable: Variable) -> PrototypeVariableAtVersion {
    let access_paths = variable
        .paths
        .unwrap_or_default()
        .into_iter()
        .filter(|path| path.active)
        .map(|path| {
            let last_updated = reformat(&path.last_updated);
            prototype_path(path, last_updated)
        })
        .collect();
    PrototypeVariableAtVersion {
        name: variable.name,
        display_name: variable.display_name,
        units: variable.units,
        description: variable.description,
        category: variable.category,
        locator: variable.locator,
        version: variable.variable_version,
        variable_version: variable.variable_version,
        system_version: variable.system_version,
        source_system: variable.source_system,
        last_updated: reformat(&variable.last_updated),
        access_paths,
    }
}

/// An RFC 3339 time from the registry's DTOs in Python's `isoformat()` spelling (unchanged if it
/// does not parse, which the registry's own times always do).
fn reformat(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|time| python_isoformat(time.with_timezone(&Utc)))
        .unwrap_or_else(|_| rfc3339.to_string())
}

// ------------------------------------------------------------------ reads

/// True when a live (not deleted) variable passes every filter the prototype's lists take.
fn passes(filter: &PrototypeFilter, entry: &ListEntry<'_>) -> bool {
    // The prototype tested `if category:`: an empty value is no filter.
    !entry.deleted
        && filter
            .category
            .as_deref()
            .filter(|c| !c.is_empty())
            .is_none_or(|c| entry.category.as_str() == c)
        && filter
            .locator
            .as_deref()
            .filter(|l| !l.is_empty())
            // As the prototype's SQL: a NULL locator matches no `=` and no LIKE.
            .is_none_or(|l| {
                entry
                    .locator
                    .is_some_and(|locator| locator_filter_matches(l, locator))
            })
        && filter
            .name_pattern
            .as_deref()
            .filter(|p| !p.is_empty())
            .is_none_or(|p| name_pattern_matches(p, entry.name))
        && filter
            .since_version
            .is_none_or(|v| entry.system_version > v)
}

/// The ids of every variable the filter selects, in name order.
async fn matching_ids<C: ConnectionTrait>(
    db: &C,
    index: &RegistryIndex,
    filter: &PrototypeFilter,
) -> Result<Vec<i64>, AppError> {
    let snapshot = index.current(db).await?;
    Ok(snapshot
        .entries()
        .filter(|entry| passes(filter, entry))
        .map(|entry| entry.id)
        .collect())
}

/// The variables with these ids, in this order, with their active paths when asked.
async fn variables_by_id<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    include_paths: bool,
) -> Result<Vec<PrototypeVariable>, AppError> {
    let mut models: HashMap<i64, system_variable::Model> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(READ_CHUNK) {
        for model in system_variable::Entity::find()
            .filter(system_variable::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            models.insert(model.id, model);
        }
    }
    let models = ids
        .iter()
        .map(|id| {
            // A variable is never hard-deleted, so every id the index holds has its row.
            models
                .remove(id)
                .ok_or_else(|| AppError::Internal(format!("variable id {id} vanished")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    with_paths(db, models, include_paths).await
}

/// These variables, in this order, with their active paths when asked.
async fn with_paths<C: ConnectionTrait>(
    db: &C,
    models: Vec<system_variable::Model>,
    include_paths: bool,
) -> Result<Vec<PrototypeVariable>, AppError> {
    let mut paths: HashMap<i64, Vec<PrototypeAccessPath>> = HashMap::new();
    if include_paths {
        let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
        for chunk in ids.chunks(READ_CHUNK) {
            paths.extend(active_paths_of(db, chunk).await?);
        }
    }
    Ok(models
        .into_iter()
        .map(|model| {
            let own = include_paths.then(|| paths.remove(&model.id).unwrap_or_default());
            to_prototype_variable(model, own)
        })
        .collect())
}

/// Active paths of these variables, highest priority first.
async fn active_paths_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<PrototypeAccessPath>>, AppError> {
    let mut by_variable: HashMap<i64, Vec<PrototypeAccessPath>> = HashMap::new();
    for model in variable_access_path::Entity::find()
        .filter(variable_access_path::Column::VariableId.is_in(ids.iter().copied()))
        .filter(variable_access_path::Column::Active.eq(true))
        .order_by_desc(variable_access_path::Column::Priority)
        .order_by_asc(variable_access_path::Column::Id)
        .all(db)
        .await?
    {
        by_variable
            .entry(model.variable_id)
            .or_default()
            .push(to_prototype_path(model)?);
    }
    Ok(by_variable)
}

/// `GET /api/vars`: one page by offset, in name order, without paths.
pub async fn list_vars<C: ConnectionTrait>(
    db: &C,
    index: &RegistryIndex,
    filter: &PrototypeFilter,
    offset: u64,
    limit: u64,
) -> Result<PrototypeVariableList, AppError> {
    let snapshot = index.current(db).await?;
    // One pass: count every match, keep only the page's ids.
    let first = usize::try_from(offset).unwrap_or(usize::MAX);
    let size = usize::try_from(limit.min(MAX_LIMIT)).unwrap_or(usize::MAX);
    let mut total = 0usize;
    let mut page = Vec::with_capacity(size.min(1_000));
    for entry in snapshot.entries().filter(|entry| passes(filter, entry)) {
        if total >= first && page.len() < size {
            page.push(entry.id);
        }
        total += 1;
    }
    let total = total as u64;
    Ok(PrototypeVariableList {
        total,
        limit,
        offset,
        variables: variables_by_id(db, &page, false).await?,
    })
}

/// `GET /api/variables`: every variable the filters select (the prototype pages nothing here),
/// in name order, with their active paths when asked.
pub async fn list_variables<C: ConnectionTrait>(
    db: &C,
    index: &RegistryIndex,
    filter: &PrototypeFilter,
    include_paths: bool,
) -> Result<Vec<PrototypeVariable>, AppError> {
    let ids = matching_ids(db, index, filter).await?;
    variables_by_id(db, &ids, include_paths).await
}

/// The live (not deleted) variable with this name.
async fn live_model<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<system_variable::Model, AppError> {
    system_variable::Entity::find()
        .filter(system_variable::Column::Name.eq(name))
        .filter(system_variable::Column::Deleted.eq(false))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("variable {name:?}")))
}

/// `GET /api/vars/{name}`: the variable with all its paths (removed ones with `active: false`),
/// highest priority first.
pub async fn get_var<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<PrototypeVariable, AppError> {
    let model = live_model(db, name).await?;
    let paths = variable_access_path::Entity::find()
        .filter(variable_access_path::Column::VariableId.eq(model.id))
        .order_by_desc(variable_access_path::Column::Priority)
        .order_by_asc(variable_access_path::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_prototype_path)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(to_prototype_variable(model, Some(paths)))
}

/// `GET /api/variables/{name}` at the current version.
pub async fn get_current<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<PrototypeVariableAnswer, AppError> {
    let variable = super::query::get_variable(db, name).await?;
    if variable.deleted {
        return Err(AppError::NotFound(format!("variable {name:?}")));
    }
    Ok(PrototypeVariableAnswer {
        ok: true,
        variable: at_version(variable),
    })
}

/// `POST /api/variables/bulk`: the variables found in the order asked (each once), with their
/// active paths, and the names not found.
pub async fn bulk<C: ConnectionTrait>(
    db: &C,
    names: &[String],
) -> Result<PrototypeBulkAnswer, AppError> {
    let mut found: HashMap<String, system_variable::Model> = HashMap::new();
    for chunk in names.chunks(READ_CHUNK) {
        for model in system_variable::Entity::find()
            .filter(system_variable::Column::Name.is_in(chunk.iter().cloned()))
            .filter(system_variable::Column::Deleted.eq(false))
            .all(db)
            .await?
        {
            found.insert(model.name.clone(), model);
        }
    }
    // Each name is answered once, in the order first asked.
    let mut answered: HashSet<&str> = HashSet::new();
    let mut models = Vec::new();
    let mut not_found = Vec::new();
    for name in names {
        if !answered.insert(name.as_str()) {
            continue;
        }
        match found.remove(name) {
            Some(model) => models.push(model),
            None => not_found.push(name.clone()),
        }
    }
    Ok(PrototypeBulkAnswer {
        variables: with_paths(db, models, true).await?,
        not_found,
    })
}

/// `GET /`: the service, its variable count, system version and database.
pub async fn service_info<C: ConnectionTrait>(
    db: &C,
    index: &RegistryIndex,
    database: &DatabaseInfo,
) -> Result<PrototypeServiceInfo, AppError> {
    let snapshot = index.current(db).await?;
    let variable_count = snapshot.entries().filter(|e| !e.deleted).count() as u64;
    let scheme = match database.backend {
        DatabaseBackend::Sqlite => "sqlite",
        DatabaseBackend::Postgres => "postgres",
    };
    Ok(PrototypeServiceInfo {
        service: "Powerdeck variable registry".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        variable_count,
        system_version: snapshot.version(),
        database: format!("{scheme}:{}", database.location),
    })
}

/// `GET /api/categories`: the categories live variables use, alphabetically.
pub async fn categories<C: ConnectionTrait>(
    db: &C,
    index: &RegistryIndex,
) -> Result<PrototypeCategories, AppError> {
    let mut categories: Vec<String> = index
        .current(db)
        .await?
        .categories()
        .into_iter()
        .filter(|facet| facet.count > 0)
        .map(|facet| facet.value)
        .collect();
    categories.sort();
    Ok(PrototypeCategories { categories })
}

/// `GET /api/locators`: the locators live variables use (of one category, when given),
/// alphabetically.
pub async fn locators<C: ConnectionTrait>(
    db: &C,
    index: &RegistryIndex,
    category: Option<&str>,
) -> Result<PrototypeLocators, AppError> {
    // The prototype tested `if category:`: an empty value is no filter, and a text that is no
    // category matches nothing.
    let category = match category.filter(|c| !c.is_empty()) {
        None => None,
        Some(text) => match Category::parse(text) {
            Some(category) => Some(category),
            None => return Ok(PrototypeLocators { locators: vec![] }),
        },
    };
    // In locator order already, and without variables that have none (the prototype left out
    // its NULLs).
    let locators = index
        .current(db)
        .await?
        .locators(category)
        .into_iter()
        .map(|facet| facet.value)
        .collect();
    Ok(PrototypeLocators { locators })
}

// ------------------------------------------------------------------ writes

fn actor_of(changed_by: Option<&str>, source_system: Option<&str>) -> Actor {
    Actor::new(
        changed_by.unwrap_or(DEFAULT_CHANGED_BY),
        source_system.unwrap_or(DEFAULT_SOURCE_SYSTEM),
    )
}

/// `PUT /api/variables/{name}`: changes the fields given, recorded as `changed_by` from
/// `source_system`. The prototype sends no version: the write uses the version it reads, and
/// reads again if another writer committed in between.
pub async fn update_variable(
    db: &DatabaseConnection,
    name: &str,
    update: &PrototypeVariableUpdate,
) -> Result<PrototypeUpdateAnswer, AppError> {
    let actor = actor_of(
        update.changed_by.as_deref(),
        update.source_system.as_deref(),
    );
    let patch = VariablePatch {
        display_name: update.display_name.clone(),
        units: update.units.clone(),
        description: update.description.clone(),
        category: update.category,
        // The prototype's `locator: null` leaves the locator as it is (it only set given values).
        locator: update.locator.clone().map(Some),
    };
    let mut attempt = 0;
    let variable = loop {
        attempt += 1;
        let current = live_model(db, name).await?;
        match write::update_variable(db, name, current.variable_version, &patch, &actor).await {
            Err(AppError::Conflict(_)) if attempt < WRITE_ATTEMPTS => continue,
            other => break other?,
        }
    };
    Ok(PrototypeUpdateAnswer {
        ok: true,
        variable: variable.name,
        variable_version: variable.variable_version,
        system_version: variable.system_version,
    })
}

/// The posted reference as JSON: an object as is, or the prototype's stored form, a string
/// holding JSON.
fn reference_value(reference: &Value) -> Result<Value, AppError> {
    match reference {
        Value::String(text) => serde_json::from_str(text).map_err(|e| {
            AppError::validation(
                "reference",
                format!("the string is not JSON ({e}); send the reference as an object"),
            )
        }),
        other => Ok(other.clone()),
    }
}

/// `POST /api/variables/{name}/access_paths`: adds the path, or, when the variable already has
/// one of the same access type and reference (removed ones included), updates that one with
/// the values given (and makes it active again) instead of adding a duplicate.
pub async fn add_or_update_path(
    db: &DatabaseConnection,
    name: &str,
    create: &PrototypeAccessPathCreate,
) -> Result<PrototypeAccessPathAnswer, AppError> {
    let actor = actor_of(
        create.changed_by.as_deref(),
        create.source_system.as_deref(),
    );
    let new = NewAccessPath {
        access_type: create.access_type,
        reference: reference_value(&create.reference)?,
        priority: create.priority.unwrap_or(0),
        read_only: create.read_only.unwrap_or(false),
        rack_number: create.rack_number,
        device_id: create.device_id.clone(),
    };
    // A broken rule is the `Validation` error naming its field (`From<FieldError>`).
    let reference = validate_new_path(&new)?.to_json();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let model = live_model(db, name).await?;
        let identical = identical_path(db, model.id, &new, &reference).await?;
        let written = match &identical {
            None => write::add_path(db, name, model.variable_version, &new, &actor).await,
            Some(path) => {
                let patch = AccessPathPatch {
                    reference: None,
                    priority: create.priority,
                    read_only: create.read_only,
                    // Given values only: an update never clears what the caller did not send.
                    rack_number: create.rack_number.map(Some),
                    device_id: create.device_id.clone().map(Some),
                    active: Some(true),
                };
                write::update_path(db, name, path.id, model.variable_version, &patch, &actor).await
            }
        };
        let variable = match written {
            Err(AppError::Conflict(_)) if attempt < WRITE_ATTEMPTS => continue,
            other => other?,
        };
        let (access_path_id, change) = match identical {
            Some(path) if variable.variable_version == model.variable_version => {
                (path.id, PrototypePathChange::Unchanged)
            }
            Some(path) => (path.id, PrototypePathChange::AccessPathUpdated),
            None => (
                newest_identical(&variable, &new, &reference)?,
                PrototypePathChange::AccessPathAdded,
            ),
        };
        return Ok(PrototypeAccessPathAnswer {
            ok: true,
            variable: variable.name,
            version: variable.variable_version,
            variable_version: variable.variable_version,
            system_version: variable.system_version,
            access_path_id,
            change,
        });
    }
}

/// The variable's path of the same access type and reference (the active one first, then the
/// newest).
async fn identical_path(
    db: &DatabaseConnection,
    variable_id: i64,
    new: &NewAccessPath,
    reference: &Value,
) -> Result<Option<variable_access_path::Model>, AppError> {
    let candidates = variable_access_path::Entity::find()
        .filter(variable_access_path::Column::VariableId.eq(variable_id))
        .filter(variable_access_path::Column::AccessType.eq(new.access_type))
        .order_by_desc(variable_access_path::Column::Active)
        .order_by_desc(variable_access_path::Column::Id)
        .all(db)
        .await?;
    Ok(candidates
        .into_iter()
        .find(|path| same_reference(new, &path.reference, reference)))
}

/// Stored references are compared as parsed, normalised JSON (key order does not matter).
fn same_reference(new: &NewAccessPath, stored: &str, reference: &Value) -> bool {
    serde_json::from_str::<Value>(stored)
        .ok()
        .and_then(|value| AccessReference::parse(new.access_type, &value).ok())
        .is_some_and(|parsed| &parsed.to_json() == reference)
}

/// The id of the path just added: the newest active path with this type and reference.
fn newest_identical(
    variable: &Variable,
    new: &NewAccessPath,
    reference: &Value,
) -> Result<i64, AppError> {
    variable
        .paths
        .iter()
        .flatten()
        .filter(|path| path.active && path.access_type == new.access_type)
        .filter(|path| &path.reference == reference)
        .map(|path| path.id)
        .max()
        .ok_or_else(|| AppError::Internal("the added access path is not in the answer".into()))
}

// ------------------------------------------------------------------ change feed

/// `GET /api/variables/changes`: every variable changed after `since_version` (itself or one
/// of its active paths), in system-version order, each with its active paths changed after it.
pub async fn changes_since<C: ConnectionTrait>(
    db: &C,
    since_version: i64,
) -> Result<PrototypeChanges, AppError> {
    let current_system_version = crate::system::system_version_of(db).await?;
    let mut models: HashMap<i64, system_variable::Model> = system_variable::Entity::find()
        .filter(system_variable::Column::SystemVersion.gt(since_version))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let paths = variable_access_path::Entity::find()
        .filter(variable_access_path::Column::SystemVersion.gt(since_version))
        .filter(variable_access_path::Column::Active.eq(true))
        .order_by_desc(variable_access_path::Column::Priority)
        .order_by_asc(variable_access_path::Column::Id)
        .all(db)
        .await?;
    // A path change also stamps its variable, so owners are normally loaded already; this
    // covers rows written otherwise.
    let missing: Vec<i64> = paths
        .iter()
        .map(|p| p.variable_id)
        .filter(|id| !models.contains_key(id))
        .collect();
    for chunk in missing.chunks(READ_CHUNK) {
        for model in system_variable::Entity::find()
            .filter(system_variable::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            models.insert(model.id, model);
        }
    }
    let mut changed_paths: HashMap<i64, Vec<PrototypeAccessPath>> = HashMap::new();
    for path in paths {
        changed_paths
            .entry(path.variable_id)
            .or_default()
            .push(to_prototype_path(path)?);
    }
    let mut models: Vec<system_variable::Model> = models.into_values().collect();
    models.sort_by_key(|m| (m.system_version, m.id));
    let changes = models
        .into_iter()
        .map(|model| {
            let own = changed_paths.remove(&model.id).unwrap_or_default();
            to_prototype_variable(model, Some(own))
        })
        .collect();
    Ok(PrototypeChanges {
        ok: true,
        current_system_version,
        since_version,
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_are_spelled_as_python_isoformat() {
        let whole = Utc.with_ymd_and_hms(2026, 12, 2, 6, 22, 50).unwrap();
        assert_eq!(python_isoformat(whole), "2026-12-02T06:22:50+00:00");
        let fraction = whole + chrono::Duration::microseconds(123_456);
        assert_eq!(
            python_isoformat(fraction),
            "2026-12-02T06:22:50.123456+00:00"
        );
        assert_eq!(
            reformat("2026-12-02T06:22:50.123456789+00:00"),
            "2026-12-02T06:22:50.123456+00:00"
        );
    }
}
