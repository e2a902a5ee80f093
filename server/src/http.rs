//! The HTTP router: health probes, the Leptos pages and server functions, static files, and JSON
//! 404s under `/api/`.

use app::ssr::state::AppState;
use app::{App, shell};
use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde_json::json;
use services::system::schema_status;
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;

pub fn router(state: AppState) -> Router {
    // Compresses what benefits (HTML, JSON, server-function answers) with brotli or gzip as the
    // client accepts; server-sent events, images and already-encoded static files pass through.
    routes(state).layer(CompressionLayer::new())
}

fn routes(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context_state = state.clone();
    let shell_options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(crate::rest::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            move || shell(shell_options.clone()),
        )
        .fallback(fallback)
        .with_state(state)
}

/// Liveness: the process answers HTTP.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers and its schema is the one this build expects.
async fn readyz(State(state): State<AppState>) -> Response {
    if let Err(err) = state.db.ping().await {
        tracing::warn!(error = %err, "readiness: database unreachable");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not_ready", "database": "unreachable" })),
        )
            .into_response();
    }
    match schema_status(&state.db).await {
        Ok(schema) if schema.is_current() => Json(json!({
            "status": "ready",
            "database": "reachable",
            "schema": "current",
            "migrations_applied": schema.applied.len(),
        }))
        .into_response(),
        Ok(schema) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "not_ready",
                "database": "reachable",
                "schema": "pending",
                "pending": schema.pending,
            })),
        )
            .into_response(),
        Err(err) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({ "status": "not_ready", "database": "reachable", "error": err.to_string() }),
            ),
        )
            .into_response(),
    }
}

/// Unknown `/api/...` paths answer JSON; anything else is a static file (precompressed when the
/// browser accepts it) or the 404 page.
async fn fallback(uri: Uri, State(state): State<AppState>, req: Request<Body>) -> Response {
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
