//! The prototype API's figure for `powerdeck bench registry`: `GET /api/vars?limit=100&offset=
//! 50000` through the real router (target p50 ≤ 20 ms at 100,000 variables).

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

/// Requests measured; the median is printed.
const RUNS: usize = 50;
/// The offset the figure is named for; smaller registries use their middle instead.
const OFFSET: u64 = 50_000;
const LIMIT: u64 = 100;

/// Measures `GET /api/vars?limit=100&offset=50000` on `router` (a registry of `variables`
/// variables) and prints its p50, checking every answer is a full page at that offset.
pub async fn print_vars_offset_p50(router: &axum::Router, variables: usize) -> anyhow::Result<()> {
    let offset = OFFSET.min(variables as u64 / 2);
    let uri = format!("/api/vars?limit={LIMIT}&offset={offset}");
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        let response = router
            .clone()
            .oneshot(Request::get(&uri).body(Body::empty())?)
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "{uri} answered {}",
            response.status()
        );
        let bytes = axum::body::to_bytes(response.into_body(), 16 << 20).await?;
        times.push(started.elapsed());
        let page: model::prototype::PrototypeVariableList = serde_json::from_slice(&bytes)?;
        anyhow::ensure!(
            page.offset == offset
                && page.variables.len() as u64 == LIMIT.min(page.total.saturating_sub(offset)),
            "{uri} answered {} variables at offset {} of {}",
            page.variables.len(),
            page.offset,
            page.total
        );
    }
    times.sort();
    let p50 = times[times.len() / 2];
    println!(
        "SQLite: /api/vars offset p50  {:>7.1} ms  (limit {LIMIT}, offset {offset}, prototype API)",
        p50.as_secs_f64() * 1000.0
    );
    Ok(())
}
