//! `field_configurations`: the field configuration kept in the database, one row per import (the
//! newest is current).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "field_configurations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The JSON text as imported.
    #[sea_orm(column_type = "Text")]
    pub document: String,
    #[sea_orm(column_type = "Text")]
    pub source_file: String,
    #[sea_orm(column_type = "Text")]
    pub imported_by: String,
    pub imported_at: DateTimeUtc,
    pub system_version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
