//! Access control through the real router: every operation against every role, sign-in and
//! sign-out with the session cookie, the cross-site guard, anonymous reads, token scopes, and
//! identities that come from the credentials, never from a header.

use crate::common::{self, ANONYMOUS, Answer, call};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use model::auth::{NewToken, NewUser, Role, TokenScopes};
use serde_json::{Value, json};
use services::auth::Caller;
use tower::ServiceExt;

async fn migrated() -> (app::ssr::state::AppState, common::TestDb) {
    let test_db = common::sqlite().await;
    services::database::migrate(&test_db.db).await.unwrap();
    common::import_examples(&test_db.db, "test").await;
    (common::app_state(&test_db), test_db)
}

/// Every operation the server answers: the REST routes from the OpenAPI document (which every
/// route is registered with) and the server functions, each with a concrete path.
fn every_operation() -> Vec<(Method, String)> {
    let (_, document) = server::rest::documented_routes().split_for_parts();
    let mut operations = Vec::new();
    for (path, item) in &document.paths.paths {
        let concrete = path
            .replace("{name}", "soc")
            .replace("{id}", "1")
            .replace("{system_id}", "1");
        assert!(
            !concrete.contains('{'),
            "a path parameter to fill in: {path}"
        );
        for method in server::access::rules::operation_methods(item) {
            operations.push((method, concrete.clone()));
        }
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        operations.push((method, path.to_string()));
    }
    operations.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
    operations
}

#[tokio::test]
async fn every_operation_is_in_the_role_table() {
    server::access::check_rules().unwrap();
    // The table is read by the operations' paths: a server function is named by its endpoint.
    let operations = every_operation();
    assert!(operations.len() > 100, "{} operations", operations.len());
    assert!(
        operations
            .iter()
            .any(|(m, p)| m == Method::POST && p == "/api/deploy_protections")
    );
}

/// Each role tries every operation: what its role may not do answers 403 and changes nothing,
/// what it may do is never refused (it may still be invalid input: the bodies are empty).
#[tokio::test]
async fn each_role_may_do_exactly_what_the_role_table_allows() {
    let (state, _db) = migrated().await;
    let router = common::router(state.clone()).await;
    let operations = every_operation();
    let mut wrong = Vec::new();
    for role in Role::ALL.iter().copied() {
        let bearer = services::testing::test_bearer(&state.db, role).await;
        for (method, path) in &operations {
            let rule = server::access::rules::rule_for(method, path);
            let allowed = match rule {
                server::access::rules::Rule::Public => true,
                server::access::rules::Rule::Page => role.allows(model::auth::Permission::Read),
                server::access::rules::Rule::Needs(permission) => role.allows(permission),
                server::access::rules::Rule::Unlisted => {
                    wrong.push(format!("{method} {path} is not in the table"));
                    continue;
                }
            };
            let body = (*method != Method::GET).then(|| "{}".to_string());
            let answer = call(
                &router,
                method.clone(),
                path,
                &[("authorization", &bearer)],
                body,
            )
            .await;
            let refused =
                answer.status == StatusCode::FORBIDDEN || answer.status == StatusCode::UNAUTHORIZED;
            if allowed == refused {
                wrong.push(format!(
                    "{role}: {method} {path} answered {} ({})",
                    answer.status,
                    answer.text.chars().take(160).collect::<String>()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Nothing a refused role tried changed the registry: the viewer's and the operator's
    // writes were all refused, and the engineer's and admin's empty bodies were invalid.
    let soc = call(&router, Method::GET, "/api/v1/variables/soc", &[], None).await;
    assert_eq!(soc.status, StatusCode::OK, "{}", soc.text);
}

#[tokio::test]
async fn without_credentials_only_the_login_page_assets_and_probes_answer() {
    let (state, _db) = migrated().await;
    let router = common::router(state).await;
    let none = [("authorization", "anonymous")];
    assert_eq!(ANONYMOUS, b"anonymous");

    let api = call(&router, Method::GET, "/api/v1/variables", &none, None).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED, "{}", api.text);
    assert_eq!(
        api.headers[header::CONTENT_TYPE],
        "application/problem+json"
    );
    assert!(api.headers.contains_key(header::WWW_AUTHENTICATE));
    let prototype = call(&router, Method::GET, "/api/vars", &none, None).await;
    assert_eq!(prototype.status, StatusCode::UNAUTHORIZED);
    let function = call(
        &router,
        Method::POST,
        "/api/get_overview",
        &none,
        Some("{}".into()),
    )
    .await;
    assert_eq!(function.status, StatusCode::UNAUTHORIZED);

    let page = call(
        &router,
        Method::GET,
        "/registry?q=soc",
        &[("authorization", "anonymous"), ("accept", "text/html")],
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers[header::LOCATION],
        "/login?next=%2Fregistry%3Fq%3Dsoc"
    );

    for public in ["/login", "/healthz", "/readyz"] {
        let answer = call(&router, Method::GET, public, &none, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{public}: {}", answer.text);
    }
    let login_page = call(&router, Method::GET, "/login", &none, None).await;
    assert!(
        login_page.text.contains("action=\"/login\""),
        "{}",
        login_page.text
    );

    let wrong_token = call(
        &router,
        Method::GET,
        "/api/v1/variables",
        &[("authorization", "Bearer pd_not-a-token")],
        None,
    )
    .await;
    assert_eq!(wrong_token.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong_token.text.contains("unknown, expired or revoked"),
        "{}",
        wrong_token.text
    );
}

#[tokio::test]
async fn anonymous_reads_are_reads_only() {
    let (mut state, _db) = migrated().await;
    state.access.anonymous_read = true;
    let router = common::router(state).await;
    let none = [("authorization", "anonymous")];
    let page = call(&router, Method::GET, "/registry", &none, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("Sign in"),
        "the header offers to sign in"
    );
    let vars = call(&router, Method::GET, "/api/vars?limit=1", &none, None).await;
    assert_eq!(vars.status, StatusCode::OK, "{}", vars.text);
    let write = call(
        &router,
        Method::PATCH,
        "/api/v1/variables/soc",
        &[("authorization", "anonymous"), ("if-match", "1")],
        Some(json!({"units": "x"}).to_string()),
    )
    .await;
    assert_eq!(write.status, StatusCode::UNAUTHORIZED, "{}", write.text);
    let read_now = call(
        &router,
        Method::GET,
        "/api/v1/variables/soc/value",
        &none,
        None,
    )
    .await;
    assert_eq!(
        read_now.status,
        StatusCode::UNAUTHORIZED,
        "reading a device is not a read"
    );
}

#[tokio::test]
async fn a_token_deploys_and_writes_devices_only_with_those_scopes() {
    let (state, _db) = migrated().await;
    let router = common::router(state.clone()).await;
    let created = services::auth::create_token(
        &state.db,
        &NewToken {
            name: "scada".into(),
            role: Role::Engineer,
            expires_days: None,
            scopes: TokenScopes::default(),
        },
        &Caller::cli(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let bearer = format!("Bearer {}", created.secret);
    let deploy = call(
        &router,
        Method::POST,
        "/api/v1/protections/deploy",
        &[("authorization", &bearer)],
        Some("{}".into()),
    )
    .await;
    assert_eq!(deploy.status, StatusCode::FORBIDDEN, "{}", deploy.text);
    assert!(
        deploy
            .text
            .contains("`scada` was not created with the permission"),
        "{}",
        deploy.text
    );
    let write = call(
        &router,
        Method::PUT,
        "/api/v1/variables/soc/value",
        &[("authorization", &bearer)],
        Some(json!({"value": 1}).to_string()),
    )
    .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN, "{}", write.text);
    // Its role's other writes are allowed.
    let save = call(
        &router,
        Method::POST,
        "/api/v1/protections/profiles",
        &[("authorization", &bearer)],
        Some("{}".into()),
    )
    .await;
    assert_ne!(save.status, StatusCode::FORBIDDEN, "{}", save.text);
}

#[tokio::test]
async fn the_writer_is_who_the_credentials_say_not_what_a_header_claims() {
    let (state, _db) = migrated().await;
    let router = common::router(state.clone()).await;
    let engineer = services::testing::test_bearer(&state.db, Role::Engineer).await;
    let soc = call(&router, Method::GET, "/api/v1/variables/soc", &[], None).await;
    let version = soc.headers[header::ETAG].to_str().unwrap().to_string();
    let patch = call(
        &router,
        Method::PATCH,
        "/api/v1/variables/soc",
        &[
            ("authorization", &engineer),
            ("if-match", &version),
            ("x-powerdeck-user", "mallory"),
        ],
        Some(json!({"units": "percent"}).to_string()),
    )
    .await;
    assert_eq!(patch.status, StatusCode::OK, "{}", patch.text);
    let history = call(
        &router,
        Method::GET,
        "/api/v1/variables/soc/history",
        &[],
        None,
    )
    .await;
    let history: Value = serde_json::from_str(&history.text).unwrap();
    let newest = &history[0];
    assert_eq!(newest["changed_by"], "test-engineer", "{history}");
}

/// Creates the profile `summer` with `headers`.
async fn save_summer(router: &axum::Router, headers: &[(&str, &str)]) -> Answer {
    let body = json!({"name": "summer"}).to_string();
    call(
        router,
        Method::POST,
        "/api/v1/protections/profiles",
        headers,
        Some(body),
    )
    .await
}

/// Signs `name` in through the login form; the session cookie.
async fn sign_in(router: &axum::Router, name: &str, password: &str) -> Answer {
    let form = serde_urlencoded::to_string([
        ("name", name),
        ("password", password),
        ("next", "/registry"),
    ])
    .unwrap();
    let mut request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .header("authorization", "anonymous");
    request = request.header(header::HOST, "console.example");
    let response = router
        .clone()
        .oneshot(request.body(Body::from(form)).unwrap())
        .await
        .unwrap();
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        text: String::new(),
    }
}

fn session_cookie(answer: &Answer) -> String {
    let set_cookie = answer.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    set_cookie.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn a_console_session_signs_in_writes_from_its_own_pages_only_and_signs_out() {
    let (state, _db) = migrated().await;
    services::auth::create_user(
        &state.db,
        &NewUser {
            name: "erin".into(),
            role: Role::Engineer,
            password: "correct horse battery".into(),
        },
        &Caller::cli(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let router = common::router(state.clone()).await;

    let wrong = sign_in(&router, "erin", "wrong password!").await;
    assert_eq!(wrong.status, StatusCode::SEE_OTHER);
    assert_eq!(
        wrong.headers[header::LOCATION],
        "/login?error=credentials&name=erin&next=%2Fregistry"
    );
    assert!(!wrong.headers.contains_key(header::SET_COOKIE));

    let signed_in = sign_in(&router, "erin", "correct horse battery").await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers[header::LOCATION], "/registry");
    let cookie = session_cookie(&signed_in);

    let as_erin = |extra: &[(&'static str, &'static str)]| {
        let mut headers = vec![("authorization", "anonymous"), ("cookie", cookie.as_str())];
        headers.extend_from_slice(extra);
        headers
    };
    let page = call(&router, Method::GET, "/registry", &as_erin(&[]), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("erin"),
        "the header names who is signed in"
    );

    // A write from the console's own page passes; from another site, or from no page at all
    // (a script holding a stolen cookie), it is refused.
    let router = &router;
    let same_site = save_summer(router, &as_erin(&[("sec-fetch-site", "same-origin")])).await;
    assert_eq!(same_site.status, StatusCode::CREATED, "{}", same_site.text);
    let cross_site = save_summer(router, &as_erin(&[("sec-fetch-site", "cross-site")])).await;
    assert_eq!(
        cross_site.status,
        StatusCode::FORBIDDEN,
        "{}",
        cross_site.text
    );
    assert!(
        cross_site.text.contains("cross-site request refused"),
        "{}",
        cross_site.text
    );
    let no_origin = save_summer(router, &as_erin(&[])).await;
    assert_eq!(
        no_origin.status,
        StatusCode::FORBIDDEN,
        "{}",
        no_origin.text
    );
    let other_origin = save_summer(
        router,
        &as_erin(&[
            ("origin", "https://evil.example"),
            ("host", "console.example"),
        ]),
    )
    .await;
    assert_eq!(
        other_origin.status,
        StatusCode::FORBIDDEN,
        "{}",
        other_origin.text
    );
    let own_origin = save_summer(
        router,
        &as_erin(&[
            ("origin", "http://console.example"),
            ("host", "console.example"),
        ]),
    )
    .await;
    assert_eq!(
        own_origin.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the profile exists now: {}",
        own_origin.text
    );

    let logout = call(
        router,
        Method::POST,
        "/logout",
        &as_erin(&[("sec-fetch-site", "same-origin")]),
        None,
    )
    .await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    assert!(
        logout.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = call(
        router,
        Method::GET,
        "/api/v1/variables",
        &as_erin(&[]),
        None,
    )
    .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "the session ended");

    // Every step is in the audit log.
    let audit = services::auth::audit::list(&state.db, &Default::default())
        .await
        .unwrap();
    let actions: Vec<String> = audit.entries.iter().map(|e| e.action.to_string()).collect();
    for expected in ["login_failed", "login_succeeded", "logout"] {
        assert!(actions.contains(&expected.to_string()), "{actions:?}");
    }
}

#[tokio::test]
async fn a_viewer_session_reads_but_cannot_write() {
    let (state, _db) = migrated().await;
    services::auth::create_user(
        &state.db,
        &NewUser {
            name: "vic".into(),
            role: Role::Viewer,
            password: "just looking around".into(),
        },
        &Caller::cli(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let router = common::router(state.clone()).await;
    let cookie = session_cookie(&sign_in(&router, "vic", "just looking around").await);
    let headers = [
        ("authorization", "anonymous"),
        ("cookie", cookie.as_str()),
        ("sec-fetch-site", "same-origin"),
    ];
    let read = call(
        &router,
        Method::POST,
        "/api/list_registry",
        &headers,
        Some(json!({"query": {}}).to_string()),
    )
    .await;
    assert_ne!(read.status, StatusCode::FORBIDDEN, "{}", read.text);
    let write = call(
        &router,
        Method::POST,
        "/api/delete_variable",
        &headers,
        Some("{}".into()),
    )
    .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN, "{}", write.text);
    assert!(
        write
            .text
            .contains("needs the engineer role or higher; vic is viewer"),
        "{}",
        write.text
    );
}

#[tokio::test]
async fn deploying_from_the_console_asks_for_the_password_again_after_five_minutes() {
    use entity::auth::session;
    use sea_orm::{EntityTrait, sea_query::Expr};
    let (state, _db) = migrated().await;
    services::auth::create_user(
        &state.db,
        &NewUser {
            name: "erin".into(),
            role: Role::Engineer,
            password: "correct horse battery".into(),
        },
        &Caller::cli(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let router = common::router(state.clone()).await;
    let cookie = session_cookie(&sign_in(&router, "erin", "correct horse battery").await);
    let headers = [
        ("authorization", "anonymous"),
        ("cookie", cookie.as_str()),
        ("sec-fetch-site", "same-origin"),
    ];
    let deploy = async || {
        call(
            &router,
            Method::POST,
            "/api/deploy_protections",
            &headers,
            Some("{}".into()),
        )
        .await
    };
    // Just signed in: the password was typed moments ago.
    let fresh = deploy().await;
    assert_ne!(fresh.status, StatusCode::FORBIDDEN, "{}", fresh.text);

    // Ten minutes later.
    let earlier = chrono::Utc::now() - chrono::TimeDelta::minutes(10);
    session::Entity::update_many()
        .col_expr(session::Column::ReauthenticatedAt, Expr::value(earlier))
        .exec(&state.db)
        .await
        .unwrap();
    let stale = deploy().await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN, "{}", stale.text);
    let error: model::error::AppError = serde_json::from_str(&stale.text).unwrap();
    assert!(
        matches!(error, model::error::AppError::ReauthenticationRequired(_)),
        "{error:?}"
    );
    // Reading stays allowed meanwhile.
    let read = call(
        &router,
        Method::POST,
        "/api/alarm_overview",
        &headers,
        Some(String::new()),
    )
    .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);

    let confirm = |password: &str| {
        let body = serde_urlencoded::to_string([("password", password)]).unwrap();
        let mut request = Request::post("/api/confirm_password")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        router
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
    };
    let wrong = confirm("not my password").await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = confirm("correct horse battery").await.unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    let confirmed = deploy().await;
    assert_ne!(
        confirmed.status,
        StatusCode::FORBIDDEN,
        "{}",
        confirmed.text
    );
}

#[tokio::test]
async fn admins_read_the_audit_log_as_json_and_csv_and_nobody_else_does() {
    let (state, _db) = migrated().await;
    let router = common::router(state.clone()).await;
    // A write to find: the admin token changes soc's units.
    let soc = call(&router, Method::GET, "/api/v1/variables/soc", &[], None).await;
    let version = soc.headers[header::ETAG].to_str().unwrap().to_string();
    let patch = call(
        &router,
        Method::PATCH,
        "/api/v1/variables/soc",
        &[("if-match", &version)],
        Some(json!({"units": "percent"}).to_string()),
    )
    .await;
    assert_eq!(patch.status, StatusCode::OK, "{}", patch.text);

    let page = call(
        &router,
        Method::GET,
        "/api/v1/audit?who=test-admin&action=registry_write",
        &[],
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let page: Value = serde_json::from_str(&page.text).unwrap();
    assert_eq!(page["total"], 1, "{page}");
    let row = &page["entries"][0];
    assert_eq!(row["target"], "variable soc");
    assert_eq!(row["actor_kind"], "token");
    assert_eq!(row["before"], json!({"units": "%"}));
    assert_eq!(row["after"], json!({"units": "percent"}));

    let csv = call(
        &router,
        Method::GET,
        "/api/v1/audit.csv?who=test-admin",
        &[],
        None,
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines[0],
        "id,at,actor,actor_kind,address,action,target,outcome,before,after,detail"
    );
    assert!(
        lines[1].contains(
            ",test-admin,token,,registry_write,variable soc,succeeded,\"{\"\"units\"\":\"\"%\"\"}\""
        ),
        "{}",
        lines[1]
    );

    let bad_time = call(
        &router,
        Method::GET,
        "/api/v1/audit?since=yesterday",
        &[],
        None,
    )
    .await;
    assert_eq!(
        bad_time.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad_time.text
    );

    let engineer = services::testing::test_bearer(&state.db, Role::Engineer).await;
    let refused = call(
        &router,
        Method::GET,
        "/api/v1/audit",
        &[("authorization", &engineer)],
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
}

#[tokio::test]
async fn admins_manage_users_and_tokens_over_rest_and_users_change_their_own_password() {
    let (state, _db) = migrated().await;
    let router = common::router(state.clone()).await;

    // A user with a weak password: every broken rule is listed.
    let weak = call(
        &router,
        Method::POST,
        "/api/v1/users",
        &[],
        Some(json!({"name": "dana", "role": "operator", "password": "dana"}).to_string()),
    )
    .await;
    assert_eq!(
        weak.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        weak.text
    );
    let problem: Value = serde_json::from_str(&weak.text).unwrap();
    assert_eq!(problem["field"], "password", "{problem}");
    assert_eq!(
        problem["problems"].as_array().unwrap().len(),
        2,
        "{problem}"
    );

    let created = call(
        &router,
        Method::POST,
        "/api/v1/users",
        &[],
        Some(
            json!({"name": "dana", "role": "operator", "password": "a long passphrase"})
                .to_string(),
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let listed = call(&router, Method::GET, "/api/v1/users", &[], None).await;
    assert!(
        listed.text.contains("\"dana\"") && !listed.text.contains("argon2"),
        "{}",
        listed.text
    );

    // Dana signs in and changes her own password (the old one first).
    let cookie = session_cookie(&sign_in(&router, "dana", "a long passphrase").await);
    let from_page = [
        ("authorization", "anonymous"),
        ("cookie", cookie.as_str()),
        ("sec-fetch-site", "same-origin"),
    ];
    let wrong = call(
        &router,
        Method::POST,
        "/api/v1/me/password",
        &from_page,
        Some(json!({"old_password": "not it", "new_password": "another long phrase"}).to_string()),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.text);
    let changed = call(
        &router,
        Method::POST,
        "/api/v1/me/password",
        &from_page,
        Some(
            json!({"old_password": "a long passphrase", "new_password": "another long phrase"})
                .to_string(),
        ),
    )
    .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text);
    // Dana may not manage users.
    let refused = call(&router, Method::GET, "/api/v1/users", &from_page, None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    // A token has no password to change.
    let token_change = call(
        &router,
        Method::POST,
        "/api/v1/me/password",
        &[],
        Some(json!({"old_password": "x", "new_password": "another long phrase"}).to_string()),
    )
    .await;
    assert_eq!(
        token_change.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        token_change.text
    );

    // The admin disables Dana: her session ends at once.
    let disabled = call(
        &router,
        Method::PATCH,
        "/api/v1/users/dana",
        &[],
        Some(json!({"disabled": true}).to_string()),
    )
    .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.text);
    let ended = call(
        &router,
        Method::GET,
        "/api/v1/variables/soc",
        &from_page,
        None,
    )
    .await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED, "{}", ended.text);

    // A token made over REST works until it is revoked over REST.
    let token = call(
        &router,
        Method::POST,
        "/api/v1/tokens",
        &[],
        Some(json!({"name": "scada", "role": "viewer", "expires_days": 30}).to_string()),
    )
    .await;
    assert_eq!(token.status, StatusCode::CREATED, "{}", token.text);
    let token: Value = serde_json::from_str(&token.text).unwrap();
    let bearer = format!("Bearer {}", token["secret"].as_str().unwrap());
    let with_token = [("authorization", bearer.as_str())];
    let read = call(
        &router,
        Method::GET,
        "/api/v1/variables/soc",
        &with_token,
        None,
    )
    .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let tokens = call(&router, Method::GET, "/api/v1/tokens", &[], None).await;
    assert!(tokens.text.contains("\"scada\""), "{}", tokens.text);
    assert!(
        !tokens.text.contains(token["secret"].as_str().unwrap()),
        "{}",
        tokens.text
    );
    let revoked = call(&router, Method::DELETE, "/api/v1/tokens/scada", &[], None).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    let after = call(
        &router,
        Method::GET,
        "/api/v1/variables/soc",
        &with_token,
        None,
    )
    .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "{}", after.text);
    let again = call(&router, Method::DELETE, "/api/v1/tokens/scada", &[], None).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);

    // Each change is in the audit log.
    let audit = call(
        &router,
        Method::GET,
        "/api/v1/audit?per_page=500",
        &[],
        None,
    )
    .await;
    let audit: Value = serde_json::from_str(&audit.text).unwrap();
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["action"].as_str().unwrap())
        .collect();
    for action in [
        "user_created",
        "password_changed",
        "user_changed",
        "token_created",
        "token_revoked",
    ] {
        assert!(actions.contains(&action), "{action} missing: {actions:?}");
    }
}
