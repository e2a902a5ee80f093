//! CAN behind one trait: an in-memory bus for tests and slcan (the serial text protocol of
//! common USB-CAN adapters), which is how CAN runs here, since this kernel has no SocketCAN.
//! A SocketCAN implementation plugs in behind the same `CanBus` trait on machines that have it.

pub mod memory;
pub mod slcan;

use crate::error::DeviceError;

/// Largest standard (11-bit) identifier.
pub const MAX_STANDARD_ID: u32 = 0x7FF;
/// Largest extended (29-bit) identifier.
pub const MAX_EXTENDED_ID: u32 = 0x1FFF_FFFF;

/// One classic CAN frame (up to 8 data bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanFrame {
    id: u32,
    extended: bool,
    rtr: bool,
    data: Vec<u8>,
}

impl CanFrame {
    /// A data frame; the id must fit its format and the data 8 bytes.
    pub fn new(id: u32, extended: bool, data: &[u8]) -> Result<Self, DeviceError> {
        Self::check(id, extended, data.len())?;
        Ok(CanFrame {
            id,
            extended,
            rtr: false,
            data: data.to_vec(),
        })
    }

    /// A remote (RTR) frame asking for `length` bytes; it carries no data, and `data()` holds
    /// `length` zeros so the length code travels with the frame.
    pub fn remote(id: u32, extended: bool, length: usize) -> Result<Self, DeviceError> {
        Self::check(id, extended, length)?;
        Ok(CanFrame {
            id,
            extended,
            rtr: true,
            data: vec![0; length],
        })
    }

    fn check(id: u32, extended: bool, length: usize) -> Result<(), DeviceError> {
        let max = if extended {
            MAX_EXTENDED_ID
        } else {
            MAX_STANDARD_ID
        };
        if id > max {
            return Err(DeviceError::Refused(format!(
                "CAN id {id:#x} does not fit a {} frame (max {max:#x})",
                if extended { "29-bit" } else { "11-bit" }
            )));
        }
        if length > 8 {
            return Err(DeviceError::Refused(format!(
                "a CAN frame carries at most 8 bytes, not {length}"
            )));
        }
        Ok(())
    }

    /// The 11- or 29-bit identifier.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Whether the identifier is 29-bit.
    pub fn is_extended(&self) -> bool {
        self.extended
    }

    /// Whether this is a remote (RTR) request rather than a data frame.
    pub fn is_remote(&self) -> bool {
        self.rtr
    }

    /// The payload, 0 to 8 bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// A CAN interface: send a frame, receive the next frame from the bus. Callers wrap `recv` in
/// `tokio::time::timeout` where they wait for an answer.
pub trait CanBus: Send + Sync {
    fn send(&self, frame: &CanFrame) -> impl Future<Output = Result<(), DeviceError>> + Send;
    fn recv(&self) -> impl Future<Output = Result<CanFrame, DeviceError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_check_their_id_and_length() {
        assert!(CanFrame::new(0x7FF, false, &[1, 2]).is_ok());
        assert!(CanFrame::new(0x800, false, &[]).is_err());
        assert!(CanFrame::new(0x800, true, &[]).is_ok());
        assert!(CanFrame::new(0x2000_0000, true, &[]).is_err());
        let err = CanFrame::new(1, false, &[0; 9]).unwrap_err();
        assert!(err.to_string().contains("at most 8 bytes"), "{err}");
    }
}
