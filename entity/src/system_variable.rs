//! `system_variables`: one row per site variable (soft-deleted rows stay as tombstones for sync).

use model::registry::Category;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "system_variables")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub display_name: String,
    pub units: String,
    pub description: String,
    /// Also checked by the database.
    pub category: Category,
    pub locator: String,
    /// Starts at 1; +1 on every change of this variable or of one of its paths.
    pub variable_version: i64,
    /// The global system version of the last change.
    pub system_version: i64,
    pub last_updated: DateTimeUtc,
    pub source_system: String,
    pub deleted: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::variable_access_path::Entity")]
    AccessPaths,
}

impl Related<super::variable_access_path::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AccessPaths.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
