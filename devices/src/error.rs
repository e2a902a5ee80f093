//! `DeviceError`: every way a field-bus request can fail, flattened into one typed enum.

use std::time::Duration;

/// What went wrong talking to a device. Each variant reads as a plain sentence for operators.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeviceError {
    /// The device did not answer within the request timeout.
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The connection or serial port failed (refused, reset, port missing, ...).
    #[error("I/O error: {0}")]
    Io(String),
    /// The device answered with a Modbus exception, e.g. `0x02 (illegal data address)`.
    #[error("Modbus exception {code:#04x} ({name})")]
    Exception { code: u8, name: &'static str },
    /// Bytes on the line that are not a valid frame: bad CRC, wrong unit id, garbage, short frame.
    #[error("framing error: {0}")]
    Framing(String),
    /// The answer arrived but its contents cannot be turned into the requested value.
    #[error("cannot decode: {0}")]
    Decode(String),
    /// Refused before anything was sent: read-only path, value out of range, request too large.
    #[error("refused: {0}")]
    Refused(String),
    /// The bus task is not connected (it is backing off before the next attempt).
    #[error("not connected, next attempt in {} ms", .0.as_millis())]
    Disconnected(Duration),
    /// The bus task has stopped (shutdown).
    #[error("the bus task has stopped")]
    Stopped,
}

impl DeviceError {
    /// Whether retrying the same request may succeed (timeouts and I/O yes, exceptions no).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            DeviceError::Timeout(_)
                | DeviceError::Io(_)
                | DeviceError::Framing(_)
                | DeviceError::Disconnected(_)
        )
    }
}

/// The standard name of a Modbus exception code.
pub fn exception_name(code: u8) -> &'static str {
    match code {
        0x01 => "illegal function",
        0x02 => "illegal data address",
        0x03 => "illegal data value",
        0x04 => "server device failure",
        0x05 => "acknowledge",
        0x06 => "server device busy",
        0x08 => "memory parity error",
        0x0A => "gateway path unavailable",
        0x0B => "gateway target device failed to respond",
        _ => "unknown exception",
    }
}
