//! Powerdeck's services: the logic behind server functions, REST routes and the CLI, as plain async
//! functions and background tasks over sea-orm, `devices` and the shared `model`. No Leptos, no axum.

// TODO(lints): 10 narrowing casts (counts and offsets) and 4 functions just over 80 lines
// (update_path, insert_new_variables, export, FieldConfig::target) are still to fix.
#![allow(clippy::cast_possible_truncation, clippy::too_many_lines)]

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
