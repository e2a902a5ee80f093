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
    /// The locator, or the empty text when the variable has none (read and write it through
    /// [`locator_of`] and [`locator_column`]). The column stays `NOT NULL` and stores `''` for
    /// "no locator": SQLite cannot drop a `NOT NULL` without rebuilding the table, and this
    /// table is the parent of the access paths' foreign key (`ON DELETE CASCADE`), so a rebuild
    /// means dropping a referenced table with the keys switched off (see migration 5). Rows
    /// written before "no locator" existed keep their locator (`system.global` included).
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

/// The `locator` column's text when a variable has no locator.
pub const NO_LOCATOR: &str = "";

/// A `locator` column's text as a locator: `None` for the empty text.
pub fn locator_of(column: &str) -> Option<&str> {
    (column != NO_LOCATOR).then_some(column)
}

/// The `locator` column's text for a locator: the empty text for none.
pub fn locator_column(locator: Option<&str>) -> String {
    locator.unwrap_or(NO_LOCATOR).to_string()
}
