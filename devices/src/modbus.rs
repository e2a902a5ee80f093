//! Modbus TCP and RTU clients: the one file that uses tokio-modbus's client side. Every request
//! has a timeout, is checked against the protocol limits before it is sent, and fails with one
//! typed `DeviceError`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_modbus::client::{Context, Reader, Writer};
use tokio_modbus::prelude::SlaveContext;
use tokio_modbus::{ExceptionCode, Slave};

use crate::error::{DeviceError, exception_name};
use crate::types::{MAX_WRITE_REGISTERS, RegisterTable};

/// Parity of a serial line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parity {
    #[default]
    None,
    Even,
    Odd,
}

/// Where a Modbus device is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// Modbus TCP, `host:port`.
    Tcp { addr: String },
    /// Modbus RTU on a serial port (an RS485 adapter, or a pseudo-terminal in tests).
    Rtu {
        path: String,
        #[serde(default = "default_baud_rate")]
        baud_rate: u32,
        #[serde(default)]
        parity: Parity,
        /// 1 or 2.
        #[serde(default = "default_stop_bits")]
        stop_bits: u8,
        /// Silence between frames; default 3.5 character times at the baud rate, at least 2 ms.
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

impl Endpoint {
    /// Plain words for logs and the Buses page.
    pub fn describe(&self) -> String {
        match self {
            Endpoint::Tcp { addr } => format!("Modbus TCP {addr}"),
            Endpoint::Rtu {
                path,
                baud_rate,
                parity,
                stop_bits,
                ..
            } => {
                let parity = match parity {
                    Parity::None => 'N',
                    Parity::Even => 'E',
                    Parity::Odd => 'O',
                };
                format!("Modbus RTU {path} {baud_rate} 8{parity}{stop_bits}")
            }
        }
    }

    /// The pause the line needs between two frames (zero for TCP).
    pub fn inter_frame_delay(&self) -> Duration {
        match self {
            Endpoint::Tcp { .. } => Duration::ZERO,
            Endpoint::Rtu {
                inter_frame_delay_ms: Some(ms),
                ..
            } => Duration::from_millis(*ms),
            Endpoint::Rtu { baud_rate, .. } => {
                // 3.5 characters of 11 bits each; the Modbus spec fixes 1.75 ms above 19,200 baud.
                let micros = 3.5 * 11.0 * 1_000_000.0 / f64::from((*baud_rate).max(1));
                Duration::from_micros(micros as u64).max(Duration::from_millis(2))
            }
        }
    }
}

/// A connected Modbus client (one TCP connection or one serial line).
pub struct ModbusClient {
    context: Context,
    timeout: Duration,
    inter_frame_delay: Duration,
}

fn io_error(error: std::io::Error) -> DeviceError {
    DeviceError::Io(error.to_string())
}

/// Opens the endpoint. Connecting also obeys `timeout`.
pub async fn connect(endpoint: &Endpoint, timeout: Duration) -> Result<ModbusClient, DeviceError> {
    let context = match endpoint {
        Endpoint::Tcp { addr } => {
            let socket = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr))
                .await
                .map_err(|_| DeviceError::Timeout(timeout))?
                .map_err(|e| DeviceError::Io(format!("{addr}: {e}")))?;
            socket.set_nodelay(true).map_err(io_error)?;
            tokio_modbus::client::tcp::attach_slave(socket, Slave(1))
        }
        Endpoint::Rtu {
            path,
            baud_rate,
            parity,
            stop_bits,
            ..
        } => {
            let parity = match parity {
                Parity::None => tokio_serial::Parity::None,
                Parity::Even => tokio_serial::Parity::Even,
                Parity::Odd => tokio_serial::Parity::Odd,
            };
            let stop_bits = if *stop_bits == 2 {
                tokio_serial::StopBits::Two
            } else {
                tokio_serial::StopBits::One
            };
            let port = tokio_serial::SerialStream::open(
                &tokio_serial::new(path, *baud_rate)
                    .parity(parity)
                    .stop_bits(stop_bits)
                    .data_bits(tokio_serial::DataBits::Eight),
            )
            .map_err(|e| DeviceError::Io(format!("{path}: {e}")))?;
            tokio_modbus::client::rtu::attach_slave(port, Slave(1))
        }
    };
    Ok(ModbusClient {
        context,
        timeout,
        inter_frame_delay: endpoint.inter_frame_delay(),
    })
}

fn exception(code: ExceptionCode) -> DeviceError {
    let code = u8::from(code);
    DeviceError::Exception {
        code,
        name: exception_name(code),
    }
}

/// Flattens tokio-modbus's `Result<Result<T, Exception>, Error>` under a timeout.
async fn flatten<T>(
    timeout: Duration,
    request: impl Future<Output = tokio_modbus::Result<T>>,
) -> Result<T, DeviceError> {
    match tokio::time::timeout(timeout, request).await {
        Err(_) => Err(DeviceError::Timeout(timeout)),
        Ok(Err(tokio_modbus::Error::Transport(e))) => Err(io_error(e)),
        Ok(Err(tokio_modbus::Error::Protocol(e))) => Err(DeviceError::Framing(e.to_string())),
        Ok(Ok(Err(code))) => Err(exception(code)),
        Ok(Ok(Ok(value))) => Ok(value),
    }
}

/// Refuses, before anything is sent, a read the protocol does not allow.
pub fn check_read(table: RegisterTable, count: u16) -> Result<(), DeviceError> {
    if count == 0 || count > table.max_read() {
        return Err(DeviceError::Refused(format!(
            "a {table:?} read must ask for 1 to {} items, not {count}",
            table.max_read()
        )));
    }
    Ok(())
}

impl ModbusClient {
    /// Waits out the line's inter-frame silence. Takes `&mut self` so the future stays `Send`
    /// (the tokio-modbus context is not `Sync`).
    async fn pause_between_frames(&mut self) {
        let delay = self.inter_frame_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }

    /// Reads `count` registers (or bits, as 0/1 words) of `table` starting at `start`.
    pub async fn read(
        &mut self,
        unit_id: u8,
        table: RegisterTable,
        start: u16,
        count: u16,
    ) -> Result<Vec<u16>, DeviceError> {
        check_read(table, count)?;
        self.pause_between_frames().await;
        self.context.set_slave(Slave(unit_id));
        let timeout = self.timeout;
        let context = &mut self.context;
        match table {
            RegisterTable::Holding => {
                flatten(timeout, context.read_holding_registers(start, count)).await
            }
            RegisterTable::Input => {
                flatten(timeout, context.read_input_registers(start, count)).await
            }
            RegisterTable::Coil => {
                let bits = flatten(timeout, context.read_coils(start, count)).await?;
                Ok(bits.into_iter().take(count.into()).map(u16::from).collect())
            }
            RegisterTable::Discrete => {
                let bits = flatten(timeout, context.read_discrete_inputs(start, count)).await?;
                Ok(bits.into_iter().take(count.into()).map(u16::from).collect())
            }
        }
    }

    /// Writes holding registers (function 16, or 6 for a single register).
    pub async fn write_registers(
        &mut self,
        unit_id: u8,
        start: u16,
        words: &[u16],
    ) -> Result<(), DeviceError> {
        if words.is_empty() || words.len() > usize::from(MAX_WRITE_REGISTERS) {
            return Err(DeviceError::Refused(format!(
                "a register write must carry 1 to {MAX_WRITE_REGISTERS} registers, not {}",
                words.len()
            )));
        }
        self.pause_between_frames().await;
        self.context.set_slave(Slave(unit_id));
        let timeout = self.timeout;
        if let [word] = words {
            flatten(timeout, self.context.write_single_register(start, *word)).await
        } else {
            flatten(timeout, self.context.write_multiple_registers(start, words)).await
        }
    }

    /// Writes coils (function 15, or 5 for a single coil).
    pub async fn write_coils(
        &mut self,
        unit_id: u8,
        start: u16,
        bits: &[bool],
    ) -> Result<(), DeviceError> {
        if bits.is_empty() || bits.len() > 1968 {
            return Err(DeviceError::Refused(format!(
                "a coil write must carry 1 to 1968 coils, not {}",
                bits.len()
            )));
        }
        self.pause_between_frames().await;
        self.context.set_slave(Slave(unit_id));
        let timeout = self.timeout;
        if let [bit] = bits {
            flatten(timeout, self.context.write_single_coil(start, *bit)).await
        } else {
            flatten(timeout, self.context.write_multiple_coils(start, bits)).await
        }
    }

    /// Writes to `table`, refusing read-only tables before anything is sent.
    pub async fn write(
        &mut self,
        unit_id: u8,
        table: RegisterTable,
        start: u16,
        words: &[u16],
    ) -> Result<(), DeviceError> {
        match table {
            RegisterTable::Holding => self.write_registers(unit_id, start, words).await,
            RegisterTable::Coil => {
                let bits: Vec<bool> = words.iter().map(|w| *w != 0).collect();
                self.write_coils(unit_id, start, &bits).await
            }
            RegisterTable::Input | RegisterTable::Discrete => Err(DeviceError::Refused(format!(
                "{table:?} is read-only in Modbus"
            ))),
        }
    }
}
