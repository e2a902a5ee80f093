//! Server functions of the Registry screens.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use model::error::AppError;
pub use model::registry::RegistryListing;
use model::registry::{ChangeLogEntry, Variable, VariableQuery};

/// A variable with its paths and its history, newest change first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariableDetail {
    pub variable: Variable,
    pub history: Vec<ChangeLogEntry>,
    /// The latest polled value, when the variable is polled.
    #[serde(default)]
    pub live: Option<model::field::LiveValue>,
}

#[server(endpoint = "list_registry")]
pub async fn list_registry(query: VariableQuery) -> Result<RegistryListing, AppError> {
    let state = crate::ssr::state::app_state()?;
    let mut listing =
        services::registry::query::listing(&state.db, &state.registry_index, &query).await?;
    let names: Vec<String> = listing.page.items.iter().map(|v| v.name.clone()).collect();
    listing.live = state.field.live(&names);
    listing.not_polled = state.field.not_polled(&names);
    Ok(listing)
}

#[server(endpoint = "get_variable_detail")]
pub async fn get_variable_detail(name: String) -> Result<VariableDetail, AppError> {
    let state = crate::ssr::state::app_state()?;
    let db = &state.db;
    let variable = services::registry::query::get_variable(db, &name).await?;
    let history = services::registry::query::history(db, &name).await?;
    let live = state
        .field
        .live(std::slice::from_ref(&name))
        .into_iter()
        .next();
    Ok(VariableDetail {
        variable,
        history,
        live,
    })
}

/// A variable as it was at its own version `version`, rebuilt from the change log.
#[server(endpoint = "get_variable_version")]
pub async fn get_variable_version(name: String, version: i64) -> Result<Variable, AppError> {
    let state = crate::ssr::state::app_state()?;
    services::registry::history::variable_at_version(&state.db, &name, version).await
}

/// Restores version `version` of a variable as a new version, if the variable is still at
/// `expected_version` (the version the operator confirmed the change against).
#[server(endpoint = "restore_variable_version")]
pub async fn restore_variable_version(
    name: String,
    version: i64,
    expected_version: i64,
) -> Result<Variable, AppError> {
    let state = crate::ssr::state::app_state()?;
    let actor = crate::ssr::caller::actor().await?;
    services::registry::write::restore_version(&state.db, &name, version, expected_version, &actor)
        .await
}

/// Saves the metadata form of the detail page. `expected_version` is the variable version the
/// form was opened at: if someone saved in between, the answer is a conflict and nothing changes.
#[server(endpoint = "update_variable_metadata")]
pub async fn update_variable_metadata(
    name: String,
    expected_version: i64,
    display_name: String,
    units: String,
    description: String,
    category: String,
    locator: String,
) -> Result<Variable, AppError> {
    use model::registry::{Category, VariablePatch, locator_from_form};
    let state = crate::ssr::state::app_state()?;
    let category = Category::parse(&category)
        .ok_or_else(|| AppError::validation("category", "must be config, prot or oper"))?;
    let patch = VariablePatch {
        display_name: Some(display_name),
        units: Some(units),
        description: Some(description),
        category: Some(category),
        // The form's empty locator is no locator.
        locator: Some(locator_from_form(&locator)),
    };
    let actor = crate::ssr::caller::actor().await?;
    services::registry::write::update_variable(&state.db, &name, expected_version, &patch, &actor)
        .await
}

/// Soft-deletes a variable (it stays as a tombstone for sync).
#[server(endpoint = "delete_variable")]
pub async fn delete_variable(name: String, expected_version: i64) -> Result<Variable, AppError> {
    let state = crate::ssr::state::app_state()?;
    let actor = crate::ssr::caller::actor().await?;
    services::registry::write::delete_variable(&state.db, &name, expected_version, &actor).await
}

/// The Import page's preview (`apply = false`: a dry run) or its apply step. One transaction.
/// Edited display names, units and descriptions are kept unless `overwrite_edits`.
#[server(endpoint = "import_registry")]
pub async fn import_registry(
    data_def_name: String,
    data_def: String,
    metadata_name: Option<String>,
    metadata: Option<String>,
    prune: bool,
    overwrite_edits: bool,
    apply: bool,
) -> Result<model::registry::ImportReport, AppError> {
    use services::registry::import;
    let state = crate::ssr::state::app_state()?;
    let files = import::ImportFiles {
        data_def_name: &data_def_name,
        data_def: &data_def,
        metadata_name: metadata_name.as_deref(),
        metadata: metadata.as_deref(),
    };
    let options = import::ImportOptions {
        dry_run: !apply,
        prune,
        source: "console".into(),
        actor: crate::ssr::caller::actor().await?.user,
        caller: Some(crate::ssr::caller::caller().await?),
    };
    let edited = if overwrite_edits {
        import::EditedFields::Overwrite
    } else {
        import::EditedFields::Keep
    };
    import::import_with(&state.db, &files, &options, edited).await
}

/// Creates a variable (with its first access paths) from the New variable form.
#[server(input = leptos::server_fn::codec::Json, endpoint = "create_variable")]
pub async fn create_variable(new: model::registry::NewVariable) -> Result<Variable, AppError> {
    let state = crate::ssr::state::app_state()?;
    let actor = crate::ssr::caller::actor().await?;
    services::registry::write::create_variable(&state.db, &new, &actor).await
}

/// Adds an access path to a variable, if it is still at `expected_version`.
#[server(input = leptos::server_fn::codec::Json, endpoint = "add_access_path")]
pub async fn add_access_path(
    name: String,
    expected_version: i64,
    path: model::registry::NewAccessPath,
) -> Result<Variable, AppError> {
    let state = crate::ssr::state::app_state()?;
    let actor = crate::ssr::caller::actor().await?;
    services::registry::write::add_path(&state.db, &name, expected_version, &path, &actor).await
}

/// Deactivates an access path (kept as a tombstone), if the variable is still at `expected_version`.
#[server(endpoint = "remove_access_path")]
pub async fn remove_access_path(
    name: String,
    expected_version: i64,
    path_id: i64,
) -> Result<Variable, AppError> {
    let state = crate::ssr::state::app_state()?;
    let actor = crate::ssr::caller::actor().await?;
    services::registry::write::remove_path(&state.db, &name, path_id, expected_version, &actor)
        .await
}
