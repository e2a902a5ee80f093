//! Signing in: the address limit first, then the password (always verified, against a dummy
//! hash for an unknown name, so that the time taken does not tell which names exist), then,
//! in one transaction with the user's row locked, the verdict: the failure counter and lock
//! or a new session, and the audit row of the attempt either way.

use chrono::{DateTime, Utc};
use entity::auth::{session, user};
use model::auth::AuditAction;
use model::error::AppError;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use serde_json::{Value, json};

use super::audit::{self, AuditEntry};
use super::password::{dummy_hash, verify_async};
use super::secrets::{hash_secret, new_secret};
use super::sessions::SessionInfo;
use super::users::{find_by_name, target};
use super::{Auth, AuthError, Caller, rfc3339};
use crate::database::begin_write;

/// A successful sign-in: the secret for the cookie (shown once, stored hashed) and the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOutcome {
    pub secret: String,
    pub session: SessionInfo,
}

/// Why a sign-in was refused, as the audit row says it (the caller hears the same answer for
/// all but the address limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    UnknownUser,
    WrongPassword,
    Locked,
    Disabled,
    RateLimited,
}

impl FailureKind {
    fn as_str(self) -> &'static str {
        match self {
            FailureKind::UnknownUser => "unknown_user",
            FailureKind::WrongPassword => "wrong_password",
            FailureKind::Locked => "locked",
            FailureKind::Disabled => "disabled",
            FailureKind::RateLimited => "rate_limited",
        }
    }
}

/// Locks the user's row (if any) until the transaction ends, so that two failed logins at once
/// both count (on SQLite the write transaction holds the database's lock already).
async fn lock_user(txn: &DatabaseTransaction, name: &str) -> Result<(), AppError> {
    user::Entity::update_many()
        .col_expr(
            user::Column::FailedLogins,
            Expr::col(user::Column::FailedLogins),
        )
        .filter(user::Column::Name.eq(name))
        .exec(txn)
        .await?;
    Ok(())
}

impl Auth {
    /// Signs `name` in with `password` from `address` at `now`: a new session, or
    /// [`AuthError::InvalidCredentials`] (wrong password, unknown name, locked or disabled
    /// account alike) or [`AuthError::RateLimited`]. Every attempt leaves an audit row.
    pub async fn login(
        &self,
        db: &DatabaseConnection,
        name: &str,
        password: &str,
        address: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<LoginOutcome, AuthError> {
        if let Some(address) = address
            && let Err(retry_after) = self.limiter.check(address, now)
        {
            let txn = begin_write(db).await?;
            let entry = login_failure_entry(name, address.into(), now)
                .detail(json!({"reason": FailureKind::RateLimited.as_str()}));
            audit::record(&txn, entry).await?;
            txn.commit().await?;
            return Err(AuthError::RateLimited { retry_after });
        }
        let found = find_by_name(db, name).await?;
        let hash = found
            .as_ref()
            .map_or_else(dummy_hash, |row| row.password_hash.clone());
        let matches = verify_async(password, hash.clone()).await? && found.is_some();

        let txn = begin_write(db).await?;
        lock_user(&txn, name).await?;
        let row = find_by_name(&txn, name).await?;
        match judge(row.as_ref(), matches, &hash, now) {
            Ok(()) => {
                let row = row.ok_or_else(|| AppError::Internal("the user vanished".into()))?;
                let outcome = self.succeed(&txn, row, address, now).await?;
                txn.commit().await?;
                Ok(outcome)
            }
            Err(kind) => {
                let entry = login_failure_entry(name, address, now);
                self.fail(&txn, row.as_ref(), kind, entry, now).await?;
                txn.commit().await?;
                if let Some(address) = address {
                    self.limiter.record_failure(address, now);
                }
                Err(AuthError::InvalidCredentials)
            }
        }
    }

    /// Resets the user's failures, opens the session and records the sign-in.
    async fn succeed(
        &self,
        txn: &DatabaseTransaction,
        row: user::Model,
        address: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<LoginOutcome, AppError> {
        let mut active = row.clone().into_active_model();
        active.failed_logins = Set(0);
        active.locked_until = Set(None);
        active.last_login_at = Set(Some(now));
        active.update(txn).await?;
        let secret = new_secret()?;
        let stored = session::ActiveModel {
            id: NotSet,
            secret_hash: Set(hash_secret(&secret)),
            user_id: Set(row.id),
            created_at: Set(now),
            last_seen_at: Set(now),
            reauthenticated_at: Set(now),
            address: Set(address.map(str::to_string)),
        }
        .insert(txn)
        .await?;
        let session = SessionInfo::new(&stored, &row, self.config.session_idle);
        let caller = Caller::new(session.identity(), address.map(str::to_string));
        let entry = AuditEntry::new(&caller, AuditAction::LoginSucceeded, target(&row.name), now);
        audit::record(txn, entry).await?;
        Ok(LoginOutcome { secret, session })
    }

    /// Counts a failure against the user (a wrong password only: a locked or disabled account
    /// does not lock further), locks the account at the limit, and records `entry` as failed
    /// with why.
    pub(crate) async fn fail(
        &self,
        txn: &DatabaseTransaction,
        row: Option<&user::Model>,
        kind: FailureKind,
        mut entry: AuditEntry,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let mut detail = json!({"reason": kind.as_str()});
        if let Some(row) = row {
            entry.user_id = entry.user_id.or(Some(row.id));
            if kind == FailureKind::WrongPassword {
                let failures = row.failed_logins.saturating_add(1);
                detail["failures"] = json!(failures);
                let mut active = row.clone().into_active_model();
                if i64::from(failures) >= i64::from(self.config.max_failed_logins) {
                    let until = now + self.config.lockout;
                    detail["locked_until"] = Value::String(rfc3339(until));
                    active.locked_until = Set(Some(until));
                    active.failed_logins = Set(0);
                } else {
                    active.failed_logins = Set(failures);
                }
                active.updated_at = Set(now);
                active.update(txn).await?;
            }
            if kind == FailureKind::Locked {
                detail["locked_until"] = json!(row.locked_until.map(rfc3339));
            }
        }
        audit::record(txn, entry.failed().detail(detail)).await?;
        Ok(())
    }
}

/// The audit row of a failed sign-in: the name that was typed, as nobody yet.
fn login_failure_entry(name: &str, address: Option<&str>, now: DateTime<Utc>) -> AuditEntry {
    AuditEntry::anonymous(name, address, AuditAction::LoginFailed, target(name), now)
}

/// Whether the row as it is now (locked for this transaction) lets the sign-in through. The
/// lock is checked before the password: while it lasts the right password is refused too.
fn judge(
    row: Option<&user::Model>,
    matches: bool,
    verified_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), FailureKind> {
    let Some(row) = row else {
        return Err(FailureKind::UnknownUser);
    };
    if row.disabled_at.is_some() {
        return Err(FailureKind::Disabled);
    }
    if row.locked_until.is_some_and(|until| until > now) {
        return Err(FailureKind::Locked);
    }
    // The password was checked before the transaction: it must still be this one.
    if !matches || row.password_hash != verified_hash {
        return Err(FailureKind::WrongPassword);
    }
    Ok(())
}

/// A wrong password typed by a signed-in user (to change it, or to confirm a sensitive
/// change): counted and audited as `action`, failed, in one transaction, like a failed login.
pub(crate) async fn record_failure(
    db: &DatabaseConnection,
    auth: &Auth,
    caller: &Caller,
    action: AuditAction,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let txn = begin_write(db).await?;
    lock_user(&txn, name).await?;
    let row = find_by_name(&txn, name).await?;
    let entry = AuditEntry::new(caller, action, target(name), now);
    auth.fail(&txn, row.as_ref(), FailureKind::WrongPassword, entry, now)
        .await?;
    txn.commit().await?;
    if let Some(address) = &caller.address {
        auth.limiter.record_failure(address, now);
    }
    Ok(())
}
