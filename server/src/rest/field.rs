//! `/api/v1` routes of field I/O: read a variable now, write it with read-back, live values of
//! many variables, and the buses' health with the poll plan.

use app::model::field::{LiveValue, WriteOutcome};
use app::ssr::state::AppState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::actor;
use super::registry::{ApiResult, json_body, query_params};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/variables/{name}/value",
            get(read_value).put(write_value),
        )
        .route("/api/v1/live", get(live))
        .route("/api/v1/buses", get(buses))
}

#[derive(Deserialize)]
struct RackParam {
    rack: Option<i32>,
}

async fn read_value(
    State(state): State<AppState>,
    Path(name): Path<String>,
    params: Result<Query<RackParam>, QueryRejection>,
) -> ApiResult<Json<LiveValue>> {
    let rack = query_params(params)?.rack;
    Ok(Json(state.field.read_now(&state.db, &name, rack).await?))
}

/// `{"value": 3.5}` for one element, `{"values": [..]}` for arrays.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WriteRequest {
    value: Option<f64>,
    values: Option<Vec<f64>>,
    rack: Option<i32>,
}

async fn write_value(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Json<WriteRequest>, JsonRejection>,
) -> ApiResult<Json<WriteOutcome>> {
    let request = json_body(body)?;
    let values = match (request.value, request.values) {
        (Some(value), None) => vec![value],
        (None, Some(values)) => values,
        _ => {
            return Err(app::error::AppError::validation(
                "value",
                "give either \"value\" or \"values\"",
            )
            .into());
        }
    };
    let who = actor(&headers);
    let outcome = state
        .field
        .write(&state.db, &name, &values, request.rack, &who.user)
        .await?;
    Ok(Json(outcome))
}

#[derive(Deserialize)]
struct LiveParams {
    /// Comma-separated variable names.
    names: String,
}

async fn live(
    State(state): State<AppState>,
    params: Result<Query<LiveParams>, QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let names: Vec<String> = query_params(params)?
        .names
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
        .collect();
    Ok(Json(json!({ "items": state.field.live(&names) })))
}

async fn buses(State(state): State<AppState>) -> Json<serde_json::Value> {
    let (blocks, unmapped) = state.field.plan();
    let unmapped: Vec<_> = unmapped
        .into_iter()
        .map(|(variable, path_id, reason)| json!({"variable": variable, "path_id": path_id, "reason": reason}))
        .collect();
    Json(json!({
        "buses": state.field.bus_stats(),
        "blocks": blocks,
        "unmapped": unmapped,
    }))
}
