//! The vocabulary codecs, transports and the planner share, re-exported from `fieldbus`, where the
//! registry and the browser find the same definitions.

pub use fieldbus::{
    DataType, MAX_READ_BITS, MAX_READ_REGISTERS, MAX_WRITE_REGISTERS, RegisterTable, WordOrder,
};
