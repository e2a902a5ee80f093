//! slcan over a real pseudo-terminal pair: the bus on one end, a scripted adapter on the other.

use std::time::Duration;

use devices::DeviceError;
use devices::can::slcan::SlcanBus;
use devices::can::{CanBus, CanFrame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;
use common::PtyPair;

fn open(path: &std::path::Path) -> tokio_serial::SerialStream {
    tokio_serial::SerialStream::open(&tokio_serial::new(path.display().to_string(), 115_200))
        .unwrap()
}

/// Reads from the adapter end until `want` bytes arrived.
async fn read_exactly(port: &mut tokio_serial::SerialStream, want: usize) -> String {
    let mut bytes = vec![0u8; want];
    tokio::time::timeout(Duration::from_secs(5), port.read_exact(&mut bytes))
        .await
        .expect("the bus wrote nothing")
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn frames_cross_a_pseudo_terminal_both_ways_and_noise_is_counted() {
    let pty = PtyPair::new("slcan");
    let mut adapter = open(&pty.b());
    let bus = SlcanBus::open(open(&pty.a()), 500_000).await.unwrap();

    // The bus closes, sets 500 kbit/s (S6) and opens the channel.
    assert_eq!(read_exactly(&mut adapter, 7).await, "C\rS6\rO\r");
    adapter.write_all(b"\r\r\r").await.unwrap();

    // The adapter delivers noise, an error bell, a malformed line and two frames.
    adapter
        .write_all(b"\x07#*noise*#\rt12G1AA\rt1232BEEF\rT18FF50E5142\r")
        .await
        .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), bus.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first, CanFrame::new(0x123, false, &[0xBE, 0xEF]).unwrap());
    let second = tokio::time::timeout(Duration::from_secs(5), bus.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second, CanFrame::new(0x18FF_50E5, true, &[0x42]).unwrap());
    assert_eq!(
        bus.counters(),
        (2, 1),
        "two garbage lines and one error bell"
    );

    // And the other way.
    let frame = CanFrame::new(0x321, false, &[1, 2, 3]).unwrap();
    bus.send(&frame).await.unwrap();
    assert_eq!(read_exactly(&mut adapter, 12).await, "t3213010203\r");

    let too_long = CanFrame::new(0x1, false, &[0; 9]);
    assert!(matches!(too_long, Err(DeviceError::Refused(_))));
}

#[tokio::test]
async fn an_unknown_bitrate_is_refused_before_anything_is_sent() {
    let pty = PtyPair::new("slcan-rate");
    let result = SlcanBus::open(open(&pty.a()), 333_000).await;
    assert!(matches!(result, Err(DeviceError::Refused(_))));
}
