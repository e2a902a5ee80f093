//! Server functions about the installation itself.

use leptos::prelude::*;

use model::error::AppError;
use model::system::Overview;

/// Product version, database, schema level, system version and uptime.
#[server]
pub async fn get_overview() -> Result<Overview, AppError> {
    let state = crate::ssr::state::app_state()?;
    services::system::overview(&state.db, &state.database_info, state.started_at).await
}
