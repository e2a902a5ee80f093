//! Field I/O inside the server: one bus task per configured bus, polling of every registry path
//! the configuration can reach into live values (with quality and fallback), reading now, and
//! writing through the best writable path with read-back.
//!
//! This module owns [`FieldIo`], its shared state and its start-up; [`plan`] plans the polls,
//! [`live`] runs them and answers live values, [`io`] reads and writes on request, and [`views`]
//! describes the buses for the UI.

pub mod config;
mod io;
mod live;
mod plan;
pub mod stored;
mod views;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use devices::bus::{BusConfig, BusHandle, spawn_bus};
use devices::can::CanMonitor;
use devices::planner::ReadBlock;
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use self::config::{CanInterface, FieldConfig, MappingError, Target};
use self::live::Reading;
use self::plan::Polled;
use model::error::AppError;
use model::registry::AccessPath;

/// Cheap to clone; a disabled one (no configuration) answers every request with a clear error.
#[derive(Clone, Default)]
pub struct FieldIo {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    config: FieldConfig,
    buses: HashMap<String, BusHandle>,
    /// CAN buses by name, each with the task that listens to it.
    can: HashMap<String, CanMonitor>,
    live: RwLock<Live>,
    /// Fires at shutdown; long-lived readers (the live stream) end with it.
    stop: CancellationToken,
}

#[derive(Default)]
struct Live {
    /// path id → its latest reading.
    readings: HashMap<i64, Reading>,
    /// variable name → its polled paths, preferred first.
    variables: HashMap<String, Vec<Polled>>,
    /// path id → where it is read.
    targets: HashMap<i64, Target>,
    blocks: Vec<ReadBlock>,
    /// Paths that cannot be polled (for the Buses page).
    unmapped: Vec<Unmapped>,
}

/// A path that cannot be polled: variable, path id, the reason, and whether that is expected (no
/// data source configured) rather than a fault.
pub type Unmapped = (String, i64, String, bool);

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

/// A duration in whole milliseconds, saturating (u64 milliseconds last 584 million years).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// What every request answers while the server runs without a field configuration.
const NOT_CONFIGURED: &str = "field I/O is not configured (see --field-config)";

/// Why a path has no Modbus operation under the running field configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// The server runs without a field configuration.
    #[error("{}", NOT_CONFIGURED)]
    NotConfigured,
    /// The configuration maps the path onto no register (see [`MappingError`]).
    #[error(transparent)]
    Mapping(#[from] MappingError),
}

impl FieldIo {
    /// Starts the buses (CAN ones opened from the configuration) and the poller; everything
    /// stops when `cancel` fires.
    pub fn start(db: DatabaseConnection, config: FieldConfig, cancel: CancellationToken) -> Self {
        Self::start_with_builtin_can(db, config, Vec::new(), cancel)
    }

    /// As `start`, also listening on CAN buses the caller opened (demo mode's in-memory bus,
    /// tests); each monitor's name must be a `builtin` CAN bus of the configuration.
    pub fn start_with_builtin_can(
        db: DatabaseConnection,
        config: FieldConfig,
        builtin: Vec<CanMonitor>,
        cancel: CancellationToken,
    ) -> Self {
        let mut monitors: Vec<CanMonitor> = config
            .can
            .iter()
            .filter(|entry| entry.interface != CanInterface::Builtin)
            .filter_map(|entry| open_can(&entry.name, &entry.interface, cancel.clone()))
            .collect();
        monitors.extend(builtin);
        Self::start_with_can(db, config, monitors, cancel)
    }

    fn start_with_can(
        db: DatabaseConnection,
        config: FieldConfig,
        monitors: Vec<CanMonitor>,
        cancel: CancellationToken,
    ) -> Self {
        let can = monitors
            .into_iter()
            .map(|m| (m.name().to_string(), m))
            .collect();
        let buses = config
            .buses
            .iter()
            .map(|entry| {
                let bus = BusConfig {
                    request_timeout: Duration::from_millis(entry.request_timeout_ms),
                    ..BusConfig::new(entry.name.clone(), entry.endpoint.clone())
                };
                (entry.name.clone(), spawn_bus(bus, cancel.clone()))
            })
            .collect();
        let field = FieldIo {
            inner: Some(Arc::new(Inner {
                config,
                buses,
                can,
                live: RwLock::new(Live::default()),
                stop: cancel.clone(),
            })),
        };
        tokio::spawn(field.clone().follow_registry(db, cancel));
        field
    }

    fn inner(&self) -> Result<&Arc<Inner>, AppError> {
        self.inner
            .as_ref()
            .ok_or_else(|| AppError::NotConfigured(NOT_CONFIGURED.into()))
    }

    /// Resolves when field I/O stops (at shutdown); at once when it is not configured.
    pub async fn stopped(&self) {
        if let Some(inner) = &self.inner {
            inner.stop.cancelled().await;
        }
    }

    /// Whether a field configuration is running.
    pub fn is_configured(&self) -> bool {
        self.inner.is_some()
    }

    /// The Modbus operation behind a path under this configuration, or why it has none.
    pub fn target_of(&self, path: &AccessPath) -> Result<Target, TargetError> {
        match &self.inner {
            Some(inner) => Ok(inner.config.target(path)?),
            None => Err(TargetError::NotConfigured),
        }
    }
}

/// Opens a configured CAN bus behind a monitor that reopens it after I/O errors.
fn open_can(name: &str, interface: &CanInterface, cancel: CancellationToken) -> Option<CanMonitor> {
    match interface.clone() {
        CanInterface::Slcan { path, bitrate } => Some(CanMonitor::spawn_reopening(
            name.to_string(),
            move || {
                let path = path.clone();
                async move { devices::can::slcan::SlcanBus::open_serial(&path, bitrate).await }
            },
            cancel,
        )),
        CanInterface::Builtin => {
            tracing::warn!(bus = name, "a builtin CAN bus exists only in demo mode");
            None
        }
        CanInterface::Socketcan { interface } => {
            // This server is built without SocketCAN (the `socketcan` feature of `devices`).
            tracing::error!(
                bus = name,
                %interface,
                "SocketCAN is not built into this server; use an slcan adapter"
            );
            None
        }
    }
}
