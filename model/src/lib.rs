//! Powerdeck's shared model: serde types that cross the wire between browser and server, pure
//! functions over them (validation among them), and `AppError`, the one error type on the wire.

pub mod error;

pub mod field;
pub mod profiles;
pub mod protections;
pub mod registry;
pub mod system;
