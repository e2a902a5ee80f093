//! `/api/v1` routes of the variable registry: list, read, write (with `If-Match`), facets, the
//! preferred path and the change feed.

use app::ssr::state::AppState;
use axum::Extension;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use model::error::AppError;
use model::registry::{
    AccessPath, AccessPathPatch, AccessType, Category, ChangeFeed, ChangeLogEntry, FacetCount,
    NewAccessPath, NewVariable, Page, RegistrySnapshot, RestoreRequest, Variable, VariablePatch,
    VariableQuery,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;
use services::auth::Caller;
use services::registry::{history, query, write};
use services::system::system_version_of;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::docs::{ProblemBody, VersionedWriteHeaders, WriterHeaders};
use super::responses::{
    DatabaseFailed, IfMatchMissing, MalformedBody, MalformedQuery, NoSuchWritableVariable, NotJson,
    StaleVersion, TooLarge,
};
use super::{Problem, actor, if_match};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(system_version))
        .routes(routes!(list, create))
        .routes(routes!(bulk))
        .routes(routes!(read, update, delete))
        .routes(routes!(history))
        .routes(routes!(restore))
        .routes(routes!(snapshot))
        .routes(routes!(preferred_path))
        .routes(routes!(add_path))
        .routes(routes!(update_path, remove_path))
        .routes(routes!(categories))
        .routes(routes!(locators))
        .routes(routes!(changes))
        .routes(routes!(export_data_def))
        .routes(routes!(export_metadata))
}

pub(super) type ApiResult<T> = Result<T, Problem>;

pub(super) fn query_params<T>(params: Result<Query<T>, QueryRejection>) -> ApiResult<T> {
    params
        .map(|Query(p)| p)
        .map_err(|e| Problem::bad_request(e.body_text()))
}

/// Path segments that fail to parse (`/access-paths/abc`) answer problem+json like any other
/// bad request, not axum's plain text.
pub(super) fn path_params<T>(params: Result<Path<T>, PathRejection>) -> ApiResult<T> {
    params
        .map(|Path(p)| p)
        .map_err(|e| Problem::bad_request(e.body_text()))
}

/// The JSON body as `T`. A body that is not a JSON object is refused (serde would otherwise
/// read `[null, null]` as a struct of two fields), and the errors are problem+json: 400 for
/// malformed JSON, 413/415 for a body too large or not JSON, 422 for the wrong shape.
pub(super) fn json_body<T: DeserializeOwned>(
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<T> {
    let Json(value) =
        body.map_err(|e| Problem::new(e.status(), "Invalid request body", e.body_text()))?;
    if !value.is_object() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid request body",
            "the body must be a JSON object",
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid request body",
            format!("Failed to deserialize the JSON body into the target type: {e}"),
        )
    })
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

/// The current global system version.
#[derive(Serialize, ToSchema)]
pub(super) struct SystemVersion {
    /// The version of the latest committed change.
    system_version: i64,
}

#[utoipa::path(
    get,
    path = "/api/v1/system/version",
    operation_id = "getSystemVersion",
    tag = "System",
    summary = r#"Current system version"#,
    description = r#"The global system version now: the version of the latest committed change of any variable or access path (0 before the first change)."#,
    responses(
        (status = 200, description = r#"The current system version."#, body = SystemVersion, content_type = "application/json", example = json!({"system_version": 1287})),
        DatabaseFailed,
    )
)]
async fn system_version(State(state): State<AppState>) -> ApiResult<Json<SystemVersion>> {
    let system_version = system_version_of(&state.db).await?;
    Ok(Json(SystemVersion { system_version }))
}

#[utoipa::path(
    get,
    path = "/api/v1/variables",
    operation_id = "listVariables",
    tag = "Variables",
    summary = r#"List variables"#,
    description = r#"A page of variables, ordered by name, with the total across all pages. Filters combine (AND). Deleted variables are left out unless `include_deleted=true`. `path_count` counts active paths; `paths` (active paths only, highest priority first) is present only with `include_paths=true`."#,
    params(
        ("category" = Option<Category>, Query, nullable = false, description = r#"Only this category."#),
        ("locator" = Option<String>, Query, nullable = false, description = r#"Exact locator (`rbms.rack[n]`), or a pattern where `[*]` matches any index (`rbms.rack[*].module[*]`). Empty = no filter. Variables without a locator match no locator filter."#, example = json!("rbms.rack[*]")),
        ("q" = Option<String>, Query, nullable = false, description = r#"Case-insensitive substring of the name, display name or description (trimmed; empty = no filter)."#, example = json!("voltage")),
        ("access_type" = Option<AccessType>, Query, nullable = false, description = r#"Only variables with at least one active path of this type."#),
        ("since_version" = Option<i64>, Query, nullable = false, description = r#"Only variables whose last change (of themselves or of one of their paths) has a system version greater than this."#),
        ("include_paths" = Option<bool>, Query, nullable = false, description = r#"Add each variable's active paths as `paths`. Default: `false`."#),
        ("include_deleted" = Option<bool>, Query, nullable = false, description = r#"Also list soft-deleted variables (`deleted: true`). Default: `false`."#),
        ("page" = Option<u64>, Query, nullable = false, description = r#"1-based page number (0 is read as 1), at most 1,000,000,000. Default: `1`."#, minimum = 0, maximum = 1000000000),
        ("per_page" = Option<u64>, Query, nullable = false, description = r#"Page size, at most 1,000 (0 is read as 1). Default: `50`."#, minimum = 0, maximum = 1000),
    ),
    responses(
        (status = 200, description = r#"The page of variables."#, body = Page<Variable>, content_type = "application/json"),
        MalformedQuery,
        (status = 422, description = r#"Invalid input: `per_page` over 1,000 or `page` over 1,000,000,000 (`field` names it)."#, body = ProblemBody, content_type = "application/problem+json"),
        DatabaseFailed,
    )
)]
async fn list(
    State(state): State<AppState>,
    params: Result<Query<VariableQuery>, QueryRejection>,
) -> ApiResult<Json<model::registry::Page<Variable>>> {
    let params = query_params(params)?;
    // Out-of-range paging is refused, as documented, rather than quietly clamped.
    if params.per_page.is_some_and(|n| n > MAX_PER_PAGE) {
        return Err(
            AppError::validation("per_page", format!("must be at most {MAX_PER_PAGE}")).into(),
        );
    }
    if params.page.is_some_and(|n| n > MAX_PAGE) {
        return Err(AppError::validation("page", format!("must be at most {MAX_PAGE}")).into());
    }
    Ok(Json(
        query::list_variables(&state.db, &state.registry_index, &params).await?,
    ))
}

/// Which past state of a variable to read (`GET /api/v1/variables/{name}`); neither = now.
#[derive(Deserialize)]
struct ReadParams {
    version: Option<i64>,
    at_system_version: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/variables/{name}",
    operation_id = "getVariable",
    tag = "Variables",
    summary = r#"Read a variable, now or at a past version"#,
    description = r#"One variable with all its paths (inactive ones too, `active: false`), highest priority first. A deleted variable is answered too, with `deleted: true`. Without parameters it is the variable now, and the `ETag` is its `variable_version`: send it back in `If-Match` on the next write. With `version=N` it is the variable as it was at its own version N (1 = as created); with `at_system_version=X`, as it was when the registry was at system version X (its newest version whose change was complete by then). A past state is rebuilt from the change log, paths included, in the same shape, and has no `ETag`."#,
    params(
        ("name" = String, Path, description = r#"The variable's name, a snake_case identifier such as `rack_voltage`."#, example = json!("rack_voltage")),
        ("version" = Option<i64>, Query, nullable = false, description = r#"A past `variable_version` of this variable (1 to its current version)."#, example = json!(3)),
        ("at_system_version" = Option<i64>, Query, nullable = false, description = r#"A system version the registry has been at (0 to the current one). Not together with `version`."#, example = json!(1200)),
    ),
    responses(
        (status = 200, description = r#"The variable (now, or as it was)."#, body = Variable, content_type = "application/json", headers(("ETag" = String, description = "Only on a read of the variable now: its `variable_version`, quoted (e.g. `\"3\"`): send it back in `If-Match` on the next write."))),
        MalformedQuery,
        (status = 404, description = r#"Not found: no variable has this name, it has no such version, the system version is beyond the current one, or the variable did not exist yet at that system version (`detail` says which)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: version 9 of variable \"rack_voltage\": it has versions 1 to 4"})),
        (status = 422, description = r#"Invalid input: both `version` and `at_system_version` were given (`field` names `at_system_version`)."#, body = ProblemBody, content_type = "application/problem+json"),
        DatabaseFailed,
    )
)]
async fn read(
    State(state): State<AppState>,
    Path(name): Path<String>,
    params: Result<Query<ReadParams>, QueryRejection>,
) -> ApiResult<Response> {
    let params = query_params(params)?;
    let past = match (params.version, params.at_system_version) {
        (None, None) => {
            let variable = query::get_variable(&state.db, &name).await?;
            return Ok(variable_response(StatusCode::OK, variable));
        }
        (Some(version), None) => history::variable_at_version(&state.db, &name, version).await?,
        (None, Some(at)) => history::variable_at_system_version(&state.db, &name, at).await?,
        (Some(_), Some(_)) => {
            return Err(AppError::validation(
                "at_system_version",
                "give either version or at_system_version, not both",
            )
            .into());
        }
    };
    Ok(Json(past).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/variables/{name}/restore",
    operation_id = "restoreVariableVersion",
    tag = "Variables",
    summary = r#"Restore a past version"#,
    description = r#"Brings back the variable as it was at `version`, as a new version: its metadata, its deleted flag and its paths as they were then; paths added since are deactivated (paths are never deleted). The variable takes the next system version and each changed path one more; the change log records a restore of that version (`updated`, field `restored_version`, old = the version before, new = the version restored) and every field and path change it made. A deleted variable can be restored too. When nothing differs, nothing is written and no version is taken. Checks run in this order: If-Match (428/400), body (415/400/422), variable and version (404), version (409)."#,
    params(
        ("name" = String, Path, description = r#"The variable's name, a snake_case identifier such as `rack_voltage`."#, example = json!("rack_voltage")),
        VersionedWriteHeaders,
    ),
    request_body(content = RestoreRequest, example = json!({"version": 2})),
    responses(
        (status = 200, description = r#"The variable after the restore, with all its paths; `ETag` is the new `variable_version`."#, body = Variable, content_type = "application/json", headers(("ETag" = String, description = "The variable's `variable_version`, quoted (e.g. `\"3\"`): send it back in `If-Match` on the next write."))),
        (status = 400, description = r#"Bad request: `If-Match` is not a variable version such as `"3"` (title `Bad request`), or the body is not syntactically valid JSON (title `Invalid request body`)."#, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = r#"Not found: no variable has this name, or it has no such version."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: version 9 of variable \"rack_voltage\": it has versions 1 to 4"})),
        StaleVersion,
        TooLarge,
        NotJson,
        (status = 422, description = r#"Unprocessable: the body does not fit the schema (a missing or unknown field, a wrong type)."#, body = ProblemBody, content_type = "application/problem+json"),
        IfMatchMissing,
        DatabaseFailed,
    )
)]
async fn restore(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    let request = json_body::<RestoreRequest>(body)?;
    match write::restore_version(
        &state.db,
        &name,
        request.version,
        expected,
        &actor(&caller, &headers),
    )
    .await
    {
        Ok(variable) => Ok(variable_response(StatusCode::OK, variable)),
        Err(err) => Err(with_current(&state, &name, err).await),
    }
}

/// Which system version the snapshot shows.
#[derive(Deserialize)]
struct SnapshotParams {
    at_system_version: i64,
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/snapshot",
    operation_id = "getRegistrySnapshot",
    tag = "Registry",
    summary = r#"The whole registry at a past system version"#,
    description = r#"Every variable that existed when the registry was at system version `at_system_version`, in name order, each as it was then with all its paths (soft-deleted variables as tombstones with `deleted: true`, deactivated paths with `active: false`), rebuilt from the change log. `at_system_version` = the current version gives the registry now. For files to import, see `powerdeck registry export --at-version X`."#,
    params(
        ("at_system_version" = i64, Query, description = r#"A system version the registry has been at (0 to the current one)."#, example = json!(1200)),
    ),
    responses(
        (status = 200, description = r#"The registry as it was."#, body = RegistrySnapshot, content_type = "application/json"),
        MalformedQuery,
        (status = 404, description = r#"Not found: the system version is negative or beyond the current one."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: system version 99999: the registry's system versions run from 0 to 1287"})),
        DatabaseFailed,
    )
)]
async fn snapshot(
    State(state): State<AppState>,
    params: Result<Query<SnapshotParams>, QueryRejection>,
) -> ApiResult<Json<RegistrySnapshot>> {
    let params = query_params(params)?;
    Ok(Json(
        history::snapshot(&state.db, params.at_system_version).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/variables/{name}/history",
    operation_id = "getVariableHistory",
    tag = "Variables",
    summary = r#"A variable's change log"#,
    description = r#"Every change of the variable and of its paths, newest first (by system version), one entry per changed field, with who made it and from where. Deleted variables keep their history."#,
    params(
        ("name" = String, Path, description = r#"The variable's name, a snake_case identifier such as `rack_voltage`."#, example = json!("rack_voltage")),
    ),
    responses(
        (status = 200, description = r#"The change log, newest first."#, body = Vec<ChangeLogEntry>, content_type = "application/json"),
        (status = 404, description = r#"Not found: no variable has this name."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: variable \"no_such_variable\""})),
        DatabaseFailed,
    )
)]
async fn history(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<model::registry::ChangeLogEntry>>> {
    Ok(Json(query::history(&state.db, &name).await?))
}

/// Names to read (`POST /api/v1/variables/bulk`).
#[derive(Deserialize, ToSchema)]
pub(super) struct BulkRequest {
    /// At most 10,000 variable names.
    #[schema(max_items = 10000)]
    names: Vec<String>,
}

/// The variables found and the names not found.
#[derive(Serialize, ToSchema)]
pub(super) struct BulkResult {
    /// Found variables in the order asked, each with its active paths.
    items: Vec<Variable>,
    /// Names asked for that no variable has, in the order asked.
    missing: Vec<String>,
}

/// Facet counts: how many variables have each category or locator.
#[derive(Serialize, ToSchema)]
pub(super) struct FacetList {
    items: Vec<FacetCount>,
}

const MAX_BULK_NAMES: usize = 10_000;
/// The largest page of `GET /api/v1/variables`.
const MAX_PER_PAGE: u64 = 1_000;
/// The largest page number: far beyond any registry, and small enough that
/// `page × per_page` cannot overflow.
const MAX_PAGE: u64 = 1_000_000_000;

#[utoipa::path(
    post,
    path = "/api/v1/variables/bulk",
    operation_id = "getVariablesBulk",
    tag = "Variables",
    summary = r#"Read several variables"#,
    description = r#"Reads up to 10,000 variables by name in one call. Found variables come in the order asked (each once), deleted ones included (`deleted: true`), each with its active paths; names not found are listed in `missing`. Reads only: no `If-Match`, nothing is written."#,
    request_body(content = BulkRequest, example = json!({"names": ["rack_voltage", "nope"]})),
    responses(
        (status = 200, description = r#"The variables found and the names not found."#, body = BulkResult, content_type = "application/json"),
        MalformedBody,
        TooLarge,
        NotJson,
        (status = 422, description = r#"Unprocessable: either the body does not fit the schema (a missing or unknown field, a wrong type or enum value; title `Invalid request body`, no `field`), or it breaks a rule (title `Invalid input`, `field` names the offending field): `names` (at most 10,000 names)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": "at most 10000 names per request", "field": "names"})),
        DatabaseFailed,
    )
)]
async fn bulk(
    State(state): State<AppState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Json<BulkResult>> {
    let request = json_body::<BulkRequest>(body)?;
    if request.names.len() > MAX_BULK_NAMES {
        return Err(AppError::validation(
            "names",
            format!("at most {MAX_BULK_NAMES} names per request"),
        )
        .into());
    }
    let found = query::get_variables(&state.db, &request.names).await?;
    let missing: Vec<String> = request
        .names
        .into_iter()
        .filter(|n| !found.iter().any(|v| &v.name == n))
        .collect();
    Ok(Json(BulkResult {
        items: found,
        missing,
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/variables",
    operation_id = "createVariable",
    tag = "Variables",
    summary = r#"Create a variable"#,
    description = r#"Creates a variable (variable_version 1) with its initial access paths, in one transaction. The variable takes the next system version and each path one more, in order. `locator` may be left out or `null`: the variable then has no locator. No `If-Match` is needed. A name that exists, even as a deleted variable, answers 409 (without `current`)."#,
    params(
        WriterHeaders,
    ),
    request_body(content = NewVariable, example = json!({"name": "grid_frequency", "units": "Hz", "category": "oper", "locator": "system.global", "paths": [{"access_type": "modbus", "reference": {"device": "meter", "unit_id": 3, "table": "input", "address": 30, "count": 2, "data_type": "f32"}, "priority": 5, "read_only": true}]})),
    responses(
        (status = 201, description = r#"Created: the variable as stored, with all its paths; `ETag` is `"1"`."#, body = Variable, content_type = "application/json", headers(("ETag" = String, description = "The variable's `variable_version`, quoted (e.g. `\"3\"`): send it back in `If-Match` on the next write."))),
        MalformedBody,
        (status = 409, description = r#"Conflict: a variable with this name already exists (possibly deleted). No `current` member."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Changed by someone else", "status": 409, "detail": "conflict: variable \"grid_frequency\" already exists"})),
        TooLarge,
        NotJson,
        (status = 422, description = r#"Unprocessable: either the body does not fit the schema (a missing or unknown field, a wrong type or enum value; title `Invalid request body`, no `field`), or it breaks a rule (title `Invalid input`, `field` names the offending field): `name` (snake_case, starts with a lowercase letter, at most 96 characters), `locator`, `display_name` (not blank), `paths[i].rack_number` (not negative), `paths[i].reference.*` (the rules of the access type's reference shape)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": "\"Grid\" must start with a lowercase letter (snake_case identifier)", "field": "name"})),
        DatabaseFailed,
    )
)]
async fn create(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Response> {
    let new = json_body::<NewVariable>(body)?;
    let variable = write::create_variable(&state.db, &new, &actor(&caller, &headers)).await?;
    Ok(variable_response(StatusCode::CREATED, variable))
}

#[utoipa::path(
    patch,
    path = "/api/v1/variables/{name}",
    operation_id = "updateVariable",
    tag = "Variables",
    summary = r#"Change a variable's metadata"#,
    description = r#"Changes the fields present in the body (absent = unchanged; `null` = unchanged too, except `"locator": null`, which removes the locator). If anything actually changes, the variable takes the next system version, its `variable_version` goes up by one and each changed field is logged (`updated`, old and new value). A patch that changes nothing takes no version and answers the variable as it is. Checks run in this order: If-Match (428/400), body (415/400/422), field rules (422), variable (404), version (409)."#,
    params(
        ("name" = String, Path, description = r#"The variable's name, a snake_case identifier such as `rack_voltage`."#, example = json!("rack_voltage")),
        VersionedWriteHeaders,
    ),
    request_body(content = VariablePatch, example = json!({"description": "Rack DC bus voltage", "units": "V"})),
    responses(
        (status = 200, description = r#"The variable after the change, with all its paths; `ETag` is the new `variable_version`."#, body = Variable, content_type = "application/json", headers(("ETag" = String, description = "The variable's `variable_version`, quoted (e.g. `\"3\"`): send it back in `If-Match` on the next write."))),
        (status = 400, description = r#"Bad request: `If-Match` is not a variable version such as `"3"` (title `Bad request`), or the body is not syntactically valid JSON (title `Invalid request body`)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Bad request", "status": 400, "detail": "If-Match must be a variable version such as \"3\""})),
        NoSuchWritableVariable,
        StaleVersion,
        TooLarge,
        NotJson,
        (status = 422, description = r#"Unprocessable: either the body does not fit the schema (a missing or unknown field, a wrong type or enum value; title `Invalid request body`, no `field`), or it breaks a rule (title `Invalid input`, `field` names the offending field): `locator`, `display_name` (not blank)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": "segment \"Not A Locator\" must be a lowercase identifier, optionally with [index]", "field": "locator"})),
        IfMatchMissing,
        DatabaseFailed,
    )
)]
async fn update(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    let patch = json_body::<VariablePatch>(body)?;
    match write::update_variable(
        &state.db,
        &name,
        expected,
        &patch,
        &actor(&caller, &headers),
    )
    .await
    {
        Ok(variable) => Ok(variable_response(StatusCode::OK, variable)),
        Err(err) => Err(with_current(&state, &name, err).await),
    }
}

#[utoipa::path(
    delete,
    path = "/api/v1/variables/{name}",
    operation_id = "deleteVariable",
    tag = "Variables",
    summary = r#"Delete a variable (soft)"#,
    description = r#"Marks the variable deleted: the row stays as a tombstone (`deleted: true`) so that other controllers learn of the deletion from the change feed. It takes the next system version and its `variable_version` goes up by one; its paths are left as they are. The name stays taken. No body."#,
    params(
        ("name" = String, Path, description = r#"The variable's name, a snake_case identifier such as `rack_voltage`."#, example = json!("rack_voltage")),
        VersionedWriteHeaders,
    ),
    responses(
        (status = 200, description = r#"The variable as a tombstone (`deleted: true`); `ETag` is the new `variable_version`."#, body = Variable, content_type = "application/json", headers(("ETag" = String, description = "The variable's `variable_version`, quoted (e.g. `\"3\"`): send it back in `If-Match` on the next write."))),
        (status = 400, description = r#"Bad request: `If-Match` is not a variable version such as `"3"` (title `Bad request`)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Bad request", "status": 400, "detail": "If-Match must be a variable version such as \"3\""})),
        NoSuchWritableVariable,
        StaleVersion,
        IfMatchMissing,
        DatabaseFailed,
    )
)]
async fn delete(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    match write::delete_variable(&state.db, &name, expected, &actor(&caller, &headers)).await {
        Ok(variable) => Ok(variable_response(StatusCode::OK, variable)),
        Err(err) => Err(with_current(&state, &name, err).await),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/variables/{name}/access-paths",
    operation_id = "addAccessPath",
    tag = "Access paths",
    summary = r#"Add an access path"#,
    description = r#"Adds an active path (path_version 1) to the variable. This takes two system versions: the variable is touched first (its `variable_version` goes up by one), then the new path takes the next one. Logged as `path_added`. Checks run in this order: If-Match (428/400), body (415/400/422), path rules (422), variable (404), version (409)."#,
    params(
        ("name" = String, Path, description = r#"The variable's name, a snake_case identifier such as `rack_voltage`."#, example = json!("rack_voltage")),
        VersionedWriteHeaders,
    ),
    request_body(content = NewAccessPath, example = json!({"access_type": "can", "reference": {"can_id": 256, "start_byte": 0, "length": 2, "data_type": "u16", "scale": 0.1}, "priority": 5, "read_only": true, "rack_number": 2})),
    responses(
        (status = 201, description = r#"Created: the variable after the change, with all its paths (the new one included); `ETag` is the new `variable_version`."#, body = Variable, content_type = "application/json", headers(("ETag" = String, description = "The variable's `variable_version`, quoted (e.g. `\"3\"`): send it back in `If-Match` on the next write."))),
        (status = 400, description = r#"Bad request: `If-Match` is not a variable version such as `"3"` (title `Bad request`), or the body is not syntactically valid JSON (title `Invalid request body`)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Bad request", "status": 400, "detail": "If-Match must be a variable version such as \"3\""})),
        NoSuchWritableVariable,
        StaleVersion,
        TooLarge,
        NotJson,
        (status = 422, description = r#"Unprocessable: either the body does not fit the schema (a missing or unknown field, a wrong type or enum value; title `Invalid request body`, no `field`), or it breaks a rule (title `Invalid input`, `field` names the offending field): `rack_number` (not negative), `reference.*` (the rules of the access type's reference shape; a missing or unknown reference field is named too)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": "must be at most 0x7FF for a 11-bit id", "field": "reference.can_id"})),
        IfMatchMissing,
        DatabaseFailed,
    )
)]
async fn add_path(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    let path = json_body::<NewAccessPath>(body)?;
    match write::add_path(&state.db, &name, expected, &path, &actor(&caller, &headers)).await {
        Ok(variable) => Ok(variable_response(StatusCode::CREATED, variable)),
        Err(err) => Err(with_current(&state, &name, err).await),
    }
}

#[utoipa::path(
    patch,
    path = "/api/v1/variables/{name}/access-paths/{id}",
    operation_id = "updateAccessPath",
    tag = "Access paths",
    summary = r#"Change an access path"#,
    description = r#"Changes the fields present in the body (absent = unchanged; for `rack_number` and `device_id`, null clears them). The access type cannot change: a new `reference` is checked against the path's access type. `active: true` brings back a removed path. If anything actually changes, this takes two system versions (the variable is touched, then the path; `path_version` and `variable_version` each go up by one) and is logged as `path_updated` (or `path_removed` when the only change is `active: false`). A patch that changes nothing takes no version. Checks run in this order: path id (400), If-Match (428/400), body (415/400/422), variable (404), version (409), path (404), field rules (422)."#,
    params(
        ("name" = String, Path, description = r#"The variable's name, a snake_case identifier such as `rack_voltage`."#, example = json!("rack_voltage")),
        ("id" = i64, Path, description = r#"The access path's id (`AccessPath.id`); it must belong to the variable. A value that is not a 64-bit integer answers 400 in plain text."#, example = json!(12)),
        VersionedWriteHeaders,
    ),
    request_body(content = AccessPathPatch, example = json!({"priority": 20, "rack_number": null})),
    responses(
        (status = 200, description = r#"The variable after the change, with all its paths; `ETag` is the new `variable_version`."#, body = Variable, content_type = "application/json", headers(("ETag" = String, description = "The variable's `variable_version`, quoted (e.g. `\"3\"`): send it back in `If-Match` on the next write."))),
        (status = 400, description = r#"Bad request: `If-Match` is not a variable version such as `"3"` (title `Bad request`), or the body is not syntactically valid JSON (title `Invalid request body`). A path `id` that is not an integer answers 400 before anything else, in `text/plain` (axum's path rejection), not as problem+json."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Bad request", "status": 400, "detail": "If-Match must be a variable version such as \"3\""})),
        (status = 404, description = r#"Not found: no variable has this name, it is deleted, or it has no access path with this id."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: access path 99 of this variable"})),
        StaleVersion,
        TooLarge,
        NotJson,
        (status = 422, description = r#"Unprocessable: either the body does not fit the schema (a missing or unknown field, a wrong type or enum value; title `Invalid request body`, no `field`), or it breaks a rule (title `Invalid input`, `field` names the offending field): `rack_number` (not negative), `reference.*` (the rules of the path's reference shape)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": "must be 1, 2, 4 or 8 bytes", "field": "reference.size"})),
        IfMatchMissing,
        DatabaseFailed,
    )
)]
async fn update_path(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    path: Result<Path<(String, i64)>, PathRejection>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Response> {
    let (name, id) = path_params(path)?;
    let expected = if_match(&headers)?;
    let patch = json_body::<AccessPathPatch>(body)?;
    match write::update_path(
        &state.db,
        &name,
        id,
        expected,
        &patch,
        &actor(&caller, &headers),
    )
    .await
    {
        Ok(variable) => Ok(variable_response(StatusCode::OK, variable)),
        Err(err) => Err(with_current(&state, &name, err).await),
    }
}

#[utoipa::path(
    delete,
    path = "/api/v1/variables/{name}/access-paths/{id}",
    operation_id = "removeAccessPath",
    tag = "Access paths",
    summary = r#"Remove an access path"#,
    description = r#"Deactivates the path (`active: false`), never deletes it: the change feed reports it as a tombstone (`removed: true`). Same as PATCH with `{"active": false}`: two system versions, logged as `path_removed`; removing an inactive path changes nothing and takes no version. No body."#,
    params(
        ("name" = String, Path, description = r#"The variable's name, a snake_case identifier such as `rack_voltage`."#, example = json!("rack_voltage")),
        ("id" = i64, Path, description = r#"The access path's id (`AccessPath.id`); it must belong to the variable. A value that is not a 64-bit integer answers 400 in plain text."#, example = json!(12)),
        VersionedWriteHeaders,
    ),
    responses(
        (status = 200, description = r#"The variable after the change, with all its paths (the removed one with `active: false`); `ETag` is the new `variable_version`."#, body = Variable, content_type = "application/json", headers(("ETag" = String, description = "The variable's `variable_version`, quoted (e.g. `\"3\"`): send it back in `If-Match` on the next write."))),
        (status = 400, description = r#"Bad request: `If-Match` is not a variable version such as `"3"` (title `Bad request`). A path `id` that is not an integer answers 400 before anything else, in `text/plain` (axum's path rejection), not as problem+json."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Bad request", "status": 400, "detail": "If-Match must be a variable version such as \"3\""})),
        (status = 404, description = r#"Not found: no variable has this name, it is deleted, or it has no access path with this id."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: access path 99 of this variable"})),
        StaleVersion,
        IfMatchMissing,
        DatabaseFailed,
    )
)]
async fn remove_path(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    path: Result<Path<(String, i64)>, PathRejection>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (name, id) = path_params(path)?;
    let expected = if_match(&headers)?;
    match write::remove_path(&state.db, &name, id, expected, &actor(&caller, &headers)).await {
        Ok(variable) => Ok(variable_response(StatusCode::OK, variable)),
        Err(err) => Err(with_current(&state, &name, err).await),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/variables/{name}/preferred-path",
    operation_id = "getPreferredPath",
    tag = "Access paths",
    summary = r#"The path to use for a variable"#,
    description = r#"The highest-priority active path that matches: of `access_type` if given, not read-only if `writable=true`, and serving the rack — a path without a `rack_number` serves every rack; a rack-specific path is a candidate only when `rack` names that rack. Ties go to the rack-specific path, then to the older path (lower id)."#,
    params(
        ("name" = String, Path, description = r#"The variable's name, a snake_case identifier such as `rack_voltage`."#, example = json!("rack_voltage")),
        ("rack" = Option<i32>, Query, nullable = false, description = r#"The rack the caller wants. Without it only all-rack paths qualify."#, example = json!(2)),
        ("access_type" = Option<AccessType>, Query, nullable = false, description = r#"Only paths of this access type."#),
        ("writable" = Option<bool>, Query, nullable = false, description = r#"Only paths that are not read-only. Default: `false`."#),
    ),
    responses(
        (status = 200, description = r#"The preferred path."#, body = AccessPath, content_type = "application/json"),
        MalformedQuery,
        (status = 404, description = r#"Not found: no variable has this name, or no active path of it matches the preference."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: no active writable path of \"rack_voltage\" matches"})),
        DatabaseFailed,
    )
)]
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

#[utoipa::path(
    get,
    path = "/api/v1/categories",
    operation_id = "listCategories",
    tag = "Facets",
    summary = r#"Variables per category"#,
    description = r#"Every category (`config`, `prot`, `oper`, in that order) with the number of non-deleted variables in it (0 included)."#,
    responses(
        (status = 200, description = r#"The category counts."#, body = FacetList, content_type = "application/json", example = json!({"items": [{"value": "config", "count": 12}, {"value": "prot", "count": 40}, {"value": "oper", "count": 75}]})),
        DatabaseFailed,
    )
)]
async fn categories(State(state): State<AppState>) -> ApiResult<Json<FacetList>> {
    let items = query::categories(&state.db, &state.registry_index).await?;
    Ok(Json(FacetList { items }))
}

#[derive(Deserialize)]
struct LocatorParams {
    category: Option<model::registry::Category>,
}

#[utoipa::path(
    get,
    path = "/api/v1/locators",
    operation_id = "listLocators",
    tag = "Facets",
    summary = r#"Variables per locator"#,
    description = r#"Every locator in use by non-deleted variables, in alphabetical order, with its number of variables; optionally within one category. Variables without a locator are counted under none."#,
    params(
        ("category" = Option<Category>, Query, nullable = false, description = r#"Only variables of this category."#),
    ),
    responses(
        (status = 200, description = r#"The locator counts."#, body = FacetList, content_type = "application/json", example = json!({"items": [{"value": "rbms.rack[n]", "count": 9}, {"value": "system.global", "count": 4}]})),
        MalformedQuery,
        DatabaseFailed,
    )
)]
async fn locators(
    State(state): State<AppState>,
    params: Result<Query<LocatorParams>, QueryRejection>,
) -> ApiResult<Json<FacetList>> {
    let params = query_params(params)?;
    let items = query::locators(&state.db, &state.registry_index, params.category).await?;
    Ok(Json(FacetList { items }))
}

#[derive(Deserialize)]
struct ChangeParams {
    #[serde(default)]
    since: i64,
    limit: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/changes",
    operation_id = "listChanges",
    tag = "Sync",
    summary = r#"Change feed"#,
    description = r#"Everything changed after `since`, in system-version order: for each variable and each path whose last change is newer than `since`, its current state (`kind: variable` or `kind: path`) with that version. Deleted variables (`deleted: true`) and removed paths (`removed: true`) appear as tombstones; an older state superseded by a newer change is not repeated. To sync, start with `since=0`, then call again with `since=next_since` while `has_more` is true; keep `next_since` for the next poll."#,
    params(
        ("since" = Option<i64>, Query, nullable = false, description = r#"The system version the caller has already seen; only later changes are returned. Default: `0`."#),
        ("limit" = Option<i64>, Query, nullable = false, description = r#"At most this many items; 0 is read as 1 and anything over 10,000 as 10,000. Default: `1000`."#, minimum = 0),
    ),
    responses(
        (status = 200, description = r#"One page of the feed."#, body = ChangeFeed, content_type = "application/json"),
        MalformedQuery,
        (status = 422, description = r#"Invalid input: a negative `limit` (`field` names it)."#, body = ProblemBody, content_type = "application/problem+json"),
        DatabaseFailed,
    )
)]
async fn changes(
    State(state): State<AppState>,
    params: Result<Query<ChangeParams>, QueryRejection>,
) -> ApiResult<Json<query::ChangeFeed>> {
    let params = query_params(params)?;
    // Larger asks are served the largest page: a client that wants "everything" pages on.
    let limit = match params.limit {
        None => 1_000,
        Some(limit) => u64::try_from(limit)
            .map_err(|_| AppError::validation("limit", "must not be negative"))?,
    };
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

#[utoipa::path(
    get,
    path = "/api/v1/export/data_def.json",
    operation_id = "exportDataDef",
    tag = "Registry",
    summary = r#"Export data_def.json"#,
    description = r#"Downloads the table definitions (memory paths) of every non-deleted variable. Importing the two export files into an empty database reproduces the registry; importing them back into the same database changes nothing."#,
    responses(
        (status = 200, description = r#"data_def.json as an attachment"#, body = Vec<serde_json::Value>, content_type = "application/json"),
        (status = 500, description = r#"Database error"#, body = ProblemBody, content_type = "application/problem+json"),
    )
)]
async fn export_data_def(State(state): State<AppState>) -> ApiResult<Response> {
    let exported = services::registry::export::export(&state.db).await?;
    Ok(attachment("data_def.json", exported.data_def))
}

#[utoipa::path(
    get,
    path = "/api/v1/export/var_metadata.json",
    operation_id = "exportMetadata",
    tag = "Registry",
    summary = r#"Export var_metadata.json"#,
    description = r#"Downloads exact metadata entries (category, locator, display name, units, description) for every non-deleted variable. Importing the two export files into an empty database reproduces the registry; importing them back into the same database changes nothing."#,
    responses(
        (status = 200, description = r#"var_metadata.json as an attachment"#, body = serde_json::Value, content_type = "application/json"),
        (status = 500, description = r#"Database error"#, body = ProblemBody, content_type = "application/problem+json"),
    )
)]
async fn export_metadata(State(state): State<AppState>) -> ApiResult<Response> {
    let exported = services::registry::export::export(&state.db).await?;
    Ok(attachment("var_metadata.json", exported.metadata))
}
