//! The login form's `POST /login` and the header's `POST /logout`: plain HTML forms that work
//! without JavaScript, answered with a redirect (303) and the session cookie.

use app::ssr::state::AppState;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use services::auth::AuthError;

use super::{SESSION_COOKIE, client_address, cookie, same_origin};

/// What the login form posts.
#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    /// Where to go once signed in (a path of this console).
    #[serde(default)]
    next: String,
}

/// Signs in and goes to `next`, or back to the login page with what went wrong.
pub async fn login(State(state): State<AppState>, request: Request) -> Response {
    let address = client_address(&request).map(|addr| addr.ip().to_string());
    let headers = request.headers().clone();
    let body = match axum::body::to_bytes(request.into_body(), 64 * 1024).await {
        Ok(body) => body,
        Err(_) => return back_to_login("invalid", "", "/"),
    };
    let form = parse_form(&body);
    let next = safe_next(&form.next);
    if let Err(error) = same_origin(&headers) {
        tracing::warn!(%error, "login refused");
        return back_to_login("cross_site", &form.name, next);
    }
    let name = form.name.trim();
    let outcome = state
        .access
        .auth
        .login(
            &state.db,
            name,
            &form.password,
            address.as_deref(),
            chrono::Utc::now(),
        )
        .await;
    match outcome {
        Ok(outcome) => {
            let mut response = Redirect::to(next).into_response();
            let cookie = session_cookie(&outcome.secret, state.access.secure_cookies);
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(AuthError::RateLimited { .. }) => back_to_login("rate_limited", name, next),
        Err(AuthError::InvalidCredentials | AuthError::Invalid(_)) => {
            back_to_login("credentials", name, next)
        }
        Err(AuthError::App(error)) => {
            tracing::error!(%error, "login failed");
            back_to_login("server", name, next)
        }
    }
}

/// Ends the session (if any) and goes to the login page.
pub async fn logout(State(state): State<AppState>, request: Request) -> Response {
    let address = client_address(&request).map(|addr| addr.ip().to_string());
    let headers = request.headers();
    if same_origin(headers).is_ok()
        && let Some(secret) = cookie(headers, SESSION_COOKIE)
        && let Err(error) =
            services::auth::logout(&state.db, secret, address.as_deref(), chrono::Utc::now()).await
    {
        tracing::error!(%error, "logout failed");
    }
    let mut response = Redirect::to("/login?signed_out=1").into_response();
    let expired = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&expired) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The session cookie: never readable by scripts, never sent by another site's page, only over
/// TLS when the console is served over TLS. No `Max-Age`: the server ends idle sessions.
pub fn session_cookie(secret: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict{secure}")
}

fn parse_form(body: &Bytes) -> LoginForm {
    serde_urlencoded::from_bytes(body).unwrap_or(LoginForm {
        name: String::new(),
        password: String::new(),
        next: String::new(),
    })
}

/// `next` if it is a path of this console, else the Overview: a login link cannot send the
/// operator to another site.
fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if local && !next.starts_with("/login") {
        next
    } else {
        "/"
    }
}

fn back_to_login(error: &str, name: &str, next: &str) -> Response {
    let query = serde_urlencoded::to_string([("error", error), ("name", name), ("next", next)])
        .unwrap_or_default();
    Redirect::to(&format!("/login?{query}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_console() {
        assert_eq!(safe_next("/registry?q=soc"), "/registry?q=soc");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next("/login?next=/x"), "/");
        assert_eq!(safe_next(""), "/");
    }

    #[test]
    fn the_session_cookie_is_http_only_and_strict() {
        assert_eq!(
            session_cookie("abc", false),
            "powerdeck_session=abc; Path=/; HttpOnly; SameSite=Strict"
        );
        assert!(session_cookie("abc", true).ends_with("; Secure"));
    }
}
