//! `adapter_base`: the adapter types Powerdeck supports, with each type's JSON Schema of its
//! configuration, transports and defaults.

use model::site::spec::DeviceCategory;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "adapter_base")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub adapter_type: String,
    /// None: a generic type that serves devices of any category.
    pub device_category: Option<DeviceCategory>,
    pub name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    /// JSON Schema (text) of an instance's configuration.
    #[sea_orm(column_type = "Text")]
    pub config_schema: String,
    /// JSON array (text) of transports, e.g. `["rtu", "tcp"]`.
    #[sea_orm(column_type = "Text", nullable)]
    pub supported_transports: Option<String>,
    /// JSON object (text) of default configuration values.
    #[sea_orm(column_type = "Text", nullable)]
    pub default_config: Option<String>,
    /// The type file's own version; the row is replaced only by a newer file.
    pub type_version: i32,
    /// False when this build cannot drive the type (e.g. Bluetooth).
    pub drivable: bool,
    /// Why the type is not drivable; present exactly when `drivable` is false.
    #[sea_orm(column_type = "Text", nullable)]
    pub not_drivable_reason: Option<String>,
    /// JSON array (text) of where the standard quantities sit on the device.
    #[sea_orm(column_type = "Text")]
    pub register_map: String,
    /// JSON array (text) of the public documents the map and defaults come from.
    #[sea_orm(column_type = "Text")]
    pub sources: String,
    /// The system version of the row's last change.
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
