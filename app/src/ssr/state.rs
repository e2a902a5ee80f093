//! `AppState`: what every request handler, page and server function can reach on the server.

use std::time::Instant;

use axum::extract::FromRef;
use leptos::prelude::*;
use sea_orm::DatabaseConnection;

use model::error::AppError;
use model::system::DatabaseInfo;
use services::field::FieldIo;
use services::protections::alarms::Protections;
use services::registry::index::RegistryIndex;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    /// Backend and location of `db`, for display (no credentials).
    pub database_info: DatabaseInfo,
    pub started_at: Instant,
    /// The registry list's in-memory index (see `service::registry::index`).
    pub registry_index: RegistryIndex,
    /// Buses, polling and live values (disabled when no field configuration is given).
    pub field: FieldIo,
    /// Protections configuration, the alarm engine and acknowledgements.
    pub protections: Protections,
}

/// The state provided as context by the router; an error (not a panic) if it is missing.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>()
        .ok_or_else(|| AppError::Internal("application state is not available".into()))
}
