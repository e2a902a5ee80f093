//! Server functions of field I/O for the screens.

use leptos::prelude::*;

use model::error::AppError;
use model::field::{BusOverview, LiveValue};

/// The latest polled values of these variables (names that are not polled are left out).
#[server(endpoint = "live_values")]
pub async fn live_values(names: Vec<String>) -> Result<Vec<LiveValue>, AppError> {
    let state = crate::ssr::state::app_state()?;
    Ok(state.field.live(&names))
}

/// Bus health, planned reads and unreachable paths for the Buses page.
#[server(endpoint = "get_bus_overview")]
pub async fn get_bus_overview() -> Result<BusOverview, AppError> {
    let state = crate::ssr::state::app_state()?;
    Ok(state.field.overview())
}

/// Reads a variable from its device now (preferred path first, then the fallbacks).
#[server(endpoint = "read_variable_now")]
pub async fn read_variable_now(name: String) -> Result<LiveValue, AppError> {
    crate::ssr::caller::require(model::auth::Permission::ReadDevicesNow).await?;
    let state = crate::ssr::state::app_state()?;
    state.field.read_now(&state.db, &name, None).await
}

/// Writes a variable to its device through its best writable path and reads it back.
#[server(endpoint = "write_variable")]
pub async fn write_variable(
    name: String,
    values: Vec<f64>,
) -> Result<model::field::WriteOutcome, AppError> {
    let state = crate::ssr::state::app_state()?;
    let actor = crate::ssr::caller::actor().await?;
    state
        .field
        .write(&state.db, &name, &values, None, &actor)
        .await
}
