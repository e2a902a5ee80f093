//! Demo mode's site on the simulator, with pack failover to watch: pack1's primary adapter reads
//! the simulated BMS on a TCP listener of its own (127.0.0.1:5021, or a free port when that is
//! busy) and its secondary over Modbus RTU on a pseudo-terminal pair the demo opens itself (no
//! socat), both served by the one simulator. The site's adapters are pointed at what was actually
//! bound (the console's versioned write, as the `demo` user), so two demos can run side by side.
//! `POST /api/v1/demo/pack1-primary {"running": false}` stops the primary's listener and `true`
//! restarts it; the route exists only in demo mode.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::rejection::JsonRejection;
use axum::routing::get;
use axum::{Extension, Json, Router};
use devices::pty::PtyLink;
use devices::simulator::{BMS_UNIT, Route, Simulator, TcpServer};
use entity::site::adapter;
use model::site::tree::AdapterPatch;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use services::actor::Actor;
use tokio_util::sync::CancellationToken;

use crate::rest::Problem;

/// Where `examples/site/config.yaml` expects the simulator and pack1's primary.
pub const SIMULATOR_PORT: u16 = 5020;
pub const PRIMARY_PORT: u16 = 5021;
/// pack1's adapters in `examples/site/config.yaml`.
pub const PRIMARY_ADAPTER: &str = "pack1_tcp";
pub const SECONDARY_ADAPTER: &str = "pack1_rtu";
/// The demo's RTU line speed (a pseudo-terminal ignores it; the frame timing follows it).
const BAUD_RATE: u32 = 9600;

/// pack1's two ways to the simulated BMS.
pub struct DemoFailover {
    primary: TcpServer,
    link: PtyLink,
}

impl DemoFailover {
    /// Starts the primary's listener and the pseudo-terminal pair with the simulator's RTU
    /// server on one end; everything stops with `shutdown`.
    pub async fn start(
        simulator: &Simulator,
        shutdown: CancellationToken,
    ) -> anyhow::Result<DemoFailover> {
        let at = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let route = Route::OneUnit(BMS_UNIT);
        let primary =
            match TcpServer::start(simulator.clone(), at(PRIMARY_PORT), route, shutdown.clone())
                .await
            {
                Ok(server) => server,
                Err(_) => TcpServer::start(simulator.clone(), at(0), route, shutdown.clone())
                    .await
                    .context("demo mode: starting pack1's primary listener")?,
            };
        let link = PtyLink::open().context("demo mode: opening pack1's pseudo-terminals")?;
        simulator
            .serve_rtu(&link.a().to_string_lossy(), BAUD_RATE, shutdown)
            .context("demo mode: serving Modbus RTU on the pseudo-terminal")?;
        Ok(DemoFailover { primary, link })
    }

    pub fn primary_addr(&self) -> SocketAddr {
        self.primary.addr()
    }

    /// The path pack1's secondary opens.
    pub fn serial_port(&self) -> String {
        self.link.b().to_string_lossy().into_owned()
    }

    fn state(&self) -> PrimaryState {
        PrimaryState {
            running: self.primary.is_running(),
            primary: self.primary.addr().to_string(),
            secondary: self.serial_port(),
        }
    }
}

/// Points the demo site's adapters at what the demo bound: every TCP adapter on
/// 127.0.0.1:5020 at the simulator's port, pack1's primary at its listener and its secondary at
/// the pseudo-terminal. An adapter already right is left alone.
pub async fn point_site_at_demo(
    db: &DatabaseConnection,
    simulator: SocketAddr,
    demo: &DemoFailover,
) -> anyhow::Result<()> {
    let actor = Actor::new("demo", "demo");
    for row in adapter::Entity::find().all(db).await? {
        let Ok(mut config) = serde_json::from_str::<Value>(&row.config_json) else {
            continue;
        };
        let before = config.clone();
        let on_loopback = config["host"] == json!("127.0.0.1");
        if row.adapter_id == PRIMARY_ADAPTER && on_loopback {
            config["port"] = json!(demo.primary_addr().port());
        } else if row.adapter_id == SECONDARY_ADAPTER && config["transport"] == json!("rtu") {
            config["serial_port"] = json!(demo.serial_port());
        } else if on_loopback && config["port"] == json!(SIMULATOR_PORT) {
            config["port"] = json!(simulator.port());
        }
        if config == before {
            continue;
        }
        let patch = AdapterPatch {
            config: Some(config),
            ..AdapterPatch::default()
        };
        services::site::update_adapter(db, &row.adapter_id, &patch, row.version, &actor)
            .await
            .map_err(|e| {
                anyhow::anyhow!("demo mode: pointing {} at the demo: {e}", row.adapter_id)
            })?;
    }
    Ok(())
}

/// What `GET`/`POST /api/v1/demo/pack1-primary` answer.
#[derive(Debug, Serialize)]
struct PrimaryState {
    /// Whether the primary's listener accepts connections.
    running: bool,
    /// The primary's address.
    primary: String,
    /// The secondary's serial path.
    secondary: String,
}

/// The body of `POST /api/v1/demo/pack1-primary`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetPrimary {
    running: bool,
}

/// The demo-only route.
pub fn router(demo: Arc<DemoFailover>) -> Router {
    Router::new()
        .route(
            "/api/v1/demo/pack1-primary",
            get(primary_state).post(set_primary),
        )
        .layer(Extension(demo))
}

async fn primary_state(Extension(demo): Extension<Arc<DemoFailover>>) -> Json<PrimaryState> {
    Json(demo.state())
}

async fn set_primary(
    Extension(demo): Extension<Arc<DemoFailover>>,
    body: Result<Json<SetPrimary>, JsonRejection>,
) -> Result<Json<PrimaryState>, Problem> {
    let Json(SetPrimary { running }) =
        body.map_err(|e| Problem::new(e.status(), "Invalid request body", e.body_text()))?;
    match (running, demo.primary.is_running()) {
        (false, true) => {
            demo.primary.stop().await;
            tracing::info!("demo mode: pack1's primary listener stopped");
        }
        (true, false) => {
            demo.primary.restart().await.map_err(|e| {
                Problem::from(model::error::AppError::Device(format!(
                    "cannot listen on {} again: {e}",
                    demo.primary.addr()
                )))
            })?;
            tracing::info!("demo mode: pack1's primary listener restarted");
        }
        _ => {}
    }
    Ok(Json(demo.state()))
}
