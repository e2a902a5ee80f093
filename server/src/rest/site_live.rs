//! `/api/v1/site` routes of the adapters as field I/O: every device's live state with the adapter
//! that serves it (and, for a pack, why), a pack's failover journal, and "Test connection" (an
//! adapter read once before it is saved). Thin: each calls `services::site::drive`.

use app::ssr::state::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use model::error::AppError;
use model::site::live::{AdapterSwitch, AdapterTest, AdapterTestResult, SiteLive};
use serde::Deserialize;
use services::site::drive::{self, SiteIo};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::docs::ProblemBody;
use super::registry::{ApiResult, json_body, path_params, query_params};
use super::responses::{DatabaseFailed, MalformedBody, MalformedQuery, NotJson, TooLarge};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(site_live))
        .routes(routes!(pack_switches))
        .routes(routes!(test_adapter))
}

/// Which system's live state.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LiveParams {
    /// The system's id.
    #[param(example = "system")]
    system: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/site/live",
    operation_id = "getSiteLive",
    tag = "Site",
    summary = r#"Every device of a system, live"#,
    description = r#"The site's field I/O as the last poll cycle left it: every inverter, meter and battery pack of the system with its state (`waiting`, `answering`, `failing`, `not_polled`), the adapter that serves it, its endpoint, the last error in plain words, and its values (each with its quantity, unit, quality `good` or `stale`, age and the adapter it came from). A pack also carries its failover: the serving adapter, whether a failover is active, why in plain words, every enabled adapter in priority order (lower first) with its consecutive failures and answers, the rules (`failures_to_switch`, `hold_cycles`) and the last switch. Nothing is read from a device for this answer."#,
    params(LiveParams),
    responses(
        (status = 200, description = r#"The system's devices, live."#, body = SiteLive, content_type = "application/json"),
        MalformedQuery,
        (status = 404, description = r#"Not found: no system has this id."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = r#"Not configured: this server does not run the site's field I/O."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 500, description = r#"Server error (the details are in the server log, never in the answer)."#, body = ProblemBody, content_type = "application/problem+json"),
    )
)]
async fn site_live(
    io: Option<Extension<SiteIo>>,
    params: Result<Query<LiveParams>, QueryRejection>,
) -> ApiResult<Json<SiteLive>> {
    let params = query_params(params)?;
    let Some(Extension(io)) = io else {
        return Err(AppError::NotConfigured(
            "this server does not run the site's field I/O".into(),
        )
        .into());
    };
    Ok(Json(drive::live(&io, &params.system)?))
}

#[utoipa::path(
    get,
    path = "/api/v1/site/battery-packs/{id}/switches",
    operation_id = "listPackAdapterSwitches",
    tag = "Site",
    summary = r#"A pack's failover journal"#,
    description = r#"Every time the pack's readings moved from one of its adapters to another, newest first (at most 1,000): from and to which adapter, the reason (`failed`: the serving adapter failed N consecutive poll cycles; `recovered`: a preferred adapter answered for the hold time) and the same in plain words. The journal outlives the pack: a deleted pack's switches are still answered."#,
    params(("id" = String, Path, description = r#"The battery pack's id."#)),
    responses(
        (status = 200, description = r#"The journal, newest first."#, body = Vec<AdapterSwitch>, content_type = "application/json"),
        (status = 400, description = r#"Bad request: the path could not be read."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = r#"Not found: no pack has this id and none is journalled under it."#, body = ProblemBody, content_type = "application/problem+json"),
        DatabaseFailed,
    )
)]
async fn pack_switches(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<Vec<AdapterSwitch>>> {
    let id = path_params(path)?;
    Ok(Json(drive::adapter_switches(&state.db, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/site/adapter-tests",
    operation_id = "testAdapter",
    tag = "Site",
    summary = r#"Test an adapter before saving it"#,
    description = r#"Builds the adapter from its type and configuration (checked against the type's JSON Schema; settings left out take the schema's defaults), connects to its endpoint, reads every quantity of its register map once with read-only requests (SunSpec points through the device's model chain) and disconnects. Nothing is saved and nothing is written to the device. `timeout_ms` bounds the whole test (default 5,000, at most 30,000)."#,
    request_body(content = AdapterTest, example = json!({"adapter_type": "simulator_bms", "config": {"transport": "tcp", "host": "127.0.0.1", "port": 5020, "unit_id": 2}})),
    responses(
        (status = 200, description = r#"The device answered: every reading."#, body = AdapterTestResult, content_type = "application/json"),
        MalformedBody,
        TooLarge,
        NotJson,
        (status = 422, description = r#"Invalid input: an unknown adapter type (`field` `adapter_type`), a type this build cannot drive, or a configuration its schema refuses (`field` is the setting's JSON pointer, e.g. `/unit_id`)."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 502, description = r#"Device error: the endpoint cannot be reached, the device does not answer or answers with an exception, or it is not the SunSpec device the type expects; `detail` says which, in plain words."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Device error", "status": 502, "detail": "device error: cannot reach Modbus TCP 127.0.0.1:5020: 127.0.0.1:5020: Connection refused (os error 111)"})),
        (status = 500, description = r#"Server error: the built-in adapter types do not load."#, body = ProblemBody, content_type = "application/problem+json"),
    )
)]
async fn test_adapter(
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Json<AdapterTestResult>> {
    let test: AdapterTest = json_body(body)?;
    let catalog = services::site::adapter_types::builtin_catalog()?;
    Ok(Json(drive::test_adapter(catalog, &test).await?))
}
