//! Serving the simulator over Modbus (tokio-modbus's server side): TCP listeners that can be
//! stopped and restarted on the same port, an RTU server on a serial path, and the
//! `SimulatorHandle` that starts everything a configuration asks for.

use std::future::{Ready, ready};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_modbus::server::Service;
use tokio_modbus::{ExceptionCode, Response, SlaveRequest};
use tokio_util::sync::CancellationToken;

use super::Simulator;
use super::bank::{BANK_REGISTERS, MAX_BANKS, bank_unit};
use super::memory::MEMORY_UNIT;
use crate::can::CanBus;

/// Which unit ids a server answers for; requests to other units get no answer at all, as on a
/// real RS485 line (the client times out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Every device of the simulator.
    AllUnits,
    /// One device alone, e.g. a register bank on its own port.
    OneUnit(u8),
}

/// The tokio-modbus service around the simulator.
struct SimService {
    simulator: Simulator,
    route: Route,
}

impl Service for SimService {
    type Request = SlaveRequest<'static>;
    type Response = Option<Response>;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Option<Response>, ExceptionCode>>;

    fn call(&self, request: Self::Request) -> Self::Future {
        let routed = match self.route {
            Route::AllUnits => true,
            Route::OneUnit(unit) => unit == request.slave,
        };
        let answer = if routed {
            self.simulator.handle(request.slave, &request.request)
        } else {
            None
        };
        ready(match answer {
            None => Ok(None),
            Some(Ok(response)) => Ok(Some(response)),
            Some(Err(code)) => Err(code),
        })
    }
}

/// A Modbus TCP listener for the simulator that tests can kill and bring back on the same port.
pub struct TcpServer {
    simulator: Simulator,
    route: Route,
    addr: SocketAddr,
    /// Ends the listener for good (the simulator's shutdown).
    shutdown: CancellationToken,
    running: Mutex<Option<Running>>,
}

struct Running {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl TcpServer {
    /// Binds `addr` (port 0 picks a free port) and serves until `stop` or until `shutdown` fires.
    pub async fn start(
        simulator: Simulator,
        addr: SocketAddr,
        route: Route,
        shutdown: CancellationToken,
    ) -> io::Result<TcpServer> {
        let listener = TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let server = TcpServer {
            simulator,
            route,
            addr: bound,
            shutdown,
            running: Mutex::new(None),
        };
        server.serve(listener);
        Ok(server)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn is_running(&self) -> bool {
        self.running()
            .as_ref()
            .is_some_and(|r| !r.task.is_finished())
    }

    /// Kills the listener and every open connection, as if the device's process died. Returns
    /// once the port is closed.
    pub async fn stop(&self) {
        let running = self.running().take();
        if let Some(Running { stop, task }) = running {
            stop.cancel();
            // The task only ends by cancellation; a panic inside would already be logged.
            let _ = task.await;
        }
    }

    /// Listens on the same address again (after `stop`; a running listener is stopped first).
    pub async fn restart(&self) -> io::Result<()> {
        self.stop().await;
        let listener = TcpListener::bind(self.addr).await?;
        self.serve(listener);
        Ok(())
    }

    fn running(&self) -> MutexGuard<'_, Option<Running>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn serve(&self, listener: TcpListener) {
        let stop = self.shutdown.child_token();
        let task = tokio::spawn(serve_listener(
            listener,
            self.simulator.clone(),
            self.route,
            stop.clone(),
        ));
        *self.running() = Some(Running { stop, task });
    }
}

async fn serve_listener(
    listener: TcpListener,
    simulator: Simulator,
    route: Route,
    stop: CancellationToken,
) {
    let server = tokio_modbus::server::tcp::Server::new(listener);
    let on_connected = |stream, _peer| {
        let service = SimService {
            simulator: simulator.clone(),
            route,
        };
        async move { Ok(Some((service, stream))) }
    };
    let on_error = |error| tracing::debug!(%error, "simulator connection ended");
    // Aborting `serve_until` drops the listener and cancels every connection task it spawned.
    let result = server
        .serve_until(
            &on_connected,
            on_error,
            async move { stop.cancelled().await },
        )
        .await;
    if let Err(error) = result {
        tracing::warn!(%error, "simulator TCP server stopped");
    }
}

/// Pause before reopening the RTU port after the server gave up on the line.
const RTU_REOPEN_DELAY: Duration = Duration::from_millis(100);

impl Simulator {
    /// Serves Modbus TCP for every device on `addr` (port 0 picks a free port) until `cancel`;
    /// returns the bound address.
    pub async fn serve_tcp(
        &self,
        addr: SocketAddr,
        cancel: CancellationToken,
    ) -> io::Result<SocketAddr> {
        let server = TcpServer::start(self.clone(), addr, Route::AllUnits, cancel).await?;
        Ok(server.addr())
    }

    /// Serves Modbus RTU for every device on a serial path (e.g. one end of a pseudo-terminal
    /// pair) until `cancel`. The port is opened before this returns, so a wrong path is reported
    /// here. tokio-modbus's RTU server ends on a line it cannot decode; it is reopened then.
    pub fn serve_rtu(
        &self,
        path: &str,
        baud_rate: u32,
        cancel: CancellationToken,
    ) -> io::Result<()> {
        let open = {
            let path = path.to_string();
            move || tokio_serial::SerialStream::open(&tokio_serial::new(&path, baud_rate))
        };
        let mut port = open()?;
        let simulator = self.clone();
        let path = path.to_string();
        tokio::spawn(async move {
            loop {
                let server = tokio_modbus::server::rtu::Server::new(port);
                let service = SimService {
                    simulator: simulator.clone(),
                    route: Route::AllUnits,
                };
                let stop = cancel.clone();
                let result = server
                    .serve_until(service, async move { stop.cancelled().await })
                    .await;
                if cancel.is_cancelled() {
                    return;
                }
                tracing::debug!(?result, %path, "simulator RTU server ended; reopening the port");
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(RTU_REOPEN_DELAY) => {}
                }
                port = match open() {
                    Ok(port) => port,
                    Err(error) => {
                        tracing::warn!(%error, %path, "simulator RTU port is gone");
                        return;
                    }
                };
            }
        });
        Ok(())
    }
}

/// A serial path to serve Modbus RTU on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtuServe {
    pub path: String,
    pub baud_rate: u32,
}

/// What `SimulatorHandle::start` sets up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatorConfig {
    /// Modbus TCP for every device (port 0 picks a free port).
    pub tcp: Option<SocketAddr>,
    /// Modbus RTU for every device.
    pub rtu: Option<RtuServe>,
    /// Generic register banks, units `BANK_FIRST_UNIT`, `BANK_FIRST_UNIT + 1`, … (at most
    /// `MAX_BANKS`); they also answer on the `tcp` and `rtu` servers.
    pub banks: usize,
    pub bank_registers: usize,
    /// Also serve each bank alone on its own free port at this address (unit ids as above).
    pub bank_ports: Option<IpAddr>,
    /// Add the site controller's memory image (unit `MEMORY_UNIT`).
    pub memory_image: bool,
    /// Also serve the memory image alone here.
    pub memory_tcp: Option<SocketAddr>,
}

impl Default for SimulatorConfig {
    /// The three devices on a free loopback port.
    fn default() -> Self {
        SimulatorConfig {
            tcp: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            rtu: None,
            banks: 0,
            bank_registers: BANK_REGISTERS,
            bank_ports: None,
            memory_image: false,
            memory_tcp: None,
        }
    }
}

/// A running simulator: its devices, its servers and its tick task. Dropping the handle stops
/// nothing; the cancellation token given to `start` (or `stop`) does.
pub struct SimulatorHandle {
    simulator: Simulator,
    tcp: Option<TcpServer>,
    banks: Vec<TcpServer>,
    memory: Option<TcpServer>,
    cancel: CancellationToken,
}

impl SimulatorHandle {
    /// Builds the devices, starts the tick task and every server `config` asks for; all of it
    /// stops when `cancel` fires (or on `stop`).
    pub async fn start(
        config: &SimulatorConfig,
        cancel: CancellationToken,
    ) -> io::Result<SimulatorHandle> {
        if config.banks > MAX_BANKS {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("at most {MAX_BANKS} register banks, not {}", config.banks),
            ));
        }
        let mut simulator = Simulator::new();
        for index in 0..config.banks {
            simulator = simulator.with_bank(bank_unit(index), config.bank_registers);
        }
        if config.memory_image || config.memory_tcp.is_some() {
            simulator = simulator.with_memory_image();
        }
        let cancel = cancel.child_token();
        // From here on, an error must not leave servers behind.
        let guard = cancel.clone().drop_guard();
        let tcp = match config.tcp {
            Some(addr) => Some(
                TcpServer::start(simulator.clone(), addr, Route::AllUnits, cancel.clone()).await?,
            ),
            None => None,
        };
        if let Some(rtu) = &config.rtu {
            simulator.serve_rtu(&rtu.path, rtu.baud_rate, cancel.clone())?;
        }
        let mut banks = Vec::new();
        if let Some(ip) = config.bank_ports {
            for index in 0..config.banks {
                let route = Route::OneUnit(bank_unit(index));
                let addr = SocketAddr::new(ip, 0);
                banks.push(TcpServer::start(simulator.clone(), addr, route, cancel.clone()).await?);
            }
        }
        let memory = match config.memory_tcp {
            Some(addr) => {
                let route = Route::OneUnit(MEMORY_UNIT);
                Some(TcpServer::start(simulator.clone(), addr, route, cancel.clone()).await?)
            }
            None => None,
        };
        tokio::spawn(simulator.clone().run(cancel.clone()));
        let cancel = guard.disarm();
        Ok(SimulatorHandle {
            simulator,
            tcp,
            banks,
            memory,
            cancel,
        })
    }

    pub fn simulator(&self) -> &Simulator {
        &self.simulator
    }

    /// Where Modbus TCP for every device is served.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp.as_ref().map(TcpServer::addr)
    }

    /// The listener for every device, to stop and restart it.
    pub fn tcp_server(&self) -> Option<&TcpServer> {
        self.tcp.as_ref()
    }

    /// Where bank `i` (unit `BANK_FIRST_UNIT + i`) is served alone, in bank order.
    pub fn bank_addrs(&self) -> Vec<SocketAddr> {
        self.banks.iter().map(TcpServer::addr).collect()
    }

    /// The listener of bank `index`, to stop and restart it.
    pub fn bank_server(&self, index: usize) -> Option<&TcpServer> {
        self.banks.get(index)
    }

    /// Where the memory image is served alone.
    pub fn memory_addr(&self) -> Option<SocketAddr> {
        self.memory.as_ref().map(TcpServer::addr)
    }

    /// Broadcasts the BMS's CAN frames on `bus` every `period` (`CAN_PERIOD` is what a real BMS
    /// does) until the simulator stops; see `simulator::can`.
    pub fn spawn_can_broadcast<B: CanBus + 'static>(
        &self,
        bus: B,
        period: Duration,
    ) -> JoinHandle<()> {
        super::can::spawn_can_broadcast(self.simulator.clone(), bus, period, self.cancel.clone())
    }

    /// Stops the servers, the tick task and any CAN broadcast.
    pub fn stop(&self) {
        self.cancel.cancel();
    }
}
