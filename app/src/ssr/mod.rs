//! Server-only code (feature `ssr`): application state and the services behind server functions.

pub mod field;
pub mod protections;
pub mod service;
pub mod state;
