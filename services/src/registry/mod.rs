//! The variable registry's services: definition files, import/export, queries, the change feed,
//! single-variable writes, and the global version counter they all share.

pub mod bulk;
pub mod definition;
pub mod export;
pub mod history;
pub mod import;
pub mod index;
pub mod prototype;
pub mod query;
pub mod versions;
pub mod write;
