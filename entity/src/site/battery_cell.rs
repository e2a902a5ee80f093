//! `battery_cells`: the cells of a battery unit, generated from its pack's counts
//! (`{battery}_c{index}`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "battery_cells")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cell_id: String,
    pub battery_id: String,
    pub pack_id: String,
    pub battery_array_id: String,
    pub system_id: String,
    /// 0-based index within the battery.
    pub cell_index: i32,
    pub nominal_voltage: Option<f64>,
    pub version: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
