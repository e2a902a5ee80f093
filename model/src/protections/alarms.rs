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

/// A protected quantity as last measured: what the alarm engine compares with the limits (the
/// measured variable's value times its factor). An array's high side sees its largest element,
/// its low side the smallest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Measured {
    pub quantity: String,
    /// The registry variable that measures it.
    pub variable: String,
    /// The largest element (what the high side sees); `None` without a reading.
    pub high: Option<f64>,
    /// The smallest element (what the low side sees); `None` without a reading.
    pub low: Option<f64>,
    /// Only a good value moves the alarm states; a stale or bad one holds them.
    pub quality: crate::field::Quality,
    /// How old the reading is, when there is one.
    pub age_ms: Option<u64>,
}

impl Measured {
    /// What `side` sees.
    pub fn on(&self, side: Side) -> Option<f64> {
        match side {
            Side::Max => self.high,
            Side::Min => self.low,
        }
    }
}

/// How many levels are raised (active or recovering), by severity, and how many of those no
/// operator has acknowledged: what the header of every page shows. It travels as four numbers
/// in text (`"1 0 0 1"`: warning, alert, fault, unacknowledged), in the page and in the alarm
/// stream's events, so the browser's main bundle needs no JSON for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlarmCounts {
    pub warning: u32,
    pub alert: u32,
    pub fault: u32,
    pub unacknowledged: u32,
}

impl AlarmCounts {
    /// Counts the raised levels of `rows` (`acknowledged` says whether an operator
    /// acknowledged each).
    pub fn of<'a>(rows: impl IntoIterator<Item = (&'a AlarmStateView, bool)>) -> AlarmCounts {
        let mut counts = AlarmCounts::default();
        for (view, acknowledged) in rows {
            if !view.state.is_raised() {
                continue;
            }
            match view.level {
                Level::Warning => counts.warning += 1,
                Level::Alert => counts.alert += 1,
                Level::Fault => counts.fault += 1,
            }
            if !acknowledged {
                counts.unacknowledged += 1;
            }
        }
        counts
    }

    pub fn total(&self) -> u32 {
        self.warning + self.alert + self.fault
    }

    /// The most severe level raised, if any.
    pub fn worst(&self) -> Option<Level> {
        if self.fault > 0 {
            Some(Level::Fault)
        } else if self.alert > 0 {
            Some(Level::Alert)
        } else if self.warning > 0 {
            Some(Level::Warning)
        } else {
            None
        }
    }

    /// In words, most severe first: "1 fault, 2 warnings", or "No alarms".
    pub fn in_words(&self) -> String {
        let plural = |n: u32, one: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {one}s")
            }
        };
        let parts: Vec<String> = [
            (self.fault, "fault"),
            (self.alert, "alert"),
            (self.warning, "warning"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, one)| plural(n, one))
        .collect();
        if parts.is_empty() {
            "No alarms".to_string()
        } else {
            parts.join(", ")
        }
    }
}

impl fmt::Display for AlarmCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.warning, self.alert, self.fault, self.unacknowledged
        )
    }
}

impl std::str::FromStr for AlarmCounts {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let numbers: Vec<u32> = text
            .split_whitespace()
            .map(|n| {
                n.parse::<u32>()
                    .map_err(|_| format!("not alarm counts: {text:?}"))
            })
            .collect::<Result<_, _>>()?;
        match numbers.as_slice() {
            [warning, alert, fault, unacknowledged] => Ok(AlarmCounts {
                warning: *warning,
                alert: *alert,
                fault: *fault,
                unacknowledged: *unacknowledged,
            }),
            _ => Err(format!("not alarm counts: {text:?}")),
        }
    }
}

#[cfg(test)]
mod counts_tests {
    use super::*;

    fn view(level: Level, state: AlarmState) -> AlarmStateView {
        AlarmStateView {
            variable: "soc".into(),
            side: Side::Max,
            level,
            threshold: 90.0,
            state,
            since_ms: None,
            remaining_ms: None,
            value: Some(95.0),
        }
    }

    #[test]
    fn raised_levels_are_counted_by_severity_and_travel_as_text() {
        let rows = [
            (view(Level::Warning, AlarmState::Active), false),
            (view(Level::Warning, AlarmState::Recovering), true),
            (view(Level::Alert, AlarmState::Pending), false),
            (view(Level::Fault, AlarmState::Active), false),
            (view(Level::Fault, AlarmState::Normal), false),
        ];
        let counts = AlarmCounts::of(rows.iter().map(|(v, a)| (v, *a)));
        assert_eq!(
            counts,
            AlarmCounts {
                warning: 2,
                alert: 0,
                fault: 1,
                unacknowledged: 2
            }
        );
        assert_eq!(counts.total(), 3);
        assert_eq!(counts.worst(), Some(Level::Fault));
        assert_eq!(counts.in_words(), "1 fault, 2 warnings");
        assert_eq!(counts.to_string(), "2 0 1 2");
        assert_eq!("2 0 1 2".parse::<AlarmCounts>(), Ok(counts));
        assert!("2 0".parse::<AlarmCounts>().is_err());
        assert_eq!(AlarmCounts::default().in_words(), "No alarms");
        assert_eq!(AlarmCounts::default().worst(), None);
    }
}
