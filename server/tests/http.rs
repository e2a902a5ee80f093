//! The HTTP router in-process: health probes, pages, the 404 page and JSON 404s under /api/.

mod common;

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
    let response = server::http::router(state.clone())
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
