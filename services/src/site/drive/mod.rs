//! Adapter instances drive field I/O (seed 002 §5): an adapter's type and configuration become a
//! Modbus endpoint, a unit and a register map (`setup`), read once with read-only requests
//! (`read`). [`probe`] is the console's "Test connection". [`SiteIo`] (`runtime`) polls every
//! device's adapters each cycle, with pack failover (`failover`, a pure state machine) journalled
//! in `site_adapter_switches` ([`adapter_switches`]).

pub mod failover;
mod load;
mod read;
mod runtime;
mod setup;

use std::time::Duration;

use devices::DeviceError;
use devices::modbus::{self, RegisterTransport};
use devices::planner::PlanError;
use devices::sunspec::SunspecError;
use devices::types::RegisterTable;
use entity::site::{adapter_switch, battery_pack};
use model::error::AppError;
use model::site::adapters::{AdapterType, validate_config};
use model::site::live::{AdapterSwitch, AdapterTest, AdapterTestResult, Reading, SiteLive};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;

use crate::site::adapter_types::AdapterCatalog;

pub use self::failover::{Failover, FailoverRules, Outcome, Switch};
pub use self::load::{AdapterEntry, DeviceEntry, SiteDevices, load_devices};
pub use self::read::AdapterReader;
pub use self::runtime::{SiteIo, SiteIoConfig};
pub use self::setup::DriveSetup;

/// Why an adapter could not be read, in plain words.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DriveError {
    /// A setting of the configuration cannot be used.
    #[error("{setting}: {message}")]
    Config { setting: String, message: String },
    /// This build has no driver for the adapter (Bluetooth).
    #[error("{0}")]
    NotDrivable(String),
    /// The register map cannot be read as planned.
    #[error("register map: {0}")]
    Plan(PlanError),
    /// A request failed.
    #[error("{}", describe_device_error(.endpoint, *.unit_id, .registers, .error))]
    Device {
        endpoint: String,
        unit_id: u8,
        /// What was being read, e.g. "input 0..=25".
        registers: String,
        error: DeviceError,
    },
    /// The device answered, but not as a SunSpec device with the models the map names.
    #[error("{endpoint}, unit {unit_id}: {error}")]
    Sunspec {
        endpoint: String,
        unit_id: u8,
        error: SunspecError,
    },
    /// The whole read took longer than allowed.
    #[error("{endpoint}, unit {unit_id}: no complete answer within {} ms", .timeout.as_millis())]
    TimedOut {
        endpoint: String,
        unit_id: u8,
        timeout: Duration,
    },
}

fn describe_device_error(
    endpoint: &str,
    unit_id: u8,
    registers: &str,
    error: &DeviceError,
) -> String {
    match error {
        DeviceError::Io(message) => format!("cannot reach {endpoint}: {message}"),
        DeviceError::Disconnected(_) => format!("cannot reach {endpoint}: {error}"),
        DeviceError::Timeout(after) => format!(
            "{endpoint}: unit {unit_id} did not answer within {} ms (reading {registers})",
            after.as_millis()
        ),
        DeviceError::Exception { .. } => {
            format!("{endpoint}: unit {unit_id} refused to read {registers}: {error}")
        }
        _ => format!("{endpoint}, unit {unit_id}, {registers}: {error}"),
    }
}

/// A `BusHandle` as a transport that reads and never writes: the site's adapters only read.
pub struct ReadOnlyBus<'a> {
    pub bus: &'a devices::bus::BusHandle,
}

impl RegisterTransport for ReadOnlyBus<'_> {
    async fn read(
        &mut self,
        unit_id: u8,
        table: RegisterTable,
        start: u16,
        count: u16,
    ) -> Result<Vec<u16>, DeviceError> {
        self.bus.read(unit_id, table, start, count).await
    }

    async fn write_registers(
        &mut self,
        _unit_id: u8,
        _start: u16,
        _words: &[u16],
    ) -> Result<(), DeviceError> {
        Err(DeviceError::Refused("site adapters never write".into()))
    }

    async fn write_coils(
        &mut self,
        _unit_id: u8,
        _start: u16,
        _bits: &[bool],
    ) -> Result<(), DeviceError> {
        Err(DeviceError::Refused("site adapters never write".into()))
    }
}

/// Reads every quantity of an adapter once, as the console's "Test connection" does before
/// the adapter is saved: the configuration is checked against the type's JSON Schema, the
/// endpoint opened, the register map read (SunSpec models found by walking the chain) and the
/// connection closed; an endpoint the running site I/O holds open (a serial line can be opened
/// once) is read through its bus instead. `timeout` bounds the whole probe (connecting
/// included). A broken
/// setting is `AppError::Validation` (its field is the setting's JSON pointer); a device that
/// cannot be reached or does not answer is `AppError::Device`, in plain words.
pub async fn probe(
    adapter_type: &AdapterType,
    config: &Value,
    timeout: Duration,
) -> Result<Vec<Reading>, AppError> {
    let problems = validate_config(&adapter_type.config_schema, config);
    if let Some(first) = problems.first() {
        let message = problems
            .iter()
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
            .join("; ");
        let field = if first.pointer.is_empty() {
            "config".to_string()
        } else {
            first.pointer.clone()
        };
        return Err(AppError::validation(field, message));
    }
    let setup = DriveSetup::new(adapter_type, config).map_err(app_error)?;
    let endpoint = setup.endpoint.clone();
    let unit_id = setup.unit_id;
    let mut reader = AdapterReader::new(setup).map_err(app_error)?;
    let read = async {
        // An endpoint the site's field I/O holds open is read through its bus.
        if let Some(bus) = runtime::open_bus(&endpoint) {
            return reader.read(&mut ReadOnlyBus { bus: &bus }).await;
        }
        let mut client =
            modbus::connect(&endpoint, timeout)
                .await
                .map_err(|error| DriveError::Device {
                    endpoint: endpoint.describe(),
                    unit_id,
                    registers: "nothing yet".into(),
                    error,
                })?;
        reader.read(&mut client).await
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(result) => result.map_err(app_error),
        Err(_) => Err(app_error(DriveError::TimedOut {
            endpoint: endpoint.describe(),
            unit_id,
            timeout,
        })),
    }
}

/// A drive error on the wire: settings are validation errors, the rest device errors.
pub fn app_error(error: DriveError) -> AppError {
    match error {
        DriveError::Config { setting, message } => {
            AppError::validation(format!("/{setting}"), message)
        }
        DriveError::NotDrivable(message) => AppError::validation("adapter_type", message),
        DriveError::Plan(error) => AppError::validation("register_map", error.to_string()),
        error => AppError::Device(error.to_string()),
    }
}

/// The default and the largest time `test_adapter` allows.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(5);
pub const MAX_TEST_TIMEOUT: Duration = Duration::from_secs(30);

/// "Test connection" by type name: `probe` with the catalog's type, answering the endpoint too.
pub async fn test_adapter(
    catalog: &AdapterCatalog,
    test: &AdapterTest,
) -> Result<AdapterTestResult, AppError> {
    let adapter_type = catalog.get(&test.adapter_type).ok_or_else(|| {
        AppError::validation(
            "adapter_type",
            format!(
                "{:?} is not an adapter type (known: {})",
                test.adapter_type,
                catalog
                    .list()
                    .iter()
                    .map(|t| t.adapter_type.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let timeout = match test.timeout_ms {
        None => TEST_TIMEOUT,
        Some(0) => return Err(AppError::validation("timeout_ms", "must be above 0")),
        Some(ms) => Duration::from_millis(ms).min(MAX_TEST_TIMEOUT),
    };
    let readings = probe(adapter_type, &test.config, timeout).await?;
    let endpoint = DriveSetup::new(adapter_type, &test.config)
        .map(|setup| setup.endpoint.describe())
        .unwrap_or_default();
    Ok(AdapterTestResult {
        adapter_type: test.adapter_type.clone(),
        endpoint,
        readings,
    })
}

/// Every device of `system_id`, live, from the running site I/O.
pub fn live(io: &SiteIo, system_id: &str) -> Result<SiteLive, AppError> {
    io.live(system_id)
        .ok_or_else(|| AppError::NotFound(format!("system {system_id}")))
}

/// The most rows `adapter_switches` answers.
pub const MAX_SWITCHES: u64 = 1_000;

/// A pack's failover journal, newest first (at most `MAX_SWITCHES` rows). The journal outlives
/// the pack: a deleted pack's switches are still answered; a pack that never existed is
/// `NotFound`.
pub async fn adapter_switches(
    db: &DatabaseConnection,
    pack_id: &str,
) -> Result<Vec<AdapterSwitch>, AppError> {
    let rows = adapter_switch::Entity::find()
        .filter(adapter_switch::Column::PackId.eq(pack_id))
        .order_by_desc(adapter_switch::Column::Id)
        .limit(MAX_SWITCHES)
        .all(db)
        .await?;
    if rows.is_empty()
        && battery_pack::Entity::find_by_id(pack_id)
            .one(db)
            .await?
            .is_none()
    {
        return Err(AppError::NotFound(format!("battery pack {pack_id}")));
    }
    Ok(rows
        .into_iter()
        .map(|row| AdapterSwitch {
            id: row.id,
            system_id: row.system_id,
            pack_id: row.pack_id,
            from_adapter_id: row.from_adapter_id,
            to_adapter_id: row.to_adapter_id,
            reason: row.reason,
            detail: row.detail,
            at: row.at.to_rfc3339(),
        })
        .collect())
}
