//! Server functions about the installation itself.

use leptos::prelude::*;

use model::error::AppError;
use model::system::Overview;

/// Product version, database, schema level, system version and uptime.
#[server(endpoint = "get_overview")]
pub async fn get_overview() -> Result<Overview, AppError> {
    let state = crate::ssr::state::app_state()?;
    services::system::overview(&state.db, &state.database_info, state.started_at).await
}

/// Every system, and `system` (or the first one) at a glance: its structure in summary, its
/// key live values and how its devices answer.
#[server(endpoint = "get_site_glance")]
pub async fn get_site_glance(
    system: Option<String>,
) -> Result<model::site::glance::SiteGlance, AppError> {
    let state = crate::ssr::state::app_state()?;
    // The site's field I/O, when this server runs it (not in benches and some tests).
    let site_io = leptos_axum::extract::<axum::Extension<services::site::drive::SiteIo>>()
        .await
        .ok()
        .map(|extension| extension.0);
    services::site::glance(&state.db, system.as_deref(), |id| {
        site_io.and_then(|io| io.live(id))
    })
    .await
}
