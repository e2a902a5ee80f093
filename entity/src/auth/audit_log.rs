//! `audit_log`: append-only, one row per write and per login attempt, written in the same
//! transaction as what it records: who, when, from where, what (before → after).

use model::auth::{ActorKind, AuditAction, AuditOutcome};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    /// The user's or token's name, the OS user for the CLI, the typed name for a failed login.
    #[sea_orm(column_type = "Text")]
    pub actor: String,
    pub actor_kind: ActorKind,
    pub user_id: Option<i64>,
    pub session_id: Option<i64>,
    pub token_id: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub address: Option<String>,
    pub action: AuditAction,
    #[sea_orm(column_type = "Text")]
    pub target: String,
    pub outcome: AuditOutcome,
    /// JSON text.
    #[sea_orm(column_type = "Text", nullable)]
    pub detail: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub before: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub after: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
