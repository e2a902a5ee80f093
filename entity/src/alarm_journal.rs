//! `alarm_journal`: every raise, clear and acknowledgement of a protection alarm.

use model::profiles::JournalEvent;
use model::protections::{Level, Side};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alarm_journal")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub variable: String,
    pub side: Side,
    pub level: Level,
    pub event: JournalEvent,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    /// Who acknowledged (NULL for raise and clear, which the engine records).
    pub actor: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
