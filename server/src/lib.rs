//! The Powerdeck server as a library: configuration, database start-up, HTTP router and the
//! `serve` / `migrate` commands. `main.rs` only parses the command line and reports errors.

pub mod access;
pub mod auth_cli;
pub mod bench;
pub mod bench_auth;
pub mod bench_failover;
pub mod bench_history;
pub mod bench_io;
pub mod bench_protections;
pub mod bench_prototype;
pub mod bench_site;
pub mod config;
pub mod demo_site;
pub mod http;
pub mod registry_cli;
pub mod rest;
pub mod serve;
pub mod simulate;
pub mod site;
pub mod site_cli;
pub mod tls;
