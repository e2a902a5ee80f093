//! Resolving a protection set's fields: each to its registry variable (by the naming rule) and
//! that variable's best writable path mapped onto one device register.

use std::collections::HashMap;

use devices::codec;
use entity::{system_variable, variable_access_path};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::convert::to_path;
use crate::field::FieldIo;
use crate::field::config::Target;
use crate::protections::naming::NamingRule;
use crate::registry::query::{PathPreference, choose_path};
use model::error::AppError;
use model::protections::{FieldPath, LimitField, ProtectionSet};

/// One field of a set on its way to the device.
#[derive(Debug, Clone)]
pub(super) struct Field {
    pub(super) path: FieldPath,
    pub(super) intended: f64,
    /// The registry variable named by the naming rule, when the registry has it.
    pub(super) variable: Option<String>,
    /// Where it is written; `Err` says why it cannot be.
    pub(super) target: Result<Target, String>,
}

impl Field {
    pub(super) fn console_only(&self) -> bool {
        self.variable.is_none()
    }
}

/// Resolves every field of `set`: registry variable by the naming rule, then its best writable
/// path mapped onto a register. Three queries whatever the size of the set.
pub(super) async fn resolve(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    naming: &NamingRule,
    set: &ProtectionSet,
) -> Result<Vec<Field>, AppError> {
    let wanted: Vec<(FieldPath, f64, String)> = set
        .fields()
        .into_iter()
        .map(|(path, value)| {
            let name = naming.device_variable(&path);
            (path, value.as_f64(), name)
        })
        .collect();
    let names: Vec<String> = wanted.iter().map(|(_, _, name)| name.clone()).collect();
    let mut ids: HashMap<i64, String> = HashMap::new();
    // Chunked: SQLite limits the parameters of one statement.
    for chunk in names.chunks(500) {
        let rows: Vec<(i64, String)> = system_variable::Entity::find()
            .select_only()
            .columns([system_variable::Column::Id, system_variable::Column::Name])
            .filter(system_variable::Column::Name.is_in(chunk.iter().cloned()))
            .filter(system_variable::Column::Deleted.eq(false))
            .into_tuple()
            .all(db)
            .await?;
        ids.extend(rows);
    }
    let mut paths: HashMap<String, Vec<model::registry::AccessPath>> = HashMap::new();
    let id_list: Vec<i64> = ids.keys().copied().collect();
    for chunk in id_list.chunks(500) {
        for model in variable_access_path::Entity::find()
            .filter(variable_access_path::Column::VariableId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            let name = ids[&model.variable_id].clone();
            paths.entry(name).or_default().push(to_path(model)?);
        }
    }
    let known: std::collections::HashSet<&String> = ids.values().collect();
    let preference = PathPreference {
        rack: None,
        access_type: None,
        writable: true,
    };
    Ok(wanted
        .into_iter()
        .map(|(path, intended, name)| {
            if !known.contains(&name) {
                return Field {
                    path,
                    intended,
                    variable: None,
                    target: Err("kept in the console only".into()),
                };
            }
            let target = choose_path(paths.get(&name).cloned().unwrap_or_default(), &preference)
                .ok_or_else(|| format!("{name} has no active writable path"))
                .and_then(|access| field_io.target_of(&access))
                .and_then(|target| check_target(&name, target));
            Field {
                path,
                intended,
                variable: Some(name),
                target,
            }
        })
        .collect())
}

/// What validation needs of one field: does a device variable hold it, and what can its
/// register hold.
pub struct ValidationField {
    pub quantity: String,
    pub field: LimitField,
    /// The registry variable that holds it, if any.
    pub variable: Option<String>,
    /// The engineering range of its register, when it maps onto one.
    pub range: Option<(f64, f64)>,
}

pub async fn resolve_for_validation(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    naming: &NamingRule,
    set: &ProtectionSet,
) -> Result<Vec<ValidationField>, AppError> {
    Ok(resolve(db, field_io, naming, set)
        .await?
        .into_iter()
        .map(|f| ValidationField {
            variable: f.variable.clone(),
            range: f
                .target
                .as_ref()
                .ok()
                .map(|t| codec::engineering_range(t.data_type, t.scale, 0.0)),
            quantity: f.path.variable,
            field: f.path.field,
        })
        .collect())
}

/// Field paths of `set` that no registry variable holds (kept in the console only).
pub async fn console_only_fields(
    db: &DatabaseConnection,
    naming: &NamingRule,
    set: &ProtectionSet,
) -> Result<Vec<String>, AppError> {
    // No field I/O is needed to know which variables exist.
    Ok(resolve(db, &FieldIo::default(), naming, set)
        .await?
        .into_iter()
        .filter(|f| f.console_only())
        .map(|f| f.path.to_string())
        .collect())
}

/// A protection field is one register-backed number on a writable table.
fn check_target(name: &str, target: Target) -> Result<Target, String> {
    if !target.table.is_writable() {
        return Err(format!(
            "{name}: {:?} registers cannot be written",
            target.table
        ));
    }
    if target.elements != 1 {
        return Err(format!(
            "{name} holds {} values; a protection field is one",
            target.elements
        ));
    }
    Ok(target)
}
