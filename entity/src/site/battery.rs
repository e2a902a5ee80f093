//! `batteries`: the battery units of a pack, generated from its count (`{pack}_b{index}`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "batteries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub battery_id: String,
    pub pack_id: String,
    pub battery_array_id: String,
    pub system_id: String,
    /// 0-based index within the pack.
    pub battery_index: i32,
    pub serial_number: Option<String>,
    pub model: Option<String>,
    pub version: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
