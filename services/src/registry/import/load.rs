//! Loading the registry as an import diffs against it: every variable and every memory path,
//! only the columns the diff needs, in bounded chunks.

use std::collections::HashMap;

use entity::{system_variable, variable_access_path};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};

use model::error::AppError;
use model::registry::{AccessType, Category, MemoryOffsetRef};

pub(super) struct ExistingPath {
    pub(super) id: i64,
    pub(super) active: bool,
    pub(super) reference: MemoryOffsetRef,
}

/// A registry variable as the diff needs it: not the whole row, because parsing every row's
/// timestamp alone took a tenth of a 100k-variable re-import.
#[derive(FromQueryResult)]
pub(super) struct ExistingVariable {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) display_name: String,
    pub(super) units: String,
    pub(super) description: String,
    pub(super) category: Category,
    pub(super) locator: String,
    pub(super) variable_version: i64,
    pub(super) deleted: bool,
}

/// The variables and memory paths in the database, indexed for diffing.
pub(super) struct Existing {
    pub(super) variables: HashMap<String, ExistingVariable>,
    /// variable id -> its memory paths (active or not).
    pub(super) memory_paths: HashMap<i64, Vec<ExistingPath>>,
}

/// Rows per read when loading the registry for a diff: bounded so a 100k-variable registry is
/// never held twice (once as driver rows, once as models) at the same time.
const LOAD_CHUNK: u64 = 10_000;

impl Existing {
    pub(super) async fn load(txn: &DatabaseTransaction) -> Result<Self, AppError> {
        let mut variables = HashMap::new();
        let mut after = 0i64;
        loop {
            use system_variable::Column;
            let chunk: Vec<ExistingVariable> = system_variable::Entity::find()
                .select_only()
                .columns([
                    Column::Id,
                    Column::Name,
                    Column::DisplayName,
                    Column::Units,
                    Column::Description,
                    Column::Category,
                    Column::Locator,
                    Column::VariableVersion,
                    Column::Deleted,
                ])
                .filter(Column::Id.gt(after))
                .order_by_asc(Column::Id)
                .limit(LOAD_CHUNK)
                .into_model()
                .all(txn)
                .await?;
            let Some(last) = chunk.last() else { break };
            after = last.id;
            variables.extend(chunk.into_iter().map(|v| (v.name.clone(), v)));
        }

        let mut memory_paths: HashMap<i64, Vec<ExistingPath>> = HashMap::new();
        let mut after = 0i64;
        loop {
            // Only the columns the diff needs: re-imports read every memory path.
            let chunk: Vec<(i64, i64, String, bool)> = variable_access_path::Entity::find()
                .select_only()
                .column(variable_access_path::Column::Id)
                .column(variable_access_path::Column::VariableId)
                .column(variable_access_path::Column::Reference)
                .column(variable_access_path::Column::Active)
                .filter(variable_access_path::Column::Id.gt(after))
                .filter(variable_access_path::Column::AccessType.eq(AccessType::MemoryOffset))
                .order_by_asc(variable_access_path::Column::Id)
                .limit(LOAD_CHUNK)
                .into_tuple()
                .all(txn)
                .await?;
            let Some(&(last, ..)) = chunk.last() else {
                break;
            };
            after = last;
            for (id, variable_id, text, active) in chunk {
                let reference: MemoryOffsetRef = serde_json::from_str(&text).map_err(|e| {
                    AppError::Internal(format!("stored reference of path {id} is invalid: {e}"))
                })?;
                memory_paths
                    .entry(variable_id)
                    .or_default()
                    .push(ExistingPath {
                        id,
                        active,
                        reference,
                    });
            }
        }
        Ok(Existing {
            variables,
            memory_paths,
        })
    }
}
