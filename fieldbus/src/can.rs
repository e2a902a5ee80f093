//! `CanSignal`: where one value sits in a CAN data frame (id, bytes, type, scale, byte order), as
//! the registry's CAN access path spells it, and the rules such a signal must follow. Plain data:
//! turning a frame's bytes into a value and back is protocol code, in `devices::can::signal`.
//!
//! A signal covers whole bytes: CAN BMS protocols (Pylontech, Victron and the like) put every
//! value on byte boundaries, so bit-level DBC signals are left out until a device needs them.

use serde::{Deserialize, Serialize};

use crate::{CAN_MAX_DATA_BYTES, CAN_MAX_EXTENDED_ID, CAN_MAX_STANDARD_ID, DataType};

/// Order of the bytes of a multi-byte value inside the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ByteOrder {
    /// Least significant byte first ("Intel"), the usual order on CAN.
    #[default]
    LittleEndian,
    /// Most significant byte first ("Motorola").
    BigEndian,
}

/// One value inside a CAN data frame, e.g. the SOC as a `u16` in bytes 0–1 of id 0x355.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CanSignal {
    pub can_id: u32,
    /// Whether `can_id` is a 29-bit identifier.
    #[serde(default)]
    pub extended: bool,
    /// First byte of the value, 0 to 7.
    pub start_byte: u8,
    /// Width in bytes; it must match `data_type` (`DataType::bytes`).
    pub length: u8,
    pub data_type: DataType,
    /// Engineering value = raw × scale.
    #[serde(default = "unit_scale")]
    pub scale: f64,
    #[serde(default)]
    pub byte_order: ByteOrder,
}

fn unit_scale() -> f64 {
    1.0
}

/// A rule of `CanSignal::check` that a signal breaks, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalError(pub String);

impl std::fmt::Display for SignalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SignalError {}

/// A received frame that can hand out the value of a signal: implemented by the protocol code
/// (`devices::can::CanFrame`), which keeps the arithmetic, so `CanSignal::decode` reads the
/// same wherever the frame type lives.
pub trait DecodeSignal {
    type Error;

    /// The engineering value `signal` holds in this frame.
    fn decode_signal(&self, signal: &CanSignal) -> Result<f64, Self::Error>;
}

impl CanSignal {
    /// A standard-id, little-endian signal whose length follows from its type; for tables.
    pub const fn new(can_id: u32, start_byte: u8, data_type: DataType, scale: f64) -> Self {
        CanSignal {
            can_id,
            extended: false,
            start_byte,
            length: data_type.bytes(),
            data_type,
            scale,
            byte_order: ByteOrder::LittleEndian,
        }
    }

    /// Checks the rules a signal must follow; the error names the rule it breaks.
    pub fn check(&self) -> Result<(), SignalError> {
        let max_id = if self.extended {
            CAN_MAX_EXTENDED_ID
        } else {
            CAN_MAX_STANDARD_ID
        };
        if self.can_id > max_id {
            return Err(SignalError(format!(
                "CAN id {:#x} does not fit a {} id (max {max_id:#x}); set \"extended\" for \
                 29-bit ids",
                self.can_id,
                if self.extended { "29-bit" } else { "11-bit" }
            )));
        }
        let width = self.data_type.bytes();
        if self.length != width {
            return Err(SignalError(format!(
                "a {} signal is {width} byte(s) long, not {}",
                self.data_type.name(),
                self.length
            )));
        }
        if u16::from(self.start_byte) + u16::from(self.length) > CAN_MAX_DATA_BYTES {
            return Err(SignalError(format!(
                "start_byte {} + length {} runs past the {CAN_MAX_DATA_BYTES} bytes of a CAN frame",
                self.start_byte, self.length
            )));
        }
        if self.scale == 0.0 || !self.scale.is_finite() {
            return Err(SignalError(format!(
                "scale {} cannot be inverted (it must be finite and not 0)",
                self.scale
            )));
        }
        Ok(())
    }

    /// The byte range of the value inside the frame's data (call `check` first).
    pub fn bytes(&self) -> std::ops::Range<usize> {
        let start = usize::from(self.start_byte);
        start..start + usize::from(self.length)
    }

    /// The engineering value this signal holds in `frame` (see `DecodeSignal`).
    pub fn decode<F: DecodeSignal>(&self, frame: &F) -> Result<f64, F::Error> {
        frame.decode_signal(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_the_rule_a_signal_breaks() {
        let good = CanSignal::new(0x351, 6, DataType::U16, 0.1);
        assert!(good.check().is_ok());
        assert_eq!(good.bytes(), 6..8);
        let cases = [
            (
                CanSignal { length: 4, ..good },
                "a u16 signal is 2 byte(s) long, not 4",
            ),
            (
                CanSignal {
                    start_byte: 7,
                    ..good
                },
                "start_byte 7 + length 2 runs past the 8 bytes",
            ),
            (
                CanSignal::new(0x351, 1, DataType::U64, 1.0),
                "start_byte 1 + length 8",
            ),
            (
                CanSignal { scale: 0.0, ..good },
                "scale 0 cannot be inverted",
            ),
            (
                CanSignal {
                    scale: f64::INFINITY,
                    ..good
                },
                "scale inf cannot be inverted",
            ),
            (
                CanSignal {
                    can_id: 0x800,
                    ..good
                },
                "does not fit a 11-bit id",
            ),
        ];
        for (signal, rule) in cases {
            let error = signal.check().unwrap_err().to_string();
            assert!(error.contains(rule), "{error} should say {rule:?}");
        }
        let extended = CanSignal {
            can_id: 0x1800_0000,
            extended: true,
            ..good
        };
        assert!(extended.check().is_ok());
        let too_big = CanSignal {
            can_id: 0x2000_0000,
            ..extended
        };
        assert!(too_big.check().is_err());
    }

    #[test]
    fn new_takes_its_length_from_the_type() {
        for (data_type, length) in [
            (DataType::Bool, 1),
            (DataType::U16, 2),
            (DataType::I16, 2),
            (DataType::U32, 4),
            (DataType::I32, 4),
            (DataType::F32, 4),
            (DataType::U64, 8),
        ] {
            let signal = CanSignal::new(0x355, 0, data_type, 1.0);
            assert_eq!(signal.length, length, "{data_type:?}");
            assert_eq!(signal.byte_order, ByteOrder::LittleEndian);
            assert!(!signal.extended);
        }
    }
}
