//! The field-bus vocabulary, defined once for the protocol code, the registry and the browser:
//! Modbus register tables, data types, word order and protocol limits, and the CAN frame limits
//! and signal shape (`can`).
//! Spelled in serde exactly as the registry's references spell them. Serde only: wasm-safe.

pub mod can;

use serde::{Deserialize, Serialize};

pub use can::{ByteOrder, CanSignal};

/// Largest number of registers one Modbus read may ask for (FC 3/4), by the protocol.
pub const MAX_READ_REGISTERS: u16 = 125;
/// Largest number of coils/discrete inputs one Modbus read may ask for (FC 1/2).
pub const MAX_READ_BITS: u16 = 2000;
/// Largest number of registers one Modbus write may carry (FC 16).
pub const MAX_WRITE_REGISTERS: u16 = 123;

/// Largest 29-bit (extended) CAN identifier.
pub const CAN_MAX_EXTENDED_ID: u32 = 0x1FFF_FFFF;
/// Largest 11-bit (standard) CAN identifier.
pub const CAN_MAX_STANDARD_ID: u32 = 0x7FF;
/// Data bytes in one classic CAN frame.
pub const CAN_MAX_DATA_BYTES: u16 = 8;

/// The four Modbus data tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RegisterTable {
    /// Read/write 16-bit registers (FC 3 read, FC 6/16 write).
    Holding,
    /// Read-only 16-bit registers (FC 4).
    Input,
    /// Read/write bits (FC 1 read, FC 5/15 write).
    Coil,
    /// Read-only bits (FC 2).
    Discrete,
}

impl RegisterTable {
    /// Whether the table holds single bits rather than 16-bit registers.
    pub fn is_bits(self) -> bool {
        matches!(self, RegisterTable::Coil | RegisterTable::Discrete)
    }

    /// Whether a master may write to the table at all.
    pub fn is_writable(self) -> bool {
        matches!(self, RegisterTable::Holding | RegisterTable::Coil)
    }

    /// Largest read in one request for this table.
    pub fn max_read(self) -> u16 {
        if self.is_bits() {
            MAX_READ_BITS
        } else {
            MAX_READ_REGISTERS
        }
    }
}

/// How the register words of one value are to be interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DataType {
    Bool,
    U16,
    I16,
    U32,
    I32,
    F32,
    U64,
}

impl DataType {
    /// Width in 16-bit registers (a bool takes one register or one coil).
    pub fn registers(self) -> u16 {
        match self {
            DataType::Bool | DataType::U16 | DataType::I16 => 1,
            DataType::U32 | DataType::I32 | DataType::F32 => 2,
            DataType::U64 => 4,
        }
    }

    /// Width in bytes (a bool takes one byte of a CAN frame).
    pub const fn bytes(self) -> u8 {
        match self {
            DataType::Bool => 1,
            DataType::U16 | DataType::I16 => 2,
            DataType::U32 | DataType::I32 | DataType::F32 => 4,
            DataType::U64 => 8,
        }
    }

    /// The type as the registry spells it (`i16`, `f32`, ...), for messages.
    pub const fn name(self) -> &'static str {
        match self {
            DataType::Bool => "bool",
            DataType::U16 => "u16",
            DataType::I16 => "i16",
            DataType::U32 => "u32",
            DataType::I32 => "i32",
            DataType::F32 => "f32",
            DataType::U64 => "u64",
        }
    }
}

/// Order of the 16-bit words of a multi-register value (bytes inside a word are always big-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WordOrder {
    /// Most significant word first (the Modbus convention).
    #[default]
    BigEndian,
    /// Least significant word first.
    LittleEndian,
}
