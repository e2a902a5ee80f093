//! Serde-only types shared by the browser and the server, and pure functions over them.

pub mod field;
pub mod profiles;
pub mod protections;
pub mod registry;
pub mod system;
