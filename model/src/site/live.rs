//! What the site's adapters read from the field: one reading per quantity (and element), the
//! live state of every device with the adapter that serves it, and a pack's failover journal.

use serde::{Deserialize, Serialize};

use super::quantity::{Quantity, Unit};

/// One value an adapter read: a standard quantity, the element for a per-element quantity
/// (cell 0, 1, …; none for anything else), the value in the quantity's unit (none when the
/// device marks it as not implemented, as SunSpec does) and the unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reading {
    pub quantity: Quantity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u16>,
    pub value: Option<f64>,
    pub unit: Unit,
}

/// How fresh a live value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", schema(as = SiteValueQuality))]
pub enum Quality {
    /// Read in the device's last poll cycle.
    Good,
    /// Kept from an earlier cycle: the device has failed since (see `age_ms`).
    Stale,
}

/// One live value of a device: a reading with its quality and age.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SiteLiveValue))]
pub struct LiveValue {
    pub quantity: Quantity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u16>,
    pub value: Option<f64>,
    pub unit: Unit,
    pub quality: Quality,
    /// Milliseconds since the value was read.
    pub age_ms: u64,
    /// The adapter it was read through.
    pub adapter_id: String,
}

/// What a device's polling comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Not polled yet (the first cycle is under way).
    Waiting,
    /// Its adapter answered in the last cycle.
    Answering,
    /// Its adapter (every adapter of a pack) failed in the last cycle.
    Failing,
    /// Nothing to poll: no enabled adapter, or none this build can drive (`message` says which).
    NotPolled,
}

/// The kind of device a live state belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LiveDeviceKind {
    Inverter,
    BatteryPack,
    Meter,
}

/// Why a pack's readings moved to another adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "server",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
)]
#[cfg_attr(
    feature = "server",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::None)"
    )
)]
pub enum SwitchReason {
    /// The serving adapter failed N consecutive poll cycles: the next one takes over.
    #[cfg_attr(feature = "server", sea_orm(string_value = "failed"))]
    Failed,
    /// A preferred adapter (lower priority number) answered for the hold time: it serves again.
    #[cfg_attr(feature = "server", sea_orm(string_value = "recovered"))]
    Recovered,
}

/// One adapter of a pack's failover list, as the last cycles saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackAdapterLive {
    pub adapter_id: String,
    /// Lower wins: 1 is the primary.
    pub priority: i32,
    pub enabled: bool,
    /// Whether it serves the pack now.
    pub serving: bool,
    /// Whether it answered when last read; none when it is not read (a standby adapter after
    /// the serving one, or disabled).
    pub answering: Option<bool>,
    pub consecutive_failures: u32,
    /// Consecutive cycles it has answered (counts toward the hold time of a preferred adapter).
    pub consecutive_answers: u32,
    /// Its last error, in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A pack's failover: which adapter serves it, why, and the rules in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackFailover {
    /// The adapter the pack is read from; none when it has no enabled adapter.
    pub serving_adapter_id: Option<String>,
    /// Whether a later adapter than the first enabled one serves.
    pub failover_active: bool,
    /// Why this adapter serves, in plain words.
    pub why: String,
    /// Consecutive failed cycles after which the serving adapter is left.
    pub failures_to_switch: u32,
    /// Consecutive answered cycles a preferred adapter needs before it serves again.
    pub hold_cycles: u32,
    /// In priority order, lowest number first.
    pub adapters: Vec<PackAdapterLive>,
    /// The last switch of the journal, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_switch: Option<AdapterSwitch>,
}

/// One device's live state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveDevice {
    pub device_id: String,
    pub kind: LiveDeviceKind,
    pub state: DeviceState,
    /// The adapter that serves it (for a pack, the failover's choice).
    pub adapter_id: Option<String>,
    /// The adapter's type.
    pub adapter_type: Option<String>,
    /// e.g. "Modbus TCP 127.0.0.1:5020 unit 2".
    pub endpoint: Option<String>,
    /// The last error or why it is not polled, in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub consecutive_failures: u32,
    /// Milliseconds since the last successful read; none before the first.
    pub last_answer_ms_ago: Option<u64>,
    pub values: Vec<LiveValue>,
    /// Only for a battery pack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover: Option<PackFailover>,
}

/// Every device of one system, live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteLive {
    pub system_id: String,
    /// Poll cycles run since start.
    pub cycle: u64,
    pub period_ms: u64,
    /// The system version the devices were loaded at.
    pub site_version: i64,
    pub devices: Vec<LiveDevice>,
}

/// One row of a pack's failover journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdapterSwitch {
    pub id: i64,
    pub system_id: String,
    pub pack_id: String,
    pub from_adapter_id: Option<String>,
    pub to_adapter_id: Option<String>,
    pub reason: SwitchReason,
    pub detail: String,
    /// RFC 3339.
    pub at: String,
}

/// The body of `POST /api/v1/site/adapter-tests`: an adapter as a form holds it before it is
/// saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdapterTest {
    pub adapter_type: String,
    /// The instance configuration (settings left out take the schema's defaults).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub config: serde_json::Value,
    /// Milliseconds the whole test may take; default 5,000, at most 30,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

/// What `POST /api/v1/site/adapter-tests` answers: every reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdapterTestResult {
    pub adapter_type: String,
    /// e.g. "Modbus TCP 127.0.0.1:5020".
    pub endpoint: String,
    pub readings: Vec<Reading>,
}

/// How a device's live state reads on the Site page: a tone for its badge, one word and the
/// sentence behind it (which adapter serves it, and why; the error when it fails).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateSummary {
    pub tone: StateTone,
    pub label: &'static str,
    /// One short line: which adapter serves, or what fails.
    pub detail: String,
    /// Everything known, for the tooltip (a failover's whole why).
    pub full: String,
}

/// The colour of a state badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateTone {
    Good,
    Warn,
    Bad,
    Muted,
}

impl StateTone {
    /// The badge's CSS class.
    pub fn badge_class(self) -> &'static str {
        match self {
            StateTone::Good => "badge badge-good",
            StateTone::Warn => "badge badge-warn",
            StateTone::Bad => "badge badge-bad",
            StateTone::Muted => "badge",
        }
    }
}

impl LiveDevice {
    /// The device's state in a word and a sentence. A pack served by a later adapter than its
    /// first enabled one is in failover even while it answers (the sentence is the failover's
    /// own why): the operator should know.
    pub fn summary(&self) -> StateSummary {
        let via = || match (&self.adapter_id, &self.endpoint) {
            (Some(adapter), Some(endpoint)) => format!("via {adapter} ({endpoint})"),
            (Some(adapter), None) => format!("via {adapter}"),
            _ => String::new(),
        };
        let failover = self.failover.as_ref().filter(|f| f.failover_active);
        match self.state {
            DeviceState::Waiting => StateSummary::new(
                StateTone::Muted,
                "waiting",
                "the first poll cycle is under way".into(),
            ),
            DeviceState::Answering => match failover {
                Some(f) => StateSummary {
                    tone: StateTone::Warn,
                    label: "failover",
                    detail: f.in_short(),
                    full: f.why.clone(),
                },
                None => StateSummary::new(StateTone::Good, "answering", via()),
            },
            DeviceState::Failing => {
                let since = self.last_answer_ms_ago.map_or_else(
                    || "never answered".to_string(),
                    |ms| format!("last answer {} ago", crate::field::format_age(ms)),
                );
                let cycles = match self.consecutive_failures {
                    1 => "1 failed cycle".to_string(),
                    n => format!("{n} failed cycles"),
                };
                let message = self.message.as_deref().unwrap_or("no answer");
                StateSummary::new(
                    StateTone::Bad,
                    "failing",
                    format!("{message} · {cycles}, {since}"),
                )
            }
            DeviceState::NotPolled => StateSummary::new(
                StateTone::Muted,
                "not polled",
                self.message
                    .clone()
                    .unwrap_or_else(|| "no enabled adapter".into()),
            ),
        }
    }
}

impl StateSummary {
    fn new(tone: StateTone, label: &'static str, detail: String) -> StateSummary {
        StateSummary {
            tone,
            label,
            full: detail.clone(),
            detail,
        }
    }
}

impl PackFailover {
    /// The failover in one line: who serves, and how the preferred adapter is doing (`pack1_rtu
    /// serves · pack1_tcp failing: connection refused`, `… · pack1_tcp answered 3 of 5 cycles`).
    pub fn in_short(&self) -> String {
        let serving = self.serving_adapter_id.as_deref().unwrap_or("no adapter");
        let preferred = self
            .adapters
            .iter()
            .find(|a| a.enabled && Some(&a.adapter_id) != self.serving_adapter_id.as_ref());
        let Some(preferred) = preferred.filter(|p| !p.serving) else {
            return format!("{serving} serves");
        };
        let id = &preferred.adapter_id;
        if preferred.consecutive_answers > 0 {
            format!(
                "{serving} serves · {id} answered {} of {} cycles",
                preferred.consecutive_answers, self.hold_cycles
            )
        } else {
            let message = preferred.message.as_deref().unwrap_or("no answer");
            format!("{serving} serves · {id} failing: {message}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(state: DeviceState) -> LiveDevice {
        LiveDevice {
            device_id: "pack1".into(),
            kind: LiveDeviceKind::BatteryPack,
            state,
            adapter_id: Some("pack1_tcp".into()),
            adapter_type: Some("simulator_bms".into()),
            endpoint: Some("Modbus TCP 127.0.0.1:5021 unit 2".into()),
            message: None,
            consecutive_failures: 0,
            last_answer_ms_ago: Some(400),
            values: Vec::new(),
            failover: None,
        }
    }

    fn adapter(id: &str, priority: i32, serving: bool) -> PackAdapterLive {
        PackAdapterLive {
            adapter_id: id.into(),
            priority,
            enabled: true,
            serving,
            answering: Some(false),
            consecutive_failures: 2,
            consecutive_answers: 0,
            message: Some("connection refused".into()),
        }
    }

    fn failover(active: bool) -> PackFailover {
        PackFailover {
            serving_adapter_id: Some("pack1_rtu".into()),
            failover_active: active,
            why: "failover: pack1_tcp failed 2 cycles in a row; pack1_tcp is still failing".into(),
            failures_to_switch: 2,
            hold_cycles: 5,
            adapters: vec![
                adapter("pack1_tcp", 1, false),
                adapter("pack1_rtu", 2, true),
            ],
            last_switch: None,
        }
    }

    #[test]
    fn an_answering_device_says_which_adapter_serves_it() {
        let summary = device(DeviceState::Answering).summary();
        assert_eq!(summary.tone, StateTone::Good);
        assert_eq!(summary.label, "answering");
        assert_eq!(
            summary.detail,
            "via pack1_tcp (Modbus TCP 127.0.0.1:5021 unit 2)"
        );
    }

    #[test]
    fn a_pack_in_failover_warns_and_says_why_even_while_it_answers() {
        let mut pack = device(DeviceState::Answering);
        pack.adapter_id = Some("pack1_rtu".into());
        pack.endpoint = None;
        pack.failover = Some(failover(true));
        let summary = pack.summary();
        assert_eq!(summary.tone, StateTone::Warn);
        assert_eq!(summary.label, "failover");
        assert_eq!(
            summary.detail,
            "pack1_rtu serves · pack1_tcp failing: connection refused"
        );
        assert_eq!(
            summary.full,
            "failover: pack1_tcp failed 2 cycles in a row; pack1_tcp is still failing"
        );
        // The primary answers again and counts toward its hold time.
        let mut recovering = failover(true);
        recovering.adapters[0].consecutive_answers = 3;
        pack.failover = Some(recovering);
        assert_eq!(
            pack.summary().detail,
            "pack1_rtu serves · pack1_tcp answered 3 of 5 cycles"
        );
        pack.failover = Some(failover(false));
        assert_eq!(pack.summary().label, "answering");
    }

    #[test]
    fn a_failing_device_gives_its_error_cycles_and_last_answer() {
        let mut failing = device(DeviceState::Failing);
        failing.message = Some("connection refused".into());
        failing.consecutive_failures = 3;
        failing.last_answer_ms_ago = Some(12_000);
        let summary = failing.summary();
        assert_eq!(summary.tone, StateTone::Bad);
        assert_eq!(
            summary.detail,
            "connection refused · 3 failed cycles, last answer 12 s ago"
        );
        failing.last_answer_ms_ago = None;
        failing.consecutive_failures = 1;
        assert_eq!(
            failing.summary().detail,
            "connection refused · 1 failed cycle, never answered"
        );
    }

    #[test]
    fn waiting_and_unpolled_devices_are_muted() {
        assert_eq!(
            device(DeviceState::Waiting).summary().tone,
            StateTone::Muted
        );
        let mut idle = device(DeviceState::NotPolled);
        idle.message = Some("jkbms_ble is not drivable in this build".into());
        let summary = idle.summary();
        assert_eq!(summary.label, "not polled");
        assert_eq!(summary.detail, "jkbms_ble is not drivable in this build");
        assert_eq!(StateTone::Muted.badge_class(), "badge");
    }
}
