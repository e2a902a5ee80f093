//! Who called a server function or asked for a page: the [`Caller`] the server's access layer
//! verified (session or token) and put on the request, and the [`Actor`] a change records.

use model::error::AppError;
use services::actor::Actor;
use services::auth::Caller;

/// The verified caller of this request. Every request reaches the application through the
/// access layer, so a missing one means the request did not: refused.
pub async fn caller() -> Result<Caller, AppError> {
    let axum::Extension(caller) = leptos_axum::extract::<axum::Extension<Caller>>()
        .await
        .map_err(|_| AppError::Unauthenticated("sign in to use the console".into()))?;
    Ok(caller)
}

/// The caller as the change logs record a console change.
pub async fn actor() -> Result<Actor, AppError> {
    Ok(Actor::of(&caller().await?, "console"))
}

/// The caller, if it may do `permission`. The access layer checks every HTTP call of a server
/// function already; this check is for the calls it does not see: a page rendered on the server
/// calls its server functions in-process.
pub async fn require(permission: model::auth::Permission) -> Result<Caller, AppError> {
    let caller = caller().await?;
    if caller.identity.can(permission) {
        Ok(caller)
    } else {
        Err(AppError::Forbidden(format!(
            "{} needs the {} role or higher; {} is {}",
            permission.as_str().replace('_', " "),
            permission.minimum_role().label().to_lowercase(),
            caller.identity.name,
            caller.identity.role.label().to_lowercase()
        )))
    }
}
