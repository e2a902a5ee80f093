//! `SiteSpec`: everything that describes one system, as `config.yaml` carries it (seed 002 §3.2,
//! §7.1) and as `powerdeck site export` writes it. The YAML reader produces one (after checking
//! every rule), the database services load the current one and apply a new one; a plan is the
//! difference between the two.
//!
//! Batteries and cells are not listed: a pack's `batteries` and `cells_per_battery` generate them
//! with derived ids (`ids::battery_id`, `ids::cell_id`).

use serde::{Deserialize, Serialize};

/// One system and everything in it. Lists are kept in the order of the file; ids are unique
/// across the whole spec.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteSpec {
    pub system: SystemSpec,
    pub inverter_arrays: Vec<InverterArraySpec>,
    pub inverters: Vec<InverterSpec>,
    pub battery_arrays: Vec<BatteryArraySpec>,
    pub battery_packs: Vec<BatteryPackSpec>,
    /// Battery array → inverter array attachments, open and closed (history is part of the site).
    pub attachments: Vec<AttachmentSpec>,
    pub meters: Vec<MeterSpec>,
}

/// `home` in the file, a row of `systems`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemSpec {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// An IANA time zone name (`Asia/Karachi`); energy days are counted in it.
    pub timezone: String,
}

/// The default time zone of seed 002's `systems` table.
pub const DEFAULT_TIMEZONE: &str = "Asia/Karachi";

/// `arrays` in the file, a row of `arrays`: a group of inverters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InverterArraySpec {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InverterSpec {
    pub id: String,
    pub array_id: String,
    pub name: String,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    pub vendor: Option<String>,
    pub phase_type: Option<PhaseType>,
    pub adapter: Option<AdapterSpec>,
}

/// `battery_bank_arrays` in the file, a row of `battery_arrays`: a group of packs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatteryArraySpec {
    pub id: String,
    pub name: String,
}

/// `battery_banks` in the file, a row of `battery_packs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatteryPackSpec {
    pub id: String,
    pub battery_array_id: String,
    pub name: String,
    /// `LFP`, `NMC`, ...
    pub chemistry: Option<String>,
    pub nominal_kwh: Option<f64>,
    pub max_charge_kw: Option<f64>,
    pub max_discharge_kw: Option<f64>,
    /// How many battery units the pack holds; generates `batteries` rows `{pack}_b0`...
    pub batteries: u32,
    /// Cells per battery unit; generates `battery_cells` rows `{battery}_c0`...
    pub cells_per_battery: u32,
    /// Volts, recorded on every generated cell.
    pub cell_nominal_voltage: Option<f64>,
    /// In failover order: the lowest `priority` that is enabled and answers serves the pack.
    pub adapters: Vec<AdapterSpec>,
}

/// A battery array attached to an inverter array from `attached_since` until `detached_at`
/// (open while `detached_at` is none; at most one open attachment per battery array).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentSpec {
    pub battery_array_id: String,
    pub inverter_array_id: String,
    /// RFC 3339; the file may leave it out (the import's time is used).
    pub attached_since: Option<String>,
    /// RFC 3339, or none while attached.
    pub detached_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeterSpec {
    pub id: String,
    pub name: String,
    /// None for a system-level meter (`array_id: null` or `home` in the file), else the
    /// inverter array it measures.
    pub array_id: Option<String>,
    pub model: Option<String>,
    pub meter_type: Option<MeterType>,
    pub adapter: Option<AdapterSpec>,
}

/// An adapter instance: which type drives the device and with what configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdapterSpec {
    /// Derived with `ids::adapter_id` when the file does not give one.
    pub id: String,
    /// An `adapter_base.adapter_type`.
    pub adapter_type: String,
    pub name: Option<String>,
    /// The instance configuration (without `type`), checked against the type's JSON Schema.
    pub config: serde_json::Value,
    /// Lower wins (seed 002 §4.1: "Lower number = higher priority"); 1 is the primary.
    pub priority: i32,
    pub enabled: bool,
}

/// How an inverter is connected to the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
pub enum PhaseType {
    #[cfg_attr(feature = "server", sea_orm(string_value = "single"))]
    Single,
    #[cfg_attr(feature = "server", sea_orm(string_value = "three"))]
    Three,
    /// The adapter finds out from the device.
    #[cfg_attr(feature = "server", sea_orm(string_value = "auto"))]
    Auto,
}

impl PhaseType {
    pub const ALL: [PhaseType; 3] = [PhaseType::Single, PhaseType::Three, PhaseType::Auto];

    pub fn as_str(self) -> &'static str {
        match self {
            PhaseType::Single => "single",
            PhaseType::Three => "three",
            PhaseType::Auto => "auto",
        }
    }
}

/// What a meter measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
pub enum MeterType {
    /// The connection to the grid (import and export).
    #[cfg_attr(feature = "server", sea_orm(string_value = "grid"))]
    Grid,
    /// The site's (or an array's) load.
    #[cfg_attr(feature = "server", sea_orm(string_value = "consumption"))]
    Consumption,
    /// A generator or PV production meter.
    #[cfg_attr(feature = "server", sea_orm(string_value = "production"))]
    Production,
}

impl MeterType {
    pub const ALL: [MeterType; 3] = [
        MeterType::Grid,
        MeterType::Consumption,
        MeterType::Production,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MeterType::Grid => "grid",
            MeterType::Consumption => "consumption",
            MeterType::Production => "production",
        }
    }
}

/// The kind of device an adapter serves (`adapter_base.device_category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
pub enum DeviceCategory {
    #[cfg_attr(feature = "server", sea_orm(string_value = "inverter"))]
    Inverter,
    #[cfg_attr(feature = "server", sea_orm(string_value = "battery"))]
    Battery,
    #[cfg_attr(feature = "server", sea_orm(string_value = "meter"))]
    Meter,
}

impl DeviceCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceCategory::Inverter => "inverter",
            DeviceCategory::Battery => "battery",
            DeviceCategory::Meter => "meter",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_spelled_as_their_str() {
        for phase in PhaseType::ALL {
            assert_eq!(serde_json::to_value(phase).unwrap(), phase.as_str());
        }
        for meter in MeterType::ALL {
            assert_eq!(serde_json::to_value(meter).unwrap(), meter.as_str());
        }
        assert_eq!(
            serde_json::to_value(DeviceCategory::Battery).unwrap(),
            "battery"
        );
    }
}
