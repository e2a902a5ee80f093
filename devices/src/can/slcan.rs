//! slcan (the Lawicel ASCII protocol of common USB-CAN adapters) over any byte stream, e.g. a
//! serial port: `t1234DEADBEEF\r` is standard id 0x123 carrying DE AD BE EF. The codec is pure; the
//! `SlcanBus` runs it over an `AsyncRead + AsyncWrite` and implements `CanBus`.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::Mutex;

use super::{CanBus, CanFrame};
use crate::error::DeviceError;

/// Bit rates the `S<n>` command selects, in bit/s, by index.
pub const BITRATES: [u32; 9] = [
    10_000, 20_000, 50_000, 100_000, 125_000, 250_000, 500_000, 800_000, 1_000_000,
];

/// The text of one frame, with its trailing `\r`.
pub fn encode(frame: &CanFrame) -> String {
    let kind = match (frame.is_extended(), frame.is_remote()) {
        (false, false) => 't',
        (true, false) => 'T',
        (false, true) => 'r',
        (true, true) => 'R',
    };
    let mut text = if frame.is_extended() {
        format!("{kind}{:08X}{}", frame.id(), frame.data().len())
    } else {
        format!("{kind}{:03X}{}", frame.id(), frame.data().len())
    };
    if !frame.is_remote() {
        for byte in frame.data() {
            text.push_str(&format!("{byte:02X}"));
        }
    }
    text.push('\r');
    text
}

fn framing(line: &str, why: &str) -> DeviceError {
    DeviceError::Framing(format!("slcan line {line:?}: {why}"))
}

/// Parses one frame line (without its `\r`).
pub fn parse_frame(line: &str) -> Result<CanFrame, DeviceError> {
    let mut chars = line.chars();
    let kind = chars.next().ok_or_else(|| framing(line, "empty"))?;
    let (extended, remote) = match kind {
        't' => (false, false),
        'T' => (true, false),
        'r' => (false, true),
        'R' => (true, true),
        _ => return Err(framing(line, "not a frame (expected t, T, r or R)")),
    };
    let id_len = if extended { 8 } else { 3 };
    let rest = &line[1..];
    if !rest.is_ascii() || rest.len() < id_len + 1 {
        return Err(framing(line, "too short"));
    }
    let id = u32::from_str_radix(&rest[..id_len], 16).map_err(|_| framing(line, "bad id"))?;
    let length = rest[id_len..id_len + 1]
        .parse::<usize>()
        .map_err(|_| framing(line, "bad length"))?;
    let data_text = &rest[id_len + 1..];
    if remote {
        if !data_text.is_empty() {
            return Err(framing(line, "a remote frame carries no data"));
        }
        return CanFrame::remote(id, extended, length).map_err(|e| framing(line, &e.to_string()));
    }
    if data_text.len() != 2 * length {
        return Err(framing(line, "data does not match the length"));
    }
    let data = (0..length)
        .map(|i| u8::from_str_radix(&data_text[2 * i..2 * i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| framing(line, "bad data byte"))?;
    CanFrame::new(id, extended, &data).map_err(|e| framing(line, &e.to_string()))
}

/// What the adapter sent: a frame, an acknowledgement, or an error (BEL).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Frame(CanFrame),
    Ack,
    AdapterError,
    /// A line that is neither; kept for the counters and logs.
    Garbage(DeviceError),
}

/// Splits a byte stream into events; partial lines wait for more bytes.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: Vec<u8>,
}

/// Longest line kept while waiting for its `\r`; longer means noise, and it is dropped.
const MAX_LINE: usize = 64;

impl Decoder {
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        for &byte in bytes {
            match byte {
                0x07 => {
                    self.buffer.clear();
                    events.push(Event::AdapterError);
                }
                b'\r' => {
                    let line = String::from_utf8_lossy(&self.buffer).to_string();
                    self.buffer.clear();
                    events.push(match line.as_str() {
                        // `z`/`Z` acknowledge a transmitted frame on some adapters.
                        "" | "z" | "Z" => Event::Ack,
                        _ => match parse_frame(&line) {
                            Ok(frame) => Event::Frame(frame),
                            Err(error) => Event::Garbage(error),
                        },
                    });
                }
                b'\n' => {} // some adapters add a line feed
                _ => {
                    self.buffer.push(byte);
                    if self.buffer.len() > MAX_LINE {
                        let noise = String::from_utf8_lossy(&self.buffer).to_string();
                        self.buffer.clear();
                        events.push(Event::Garbage(framing(&noise, "no end of line")));
                    }
                }
            }
        }
        events
    }
}

/// A CAN bus through an slcan adapter.
pub struct SlcanBus<S> {
    reader: Mutex<(ReadHalf<S>, Decoder)>,
    writer: Mutex<WriteHalf<S>>,
    garbage: AtomicU64,
    adapter_errors: AtomicU64,
}

impl<S: AsyncRead + AsyncWrite + Send + 'static> SlcanBus<S> {
    /// Opens the channel at `bitrate` (one of `BITRATES`): close, set the rate, open.
    pub async fn open(stream: S, bitrate: u32) -> Result<Self, DeviceError> {
        let index = BITRATES
            .iter()
            .position(|b| *b == bitrate)
            .ok_or_else(|| DeviceError::Refused(format!("slcan has no {bitrate} bit/s setting")))?;
        let (reader, mut writer) = tokio::io::split(stream);
        let setup = format!("C\rS{index}\rO\r");
        writer
            .write_all(setup.as_bytes())
            .await
            .map_err(|e| DeviceError::Io(e.to_string()))?;
        writer
            .flush()
            .await
            .map_err(|e| DeviceError::Io(e.to_string()))?;
        Ok(SlcanBus {
            // One lock per direction: a caller waiting in `recv` never blocks a `send`.
            reader: Mutex::new((reader, Decoder::default())),
            writer: Mutex::new(writer),
            garbage: AtomicU64::new(0),
            adapter_errors: AtomicU64::new(0),
        })
    }

    /// Lines that were not frames, and BEL error replies, since opening.
    pub fn counters(&self) -> (u64, u64) {
        (
            self.garbage.load(Ordering::Relaxed),
            self.adapter_errors.load(Ordering::Relaxed),
        )
    }
}

impl<S: AsyncRead + AsyncWrite + Send + 'static> CanBus for SlcanBus<S> {
    async fn send(&self, frame: &CanFrame) -> Result<(), DeviceError> {
        let mut writer = self.writer.lock().await;
        writer
            .write_all(encode(frame).as_bytes())
            .await
            .map_err(|e| DeviceError::Io(e.to_string()))?;
        writer
            .flush()
            .await
            .map_err(|e| DeviceError::Io(e.to_string()))
    }

    async fn recv(&self) -> Result<CanFrame, DeviceError> {
        let mut guard = self.reader.lock().await;
        let (reader, decoder) = &mut *guard;
        let mut byte = [0u8; 1];
        loop {
            // One byte at a time: a frame is returned as soon as its `\r` arrives, and nothing
            // after it is consumed from the stream (serial input is tiny, this costs nothing).
            let n = reader
                .read(&mut byte)
                .await
                .map_err(|e| DeviceError::Io(e.to_string()))?;
            if n == 0 {
                return Err(DeviceError::Io("the adapter closed the line".into()));
            }
            for event in decoder.push(&byte) {
                match event {
                    Event::Frame(frame) => return Ok(frame),
                    Event::Ack => {}
                    Event::AdapterError => {
                        self.adapter_errors.fetch_add(1, Ordering::Relaxed);
                    }
                    Event::Garbage(error) => {
                        self.garbage.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(%error, "slcan noise");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_through_their_text() {
        let frames = [
            CanFrame::new(0x123, false, &[0xDE, 0xAD, 0xBE, 0xEF]).unwrap(),
            CanFrame::new(0x18FF_50E5, true, &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap(),
            CanFrame::new(0x7FF, false, &[]).unwrap(),
            CanFrame::remote(0x100, false, 2).unwrap(),
            CanFrame::remote(0x1ABC_DEF0, true, 8).unwrap(),
        ];
        for frame in frames {
            let text = encode(&frame);
            assert!(text.ends_with('\r'));
            assert_eq!(
                parse_frame(text.trim_end_matches('\r')).unwrap(),
                frame,
                "{text}"
            );
        }
        assert_eq!(
            encode(&CanFrame::new(0x123, false, &[0xDE, 0xAD]).unwrap()),
            "t1232DEAD\r"
        );
    }

    #[test]
    fn malformed_lines_are_named() {
        for bad in [
            "x123",
            "t12",
            "t1233DEAD",
            "t12G1AA",
            "T123456789",
            "t123900",
            "r1232AA",
        ] {
            let error = parse_frame(bad).unwrap_err();
            assert!(matches!(error, DeviceError::Framing(_)), "{bad}: {error:?}");
            assert!(error.to_string().contains(bad), "{error}");
        }
    }

    #[test]
    fn the_decoder_waits_for_whole_lines_and_sorts_events() {
        let mut decoder = Decoder::default();
        assert!(decoder.push(b"t12").is_empty());
        let events = decoder.push(b"31AA\r\r\x07garbage\rz\r");
        assert_eq!(events.len(), 5);
        assert_eq!(
            events[0],
            Event::Frame(CanFrame::new(0x123, false, &[0xAA]).unwrap())
        );
        assert_eq!(events[1], Event::Ack);
        assert_eq!(events[2], Event::AdapterError);
        assert!(matches!(events[3], Event::Garbage(_)));
        assert_eq!(events[4], Event::Ack);
        let noise = decoder.push(&[b'x'; 100]);
        assert_eq!(
            noise.len(),
            1,
            "an endless line is dropped once it is too long"
        );
    }
}
