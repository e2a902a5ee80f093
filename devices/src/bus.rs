//! One task owns each bus: it holds the connection, serialises requests (RTU is half-duplex),
//! retries, backs off from failing devices, and keeps the statistics the Buses page shows.
//! Everything else talks to it through a cloneable `BusHandle`.
//!
//! Back-off comes in two sizes. When the connection itself fails (refused, reset, port gone) the
//! whole bus backs off and reconnects later by itself. When one unit stops answering (timeouts,
//! garbled replies) only that unit backs off: on a shared RS485 line or behind a gateway the
//! other units are fine and keep their poll rate. Either way a request arriving during a back-off
//! is answered at once with `DeviceError::Disconnected`, so a dead device never stalls callers.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::DeviceError;
use crate::modbus::{self, Endpoint, ModbusClient, RegisterTransport};
use crate::types::RegisterTable;

/// How a bus is reached and how patient it is.
#[derive(Debug, Clone)]
pub struct BusConfig {
    pub name: String,
    pub endpoint: Endpoint,
    /// Per request (and per connection attempt). Default 1 s.
    pub request_timeout: Duration,
    /// Extra attempts after a transient failure (timeout, I/O, framing). Default 2.
    pub retries: u32,
    /// Pause before each extra attempt, so a line glitch can pass. Default 50 ms.
    pub retry_delay: Duration,
    /// First back-off after a failure; it doubles on every further failure up to `max_backoff`
    /// and a success resets it. Default 1 s to 60 s.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl BusConfig {
    pub fn new(name: impl Into<String>, endpoint: Endpoint) -> Self {
        BusConfig {
            name: name.into(),
            endpoint,
            request_timeout: Duration::from_secs(1),
            retries: 2,
            retry_delay: Duration::from_millis(50),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// What the bus task is doing, for the Buses page.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum BusState {
    /// Not connected; the next request opens the connection.
    Connecting,
    Connected,
    /// The connection failed; requests are answered at once until the next attempt.
    BackingOff {
        retry_in_ms: u64,
    },
    /// The task has ended (shutdown).
    Stopped,
}

/// One failed request, in plain words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BusError {
    /// Unix time in milliseconds.
    pub at_ms: u64,
    pub unit_id: u8,
    /// e.g. "input 30..=32" or "holding 7".
    pub registers: String,
    pub message: String,
}

/// A snapshot of one bus's health.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BusStats {
    pub name: String,
    /// e.g. "Modbus TCP 127.0.0.1:5020".
    pub endpoint: String,
    pub state: BusState,
    /// Requests sent (refusals and requests answered during a back-off are not counted).
    pub requests: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub exceptions: u64,
    pub framing_errors: u64,
    /// Over the last 10 seconds.
    pub requests_per_s: f64,
    pub errors_per_s: f64,
    /// Over the last (up to) 1,000 successful requests, retries included.
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    /// The bus's current back-off step, from the first connection failure until a success.
    pub backoff_ms: Option<u64>,
    /// Units backing off on their own, with the milliseconds left.
    pub backing_off_units: Vec<(u8, u64)>,
    /// The last ten errors, oldest first.
    pub last_errors: Vec<BusError>,
}

const RATE_WINDOW: Duration = Duration::from_secs(10);
const LATENCY_SAMPLES: usize = 1_000;
const LAST_ERRORS: usize = 10;
/// Requests waiting for the task; callers beyond this wait to enqueue.
const QUEUE_DEPTH: usize = 256;

/// A doubling back-off: the wait now in force and when it ends.
#[derive(Debug, Clone, Copy)]
struct Backoff {
    wait: Duration,
    until: Instant,
}

impl Backoff {
    /// The back-off after one more failure: the first wait is `min`, then it doubles up to `max`.
    fn after_failure(previous: Option<Backoff>, min: Duration, max: Duration) -> Backoff {
        let wait = previous.map_or(min, |b| (b.wait * 2).min(max));
        Backoff {
            wait,
            until: Instant::now() + wait,
        }
    }

    fn remaining(&self, now: Instant) -> Option<Duration> {
        (self.until > now).then(|| self.until - now)
    }
}

/// What the task publishes for `stats()`.
#[derive(Debug)]
struct Published {
    connected: bool,
    stopped: bool,
    bus_backoff: Option<Backoff>,
    unit_backoff: HashMap<u8, Backoff>,
    requests: u64,
    errors: u64,
    timeouts: u64,
    exceptions: u64,
    framing_errors: u64,
    /// (when, failed) of the requests in the rate window.
    recent: VecDeque<(Instant, bool)>,
    latencies: VecDeque<Duration>,
    last_errors: VecDeque<BusError>,
}

/// Talks to the bus task. Cheap to clone.
#[derive(Clone)]
pub struct BusHandle {
    name: String,
    endpoint: String,
    jobs: mpsc::Sender<Job>,
    published: Arc<Mutex<Published>>,
}

#[derive(Debug)]
enum Operation {
    Read { table: RegisterTable, count: u16 },
    WriteRegisters(Vec<u16>),
    WriteCoils(Vec<bool>),
}

#[derive(Debug)]
struct Request {
    unit_id: u8,
    start: u16,
    operation: Operation,
}

impl Request {
    /// e.g. "input 30..=32" or "holding 7".
    fn registers(&self) -> String {
        let (table, count) = match &self.operation {
            Operation::Read { table, count } => (*table, usize::from(*count)),
            Operation::WriteRegisters(words) => (RegisterTable::Holding, words.len()),
            Operation::WriteCoils(bits) => (RegisterTable::Coil, bits.len()),
        };
        let table = modbus::table_name(table);
        let last = usize::from(self.start) + count.max(1) - 1;
        if last == usize::from(self.start) {
            format!("{table} {}", self.start)
        } else {
            format!("{table} {}..={last}", self.start)
        }
    }
}

struct Job {
    request: Request,
    reply: oneshot::Sender<Result<Vec<u16>, DeviceError>>,
}

/// Starts the task that owns the bus; it ends when `cancel` fires, and callers waiting then get
/// `DeviceError::Stopped`.
pub fn spawn_bus(config: BusConfig, cancel: CancellationToken) -> BusHandle {
    let (jobs, receiver) = mpsc::channel(QUEUE_DEPTH);
    let published = Arc::new(Mutex::new(Published {
        connected: false,
        stopped: false,
        bus_backoff: None,
        unit_backoff: HashMap::new(),
        requests: 0,
        errors: 0,
        timeouts: 0,
        exceptions: 0,
        framing_errors: 0,
        recent: VecDeque::new(),
        latencies: VecDeque::new(),
        last_errors: VecDeque::new(),
    }));
    let handle = BusHandle {
        name: config.name.clone(),
        endpoint: config.endpoint.describe(),
        jobs,
        published: published.clone(),
    };
    let task = BusTask {
        config,
        published,
        client: None,
        bus_backoff: None,
        unit_backoff: HashMap::new(),
    };
    tokio::spawn(task.run(receiver, cancel));
    handle
}

fn lock(published: &Mutex<Published>) -> MutexGuard<'_, Published> {
    // The counters stay meaningful even if a holder panicked; keep serving them.
    published.lock().unwrap_or_else(|e| e.into_inner())
}

impl BusHandle {
    async fn submit(&self, request: Request) -> Result<Vec<u16>, DeviceError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { request, reply })
            .await
            .map_err(|_| DeviceError::Stopped)?;
        answer.await.unwrap_or(Err(DeviceError::Stopped))
    }

    /// Reads registers (bits come back as 0/1 words).
    pub async fn read(
        &self,
        unit_id: u8,
        table: RegisterTable,
        start: u16,
        count: u16,
    ) -> Result<Vec<u16>, DeviceError> {
        modbus::check_read(table, count)?;
        modbus::check_range(start, usize::from(count))?;
        let operation = Operation::Read { table, count };
        self.submit(Request {
            unit_id,
            start,
            operation,
        })
        .await
    }

    /// Writes holding registers.
    pub async fn write_registers(
        &self,
        unit_id: u8,
        start: u16,
        words: &[u16],
    ) -> Result<(), DeviceError> {
        modbus::check_write_registers(words.len())?;
        modbus::check_range(start, words.len())?;
        let operation = Operation::WriteRegisters(words.to_vec());
        self.submit(Request {
            unit_id,
            start,
            operation,
        })
        .await
        .map(|_| ())
    }

    /// Writes coils.
    pub async fn write_coils(
        &self,
        unit_id: u8,
        start: u16,
        bits: &[bool],
    ) -> Result<(), DeviceError> {
        modbus::check_write_coils(bits.len())?;
        modbus::check_range(start, bits.len())?;
        let operation = Operation::WriteCoils(bits.to_vec());
        self.submit(Request {
            unit_id,
            start,
            operation,
        })
        .await
        .map(|_| ())
    }

    /// Writes holding registers, or coils as 0/1 words; read-only tables are refused.
    pub async fn write(
        &self,
        unit_id: u8,
        table: RegisterTable,
        start: u16,
        words: &[u16],
    ) -> Result<(), DeviceError> {
        modbus::check_writable(table)?;
        if table.is_bits() {
            let bits: Vec<bool> = words.iter().map(|w| *w != 0).collect();
            self.write_coils(unit_id, start, &bits).await
        } else {
            self.write_registers(unit_id, start, words).await
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn stats(&self) -> BusStats {
        let published = lock(&self.published);
        let now = Instant::now();
        let state = if published.stopped {
            BusState::Stopped
        } else if let Some(left) = published.bus_backoff.and_then(|b| b.remaining(now)) {
            BusState::BackingOff {
                retry_in_ms: millis(left),
            }
        } else if published.connected {
            BusState::Connected
        } else {
            BusState::Connecting
        };
        let in_window: Vec<bool> = published
            .recent
            .iter()
            .filter(|(at, _)| now.duration_since(*at) <= RATE_WINDOW)
            .map(|(_, failed)| *failed)
            .collect();
        let seconds = RATE_WINDOW.as_secs_f64();
        let mut latencies: Vec<Duration> = published.latencies.iter().copied().collect();
        latencies.sort();
        // `p` is between 0 and 1, so the rounded index is at most `len - 1`: the cast is exact.
        #[allow(clippy::cast_possible_truncation)]
        let percentile = |p: f64| {
            (!latencies.is_empty()).then(|| {
                let index = ((latencies.len() - 1) as f64 * p).round() as usize;
                latencies[index].as_secs_f64() * 1000.0
            })
        };
        let mut backing_off_units: Vec<(u8, u64)> = published
            .unit_backoff
            .iter()
            .filter_map(|(unit, b)| b.remaining(now).map(|left| (*unit, millis(left))))
            .collect();
        backing_off_units.sort();
        BusStats {
            name: self.name.clone(),
            endpoint: self.endpoint.clone(),
            state,
            requests: published.requests,
            errors: published.errors,
            timeouts: published.timeouts,
            exceptions: published.exceptions,
            framing_errors: published.framing_errors,
            requests_per_s: in_window.len() as f64 / seconds,
            errors_per_s: in_window.iter().filter(|failed| **failed).count() as f64 / seconds,
            latency_p50_ms: percentile(0.5),
            latency_p99_ms: percentile(0.99),
            backoff_ms: published.bus_backoff.map(|b| millis(b.wait)),
            backing_off_units,
            last_errors: published.last_errors.iter().cloned().collect(),
        }
    }
}

/// A duration in whole milliseconds, saturating (no duration here comes near 584 million years).
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

/// Sends one request over any transport (writes answer no words).
async fn send<T: RegisterTransport>(
    transport: &mut T,
    request: &Request,
) -> Result<Vec<u16>, DeviceError> {
    let (unit, start) = (request.unit_id, request.start);
    match &request.operation {
        Operation::Read { table, count } => transport.read(unit, *table, start, *count).await,
        Operation::WriteRegisters(words) => transport
            .write_registers(unit, start, words)
            .await
            .map(|()| Vec::new()),
        Operation::WriteCoils(bits) => transport
            .write_coils(unit, start, bits)
            .await
            .map(|()| Vec::new()),
    }
}

/// The state only the task touches.
struct BusTask {
    config: BusConfig,
    published: Arc<Mutex<Published>>,
    client: Option<ModbusClient>,
    bus_backoff: Option<Backoff>,
    unit_backoff: HashMap<u8, Backoff>,
}

impl BusTask {
    fn published(&self) -> MutexGuard<'_, Published> {
        lock(&self.published)
    }

    async fn run(mut self, mut jobs: mpsc::Receiver<Job>, cancel: CancellationToken) {
        loop {
            let Job { request, reply } = tokio::select! {
                _ = cancel.cancelled() => break,
                job = jobs.recv() => match job {
                    Some(job) => job,
                    None => break,
                },
            };
            let answer = tokio::select! {
                _ = cancel.cancelled() => None,
                answer = self.perform(&request) => Some(answer),
            };
            let Some(answer) = answer else {
                // Shutdown does not wait for a slow device: this caller hears `Stopped` (the
                // stats say so first, so nobody sees `Stopped` from a bus that looks alive).
                self.mark_stopped();
                drop(reply);
                break;
            };
            // The caller may have given up waiting; nothing to do then.
            let _ = reply.send(answer);
        }
        self.mark_stopped();
        // Dropping `jobs` now closes the reply channels of everything still queued: those
        // callers get `DeviceError::Stopped`.
        drop(jobs);
    }

    fn mark_stopped(&self) {
        let mut published = self.published();
        published.stopped = true;
        published.connected = false;
    }

    async fn perform(&mut self, request: &Request) -> Result<Vec<u16>, DeviceError> {
        let now = Instant::now();
        let backoff = [
            self.bus_backoff,
            self.unit_backoff.get(&request.unit_id).copied(),
        ];
        if let Some(left) = backoff
            .iter()
            .flatten()
            .filter_map(|b| b.remaining(now))
            .max()
        {
            return Err(DeviceError::Disconnected(left));
        }
        let started = Instant::now();
        let mut retries_left = self.config.retries;
        let result = loop {
            let result = self.attempt(request).await;
            match &result {
                Err(error) if error.is_transient() && retries_left > 0 => {
                    retries_left -= 1;
                    tokio::time::sleep(self.config.retry_delay).await;
                }
                _ => break result,
            }
        };
        self.record(request, &result, started.elapsed());
        result
    }

    async fn attempt(&mut self, request: &Request) -> Result<Vec<u16>, DeviceError> {
        let client = match self.client.take() {
            Some(client) => client,
            None => modbus::connect(&self.config.endpoint, self.config.request_timeout).await?,
        };
        let result = send(self.client.insert(client), request).await;
        if matches!(
            result,
            Err(DeviceError::Timeout(_) | DeviceError::Io(_) | DeviceError::Framing(_))
        ) {
            // A late answer would be taken for the reply to the next request, and a framing
            // error leaves tokio-modbus's decoder closed: start afresh.
            self.client = None;
        }
        result
    }

    fn record(
        &mut self,
        request: &Request,
        result: &Result<Vec<u16>, DeviceError>,
        took: Duration,
    ) {
        let (min, max) = (self.config.min_backoff, self.config.max_backoff);
        match result {
            Ok(_) => {
                self.bus_backoff = None;
                self.unit_backoff.remove(&request.unit_id);
            }
            // The connection itself failed: the whole bus backs off.
            Err(DeviceError::Io(_)) => {
                self.bus_backoff = Some(Backoff::after_failure(self.bus_backoff, min, max));
            }
            // One unit stopped answering sensibly: only it backs off.
            Err(DeviceError::Timeout(_) | DeviceError::Framing(_)) => {
                let previous = self.unit_backoff.get(&request.unit_id).copied();
                let backoff = Backoff::after_failure(previous, min, max);
                self.unit_backoff.insert(request.unit_id, backoff);
            }
            // Exceptions are answers: the device is alive.
            Err(_) => {}
        }

        let now = Instant::now();
        let connected = self.client.is_some();
        let (bus_backoff, unit_backoff) = (self.bus_backoff, self.unit_backoff.clone());
        let mut published = self.published();
        published.connected = connected;
        published.bus_backoff = bus_backoff;
        published.unit_backoff = unit_backoff;
        published.requests += 1;
        published.recent.push_back((now, result.is_err()));
        while published
            .recent
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > RATE_WINDOW)
        {
            published.recent.pop_front();
        }
        match result {
            Ok(_) => {
                published.latencies.push_back(took);
                if published.latencies.len() > LATENCY_SAMPLES {
                    published.latencies.pop_front();
                }
            }
            Err(error) => {
                published.errors += 1;
                match error {
                    DeviceError::Timeout(_) => published.timeouts += 1,
                    DeviceError::Exception { .. } => published.exceptions += 1,
                    DeviceError::Framing(_) => published.framing_errors += 1,
                    _ => {}
                }
                tracing::debug!(bus = %self.config.name, unit = request.unit_id, %error, "request failed");
                published.last_errors.push_back(BusError {
                    at_ms: unix_ms(),
                    unit_id: request.unit_id,
                    registers: request.registers(),
                    message: error.to_string(),
                });
                if published.last_errors.len() > LAST_ERRORS {
                    published.last_errors.pop_front();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn backoff_doubles_up_to_the_maximum() {
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(60));
        let mut backoff = None;
        let mut waits = Vec::new();
        for _ in 0..8 {
            let next = Backoff::after_failure(backoff, min, max);
            waits.push(next.wait.as_secs());
            backoff = Some(next);
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        let last = backoff.unwrap();
        assert_eq!(last.remaining(Instant::now()), Some(max));
        tokio::time::advance(max).await;
        assert_eq!(last.remaining(Instant::now()), None);
    }

    #[test]
    fn error_ranges_read_in_plain_words() {
        let read = Request {
            unit_id: 2,
            start: 30,
            operation: Operation::Read {
                table: RegisterTable::Input,
                count: 3,
            },
        };
        assert_eq!(read.registers(), "input 30..=32");
        let write = Request {
            unit_id: 2,
            start: 7,
            operation: Operation::WriteRegisters(vec![1]),
        };
        assert_eq!(write.registers(), "holding 7");
    }

    #[tokio::test]
    async fn an_unreachable_bus_backs_off_and_answers_at_once_meanwhile() {
        // Nothing listens on port 1 (tcpmux); the refusal is immediate.
        let config = BusConfig {
            retries: 0,
            ..BusConfig::new("nowhere", Endpoint::tcp("127.0.0.1:1"))
        };
        let bus = spawn_bus(config, CancellationToken::new());
        let first = bus.read(1, RegisterTable::Input, 0, 1).await;
        assert!(matches!(first, Err(DeviceError::Io(_))), "{first:?}");
        let stats = bus.stats();
        assert_eq!(stats.backoff_ms, Some(1_000));
        assert!(
            matches!(stats.state, BusState::BackingOff { .. }),
            "{stats:?}"
        );
        let meanwhile = bus.read(1, RegisterTable::Input, 0, 1).await;
        assert!(
            matches!(meanwhile, Err(DeviceError::Disconnected(left)) if left <= Duration::from_secs(1)),
            "{meanwhile:?}"
        );
        assert_eq!(bus.stats().requests, 1, "nothing was sent meanwhile");
        assert_eq!(bus.stats().last_errors.len(), 1);
    }
}
