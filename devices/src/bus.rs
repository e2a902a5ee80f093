//! One task owns each bus: it holds the connection, serialises requests (RTU is half-duplex),
//! retries, backs off from failing devices, and keeps the statistics the Buses page shows.
//! Everything else talks to it through a cloneable `BusHandle`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::DeviceError;
use crate::modbus::{self, Endpoint, ModbusClient};
use crate::types::RegisterTable;

#[derive(Debug, Clone)]
pub struct BusConfig {
    pub name: String,
    pub endpoint: Endpoint,
    pub request_timeout: Duration,
    /// Extra attempts after a transient failure (timeout, I/O, framing).
    pub retries: u32,
    pub retry_delay: Duration,
    /// First back-off after a failure; it doubles on every further failure up to `max_backoff`.
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

/// What the task is doing, for the Buses page.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum BusState {
    Idle,
    Connected,
    BackingOff { retry_in_ms: u64 },
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BusError {
    /// Unix time in milliseconds.
    pub at_ms: u64,
    pub unit_id: u8,
    /// e.g. "input 30..=32".
    pub registers: String,
    pub message: String,
}

/// A snapshot of one bus's health.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BusStats {
    pub name: String,
    pub endpoint: String,
    pub state: BusState,
    pub requests: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub exceptions: u64,
    pub framing_errors: u64,
    /// Over the last 10 seconds.
    pub requests_per_s: f64,
    pub errors_per_s: f64,
    /// Over the last (up to) 1,000 successful requests.
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    /// Units currently backed off, with the time left.
    pub backing_off_units: Vec<(u8, u64)>,
    pub last_errors: Vec<BusError>,
}

const RATE_WINDOW: Duration = Duration::from_secs(10);
const LATENCY_SAMPLES: usize = 1_000;
const LAST_ERRORS: usize = 10;

#[derive(Debug)]
struct Counters {
    state: BusState,
    requests: u64,
    errors: u64,
    timeouts: u64,
    exceptions: u64,
    framing_errors: u64,
    /// (when, failed) of recent requests, for the rates.
    recent: VecDeque<(Instant, bool)>,
    latencies: VecDeque<Duration>,
    last_errors: VecDeque<BusError>,
    unit_retry_at: HashMap<u8, Instant>,
}

/// Talks to the bus task. Cheap to clone.
#[derive(Clone)]
pub struct BusHandle {
    name: String,
    endpoint: String,
    jobs: mpsc::Sender<Job>,
    counters: Arc<Mutex<Counters>>,
}

enum Operation {
    Read { count: u16 },
    Write { words: Vec<u16> },
}

struct Job {
    unit_id: u8,
    table: RegisterTable,
    start: u16,
    operation: Operation,
    reply: oneshot::Sender<Result<Vec<u16>, DeviceError>>,
}

/// Starts the task that owns the bus; it ends when `cancel` fires.
pub fn spawn_bus(config: BusConfig, cancel: CancellationToken) -> BusHandle {
    let (jobs, receiver) = mpsc::channel(256);
    let counters = Arc::new(Mutex::new(Counters {
        state: BusState::Idle,
        requests: 0,
        errors: 0,
        timeouts: 0,
        exceptions: 0,
        framing_errors: 0,
        recent: VecDeque::new(),
        latencies: VecDeque::new(),
        last_errors: VecDeque::new(),
        unit_retry_at: HashMap::new(),
    }));
    let handle = BusHandle {
        name: config.name.clone(),
        endpoint: config.endpoint.describe(),
        jobs,
        counters: counters.clone(),
    };
    tokio::spawn(BusTask::new(config, counters).run(receiver, cancel));
    handle
}

impl BusHandle {
    async fn submit(
        &self,
        unit_id: u8,
        table: RegisterTable,
        start: u16,
        operation: Operation,
    ) -> Result<Vec<u16>, DeviceError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            unit_id,
            table,
            start,
            operation,
            reply,
        };
        self.jobs
            .send(job)
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
        self.submit(unit_id, table, start, Operation::Read { count })
            .await
    }

    /// Writes holding registers or coils (0/1 words); read-only tables are refused.
    pub async fn write(
        &self,
        unit_id: u8,
        table: RegisterTable,
        start: u16,
        words: &[u16],
    ) -> Result<(), DeviceError> {
        if !table.is_writable() {
            return Err(DeviceError::Refused(format!(
                "{table:?} is read-only in Modbus"
            )));
        }
        let operation = Operation::Write {
            words: words.to_vec(),
        };
        self.submit(unit_id, table, start, operation)
            .await
            .map(|_| ())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn stats(&self) -> BusStats {
        let counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let window: Vec<&(Instant, bool)> = counters
            .recent
            .iter()
            .filter(|(at, _)| now.duration_since(*at) <= RATE_WINDOW)
            .collect();
        let seconds = RATE_WINDOW.as_secs_f64();
        let mut latencies: Vec<Duration> = counters.latencies.iter().copied().collect();
        latencies.sort();
        let percentile = |p: f64| {
            (!latencies.is_empty()).then(|| {
                let index = ((latencies.len() - 1) as f64 * p).round() as usize;
                latencies[index].as_secs_f64() * 1000.0
            })
        };
        let mut backing_off_units: Vec<(u8, u64)> = counters
            .unit_retry_at
            .iter()
            .filter(|(_, at)| **at > now)
            .map(|(unit, at)| (*unit, (*at - now).as_millis() as u64))
            .collect();
        backing_off_units.sort();
        BusStats {
            name: self.name.clone(),
            endpoint: self.endpoint.clone(),
            state: counters.state.clone(),
            requests: counters.requests,
            errors: counters.errors,
            timeouts: counters.timeouts,
            exceptions: counters.exceptions,
            framing_errors: counters.framing_errors,
            requests_per_s: window.len() as f64 / seconds,
            errors_per_s: window.iter().filter(|(_, failed)| *failed).count() as f64 / seconds,
            latency_p50_ms: percentile(0.5),
            latency_p99_ms: percentile(0.99),
            backing_off_units,
            last_errors: counters.last_errors.iter().cloned().collect(),
        }
    }
}

/// The state only the task touches.
struct BusTask {
    config: BusConfig,
    counters: Arc<Mutex<Counters>>,
    client: Option<ModbusClient>,
    /// Back-off of the whole bus (the connection fails) and of single units (they time out).
    bus_retry_at: Option<Instant>,
    bus_backoff: Duration,
    unit_backoff: HashMap<u8, Duration>,
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl BusTask {
    fn new(config: BusConfig, counters: Arc<Mutex<Counters>>) -> Self {
        BusTask {
            bus_backoff: config.min_backoff,
            config,
            counters,
            client: None,
            bus_retry_at: None,
            unit_backoff: HashMap::new(),
        }
    }

    fn counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn run(mut self, mut jobs: mpsc::Receiver<Job>, cancel: CancellationToken) {
        loop {
            let job = tokio::select! {
                _ = cancel.cancelled() => break,
                job = jobs.recv() => match job {
                    Some(job) => job,
                    None => break,
                },
            };
            let answer = self.perform(&job).await;
            let _ = job.reply.send(answer);
        }
        self.counters().state = BusState::Stopped;
        // Pending callers see their reply channel close: `DeviceError::Stopped`.
    }

    async fn perform(&mut self, job: &Job) -> Result<Vec<u16>, DeviceError> {
        let now = Instant::now();
        // A failing device answers at once while it backs off: it never stalls the callers.
        if let Some(at) = self.bus_retry_at.filter(|at| *at > now) {
            return Err(DeviceError::Disconnected(at - now));
        }
        if let Some(at) = self.counters().unit_retry_at.get(&job.unit_id).copied()
            && at > now
        {
            return Err(DeviceError::Disconnected(at - now));
        }
        let started = Instant::now();
        let mut attempt = 0;
        let result = loop {
            let result = self.attempt(job).await;
            match &result {
                Err(error) if error.is_transient() && attempt < self.config.retries => {
                    attempt += 1;
                    tokio::time::sleep(self.config.retry_delay).await;
                }
                _ => break result,
            }
        };
        self.record(job, &result, started.elapsed());
        result
    }

    async fn attempt(&mut self, job: &Job) -> Result<Vec<u16>, DeviceError> {
        if self.client.is_none() {
            match modbus::connect(&self.config.endpoint, self.config.request_timeout).await {
                Ok(client) => {
                    self.client = Some(client);
                    self.counters().state = BusState::Connected;
                }
                Err(error) => return Err(error),
            }
        }
        let client = self.client.as_mut().expect("connected above");
        let result = match &job.operation {
            Operation::Read { count } => {
                client.read(job.unit_id, job.table, job.start, *count).await
            }
            Operation::Write { words } => client
                .write(job.unit_id, job.table, job.start, words)
                .await
                .map(|()| Vec::new()),
        };
        if matches!(
            result,
            Err(DeviceError::Timeout(_) | DeviceError::Io(_) | DeviceError::Framing(_))
        ) {
            // A late answer would arrive as the reply to the next request: start afresh.
            self.client = None;
        }
        result
    }

    fn record(&mut self, job: &Job, result: &Result<Vec<u16>, DeviceError>, took: Duration) {
        let now = Instant::now();
        let (min, max) = (self.config.min_backoff, self.config.max_backoff);
        match result {
            Ok(_) => {
                self.bus_backoff = min;
                self.bus_retry_at = None;
                self.unit_backoff.remove(&job.unit_id);
                self.counters().unit_retry_at.remove(&job.unit_id);
            }
            // The connection itself failed: the whole bus backs off.
            Err(DeviceError::Io(_)) => {
                self.bus_retry_at = Some(now + self.bus_backoff);
                self.bus_backoff = (self.bus_backoff * 2).min(max);
            }
            // One unit stopped answering: only it backs off.
            Err(DeviceError::Timeout(_) | DeviceError::Framing(_)) => {
                let backoff = self.unit_backoff.entry(job.unit_id).or_insert(min);
                let wait = *backoff;
                *backoff = (*backoff * 2).min(max);
                self.counters()
                    .unit_retry_at
                    .insert(job.unit_id, now + wait);
            }
            Err(_) => {}
        }
        let state = match self.bus_retry_at {
            Some(at) => BusState::BackingOff {
                retry_in_ms: (at - now).as_millis() as u64,
            },
            None if self.client.is_some() => BusState::Connected,
            None => BusState::Idle,
        };
        let mut counters = self.counters();
        counters.state = state;
        counters.requests += 1;
        counters.recent.push_back((now, result.is_err()));
        while counters
            .recent
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > RATE_WINDOW)
        {
            counters.recent.pop_front();
        }
        match result {
            Ok(_) => {
                counters.latencies.push_back(took);
                if counters.latencies.len() > LATENCY_SAMPLES {
                    counters.latencies.pop_front();
                }
            }
            Err(error) => {
                counters.errors += 1;
                match error {
                    DeviceError::Timeout(_) => counters.timeouts += 1,
                    DeviceError::Exception { .. } => counters.exceptions += 1,
                    DeviceError::Framing(_) => counters.framing_errors += 1,
                    _ => {}
                }
                let count = match &job.operation {
                    Operation::Read { count } => *count,
                    Operation::Write { words } => words.len() as u16,
                };
                counters.last_errors.push_back(BusError {
                    at_ms: unix_ms(),
                    unit_id: job.unit_id,
                    registers: format!(
                        "{} {}..={}",
                        format!("{:?}", job.table).to_lowercase(),
                        job.start,
                        u32::from(job.start) + u32::from(count.max(1)) - 1
                    ),
                    message: error.to_string(),
                });
                if counters.last_errors.len() > LAST_ERRORS {
                    counters.last_errors.pop_front();
                }
            }
        }
    }
}
