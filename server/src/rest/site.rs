//! `/api/v1/site` routes: the site's structure (seed 002 §1): systems, inverter arrays,
//! inverters, battery arrays, packs, meters and adapters, each created, changed (`If-Match`) and
//! deleted (`If-Match`, with a preview of what the delete takes with it); battery-array
//! attachments; the change log; and a system as `config.yaml` (export, and import as a plan that
//! is applied unless it is a dry run).

use app::ssr::state::AppState;
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use model::error::AppError;
use model::site::plan::SitePlan;
use model::site::spec::{
    AdapterSpec, BatteryArraySpec, BatteryPackSpec, InverterArraySpec, InverterSpec, MeterSpec,
    SystemSpec,
};
use model::site::tree::{
    AdapterNode, AdapterPatch, ArrayPatch, AttachmentNode, BatteryArrayNode, BatteryPackNode,
    BatteryPackPatch, DeletePreview, EntityKind, InverterArrayNode, InverterNode, InverterPatch,
    MeterNode, MeterPatch, SiteChange, SiteTree, SystemNode, SystemPatch, SystemSummary,
};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use services::auth::Caller;
use services::site::{self as site, yaml};
use utoipa::{IntoParams, IntoResponses, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::docs::WriterHeaders;
use super::registry::{ApiResult, json_body, path_params, query_params};
use super::responses::{DatabaseFailed, MalformedBody, NotJson, TooLarge};
use super::{Problem, actor, if_match};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_systems, create_system))
        .routes(routes!(get_system, update_system, delete_system))
        .routes(routes!(preview_system_delete))
        .routes(routes!(system_changes))
        .routes(routes!(export_system))
        .routes(routes!(import_site))
        .routes(routes!(create_inverter_array))
        .routes(routes!(update_inverter_array, delete_inverter_array))
        .routes(routes!(preview_inverter_array_delete))
        .routes(routes!(create_inverter))
        .routes(routes!(update_inverter, delete_inverter))
        .routes(routes!(preview_inverter_delete))
        .routes(routes!(create_battery_array))
        .routes(routes!(update_battery_array, delete_battery_array))
        .routes(routes!(preview_battery_array_delete))
        .routes(routes!(attach))
        .routes(routes!(detach))
        .routes(routes!(create_battery_pack))
        .routes(routes!(update_battery_pack, delete_battery_pack))
        .routes(routes!(preview_battery_pack_delete))
        .routes(routes!(create_meter))
        .routes(routes!(update_meter, delete_meter))
        .routes(routes!(preview_meter_delete))
        .routes(routes!(create_adapter))
        .routes(routes!(update_adapter, delete_adapter))
        .routes(routes!(preview_adapter_delete))
}

// ---------- the answers' shapes

/// A row of the site as the API answers it: its kind, its `version` (the ETag, for the next
/// `If-Match`) and where it is in a system's tree.
trait SiteNode: Serialize + Sized {
    const KIND: EntityKind;
    fn version(&self) -> i64;
    /// The row with id `id` in `tree`, if it is there.
    fn pick(tree: SiteTree, id: &str) -> Option<Self>;
}

impl SiteNode for SystemNode {
    const KIND: EntityKind = EntityKind::System;
    fn version(&self) -> i64 {
        self.version
    }
    fn pick(tree: SiteTree, id: &str) -> Option<Self> {
        (tree.system.id == id).then_some(tree.system)
    }
}

impl SiteNode for InverterArrayNode {
    const KIND: EntityKind = EntityKind::InverterArray;
    fn version(&self) -> i64 {
        self.version
    }
    fn pick(tree: SiteTree, id: &str) -> Option<Self> {
        tree.inverter_arrays.into_iter().find(|a| a.id == id)
    }
}

impl SiteNode for InverterNode {
    const KIND: EntityKind = EntityKind::Inverter;
    fn version(&self) -> i64 {
        self.version
    }
    fn pick(tree: SiteTree, id: &str) -> Option<Self> {
        tree.inverter_arrays
            .into_iter()
            .flat_map(|a| a.inverters)
            .find(|i| i.id == id)
    }
}

impl SiteNode for BatteryArrayNode {
    const KIND: EntityKind = EntityKind::BatteryArray;
    fn version(&self) -> i64 {
        self.version
    }
    fn pick(tree: SiteTree, id: &str) -> Option<Self> {
        tree.battery_arrays.into_iter().find(|a| a.id == id)
    }
}

impl SiteNode for BatteryPackNode {
    const KIND: EntityKind = EntityKind::BatteryPack;
    fn version(&self) -> i64 {
        self.version
    }
    fn pick(tree: SiteTree, id: &str) -> Option<Self> {
        tree.battery_arrays
            .into_iter()
            .flat_map(|a| a.packs)
            .find(|p| p.id == id)
    }
}

impl SiteNode for MeterNode {
    const KIND: EntityKind = EntityKind::Meter;
    fn version(&self) -> i64 {
        self.version
    }
    fn pick(tree: SiteTree, id: &str) -> Option<Self> {
        tree.meters.into_iter().find(|m| m.id == id)
    }
}

impl SiteNode for AdapterNode {
    const KIND: EntityKind = EntityKind::Adapter;
    fn version(&self) -> i64 {
        self.version
    }
    fn pick(tree: SiteTree, id: &str) -> Option<Self> {
        let SiteTree {
            inverter_arrays,
            battery_arrays,
            meters,
            ..
        } = tree;
        inverter_arrays
            .into_iter()
            .flat_map(|a| a.inverters)
            .filter_map(|i| i.adapter)
            .chain(
                battery_arrays
                    .into_iter()
                    .flat_map(|a| a.packs)
                    .flat_map(|p| p.adapters),
            )
            .chain(meters.into_iter().filter_map(|m| m.adapter))
            .find(|a| a.id == id)
    }
}

/// The row of `N` with id `id` as it is now, from the tree of the system that holds it.
async fn current<N: SiteNode>(db: &DatabaseConnection, id: &str) -> Result<N, AppError> {
    for system in site::systems(db).await? {
        match site::tree(db, &system.id).await {
            Ok(tree) => {
                if let Some(node) = N::pick(tree, id) {
                    return Ok(node);
                }
            }
            // Deleted since it was listed.
            Err(AppError::NotFound(_)) => {}
            Err(err) => return Err(err),
        }
    }
    Err(AppError::NotFound(format!("{} {id:?}", N::KIND)))
}

/// A single row, with its version as the ETag for the next `If-Match`.
fn node_response<N: SiteNode>(status: StatusCode, node: N) -> Response {
    let etag = format!("\"{}\"", node.version());
    let mut response = (status, Json(node)).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// On a 409, the answer carries the row as it is now, so the client can merge or retry.
async fn with_current<N: SiteNode>(db: &DatabaseConnection, id: &str, err: AppError) -> Problem {
    let is_conflict = matches!(err, AppError::Conflict(_));
    let problem = Problem::from(err);
    if is_conflict && let Ok(node) = current::<N>(db, id).await {
        return problem.with("current", json!(node));
    }
    problem
}

/// The answer to a create or an update of the row `id`: the row as it is now (`status`), or the
/// problem (with the current row on a 409).
async fn written<N: SiteNode>(
    db: &DatabaseConnection,
    status: StatusCode,
    id: &str,
    result: Result<i64, AppError>,
) -> ApiResult<Response> {
    match result {
        Ok(_) => Ok(node_response(status, current::<N>(db, id).await?)),
        Err(err) => Err(with_current::<N>(db, id, err).await),
    }
}

/// The answer to a delete: 204, or the problem (with the current row on a 409).
async fn deleted<N: SiteNode>(
    db: &DatabaseConnection,
    id: &str,
    result: Result<(), AppError>,
) -> ApiResult<StatusCode> {
    match result {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(err) => Err(with_current::<N>(db, id, err).await),
    }
}

/// The row version the client last saw, from `If-Match: 3` or `If-Match: "3"` (428 without it).
fn row_version(headers: &HeaderMap) -> Result<i64, Problem> {
    if headers.get(header::IF_MATCH).is_none() {
        return Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "If-Match required",
            "send If-Match: <version> (the row's `version`, the ETag of its read) so that no update is lost",
        ));
    }
    if_match(headers)
        .map_err(|_| Problem::bad_request("If-Match must be a row version such as \"3\""))
}

fn id_param(path: Result<Path<String>, PathRejection>) -> ApiResult<String> {
    path_params(path)
}

// ---------- documentation of the shared parts

/// The body of every error answer of the site routes, `application/problem+json` (RFC 9457).
/// Answered by [`Problem`]; this type documents it.
#[derive(Serialize, ToSchema)]
#[schema(as = SiteProblem)]
#[allow(dead_code)] // Never built: it documents what `Problem` answers.
pub(super) struct SiteProblemBody {
    /// Always `about:blank`.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    kind: String,
    /// Short summary: `Bad request`, `Invalid request body`, `If-Match required`, `Invalid input`,
    /// `Invalid site file`, `Not found`, `Changed by someone else`, `Server error`.
    title: String,
    /// The HTTP status.
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
    /// What went wrong, safe to show to an operator.
    detail: String,
    /// On 422 `Invalid input`: the path of the offending field, e.g. `name`, `array_id`,
    /// `adapter.adapter_type`, `inverter_array_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    field: Option<String>,
    /// On a 409 from a write with a stale `If-Match`: the row as it is now (the same shape as
    /// the write's 200 answer), so the client can merge and retry with its `version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, value_type = Object)]
    current: Option<Value>,
    /// On a 422 `Invalid site file`: every problem of the file, in file order.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    problems: Option<Vec<SiteFileProblemBody>>,
}

/// One broken rule of an imported `config.yaml`.
#[derive(Serialize, ToSchema)]
#[schema(as = SiteFileProblem)]
pub(super) struct SiteFileProblemBody {
    /// 1-based.
    line: usize,
    /// 1-based.
    column: usize,
    /// The field the problem is about, as `inverters[2].adapter.baudrate`; empty for the file
    /// as a whole (a YAML syntax error).
    path: String,
    /// The rule that was broken, in plain words.
    message: String,
}

/// The headers of a versioned site write: the row version the writer last saw, and who writes.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // Read from the `HeaderMap` by [`row_version`]; this type documents them.
pub(super) struct SiteWriteHeaders {
    /// The row's `version` the client last saw (the `ETag` of its last read): `3`, `"3"` or
    /// `W/"3"`. Missing: 428 Precondition Required. Not a version (e.g. `*`): 400. Not the
    /// row's current version: 409 with the row as it is now in `current`.
    #[param(
        rename = "If-Match",
        pattern = r#"^[ \t]*(W/)?"?[0-9]{1,18}"?[ \t]*$"#,
        example = "\"3\""
    )]
    if_match: String,
    /// From which system the change comes, recorded as `source_system` in the change log.
    /// Missing or blank: `rest`.
    #[param(
        rename = "X-Powerdeck-Source",
        nullable = false,
        example = "site-scada"
    )]
    source: Option<String>,
}

#[derive(IntoResponses)]
#[response(
    status = 400,
    description = r#"Bad request: `If-Match` is not a row version such as `"3"` (title `Bad request`), or the body is not syntactically valid JSON (title `Invalid request body`)."#,
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Bad request", "status": 400, "detail": "If-Match must be a row version such as \"3\""})
)]
#[allow(dead_code)]
pub(super) struct BadWrite(SiteProblemBody);

#[derive(IntoResponses)]
#[response(
    status = 404,
    description = r#"Not found: no row of this kind has this id."#,
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: inverter \"inv9\""})
)]
#[allow(dead_code)]
pub(super) struct NoSuchRow(SiteProblemBody);

#[derive(IntoResponses)]
#[response(
    status = 409,
    description = r#"Changed by someone else: `If-Match` is not the row's current `version`. Nothing was written; `current` holds the row as it is now (the shape of the 200 answer), so the client can merge and retry with its `version`."#,
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Changed by someone else", "status": 409, "detail": "conflict: inverter array \"array1\" is at version 7, not 5: it changed since you read it", "current": {"id": "array1", "name": "Ground floor", "version": 7, "inverters": [], "battery_arrays": ["battery_array1"]}})
)]
#[allow(dead_code)]
pub(super) struct StaleRow(SiteProblemBody);

#[derive(IntoResponses)]
#[response(
    status = 428,
    description = r#"If-Match required: the request has no `If-Match` header."#,
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "If-Match required", "status": 428, "detail": "send If-Match: <version> (the row's `version`, the ETag of its read) so that no update is lost"})
)]
#[allow(dead_code)]
pub(super) struct RowVersionMissing(SiteProblemBody);

#[derive(IntoResponses)]
#[response(
    status = 422,
    description = r#"Unprocessable: either the body does not fit the schema (a missing or unknown field, a wrong type or enum value; title `Invalid request body`, no `field`), or it breaks a rule of the site (title `Invalid input`, `field` names the first offending field and `detail` lists every problem): ids are slugs (letters, digits, `_`, `-`, at most 64 characters) not taken by any other row of any kind; names are not blank; a parent (`array_id`, `battery_array_id`, `system_id` of a meter) exists, in the same system; an adapter's type drives this kind of device; a pack has 1 to 256 batteries of 1 to 512 cells."#,
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": "\"array1\" is already the id of inverter array \"array1\" in system \"system\"", "field": "id"})
)]
#[allow(dead_code)]
pub(super) struct BrokenRule(SiteProblemBody);

// ---------- systems

#[utoipa::path(
    get,
    path = "/api/v1/site/systems",
    operation_id = "listSiteSystems",
    tag = "Site",
    summary = r#"List systems"#,
    description = r#"Every system of the site, by id, with how many inverter arrays, inverters, battery arrays, packs and meters it has."#,
    responses(
        (status = 200, description = r#"The systems."#, body = Vec<SystemSummary>, content_type = "application/json", example = json!([{"id": "system", "name": "My Solar System", "description": "Main residential solar system", "timezone": "Asia/Karachi", "version": 12, "inverter_arrays": 2, "inverters": 3, "battery_arrays": 1, "battery_packs": 2, "meters": 1}])),
        DatabaseFailed,
    )
)]
async fn list_systems(State(state): State<AppState>) -> ApiResult<Json<Vec<SystemSummary>>> {
    Ok(Json(site::systems(&state.db).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/site/systems",
    operation_id = "createSiteSystem",
    tag = "Site",
    summary = r#"Create a system"#,
    description = r#"Creates an empty system (no arrays, devices or meters). Its `id` is a slug that no row of the site uses. Takes one system version; logged as `created`."#,
    params(WriterHeaders),
    request_body(content = SystemSpec, example = json!({"id": "cabin", "name": "Cabin", "description": "Off-grid cabin", "timezone": "Europe/Berlin"})),
    responses(
        (status = 201, description = r#"Created: the system; `ETag` is its `version`."#, body = SystemNode, content_type = "application/json", headers(("ETag" = String, description = "The row's `version`, quoted: send it back in `If-Match` on the next write."))),
        MalformedBody,
        TooLarge,
        NotJson,
        BrokenRule,
        DatabaseFailed,
    )
)]
async fn create_system(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let new = json_body::<SystemSpec>(body)?;
    let result = site::create_system(&state.db, &new, &actor(&caller, &headers)).await;
    written::<SystemNode>(&state.db, StatusCode::CREATED, &new.id, result).await
}

#[utoipa::path(
    get,
    path = "/api/v1/site/systems/{system_id}",
    operation_id = "getSiteTree",
    tag = "Site",
    summary = r#"A system's whole tree"#,
    description = r#"The system with its inverter arrays (each with its inverters and the battery arrays attached to it now), battery arrays (each with its packs, their batteries with cell counts, and the packs' adapters in failover order), meters (system level first) and attachments (open and closed, newest first). Every row carries its `version` for `If-Match`. The `ETag` is the system row's `version`, for a PATCH or DELETE of the system."#,
    params(
        ("system_id" = String, Path, description = r#"The system's id."#, example = json!("system")),
    ),
    responses(
        (status = 200, description = r#"The system's tree."#, body = SiteTree, content_type = "application/json", headers(("ETag" = String, description = "The system row's `version`, quoted."))),
        (status = 404, description = r#"Not found: no system has this id."#, body = SiteProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: system \"nope\""})),
        DatabaseFailed,
    )
)]
async fn get_system(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let id = id_param(path)?;
    let tree = site::tree(&state.db, &id).await?;
    let etag = format!("\"{}\"", tree.system.version);
    let mut response = Json(tree).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

#[utoipa::path(
    patch,
    path = "/api/v1/site/systems/{system_id}",
    operation_id = "updateSiteSystem",
    tag = "Site",
    summary = r#"Change a system"#,
    description = r#"Changes the fields present in the body (absent = unchanged; `description: null` clears it). If anything changes, the system takes the next system version as its `version` and each changed field is logged. A patch that changes nothing takes no version. Checks run in this order: If-Match (428/400), body (415/400/422), system (404), version (409), field rules (422)."#,
    params(
        ("system_id" = String, Path, description = r#"The system's id."#, example = json!("system")),
        SiteWriteHeaders,
    ),
    request_body(content = SystemPatch, example = json!({"name": "Home", "timezone": "Europe/Berlin"})),
    responses(
        (status = 200, description = r#"The system after the change; `ETag` is its new `version`."#, body = SystemNode, content_type = "application/json", headers(("ETag" = String, description = "The row's `version`, quoted: send it back in `If-Match` on the next write."))),
        BadWrite,
        NoSuchRow,
        StaleRow,
        TooLarge,
        NotJson,
        BrokenRule,
        RowVersionMissing,
        DatabaseFailed,
    )
)]
async fn update_system(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let id = id_param(path)?;
    let expected = row_version(&headers)?;
    let patch = json_body::<SystemPatch>(body)?;
    let result =
        site::update_system(&state.db, &id, &patch, expected, &actor(&caller, &headers)).await;
    written::<SystemNode>(&state.db, StatusCode::OK, &id, result).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/site/systems/{system_id}",
    operation_id = "deleteSiteSystem",
    tag = "Site",
    summary = r#"Delete a system and everything in it"#,
    description = r#"Deletes the system with its arrays, devices, batteries, cells, meters, adapters and attachments (see its delete preview first). The change log keeps the whole system as it was, in the deletion's `old_value`. No body."#,
    params(
        ("system_id" = String, Path, description = r#"The system's id."#, example = json!("system")),
        SiteWriteHeaders,
    ),
    responses(
        (status = 204, description = r#"Deleted."#),
        BadWrite,
        NoSuchRow,
        StaleRow,
        RowVersionMissing,
        DatabaseFailed,
    )
)]
async fn delete_system(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let id = id_param(path)?;
    let expected = row_version(&headers)?;
    let result = site::delete_system(&state.db, &id, expected, &actor(&caller, &headers)).await;
    deleted::<SystemNode>(&state.db, &id, result).await
}

/// How many changes to read (`GET /api/v1/site/systems/{id}/changes`).
#[derive(Deserialize)]
struct ChangeParams {
    limit: Option<i64>,
}

/// The most changes one read answers.
const MAX_CHANGES: u64 = 1_000;

#[utoipa::path(
    get,
    path = "/api/v1/site/systems/{system_id}/changes",
    operation_id = "listSiteChanges",
    tag = "Site",
    summary = r#"A system's change log"#,
    description = r#"The newest changes of the system's rows, newest first: what was created, updated (one entry per field, old and new value) or deleted (the row as it was, as JSON), by whom, from where, at which system version. The log outlives what it describes: a deleted system's changes are still answered (an id that never had a system answers an empty list)."#,
    params(
        ("system_id" = String, Path, description = r#"The system's id."#, example = json!("system")),
        ("limit" = Option<i64>, Query, nullable = false, description = r#"At most this many entries; 0 is read as 1 and anything over 1,000 as 1,000. Default: `100`."#, minimum = 0),
    ),
    responses(
        (status = 200, description = r#"The change log, newest first."#, body = Vec<SiteChange>, content_type = "application/json"),
        (status = 400, description = r#"Bad request: the query string could not be read, or it names a parameter this operation does not take."#, body = SiteProblemBody, content_type = "application/problem+json"),
        (status = 422, description = r#"Invalid input: a negative `limit` (`field` names it)."#, body = SiteProblemBody, content_type = "application/problem+json"),
        DatabaseFailed,
    )
)]
async fn system_changes(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    params: Result<Query<ChangeParams>, QueryRejection>,
) -> ApiResult<Json<Vec<SiteChange>>> {
    let id = id_param(path)?;
    let params = query_params(params)?;
    let limit = match params.limit {
        None => 100,
        Some(limit) => u64::try_from(limit)
            .map_err(|_| AppError::validation("limit", "must not be negative"))?,
    };
    let limit = limit.clamp(1, MAX_CHANGES);
    Ok(Json(site::changes(&state.db, &id, limit).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/site/systems/{system_id}/export",
    operation_id = "exportSiteSystem",
    tag = "Site",
    summary = r#"A system as config.yaml"#,
    description = r#"The system in the format of `config.yaml` (what `powerdeck site export` writes), as a download. Importing it back (`POST /api/v1/site/import`) changes nothing."#,
    params(
        ("system_id" = String, Path, description = r#"The system's id."#, example = json!("system")),
    ),
    responses(
        (status = 200, description = r#"config.yaml as an attachment: one YAML mapping (`home`, `arrays`, `inverters`, ...)."#, body = Object, content_type = "text/yaml"),
        (status = 404, description = r#"Not found: no system has this id."#, body = SiteProblemBody, content_type = "application/problem+json"),
        DatabaseFailed,
    )
)]
async fn export_system(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let id = id_param(path)?;
    let spec = site::load_spec(&state.db, &id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("system {id:?}")))?;
    let mut response = yaml::write_site_yaml(&spec).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/yaml; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{id}.yaml\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// How to import (`POST /api/v1/site/import`).
#[derive(Deserialize)]
struct ImportParams {
    dry_run: Option<bool>,
    prune: Option<bool>,
}

/// The name problems of an imported file are reported against.
const IMPORTED_FILE: &str = "config.yaml";

/// The media types an imported file may be sent as; a body without a `Content-Type` is read as
/// YAML too.
const YAML_TYPES: [&str; 5] = [
    "text/yaml",
    "application/yaml",
    "application/x-yaml",
    "text/x-yaml",
    "text/plain",
];

/// 415 unless the body is sent as YAML (or as plain text, or without a type).
fn check_yaml_type(headers: &HeaderMap) -> Result<(), Problem> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if essence.is_some_and(|e| YAML_TYPES.contains(&e.as_str())) {
        return Ok(());
    }
    Err(Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Invalid request body",
        "send the file with `Content-Type: text/yaml` (or application/yaml, text/plain)",
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/site/import",
    operation_id = "importSiteFile",
    tag = "Site",
    summary = r#"Import a system from config.yaml"#,
    description = r#"Reads the body as a `config.yaml` (UTF-8), checks every rule of the file, adapters included (each adapter's type must be a built-in adapter type and its configuration must follow that type's JSON Schema; a bad file answers 422 listing every problem with its line, column and field path; nothing is written), plans what must change so that the file's system is as the file describes it, and applies the plan in one transaction at one system version unless `dry_run=true`. Rows are matched by id. Without `prune`, rows of the system the file does not describe are kept; with `prune=true` they are removed (attachments are history: open ones are closed, none is removed). The answer is the plan: every row created, updated (field by field) or removed; an empty `changes` when the database already matches the file."#,
    params(
        ("dry_run" = Option<bool>, Query, nullable = false, description = r#"Plan only, write nothing. Default: `false`."#),
        ("prune" = Option<bool>, Query, nullable = false, description = r#"Remove the system's rows the file does not describe. Default: `false`."#),
        WriterHeaders,
    ),
    request_body(content = String, content_type = "text/yaml", description = r#"The file, as `powerdeck site export` writes it (seed 002 §3.2)."#, example = json!("home:\n  id: system\n  name: My Solar System\narrays:\n  - id: array1\n    name: Ground Floor\n")),
    responses(
        (status = 200, description = r#"The plan (applied unless `dry_run=true`)."#, body = SitePlan, content_type = "application/json", example = json!({"system_id": "system", "changes": [{"kind": "inverter_array", "id": "array2", "action": {"action": "create"}}, {"kind": "inverter", "id": "powdrive1", "action": {"action": "update", "fields": [{"field": "name", "old": "Powdrive", "new": "Powdrive 1"}]}}]})),
        (status = 400, description = r#"Bad request: the body is not UTF-8 text, or the query string could not be read or names a parameter this operation does not take."#, body = SiteProblemBody, content_type = "application/problem+json"),
        TooLarge,
        (status = 415, description = r#"Unsupported media type: the body is sent as something other than YAML (`text/yaml`, `application/yaml`, `application/x-yaml`, `text/x-yaml`) or plain text; a body without a `Content-Type` is read as YAML."#, body = SiteProblemBody, content_type = "application/problem+json"),
        (status = 422, description = r#"Unprocessable: the file breaks rules of its format (title `Invalid site file`; `problems` lists every one with its line, column and field path), or its content breaks a rule of the database (title `Invalid input`, `field` names the first offending field, e.g. an id another system's row holds). Nothing was written."#, body = SiteProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Invalid site file", "status": 422, "detail": "config.yaml has 1 problem; nothing was written", "problems": [{"line": 7, "column": 15, "path": "inverters[0].array_id", "message": "no inverter array \"array9\" is defined (arrays: array1)"}]})),
        DatabaseFailed,
    )
)]
async fn import_site(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    params: Result<Query<ImportParams>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<SitePlan>> {
    let params = query_params(params)?;
    check_yaml_type(&headers)?;
    let body = body.map_err(|e| Problem::new(e.status(), "Invalid request body", e.body_text()))?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| Problem::bad_request(format!("the body must be UTF-8 text: {e}")))?;
    // Adapter types and configurations are checked against the built-in catalog, at their line
    // in the file (as `powerdeck site import` and the Site page do: one service for all three).
    let catalog = services::site::adapter_types::builtin_catalog()?;
    let outcome = yaml::import_text(
        &state.db,
        catalog,
        text,
        IMPORTED_FILE,
        params.prune.unwrap_or(false),
        params.dry_run.unwrap_or(false),
        &actor(&caller, &headers),
    )
    .await?;
    match outcome.plan {
        Some(plan) => Ok(Json(plan)),
        None => {
            let count = outcome.problems.len();
            let noun = if count == 1 { "problem" } else { "problems" };
            Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid site file",
                format!("{IMPORTED_FILE} has {count} {noun}; nothing was written"),
            )
            .with("problems", json!(outcome.problems)))
        }
    }
}

// ---------- deletes and their previews: the same shape for every kind

/// A DELETE of one kind of row (with `If-Match`) and the GET of its delete preview.
macro_rules! delete_routes {
    (
        $node:ty, $service:path,
        delete: $delete:ident, $delete_op:tt, $delete_summary:tt, $delete_description:tt,
        preview: $preview:ident, $preview_op:tt, $preview_summary:tt,
        path: $path:tt, preview_path: $preview_path:tt
    ) => {
        #[utoipa::path(
            delete,
            path = $path,
            operation_id = $delete_op,
            tag = "Site",
            summary = $delete_summary,
            description = $delete_description,
            params(
                ("id" = String, Path, description = r#"The row's id."#),
                SiteWriteHeaders,
            ),
            responses(
                (status = 204, description = r#"Deleted."#),
                BadWrite,
                NoSuchRow,
                StaleRow,
                RowVersionMissing,
                DatabaseFailed,
            )
        )]
        async fn $delete(
    Extension(caller): Extension<Caller>,
            State(state): State<AppState>,
            path: Result<Path<String>, PathRejection>,
            headers: HeaderMap,
        ) -> ApiResult<StatusCode> {
            let id = id_param(path)?;
            let expected = row_version(&headers)?;
            let result = $service(&state.db, &id, expected, &actor(&caller, &headers)).await;
            deleted::<$node>(&state.db, &id, result).await
        }

        #[utoipa::path(
            get,
            path = $preview_path,
            operation_id = $preview_op,
            tag = "Site",
            summary = $preview_summary,
            description = r#"What a DELETE of this row would take with it, before deleting: the rows removed with it per kind (kinds with none left out), the open attachments closed (kept as history) and the meters that become system-level meters; and the row's `version`, to send as `If-Match`. Nothing is changed."#,
            params(
                ("id" = String, Path, description = r#"The row's id."#),
            ),
            responses(
                (status = 200, description = r#"What the delete would do."#, body = DeletePreview, content_type = "application/json", example = json!({"kind": "inverter_array", "id": "array1", "version": 7, "removes": [{"kind": "inverter", "count": 2}, {"kind": "adapter", "count": 2}], "closes_attachments": 1, "unassigns_meters": 1})),
                NoSuchRow,
                DatabaseFailed,
            )
        )]
        async fn $preview(
            State(state): State<AppState>,
            path: Result<Path<String>, PathRejection>,
        ) -> ApiResult<Json<DeletePreview>> {
            let id = id_param(path)?;
            Ok(Json(
                site::delete_preview(&state.db, <$node as SiteNode>::KIND, &id).await?,
            ))
        }
    };
}

#[utoipa::path(
    get,
    path = "/api/v1/site/systems/{system_id}/delete-preview",
    operation_id = "previewSiteSystemDelete",
    tag = "Site",
    summary = r#"What deleting a system takes with it"#,
    description = r#"What a DELETE of the system would take with it, before deleting: every row in it per kind, and the system's `version`, to send as `If-Match`. Nothing is changed."#,
    params(
        ("system_id" = String, Path, description = r#"The system's id."#, example = json!("system")),
    ),
    responses(
        (status = 200, description = r#"What the delete would do."#, body = DeletePreview, content_type = "application/json"),
        NoSuchRow,
        DatabaseFailed,
    )
)]
async fn preview_system_delete(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<DeletePreview>> {
    let id = id_param(path)?;
    Ok(Json(
        site::delete_preview(&state.db, EntityKind::System, &id).await?,
    ))
}

// ---------- inverter arrays

/// A new inverter array or battery array of a system.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewArray {
    /// The system it belongs to.
    system_id: String,
    /// A slug no row of the site uses.
    id: String,
    name: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/site/inverter-arrays",
    operation_id = "createInverterArray",
    tag = "Site",
    summary = r#"Create an inverter array"#,
    description = r#"Adds an empty inverter array to a system. Takes one system version; logged as `created`."#,
    params(WriterHeaders),
    request_body(content = NewArray, example = json!({"system_id": "system", "id": "array2", "name": "First floor"})),
    responses(
        (status = 201, description = r#"Created: the array; `ETag` is its `version`."#, body = InverterArrayNode, content_type = "application/json", headers(("ETag" = String, description = "The row's `version`, quoted: send it back in `If-Match` on the next write."))),
        MalformedBody,
        (status = 404, description = r#"Not found: no system has the `system_id`."#, body = SiteProblemBody, content_type = "application/problem+json"),
        TooLarge,
        NotJson,
        BrokenRule,
        DatabaseFailed,
    )
)]
async fn create_inverter_array(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let NewArray {
        system_id,
        id,
        name,
    } = json_body::<NewArray>(body)?;
    let spec = InverterArraySpec { id, name };
    let result =
        site::create_inverter_array(&state.db, &system_id, &spec, &actor(&caller, &headers)).await;
    written::<InverterArrayNode>(&state.db, StatusCode::CREATED, &spec.id, result).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/site/inverter-arrays/{id}",
    operation_id = "updateInverterArray",
    tag = "Site",
    summary = r#"Rename an inverter array"#,
    description = r#"Changes the fields present in the body (absent = unchanged). A patch that changes nothing takes no version. Checks run in this order: If-Match (428/400), body (415/400/422), array (404), version (409), field rules (422)."#,
    params(
        ("id" = String, Path, description = r#"The array's id."#, example = json!("array1")),
        SiteWriteHeaders,
    ),
    request_body(content = ArrayPatch, example = json!({"name": "Ground floor"})),
    responses(
        (status = 200, description = r#"The array after the change; `ETag` is its new `version`."#, body = InverterArrayNode, content_type = "application/json", headers(("ETag" = String, description = "The row's `version`, quoted."))),
        BadWrite,
        NoSuchRow,
        StaleRow,
        TooLarge,
        NotJson,
        BrokenRule,
        RowVersionMissing,
        DatabaseFailed,
    )
)]
async fn update_inverter_array(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let id = id_param(path)?;
    let expected = row_version(&headers)?;
    let patch = json_body::<ArrayPatch>(body)?;
    let result =
        site::update_inverter_array(&state.db, &id, &patch, expected, &actor(&caller, &headers))
            .await;
    written::<InverterArrayNode>(&state.db, StatusCode::OK, &id, result).await
}

delete_routes!(
    InverterArrayNode, site::delete_inverter_array,
    delete: delete_inverter_array, "deleteInverterArray", r#"Delete an inverter array"#,
        r#"Deletes the array with its inverters and their adapters. Its open attachments are closed and kept as history; its meters become system-level meters (see the delete preview first). No body."#,
    preview: preview_inverter_array_delete, "previewInverterArrayDelete", r#"What deleting an inverter array takes with it"#,
    path: "/api/v1/site/inverter-arrays/{id}", preview_path: "/api/v1/site/inverter-arrays/{id}/delete-preview"
);

// ---------- inverters

#[utoipa::path(
    post,
    path = "/api/v1/site/inverters",
    operation_id = "createInverter",
    tag = "Site",
    summary = r#"Create an inverter"#,
    description = r#"Adds an inverter to an inverter array, with its adapter if given (the adapter's `id` is a slug no row uses; its type must drive inverters). Takes one system version; logged as `created`."#,
    params(WriterHeaders),
    request_body(content = InverterSpec, example = json!({"id": "powdrive2", "array_id": "array1", "name": "Powdrive 2", "model": "PD-8K", "vendor": "powdrive", "phase_type": "three", "adapter": null})),
    responses(
        (status = 201, description = r#"Created: the inverter; `ETag` is its `version`."#, body = InverterNode, content_type = "application/json", headers(("ETag" = String, description = "The row's `version`, quoted: send it back in `If-Match` on the next write."))),
        MalformedBody,
        TooLarge,
        NotJson,
        BrokenRule,
        DatabaseFailed,
    )
)]
async fn create_inverter(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let new = json_body::<InverterSpec>(body)?;
    let result = site::create_inverter(&state.db, &new, &actor(&caller, &headers)).await;
    written::<InverterNode>(&state.db, StatusCode::CREATED, &new.id, result).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/site/inverters/{id}",
    operation_id = "updateInverter",
    tag = "Site",
    summary = r#"Change an inverter"#,
    description = r#"Changes the fields present in the body (absent = unchanged, null clears an optional field); `array_id` moves it to another array of its system. Its adapter is changed through `/api/v1/site/adapters`. A patch that changes nothing takes no version. Checks run in this order: If-Match (428/400), body (415/400/422), inverter (404), version (409), field rules (422)."#,
    params(
        ("id" = String, Path, description = r#"The inverter's id."#, example = json!("powdrive1")),
        SiteWriteHeaders,
    ),
    request_body(content = InverterPatch, example = json!({"name": "Powdrive 1", "serial_number": null})),
    responses(
        (status = 200, description = r#"The inverter after the change; `ETag` is its new `version`."#, body = InverterNode, content_type = "application/json", headers(("ETag" = String, description = "The row's `version`, quoted."))),
        BadWrite,
        NoSuchRow,
        StaleRow,
        TooLarge,
        NotJson,
        BrokenRule,
        RowVersionMissing,
        DatabaseFailed,
    )
)]
async fn update_inverter(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let id = id_param(path)?;
    let expected = row_version(&headers)?;
    let patch = json_body::<InverterPatch>(body)?;
    let result =
        site::update_inverter(&state.db, &id, &patch, expected, &actor(&caller, &headers)).await;
    written::<InverterNode>(&state.db, StatusCode::OK, &id, result).await
}

delete_routes!(
    InverterNode, site::delete_inverter,
    delete: delete_inverter, "deleteInverter", r#"Delete an inverter"#,
        r#"Deletes the inverter and its adapter. No body."#,
    preview: preview_inverter_delete, "previewInverterDelete", r#"What deleting an inverter takes with it"#,
    path: "/api/v1/site/inverters/{id}", preview_path: "/api/v1/site/inverters/{id}/delete-preview"
);

// ---------- battery arrays and their attachments

#[utoipa::path(
    post,
    path = "/api/v1/site/battery-arrays",
    operation_id = "createBatteryArray",
    tag = "Site",
    summary = r#"Create a battery array"#,
    description = r#"Adds an empty battery array to a system, attached to nothing (attach it with `POST /api/v1/site/battery-arrays/{id}/attach`). Takes one system version; logged as `created`."#,
    params(WriterHeaders),
    request_body(content = NewArray, example = json!({"system_id": "system", "id": "battery_array2", "name": "Garage batteries"})),
    responses(
        (status = 201, description = r#"Created: the battery array; `ETag` is its `version`."#, body = BatteryArrayNode, content_type = "application/json", headers(("ETag" = String, description = "The row's `version`, quoted: send it back in `If-Match` on the next write."))),
        MalformedBody,
        (status = 404, description = r#"Not found: no system has the `system_id`."#, body = SiteProblemBody, content_type = "application/problem+json"),
        TooLarge,
        NotJson,
        BrokenRule,
        DatabaseFailed,
    )
)]
async fn create_battery_array(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let NewArray {
        system_id,
        id,
        name,
    } = json_body::<NewArray>(body)?;
    let spec = BatteryArraySpec { id, name };
    let result =
        site::create_battery_array(&state.db, &system_id, &spec, &actor(&caller, &headers)).await;
    written::<BatteryArrayNode>(&state.db, StatusCode::CREATED, &spec.id, result).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/site/battery-arrays/{id}",
    operation_id = "updateBatteryArray",
    tag = "Site",
    summary = r#"Rename a battery array"#,
    description = r#"Changes the fields present in the body (absent = unchanged). Its attachment changes through `attach` and `detach`. A patch that changes nothing takes no version. Checks run in this order: If-Match (428/400), body (415/400/422), array (404), version (409), field rules (422)."#,
    params(
        ("id" = String, Path, description = r#"The battery array's id."#, example = json!("battery_array1")),
        SiteWriteHeaders,
    ),
    request_body(content = ArrayPatch, example = json!({"name": "Ground floor batteries"})),
    responses(
        (status = 200, description = r#"The battery array after the change; `ETag` is its new `version`."#, body = BatteryArrayNode, content_type = "application/json", headers(("ETag" = String, description = "The row's `version`, quoted."))),
        BadWrite,
        NoSuchRow,
        StaleRow,
        TooLarge,
        NotJson,
        BrokenRule,
        RowVersionMissing,
        DatabaseFailed,
    )
)]
async fn update_battery_array(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let id = id_param(path)?;
    let expected = row_version(&headers)?;
    let patch = json_body::<ArrayPatch>(body)?;
    let result =
        site::update_battery_array(&state.db, &id, &patch, expected, &actor(&caller, &headers))
            .await;
    written::<BatteryArrayNode>(&state.db, StatusCode::OK, &id, result).await
}

delete_routes!(
    BatteryArrayNode, site::delete_battery_array,
    delete: delete_battery_array, "deleteBatteryArray", r#"Delete a battery array"#,
        r#"Deletes the battery array with its packs (their batteries, cells and adapters). Its open attachment is closed and kept as history (see the delete preview first). No body."#,
    preview: preview_battery_array_delete, "previewBatteryArrayDelete", r#"What deleting a battery array takes with it"#,
    path: "/api/v1/site/battery-arrays/{id}", preview_path: "/api/v1/site/battery-arrays/{id}/delete-preview"
);

/// Where to attach a battery array.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AttachRequest {
    /// An inverter array of the battery array's system.
    inverter_array_id: String,
}

/// The battery array's attachments, open and closed, newest first.
async fn attachments_of(
    db: &DatabaseConnection,
    battery_array_id: &str,
) -> ApiResult<Json<Vec<AttachmentNode>>> {
    for system in site::systems(db).await? {
        let tree = site::tree(db, &system.id).await?;
        if tree.battery_arrays.iter().any(|a| a.id == battery_array_id) {
            let attachments = tree.attachments.into_iter();
            return Ok(Json(
                attachments
                    .filter(|a| a.battery_array_id == battery_array_id)
                    .collect(),
            ));
        }
    }
    Err(AppError::NotFound(format!("battery array {battery_array_id:?}")).into())
}

#[utoipa::path(
    post,
    path = "/api/v1/site/battery-arrays/{id}/attach",
    operation_id = "attachBatteryArray",
    tag = "Site",
    summary = r#"Attach a battery array to an inverter array"#,
    description = r#"Attaches the battery array to an inverter array of its system from now on. Its open attachment, if any, is closed now and kept as history. Attaching it where it is attached already changes nothing. Takes one system version when it changes anything."#,
    params(
        ("id" = String, Path, description = r#"The battery array's id."#, example = json!("battery_array1")),
        WriterHeaders,
    ),
    request_body(content = AttachRequest, example = json!({"inverter_array_id": "array2"})),
    responses(
        (status = 200, description = r#"The battery array's attachments after the change, open and closed, newest first."#, body = Vec<AttachmentNode>, content_type = "application/json", example = json!([{"id": 4, "battery_array_id": "battery_array1", "inverter_array_id": "array2", "attached_since": "2026-12-02T10:15:00+00:00", "detached_at": null, "version": 31}, {"id": 1, "battery_array_id": "battery_array1", "inverter_array_id": "array1", "attached_since": "2026-11-01T08:00:00+00:00", "detached_at": "2026-12-02T10:15:00+00:00", "version": 31}])),
        MalformedBody,
        NoSuchRow,
        TooLarge,
        NotJson,
        (status = 422, description = r#"Unprocessable: the body does not fit the schema (title `Invalid request body`), or `inverter_array_id` names no inverter array of the battery array's system (title `Invalid input`, `field` = `inverter_array_id`)."#, body = SiteProblemBody, content_type = "application/problem+json"),
        DatabaseFailed,
    )
)]
async fn attach(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Json<Vec<AttachmentNode>>> {
    let id = id_param(path)?;
    let request = json_body::<AttachRequest>(body)?;
    site::attach(
        &state.db,
        &id,
        &request.inverter_array_id,
        &actor(&caller, &headers),
    )
    .await?;
    attachments_of(&state.db, &id).await
}

#[utoipa::path(
    post,
    path = "/api/v1/site/battery-arrays/{id}/detach",
    operation_id = "detachBatteryArray",
    tag = "Site",
    summary = r#"Detach a battery array"#,
    description = r#"Ends the battery array's open attachment now; the attachment is kept as history. No body. Takes one system version."#,
    params(
        ("id" = String, Path, description = r#"The battery array's id."#, example = json!("battery_array1")),
        WriterHeaders,
    ),
    responses(
        (status = 200, description = r#"The battery array's attachments after the change, newest first (none open)."#, body = Vec<AttachmentNode>, content_type = "application/json"),
        (status = 404, description = r#"Not found: no battery array has this id, or it is not attached."#, body = SiteProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: an open attachment of battery array \"battery_array1\""})),
        DatabaseFailed,
    )
)]
async fn detach(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<AttachmentNode>>> {
    let id = id_param(path)?;
    site::detach(&state.db, &id, &actor(&caller, &headers)).await?;
    attachments_of(&state.db, &id).await
}

// ---------- battery packs

#[utoipa::path(
    post,
    path = "/api/v1/site/battery-packs",
    operation_id = "createBatteryPack",
    tag = "Site",
    summary = r#"Create a battery pack"#,
    description = r#"Adds a pack to a battery array with its `batteries` battery units of `cells_per_battery` cells each (generated with ids `{pack}_b0`…, `{pack}_b0_c0`…) and its adapters in failover order (lowest `priority` first). Takes one system version; logged as `created`."#,
    params(WriterHeaders),
    request_body(content = BatteryPackSpec, example = json!({"id": "pack3", "battery_array_id": "battery_array1", "name": "Pack 3", "chemistry": "LFP", "nominal_kwh": 10.24, "max_charge_kw": 5.0, "max_discharge_kw": 5.0, "batteries": 4, "cells_per_battery": 16, "cell_nominal_voltage": 3.2, "adapters": []})),
    responses(
        (status = 201, description = r#"Created: the pack with its batteries; `ETag` is its `version`."#, body = BatteryPackNode, content_type = "application/json", headers(("ETag" = String, description = "The row's `version`, quoted: send it back in `If-Match` on the next write."))),
        MalformedBody,
        TooLarge,
        NotJson,
        BrokenRule,
        DatabaseFailed,
    )
)]
async fn create_battery_pack(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let new = json_body::<BatteryPackSpec>(body)?;
    let result = site::create_battery_pack(&state.db, &new, &actor(&caller, &headers)).await;
    written::<BatteryPackNode>(&state.db, StatusCode::CREATED, &new.id, result).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/site/battery-packs/{id}",
    operation_id = "updateBatteryPack",
    tag = "Site",
    summary = r#"Change a battery pack"#,
    description = r#"Changes the fields present in the body (absent = unchanged, null clears an optional field); `battery_array_id` moves it to another battery array of its system. New `batteries` or `cells_per_battery` add or remove batteries and cells (highest indexes first). Its adapters change through `/api/v1/site/adapters`. A patch that changes nothing takes no version. Checks run in this order: If-Match (428/400), body (415/400/422), pack (404), version (409), field rules (422)."#,
    params(
        ("id" = String, Path, description = r#"The pack's id."#, example = json!("battery1")),
        SiteWriteHeaders,
    ),
    request_body(content = BatteryPackPatch, example = json!({"nominal_kwh": 14.3, "batteries": 8})),
    responses(
        (status = 200, description = r#"The pack after the change; `ETag` is its new `version`."#, body = BatteryPackNode, content_type = "application/json", headers(("ETag" = String, description = "The row's `version`, quoted."))),
        BadWrite,
        NoSuchRow,
        StaleRow,
        TooLarge,
        NotJson,
        BrokenRule,
        RowVersionMissing,
        DatabaseFailed,
    )
)]
async fn update_battery_pack(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let id = id_param(path)?;
    let expected = row_version(&headers)?;
    let patch = json_body::<BatteryPackPatch>(body)?;
    let result =
        site::update_battery_pack(&state.db, &id, &patch, expected, &actor(&caller, &headers))
            .await;
    written::<BatteryPackNode>(&state.db, StatusCode::OK, &id, result).await
}

delete_routes!(
    BatteryPackNode, site::delete_battery_pack,
    delete: delete_battery_pack, "deleteBatteryPack", r#"Delete a battery pack"#,
        r#"Deletes the pack with its batteries, cells and adapters. No body."#,
    preview: preview_battery_pack_delete, "previewBatteryPackDelete", r#"What deleting a battery pack takes with it"#,
    path: "/api/v1/site/battery-packs/{id}", preview_path: "/api/v1/site/battery-packs/{id}/delete-preview"
);

// ---------- meters

/// A new meter of a system.
#[derive(Deserialize, ToSchema)]
pub(super) struct NewMeter {
    /// The system it belongs to.
    system_id: String,
    #[serde(flatten)]
    meter: MeterSpec,
}

#[utoipa::path(
    post,
    path = "/api/v1/site/meters",
    operation_id = "createMeter",
    tag = "Site",
    summary = r#"Create a meter"#,
    description = r#"Adds an energy meter to a system: system level (`array_id` null) or measuring one inverter array of the system, with its adapter if given. Takes one system version; logged as `created`."#,
    params(WriterHeaders),
    request_body(content = NewMeter, example = json!({"system_id": "system", "id": "grid_meter_2", "name": "Grid meter", "array_id": null, "model": "DTSU666", "meter_type": "grid", "adapter": null})),
    responses(
        (status = 201, description = r#"Created: the meter; `ETag` is its `version`."#, body = MeterNode, content_type = "application/json", headers(("ETag" = String, description = "The row's `version`, quoted: send it back in `If-Match` on the next write."))),
        MalformedBody,
        (status = 404, description = r#"Not found: no system has the `system_id`."#, body = SiteProblemBody, content_type = "application/problem+json"),
        TooLarge,
        NotJson,
        BrokenRule,
        DatabaseFailed,
    )
)]
async fn create_meter(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let NewMeter { system_id, meter } = json_body::<NewMeter>(body)?;
    let result = site::create_meter(&state.db, &system_id, &meter, &actor(&caller, &headers)).await;
    written::<MeterNode>(&state.db, StatusCode::CREATED, &meter.id, result).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/site/meters/{id}",
    operation_id = "updateMeter",
    tag = "Site",
    summary = r#"Change a meter"#,
    description = r#"Changes the fields present in the body (absent = unchanged, null clears; `array_id: null` makes it a system-level meter). Its adapter changes through `/api/v1/site/adapters`. A patch that changes nothing takes no version. Checks run in this order: If-Match (428/400), body (415/400/422), meter (404), version (409), field rules (422)."#,
    params(
        ("id" = String, Path, description = r#"The meter's id."#, example = json!("grid_meter_1")),
        SiteWriteHeaders,
    ),
    request_body(content = MeterPatch, example = json!({"array_id": "array1", "meter_type": "consumption"})),
    responses(
        (status = 200, description = r#"The meter after the change; `ETag` is its new `version`."#, body = MeterNode, content_type = "application/json", headers(("ETag" = String, description = "The row's `version`, quoted."))),
        BadWrite,
        NoSuchRow,
        StaleRow,
        TooLarge,
        NotJson,
        BrokenRule,
        RowVersionMissing,
        DatabaseFailed,
    )
)]
async fn update_meter(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let id = id_param(path)?;
    let expected = row_version(&headers)?;
    let patch = json_body::<MeterPatch>(body)?;
    let result =
        site::update_meter(&state.db, &id, &patch, expected, &actor(&caller, &headers)).await;
    written::<MeterNode>(&state.db, StatusCode::OK, &id, result).await
}

delete_routes!(
    MeterNode, site::delete_meter,
    delete: delete_meter, "deleteMeter", r#"Delete a meter"#,
        r#"Deletes the meter and its adapter. No body."#,
    preview: preview_meter_delete, "previewMeterDelete", r#"What deleting a meter takes with it"#,
    path: "/api/v1/site/meters/{id}", preview_path: "/api/v1/site/meters/{id}/delete-preview"
);

// ---------- adapters

/// A new adapter instance on a device.
#[derive(Deserialize, ToSchema)]
pub(super) struct NewAdapter {
    /// The inverter, battery pack or meter it serves. An inverter or a meter has at most one.
    device_id: String,
    #[serde(flatten)]
    adapter: AdapterSpec,
}

#[utoipa::path(
    post,
    path = "/api/v1/site/adapters",
    operation_id = "createAdapter",
    tag = "Site",
    summary = r#"Add an adapter to a device"#,
    description = r#"Adds an adapter instance to an inverter, a battery pack (one more in its failover order, by `priority`: lower first) or a meter. Its type must drive that kind of device. Takes one system version; logged as `created`."#,
    params(WriterHeaders),
    request_body(content = NewAdapter, example = json!({"device_id": "battery1", "id": "battery1_ble", "adapter_type": "jkbms_ble", "name": null, "config": {"address": "C8:47:8C:00:00:01"}, "priority": 2, "enabled": true})),
    responses(
        (status = 201, description = r#"Created: the adapter; `ETag` is its `version`."#, body = AdapterNode, content_type = "application/json", headers(("ETag" = String, description = "The row's `version`, quoted: send it back in `If-Match` on the next write."))),
        MalformedBody,
        (status = 404, description = r#"Not found: no device has the `device_id`."#, body = SiteProblemBody, content_type = "application/problem+json"),
        TooLarge,
        NotJson,
        BrokenRule,
        DatabaseFailed,
    )
)]
async fn create_adapter(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let NewAdapter { device_id, adapter } = json_body::<NewAdapter>(body)?;
    let result =
        site::create_adapter(&state.db, &device_id, &adapter, &actor(&caller, &headers)).await;
    written::<AdapterNode>(&state.db, StatusCode::CREATED, &adapter.id, result).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/site/adapters/{id}",
    operation_id = "updateAdapter",
    tag = "Site",
    summary = r#"Change an adapter"#,
    description = r#"Changes the fields present in the body (absent = unchanged; `config` replaces the whole configuration). For a pack's adapter, `priority` and `enabled` change its place in the pack's failover order. A patch that changes nothing takes no version. Checks run in this order: If-Match (428/400), body (415/400/422), adapter (404), version (409), field rules (422)."#,
    params(
        ("id" = String, Path, description = r#"The adapter's id."#, example = json!("battery1_adapter")),
        SiteWriteHeaders,
    ),
    request_body(content = AdapterPatch, example = json!({"priority": 1, "enabled": true})),
    responses(
        (status = 200, description = r#"The adapter after the change; `ETag` is its new `version`."#, body = AdapterNode, content_type = "application/json", headers(("ETag" = String, description = "The row's `version`, quoted."))),
        BadWrite,
        NoSuchRow,
        StaleRow,
        TooLarge,
        NotJson,
        BrokenRule,
        RowVersionMissing,
        DatabaseFailed,
    )
)]
async fn update_adapter(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> ApiResult<Response> {
    let id = id_param(path)?;
    let expected = row_version(&headers)?;
    let patch = json_body::<AdapterPatch>(body)?;
    let result =
        site::update_adapter(&state.db, &id, &patch, expected, &actor(&caller, &headers)).await;
    written::<AdapterNode>(&state.db, StatusCode::OK, &id, result).await
}

delete_routes!(
    AdapterNode, site::delete_adapter,
    delete: delete_adapter, "deleteAdapter", r#"Remove an adapter"#,
        r#"Removes the adapter instance from its device (and from a pack's failover order). No body."#,
    preview: preview_adapter_delete, "previewAdapterDelete", r#"What removing an adapter takes with it"#,
    path: "/api/v1/site/adapters/{id}", preview_path: "/api/v1/site/adapters/{id}/delete-preview"
);
