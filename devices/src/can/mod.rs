//! CAN behind one trait: an in-memory bus for tests, slcan (the serial text protocol of
//! common USB-CAN adapters), which is how CAN runs here since this kernel has no SocketCAN, and
//! Linux SocketCAN behind the `socketcan` feature. On top of the trait: `signal` turns bytes of
//! a frame into values and back, and `monitor` keeps the latest frame of every id on a bus.

pub mod memory;
pub mod monitor;
pub mod signal;
pub mod slcan;
#[cfg(feature = "socketcan")]
pub mod socketcan;

use std::sync::Arc;

use crate::error::DeviceError;

pub use monitor::{CanMonitor, CanMonitorState, CanStats, SeenId};
pub use signal::{ByteOrder, CanSignal};

/// Largest standard (11-bit) identifier.
pub const MAX_STANDARD_ID: u32 = fieldbus::CAN_MAX_STANDARD_ID;
/// Largest extended (29-bit) identifier.
pub const MAX_EXTENDED_ID: u32 = fieldbus::CAN_MAX_EXTENDED_ID;

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

    /// Trouble the bus absorbed without failing a `recv` (an slcan adapter's noise lines, say),
    /// so a monitor can count it; a bus that absorbs nothing keeps the default.
    fn line_errors(&self) -> LineErrors {
        LineErrors::default()
    }
}

/// What a bus skipped over on its own since it was opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineErrors {
    /// How many lines or replies were skipped.
    pub count: u64,
    /// The most recent one, in words that name it.
    pub last: Option<String>,
}

/// A shared bus is a bus: the simulator's broadcast task and a test can hold the same one.
impl<B: CanBus> CanBus for Arc<B> {
    fn send(&self, frame: &CanFrame) -> impl Future<Output = Result<(), DeviceError>> + Send {
        (**self).send(frame)
    }

    fn recv(&self) -> impl Future<Output = Result<CanFrame, DeviceError>> + Send {
        (**self).recv()
    }

    fn line_errors(&self) -> LineErrors {
        (**self).line_errors()
    }
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
