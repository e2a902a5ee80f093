//! Sides, levels and the limits of one quantity: the set an operator edits and deploys.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Serialize};

/// Which way a limit protects: against values too high (`max`) or too low (`min`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
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
pub enum Side {
    #[cfg_attr(feature = "server", sea_orm(string_value = "max"))]
    Max,
    #[cfg_attr(feature = "server", sea_orm(string_value = "min"))]
    Min,
}

impl Side {
    pub const ALL: [Side; 2] = [Side::Max, Side::Min];

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Max => "max",
            Side::Min => "min",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Side::Max => "High",
            Side::Min => "Low",
        }
    }

    pub fn parse(text: &str) -> Option<Side> {
        Side::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// True when `value` is at or past `threshold` on this side.
    pub fn crossed(self, value: f64, threshold: f64) -> bool {
        match self {
            Side::Max => value >= threshold,
            Side::Min => value <= threshold,
        }
    }

    /// True when `value` is back past the recovery point `threshold ∓ hysteresis`.
    pub fn recovered(self, value: f64, threshold: f64, hysteresis: f64) -> bool {
        match self {
            Side::Max => value < threshold - hysteresis,
            Side::Min => value > threshold + hysteresis,
        }
    }

    /// Where a level at `threshold` clears: `threshold - hysteresis` (max) or `+` (min).
    pub fn recovery_point(self, threshold: f64, hysteresis: f64) -> f64 {
        match self {
            Side::Max => threshold - hysteresis,
            Side::Min => threshold + hysteresis,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How severe a crossing is, least severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
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
pub enum Level {
    #[cfg_attr(feature = "server", sea_orm(string_value = "warning"))]
    Warning,
    #[cfg_attr(feature = "server", sea_orm(string_value = "alert"))]
    Alert,
    #[cfg_attr(feature = "server", sea_orm(string_value = "fault"))]
    Fault,
}

impl Level {
    /// Least severe first.
    pub const ALL: [Level; 3] = [Level::Warning, Level::Alert, Level::Fault];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Alert => "alert",
            Level::Fault => "fault",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Warning => "Warning",
            Level::Alert => "Alert",
            Level::Fault => "Fault",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == text)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ------------------------------------------------------------------ limits

fn default_true() -> bool {
    true
}

/// One level of one side: trip at `threshold` after `on_duration` seconds, clear after the value
/// stayed past the recovery point for `off_duration` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LevelLimit {
    pub threshold: f64,
    /// Seconds the value must stay crossed before the level raises (missing = 0).
    #[serde(default)]
    pub on_duration: f64,
    /// Seconds the value must stay recovered before the level clears (missing = 0).
    #[serde(default)]
    pub off_duration: f64,
    /// A disabled level never fires and takes no part in the ordering rules (missing = true).
    #[serde(default = "default_true")]
    pub enabled: bool,
}

impl LevelLimit {
    /// An enabled level acting at once.
    pub fn new(threshold: f64) -> Self {
        LevelLimit {
            threshold,
            on_duration: 0.0,
            off_duration: 0.0,
            enabled: true,
        }
    }

    pub fn with_delays(mut self, on_duration: f64, off_duration: f64) -> Self {
        self.on_duration = on_duration;
        self.off_duration = off_duration;
        self
    }
}

/// The levels of one side and the hysteresis they share.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SideLimits {
    /// Missing = 0.
    #[serde(default)]
    pub hysteresis: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<LevelLimit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<LevelLimit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<LevelLimit>,
}

impl SideLimits {
    pub fn level(&self, level: Level) -> Option<&LevelLimit> {
        match level {
            Level::Warning => self.warning.as_ref(),
            Level::Alert => self.alert.as_ref(),
            Level::Fault => self.fault.as_ref(),
        }
    }

    pub fn level_mut(&mut self, level: Level) -> &mut Option<LevelLimit> {
        match level {
            Level::Warning => &mut self.warning,
            Level::Alert => &mut self.alert,
            Level::Fault => &mut self.fault,
        }
    }

    /// The configured levels, least severe first.
    pub fn levels(&self) -> impl Iterator<Item = (Level, &LevelLimit)> {
        Level::ALL
            .into_iter()
            .filter_map(|level| self.level(level).map(|limit| (level, limit)))
    }

    /// The enabled levels, least severe first.
    pub fn enabled_levels(&self) -> impl Iterator<Item = (Level, &LevelLimit)> {
        self.levels().filter(|(_, limit)| limit.enabled)
    }

    /// The most severe enabled level `value`, measured on `side`, is at or past (whatever the
    /// alarm engine's delays make of it).
    pub fn crossed_by(&self, side: Side, value: f64) -> Option<Level> {
        self.enabled_levels()
            .filter(|(_, limit)| side.crossed(value, limit.threshold))
            .map(|(level, _)| level)
            .max()
    }

    /// How far `value`, measured on `side`, is from the nearest enabled level it has not crossed
    /// (what the grid's "Now" column shows).
    pub fn margin(&self, side: Side, value: f64) -> Margin {
        let mut crossed: Option<Level> = None;
        let mut nearest: Option<(Level, f64)> = None;
        for (level, limit) in self.enabled_levels() {
            if side.crossed(value, limit.threshold) {
                crossed = crossed.max(Some(level));
                continue;
            }
            let distance = (limit.threshold - value).abs();
            if nearest.is_none_or(|(_, best)| distance < best) {
                nearest = Some((level, distance));
            }
        }
        match (nearest, crossed) {
            (Some((level, by)), _) => Margin::Short { level, by },
            (None, Some(level)) => Margin::Past(level),
            (None, None) => Margin::NoLevels,
        }
    }
}

/// Where a measurement stands against one side's enabled levels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Margin {
    /// `by` (in the quantity's units, above zero) short of `level`, the nearest level not crossed.
    Short { level: Level, by: f64 },
    /// At or past every enabled level; the most severe one is named.
    Past(Level),
    /// The side has no enabled level.
    NoLevels,
}

/// Both sides of one protected quantity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VariableLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<SideLimits>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<SideLimits>,
}

impl VariableLimits {
    pub fn side(&self, side: Side) -> Option<&SideLimits> {
        match side {
            Side::Max => self.max.as_ref(),
            Side::Min => self.min.as_ref(),
        }
    }

    pub fn side_mut(&mut self, side: Side) -> &mut Option<SideLimits> {
        match side {
            Side::Max => &mut self.max,
            Side::Min => &mut self.min,
        }
    }

    /// The configured sides, max first.
    pub fn sides(&self) -> impl Iterator<Item = (Side, &SideLimits)> {
        Side::ALL
            .into_iter()
            .filter_map(|side| self.side(side).map(|limits| (side, limits)))
    }
}

/// All protection limits, keyed by protected quantity (`soc`, `cell_voltage`, …). Serialises as
/// the plain map; derefs to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct ProtectionSet(pub BTreeMap<String, VariableLimits>);

impl Deref for ProtectionSet {
    type Target = BTreeMap<String, VariableLimits>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for ProtectionSet {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl FromIterator<(String, VariableLimits)> for ProtectionSet {
    fn from_iter<I: IntoIterator<Item = (String, VariableLimits)>>(iter: I) -> Self {
        ProtectionSet(iter.into_iter().collect())
    }
}

/// A named set of limits as saved, loaded and exchanged (`examples/protections_default.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProtectionsPayload {
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub protections: ProtectionSet,
}

#[cfg(test)]
mod margin_tests {
    use super::*;

    fn side(warning: f64, alert: f64, fault: f64) -> SideLimits {
        SideLimits {
            hysteresis: 1.0,
            warning: Some(LevelLimit::new(warning)),
            alert: Some(LevelLimit::new(alert)),
            fault: Some(LevelLimit::new(fault)),
        }
    }

    #[test]
    fn the_margin_is_to_the_nearest_level_not_crossed() {
        let high = side(90.0, 95.0, 98.0);
        let short = |value| high.margin(Side::Max, value);
        assert_eq!(
            short(80.0),
            Margin::Short {
                level: Level::Warning,
                by: 10.0
            }
        );
        // At the threshold counts as crossed (the engine's rule).
        assert_eq!(
            short(90.0),
            Margin::Short {
                level: Level::Alert,
                by: 5.0
            }
        );
        assert_eq!(short(98.0), Margin::Past(Level::Fault));
        assert_eq!(high.crossed_by(Side::Max, 80.0), None);
        assert_eq!(high.crossed_by(Side::Max, 96.0), Some(Level::Alert));
        assert_eq!(short(120.0), Margin::Past(Level::Fault));

        let low = side(20.0, 10.0, 5.0);
        assert_eq!(
            low.margin(Side::Min, 12.5),
            Margin::Short {
                level: Level::Alert,
                by: 2.5
            }
        );
        assert_eq!(low.margin(Side::Min, 4.0), Margin::Past(Level::Fault));
    }

    #[test]
    fn disabled_levels_are_not_a_margin() {
        let mut high = side(90.0, 95.0, 98.0);
        high.warning.as_mut().unwrap().enabled = false;
        high.fault = None;
        assert_eq!(
            high.margin(Side::Max, 91.0),
            Margin::Short {
                level: Level::Alert,
                by: 4.0
            }
        );
        assert_eq!(high.margin(Side::Max, 96.0), Margin::Past(Level::Alert));
        high.alert.as_mut().unwrap().enabled = false;
        assert_eq!(high.margin(Side::Max, 96.0), Margin::NoLevels);
    }
}
