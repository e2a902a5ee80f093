//! `inverters`: one inverter of an inverter array, with the adapter that drives it.

use model::site::spec::PhaseType;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inverters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub inverter_id: String,
    pub array_id: String,
    pub system_id: String,
    pub adapter_id: Option<String>,
    pub name: String,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    pub vendor: Option<String>,
    pub phase_type: Option<PhaseType>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
