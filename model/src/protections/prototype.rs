//! The original prototype's protections payloads (`POST /api/protections`, `.../deploy`, `GET
//! /api/protections?source=`) as its clients send and read them, and the check that turns a
//! posted payload into the fields it names. Limits are in engineering units, as everywhere.
//!
//! The prototype's Pydantic models, field for field:
//!
//! ```text
//! ProtectionLimitIn  {threshold: float, on_duration: float, off_duration: float, enabled: bool = True}
//! ProtectionSideIn   {hysteresis: float = 0.0, warning?, alert?, fault?: ProtectionLimitIn}
//! ProtectionConfigIn {profile?: str, protections: {var_name: {"max"|"min": ProtectionSideIn}}}
//! ```
//!
//! Powerdeck saves only what a payload names (the prototype replaced the whole profile): a posted
//! level replaces that level, a posted `hysteresis` that side's hysteresis; everything else of
//! the profile is kept, and a side posted without `hysteresis` keeps the one it has (0 for a new
//! side). Unknown sides, levels and keys are refused, each with its path.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fields::level_field;
use super::{FieldPath, FieldValue, LevelLimit, LimitField, ProtectionSet, Side};
use crate::registry::FieldError;

fn default_true() -> bool {
    true
}

/// One level as the prototype posts it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProtectionLimitIn {
    pub threshold: f64,
    /// Seconds.
    pub on_duration: f64,
    /// Seconds.
    pub off_duration: f64,
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Keys the prototype does not know (reported as errors, e.g. a typo `treshold`).
    #[serde(flatten, skip_serializing)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

impl ProtectionLimitIn {
    fn limit(&self) -> LevelLimit {
        LevelLimit {
            threshold: self.threshold,
            on_duration: self.on_duration,
            off_duration: self.off_duration,
            enabled: self.enabled,
        }
    }
}

/// One side (`max` or `min`) as the prototype posts it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProtectionSideIn {
    /// Missing: the side keeps its hysteresis (0 for a new side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hysteresis: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<ProtectionLimitIn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<ProtectionLimitIn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<ProtectionLimitIn>,
    /// Keys the prototype does not know (reported as errors, e.g. a level `severe`).
    #[serde(flatten, skip_serializing)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

/// The body of `POST /api/protections` and `POST /api/protections/deploy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProtectionConfigIn {
    /// Missing: the active profile.
    #[serde(default)]
    pub profile: Option<String>,
    /// Quantity → side (`max`, `min`) → hysteresis and levels.
    pub protections: BTreeMap<String, BTreeMap<String, ProtectionSideIn>>,
}

/// The answer of a prototype save or deploy: `{"ok": true, "profile": ..., "message": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProtectionsOk {
    pub ok: bool,
    /// The profile the limits were saved to.
    pub profile: String,
    /// `Protections saved` or `Protections deployed`.
    pub message: String,
}

impl ProtectionsOk {
    pub fn saved(profile: impl Into<String>) -> Self {
        ProtectionsOk {
            ok: true,
            profile: profile.into(),
            message: "Protections saved".into(),
        }
    }

    pub fn deployed(profile: impl Into<String>) -> Self {
        ProtectionsOk {
            ok: true,
            profile: profile.into(),
            message: "Protections deployed".into(),
        }
    }
}

/// Where a prototype recall reads: the active profile or the factory defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PrototypeSource {
    Current,
    Default,
}

impl PrototypeSource {
    /// `current` (also when empty) or `default`.
    pub fn parse(text: &str) -> Option<PrototypeSource> {
        match text {
            "current" | "" => Some(PrototypeSource::Current),
            "default" => Some(PrototypeSource::Default),
            _ => None,
        }
    }
}

/// The answer of `GET /api/protections?source=current|default`:
/// `{"source", "profile", "protections": {var: {side: {hysteresis, warning: {...}, ...}}}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeRecall {
    pub source: PrototypeSource,
    /// The profile the limits belong to (for `default`: the seeded default profile, or the
    /// active one when the factory defaults are laid into it).
    pub profile: String,
    pub protections: ProtectionSet,
}

/// The fields a checked payload names, in the order they apply (a level's threshold first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostedFields(pub Vec<(FieldPath, FieldValue)>);

impl PostedFields {
    /// `set` with the posted fields laid over it.
    pub fn apply_to(&self, set: &ProtectionSet) -> Result<ProtectionSet, FieldError> {
        let mut merged = set.clone();
        for (path, value) in &self.0 {
            merged.set_field(path, *value)?;
        }
        Ok(merged)
    }

    /// The field paths, e.g. for reporting what a deploy wrote.
    pub fn paths(&self) -> impl Iterator<Item = &FieldPath> {
        self.0.iter().map(|(path, _)| path)
    }
}

impl ProtectionConfigIn {
    /// The fields the payload names, or every unknown side, level and key with its path in the
    /// body (`protections.soc.up`, `protections.soc.max.severe`,
    /// `protections.soc.max.warning.treshold`).
    pub fn posted_fields(&self) -> Result<PostedFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fields = Vec::new();
        for (quantity, sides) in &self.protections {
            let at = format!("protections.{quantity}");
            if quantity.is_empty() || quantity.contains('.') {
                errors.push(FieldError::new(
                    &at,
                    "a quantity name is not empty and has no '.'",
                ));
                continue;
            }
            for (side_name, side_in) in sides {
                let at = format!("{at}.{side_name}");
                let Some(side) = Side::parse(side_name) else {
                    errors.push(FieldError::new(&at, "unknown side: expected max or min"));
                    continue;
                };
                side_fields(quantity, side, side_in, &at, &mut fields, &mut errors);
            }
        }
        if errors.is_empty() {
            Ok(PostedFields(fields))
        } else {
            Err(errors)
        }
    }
}

fn side_fields(
    quantity: &str,
    side: Side,
    side_in: &ProtectionSideIn,
    at: &str,
    fields: &mut Vec<(FieldPath, FieldValue)>,
    errors: &mut Vec<FieldError>,
) {
    for key in side_in.unknown.keys() {
        errors.push(FieldError::new(
            format!("{at}.{key}"),
            "unknown key: expected hysteresis, warning, alert or fault",
        ));
    }
    if let Some(hysteresis) = side_in.hysteresis {
        fields.push((
            FieldPath::hysteresis(quantity, side),
            FieldValue::Number(hysteresis),
        ));
    }
    let levels = [
        (super::Level::Warning, &side_in.warning),
        (super::Level::Alert, &side_in.alert),
        (super::Level::Fault, &side_in.fault),
    ];
    for (level, posted) in levels {
        let Some(posted) = posted else { continue };
        for key in posted.unknown.keys() {
            errors.push(FieldError::new(
                format!("{at}.{level}.{key}"),
                "unknown key: expected threshold, on_duration, off_duration or enabled",
            ));
        }
        let limit = posted.limit();
        for field in LimitField::LEVEL_FIELDS {
            if let Some(value) = level_field(&limit, field) {
                fields.push((FieldPath::level(quantity, side, level, field), value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protections::{Level, SideLimits, VariableLimits};

    /// The seed's test script's body.
    const SEED: &str = r#"{"protections":{"soc":{"max":{"hysteresis":0.5,"warning":{"threshold":95,"on_duration":30,"off_duration":60,"enabled":true}}}}}"#;

    #[test]
    fn the_seed_payload_names_the_hysteresis_and_the_warning_level() {
        let config: ProtectionConfigIn = serde_json::from_str(SEED).unwrap();
        assert_eq!(config.profile, None);
        let posted = config.posted_fields().unwrap();
        let printed: Vec<String> = posted
            .0
            .iter()
            .map(|(path, value)| format!("{path}={value}"))
            .collect();
        assert_eq!(
            printed,
            vec![
                "soc.max.hysteresis=0.5",
                "soc.max.warning.threshold=95",
                "soc.max.warning.on_duration=30",
                "soc.max.warning.off_duration=60",
                "soc.max.warning.enabled=true",
            ]
        );
    }

    #[test]
    fn posted_fields_replace_what_they_name_and_keep_the_rest() {
        let mut profile = ProtectionSet::new();
        let side = |h: f64, w: f64, a: f64| SideLimits {
            hysteresis: h,
            warning: Some(LevelLimit::new(w)),
            alert: Some(LevelLimit::new(a)),
            fault: None,
        };
        profile.insert(
            "soc".into(),
            VariableLimits {
                max: Some(side(2.0, 90.0, 95.0)),
                min: Some(side(1.0, 10.0, 5.0)),
            },
        );
        let config: ProtectionConfigIn = serde_json::from_str(SEED).unwrap();
        let merged = config.posted_fields().unwrap().apply_to(&profile).unwrap();
        let max = merged["soc"].max.as_ref().unwrap();
        assert_eq!(max.hysteresis, 0.5);
        assert_eq!(
            max.warning,
            Some(LevelLimit::new(95.0).with_delays(30.0, 60.0))
        );
        assert_eq!(max.alert, Some(LevelLimit::new(95.0)), "alert kept");
        assert_eq!(merged["soc"].min, profile["soc"].min, "min side kept");

        // A side posted without hysteresis keeps its own.
        let no_hyst: ProtectionConfigIn = serde_json::from_str(
            r#"{"protections": {"soc": {"min": {"fault": {"threshold": 2, "on_duration": 1, "off_duration": 5}}}}}"#,
        )
        .unwrap();
        let merged = no_hyst.posted_fields().unwrap().apply_to(&profile).unwrap();
        let min = merged["soc"].min.as_ref().unwrap();
        assert_eq!(min.hysteresis, 1.0);
        assert_eq!(min.fault.unwrap().threshold, 2.0);
        assert!(min.fault.unwrap().enabled, "enabled defaults to true");
        assert_eq!(
            min.level(Level::Warning),
            profile["soc"].min.as_ref().unwrap().level(Level::Warning)
        );
    }

    #[test]
    fn every_unknown_side_level_and_key_is_reported_with_its_path() {
        let config: ProtectionConfigIn = serde_json::from_str(
            r#"{"protections": {
                "soc": {"up": {}, "max": {"severe": {}, "warning": {"treshold": 1, "threshold": 2, "on_duration": 0, "off_duration": 0}}},
                "cell_temp": {"min": {"hysteresis": 1, "fault": {"threshold": 0, "on_duration": 0, "off_duration": 0, "colour": "red"}}}
            }}"#,
        )
        .unwrap();
        let errors = config.posted_fields().unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "protections.cell_temp.min.fault.colour",
                "protections.soc.max.severe",
                "protections.soc.max.warning.treshold",
                "protections.soc.up",
            ]
        );
        assert!(errors[3].message.contains("max or min"));
    }

    #[test]
    fn required_level_fields_are_required_and_the_answers_serialise_as_the_prototype_s() {
        let missing = r#"{"protections": {"soc": {"max": {"warning": {"threshold": 1}}}}}"#;
        assert!(serde_json::from_str::<ProtectionConfigIn>(missing).is_err());
        assert!(serde_json::from_str::<ProtectionConfigIn>(r#"{"profile": "x"}"#).is_err());
        assert_eq!(
            serde_json::to_value(ProtectionsOk::saved("default")).unwrap(),
            serde_json::json!({"ok": true, "profile": "default", "message": "Protections saved"})
        );
        assert_eq!(
            PrototypeSource::parse("default"),
            Some(PrototypeSource::Default)
        );
        assert_eq!(PrototypeSource::parse("device"), None);
    }
}
