//! The stable REST API under `/api/v1` (for scripts and other controllers): routes, RFC 9457
//! problem+json errors, `If-Match` handling and who-made-the-change headers.

mod audit;
pub(crate) mod docs;
mod field;
pub(crate) mod method_not_allowed;
mod protections;
pub mod prototype;
mod query_check;
mod registry;
mod responses;
mod site;
mod site_live;
mod users;

use app::ssr::state::AppState;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use model::error::AppError;
use serde_json::{Value, json};
use services::actor::Actor;
use services::auth::Caller;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every `/api/v1` route, each registered together with its OpenAPI operation: a route cannot
/// exist without its documentation.
pub fn router() -> Router<AppState> {
    let (router, document) = documented_routes().split_for_parts();
    let known = std::sync::Arc::new(query_check::KnownQueries::of(&document));
    router.route_layer(axum::middleware::from_fn_with_state(
        known,
        query_check::refuse_unknown_queries,
    ))
}

/// The routes and the OpenAPI document they make up (served at `/api/v1/openapi.json`).
pub fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(docs::ApiDoc::openapi())
        .merge(registry::routes())
        .merge(field::routes())
        .merge(protections::routes())
        .merge(site::routes())
        .merge(site_live::routes())
        .merge(audit::routes())
        .merge(users::routes())
        .merge(prototype::routes())
        .routes(routes!(docs::openapi))
        .routes(routes!(docs::page))
        .routes(routes!(crate::http::healthz))
        .routes(routes!(crate::http::readyz))
}

/// An error answered as `application/problem+json` (RFC 9457). Boxed: it travels in `Result`s.
#[derive(Debug)]
pub struct Problem(Box<ProblemDetails>);

#[derive(Debug)]
struct ProblemDetails {
    status: StatusCode,
    title: String,
    detail: String,
    field: Option<String>,
    /// Extra members, e.g. `current` (the variable as it is now) on a 409.
    extra: Option<(&'static str, Value)>,
}

impl Problem {
    pub fn new(status: StatusCode, title: impl Into<String>, detail: impl Into<String>) -> Self {
        Problem(Box::new(ProblemDetails {
            status,
            title: title.into(),
            detail: detail.into(),
            field: None,
            extra: None,
        }))
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    pub fn with(mut self, key: &'static str, value: Value) -> Self {
        self.0.extra = Some((key, value));
        self
    }
}

/// The HTTP status an error answers with, on `/api/v1` and on the prototype's routes alike.
pub(crate) fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Device(_) => StatusCode::BAD_GATEWAY,
        // The request conflicts with how this server is set up, not with a device.
        AppError::NotConfigured(_) => StatusCode::CONFLICT,
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) | AppError::ReauthenticationRequired(_) => StatusCode::FORBIDDEN,
        AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        AppError::Transport(_) => StatusCode::BAD_REQUEST,
    }
}

impl From<AppError> for Problem {
    fn from(err: AppError) -> Self {
        let status = status_of(&err);
        let (detail, field) = match &err {
            AppError::Validation { field, message } => (message.clone(), Some(field.clone())),
            // The title says the kind already.
            AppError::Unauthenticated(_)
            | AppError::Forbidden(_)
            | AppError::ReauthenticationRequired(_)
            | AppError::RateLimited(_) => (err.plain(), None),
            other => (other.to_string(), None),
        };
        Problem(Box::new(ProblemDetails {
            status,
            title: err.title().to_string(),
            detail,
            field,
            extra: None,
        }))
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let ProblemDetails {
            status,
            title,
            detail,
            field,
            extra,
        } = *self.0;
        let mut body = json!({
            "type": "about:blank",
            "title": title,
            "status": status.as_u16(),
            "detail": detail,
        });
        if let Some(field) = field {
            body["field"] = json!(field);
        }
        if let Some((key, value)) = extra {
            body[key] = value;
        }
        let mut response = (status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

/// The variable version the client last saw, from `If-Match: 3` or `If-Match: "3"`.
pub fn if_match(headers: &HeaderMap) -> Result<i64, Problem> {
    let value = headers.get(header::IF_MATCH).ok_or_else(|| {
        Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "If-Match required",
            "send If-Match: <variable_version> so that no update is lost",
        )
    })?;
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(|| Problem::bad_request("If-Match must be a variable version such as \"3\""))
}

/// Who is writing: the verified caller (token or session; an `X-Powerdeck-User` header is not
/// trusted), from the system named by `X-Powerdeck-Source` (default `rest`).
pub fn actor(caller: &Caller, headers: &HeaderMap) -> Actor {
    let source = headers
        .get("x-powerdeck-source")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or("rest");
    Actor::of(caller, source)
}
