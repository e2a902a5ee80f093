//! Console sessions: looking one up by its cookie's secret (which keeps it alive), asking for
//! the password again before a sensitive change, signing out, and clearing expired rows.
//! A session ends after `AuthConfig::session_idle` without a request.

use chrono::{DateTime, TimeDelta, Utc};
use entity::auth::{session, user};
use model::auth::{ActorKind, AuditAction, Identity, Role};
use model::error::AppError;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ModelTrait, QueryFilter,
    sea_query::Expr,
};

use super::audit::{self, AuditEntry};
use super::login::record_failure;
use super::password::verify_async;
use super::secrets::hash_secret;
use super::users::target;
use super::{Auth, AuthError, Caller};
use crate::database::begin_write;

/// A session is written back at most this often: every request of a busy console would
/// otherwise be a write. Inactivity is thus measured to within this much.
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(60);

/// A live session and who it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub session_id: i64,
    pub user_id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub reauthenticated_at: DateTime<Utc>,
    /// When it ends unless used before.
    pub expires_at: DateTime<Utc>,
}

impl SessionInfo {
    pub(crate) fn new(row: &session::Model, user: &user::Model, idle: TimeDelta) -> SessionInfo {
        SessionInfo {
            session_id: row.id,
            user_id: user.id,
            name: user.name.clone(),
            role: user.role,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            reauthenticated_at: row.reauthenticated_at,
            expires_at: row.last_seen_at + idle,
        }
    }

    pub fn identity(&self) -> Identity {
        Identity {
            name: self.name.clone(),
            role: self.role,
            kind: ActorKind::Session,
            user_id: Some(self.user_id),
            session_id: Some(self.session_id),
            token_id: None,
            scopes: None,
        }
    }

    /// Whether the password was typed in this session within `window` before `now` (a
    /// sensitive change asks for it again otherwise).
    pub fn reauthenticated_within(&self, window: TimeDelta, now: DateTime<Utc>) -> bool {
        now - self.reauthenticated_at <= window
    }
}

async fn find(
    db: &impl ConnectionTrait,
    secret: &str,
) -> Result<Option<(session::Model, user::Model)>, AppError> {
    let found = session::Entity::find()
        .filter(session::Column::SecretHash.eq(hash_secret(secret)))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(session, user)| Some((session, user?))))
}

impl Auth {
    /// The session whose cookie holds `secret`, if it is live at `now`: it is then kept alive
    /// (written back at most once a minute). An expired one is deleted; a disabled user's
    /// sessions are refused.
    pub async fn session(
        &self,
        db: &impl ConnectionTrait,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionInfo>, AppError> {
        let Some((mut row, user)) = find(db, secret).await? else {
            return Ok(None);
        };
        if now - row.last_seen_at >= self.config.session_idle {
            row.delete(db).await?;
            return Ok(None);
        }
        if user.disabled_at.is_some() {
            return Ok(None);
        }
        if now - row.last_seen_at >= TOUCH_EVERY {
            session::Entity::update_many()
                .col_expr(session::Column::LastSeenAt, Expr::value(now))
                .filter(session::Column::Id.eq(row.id))
                .exec(db)
                .await?;
            row.last_seen_at = now;
        }
        Ok(Some(SessionInfo::new(
            &row,
            &user,
            self.config.session_idle,
        )))
    }

    /// Checks the password of the user signed in through `caller`'s session and notes the
    /// time, for the rule "the password again within 5 minutes before a sensitive change". A
    /// wrong password counts as a failed login.
    pub async fn reauthenticate(
        &self,
        db: &DatabaseConnection,
        caller: &Caller,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        let (Some(user_id), Some(session_id)) =
            (caller.identity.user_id, caller.identity.session_id)
        else {
            return Err(
                AppError::validation("session", "only a console session can confirm").into(),
            );
        };
        let user = user::Entity::find_by_id(user_id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {user_id}")))?;
        if !verify_async(password, user.password_hash.clone()).await? {
            let action = AuditAction::LoginFailed;
            record_failure(db, self, caller, action, &user.name, now).await?;
            return Err(AuthError::InvalidCredentials);
        }
        session::Entity::update_many()
            .col_expr(session::Column::ReauthenticatedAt, Expr::value(now))
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::Id.eq(session_id))
            .exec(db)
            .await?;
        Ok(())
    }
}

/// Ends the session whose cookie holds `secret` and records it; `false` when there was none.
pub async fn logout(
    db: &DatabaseConnection,
    secret: &str,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let txn = begin_write(db).await?;
    let Some((row, user)) = find(&txn, secret).await? else {
        return Ok(false);
    };
    let identity = SessionInfo::new(&row, &user, TimeDelta::zero()).identity();
    let caller = Caller::new(identity, address.map(str::to_string));
    row.delete(&txn).await?;
    let entry = AuditEntry::new(&caller, AuditAction::Logout, target(&user.name), now);
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(true)
}

/// Deletes the sessions idle for `idle` or longer at `now` (a background job's work: a lookup
/// refuses them anyway); how many.
pub async fn purge_expired_sessions(
    db: &impl ConnectionTrait,
    idle: TimeDelta,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let result = session::Entity::delete_many()
        .filter(session::Column::LastSeenAt.lte(now - idle))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
