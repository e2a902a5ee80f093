//! Server-only code (feature `ssr`): the application state that pages and server functions reach.
//! The services themselves live in the `services` crate.

pub mod caller;
pub mod state;
