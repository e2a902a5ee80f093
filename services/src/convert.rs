//! Entity → DTO: the registry's sea-orm rows turned into the shared model's types. Every domain
//! converts here, so pages, server functions and REST handlers only ever see `model` types.

use entity::system_variable::{self, locator_of};
use entity::{variable_access_path, variable_change_log};
use model::error::AppError;
use model::registry::{AccessPath, ChangeLogEntry, Variable};

pub fn to_path(model: variable_access_path::Model) -> Result<AccessPath, AppError> {
    let reference = serde_json::from_str(&model.reference).map_err(|e| {
        AppError::Internal(format!(
            "path {} has a reference that is not JSON: {e}",
            model.id
        ))
    })?;
    Ok(AccessPath {
        id: model.id,
        access_type: model.access_type,
        reference,
        priority: model.priority,
        read_only: model.read_only,
        rack_number: model.rack_number,
        device_id: model.device_id,
        path_version: model.path_version,
        system_version: model.system_version,
        last_updated: model.last_updated.to_rfc3339(),
        active: model.active,
    })
}

pub fn to_variable(
    model: system_variable::Model,
    paths: Option<Vec<AccessPath>>,
    path_count: u32,
) -> Variable {
    Variable {
        name: model.name,
        display_name: model.display_name,
        units: model.units,
        description: model.description,
        category: model.category,
        locator: locator_of(&model.locator).map(str::to_string),
        variable_version: model.variable_version,
        system_version: model.system_version,
        last_updated: model.last_updated.to_rfc3339(),
        source_system: model.source_system,
        deleted: model.deleted,
        paths,
        path_count,
    }
}

/// A count of items as the wire's `u32`, saturating: no list comes near 4 billion items.
pub fn count_u32(count: usize) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

pub fn to_log_entry(model: variable_change_log::Model) -> ChangeLogEntry {
    ChangeLogEntry {
        change_type: model.change_type,
        field_name: model.field_name,
        old_value: model.old_value,
        new_value: model.new_value,
        timestamp: model.timestamp.to_rfc3339(),
        changed_by: model.changed_by,
        source_system: model.source_system,
        path_id: model.path_id,
        variable_version: model.variable_version,
        system_version: model.system_version,
    }
}
