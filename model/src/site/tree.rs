//! What the console shows of the site and sends back: the site tree of one system, the system
//! list, the change log's rows, what a delete takes with it, and the create/patch DTOs of each
//! kind of catalog row.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::spec::{DeviceCategory, MeterType, PhaseType};

/// The kinds of rows in the site catalog (`site_change_log.entity_kind`, `adapters.device_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
pub enum EntityKind {
    #[cfg_attr(feature = "server", sea_orm(string_value = "system"))]
    System,
    #[cfg_attr(feature = "server", sea_orm(string_value = "inverter_array"))]
    InverterArray,
    #[cfg_attr(feature = "server", sea_orm(string_value = "inverter"))]
    Inverter,
    #[cfg_attr(feature = "server", sea_orm(string_value = "battery_array"))]
    BatteryArray,
    #[cfg_attr(feature = "server", sea_orm(string_value = "battery_pack"))]
    BatteryPack,
    /// A battery unit of a pack (generated from the pack's counts).
    #[cfg_attr(feature = "server", sea_orm(string_value = "battery"))]
    Battery,
    /// A cell of a battery unit (generated from the pack's counts).
    #[cfg_attr(feature = "server", sea_orm(string_value = "battery_cell"))]
    BatteryCell,
    #[cfg_attr(feature = "server", sea_orm(string_value = "meter"))]
    Meter,
    #[cfg_attr(feature = "server", sea_orm(string_value = "adapter"))]
    Adapter,
    /// A pack's link to one of its adapters, with the link's priority and enabled flag.
    #[cfg_attr(feature = "server", sea_orm(string_value = "pack_adapter"))]
    PackAdapter,
    /// A battery array attached to an inverter array.
    #[cfg_attr(feature = "server", sea_orm(string_value = "attachment"))]
    Attachment,
}

impl EntityKind {
    pub const ALL: [EntityKind; 11] = [
        EntityKind::System,
        EntityKind::InverterArray,
        EntityKind::Inverter,
        EntityKind::BatteryArray,
        EntityKind::BatteryPack,
        EntityKind::Battery,
        EntityKind::BatteryCell,
        EntityKind::Meter,
        EntityKind::Adapter,
        EntityKind::PackAdapter,
        EntityKind::Attachment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::System => "system",
            EntityKind::InverterArray => "inverter_array",
            EntityKind::Inverter => "inverter",
            EntityKind::BatteryArray => "battery_array",
            EntityKind::BatteryPack => "battery_pack",
            EntityKind::Battery => "battery",
            EntityKind::BatteryCell => "battery_cell",
            EntityKind::Meter => "meter",
            EntityKind::Adapter => "adapter",
            EntityKind::PackAdapter => "pack_adapter",
            EntityKind::Attachment => "attachment",
        }
    }

    /// In words: `inverter array`, `battery pack`.
    pub fn label(self) -> &'static str {
        match self {
            EntityKind::System => "system",
            EntityKind::InverterArray => "inverter array",
            EntityKind::Inverter => "inverter",
            EntityKind::BatteryArray => "battery array",
            EntityKind::BatteryPack => "battery pack",
            EntityKind::Battery => "battery",
            EntityKind::BatteryCell => "cell",
            EntityKind::Meter => "meter",
            EntityKind::Adapter => "adapter",
            EntityKind::PackAdapter => "pack adapter link",
            EntityKind::Attachment => "attachment",
        }
    }

    pub fn parse(text: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What one row of `site_change_log` records.
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
pub enum SiteChangeType {
    #[cfg_attr(feature = "server", sea_orm(string_value = "created"))]
    Created,
    #[cfg_attr(feature = "server", sea_orm(string_value = "updated"))]
    Updated,
    #[cfg_attr(feature = "server", sea_orm(string_value = "deleted"))]
    Deleted,
}

impl SiteChangeType {
    pub fn as_str(self) -> &'static str {
        match self {
            SiteChangeType::Created => "created",
            SiteChangeType::Updated => "updated",
            SiteChangeType::Deleted => "deleted",
        }
    }
}

/// One system in the system selector, with how much it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemSummary {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub timezone: String,
    pub version: i64,
    pub inverter_arrays: u32,
    pub inverters: u32,
    pub battery_arrays: u32,
    pub battery_packs: u32,
    pub meters: u32,
}

/// Everything of one system, for the console: arrays with their devices, meters, attachments
/// (open and closed) and adapters, each row with its `version` for If-Match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteTree {
    pub system: SystemNode,
    pub inverter_arrays: Vec<InverterArrayNode>,
    pub battery_arrays: Vec<BatteryArrayNode>,
    /// System-level meters first, then by id.
    pub meters: Vec<MeterNode>,
    /// Open and closed, newest first.
    pub attachments: Vec<AttachmentNode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemNode {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub timezone: String,
    pub version: i64,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InverterArrayNode {
    pub id: String,
    pub name: String,
    pub version: i64,
    pub inverters: Vec<InverterNode>,
    /// The battery arrays attached to it now.
    pub battery_arrays: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InverterNode {
    pub id: String,
    pub array_id: String,
    pub name: String,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    pub vendor: Option<String>,
    pub phase_type: Option<PhaseType>,
    pub version: i64,
    pub adapter: Option<AdapterNode>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatteryArrayNode {
    pub id: String,
    pub name: String,
    pub version: i64,
    /// The inverter array it is attached to now.
    pub attached_to: Option<String>,
    pub packs: Vec<BatteryPackNode>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatteryPackNode {
    pub id: String,
    pub battery_array_id: String,
    pub name: String,
    pub chemistry: Option<String>,
    pub nominal_kwh: Option<f64>,
    pub max_charge_kw: Option<f64>,
    pub max_discharge_kw: Option<f64>,
    /// How many battery units it has (`batteries.len()`).
    pub batteries_count: u32,
    pub cells_per_battery: u32,
    /// Cells of all its batteries.
    pub cell_count: u32,
    pub cell_nominal_voltage: Option<f64>,
    pub version: i64,
    /// By index.
    pub batteries: Vec<BatteryNode>,
    /// In failover order (priority, then id).
    pub adapters: Vec<AdapterNode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatteryNode {
    pub id: String,
    pub index: u32,
    pub serial_number: Option<String>,
    pub model: Option<String>,
    pub cell_count: u32,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeterNode {
    pub id: String,
    pub name: String,
    /// None: a system-level meter.
    pub array_id: Option<String>,
    pub model: Option<String>,
    pub meter_type: Option<MeterType>,
    pub version: i64,
    pub adapter: Option<AdapterNode>,
}

/// An adapter instance on its device. For a pack's adapter, `priority` and `enabled` are the
/// link's and `link_version` its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdapterNode {
    pub id: String,
    pub adapter_type: String,
    pub device_category: DeviceCategory,
    pub name: Option<String>,
    /// The instance configuration (without `type`).
    pub config: serde_json::Value,
    pub priority: i32,
    pub enabled: bool,
    pub version: i64,
    pub link_version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentNode {
    pub id: i64,
    pub battery_array_id: String,
    /// May name an inverter array that has been deleted since (history is kept).
    pub inverter_array_id: String,
    /// RFC 3339.
    pub attached_since: String,
    /// RFC 3339; none while attached.
    pub detached_at: Option<String>,
    pub version: i64,
}

/// One row of the site's change log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteChange {
    pub id: i64,
    pub system_version: i64,
    pub system_id: String,
    pub entity_kind: EntityKind,
    pub entity_id: String,
    pub change_type: SiteChangeType,
    /// The changed field of an update; none for a creation or a deletion.
    pub field: Option<String>,
    /// An update's old value; a deletion's row as JSON.
    pub old_value: Option<String>,
    /// An update's new value; a creation's row as JSON.
    pub new_value: Option<String>,
    pub changed_by: String,
    pub source_system: String,
    /// RFC 3339.
    pub changed_at: String,
}

/// What deleting a row takes with it, for the console to show before it deletes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeletePreview {
    pub kind: EntityKind,
    pub id: String,
    /// The row's version, to send back as If-Match.
    pub version: i64,
    /// Rows deleted with it, per kind (kinds with none are left out).
    pub removes: Vec<KindCount>,
    /// Open attachments that are closed (and kept as history).
    pub closes_attachments: u32,
    /// Meters of a deleted inverter array that become system-level meters.
    pub unassigns_meters: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KindCount {
    pub kind: EntityKind,
    pub count: u32,
}

/// Changes to a system; absent = unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SystemPatch {
    pub name: Option<String>,
    #[serde(default, with = "double_option")]
    pub description: Option<Option<String>>,
    pub timezone: Option<String>,
}

/// Changes to an inverter array or a battery array; absent = unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ArrayPatch {
    pub name: Option<String>,
}

/// Changes to an inverter; absent = unchanged, null clears an optional field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InverterPatch {
    /// Moves the inverter to another array of its system.
    pub array_id: Option<String>,
    pub name: Option<String>,
    #[serde(default, with = "double_option")]
    pub model: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    pub serial_number: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    pub vendor: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    pub phase_type: Option<Option<PhaseType>>,
}

/// Changes to a battery pack; absent = unchanged, null clears an optional field. New counts
/// add or remove batteries and cells (highest indexes first).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BatteryPackPatch {
    /// Moves the pack to another battery array of its system.
    pub battery_array_id: Option<String>,
    pub name: Option<String>,
    #[serde(default, with = "double_option")]
    pub chemistry: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    pub nominal_kwh: Option<Option<f64>>,
    #[serde(default, with = "double_option")]
    pub max_charge_kw: Option<Option<f64>>,
    #[serde(default, with = "double_option")]
    pub max_discharge_kw: Option<Option<f64>>,
    pub batteries: Option<u32>,
    pub cells_per_battery: Option<u32>,
    #[serde(default, with = "double_option")]
    pub cell_nominal_voltage: Option<Option<f64>>,
}

/// Changes to a meter; absent = unchanged, null clears (`array_id: null`: system level).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MeterPatch {
    pub name: Option<String>,
    #[serde(default, with = "double_option")]
    pub array_id: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    pub model: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    pub meter_type: Option<Option<MeterType>>,
}

/// Changes to an adapter instance; absent = unchanged. For a pack's adapter, `priority` and
/// `enabled` change its link to the pack.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdapterPatch {
    pub adapter_type: Option<String>,
    #[serde(default, with = "double_option")]
    pub name: Option<Option<String>>,
    /// The whole new configuration (without `type`).
    pub config: Option<serde_json::Value>,
    pub priority: Option<i32>,
    pub enabled: Option<bool>,
}

/// Changes to a pack's link to an adapter; absent = unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PackAdapterPatch {
    pub priority: Option<i32>,
    pub enabled: Option<bool>,
}

/// Tells "absent" (`None`) from "null" (`Some(None)`) in a JSON patch (as `registry`'s does;
/// that one is private to its module).
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_spelled_as_their_str() {
        for kind in EntityKind::ALL {
            assert_spelled_as_str!(kind);
            assert_eq!(EntityKind::parse(kind.as_str()), Some(kind));
        }
        assert_spelled_as_str!(
            SiteChangeType::Created,
            SiteChangeType::Updated,
            SiteChangeType::Deleted
        );
    }

    #[test]
    fn patches_tell_null_from_absent() {
        let patch: InverterPatch =
            serde_json::from_str(r#"{"model": null, "name": "Inverter 2"}"#).unwrap();
        assert_eq!(patch.model, Some(None));
        assert_eq!(patch.serial_number, None);
        assert_eq!(patch.name.as_deref(), Some("Inverter 2"));
        assert!(serde_json::from_str::<ArrayPatch>(r#"{"nmae": "x"}"#).is_err());
    }
}
