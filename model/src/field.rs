//! Live values and device writes as the browser and the API see them.

use serde::{Deserialize, Serialize};

/// How much a live value can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// Read successfully within three poll periods.
    Good,
    /// The last good reading is older than three poll periods.
    Stale,
    /// No good reading: the device failed or the path cannot be read.
    Bad,
}

impl Quality {
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Good => "good",
            Quality::Stale => "stale",
            Quality::Bad => "bad",
        }
    }
}

/// The latest value of one variable and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveValue {
    pub name: String,
    /// One value per element (`num` elements for arrays); empty when there is no good reading.
    pub values: Vec<f64>,
    pub quality: Quality,
    /// Unix time (ms) of the reading the values come from.
    pub at_ms: Option<u64>,
    /// How old that reading was when this answer was made (server clock).
    #[serde(default)]
    pub age_ms: Option<u64>,
    /// The access path that delivered it.
    pub path_id: Option<i64>,
    /// Plain words, e.g. "modbus bms unit 2 input 2" or "… (fallback: preferred path failed)".
    pub source: String,
    /// Why the preferred path has no good value, if it has none.
    pub error: Option<String>,
}

/// What a write did: where it went, what was written, and what the device holds now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WriteOutcome {
    pub name: String,
    pub path_id: i64,
    pub source: String,
    pub before: Vec<f64>,
    pub written: Vec<f64>,
    pub read_back: Vec<f64>,
    /// The read-back equals the written values within the encoding's resolution.
    pub confirmed: bool,
}

/// How a bus (Modbus or CAN) stands with its device or interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Opening the connection (or, for CAN, the interface).
    Connecting,
    /// Connected (for CAN: listening).
    Connected,
    /// Waiting before the next attempt after a failure.
    BackingOff,
    Stopped,
}

impl ConnectionState {
    /// The spelling sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Connecting => "connecting",
            ConnectionState::Connected => "connected",
            ConnectionState::BackingOff => "backing_off",
            ConnectionState::Stopped => "stopped",
        }
    }
}

/// One bus as the Buses page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BusView {
    pub name: String,
    pub endpoint: String,
    pub state: ConnectionState,
    /// While backing off: when the next attempt is made.
    pub retry_in_ms: Option<u64>,
    pub requests: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub exceptions: u64,
    pub framing_errors: u64,
    pub requests_per_s: f64,
    pub errors_per_s: f64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    /// (unit id, ms until its next attempt).
    pub backing_off_units: Vec<(u8, u64)>,
    pub last_errors: Vec<BusErrorView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BusErrorView {
    pub at_ms: u64,
    pub unit_id: u8,
    pub registers: String,
    pub message: String,
}

/// One planned block read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockView {
    pub bus: String,
    pub unit_id: u8,
    pub table: String,
    pub class: String,
    pub start: u16,
    pub count: u16,
    /// How many access paths the block serves.
    pub paths: usize,
}

/// A path the field configuration cannot reach, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnmappedPath {
    pub variable: String,
    pub path_id: i64,
    pub reason: String,
    /// True when the configuration simply says nothing about where the path's data lives (no
    /// bus for its device, no data source for its table): expected on a site that does not
    /// read those. False for a path that can never be read as asked (a fault to fix).
    #[serde(default)]
    pub expected: bool,
}

/// Paths that are not polled for the same reason, with how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappedGroup {
    pub reason: String,
    pub expected: bool,
    pub variables: Vec<String>,
}

/// The Buses page's first line: whether everything is healthy, or what is not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusVerdict {
    pub healthy: bool,
    pub headline: String,
    /// One line per problem, most important first.
    pub problems: Vec<String>,
}

impl BusOverview {
    /// The not-polled paths grouped by their reason, faults first, then by count.
    pub fn unmapped_groups(&self) -> Vec<UnmappedGroup> {
        let mut groups: Vec<UnmappedGroup> = Vec::new();
        for path in &self.unmapped {
            match groups.iter_mut().find(|g| g.reason == path.reason) {
                Some(group) => group.variables.push(path.variable.clone()),
                None => groups.push(UnmappedGroup {
                    reason: path.reason.clone(),
                    expected: path.expected,
                    variables: vec![path.variable.clone()],
                }),
            }
        }
        groups.sort_by(|a, b| {
            a.expected
                .cmp(&b.expected)
                .then(b.variables.len().cmp(&a.variables.len()))
                .then(a.reason.cmp(&b.reason))
        });
        groups
    }

    /// "All 2 buses healthy", or "2 problems" with each said: a bus that is not connected, a
    /// path that can never be read. Paths of tables without a data source are expected and
    /// not problems.
    pub fn verdict(&self) -> BusVerdict {
        let mut problems = Vec::new();
        for bus in &self.buses {
            match bus.state {
                ConnectionState::Connected => {}
                ConnectionState::BackingOff => problems.push(format!(
                    "bus {} ({}) does not answer: backing off",
                    bus.name, bus.endpoint
                )),
                ConnectionState::Connecting => {
                    problems.push(format!("bus {} ({}) is connecting", bus.name, bus.endpoint))
                }
                ConnectionState::Stopped => problems.push(format!("bus {} is stopped", bus.name)),
            }
            if !bus.backing_off_units.is_empty() {
                let units: Vec<String> = bus
                    .backing_off_units
                    .iter()
                    .map(|(unit, _)| unit.to_string())
                    .collect();
                problems.push(format!(
                    "bus {}: unit {} does not answer",
                    bus.name,
                    units.join(", ")
                ));
            }
        }
        for bus in &self.can_buses {
            if bus.state != ConnectionState::Connected {
                problems.push(format!(
                    "CAN bus {} is {}",
                    bus.name,
                    bus.state.as_str().replace('_', " ")
                ));
            }
        }
        for group in self.unmapped_groups().iter().filter(|g| !g.expected) {
            let n = group.variables.len();
            problems.push(format!(
                "{n} path{} cannot be polled: {}",
                if n == 1 { "" } else { "s" },
                group.reason
            ));
        }
        let buses = self.buses.len() + self.can_buses.len();
        let headline = match problems.len() {
            _ if !self.configured => "No field configuration: nothing is polled.".to_string(),
            0 if buses == 1 => "The bus is healthy.".to_string(),
            0 => format!("All {buses} buses healthy."),
            1 => format!("1 problem: {}.", problems[0]),
            n => format!("{n} problems."),
        };
        BusVerdict {
            healthy: self.configured && problems.is_empty(),
            headline,
            problems,
        }
    }
}

/// Everything the Buses page shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BusOverview {
    /// False when the server runs without a field configuration.
    pub configured: bool,
    pub buses: Vec<BusView>,
    pub can_buses: Vec<CanBusView>,
    pub blocks: Vec<BlockView>,
    pub unmapped: Vec<UnmappedPath>,
}

/// One CAN bus as the Buses page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CanBusView {
    pub name: String,
    pub state: ConnectionState,
    pub retry_in_ms: Option<u64>,
    pub frames: u64,
    pub frames_per_s: f64,
    pub errors: u64,
    /// Newest first.
    pub last_errors: Vec<String>,
    pub ids: Vec<CanIdView>,
}

/// One CAN id heard on a bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CanIdView {
    pub id: u32,
    pub extended: bool,
    pub frames: u64,
    pub age_ms: u64,
}

/// A number as an operator reads it: integers without decimals, others with at most three.
pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The values of a live reading in one short cell: `3212`, or `3212 … ×16` for arrays.
pub fn format_values(values: &[f64]) -> String {
    match values {
        [] => "—".to_string(),
        [one] => format_number(*one),
        [first, ..] => format!("{} … ×{}", format_number(*first), values.len()),
    }
}

/// An age in plain words: `0.4 s`, `12 s`, `3 min`, `2 h`.
pub fn format_age(ms: u64) -> String {
    match ms {
        0..10_000 => format!("{:.1} s", ms as f64 / 1000.0),
        10_000..120_000 => format!("{} s", ms / 1000),
        120_000..7_200_000 => format!("{} min", ms / 60_000),
        _ => format!("{} h", ms / 3_600_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_values_and_ages_read_plainly() {
        assert_eq!(format_number(3212.0), "3212");
        assert_eq!(format_number(50.02), "50.02");
        assert_eq!(format_number(-12.30000001), "-12.3");
        assert_eq!(format_values(&[]), "—");
        assert_eq!(format_values(&[3212.0, 3215.0]), "3212 … ×2");
        assert_eq!(format_age(420), "0.4 s");
        assert_eq!(format_age(42_000), "42 s");
        assert_eq!(format_age(180_000), "3 min");
        assert_eq!(format_age(9_000_000), "2 h");
    }

    fn bus(name: &str, state: ConnectionState) -> BusView {
        BusView {
            name: name.into(),
            endpoint: "127.0.0.1:5020".into(),
            state,
            retry_in_ms: None,
            requests: 0,
            errors: 0,
            timeouts: 0,
            exceptions: 0,
            framing_errors: 0,
            requests_per_s: 0.0,
            errors_per_s: 0.0,
            latency_p50_ms: None,
            latency_p99_ms: None,
            backing_off_units: Vec::new(),
            last_errors: Vec::new(),
        }
    }

    fn unmapped(variable: &str, reason: &str, expected: bool) -> UnmappedPath {
        UnmappedPath {
            variable: variable.into(),
            path_id: 1,
            reason: reason.into(),
            expected,
        }
    }

    #[test]
    fn the_verdict_names_each_problem_and_leaves_expected_gaps_out() {
        let no_source = "memory table \"oper:sbmu:input\" has no data source";
        let mut overview = BusOverview {
            configured: true,
            buses: vec![
                bus("site", ConnectionState::Connected),
                bus("pack", ConnectionState::Connected),
            ],
            can_buses: Vec::new(),
            blocks: Vec::new(),
            unmapped: vec![
                unmapped("a", no_source, true),
                unmapped("b", no_source, true),
                unmapped("c", "needs 200 registers", false),
            ],
        };
        let groups = overview.unmapped_groups();
        assert_eq!(groups.len(), 2);
        assert!(!groups[0].expected, "faults first");
        assert_eq!(groups[1].variables, vec!["a", "b"]);
        let verdict = overview.verdict();
        assert!(!verdict.healthy);
        assert_eq!(
            verdict.headline,
            "1 problem: 1 path cannot be polled: needs 200 registers."
        );

        overview.unmapped.pop();
        let verdict = overview.verdict();
        assert!(verdict.healthy);
        assert_eq!(verdict.headline, "All 2 buses healthy.");

        overview.buses[1].state = ConnectionState::BackingOff;
        overview.buses[0].backing_off_units = vec![(3, 500)];
        let verdict = overview.verdict();
        assert_eq!(verdict.headline, "2 problems.");
        assert_eq!(
            verdict.problems,
            vec![
                "bus site: unit 3 does not answer",
                "bus pack (127.0.0.1:5020) does not answer: backing off"
            ]
        );
    }

    #[test]
    fn connection_states_are_spelled_as_before() {
        for state in [
            ConnectionState::Connecting,
            ConnectionState::Connected,
            ConnectionState::BackingOff,
            ConnectionState::Stopped,
        ] {
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
        }
    }
}
