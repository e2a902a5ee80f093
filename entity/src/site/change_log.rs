//! `site_change_log`: the site catalog's audit trail, one row per created or deleted row and per
//! changed field, each with the system version of its change.

use model::site::tree::{EntityKind, SiteChangeType};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "site_change_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub system_version: i64,
    pub system_id: String,
    pub entity_kind: EntityKind,
    pub entity_id: String,
    pub change_type: SiteChangeType,
    pub field: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub old_value: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub new_value: Option<String>,
    pub changed_by: String,
    pub source_system: String,
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
