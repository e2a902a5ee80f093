//! `battery_array_attachments`: which inverter array a battery array was attached to, when; open
//! while `detached_at` is NULL (at most one open row per battery array). History: the rows stay
//! when either array is deleted, so the array ids are not foreign keys.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "battery_array_attachments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub system_id: String,
    pub battery_array_id: String,
    pub inverter_array_id: String,
    pub attached_since: DateTimeUtc,
    pub detached_at: Option<DateTimeUtc>,
    pub version: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
