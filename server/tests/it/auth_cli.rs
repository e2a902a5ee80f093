//! `powerdeck user` and `powerdeck token` end to end, running the binary on a fresh SQLite
//! file: a user added with the password on standard input signs in; the password rules and the
//! role are checked; a created token's secret (printed once, alone on stdout) verifies, with
//! its scopes, until it is revoked; each change is in the audit log as the OS user.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use chrono::Utc;
use model::auth::{ActorKind, AuditAction, AuditQuery, Permission};
use services::auth::{Auth, AuthError, audit, verify_token};

use crate::common::Fresh;

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn a_user_added_with_the_password_on_stdin_signs_in() {
    let fresh = Fresh::new();
    let (out, _) = fresh.ok(
        &["user", "add", "alice", "--role", "admin"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(out.contains("Created user alice (admin)"), "{out}");

    // The rules hold on the command line too, and nothing is created.
    let short = fresh.fails(&["user", "add", "bob", "--role", "viewer"], Some("short\n"));
    assert!(
        short.contains("password") && short.contains("12"),
        "{short}"
    );
    let role = fresh.fails(&["user", "add", "bob", "--role", "root"], Some(PASSWORD));
    assert!(role.contains("viewer, operator, engineer, admin"), "{role}");
    let taken = fresh.fails(
        &["user", "add", "alice", "--role", "viewer"],
        Some(PASSWORD),
    );
    assert!(taken.contains("exists"), "{taken}");

    let (list, _) = fresh.ok(&["user", "list"], None);
    assert!(list.contains("alice") && list.contains("admin"), "{list}");
    assert!(!list.contains("bob"), "{list}");
    assert!(!list.contains("argon2"), "{list}");

    let db = fresh.db().await;
    let auth = Auth::default();
    let signed_in = auth.login(&db, "alice", PASSWORD, None, Utc::now()).await;
    assert!(
        signed_in
            .unwrap()
            .session
            .identity()
            .can(Permission::ManageUsers)
    );
    let wrong = auth
        .login(&db, "alice", "not the password", None, Utc::now())
        .await;
    assert_eq!(wrong, Err(AuthError::InvalidCredentials));

    let query = AuditQuery {
        action: Some(AuditAction::UserCreated),
        ..AuditQuery::default()
    };
    let rows = audit::list(&db, &query).await.unwrap().entries;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor, "ops-tester");
    assert_eq!(rows[0].actor_kind, ActorKind::Cli);
    assert_eq!(rows[0].target, "user alice");
}

#[tokio::test]
async fn a_created_token_prints_a_secret_that_verifies_until_revoked() {
    let fresh = Fresh::new();
    let (secret, notes) = fresh.ok(
        &[
            "token",
            "create",
            "ci-deploy",
            "--role",
            "engineer",
            "--expires-days",
            "30",
            "--allow-deploy",
        ],
        None,
    );
    let secret = secret.trim();
    assert!(
        secret.starts_with("pd_") && !secret.contains(' '),
        "{secret}"
    );
    assert!(notes.contains("shown this once"), "{notes}");
    assert!(notes.contains("may deploy"), "{notes}");

    let db = fresh.db().await;
    let token = verify_token(&db, secret, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.name, "ci-deploy");
    let identity = token.identity();
    assert!(identity.can(Permission::DeployProtections));
    assert!(!identity.can(Permission::WriteDevices));
    assert!(token.expires_at.is_some());

    let (list, _) = fresh.ok(&["token", "list"], None);
    assert!(
        list.contains("ci-deploy") && list.contains("engineer"),
        "{list}"
    );
    assert!(!list.contains(&secret[7..]), "{list}");
    let days = fresh.fails(
        &[
            "token",
            "create",
            "x",
            "--role",
            "viewer",
            "--expires-days",
            "0",
        ],
        None,
    );
    assert!(days.contains("expires-days"), "{days}");

    let (revoked, _) = fresh.ok(&["token", "revoke", "ci-deploy"], None);
    assert!(revoked.contains("Revoked token ci-deploy"), "{revoked}");
    assert!(
        verify_token(&db, secret, Utc::now())
            .await
            .unwrap()
            .is_none()
    );
    let again = fresh.fails(&["token", "revoke", "ci-deploy"], None);
    assert!(again.contains("revoked already"), "{again}");

    let rows = audit::list(&db, &AuditQuery::default())
        .await
        .unwrap()
        .entries;
    let actions: Vec<AuditAction> = rows.iter().map(|row| row.action).collect();
    assert_eq!(
        actions,
        [AuditAction::TokenRevoked, AuditAction::TokenCreated]
    );
    assert!(rows.iter().all(|row| row.actor == "ops-tester"));
}
