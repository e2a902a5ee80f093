//! Protection limits as the browser, the API and the alarm engine see them: per protected
//! quantity (`soc`, `cell_voltage`, …) and side (`max`, `min`), three levels (warning, alert,
//! fault), each with a threshold, an on-delay, an off-delay and an enable, plus one hysteresis per
//! side. Also the flat field addressing the editor uses (`soc.max.alert.threshold`), the diff of
//! two sets, and the one validation function the browser and the server both run.
//!
//! # Wire format
//!
//! [`ProtectionsPayload`] reads the original prototype's payload unchanged:
//!
//! ```json
//! {"profile": "default",
//!  "protections": {"soc": {"max": {"hysteresis": 0.5,
//!                                  "warning": {"threshold": 95, "on_duration": 30,
//!                                              "off_duration": 60, "enabled": true}}}}}
//! ```
//!
//! Missing pieces are allowed and take these defaults: a missing side or level is "not
//! configured" (`None`); a missing `hysteresis` is 0; a missing `on_duration` / `off_duration`
//! is 0 s (act at once); a missing `enabled` is `true` (a threshold someone wrote down is meant
//! to work). `threshold` is required. Unknown keys inside a variable, side or level are rejected
//! (they are typos, e.g. `treshold`); unknown keys at the top of the payload are ignored.
//!
//! # Semantics (shared with the alarm engine)
//!
//! On the max side a level is crossed when `value >= threshold` and has recovered when
//! `value < threshold - hysteresis`; on the min side crossed when `value <= threshold`,
//! recovered when `value > threshold + hysteresis`. Durations are seconds.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::field::format_number;
use super::registry::FieldError;

// ------------------------------------------------------------------ sides and levels

/// Which way a limit protects: against values too high (`max`) or too low (`min`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Max,
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
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Alert,
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
}

/// Both sides of one protected quantity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
pub struct ProtectionsPayload {
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub protections: ProtectionSet,
}

// ------------------------------------------------------------------ flat field addressing

/// Which number (or flag) of a side or level a [`FieldPath`] points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitField {
    Threshold,
    OnDuration,
    OffDuration,
    Enabled,
    /// Per side; the only field without a level.
    Hysteresis,
}

impl LimitField {
    /// The fields of a level, in display order.
    pub const LEVEL_FIELDS: [LimitField; 4] = [
        LimitField::Threshold,
        LimitField::OnDuration,
        LimitField::OffDuration,
        LimitField::Enabled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LimitField::Threshold => "threshold",
            LimitField::OnDuration => "on_duration",
            LimitField::OffDuration => "off_duration",
            LimitField::Enabled => "enabled",
            LimitField::Hysteresis => "hysteresis",
        }
    }

    pub fn parse(text: &str) -> Option<LimitField> {
        [LimitField::Hysteresis]
            .into_iter()
            .chain(LimitField::LEVEL_FIELDS)
            .find(|f| f.as_str() == text)
    }
}

impl fmt::Display for LimitField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One editable field: `soc.max.alert.threshold`, `soc.max.hysteresis`. `level` is `None` exactly
/// when `field` is [`LimitField::Hysteresis`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FieldPath {
    pub variable: String,
    pub side: Side,
    pub level: Option<Level>,
    pub field: LimitField,
}

impl FieldPath {
    /// A field of a level (`field` must not be `Hysteresis`; [`FieldPath::is_well_formed`]).
    pub fn level(variable: impl Into<String>, side: Side, level: Level, field: LimitField) -> Self {
        FieldPath {
            variable: variable.into(),
            side,
            level: Some(level),
            field,
        }
    }

    /// The hysteresis of a side.
    pub fn hysteresis(variable: impl Into<String>, side: Side) -> Self {
        FieldPath {
            variable: variable.into(),
            side,
            level: None,
            field: LimitField::Hysteresis,
        }
    }

    /// A level is given exactly when the field is not the hysteresis.
    pub fn is_well_formed(&self) -> bool {
        self.level.is_some() != (self.field == LimitField::Hysteresis)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.level {
            Some(level) => write!(
                f,
                "{}.{}.{}.{}",
                self.variable, self.side, level, self.field
            ),
            None => write!(f, "{}.{}.{}", self.variable, self.side, self.field),
        }
    }
}

impl FromStr for FieldPath {
    type Err = String;

    /// `soc.max.alert.threshold` or `soc.max.hysteresis`.
    fn from_str(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split('.').collect();
        let bad =
            || format!("{text:?} is not a protection field path like soc.max.alert.threshold");
        let (variable, side, level, field) = match parts.as_slice() {
            [variable, side, field] => (*variable, *side, None, *field),
            [variable, side, level, field] => (
                *variable,
                *side,
                Some(Level::parse(level).ok_or_else(bad)?),
                *field,
            ),
            _ => return Err(bad()),
        };
        let path = FieldPath {
            variable: variable.to_string(),
            side: Side::parse(side).ok_or_else(bad)?,
            level,
            field: LimitField::parse(field).ok_or_else(bad)?,
        };
        if variable.is_empty() || !path.is_well_formed() {
            return Err(bad());
        }
        Ok(path)
    }
}

/// The value of one field: a number, or the `enabled` flag. JSON: a number or a boolean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Bool(bool),
    Number(f64),
}

impl FieldValue {
    /// Flags as 1 / 0 (how a device holds them).
    pub fn as_f64(self) -> f64 {
        match self {
            FieldValue::Bool(flag) => f64::from(u8::from(flag)),
            FieldValue::Number(number) => number,
        }
    }

    /// Equal, with NaN equal to NaN (a diff must not report an unchanged NaN).
    fn same(self, other: FieldValue) -> bool {
        match (self, other) {
            (FieldValue::Bool(a), FieldValue::Bool(b)) => a == b,
            (FieldValue::Number(a), FieldValue::Number(b)) => a == b || (a.is_nan() && b.is_nan()),
            _ => false,
        }
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Bool(flag) => write!(f, "{flag}"),
            FieldValue::Number(number) => f.write_str(&format_number(*number)),
        }
    }
}

/// One field that differs between two sets; `None` = the field (its level or side) is absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub path: FieldPath,
    pub old: Option<FieldValue>,
    pub new: Option<FieldValue>,
}

fn level_field(limit: &LevelLimit, field: LimitField) -> Option<FieldValue> {
    Some(match field {
        LimitField::Threshold => FieldValue::Number(limit.threshold),
        LimitField::OnDuration => FieldValue::Number(limit.on_duration),
        LimitField::OffDuration => FieldValue::Number(limit.off_duration),
        LimitField::Enabled => FieldValue::Bool(limit.enabled),
        LimitField::Hysteresis => return None,
    })
}

impl ProtectionSet {
    pub fn new() -> Self {
        ProtectionSet::default()
    }

    /// Every present field with its value: variables in name order, max before min, the
    /// hysteresis before the levels, levels least severe first, level fields in
    /// [`LimitField::LEVEL_FIELDS`] order.
    pub fn fields(&self) -> Vec<(FieldPath, FieldValue)> {
        let mut out = Vec::new();
        for (variable, limits) in &self.0 {
            for (side, side_limits) in limits.sides() {
                out.push((
                    FieldPath::hysteresis(variable.as_str(), side),
                    FieldValue::Number(side_limits.hysteresis),
                ));
                for (level, limit) in side_limits.levels() {
                    for field in LimitField::LEVEL_FIELDS {
                        if let Some(value) = level_field(limit, field) {
                            out.push((
                                FieldPath::level(variable.as_str(), side, level, field),
                                value,
                            ));
                        }
                    }
                }
            }
        }
        out
    }

    /// The value at `path`, or `None` when its variable, side or level is absent.
    pub fn get_field(&self, path: &FieldPath) -> Option<FieldValue> {
        let side = self.0.get(&path.variable)?.side(path.side)?;
        match path.level {
            None if path.field == LimitField::Hysteresis => {
                Some(FieldValue::Number(side.hysteresis))
            }
            None => None,
            Some(level) => level_field(side.level(level)?, path.field),
        }
    }

    /// Sets the value at `path`. A missing variable or side is created (hysteresis 0); a missing
    /// level is created only by setting its threshold (on/off delay 0, enabled). `enabled` takes
    /// a boolean, every other field a number.
    pub fn set_field(&mut self, path: &FieldPath, value: FieldValue) -> Result<(), FieldError> {
        let error = |message: &str| FieldError::new(path.to_string(), message);
        if !path.is_well_formed() {
            return Err(error(
                "a level field needs a level; the hysteresis has none",
            ));
        }
        match (path.field, value) {
            (LimitField::Enabled, FieldValue::Bool(_)) => {}
            (LimitField::Enabled, FieldValue::Number(_)) => {
                return Err(error("must be true or false"));
            }
            (_, FieldValue::Bool(_)) => return Err(error("must be a number")),
            (_, FieldValue::Number(_)) => {}
        }
        if let Some(level) = path.level.filter(|_| path.field != LimitField::Threshold) {
            let exists = self
                .0
                .get(&path.variable)
                .and_then(|v| v.side(path.side))
                .and_then(|s| s.level(level))
                .is_some();
            if !exists {
                return Err(error(
                    "set the threshold first: the level is not configured",
                ));
            }
        }
        let side = self
            .0
            .entry(path.variable.clone())
            .or_default()
            .side_mut(path.side)
            .get_or_insert_with(SideLimits::default);
        let Some(level) = path.level else {
            side.hysteresis = value.as_f64();
            return Ok(());
        };
        let limit = side
            .level_mut(level)
            .get_or_insert_with(|| LevelLimit::new(value.as_f64()));
        match (path.field, value) {
            (LimitField::Threshold, FieldValue::Number(n)) => limit.threshold = n,
            (LimitField::OnDuration, FieldValue::Number(n)) => limit.on_duration = n,
            (LimitField::OffDuration, FieldValue::Number(n)) => limit.off_duration = n,
            (LimitField::Enabled, FieldValue::Bool(b)) => limit.enabled = b,
            _ => unreachable!("field and value kinds were checked above"),
        }
        Ok(())
    }

    /// Removes a level (`Some`) or a whole side (`None`); a variable left with no side is
    /// removed too. Returns whether anything was removed.
    pub fn remove(&mut self, variable: &str, side: Side, level: Option<Level>) -> bool {
        let Some(limits) = self.0.get_mut(variable) else {
            return false;
        };
        let removed = match level {
            Some(level) => limits
                .side_mut(side)
                .as_mut()
                .is_some_and(|s| s.level_mut(level).take().is_some()),
            None => limits.side_mut(side).take().is_some(),
        };
        if limits.max.is_none() && limits.min.is_none() {
            self.0.remove(variable);
        }
        removed
    }

    /// What changed from `self` to `other` ([`diff`]).
    pub fn diff(&self, other: &ProtectionSet) -> Vec<FieldChange> {
        diff(self, other)
    }
}

/// The fields that differ from `a` to `b`, in [`FieldPath`] order; a field present on one side
/// only has `None` on the other.
pub fn diff(a: &ProtectionSet, b: &ProtectionSet) -> Vec<FieldChange> {
    let mut both: BTreeMap<FieldPath, (Option<FieldValue>, Option<FieldValue>)> = BTreeMap::new();
    for (path, value) in a.fields() {
        both.entry(path).or_default().0 = Some(value);
    }
    for (path, value) in b.fields() {
        both.entry(path).or_default().1 = Some(value);
    }
    both.into_iter()
        .filter(|(_, (old, new))| match (old, new) {
            (Some(old), Some(new)) => !old.same(*new),
            _ => true,
        })
        .map(|(path, (old, new))| FieldChange { path, old, new })
        .collect()
}

// ------------------------------------------------------------------ validation

/// What the registry knows about a protected quantity: its allowed range, when it has one, and
/// its units (for messages).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VariableInfo {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub units: String,
}

/// A broken rule: `path` is the most specific field (`soc.max.alert.threshold`,
/// `soc.max.hysteresis`, or just `soc` for an unknown quantity), `rule` a sentence for an operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationError {
    pub path: String,
    pub rule: String,
}

impl ValidationError {
    fn new(path: impl fmt::Display, rule: impl Into<String>) -> Self {
        ValidationError {
            path: path.to_string(),
            rule: rule.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.rule)
    }
}

impl From<ValidationError> for FieldError {
    fn from(error: ValidationError) -> Self {
        FieldError::new(error.path, error.rule)
    }
}

impl From<ValidationError> for crate::error::AppError {
    fn from(error: ValidationError) -> Self {
        crate::error::AppError::validation(error.path, error.rule)
    }
}

fn with_units(value: f64, units: &str) -> String {
    if units.is_empty() {
        format_number(value)
    } else {
        format!("{} {units}", format_number(value))
    }
}

/// Checks a set; empty means valid. The rules:
///
/// * every quantity must be known (`known` returns `Some`) — path `soc`;
/// * thresholds, delays and hysteresis must be finite numbers; delays and hysteresis not negative;
/// * thresholds inside the registry's range `[min, max]` when it has one (inclusive);
/// * among the **enabled** levels of a side, severity must grow outwards: on the max side
///   warning < alert < fault, on the min side warning > alert > fault (a disabled level is
///   skipped, so warning is then compared with fault) — the error names the more severe level;
/// * the hysteresis must not exceed the gap between consecutive enabled levels, so a level's
///   recovery point (`threshold ∓ hysteresis`) never passes the next less severe threshold. It may
///   touch it: recovery needs the value strictly past the recovery point, so at equality a level
///   clears no later than the value leaves the next level's band (the simulator's defaults, e.g.
///   soc max alert 98 / fault 100 with hysteresis 2, rely on this);
/// * every enabled level's recovery point must lie strictly inside the registry's range (else the
///   level could never clear) — path `….hysteresis`;
/// * the least severe enabled min-side threshold must be below the least severe enabled max-side
///   threshold (else some value would be "too high" and "too low" at once).
///
/// Ordering, gap and cross-side rules skip non-finite thresholds (those are reported once, as not
/// finite), so one mistake gives one error.
pub fn validate(
    set: &ProtectionSet,
    known: &dyn Fn(&str) -> Option<VariableInfo>,
) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    for (variable, limits) in set.iter() {
        let info = known(variable);
        if info.is_none() {
            errors.push(ValidationError::new(
                variable,
                "unknown quantity: not in the registry",
            ));
        }
        let info = info.unwrap_or_default();
        for (side, side_limits) in limits.sides() {
            validate_side(variable, side, side_limits, &info, &mut errors);
        }
        // Cross-side: the two least severe enabled levels must leave a normal band between them.
        let least = |side: Side| {
            limits
                .side(side)
                .and_then(|s| s.enabled_levels().find(|(_, l)| l.threshold.is_finite()))
        };
        if let (Some((max_level, max_limit)), Some((min_level, min_limit))) =
            (least(Side::Max), least(Side::Min))
            && min_limit.threshold >= max_limit.threshold
        {
            let path = FieldPath::level(
                variable.as_str(),
                Side::Min,
                min_level,
                LimitField::Threshold,
            );
            let max = with_units(max_limit.threshold, &info.units);
            errors.push(ValidationError::new(
                path,
                format!(
                    "must be below the max side's {max_level} ({max}): \
                     no value may be too high and too low at once"
                ),
            ));
        }
    }
    errors
}

fn validate_side(
    variable: &str,
    side: Side,
    limits: &SideLimits,
    info: &VariableInfo,
    errors: &mut Vec<ValidationError>,
) {
    let units = info.units.as_str();
    let hyst_path = FieldPath::hysteresis(variable, side);
    let hysteresis = limits.hysteresis;
    let hysteresis_ok = if !hysteresis.is_finite() {
        errors.push(ValidationError::new(&hyst_path, "must be a finite number"));
        false
    } else if hysteresis < 0.0 {
        errors.push(ValidationError::new(&hyst_path, "must not be negative"));
        false
    } else {
        true
    };

    for (level, limit) in limits.levels() {
        let path = |field| FieldPath::level(variable, side, level, field);
        let threshold = limit.threshold;
        if !threshold.is_finite() {
            errors.push(ValidationError::new(
                path(LimitField::Threshold),
                "must be a finite number",
            ));
        } else if let Some(min) = info.min.filter(|min| threshold < *min) {
            errors.push(ValidationError::new(
                path(LimitField::Threshold),
                format!(
                    "out of range: below the registry's minimum {}",
                    with_units(min, units)
                ),
            ));
        } else if let Some(max) = info.max.filter(|max| threshold > *max) {
            errors.push(ValidationError::new(
                path(LimitField::Threshold),
                format!(
                    "out of range: above the registry's maximum {}",
                    with_units(max, units)
                ),
            ));
        }
        for (field, seconds) in [
            (LimitField::OnDuration, limit.on_duration),
            (LimitField::OffDuration, limit.off_duration),
        ] {
            if !seconds.is_finite() {
                errors.push(ValidationError::new(
                    path(field),
                    "must be a finite number of seconds",
                ));
            } else if seconds < 0.0 {
                errors.push(ValidationError::new(path(field), "must not be negative"));
            }
        }
    }

    // Ordering and hysteresis gaps among consecutive enabled levels with finite thresholds.
    let enabled: Vec<(Level, f64)> = limits
        .enabled_levels()
        .map(|(level, limit)| (level, limit.threshold))
        .filter(|(_, threshold)| threshold.is_finite())
        .collect();
    let mut gap_reported = false;
    for pair in enabled.windows(2) {
        let [(lower, lower_t), (higher, higher_t)] = [pair[0], pair[1]];
        let ordered = match side {
            Side::Max => higher_t > lower_t,
            Side::Min => higher_t < lower_t,
        };
        if !ordered {
            let direction = match side {
                Side::Max => "above",
                Side::Min => "below",
            };
            errors.push(ValidationError::new(
                FieldPath::level(variable, side, higher, LimitField::Threshold),
                format!(
                    "must be {direction} {lower} ({})",
                    with_units(lower_t, units)
                ),
            ));
            continue;
        }
        let gap = (higher_t - lower_t).abs();
        if hysteresis_ok && !gap_reported && hysteresis > gap {
            gap_reported = true;
            errors.push(ValidationError::new(
                &hyst_path,
                format!(
                    "must be at most the gap between {lower} ({}) and {higher} ({}): {} — \
                     else {higher} would clear past {lower}'s threshold",
                    with_units(lower_t, units),
                    with_units(higher_t, units),
                    with_units(gap, units)
                ),
            ));
        }
    }

    // Recovery points must be reachable inside the registry's range.
    if hysteresis_ok {
        for (level, threshold) in &enabled {
            let recovery = side.recovery_point(*threshold, hysteresis);
            let outside = match side {
                Side::Max => info.min.filter(|min| recovery <= *min).map(|min| {
                    format!(
                        "at or below the registry's minimum {}",
                        with_units(min, units)
                    )
                }),
                Side::Min => info.max.filter(|max| recovery >= *max).map(|max| {
                    format!(
                        "at or above the registry's maximum {}",
                        with_units(max, units)
                    )
                }),
            };
            if let Some(outside) = outside {
                errors.push(ValidationError::new(
                    &hyst_path,
                    format!(
                        "too large: the recovery point of {level} ({}) is {outside}, \
                         so it could never clear",
                        with_units(recovery, units)
                    ),
                ));
                break;
            }
        }
    }
}

// ------------------------------------------------------------------ live alarm state

/// Where one level of one side stands in the alarm engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The original prototype's payload, unchanged.
    const PROTOTYPE: &str = r#"{
        "profile": "site-a",
        "protections": {
            "soc": {
                "max": {
                    "hysteresis": 0.5,
                    "warning": {"threshold": 95, "on_duration": 30, "off_duration": 60, "enabled": true},
                    "alert": {"threshold": 98, "on_duration": 10, "off_duration": 60, "enabled": true}
                },
                "min": {
                    "hysteresis": 0.5,
                    "warning": {"threshold": 10, "on_duration": 30, "off_duration": 60, "enabled": true},
                    "fault": {"threshold": 2, "on_duration": 1, "off_duration": 60, "enabled": false}
                }
            },
            "cell_temp": {"max": {"warning": {"threshold": 45}}}
        }
    }"#;

    fn soc_info() -> VariableInfo {
        VariableInfo {
            min: Some(0.0),
            max: Some(100.0),
            units: "%".into(),
        }
    }

    fn known_soc(name: &str) -> Option<VariableInfo> {
        match name {
            "soc" => Some(soc_info()),
            "cell_temp" => Some(VariableInfo::default()),
            _ => None,
        }
    }

    #[test]
    fn the_prototype_payload_reads_unchanged_with_documented_defaults() {
        let payload: ProtectionsPayload = serde_json::from_str(PROTOTYPE).unwrap();
        assert_eq!(payload.profile.as_deref(), Some("site-a"));
        let soc = &payload.protections["soc"];
        let max = soc.max.as_ref().unwrap();
        assert_eq!(max.hysteresis, 0.5);
        assert_eq!(
            max.warning,
            Some(LevelLimit {
                threshold: 95.0,
                on_duration: 30.0,
                off_duration: 60.0,
                enabled: true
            })
        );
        assert_eq!(max.fault, None);
        assert!(!soc.min.as_ref().unwrap().fault.unwrap().enabled);
        // Missing hysteresis, durations and enabled take their defaults.
        let temp = payload.protections["cell_temp"].max.as_ref().unwrap();
        assert_eq!(temp.hysteresis, 0.0);
        assert_eq!(temp.warning, Some(LevelLimit::new(45.0)));
        assert!(payload.protections["cell_temp"].min.is_none());
        assert_eq!(validate(&payload.protections, &known_soc), vec![]);

        // The profile is optional; a round trip keeps everything.
        let bare: ProtectionsPayload =
            serde_json::from_str(r#"{"protections": {"soc": {}}}"#).unwrap();
        assert_eq!(bare.profile, None);
        let text = serde_json::to_string(&payload).unwrap();
        assert_eq!(
            serde_json::from_str::<ProtectionsPayload>(&text).unwrap(),
            payload
        );
        // Typos inside the limits are rejected rather than silently defaulted.
        let typo =
            r#"{"protections": {"soc": {"max": {"warning": {"threshold": 1, "enabld": false}}}}}"#;
        assert!(serde_json::from_str::<ProtectionsPayload>(typo).is_err());
        let missing_threshold =
            r#"{"protections": {"soc": {"max": {"warning": {"on_duration": 1}}}}}"#;
        assert!(serde_json::from_str::<ProtectionsPayload>(missing_threshold).is_err());
    }

    /// The six quantities of `prot:sbmu:hold`, in raw device units, without ranges.
    fn known_device_quantity(name: &str) -> Option<VariableInfo> {
        let units = match name {
            "cell_voltage" => "mV",
            "pack_voltage" | "charge_current" | "discharge_current" => "0.1",
            "cell_temp" => "0.1 °C",
            "soc" => return Some(soc_info()),
            _ => return None,
        };
        Some(VariableInfo {
            min: None,
            max: None,
            units: units.into(),
        })
    }

    #[test]
    fn the_seeded_default_profile_is_valid() {
        let payload: ProtectionsPayload =
            serde_json::from_str(include_str!("../../examples/protections_default.json"))
                .unwrap();
        assert_eq!(payload.profile.as_deref(), Some("default"));
        assert_eq!(
            validate(&payload.protections, &known_device_quantity),
            vec![]
        );
        let sides: usize = payload
            .protections
            .values()
            .map(|v| v.sides().count())
            .sum();
        assert_eq!(payload.protections.len(), 6);
        assert_eq!(sides, 10);
        for (_, limits) in payload.protections.iter() {
            for (_, side) in limits.sides() {
                assert_eq!(side.levels().count(), 3);
            }
        }
    }

    #[test]
    fn enums_serialise_lowercase_and_parse_back() {
        assert_eq!(serde_json::to_string(&Side::Max).unwrap(), r#""max""#);
        assert_eq!(
            serde_json::to_string(&Level::Warning).unwrap(),
            r#""warning""#
        );
        assert_eq!(
            serde_json::to_string(&AlarmState::Recovering).unwrap(),
            r#""recovering""#
        );
        assert_eq!(
            serde_json::to_string(&LimitField::OnDuration).unwrap(),
            r#""on_duration""#
        );
        for side in Side::ALL {
            assert_eq!(Side::parse(side.as_str()), Some(side));
        }
        for level in Level::ALL {
            assert_eq!(Level::parse(level.as_str()), Some(level));
        }
    }

    #[test]
    fn field_paths_print_and_parse() {
        let alert = FieldPath::level("soc", Side::Max, Level::Alert, LimitField::Threshold);
        assert_eq!(alert.to_string(), "soc.max.alert.threshold");
        let hyst = FieldPath::hysteresis("soc", Side::Max);
        assert_eq!(hyst.to_string(), "soc.max.hysteresis");
        assert_eq!("soc.max.alert.threshold".parse(), Ok(alert));
        assert_eq!("soc.max.hysteresis".parse(), Ok(hyst));
        assert_eq!(
            "cell_voltage.min.fault.off_duration"
                .parse::<FieldPath>()
                .map(|p| p.to_string()),
            Ok("cell_voltage.min.fault.off_duration".to_string())
        );
        for bad in [
            "",
            "soc",
            "soc.max",
            "soc.up.hysteresis",
            "soc.max.threshold",
            "soc.max.alert.hysteresis",
            "soc.max.severe.threshold",
            ".max.hysteresis",
            "soc.max.alert.threshold.x",
        ] {
            assert!(bad.parse::<FieldPath>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn fields_get_set_and_diff() {
        let payload: ProtectionsPayload = serde_json::from_str(PROTOTYPE).unwrap();
        let set = payload.protections;
        let fields = set.fields();
        // cell_temp max: hysteresis + 4 fields; soc max: 1 + 2×4; soc min: 1 + 2×4.
        assert_eq!(fields.len(), 5 + 9 + 9);
        assert_eq!(fields[0].0.to_string(), "cell_temp.max.hysteresis");
        for (path, value) in &fields {
            assert_eq!(set.get_field(path), Some(*value), "{path}");
        }
        let path: FieldPath = "soc.max.alert.threshold".parse().unwrap();
        assert_eq!(set.get_field(&path), Some(FieldValue::Number(98.0)));
        assert_eq!(
            set.get_field(&"soc.max.fault.threshold".parse().unwrap()),
            None
        );

        let mut edited = set.clone();
        edited.set_field(&path, FieldValue::Number(97.0)).unwrap();
        edited
            .set_field(
                &"soc.min.fault.enabled".parse().unwrap(),
                FieldValue::Bool(true),
            )
            .unwrap();
        // A new level comes into being with its threshold, and only so.
        let on = "soc.max.fault.on_duration".parse().unwrap();
        assert!(edited.set_field(&on, FieldValue::Number(1.0)).is_err());
        edited
            .set_field(
                &"soc.max.fault.threshold".parse().unwrap(),
                FieldValue::Number(99.5),
            )
            .unwrap();
        edited.set_field(&on, FieldValue::Number(1.0)).unwrap();
        // Kinds are checked.
        assert!(edited.set_field(&path, FieldValue::Bool(true)).is_err());
        assert!(
            edited
                .set_field(
                    &"soc.max.alert.enabled".parse().unwrap(),
                    FieldValue::Number(1.0)
                )
                .is_err()
        );

        let changes = diff(&set, &edited);
        let printed: Vec<String> = changes
            .iter()
            .map(|c| {
                let show = |v: &Option<FieldValue>| v.map_or("—".to_string(), |v| v.to_string());
                format!("{} {} -> {}", c.path, show(&c.old), show(&c.new))
            })
            .collect();
        assert_eq!(
            printed,
            vec![
                "soc.max.alert.threshold 98 -> 97",
                "soc.max.fault.threshold — -> 99.5",
                "soc.max.fault.on_duration — -> 1",
                "soc.max.fault.off_duration — -> 0",
                "soc.max.fault.enabled — -> true",
                "soc.min.fault.enabled false -> true",
            ]
        );
        assert_eq!(set.diff(&set), vec![]);

        assert!(edited.remove("soc", Side::Max, Some(Level::Fault)));
        assert!(!edited.remove("soc", Side::Max, Some(Level::Fault)));
        assert!(edited.remove("cell_temp", Side::Max, None));
        assert!(!edited.contains_key("cell_temp"));
    }

    // -------------------------------------------------------------- validation table

    /// soc (0–100 %): max 90 / 95 / 98, hysteresis 2; min 10 / 5 / 2, hysteresis 1.
    fn base() -> ProtectionSet {
        let side = |h: f64, [w, a, f]: [f64; 3]| SideLimits {
            hysteresis: h,
            warning: Some(LevelLimit::new(w).with_delays(5.0, 10.0)),
            alert: Some(LevelLimit::new(a).with_delays(3.0, 10.0)),
            fault: Some(LevelLimit::new(f).with_delays(1.0, 10.0)),
        };
        let mut set = ProtectionSet::new();
        set.insert(
            "soc".into(),
            VariableLimits {
                max: Some(side(2.0, [90.0, 95.0, 98.0])),
                min: Some(side(1.0, [10.0, 5.0, 2.0])),
            },
        );
        set
    }

    fn set(set: &mut ProtectionSet, path: &str, value: f64) {
        let path: FieldPath = path.parse().unwrap();
        let value = if path.field == LimitField::Enabled {
            FieldValue::Bool(value != 0.0)
        } else {
            FieldValue::Number(value)
        };
        set.set_field(&path, value).unwrap();
    }

    #[test]
    fn validation_rules_name_the_most_specific_field() {
        type Edit = &'static [(&'static str, f64)];
        /// What, edits, expected path and rule keyword (`None`: valid).
        type Case = (&'static str, Edit, Option<(&'static str, &'static str)>);
        let cases: &[Case] = &[
            ("the base set", &[], None),
            (
                "unknown quantity",
                &[("bogus.max.warning.threshold", 1.0)],
                Some(("bogus", "unknown")),
            ),
            (
                "max alert below warning",
                &[("soc.max.alert.threshold", 89.0)],
                Some(("soc.max.alert.threshold", "above warning (90 %)")),
            ),
            (
                "max fault equal to alert",
                &[("soc.max.fault.threshold", 95.0)],
                Some(("soc.max.fault.threshold", "above alert")),
            ),
            (
                "min alert above warning",
                &[("soc.min.alert.threshold", 12.0)],
                Some(("soc.min.alert.threshold", "below warning (10 %)")),
            ),
            (
                "min fault above alert",
                &[("soc.min.fault.threshold", 6.0)],
                Some(("soc.min.fault.threshold", "below alert")),
            ),
            (
                "disabled alert is skipped by ordering",
                &[
                    ("soc.max.alert.threshold", 50.0),
                    ("soc.max.alert.enabled", 0.0),
                ],
                None,
            ),
            (
                "with alert disabled, fault is compared with warning",
                &[
                    ("soc.max.alert.enabled", 0.0),
                    ("soc.max.fault.threshold", 89.0),
                ],
                Some(("soc.max.fault.threshold", "above warning")),
            ),
            (
                "negative hysteresis",
                &[("soc.max.hysteresis", -1.0)],
                Some(("soc.max.hysteresis", "negative")),
            ),
            (
                "NaN hysteresis",
                &[("soc.min.hysteresis", f64::NAN)],
                Some(("soc.min.hysteresis", "finite")),
            ),
            (
                "hysteresis wider than a gap",
                &[("soc.max.hysteresis", 3.5)],
                Some((
                    "soc.max.hysteresis",
                    "gap between alert (95 %) and fault (98 %)",
                )),
            ),
            (
                "hysteresis equal to the gap touches, allowed",
                &[("soc.max.hysteresis", 3.0)],
                None,
            ),
            (
                "hysteresis gap counts enabled levels only",
                &[("soc.min.alert.enabled", 0.0), ("soc.min.hysteresis", 7.0)],
                None,
            ),
            (
                "max recovery point below the range",
                &[
                    ("soc.max.alert.enabled", 0.0),
                    ("soc.max.fault.enabled", 0.0),
                    ("soc.max.warning.threshold", 5.0),
                    ("soc.min.warning.enabled", 0.0),
                    ("soc.min.alert.enabled", 0.0),
                    ("soc.min.fault.enabled", 0.0),
                    ("soc.max.hysteresis", 5.0),
                ],
                Some(("soc.max.hysteresis", "recovery point of warning")),
            ),
            (
                "min recovery point above the range",
                &[
                    ("soc.min.alert.enabled", 0.0),
                    ("soc.min.fault.enabled", 0.0),
                    ("soc.min.hysteresis", 90.0),
                    ("soc.max.warning.enabled", 0.0),
                    ("soc.max.alert.enabled", 0.0),
                    ("soc.max.fault.enabled", 0.0),
                ],
                Some(("soc.min.hysteresis", "maximum 100 %")),
            ),
            (
                "threshold above the range",
                &[("soc.max.fault.threshold", 101.0)],
                Some(("soc.max.fault.threshold", "out of range")),
            ),
            (
                "threshold below the range",
                &[("soc.min.fault.threshold", -1.0)],
                Some(("soc.min.fault.threshold", "minimum 0 %")),
            ),
            (
                "range is inclusive",
                &[
                    ("soc.max.fault.threshold", 100.0),
                    ("soc.min.fault.threshold", 0.0),
                ],
                None,
            ),
            (
                "NaN threshold",
                &[("soc.max.alert.threshold", f64::NAN)],
                Some(("soc.max.alert.threshold", "finite")),
            ),
            (
                "infinite threshold",
                &[("soc.min.warning.threshold", f64::INFINITY)],
                Some(("soc.min.warning.threshold", "finite")),
            ),
            (
                "negative on-delay",
                &[("soc.max.warning.on_duration", -0.5)],
                Some(("soc.max.warning.on_duration", "negative")),
            ),
            (
                "NaN off-delay",
                &[("soc.min.fault.off_duration", f64::NAN)],
                Some(("soc.min.fault.off_duration", "finite")),
            ),
            (
                "infinite on-delay",
                &[("soc.max.fault.on_duration", f64::INFINITY)],
                Some(("soc.max.fault.on_duration", "finite")),
            ),
            (
                "negative delay on a disabled level still counts",
                &[
                    ("soc.max.fault.enabled", 0.0),
                    ("soc.max.fault.off_duration", -1.0),
                ],
                Some(("soc.max.fault.off_duration", "negative")),
            ),
            (
                "min side overlapping the max side",
                &[
                    ("soc.min.warning.threshold", 90.0),
                    ("soc.min.hysteresis", 0.0),
                ],
                Some(("soc.min.warning.threshold", "max side's warning (90 %)")),
            ),
        ];
        assert!(cases.len() >= 15);
        for (what, edits, expected) in cases {
            let mut s = base();
            for (path, value) in *edits {
                set(&mut s, path, *value);
            }
            let errors = validate(&s, &known_soc);
            match expected {
                None => assert_eq!(errors, vec![], "{what}"),
                Some((path, keyword)) => {
                    assert_eq!(errors.len(), 1, "{what}: {errors:#?}");
                    assert_eq!(errors[0].path, *path, "{what}: {errors:#?}");
                    assert!(
                        errors[0].rule.contains(keyword),
                        "{what}: {:?} lacks {keyword:?}",
                        errors[0].rule
                    );
                }
            }
        }
    }

    #[test]
    fn unknown_ranges_skip_the_range_rules_but_not_the_others() {
        let mut s = base();
        set(&mut s, "soc.max.fault.threshold", 1e6);
        set(&mut s, "soc.max.hysteresis", 3.0);
        let open = |_: &str| Some(VariableInfo::default());
        assert_eq!(validate(&s, &open), vec![]);
        set(&mut s, "soc.max.hysteresis", 6.0);
        let errors = validate(&s, &open);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "soc.max.hysteresis");
    }

    // -------------------------------------------------------------- property tests

    /// SplitMix64: small, seeded, deterministic.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform in [0, 1).
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }

        /// Uniform in [low, high], in steps of 0.001 (numbers an operator would type; they also
        /// survive a JSON round trip exactly).
        fn range(&mut self, low: f64, high: f64) -> f64 {
            milli(low + (high - low) * self.unit())
        }

        fn chance(&mut self, p: f64) -> bool {
            self.unit() < p
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn milli(x: f64) -> f64 {
        (x * 1000.0).round() / 1000.0
    }

    /// Quantities `q0`…`q3` with range 0–1000.
    fn known_q(name: &str) -> Option<VariableInfo> {
        name.strip_prefix('q').map(|_| VariableInfo {
            min: Some(0.0),
            max: Some(1000.0),
            units: String::new(),
        })
    }

    /// A random set, valid by construction: max thresholds grow outwards from 500–700, min ones
    /// from 100–300, gaps 5–50; disabled levels anywhere in range; hysteresis up to the smallest
    /// gap between consecutive enabled levels.
    fn valid_set(rng: &mut Rng) -> ProtectionSet {
        let mut set = ProtectionSet::new();
        for q in 0..1 + rng.below(4) {
            let mut limits = VariableLimits::default();
            for side in Side::ALL {
                if rng.chance(0.2) {
                    continue;
                }
                let mut side_limits = SideLimits::default();
                let mut threshold = match side {
                    Side::Max => rng.range(500.0, 700.0),
                    Side::Min => rng.range(100.0, 300.0),
                };
                let mut last_enabled: Option<f64> = None;
                let mut smallest_gap = f64::INFINITY;
                for level in Level::ALL {
                    let step = rng.range(5.0, 50.0);
                    if level != Level::Warning {
                        threshold = milli(
                            threshold
                                + match side {
                                    Side::Max => step,
                                    Side::Min => -step,
                                },
                        );
                    }
                    if rng.chance(0.15) {
                        continue; // not configured
                    }
                    let enabled = rng.chance(0.8);
                    let t = if enabled {
                        if let Some(previous) = last_enabled {
                            smallest_gap = smallest_gap.min((threshold - previous).abs());
                        }
                        last_enabled = Some(threshold);
                        threshold
                    } else {
                        rng.range(0.0, 1000.0)
                    };
                    *side_limits.level_mut(level) = Some(LevelLimit {
                        threshold: t,
                        on_duration: (rng.range(0.0, 60.0) * 10.0).round() / 10.0,
                        off_duration: rng.range(0.0, 60.0),
                        enabled,
                    });
                }
                // Round down to 0.001 so it never exceeds the gap.
                let mut cap = (smallest_gap.min(50.0) * 1000.0).floor();
                while cap / 1000.0 > smallest_gap {
                    cap -= 1.0; // the product rounded up to the next integer
                }
                side_limits.hysteresis = if rng.chance(0.1) {
                    cap / 1000.0
                } else {
                    (rng.unit() * cap).floor() / 1000.0
                };
                *limits.side_mut(side) = Some(side_limits);
            }
            // A quantity with no side has no fields: nothing a diff could express.
            if limits.max.is_some() || limits.min.is_some() {
                set.insert(format!("q{q}"), limits);
            }
        }
        set
    }

    #[test]
    fn random_valid_sets_validate_clean_and_round_trip() {
        let mut rng = Rng(0x5EED_0001);
        for case in 0..2_000 {
            let set = valid_set(&mut rng);
            assert_eq!(validate(&set, &known_q), vec![], "case {case}: {set:#?}");
            // JSON round trip.
            let text = serde_json::to_string(&set).unwrap();
            assert_eq!(serde_json::from_str::<ProtectionSet>(&text).unwrap(), set);
            // Rebuilding from the flat fields gives the same set, and no diff.
            let mut rebuilt = ProtectionSet::new();
            for (path, value) in set.fields() {
                rebuilt.set_field(&path, value).unwrap();
            }
            assert_eq!(rebuilt, set, "case {case}");
            assert_eq!(diff(&set, &rebuilt), vec![]);
        }
    }

    #[test]
    fn swapping_two_enabled_thresholds_always_breaks_that_side() {
        let mut rng = Rng(0x5EED_0002);
        let mut swapped = 0;
        for case in 0..3_000 {
            let mut set = valid_set(&mut rng);
            let candidates: Vec<(String, Side, Vec<Level>)> = set
                .iter()
                .flat_map(|(name, limits)| {
                    limits.sides().map(move |(side, s)| {
                        (
                            name.clone(),
                            side,
                            s.enabled_levels().map(|(l, _)| l).collect::<Vec<Level>>(),
                        )
                    })
                })
                .filter(|(_, _, levels)| levels.len() >= 2)
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let (name, side, levels) = &candidates[rng.below(candidates.len())];
            let i = rng.below(levels.len());
            let j = (i + 1 + rng.below(levels.len() - 1)) % levels.len();
            let side_limits = set.get_mut(name).unwrap().side_mut(*side).as_mut().unwrap();
            let a = side_limits.level(levels[i]).unwrap().threshold;
            let b = side_limits.level(levels[j]).unwrap().threshold;
            side_limits.level_mut(levels[i]).as_mut().unwrap().threshold = b;
            side_limits.level_mut(levels[j]).as_mut().unwrap().threshold = a;
            swapped += 1;
            let prefix = format!("{name}.{side}.");
            let errors = validate(&set, &known_q);
            assert!(
                errors
                    .iter()
                    .any(|e| e.path.starts_with(&prefix) && e.path.ends_with(".threshold")),
                "case {case}: swapping {} and {} on {name}.{side} went unnoticed: {errors:?}",
                levels[i],
                levels[j]
            );
        }
        assert!(swapped > 1_000, "only {swapped} swaps");
    }

    #[test]
    fn a_single_bad_number_is_reported_at_its_own_path() {
        let mut rng = Rng(0x5EED_0003);
        for case in 0..2_000 {
            let mut set = valid_set(&mut rng);
            let fields: Vec<FieldPath> = set
                .fields()
                .into_iter()
                .map(|(path, _)| path)
                .filter(|path| path.field != LimitField::Enabled)
                .collect();
            if fields.is_empty() {
                continue;
            }
            let path = &fields[rng.below(fields.len())];
            let bad = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][rng.below(3)];
            set.set_field(path, FieldValue::Number(bad)).unwrap();
            let errors = validate(&set, &known_q);
            let expected = path.to_string();
            assert_eq!(errors.len(), 1, "case {case}: {expected}: {errors:?}");
            assert_eq!(errors[0].path, expected, "case {case}");
            assert!(errors[0].rule.contains("finite"), "case {case}");
        }
    }

    #[test]
    fn diff_then_apply_reaches_the_other_set() {
        let mut rng = Rng(0x5EED_0004);
        for case in 0..1_000 {
            let a = valid_set(&mut rng);
            let b = valid_set(&mut rng);
            let changes = diff(&a, &b);
            assert_eq!(changes.is_empty(), a == b);
            // Apply: thresholds before other fields, removals of whole levels/sides last.
            let mut applied = a.clone();
            let mut ordered: Vec<&FieldChange> = changes.iter().collect();
            ordered.sort_by_key(|c| c.path.field != LimitField::Threshold);
            for change in &ordered {
                if let Some(new) = change.new {
                    applied.set_field(&change.path, new).unwrap();
                }
            }
            for change in &ordered {
                if change.new.is_none() {
                    let p = &change.path;
                    if b.get(&p.variable).and_then(|v| v.side(p.side)).is_none() {
                        applied.remove(&p.variable, p.side, None);
                    } else if let Some(level) = p.level {
                        applied.remove(&p.variable, p.side, Some(level));
                    }
                }
            }
            assert_eq!(applied, b, "case {case}");
        }
    }
}
