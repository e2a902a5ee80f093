//! Server functions of signing in: what the login page shows, and who is signed in.

use leptos::prelude::*;

use model::auth::{Identity, LoginPageInfo};
use model::error::AppError;

/// What the login page shows (answered to anybody: it is how one signs in).
#[server(endpoint = "get_login_page")]
pub async fn get_login_page() -> Result<LoginPageInfo, AppError> {
    let state = crate::ssr::state::app_state()?;
    Ok(LoginPageInfo {
        demo_accounts: state.access.demo_accounts.clone(),
        anonymous_read: state.access.anonymous_read,
    })
}

/// Who is signed in (or `anonymous` on a site open for reading).
#[server(endpoint = "whoami")]
pub async fn whoami() -> Result<Identity, AppError> {
    Ok(crate::ssr::caller::caller().await?.identity)
}

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
