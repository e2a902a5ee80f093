//! The access layer: who is calling (a console session's cookie or an API token), whether they
//! may do what they ask ([`rules`]), and the browser-side guard against cross-site requests.
//! Every request passes through [`guard`] before any route, page or server function sees it;
//! what it lets through carries the [`Caller`] in its extensions (server functions read it with
//! `app::ssr::caller`, REST handlers as `Extension<Caller>`).

pub mod login;
pub mod rules;

use std::net::SocketAddr;

use app::ssr::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use model::auth::{ActorKind, Identity, Permission, Role};
use model::error::AppError;
use services::auth::{Caller, SessionInfo};

use self::rules::Rule;
use crate::rest::Problem;
use crate::rest::prototype::errors::PrototypeError;

/// The console session's cookie.
pub const SESSION_COOKIE: &str = "powerdeck_session";

/// Resolves the caller and applies the route's rule; see the module's header.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let rule = rules::rule_for(request.method(), request.uri().path());
    let permission = match rule {
        Rule::Public => return next.run(request).await,
        Rule::Page => Some(Permission::Read),
        Rule::Needs(permission) => Some(permission),
        // A path or a method no route answers: the router's 404 or 405 says so, to a caller
        // known to be somebody. (Every route that answers is listed: the server checks the
        // table against its routes when it starts, see [`rules::unlisted_operations`].)
        Rule::Unlisted => None,
    };
    let address = client_address(&request);
    let now = chrono::Utc::now();
    let (caller, session) = match identify(&state, request.headers(), address, now).await {
        Ok(found) => found,
        Err(error) => return refusal(&request, error),
    };
    let reading = matches!(permission, Some(Permission::Read));
    let caller = match caller {
        Some(caller) => caller,
        // A site that opened its reads to everybody: reads only, as the viewer nobody is.
        None if state.access.anonymous_read && reading => {
            Caller::new(anonymous_viewer(), address_text(address))
        }
        None => {
            let error = AppError::Unauthenticated(
                "sign in, or send an API token as `Authorization: Bearer pd_…`".into(),
            );
            return refusal(&request, error);
        }
    };
    if caller.kind() == ActorKind::Session
        && !is_safe(request.method())
        && let Err(error) = same_origin(request.headers())
    {
        return refusal(&request, error);
    }
    if let Some(permission) = permission
        && !caller.identity.can(permission)
    {
        return refusal(&request, forbidden(&caller.identity, permission));
    }
    // In the browser, deploying and writing a device ask for the password again unless it was
    // typed within the last few minutes (a token's scopes play that part for scripts).
    let sensitive = matches!(
        permission,
        Some(Permission::DeployProtections | Permission::WriteDevices)
    );
    let window = state.access.auth.config().reauthentication;
    if sensitive
        && let Some(session) = &session
        && !session.reauthenticated_within(window, now)
    {
        let error = AppError::ReauthenticationRequired(format!(
            "confirm with your password: it is asked again before deploying or writing a device when it was typed more than {} minutes ago",
            window.num_minutes()
        ));
        return refusal(&request, error);
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// Who is calling: a bearer token (a wrong one is refused outright, so a script with a typo
/// hears so) or else the session cookie (an expired one is as good as none), with the session.
async fn identify(
    state: &AppState,
    headers: &HeaderMap,
    address: Option<SocketAddr>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Option<Caller>, Option<SessionInfo>), AppError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let secret = value
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                AppError::Unauthenticated("Authorization must be `Bearer pd_…`".into())
            })?;
        let token = services::auth::verify_token(&state.db, secret, now)
            .await?
            .ok_or_else(|| {
                AppError::Unauthenticated("the token is unknown, expired or revoked".into())
            })?;
        return Ok((
            Some(Caller::new(token.identity(), address_text(address))),
            None,
        ));
    }
    let Some(secret) = cookie(headers, SESSION_COOKIE) else {
        return Ok((None, None));
    };
    let session = state.access.auth.session(&state.db, secret, now).await?;
    let caller = session
        .as_ref()
        .map(|session| Caller::new(session.identity(), address_text(address)));
    Ok((caller, session))
}

/// The anonymous reader of a site started with `--anonymous-read`.
fn anonymous_viewer() -> Identity {
    Identity {
        name: "anonymous".into(),
        role: Role::Viewer,
        kind: ActorKind::Anonymous,
        user_id: None,
        session_id: None,
        token_id: None,
        scopes: None,
    }
}

fn forbidden(identity: &Identity, permission: Permission) -> AppError {
    let needs = permission.minimum_role();
    let why = match identity.scopes {
        Some(scopes)
            if identity.role.allows(permission) && !scopes.allows(identity.role, permission) =>
        {
            format!(
                "the token `{}` was not created with the permission to {}",
                identity.name,
                permission.as_str().replace('_', " ")
            )
        }
        _ => format!(
            "{} needs the {} role or higher; {} is {}",
            permission.as_str().replace('_', " "),
            needs.label().to_lowercase(),
            identity.name,
            identity.role.label().to_lowercase()
        ),
    };
    AppError::Forbidden(why)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The cross-site request guard for cookie sessions (the cookie is also `SameSite=Strict`): a
/// state-changing request must come from a page of this console. Browsers say where a request
/// comes from in `Sec-Fetch-Site` and `Origin`, for forms posted without JavaScript too; a
/// request that says neither is not from a browser and has no business with a session cookie.
pub fn same_origin(headers: &HeaderMap) -> Result<(), AppError> {
    let refuse = |why: &str| {
        Err(AppError::Forbidden(format!(
            "cross-site request refused: {why}"
        )))
    };
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return match site {
            "same-origin" | "none" => Ok(()),
            other => refuse(&format!(
                "it comes from another site (Sec-Fetch-Site: {other})"
            )),
        };
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        host,
    ) {
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            if origin_host.eq_ignore_ascii_case(host) {
                Ok(())
            } else {
                refuse(&format!("Origin {origin} is not this console ({host})"))
            }
        }
        _ => refuse("the request names no origin (use an API token from scripts)"),
    }
}

/// The answer to a refused request: a redirect to the login page for a browser asking for a
/// page; otherwise the error in the dialect of the path's API: a server function's error for
/// the console's own calls (its page shows it), FastAPI's `{"detail": …}` on the prototype's
/// routes, problem+json elsewhere.
fn refusal(request: &Request, error: AppError) -> Response {
    let path = request.uri().path();
    let unauthenticated = matches!(error, AppError::Unauthenticated(_));
    let wants_page =
        !rules::is_api(path) && request.method() == Method::GET && accepts_html(request.headers());
    if unauthenticated && wants_page {
        let next = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
        return Redirect::to(&format!("/login?{query}")).into_response();
    }
    let status = crate::rest::status_of(&error);
    let mut response = if rules::is_server_function(path) {
        let body = serde_json::to_string(&error).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    } else if rules::is_prototype(path) {
        PrototypeError::Detail(status, error.plain()).into_response()
    } else {
        Problem::from(error).into_response()
    };
    if unauthenticated {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"powerdeck\""),
        );
    }
    response
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|accept| {
            accept.contains("text/html") || accept.contains("*/*") && !accept.contains("json")
        })
}

/// One cookie's value from the `Cookie` header(s).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// The peer's address (the server is served with connection info; tests that call the router
/// directly have none). A reverse proxy's `X-Forwarded-For` is not trusted.
pub fn client_address(request: &Request) -> Option<SocketAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr)
}

fn address_text(address: Option<SocketAddr>) -> Option<String> {
    address.map(|addr| addr.ip().to_string())
}

/// Every operation this server answers must be in the rules: checked when the server starts
/// (and by the role test), so a route added without its permission is never served.
pub fn check_rules() -> anyhow::Result<()> {
    let (_, document) = crate::rest::documented_routes().split_for_parts();
    let functions = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.to_string());
    let unlisted = rules::unlisted_operations(&document, functions);
    anyhow::ensure!(
        unlisted.is_empty(),
        "these operations are in no role's table (server/src/access/rules.rs): {}",
        unlisted.join(", ")
    );
    Ok(())
}
