//! Resolving a protection set's fields: each to its registry variable (by the naming rule) and
//! that variable's best writable path mapped onto one device register.

use std::collections::{BTreeMap, HashMap};

use devices::{DataType, RegisterTable, codec};
use entity::{system_variable, variable_access_path};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::convert::to_path;
use crate::field::config::Target;
use crate::field::{FieldIo, TargetError};
use crate::protections::naming::NamingRule;
use crate::registry::query::{PathPreference, choose_path};
use model::error::AppError;
use model::profiles::RegisterHint;
use model::protections::{FieldPath, FieldValue, LimitField, ProtectionSet, RegisterUnits};

/// One field of a set on its way to the device.
#[derive(Debug, Clone)]
pub(super) struct Field {
    pub(super) path: FieldPath,
    /// The rack it is written for, when its variable has paths of that rack (`None`: the
    /// register every rack shares, or a single-rack site).
    pub(super) rack: Option<i32>,
    pub(super) intended: f64,
    /// The registry variable named by the naming rule, when the registry has it.
    pub(super) variable: Option<String>,
    /// Where it is written; `Err` says why it cannot be.
    pub(super) target: Result<Target, Unwritable>,
}

/// Why a field cannot be written to the device.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum Unwritable {
    /// No registry variable holds the field: it lives in the console only.
    #[error("kept in the console only")]
    ConsoleOnly,
    /// The variable has no active path that may be written.
    #[error("{variable} has no active writable path")]
    NoWritablePath { variable: String },
    /// The field configuration maps the path onto no register.
    #[error(transparent)]
    NoTarget(#[from] TargetError),
    /// The path's registers are on a read-only table.
    #[error("{variable}: {table:?} registers cannot be written")]
    ReadOnlyTable {
        variable: String,
        table: RegisterTable,
    },
    /// The path holds an array; a protection field is a single number.
    #[error("{variable} holds {elements} values; a protection field is one")]
    SeveralValues { variable: String, elements: u16 },
}

impl Field {
    pub(super) fn console_only(&self) -> bool {
        self.variable.is_none()
    }
}

/// Resolves every field of `set`: registry variable by the naming rule, then its best writable
/// path mapped onto a register. Three queries whatever the size of the set. Every rack's paths
/// are left out: on a multi-rack site this reads and checks the registers every rack shares.
pub(super) async fn resolve(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    naming: &NamingRule,
    set: &ProtectionSet,
) -> Result<Vec<Field>, AppError> {
    let registry = Registry::load(db, naming, &set.fields()).await?;
    Ok(registry.resolve(field_io, naming, set.fields(), &[]))
}

/// [`resolve`] for a list of fields (a deploy of some fields only) and the racks to write: each
/// field once per rack, through that rack's best path (its own paths and the all-racks paths,
/// highest priority first). A field for which several racks choose an all-racks path is kept
/// once: that register is shared. No racks: one field each, as
/// [`resolve`] does.
pub(super) async fn resolve_fields(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    naming: &NamingRule,
    fields: Vec<(FieldPath, FieldValue)>,
    racks: Option<&[i32]>,
) -> Result<Vec<Field>, AppError> {
    let registry = Registry::load(db, naming, &fields).await?;
    let racks = match racks {
        Some([]) => return Err(AppError::validation("racks", "choose at least one rack")),
        Some(racks) => racks.to_vec(),
        None => registry.racks(),
    };
    Ok(registry.resolve(field_io, naming, fields, &racks))
}

/// Every field of `set` for every rack its paths name, as [`resolve_fields`] with no racks
/// chosen, and those racks (one registry read for both: a preview lists them).
pub(super) async fn resolve_every_rack(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    naming: &NamingRule,
    set: &ProtectionSet,
) -> Result<(Vec<i32>, Vec<Field>), AppError> {
    let fields = set.fields();
    let registry = Registry::load(db, naming, &fields).await?;
    let racks = registry.racks();
    let resolved = registry.resolve(field_io, naming, fields, &racks);
    Ok((racks, resolved))
}

/// The racks the writable paths of `set`'s device variables name, in order (empty: every
/// variable is reached through all-racks paths only).
pub async fn racks_of(
    db: &DatabaseConnection,
    naming: &NamingRule,
    set: &ProtectionSet,
) -> Result<Vec<i32>, AppError> {
    Ok(Registry::load(db, naming, &set.fields()).await?.racks())
}

/// What the registry holds of the device variables some fields name: which exist, the register
/// step their units declare, and their access paths.
struct Registry {
    /// The register step each variable's units declare (`0.1 °C`: one count is 0.1 °C).
    steps: HashMap<String, f64>,
    paths: HashMap<String, Vec<model::registry::AccessPath>>,
}

impl Registry {
    async fn load(
        db: &DatabaseConnection,
        naming: &NamingRule,
        fields: &[(FieldPath, FieldValue)],
    ) -> Result<Registry, AppError> {
        let names: Vec<String> = fields
            .iter()
            .map(|(path, _)| naming.device_variable(path))
            .collect();
        let mut ids: HashMap<i64, String> = HashMap::new();
        let mut steps: HashMap<String, f64> = HashMap::new();
        // Chunked: SQLite limits the parameters of one statement.
        for chunk in names.chunks(500) {
            let rows: Vec<(i64, String, String)> = system_variable::Entity::find()
                .select_only()
                .columns([
                    system_variable::Column::Id,
                    system_variable::Column::Name,
                    system_variable::Column::Units,
                ])
                .filter(system_variable::Column::Name.is_in(chunk.iter().cloned()))
                .filter(system_variable::Column::Deleted.eq(false))
                .into_tuple()
                .all(db)
                .await?;
            for (id, name, units) in rows {
                steps.insert(name.clone(), RegisterUnits::parse(&units).step);
                ids.insert(id, name);
            }
        }
        let mut paths: HashMap<String, Vec<model::registry::AccessPath>> = HashMap::new();
        let id_list: Vec<i64> = ids.keys().copied().collect();
        for chunk in id_list.chunks(500) {
            for model in variable_access_path::Entity::find()
                .filter(variable_access_path::Column::VariableId.is_in(chunk.iter().copied()))
                .all(db)
                .await?
            {
                // Every path found belongs to one of `ids` (that is what the query asked for).
                if let Some(name) = ids.get(&model.variable_id) {
                    paths.entry(name.clone()).or_default().push(to_path(model)?);
                }
            }
        }
        Ok(Registry { steps, paths })
    }

    /// The racks the active writable paths name, in order.
    fn racks(&self) -> Vec<i32> {
        let racks: std::collections::BTreeSet<i32> = self
            .paths
            .values()
            .flatten()
            .filter(|p| p.active && !p.read_only)
            .filter_map(|p| p.rack_number)
            .collect();
        racks.into_iter().collect()
    }

    /// Each field for each rack (once when `racks` is empty), resolved to its register.
    fn resolve(
        &self,
        field_io: &FieldIo,
        naming: &NamingRule,
        fields: Vec<(FieldPath, FieldValue)>,
        racks: &[i32],
    ) -> Vec<Field> {
        let racks: Vec<Option<i32>> = if racks.is_empty() {
            vec![None]
        } else {
            racks.iter().copied().map(Some).collect()
        };
        let mut out: Vec<Field> = Vec::new();
        for (path, value) in fields {
            let name = naming.device_variable(&path);
            let first = out.len();
            for rack in &racks {
                let field = self.field(field_io, &path, value.as_f64(), &name, *rack);
                // An all-racks path serves every rack: its register is written once.
                let shared = field.rack.is_none() && out[first..].iter().any(|e| e.rack.is_none());
                if !shared {
                    out.push(field);
                }
            }
        }
        out
    }

    fn field(
        &self,
        field_io: &FieldIo,
        path: &FieldPath,
        intended: f64,
        name: &str,
        rack: Option<i32>,
    ) -> Field {
        if !self.steps.contains_key(name) {
            return Field {
                path: path.clone(),
                rack: None,
                intended,
                variable: None,
                target: Err(Unwritable::ConsoleOnly),
            };
        }
        let preference = PathPreference {
            rack,
            access_type: None,
            writable: true,
        };
        let chosen = choose_path(
            self.paths.get(name).cloned().unwrap_or_default(),
            &preference,
        );
        // The field is the rack's when the path chosen for the rack is the rack's own.
        let rack = chosen.as_ref().and_then(|p| p.rack_number);
        let target = chosen
            .ok_or_else(|| Unwritable::NoWritablePath {
                variable: name.to_string(),
            })
            .and_then(|access| Ok(field_io.target_of(&access)?))
            .and_then(|target| check_target(name, target))
            .map(|target| in_limit_units(target, self.steps.get(name).copied()));
        Field {
            path: path.clone(),
            rack,
            intended,
            variable: Some(name.to_string()),
            target,
        }
    }
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

/// The register behind each field of `set` that a device variable holds and a register backs,
/// keyed by field path: what the grid shows as the value the device will hold.
pub async fn register_hints(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    naming: &NamingRule,
    set: &ProtectionSet,
) -> Result<BTreeMap<String, RegisterHint>, AppError> {
    Ok(resolve(db, field_io, naming, set)
        .await?
        .into_iter()
        .filter_map(|f| {
            let target = f.target.ok()?;
            let hint = RegisterHint {
                register: target.describe(),
                scale: target.scale,
                integer: target.data_type != DataType::F32,
            };
            Some((f.path.to_string(), hint))
        })
        .collect())
}

/// The target read and written in the limit's units: the register's value as the registry
/// reads it (the path's scale applied) is in counts of the variable's units' step (`0.1 °C`),
/// so the step joins the scale. This is the one place where limits meet raw register units.
fn in_limit_units(mut target: Target, step: Option<f64>) -> Target {
    target.scale *= step.unwrap_or(1.0);
    target
}

/// A protection field is one register-backed number on a writable table.
fn check_target(name: &str, target: Target) -> Result<Target, Unwritable> {
    if !target.table.is_writable() {
        return Err(Unwritable::ReadOnlyTable {
            variable: name.to_string(),
            table: target.table,
        });
    }
    if target.elements != 1 {
        return Err(Unwritable::SeveralValues {
            variable: name.to_string(),
            elements: target.elements,
        });
    }
    Ok(target)
}
