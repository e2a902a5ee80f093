//! The HTTP router in-process: health probes, pages, the 404 page and JSON 404s under /api/.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use crate::common;
use app::ssr::state::AppState;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use migration::MigratorTrait;
use tower::ServiceExt;

async fn state(migrated: bool) -> (AppState, common::TestDb) {
    let test_db = common::sqlite().await;
    if migrated {
        services::database::migrate(&test_db.db).await.unwrap();
    }
    (common::app_state(&test_db), test_db)
}

async fn get(state: &AppState, path: &str) -> (StatusCode, String, String) {
    let response = crate::common::router(state.clone())
        .await
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = to_bytes(response.into_body(), 4 << 20).await.unwrap();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn healthz_answers_ok() {
    let (state, _db) = state(true).await;
    let (status, content_type, body) = get(&state, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("application/json"));
    assert_eq!(body, r#"{"status":"ok"}"#);
}

#[tokio::test]
async fn readyz_is_ready_only_when_the_schema_is_current() {
    let (state, _db) = state(false).await;
    let (status, _, body) = get(&state, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains(r#""schema":"pending""#), "{body}");

    services::database::migrate(&state.db).await.unwrap();
    let (status, _, body) = get(&state, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(r#""status":"ready""#), "{body}");
}

#[tokio::test]
async fn unknown_api_paths_answer_json_404() {
    let (state, _db) = state(true).await;
    let (status, content_type, body) = get(&state, "/api/v1/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], "not_found");
    assert_eq!(json["message"], "no API route at GET /api/v1/no-such-thing");
}

#[tokio::test]
async fn unknown_pages_render_the_404_page() {
    let (state, _db) = state(true).await;
    let (status, content_type, body) = get(&state, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(body.contains("Page not found"), "{body}");
    assert!(body.contains("Go to the overview"), "{body}");
}

#[tokio::test]
async fn the_overview_is_rendered_on_the_server_with_real_facts() {
    let (state, _db) = state(true).await;
    let (status, _, body) = get(&state, "/").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let migrations = migration::Migrator::migrations();
    let latest = migrations.last().unwrap().name();
    for expected in [
        "<h1 id=\"overview-title\">Overview</h1>",
        "SQLite",
        "data/test.db",
        latest,
        "System version",
        "Server uptime",
        "aria-current=\"page\"",
    ] {
        assert!(body.contains(expected), "missing {expected:?} in {body}");
    }
}

/// A site root with a fake bundle: `pkg/powerdeck.wasm` and a brotli twin written at build time.
fn site_with_bundle() -> tempfile::TempDir {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    for file in server::site::REQUIRED_FILES {
        std::fs::write(site.path().join(file), "plain bytes of the bundle").unwrap();
    }
    std::fs::write(site.path().join("pkg/powerdeck.js.br"), "brotli bytes").unwrap();
    site
}

async fn get_with(
    state: &AppState,
    path: &str,
    headers: &[(&str, &str)],
) -> axum::response::Response {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    crate::common::router(state.clone())
        .await
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn static_files_are_sent_precompressed_and_revalidated() {
    let (mut state, _db) = state(true).await;
    let site = site_with_bundle();
    state.leptos_options.site_root = site.path().to_string_lossy().into_owned().into();

    let response = get_with(
        &state,
        "/pkg/powerdeck.js",
        &[("accept-encoding", "gzip, br")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
    let last_modified = response.headers()[header::LAST_MODIFIED]
        .to_str()
        .unwrap()
        .to_string();
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    assert_eq!(&body[..], b"brotli bytes");

    // A client that accepts no encoding gets the plain file.
    let response = get_with(&state, "/pkg/powerdeck.js", &[]).await;
    assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    assert_eq!(&body[..], b"plain bytes of the bundle");

    // A second visit revalidates and transfers nothing for an unchanged file.
    let response = get_with(
        &state,
        "/pkg/powerdeck.js",
        &[("if-modified-since", &last_modified)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn pages_and_api_answers_are_compressed_when_the_client_accepts_it() {
    let (state, _db) = state(true).await;
    for path in ["/", "/api/v1/openapi.json"] {
        let response = get_with(&state, path, &[("accept-encoding", "br")]).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "br", "{path}");
        let response = get_with(&state, path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(
            response.headers()[header::CONTENT_ENCODING],
            "gzip",
            "{path}"
        );
    }
}
