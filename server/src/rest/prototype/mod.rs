//! The Python prototype's HTTP API, served beside `/api/v1` with its paths, JSON shapes, status
//! codes and FastAPI-style errors, so that its dashboards and scripts work unchanged: the
//! registry routes here, the protections routes in `protections`. Every route also answers
//! under `/vars_api/` (the path the prototype's dashboard proxies through); `GET /` answers the
//! service info to a client that asks for JSON; CORS lets the dashboards' origins call it.

pub(crate) mod errors;
mod protections;

use app::ssr::state::AppState;
use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use model::prototype::{
    PrototypeAccessPathAnswer, PrototypeAccessPathCreate, PrototypeBulkAnswer,
    PrototypeBulkRequest, PrototypeCategories, PrototypeChanges, PrototypeErrorBody,
    PrototypeFilter, PrototypeLocators, PrototypeServiceInfo, PrototypeSystemVersion,
    PrototypeUpdateAnswer, PrototypeValidationBody, PrototypeVariable, PrototypeVariableAnswer,
    PrototypeVariableList, PrototypeVariableUpdate,
};
use model::registry::{AccessType, Category};
use services::registry::prototype::{self as registry, MAX_BULK_NAMES, MAX_LIMIT};
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) use errors::{BodyReader, PrototypeError, PrototypeResult, QueryReader, value_error};

/// The tag of every prototype route in the OpenAPI document.
pub(crate) const TAG: &str = "Prototype API";

/// The prefix the prototype's dashboard proxies through: every route answers under it too.
pub const PROXY_PREFIX: &str = "/vars_api";

/// The default page size of `GET /api/vars`.
const DEFAULT_LIMIT: i64 = 100;
/// The largest `offset` of `GET /api/vars` (far beyond any registry).
const MAX_OFFSET: i64 = 1_000_000_000;

/// The prototype's routes with their OpenAPI operations (at their own paths; the `/vars_api`
/// copies are added by [`proxy_routes`]).
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(RootDoc::openapi())
        .routes(routes!(list_vars))
        .routes(routes!(get_var))
        .routes(routes!(system_version))
        .routes(routes!(categories))
        .routes(routes!(locators))
        .routes(routes!(list_variables))
        .routes(routes!(bulk))
        .routes(routes!(changes))
        .routes(routes!(get_variable, update_variable))
        .routes(routes!(add_access_path))
        .merge(protections::routes())
}

/// The documentation of `GET /` (served by [`answer_json_at_root`] in front of the pages).
#[derive(OpenApi)]
#[openapi(paths(service_info))]
struct RootDoc;

/// Every prototype route again under `/vars_api`, and the service info at `/vars_api/`.
pub(crate) fn proxy_routes() -> Router<AppState> {
    let (prototype, _document) = routes().split_for_parts();
    Router::new()
        .route(PROXY_PREFIX, axum::routing::get(service_info))
        .route(
            &format!("{PROXY_PREFIX}/"),
            axum::routing::get(service_info),
        )
        .nest(PROXY_PREFIX, prototype)
}

/// `GET /` for a client that asks for JSON (its `Accept` names `application/json` and not
/// `text/html`) answers the prototype's service info; browsers get the console as before.
pub async fn answer_json_at_root(
    State(state): State<AppState>,
    request: Request<Body>,
    next: Next,
) -> Response {
    if request.method() == Method::GET
        && request.uri().path() == "/"
        && wants_json(request.headers())
    {
        return service_info(State(state)).await.into_response();
    }
    next.run(request).await
}

/// True when `Accept` names `application/json` and no HTML type.
fn wants_json(headers: &HeaderMap) -> bool {
    let accepted: Vec<String> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|item| {
            item.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    accepted.iter().any(|t| t == "application/json")
        && !accepted
            .iter()
            .any(|t| t == "text/html" || t == "application/xhtml+xml")
}

/// Browsers on these origins may call the API (CORS). `*` allows any origin; an empty list
/// none. Each origin must be `scheme://host[:port]`.
pub fn cors_layer(origins: &[String]) -> anyhow::Result<CorsLayer> {
    let origins: Vec<&str> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .collect();
    let allow_origin = if origins.contains(&"*") {
        AllowOrigin::any()
    } else {
        let values = origins
            .into_iter()
            .map(check_origin)
            .collect::<anyhow::Result<Vec<_>>>()?;
        AllowOrigin::list(values)
    };
    Ok(CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods(AllowMethods::list([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ]))
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([header::ETAG])
        .max_age(std::time::Duration::from_secs(3600)))
}

/// An origin as the browser sends it: `http://` or `https://`, a host, an optional port, nothing
/// after.
fn check_origin(origin: &str) -> anyhow::Result<HeaderValue> {
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    let host_ok = rest.is_some_and(|host| {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    });
    if !host_ok {
        anyhow::bail!(
            "CORS origin {origin:?} is not an origin such as http://localhost:8081 (scheme, host and optional port, no path)"
        );
    }
    HeaderValue::from_str(origin)
        .map_err(|_| anyhow::anyhow!("CORS origin {origin:?} is not a valid header value"))
}

/// The query string as name/value pairs; a string that cannot even be split is a 400.
fn query_pairs(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> PrototypeResult<QueryReader> {
    query
        .map(|Query(pairs)| QueryReader::new(pairs))
        .map_err(|e| PrototypeError::Detail(StatusCode::BAD_REQUEST, e.body_text()))
}

/// The body's bytes; one over the request limit answers 413 as `{"detail": ...}`.
fn body_bytes(body: Result<Bytes, BytesRejection>) -> PrototypeResult<Bytes> {
    body.map_err(|e| PrototypeError::Detail(e.status(), e.body_text()))
}

/// The 413 of every route that takes a body.
const TOO_LARGE: &str = "The body is over the 2 MiB request limit.";

const NAME_DESCRIPTION: &str = "The variable's name, e.g. `rack_voltage`.";

#[utoipa::path(
    get,
    path = "/",
    operation_id = "prototypeServiceInfo",
    tag = TAG,
    summary = r#"Service info (prototype)"#,
    description = r#"The prototype's `GET /`: the service, Powerdeck's version, the number of variables (deleted ones not counted), the system version and the database (never a password). Answered as JSON when the request's `Accept` names `application/json` and no HTML type; otherwise (browsers) `/` is the console's overview page. `/vars_api/` always answers the JSON."#,
    responses(
        (status = 200, description = r#"The service info (JSON), or the console's page (HTML) for a browser."#, content(
            (PrototypeServiceInfo = "application/json", example = json!({"service": "Powerdeck variable registry", "version": "0.1.0", "variable_count": 312, "system_version": 1287, "database": "sqlite:data/powerdeck.db"})),
            (String = "text/html")
        )),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
pub(crate) async fn service_info(State(state): State<AppState>) -> PrototypeResult<Response> {
    let info =
        registry::service_info(&state.db, &state.registry_index, &state.database_info).await?;
    Ok(Json(info).into_response())
}

#[utoipa::path(
    get,
    path = "/api/vars",
    operation_id = "prototypeListVars",
    tag = TAG,
    summary = r#"List variables by offset (prototype)"#,
    description = r#"The prototype's list: `limit` variables from `offset`, ordered by name, with the total across all pages, without access paths. `category` and `locator` filter (an empty value is no filter; a category that does not exist matches nothing). Deleted variables are left out."#,
    params(
        ("limit" = Option<i64>, Query, nullable = false, description = r#"Page size. Default: `100`."#, minimum = 0, maximum = 100000),
        ("offset" = Option<i64>, Query, nullable = false, description = r#"How many variables to skip. Default: `0`."#, minimum = 0, maximum = 1000000000),
        ("category" = Option<String>, Query, nullable = false, description = r#"Only this category (`config`, `prot`, `oper`)."#, example = json!("prot")),
        ("locator" = Option<String>, Query, nullable = false, description = r#"Exact locator (`sbmu.chiller[n]`), or with `[*]`, which matches as the prototype's SQL LIKE `[%]` did (`sbmu.chiller[*]`)."#, example = json!("rbms.rack[*]")),
    ),
    responses(
        (status = 200, description = r#"The page."#, body = PrototypeVariableList, content_type = "application/json"),
        (status = 400, description = r#"The query string could not be split into names and values."#, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 422, description = r#"A parameter is not an integer or out of range; every problem is listed (`loc` `["query", "limit"]`)."#, body = PrototypeValidationBody, content_type = "application/json", example = json!({"detail": [{"loc": ["query", "limit"], "msg": "Input should be a valid integer, unable to parse string as an integer", "type": "int_parsing"}]})),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
async fn list_vars(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> PrototypeResult<Json<PrototypeVariableList>> {
    let mut query = query_pairs(query)?;
    let limit = query.integer("limit", 0, MAX_LIMIT as i64);
    let offset = query.integer("offset", 0, MAX_OFFSET);
    let filter = PrototypeFilter {
        category: query.text("category"),
        locator: query.text("locator"),
        ..Default::default()
    };
    query.finish()?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT).unsigned_abs();
    let offset = offset.unwrap_or(0).unsigned_abs();
    Ok(Json(
        registry::list_vars(&state.db, &state.registry_index, &filter, offset, limit).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/vars/{name}",
    operation_id = "prototypeGetVar",
    tag = TAG,
    summary = r#"One variable with its access paths (prototype)"#,
    description = r#"The variable as `GET /api/vars` lists it, plus `access_paths`: all its paths (removed ones with `active: false`), highest priority first."#,
    params(("name" = String, Path, description = NAME_DESCRIPTION, example = json!("rack_voltage"))),
    responses(
        (status = 200, description = r#"The variable."#, body = PrototypeVariable, content_type = "application/json"),
        (status = 404, description = r#"No variable has this name (or it is deleted)."#, body = PrototypeErrorBody, content_type = "application/json", example = json!({"detail": "Variable no_such_variable not found"})),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
async fn get_var(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> PrototypeResult<Json<PrototypeVariable>> {
    registry::get_var(&state.db, &name)
        .await
        .map(Json)
        .map_err(PrototypeError::for_variable(&name))
}

#[utoipa::path(
    get,
    path = "/api/system/version",
    operation_id = "prototypeSystemVersion",
    tag = TAG,
    summary = r#"Current system version (prototype)"#,
    description = r#"The global system version: the version of the latest committed change (0 before the first)."#,
    responses(
        (status = 200, description = r#"The system version."#, body = PrototypeSystemVersion, content_type = "application/json", example = json!({"system_version": 1287})),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
async fn system_version(
    State(state): State<AppState>,
) -> PrototypeResult<Json<PrototypeSystemVersion>> {
    let system_version = services::system::system_version_of(&state.db).await?;
    Ok(Json(PrototypeSystemVersion { system_version }))
}

#[utoipa::path(
    get,
    path = "/api/categories",
    operation_id = "prototypeCategories",
    tag = TAG,
    summary = r#"Categories in use (prototype)"#,
    description = r#"The categories that (non-deleted) variables have, alphabetically."#,
    responses(
        (status = 200, description = r#"The categories."#, body = PrototypeCategories, content_type = "application/json", example = json!({"categories": ["config", "oper", "prot"]})),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
async fn categories(State(state): State<AppState>) -> PrototypeResult<Json<PrototypeCategories>> {
    Ok(Json(
        registry::categories(&state.db, &state.registry_index).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/locators",
    operation_id = "prototypeLocators",
    tag = TAG,
    summary = r#"Locators in use (prototype)"#,
    description = r#"The locators that (non-deleted) variables have, alphabetically; optionally of one category (an empty value is no filter). Variables without a locator (`locator: null`) add none, as the prototype left out its NULLs."#,
    params(
        ("category" = Option<String>, Query, nullable = false, description = r#"Only variables of this category."#, example = json!("config")),
    ),
    responses(
        (status = 200, description = r#"The locators."#, body = PrototypeLocators, content_type = "application/json", example = json!({"locators": ["rbms.rack[n]", "system.global"]})),
        (status = 400, description = r#"The query string could not be split into names and values."#, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
async fn locators(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> PrototypeResult<Json<PrototypeLocators>> {
    let query = query_pairs(query)?;
    let category = query.text("category");
    Ok(Json(
        registry::locators(&state.db, &state.registry_index, category.as_deref()).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/variables",
    operation_id = "prototypeListVariables",
    tag = TAG,
    summary = r#"Filtered variables (prototype)"#,
    description = r#"Every variable the filters select (the prototype pages nothing here), ordered by name, each with its active paths in `access_paths` unless `include_paths=false`. Filters combine; an empty value is no filter. Deleted variables are left out."#,
    params(
        ("category" = Option<String>, Query, nullable = false, description = r#"Only this category (`config`, `prot`, `oper`)."#, example = json!("prot")),
        ("locator" = Option<String>, Query, nullable = false, description = r#"Exact locator, or with `[*]` (the prototype's SQL LIKE `[%]`)."#, example = json!("rbms.cell[*]")),
        ("name_pattern" = Option<String>, Query, nullable = false, description = r#"SQL LIKE over the name: `%` any run, `_` one character, letters case-insensitive. A pattern without `%` or `_` matches names that contain it (`voltage`)."#, example = json!("voltage")),
        ("since_version" = Option<i64>, Query, nullable = false, description = r#"Only variables whose last change (of themselves or of a path) is after this system version."#, example = json!(100)),
        ("include_paths" = Option<bool>, Query, nullable = false, description = r#"Include `access_paths`. Default: `true`."#),
    ),
    responses(
        (status = 200, description = r#"The variables."#, body = Vec<PrototypeVariable>, content_type = "application/json"),
        (status = 400, description = r#"The query string could not be split into names and values."#, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 422, description = r#"`since_version` is not an integer or `include_paths` not a boolean; every problem is listed."#, body = PrototypeValidationBody, content_type = "application/json", example = json!({"detail": [{"loc": ["query", "include_paths"], "msg": "Input should be a valid boolean, unable to interpret input", "type": "bool_parsing"}]})),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
async fn list_variables(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> PrototypeResult<Json<Vec<PrototypeVariable>>> {
    let mut query = query_pairs(query)?;
    let since_version = query.integer("since_version", i64::MIN, i64::MAX);
    let include_paths = query.boolean("include_paths").unwrap_or(true);
    let filter = PrototypeFilter {
        category: query.text("category"),
        locator: query.text("locator"),
        name_pattern: query.text("name_pattern"),
        since_version,
    };
    query.finish()?;
    Ok(Json(
        registry::list_variables(&state.db, &state.registry_index, &filter, include_paths).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/variables/bulk",
    operation_id = "prototypeBulkRead",
    tag = TAG,
    summary = r#"Read several variables (prototype)"#,
    description = r#"Up to 10,000 variables by name: those found in the order asked (each once), with their active paths, and the names not found. Reads only."#,
    request_body(content = PrototypeBulkRequest, content_type = "application/json", example = json!({"variable_names": ["soc", "online"]})),
    responses(
        (status = 200, description = r#"The variables found and the names not found."#, body = PrototypeBulkAnswer, content_type = "application/json"),
        (status = 413, description = TOO_LARGE, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 422, description = r#"The body is missing, not JSON, not an object, or `variable_names` is missing, not a list of strings, or longer than 10,000; every problem is listed."#, body = PrototypeValidationBody, content_type = "application/json", example = json!({"detail": [{"loc": ["body", "variable_names"], "msg": "Field required", "type": "missing"}]})),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
async fn bulk(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> PrototypeResult<Json<PrototypeBulkAnswer>> {
    let mut body = BodyReader::parse(&body_bytes(body)?)?;
    let names = body.strings("variable_names", MAX_BULK_NAMES);
    let names = body.require("variable_names", names);
    body.finish()?;
    let names = names.unwrap_or_default();
    Ok(Json(registry::bulk(&state.db, &names).await?))
}

#[utoipa::path(
    get,
    path = "/api/variables/changes",
    operation_id = "prototypeChanges",
    tag = TAG,
    summary = r#"Changes since a system version (prototype)"#,
    description = r#"The prototype's sync: every variable changed after `since_version` (itself or one of its active paths), in system-version order, each with `access_paths` holding its active paths changed after `since_version`. Deleted variables come with `deleted: true`. Not paged (for large registries `GET /api/v1/changes` pages)."#,
    params(
        ("since_version" = Option<i64>, Query, nullable = false, description = r#"The system version already seen. Default: `0`."#, example = json!(2)),
    ),
    responses(
        (status = 200, description = r#"The changes."#, body = PrototypeChanges, content_type = "application/json"),
        (status = 400, description = r#"The query string could not be split into names and values."#, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 422, description = r#"`since_version` is not an integer."#, body = PrototypeValidationBody, content_type = "application/json"),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
async fn changes(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> PrototypeResult<Json<PrototypeChanges>> {
    let mut query = query_pairs(query)?;
    let since_version = query.integer("since_version", i64::MIN, i64::MAX);
    query.finish()?;
    Ok(Json(
        registry::changes_since(&state.db, since_version.unwrap_or(0)).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/variables/{name}",
    operation_id = "prototypeGetVariable",
    tag = TAG,
    summary = r#"A variable, now or at a past version (prototype)"#,
    description = r#"`{"ok": true, "variable": {...}}`: the variable with its active paths, as it is now or, with `version=N`, as it was at its variable version N (rebuilt from the change log, paths included)."#,
    params(
        ("name" = String, Path, description = NAME_DESCRIPTION, example = json!("rack_voltage")),
        ("version" = Option<i64>, Query, nullable = false, description = r#"A past variable version (1 = as created). Absent or the current version: the variable as it is now."#, minimum = 1, example = json!(1)),
    ),
    responses(
        (status = 200, description = r#"The variable."#, body = PrototypeVariableAnswer, content_type = "application/json"),
        (status = 400, description = r#"The query string could not be split into names and values."#, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 404, description = r#"No variable has this name (or it is deleted), or it has no such version."#, body = PrototypeErrorBody, content_type = "application/json", example = json!({"detail": "Variable no_such_variable not found"})),
        (status = 422, description = r#"`version` is not an integer of at least 1."#, body = PrototypeValidationBody, content_type = "application/json"),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
async fn get_variable(
    State(state): State<AppState>,
    Path(name): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> PrototypeResult<Json<PrototypeVariableAnswer>> {
    let mut query = query_pairs(query)?;
    let version = query.integer("version", 1, i64::MAX);
    query.finish()?;
    let current = registry::get_current(&state.db, &name)
        .await
        .map_err(PrototypeError::for_variable(&name))?;
    match version {
        Some(version) if version != current.variable.version => {
            let past = services::registry::history::variable_at_version(&state.db, &name, version)
                .await
                .map_err(PrototypeError::for_variable(&name))?;
            Ok(Json(PrototypeVariableAnswer {
                ok: true,
                variable: registry::at_version(past),
            }))
        }
        _ => Ok(Json(current)),
    }
}

/// The categories as the prototype's bodies spell them.
fn category_choices() -> Vec<(&'static str, Category)> {
    Category::ALL.iter().map(|c| (c.as_str(), *c)).collect()
}

#[utoipa::path(
    put,
    path = "/api/variables/{name}",
    operation_id = "prototypeUpdateVariable",
    tag = TAG,
    summary = r#"Change a variable (prototype)"#,
    description = r#"Changes the fields given (absent or `null` = unchanged; unknown fields are ignored, as FastAPI does) without `If-Match`: the change applies to the variable as it is. If anything changes, the variable takes the next system version and its `variable_version` goes up by one; each changed field is logged with `changed_by` (default `system`) and `source_system` (default `local`) as given, and `source_system` is stored on the variable. A body that changes nothing takes no version."#,
    params(("name" = String, Path, description = NAME_DESCRIPTION, example = json!("rack_voltage"))),
    request_body(content = PrototypeVariableUpdate, content_type = "application/json", example = json!({"display_name": "State of Charge", "units": "%", "changed_by": "alice", "source_system": "central"})),
    responses(
        (status = 200, description = r#"The variable's versions after the change."#, body = PrototypeUpdateAnswer, content_type = "application/json", example = json!({"ok": true, "variable": "soc", "variable_version": 3, "system_version": 1288})),
        (status = 404, description = r#"No variable has this name (or it is deleted)."#, body = PrototypeErrorBody, content_type = "application/json", example = json!({"detail": "Variable no_such_variable not found"})),
        (status = 409, description = r#"Other writers kept changing the variable while this write retried."#, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 413, description = TOO_LARGE, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 422, description = r#"The body is missing, not JSON or not an object, a field has the wrong type, `category` is not `config`, `prot` or `oper`, or a value breaks a rule (`locator` format, blank `display_name`: type `value_error`); every type problem is listed."#, body = PrototypeValidationBody, content_type = "application/json", example = json!({"detail": [{"loc": ["body", "category"], "msg": "Input should be 'config', 'prot' or 'oper'", "type": "enum"}]})),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
async fn update_variable(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> PrototypeResult<Json<PrototypeUpdateAnswer>> {
    let mut body = BodyReader::parse(&body_bytes(body)?)?;
    let update = PrototypeVariableUpdate {
        display_name: body.string("display_name"),
        units: body.string("units"),
        description: body.string("description"),
        category: body.choice("category", &category_choices()),
        locator: body.string("locator"),
        changed_by: body.string("changed_by"),
        source_system: body.string("source_system"),
    };
    body.finish()?;
    registry::update_variable(&state.db, &name, &update)
        .await
        .map(Json)
        .map_err(PrototypeError::for_variable(&name))
}

#[utoipa::path(
    post,
    path = "/api/variables/{name}/access_paths",
    operation_id = "prototypeAddAccessPath",
    tag = TAG,
    summary = r#"Add or update an access path (prototype)"#,
    description = r#"Adds the path; when the variable already has one with the same `access_type` and `reference` (compared as JSON, removed paths included), that path is updated with the values given (`priority`, `read_only`, `rack_number`, `device_id`) and made active instead of adding a duplicate. `reference` is a JSON object or, as the prototype stored it, a string holding one. Versioned and logged like every path change, with `changed_by` and `source_system` as given."#,
    params(("name" = String, Path, description = NAME_DESCRIPTION, example = json!("soc"))),
    request_body(content = PrototypeAccessPathCreate, content_type = "application/json", example = json!({"access_type": "can", "reference": {"can_id": 291, "start_byte": 0, "length": 2, "data_type": "u16"}, "priority": 1, "read_only": true, "rack_number": 3})),
    responses(
        (status = 200, description = r#"What was done and the variable's versions after it."#, body = PrototypeAccessPathAnswer, content_type = "application/json", example = json!({"ok": true, "variable": "soc", "version": 4, "variable_version": 4, "system_version": 1290, "access_path_id": 17, "change": "access_path_added"})),
        (status = 404, description = r#"No variable has this name (or it is deleted)."#, body = PrototypeErrorBody, content_type = "application/json", example = json!({"detail": "Variable no_such_variable not found"})),
        (status = 409, description = r#"Other writers kept changing the variable while this write retried."#, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 413, description = TOO_LARGE, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 422, description = r#"The body is missing, not JSON or not an object, `access_type` or `reference` is missing, a field has the wrong type, or the reference breaks its access type's rules (type `value_error`, `loc` names the field, e.g. `["body", "reference", "can_id"]`)."#, body = PrototypeValidationBody, content_type = "application/json", example = json!({"detail": [{"loc": ["body", "access_type"], "msg": "Field required", "type": "missing"}]})),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
async fn add_access_path(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> PrototypeResult<Json<PrototypeAccessPathAnswer>> {
    let mut body = BodyReader::parse(&body_bytes(body)?)?;
    let access_types: Vec<(&str, AccessType)> =
        AccessType::ALL.iter().map(|t| (t.as_str(), *t)).collect();
    let access_type = body.choice("access_type", &access_types);
    let access_type = body.require("access_type", access_type);
    let reference = body.value("reference").cloned();
    let reference = body.require("reference", reference);
    let create = PrototypeAccessPathCreate {
        priority: body.integer("priority"),
        read_only: body.boolean("read_only"),
        rack_number: body.integer("rack_number"),
        device_id: body.string("device_id"),
        changed_by: body.string("changed_by"),
        source_system: body.string("source_system"),
        access_type: access_type.unwrap_or(AccessType::MemoryOffset),
        reference: reference.unwrap_or_default(),
    };
    // A missing or invalid `access_type` or `reference` was reported above: `finish` answers
    // it with the others, so the placeholders are never used.
    body.finish()?;
    registry::add_or_update_path(&state.db, &name, &create)
        .await
        .map(Json)
        .map_err(PrototypeError::for_variable(&name))
}
