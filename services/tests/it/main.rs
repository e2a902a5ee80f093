//! Every database and integration test of the services, in one test binary: each file below was
//! a binary of its own, each linking the services with every dependency, so the test build
//! spent most of its time linking. The fixtures (`services::testing`) open a SQLite file and,
//! when the test command has started one, a PostgreSQL database per test. Tests are still run one
//! process each by nextest; their names start with the file's module (`history::…`, `site::…`).

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

mod auth;
mod concurrent_writes;
mod db_suite;
mod field_plan;
mod history;
mod protections_prototype;
mod prototype;
mod prototype_files;
mod registry;
mod site;
mod site_drive;
mod site_io;
