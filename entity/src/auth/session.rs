//! `sessions`: console sign-ins. The cookie holds the secret; the row only its SHA-256.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// SHA-256 of the cookie's secret, 64 hex characters.
    #[sea_orm(unique)]
    pub secret_hash: String,
    pub user_id: i64,
    pub created_at: DateTimeUtc,
    /// The session expires after the configured inactivity from here.
    pub last_seen_at: DateTimeUtc,
    /// When the password was last typed in this session (sign-in, or asked again before a
    /// sensitive change).
    pub reauthenticated_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub address: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
