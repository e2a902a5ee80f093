//! `battery_arrays`: a group of battery packs of one system.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "battery_arrays")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub battery_array_id: String,
    pub system_id: String,
    pub name: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
