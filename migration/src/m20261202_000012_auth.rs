//! Creates the tables of access control (issue 13): `users` (argon2id password hashes, failed
//! login counter and lock), `sessions` (console sign-ins), `api_tokens` (named, role-scoped,
//! expiring, revocable) and `audit_log` (append-only: who, when, from where, what).
//!
//! Sessions and tokens keep only the SHA-256 of their secret (64 hex characters, unique): a copy
//! of the database lets nobody sign in. A session goes with its user (cascade); tokens name no
//! user (an admin creates them for scripts). `audit_log` has no foreign keys, like the change
//! logs: it outlives what it names.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Name,
    Role,
    PasswordHash,
    FailedLogins,
    LockedUntil,
    LastLoginAt,
    PasswordChangedAt,
    DisabledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    SecretHash,
    UserId,
    CreatedAt,
    LastSeenAt,
    ReauthenticatedAt,
    Address,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Name,
    SecretHash,
    Prefix,
    Role,
    AllowDeploy,
    AllowDeviceWrites,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    ActorKind,
    UserId,
    SessionId,
    TokenId,
    Address,
    Action,
    Target,
    Outcome,
    Detail,
    Before,
    After,
}

fn id<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn time<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn optional_time<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn text<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column).text().not_null().to_owned()
}

fn optional_text<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column).text().null().to_owned()
}

fn users() -> TableCreateStatement {
    Table::create()
        .table(Users::Table)
        .col(id(Users::Id))
        .col(ColumnDef::new(Users::Name).string().not_null().unique_key())
        .col(ColumnDef::new(Users::Role).string().not_null())
        // The PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash): the parameters travel
        // with the hash, so raising them later leaves older hashes verifiable.
        .col(text(Users::PasswordHash))
        // Consecutive failed logins since the last success or lock.
        .col(
            ColumnDef::new(Users::FailedLogins)
                .integer()
                .not_null()
                .default(0),
        )
        .col(optional_time(Users::LockedUntil))
        .col(optional_time(Users::LastLoginAt))
        .col(time(Users::PasswordChangedAt))
        .col(optional_time(Users::DisabledAt))
        .col(time(Users::CreatedAt))
        .col(time(Users::UpdatedAt))
        .to_owned()
}

fn sessions() -> TableCreateStatement {
    Table::create()
        .table(Sessions::Table)
        .col(id(Sessions::Id))
        .col(
            ColumnDef::new(Sessions::SecretHash)
                .string()
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(Sessions::UserId).big_integer().not_null())
        .col(time(Sessions::CreatedAt))
        // Inactivity expiry counts from here.
        .col(time(Sessions::LastSeenAt))
        // The last time the password was typed in this session (sign-in or re-entry).
        .col(time(Sessions::ReauthenticatedAt))
        .col(optional_text(Sessions::Address))
        .foreign_key(
            ForeignKey::create()
                .name("fk_sessions_user_id")
                .from(Sessions::Table, Sessions::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn api_tokens() -> TableCreateStatement {
    Table::create()
        .table(ApiTokens::Table)
        .col(id(ApiTokens::Id))
        // Unique for good: a revoked token keeps its name, which its audit rows show.
        .col(
            ColumnDef::new(ApiTokens::Name)
                .string()
                .not_null()
                .unique_key(),
        )
        .col(
            ColumnDef::new(ApiTokens::SecretHash)
                .string()
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(ApiTokens::Prefix).string().not_null())
        .col(ColumnDef::new(ApiTokens::Role).string().not_null())
        .col(
            ColumnDef::new(ApiTokens::AllowDeploy)
                .boolean()
                .not_null()
                .default(false),
        )
        .col(
            ColumnDef::new(ApiTokens::AllowDeviceWrites)
                .boolean()
                .not_null()
                .default(false),
        )
        .col(text(ApiTokens::CreatedBy))
        .col(time(ApiTokens::CreatedAt))
        .col(optional_time(ApiTokens::ExpiresAt))
        .col(optional_time(ApiTokens::LastUsedAt))
        .col(optional_time(ApiTokens::RevokedAt))
        .to_owned()
}

fn audit_log() -> TableCreateStatement {
    Table::create()
        .table(AuditLog::Table)
        .col(id(AuditLog::Id))
        .col(time(AuditLog::At))
        .col(text(AuditLog::Actor))
        .col(ColumnDef::new(AuditLog::ActorKind).string().not_null())
        .col(ColumnDef::new(AuditLog::UserId).big_integer().null())
        .col(ColumnDef::new(AuditLog::SessionId).big_integer().null())
        .col(ColumnDef::new(AuditLog::TokenId).big_integer().null())
        .col(optional_text(AuditLog::Address))
        .col(ColumnDef::new(AuditLog::Action).string().not_null())
        .col(text(AuditLog::Target))
        .col(ColumnDef::new(AuditLog::Outcome).string().not_null())
        // JSON text.
        .col(optional_text(AuditLog::Detail))
        .col(optional_text(AuditLog::Before))
        .col(optional_text(AuditLog::After))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [users(), sessions(), api_tokens(), audit_log()] {
            manager.create_table(table).await?;
        }
        // Logout everywhere and the password change end a user's sessions.
        let indexes = [
            Index::create()
                .name("idx_sessions_user_id")
                .table(Sessions::Table)
                .col(Sessions::UserId)
                .to_owned(),
            // The audit list reads newest first (by id) within a time range, an actor or an
            // action.
            Index::create()
                .name("idx_audit_log_at")
                .table(AuditLog::Table)
                .col(AuditLog::At)
                .to_owned(),
            Index::create()
                .name("idx_audit_log_actor_id")
                .table(AuditLog::Table)
                .col(AuditLog::Actor)
                .col(AuditLog::Id)
                .to_owned(),
            Index::create()
                .name("idx_audit_log_action_id")
                .table(AuditLog::Table)
                .col(AuditLog::Action)
                .col(AuditLog::Id)
                .to_owned(),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditLog::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
