//! Exporting the registry as `data_def.json` + `var_metadata.json`: importing them into an empty
//! database reproduces every variable with a memory path; importing them back changes nothing.

use std::collections::{BTreeMap, HashMap};

use entity::system_variable::{self, locator_of};
use entity::variable_access_path;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;

use model::error::AppError;
use model::registry::{AccessReference, AccessType};

#[derive(Serialize)]
struct ItemOut<'a> {
    name: &'a str,
    offset: u32,
    size: u32,
    num: u32,
}

#[derive(Serialize)]
struct TableOut<'a> {
    table: String,
    items: Vec<ItemOut<'a>>,
}

#[derive(Serialize)]
struct MetaOut<'a> {
    category: &'a str,
    /// `null` for no locator, written out so that it reads back as none whatever the defaults.
    locator: Option<&'a str>,
    display_name: &'a str,
    units: &'a str,
    description: &'a str,
}

#[derive(Serialize)]
struct MetadataOut<'a> {
    defaults: BTreeMap<String, String>,
    variables: BTreeMap<&'a str, MetaOut<'a>>,
    patterns: Vec<serde_json::Value>,
}

/// The two files' contents, and how many variables only the metadata file carries (they have no
/// active memory path, so an import into an empty database would not create them).
pub struct Exported {
    pub data_def: String,
    pub metadata: String,
    pub variables: usize,
    pub without_memory_path: usize,
}

pub async fn export<C: ConnectionTrait>(db: &C) -> Result<Exported, AppError> {
    let variables = system_variable::Entity::find()
        .filter(system_variable::Column::Deleted.eq(false))
        .order_by_asc(system_variable::Column::Id)
        .all(db)
        .await?;
    let paths = variable_access_path::Entity::find()
        .filter(variable_access_path::Column::AccessType.eq(AccessType::MemoryOffset))
        .filter(variable_access_path::Column::Active.eq(true))
        .order_by_asc(variable_access_path::Column::Id)
        .all(db)
        .await?;
    export_rows(&variables, &paths)
}

/// The two files of the registry as it was at system version `at` (rebuilt from the change log).
pub async fn export_at(db: &DatabaseConnection, at: i64) -> Result<Exported, AppError> {
    let (_, states) = super::history::snapshot_states(db, at).await?;
    let mut variables = Vec::with_capacity(states.len());
    let mut paths = Vec::new();
    for state in states.into_iter().filter(|s| !s.variable.deleted) {
        paths.extend(
            state
                .paths
                .into_iter()
                .filter(|p| p.active && p.access_type == AccessType::MemoryOffset),
        );
        variables.push(state.variable);
    }
    paths.sort_by_key(|p| p.id);
    export_rows(&variables, &paths)
}

/// The files of these variables (non-deleted, in id order) and their active memory paths (in
/// id order).
fn export_rows(
    variables: &[system_variable::Model],
    paths: &[variable_access_path::Model],
) -> Result<Exported, AppError> {
    let names: HashMap<i64, &str> = variables.iter().map(|v| (v.id, v.name.as_str())).collect();

    // Tables in the order their first path was created, items by offset.
    let mut tables: Vec<TableOut> = Vec::new();
    let mut table_index: HashMap<String, usize> = HashMap::new();
    let mut with_path: std::collections::HashSet<i64> = std::collections::HashSet::new();
    for path in paths {
        let Some(name) = names.get(&path.variable_id) else {
            continue;
        };
        let value: serde_json::Value = serde_json::from_str(&path.reference)
            .map_err(|e| AppError::Internal(format!("path {}: {e}", path.id)))?;
        let Ok(AccessReference::MemoryOffset(m)) =
            AccessReference::parse(AccessType::MemoryOffset, &value)
        else {
            return Err(AppError::Internal(format!(
                "path {} has an invalid memory reference",
                path.id
            )));
        };
        with_path.insert(path.variable_id);
        let at = *table_index.entry(m.table.clone()).or_insert_with(|| {
            tables.push(TableOut {
                table: m.table.clone(),
                items: Vec::new(),
            });
            tables.len() - 1
        });
        tables[at].items.push(ItemOut {
            name,
            offset: m.offset,
            size: m.size,
            num: m.num,
        });
    }
    for table in &mut tables {
        table
            .items
            .sort_by(|a, b| a.offset.cmp(&b.offset).then(a.name.cmp(b.name)));
    }
    let metadata = MetadataOut {
        defaults: BTreeMap::new(),
        variables: variables
            .iter()
            .map(|v| {
                (
                    v.name.as_str(),
                    MetaOut {
                        category: v.category.as_str(),
                        locator: locator_of(&v.locator),
                        display_name: &v.display_name,
                        units: &v.units,
                        description: &v.description,
                    },
                )
            })
            .collect(),
        patterns: Vec::new(),
    };
    let to_text =
        |value: serde_json::Result<String>| value.map_err(|e| AppError::Internal(e.to_string()));
    Ok(Exported {
        data_def: to_text(serde_json::to_string_pretty(&tables))? + "\n",
        metadata: to_text(serde_json::to_string_pretty(&metadata))? + "\n",
        variables: variables.len(),
        without_memory_path: variables
            .iter()
            .filter(|v| !with_path.contains(&v.id))
            .count(),
    })
}
