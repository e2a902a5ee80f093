//! `protection_deployment_fields`: per field of a deployment the intended value, what the device
//! held before, what was written, what was read back, and any error.

use model::profiles::FieldResult;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "protection_deployment_fields")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub deployment_id: i64,
    /// e.g. `soc.max.alert.threshold`.
    pub field_path: String,
    /// The registry variable that holds the field on the device (NULL: kept in the console).
    pub device_variable: Option<String>,
    /// The rack the field was written for on a multi-rack site (NULL: the register every rack
    /// shares, or a single-rack site).
    pub rack_number: Option<i32>,
    pub intended: f64,
    pub before: Option<f64>,
    pub written: Option<f64>,
    pub read_back: Option<f64>,
    pub status: FieldResult,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
