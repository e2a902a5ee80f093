//! One screen per file.

pub mod buses;
pub mod device_panel;
pub mod import;
pub mod new_variable;
pub mod not_found;
pub mod overview;
pub mod protections;
pub mod protections_panels;
pub mod registry;
pub mod variable;
