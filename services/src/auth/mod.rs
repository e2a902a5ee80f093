//! Access control (issue 13), without the HTTP layer: users with argon2id password hashes,
//! sign-in with a per-user lock and a per-address rate limit, console sessions that expire after
//! inactivity, API tokens, and the append-only audit log.
//!
//! [`Auth`] holds the configuration and the in-memory address limiter: the server keeps one for
//! its lifetime and every login goes through it. Users, tokens and the audit log are plain
//! functions over a connection. Every time is passed in (`now`), so tests move the clock
//! instead of sleeping.
//!
//! What the callers get: [`Auth::login`] gives a session secret (the cookie's value) and
//! [`Auth::session`] turns it back into who is signed in; [`verify_token`] does the same for a
//! bearer token. Both give an [`Identity`](model::auth::Identity) whose `can(Permission)` says
//! what the caller may do, and [`Caller`] (identity + address) is what each write records in
//! the audit log ([`audit::record`], in the write's own transaction).

pub mod audit;
mod limiter;
mod login;
mod password;
mod secrets;
mod sessions;
mod tokens;
mod users;

use chrono::TimeDelta;
use model::auth::{ActorKind, Identity};
use model::error::AppError;
use model::registry::FieldError;

pub use self::limiter::AddressLimiter;
pub use self::login::LoginOutcome;
pub use self::password::{
    ARGON2_M_COST_KIB, ARGON2_P_COST, ARGON2_T_COST, hash_password, verify_password,
};
pub use self::secrets::{SESSION_SECRET_CHARS, TOKEN_PREFIX, hash_secret};
pub use self::sessions::{SessionInfo, logout, purge_expired_sessions};
pub use self::tokens::{
    MAX_TOKEN_DAYS, TokenInfo, create_token, list_tokens, revoke_token, verify_token,
};
pub use self::users::{create_user, list_users, set_password, update_user};

/// How sign-in behaves. The defaults are the issue's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// A session ends after this long without a request.
    pub session_idle: TimeDelta,
    /// This many failed logins in a row lock the account ...
    pub max_failed_logins: u32,
    /// ... for this long (the right password is refused too until then).
    pub lockout: TimeDelta,
    /// At most this many failed logins from one address ...
    pub address_max_failures: u32,
    /// ... within this sliding window; more are refused before any password is checked.
    pub address_window: TimeDelta,
    /// A sensitive change asks for the password again unless it was typed this recently.
    pub reauthentication: TimeDelta,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_idle: TimeDelta::minutes(30),
            max_failed_logins: 5,
            lockout: TimeDelta::minutes(15),
            address_max_failures: 10,
            address_window: TimeDelta::minutes(15),
            reauthentication: TimeDelta::minutes(5),
        }
    }
}

/// The sign-in service: the configuration and the per-address limiter (in memory: a restart
/// forgets it; the per-user lock is in the database and survives).
#[derive(Debug)]
pub struct Auth {
    config: AuthConfig,
    limiter: AddressLimiter,
}

impl Auth {
    /// Also hashes the dummy password unknown names are checked against (tens of
    /// milliseconds, once per process).
    pub fn new(config: AuthConfig) -> Auth {
        password::warm_up();
        let limiter = AddressLimiter::new(config.address_max_failures, config.address_window);
        Auth { config, limiter }
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    pub fn limiter(&self) -> &AddressLimiter {
        &self.limiter
    }
}

impl Default for Auth {
    fn default() -> Self {
        Auth::new(AuthConfig::default())
    }
}

/// Who is acting and from where: what an audit row records about its actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub identity: Identity,
    /// The client's address (`203.0.113.7`); none on the command line.
    pub address: Option<String>,
}

impl Caller {
    pub fn new(identity: Identity, address: Option<String>) -> Caller {
        Caller { identity, address }
    }

    /// The command line on the server, as the OS user (`$USER`, else `cli`).
    pub fn cli() -> Caller {
        let user = std::env::var("USER")
            .ok()
            .filter(|user| !user.is_empty())
            .unwrap_or_else(|| "cli".into());
        Caller::new(Identity::cli(user), None)
    }

    pub fn kind(&self) -> ActorKind {
        self.identity.kind
    }
}

/// Why a sign-in, a password change or a token operation did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The name or the password is wrong, the name is unknown, the account is locked or
    /// disabled: one answer for all, so that nobody learns which names exist (the audit row
    /// says which it was).
    #[error("wrong name or password (repeated failures lock the account for a while)")]
    InvalidCredentials,
    /// Too many failed logins from this address.
    #[error("too many failed logins from this address: try again in {} minute(s)", minutes_up(*retry_after))]
    RateLimited { retry_after: TimeDelta },
    /// Input that breaks a rule (a short password, a bad name), each problem at its field.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    App(#[from] AppError),
}

fn minutes_up(delta: TimeDelta) -> i64 {
    (delta.num_seconds() + 59).div_euclid(60).max(1)
}

impl From<sea_orm::DbErr> for AuthError {
    fn from(err: sea_orm::DbErr) -> Self {
        AuthError::App(err.into())
    }
}

/// For callers that speak `AppError` only: a refused sign-in is a 401 naming nothing more, too
/// many attempts a 429.
impl From<AuthError> for AppError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::InvalidCredentials => AppError::Unauthenticated(error.to_string()),
            AuthError::RateLimited { .. } => AppError::RateLimited(error.to_string()),
            // One error crosses the wire: it names the first field and says every problem
            // (the REST API also lists them apart).
            AuthError::Invalid(errors) => {
                let Some(first) = errors.first() else {
                    return AppError::validation("", "invalid");
                };
                let message = errors
                    .iter()
                    .map(|error| {
                        if error.field == first.field {
                            error.message.clone()
                        } else {
                            format!("{}: {}", error.field, error.message)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                AppError::validation(first.field.clone(), message)
            }
            AuthError::App(error) => error,
        }
    }
}

/// A time as the DTOs carry it.
fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339()
}
