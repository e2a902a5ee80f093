//! The one validation of a protection set, run by the browser as the operator types and by the
//! server before anything is saved or deployed.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::field::format_number;
use crate::registry::FieldError;

use super::*;

// ------------------------------------------------------------------ validation

/// What the registry knows about a protected quantity: its allowed range, when it has one, and
/// its units (for messages).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariableInfo {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub units: String,
}

/// A broken rule is a [`FieldError`]: `field` is the most specific field
/// (`soc.max.alert.threshold`, `soc.max.hysteresis`, or just `soc` for an unknown quantity),
/// `message` a sentence for an operator.
fn broken(path: impl fmt::Display, rule: impl Into<String>) -> FieldError {
    FieldError::new(path.to_string(), rule)
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
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (variable, limits) in set.iter() {
        let info = known(variable);
        if info.is_none() {
            errors.push(broken(variable, "unknown quantity: not in the registry"));
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
            errors.push(broken(
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
    errors: &mut Vec<FieldError>,
) {
    let hysteresis_ok = check_hysteresis(variable, side, limits.hysteresis, errors);
    check_levels(variable, side, limits, info, errors);
    // Ordering, gaps and recovery points among the enabled levels with finite thresholds.
    let enabled: Vec<(Level, f64)> = limits
        .enabled_levels()
        .map(|(level, limit)| (level, limit.threshold))
        .filter(|(_, threshold)| threshold.is_finite())
        .collect();
    let side_info = SideInfo {
        variable,
        side,
        info,
        hysteresis: limits.hysteresis,
        hysteresis_ok,
    };
    check_ordering_and_gaps(&side_info, &enabled, errors);
    if hysteresis_ok {
        check_recovery_points(&side_info, &enabled, errors);
    }
}

/// What the ordering, gap and recovery checks of one side share.
struct SideInfo<'a> {
    variable: &'a str,
    side: Side,
    info: &'a VariableInfo,
    hysteresis: f64,
    /// The hysteresis is finite and not negative, so the checks that use it make sense.
    hysteresis_ok: bool,
}

/// The hysteresis must be a finite, non-negative number; returns whether it is.
fn check_hysteresis(
    variable: &str,
    side: Side,
    hysteresis: f64,
    errors: &mut Vec<FieldError>,
) -> bool {
    let hyst_path = FieldPath::hysteresis(variable, side);
    if !hysteresis.is_finite() {
        errors.push(broken(&hyst_path, "must be a finite number"));
        false
    } else if hysteresis < 0.0 {
        errors.push(broken(&hyst_path, "must not be negative"));
        false
    } else {
        true
    }
}

/// Each level's threshold within the registry's range and its delays finite and not negative
/// (disabled levels included).
fn check_levels(
    variable: &str,
    side: Side,
    limits: &SideLimits,
    info: &VariableInfo,
    errors: &mut Vec<FieldError>,
) {
    let units = info.units.as_str();
    for (level, limit) in limits.levels() {
        let path = |field| FieldPath::level(variable, side, level, field);
        let threshold = limit.threshold;
        if !threshold.is_finite() {
            errors.push(broken(
                path(LimitField::Threshold),
                "must be a finite number",
            ));
        } else if let Some(min) = info.min.filter(|min| threshold < *min) {
            errors.push(broken(
                path(LimitField::Threshold),
                format!(
                    "out of range: below the registry's minimum {}",
                    with_units(min, units)
                ),
            ));
        } else if let Some(max) = info.max.filter(|max| threshold > *max) {
            errors.push(broken(
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
                errors.push(broken(path(field), "must be a finite number of seconds"));
            } else if seconds < 0.0 {
                errors.push(broken(path(field), "must not be negative"));
            }
        }
    }
}

/// Consecutive enabled levels in order, and the hysteresis within the gap between them (the
/// first too-narrow gap only).
fn check_ordering_and_gaps(
    side_info: &SideInfo<'_>,
    enabled: &[(Level, f64)],
    errors: &mut Vec<FieldError>,
) {
    let SideInfo {
        variable,
        side,
        info,
        hysteresis,
        hysteresis_ok,
    } = *side_info;
    let units = info.units.as_str();
    let hyst_path = FieldPath::hysteresis(variable, side);
    let mut gap_reported = false;
    for pair in enabled.windows(2) {
        let [(lower, lower_t), (higher, higher_t)] = [pair[0], pair[1]];
        let ordered = match side {
            Side::Max => higher_t > lower_t,
            Side::Min => higher_t < lower_t,
        };
        if !ordered {
            // Said at both thresholds, each naming both values: the operator sees it at the
            // one they edited, whichever that was ("High warning 3620 mV must be below high
            // alert 3600 mV"), and both cells are marked.
            let (up, down) = match side {
                Side::Max => ("above", "below"),
                Side::Min => ("below", "above"),
            };
            let name = |level: Level, value: f64| {
                format!(
                    "{} {} {}",
                    side.label(),
                    level.label().to_lowercase(),
                    with_units(value, units)
                )
            };
            let lower_name = name(lower, lower_t);
            let higher_name = name(higher, higher_t);
            errors.push(broken(
                FieldPath::level(variable, side, higher, LimitField::Threshold),
                format!("{higher_name} must be {up} {}", lower_name.to_lowercase()),
            ));
            errors.push(broken(
                FieldPath::level(variable, side, lower, LimitField::Threshold),
                format!("{lower_name} must be {down} {}", higher_name.to_lowercase()),
            ));
            continue;
        }
        let gap = (higher_t - lower_t).abs();
        if hysteresis_ok && !gap_reported && hysteresis > gap {
            gap_reported = true;
            errors.push(broken(
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
}

/// Recovery points must be reachable inside the registry's range (the first that is not only).
fn check_recovery_points(
    side_info: &SideInfo<'_>,
    enabled: &[(Level, f64)],
    errors: &mut Vec<FieldError>,
) {
    let SideInfo {
        variable,
        side,
        info,
        hysteresis,
        ..
    } = *side_info;
    let units = info.units.as_str();
    let hyst_path = FieldPath::hysteresis(variable, side);
    for (level, threshold) in enabled {
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
            errors.push(broken(
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
