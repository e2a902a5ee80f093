//! The prototype's protections routes (seed 001): save, recall `current`/`default`, deploy,
//! with its payload and its `{"ok": true, "profile", "message"}` answers. The work is done by
//! `services::protections::prototype`; a failed deploy answers FastAPI's `{"detail": ...}` with
//! the status and detail `/api/v1` gives it (422 refused before sending, 502 device failure).

use app::ssr::state::AppState;
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use model::protections::prototype::{
    ProtectionConfigIn, ProtectionsOk, PrototypeRecall, PrototypeSource,
};
use model::prototype::{
    LocationPart, PrototypeErrorBody, PrototypeValidationBody, PrototypeValidationIssue,
};
use serde::Serialize;
use serde_json::Value;
use services::auth::Caller;
use services::protections::deploy::DeployOutcome;
use services::protections::prototype::{self as protections, PrototypeError as ServiceError};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{
    BodyReader, PrototypeError, PrototypeResult, TAG, TOO_LARGE, body_bytes, query_pairs,
    value_error,
};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(recall, save))
        .routes(routes!(deploy))
}

/// A 422 of the prototype's protections routes: the problems of the payload (a list, as FastAPI
/// reports validation), or a refused deploy's one-line detail (as FastAPI's `HTTPException`).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Documents the two 422 bodies; answered by `PrototypeError`.
pub(crate) enum ProtectionsUnprocessable {
    Problems(PrototypeValidationBody),
    Refused(PrototypeErrorBody),
}

/// How a protections service error answers.
fn answer(error: ServiceError) -> PrototypeError {
    match error {
        ServiceError::Invalid(problems) => PrototypeError::Invalid(
            problems
                .iter()
                .map(|problem| value_error(&problem.field, &problem.message))
                .collect(),
        ),
        ServiceError::Deploy {
            outcome,
            deployment,
        } => {
            let status = match outcome {
                DeployOutcome::Refused => StatusCode::UNPROCESSABLE_ENTITY,
                DeployOutcome::DeviceFailed | DeployOutcome::Succeeded => StatusCode::BAD_GATEWAY,
            };
            PrototypeError::Detail(status, deployment.summary.message)
        }
        ServiceError::App(error) => PrototypeError::from(error),
    }
}

/// The payload as the prototype's pydantic model reads it: `protections` an object of objects
/// (required), `profile` a string or null; the rest is checked by the service, every problem
/// with its path.
fn payload(bytes: &[u8]) -> PrototypeResult<ProtectionConfigIn> {
    let mut body = BodyReader::parse(bytes)?;
    body.string("profile");
    let protections = body.value("protections").cloned();
    if protections.as_ref().is_some_and(|p| !p.is_object()) {
        return Err(PrototypeError::Invalid(vec![
            PrototypeValidationIssue::new(
                vec![
                    LocationPart::from("body"),
                    LocationPart::from("protections"),
                ],
                "dict_type",
                "Input should be a valid dictionary",
            ),
        ]));
    }
    body.require("protections", protections);
    let object = body.finish_into_object()?;
    serde_json::from_value(Value::Object(object)).map_err(|e| {
        PrototypeError::Invalid(vec![PrototypeValidationIssue::new(
            vec![
                LocationPart::from("body"),
                LocationPart::from("protections"),
            ],
            "value_error",
            format!("Value error, {e}"),
        )])
    })
}

#[utoipa::path(
    get,
    path = "/api/protections",
    operation_id = "prototypeRecallProtections",
    tag = TAG,
    summary = r#"Recall protections (prototype)"#,
    description = r#"The limits of the active profile (`source=current`, the default) or the factory defaults (`source=default`), in the prototype's shape: `protections[quantity][max|min]` = `{hysteresis, warning, alert, fault}`, each level `{threshold, on_duration, off_duration, enabled}`, in engineering units."#,
    params(
        ("source" = Option<String>, Query, nullable = false, pattern = r"^(current|default)?$", description = r#"`current` (the default, also when empty) or `default`."#),
    ),
    responses(
        (status = 200, description = r#"The limits."#, body = PrototypeRecall, content_type = "application/json"),
        (status = 400, description = r#"The query string could not be split into names and values."#, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 422, description = r#"`source` is neither `current` nor `default`."#, body = PrototypeValidationBody, content_type = "application/json", example = json!({"detail": [{"loc": ["query", "source"], "msg": "Input should be 'current' or 'default'", "type": "enum"}]})),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
async fn recall(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> PrototypeResult<Json<PrototypeRecall>> {
    let query = query_pairs(query)?;
    let source = match query.text("source") {
        None => PrototypeSource::Current,
        Some(text) => PrototypeSource::parse(&text).ok_or_else(|| {
            PrototypeError::Invalid(vec![PrototypeValidationIssue::new(
                vec![LocationPart::from("query"), LocationPart::from("source")],
                "enum",
                "Input should be 'current' or 'default'",
            )])
        })?,
    };
    query.finish()?;
    Ok(Json(
        protections::recall(&state.db, &state.protections, source).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/protections",
    operation_id = "prototypeSaveProtections",
    tag = TAG,
    summary = r#"Save protections (prototype)"#,
    description = r#"Saves the posted limits into the named profile (`profile`, which must exist) or the active one, as its next version; nothing is written to the device. Only what the payload names changes (a posted level replaces that level, a posted `hysteresis` that side's hysteresis); the rest of the profile is kept. The result is validated as every save is. The writer is the token's (or session's) name; `X-Powerdeck-Source` names the system it writes from."#,
    request_body(content = ProtectionConfigIn, content_type = "application/json", example = json!({"protections": {"soc": {"max": {"hysteresis": 0.5, "warning": {"threshold": 95, "on_duration": 30, "off_duration": 60, "enabled": true}}}}})),
    responses(
        (status = 200, description = r#"Saved."#, body = ProtectionsOk, content_type = "application/json", example = json!({"ok": true, "profile": "default", "message": "Protections saved"})),
        (status = 404, description = r#"The named profile does not exist."#, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 409, description = r#"Other saves kept changing the profile while this one retried."#, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 413, description = TOO_LARGE, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 422, description = r#"The body is missing, not JSON or not an object, `protections` is missing or not an object, or the limits break a rule or name unknown quantities, sides, levels or keys: every problem, with its path (`["body", "protections", "soc", "max", "warning", "threshold"]`). Nothing was saved."#, body = PrototypeValidationBody, content_type = "application/json"),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
async fn save(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> PrototypeResult<Json<ProtectionsOk>> {
    let config = payload(&body_bytes(body)?)?;
    protections::save(
        &state.db,
        &state.field,
        &state.protections,
        &config,
        &crate::rest::actor(&caller, &headers),
    )
    .await
    .map(Json)
    .map_err(answer)
}

#[utoipa::path(
    post,
    path = "/api/protections/deploy",
    operation_id = "prototypeDeployProtections",
    tag = TAG,
    summary = r#"Save and deploy protections (prototype)"#,
    description = r#"Saves as `POST /api/protections` does, then writes the posted fields (and no others) to the device with the same deploy as `/api/v1`: refused before anything is sent when a register cannot hold a value exactly, read back and compared, the previous values restored on failure, recorded in the deployment history. The limits stay saved when the deploy fails."#,
    request_body(content = ProtectionConfigIn, content_type = "application/json", example = json!({"protections": {"soc": {"max": {"hysteresis": 0.5, "warning": {"threshold": 95, "on_duration": 30, "off_duration": 60, "enabled": true}}}}})),
    responses(
        (status = 200, description = r#"Saved and deployed."#, body = ProtectionsOk, content_type = "application/json", example = json!({"ok": true, "profile": "default", "message": "Protections deployed"})),
        (status = 404, description = r#"The named profile does not exist."#, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 409, description = r#"Other saves kept changing the profile while this one retried, or a posted field has no data source in the field configuration."#, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 413, description = TOO_LARGE, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 422, description = r#"The payload is invalid (a list of problems, as for a save; nothing was saved), or the deploy was refused before anything was sent (`{"detail": "..."}`, the detail `/api/v1` answers as `Deploy refused`; the limits are saved)."#, body = ProtectionsUnprocessable, content_type = "application/json"),
        (status = 502, description = r#"The device failed during the deploy: `detail` says which field and whether the previous values were restored (the detail `/api/v1` answers as `Deploy failed`); the limits are saved."#, body = PrototypeErrorBody, content_type = "application/json"),
        (status = 500, description = r#"The database reported an error."#, body = PrototypeErrorBody, content_type = "application/json"),
    )
)]
async fn deploy(
    Extension(caller): Extension<Caller>,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> PrototypeResult<Json<ProtectionsOk>> {
    let config = payload(&body_bytes(body)?)?;
    protections::deploy(
        &state.db,
        &state.field,
        &state.protections,
        &config,
        &crate::rest::actor(&caller, &headers),
    )
    .await
    .map(Json)
    .map_err(answer)
}
