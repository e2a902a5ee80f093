//! Server functions by domain. Each is thin: it validates, calls a service and maps the error.

pub mod field;
pub mod protections;
pub mod registry;
pub mod site;
pub mod site_file;
pub mod system;
