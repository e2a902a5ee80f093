//! What the site's adapters read from the field: one reading per quantity (and element), the
//! live state of every device with the adapter that serves it, and a pack's failover journal.

use serde::{Deserialize, Serialize};

use super::quantity::{Quantity, Unit};

/// One value an adapter read: a standard quantity, the element for a per-element quantity
/// (cell 0, 1, …; none for anything else), the value in the quantity's unit (none when the
/// device marks it as not implemented, as SunSpec does) and the unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reading {
    pub quantity: Quantity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u16>,
    pub value: Option<f64>,
    pub unit: Unit,
}

/// How fresh a live value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", schema(as = SiteValueQuality))]
pub enum Quality {
    /// Read in the device's last poll cycle.
    Good,
    /// Kept from an earlier cycle: the device has failed since (see `age_ms`).
    Stale,
}

/// One live value of a device: a reading with its quality and age.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SiteLiveValue))]
pub struct LiveValue {
    pub quantity: Quantity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u16>,
    pub value: Option<f64>,
    pub unit: Unit,
    pub quality: Quality,
    /// Milliseconds since the value was read.
    pub age_ms: u64,
    /// The adapter it was read through.
    pub adapter_id: String,
}

/// What a device's polling comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Not polled yet (the first cycle is under way).
    Waiting,
    /// Its adapter answered in the last cycle.
    Answering,
    /// Its adapter (every adapter of a pack) failed in the last cycle.
    Failing,
    /// Nothing to poll: no enabled adapter, or none this build can drive (`message` says which).
    NotPolled,
}

/// The kind of device a live state belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LiveDeviceKind {
    Inverter,
    BatteryPack,
    Meter,
}

/// Why a pack's readings moved to another adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "server",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
)]
#[cfg_attr(
    feature = "server",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::None)"
    )
)]
pub enum SwitchReason {
    /// The serving adapter failed N consecutive poll cycles: the next one takes over.
    #[cfg_attr(feature = "server", sea_orm(string_value = "failed"))]
    Failed,
    /// A preferred adapter (lower priority number) answered for the hold time: it serves again.
    #[cfg_attr(feature = "server", sea_orm(string_value = "recovered"))]
    Recovered,
}

/// One adapter of a pack's failover list, as the last cycles saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackAdapterLive {
    pub adapter_id: String,
    /// Lower wins: 1 is the primary.
    pub priority: i32,
    pub enabled: bool,
    /// Whether it serves the pack now.
    pub serving: bool,
    /// Whether it answered when last read; none when it is not read (a standby adapter after
    /// the serving one, or disabled).
    pub answering: Option<bool>,
    pub consecutive_failures: u32,
    /// Consecutive cycles it has answered (counts toward the hold time of a preferred adapter).
    pub consecutive_answers: u32,
    /// Its last error, in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A pack's failover: which adapter serves it, why, and the rules in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackFailover {
    /// The adapter the pack is read from; none when it has no enabled adapter.
    pub serving_adapter_id: Option<String>,
    /// Whether a later adapter than the first enabled one serves.
    pub failover_active: bool,
    /// Why this adapter serves, in plain words.
    pub why: String,
    /// Consecutive failed cycles after which the serving adapter is left.
    pub failures_to_switch: u32,
    /// Consecutive answered cycles a preferred adapter needs before it serves again.
    pub hold_cycles: u32,
    /// In priority order, lowest number first.
    pub adapters: Vec<PackAdapterLive>,
    /// The last switch of the journal, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_switch: Option<AdapterSwitch>,
}

/// One device's live state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveDevice {
    pub device_id: String,
    pub kind: LiveDeviceKind,
    pub state: DeviceState,
    /// The adapter that serves it (for a pack, the failover's choice).
    pub adapter_id: Option<String>,
    /// The adapter's type.
    pub adapter_type: Option<String>,
    /// e.g. "Modbus TCP 127.0.0.1:5020 unit 2".
    pub endpoint: Option<String>,
    /// The last error or why it is not polled, in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub consecutive_failures: u32,
    /// Milliseconds since the last successful read; none before the first.
    pub last_answer_ms_ago: Option<u64>,
    pub values: Vec<LiveValue>,
    /// Only for a battery pack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover: Option<PackFailover>,
}

/// Every device of one system, live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteLive {
    pub system_id: String,
    /// Poll cycles run since start.
    pub cycle: u64,
    pub period_ms: u64,
    /// The system version the devices were loaded at.
    pub site_version: i64,
    pub devices: Vec<LiveDevice>,
}

/// One row of a pack's failover journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdapterSwitch {
    pub id: i64,
    pub system_id: String,
    pub pack_id: String,
    pub from_adapter_id: Option<String>,
    pub to_adapter_id: Option<String>,
    pub reason: SwitchReason,
    pub detail: String,
    /// RFC 3339.
    pub at: String,
}

/// The body of `POST /api/v1/site/adapter-tests`: an adapter as a form holds it before it is
/// saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdapterTest {
    pub adapter_type: String,
    /// The instance configuration (settings left out take the schema's defaults).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub config: serde_json::Value,
    /// Milliseconds the whole test may take; default 5,000, at most 30,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

/// What `POST /api/v1/site/adapter-tests` answers: every reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdapterTestResult {
    pub adapter_type: String,
    /// e.g. "Modbus TCP 127.0.0.1:5020".
    pub endpoint: String,
    pub readings: Vec<Reading>,
}
