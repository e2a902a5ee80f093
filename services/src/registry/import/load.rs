//! Loading the registry as an import diffs against it: every variable and every memory path,
//! only the columns the diff needs, in bounded chunks; and the latest edit of each field an
//! import must not silently revert (display name, units, description).

use std::collections::HashMap;

use entity::{system_variable, variable_access_path, variable_change_log};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};

use model::error::AppError;
use model::registry::{AccessType, Category, ChangeType, MemoryOffsetRef};

/// The fields someone may edit in the console or over the API that an import keeps.
pub(super) const EDITABLE_FIELDS: [&str; 3] = ["display_name", "units", "description"];

/// Change-log rows an import writes carry a source starting with this (`import`,
/// `import:console`, ...): every other `updated` row is an edit.
pub(super) const IMPORT_SOURCE: &str = "import";

/// The source an import records: `source` when it already says import, else `import:<source>`.
pub(crate) fn import_source(source: &str) -> String {
    if is_import_source(source) {
        source.to_string()
    } else {
        format!("{IMPORT_SOURCE}:{source}")
    }
}

pub(super) fn is_import_source(source: &str) -> bool {
    source == IMPORT_SOURCE || source.starts_with("import:")
}

/// The latest change of one field of one variable, from the change log.
pub(super) struct LastEdit {
    pub(super) changed_by: String,
    pub(super) source_system: String,
    pub(super) variable_version: i64,
    pub(super) system_version: i64,
}

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
    /// (variable id, field) -> the latest edit of an editable field that no import made.
    pub(super) edits: HashMap<(i64, &'static str), LastEdit>,
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
            edits: load_edits(txn).await?,
        })
    }
}

/// The latest `updated` row of each editable field, kept when no import wrote it. Only updates
/// are read (creations carry the files' values), so this stays small.
async fn load_edits(
    txn: &DatabaseTransaction,
) -> Result<HashMap<(i64, &'static str), LastEdit>, AppError> {
    use variable_change_log::Column;
    let rows: Vec<(i64, Option<String>, String, String, i64, i64)> =
        variable_change_log::Entity::find()
            .select_only()
            .columns([
                Column::VariableId,
                Column::FieldName,
                Column::ChangedBy,
                Column::SourceSystem,
                Column::VariableVersion,
                Column::SystemVersion,
            ])
            .filter(Column::ChangeType.eq(ChangeType::Updated))
            .filter(Column::FieldName.is_in(EDITABLE_FIELDS))
            .order_by_asc(Column::Id)
            .into_tuple()
            .all(txn)
            .await?;
    let mut latest: HashMap<(i64, &'static str), LastEdit> = HashMap::new();
    for (variable_id, field, changed_by, source_system, variable_version, system_version) in rows {
        let Some(field) = EDITABLE_FIELDS
            .into_iter()
            .find(|f| Some(*f) == field.as_deref())
        else {
            continue;
        };
        latest.insert(
            (variable_id, field),
            LastEdit {
                changed_by,
                source_system,
                variable_version,
                system_version,
            },
        );
    }
    // A field whose latest change an import made follows the files again.
    latest.retain(|_, edit| !is_import_source(&edit.source_system));
    Ok(latest)
}
