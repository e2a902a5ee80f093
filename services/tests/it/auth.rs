//! Access control on SQLite and PostgreSQL: users and sign-in (lock after repeated failures,
//! the per-address limit, unknown names answered like wrong passwords), sessions that expire
//! after inactivity, API tokens (verify, last use, revoke, expiry), the password change, and the
//! audit row of each, written in the same transaction as the change it records. The clock is
//! passed in: nothing sleeps.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use chrono::{DateTime, TimeDelta, Utc};
use model::auth::{
    ActorKind, AuditAction, AuditEntryView, AuditOutcome, AuditQuery, NewToken, NewUser,
    PasswordChange, Permission, Role, TokenScopes, UserPatch,
};
use model::error::AppError;
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;
use services::auth::audit::{self, AuditEntry};
use services::auth::{
    Auth, AuthConfig, AuthError, Caller, create_token, create_user, list_tokens, list_users,
    logout, purge_expired_sessions, revoke_token, set_password, update_user, verify_token,
};
use services::testing as common;

const PASSWORD: &str = "correct horse battery";
const ADDRESS: &str = "203.0.113.7";

/// A fixed start, so that times in assertions read plainly.
fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-02T08:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn minutes(n: i64) -> TimeDelta {
    TimeDelta::minutes(n)
}

fn admin_cli() -> Caller {
    Caller::new(model::auth::Identity::cli("root"), None)
}

async fn add_user(db: &DatabaseConnection, name: &str, role: Role) {
    let new = NewUser {
        name: name.into(),
        role,
        password: PASSWORD.into(),
    };
    create_user(db, &new, &admin_cli(), t0()).await.unwrap();
}

/// Every audit row, newest first.
async fn audit_rows(db: &DatabaseConnection, action: Option<AuditAction>) -> Vec<AuditEntryView> {
    let query = AuditQuery {
        action,
        per_page: Some(500),
        ..AuditQuery::default()
    };
    audit::list(db, &query).await.unwrap().entries
}

fn reason(row: &AuditEntryView) -> String {
    row.detail.as_ref().unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_user_signs_in_and_the_session_names_them_and_their_role() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let auth = Auth::default();
        add_user(db, "alice", Role::Engineer).await;

        let users = list_users(db).await.unwrap();
        assert_eq!(users.len(), 1, "{backend}");
        assert_eq!(users[0].name, "alice");
        assert_eq!(users[0].role, Role::Engineer);
        assert!(users[0].last_login_at.is_none());
        let created = audit_rows(db, Some(AuditAction::UserCreated)).await;
        assert_eq!(created.len(), 1, "{backend}");
        assert_eq!(created[0].actor, "root");
        assert_eq!(created[0].actor_kind, ActorKind::Cli);
        assert_eq!(created[0].target, "user alice");
        assert_eq!(
            created[0].after,
            Some(json!({"name": "alice", "role": "engineer"}))
        );
        // No hash anywhere in what the audit log or the listing shows.
        assert!(!serde_json::to_string(&created).unwrap().contains("argon2"));
        assert!(!serde_json::to_string(&users).unwrap().contains("argon2"));

        let outcome = auth
            .login(db, "alice", PASSWORD, Some(ADDRESS), t0())
            .await
            .unwrap();
        assert_eq!(outcome.secret.len(), 43, "{backend}");
        let session = auth.session(db, &outcome.secret, t0()).await.unwrap();
        let session = session.expect("a live session");
        assert_eq!(session.name, "alice");
        assert_eq!(session.role, Role::Engineer);
        let identity = session.identity();
        assert_eq!(identity.kind, ActorKind::Session);
        assert!(identity.can(Permission::DeployProtections));
        assert!(!identity.can(Permission::ManageUsers));
        assert!(
            auth.session(db, "not-a-secret", t0())
                .await
                .unwrap()
                .is_none()
        );

        let succeeded = audit_rows(db, Some(AuditAction::LoginSucceeded)).await;
        assert_eq!(succeeded.len(), 1, "{backend}");
        let row = &succeeded[0];
        assert_eq!(
            (row.actor.as_str(), row.actor_kind, row.outcome),
            ("alice", ActorKind::Session, AuditOutcome::Succeeded)
        );
        assert_eq!(row.address.as_deref(), Some(ADDRESS));
        assert_eq!(row.session_id, Some(session.session_id));
        assert_eq!(row.user_id, Some(session.user_id));
        let users = list_users(db).await.unwrap();
        assert!(users[0].last_login_at.is_some(), "{backend}");

        // A taken name and a short password are refused, each at its field.
        let again = NewUser {
            name: "alice".into(),
            role: Role::Viewer,
            password: PASSWORD.into(),
        };
        let taken = create_user(db, &again, &admin_cli(), t0()).await;
        assert!(
            matches!(taken, Err(AuthError::App(AppError::Conflict(_)))),
            "{taken:?}"
        );
        let short = NewUser {
            name: "bob".into(),
            role: Role::Viewer,
            password: "short".into(),
        };
        let Err(AuthError::Invalid(problems)) = create_user(db, &short, &admin_cli(), t0()).await
        else {
            panic!("a short password must be refused");
        };
        assert_eq!(problems[0].field, "password");
    }
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_even_against_the_right_one_until_the_lock_ends() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let auth = Auth::default();
        add_user(db, "alice", Role::Operator).await;

        for n in 1..=4 {
            let at = t0() + minutes(n);
            let refused = auth.login(db, "alice", "wrong password!", None, at).await;
            assert_eq!(refused, Err(AuthError::InvalidCredentials), "{backend}");
        }
        let users = list_users(db).await.unwrap();
        assert!(
            users[0].locked_until.is_none(),
            "{backend}: four do not lock"
        );
        // The fifth locks for 15 minutes from then.
        let fifth = t0() + minutes(5);
        let refused = auth
            .login(db, "alice", "wrong password!", None, fifth)
            .await;
        assert_eq!(refused, Err(AuthError::InvalidCredentials));
        let users = list_users(db).await.unwrap();
        let until = DateTime::parse_from_rfc3339(users[0].locked_until.as_ref().unwrap()).unwrap();
        assert_eq!(until, fifth + minutes(15), "{backend}");

        // The right password is refused while the lock lasts, with the same answer.
        let locked = auth
            .login(db, "alice", PASSWORD, None, fifth + minutes(14))
            .await;
        assert_eq!(locked, Err(AuthError::InvalidCredentials), "{backend}");
        // Once it ends, the right password signs in and the failures start again from zero.
        let ok = auth
            .login(db, "alice", PASSWORD, None, fifth + minutes(15))
            .await;
        assert!(ok.is_ok(), "{backend}: {ok:?}");
        let users = list_users(db).await.unwrap();
        assert!(users[0].locked_until.is_none(), "{backend}");

        let failed = audit_rows(db, Some(AuditAction::LoginFailed)).await;
        let reasons: Vec<String> = failed.iter().rev().map(reason).collect();
        assert_eq!(
            reasons,
            [
                "wrong_password",
                "wrong_password",
                "wrong_password",
                "wrong_password",
                "wrong_password",
                "locked"
            ],
            "{backend}"
        );
        let fifth_row = &failed[1];
        assert_eq!(fifth_row.detail.as_ref().unwrap()["failures"], 5);
        assert!(fifth_row.detail.as_ref().unwrap()["locked_until"].is_string());
        assert!(failed.iter().all(|row| row.outcome == AuditOutcome::Failed
            && row.actor == "alice"
            && row.actor_kind == ActorKind::Anonymous
            && row.user_id.is_some()));
    }
}

#[tokio::test]
async fn the_lock_and_its_length_follow_the_configuration() {
    let test_db = common::sqlite().await;
    services::database::migrate(&test_db.db).await.unwrap();
    let db = &test_db.db;
    let auth = Auth::new(AuthConfig {
        max_failed_logins: 2,
        lockout: minutes(1),
        ..AuthConfig::default()
    });
    add_user(db, "alice", Role::Viewer).await;
    for _ in 0..2 {
        let _ = auth.login(db, "alice", "nope nope nope", None, t0()).await;
    }
    let locked = auth.login(db, "alice", PASSWORD, None, t0()).await;
    assert_eq!(locked, Err(AuthError::InvalidCredentials));
    assert!(
        auth.login(db, "alice", PASSWORD, None, t0() + minutes(1))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_unknown_name_fails_like_a_wrong_password_and_is_audited() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let auth = Auth::default();
        add_user(db, "alice", Role::Viewer).await;

        let unknown = auth
            .login(db, "mallory", PASSWORD, Some(ADDRESS), t0())
            .await;
        let wrong = auth
            .login(db, "alice", "not the password", Some(ADDRESS), t0())
            .await;
        assert_eq!(unknown, Err(AuthError::InvalidCredentials), "{backend}");
        assert_eq!(unknown, wrong);
        // The message a caller sees is the same, and names neither.
        let message = AppError::from(unknown.unwrap_err()).to_string();
        assert_eq!(message, AppError::from(wrong.unwrap_err()).to_string());
        assert!(!message.contains("mallory") && !message.contains("unknown"));

        let failed = audit_rows(db, Some(AuditAction::LoginFailed)).await;
        assert_eq!(failed.len(), 2, "{backend}");
        let row = &failed[1];
        assert_eq!(row.actor, "mallory");
        assert_eq!(row.actor_kind, ActorKind::Anonymous);
        assert_eq!(row.user_id, None);
        assert_eq!(row.target, "user mallory");
        assert_eq!(row.address.as_deref(), Some(ADDRESS));
        assert_eq!(reason(row), "unknown_user");
        assert_eq!(reason(&failed[0]), "wrong_password");
        // Filtered by who.
        let query = AuditQuery {
            who: Some("mallory".into()),
            ..AuditQuery::default()
        };
        let page = audit::list(db, &query).await.unwrap();
        assert_eq!(page.total, 1, "{backend}");
    }
}

#[tokio::test]
async fn one_address_is_limited_across_names_and_its_refusals_are_audited() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let auth = Auth::new(AuthConfig {
            address_max_failures: 3,
            ..AuthConfig::default()
        });
        add_user(db, "alice", Role::Viewer).await;

        // Three names tried from one address (no account gets near its own lock) ...
        for (n, name) in ["bob", "carol", "dave"].into_iter().enumerate() {
            let at = t0() + minutes(n as i64);
            let refused = auth.login(db, name, PASSWORD, Some(ADDRESS), at).await;
            assert_eq!(refused, Err(AuthError::InvalidCredentials), "{backend}");
        }
        // ... and the address is refused before any password is checked, even the right one.
        let limited = auth
            .login(db, "alice", PASSWORD, Some(ADDRESS), t0() + minutes(3))
            .await;
        assert_eq!(
            limited,
            Err(AuthError::RateLimited {
                retry_after: minutes(12)
            }),
            "{backend}"
        );
        assert!(
            AppError::from(limited.unwrap_err())
                .to_string()
                .contains("12 minute")
        );
        // Another address is not.
        let other = auth
            .login(
                db,
                "alice",
                PASSWORD,
                Some("198.51.100.9"),
                t0() + minutes(3),
            )
            .await;
        assert!(other.is_ok(), "{backend}: {other:?}");
        // The window slides: once the first failure is 15 minutes old, the address may try.
        let later = auth
            .login(db, "alice", PASSWORD, Some(ADDRESS), t0() + minutes(15))
            .await;
        assert!(later.is_ok(), "{backend}: {later:?}");

        let failed = audit_rows(db, Some(AuditAction::LoginFailed)).await;
        assert_eq!(failed.len(), 4, "{backend}");
        assert_eq!(reason(&failed[0]), "rate_limited");
        assert_eq!(failed[0].actor, "alice");
        assert_eq!(failed[0].address.as_deref(), Some(ADDRESS));
    }
}

#[tokio::test]
async fn a_session_ends_after_thirty_idle_minutes_and_each_use_extends_it() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let auth = Auth::default();
        add_user(db, "alice", Role::Viewer).await;
        let secret = auth
            .login(db, "alice", PASSWORD, None, t0())
            .await
            .unwrap()
            .secret;

        // Used at 20 minutes: alive, and now it lasts until 50.
        let at_20 = auth.session(db, &secret, t0() + minutes(20)).await.unwrap();
        assert_eq!(at_20.unwrap().expires_at, t0() + minutes(50), "{backend}");
        let at_45 = auth.session(db, &secret, t0() + minutes(45)).await.unwrap();
        assert!(at_45.is_some(), "{backend}: 25 idle minutes");
        // Idle for 30 minutes: gone, and deleted.
        let at_75 = auth.session(db, &secret, t0() + minutes(75)).await.unwrap();
        assert!(at_75.is_none(), "{backend}");
        let back = auth.session(db, &secret, t0() + minutes(45)).await.unwrap();
        assert!(back.is_none(), "{backend}: an expired session stays gone");

        // The idle time is configurable.
        let short = Auth::new(AuthConfig {
            session_idle: minutes(5),
            ..AuthConfig::default()
        });
        let secret = short
            .login(db, "alice", PASSWORD, None, t0())
            .await
            .unwrap()
            .secret;
        assert!(
            short
                .session(db, &secret, t0() + minutes(4))
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            short
                .session(db, &secret, t0() + minutes(10))
                .await
                .unwrap()
                .is_none()
        );

        // Expired sessions are purged; live ones stay.
        let live = auth
            .login(db, "alice", PASSWORD, None, t0() + minutes(100))
            .await
            .unwrap();
        let _stale = auth.login(db, "alice", PASSWORD, None, t0()).await.unwrap();
        let purged = purge_expired_sessions(db, minutes(30), t0() + minutes(110))
            .await
            .unwrap();
        assert_eq!(purged, 1, "{backend}");
        let still = auth.session(db, &live.secret, t0() + minutes(110)).await;
        assert!(still.unwrap().is_some(), "{backend}");
    }
}

#[tokio::test]
async fn logout_ends_the_session_and_is_audited() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let auth = Auth::default();
        add_user(db, "alice", Role::Viewer).await;
        let outcome = auth.login(db, "alice", PASSWORD, None, t0()).await.unwrap();

        let ended = logout(db, &outcome.secret, Some(ADDRESS), t0() + minutes(1))
            .await
            .unwrap();
        assert!(ended, "{backend}");
        let gone = auth.session(db, &outcome.secret, t0() + minutes(1)).await;
        assert!(gone.unwrap().is_none(), "{backend}");
        assert!(!logout(db, &outcome.secret, None, t0()).await.unwrap());

        let rows = audit_rows(db, Some(AuditAction::Logout)).await;
        assert_eq!(rows.len(), 1, "{backend}");
        assert_eq!(rows[0].actor, "alice");
        assert_eq!(rows[0].session_id, Some(outcome.session.session_id));
        assert_eq!(rows[0].address.as_deref(), Some(ADDRESS));
    }
}

#[tokio::test]
async fn changing_the_password_needs_the_old_one_and_ends_the_other_sessions() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let auth = Auth::default();
        add_user(db, "alice", Role::Viewer).await;
        let here = auth.login(db, "alice", PASSWORD, None, t0()).await.unwrap();
        let elsewhere = auth.login(db, "alice", PASSWORD, None, t0()).await.unwrap();
        let caller = Caller::new(here.session.identity(), Some(ADDRESS.into()));

        let new_password = "a new and longer passphrase";
        let wrong_old = PasswordChange {
            old_password: "not the old one".into(),
            new_password: new_password.into(),
        };
        let refused = set_password(db, &auth, &caller, &wrong_old, t0()).await;
        assert_eq!(refused, Err(AuthError::InvalidCredentials), "{backend}");
        let too_short = PasswordChange {
            old_password: PASSWORD.into(),
            new_password: "short".into(),
        };
        let Err(AuthError::Invalid(problems)) =
            set_password(db, &auth, &caller, &too_short, t0()).await
        else {
            panic!("{backend}: a short new password must be refused");
        };
        assert_eq!(problems[0].field, "new_password");

        let change = PasswordChange {
            old_password: PASSWORD.into(),
            new_password: new_password.into(),
        };
        set_password(db, &auth, &caller, &change, t0() + minutes(1))
            .await
            .unwrap();
        let at = t0() + minutes(2);
        assert!(auth.session(db, &here.secret, at).await.unwrap().is_some());
        assert!(
            auth.session(db, &elsewhere.secret, at)
                .await
                .unwrap()
                .is_none(),
            "{backend}: the other session is signed out"
        );
        let old = auth.login(db, "alice", PASSWORD, None, at).await;
        assert_eq!(old, Err(AuthError::InvalidCredentials));
        assert!(
            auth.login(db, "alice", new_password, None, at)
                .await
                .is_ok()
        );

        let rows = audit_rows(db, Some(AuditAction::PasswordChanged)).await;
        let outcomes: Vec<AuditOutcome> = rows.iter().map(|row| row.outcome).collect();
        assert_eq!(
            outcomes,
            [AuditOutcome::Succeeded, AuditOutcome::Failed],
            "{backend}"
        );
        assert_eq!(rows[0].actor_kind, ActorKind::Session);
        assert_eq!(rows[0].detail, Some(json!({"other_sessions_ended": 1})));
        assert_eq!(reason(&rows[1]), "wrong_password");
        // The wrong old password counted towards the lock.
        assert_eq!(rows[1].detail.as_ref().unwrap()["failures"], 1);
    }
}

#[tokio::test]
async fn an_admin_changes_roles_disables_unlocks_and_sets_passwords_but_keeps_one_admin() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let auth = Auth::default();
        add_user(db, "root", Role::Admin).await;
        add_user(db, "olga", Role::Operator).await;
        let olga = auth.login(db, "olga", PASSWORD, None, t0()).await.unwrap();

        // A role change: one audit row, before and after.
        let promote = UserPatch {
            role: Some(Role::Engineer),
            ..UserPatch::default()
        };
        let changed = update_user(db, &admin_cli(), "olga", &promote, t0())
            .await
            .unwrap();
        assert_eq!(changed.role, Role::Engineer, "{backend}");
        let rows = audit_rows(db, Some(AuditAction::UserChanged)).await;
        assert_eq!(rows.len(), 1, "{backend}");
        assert_eq!(rows[0].before.as_ref().unwrap()["role"], "operator");
        assert_eq!(rows[0].after.as_ref().unwrap()["role"], "engineer");
        // The open session carries the new role from its next request.
        let session = auth.session(db, &olga.secret, t0()).await.unwrap().unwrap();
        assert_eq!(session.identity().role, Role::Engineer, "{backend}");

        // Disabling ends the sessions and refuses the next sign-in.
        let disable = UserPatch {
            disabled: Some(true),
            ..UserPatch::default()
        };
        let changed = update_user(db, &admin_cli(), "olga", &disable, t0())
            .await
            .unwrap();
        assert!(changed.disabled, "{backend}");
        assert!(
            auth.session(db, &olga.secret, t0())
                .await
                .unwrap()
                .is_none()
        );
        let refused = auth.login(db, "olga", PASSWORD, None, t0()).await;
        assert_eq!(refused, Err(AuthError::InvalidCredentials), "{backend}");
        let enable = UserPatch {
            disabled: Some(false),
            ..UserPatch::default()
        };
        update_user(db, &admin_cli(), "olga", &enable, t0())
            .await
            .unwrap();
        assert!(auth.login(db, "olga", PASSWORD, None, t0()).await.is_ok());

        // A lock after failed logins, lifted by an admin.
        for _ in 0..5 {
            let _ = auth.login(db, "olga", "wrong guess", None, t0()).await;
        }
        let locked = list_users(db).await.unwrap();
        let olga_row = locked.iter().find(|u| u.name == "olga").unwrap();
        assert!(olga_row.locked_until.is_some(), "{backend}");
        let unlock = UserPatch {
            unlock: true,
            ..UserPatch::default()
        };
        let changed = update_user(db, &admin_cli(), "olga", &unlock, t0())
            .await
            .unwrap();
        assert_eq!(changed.locked_until, None, "{backend}");
        assert!(auth.login(db, "olga", PASSWORD, None, t0()).await.is_ok());

        // A password set by the admin: the rules hold, then only the new one signs in.
        let weak = UserPatch {
            new_password: Some("short".into()),
            ..UserPatch::default()
        };
        let Err(AuthError::Invalid(problems)) =
            update_user(db, &admin_cli(), "olga", &weak, t0()).await
        else {
            panic!("{backend}: a short password must be refused");
        };
        assert_eq!(problems[0].field, "new_password");
        let reset = UserPatch {
            new_password: Some("a fresh long passphrase".into()),
            ..UserPatch::default()
        };
        update_user(db, &admin_cli(), "olga", &reset, t0())
            .await
            .unwrap();
        let old = auth.login(db, "olga", PASSWORD, None, t0()).await;
        assert_eq!(old, Err(AuthError::InvalidCredentials), "{backend}");
        let new = auth
            .login(db, "olga", "a fresh long passphrase", None, t0())
            .await;
        assert!(new.is_ok(), "{backend}");
        let rows = audit_rows(db, Some(AuditAction::UserChanged)).await;
        assert!(
            rows.iter().all(|row| !row
                .after
                .as_ref()
                .unwrap()
                .to_string()
                .contains("passphrase")),
            "{backend}: no password in the audit log"
        );

        // The last enabled admin stays: neither demoted nor disabled.
        let demote = UserPatch {
            role: Some(Role::Viewer),
            ..UserPatch::default()
        };
        let kept = update_user(db, &admin_cli(), "root", &demote, t0()).await;
        assert!(
            matches!(kept, Err(AuthError::App(AppError::Conflict(ref m))) if m.contains("only enabled admin")),
            "{backend}: {kept:?}"
        );
        let kept = update_user(db, &admin_cli(), "root", &disable, t0()).await;
        assert!(
            matches!(kept, Err(AuthError::App(AppError::Conflict(_)))),
            "{backend}"
        );
        // With a second admin, the first may step down.
        update_user(
            db,
            &admin_cli(),
            "olga",
            &UserPatch {
                role: Some(Role::Admin),
                ..UserPatch::default()
            },
            t0(),
        )
        .await
        .unwrap();
        let stepped_down = update_user(db, &admin_cli(), "root", &demote, t0())
            .await
            .unwrap();
        assert_eq!(stepped_down.role, Role::Viewer, "{backend}");

        let missing = update_user(db, &admin_cli(), "nobody", &demote, t0()).await;
        assert!(
            matches!(missing, Err(AuthError::App(AppError::NotFound(_)))),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn the_password_typed_again_is_noted_on_the_session() {
    let test_db = common::sqlite().await;
    services::database::migrate(&test_db.db).await.unwrap();
    let db = &test_db.db;
    let auth = Auth::default();
    add_user(db, "alice", Role::Engineer).await;
    let outcome = auth.login(db, "alice", PASSWORD, None, t0()).await.unwrap();
    let window = auth.config().reauthentication;
    let later = t0() + minutes(20);
    let session = auth
        .session(db, &outcome.secret, later)
        .await
        .unwrap()
        .unwrap();
    assert!(session.reauthenticated_within(window, t0() + minutes(5)));
    assert!(!session.reauthenticated_within(window, later));

    let caller = Caller::new(session.identity(), None);
    let wrong = auth
        .reauthenticate(db, &caller, "not it at all", later)
        .await;
    assert_eq!(wrong, Err(AuthError::InvalidCredentials));
    auth.reauthenticate(db, &caller, PASSWORD, later)
        .await
        .unwrap();
    let session = auth
        .session(db, &outcome.secret, later)
        .await
        .unwrap()
        .unwrap();
    assert!(session.reauthenticated_within(window, later + minutes(5)));
    assert!(!session.reauthenticated_within(window, later + minutes(6)));
}

#[tokio::test]
async fn tokens_verify_until_revoked_or_expired_and_note_their_last_use() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let new = NewToken {
            name: "backup-script".into(),
            role: Role::Engineer,
            expires_days: Some(30),
            scopes: TokenScopes {
                allow_deploy: true,
                allow_device_writes: false,
            },
        };
        let created = create_token(db, &new, &admin_cli(), t0()).await.unwrap();
        assert!(created.secret.starts_with("pd_"), "{backend}");
        assert_eq!(created.secret.len(), 46);
        assert_eq!(created.token.prefix, created.secret[..7]);
        assert!(created.token.last_used_at.is_none());
        let taken = create_token(db, &new, &admin_cli(), t0()).await;
        assert!(matches!(taken, Err(AuthError::App(AppError::Conflict(_)))));

        // Verified: the token's identity, with its scopes.
        let at = t0() + minutes(10);
        let info = verify_token(db, &created.secret, at)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(info.name, "backup-script");
        let identity = info.identity();
        assert_eq!(identity.kind, ActorKind::Token);
        assert!(identity.can(Permission::DeployProtections), "{backend}");
        assert!(!identity.can(Permission::WriteDevices), "{backend}");
        let listed = list_tokens(db).await.unwrap();
        assert_eq!(
            listed[0].last_used_at.as_deref(),
            Some(at.to_rfc3339().as_str())
        );
        // Within the minute it is not written again; after it, it is.
        verify_token(db, &created.secret, at + TimeDelta::seconds(30))
            .await
            .unwrap()
            .unwrap();
        let listed = list_tokens(db).await.unwrap();
        assert_eq!(
            listed[0].last_used_at.as_deref(),
            Some(at.to_rfc3339().as_str())
        );
        let later = at + minutes(2);
        verify_token(db, &created.secret, later)
            .await
            .unwrap()
            .unwrap();
        let listed = list_tokens(db).await.unwrap();
        assert_eq!(
            listed[0].last_used_at.as_deref(),
            Some(later.to_rfc3339().as_str())
        );
        // Nothing in the list gives the secret away.
        let text = serde_json::to_string(&listed).unwrap();
        assert!(!text.contains(&created.secret[7..]), "{backend}");

        // Unknown and malformed secrets are refused.
        assert!(verify_token(db, "pd_nope", at).await.unwrap().is_none());
        assert!(
            verify_token(db, &created.secret[3..], at)
                .await
                .unwrap()
                .is_none()
        );

        // It expires after 30 days.
        let expiry = t0() + TimeDelta::days(30);
        assert!(
            verify_token(db, &created.secret, expiry - TimeDelta::seconds(1))
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            verify_token(db, &created.secret, expiry)
                .await
                .unwrap()
                .is_none()
        );

        // Revoked: refused from then on; revoking again is a conflict, an unknown name not found.
        let forever = NewToken {
            name: "monitoring".into(),
            role: Role::Viewer,
            expires_days: None,
            scopes: TokenScopes::default(),
        };
        let monitoring = create_token(db, &forever, &admin_cli(), t0())
            .await
            .unwrap();
        let far = t0() + TimeDelta::days(3650);
        assert!(
            verify_token(db, &monitoring.secret, far)
                .await
                .unwrap()
                .is_some()
        );
        let revoked = revoke_token(db, "monitoring", &admin_cli(), t0() + minutes(5))
            .await
            .unwrap();
        assert!(revoked.revoked_at.is_some());
        assert!(
            verify_token(db, &monitoring.secret, t0() + minutes(6))
                .await
                .unwrap()
                .is_none()
        );
        let again = revoke_token(db, "monitoring", &admin_cli(), t0()).await;
        assert!(matches!(again, Err(AuthError::App(AppError::Conflict(_)))));
        let unknown = revoke_token(db, "nobody", &admin_cli(), t0()).await;
        assert!(matches!(
            unknown,
            Err(AuthError::App(AppError::NotFound(_)))
        ));

        // The audit log: both creations and the revocation, no secret.
        let created_rows = audit_rows(db, Some(AuditAction::TokenCreated)).await;
        assert_eq!(created_rows.len(), 2, "{backend}");
        assert_eq!(created_rows[1].target, "token backup-script");
        let after = created_rows[1].after.as_ref().unwrap();
        assert_eq!(after["allow_deploy"], true);
        assert_eq!(after["role"], "engineer");
        let revoked_rows = audit_rows(db, Some(AuditAction::TokenRevoked)).await;
        assert_eq!(revoked_rows.len(), 1);
        assert!(revoked_rows[0].before.as_ref().unwrap()["revoked_at"].is_null());
        assert!(revoked_rows[0].after.as_ref().unwrap()["revoked_at"].is_string());
        let everything = serde_json::to_string(&audit_rows(db, None).await).unwrap();
        assert!(!everything.contains(&created.secret), "{backend}");
        assert!(!everything.contains(&monitoring.secret), "{backend}");

        // Bad input: a name and an expiry out of range, each at its field.
        let bad = NewToken {
            name: "a b".into(),
            role: Role::Viewer,
            expires_days: Some(0),
            scopes: TokenScopes::default(),
        };
        let Err(AuthError::Invalid(problems)) = create_token(db, &bad, &admin_cli(), t0()).await
        else {
            panic!("{backend}: refused");
        };
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["name", "expires_days"]);
    }
}

#[tokio::test]
async fn an_audit_row_written_in_a_rolled_back_transaction_leaves_nothing() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let caller = Caller::new(model::auth::Identity::cli("root"), Some(ADDRESS.into()));
        let entry = AuditEntry::new(&caller, AuditAction::RegistryWrite, "variable soc", t0())
            .change(Some(json!({"units": "%"})), Some(json!({"units": "pct"})));

        let txn = db.begin().await.unwrap();
        audit::record(&txn, entry.clone()).await.unwrap();
        txn.rollback().await.unwrap();
        assert!(audit_rows(db, None).await.is_empty(), "{backend}");

        let txn = db.begin().await.unwrap();
        let id = audit::record(&txn, entry).await.unwrap();
        txn.commit().await.unwrap();
        let rows = audit_rows(db, None).await;
        assert_eq!(rows.len(), 1, "{backend}");
        assert_eq!(rows[0].id, id);
        assert_eq!(rows[0].action, AuditAction::RegistryWrite);
        assert_eq!(rows[0].before, Some(json!({"units": "%"})));
        assert_eq!(rows[0].after, Some(json!({"units": "pct"})));
        assert_eq!(rows[0].at, t0().to_rfc3339());
    }
}

#[tokio::test]
async fn the_audit_list_filters_by_time_and_action_and_pages_newest_first() {
    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let caller = admin_cli();
        for n in 0..7 {
            let action = if n % 2 == 0 {
                AuditAction::SiteWrite
            } else {
                AuditAction::DeviceWrite
            };
            let entry = AuditEntry::new(&caller, action, format!("row {n}"), t0() + minutes(n));
            audit::record(db, entry).await.unwrap();
        }
        let query = AuditQuery {
            action: Some(AuditAction::SiteWrite),
            since: Some((t0() + minutes(1)).to_rfc3339()),
            until: Some((t0() + minutes(6)).to_rfc3339()),
            ..AuditQuery::default()
        };
        let page = audit::list(db, &query).await.unwrap();
        let targets: Vec<&str> = page.entries.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(targets, ["row 4", "row 2"], "{backend}");

        let paged = AuditQuery {
            page: Some(2),
            per_page: Some(3),
            ..AuditQuery::default()
        };
        let page = audit::list(db, &paged).await.unwrap();
        let targets: Vec<&str> = page.entries.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(targets, ["row 3", "row 2", "row 1"], "{backend}");
        assert_eq!(page.total, 7);

        let bad = AuditQuery {
            since: Some("yesterday".into()),
            ..AuditQuery::default()
        };
        let error = audit::list(db, &bad).await.unwrap_err();
        assert!(matches!(error, AppError::Validation { ref field, .. } if field == "since"));
    }
}

/// A console session's caller, as the access layer builds it.
fn session_caller(name: &str) -> Caller {
    Caller::new(
        model::auth::Identity {
            name: name.into(),
            role: Role::Engineer,
            kind: ActorKind::Session,
            user_id: Some(1),
            session_id: Some(7),
            token_id: None,
            scopes: None,
        },
        Some(ADDRESS.into()),
    )
}

#[tokio::test]
async fn every_write_leaves_an_audit_row_in_its_own_transaction() {
    use model::site::spec::SystemSpec;
    use sea_orm::{ConnectionTrait, DatabaseBackend};
    use services::actor::Actor;

    for test_db in common::each_backend_migrated().await {
        let db = &test_db.db;
        let backend = test_db.backend();
        let actor = Actor::of(&session_caller("erin"), "console");
        let system = |id: &str| SystemSpec {
            id: id.into(),
            name: format!("System {id}"),
            description: None,
            timezone: "UTC".into(),
        };

        // A site write: one row, naming who, how, from where and what.
        services::site::create_system(db, &system("lab"), &actor)
            .await
            .unwrap();
        let rows = audit_rows(db, Some(AuditAction::SiteWrite)).await;
        assert_eq!(rows.len(), 1, "{backend}");
        let row = &rows[0];
        assert_eq!(
            (
                row.actor.as_str(),
                row.actor_kind,
                row.session_id,
                row.address.as_deref()
            ),
            ("erin", ActorKind::Session, Some(7), Some(ADDRESS)),
            "{backend}"
        );
        assert_eq!(row.target, "system lab", "{backend}");
        assert!(
            row.after.as_ref().unwrap()["system lab"].is_string(),
            "{backend}: {row:?}"
        );

        // A failure after the audit row is written (the site's change log refuses the insert
        // that follows it): neither the system nor its audit row remains.
        let refuse = match db.get_database_backend() {
            DatabaseBackend::Sqlite => vec![
                "CREATE TRIGGER refuse_log BEFORE INSERT ON site_change_log \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
            ],
            _ => vec![
                "CREATE FUNCTION refuse_log() RETURNS trigger AS $$ \
                 BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql;",
                "CREATE TRIGGER refuse_log BEFORE INSERT ON site_change_log \
                 FOR EACH ROW EXECUTE FUNCTION refuse_log();",
            ],
        };
        for sql in refuse {
            db.execute_unprepared(sql).await.unwrap();
        }
        let failed = services::site::create_system(db, &system("broken"), &actor).await;
        assert!(
            failed.is_err(),
            "{backend}: the injected failure must fail the write"
        );
        let systems = services::site::systems(db).await.unwrap();
        assert!(
            systems.iter().all(|s| s.id != "broken"),
            "{backend}: the system was not created"
        );
        let rows = audit_rows(db, Some(AuditAction::SiteWrite)).await;
        assert_eq!(rows.len(), 1, "{backend}: no audit row of the failed write");
        db.execute_unprepared("DROP TRIGGER refuse_log ON site_change_log")
            .await
            .or(db.execute_unprepared("DROP TRIGGER refuse_log").await)
            .unwrap();

        // A registry write: a row per changed field, before and after.
        common::import_examples(db, "test").await;
        let soc = services::registry::query::get_variable(db, "soc")
            .await
            .unwrap();
        let patch = model::registry::VariablePatch {
            units: Some("percent".into()),
            ..Default::default()
        };
        services::registry::write::update_variable(db, "soc", soc.variable_version, &patch, &actor)
            .await
            .unwrap();
        let rows = audit_rows(db, Some(AuditAction::RegistryWrite)).await;
        let units = rows
            .iter()
            .find(|r| r.target == "variable soc")
            .unwrap_or_else(|| panic!("{backend}: {rows:?}"));
        assert_eq!(units.actor, "erin");
        assert_eq!(units.before, Some(json!({"units": "%"})), "{backend}");
        assert_eq!(units.after, Some(json!({"units": "percent"})), "{backend}");
        // The import itself is one row, by the server.
        assert!(
            rows.iter()
                .any(|r| r.target.starts_with("registry import")
                    && r.actor_kind == ActorKind::System),
            "{backend}: {rows:?}"
        );
    }
}
