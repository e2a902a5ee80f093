//! `SiteIo`: the site's adapters polled as field I/O. Every enabled adapter of an inverter, a
//! meter or a battery pack is read each poll cycle through one bus task per endpoint (adapters
//! on one TCP address or one serial line share it: a serial line is opened once); a pack reads
//! from its failover choice (`failover`), and every switch is journalled in
//! `site_adapter_switches`. The catalog is reloaded when the system version moves, so the
//! console's edits take effect without a restart; a device whose adapters did not change keeps
//! its state. Nothing is ever written to a device.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use devices::bus::{BusConfig, BusHandle, spawn_bus};
use devices::modbus::Endpoint;
use entity::site::adapter_switch;
use model::site::live::{
    AdapterSwitch, DeviceState, LiveDevice, LiveDeviceKind, LiveValue, PackAdapterLive,
    PackFailover, Quality, Reading, SiteLive, SwitchReason,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, DatabaseConnection};
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::failover::{Failover, FailoverRules, Outcome, Switch};
use super::load::{AdapterEntry, DeviceEntry, SiteDevices, load_devices};
use super::{AdapterReader, DriveSetup, ReadOnlyBus};
use crate::site::adapter_types::AdapterCatalog;

/// How the site's field I/O runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteIoConfig {
    /// One poll cycle: every device is read once per period. Default 1 s.
    pub period: Duration,
    /// Per request and per connection attempt. Default 500 ms.
    pub request_timeout: Duration,
    pub rules: FailoverRules,
}

impl Default for SiteIoConfig {
    fn default() -> Self {
        SiteIoConfig {
            period: Duration::from_secs(1),
            request_timeout: Duration::from_millis(500),
            rules: FailoverRules::default(),
        }
    }
}

/// The running site I/O; cheap to clone. It stops when the token given to `start` fires.
#[derive(Clone)]
pub struct SiteIo {
    shared: Arc<Shared>,
}

impl Default for SiteIo {
    /// Site I/O that polls nothing: every `live` is none (for states built without field I/O).
    fn default() -> Self {
        let (cycles, _) = watch::channel(0);
        SiteIo {
            shared: Arc::new(Shared {
                config: SiteIoConfig::default(),
                snapshot: Mutex::new(Snapshot::default()),
                cycles,
            }),
        }
    }
}

impl std::fmt::Debug for SiteIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteIo")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

struct Shared {
    config: SiteIoConfig,
    snapshot: Mutex<Snapshot>,
    cycles: watch::Sender<u64>,
}

/// The devices' live state after the last cycle.
#[derive(Default)]
struct Snapshot {
    taken: Option<Instant>,
    cycle: u64,
    version: i64,
    systems: Vec<String>,
    devices: Vec<(String, LiveDevice)>,
}

impl SiteIo {
    /// Loads the catalog and polls it every `config.period` until `cancel` fires.
    pub fn start(
        db: DatabaseConnection,
        catalog: Arc<AdapterCatalog>,
        config: SiteIoConfig,
        cancel: CancellationToken,
    ) -> SiteIo {
        let (cycles, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            config,
            snapshot: Mutex::new(Snapshot::default()),
            cycles,
        });
        let runner = Runner {
            db,
            catalog,
            config,
            cancel: cancel.clone(),
            shared: shared.clone(),
            version: None,
            devices: BTreeMap::new(),
            buses: HashMap::new(),
            systems: Vec::new(),
            owner: NEXT_OWNER.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        };
        tokio::spawn(runner.run());
        SiteIo { shared }
    }

    pub fn config(&self) -> SiteIoConfig {
        self.shared.config
    }

    /// Poll cycles completed so far; `changed()` on it waits for the next one.
    pub fn cycles(&self) -> watch::Receiver<u64> {
        self.shared.cycles.subscribe()
    }

    /// Waits until `count` more cycles have completed.
    pub async fn wait_cycles(&self, count: u64) {
        let mut cycles = self.cycles();
        let target = *cycles.borrow_and_update() + count;
        while *cycles.borrow_and_update() < target {
            if cycles.changed().await.is_err() {
                return;
            }
        }
    }

    /// Every device of `system_id`, live; none when the catalog has no such system.
    pub fn live(&self, system_id: &str) -> Option<SiteLive> {
        let snapshot = lock(&self.shared.snapshot);
        if !snapshot.systems.iter().any(|s| s == system_id) {
            return None;
        }
        let since = snapshot.taken.map_or(0, |taken| millis(taken.elapsed()));
        let devices = snapshot
            .devices
            .iter()
            .filter(|(system, _)| system == system_id)
            .map(|(_, device)| aged(device.clone(), since))
            .collect();
        Some(SiteLive {
            system_id: system_id.to_string(),
            cycle: snapshot.cycle,
            period_ms: millis(self.shared.config.period),
            site_version: snapshot.version,
            devices,
        })
    }

    /// One device's live state (any system).
    pub fn device(&self, kind: LiveDeviceKind, device_id: &str) -> Option<LiveDevice> {
        let snapshot = lock(&self.shared.snapshot);
        let since = snapshot.taken.map_or(0, |taken| millis(taken.elapsed()));
        snapshot
            .devices
            .iter()
            .find(|(_, d)| d.kind == kind && d.device_id == device_id)
            .map(|(_, d)| aged(d.clone(), since))
    }
}

/// A snapshot's device with `since` milliseconds added to its ages.
fn aged(mut device: LiveDevice, since: u64) -> LiveDevice {
    for value in &mut device.values {
        value.age_ms = value.age_ms.saturating_add(since);
    }
    if let Some(ago) = device.last_answer_ms_ago.as_mut() {
        *ago = ago.saturating_add(since);
    }
    device
}

/// A duration in whole milliseconds, saturating.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The buses every running `SiteIo` of this process holds open, by `bus_key`, with the owner's
/// id: "Test connection" (`probe`) reads through one of them rather than opening the endpoint a
/// second time (a serial line can be opened once; many TCP gateways take one connection).
static OPEN_BUSES: Mutex<BTreeMap<String, (u64, Endpoint, BusHandle)>> =
    Mutex::new(BTreeMap::new());

/// Tells the `SiteIo`s of one process apart in `OPEN_BUSES`.
static NEXT_OWNER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The bus a running `SiteIo` holds open on exactly `endpoint`, if any.
pub(crate) fn open_bus(endpoint: &Endpoint) -> Option<BusHandle> {
    lock(&OPEN_BUSES)
        .get(&bus_key(endpoint))
        .filter(|(_, open, _)| open == endpoint)
        .map(|(_, _, handle)| handle.clone())
}

/// Publishes `owner`'s buses in `OPEN_BUSES` (replacing what it published before).
fn publish_buses(owner: u64, buses: &HashMap<String, BusEntry>) {
    let mut open = lock(&OPEN_BUSES);
    open.retain(|_, (by, _, _)| *by != owner);
    for (key, entry) in buses {
        open.entry(key.clone())
            .or_insert_with(|| (owner, entry.endpoint.clone(), entry.handle.clone()));
    }
}

/// Where a bus is: a TCP address or a serial line (opened once, whatever its settings).
fn bus_key(endpoint: &Endpoint) -> String {
    match endpoint {
        Endpoint::Tcp { addr } => format!("tcp {addr}"),
        Endpoint::Rtu { path, .. } => format!("rtu {path}"),
    }
}

struct BusEntry {
    endpoint: Endpoint,
    handle: BusHandle,
    cancel: CancellationToken,
}

/// One adapter of a device, ready to read or not (and why).
struct AdapterPoll {
    entry: AdapterEntry,
    reader: Result<AdapterReader, String>,
    answering: Option<bool>,
    message: Option<String>,
}

impl AdapterPoll {
    fn new(entry: AdapterEntry, catalog: &AdapterCatalog) -> AdapterPoll {
        let reader = match catalog.get(&entry.adapter_type) {
            None => Err(format!(
                "{:?} is not an adapter type this build knows",
                entry.adapter_type
            )),
            Some(adapter_type) => serde_json::from_str::<Value>(&entry.config_json)
                .map_err(|e| format!("its configuration is not JSON: {e}"))
                .and_then(|config| {
                    DriveSetup::new(adapter_type, &config)
                        .and_then(AdapterReader::new)
                        .map_err(|e| e.to_string())
                }),
        };
        let message = reader.as_ref().err().cloned();
        AdapterPoll {
            entry,
            reader,
            answering: None,
            message,
        }
    }

    fn endpoint(&self) -> Option<String> {
        self.reader.as_ref().ok().map(|r| {
            format!(
                "{} unit {}",
                r.setup().endpoint.describe(),
                r.setup().unit_id
            )
        })
    }

    /// Reads every quantity once; the readings, or the failure recorded in words.
    async fn read(&mut self, buses: &HashMap<String, BusHandle>) -> Option<Vec<Reading>> {
        let result = match &mut self.reader {
            Err(message) => Err(message.clone()),
            Ok(reader) => match buses.get(&bus_key(&reader.setup().endpoint)) {
                None => Err("its bus is not running".to_string()),
                Some(bus) => reader
                    .read(&mut ReadOnlyBus { bus })
                    .await
                    .map_err(|e| e.to_string()),
            },
        };
        match result {
            Ok(readings) => {
                self.answering = Some(true);
                self.message = None;
                Some(readings)
            }
            Err(message) => {
                self.answering = Some(false);
                self.message = Some(message);
                None
            }
        }
    }
}

/// One device: its adapters, its failover state and its latest values.
struct DevicePoll {
    entry: DeviceEntry,
    adapters: Vec<AdapterPoll>,
    failover: Failover,
    state: DeviceState,
    values: Vec<(Reading, Instant, String)>,
    consecutive_failures: u32,
    last_answer: Option<Instant>,
    last_switch: Option<AdapterSwitch>,
}

impl DevicePoll {
    fn new(entry: DeviceEntry, catalog: &AdapterCatalog, rules: FailoverRules) -> DevicePoll {
        let adapters: Vec<AdapterPoll> = entry
            .adapters
            .iter()
            .cloned()
            .map(|a| AdapterPoll::new(a, catalog))
            .collect();
        let state = if adapters.is_empty() {
            DeviceState::NotPolled
        } else {
            DeviceState::Waiting
        };
        DevicePoll {
            failover: Failover::new(adapters.len(), rules),
            adapters,
            entry,
            state,
            values: Vec::new(),
            consecutive_failures: 0,
            last_answer: None,
            last_switch: None,
        }
    }

    /// One poll cycle: reads what the failover asks for and keeps the serving adapter's values.
    /// Returns the switch, if the pack moved.
    async fn cycle(&mut self, buses: &HashMap<String, BusHandle>) -> Option<Switch> {
        if self.adapters.is_empty() {
            return None;
        }
        let count = self.adapters.len();
        let mut outcomes = vec![Outcome::NotRead; count];
        let mut readings: Vec<Option<Vec<Reading>>> = vec![None; count];
        for index in self.failover.to_read() {
            let Some(adapter) = self.adapters.get_mut(index) else {
                continue;
            };
            readings[index] = adapter.read(buses).await;
            outcomes[index] = outcome_of(&readings[index]);
        }
        // Standby adapters after the serving one are not read: their state is unknown.
        for adapter in self.adapters.iter_mut().skip(self.failover.serving() + 1) {
            adapter.answering = None;
        }
        let switch = self.failover.record(&outcomes);
        if let Some(Switch {
            reason: SwitchReason::Failed,
            to,
            ..
        }) = switch
            && let Some(adapter) = self.adapters.get_mut(to)
        {
            readings[to] = adapter.read(buses).await;
            self.failover.record_serving(outcome_of(&readings[to]));
        }
        let serving = self.failover.serving();
        let now = Instant::now();
        match readings.get_mut(serving).and_then(Option::take) {
            Some(values) => {
                let adapter_id = self.adapters[serving].entry.adapter_id.clone();
                self.values = values
                    .into_iter()
                    .map(|r| (r, now, adapter_id.clone()))
                    .collect();
                self.state = DeviceState::Answering;
                self.consecutive_failures = 0;
                self.last_answer = Some(now);
            }
            None => {
                self.state = DeviceState::Failing;
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
            }
        }
        switch
    }

    fn serving(&self) -> Option<&AdapterPoll> {
        self.adapters.get(self.failover.serving())
    }

    fn live(&self, now: Instant) -> LiveDevice {
        let serving = self.serving();
        let message = match serving {
            None => self.entry.note.clone(),
            Some(adapter) => adapter.message.clone(),
        };
        let values = self
            .values
            .iter()
            .map(|(reading, at, adapter_id)| LiveValue {
                quantity: reading.quantity,
                index: reading.index,
                value: reading.value,
                unit: reading.unit,
                quality: if self.state == DeviceState::Answering {
                    Quality::Good
                } else {
                    Quality::Stale
                },
                age_ms: millis(now.duration_since(*at)),
                adapter_id: adapter_id.clone(),
            })
            .collect();
        LiveDevice {
            device_id: self.entry.device_id.clone(),
            kind: self.entry.kind,
            state: self.state,
            adapter_id: serving.map(|a| a.entry.adapter_id.clone()),
            adapter_type: serving.map(|a| a.entry.adapter_type.clone()),
            endpoint: serving.and_then(AdapterPoll::endpoint),
            message,
            consecutive_failures: self.consecutive_failures,
            last_answer_ms_ago: self.last_answer.map(|at| millis(now.duration_since(at))),
            values,
            failover: (self.entry.kind == LiveDeviceKind::BatteryPack)
                .then(|| self.pack_failover()),
        }
    }

    fn pack_failover(&self) -> PackFailover {
        let serving = self.failover.serving();
        let rules = self.failover.rules();
        let adapters = self
            .adapters
            .iter()
            .enumerate()
            .map(|(index, adapter)| PackAdapterLive {
                adapter_id: adapter.entry.adapter_id.clone(),
                priority: adapter.entry.priority,
                enabled: true,
                serving: index == serving,
                answering: adapter.answering,
                consecutive_failures: self.failover.failures(index),
                consecutive_answers: self.failover.answers(index),
                message: adapter.message.clone(),
            })
            .collect();
        PackFailover {
            serving_adapter_id: self.serving().map(|a| a.entry.adapter_id.clone()),
            failover_active: !self.adapters.is_empty() && serving > 0,
            why: self.why(),
            failures_to_switch: rules.failures_to_switch,
            hold_cycles: rules.hold_cycles,
            adapters,
            last_switch: self.last_switch.clone(),
        }
    }

    /// Why the serving adapter serves, in plain words.
    fn why(&self) -> String {
        let Some(adapter) = self.serving() else {
            return self
                .entry
                .note
                .clone()
                .unwrap_or_else(|| "no enabled adapter".into());
        };
        let serving = self.failover.serving();
        let rules = self.failover.rules();
        let id = &adapter.entry.adapter_id;
        let mut why = if serving == 0 {
            format!(
                "{id} is the first enabled adapter (priority {})",
                adapter.entry.priority
            )
        } else {
            match &self.last_switch {
                Some(switch) => format!("failover: {}", switch.detail),
                None => format!("{id} serves because the adapters before it failed"),
            }
        };
        match adapter.answering {
            Some(true) => why.push_str(" and answers"),
            Some(false) => {
                let failures = self.failover.failures(serving);
                why.push_str(&format!("; it has failed {failures} consecutive cycles"));
                if serving + 1 < self.adapters.len() {
                    why.push_str(&format!(
                        " ({} after {} failures)",
                        self.adapters[serving + 1].entry.adapter_id,
                        rules.failures_to_switch
                    ));
                }
            }
            None => {}
        }
        if serving > 0 {
            let primary = &self.adapters[0];
            let answers = self.failover.answers(0);
            if answers > 0 {
                why.push_str(&format!(
                    "; {} has answered {answers} of the {} cycles it needs to serve again",
                    primary.entry.adapter_id, rules.hold_cycles
                ));
            } else {
                why.push_str(&format!(
                    "; {} is still failing{}",
                    primary.entry.adapter_id,
                    primary
                        .message
                        .as_ref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ));
            }
        }
        why
    }

    /// The journal row of `switch`, in words.
    fn switch_detail(&self, switch: &Switch) -> String {
        let id = |i: usize| {
            self.adapters
                .get(i)
                .map_or_else(String::new, |a| a.entry.adapter_id.clone())
        };
        match switch.reason {
            SwitchReason::Failed => {
                let error = self
                    .adapters
                    .get(switch.from)
                    .and_then(|a| a.message.clone())
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default();
                format!(
                    "{} failed {} consecutive poll cycles{error}; {} took over",
                    id(switch.from),
                    switch.cycles,
                    id(switch.to)
                )
            }
            SwitchReason::Recovered => format!(
                "{} answered {} consecutive poll cycles (hold time {}); it serves again instead of {}",
                id(switch.to),
                switch.cycles,
                self.failover.rules().hold_cycles,
                id(switch.from)
            ),
        }
    }
}

fn outcome_of(readings: &Option<Vec<Reading>>) -> Outcome {
    if readings.is_some() {
        Outcome::Answered
    } else {
        Outcome::Failed
    }
}

type DeviceKey = (LiveDeviceKind, String);

/// A switch of one cycle, to journal.
struct PendingSwitch {
    system_id: String,
    pack_id: String,
    from: Option<String>,
    to: Option<String>,
    reason: SwitchReason,
    detail: String,
}

/// The task's own state.
struct Runner {
    db: DatabaseConnection,
    catalog: Arc<AdapterCatalog>,
    config: SiteIoConfig,
    cancel: CancellationToken,
    shared: Arc<Shared>,
    version: Option<i64>,
    devices: BTreeMap<DeviceKey, DevicePoll>,
    buses: HashMap<String, BusEntry>,
    systems: Vec<String>,
    /// This runner's id in `OPEN_BUSES`.
    owner: u64,
}

impl Runner {
    async fn run(mut self) {
        let mut interval = tokio::time::interval(self.config.period);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut cycle: u64 = 0;
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => break,
                _ = interval.tick() => {}
            }
            if let Err(error) = self.refresh().await {
                tracing::warn!(%error, "site I/O: cannot load the site's adapters");
            }
            let cancel = self.cancel.clone();
            let switches = tokio::select! {
                _ = cancel.cancelled() => break,
                switches = self.cycle() => switches,
            };
            self.journal(switches).await;
            cycle += 1;
            self.publish(cycle);
        }
        for bus in self.buses.values() {
            bus.cancel.cancel();
        }
        publish_buses(self.owner, &HashMap::new());
    }

    /// Reloads the catalog when the system version moved: devices whose adapters are unchanged
    /// keep their state, buses no adapter uses any more stop.
    async fn refresh(&mut self) -> Result<(), model::error::AppError> {
        let version = crate::system::system_version_of(&self.db).await?;
        if self.version == Some(version) {
            return Ok(());
        }
        let SiteDevices {
            version,
            systems,
            devices,
        } = load_devices(&self.db).await?;
        let mut old = std::mem::take(&mut self.devices);
        for entry in devices {
            let key = (entry.kind, entry.device_id.clone());
            let poll = match old.remove(&key) {
                Some(poll) if poll.entry == entry => poll,
                _ => DevicePoll::new(entry, &self.catalog, self.config.rules),
            };
            self.devices.insert(key, poll);
        }
        self.assign_buses();
        self.version = Some(version);
        self.systems = systems;
        tracing::info!(
            version,
            devices = self.devices.len(),
            buses = self.buses.len(),
            "site I/O: adapters loaded"
        );
        Ok(())
    }

    /// One bus per endpoint in use. A serial line is opened with the settings of the first
    /// adapter that names it; another adapter naming it with other settings is refused.
    fn assign_buses(&mut self) {
        let mut wanted: HashMap<String, (Endpoint, String)> = HashMap::new();
        for poll in self.devices.values_mut() {
            for adapter in &mut poll.adapters {
                let Ok(reader) = &adapter.reader else {
                    continue;
                };
                let endpoint = reader.setup().endpoint.clone();
                let key = bus_key(&endpoint);
                match wanted.get(&key) {
                    None => {
                        wanted.insert(key, (endpoint, adapter.entry.adapter_id.clone()));
                    }
                    Some((first, _)) if *first == endpoint => {}
                    Some((first, owner)) => {
                        let message = format!(
                            "the line is already opened as {} by adapter {owner}",
                            first.describe()
                        );
                        adapter.message = Some(message.clone());
                        adapter.reader = Err(message);
                    }
                }
            }
        }
        let mut buses = HashMap::new();
        for (key, (endpoint, _)) in wanted {
            let entry = match self.buses.remove(&key) {
                Some(entry) if entry.endpoint == endpoint => entry,
                stale => {
                    if let Some(stale) = stale {
                        stale.cancel.cancel();
                    }
                    let cancel = self.cancel.child_token();
                    let half = self.config.period / 2;
                    let config = BusConfig {
                        request_timeout: self.config.request_timeout,
                        retries: 0,
                        min_backoff: half,
                        max_backoff: half,
                        ..BusConfig::new(format!("site {key}"), endpoint.clone())
                    };
                    BusEntry {
                        handle: spawn_bus(config, cancel.clone()),
                        endpoint,
                        cancel,
                    }
                }
            };
            buses.insert(key, entry);
        }
        for unused in self.buses.values() {
            unused.cancel.cancel();
        }
        self.buses = buses;
        publish_buses(self.owner, &self.buses);
    }

    /// Polls every device once, devices in parallel (one bus still serialises its requests).
    async fn cycle(&mut self) -> Vec<PendingSwitch> {
        let handles: Arc<HashMap<String, BusHandle>> = Arc::new(
            self.buses
                .iter()
                .map(|(key, entry)| (key.clone(), entry.handle.clone()))
                .collect(),
        );
        let mut tasks = JoinSet::new();
        for (key, mut poll) in std::mem::take(&mut self.devices) {
            let handles = handles.clone();
            tasks.spawn(async move {
                let switch = poll.cycle(&handles).await;
                (key, poll, switch)
            });
        }
        let mut switches = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let Ok((key, poll, switch)) = joined else {
                tracing::error!("site I/O: a device's poll panicked; it is reloaded");
                self.version = None;
                continue;
            };
            if let Some(switch) = switch {
                let id = |i: usize| poll.adapters.get(i).map(|a| a.entry.adapter_id.clone());
                switches.push(PendingSwitch {
                    system_id: poll.entry.system_id.clone(),
                    pack_id: poll.entry.device_id.clone(),
                    from: id(switch.from),
                    to: id(switch.to),
                    reason: switch.reason,
                    detail: poll.switch_detail(&switch),
                });
            }
            self.devices.insert(key, poll);
        }
        switches
    }

    /// Writes each switch to `site_adapter_switches` and keeps it as the pack's last switch.
    async fn journal(&mut self, switches: Vec<PendingSwitch>) {
        for PendingSwitch {
            system_id,
            pack_id,
            from,
            to,
            reason,
            detail,
        } in switches
        {
            let at = Utc::now();
            tracing::info!(pack = %pack_id, from = ?from, to = ?to, %detail, "site I/O: pack adapter switch");
            let row = adapter_switch::ActiveModel {
                id: NotSet,
                system_id: Set(system_id.clone()),
                pack_id: Set(pack_id.clone()),
                from_adapter_id: Set(from.clone()),
                to_adapter_id: Set(to.clone()),
                reason: Set(reason),
                detail: Set(detail.clone()),
                at: Set(at),
            };
            let id = match row.insert(&self.db).await {
                Ok(saved) => saved.id,
                Err(error) => {
                    tracing::warn!(%error, pack = %pack_id, "site I/O: cannot journal a switch");
                    0
                }
            };
            if let Some(poll) = self
                .devices
                .get_mut(&(LiveDeviceKind::BatteryPack, pack_id.clone()))
            {
                poll.last_switch = Some(AdapterSwitch {
                    id,
                    system_id,
                    pack_id,
                    from_adapter_id: from,
                    to_adapter_id: to,
                    reason,
                    detail,
                    at: at.to_rfc3339(),
                });
            }
        }
    }

    fn publish(&self, cycle: u64) {
        let now = Instant::now();
        let devices = self
            .devices
            .values()
            .map(|poll| (poll.entry.system_id.clone(), poll.live(now)))
            .collect();
        {
            let mut snapshot = lock(&self.shared.snapshot);
            *snapshot = Snapshot {
                taken: Some(now),
                cycle,
                version: self.version.unwrap_or(0),
                systems: self.systems.clone(),
                devices,
            };
        }
        self.shared.cycles.send_replace(cycle);
    }
}
