//! The HTTP router: health probes, the Leptos pages and server functions, static files, and JSON
//! 404s under `/api/`.

use app::ssr::state::AppState;
use app::{App, shell};
use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::http::{Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde::Serialize;
use serde_json::json;
use services::system::schema_status;
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;
use utoipa::ToSchema;

/// The Content-Security-Policy of HTML documents that do not set their own (the API's docs
/// page, the 404 of a static file).
const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The router with `extra` routes that only some servers have (demo mode's), behind the same
/// access layer as every other route.
pub fn router_with(state: AppState, extra: Router) -> Router {
    routes(state.clone())
        .merge(extra)
        // A server function's expected error (invalid input, a conflict, not allowed) answers
        // its own status, not Leptos's blanket 500.
        .layer(axum::middleware::from_fn(server_function_status))
        // Who is calling and whether they may: before any route, page or file is reached.
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::access::guard,
        ))
        // Compresses what benefits (HTML, JSON, server-function answers) with brotli or gzip as
        // the client accepts; server-sent events, images and already-encoded static files pass
        // through.
        .layer(CompressionLayer::new())
        // No content-type sniffing on any response; on documents also the referrer only within
        // the console, no framing, and a Content-Security-Policy (see `security_headers`).
        .layer(axum::middleware::map_response(security_headers))
}

fn routes(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context_state = state.clone();
    let shell_options = state.leptos_options.clone();
    Router::new()
        // `/api/v1` and the probes, each route with its OpenAPI operation.
        .merge(crate::rest::router())
        // The prototype's routes again under `/vars_api`, the prefix its dashboard proxies.
        .merge(crate::rest::prototype::proxy_routes())
        // The login form and the header's sign-out button (the login page is a Leptos page).
        .route("/login", axum::routing::post(crate::access::login::login))
        .route("/logout", axum::routing::post(crate::access::login::logout))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            move || shell(shell_options.clone()),
        )
        .fallback(fallback)
        // A wrong method on a known API path answers a body in that API's error dialect.
        .layer(axum::middleware::from_fn(
            crate::rest::method_not_allowed::explain,
        ))
        // `GET /` with `Accept: application/json` is the prototype's service info.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::rest::prototype::answer_json_at_root,
        ))
        .with_state(state)
}

/// `X-Content-Type-Options: nosniff` on every response. On HTML documents also: the referrer
/// only within the console (a form posted without JavaScript is sent back to the page it came
/// from), no framing, and a Content-Security-Policy without inline scripts unless the page set
/// its own (the console's pages do, with the nonce of their hydration scripts:
/// `app::ContentSecurityPolicy`). Only documents: the policy governs the document that loads a
/// script or a WASM chunk, and on each of the first page's ~100 chunk responses these headers
/// would cost about 40 KB of its 400 KB budget.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let document = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    if document {
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DEFAULT_CSP),
            );
        }
    }
    response
}

/// Leptos answers every server function error with 500. The body is the `AppError` (JSON):
/// give the response the status that error has everywhere else (422 invalid input, 409 a
/// conflict, 403 not allowed, ...), so that only a bug is a 500 (issue 14).
async fn server_function_status(request: Request<Body>, next: axum::middleware::Next) -> Response {
    let is_function = crate::access::rules::is_server_function(request.uri().path());
    let response = next.run(request).await;
    if !is_function || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Error bodies are a message; anything larger is not one of ours.
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "unreadable error").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<model::error::AppError>(&bytes) {
        parts.status = crate::rest::status_of(&error);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The liveness answer: always `{"status": "ok"}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    /// Always `ok`.
    status: String,
}

/// The readiness answer, 200 when ready and 503 when not.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Readiness {
    status: ReadyState,
    database: DatabaseState,
    /// `current` when every migration is applied, `pending` when some are not; absent when the
    /// database is unreachable or the migration state could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<SchemaState>,
    /// When ready: how many migrations are applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    migrations_applied: Option<usize>,
    /// When the schema is pending: the migrations not yet applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pending: Option<Vec<String>>,
    /// When the migration state could not be read: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum ReadyState {
    Ready,
    NotReady,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum DatabaseState {
    Reachable,
    Unreachable,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum SchemaState {
    Current,
    Pending,
}

/// Liveness: the process answers HTTP.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "getHealth",
    tag = "Probes",
    summary = "Liveness probe",
    description = "Answers as long as the process serves HTTP; does not touch the database.",
    responses(
        (status = 200, description = "Alive.", body = Health, content_type = "application/json", example = json!({"status": "ok"})),
    )
)]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".to_string(),
    })
}

/// Readiness: the database answers and its schema is the one this build expects.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "getReadiness",
    tag = "Probes",
    summary = "Readiness probe",
    description = "Ready when the database answers and its schema is the one this build expects (no pending migrations).",
    responses(
        (status = 200, description = "Ready.", body = Readiness, content_type = "application/json", example = json!({"status": "ready", "database": "reachable", "schema": "current", "migrations_applied": 2})),
        (status = 503, description = "Not ready: the database is unreachable (`database: unreachable`), migrations are pending (`schema: pending` with the `pending` migrations), or the migration state could not be read (`error`).", body = Readiness, content_type = "application/json"),
    )
)]
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let not_ready =
        |readiness: Readiness| (StatusCode::SERVICE_UNAVAILABLE, Json(readiness)).into_response();
    let answer = Readiness {
        status: ReadyState::NotReady,
        database: DatabaseState::Reachable,
        schema: None,
        migrations_applied: None,
        pending: None,
        error: None,
    };
    if let Err(err) = state.db.ping().await {
        tracing::warn!(error = %err, "readiness: database unreachable");
        return not_ready(Readiness {
            database: DatabaseState::Unreachable,
            ..answer
        });
    }
    match schema_status(&state.db).await {
        Ok(schema) if schema.is_current() => Json(Readiness {
            status: ReadyState::Ready,
            schema: Some(SchemaState::Current),
            migrations_applied: Some(schema.applied.len()),
            ..answer
        })
        .into_response(),
        Ok(schema) => not_ready(Readiness {
            schema: Some(SchemaState::Pending),
            pending: Some(schema.pending),
            ..answer
        }),
        Err(err) => not_ready(Readiness {
            error: Some(err.to_string()),
            ..answer
        }),
    }
}

/// Unknown `/api/...` paths answer JSON; anything else is a static file (precompressed when the
/// browser accepts it) or the 404 page.
async fn fallback(uri: Uri, State(state): State<AppState>, req: Request<Body>) -> Response {
    if uri.path().starts_with(crate::rest::prototype::PROXY_PREFIX) {
        // Only the prototype's API lives under its proxy prefix: answer as FastAPI does.
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "detail": "Not Found" })),
        )
            .into_response();
    }
    if uri.path() == "/api" || uri.path().starts_with("/api/") {
        let message = format!("no API route at {} {}", req.method(), uri.path());
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "not_found", "message": message })),
        )
            .into_response();
    }
    let site_root = std::path::Path::new(state.leptos_options.site_root.as_ref());
    let static_request = Request::builder()
        .method(req.method())
        .uri(uri.clone())
        .body(Body::empty());
    if let Ok(mut static_request) = static_request {
        *static_request.headers_mut() = req.headers().clone();
        // ServeDir's error type is Infallible: every outcome is a response.
        let Ok(file) = crate::site::static_files(site_root, uri.path())
            .oneshot(static_request)
            .await;
        if file.status() != StatusCode::NOT_FOUND {
            return file.map(Body::new);
        }
    }
    let context_state = state.clone();
    let pages = leptos_axum::file_and_error_handler_with_context(
        move || provide_context(context_state.clone()),
        shell,
    );
    pages(uri, State(state), req).await
}
