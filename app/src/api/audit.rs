//! Server function of the Audit page.

use leptos::prelude::*;

use model::auth::{AuditPage, AuditQuery};
use model::error::AppError;

/// One page of the audit log (admins).
#[server(input = leptos::server_fn::codec::Json, endpoint = "get_audit")]
pub async fn get_audit(query: AuditQuery) -> Result<AuditPage, AppError> {
    crate::ssr::caller::require(model::auth::Permission::ReadAudit).await?;
    let state = crate::ssr::state::app_state()?;
    services::auth::audit::list(&state.db, &query).await
}
