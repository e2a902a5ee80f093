//! Services: the logic behind server functions and REST routes, each taking `&DatabaseConnection`.

pub mod protections;
pub mod registry;
pub mod system;
