//! API tokens: created by an admin (or on the command line) with a name, a role, optional
//! permissions to deploy or write devices, and an expiry; the secret is shown once and only
//! its SHA-256 is stored. A request sends it as `Authorization: Bearer pd_…`; [`verify_token`]
//! turns it into the token's identity and notes when it was last used. Revoked and expired
//! tokens are refused.

use chrono::{DateTime, TimeDelta, Utc};
use entity::auth::api_token;
use model::auth::{
    ActorKind, AuditAction, CreatedToken, Identity, NewToken, Role, TokenScopes, TokenView,
    validate_name,
};
use model::error::AppError;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};

use super::audit::{self, AuditEntry};
use super::secrets::{SHOWN_PREFIX_CHARS, TOKEN_PREFIX, hash_secret, new_secret};
use super::{AuthError, Caller, rfc3339};
use crate::database::begin_write;

/// The longest expiry a token may be given.
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// `last_used_at` is written back at most this often: a script polling every second would
/// otherwise write on every request.
const NOTE_USE_EVERY: TimeDelta = TimeDelta::seconds(60);

/// A live token: who it acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub token_id: i64,
    pub name: String,
    pub role: Role,
    pub scopes: TokenScopes,
    pub expires_at: Option<DateTime<Utc>>,
}

impl TokenInfo {
    pub fn identity(&self) -> Identity {
        Identity {
            name: self.name.clone(),
            role: self.role,
            kind: ActorKind::Token,
            user_id: None,
            session_id: None,
            token_id: Some(self.token_id),
            scopes: Some(self.scopes),
        }
    }
}

fn scopes(row: &api_token::Model) -> TokenScopes {
    TokenScopes {
        allow_deploy: row.allow_deploy,
        allow_device_writes: row.allow_device_writes,
    }
}

fn token_view(row: &api_token::Model) -> TokenView {
    TokenView {
        id: row.id,
        name: row.name.clone(),
        role: row.role,
        scopes: scopes(row),
        prefix: row.prefix.clone(),
        created_by: row.created_by.clone(),
        created_at: rfc3339(row.created_at),
        expires_at: row.expires_at.map(rfc3339),
        last_used_at: row.last_used_at.map(rfc3339),
        revoked_at: row.revoked_at.map(rfc3339),
    }
}

/// What the audit log keeps of a token: everything but its secret.
fn audited(row: &api_token::Model) -> Value {
    json!({
        "name": row.name,
        "role": row.role,
        "allow_deploy": row.allow_deploy,
        "allow_device_writes": row.allow_device_writes,
        "expires_at": row.expires_at.map(rfc3339),
        "revoked_at": row.revoked_at.map(rfc3339),
    })
}

fn target(name: &str) -> String {
    format!("token {name}")
}

fn check(new: &NewToken) -> Result<(), AuthError> {
    let mut problems = Vec::new();
    if let Err(error) = validate_name("name", &new.name) {
        problems.push(error);
    }
    if let Some(days) = new.expires_days
        && !(1..=MAX_TOKEN_DAYS).contains(&days)
    {
        problems.push(model::registry::FieldError::new(
            "expires_days",
            format!("must be from 1 to {MAX_TOKEN_DAYS} days"),
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AuthError::Invalid(problems))
    }
}

/// Creates a token; its secret is in the answer and nowhere else. A taken name (revoked
/// tokens keep theirs) is a conflict.
pub async fn create_token(
    db: &DatabaseConnection,
    new: &NewToken,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<CreatedToken, AuthError> {
    check(new)?;
    let secret = format!("{TOKEN_PREFIX}{}", new_secret()?);
    let txn = begin_write(db).await?;
    let taken = api_token::Entity::find()
        .filter(api_token::Column::Name.eq(new.name.as_str()))
        .one(&txn)
        .await?;
    if taken.is_some() {
        return Err(AppError::Conflict(format!("a token named {:?} exists", new.name)).into());
    }
    let row = api_token::ActiveModel {
        id: NotSet,
        name: Set(new.name.clone()),
        secret_hash: Set(hash_secret(&secret)),
        prefix: Set(secret.chars().take(SHOWN_PREFIX_CHARS).collect()),
        role: Set(new.role),
        allow_deploy: Set(new.scopes.allow_deploy),
        allow_device_writes: Set(new.scopes.allow_device_writes),
        created_by: Set(caller.identity.name.clone()),
        created_at: Set(now),
        expires_at: Set(new
            .expires_days
            .map(|days| now + TimeDelta::days(i64::from(days)))),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let entry = AuditEntry::new(caller, AuditAction::TokenCreated, target(&row.name), now)
        .change(None, Some(audited(&row)));
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(CreatedToken {
        token: token_view(&row),
        secret,
    })
}

/// The live token whose secret is `secret` at `now`, noting its use; `None` for an unknown,
/// revoked or expired one (or anything that is not a token).
pub async fn verify_token(
    db: &impl ConnectionTrait,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<TokenInfo>, AppError> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let Some(row) = api_token::Entity::find()
        .filter(api_token::Column::SecretHash.eq(hash_secret(secret)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.revoked_at.is_some() || row.expires_at.is_some_and(|at| at <= now) {
        return Ok(None);
    }
    if row.last_used_at.is_none_or(|at| now - at >= NOTE_USE_EVERY) {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    Ok(Some(TokenInfo {
        token_id: row.id,
        name: row.name.clone(),
        role: row.role,
        scopes: scopes(&row),
        expires_at: row.expires_at,
    }))
}

/// Revokes the token named `name`: it is refused from then on. Revoking it again is a conflict.
pub async fn revoke_token(
    db: &DatabaseConnection,
    name: &str,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<TokenView, AuthError> {
    let txn = begin_write(db).await?;
    let row = api_token::Entity::find()
        .filter(api_token::Column::Name.eq(name))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("token {name:?}")))?;
    if row.revoked_at.is_some() {
        return Err(AppError::Conflict(format!("token {name:?} is revoked already")).into());
    }
    let before = audited(&row);
    let mut active = row.into_active_model();
    active.revoked_at = Set(Some(now));
    let row = active.update(&txn).await?;
    let entry = AuditEntry::new(caller, AuditAction::TokenRevoked, target(&row.name), now)
        .change(Some(before), Some(audited(&row)));
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(token_view(&row))
}

/// Every token, revoked ones included, by name.
pub async fn list_tokens(db: &impl ConnectionTrait) -> Result<Vec<TokenView>, AppError> {
    let rows = api_token::Entity::find()
        .order_by_asc(api_token::Column::Name)
        .all(db)
        .await?;
    Ok(rows.iter().map(token_view).collect())
}
