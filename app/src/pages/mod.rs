//! One screen per file.

pub mod account;
pub mod alarms;
pub mod audit;
pub mod buses;
pub mod import;
pub mod login;
pub mod new_variable;
pub mod not_found;
pub mod overview;
pub mod protections;
pub mod registry;
pub mod site;
pub mod site_import;
pub mod users;
pub mod variable;
