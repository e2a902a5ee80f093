//! Users: creating one (name, role, password), listing them, an admin's changes (role,
//! disabled, unlock, password), and changing one's own password (the old one is required).
//! Each change writes its audit row in the transaction of the change.

use chrono::{DateTime, Utc};
use entity::auth::{session, user};
use model::auth::{
    AuditAction, NewUser, PasswordChange, Role, UserPatch, UserView, validate_name,
    validate_password,
};
use model::error::AppError;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

use super::audit::{self, AuditEntry};
use super::login::record_failure;
use super::password::{hash_async, verify_async};
use super::{Auth, AuthError, Caller, rfc3339};
use crate::database::begin_write;

pub(crate) fn user_view(row: &user::Model) -> UserView {
    UserView {
        id: row.id,
        name: row.name.clone(),
        role: row.role,
        created_at: rfc3339(row.created_at),
        last_login_at: row.last_login_at.map(rfc3339),
        password_changed_at: rfc3339(row.password_changed_at),
        locked_until: row.locked_until.map(rfc3339),
        disabled: row.disabled_at.is_some(),
    }
}

pub(crate) async fn find_by_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<user::Model>, AppError> {
    Ok(user::Entity::find()
        .filter(user::Column::Name.eq(name))
        .one(db)
        .await?)
}

/// Creates a user after checking the name and the password rules; a taken name is a conflict.
pub async fn create_user(
    db: &DatabaseConnection,
    new: &NewUser,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<UserView, AuthError> {
    let mut problems = Vec::new();
    if let Err(error) = validate_name("name", &new.name) {
        problems.push(error);
    }
    if let Err(errors) = validate_password("password", &new.name, &new.password) {
        problems.extend(errors);
    }
    if !problems.is_empty() {
        return Err(AuthError::Invalid(problems));
    }
    let password_hash = hash_async(&new.password).await?;
    let txn = begin_write(db).await?;
    if find_by_name(&txn, &new.name).await?.is_some() {
        return Err(AppError::Conflict(format!("a user named {:?} exists", new.name)).into());
    }
    let row = user::ActiveModel {
        id: NotSet,
        name: Set(new.name.clone()),
        role: Set(new.role),
        password_hash: Set(password_hash),
        failed_logins: Set(0),
        locked_until: Set(None),
        last_login_at: Set(None),
        password_changed_at: Set(now),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let entry = AuditEntry::new(caller, AuditAction::UserCreated, target(&row.name), now)
        .change(None, Some(json!({"name": row.name, "role": row.role})));
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(user_view(&row))
}

/// What an audit row names a user by.
pub(crate) fn target(name: &str) -> String {
    format!("user {name}")
}

/// Every user, by name.
pub async fn list_users(db: &impl ConnectionTrait) -> Result<Vec<UserView>, AppError> {
    let rows = user::Entity::find()
        .order_by_asc(user::Column::Name)
        .all(db)
        .await?;
    Ok(rows.iter().map(user_view).collect())
}

/// Changes the password of the user `caller` is signed in as, after checking the old one (a
/// wrong one counts as a failed login: it locks the account like one). Ends the user's other
/// sessions: whoever else was signed in with the old password is signed out.
pub async fn set_password(
    db: &DatabaseConnection,
    auth: &Auth,
    caller: &Caller,
    change: &PasswordChange,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    let user_id = caller
        .identity
        .user_id
        .ok_or_else(|| AppError::validation("user", "only a signed-in user has a password"))?;
    let row = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("user {user_id}")))?;
    if let Err(errors) = validate_password("new_password", &row.name, &change.new_password) {
        return Err(AuthError::Invalid(errors));
    }
    if !verify_async(&change.old_password, row.password_hash.clone()).await? {
        let action = AuditAction::PasswordChanged;
        record_failure(db, auth, caller, action, &row.name, now).await?;
        return Err(AuthError::InvalidCredentials);
    }
    let password_hash = hash_async(&change.new_password).await?;
    let txn = begin_write(db).await?;
    let mut active = row.clone().into_active_model();
    active.password_hash = Set(password_hash);
    active.password_changed_at = Set(now);
    active.updated_at = Set(now);
    active.update(&txn).await?;
    let mut others = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(current) = caller.identity.session_id {
        others = others.filter(session::Column::Id.ne(current));
    }
    let ended = others.exec(&txn).await?.rows_affected;
    let entry = AuditEntry::new(caller, AuditAction::PasswordChanged, target(&row.name), now)
        .detail(json!({"other_sessions_ended": ended}));
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(())
}

/// An admin changes a user: role, disabled, unlock, or a new password. The site always keeps
/// one enabled admin (demoting or disabling the last one is refused: nobody could manage users
/// after it). Disabling a user or setting their password ends their sessions. One audit row
/// with before → after, in the same transaction.
pub async fn update_user(
    db: &DatabaseConnection,
    caller: &Caller,
    name: &str,
    patch: &UserPatch,
    now: DateTime<Utc>,
) -> Result<UserView, AuthError> {
    if let Some(password) = &patch.new_password
        && let Err(errors) = validate_password("new_password", name, password)
    {
        return Err(AuthError::Invalid(errors));
    }
    let password_hash = match &patch.new_password {
        Some(password) => Some(hash_async(password).await?),
        None => None,
    };
    let txn = begin_write(db).await?;
    let row = find_by_name(&txn, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("user {name:?}")))?;
    let role = patch.role.unwrap_or(row.role);
    let disabled = patch.disabled.unwrap_or(row.disabled_at.is_some());
    let was_enabled_admin = row.role == Role::Admin && row.disabled_at.is_none();
    if was_enabled_admin && (role != Role::Admin || disabled) {
        let other_admins = user::Entity::find()
            .filter(user::Column::Role.eq(Role::Admin))
            .filter(user::Column::DisabledAt.is_null())
            .filter(user::Column::Id.ne(row.id))
            .count(&txn)
            .await?;
        if other_admins == 0 {
            return Err(AppError::Conflict(format!(
                "{name} is the only enabled admin: make another user admin first, or nobody could manage users"
            ))
            .into());
        }
    }
    let before = audited_user(&row);
    let mut active = row.clone().into_active_model();
    active.role = Set(role);
    if disabled != row.disabled_at.is_some() {
        active.disabled_at = Set(disabled.then_some(now));
    }
    if patch.unlock {
        active.locked_until = Set(None);
        active.failed_logins = Set(0);
    }
    if let Some(hash) = password_hash {
        active.password_hash = Set(hash);
        active.password_changed_at = Set(now);
    }
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    let sessions_end = (disabled && row.disabled_at.is_none()) || patch.new_password.is_some();
    let ended = if sessions_end {
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(row.id))
            .exec(&txn)
            .await?
            .rows_affected
    } else {
        0
    };
    let mut after = audited_user(&updated);
    if patch.new_password.is_some() {
        after["password"] = json!("set by an admin");
    }
    let entry = AuditEntry::new(caller, AuditAction::UserChanged, target(name), now)
        .change(Some(before), Some(after))
        .detail(json!({"sessions_ended": ended}));
    audit::record(&txn, entry).await?;
    txn.commit().await?;
    Ok(user_view(&updated))
}

/// What the audit log keeps of a user: never the password hash.
fn audited_user(row: &user::Model) -> serde_json::Value {
    json!({
        "name": row.name,
        "role": row.role,
        "disabled": row.disabled_at.is_some(),
        "locked_until": row.locked_until.map(rfc3339),
    })
}
