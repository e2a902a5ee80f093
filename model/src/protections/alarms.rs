//! Live alarm states as the console shows them.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::*;

// ------------------------------------------------------------------ live alarm state

/// Where one level of one side stands in the alarm engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AlarmState {
    /// Not crossed.
    Normal,
    /// Crossed; the on-delay is running.
    Pending,
    /// Raised.
    Active,
    /// Raised, and back past the recovery point; the off-delay is running.
    Recovering,
}

impl AlarmState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Normal => "normal",
            AlarmState::Pending => "pending",
            AlarmState::Active => "active",
            AlarmState::Recovering => "recovering",
        }
    }

    /// Raised as far as an operator is concerned (active or recovering).
    pub fn is_raised(self) -> bool {
        matches!(self, AlarmState::Active | AlarmState::Recovering)
    }
}

impl fmt::Display for AlarmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One enabled level as the Alarms view shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlarmStateView {
    pub variable: String,
    pub side: Side,
    pub level: Level,
    pub threshold: f64,
    pub state: AlarmState,
    /// How long the level has been in `state`; `None` while normal since the engine started.
    pub since_ms: Option<u64>,
    /// Time left on the running delay: the on-delay while pending, the off-delay while
    /// recovering; `None` otherwise.
    pub remaining_ms: Option<u64>,
    /// The latest sample of the quantity, if any.
    pub value: Option<f64>,
}
