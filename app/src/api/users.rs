//! Server functions of the account page (changing one's password) and of the Users page
//! (admins: users and API tokens). Thin: each checks the permission and calls `services::auth`.

use leptos::prelude::*;

use model::auth::{CreatedToken, Role, TokenView, UserView};
use model::error::AppError;
use serde::{Deserialize, Serialize};

/// What the Users page lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersAndTokens {
    pub users: Vec<UserView>,
    pub tokens: Vec<TokenView>,
}

/// Every user and every token (admins).
#[server(endpoint = "list_users_and_tokens")]
pub async fn list_users_and_tokens() -> Result<UsersAndTokens, AppError> {
    crate::ssr::caller::require(model::auth::Permission::ManageUsers).await?;
    let state = crate::ssr::state::app_state()?;
    Ok(UsersAndTokens {
        users: services::auth::list_users(&state.db).await?,
        tokens: services::auth::list_tokens(&state.db).await?,
    })
}

/// A form's text that may be left empty: empty is none.
#[cfg(feature = "ssr")]
fn given(text: Option<String>) -> Option<String> {
    text.filter(|text| !text.is_empty())
}

/// Creates a user (admins).
#[server(endpoint = "create_user")]
pub async fn create_user(name: String, role: Role, password: String) -> Result<UserView, AppError> {
    let caller = crate::ssr::caller::require(model::auth::Permission::ManageUsers).await?;
    let state = crate::ssr::state::app_state()?;
    let new = model::auth::NewUser {
        name: name.trim().to_string(),
        role,
        password,
    };
    Ok(services::auth::create_user(&state.db, &new, &caller, chrono::Utc::now()).await?)
}

/// An admin's change to a user: what the form gives is applied (an empty new password is none).
#[server(endpoint = "update_user")]
pub async fn update_user(
    name: String,
    role: Option<Role>,
    disabled: Option<bool>,
    unlock: Option<bool>,
    new_password: Option<String>,
) -> Result<UserView, AppError> {
    let caller = crate::ssr::caller::require(model::auth::Permission::ManageUsers).await?;
    let state = crate::ssr::state::app_state()?;
    let patch = model::auth::UserPatch {
        role,
        disabled,
        unlock: unlock.unwrap_or(false),
        new_password: given(new_password),
    };
    let now = chrono::Utc::now();
    Ok(services::auth::update_user(&state.db, &caller, &name, &patch, now).await?)
}

/// Creates an API token (admins); the answer holds its secret, shown this once. The scopes
/// are check boxes: present (`on`) when ticked.
#[server(endpoint = "create_api_token")]
pub async fn create_api_token(
    name: String,
    role: Role,
    expires_days: Option<String>,
    allow_deploy: Option<String>,
    allow_device_writes: Option<String>,
) -> Result<CreatedToken, AppError> {
    let caller = crate::ssr::caller::require(model::auth::Permission::ManageTokens).await?;
    let state = crate::ssr::state::app_state()?;
    let expires_days = match given(expires_days.map(|days| days.trim().to_string())) {
        Some(days) => Some(days.parse::<u32>().map_err(|_| {
            AppError::validation(
                "expires_days",
                format!("{days:?} is not a whole number of days"),
            )
        })?),
        None => None,
    };
    let new = model::auth::NewToken {
        name: name.trim().to_string(),
        role,
        expires_days,
        scopes: model::auth::TokenScopes {
            allow_deploy: allow_deploy.is_some(),
            allow_device_writes: allow_device_writes.is_some(),
        },
    };
    Ok(services::auth::create_token(&state.db, &new, &caller, chrono::Utc::now()).await?)
}

/// Revokes an API token (admins).
#[server(endpoint = "revoke_api_token")]
pub async fn revoke_api_token(name: String) -> Result<TokenView, AppError> {
    let caller = crate::ssr::caller::require(model::auth::Permission::ManageTokens).await?;
    let state = crate::ssr::state::app_state()?;
    Ok(services::auth::revoke_token(&state.db, &name, &caller, chrono::Utc::now()).await?)
}

/// Changes the signed-in user's own password; `repeat` must match `new_password`.
#[server(endpoint = "change_password")]
pub async fn change_password(
    old_password: String,
    new_password: String,
    repeat: String,
) -> Result<(), AppError> {
    let caller = crate::ssr::caller::caller().await?;
    if new_password != repeat {
        return Err(AppError::validation(
            "repeat",
            "does not match the new password",
        ));
    }
    let state = crate::ssr::state::app_state()?;
    let change = model::auth::PasswordChange {
        old_password,
        new_password,
    };
    let auth = &state.access.auth;
    match services::auth::set_password(&state.db, auth, &caller, &change, chrono::Utc::now()).await
    {
        Ok(()) => Ok(()),
        // Said at the field: the form's user is known, so naming it tells nobody anything.
        Err(services::auth::AuthError::InvalidCredentials) => Err(AppError::validation(
            "old_password",
            "is not your current password (repeated failures lock the account for a while)",
        )),
        Err(other) => Err(other.into()),
    }
}
