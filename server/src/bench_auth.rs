//! `powerdeck bench auth`: the figures of access control (issue 13) on a throw-away database:
//! one argon2id hash, a whole sign-in (limit, verification, transaction, session, audit row),
//! the lookups an authenticated request makes (a session cookie or a bearer token, found by the
//! SHA-256 of its secret), and a whole request through the real router with a session, with a
//! token, and without either (on a site open for anonymous reads): the difference is what
//! signing in costs each request.

use std::time::Instant;

use anyhow::Context;
use chrono::Utc;
use model::auth::{NewToken, NewUser, Role, TokenScopes};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use services::auth::{
    self, ARGON2_M_COST_KIB, ARGON2_P_COST, ARGON2_T_COST, Auth, AuthConfig, Caller,
};
use services::database::{self, DatabaseTarget};

use crate::bench::{median, ms};
use crate::bench_site::scratch_database;

const LOGINS: usize = 20;
const LOOKUPS: usize = 2_000;
const PASSWORD: &str = "bench password, long enough";

/// A duration finer than `ms` prints: lookups take tens of microseconds.
fn us(d: std::time::Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

pub async fn run(postgres_url: Option<String>) -> anyhow::Result<()> {
    println!(
        "auth bench: argon2id m={ARGON2_M_COST_KIB} KiB, t={ARGON2_T_COST}, p={ARGON2_P_COST}; \
         {LOGINS} sign-ins, {LOOKUPS} lookups each, {} cores{}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        if cfg!(debug_assertions) {
            " (debug build: argon2 optimised, the rest not)"
        } else {
            ""
        }
    );
    let hash_p50 = median(LOGINS, || async {
        auth::hash_password(PASSWORD)?;
        Ok(())
    })
    .await?;
    println!("{:<38}{:>10}", "argon2id hash p50", ms(hash_p50));

    let dir = tempfile::tempdir().context("temporary directory")?;
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
    measure("SQLite", &url).await?;

    if let Some(admin_url) = postgres_url {
        let name = format!("powerdeck_bench_auth_{}", std::process::id());
        let (admin, url) = scratch_database(&admin_url, &name).await?;
        let result = measure("PostgreSQL", &url).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        result?;
    }
    Ok(())
}

async fn measure(label: &str, url: &str) -> anyhow::Result<()> {
    let db = database::connect(&DatabaseTarget::parse(url)?).await?;
    database::migrate(&db).await?;
    let caller = Caller::cli();
    let user = NewUser {
        name: "bench".into(),
        role: Role::Engineer,
        password: PASSWORD.into(),
    };
    auth::create_user(&db, &user, &caller, Utc::now()).await?;
    // No address: the bench's own sign-ins must not trip the per-address limit.
    let service = Auth::new(AuthConfig::default());
    let login_p50 = median(LOGINS, || async {
        service
            .login(&db, "bench", PASSWORD, None, Utc::now())
            .await?;
        Ok(())
    })
    .await?;
    println!(
        "{:<38}{:>10}  (verify + session + audit row; issue: <= 300 ms)",
        format!("{label}: sign-in p50"),
        ms(login_p50)
    );

    let secret = service
        .login(&db, "bench", PASSWORD, None, Utc::now())
        .await?
        .secret;
    let session_p50 = lookups(&db, |db| {
        let secret = secret.clone();
        let service = &service;
        async move {
            let found = service.session(db, &secret, Utc::now()).await?;
            anyhow::ensure!(found.is_some(), "the bench session expired");
            Ok(())
        }
    })
    .await?;
    println!(
        "{:<38}{:>10}  (added to each request; issue: <= 0.2 ms)",
        format!("{label}: session cookie lookup p50"),
        us(session_p50)
    );

    let token = NewToken {
        name: "bench".into(),
        role: Role::Viewer,
        expires_days: None,
        scopes: TokenScopes::default(),
    };
    let created = auth::create_token(&db, &token, &caller, Utc::now()).await?;
    let token_p50 = lookups(&db, |db| {
        let secret = created.secret.clone();
        async move {
            let found = auth::verify_token(db, &secret, Utc::now()).await?;
            anyhow::ensure!(found.is_some(), "the bench token was refused");
            Ok(())
        }
    })
    .await?;
    println!(
        "{:<38}{:>10}",
        format!("{label}: bearer token lookup p50"),
        us(token_p50)
    );
    whole_requests(label, url, &db, &secret, &created.secret).await?;
    db.close().await?;
    Ok(())
}

/// `GET /api/v1/system/version` through the real router: anonymous (the site allows anonymous
/// reads), with the session cookie, with the bearer token.
async fn whole_requests(
    label: &str,
    url: &str,
    db: &DatabaseConnection,
    session_secret: &str,
    token_secret: &str,
) -> anyhow::Result<()> {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    let info = DatabaseTarget::parse(url)?.info;
    let router = crate::http::router(crate::bench::bench_state(db.clone(), info));
    let cookie = format!("{}={session_secret}", crate::access::SESSION_COOKIE);
    let bearer = format!("Bearer {token_secret}");
    let variants = [
        ("anonymous", None),
        ("session", Some(("cookie", cookie.as_str()))),
        ("token", Some(("authorization", bearer.as_str()))),
    ];
    let mut p50s = Vec::new();
    for (name, header) in variants {
        let request = || {
            let router = router.clone();
            async move {
                let mut request = Request::get("/api/v1/system/version");
                if let Some((key, value)) = header {
                    request = request.header(key, value);
                }
                let response = router.oneshot(request.body(Body::empty())?).await?;
                anyhow::ensure!(
                    response.status().is_success(),
                    "{name}: the request answered {}",
                    response.status()
                );
                Ok(())
            }
        };
        for _ in 0..50 {
            request().await?;
        }
        p50s.push((name, median(LOOKUPS, request).await?));
    }
    let anonymous = p50s[0].1;
    for (name, p50) in &p50s {
        let extra = p50.as_secs_f64() - anonymous.as_secs_f64();
        println!(
            "{:<38}{:>10}  ({:+.0} µs over anonymous; issue: <= +0.2 ms)",
            format!("{label}: request p50, {name}"),
            us(*p50),
            extra * 1e6
        );
    }
    Ok(())
}

/// The median of `LOOKUPS` calls of `f`, after a warm-up (connections, statement cache).
async fn lookups<'a, F, Fut>(
    db: &'a DatabaseConnection,
    f: F,
) -> anyhow::Result<std::time::Duration>
where
    F: Fn(&'a DatabaseConnection) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    for _ in 0..50 {
        f(db).await?;
    }
    let started = Instant::now();
    let p50 = median(LOOKUPS, || f(db)).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "lookups");
    Ok(p50)
}
