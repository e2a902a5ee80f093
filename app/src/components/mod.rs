//! Reusable widgets shared by the pages.

pub mod access;
pub mod error_view;
pub mod form_field;
pub mod layout;
pub mod live_stream;
pub mod number;
pub mod password_confirm;
pub mod path_form;
pub mod refresh;
pub mod scroll_region;
