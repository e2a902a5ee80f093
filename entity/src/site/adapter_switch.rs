//! `site_adapter_switches`: the journal of pack failover, one row each time a battery pack's
//! readings move from one of its adapters to another (seed 002 §5.2, §5.5).

use model::site::live::SwitchReason;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "site_adapter_switches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub system_id: String,
    pub pack_id: String,
    /// The adapter the pack was read from; none when it was read from none.
    pub from_adapter_id: Option<String>,
    /// The adapter the pack is read from now.
    pub to_adapter_id: Option<String>,
    pub reason: SwitchReason,
    /// The reason in plain words (the failures counted and the last error, or how long the
    /// preferred adapter has answered).
    #[sea_orm(column_type = "Text")]
    pub detail: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
