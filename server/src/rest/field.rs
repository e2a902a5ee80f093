//! `/api/v1` routes of field I/O: read a variable now, write it with read-back, live values of
//! many variables (once, or as a server-sent-events stream), and the buses' health with the poll
//! plan.

use axum::Extension;
use services::auth::Caller;
use std::convert::Infallible;
use std::time::Duration;

use app::ssr::state::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use model::field::{LiveValue, WriteOutcome};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::actor;
use super::docs::{ProblemBody, WriterHeaders};
use super::registry::{ApiResult, json_body, query_params};
use super::responses::MalformedRequest;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(read_value, write_value))
        .routes(routes!(live))
        .routes(routes!(live_stream))
        .routes(routes!(buses))
}

#[derive(Deserialize)]
struct RackParam {
    rack: Option<i32>,
}

#[utoipa::path(
    get,
    path = "/api/v1/variables/{name}/value",
    operation_id = "readValue",
    tag = "Field I/O",
    summary = r#"Read a variable from the device now"#,
    description = r#"Reads through the highest-priority active path that the field configuration can reach; when it fails, the next path by priority, and `source` says so."#,
    params(
        ("name" = String, Path, description = r#"The variable's name, a snake_case identifier such as `soc`."#, example = json!("soc")),
        ("rack" = Option<i32>, Query, nullable = false, description = r#"The rack the caller wants; without it only all-rack paths qualify."#),
    ),
    responses(
        (status = 200, description = r#"The value just read."#, body = LiveValue, content_type = "application/json"),
        MalformedRequest,
        (status = 404, description = r#"No such variable, or it has no active path."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = r#"Not configured: no path of the variable can be read, because its memory table has no data source, its device or bus is not configured, or field I/O is off (title `Not configured`). A configuration problem, not a device failure."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 502, description = r#"Every path failed; the detail names each failure."#, body = ProblemBody, content_type = "application/problem+json"),
    )
)]
async fn read_value(
    State(state): State<AppState>,
    Path(name): Path<String>,
    params: Result<Query<RackParam>, QueryRejection>,
) -> ApiResult<Json<LiveValue>> {
    let rack = query_params(params)?.rack;
    Ok(Json(state.field.read_now(&state.db, &name, rack).await?))
}

/// What to write: `{"value": 3.5}` for one element, `{"values": [..]}` for arrays (exactly one
/// of the two). Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct WriteRequest {
    /// The value in engineering units, for a one-element variable.
    #[schema(nullable = false)]
    value: Option<f64>,
    /// One value per element, for an array variable.
    #[schema(nullable = false)]
    values: Option<Vec<f64>>,
    /// The rack the caller wants; without it only all-rack paths qualify.
    #[schema(nullable = false)]
    rack: Option<i32>,
}

/// Live values of the names asked for, in the order asked.
#[derive(Serialize, ToSchema)]
pub(super) struct LiveValues {
    items: Vec<LiveValue>,
}

#[utoipa::path(
    put,
    path = "/api/v1/variables/{name}/value",
    operation_id = "writeValue",
    tag = "Field I/O",
    summary = r#"Write a variable to the device, then read it back"#,
    description = r#"Writes through the highest-priority writable path, then reads back and compares. Refused with 422 before anything is sent when no path is writable, the table is read-only, or a value does not fit the path's data type after scaling. The writer is the token's (or session's) name; `X-Powerdeck-Source` names the system it writes from."#,
    params(
        ("name" = String, Path, description = r#"The variable's name, a snake_case identifier such as `soc`."#, example = json!("soc")),
        WriterHeaders,
    ),
    request_body(content = WriteRequest, example = json!({"value": 85})),
    responses(
        (status = 200, description = r#"Written and read back."#, body = WriteOutcome, content_type = "application/json"),
        MalformedRequest,
        (status = 409, description = r#"Not configured: the path chosen for the write has no data source (its memory table, device or bus is not configured), or field I/O is off (title `Not configured`)."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = r#"Payload too large: the body is over the size limit."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = r#"Unsupported media type: send `Content-Type: application/json`."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = r#"Refused before sending, with the reason."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 502, description = r#"The device failed."#, body = ProblemBody, content_type = "application/problem+json"),
    )
)]
async fn write_value(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Json<WriteOutcome>> {
    let request = json_body::<WriteRequest>(body)?;
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
    let who = actor(&caller, &headers);
    let outcome = state
        .field
        .write(&state.db, &name, &values, request.rack, &who)
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

#[utoipa::path(
    get,
    path = "/api/v1/live",
    operation_id = "liveValues",
    tag = "Field I/O",
    summary = r#"Latest polled values"#,
    description = r#"The latest polled value of each named variable with its quality, age and source. Names that are unknown or not polled are left out."#,
    params(
        ("names" = String, Query, description = r#"Comma-separated variable names."#, example = json!("soc,pv_power")),
    ),
    responses(
        (status = 200, description = r#"The values."#, body = LiveValues, content_type = "application/json"),
        MalformedRequest,
    )
)]
async fn live(
    State(state): State<AppState>,
    params: Result<Query<LiveParams>, QueryRejection>,
) -> ApiResult<Json<LiveValues>> {
    let names = live_names(&query_params(params)?)?;
    Ok(Json(LiveValues {
        items: state.field.live(&names),
    }))
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
#[utoipa::path(
    get,
    path = "/api/v1/live/stream",
    operation_id = "liveStream",
    tag = "Field I/O",
    summary = r#"Live values as server-sent events"#,
    description = r#"A `text/event-stream`: every `interval_ms` one event named `live` whose data is the JSON array of the named variables' live values (the `items` of `GET /api/v1/live`). Comments keep the connection alive; the stream ends when the server shuts down. The browser's Registry page uses it."#,
    params(
        ("names" = String, Query, description = r#"Comma-separated variable names (at most 1,000)."#, example = json!("soc,pv_power")),
        ("interval_ms" = Option<u64>, Query, nullable = false, description = r#"Milliseconds between events, 250 to 60,000. Default: `1000`."#, minimum = 250, maximum = 60000),
    ),
    responses(
        (status = 200, description = r#"The event stream."#, body = String, content_type = "text/event-stream", example = json!("event: live\ndata: [{\"name\":\"soc\",\"values\":[64.0],\"quality\":\"good\",\"at_ms\":1764470000000,\"age_ms\":120,\"path_id\":3,\"source\":\"bus site, unit 2, input 2\",\"error\":null}]\n\n")),
        MalformedRequest,
        (status = 409, description = r#"Field I/O is not configured (title `Not configured`)."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = r#"A bad parameter (too many names, interval out of range)."#, body = ProblemBody, content_type = "application/problem+json"),
    )
)]
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

#[utoipa::path(
    get,
    path = "/api/v1/buses",
    operation_id = "buses",
    tag = "Field I/O",
    summary = r#"Bus health and the poll plan"#,
    description = r#"Per bus: state, request and error rates, latency p50/p99, back-off, the last errors in plain words; the planned block reads; and the paths that cannot be polled, with the reason and `expected` (true when the configuration just names no data source for them; false for a path that can never be read as asked)."#,
    responses(
        (status = 200, description = r#"Buses, blocks and unmapped paths."#, body = serde_json::Value, content_type = "application/json"),
    )
)]
async fn buses(State(state): State<AppState>) -> Json<serde_json::Value> {
    let (blocks, unmapped) = state.field.plan();
    let unmapped: Vec<_> = unmapped
        .into_iter()
        .map(|(variable, path_id, reason, expected)| {
            json!({"variable": variable, "path_id": path_id, "reason": reason, "expected": expected})
        })
        .collect();
    Json(json!({
        "buses": state.field.bus_stats(),
        "can_buses": state.field.can_views(),
        "blocks": blocks,
        "unmapped": unmapped,
    }))
}
