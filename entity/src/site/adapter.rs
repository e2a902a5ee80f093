//! `adapters`: adapter instances, each the configuration of one type for one device
//! (`device_id` of kind `device_type`: an inverter, a battery pack or a meter).

use model::site::spec::DeviceCategory;
use model::site::tree::EntityKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "adapters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub adapter_id: String,
    pub adapter_type: String,
    /// The system of its device; deleting the system deletes its adapters.
    pub system_id: Option<String>,
    pub device_category: DeviceCategory,
    pub name: Option<String>,
    /// JSON object (text): the instance configuration, without `type`.
    #[sea_orm(column_type = "Text")]
    pub config_json: String,
    pub device_id: Option<String>,
    /// `inverter`, `battery_pack` or `meter`.
    pub device_type: Option<EntityKind>,
    /// Lower first. For a pack's adapter the link's priority (`battery_pack_adapters`) rules;
    /// this copy is kept equal to it.
    pub priority: i32,
    pub enabled: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
