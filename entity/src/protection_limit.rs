//! `protection_limits`: the limits of one profile, protected variable and side (`max`/`min`):
//! hysteresis and the warning/alert/fault levels (a NULL threshold: the level is not set).

use model::protections::Side;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "protection_limits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub profile_id: i64,
    pub variable: String,
    pub side: Side,
    pub hysteresis: f64,
    pub warning_threshold: Option<f64>,
    pub warning_on_delay: f64,
    pub warning_off_delay: f64,
    pub warning_enabled: bool,
    pub alert_threshold: Option<f64>,
    pub alert_on_delay: f64,
    pub alert_off_delay: f64,
    pub alert_enabled: bool,
    pub fault_threshold: Option<f64>,
    pub fault_on_delay: f64,
    pub fault_off_delay: f64,
    pub fault_enabled: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
