//! slcan over a real pseudo-terminal pair: the bus on one end, a scripted adapter on the other.

// Test helpers outside #[test] functions: a panic there is the test's failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use devices::DeviceError;
use devices::can::slcan::SlcanBus;
use devices::can::{CanBus, CanFrame};
use devices::testing::{PtyPair, eventually};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_serial::SerialStream;

/// Generous: a pty answers in microseconds, but CI machines stall.
const WAIT: Duration = Duration::from_secs(5);

/// The fake adapter: the far end of the pty, read and written by the test.
struct Adapter {
    port: SerialStream,
}

impl Adapter {
    fn open(pty: &PtyPair) -> Adapter {
        let path = pty.b().display().to_string();
        Adapter {
            port: SerialStream::open(&tokio_serial::new(path, 115_200)).unwrap(),
        }
    }

    /// The next `\r`-terminated line the bus wrote, without the `\r`.
    async fn line(&mut self) -> String {
        let mut line = Vec::new();
        loop {
            let mut byte = [0u8; 1];
            tokio::time::timeout(WAIT, self.port.read_exact(&mut byte))
                .await
                .expect("the bus wrote nothing")
                .unwrap();
            if byte[0] == b'\r' {
                return String::from_utf8(line).unwrap();
            }
            line.push(byte[0]);
        }
    }

    async fn write(&mut self, bytes: &[u8]) {
        self.port.write_all(bytes).await.unwrap();
        self.port.flush().await.unwrap();
    }

    /// Plays a closed adapter through the bus's setup: BEL to `C`, `\r` to the rest.
    async fn answer_setup(&mut self, bitrate_command: &str) {
        assert_eq!(self.line().await, "C");
        self.write(b"\x07").await;
        assert_eq!(self.line().await, bitrate_command);
        self.write(b"\r").await;
        assert_eq!(self.line().await, "O");
        self.write(b"\r").await;
    }
}

async fn open_bus(pty: &PtyPair, adapter: &mut Adapter) -> SlcanBus<SerialStream> {
    let path = pty.a().display().to_string();
    let (bus, ()) = tokio::join!(
        SlcanBus::open_serial(&path, 500_000),
        adapter.answer_setup("S6")
    );
    bus.unwrap()
}

async fn recv(bus: &SlcanBus<SerialStream>) -> CanFrame {
    tokio::time::timeout(WAIT, bus.recv())
        .await
        .expect("no frame arrived")
        .unwrap()
}

#[tokio::test]
async fn frames_cross_a_pseudo_terminal_both_ways() {
    let pty = PtyPair::open("slcan-both").await;
    let mut adapter = Adapter::open(&pty);
    let bus = open_bus(&pty, &mut adapter).await;

    let outgoing = [
        (
            CanFrame::new(0x321, false, &[1, 2, 3]).unwrap(),
            "t3213010203",
        ),
        (
            CanFrame::new(0x18FF_50E5, true, &[0xFF; 8]).unwrap(),
            "T18FF50E58FFFFFFFFFFFFFFFF",
        ),
        (CanFrame::remote(0x7FF, false, 2).unwrap(), "r7FF2"),
    ];
    for (frame, text) in &outgoing {
        bus.send(frame).await.unwrap();
        assert_eq!(adapter.line().await, *text);
        // Adapters acknowledge a transmitted frame with `z`; the bus must skip it.
        adapter.write(b"z\r").await;
    }

    adapter.write(b"t1232BEEF\rT000000010\rR1ABCDEF08\r").await;
    assert_eq!(
        recv(&bus).await,
        CanFrame::new(0x123, false, &[0xBE, 0xEF]).unwrap()
    );
    assert_eq!(recv(&bus).await, CanFrame::new(1, true, &[]).unwrap());
    assert_eq!(
        recv(&bus).await,
        CanFrame::remote(0x1ABC_DEF0, true, 8).unwrap()
    );
    // The BEL answering `C` during setup is not an adapter error; the acks are not garbage.
    let stats = bus.stats();
    assert_eq!((stats.garbage_lines, stats.adapter_errors), (0, 0));
}

#[tokio::test]
async fn noise_and_malformed_lines_are_counted_and_the_bus_keeps_working() {
    let pty = PtyPair::open("slcan-noise").await;
    let mut adapter = Adapter::open(&pty);
    let bus = open_bus(&pty, &mut adapter).await;

    adapter
        .write(b"\x07#*noise*#\rt12G1AA\r\n\x00\xff\rt1232BEEF\r")
        .await;
    assert_eq!(
        recv(&bus).await,
        CanFrame::new(0x123, false, &[0xBE, 0xEF]).unwrap()
    );
    let stats = bus.stats();
    assert_eq!(stats.garbage_lines, 3, "{stats:?}");
    assert_eq!(stats.adapter_errors, 1, "{stats:?}");
    let last = stats.last_garbage.unwrap();
    assert!(last.contains("slcan line"), "{last}");

    // A frame split across two writes: the first half waits in the decoder for the second. The
    // second is written only once the bus holds the first, so the split really happened.
    adapter.write(b"T18FF50E5").await;
    let (frame, ()) = tokio::join!(recv(&bus), async {
        let held = eventually(WAIT, async || bus.stats().partial_line == 9).await;
        assert!(
            held,
            "the first half never reached the bus: {:?}",
            bus.stats()
        );
        adapter.write(b"142\r").await;
    });
    assert_eq!(frame, CanFrame::new(0x18FF_50E5, true, &[0x42]).unwrap());
    assert_eq!(bus.stats().partial_line, 0);

    // A malformed line on its own is named in the stats.
    adapter.write(b"t1233DEAD\rt0010\r").await;
    assert_eq!(recv(&bus).await, CanFrame::new(1, false, &[]).unwrap());
    let stats = bus.stats();
    assert_eq!(stats.garbage_lines, 4);
    assert!(
        stats.last_garbage.as_deref().unwrap().contains("t1233DEAD"),
        "{stats:?}"
    );

    // And sending still works.
    bus.send(&CanFrame::new(0x10, false, &[0xAB]).unwrap())
        .await
        .unwrap();
    assert_eq!(adapter.line().await, "t0101AB");
}

#[tokio::test]
async fn a_recv_cut_short_by_a_timeout_loses_nothing() {
    let pty = PtyPair::open("slcan-cancel").await;
    let mut adapter = Adapter::open(&pty);
    let bus = open_bus(&pty, &mut adapter).await;

    // Half a line arrives; callers give up waiting (each timeout drops a `recv` halfway) until
    // the bus has read it. Then the rest arrives.
    adapter.write(b"t5552").await;
    let held = eventually(WAIT, async || {
        let nothing = tokio::time::timeout(Duration::from_millis(10), bus.recv()).await;
        assert!(nothing.is_err(), "half a line is not a frame: {nothing:?}");
        bus.stats().partial_line == 5
    })
    .await;
    assert!(
        held,
        "the half line never reached the bus: {:?}",
        bus.stats()
    );
    adapter.write(b"CAFE\rt5560\r").await;
    assert_eq!(
        recv(&bus).await,
        CanFrame::new(0x555, false, &[0xCA, 0xFE]).unwrap()
    );
    assert_eq!(recv(&bus).await, CanFrame::new(0x556, false, &[]).unwrap());
}

#[tokio::test]
async fn an_adapter_that_refuses_the_bitrate_fails_the_open() {
    let pty = PtyPair::open("slcan-refused").await;
    let mut adapter = Adapter::open(&pty);
    let path = pty.a().display().to_string();
    let refuse = async {
        assert_eq!(adapter.line().await, "C");
        adapter.write(b"\r").await;
        assert_eq!(adapter.line().await, "S8");
        adapter.write(b"\x07").await;
    };
    let (result, ()) = tokio::join!(SlcanBus::open_serial(&path, 1_000_000), refuse);
    let error = result.err().expect("the open should fail");
    assert_eq!(
        error,
        DeviceError::Refused("the slcan adapter refused \"S8\"".into())
    );
}

#[tokio::test]
async fn an_unknown_bitrate_or_port_is_refused_before_anything_is_sent() {
    let pty = PtyPair::open("slcan-rate").await;
    let path = pty.a().display().to_string();
    let result = SlcanBus::open_serial(&path, 333_000).await;
    assert!(matches!(result, Err(DeviceError::Refused(_))));

    let missing = pty.a().with_file_name("no-such-port");
    let result = SlcanBus::open_serial(&missing.display().to_string(), 500_000).await;
    assert!(matches!(result, Err(DeviceError::Io(ref m)) if m.contains("no-such-port")));
}
