//! Field-bus I/O for Powerdeck: transports, codecs, the poll planner and the device simulator.
//!
//! The crate is deliberately free of Leptos and sea-orm so protocol code can be tested and reused
//! on its own; the server maps registry access paths onto the plain types defined here.

pub mod bus;
pub mod can;
pub mod codec;
pub mod error;
pub mod modbus;
pub mod planner;
pub mod pty;
pub mod simulator;
pub mod sunspec;
pub mod testing;
pub mod types;

pub use error::DeviceError;
pub use types::{DataType, RegisterTable, WordOrder};
