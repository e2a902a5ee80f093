//! Reading the registry: filtered lists, single variables with paths, history, facets, the
//! preferred path, and the change feed that other controllers poll to sync.

use std::collections::HashMap;

use entity::{system_variable, variable_access_path, variable_change_log};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::index::{RegistryIndex, Snapshot};
use crate::convert::{count_u32, to_log_entry, to_path, to_variable};
use model::error::AppError;
use model::registry::{
    AccessPath, AccessType, Category, ChangeLogEntry, FacetCount, Page, Variable, VariableQuery,
};
pub use model::registry::{ChangeFeed, ChangeItem};

// ------------------------------------------------------------------ lists

/// Active paths per variable id, ordered by priority (highest first).
async fn paths_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    active_only: bool,
) -> Result<HashMap<i64, Vec<AccessPath>>, AppError> {
    let mut select = variable_access_path::Entity::find()
        .filter(variable_access_path::Column::VariableId.is_in(ids.iter().copied()))
        .order_by_desc(variable_access_path::Column::Priority)
        .order_by_asc(variable_access_path::Column::Id);
    if active_only {
        select = select.filter(variable_access_path::Column::Active.eq(true));
    }
    let mut by_variable: HashMap<i64, Vec<AccessPath>> = HashMap::new();
    for model in select.all(db).await? {
        let variable_id = model.variable_id;
        by_variable
            .entry(variable_id)
            .or_default()
            .push(to_path(model)?);
    }
    Ok(by_variable)
}

/// One page of the filtered list, in name order. The filtering runs on the in-memory index
/// (brought up to date first); the page's rows and paths come from the database.
pub async fn list_variables<C: ConnectionTrait>(
    db: &C,
    index: &RegistryIndex,
    query: &VariableQuery,
) -> Result<Page<Variable>, AppError> {
    page_of(db, &*index.current(db).await?, query).await
}

async fn page_of<C: ConnectionTrait>(
    db: &C,
    snapshot: &Snapshot,
    query: &VariableQuery,
) -> Result<Page<Variable>, AppError> {
    let matches = snapshot.matches(query);
    let mut models: HashMap<i64, system_variable::Model> = system_variable::Entity::find()
        .filter(system_variable::Column::Id.is_in(matches.page_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut paths = paths_of(db, &matches.page_ids, true).await?;
    let mut items = Vec::with_capacity(matches.page_ids.len());
    for id in &matches.page_ids {
        // A variable is never hard-deleted, so every id the index holds has its row.
        let model = models
            .remove(id)
            .ok_or_else(|| AppError::Internal(format!("variable id {id} vanished")))?;
        let own = paths.remove(id).unwrap_or_default();
        let count = count_u32(own.len());
        items.push(to_variable(
            model,
            query.include_paths.then_some(own),
            count,
        ));
    }
    Ok(Page {
        total: matches.total,
        page: query.page(),
        per_page: query.per_page(),
        items,
    })
}

/// A variable's row (deleted or not) by name.
pub(crate) async fn find_model<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<system_variable::Model, AppError> {
    system_variable::Entity::find()
        .filter(system_variable::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("variable {name:?}")))
}

/// One variable with all its paths (inactive ones too, marked as such).
pub async fn get_variable<C: ConnectionTrait>(db: &C, name: &str) -> Result<Variable, AppError> {
    let model = find_model(db, name).await?;
    let paths = paths_of(db, &[model.id], false)
        .await?
        .remove(&model.id)
        .unwrap_or_default();
    let active = count_u32(paths.iter().filter(|p| p.active).count());
    Ok(to_variable(model, Some(paths), active))
}

/// Several variables by name, in the order asked; unknown names are left out.
pub async fn get_variables<C: ConnectionTrait>(
    db: &C,
    names: &[String],
) -> Result<Vec<Variable>, AppError> {
    let models = system_variable::Entity::find()
        .filter(system_variable::Column::Name.is_in(names.iter().cloned()))
        .all(db)
        .await?;
    let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let mut paths = paths_of(db, &ids, true).await?;
    let mut by_name: HashMap<String, Variable> = HashMap::new();
    for model in models {
        let own = paths.remove(&model.id).unwrap_or_default();
        let count = count_u32(own.len());
        let variable = to_variable(model, Some(own), count);
        by_name.insert(variable.name.clone(), variable);
    }
    Ok(names.iter().filter_map(|n| by_name.remove(n)).collect())
}

/// The change log of one variable, newest first.
pub async fn history<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Vec<ChangeLogEntry>, AppError> {
    let model = find_model(db, name).await?;
    Ok(variable_change_log::Entity::find()
        .filter(variable_change_log::Column::VariableId.eq(model.id))
        .order_by_desc(variable_change_log::Column::SystemVersion)
        .order_by_desc(variable_change_log::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_log_entry)
        .collect())
}

/// Variables per category (non-deleted), every category listed.
pub async fn categories<C: ConnectionTrait>(
    db: &C,
    index: &RegistryIndex,
) -> Result<Vec<FacetCount>, AppError> {
    Ok(index.current(db).await?.categories())
}

/// Locators with their variable counts, optionally within one category.
pub async fn locators<C: ConnectionTrait>(
    db: &C,
    index: &RegistryIndex,
    category: Option<Category>,
) -> Result<Vec<FacetCount>, AppError> {
    Ok(index.current(db).await?.locators(category))
}

/// Which path to use for a variable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathPreference {
    pub rack: Option<i32>,
    pub access_type: Option<AccessType>,
    #[serde(default)]
    pub writable: bool,
}

/// The highest-priority active path that serves the rack (or all racks) and, when asked, is
/// writable. Ties go to the rack-specific path, then to the older path.
pub async fn preferred_path<C: ConnectionTrait>(
    db: &C,
    name: &str,
    preference: &PathPreference,
) -> Result<AccessPath, AppError> {
    let variable = get_variable(db, name).await?;
    choose_path(variable.paths.unwrap_or_default(), preference).ok_or_else(|| {
        AppError::NotFound(format!(
            "no active{} path of {name:?} matches{}{}",
            if preference.writable { " writable" } else { "" },
            preference
                .rack
                .map(|r| format!(" rack {r}"))
                .unwrap_or_default(),
            preference
                .access_type
                .map(|t| format!(" access type {t}"))
                .unwrap_or_default(),
        ))
    })
}

/// The path `preferred_path` picks among a variable's paths (for callers that load many
/// variables' paths at once).
pub fn choose_path(paths: Vec<AccessPath>, preference: &PathPreference) -> Option<AccessPath> {
    let mut candidates: Vec<AccessPath> = paths
        .into_iter()
        .filter(|p| p.active)
        .filter(|p| preference.access_type.is_none_or(|t| p.access_type == t))
        .filter(|p| !preference.writable || !p.read_only)
        .filter(|p| match (p.rack_number, preference.rack) {
            (None, _) => true,
            (Some(r), Some(want)) => r == want,
            (Some(_), None) => false,
        })
        .collect();
    candidates.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(b.rack_number.is_some().cmp(&a.rack_number.is_some()))
            .then(a.id.cmp(&b.id))
    });
    candidates.into_iter().next()
}

// ------------------------------------------------------------------ change feed

pub const MAX_CHANGES_PER_PAGE: u64 = 10_000;

/// Everything changed after `since`, in version order, at most `limit` entries.
pub async fn changes_since<C: ConnectionTrait>(
    db: &C,
    since: i64,
    limit: u64,
) -> Result<ChangeFeed, AppError> {
    let limit = limit.clamp(1, MAX_CHANGES_PER_PAGE);
    let current_version = crate::system::system_version_of(db).await?;
    // Each version belongs to exactly one variable or path state, so taking `limit` of each
    // and merging yields the first `limit` overall.
    let variables = system_variable::Entity::find()
        .filter(system_variable::Column::SystemVersion.gt(since))
        .order_by_asc(system_variable::Column::SystemVersion)
        .limit(limit + 1)
        .all(db)
        .await?;
    let paths = variable_access_path::Entity::find()
        .filter(variable_access_path::Column::SystemVersion.gt(since))
        .order_by_asc(variable_access_path::Column::SystemVersion)
        .limit(limit + 1)
        .all(db)
        .await?;
    let path_owner_ids: Vec<i64> = paths.iter().map(|p| p.variable_id).collect();
    let owner_names: HashMap<i64, String> = system_variable::Entity::find()
        .select_only()
        .column(system_variable::Column::Id)
        .column(system_variable::Column::Name)
        .filter(system_variable::Column::Id.is_in(path_owner_ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();

    let mut items: Vec<ChangeItem> = Vec::with_capacity(variables.len() + paths.len());
    for model in variables {
        let deleted = model.deleted;
        items.push(ChangeItem::Variable {
            system_version: model.system_version,
            deleted,
            variable: to_variable(model, None, 0),
        });
    }
    for model in paths {
        let variable = owner_names
            .get(&model.variable_id)
            .cloned()
            .unwrap_or_default();
        items.push(ChangeItem::Path {
            system_version: model.system_version,
            variable,
            removed: !model.active,
            path: to_path(model)?,
        });
    }
    items.sort_by_key(ChangeItem::system_version);
    let has_more = items.len() as u64 > limit;
    // A limit beyond `usize` keeps every item, as it would if it fitted.
    items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_since = items.last().map_or(since, ChangeItem::system_version);
    Ok(ChangeFeed {
        current_version,
        next_since,
        has_more,
        items,
    })
}

/// The Registry page's data in one call: the page of variables plus the facets.
pub async fn listing<C: ConnectionTrait>(
    db: &C,
    index: &RegistryIndex,
    query: &VariableQuery,
) -> Result<model::registry::RegistryListing, AppError> {
    let snapshot = index.current(db).await?;
    Ok(model::registry::RegistryListing {
        page: page_of(db, &snapshot, query).await?,
        // The facets count what the search keeps, so "All 5" stands beside 5 results.
        categories: snapshot.categories_matching(query),
        locators: snapshot.locators_matching(query),
        system_version: snapshot.version(),
        live: Vec::new(),
        not_polled: Vec::new(),
    })
}
