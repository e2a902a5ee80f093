//! Shared test fixtures: the databases, the polling helper and the pty pair come from
//! `services::testing`; this adds the router's state and the simulated site the field and
//! protections tests run against.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::time::Duration;

use devices::simulator::{BMS_UNIT, Simulator};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use services::field::FieldIo;
use services::field::config::FieldConfig;
use services::protections::alarms::{Protections, ProtectionsConfig};
use tokio_util::sync::CancellationToken;

pub(crate) use services::testing::*;

/// Generous: polling and the simulator answer within a second, but CI machines stall.
pub(crate) const WAIT: Duration = Duration::from_secs(15);

/// The state the router needs, around a test database.
pub(crate) fn app_state(test_db: &TestDb) -> app::ssr::state::AppState {
    app::ssr::state::AppState {
        leptos_options: leptos::prelude::LeptosOptions::builder()
            .output_name("powerdeck")
            .build(),
        db: test_db.db.clone(),
        database_info: test_db.target.info.clone(),
        started_at: std::time::Instant::now(),
        registry_index: Default::default(),
        field: Default::default(),
        protections: Default::default(),
        access: Default::default(),
    }
}

/// The server's router as an admin's API client uses it: a request without an `Authorization`
/// header is sent with an admin token of the state's database (both scopes). Tests of access
/// control send their own header (or an empty one, see [`anonymous`]).
pub(crate) async fn router(state: app::ssr::state::AppState) -> axum::Router {
    use axum::http::{HeaderValue, header};
    let bearer = services::testing::test_bearer(&state.db, model::auth::Role::Admin).await;
    let bearer = HeaderValue::from_str(&bearer).unwrap();
    server::http::router(state).layer(axum::middleware::map_request(
        move |mut request: axum::extract::Request| {
            let bearer = bearer.clone();
            async move {
                let headers = request.headers_mut();
                match headers
                    .get(header::AUTHORIZATION)
                    .map(HeaderValue::as_bytes)
                {
                    // The marker of a request that must go without credentials.
                    Some(ANONYMOUS) => {
                        headers.remove(header::AUTHORIZATION);
                    }
                    Some(_) => {}
                    None => {
                        headers.insert(header::AUTHORIZATION, bearer);
                    }
                }
                request
            }
        },
    ))
}

/// Sent as `Authorization`, makes [`router`] send the request without any credentials.
pub(crate) const ANONYMOUS: &[u8] = b"anonymous";

/// A simulated site: a migrated SQLite registry holding the examples, the simulator serving
/// Modbus, field I/O over it (the BMS and the meter on one bus named `site`, the examples'
/// `prot:sbmu:hold` limits mapped onto the BMS's holding registers) and the protections
/// service. Everything stops when the site is dropped.
pub(crate) struct Site {
    pub simulator: Simulator,
    pub field: FieldIo,
    pub protections: Protections,
    pub db: DatabaseConnection,
    pub cancel: CancellationToken,
    pub test_db: TestDb,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl Site {
    /// The simulator on loopback Modbus TCP. `prepare` adds to the registry (variables, a
    /// profile) before field I/O starts.
    pub(crate) async fn tcp(prepare: impl AsyncFnOnce(&DatabaseConnection)) -> Site {
        let simulator = Simulator::new();
        let cancel = CancellationToken::new();
        let addr = simulator
            .serve_tcp("127.0.0.1:0".parse().unwrap(), cancel.clone())
            .await
            .unwrap();
        let endpoint = json!({"tcp": {"addr": addr.to_string()}});
        Site::on(simulator, endpoint, cancel, prepare).await
    }

    /// Field I/O over `endpoint` (as field.json spells a bus's endpoint), where `simulator`
    /// already serves until `cancel`; `prepare` as for `tcp`.
    pub(crate) async fn on(
        simulator: Simulator,
        endpoint: Value,
        cancel: CancellationToken,
        prepare: impl AsyncFnOnce(&DatabaseConnection),
    ) -> Site {
        let test_db = sqlite().await;
        services::database::migrate(&test_db.db).await.unwrap();
        let db = test_db.db.clone();
        import_examples(&db, "tester").await;
        prepare(&db).await;
        let config = json!({
            "buses": [{"name": "site", "endpoint": endpoint, "request_timeout_ms": 300}],
            "devices": {"bms": "site", "meter": "site"},
            "memory": {"prot:sbmu:hold": {"bus": "site", "unit_id": BMS_UNIT, "table": "holding", "base": 0}}
        })
        .to_string();
        let config = FieldConfig::parse("field.json", &config).unwrap();
        let field = FieldIo::start(db.clone(), config, cancel.clone());
        Site {
            simulator,
            field,
            protections: Protections::new(ProtectionsConfig::default()),
            db,
            cancel,
            test_db,
        }
    }

    /// The HTTP router over this site's database, field I/O and protections, as an admin's
    /// API client uses it ([`router`]).
    pub(crate) async fn router(&self) -> axum::Router {
        let mut state = app_state(&self.test_db);
        state.field = self.field.clone();
        state.protections = self.protections.clone();
        router(state).await
    }
}
