//! `system_version`: the single-row global change counter behind the registry's dual versioning.

use sea_orm::entity::prelude::*;

/// The id of the one and only row (a check constraint in the migration enforces it).
pub const SINGLETON_ID: i32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "system_version")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// The newest system version handed out; 0 before the first change.
    pub current_version: i64,
    pub last_updated: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
