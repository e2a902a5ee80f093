//! Every integration test of the server, in one test binary: each file below was a binary of its
//! own, and each of those linked the whole server (about 400 MB apiece in a debug build), so the
//! test build spent most of its time linking and the build cache grew by gigabytes per checkout.
//! Tests are still run one process each by nextest; their names start with the file's module
//! (`rest::…`, `site_cli::…`).

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

mod common;

mod access;
mod auth_cli;
mod cli;
mod demo_failover;
mod field;
mod http;
mod protections;
mod prototype;
mod rest;
mod site_cli;
mod site_failover;
mod site_live_rest;
mod site_rest;
mod tls;
