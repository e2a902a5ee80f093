//! Modbus TCP and RTU clients: the one file that uses tokio-modbus's client side. Every request
//! has a timeout, is checked against the protocol limits before it is sent, and fails with one
//! typed `DeviceError`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;
use tokio_modbus::client::{Context, Reader, Writer};
use tokio_modbus::prelude::SlaveContext;
use tokio_modbus::{ExceptionCode, ProtocolError, Slave};
use tokio_serial::{SerialPort, SerialPortBuilderExt};

use crate::error::{DeviceError, exception_name};
use crate::types::{MAX_WRITE_REGISTERS, RegisterTable};

/// Largest number of coils one Modbus write may carry (FC 15), by the protocol.
pub const MAX_WRITE_COILS: u16 = 1968;

/// The inter-frame silence never goes below this, whatever the baud rate: USB-RS485 adapters
/// and the kernel's scheduling blur shorter gaps (the spec itself fixes 1.75 ms above 19,200 baud).
pub const MIN_INTER_FRAME_DELAY: Duration = Duration::from_millis(2);

/// Parity of a serial line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parity {
    #[default]
    None,
    Even,
    Odd,
}

/// Where a Modbus device is reached. In JSON: `{"tcp": {"addr": "192.168.1.20:502"}}` or
/// `{"rtu": {"path": "/dev/ttyUSB0", "baud_rate": 9600, "parity": "even"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// Modbus TCP, `host:port` (a name is resolved at every connection attempt).
    Tcp { addr: String },
    /// Modbus RTU on a serial port (an RS485 adapter, or a pseudo-terminal in tests).
    Rtu {
        path: String,
        /// Default 9600.
        #[serde(default = "default_baud_rate")]
        baud_rate: u32,
        /// Default none.
        #[serde(default)]
        parity: Parity,
        /// 1 (default) or 2.
        #[serde(default = "default_stop_bits")]
        stop_bits: u8,
        /// Always 8 in Modbus RTU; present so a configuration can say so explicitly.
        #[serde(default = "default_data_bits")]
        data_bits: u8,
        /// Silence kept between two frames. Default: 3.5 character times at the baud rate (a
        /// character is 11 bits: start, 8 data, parity or second stop, stop), at least 2 ms.
        #[serde(default)]
        inter_frame_delay_ms: Option<u64>,
    },
}

fn default_baud_rate() -> u32 {
    9600
}

fn default_stop_bits() -> u8 {
    1
}

fn default_data_bits() -> u8 {
    8
}

impl Endpoint {
    /// A serial endpoint with the defaults (9600 8N1, computed inter-frame delay).
    pub fn rtu(path: impl Into<String>, baud_rate: u32) -> Endpoint {
        Endpoint::Rtu {
            path: path.into(),
            baud_rate,
            parity: Parity::None,
            stop_bits: default_stop_bits(),
            data_bits: default_data_bits(),
            inter_frame_delay_ms: None,
        }
    }

    /// A TCP endpoint.
    pub fn tcp(addr: impl ToString) -> Endpoint {
        Endpoint::Tcp {
            addr: addr.to_string(),
        }
    }

    /// Plain words for logs and the Buses page, e.g. `Modbus RTU /dev/ttyUSB0 9600 8E1`.
    pub fn describe(&self) -> String {
        match self {
            Endpoint::Tcp { addr } => format!("Modbus TCP {addr}"),
            Endpoint::Rtu {
                path,
                baud_rate,
                parity,
                stop_bits,
                data_bits,
                ..
            } => {
                let parity = match parity {
                    Parity::None => 'N',
                    Parity::Even => 'E',
                    Parity::Odd => 'O',
                };
                format!("Modbus RTU {path} {baud_rate} {data_bits}{parity}{stop_bits}")
            }
        }
    }

    /// The silence the line needs between two frames (zero for TCP).
    pub fn inter_frame_delay(&self) -> Duration {
        match self {
            Endpoint::Tcp { .. } => Duration::ZERO,
            Endpoint::Rtu {
                inter_frame_delay_ms: Some(ms),
                ..
            } => Duration::from_millis(*ms),
            Endpoint::Rtu { baud_rate, .. } => {
                // 3.5 characters of 11 bits: 38,500,000 µs-bits over the baud rate, rounded down.
                let micros = 38_500_000 / u64::from((*baud_rate).max(1));
                Duration::from_micros(micros).max(MIN_INTER_FRAME_DELAY)
            }
        }
    }
}

/// The narrow interface the bus task needs from a field-bus transport. Bits travel as 0/1 words
/// on reads and as `bool`s on writes.
pub trait RegisterTransport: Send {
    /// Reads `count` registers (or bits) of `table` starting at `start`.
    fn read(
        &mut self,
        unit_id: u8,
        table: RegisterTable,
        start: u16,
        count: u16,
    ) -> impl Future<Output = Result<Vec<u16>, DeviceError>> + Send;

    /// Writes holding registers.
    fn write_registers(
        &mut self,
        unit_id: u8,
        start: u16,
        words: &[u16],
    ) -> impl Future<Output = Result<(), DeviceError>> + Send;

    /// Writes coils.
    fn write_coils(
        &mut self,
        unit_id: u8,
        start: u16,
        bits: &[bool],
    ) -> impl Future<Output = Result<(), DeviceError>> + Send;
}

/// Refuses, before anything is sent, a read the protocol does not allow.
pub fn check_read(table: RegisterTable, count: u16) -> Result<(), DeviceError> {
    if count == 0 || count > table.max_read() {
        return Err(DeviceError::Refused(format!(
            "a {} read must ask for 1 to {} items, not {count}",
            table_name(table),
            table.max_read()
        )));
    }
    Ok(())
}

/// Refuses, before anything is sent, a request whose addresses would run past 65,535.
pub fn check_range(start: u16, count: usize) -> Result<(), DeviceError> {
    let last = usize::from(start) + count.max(1) - 1;
    if last > usize::from(u16::MAX) {
        return Err(DeviceError::Refused(format!(
            "addresses {start}..={last} run past the last Modbus address 65535"
        )));
    }
    Ok(())
}

/// Refuses, before anything is sent, a register write the protocol does not allow.
pub fn check_write_registers(count: usize) -> Result<(), DeviceError> {
    if count == 0 || count > usize::from(MAX_WRITE_REGISTERS) {
        return Err(DeviceError::Refused(format!(
            "a register write must carry 1 to {MAX_WRITE_REGISTERS} registers, not {count}"
        )));
    }
    Ok(())
}

/// Refuses, before anything is sent, a coil write the protocol does not allow.
pub fn check_write_coils(count: usize) -> Result<(), DeviceError> {
    if count == 0 || count > usize::from(MAX_WRITE_COILS) {
        return Err(DeviceError::Refused(format!(
            "a coil write must carry 1 to {MAX_WRITE_COILS} coils, not {count}"
        )));
    }
    Ok(())
}

/// Refuses a write to a table a Modbus master cannot write.
pub fn check_writable(table: RegisterTable) -> Result<(), DeviceError> {
    if table.is_writable() {
        Ok(())
    } else {
        Err(DeviceError::Refused(format!(
            "{} registers are read-only in Modbus",
            table_name(table)
        )))
    }
}

/// Lower-case table name for messages ("input", "holding", "coil", "discrete").
pub fn table_name(table: RegisterTable) -> &'static str {
    match table {
        RegisterTable::Holding => "holding",
        RegisterTable::Input => "input",
        RegisterTable::Coil => "coil",
        RegisterTable::Discrete => "discrete",
    }
}

/// How frames are delimited on the transport.
#[derive(Debug, Clone, Copy)]
enum FrameFormat {
    /// MBAP header with a length, over TCP.
    Tcp,
    /// Unit id, PDU and CRC, delimited by silence, over a serial line.
    Rtu,
}

/// A connected Modbus client (one TCP connection or one serial line).
pub struct ModbusClient {
    context: Context,
    timeout: Duration,
    inter_frame_delay: Duration,
    /// When the line is free again after the last frame (RTU is half-duplex; TCP never waits).
    line_free_at: Option<Instant>,
    /// Bytes that arrived since the current request was sent.
    received: Received,
}

/// Opens the endpoint; connecting also obeys `timeout`.
pub async fn connect(endpoint: &Endpoint, timeout: Duration) -> Result<ModbusClient, DeviceError> {
    match endpoint {
        Endpoint::Tcp { addr } => connect_tcp(addr, timeout).await,
        Endpoint::Rtu { .. } => connect_rtu(endpoint, timeout),
    }
}

/// Opens a Modbus TCP connection to `addr` (`host:port`).
pub async fn connect_tcp(addr: &str, timeout: Duration) -> Result<ModbusClient, DeviceError> {
    // A connection that cannot be made is an I/O failure of the bus, not a silent device:
    // `Timeout` is kept for requests that go unanswered.
    let socket = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| {
            DeviceError::Io(format!(
                "{addr}: no connection within {} ms",
                timeout.as_millis()
            ))
        })?
        .map_err(|e| DeviceError::Io(format!("{addr}: {e}")))?;
    // Requests are small and answered one at a time: Nagle would only add latency.
    socket
        .set_nodelay(true)
        .map_err(|e| DeviceError::Io(e.to_string()))?;
    Ok(ModbusClient::attach(
        socket,
        FrameFormat::Tcp,
        timeout,
        Duration::ZERO,
    ))
}

/// Opens a Modbus RTU line. `endpoint` must be `Endpoint::Rtu`.
pub fn connect_rtu(endpoint: &Endpoint, timeout: Duration) -> Result<ModbusClient, DeviceError> {
    let Endpoint::Rtu {
        path,
        baud_rate,
        parity,
        stop_bits,
        data_bits,
        ..
    } = endpoint
    else {
        return Err(DeviceError::Refused(format!(
            "{} is not a serial endpoint",
            endpoint.describe()
        )));
    };
    if *data_bits != 8 {
        return Err(DeviceError::Refused(format!(
            "Modbus RTU uses 8 data bits, not {data_bits}"
        )));
    }
    let stop_bits = match stop_bits {
        1 => tokio_serial::StopBits::One,
        2 => tokio_serial::StopBits::Two,
        other => {
            return Err(DeviceError::Refused(format!(
                "stop bits must be 1 or 2, not {other}"
            )));
        }
    };
    let parity = match parity {
        Parity::None => tokio_serial::Parity::None,
        Parity::Even => tokio_serial::Parity::Even,
        Parity::Odd => tokio_serial::Parity::Odd,
    };
    let port = tokio_serial::new(path, *baud_rate)
        .parity(parity)
        .stop_bits(stop_bits)
        .data_bits(tokio_serial::DataBits::Eight)
        .open_native_async()
        .map_err(|e| DeviceError::Io(format!("{path}: {e}")))?;
    // Bytes left in the port from before (a reply that came too late, line noise) would be
    // read as the start of the next reply.
    port.clear(tokio_serial::ClearBuffer::All)
        .map_err(|e| DeviceError::Io(format!("{path}: {e}")))?;
    Ok(ModbusClient::attach(
        port,
        FrameFormat::Rtu,
        timeout,
        endpoint.inter_frame_delay(),
    ))
}

fn exception(code: ExceptionCode) -> DeviceError {
    let code = u8::from(code);
    DeviceError::Exception {
        code,
        name: exception_name(code),
    }
}

fn transport_error(error: tokio_modbus::Error, received: &Received) -> DeviceError {
    match error {
        // tokio-modbus reports a closed TCP connection with whatever `errno` happens to hold.
        tokio_modbus::Error::Transport(_) if received.peer_closed() => {
            DeviceError::Io("the device closed the connection".into())
        }
        // The codecs report undecodable bytes (bad length, bad CRC after their resync attempts,
        // unknown protocol id) as `InvalidData`.
        tokio_modbus::Error::Transport(e) if e.kind() == io::ErrorKind::InvalidData => {
            DeviceError::Framing(format!("no valid reply in {} ({e})", received.describe()))
        }
        tokio_modbus::Error::Transport(e) => DeviceError::Io(e.to_string()),
        tokio_modbus::Error::Protocol(ProtocolError::HeaderMismatch { message, .. }) => {
            DeviceError::Framing(format!("the reply does not match the request: {message}"))
        }
        tokio_modbus::Error::Protocol(ProtocolError::FunctionCodeMismatch { request, .. }) => {
            DeviceError::Framing(format!(
                "the reply carries another function code than the request ({request})"
            ))
        }
    }
}

impl ModbusClient {
    fn attach<T>(
        transport: T,
        format: FrameFormat,
        timeout: Duration,
        inter_frame_delay: Duration,
    ) -> Self
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug + 'static,
    {
        let received = Received::default();
        let transport = CountingTransport {
            inner: transport,
            received: received.clone(),
        };
        // The unit id is set per request; 1 is only a placeholder.
        let context = match format {
            FrameFormat::Rtu => tokio_modbus::client::rtu::attach_slave(transport, Slave(1)),
            FrameFormat::Tcp => tokio_modbus::client::tcp::attach_slave(transport, Slave(1)),
        };
        ModbusClient {
            context,
            timeout,
            inter_frame_delay,
            line_free_at: None,
            received,
        }
    }

    /// Runs one request: waits out the inter-frame silence, applies the timeout, flattens
    /// tokio-modbus's `Result<Result<T, Exception>, Error>` and marks when the line is free.
    async fn request<T, F>(&mut self, unit_id: u8, call: F) -> Result<T, DeviceError>
    where
        F: AsyncFnOnce(&mut Context) -> tokio_modbus::Result<T>,
    {
        if let Some(at) = self.line_free_at {
            tokio::time::sleep_until(at).await;
        }
        self.context.set_slave(Slave(unit_id));
        self.received.clear();
        let timeout = self.timeout;
        let outcome = tokio::time::timeout(timeout, call(&mut self.context)).await;
        if !self.inter_frame_delay.is_zero() {
            self.line_free_at = Some(Instant::now() + self.inter_frame_delay);
        }
        match outcome {
            // Bytes arrived but never made a frame: noise, a bad CRC or a wrong baud rate. That
            // is a line problem, not a silent device.
            Err(_) if self.received.count() > 0 => Err(DeviceError::Framing(format!(
                "no valid reply within {} ms, only {}",
                timeout.as_millis(),
                self.received.describe()
            ))),
            Err(_) => Err(DeviceError::Timeout(timeout)),
            Ok(Err(error)) => Err(transport_error(error, &self.received)),
            Ok(Ok(Err(code))) => Err(exception(code)),
            Ok(Ok(Ok(value))) => Ok(value),
        }
    }

    /// Writes to `table` (coils as 0/1 words), refusing read-only tables before anything is sent.
    pub async fn write(
        &mut self,
        unit_id: u8,
        table: RegisterTable,
        start: u16,
        words: &[u16],
    ) -> Result<(), DeviceError> {
        check_writable(table)?;
        if table.is_bits() {
            let bits: Vec<bool> = words.iter().map(|w| *w != 0).collect();
            self.write_coils(unit_id, start, &bits).await
        } else {
            self.write_registers(unit_id, start, words).await
        }
    }
}

/// The requests themselves, callable without importing `RegisterTransport`.
impl ModbusClient {
    /// Reads `count` registers (or bits, as 0/1 words) of `table` starting at `start`.
    pub async fn read(
        &mut self,
        unit_id: u8,
        table: RegisterTable,
        start: u16,
        count: u16,
    ) -> Result<Vec<u16>, DeviceError> {
        check_read(table, count)?;
        check_range(start, usize::from(count))?;
        let bits_as_words = |bits: Vec<bool>| bits.into_iter().map(u16::from).collect();
        match table {
            RegisterTable::Holding => {
                self.request(unit_id, async |c| {
                    c.read_holding_registers(start, count).await
                })
                .await
            }
            RegisterTable::Input => {
                self.request(unit_id, async |c| {
                    c.read_input_registers(start, count).await
                })
                .await
            }
            RegisterTable::Coil => self
                .request(unit_id, async |c| c.read_coils(start, count).await)
                .await
                .map(bits_as_words),
            RegisterTable::Discrete => self
                .request(unit_id, async |c| {
                    c.read_discrete_inputs(start, count).await
                })
                .await
                .map(bits_as_words),
        }
    }

    /// Writes holding registers: function 16, or 6 for a single register.
    pub async fn write_registers(
        &mut self,
        unit_id: u8,
        start: u16,
        words: &[u16],
    ) -> Result<(), DeviceError> {
        check_write_registers(words.len())?;
        check_range(start, words.len())?;
        if let [word] = words {
            self.request(unit_id, async |c| {
                c.write_single_register(start, *word).await
            })
            .await
        } else {
            self.request(unit_id, async |c| {
                c.write_multiple_registers(start, words).await
            })
            .await
        }
    }

    /// Writes coils: function 15, or 5 for a single coil.
    pub async fn write_coils(
        &mut self,
        unit_id: u8,
        start: u16,
        bits: &[bool],
    ) -> Result<(), DeviceError> {
        check_write_coils(bits.len())?;
        check_range(start, bits.len())?;
        if let [bit] = bits {
            self.request(unit_id, async |c| c.write_single_coil(start, *bit).await)
                .await
        } else {
            self.request(unit_id, async |c| c.write_multiple_coils(start, bits).await)
                .await
        }
    }
}

impl RegisterTransport for ModbusClient {
    fn read(
        &mut self,
        unit_id: u8,
        table: RegisterTable,
        start: u16,
        count: u16,
    ) -> impl Future<Output = Result<Vec<u16>, DeviceError>> + Send {
        ModbusClient::read(self, unit_id, table, start, count)
    }

    fn write_registers(
        &mut self,
        unit_id: u8,
        start: u16,
        words: &[u16],
    ) -> impl Future<Output = Result<(), DeviceError>> + Send {
        ModbusClient::write_registers(self, unit_id, start, words)
    }

    fn write_coils(
        &mut self,
        unit_id: u8,
        start: u16,
        bits: &[bool],
    ) -> impl Future<Output = Result<(), DeviceError>> + Send {
        ModbusClient::write_coils(self, unit_id, start, bits)
    }
}

/// How many bytes arrived since the last request, and the first few of them for the message.
#[derive(Debug, Clone, Default)]
struct Received(Arc<Mutex<ReceivedBytes>>);

#[derive(Debug, Default)]
struct ReceivedBytes {
    count: usize,
    first: Vec<u8>,
    /// The peer closed the stream (a read returned no bytes).
    peer_closed: bool,
}

/// Bytes quoted in a framing error message.
const QUOTED_BYTES: usize = 16;

impl Received {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReceivedBytes> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn clear(&self) {
        let mut received = self.lock();
        received.count = 0;
        received.first.clear();
        received.peer_closed = false;
    }

    fn mark_peer_closed(&self) {
        self.lock().peer_closed = true;
    }

    fn peer_closed(&self) -> bool {
        self.lock().peer_closed
    }

    fn add(&self, bytes: &[u8]) {
        let mut received = self.lock();
        received.count += bytes.len();
        let room = QUOTED_BYTES.saturating_sub(received.first.len());
        received
            .first
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn count(&self) -> usize {
        self.lock().count
    }

    /// e.g. "7 bytes: 02 04 02 01 f4 00 00".
    fn describe(&self) -> String {
        let received = self.lock();
        let hex: Vec<String> = received.first.iter().map(|b| format!("{b:02x}")).collect();
        let more = if received.count > received.first.len() {
            " …"
        } else {
            ""
        };
        format!("{} bytes: {}{more}", received.count, hex.join(" "))
    }
}

/// The transport under tokio-modbus, counting what arrives so a timeout with bytes on the line
/// can be told apart from a silent device.
#[derive(Debug)]
struct CountingTransport<T> {
    inner: T,
    received: Received,
}

impl<T: AsyncRead + Unpin> AsyncRead for CountingTransport<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            let arrived = &buf.filled()[before..];
            if arrived.is_empty() && buf.remaining() > 0 {
                this.received.mark_peer_closed();
            }
            this.received.add(arrived);
        }
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for CountingTransport<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inter_frame_delay_is_three_and_a_half_characters_but_at_least_two_ms() {
        // 9600 baud: 3.5 × 11 bits / 9600 = 4.01 ms.
        let slow = Endpoint::rtu("/dev/null", 9600).inter_frame_delay();
        assert_eq!(slow.as_micros(), 4010);
        let fast = Endpoint::rtu("/dev/null", 115_200).inter_frame_delay();
        assert_eq!(fast, MIN_INTER_FRAME_DELAY);
        let explicit = Endpoint::Rtu {
            path: "/dev/null".into(),
            baud_rate: 9600,
            parity: Parity::Even,
            stop_bits: 1,
            data_bits: 8,
            inter_frame_delay_ms: Some(10),
        };
        assert_eq!(explicit.inter_frame_delay(), Duration::from_millis(10));
        assert_eq!(Endpoint::tcp("h:502").inter_frame_delay(), Duration::ZERO);
    }

    #[test]
    fn endpoints_read_from_json_with_serial_defaults() {
        let rtu: Endpoint = serde_json::from_str(r#"{"rtu": {"path": "/dev/ttyUSB0"}}"#).unwrap();
        assert_eq!(rtu, Endpoint::rtu("/dev/ttyUSB0", 9600));
        assert_eq!(rtu.describe(), "Modbus RTU /dev/ttyUSB0 9600 8N1");
        let tcp: Endpoint = serde_json::from_str(r#"{"tcp": {"addr": "10.0.0.5:502"}}"#).unwrap();
        assert_eq!(tcp.describe(), "Modbus TCP 10.0.0.5:502");
    }

    #[test]
    fn limits_are_checked_before_sending() {
        assert!(check_read(RegisterTable::Input, 0).is_err());
        assert!(check_read(RegisterTable::Input, 125).is_ok());
        assert!(check_read(RegisterTable::Holding, 126).is_err());
        assert!(check_read(RegisterTable::Coil, 2000).is_ok());
        assert!(check_read(RegisterTable::Discrete, 2001).is_err());
        assert!(check_write_registers(123).is_ok());
        assert!(check_write_registers(124).is_err());
        assert!(check_write_coils(1969).is_err());
        assert!(check_writable(RegisterTable::Input).is_err());
        assert!(check_writable(RegisterTable::Discrete).is_err());
        assert!(check_writable(RegisterTable::Coil).is_ok());
        assert!(check_range(65_535, 1).is_ok());
        assert!(check_range(65_530, 7).is_err());
    }

    #[tokio::test]
    async fn refused_serial_settings_open_nothing() {
        let seven_bits = Endpoint::Rtu {
            path: "/dev/does-not-exist".into(),
            baud_rate: 9600,
            parity: Parity::None,
            stop_bits: 1,
            data_bits: 7,
            inter_frame_delay_ms: None,
        };
        assert!(matches!(
            connect(&seven_bits, Duration::from_secs(1)).await,
            Err(DeviceError::Refused(_))
        ));
        let missing = connect(
            &Endpoint::rtu("/dev/does-not-exist", 9600),
            Duration::from_secs(1),
        )
        .await;
        assert!(matches!(missing, Err(DeviceError::Io(_))));
    }
}
