//! `battery_pack_adapters`: a pack's adapters in failover order (lower `priority` first).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "battery_pack_adapters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub pack_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub adapter_id: String,
    pub priority: i32,
    pub enabled: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
