//! `variable_change_log`: the audit trail; one row per changed field, path or lifecycle event.

use model::registry::ChangeType;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "variable_change_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub variable_id: i64,
    pub path_id: Option<i64>,
    pub change_type: ChangeType,
    pub field_name: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub old_value: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub new_value: Option<String>,
    pub timestamp: DateTimeUtc,
    pub changed_by: String,
    pub source_system: String,
    pub variable_version: i64,
    pub system_version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
