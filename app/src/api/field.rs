//! Server functions of field I/O for the screens.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::field::{BusOverview, LiveValue};

/// The latest polled values of these variables (names that are not polled are left out).
#[server]
pub async fn live_values(names: Vec<String>) -> Result<Vec<LiveValue>, AppError> {
    let state = crate::ssr::state::app_state()?;
    Ok(state.field.live(&names))
}

/// Bus health, planned reads and unreachable paths for the Buses page.
#[server]
pub async fn get_bus_overview() -> Result<BusOverview, AppError> {
    let state = crate::ssr::state::app_state()?;
    Ok(state.field.overview())
}
