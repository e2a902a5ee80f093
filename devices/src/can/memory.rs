//! An in-memory CAN bus for tests: every frame one node sends reaches every other node.

use tokio::sync::{Mutex, broadcast};

use super::{CanBus, CanFrame};
use crate::error::DeviceError;

/// The shared medium; `node()` attaches a new participant.
#[derive(Clone)]
pub struct MemoryCanBus {
    wire: broadcast::Sender<(usize, CanFrame)>,
    next_node: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Default for MemoryCanBus {
    fn default() -> Self {
        Self::new()
    }
}

/// Frames a node may fall behind by before it loses some (and its next `recv` says so).
pub const MEMORY_BUS_CAPACITY: usize = 1024;

impl MemoryCanBus {
    /// A bus with no nodes yet.
    pub fn new() -> Self {
        MemoryCanBus {
            wire: broadcast::channel(MEMORY_BUS_CAPACITY).0,
            next_node: Default::default(),
        }
    }

    /// A new node; it hears frames sent from now on by every other node.
    pub fn node(&self) -> MemoryCanNode {
        MemoryCanNode {
            id: self
                .next_node
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            wire: self.wire.clone(),
            inbox: Mutex::new(self.wire.subscribe()),
        }
    }
}

/// One participant of a `MemoryCanBus`.
pub struct MemoryCanNode {
    id: usize,
    wire: broadcast::Sender<(usize, CanFrame)>,
    inbox: Mutex<broadcast::Receiver<(usize, CanFrame)>>,
}

impl CanBus for MemoryCanNode {
    async fn send(&self, frame: &CanFrame) -> Result<(), DeviceError> {
        // With no other node listening a real bus would see no ACK; here the frame is dropped.
        let _ = self.wire.send((self.id, frame.clone()));
        Ok(())
    }

    async fn recv(&self) -> Result<CanFrame, DeviceError> {
        let mut inbox = self.inbox.lock().await;
        loop {
            match inbox.recv().await {
                Ok((sender, frame)) if sender != self.id => return Ok(frame),
                Ok(_) => continue, // our own frame
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    return Err(DeviceError::Io(format!(
                        "receiver overrun: {n} frames lost"
                    )));
                }
                Err(broadcast::error::RecvError::Closed) => return Err(DeviceError::Stopped),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_reach_every_other_node_but_not_the_sender() {
        let bus = MemoryCanBus::new();
        let (a, b, c) = (bus.node(), bus.node(), bus.node());
        let frame = CanFrame::new(0x18FF_50E5, true, &[1, 2, 3]).unwrap();
        a.send(&frame).await.unwrap();
        assert_eq!(b.recv().await.unwrap(), frame);
        assert_eq!(c.recv().await.unwrap(), frame);
        let nothing = tokio::time::timeout(std::time::Duration::from_millis(50), a.recv()).await;
        assert!(nothing.is_err(), "the sender heard its own frame");

        let answer = CanFrame::new(0x100, false, &[9]).unwrap();
        c.send(&answer).await.unwrap();
        assert_eq!(a.recv().await.unwrap(), answer);
        assert_eq!(b.recv().await.unwrap(), answer);
    }

    #[tokio::test]
    async fn a_node_that_falls_behind_is_told_and_then_catches_up() {
        let bus = MemoryCanBus::new();
        let (sender, slow) = (bus.node(), bus.node());
        for i in 0..MEMORY_BUS_CAPACITY + 5 {
            let frame =
                CanFrame::new(0x200, false, &u32::try_from(i).unwrap().to_be_bytes()).unwrap();
            sender.send(&frame).await.unwrap();
        }
        let error = slow.recv().await.unwrap_err();
        assert_eq!(
            error,
            DeviceError::Io("receiver overrun: 5 frames lost".into())
        );
        // The oldest frame still held is number 5.
        let next = slow.recv().await.unwrap();
        assert_eq!(next.data(), 5u32.to_be_bytes());
    }
}
