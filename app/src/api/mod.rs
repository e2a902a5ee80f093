//! Server functions by domain. Each is thin: it validates, calls a service and maps the error.
//!
//! Every server function names its endpoint (`/api/<function name>`). Leptos's default URL ends in
//! a hash of the crate's directory, so a browser bundle built in one checkout could not talk to a
//! server built in another; with fixed names the bundle depends only on its sources, and the test
//! command can reuse a bundle built from the same sources elsewhere on this machine.

pub mod audit;
pub mod field;
pub mod protections;
pub mod registry;
pub mod session;
pub mod site;
pub mod site_file;
pub mod system;
pub mod users;
