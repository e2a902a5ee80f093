//! The rules a catalog write must keep, each problem reported with the path of its field: slugs
//! (`ids::check_id`), one namespace for every slug across the whole database (an inverter may not
//! take an array's id, nor a row of another system), references to arrays of the same system,
//! known adapter types of the device's category, and bounded pack counts.

use std::collections::HashMap;

use entity::site::{
    adapter, adapter_base, battery_array, battery_pack, inverter, inverter_array, meter, system,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use model::error::AppError;
use model::site::ids;
use model::site::spec::{BatteryPackSpec, DeviceCategory, SiteSpec};
use model::site::tree::EntityKind;

use super::packs::{MAX_BATTERIES_PER_PACK, MAX_CELLS_PER_BATTERY};

/// Every problem found, in order; all of them are reported at once.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    found: Vec<(String, String)>,
}

impl Problems {
    pub(crate) fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.found.push((path.into(), message.into()));
    }

    /// One `Validation` error: the first problem's path, and every problem in its message.
    pub(crate) fn finish(self) -> Result<(), AppError> {
        let mut found = self.found.into_iter();
        let Some((field, first)) = found.next() else {
            return Ok(());
        };
        let rest: Vec<String> = found
            .map(|(path, message)| format!("{path}: {message}"))
            .collect();
        let message = if rest.is_empty() {
            first
        } else {
            format!("{first}; {}", rest.join("; "))
        };
        Err(AppError::Validation { field, message })
    }
}

/// Who holds a slug: the kind of row and its system (none for an adapter of no system).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    pub(crate) kind: EntityKind,
    pub(crate) system_id: Option<String>,
}

impl Owner {
    /// "the id of inverter array 'array1' in system 'system'".
    pub(crate) fn describe(&self, id: &str) -> String {
        match &self.system_id {
            Some(system) if self.kind != EntityKind::System => {
                format!("the id of {} {id:?} in system {system:?}", self.kind)
            }
            _ => format!("the id of {} {id:?}", self.kind),
        }
    }
}

/// Which of `ids` are taken, and by what, across every table of slugs.
pub(crate) async fn owners(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, Owner>, AppError> {
    let mut found = HashMap::new();
    if ids.is_empty() {
        return Ok(found);
    }
    for chunk in ids.chunks(500) {
        let chunk = chunk.to_vec();
        let mut add = |kind: EntityKind, rows: Vec<(String, Option<String>)>| {
            for (id, system_id) in rows {
                found.insert(id, Owner { kind, system_id });
            }
        };
        add(
            EntityKind::System,
            system::Entity::find()
                .select_only()
                .column(system::Column::SystemId)
                .column_as(system::Column::SystemId, "owner_system")
                .filter(system::Column::SystemId.is_in(chunk.clone()))
                .into_tuple()
                .all(db)
                .await?,
        );
        macro_rules! owned {
            ($kind:expr, $entity:ident, $key:ident) => {
                add(
                    $kind,
                    $entity::Entity::find()
                        .select_only()
                        .column($entity::Column::$key)
                        .column($entity::Column::SystemId)
                        .filter($entity::Column::$key.is_in(chunk.clone()))
                        .into_tuple()
                        .all(db)
                        .await?,
                )
            };
        }
        owned!(EntityKind::InverterArray, inverter_array, ArrayId);
        owned!(EntityKind::Inverter, inverter, InverterId);
        owned!(EntityKind::BatteryArray, battery_array, BatteryArrayId);
        owned!(EntityKind::BatteryPack, battery_pack, PackId);
        owned!(EntityKind::Meter, meter, MeterId);
        owned!(EntityKind::Adapter, adapter, AdapterId);
    }
    Ok(found)
}

/// Checks a slug for a new row of `kind`: well formed and held by nothing in the database.
pub(crate) async fn check_new_id(
    db: &impl ConnectionTrait,
    id: &str,
    path: &str,
) -> Result<(), AppError> {
    ids::check_id(id).map_err(|m| AppError::validation(path, m))?;
    if let Some(owner) = owners(db, &[id.to_string()]).await?.get(id) {
        return Err(AppError::validation(
            path,
            format!("{id:?} is already {}", owner.describe(id)),
        ));
    }
    Ok(())
}

/// The device category each existing type of `types` serves (none: any category).
pub(crate) async fn adapter_categories(
    db: &impl ConnectionTrait,
    types: Vec<String>,
) -> Result<HashMap<String, Option<DeviceCategory>>, AppError> {
    if types.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(adapter_base::Entity::find()
        .select_only()
        .column(adapter_base::Column::AdapterType)
        .column(adapter_base::Column::DeviceCategory)
        .filter(adapter_base::Column::AdapterType.is_in(types))
        .into_tuple::<(String, Option<DeviceCategory>)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The category of adapter a device of `kind` takes.
pub(crate) fn category_of(kind: EntityKind) -> DeviceCategory {
    match kind {
        EntityKind::BatteryPack => DeviceCategory::Battery,
        EntityKind::Meter => DeviceCategory::Meter,
        _ => DeviceCategory::Inverter,
    }
}

/// Checks that an adapter type exists and serves a device of `kind`.
pub(crate) fn check_type_serves(
    categories: &HashMap<String, Option<DeviceCategory>>,
    adapter_type: &str,
    kind: EntityKind,
) -> Result<(), String> {
    let wanted = category_of(kind);
    match categories.get(adapter_type) {
        None => Err(format!("unknown adapter type {adapter_type:?}")),
        Some(Some(category)) if *category != wanted => Err(format!(
            "adapter type {adapter_type:?} drives a {}, not a {}",
            category.as_str(),
            wanted.as_str()
        )),
        Some(_) => Ok(()),
    }
}

/// Checks a name (not blank).
pub(crate) fn check_name(problems: &mut Problems, path: String, name: &str) {
    if name.trim().is_empty() {
        problems.add(path, "a name may not be empty");
    }
}

/// `prefix.field`, or `field` alone.
pub(crate) fn field_path(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_string()
    } else {
        format!("{prefix}.{field}")
    }
}

/// Checks a pack's counts (`prefix`: the pack's path, empty for a pack on its own).
pub(crate) fn check_counts(problems: &mut Problems, prefix: &str, pack: &BatteryPackSpec) {
    if pack.batteries > MAX_BATTERIES_PER_PACK {
        problems.add(
            field_path(prefix, "batteries"),
            format!("a pack holds at most {MAX_BATTERIES_PER_PACK} batteries"),
        );
    }
    if pack.cells_per_battery > MAX_CELLS_PER_BATTERY {
        problems.add(
            field_path(prefix, "cells_per_battery"),
            format!("a battery holds at most {MAX_CELLS_PER_BATTERY} cells"),
        );
    }
}

/// Every slug of a spec: (field path, id, kind of row).
pub(crate) fn spec_ids(spec: &SiteSpec) -> Vec<(String, &str, EntityKind)> {
    let mut all = vec![(
        "system.id".to_string(),
        spec.system.id.as_str(),
        EntityKind::System,
    )];
    for (i, a) in spec.inverter_arrays.iter().enumerate() {
        all.push((
            format!("inverter_arrays[{i}].id"),
            &a.id,
            EntityKind::InverterArray,
        ));
    }
    for (i, inv) in spec.inverters.iter().enumerate() {
        all.push((format!("inverters[{i}].id"), &inv.id, EntityKind::Inverter));
        if let Some(a) = &inv.adapter {
            all.push((
                format!("inverters[{i}].adapter.id"),
                &a.id,
                EntityKind::Adapter,
            ));
        }
    }
    for (i, a) in spec.battery_arrays.iter().enumerate() {
        all.push((
            format!("battery_arrays[{i}].id"),
            &a.id,
            EntityKind::BatteryArray,
        ));
    }
    for (i, p) in spec.battery_packs.iter().enumerate() {
        all.push((
            format!("battery_packs[{i}].id"),
            &p.id,
            EntityKind::BatteryPack,
        ));
        for (j, a) in p.adapters.iter().enumerate() {
            all.push((
                format!("battery_packs[{i}].adapters[{j}].id"),
                &a.id,
                EntityKind::Adapter,
            ));
        }
    }
    for (i, m) in spec.meters.iter().enumerate() {
        all.push((format!("meters[{i}].id"), &m.id, EntityKind::Meter));
        if let Some(a) = &m.adapter {
            all.push((
                format!("meters[{i}].adapter.id"),
                &a.id,
                EntityKind::Adapter,
            ));
        }
    }
    all
}

/// Slugs well formed and unique within the spec (one namespace for every kind).
pub(crate) fn check_spec_ids(problems: &mut Problems, spec: &SiteSpec) {
    let mut seen: HashMap<&str, (&str, EntityKind)> = HashMap::new();
    let all = spec_ids(spec);
    for (path, id, kind) in &all {
        if let Err(message) = ids::check_id(id) {
            problems.add(path.clone(), message);
        } else if let Some((first, other)) = seen.get(id) {
            problems.add(
                path.clone(),
                format!("{id:?} is already the id of the {other} at {first}"),
            );
        } else {
            seen.insert(id, (path.as_str(), *kind));
        }
    }
}

/// Slugs of the spec that rows of another kind, or of another system, hold in the database.
pub(crate) async fn check_spec_namespace(
    db: &impl ConnectionTrait,
    problems: &mut Problems,
    spec: &SiteSpec,
) -> Result<(), AppError> {
    let all = spec_ids(spec);
    let ids: Vec<String> = all.iter().map(|(_, id, _)| (*id).to_string()).collect();
    let owners = owners(db, &ids).await?;
    for (path, id, kind) in &all {
        let Some(owner) = owners.get(*id) else {
            continue;
        };
        let same_system = *kind == EntityKind::System
            || owner.system_id.as_deref() == Some(spec.system.id.as_str());
        if owner.kind != *kind || !same_system {
            problems.add(
                path.clone(),
                format!("{id:?} is already {}", owner.describe(id)),
            );
        }
    }
    Ok(())
}
