//! The site's structure (seed 002): systems > inverter arrays > inverters, battery arrays > packs >
//! batteries > cells, meters, and the adapters that connect devices to field I/O.
//!
//! `spec` is the whole description of one system as `config.yaml` and `site export` carry it: the
//! contract between the YAML file format and the database services.

pub mod adapters;
pub mod glance;
pub mod ids;
pub mod live;
pub mod plan;
pub mod quantity;
pub mod spec;
pub mod tree;
