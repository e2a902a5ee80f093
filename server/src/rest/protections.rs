//! `/api/v1` routes of protections: recall, save and deploy limits (the original prototype's
//! payload is accepted unchanged), profiles, deployment history, alarm states and journal.

use app::ssr::state::AppState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use model::error::AppError;
use model::profiles::{
    AlarmRow, DeploymentDetail, DeploymentSummary, JournalEntry, ProfileSummary, RecallSource,
    Recalled,
};
use model::protections::{Level, ProtectionsPayload, Side};
use serde::Deserialize;
use serde_json::json;
use services::protections::deploy::{DeployOutcome, Deployed};
use services::protections::{self as service, alarms, deploy, profiles};

use super::registry::{ApiResult, json_body, query_params};
use super::{Problem, actor};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/protections", get(recall).post(save))
        .route("/api/v1/protections/deploy", post(deploy_now))
        .route(
            "/api/v1/protections/profiles",
            get(list_profiles).post(create_profile),
        )
        .route(
            "/api/v1/protections/profiles/{name}",
            get(get_profile)
                .patch(update_profile)
                .delete(delete_profile),
        )
        .route(
            "/api/v1/protections/profiles/{name}/activate",
            post(activate_profile),
        )
        .route("/api/v1/protections/deployments", get(deployments))
        .route("/api/v1/protections/deployments/{id}", get(deployment))
        .route("/api/v1/alarms", get(alarm_states))
        .route("/api/v1/alarms/journal", get(alarm_journal))
        .route("/api/v1/alarms/acknowledge", post(acknowledge))
}

#[derive(Deserialize)]
struct RecallParams {
    source: Option<String>,
}

async fn recall(
    State(state): State<AppState>,
    params: Result<Query<RecallParams>, QueryRejection>,
) -> ApiResult<Json<Recalled>> {
    let text = query_params(params)?.source.unwrap_or_default();
    let source = RecallSource::parse(&text).ok_or_else(|| {
        AppError::validation(
            "source",
            "expected current, default, profile:NAME or device",
        )
    })?;
    let recalled = service::recall(&state.db, &state.field, &state.protections, &source).await?;
    Ok(Json(recalled))
}

async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<ProtectionsPayload>, JsonRejection>,
) -> ApiResult<Json<ProfileSummary>> {
    let payload = json_body(body)?;
    let who = actor(&headers);
    let saved = service::save(
        &state.db,
        &state.field,
        &state.protections,
        payload.profile.as_deref(),
        &payload.protections,
        &who,
    )
    .await?;
    Ok(Json(saved))
}

/// 200 with the deployment when it succeeded. When it failed, problem+json with the deployment
/// (which field failed and why, what was restored): 422 when the deploy was refused before
/// anything was sent to the device (the set cannot be deployed as it is: invalid input), 502
/// when the device failed.
async fn deploy_now(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<ProtectionsPayload>, JsonRejection>,
) -> ApiResult<Response> {
    let payload = json_body(body)?;
    let who = actor(&headers);
    let Deployed { outcome, detail } = service::save_and_deploy_with_outcome(
        &state.db,
        &state.field,
        &state.protections,
        payload.profile.as_deref(),
        &payload.protections,
        &who,
    )
    .await?;
    let (status, title) = match outcome {
        DeployOutcome::Succeeded => return Ok(Json(detail).into_response()),
        DeployOutcome::Refused => (StatusCode::UNPROCESSABLE_ENTITY, "Deploy refused"),
        DeployOutcome::DeviceFailed => (StatusCode::BAD_GATEWAY, "Deploy failed"),
    };
    let message = detail.summary.message.clone();
    Err(Problem::new(status, title, message).with("deployment", json!(detail)))
}

async fn list_profiles(State(state): State<AppState>) -> ApiResult<Json<Vec<ProfileSummary>>> {
    Ok(Json(profiles::list(&state.db).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewProfile {
    name: String,
    #[serde(default)]
    description: String,
    /// Copy this profile's limits.
    clone_from: Option<String>,
}

async fn create_profile(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<NewProfile>, JsonRejection>,
) -> ApiResult<Response> {
    let new = json_body(body)?;
    let who = actor(&headers);
    let created = profiles::create(
        &state.db,
        &new.name,
        &new.description,
        new.clone_from.as_deref(),
        &who,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn get_profile(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let (summary, set) = profiles::load(&state.db, Some(&name)).await?;
    Ok(Json(json!({"profile": summary, "protections": set})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileChange {
    name: Option<String>,
    description: Option<String>,
}

async fn update_profile(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Json<ProfileChange>, JsonRejection>,
) -> ApiResult<Json<ProfileSummary>> {
    let change = json_body(body)?;
    let who = actor(&headers);
    let renamed = profiles::rename(
        &state.db,
        &name,
        change.name.as_deref(),
        change.description.as_deref(),
        &who,
    )
    .await?;
    Ok(Json(renamed))
}

async fn delete_profile(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    profiles::delete(&state.db, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn activate_profile(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<ProfileSummary>> {
    let who = actor(&headers);
    Ok(Json(profiles::activate(&state.db, &name, &who).await?))
}

async fn deployments(State(state): State<AppState>) -> ApiResult<Json<Vec<DeploymentSummary>>> {
    Ok(Json(deploy::history(&state.db, 100).await?))
}

async fn deployment(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<DeploymentDetail>> {
    Ok(Json(deploy::detail(&state.db, id).await?))
}

async fn alarm_states(State(state): State<AppState>) -> Json<Vec<AlarmRow>> {
    Json(state.protections.states())
}

async fn alarm_journal(State(state): State<AppState>) -> ApiResult<Json<Vec<JournalEntry>>> {
    Ok(Json(alarms::journal(&state.db, 200).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Acknowledge {
    variable: String,
    side: Side,
    level: Level,
}

async fn acknowledge(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Acknowledge>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let request = json_body(body)?;
    let who = actor(&headers);
    state
        .protections
        .acknowledge(
            &state.db,
            &request.variable,
            request.side,
            request.level,
            &who.user,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
