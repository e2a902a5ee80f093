//! `AppError`: the one error type that crosses the wire between server functions and the browser.

use serde::{Deserialize, Serialize};

use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// Everything a server function can report. Messages are safe to show to an operator: internal
/// details (SQL, stack traces) are logged on the server and never sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AppError {
    /// Input broke a rule; `field` is the path of the offending field (e.g. `soc.max.alert.threshold`).
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("not found: {0}")]
    NotFound(String),
    /// The data changed since it was read; reload and try again.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("device error: {0}")]
    Device(String),
    /// The field configuration does not say where the data lives (no bus, no data source for a
    /// memory table): fixing the configuration helps, retrying the device does not.
    #[error("not configured: {0}")]
    NotConfigured(String),
    /// No session or token, or one that expired: sign in (401).
    #[error("sign-in required: {0}")]
    Unauthenticated(String),
    /// Signed in, but the role (or the token's scopes) does not allow this (403).
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// A console session must confirm the password before this change (deploying protections,
    /// writing a device value) because it was last typed too long ago (403).
    #[error("password needed: {0}")]
    ReauthenticationRequired(String),
    /// Too many attempts (failed logins from one address): try again later (429).
    #[error("too many attempts: {0}")]
    RateLimited(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// The request never reached the server function or its answer could not be read.
    #[error("request failed: {0}")]
    Transport(String),
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A short title for an error banner.
    pub fn title(&self) -> &'static str {
        match self {
            AppError::Validation { .. } => "Invalid input",
            AppError::NotFound(_) => "Not found",
            AppError::Conflict(_) => "Changed by someone else",
            AppError::Device(_) => "Device error",
            AppError::NotConfigured(_) => "Not configured",
            AppError::Unauthenticated(_) => "Sign-in required",
            AppError::Forbidden(_) => "Not allowed",
            AppError::ReauthenticationRequired(_) => "Password needed",
            AppError::RateLimited(_) => "Too many attempts",
            AppError::Internal(_) => "Server error",
            AppError::Transport(_) => "Connection problem",
        }
    }

    /// The error in plain words, without its kind's prefix (`port: must be at least 1`).
    pub fn plain(&self) -> String {
        match self {
            AppError::Validation { field, message } => format!("{field}: {message}"),
            AppError::NotFound(m)
            | AppError::Conflict(m)
            | AppError::Device(m)
            | AppError::NotConfigured(m)
            | AppError::Unauthenticated(m)
            | AppError::Forbidden(m)
            | AppError::ReauthenticationRequired(m)
            | AppError::RateLimited(m)
            | AppError::Internal(m)
            | AppError::Transport(m) => m.clone(),
        }
    }
}

/// A broken rule of the shared validation becomes the 422 `Invalid input` that names its field.
impl From<crate::registry::FieldError> for AppError {
    fn from(error: crate::registry::FieldError) -> Self {
        AppError::Validation {
            field: error.field,
            message: error.message,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "server")]
impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        // The details may contain SQL or connection strings: log them, send a safe message.
        tracing::error!(error = %err, "database error");
        AppError::Internal("the database reported an error; see the server log".into())
    }
}

#[cfg(feature = "server")]
impl From<devices::DeviceError> for AppError {
    fn from(err: devices::DeviceError) -> Self {
        // A device error's message is written for operators (timeout, Modbus exception, refusal)
        // and names no server internals, so it is sent as it is.
        AppError::Device(err.to_string())
    }
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::*;

    #[test]
    fn device_errors_become_device_errors_with_their_plain_message() {
        let timeout = devices::DeviceError::Timeout(std::time::Duration::from_millis(300));
        assert_eq!(
            AppError::from(timeout),
            AppError::Device("no answer within 300 ms".into())
        );
        let refused = AppError::from(devices::DeviceError::Refused("read-only".into()));
        assert_eq!(refused.to_string(), "device error: refused: read-only");
        assert_eq!(refused.title(), "Device error");
    }
}
