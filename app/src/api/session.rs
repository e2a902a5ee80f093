//! Server function of signing in: confirming the password again before a sensitive change.

use leptos::prelude::*;

use model::error::AppError;

/// Confirms the signed-in operator's password, for the changes that ask for it again
/// (deploying protections, writing a device value). A wrong one counts as a failed login.
#[server(endpoint = "confirm_password")]
pub async fn confirm_password(password: String) -> Result<(), AppError> {
    let state = crate::ssr::state::app_state()?;
    let caller = crate::ssr::caller::caller().await?;
    state
        .access
        .auth
        .reauthenticate(&state.db, &caller, &password, chrono::Utc::now())
        .await
        .map_err(AppError::from)
}
