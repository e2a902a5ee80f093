//! The site's structure (seed 002): systems, arrays, devices and their adapters, and
//! `config.yaml`, the file that describes one system.

pub mod adapter_types;
pub mod yaml;
