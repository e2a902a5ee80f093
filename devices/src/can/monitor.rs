//! `CanMonitor`: one task per CAN bus that listens to everything on it and keeps the latest frame
//! of every id (CAN devices such as BMSes broadcast cyclically; nobody polls them), forwards
//! sends, and keeps the counters the Buses page shows. Everything else talks to it through a
//! cheap, cloneable handle.
//!
//! Errors never end the task. A failed `recv` is counted and the next one waits a back-off that
//! starts at `MIN_BACKOFF` and doubles on every further failure up to `MAX_BACKOFF`; a frame
//! resets it. A monitor started with `spawn` keeps the bus it was given and waits out its errors
//! on it (a serial port that vanished then fails once per back-off, at most once a minute, and
//! stays dead: that bus cannot be reopened from here). One started with `spawn_reopening`
//! instead drops the bus on an I/O error and opens a new one with its opener, on the same
//! doubling back-off, so an unplugged USB adapter comes back when it is plugged in again.

use std::collections::{HashMap, VecDeque};
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::signal::CanSignal;
use super::{CanBus, CanFrame, LineErrors};
use crate::bus::millis;
use crate::error::DeviceError;

/// First pause after a receive error; it doubles up to `MAX_BACKOFF`.
pub const MIN_BACKOFF: Duration = Duration::from_millis(100);
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How many recent error messages `stats` keeps.
pub const RECENT_ERRORS: usize = 10;
/// The sliding window `frames_per_s` is measured over, in whole seconds.
pub const RATE_WINDOW_S: u64 = 5;
/// Frames a `next` waiter may fall behind by before it skips some (it only wants one id).
const WAITER_CAPACITY: usize = 256;
/// Sends queued for the task before `send` waits for room.
const SEND_QUEUE: usize = 16;

/// What the monitor task is doing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum CanMonitorState {
    /// Opening the bus (`spawn_reopening` only).
    Opening,
    Listening,
    /// The last receive (or open) failed; the next attempt is this far off.
    BackingOff {
        retry_in_ms: u64,
    },
    /// The task has ended (cancelled, or every handle was dropped).
    Stopped,
}

/// One id heard on the bus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeenId {
    pub id: u32,
    pub extended: bool,
    pub frames: u64,
    /// Since its latest frame.
    pub age_ms: u64,
}

/// The monitor's counters, for the Buses page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CanStats {
    pub name: String,
    pub state: CanMonitorState,
    /// Data frames received since the start.
    pub frames: u64,
    /// Over the last `RATE_WINDOW_S` seconds.
    pub frames_per_s: f64,
    /// Failed receives and opens, plus noise the bus skipped on its own (`CanBus::line_errors`).
    pub errors: u64,
    /// The most recent error messages, oldest first, at most `RECENT_ERRORS`.
    pub last_errors: Vec<String>,
    /// Every id heard, in id order.
    pub ids_seen: Vec<SeenId>,
}

/// The latest frame of one id.
struct Latest {
    frame: CanFrame,
    at: Instant,
    frames: u64,
}

/// What the task writes and the handles read; the lock is never held across an await.
struct Book {
    state: CanMonitorState,
    latest: HashMap<(u32, bool), Latest>,
    frames: u64,
    started: Instant,
    /// Frames per whole second since `started`, newest last, for the sliding rate.
    per_second: VecDeque<(u64, u64)>,
    errors: u64,
    last_errors: VecDeque<String>,
    /// The bus's own `line_errors().count` at the last look, to count only what is new.
    line_errors_seen: u64,
}

impl Book {
    fn push_error(&mut self, message: String) {
        if self.last_errors.len() == RECENT_ERRORS {
            self.last_errors.pop_front();
        }
        self.last_errors.push_back(message);
    }

    fn frames_per_s(&self, now: Instant) -> f64 {
        let elapsed = now.duration_since(self.started);
        let second = elapsed.as_secs();
        let first = (second + 1).saturating_sub(RATE_WINDOW_S);
        let span = elapsed.as_secs_f64() - first as f64;
        if span <= 0.0 {
            return 0.0;
        }
        let count: u64 = self
            .per_second
            .iter()
            .filter(|(s, _)| *s >= first)
            .map(|(_, n)| n)
            .sum();
        count as f64 / span
    }
}

struct Shared {
    name: String,
    book: Mutex<Book>,
    /// Every received frame, for `next`.
    frames: broadcast::Sender<CanFrame>,
}

impl Shared {
    fn book(&self) -> MutexGuard<'_, Book> {
        // A panic while holding the lock leaves plain counters behind; keep serving them.
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_state(&self, state: CanMonitorState) {
        self.book().state = state;
    }

    fn record_frame(&self, frame: CanFrame) {
        {
            let mut book = self.book();
            let now = Instant::now();
            book.state = CanMonitorState::Listening;
            book.frames += 1;
            let second = now.duration_since(book.started).as_secs();
            match book.per_second.back_mut() {
                Some((s, n)) if *s == second => *n += 1,
                _ => book.per_second.push_back((second, 1)),
            }
            while book
                .per_second
                .front()
                .is_some_and(|(s, _)| s + RATE_WINDOW_S <= second)
            {
                book.per_second.pop_front();
            }
            let key = (frame.id(), frame.is_extended());
            let frames = book.latest.get(&key).map_or(0, |l| l.frames) + 1;
            book.latest.insert(
                key,
                Latest {
                    frame: frame.clone(),
                    at: now,
                    frames,
                },
            );
        }
        // Nobody waiting in `next` is fine.
        let _ = self.frames.send(frame);
    }

    fn record_error(&self, error: &DeviceError) {
        tracing::debug!(bus = %self.name, %error, "CAN receive failed");
        let mut book = self.book();
        book.errors += 1;
        book.push_error(error.to_string());
    }

    /// Counts the noise the bus skipped since the last look.
    fn record_line_errors(&self, line: LineErrors) {
        let mut book = self.book();
        let new = line.count.saturating_sub(book.line_errors_seen);
        book.line_errors_seen = line.count;
        if new > 0 {
            book.errors += new;
            if let Some(last) = line.last {
                book.push_error(last);
            }
        }
    }
}

type SendRequest = (CanFrame, oneshot::Sender<Result<(), DeviceError>>);

/// The doubling back-off.
struct Backoff {
    next: Duration,
}

impl Backoff {
    fn new() -> Self {
        Backoff { next: MIN_BACKOFF }
    }

    fn take(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(MAX_BACKOFF);
        delay
    }

    fn reset(&mut self) {
        self.next = MIN_BACKOFF;
    }
}

/// A handle on a running monitor; clones share it. The task stops when `cancel` fires or when
/// the last handle is dropped.
#[derive(Clone)]
pub struct CanMonitor {
    shared: Arc<Shared>,
    requests: mpsc::Sender<SendRequest>,
}

impl CanMonitor {
    fn new(name: String) -> (CanMonitor, mpsc::Receiver<SendRequest>) {
        let (requests, receiver) = mpsc::channel(SEND_QUEUE);
        let shared = Arc::new(Shared {
            name,
            book: Mutex::new(Book {
                state: CanMonitorState::Opening,
                latest: HashMap::new(),
                frames: 0,
                started: Instant::now(),
                per_second: VecDeque::new(),
                errors: 0,
                last_errors: VecDeque::new(),
                line_errors_seen: 0,
            }),
            frames: broadcast::channel(WAITER_CAPACITY).0,
        });
        (CanMonitor { shared, requests }, receiver)
    }

    /// Starts the task on `bus`, which it keeps for good: errors are waited out on the same bus.
    pub fn spawn<B: CanBus + 'static>(name: String, bus: B, cancel: CancellationToken) -> Self {
        let (monitor, mut requests) = Self::new(name);
        let shared = monitor.shared.clone();
        tokio::spawn(async move {
            let mut backoff = Backoff::new();
            listen(&shared, &bus, &mut requests, &cancel, &mut backoff, false).await;
            shared.set_state(CanMonitorState::Stopped);
        });
        monitor
    }

    /// Starts the task with a bus from `open`; after an I/O error (or a failed open) it waits
    /// the back-off and opens a new one. Sends during that wait fail at once with
    /// `DeviceError::Disconnected`.
    pub fn spawn_reopening<B, F, Fut>(name: String, mut open: F, cancel: CancellationToken) -> Self
    where
        B: CanBus + 'static,
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<B, DeviceError>> + Send + 'static,
    {
        let (monitor, mut requests) = Self::new(name);
        let shared = monitor.shared.clone();
        tokio::spawn(async move {
            let mut backoff = Backoff::new();
            loop {
                shared.set_state(CanMonitorState::Opening);
                let opened = tokio::select! {
                    _ = cancel.cancelled() => break,
                    opened = open() => opened,
                };
                match opened {
                    Ok(bus) => {
                        let ended =
                            listen(&shared, &bus, &mut requests, &cancel, &mut backoff, true).await;
                        if ended == Ended::Stopped {
                            break;
                        }
                    }
                    Err(error) => shared.record_error(&error),
                }
                let delay = backoff.take();
                if !refuse_sends_for(&shared, delay, &mut requests, &cancel).await {
                    break;
                }
            }
            shared.set_state(CanMonitorState::Stopped);
        });
        monitor
    }

    /// The bus name given at spawn.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The latest data frame with this id and how long ago it arrived.
    pub fn latest(&self, id: u32, extended: bool) -> Option<(CanFrame, Duration)> {
        let book = self.shared.book();
        let latest = book.latest.get(&(id, extended))?;
        Some((latest.frame.clone(), latest.at.elapsed()))
    }

    /// The signal's value in the latest frame of its id, and that frame's age; `None` before
    /// the id has been heard.
    pub fn latest_value(&self, signal: &CanSignal) -> Result<Option<(f64, Duration)>, DeviceError> {
        match self.latest(signal.can_id, signal.extended) {
            Some((frame, age)) => Ok(Some((signal.decode(&frame)?, age))),
            None => Ok(None),
        }
    }

    /// The next data frame with this id to arrive after the call, or `DeviceError::Timeout`.
    pub async fn next(
        &self,
        id: u32,
        extended: bool,
        timeout: Duration,
    ) -> Result<CanFrame, DeviceError> {
        // Subscribe before looking at the state, so no frame slips between the two.
        let mut frames = self.shared.frames.subscribe();
        if self.shared.book().state == CanMonitorState::Stopped {
            return Err(DeviceError::Stopped);
        }
        let wait = async {
            loop {
                match frames.recv().await {
                    Ok(frame) if frame.id() == id && frame.is_extended() == extended => {
                        return Ok(frame);
                    }
                    // Other ids, or frames skipped while this waiter lagged: keep waiting.
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return Err(DeviceError::Stopped),
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| DeviceError::Timeout(timeout))?
    }

    /// Sends a frame on the bus; the task sends one at a time, in the order asked.
    pub async fn send(&self, frame: &CanFrame) -> Result<(), DeviceError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send((frame.clone(), reply))
            .await
            .map_err(|_| DeviceError::Stopped)?;
        answer.await.map_err(|_| DeviceError::Stopped)?
    }

    /// The counters, ids and state as of now.
    pub fn stats(&self) -> CanStats {
        let book = self.shared.book();
        let now = Instant::now();
        let mut ids_seen: Vec<SeenId> = book
            .latest
            .iter()
            .map(|((id, extended), latest)| SeenId {
                id: *id,
                extended: *extended,
                frames: latest.frames,
                age_ms: millis(now.duration_since(latest.at)),
            })
            .collect();
        ids_seen.sort_by_key(|seen| (seen.extended, seen.id));
        CanStats {
            name: self.shared.name.clone(),
            state: book.state.clone(),
            frames: book.frames,
            frames_per_s: book.frames_per_s(now),
            errors: book.errors,
            last_errors: book.last_errors.iter().cloned().collect(),
            ids_seen,
        }
    }
}

/// How one `listen` ended.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// Cancelled, or every handle is gone: the task ends.
    Stopped,
    /// An I/O error while reopening is allowed: drop this bus and open another.
    Failed,
}

/// Whether a receive error means the bus itself is gone (a serial port unplugged, a socket
/// closed) rather than one bad frame or line.
fn is_fatal(error: &DeviceError) -> bool {
    matches!(error, DeviceError::Io(_) | DeviceError::Stopped)
}

/// Waits `delay`, then receives: one future, so the receive can be paused by a send.
async fn receive_after<B: CanBus>(bus: &B, delay: Duration) -> Result<CanFrame, DeviceError> {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    bus.recv().await
}

/// Receives from `bus` and serves sends until cancelled, or, with `reopen`, until an I/O error.
///
/// The receive future lives across loop turns instead of being restarted by every `select!`,
/// so a bus whose `recv` is not cancel-safe loses nothing when a send comes in: the send runs
/// while the receive is merely not polled.
async fn listen<B: CanBus>(
    shared: &Shared,
    bus: &B,
    requests: &mut mpsc::Receiver<SendRequest>,
    cancel: &CancellationToken,
    backoff: &mut Backoff,
    reopen: bool,
) -> Ended {
    {
        let mut book = shared.book();
        book.state = CanMonitorState::Listening;
        // A new bus counts its skipped lines from zero.
        book.line_errors_seen = 0;
    }
    let mut receive = pin!(receive_after(bus, Duration::ZERO));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return Ended::Stopped,
            result = &mut receive => {
                shared.record_line_errors(bus.line_errors());
                let delay = match result {
                    Ok(frame) => {
                        backoff.reset();
                        // Remote requests carry no values; only data frames are kept.
                        if !frame.is_remote() {
                            shared.record_frame(frame);
                        }
                        Duration::ZERO
                    }
                    Err(error) => {
                        shared.record_error(&error);
                        if reopen && is_fatal(&error) {
                            return Ended::Failed;
                        }
                        let delay = backoff.take();
                        shared.set_state(CanMonitorState::BackingOff {
                            retry_in_ms: millis(delay),
                        });
                        delay
                    }
                };
                receive.set(receive_after(bus, delay));
            }
            request = requests.recv() => match request {
                Some((frame, reply)) => {
                    // The caller may have given up; that is not the bus's problem.
                    let _ = reply.send(bus.send(&frame).await);
                }
                None => return Ended::Stopped,
            },
        }
    }
}

/// Waits `delay` with no bus, failing sends at once. Returns false when the task should end.
async fn refuse_sends_for(
    shared: &Shared,
    delay: Duration,
    requests: &mut mpsc::Receiver<SendRequest>,
    cancel: &CancellationToken,
) -> bool {
    shared.set_state(CanMonitorState::BackingOff {
        retry_in_ms: millis(delay),
    });
    let until = Instant::now() + delay;
    let mut sleep = pin!(tokio::time::sleep_until(until));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return false,
            _ = &mut sleep => return true,
            request = requests.recv() => match request {
                Some((_, reply)) => {
                    let left = until.saturating_duration_since(Instant::now());
                    let _ = reply.send(Err(DeviceError::Disconnected(left)));
                }
                None => return false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::can::memory::MemoryCanBus;
    use crate::testing::eventually;
    use crate::types::DataType;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const WAIT: Duration = Duration::from_secs(2);

    fn frame(id: u32, data: &[u8]) -> CanFrame {
        CanFrame::new(id, false, data).unwrap()
    }

    /// Waits (in paused or real time) until `check` holds on the monitor's stats; those stats.
    async fn until(monitor: &CanMonitor, check: impl Fn(&CanStats) -> bool) -> CanStats {
        let mut reached = None;
        let held = eventually(WAIT, async || {
            let stats = monitor.stats();
            let holds = check(&stats);
            reached = Some(stats);
            holds
        })
        .await;
        assert!(held, "never reached: {reached:?}");
        reached.expect("checked at least once")
    }

    #[tokio::test]
    async fn keeps_the_latest_frame_of_every_id_and_counts_them() {
        let bus = MemoryCanBus::new();
        let device = bus.node();
        let cancel = CancellationToken::new();
        let monitor = CanMonitor::spawn("can0".into(), bus.node(), cancel.clone());
        assert!(monitor.latest(0x355, false).is_none());

        // `next` subscribes before the frame is sent, so it cannot miss it.
        let asked = Instant::now();
        let waiter = {
            let monitor = monitor.clone();
            tokio::spawn(async move { monitor.next(0x355, false, WAIT).await })
        };
        tokio::task::yield_now().await;
        device.send(&frame(0x355, &[62, 0, 97, 0])).await.unwrap();
        assert_eq!(
            waiter.await.unwrap().unwrap(),
            frame(0x355, &[62, 0, 97, 0])
        );
        device.send(&frame(0x356, &[1])).await.unwrap();
        device.send(&frame(0x355, &[63, 0, 97, 0])).await.unwrap();
        device
            .send(&CanFrame::new(0x355, true, &[9]).unwrap())
            .await
            .unwrap();
        device
            .send(&CanFrame::remote(0x355, false, 4).unwrap())
            .await
            .unwrap();

        let stats = until(&monitor, |s| s.frames == 4).await;
        assert_eq!(stats.name, "can0");
        assert_eq!(stats.state, CanMonitorState::Listening);
        assert_eq!(stats.errors, 0);
        let ids: Vec<(u32, bool, u64)> = stats
            .ids_seen
            .iter()
            .map(|s| (s.id, s.extended, s.frames))
            .collect();
        assert_eq!(
            ids,
            [(0x355, false, 2), (0x356, false, 1), (0x355, true, 1)]
        );
        let (latest, age) = monitor.latest(0x355, false).unwrap();
        assert_eq!(
            latest,
            frame(0x355, &[63, 0, 97, 0]),
            "the remote frame is not kept"
        );
        // Heard after we started listening, so no older than that.
        assert!(age <= asked.elapsed(), "{age:?}");
        let soc = CanSignal::new(0x355, 0, DataType::U16, 1.0);
        assert_eq!(monitor.latest_value(&soc).unwrap().unwrap().0, 63.0);
        let missing = CanSignal::new(0x35A, 0, DataType::U16, 1.0);
        assert_eq!(monitor.latest_value(&missing).unwrap(), None);
        cancel.cancel();
    }

    #[tokio::test]
    async fn next_times_out_and_send_reaches_the_bus() {
        let bus = MemoryCanBus::new();
        let device = bus.node();
        let cancel = CancellationToken::new();
        let monitor = CanMonitor::spawn("can0".into(), bus.node(), cancel.clone());
        let short = Duration::from_millis(50);
        assert_eq!(
            monitor.next(0x123, false, short).await,
            Err(DeviceError::Timeout(short))
        );
        monitor.send(&frame(0x201, &[1, 2])).await.unwrap();
        let heard = tokio::time::timeout(WAIT, device.recv()).await.unwrap();
        assert_eq!(heard.unwrap(), frame(0x201, &[1, 2]));

        cancel.cancel();
        until(&monitor, |s| s.state == CanMonitorState::Stopped).await;
        assert_eq!(
            monitor.send(&frame(1, &[])).await,
            Err(DeviceError::Stopped)
        );
        assert_eq!(
            monitor.next(0x123, false, short).await,
            Err(DeviceError::Stopped)
        );
    }

    /// A bus that plays back a script of receive results, then waits forever.
    struct ScriptedBus {
        script: Mutex<VecDeque<Result<CanFrame, DeviceError>>>,
        receives: Arc<AtomicUsize>,
    }

    impl ScriptedBus {
        fn new(
            script: impl IntoIterator<Item = Result<CanFrame, DeviceError>>,
        ) -> (Self, Arc<AtomicUsize>) {
            let receives = Arc::new(AtomicUsize::new(0));
            let bus = ScriptedBus {
                script: Mutex::new(script.into_iter().collect()),
                receives: receives.clone(),
            };
            (bus, receives)
        }
    }

    impl CanBus for ScriptedBus {
        async fn send(&self, _frame: &CanFrame) -> Result<(), DeviceError> {
            Ok(())
        }

        async fn recv(&self) -> Result<CanFrame, DeviceError> {
            self.receives.fetch_add(1, Ordering::SeqCst);
            let next = self.script.lock().unwrap().pop_front();
            match next {
                Some(result) => result,
                None => std::future::pending().await,
            }
        }

        fn line_errors(&self) -> LineErrors {
            LineErrors {
                count: 3,
                last: Some("slcan line \"#noise\"".into()),
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn receive_errors_are_counted_backed_off_and_survived() {
        let gone = DeviceError::Io("the adapter closed the line".into());
        let (bus, receives) = ScriptedBus::new([
            Err(DeviceError::Framing("bad".into())),
            Err(gone.clone()),
            Err(gone.clone()),
            Ok(frame(0x355, &[50, 0])),
        ]);
        let cancel = CancellationToken::new();
        let monitor = CanMonitor::spawn("can0".into(), bus, cancel.clone());

        // First receive fails at once; the next waits 100 ms, the one after 200 ms.
        let stats = until(&monitor, |s| s.errors >= 4).await;
        assert_eq!(
            stats.state,
            CanMonitorState::BackingOff { retry_in_ms: 100 }
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(receives.load(Ordering::SeqCst), 2);
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(
            monitor.stats().state,
            CanMonitorState::BackingOff { retry_in_ms: 400 }
        );
        assert_eq!(receives.load(Ordering::SeqCst), 3);

        let stats = until(&monitor, |s| s.frames == 1).await;
        assert_eq!(stats.state, CanMonitorState::Listening);
        // Three failed receives plus the bus's three skipped lines.
        assert_eq!(stats.errors, 6);
        assert_eq!(stats.last_errors.len(), 4);
        assert_eq!(stats.last_errors[0], "slcan line \"#noise\"");
        assert_eq!(stats.last_errors[3], gone.to_string());
        assert_eq!(
            monitor.latest(0x355, false).unwrap().0,
            frame(0x355, &[50, 0])
        );
        cancel.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn frames_per_second_follows_the_recent_rate() {
        let bus = MemoryCanBus::new();
        let device = bus.node();
        let cancel = CancellationToken::new();
        let monitor = CanMonitor::spawn("can0".into(), bus.node(), cancel.clone());
        for _ in 0..60 {
            device.send(&frame(0x351, &[0; 8])).await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let stats = monitor.stats();
        assert_eq!(stats.frames, 60);
        assert!(
            (stats.frames_per_s - 10.0).abs() < 1.0,
            "{}",
            stats.frames_per_s
        );
        tokio::time::sleep(Duration::from_secs(RATE_WINDOW_S + 1)).await;
        assert_eq!(monitor.stats().frames_per_s, 0.0, "the window slides on");
        cancel.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn a_reopening_monitor_opens_a_new_bus_after_an_io_error() {
        let opens = Arc::new(AtomicUsize::new(0));
        let cancel = CancellationToken::new();
        let monitor = {
            let opens = opens.clone();
            CanMonitor::spawn_reopening(
                "can0".into(),
                move || {
                    let attempt = opens.fetch_add(1, Ordering::SeqCst);
                    async move {
                        match attempt {
                            0 => Err(DeviceError::Io("/dev/ttyACM0: no such file".into())),
                            1 => Ok(ScriptedBus::new([Err(DeviceError::Io("unplugged".into()))]).0),
                            _ => Ok(ScriptedBus::new([Ok(frame(0x356, &[7]))]).0),
                        }
                    }
                },
                cancel.clone(),
            )
        };
        let stats = until(&monitor, |s| s.errors >= 1).await;
        assert_eq!(
            stats.state,
            CanMonitorState::BackingOff { retry_in_ms: 100 }
        );
        let refused = monitor.send(&frame(1, &[])).await;
        assert!(
            matches!(refused, Err(DeviceError::Disconnected(_))),
            "{refused:?}"
        );

        let stats = until(&monitor, |s| s.frames == 1).await;
        assert_eq!(opens.load(Ordering::SeqCst), 3);
        // The failed open, the I/O error, and each bus's three skipped lines.
        assert_eq!(stats.errors, 8, "{stats:?}");
        assert!(stats.last_errors.iter().any(|e| e.contains("unplugged")));
        assert_eq!(stats.state, CanMonitorState::Listening);
        cancel.cancel();
    }
}
