//! `/api/v1` routes of field I/O: read a variable now, write it with read-back, live values of
//! many variables (once, or as a server-sent-events stream), and the buses' health with the poll
//! plan.

use std::convert::Infallible;
use std::time::Duration;

use app::ssr::state::AppState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::stream::{self, Stream};
use model::field::{LiveValue, WriteOutcome};
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
        .route("/api/v1/live/stream", get(live_stream))
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
            return Err(model::error::AppError::validation(
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

/// Most names one live request or stream may ask for.
const MAX_LIVE_NAMES: usize = 1_000;

fn live_names(params: &LiveParams) -> Result<Vec<String>, model::error::AppError> {
    let names: Vec<String> = params
        .names
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
        .collect();
    if names.len() > MAX_LIVE_NAMES {
        return Err(model::error::AppError::validation(
            "names",
            format!("at most {MAX_LIVE_NAMES} names, got {}", names.len()),
        ));
    }
    Ok(names)
}

async fn live(
    State(state): State<AppState>,
    params: Result<Query<LiveParams>, QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let names = live_names(&query_params(params)?)?;
    Ok(Json(json!({ "items": state.field.live(&names) })))
}

#[derive(Deserialize)]
struct StreamParams {
    /// Comma-separated variable names.
    names: String,
    /// Milliseconds between events (250 to 60,000; default 1,000).
    interval_ms: Option<u64>,
}

/// `GET /api/v1/live/stream?names=a,b`: server-sent events. Every interval one `live` event
/// whose data is the JSON array of the names' live values (the shape of `GET /api/v1/live`'s
/// `items`), each with its quality and age. The stream ends when the server shuts down.
async fn live_stream(
    State(state): State<AppState>,
    params: Result<Query<StreamParams>, QueryRejection>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let params = query_params(params)?;
    let names = live_names(&LiveParams {
        names: params.names,
    })?;
    let interval_ms = params.interval_ms.unwrap_or(1_000);
    if !(250..=60_000).contains(&interval_ms) {
        return Err(model::error::AppError::validation(
            "interval_ms",
            format!("must be between 250 and 60000, got {interval_ms}"),
        )
        .into());
    }
    if !state.field.is_configured() {
        return Err(model::error::AppError::NotConfigured(
            "field I/O is not configured (see --field-config)".into(),
        )
        .into());
    }
    let mut ticks = tokio::time::interval(Duration::from_millis(interval_ms));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let field = state.field.clone();
    let events = stream::unfold(
        (ticks, field, names),
        |(mut ticks, field, names)| async move {
            tokio::select! {
                // Ending the stream at shutdown lets the graceful shutdown finish.
                _ = field.stopped() => None,
                _ = ticks.tick() => {
                    let values = field.live(&names);
                    let event = Event::default()
                        .event("live")
                        .json_data(&values)
                        .unwrap_or_else(|_| Event::default().event("live").data("[]"));
                    Some((Ok(event), (ticks, field, names)))
                }
            }
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

async fn buses(State(state): State<AppState>) -> Json<serde_json::Value> {
    let (blocks, unmapped) = state.field.plan();
    let unmapped: Vec<_> = unmapped
        .into_iter()
        .map(|(variable, path_id, reason)| json!({"variable": variable, "path_id": path_id, "reason": reason}))
        .collect();
    Json(json!({
        "buses": state.field.bus_stats(),
        "can_buses": state.field.can_views(),
        "blocks": blocks,
        "unmapped": unmapped,
    }))
}
