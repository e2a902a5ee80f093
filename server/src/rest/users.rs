//! Users and API tokens for admins (`/api/v1/users`, `/api/v1/tokens`), and changing one's own
//! password (`/api/v1/me/password`). Thin: each handler calls `services::auth`.

use app::ssr::state::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use model::auth::{
    CreatedToken, NewToken, NewUser, PasswordChange, TokenView, UserPatch, UserView,
};
use serde_json::json;
use services::auth::{AuthError, Caller};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Problem;
use super::docs::ProblemBody;
use super::registry::{ApiResult, json_body, path_params};
use super::responses::{DatabaseFailed, MalformedBody, NotJson, TooLarge};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(change_password))
}

/// An error of the auth services as problem+json: every broken rule is listed in `problems`
/// (the first one is also `field` and `detail`).
fn auth_problem(error: AuthError) -> Problem {
    match error {
        AuthError::Invalid(problems) => {
            let listed = json!(problems);
            let first = problems.into_iter().next().map_or_else(
                || model::error::AppError::validation("", "invalid"),
                model::error::AppError::from,
            );
            Problem::from(first).with("problems", listed)
        }
        other => Problem::from(model::error::AppError::from(other)),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/users",
    operation_id = "listUsers",
    tag = "Users and tokens",
    summary = r#"The users (admins)"#,
    description = r#"Every user by name, with role, last sign-in, lock and whether disabled; never a password hash. Needs the admin role."#,
    responses(
        (status = 200, description = r#"The users."#, body = Vec<UserView>, content_type = "application/json"),
        DatabaseFailed,
    )
)]
async fn list_users(State(state): State<AppState>) -> ApiResult<Json<Vec<UserView>>> {
    Ok(Json(services::auth::list_users(&state.db).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/users",
    operation_id = "createUser",
    tag = "Users and tokens",
    summary = r#"Create a user (admins)"#,
    description = r#"Creates a user with a role and a password (at least 12 characters, not the name). Written to the audit log. Needs the admin role."#,
    request_body(content = NewUser, example = json!({"name": "dana", "role": "operator", "password": "a long passphrase"})),
    responses(
        (status = 201, description = r#"Created."#, body = UserView, content_type = "application/json"),
        MalformedBody,
        (status = 409, description = r#"A user with this name exists."#, body = ProblemBody, content_type = "application/problem+json"),
        TooLarge,
        NotJson,
        (status = 422, description = r#"The body does not fit the schema, or the name or the password breaks a rule: `field` names the first, `problems` lists them all."#, body = ProblemBody, content_type = "application/problem+json"),
        DatabaseFailed,
    )
)]
async fn create_user(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Response> {
    let new = json_body::<NewUser>(body)?;
    let user = services::auth::create_user(&state.db, &new, &caller, chrono::Utc::now())
        .await
        .map_err(auth_problem)?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

#[utoipa::path(
    patch,
    path = "/api/v1/users/{name}",
    operation_id = "updateUser",
    tag = "Users and tokens",
    summary = r#"Change a user (admins)"#,
    description = r#"Applies what the body gives: `role`, `disabled` (a disabled user cannot sign in; their sessions end), `unlock` (lifts a lock after failed logins), `new_password` (their sessions end). The last enabled admin cannot be demoted or disabled (409). Written to the audit log with before and after. Needs the admin role."#,
    params(("name" = String, Path, description = r#"The user's name."#)),
    request_body(content = UserPatch, example = json!({"role": "engineer", "unlock": true})),
    responses(
        (status = 200, description = r#"The user as changed."#, body = UserView, content_type = "application/json"),
        MalformedBody,
        (status = 404, description = r#"No user of this name."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = r#"The change would leave no enabled admin."#, body = ProblemBody, content_type = "application/problem+json"),
        TooLarge,
        NotJson,
        (status = 422, description = r#"The body does not fit the schema, or `new_password` breaks a rule (`problems` lists them all)."#, body = ProblemBody, content_type = "application/problem+json"),
        DatabaseFailed,
    )
)]
async fn update_user(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    name: Result<Path<String>, PathRejection>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Json<UserView>> {
    let name = path_params(name)?;
    let patch = json_body::<UserPatch>(body)?;
    let user = services::auth::update_user(&state.db, &caller, &name, &patch, chrono::Utc::now())
        .await
        .map_err(auth_problem)?;
    Ok(Json(user))
}

#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    operation_id = "listTokens",
    tag = "Users and tokens",
    summary = r#"The API tokens (admins)"#,
    description = r#"Every token, revoked ones too, with its role, scopes, expiry, last use and the first characters of its secret (never the secret). Needs the admin role."#,
    responses(
        (status = 200, description = r#"The tokens."#, body = Vec<TokenView>, content_type = "application/json"),
        DatabaseFailed,
    )
)]
async fn list_tokens(State(state): State<AppState>) -> ApiResult<Json<Vec<TokenView>>> {
    Ok(Json(services::auth::list_tokens(&state.db).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    operation_id = "createToken",
    tag = "Users and tokens",
    summary = r#"Create an API token (admins)"#,
    description = r#"Creates a token with a name, a role, an optional expiry (1 to 3650 days) and scopes (`allow_deploy`, `allow_device_writes`; the role must allow them too). The answer holds the secret, shown this once: only its hash is stored. Send it as `Authorization: Bearer …`. Needs the admin role."#,
    request_body(content = NewToken, example = json!({"name": "scada", "role": "engineer", "expires_days": 365, "scopes": {"allow_deploy": false, "allow_device_writes": false}})),
    responses(
        (status = 201, description = r#"Created, with its secret."#, body = CreatedToken, content_type = "application/json"),
        MalformedBody,
        (status = 409, description = r#"A token with this name exists (revoked tokens keep theirs)."#, body = ProblemBody, content_type = "application/problem+json"),
        TooLarge,
        NotJson,
        (status = 422, description = r#"The body does not fit the schema, or the name or the expiry breaks a rule (`problems` lists them all)."#, body = ProblemBody, content_type = "application/problem+json"),
        DatabaseFailed,
    )
)]
async fn create_token(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Response> {
    let new = json_body::<NewToken>(body)?;
    let created = services::auth::create_token(&state.db, &new, &caller, chrono::Utc::now())
        .await
        .map_err(auth_problem)?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{name}",
    operation_id = "revokeToken",
    tag = "Users and tokens",
    summary = r#"Revoke an API token (admins)"#,
    description = r#"From now on the token is refused. It stays listed, with the time it was revoked. Written to the audit log. Needs the admin role."#,
    params(("name" = String, Path, description = r#"The token's name."#)),
    responses(
        (status = 200, description = r#"The token as revoked."#, body = TokenView, content_type = "application/json"),
        (status = 400, description = r#"The path is malformed."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = r#"No token of this name."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = r#"The token is revoked already."#, body = ProblemBody, content_type = "application/problem+json"),
        DatabaseFailed,
    )
)]
async fn revoke_token(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    name: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<TokenView>> {
    let name = path_params(name)?;
    let token = services::auth::revoke_token(&state.db, &name, &caller, chrono::Utc::now())
        .await
        .map_err(auth_problem)?;
    Ok(Json(token))
}

#[utoipa::path(
    post,
    path = "/api/v1/me/password",
    operation_id = "changeOwnPassword",
    tag = "Users and tokens",
    summary = r#"Change your own password"#,
    description = r#"For a signed-in user (a console session; a token has no password): checks `old_password` (a wrong one counts as a failed login), sets `new_password` (at least 12 characters, not the name) and ends the user's other sessions. Written to the audit log."#,
    request_body(content = PasswordChange),
    responses(
        (status = 204, description = r#"Changed."#),
        MalformedBody,
        (status = 401, description = r#"`old_password` is wrong."#, body = ProblemBody, content_type = "application/problem+json"),
        TooLarge,
        NotJson,
        (status = 422, description = r#"The body does not fit the schema, the caller is not a signed-in user, or `new_password` breaks a rule (`problems` lists them all)."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = r#"Too many failed attempts from this address."#, body = ProblemBody, content_type = "application/problem+json"),
        DatabaseFailed,
    )
)]
async fn change_password(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let change = json_body::<PasswordChange>(body)?;
    services::auth::set_password(
        &state.db,
        &state.access.auth,
        &caller,
        &change,
        chrono::Utc::now(),
    )
    .await
    .map_err(auth_problem)?;
    Ok(StatusCode::NO_CONTENT)
}
