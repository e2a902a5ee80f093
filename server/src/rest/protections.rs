//! `/api/v1` routes of protections: recall, save and deploy limits (the original prototype's
//! payload is accepted unchanged), profiles, deployment history, alarm states and journal.

use app::ssr::state::AppState;
use axum::Extension;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, stream};
use model::error::AppError;
use model::profiles::{
    AlarmRow, DeployRequest, DeploymentDetail, DeploymentSummary, JournalEntry, ProfileSummary,
    RecallSource, Recalled,
};
use model::protections::{AlarmCounts, Level, ProtectionSet, ProtectionsPayload, Side};
use serde::{Deserialize, Serialize};
use serde_json::json;
use services::auth::Caller;
use services::protections::deploy::{DeployOutcome, Deployed};
use services::protections::{self as service, alarms, deploy, profiles};
use std::convert::Infallible;
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::docs::{ProblemBody, WriterHeaders};
use super::registry::{ApiResult, json_body, path_params, query_params};
use super::responses::{
    DatabaseFailed, MalformedBody, MalformedRequest, NoSuchProfile, NotJson, TooLarge,
};
use super::{Problem, actor};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(recall, save))
        .routes(routes!(deploy_now))
        .routes(routes!(list_profiles, create_profile))
        .routes(routes!(get_profile, update_profile, delete_profile))
        .routes(routes!(activate_profile))
        .routes(routes!(deployments))
        .routes(routes!(deployment))
        .routes(routes!(alarm_states))
        .routes(routes!(alarm_stream))
        .routes(routes!(alarm_journal))
        .routes(routes!(acknowledge))
}

#[derive(Deserialize)]
struct RecallParams {
    source: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/protections",
    operation_id = "recallProtections",
    tag = "Protections",
    summary = r#"Recall a set of protection limits"#,
    description = r#"The limits of the active profile (`current`, the default), of the seeded default profile (`default`), of a named profile (`profile:NAME`), or as the device holds them now (`device`: the active profile's limits with every field a device variable holds replaced by a live read; fields that cannot be read keep the profile's value and are listed in `read_errors`). `console_only` lists the field paths no device variable holds (saved and evaluated by the console's alarm engine, never written). Nothing is changed."#,
    params(
        ("source" = Option<String>, Query, nullable = false, description = r#"Where to read from: `current` (the active profile; also when empty or missing), `default` (the seeded default profile), `profile:NAME` (a named profile) or `device` (a live read of the device). Anything else answers 422 with `field` = `source`."#, example = json!("profile:summer")),
    ),
    responses(
        (status = 200, description = r#"The limits and where they came from."#, body = Recalled, content_type = "application/json", example = json!({"source": "profile:summer", "profile": "summer", "version": 4, "protections": {"soc": {"max": {"hysteresis": 0.5, "warning": {"threshold": 95, "on_duration": 30, "off_duration": 60, "enabled": true}, "alert": {"threshold": 98, "on_duration": 10, "off_duration": 60, "enabled": true}}, "min": {"hysteresis": 0.5, "warning": {"threshold": 10, "on_duration": 30, "off_duration": 60, "enabled": true}, "fault": {"threshold": 2, "on_duration": 1, "off_duration": 60, "enabled": false}}}}, "console_only": ["soc.max.warning.on_duration"], "read_errors": []})),
        MalformedRequest,
        (status = 404, description = r#"Not found: the named profile does not exist (or there is no active or default profile)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: no protection profile named \"winter\""})),
        (status = 422, description = r#"Unprocessable: `source` is none of `current`, `default`, `profile:NAME`, `device` (title `Invalid input`, `field` = `source`)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": "expected current, default, profile:NAME or device", "field": "source"})),
        DatabaseFailed,
    )
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/protections",
    operation_id = "saveProtections",
    tag = "Protections",
    summary = r#"Save protection limits to a profile"#,
    description = r#"Validates the set against what the registry knows, then replaces all limits of the named profile (`profile`; missing or null: the active one) with it, in one transaction; the profile's `version` goes up by one. Nothing is written to the device and the alarm engine keeps the deployed limits: deploy with POST /api/v1/protections/deploy. The body is the original prototype's payload, accepted unchanged: a missing side or level is not configured, a missing `hysteresis`, `on_duration` or `off_duration` is 0, a missing `enabled` is true; unknown keys at the top level are ignored. A missing `protections` is an empty set, which clears the profile's limits."#,
    params(
        WriterHeaders,
    ),
    request_body(content = ProtectionsPayload, example = json!({"profile": "summer", "protections": {"soc": {"max": {"hysteresis": 0.5, "warning": {"threshold": 95, "on_duration": 30, "off_duration": 60, "enabled": true}, "alert": {"threshold": 98, "on_duration": 10, "off_duration": 60, "enabled": true}}, "min": {"hysteresis": 0.5, "warning": {"threshold": 10, "on_duration": 30, "off_duration": 60, "enabled": true}, "fault": {"threshold": 2, "on_duration": 1, "off_duration": 60, "enabled": false}}}}})),
    responses(
        (status = 200, description = r#"Saved: the profile with its new `version`."#, body = ProfileSummary, content_type = "application/json", example = json!({"id": 2, "name": "summer", "description": "Tighter SoC band for hot months", "is_default": false, "active": true, "version": 4, "updated_at": "2025-06-01T08:30:00+00:00", "updated_by": "alice"})),
        MalformedBody,
        (status = 404, description = r#"Not found: no profile has the name in `profile` (or, without one, no profile is active)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: no protection profile named \"winter\""})),
        TooLarge,
        NotJson,
        (status = 422, description = r#"Unprocessable: either the body does not fit the schema (a wrong type, a missing `threshold`, an unknown key inside a quantity, side or level such as `treshold`; title `Invalid request body`, no `field`), or the limits break a rule (title `Invalid input`, `field` is the most specific field path, e.g. `soc.max.alert.threshold`, `soc.max.hysteresis`, or just `soc` for a quantity the registry does not know; when several rules are broken, `detail` is the first one followed by `(and N more problems)`). The rules: every quantity is known to the registry; thresholds, delays and hysteresis are finite, delays and hysteresis not negative; thresholds lie inside what the holding register can represent; among the enabled levels of a side severity grows outwards (max: warning < alert < fault; min: warning > alert > fault); the hysteresis is at most the gap between consecutive enabled levels and leaves every recovery point inside the range; the least severe enabled min threshold is below the least severe enabled max threshold. Nothing is saved."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": "High alert 94 % must be above high warning 95 % (and 1 more problem)", "field": "soc.max.alert.threshold"})),
        DatabaseFailed,
    )
)]
async fn save(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Json<ProfileSummary>> {
    let payload = json_body::<ProtectionsPayload>(body)?;
    let who = actor(&caller, &headers);
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
#[utoipa::path(
    post,
    path = "/api/v1/protections/deploy",
    operation_id = "deployProtections",
    tag = "Protections",
    summary = r#"Save protection limits and deploy them to the device"#,
    description = r#"Saves exactly as POST /api/v1/protections (validated; the profile's `version` goes up by one), then writes the set to the device and records a deployment. Fields no device variable holds are kept in the console only (`console_only`). Every written field's current value is read first (an unreachable, unreadable or unencodable field stops the deploy before anything is written); only values that differ from the device are written (the others are `unchanged`); everything written is read back and compared. On a write failure or read-back mismatch the previous values are written back (retried) and checked, so the device holds what it held before unless the message says `NOT restored`. The saved profile stays saved whatever the outcome; only after a successful deploy does the alarm engine evaluate the new limits. Same body as the save, plus `racks` on a multi-rack site: the racks whose limits are written (missing or null: every rack the limits' device variables have paths for), each through that rack's best writable path (its own paths and the all-racks paths, highest priority first); a register every rack shares is written once. An empty `racks` answers 422 (`field` = `racks`) and saves nothing."#,
    params(
        WriterHeaders,
    ),
    request_body(content = DeployRequest, example = json!({"profile": "summer", "racks": [1, 2], "protections": {"soc": {"max": {"hysteresis": 0.5, "warning": {"threshold": 95, "on_duration": 30, "off_duration": 60, "enabled": true}, "alert": {"threshold": 98, "on_duration": 10, "off_duration": 60, "enabled": true}}, "min": {"hysteresis": 0.5, "warning": {"threshold": 10, "on_duration": 30, "off_duration": 60, "enabled": true}, "fault": {"threshold": 2, "on_duration": 1, "off_duration": 60, "enabled": false}}}}})),
    responses(
        (status = 200, description = r#"Deployed: the deployment (`summary.status` = `succeeded`) with every field's outcome."#, body = DeploymentDetail, content_type = "application/json", example = json!({"summary": {"id": 7, "profile": "summer", "profile_version": 4, "system_version": 1290, "status": "succeeded", "message": "", "started_at": "2025-06-01T08:30:01+00:00", "finished_at": "2025-06-01T08:30:02+00:00", "deployed_by": "alice", "written": 1, "failed": 0}, "fields": [{"path": "soc.max.hysteresis", "device_variable": "soc_max_hyst", "intended": 0.5, "before": 2, "written": 0.5, "read_back": 0.5, "status": "written", "error": null}, {"path": "soc.max.warning.threshold", "device_variable": "soc_max_warning", "intended": 95, "before": 95, "written": null, "read_back": 95, "status": "unchanged", "error": null}, {"path": "soc.max.warning.on_duration", "device_variable": null, "intended": 30, "before": null, "written": null, "read_back": null, "status": "console_only", "error": null}]})),
        MalformedBody,
        (status = 404, description = r#"Not found: no profile has the name in `profile` (or, without one, no profile is active). Nothing is saved."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: no protection profile named \"winter\""})),
        TooLarge,
        NotJson,
        (status = 422, description = r#"Unprocessable: either the body does not fit the schema (a wrong type, a missing `threshold`, an unknown key inside a quantity, side or level such as `treshold`; title `Invalid request body`, no `field`), or the limits break a rule (title `Invalid input`, `field` is the most specific field path, e.g. `soc.max.alert.threshold`, `soc.max.hysteresis`, or just `soc` for a quantity the registry does not know; when several rules are broken, `detail` is the first one followed by `(and N more problems)`). The rules: every quantity is known to the registry; thresholds, delays and hysteresis are finite, delays and hysteresis not negative; thresholds lie inside what the holding register can represent; among the enabled levels of a side severity grows outwards (max: warning < alert < fault; min: warning > alert > fault); the hysteresis is at most the gap between consecutive enabled levels and leaves every recovery point inside the range; the least severe enabled min threshold is below the least severe enabled max threshold. Nothing is saved. A deploy refused by the check that runs before anything is sent (a value the register cannot hold exactly, such as 0.5 in an integer register; a field with no writable path; no field configuration) also answers 422, with title `Deploy refused`, `detail` saying why, and the extension member `deployment` (a `DeploymentDetail`, status `failed`); nothing was written to the device."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": "High alert 94 % must be above high warning 95 % (and 1 more problem)", "field": "soc.max.alert.threshold"})),
        DatabaseFailed,
        (status = 502, description = r#"Deploy failed: the limits were saved and the deployment recorded (status `failed`), but the device could not take them (it did not answer, or a write or its read-back failed). Title `Deploy failed`; `detail` is the deployment's `message` (which field failed and why, and whether the previous values were restored); the extension member `deployment` holds the whole deployment (a `DeploymentDetail`) with every field's outcome."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Deploy failed", "status": 502, "detail": "soc.max.hysteresis: read back 2, expected 0.5; the previous values were restored", "deployment": {"summary": {"id": 8, "profile": "summer", "profile_version": 5, "system_version": 1290, "status": "failed", "message": "soc.max.hysteresis: read back 2, expected 0.5; the previous values were restored", "started_at": "2025-06-01T09:00:01+00:00", "finished_at": "2025-06-01T09:00:03+00:00", "deployed_by": "alice", "written": 0, "failed": 1}, "fields": [{"path": "soc.max.hysteresis", "device_variable": "soc_max_hyst", "intended": 0.5, "before": 2, "written": 0.5, "read_back": 2, "status": "failed", "error": "read back 2, expected 0.5"}, {"path": "soc.max.warning.threshold", "device_variable": "soc_max_warning", "intended": 96, "before": 95, "written": 96, "read_back": 96, "status": "restored", "error": null}]}})),
    )
)]
async fn deploy_now(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Response> {
    let request = json_body::<DeployRequest>(body)?;
    let who = actor(&caller, &headers);
    let Deployed { outcome, detail } = service::save_and_deploy_to_racks(
        &state.db,
        &state.field,
        &state.protections,
        request.profile.as_deref(),
        &request.protections,
        request.racks.as_deref(),
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

#[utoipa::path(
    get,
    path = "/api/v1/protections/profiles",
    operation_id = "listProtectionProfiles",
    tag = "Protections",
    summary = r#"List protection profiles"#,
    description = r#"Every profile without its limits: the default profile first, then by name."#,
    responses(
        (status = 200, description = r#"The profiles."#, body = Vec<ProfileSummary>, content_type = "application/json", example = json!([{"id": 2, "name": "summer", "description": "Tighter SoC band for hot months", "is_default": false, "active": true, "version": 4, "updated_at": "2025-06-01T08:30:00+00:00", "updated_by": "alice"}])),
        DatabaseFailed,
    )
)]
async fn list_profiles(State(state): State<AppState>) -> ApiResult<Json<Vec<ProfileSummary>>> {
    Ok(Json(profiles::list(&state.db).await?))
}

/// A new protection profile. Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewProfile {
    /// 1 to 64 letters, digits, spaces, `_`, `-` or `.`, not only spaces; not taken.
    name: String,
    /// Missing: empty.
    #[serde(default)]
    description: String,
    /// Copy this profile's limits; missing or null: start empty.
    clone_from: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/protections/profiles",
    operation_id = "createProtectionProfile",
    tag = "Protections",
    summary = r#"Create a protection profile"#,
    description = r#"Creates an inactive profile (version 1), empty or with a copy of `clone_from`'s limits. Activate it with POST /api/v1/protections/profiles/{name}/activate."#,
    params(
        WriterHeaders,
    ),
    request_body(content = NewProfile, example = json!({"name": "summer", "description": "Tighter SoC band for hot months", "clone_from": "default"})),
    responses(
        (status = 201, description = r#"Created: the new profile."#, body = ProfileSummary, content_type = "application/json", example = json!({"id": 2, "name": "summer", "description": "Tighter SoC band for hot months", "is_default": false, "active": false, "version": 1, "updated_at": "2025-06-01T08:00:00+00:00", "updated_by": "alice"})),
        MalformedBody,
        (status = 404, description = r#"Not found: no profile has the name in `clone_from`."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: no protection profile named \"winter\""})),
        TooLarge,
        NotJson,
        (status = 422, description = r#"Unprocessable: either the body does not fit the schema (a missing `name`, an unknown field, a wrong type; title `Invalid request body`, no `field`), or `name` (title `Invalid input`, `field` = `name`) is not 1 to 64 letters, digits, spaces, `_`, `-` or `.`, or a profile with this name exists already (422, not 409)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": "a profile named \"summer\" exists already", "field": "name"})),
        DatabaseFailed,
    )
)]
async fn create_profile(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Response> {
    let new = json_body::<NewProfile>(body)?;
    let who = actor(&caller, &headers);
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

#[utoipa::path(
    get,
    path = "/api/v1/protections/profiles/{name}",
    operation_id = "getProtectionProfile",
    tag = "Protections",
    summary = r#"Read a protection profile with its limits"#,
    description = r#"The profile and the limits saved in it."#,
    params(
        ("name" = String, Path, description = r#"The profile's name: 1 to 64 letters, digits, spaces, `_`, `-` or `.` (percent-encode spaces)."#, example = json!("summer")),
    ),
    responses(
        (status = 200, description = r#"The profile and its limits."#, body = ProfileWithLimits, content_type = "application/json", example = json!({"profile": {"id": 2, "name": "summer", "description": "Tighter SoC band for hot months", "is_default": false, "active": true, "version": 4, "updated_at": "2025-06-01T08:30:00+00:00", "updated_by": "alice"}, "protections": {"soc": {"max": {"hysteresis": 0.5, "warning": {"threshold": 95, "on_duration": 30, "off_duration": 60, "enabled": true}, "alert": {"threshold": 98, "on_duration": 10, "off_duration": 60, "enabled": true}}, "min": {"hysteresis": 0.5, "warning": {"threshold": 10, "on_duration": 30, "off_duration": 60, "enabled": true}, "fault": {"threshold": 2, "on_duration": 1, "off_duration": 60, "enabled": false}}}}})),
        NoSuchProfile,
        DatabaseFailed,
    )
)]
async fn get_profile(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<ProfileWithLimits>> {
    let (profile, protections) = profiles::load(&state.db, Some(&name)).await?;
    Ok(Json(ProfileWithLimits {
        profile,
        protections,
    }))
}

/// A change of a profile's name and/or description; absent or null = unchanged. Unknown fields
/// are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ProfileChange {
    /// The new name (not for the default profile).
    name: Option<String>,
    description: Option<String>,
}

#[utoipa::path(
    patch,
    path = "/api/v1/protections/profiles/{name}",
    operation_id = "updateProtectionProfile",
    tag = "Protections",
    summary = r#"Rename a protection profile or change its description"#,
    description = r#"Changes the fields present in the body (absent or null = unchanged; a `name` equal to the current one is no rename). The profile's `version` (of its limits) stays; `updated_at` and `updated_by` are set. The default profile keeps its name. Deployments already recorded keep the old name."#,
    params(
        ("name" = String, Path, description = r#"The profile's name: 1 to 64 letters, digits, spaces, `_`, `-` or `.` (percent-encode spaces)."#, example = json!("summer")),
        WriterHeaders,
    ),
    request_body(content = ProfileChange, example = json!({"name": "summer-2025", "description": "Tighter SoC band, June to August"})),
    responses(
        (status = 200, description = r#"The profile after the change."#, body = ProfileSummary, content_type = "application/json"),
        MalformedBody,
        NoSuchProfile,
        TooLarge,
        NotJson,
        (status = 422, description = r#"Unprocessable: either the body does not fit the schema (an unknown field, a wrong type; title `Invalid request body`, no `field`), or the new `name` (title `Invalid input`, `field` = `name`) is not a profile name, is taken by another profile, or would rename the default profile."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": "the default profile keeps its name", "field": "name"})),
        DatabaseFailed,
    )
)]
async fn update_profile(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Json<ProfileSummary>> {
    let change = json_body::<ProfileChange>(body)?;
    let who = actor(&caller, &headers);
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

#[utoipa::path(
    delete,
    path = "/api/v1/protections/profiles/{name}",
    operation_id = "deleteProtectionProfile",
    tag = "Protections",
    summary = r#"Delete a protection profile"#,
    description = r#"Deletes the profile with its limits (recorded deployments stay, with its name). Neither the default profile nor the active one can be deleted. No body; the actor headers are not read."#,
    params(
        ("name" = String, Path, description = r#"The profile's name: 1 to 64 letters, digits, spaces, `_`, `-` or `.` (percent-encode spaces)."#, example = json!("summer")),
    ),
    responses(
        (status = 204, description = r#"Deleted; no body."#),
        NoSuchProfile,
        (status = 422, description = r#"Unprocessable (title `Invalid input`, `field` = `name`): it is the default profile, or the active one (activate another one first)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": "\"summer\" is the active profile: activate another one first", "field": "name"})),
        DatabaseFailed,
    )
)]
async fn delete_profile(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    profiles::delete(&state.db, &name, &actor(&caller, &headers)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/protections/profiles/{name}/activate",
    operation_id = "activateProtectionProfile",
    tag = "Protections",
    summary = r#"Make a protection profile the active one"#,
    description = r#"Makes this profile the one active profile (the previous one becomes inactive), in one transaction. The active profile is what `source=current` recalls and what a save or deploy without `profile` writes to. Nothing is written to the device and the alarm engine keeps the deployed limits: deploy to apply them. No body."#,
    params(
        ("name" = String, Path, description = r#"The profile's name: 1 to 64 letters, digits, spaces, `_`, `-` or `.` (percent-encode spaces)."#, example = json!("summer")),
        WriterHeaders,
    ),
    responses(
        (status = 200, description = r#"The profile, now `active: true`."#, body = ProfileSummary, content_type = "application/json", example = json!({"id": 2, "name": "summer", "description": "Tighter SoC band for hot months", "is_default": false, "active": true, "version": 4, "updated_at": "2025-06-01T08:30:00+00:00", "updated_by": "alice"})),
        NoSuchProfile,
        DatabaseFailed,
    )
)]
async fn activate_profile(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<ProfileSummary>> {
    let who = actor(&caller, &headers);
    Ok(Json(profiles::activate(&state.db, &name, &who).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/protections/deployments",
    operation_id = "listProtectionDeployments",
    tag = "Protections",
    summary = r#"Deployment history"#,
    description = r#"The latest 100 deployments, newest first, without their fields."#,
    responses(
        (status = 200, description = r#"The deployments."#, body = Vec<DeploymentSummary>, content_type = "application/json", example = json!([{"id": 8, "profile": "summer", "profile_version": 5, "system_version": 1290, "status": "failed", "message": "soc.max.hysteresis: read back 2, expected 0.5; the previous values were restored", "started_at": "2025-06-01T09:00:01+00:00", "finished_at": "2025-06-01T09:00:03+00:00", "deployed_by": "alice", "written": 0, "failed": 1}, {"id": 7, "profile": "summer", "profile_version": 4, "system_version": 1290, "status": "succeeded", "message": "", "started_at": "2025-06-01T08:30:01+00:00", "finished_at": "2025-06-01T08:30:02+00:00", "deployed_by": "alice", "written": 1, "failed": 0}])),
        DatabaseFailed,
    )
)]
async fn deployments(State(state): State<AppState>) -> ApiResult<Json<Vec<DeploymentSummary>>> {
    Ok(Json(deploy::history(&state.db, 100).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/protections/deployments/{id}",
    operation_id = "getProtectionDeployment",
    tag = "Protections",
    summary = r#"One deployment with every field's outcome"#,
    description = r#"The deployment and, per field, the intended value, what the device held before, what was written, what was read back, the outcome and the error."#,
    params(
        ("id" = i64, Path, description = r#"The deployment's id (`DeploymentSummary.id`). A value that is not a 64-bit integer answers 400 in plain text."#, example = json!(7)),
    ),
    responses(
        (status = 200, description = r#"The deployment."#, body = DeploymentDetail, content_type = "application/json", example = json!({"summary": {"id": 7, "profile": "summer", "profile_version": 4, "system_version": 1290, "status": "succeeded", "message": "", "started_at": "2025-06-01T08:30:01+00:00", "finished_at": "2025-06-01T08:30:02+00:00", "deployed_by": "alice", "written": 1, "failed": 0}, "fields": [{"path": "soc.max.hysteresis", "device_variable": "soc_max_hyst", "intended": 0.5, "before": 2, "written": 0.5, "read_back": 0.5, "status": "written", "error": null}, {"path": "soc.max.warning.threshold", "device_variable": "soc_max_warning", "intended": 95, "before": 95, "written": null, "read_back": 95, "status": "unchanged", "error": null}, {"path": "soc.max.warning.on_duration", "device_variable": null, "intended": 30, "before": null, "written": null, "read_back": null, "status": "console_only", "error": null}]})),
        (status = 400, description = r#"Bad request: the `id` is not an integer; answered in `text/plain` (axum's path rejection), not as problem+json."#),
        (status = 404, description = r#"Not found: no deployment has this id."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: no deployment 99"})),
        DatabaseFailed,
    )
)]
async fn deployment(
    State(state): State<AppState>,
    path: Result<Path<i64>, PathRejection>,
) -> ApiResult<Json<DeploymentDetail>> {
    let id = path_params(path)?;
    Ok(Json(deploy::detail(&state.db, id).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/alarms",
    operation_id = "listAlarmStates",
    tag = "Alarms",
    summary = r#"Live alarm states"#,
    description = r#"Every enabled level of the deployed limits as the alarm engine sees it now: active first, then recovering, pending and normal; within a state the more severe level first, then by quantity. Empty while the engine is not running. Never fails."#,
    responses(
        (status = 200, description = r#"The alarm levels."#, body = Vec<AlarmRow>, content_type = "application/json", example = json!([{"variable": "soc", "side": "max", "level": "warning", "threshold": 95, "state": "active", "since_ms": 42000, "remaining_ms": null, "value": 96.2, "acknowledged": false}])),
    )
)]
async fn alarm_states(State(state): State<AppState>) -> Json<Vec<AlarmRow>> {
    Json(state.protections.states())
}

#[utoipa::path(
    get,
    path = "/api/v1/alarms/stream",
    operation_id = "alarmCountsStream",
    tag = "Alarms",
    summary = r#"Alarm counts as server-sent events"#,
    description = r#"A `text/event-stream` of the raised levels (active or recovering) by severity: an event named `alarms` at once, then one whenever the counts change (checked every second). Its data is four numbers separated by spaces: warnings, alerts, faults, and how many of them no operator has acknowledged (`1 0 0 1`). Comments keep the connection alive; the stream ends when the server shuts down (or at once, after its first event, while the alarm engine is not running; each event asks the browser to wait 30 s before reconnecting then). The console's header follows it on every page."#,
    responses(
        (status = 200, description = r#"The event stream."#, body = String, content_type = "text/event-stream", example = json!("event: alarms\nretry: 30000\ndata: 1 0 0 1\n\n")),
    )
)]
async fn alarm_stream(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let protections = state.protections.clone();
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let event = |counts: AlarmCounts| {
        Event::default()
            .event("alarms")
            .retry(Duration::from_secs(30))
            .data(counts.to_string())
    };
    let events = stream::unfold(
        (ticks, protections, None::<AlarmCounts>),
        move |(mut ticks, protections, last)| async move {
            // The first event goes out at once, the others when the counts change.
            let Some(last) = last else {
                let counts = protections.counts();
                return Some((Ok(event(counts)), (ticks, protections, Some(counts))));
            };
            loop {
                tokio::select! {
                    // Ending the stream at shutdown lets the graceful shutdown finish.
                    () = protections.stopped() => return None,
                    _ = ticks.tick() => {
                        let counts = protections.counts();
                        if counts != last {
                            return Some((Ok(event(counts)), (ticks, protections, Some(counts))));
                        }
                    }
                }
            }
        },
    );
    Sse::new(events).keep_alive(KeepAlive::default())
}

#[utoipa::path(
    get,
    path = "/api/v1/alarms/journal",
    operation_id = "alarmJournal",
    tag = "Alarms",
    summary = r#"Alarm journal"#,
    description = r#"The latest 200 journal lines (raised, cleared, acknowledged), newest first."#,
    responses(
        (status = 200, description = r#"The journal lines."#, body = Vec<JournalEntry>, content_type = "application/json", example = json!([{"id": 13, "at": "2025-06-01T09:12:40+00:00", "variable": "soc", "side": "max", "level": "warning", "event": "acknowledged", "value": 96.2, "threshold": 95, "actor": "alice"}, {"id": 12, "at": "2025-06-01T09:11:58+00:00", "variable": "soc", "side": "max", "level": "warning", "event": "raised", "value": 95.4, "threshold": 95, "actor": null}])),
        DatabaseFailed,
    )
)]
async fn alarm_journal(State(state): State<AppState>) -> ApiResult<Json<Vec<JournalEntry>>> {
    Ok(Json(alarms::journal(&state.db, 200).await?))
}

/// Which raised level to acknowledge. Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AlarmAcknowledgement {
    /// The protected quantity, e.g. `soc`.
    variable: String,
    side: Side,
    level: Level,
}

/// A profile and the limits saved in it.
#[derive(Serialize, ToSchema)]
pub(super) struct ProfileWithLimits {
    profile: ProfileSummary,
    protections: ProtectionSet,
}

#[utoipa::path(
    post,
    path = "/api/v1/alarms/acknowledge",
    operation_id = "acknowledgeAlarm",
    tag = "Alarms",
    summary = r#"Acknowledge a raised alarm"#,
    description = r#"An operator acknowledges one raised level (state `active` or `recovering`): its row shows `acknowledged: true` and the journal records an `acknowledged` line with the value, the threshold and the user."#,
    params(
        WriterHeaders,
    ),
    request_body(content = AlarmAcknowledgement, example = json!({"variable": "soc", "side": "max", "level": "warning"})),
    responses(
        (status = 204, description = r#"Acknowledged; no body."#),
        MalformedBody,
        (status = 404, description = r#"Not found: the alarm engine has no such enabled level."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: no alarm level soc.max.fault"})),
        TooLarge,
        NotJson,
        (status = 422, description = r#"Unprocessable: either the body does not fit the schema (a missing or unknown field, a `side` or `level` that is not one of the enum values; title `Invalid request body`, no `field`), or the level is not raised (title `Invalid input`, `field` = `variable.side.level`)."#, body = ProblemBody, content_type = "application/problem+json", example = json!({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": "is not raised, so there is nothing to acknowledge", "field": "soc.max.warning"})),
        DatabaseFailed,
    )
)]
async fn acknowledge(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let request = json_body::<AlarmAcknowledgement>(body)?;
    let who = actor(&caller, &headers);
    state
        .protections
        .acknowledge(
            &state.db,
            &request.variable,
            request.side,
            request.level,
            &who,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
