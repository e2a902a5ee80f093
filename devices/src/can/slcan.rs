//! slcan (the Lawicel ASCII protocol of common USB-CAN adapters) over any byte stream, e.g. a
//! serial port: `t1234DEADBEEF\r` is standard id 0x123 carrying DE AD BE EF. The codec is pure; the
//! `SlcanBus` runs it over an `AsyncRead + AsyncWrite` and implements `CanBus`. `SlcanAdapter`
//! is the other end of the line, the adapter itself, so the simulator can stand in for one.

use std::collections::VecDeque;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::Mutex;

use super::{CanBus, CanFrame, LineErrors};
use crate::error::DeviceError;

/// Bit rates the `S<n>` command selects, in bit/s, by index.
pub const BITRATES: [u32; 9] = [
    10_000, 20_000, 50_000, 100_000, 125_000, 250_000, 500_000, 800_000, 1_000_000,
];

/// How long `open` waits for the adapter to answer each setup command.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);

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

/// A hexadecimal field. `from_str_radix` alone would also take a leading `+`.
fn hex_field(text: &str, line: &str, what: &str) -> Result<u32, DeviceError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(framing(line, &format!("bad {what} {text:?}")));
    }
    u32::from_str_radix(text, 16).map_err(|_| framing(line, &format!("bad {what} {text:?}")))
}

/// Two hex digits as a byte.
fn hex_byte(text: &str, line: &str, what: &str) -> Result<u8, DeviceError> {
    let value = hex_field(text, line, what)?;
    u8::try_from(value).map_err(|_| framing(line, &format!("bad {what} {text:?}")))
}

/// Length of the optional timestamp (`Z1` mode): four hex digits after the data.
const TIMESTAMP_DIGITS: usize = 4;

/// Parses one frame line (without its `\r`). A trailing four-digit timestamp, which adapters
/// add after `Z1`, is accepted and ignored.
pub fn parse_frame(line: &str) -> Result<CanFrame, DeviceError> {
    let (extended, remote) = match line.chars().next() {
        Some('t') => (false, false),
        Some('T') => (true, false),
        Some('r') => (false, true),
        Some('R') => (true, true),
        Some(_) => return Err(framing(line, "not a frame (expected t, T, r or R)")),
        None => return Err(framing(line, "empty")),
    };
    let id_len = if extended { 8 } else { 3 };
    // The kind letter is ASCII, so byte 1 is a character boundary.
    let rest = &line[1..];
    if !rest.is_ascii() || rest.len() < id_len + 1 {
        return Err(framing(line, "too short or not ASCII"));
    }
    let id = hex_field(&rest[..id_len], line, "id")?;
    let length = match rest.as_bytes()[id_len] {
        digit @ b'0'..=b'8' => usize::from(digit - b'0'),
        _ => return Err(framing(line, "bad length (expected 0 to 8)")),
    };
    let after_length = &rest[id_len + 1..];
    let data_digits = if remote { 0 } else { 2 * length };
    let has_timestamp = match after_length.len() {
        n if n == data_digits => false,
        n if n == data_digits + TIMESTAMP_DIGITS => true,
        _ if remote => return Err(framing(line, "a remote frame carries no data")),
        _ => return Err(framing(line, "data does not match the length")),
    };
    let (data_text, timestamp) = after_length.split_at(data_digits);
    if has_timestamp {
        hex_field(timestamp, line, "timestamp")?;
    }
    let frame = if remote {
        CanFrame::remote(id, extended, length)
    } else {
        let data = (0..length)
            .map(|i| hex_byte(&data_text[2 * i..2 * i + 2], line, "data byte"))
            .collect::<Result<Vec<u8>, _>>()?;
        CanFrame::new(id, extended, &data)
    };
    frame.map_err(|e| framing(line, &e.to_string()))
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
    /// The events completed by `bytes`; an unfinished line stays buffered for the next call.
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

    /// Bytes of an unfinished line, waiting for the rest of it.
    pub fn partial_line(&self) -> usize {
        self.buffer.len()
    }
}

/// What an `SlcanBus` has put up with since it was opened.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlcanStats {
    /// Lines that were neither frames nor acknowledgements.
    pub garbage_lines: u64,
    /// BEL replies outside the setup commands (e.g. for a frame the adapter could not send).
    pub adapter_errors: u64,
    /// The most recent garbage line's error, which names the line.
    pub last_garbage: Option<String>,
    /// Bytes of a line read from the adapter whose `\r` has not arrived yet.
    pub partial_line: usize,
}

/// The receiving side: the stream, the line decoder, and events decoded but not yet taken.
struct Reader<S> {
    stream: ReadHalf<S>,
    decoder: Decoder,
    pending: VecDeque<Event>,
}

/// A CAN bus through an slcan adapter.
///
/// The receiving side sits behind a mutex rather than in a reader task: the bus then has no
/// task to start, stop or leak, and a bus nobody reads buffers nothing beyond the OS. The price
/// is that `send` cannot wait for the adapter's per-frame acknowledgement (it arrives on the
/// receiving side, possibly behind frames another caller is waiting for), so a BEL for a frame
/// the adapter could not send shows up in `stats()` rather than as an error of `send`. Reads are
/// cancel-safe: a `recv` dropped by `tokio::time::timeout` loses no bytes, because decoded
/// events are queued before anything else is awaited.
pub struct SlcanBus<S> {
    // One lock per direction: a caller waiting in `recv` never blocks a `send`.
    reader: Mutex<Reader<S>>,
    writer: Mutex<WriteHalf<S>>,
    stats: std::sync::Mutex<SlcanStats>,
}

impl SlcanBus<tokio_serial::SerialStream> {
    /// Opens the adapter's serial port at `path`, then its CAN channel at `bitrate`. The serial
    /// baud rate means nothing to USB adapters; 115200 suits the others.
    pub async fn open_serial(path: &str, bitrate: u32) -> Result<Self, DeviceError> {
        bitrate_index(bitrate)?;
        let port = tokio_serial::SerialStream::open(&tokio_serial::new(path, 115_200))
            .map_err(|e| DeviceError::Io(format!("{path}: {e}")))?;
        Self::open(port, bitrate).await
    }
}

/// The `n` of the `S<n>` command that selects `bitrate`.
fn bitrate_index(bitrate: u32) -> Result<usize, DeviceError> {
    BITRATES
        .iter()
        .position(|b| *b == bitrate)
        .ok_or_else(|| DeviceError::Refused(format!("slcan has no {bitrate} bit/s setting")))
}

fn io_error(error: std::io::Error) -> DeviceError {
    DeviceError::Io(error.to_string())
}

impl<S: AsyncRead + AsyncWrite + Send + 'static> SlcanBus<S> {
    /// Opens the channel at `bitrate` (one of `BITRATES`): close, set the rate, open, each
    /// answered by the adapter within `COMMAND_TIMEOUT`.
    pub async fn open(stream: S, bitrate: u32) -> Result<Self, DeviceError> {
        let index = bitrate_index(bitrate)?;
        let (reader, writer) = tokio::io::split(stream);
        let bus = SlcanBus {
            reader: Mutex::new(Reader {
                stream: reader,
                decoder: Decoder::default(),
                pending: VecDeque::new(),
            }),
            writer: Mutex::new(writer),
            stats: std::sync::Mutex::new(SlcanStats::default()),
        };
        // Close first, since an adapter left open by an earlier run refuses `S`. An adapter that
        // is already closed answers BEL, and some answer nothing at all: both are fine here.
        match bus.command("C").await {
            Ok(()) | Err(DeviceError::Refused(_) | DeviceError::Timeout(_)) => {}
            Err(error) => return Err(error),
        }
        bus.command(&format!("S{index}")).await?;
        bus.command("O").await?;
        Ok(bus)
    }

    /// What the bus has put up with since it was opened.
    pub fn stats(&self) -> SlcanStats {
        self.stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    async fn write_text(&self, text: &str) -> Result<(), DeviceError> {
        let mut writer = self.writer.lock().await;
        writer.write_all(text.as_bytes()).await.map_err(io_error)?;
        writer.flush().await.map_err(io_error)
    }

    /// Sends a setup command and waits for its `\r` (a BEL is a refusal). Frames arriving in the
    /// meantime were sent on the bus before the channel was (re)opened, and are dropped.
    async fn command(&self, command: &str) -> Result<(), DeviceError> {
        self.write_text(&format!("{command}\r")).await?;
        let mut reader = self.reader.lock().await;
        let answer = async {
            loop {
                match self.next_event(&mut reader).await? {
                    Event::Ack => return Ok(()),
                    Event::AdapterError => {
                        return Err(DeviceError::Refused(format!(
                            "the slcan adapter refused {command:?}"
                        )));
                    }
                    Event::Frame(_) => {}
                    Event::Garbage(error) => self.count_garbage(error),
                }
            }
        };
        tokio::time::timeout(COMMAND_TIMEOUT, answer)
            .await
            .map_err(|_| DeviceError::Timeout(COMMAND_TIMEOUT))?
    }

    /// The next event from the adapter, reading more bytes when none is queued.
    async fn next_event(&self, reader: &mut Reader<S>) -> Result<Event, DeviceError> {
        let mut bytes = [0u8; 256];
        loop {
            if let Some(event) = reader.pending.pop_front() {
                return Ok(event);
            }
            let n = reader.stream.read(&mut bytes).await.map_err(io_error)?;
            if n == 0 {
                return Err(DeviceError::Io("the adapter closed the line".into()));
            }
            let events = reader.decoder.push(&bytes[..n]);
            reader.pending.extend(events);
            self.stats
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .partial_line = reader.decoder.partial_line();
        }
    }

    fn count_garbage(&self, error: DeviceError) {
        tracing::debug!(%error, "slcan noise");
        let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        stats.garbage_lines += 1;
        stats.last_garbage = Some(error.to_string());
    }
}

impl<S: AsyncRead + AsyncWrite + Send + 'static> CanBus for SlcanBus<S> {
    async fn send(&self, frame: &CanFrame) -> Result<(), DeviceError> {
        self.write_text(&encode(frame)).await
    }

    async fn recv(&self) -> Result<CanFrame, DeviceError> {
        let mut reader = self.reader.lock().await;
        loop {
            match self.next_event(&mut reader).await? {
                Event::Frame(frame) => return Ok(frame),
                Event::Ack => {}
                Event::AdapterError => {
                    self.stats
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .adapter_errors += 1;
                }
                Event::Garbage(error) => self.count_garbage(error),
            }
        }
    }

    fn line_errors(&self) -> LineErrors {
        let stats = self.stats();
        LineErrors {
            count: stats.garbage_lines + stats.adapter_errors,
            // A BEL carries no text, so the last garbage line is the best name there is.
            last: stats.last_garbage,
        }
    }
}

/// The adapter's end of an slcan line, for the simulator and tests: it plays a USB-CAN adapter
/// towards a host running `SlcanBus` on the other end (of a pseudo-terminal pair, say).
///
/// Like a real adapter it answers the host's commands (`C`, `S<n>`, `O`, ...) with `\r`, puts
/// bus frames on the line only while the host has the channel open (`O` until `C`), and hands
/// the frames the host transmits to `recv`, acknowledging each with `z`/`Z` (BEL while closed or
/// for a line it cannot parse). The answers are written from inside `recv`, so somebody must keep
/// receiving, as the simulator's broadcast task does.
pub struct SlcanAdapter<S> {
    reader: Mutex<AdapterReader<S>>,
    writer: Mutex<WriteHalf<S>>,
    open: AtomicBool,
}

/// The receiving side of the adapter: the partial line, frames to hand out, answers owed.
struct AdapterReader<S> {
    stream: ReadHalf<S>,
    line: Vec<u8>,
    frames: VecDeque<CanFrame>,
    answers: VecDeque<&'static str>,
}

impl SlcanAdapter<tokio_serial::SerialStream> {
    /// The adapter end on the serial port at `path`.
    pub fn open_serial(path: &str) -> Result<Self, DeviceError> {
        let port = tokio_serial::SerialStream::open(&tokio_serial::new(path, 115_200))
            .map_err(|e| DeviceError::Io(format!("{path}: {e}")))?;
        Ok(Self::new(port))
    }
}

impl<S: AsyncRead + AsyncWrite + Send + 'static> SlcanAdapter<S> {
    /// An adapter with its channel closed, as after power-up.
    pub fn new(stream: S) -> Self {
        let (reader, writer) = tokio::io::split(stream);
        SlcanAdapter {
            reader: Mutex::new(AdapterReader {
                stream: reader,
                line: Vec::new(),
                frames: VecDeque::new(),
                answers: VecDeque::new(),
            }),
            writer: Mutex::new(writer),
            open: AtomicBool::new(false),
        }
    }

    /// Whether the host has opened the channel.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }

    /// Writes raw bytes to the host, whatever they are: for tests that put noise on the line.
    pub async fn send_raw(&self, bytes: &[u8]) -> Result<(), DeviceError> {
        let mut writer = self.writer.lock().await;
        writer.write_all(bytes).await.map_err(io_error)?;
        writer.flush().await.map_err(io_error)
    }

    /// Sorts one line from the host into a frame to hand out and the answer it is owed.
    fn host_line(&self, line: &str, reader: &mut AdapterReader<S>) {
        match line.chars().next() {
            None => {}
            Some('t' | 'T' | 'r' | 'R') => match parse_frame(line) {
                Ok(frame) if self.is_open() => {
                    reader
                        .answers
                        .push_back(if frame.is_extended() { "Z\r" } else { "z\r" });
                    reader.frames.push_back(frame);
                }
                Ok(_) | Err(_) => reader.answers.push_back("\x07"),
            },
            Some(command) => {
                match command {
                    'O' => self.open.store(true, Ordering::Relaxed),
                    'C' => self.open.store(false, Ordering::Relaxed),
                    // Bit rate, timestamps, filters, version: nothing to simulate.
                    _ => {}
                }
                reader.answers.push_back("\r");
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Send + 'static> CanBus for SlcanAdapter<S> {
    /// Puts a bus frame on the line; while the host has the channel closed the frame is dropped,
    /// as an adapter drops the traffic it is not passing on.
    async fn send(&self, frame: &CanFrame) -> Result<(), DeviceError> {
        if !self.is_open() {
            return Ok(());
        }
        self.send_raw(encode(frame).as_bytes()).await
    }

    /// The next frame the host transmits. Cancel-safe like `SlcanBus::recv`: bytes read are
    /// sorted into queues before anything else is awaited, and an answer leaves its queue only
    /// once written.
    async fn recv(&self) -> Result<CanFrame, DeviceError> {
        let mut reader = self.reader.lock().await;
        let mut bytes = [0u8; 256];
        loop {
            while let Some(answer) = reader.answers.front().copied() {
                self.send_raw(answer.as_bytes()).await?;
                reader.answers.pop_front();
            }
            if let Some(frame) = reader.frames.pop_front() {
                return Ok(frame);
            }
            let n = reader.stream.read(&mut bytes).await.map_err(io_error)?;
            if n == 0 {
                return Err(DeviceError::Io("the host closed the line".into()));
            }
            for &byte in &bytes[..n] {
                match byte {
                    b'\r' => {
                        let line = String::from_utf8_lossy(&reader.line).to_string();
                        reader.line.clear();
                        self.host_line(&line, &mut reader);
                    }
                    b'\n' => {}
                    // An endless line is noise: drop it rather than grow without bound.
                    _ if reader.line.len() >= MAX_LINE => reader.line.clear(),
                    _ => reader.line.push(byte),
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
        assert_eq!(
            encode(&CanFrame::remote(0x1ABC_DEF0, true, 8).unwrap()),
            "R1ABCDEF08\r"
        );
    }

    #[test]
    fn a_trailing_timestamp_is_accepted_and_ignored() {
        assert_eq!(
            parse_frame("t1232BEEF1A2B").unwrap(),
            CanFrame::new(0x123, false, &[0xBE, 0xEF]).unwrap()
        );
        assert_eq!(
            parse_frame("r12341A2B").unwrap(),
            CanFrame::remote(0x123, false, 4).unwrap()
        );
    }

    #[test]
    fn malformed_lines_are_named() {
        for bad in [
            "x123",
            "t12",
            "t1233DEAD",
            "t12G1AA",
            "t+231AA",
            "t1231+A",
            "T123456789",
            "T2000000000",
            "t123900",
            "t1231AAXYZW",
            "r1232AA",
            "t12é1AA",
        ] {
            let error = parse_frame(bad).unwrap_err();
            assert!(matches!(error, DeviceError::Framing(_)), "{bad}: {error:?}");
            assert!(error.to_string().contains(bad), "{error}");
        }
    }

    #[tokio::test]
    async fn an_adapter_end_serves_a_bus_on_the_other_end_of_the_line() {
        let (host, device) = tokio::io::duplex(1024);
        let adapter = std::sync::Arc::new(SlcanAdapter::new(device));
        // Somebody must keep receiving on the adapter end for the host's commands to be answered.
        let (to_host, mut from_host) = tokio::sync::mpsc::channel(8);
        let receiver = {
            let adapter = adapter.clone();
            tokio::spawn(async move {
                while let Ok(frame) = adapter.recv().await {
                    let _ = to_host.send(frame).await;
                }
            })
        };
        let bus = SlcanBus::open(host, 250_000).await.unwrap();
        assert!(adapter.is_open());

        let status = CanFrame::new(0x355, false, &[62, 0, 97, 0]).unwrap();
        adapter.send(&status).await.unwrap();
        assert_eq!(bus.recv().await.unwrap(), status);

        let command = CanFrame::new(0x18FF_50E5, true, &[9, 9]).unwrap();
        bus.send(&command).await.unwrap();
        assert_eq!(from_host.recv().await.unwrap(), command);

        // Noise from the adapter is skipped by the bus and shows in its line errors.
        adapter.send_raw(b"#noise#\r").await.unwrap();
        adapter.send(&status).await.unwrap();
        assert_eq!(bus.recv().await.unwrap(), status);
        let line = bus.line_errors();
        assert_eq!(line.count, 1);
        assert!(line.last.unwrap().contains("#noise#"));
        receiver.abort();
    }

    #[tokio::test]
    async fn a_closed_adapter_passes_no_traffic_and_refuses_host_frames() {
        let (mut host, device) = tokio::io::duplex(1024);
        let adapter = SlcanAdapter::new(device);
        adapter
            .send(&CanFrame::new(0x100, false, &[1]).unwrap())
            .await
            .unwrap();
        host.write_all(b"t1001AA\rO\rt1001BB\r").await.unwrap();
        // The frame sent while closed gets BEL; after `O` a frame is handed out and acknowledged.
        let frame = adapter.recv().await.unwrap();
        assert_eq!(frame, CanFrame::new(0x100, false, &[0xBB]).unwrap());
        adapter
            .send(&CanFrame::new(0x101, false, &[2]).unwrap())
            .await
            .unwrap();
        let mut seen = [0u8; 64];
        let n = host.read(&mut seen).await.unwrap();
        // Nothing from before the `O`: the line starts with the answers, then the new frame.
        assert_eq!(&seen[..n], b"\x07\rz\rt101102\r");
    }

    #[test]
    fn the_decoder_waits_for_whole_lines_and_sorts_events() {
        let mut decoder = Decoder::default();
        assert!(decoder.push(b"t12").is_empty());
        assert_eq!(decoder.partial_line(), 3);
        let events = decoder.push(b"31AA\r\r\x07garbage\rz\r");
        assert_eq!(decoder.partial_line(), 0);
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
