//! What the console shows of the site and sends back: the site tree of one system, the system
//! list, the change log's rows, what a delete takes with it, and the create/patch DTOs of each
//! kind of catalog row.

use std::fmt;

use serde::{Deserialize, Serialize};

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
}
