//! Views of field I/O for the Buses page and the API: bus and CAN health, the planned reads and
//! the paths that cannot be polled.

use devices::bus::{BusHandle, BusState, BusStats};
use devices::can::CanMonitorState;
use devices::planner::ReadBlock;

use super::FieldIo;
use model::field::{
    BlockView, BusErrorView, BusOverview, BusView, CanBusView, CanIdView, ConnectionState,
    UnmappedPath,
};

fn bus_view(stats: BusStats) -> BusView {
    let (state, retry_in_ms) = match stats.state {
        BusState::Connecting => (ConnectionState::Connecting, None),
        BusState::Connected => (ConnectionState::Connected, None),
        BusState::BackingOff { retry_in_ms } => (ConnectionState::BackingOff, Some(retry_in_ms)),
        BusState::Stopped => (ConnectionState::Stopped, None),
    };
    BusView {
        name: stats.name,
        endpoint: stats.endpoint,
        state,
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

impl FieldIo {
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
                .map(|(variable, path_id, reason, expected)| UnmappedPath {
                    variable,
                    path_id,
                    reason,
                    expected,
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
                    CanMonitorState::Opening => (ConnectionState::Connecting, None),
                    CanMonitorState::Listening => (ConnectionState::Connected, None),
                    CanMonitorState::BackingOff { retry_in_ms } => {
                        (ConnectionState::BackingOff, Some(retry_in_ms))
                    }
                    CanMonitorState::Stopped => (ConnectionState::Stopped, None),
                };
                CanBusView {
                    name: stats.name,
                    state,
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
    pub fn plan(&self) -> (Vec<ReadBlock>, Vec<super::Unmapped>) {
        let Some(inner) = &self.inner else {
            return (Vec::new(), Vec::new());
        };
        let live = inner.live.read().unwrap_or_else(|e| e.into_inner());
        (live.blocks.clone(), live.unmapped.clone())
    }
}
