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
use model::site::adapters::{ConfigProblem, ConfigValidator, SCHEMA_RULE};
use model::site::ids;
use model::site::spec::{AdapterSpec, BatteryPackSpec, DeviceCategory, SiteSpec};
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

/// What a catalog write needs to know of an adapter type: the category of device it drives and
/// its configuration schema, compiled once per write (None: generic, serves any category).
pub(crate) struct AdapterTypeFacts {
    category: Option<DeviceCategory>,
    validator: Result<ConfigValidator, ConfigProblem>,
}

/// The facts of each of `types` that the database knows (an unknown type is simply absent).
pub(crate) async fn adapter_types(
    db: &impl ConnectionTrait,
    types: Vec<String>,
) -> Result<HashMap<String, AdapterTypeFacts>, AppError> {
    if types.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = adapter_base::Entity::find()
        .select_only()
        .column(adapter_base::Column::AdapterType)
        .column(adapter_base::Column::DeviceCategory)
        .column(adapter_base::Column::ConfigSchema)
        .filter(adapter_base::Column::AdapterType.is_in(types))
        .into_tuple::<(String, Option<DeviceCategory>, String)>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(adapter_type, category, schema)| {
            let validator = serde_json::from_str(&schema)
                .map_err(|e| ConfigProblem {
                    pointer: String::new(),
                    rule: SCHEMA_RULE.into(),
                    message: format!("the type's stored schema is not JSON: {e}"),
                })
                .and_then(|schema| ConfigValidator::new(&schema));
            (
                adapter_type,
                AdapterTypeFacts {
                    category,
                    validator,
                },
            )
        })
        .collect())
}

/// Checks an adapter of a device of `kind` (`prefix`: the adapter's path, empty for an adapter
/// on its own): its type exists and drives that kind of device, and its configuration keeps the
/// type's JSON Schema. Every configuration problem is reported at its own path
/// (`config.register_map[0].address`), as the `config.yaml` reader reports them at their line.
pub(crate) fn check_adapter(
    problems: &mut Problems,
    types: &HashMap<String, AdapterTypeFacts>,
    prefix: &str,
    adapter: &AdapterSpec,
    kind: EntityKind,
) {
    let Some(facts) = types.get(&adapter.adapter_type) else {
        problems.add(
            field_path(prefix, "adapter_type"),
            format!("unknown adapter type {:?}", adapter.adapter_type),
        );
        return;
    };
    let wanted = category_of(kind);
    if let Some(category) = facts.category.filter(|c| *c != wanted) {
        problems.add(
            field_path(prefix, "adapter_type"),
            format!(
                "adapter type {:?} drives a {}, not a {}",
                adapter.adapter_type,
                category.as_str(),
                wanted.as_str()
            ),
        );
    }
    let found = match &facts.validator {
        Ok(validator) => validator.problems(&adapter.config),
        Err(problem) => vec![problem.clone()],
    };
    for problem in found {
        problems.add(
            format!(
                "{}{}",
                field_path(prefix, "config"),
                dotted(&problem.pointer)
            ),
            format!("{} ({})", problem.message, problem.rule),
        );
    }
}

/// A JSON Pointer as the dotted path the other problems use: `/register_map/0/address` is
/// `.register_map[0].address`.
fn dotted(pointer: &str) -> String {
    pointer
        .split('/')
        .skip(1)
        .map(|segment| {
            let segment = segment.replace("~1", "/").replace("~0", "~");
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                format!("[{segment}]")
            } else {
                format!(".{segment}")
            }
        })
        .collect()
}

/// The category of adapter a device of `kind` takes.
pub(crate) fn category_of(kind: EntityKind) -> DeviceCategory {
    match kind {
        EntityKind::BatteryPack => DeviceCategory::Battery,
        EntityKind::Meter => DeviceCategory::Meter,
        _ => DeviceCategory::Inverter,
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
