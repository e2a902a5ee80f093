//! `battery_packs`: a pack (bank) of a battery array; `batteries_count` and `cells_per_battery`
//! say which `batteries` and `battery_cells` rows it has.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "battery_packs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub pack_id: String,
    pub battery_array_id: String,
    pub system_id: String,
    pub name: String,
    pub chemistry: Option<String>,
    pub nominal_kwh: Option<f64>,
    pub max_charge_kw: Option<f64>,
    pub max_discharge_kw: Option<f64>,
    pub batteries_count: i32,
    pub cells_per_battery: i32,
    pub cell_nominal_voltage: Option<f64>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
