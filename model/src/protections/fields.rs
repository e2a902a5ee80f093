//! Flat field addressing (`soc.max.alert.threshold`), field values and the diff of two sets.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::field::format_number;
use crate::registry::FieldError;

use super::*;

// ------------------------------------------------------------------ flat field addressing

/// Which number (or flag) of a side or level a [`FieldPath`] points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub path: FieldPath,
    pub old: Option<FieldValue>,
    pub new: Option<FieldValue>,
}

/// A level's value of `field` (`None` for the hysteresis, which is the side's).
pub(super) fn level_field(limit: &LevelLimit, field: LimitField) -> Option<FieldValue> {
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
