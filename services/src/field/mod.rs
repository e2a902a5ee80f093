//! Field I/O inside the server: one bus task per configured bus, polling of every registry path
//! the configuration can reach into live values (with quality and fallback), reading now, and
//! writing through the best writable path with read-back.

pub mod config;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use devices::bus::{BusConfig, BusHandle, BusState, BusStats, spawn_bus};
use devices::can::{CanMonitor, CanMonitorState, CanSignal};
use devices::codec;
use devices::planner::{self, PlannerConfig, PollClass, PollPoint, ReadBlock};
use entity::{system_variable, variable_access_path};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use tokio_util::sync::CancellationToken;

use self::config::{CanInterface, FieldConfig, MappingError, PathSource, Target};
use crate::convert::to_path;
use crate::registry::query;
use crate::system::system_version_of;
use model::error::AppError;
use model::field::{
    BlockView, BusErrorView, BusOverview, BusView, CanBusView, CanIdView, LiveValue, Quality,
    UnmappedPath, WriteOutcome,
};
use model::registry::{AccessPath, Category};

/// How often the poller looks for registry changes to re-plan.
const REGISTRY_CHECK: Duration = Duration::from_secs(2);

/// Cheap to clone; a disabled one (no configuration) answers every request with a clear error.
#[derive(Clone, Default)]
pub struct FieldIo {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    config: FieldConfig,
    buses: HashMap<String, BusHandle>,
    /// CAN buses by name, each with the task that listens to it.
    can: HashMap<String, CanMonitor>,
    live: RwLock<Live>,
    /// Fires at shutdown; long-lived readers (the live stream) end with it.
    stop: CancellationToken,
}

/// One polled path of a variable.
#[derive(Clone)]
struct Polled {
    path_id: i64,
    source: PathSource,
    period: Duration,
}

/// How long a CAN read-now waits for the next frame of its id.
const CAN_READ_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Default)]
struct Live {
    /// path id → its latest reading.
    readings: HashMap<i64, Reading>,
    /// variable name → its polled paths, preferred first.
    variables: HashMap<String, Vec<Polled>>,
    /// path id → where it is read.
    targets: HashMap<i64, Target>,
    blocks: Vec<ReadBlock>,
    /// Paths that cannot be polled, with the reason (for the Buses page).
    unmapped: Vec<(String, i64, String)>,
}

#[derive(Clone, Default)]
struct Reading {
    values: Vec<f64>,
    /// Unix ms of the last good reading.
    at_ms: Option<u64>,
    error: Option<String>,
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn quality(reading: Option<&Reading>, period: Duration, now_ms: u64) -> Quality {
    let Some(at) = reading.and_then(|r| r.at_ms) else {
        return Quality::Bad;
    };
    let age = Duration::from_millis(now_ms.saturating_sub(at));
    let failing = reading.is_some_and(|r| r.error.is_some());
    if age <= period * 3 && !failing {
        Quality::Good
    } else if age <= period * 10 {
        Quality::Stale
    } else {
        Quality::Bad
    }
}

/// What every request answers while the server runs without a field configuration.
const NOT_CONFIGURED: &str = "field I/O is not configured (see --field-config)";

impl FieldIo {
    /// Starts the buses (CAN ones opened from the configuration) and the poller; everything
    /// stops when `cancel` fires.
    pub fn start(db: DatabaseConnection, config: FieldConfig, cancel: CancellationToken) -> Self {
        Self::start_with_builtin_can(db, config, Vec::new(), cancel)
    }

    /// As `start`, also listening on CAN buses the caller opened (demo mode's in-memory bus,
    /// tests); each monitor's name must be a `builtin` CAN bus of the configuration.
    pub fn start_with_builtin_can(
        db: DatabaseConnection,
        config: FieldConfig,
        builtin: Vec<CanMonitor>,
        cancel: CancellationToken,
    ) -> Self {
        let mut monitors: Vec<CanMonitor> = config
            .can
            .iter()
            .filter(|entry| entry.interface != CanInterface::Builtin)
            .filter_map(|entry| open_can(&entry.name, &entry.interface, cancel.clone()))
            .collect();
        monitors.extend(builtin);
        Self::start_with_can(db, config, monitors, cancel)
    }

    fn start_with_can(
        db: DatabaseConnection,
        config: FieldConfig,
        monitors: Vec<CanMonitor>,
        cancel: CancellationToken,
    ) -> Self {
        let can = monitors
            .into_iter()
            .map(|m| (m.name().to_string(), m))
            .collect();
        let buses = config
            .buses
            .iter()
            .map(|entry| {
                let bus = BusConfig {
                    request_timeout: Duration::from_millis(entry.request_timeout_ms),
                    ..BusConfig::new(entry.name.clone(), entry.endpoint.clone())
                };
                (entry.name.clone(), spawn_bus(bus, cancel.clone()))
            })
            .collect();
        let field = FieldIo {
            inner: Some(Arc::new(Inner {
                config,
                buses,
                can,
                live: RwLock::new(Live::default()),
                stop: cancel.clone(),
            })),
        };
        tokio::spawn(field.clone().follow_registry(db, cancel));
        field
    }

    fn inner(&self) -> Result<&Arc<Inner>, AppError> {
        self.inner
            .as_ref()
            .ok_or_else(|| AppError::NotConfigured(NOT_CONFIGURED.into()))
    }

    /// Re-plans whenever the registry's system version moves, and runs the poll loops.
    async fn follow_registry(self, db: DatabaseConnection, cancel: CancellationToken) {
        let mut planned_at = None;
        let mut pollers = cancel.child_token();
        let mut check = tokio::time::interval(REGISTRY_CHECK);
        // A missed check is simply done late; catching up would only repeat it.
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = check.tick() => {}
            }
            let version = match system_version_of(&db).await {
                Ok(version) => version,
                Err(error) => {
                    tracing::warn!(%error, "field I/O: cannot read the system version");
                    continue;
                }
            };
            if planned_at == Some(version) {
                continue;
            }
            match self.replan(&db).await {
                Ok(groups) => {
                    pollers.cancel();
                    pollers = cancel.child_token();
                    for blocks in groups {
                        tokio::spawn(self.clone().poll(blocks, pollers.clone()));
                    }
                    planned_at = Some(version);
                }
                Err(error) => tracing::warn!(%error, "field I/O: planning failed"),
            }
        }
    }

    /// Maps every active path of every live variable, plans the reads, and returns the blocks
    /// grouped per bus and class (one poll loop each).
    async fn replan(&self, db: &DatabaseConnection) -> Result<Vec<Vec<ReadBlock>>, AppError> {
        let inner = self.inner()?;
        // Only the three columns the plan needs: this runs on every registry change.
        let rows: Vec<(i64, String, String)> = system_variable::Entity::find()
            .select_only()
            .columns([
                system_variable::Column::Id,
                system_variable::Column::Name,
                system_variable::Column::Category,
            ])
            .filter(system_variable::Column::Deleted.eq(false))
            .into_tuple()
            .all(db)
            .await?;
        let variables: HashMap<i64, (String, Category)> = rows
            .into_iter()
            .filter_map(|(id, name, category)| Some((id, (name, Category::parse(&category)?))))
            .collect();
        let mut paths: Vec<(String, Category, AccessPath)> = Vec::new();
        for model in variable_access_path::Entity::find()
            .filter(variable_access_path::Column::Active.eq(true))
            .all(db)
            .await?
        {
            if let Some((name, category)) = variables.get(&model.variable_id) {
                paths.push((name.clone(), *category, to_path(model)?));
            }
        }
        // Preferred first: the order `preferred_path` uses.
        paths.sort_by(|a, b| b.2.priority.cmp(&a.2.priority).then(a.2.id.cmp(&b.2.id)));

        let mut live_variables: HashMap<String, Vec<Polled>> = HashMap::new();
        let mut unmapped = Vec::new();
        let mut points = Vec::new();
        let mut targets = Vec::new();
        for (name, category, path) in paths {
            let class = inner.config.poll.class_of(&name, category);
            // A path the planner could never read would fail the whole plan: `source` refuses
            // every Modbus target that does not fit one request, and such paths are set aside.
            let source = match inner.config.source(&path) {
                // A CAN path is read from the latest frame: nothing to plan.
                Ok(PathSource::Can { bus, .. }) if !inner.can.contains_key(&bus) => {
                    Err(format!("CAN bus {bus:?} is not running"))
                }
                Ok(source) => Ok(source),
                Err(error) => Err(error.to_string()),
            };
            match source {
                Ok(source) => {
                    if let PathSource::Modbus(target) = &source {
                        points.push(PollPoint {
                            key: targets.len() as u32,
                            device: target.bus.clone(),
                            unit_id: target.unit_id,
                            table: target.table,
                            address: target.address,
                            count: target.count(),
                            class,
                        });
                        targets.push((path.id, target.clone()));
                    }
                    live_variables.entry(name).or_default().push(Polled {
                        path_id: path.id,
                        source,
                        period: class.period(),
                    });
                }
                Err(reason) => unmapped.push((name, path.id, reason)),
            }
        }
        let plan = planner::plan(&points, &PlannerConfig::default())
            .map_err(|e| AppError::Internal(format!("poll plan: {e}")))?;
        // The poll loops key their results by path id (stable across re-plans), not by the
        // planner's point index. Path ids fit the planner's u32 keys for any real registry.
        let blocks: Vec<ReadBlock> = plan
            .blocks
            .into_iter()
            .map(|mut block| {
                for member in &mut block.members {
                    member.0 = u32::try_from(targets[member.0 as usize].0).unwrap_or(u32::MAX);
                }
                block
            })
            .collect();
        let mut groups: HashMap<(String, PollClass), Vec<ReadBlock>> = HashMap::new();
        for block in &blocks {
            groups
                .entry((block.device.clone(), block.class))
                .or_default()
                .push(block.clone());
        }
        let mut live = inner.live.write().unwrap_or_else(|e| e.into_inner());
        live.variables = live_variables;
        live.targets = targets.into_iter().collect();
        live.blocks = blocks;
        live.unmapped = unmapped;
        tracing::info!(
            blocks = live.blocks.len(),
            variables = live.variables.len(),
            unmapped = live.unmapped.len(),
            "field I/O: poll plan ready"
        );
        Ok(groups.into_values().collect())
    }

    /// One poll loop: reads its blocks every period of their class.
    async fn poll(self, blocks: Vec<ReadBlock>, cancel: CancellationToken) {
        let Ok(inner) = self.inner().cloned() else {
            return;
        };
        let Some(first) = blocks.first() else { return };
        let Some(bus) = inner.buses.get(&first.device).cloned() else {
            return;
        };
        let mut ticks = tokio::time::interval(first.class.period());
        // A slow device must not cause a burst of catch-up reads.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = ticks.tick() => {}
            }
            for block in &blocks {
                let result = bus
                    .read(block.unit_id, block.table, block.start, block.count)
                    .await;
                self.store(&inner, block, result);
            }
        }
    }

    fn store(
        &self,
        inner: &Inner,
        block: &ReadBlock,
        result: Result<Vec<u16>, devices::DeviceError>,
    ) {
        let mut guard = inner.live.write().unwrap_or_else(|e| e.into_inner());
        let live = &mut *guard;
        let now = unix_ms();
        for (path_id, offset) in &block.members {
            let path_id = i64::from(*path_id);
            // A block planned before the latest re-plan may name a path that is gone.
            let Some(target) = live.targets.get(&path_id) else {
                continue;
            };
            let reading = live.readings.entry(path_id).or_default();
            match &result {
                Ok(words) => {
                    let decoded = block
                        .words_of(words, *offset, target.count())
                        .ok_or_else(|| "short answer".to_string())
                        .and_then(|w| {
                            codec::decode_array(
                                w,
                                target.data_type,
                                target.word_order,
                                usize::from(target.elements),
                                target.scale,
                                0.0,
                            )
                            .map_err(|e| e.to_string())
                        });
                    match decoded {
                        Ok(values) => {
                            reading.values = values;
                            reading.at_ms = Some(now);
                            reading.error = None;
                        }
                        Err(error) => reading.error = Some(error),
                    }
                }
                Err(error) => reading.error = Some(error.to_string()),
            }
        }
    }

    /// Resolves when field I/O stops (at shutdown); at once when it is not configured.
    pub async fn stopped(&self) {
        if let Some(inner) = &self.inner {
            inner.stop.cancelled().await;
        }
    }

    /// Whether a field configuration is running.
    pub fn is_configured(&self) -> bool {
        self.inner.is_some()
    }

    /// Latest values of the named variables (unknown or unpolled names are left out).
    pub fn live(&self, names: &[String]) -> Vec<LiveValue> {
        let Some(inner) = &self.inner else {
            return Vec::new();
        };
        let live = inner.live.read().unwrap_or_else(|e| e.into_inner());
        let now = unix_ms();
        names
            .iter()
            .filter_map(|name| {
                let polled = live.variables.get(name)?;
                Some(live_value(
                    name,
                    polled,
                    |p| self.reading(inner, &live, p),
                    now,
                ))
            })
            .collect()
    }

    /// The latest reading of one polled path: the poll loop's for Modbus, the latest frame's
    /// for CAN.
    fn reading(&self, inner: &Inner, live: &Live, polled: &Polled) -> Option<Reading> {
        match &polled.source {
            PathSource::Modbus(_) => live.readings.get(&polled.path_id).cloned(),
            PathSource::Can { bus, signal } => {
                let monitor = inner.can.get(bus)?;
                match monitor.latest_value(signal) {
                    Ok(Some((value, age))) => Some(Reading {
                        values: vec![value],
                        at_ms: Some(unix_ms().saturating_sub(age.as_millis() as u64)),
                        error: None,
                    }),
                    Ok(None) => None,
                    Err(error) => Some(Reading {
                        values: Vec::new(),
                        at_ms: None,
                        error: Some(error.to_string()),
                    }),
                }
            }
        }
    }

    /// Reads the variable now, preferred path first, falling back to the next on failure.
    pub async fn read_now(
        &self,
        db: &DatabaseConnection,
        name: &str,
        rack: Option<i32>,
    ) -> Result<LiveValue, AppError> {
        let inner = self.inner()?;
        let mut failures = Vec::new();
        // Whether any device was asked: if none was, no path can be served under this
        // configuration (no data source, or too large for one request), and the answer is a
        // configuration problem, not a device failure.
        let mut asked_a_device = false;
        for path in readable_paths(db, name, rack).await? {
            let source = match inner.config.source(&path) {
                Ok(source) => source,
                Err(reason) => {
                    failures.push(format!("path {}: {reason}", path.id));
                    continue;
                }
            };
            asked_a_device = true;
            let read = match &source {
                PathSource::Modbus(target) => read_target(inner, target).await,
                PathSource::Can { bus, signal } => read_can(inner, bus, signal).await,
            };
            match read {
                Ok(values) => {
                    let source = if failures.is_empty() {
                        source.describe()
                    } else {
                        format!("{} (fallback: {})", source.describe(), failures.join("; "))
                    };
                    return Ok(LiveValue {
                        name: name.to_string(),
                        values,
                        quality: Quality::Good,
                        at_ms: Some(unix_ms()),
                        age_ms: Some(0),
                        path_id: Some(path.id),
                        source,
                        error: None,
                    });
                }
                Err(error) => failures.push(format!("path {}: {error}", path.id)),
            }
        }
        if failures.is_empty() {
            return Err(AppError::NotFound(format!("{name:?} has no active path")));
        }
        if asked_a_device {
            Err(AppError::Device(failures.join("; ")))
        } else {
            Err(AppError::NotConfigured(failures.join("; ")))
        }
    }

    /// Writes `values` through the best writable path, then reads back and compares. Refused,
    /// with the reason, before anything is sent when no path is writable or a value does not fit.
    pub async fn write(
        &self,
        db: &DatabaseConnection,
        name: &str,
        values: &[f64],
        rack: Option<i32>,
        actor: &str,
    ) -> Result<WriteOutcome, AppError> {
        let inner = self.inner()?;
        let preference = query::PathPreference {
            rack,
            access_type: None,
            writable: true,
        };
        let path = query::preferred_path(db, name, &preference)
            .await
            .map_err(|e| match e {
                AppError::NotFound(why) => AppError::validation("value", why),
                other => other,
            })?;
        let target = inner.config.target(&path).map_err(|error| match error {
            MappingError::NoSource(why) => AppError::NotConfigured(why),
            MappingError::Unsupported(why) => AppError::validation("value", why),
        })?;
        if !target.table.is_writable() {
            return Err(AppError::validation(
                "value",
                format!("path {} is a read-only {:?} table", path.id, target.table),
            ));
        }
        if values.len() != usize::from(target.elements) {
            return Err(AppError::validation(
                "value",
                format!(
                    "{name:?} takes {} value(s), got {}",
                    target.elements,
                    values.len()
                ),
            ));
        }
        let words = codec::encode_array(
            values,
            target.data_type,
            target.word_order,
            target.scale,
            0.0,
        )
        .map_err(|e| AppError::validation("value", e.to_string()))?;
        let bus = bus_of(inner, &target)?;
        let before = read_target(inner, &target).await?;
        bus.write(target.unit_id, target.table, target.address, &words)
            .await?;
        let read_back = read_target(inner, &target).await?;
        let confirmed = values.len() == read_back.len()
            && values
                .iter()
                .zip(&read_back)
                .all(|(w, r)| codec::same_value(*w, *r, target.data_type, target.scale));
        tracing::info!(%name, %actor, path = path.id, ?values, ?read_back, confirmed, "device write");
        Ok(WriteOutcome {
            name: name.to_string(),
            path_id: path.id,
            source: target.describe(),
            before,
            written: values.to_vec(),
            read_back,
            confirmed,
        })
    }

    /// The Modbus operation behind a path under this configuration, or why it has none.
    pub fn target_of(&self, path: &AccessPath) -> Result<Target, String> {
        match &self.inner {
            Some(inner) => inner.config.target(path).map_err(|e| e.to_string()),
            None => Err(NOT_CONFIGURED.into()),
        }
    }

    /// Reads `count` raw registers in one request.
    pub async fn read_registers(
        &self,
        bus: &str,
        unit_id: u8,
        table: devices::RegisterTable,
        start: u16,
        count: u16,
    ) -> Result<Vec<u16>, devices::DeviceError> {
        let handle = self.bus_handle(bus)?;
        handle.read(unit_id, table, start, count).await
    }

    /// Writes raw registers in one request.
    pub async fn write_registers(
        &self,
        bus: &str,
        unit_id: u8,
        table: devices::RegisterTable,
        start: u16,
        words: &[u16],
    ) -> Result<(), devices::DeviceError> {
        let handle = self.bus_handle(bus)?;
        handle.write(unit_id, table, start, words).await
    }

    fn bus_handle(&self, bus: &str) -> Result<&BusHandle, devices::DeviceError> {
        self.inner
            .as_ref()
            .and_then(|inner| inner.buses.get(bus))
            .ok_or_else(|| devices::DeviceError::Refused(format!("no bus named {bus:?}")))
    }

    /// Health of every bus, for the Buses page and the API.
    pub fn bus_stats(&self) -> Vec<BusStats> {
        let Some(inner) = &self.inner else {
            return Vec::new();
        };
        let mut stats: Vec<BusStats> = inner.buses.values().map(BusHandle::stats).collect();
        stats.sort_by(|a, b| a.name.cmp(&b.name));
        stats
    }

    /// Buses, planned reads and unreachable paths in the shape the Buses page shows.
    pub fn overview(&self) -> BusOverview {
        let (blocks, unmapped) = self.plan();
        BusOverview {
            configured: self.inner.is_some(),
            buses: self.bus_stats().into_iter().map(bus_view).collect(),
            can_buses: self.can_views(),
            blocks: blocks
                .into_iter()
                .map(|b| BlockView {
                    bus: b.device,
                    unit_id: b.unit_id,
                    table: format!("{:?}", b.table).to_lowercase(),
                    class: b.class.as_str().to_string(),
                    start: b.start,
                    count: b.count,
                    paths: b.members.len(),
                })
                .collect(),
            unmapped: unmapped
                .into_iter()
                .map(|(variable, path_id, reason)| UnmappedPath {
                    variable,
                    path_id,
                    reason,
                })
                .collect(),
        }
    }

    /// Health of every CAN bus and the ids heard on it.
    pub fn can_views(&self) -> Vec<CanBusView> {
        let Some(inner) = &self.inner else {
            return Vec::new();
        };
        let mut views: Vec<CanBusView> = inner
            .can
            .values()
            .map(|monitor| {
                let stats = monitor.stats();
                let (state, retry_in_ms) = match stats.state {
                    CanMonitorState::Opening => ("connecting", None),
                    CanMonitorState::Listening => ("connected", None),
                    CanMonitorState::BackingOff { retry_in_ms } => {
                        ("backing_off", Some(retry_in_ms))
                    }
                    CanMonitorState::Stopped => ("stopped", None),
                };
                CanBusView {
                    name: stats.name,
                    state: state.to_string(),
                    retry_in_ms,
                    frames: stats.frames,
                    frames_per_s: stats.frames_per_s,
                    errors: stats.errors,
                    last_errors: stats.last_errors.into_iter().rev().collect(),
                    ids: stats
                        .ids_seen
                        .into_iter()
                        .map(|seen| CanIdView {
                            id: seen.id,
                            extended: seen.extended,
                            frames: seen.frames,
                            age_ms: seen.age_ms,
                        })
                        .collect(),
                }
            })
            .collect();
        views.sort_by(|a, b| a.name.cmp(&b.name));
        views
    }

    /// The planned reads and the paths that cannot be polled, with the reason.
    pub fn plan(&self) -> (Vec<ReadBlock>, Vec<(String, i64, String)>) {
        let Some(inner) = &self.inner else {
            return (Vec::new(), Vec::new());
        };
        let live = inner.live.read().unwrap_or_else(|e| e.into_inner());
        (live.blocks.clone(), live.unmapped.clone())
    }
}

fn bus_view(stats: BusStats) -> BusView {
    let (state, retry_in_ms) = match stats.state {
        BusState::Connecting => ("connecting", None),
        BusState::Connected => ("connected", None),
        BusState::BackingOff { retry_in_ms } => ("backing_off", Some(retry_in_ms)),
        BusState::Stopped => ("stopped", None),
    };
    BusView {
        name: stats.name,
        endpoint: stats.endpoint,
        state: state.to_string(),
        retry_in_ms,
        requests: stats.requests,
        errors: stats.errors,
        timeouts: stats.timeouts,
        exceptions: stats.exceptions,
        framing_errors: stats.framing_errors,
        requests_per_s: stats.requests_per_s,
        errors_per_s: stats.errors_per_s,
        latency_p50_ms: stats.latency_p50_ms,
        latency_p99_ms: stats.latency_p99_ms,
        backing_off_units: stats.backing_off_units,
        last_errors: stats
            .last_errors
            .into_iter()
            .rev()
            .map(|e| BusErrorView {
                at_ms: e.at_ms,
                unit_id: e.unit_id,
                registers: e.registers,
                message: e.message,
            })
            .collect(),
    }
}

fn bus_of<'a>(inner: &'a Inner, target: &Target) -> Result<&'a BusHandle, AppError> {
    inner.buses.get(&target.bus).ok_or_else(|| {
        AppError::NotConfigured(format!("no bus named {:?} is configured", target.bus))
    })
}

async fn read_target(inner: &Inner, target: &Target) -> Result<Vec<f64>, devices::DeviceError> {
    let bus = inner
        .buses
        .get(&target.bus)
        .ok_or_else(|| devices::DeviceError::Refused(format!("no bus named {:?}", target.bus)))?;
    let words = bus
        .read(target.unit_id, target.table, target.address, target.count())
        .await?;
    codec::decode_array(
        &words,
        target.data_type,
        target.word_order,
        usize::from(target.elements),
        target.scale,
        0.0,
    )
}

/// Opens a configured CAN bus behind a monitor that reopens it after I/O errors.
fn open_can(name: &str, interface: &CanInterface, cancel: CancellationToken) -> Option<CanMonitor> {
    match interface.clone() {
        CanInterface::Slcan { path, bitrate } => Some(CanMonitor::spawn_reopening(
            name.to_string(),
            move || {
                let path = path.clone();
                async move { devices::can::slcan::SlcanBus::open_serial(&path, bitrate).await }
            },
            cancel,
        )),
        CanInterface::Builtin => {
            tracing::warn!(bus = name, "a builtin CAN bus exists only in demo mode");
            None
        }
        CanInterface::Socketcan { interface } => {
            // This server is built without SocketCAN (the `socketcan` feature of `devices`).
            tracing::error!(
                bus = name,
                %interface,
                "SocketCAN is not built into this server; use an slcan adapter"
            );
            None
        }
    }
}

/// Waits for the next frame of the signal's id and decodes it.
async fn read_can(
    inner: &Inner,
    bus: &str,
    signal: &CanSignal,
) -> Result<Vec<f64>, devices::DeviceError> {
    let monitor = inner
        .can
        .get(bus)
        .ok_or_else(|| devices::DeviceError::Refused(format!("CAN bus {bus:?} is not running")))?;
    let frame = monitor
        .next(signal.can_id, signal.extended, CAN_READ_TIMEOUT)
        .await?;
    Ok(vec![signal.decode(&frame)?])
}

/// Active paths of a variable that match the rack, preferred first.
async fn readable_paths(
    db: &DatabaseConnection,
    name: &str,
    rack: Option<i32>,
) -> Result<Vec<AccessPath>, AppError> {
    let variable = query::get_variable(db, name).await?;
    let mut paths: Vec<AccessPath> = variable
        .paths
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.active)
        .filter(|p| p.rack_number.is_none() || p.rack_number == rack)
        .collect();
    paths.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));
    Ok(paths)
}

/// The live value of one variable: its preferred path if that is good, else the best other.
fn live_value(
    name: &str,
    polled: &[Polled],
    reading_of: impl Fn(&Polled) -> Option<Reading>,
    now: u64,
) -> LiveValue {
    let graded: Vec<(&Polled, Option<Reading>, Quality)> = polled
        .iter()
        .map(|p| {
            let reading = reading_of(p);
            let quality = quality(reading.as_ref(), p.period, now);
            (p, reading, quality)
        })
        .collect();
    let rank = |q: Quality| match q {
        Quality::Good => 0,
        Quality::Stale => 1,
        Quality::Bad => 2,
    };
    let (chosen, reading, chosen_quality) = graded
        .iter()
        .min_by_key(|(_, _, q)| rank(*q))
        .cloned()
        .expect("a polled variable has at least one path");
    let preferred = &graded[0];
    let preferred_error = preferred.1.as_ref().and_then(|r| r.error.clone());
    let reading = reading.unwrap_or_default();
    let source = if chosen.path_id == preferred.0.path_id {
        chosen.source.describe()
    } else {
        format!(
            "{} (fallback: preferred path failed)",
            chosen.source.describe()
        )
    };
    LiveValue {
        name: name.to_string(),
        values: reading.values,
        quality: chosen_quality,
        at_ms: reading.at_ms,
        age_ms: reading.at_ms.map(|at| now.saturating_sub(at)),
        path_id: Some(chosen.path_id),
        source,
        error: preferred_error,
    }
}
