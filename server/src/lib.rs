//! The Powerdeck server as a library: configuration, database start-up, HTTP router and the
//! `serve` / `migrate` commands. `main.rs` only parses the command line and reports errors.

pub mod bench;
pub mod bench_io;
pub mod bench_protections;
pub mod config;
pub mod http;
pub mod registry_cli;
pub mod rest;
pub mod serve;
pub mod simulate;
pub mod site;
