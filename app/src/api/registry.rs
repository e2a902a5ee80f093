//! Server functions of the Registry screens.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::model::registry::{ChangeLogEntry, FacetCount, Page, Variable, VariableQuery};

/// Everything the Registry list shows: one page of variables and the facet counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistryListing {
    pub page: Page<Variable>,
    pub categories: Vec<FacetCount>,
    pub locators: Vec<FacetCount>,
    pub system_version: i64,
}

/// A variable with its paths and its history, newest change first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariableDetail {
    pub variable: Variable,
    pub history: Vec<ChangeLogEntry>,
}

#[server]
pub async fn list_registry(query: VariableQuery) -> Result<RegistryListing, AppError> {
    let state = crate::ssr::state::app_state()?;
    crate::ssr::service::registry::query::listing(&state.db, &query).await
}

#[server]
pub async fn get_variable_detail(name: String) -> Result<VariableDetail, AppError> {
    let state = crate::ssr::state::app_state()?;
    let db = &state.db;
    let variable = crate::ssr::service::registry::query::get_variable(db, &name).await?;
    let history = crate::ssr::service::registry::query::history(db, &name).await?;
    Ok(VariableDetail { variable, history })
}
