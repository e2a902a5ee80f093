//! Access control (issue 13): users, their console sessions, API tokens and the audit log.
//! Sessions and tokens hold only the SHA-256 of their secret.

pub mod api_token;
pub mod audit_log;
pub mod session;
pub mod user;
