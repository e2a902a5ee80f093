//! `AppState`: what every request handler, page and server function can reach on the server.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRef;
use leptos::prelude::*;
use sea_orm::DatabaseConnection;

use model::auth::DemoAccount;
use model::error::AppError;
use model::system::DatabaseInfo;
use services::auth::Auth;
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
    /// Sign-in and who may do what (the server's access layer reads it).
    pub access: Access,
}

/// Sign-in and the site's access choices.
#[derive(Clone, Default)]
pub struct Access {
    /// Logins, sessions and the per-address limiter.
    pub auth: Arc<Auth>,
    /// `--anonymous-read`: pages and reads answer without a session (writes never do).
    pub anonymous_read: bool,
    /// The session cookie is marked `Secure` (the console is served over TLS).
    pub secure_cookies: bool,
    /// Demo mode's accounts, which the login page offers.
    pub demo_accounts: Vec<DemoAccount>,
}

/// The state provided as context by the router; an error (not a panic) if it is missing.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>()
        .ok_or_else(|| AppError::Internal("application state is not available".into()))
}
