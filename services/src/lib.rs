//! Powerdeck's services: the logic behind server functions, REST routes and the CLI, as plain async
//! functions and background tasks over sea-orm, `devices` and the shared `model`. No Leptos, no axum.

pub mod actor;
pub mod auth;
pub mod convert;
pub mod database;
pub mod field;
pub mod protections;
pub mod registry;
pub mod site;
pub mod system;
#[cfg(feature = "testing")]
pub mod testing;
