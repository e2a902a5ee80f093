//! `api_tokens`: named, role-scoped secrets for scripts and other systems
//! (`Authorization: Bearer`). The row holds the secret's SHA-256, never the secret.

use model::auth::Role;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    /// SHA-256 of the secret, 64 hex characters.
    #[sea_orm(unique)]
    pub secret_hash: String,
    /// The secret's first characters (`pd_AbCd`), to tell tokens apart in a list.
    pub prefix: String,
    pub role: Role,
    /// Deploying protections is refused to a token without this, whatever its role.
    pub allow_deploy: bool,
    /// Writing device values is refused to a token without this, whatever its role.
    pub allow_device_writes: bool,
    #[sea_orm(column_type = "Text")]
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
