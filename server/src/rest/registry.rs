//! `/api/v1` routes of the variable registry: list, read, write (with `If-Match`), facets, the
//! preferred path and the change feed.

use app::ssr::state::AppState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use model::error::AppError;
use model::registry::{
    AccessPathPatch, NewAccessPath, NewVariable, Variable, VariablePatch, VariableQuery,
};
use serde::Deserialize;
use serde_json::json;
use services::registry::{query, write};
use services::system::system_version_of;

use super::{Problem, actor, if_match};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/system/version", get(system_version))
        .route("/api/v1/variables", get(list).post(create))
        .route("/api/v1/variables/bulk", post(bulk))
        .route(
            "/api/v1/variables/{name}",
            get(read).patch(update).delete(delete),
        )
        .route("/api/v1/variables/{name}/history", get(history))
        .route(
            "/api/v1/variables/{name}/preferred-path",
            get(preferred_path),
        )
        .route("/api/v1/variables/{name}/access-paths", post(add_path))
        .route(
            "/api/v1/variables/{name}/access-paths/{id}",
            patch(update_path).delete(remove_path),
        )
        .route("/api/v1/categories", get(categories))
        .route("/api/v1/locators", get(locators))
        .route("/api/v1/changes", get(changes))
        .route("/api/v1/export/data_def.json", get(export_data_def))
        .route("/api/v1/export/var_metadata.json", get(export_metadata))
}

pub(super) type ApiResult<T> = Result<T, Problem>;

pub(super) fn query_params<T>(params: Result<Query<T>, QueryRejection>) -> ApiResult<T> {
    params
        .map(|Query(p)| p)
        .map_err(|e| Problem::bad_request(e.body_text()))
}

pub(super) fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    body.map(|Json(b)| b)
        .map_err(|e| Problem::new(e.status(), "Invalid request body", e.body_text()))
}

/// A single variable, with its version as the ETag for the next `If-Match`.
fn variable_response(status: StatusCode, variable: Variable) -> Response {
    let etag = format!("\"{}\"", variable.variable_version);
    let mut response = (status, Json(variable)).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// On a 409, the answer carries the variable as it is now, so the client can merge or retry.
async fn with_current(state: &AppState, name: &str, err: AppError) -> Problem {
    let is_conflict = matches!(err, AppError::Conflict(_));
    let problem = Problem::from(err);
    if is_conflict && let Ok(current) = query::get_variable(&state.db, name).await {
        return problem.with("current", json!(current));
    }
    problem
}

async fn system_version(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    let version = system_version_of(&state.db).await?;
    Ok(Json(json!({ "system_version": version })))
}

async fn list(
    State(state): State<AppState>,
    params: Result<Query<VariableQuery>, QueryRejection>,
) -> ApiResult<Json<model::registry::Page<Variable>>> {
    let params = query_params(params)?;
    Ok(Json(
        query::list_variables(&state.db, &state.registry_index, &params).await?,
    ))
}

async fn read(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult<Response> {
    let variable = query::get_variable(&state.db, &name).await?;
    Ok(variable_response(StatusCode::OK, variable))
}

async fn history(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<model::registry::ChangeLogEntry>>> {
    Ok(Json(query::history(&state.db, &name).await?))
}

#[derive(Deserialize)]
struct BulkRequest {
    names: Vec<String>,
}

const MAX_BULK_NAMES: usize = 10_000;

async fn bulk(
    State(state): State<AppState>,
    body: Result<Json<BulkRequest>, JsonRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let request = json_body(body)?;
    if request.names.len() > MAX_BULK_NAMES {
        return Err(AppError::validation(
            "names",
            format!("at most {MAX_BULK_NAMES} names per request"),
        )
        .into());
    }
    let found = query::get_variables(&state.db, &request.names).await?;
    let missing: Vec<&String> = request
        .names
        .iter()
        .filter(|n| !found.iter().any(|v| &v.name == *n))
        .collect();
    Ok(Json(json!({ "items": found, "missing": missing })))
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<NewVariable>, JsonRejection>,
) -> ApiResult<Response> {
    let new = json_body(body)?;
    let variable = write::create_variable(&state.db, &new, &actor(&headers)).await?;
    Ok(variable_response(StatusCode::CREATED, variable))
}

async fn update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Json<VariablePatch>, JsonRejection>,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    let patch = json_body(body)?;
    match write::update_variable(&state.db, &name, expected, &patch, &actor(&headers)).await {
        Ok(variable) => Ok(variable_response(StatusCode::OK, variable)),
        Err(err) => Err(with_current(&state, &name, err).await),
    }
}

async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    match write::delete_variable(&state.db, &name, expected, &actor(&headers)).await {
        Ok(variable) => Ok(variable_response(StatusCode::OK, variable)),
        Err(err) => Err(with_current(&state, &name, err).await),
    }
}

async fn add_path(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Json<NewAccessPath>, JsonRejection>,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    let path = json_body(body)?;
    match write::add_path(&state.db, &name, expected, &path, &actor(&headers)).await {
        Ok(variable) => Ok(variable_response(StatusCode::CREATED, variable)),
        Err(err) => Err(with_current(&state, &name, err).await),
    }
}

async fn update_path(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, i64)>,
    headers: HeaderMap,
    body: Result<Json<AccessPathPatch>, JsonRejection>,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    let patch = json_body(body)?;
    match write::update_path(&state.db, &name, id, expected, &patch, &actor(&headers)).await {
        Ok(variable) => Ok(variable_response(StatusCode::OK, variable)),
        Err(err) => Err(with_current(&state, &name, err).await),
    }
}

async fn remove_path(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, i64)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    match write::remove_path(&state.db, &name, id, expected, &actor(&headers)).await {
        Ok(variable) => Ok(variable_response(StatusCode::OK, variable)),
        Err(err) => Err(with_current(&state, &name, err).await),
    }
}

async fn preferred_path(
    State(state): State<AppState>,
    Path(name): Path<String>,
    params: Result<Query<query::PathPreference>, QueryRejection>,
) -> ApiResult<Json<model::registry::AccessPath>> {
    let preference = query_params(params)?;
    Ok(Json(
        query::preferred_path(&state.db, &name, &preference).await?,
    ))
}

async fn categories(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(
        json!({ "items": query::categories(&state.db, &state.registry_index).await? }),
    ))
}

#[derive(Deserialize)]
struct LocatorParams {
    category: Option<model::registry::Category>,
}

async fn locators(
    State(state): State<AppState>,
    params: Result<Query<LocatorParams>, QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let params = query_params(params)?;
    Ok(Json(
        json!({ "items": query::locators(&state.db, &state.registry_index, params.category).await? }),
    ))
}

#[derive(Deserialize)]
struct ChangeParams {
    #[serde(default)]
    since: i64,
    limit: Option<u64>,
}

async fn changes(
    State(state): State<AppState>,
    params: Result<Query<ChangeParams>, QueryRejection>,
) -> ApiResult<Json<query::ChangeFeed>> {
    let params = query_params(params)?;
    let limit = params.limit.unwrap_or(1_000);
    Ok(Json(
        query::changes_since(&state.db, params.since, limit).await?,
    ))
}

/// One of the two export files, as a download.
fn attachment(file: &'static str, text: String) -> Response {
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn export_data_def(State(state): State<AppState>) -> ApiResult<Response> {
    let exported = services::registry::export::export(&state.db).await?;
    Ok(attachment("data_def.json", exported.data_def))
}

async fn export_metadata(State(state): State<AppState>) -> ApiResult<Response> {
    let exported = services::registry::export::export(&state.db).await?;
    Ok(attachment("var_metadata.json", exported.metadata))
}
