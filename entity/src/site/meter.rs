//! `meters`: an energy meter of a system (`array_id` NULL) or of one inverter array.

use model::site::spec::MeterType;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub meter_id: String,
    pub system_id: String,
    pub array_id: Option<String>,
    pub adapter_id: Option<String>,
    pub name: String,
    pub model: Option<String>,
    #[sea_orm(column_name = "type")]
    pub meter_type: Option<MeterType>,
    /// `system` or the array id (the seed's file field), kept in step with `array_id`.
    pub attachment_target: Option<String>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
