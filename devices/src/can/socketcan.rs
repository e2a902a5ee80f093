//! Linux SocketCAN as a `CanBus` (cargo feature `socketcan`): a raw CAN socket bound to an
//! interface such as `can0`, through the `socketcan` crate's tokio socket. The interface itself
//! (bit rate, up/down) is set up outside Powerdeck, with `ip link`.

use std::io;

use socketcan::{EmbeddedFrame, ExtendedId, Id, StandardId};

use super::{CanBus, CanFrame};
use crate::error::DeviceError;

/// A CAN bus on a SocketCAN interface.
pub struct SocketCanBus {
    interface: String,
    socket: socketcan::tokio::CanSocket,
}

/// `ENODEV`: what `if_nametoindex` says for an interface that does not exist.
const NO_SUCH_DEVICE: i32 = 19;

impl SocketCanBus {
    /// Opens a raw socket on `interface` (e.g. `can0`, `vcan0`). Must run inside a tokio
    /// runtime. A missing interface is named as such, since that is the usual mistake.
    pub fn open(interface: &str) -> Result<Self, DeviceError> {
        let socket =
            socketcan::tokio::CanSocket::open(interface).map_err(|e| open_error(interface, &e))?;
        Ok(SocketCanBus {
            interface: interface.to_string(),
            socket,
        })
    }

    /// The interface name given to `open`.
    pub fn interface(&self) -> &str {
        &self.interface
    }
}

fn open_error(interface: &str, error: &io::Error) -> DeviceError {
    if error.raw_os_error() == Some(NO_SUCH_DEVICE) || error.kind() == io::ErrorKind::NotFound {
        DeviceError::Io(format!(
            "no CAN interface {interface} ({error}); `ip link show type can` lists the ones there are"
        ))
    } else {
        DeviceError::Io(format!("CAN interface {interface}: {error}"))
    }
}

/// Our frame as the kernel's.
fn to_socketcan(frame: &CanFrame) -> Result<socketcan::CanFrame, DeviceError> {
    let id = if frame.is_extended() {
        ExtendedId::new(frame.id()).map(Id::Extended)
    } else {
        u16::try_from(frame.id())
            .ok()
            .and_then(StandardId::new)
            .map(Id::Standard)
    };
    let built = id.and_then(|id| {
        if frame.is_remote() {
            socketcan::CanFrame::new_remote(id, frame.data().len())
        } else {
            socketcan::CanFrame::new(id, frame.data())
        }
    });
    // `CanFrame` already checked the id and length, so this only fails on a bug.
    built.ok_or_else(|| DeviceError::Refused(format!("cannot build CAN frame {frame:?}")))
}

/// The kernel's frame as ours; an error frame (only delivered when asked for) is a framing
/// error naming its causes.
fn from_socketcan(frame: socketcan::CanFrame) -> Result<CanFrame, DeviceError> {
    let (id, extended) = match frame.id() {
        Id::Standard(id) => (u32::from(id.as_raw()), false),
        Id::Extended(id) => (id.as_raw(), true),
    };
    match frame {
        socketcan::CanFrame::Data(data) => CanFrame::new(id, extended, data.data()),
        socketcan::CanFrame::Remote(remote) => CanFrame::remote(id, extended, remote.dlc()),
        socketcan::CanFrame::Error(error) => Err(DeviceError::Framing(format!(
            "CAN error frame: {}",
            error.into_error()
        ))),
    }
}

impl CanBus for SocketCanBus {
    async fn send(&self, frame: &CanFrame) -> Result<(), DeviceError> {
        let raw = to_socketcan(frame)?;
        self.socket
            .write_frame(raw)
            .await
            .map_err(|e| DeviceError::Io(format!("{}: {e}", self.interface)))
    }

    async fn recv(&self) -> Result<CanFrame, DeviceError> {
        let raw = self
            .socket
            .read_frame()
            .await
            .map_err(|e| DeviceError::Io(format!("{}: {e}", self.interface)))?;
        from_socketcan(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_interface_is_named() {
        let error = SocketCanBus::open("nosuchcan7")
            .err()
            .expect("no such interface");
        let text = error.to_string();
        assert!(text.contains("no CAN interface nosuchcan7"), "{text}");
    }

    #[test]
    fn frames_convert_both_ways() {
        let frames = [
            CanFrame::new(0x355, false, &[62, 0, 97, 0]).unwrap(),
            CanFrame::new(0x18FF_50E5, true, &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap(),
            CanFrame::new(0x7FF, false, &[]).unwrap(),
            CanFrame::remote(0x123, false, 4).unwrap(),
            CanFrame::remote(0x1ABC_DEF0, true, 8).unwrap(),
        ];
        for frame in frames {
            let raw = to_socketcan(&frame).unwrap();
            assert_eq!(from_socketcan(raw).unwrap(), frame);
        }
    }
}
