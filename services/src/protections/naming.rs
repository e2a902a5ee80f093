//! How a protection field is named among the device variables of the registry.
//!
//! The default rule matches the `prot:sbmu:hold` table (`examples/data_def.json`):
//!
//! | field        | template                                   | example                          |
//! |--------------|--------------------------------------------|----------------------------------|
//! | threshold    | `{variable}_{side}_{level}`                | `cell_voltage_max_warn`          |
//! | on-delay     | `{variable}_{side}_{level}_dur`            | `cell_voltage_max_warn_dur`      |
//! | off-delay    | `{variable}_{side}_{level}_off_dur`        | `cell_voltage_max_warn_off_dur`  |
//! | enable       | `{variable}_{side}_{level}_en`             | `cell_voltage_max_warn_en`       |
//! | hysteresis   | `{variable}_{side}_hyst`                   | `soc_min_hyst`                   |
//!
//! `{variable}` is the protected quantity (`cell_voltage`), `{side}` is `max` or `min`, and
//! `{level}` is the short level name `warn`, `alert` or `fault`. (The simulated BMS holds no
//! off-delays or enables: those names simply have no registry variable, and a recalled set keeps
//! the defaults — off-delay 0 s, enabled.)
//!
//! A site with other names configures its own templates (JSON, any field may be left out to keep
//! its default), e.g. `{"threshold": "prot_{variable}_{side}_{level}_lim"}`.

use serde::{Deserialize, Serialize};

use model::protections::{FieldPath, FieldValue, Level, LimitField, ProtectionSet, Side};

/// The short level name used in device variable names: `warn`, `alert`, `fault`.
pub fn level_short(level: Level) -> &'static str {
    match level {
        Level::Warning => "warn",
        Level::Alert => "alert",
        Level::Fault => "fault",
    }
}

/// Templates, one per field kind, with `{variable}`, `{side}` and `{level}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NamingRule {
    pub threshold: String,
    pub on_delay: String,
    pub off_delay: String,
    pub enabled: String,
    /// Per side: must not contain `{level}`.
    pub hysteresis: String,
}

impl Default for NamingRule {
    fn default() -> Self {
        NamingRule {
            threshold: "{variable}_{side}_{level}".into(),
            on_delay: "{variable}_{side}_{level}_dur".into(),
            off_delay: "{variable}_{side}_{level}_off_dur".into(),
            enabled: "{variable}_{side}_{level}_en".into(),
            hysteresis: "{variable}_{side}_hyst".into(),
        }
    }
}

/// Why a naming rule cannot name every protection field unambiguously.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NamingError {
    /// A template has a placeholder too often or not at all.
    #[error(
        "naming rule {rule} {template:?}: {placeholder} must appear {wanted} time(s), found {found}"
    )]
    Placeholder {
        rule: &'static str,
        template: String,
        placeholder: &'static str,
        wanted: usize,
        found: usize,
    },
    /// Two templates would give two fields the same variable name.
    #[error("naming rules {first} and {second} are the same")]
    SameTemplates {
        first: &'static str,
        second: &'static str,
    },
}

impl NamingRule {
    fn template(&self, field: LimitField) -> &str {
        match field {
            LimitField::Threshold => &self.threshold,
            LimitField::OnDuration => &self.on_delay,
            LimitField::OffDuration => &self.off_delay,
            LimitField::Enabled => &self.enabled,
            LimitField::Hysteresis => &self.hysteresis,
        }
    }

    /// Each template has `{variable}` and `{side}` exactly once; the level templates `{level}`
    /// exactly once, the hysteresis template none; no two templates are the same.
    pub fn check(&self) -> Result<(), NamingError> {
        let fields = [
            ("threshold", LimitField::Threshold),
            ("on_delay", LimitField::OnDuration),
            ("off_delay", LimitField::OffDuration),
            ("enabled", LimitField::Enabled),
            ("hysteresis", LimitField::Hysteresis),
        ];
        for (name, field) in fields {
            let template = self.template(field);
            let levels = usize::from(field != LimitField::Hysteresis);
            for (placeholder, wanted) in [("{variable}", 1), ("{side}", 1), ("{level}", levels)] {
                let found = template.matches(placeholder).count();
                if found != wanted {
                    return Err(NamingError::Placeholder {
                        rule: name,
                        template: template.to_string(),
                        placeholder,
                        wanted,
                        found,
                    });
                }
            }
        }
        for (i, (a, fa)) in fields.iter().enumerate() {
            for (b, fb) in &fields[i + 1..] {
                if self.template(*fa) == self.template(*fb) {
                    return Err(NamingError::SameTemplates {
                        first: a,
                        second: b,
                    });
                }
            }
        }
        Ok(())
    }

    /// The registry variable holding `path`, e.g. `soc.max.alert.on_duration` → `soc_max_alert_dur`.
    pub fn device_variable(&self, path: &FieldPath) -> String {
        let level = path.level.map_or("", level_short);
        self.template(path.field)
            .replace("{variable}", &path.variable)
            .replace("{side}", path.side.as_str())
            .replace("{level}", level)
    }

    /// The field a registry variable holds, or `None` when no template matches. When several
    /// readings are possible the one with the shortest quantity name wins (templates are tried
    /// with every side and level filled in; only `{variable}` is left to match).
    pub fn parse(&self, name: &str) -> Option<FieldPath> {
        let mut best: Option<FieldPath> = None;
        let mut consider = |field: LimitField, side: Side, level: Option<Level>| {
            let filled = self
                .template(field)
                .replace("{side}", side.as_str())
                .replace("{level}", level.map_or("", level_short));
            let (prefix, suffix) = filled.split_once("{variable}")?;
            let variable = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
            let plausible = !variable.is_empty()
                && variable
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if plausible
                && best
                    .as_ref()
                    .is_none_or(|b| variable.len() < b.variable.len())
            {
                best = Some(FieldPath {
                    variable: variable.to_string(),
                    side,
                    level,
                    field,
                });
            }
            Some(())
        };
        for side in Side::ALL {
            consider(LimitField::Hysteresis, side, None);
            for level in Level::ALL {
                for field in LimitField::LEVEL_FIELDS {
                    consider(field, side, Some(level));
                }
            }
        }
        best
    }

    /// Every field of `set` as (registry variable, value); enables as 1 / 0.
    pub fn device_values(&self, set: &ProtectionSet) -> Vec<(String, f64)> {
        set.fields()
            .into_iter()
            .map(|(path, value)| (self.device_variable(&path), value.as_f64()))
            .collect()
    }

    /// A set recalled from device variables (name, value); names that no template matches are
    /// returned separately. A level exists once its threshold is read; its other fields then
    /// fill in (missing delays stay 0 s, a missing enable stays true; an enable reads as
    /// value ≠ 0). Delays and enables of a level without threshold are ignored.
    pub fn recall<'a>(
        &self,
        values: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> (ProtectionSet, Vec<String>) {
        let mut unmatched = Vec::new();
        let mut parsed = Vec::new();
        for (name, value) in values {
            match self.parse(name) {
                Some(path) => parsed.push((path, value)),
                None => unmatched.push(name.to_string()),
            }
        }
        // Thresholds (which create levels) and hysteresis first.
        parsed.sort_by_key(|(path, _)| {
            !matches!(path.field, LimitField::Threshold | LimitField::Hysteresis)
        });
        let mut set = ProtectionSet::new();
        for (path, value) in parsed {
            let value = match path.field {
                LimitField::Enabled => FieldValue::Bool(value != 0.0),
                _ => FieldValue::Number(value),
            };
            // Only "level not configured" can fail here; such fields are dropped on purpose.
            let _ = set.set_field(&path, value);
        }
        (set, unmatched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> FieldPath {
        text.parse().unwrap()
    }

    #[test]
    fn the_default_rule_maps_both_ways() {
        let rule = NamingRule::default();
        rule.check().unwrap();
        for (field, name) in [
            (
                "cell_voltage.max.warning.threshold",
                "cell_voltage_max_warn",
            ),
            (
                "cell_voltage.max.warning.on_duration",
                "cell_voltage_max_warn_dur",
            ),
            (
                "cell_voltage.max.warning.off_duration",
                "cell_voltage_max_warn_off_dur",
            ),
            (
                "cell_voltage.max.warning.enabled",
                "cell_voltage_max_warn_en",
            ),
            ("soc.min.hysteresis", "soc_min_hyst"),
            (
                "discharge_current.max.fault.on_duration",
                "discharge_current_max_fault_dur",
            ),
            ("pack_voltage.min.alert.threshold", "pack_voltage_min_alert"),
        ] {
            assert_eq!(rule.device_variable(&path(field)), name, "{field}");
            assert_eq!(rule.parse(name), Some(path(field)), "{name}");
        }
        for foreign in [
            "rack_voltage",
            "soc",
            "max_warn",
            "_max_warn",
            "soc_max_warning",
            "soc_up_hyst",
        ] {
            assert_eq!(rule.parse(foreign), None, "{foreign}");
        }
    }

    #[test]
    fn every_prot_sbmu_hold_variable_parses_and_prints_back() {
        let defs: serde_json::Value =
            serde_json::from_str(include_str!("../../../examples/data_def.json")).unwrap();
        let table = defs
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == "prot:sbmu:hold")
            .unwrap();
        let rule = NamingRule::default();
        let mut count = 0;
        for item in table["items"].as_array().unwrap() {
            let name = item["name"].as_str().unwrap();
            let field = rule
                .parse(name)
                .unwrap_or_else(|| panic!("{name} does not parse"));
            assert_eq!(rule.device_variable(&field), name);
            count += 1;
        }
        assert_eq!(count, 70);
    }

    #[test]
    fn a_set_survives_a_trip_through_device_variables() {
        let payload: model::protections::ProtectionsPayload =
            serde_json::from_str(include_str!("../../../examples/protections_default.json"))
                .unwrap();
        let rule = NamingRule::default();
        let values = rule.device_values(&payload.protections);
        assert_eq!(values.len(), 10 * (1 + 3 * 4));
        assert!(values.contains(&("cell_temp_min_alert".to_string(), 2.0)));
        assert!(values.contains(&("soc_max_fault_en".to_string(), 1.0)));
        let mut input: Vec<(&str, f64)> = values.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        input.reverse(); // order does not matter
        input.push(("rack_voltage", 1.0));
        let (recalled, unmatched) = rule.recall(input);
        assert_eq!(recalled, payload.protections);
        assert_eq!(unmatched, vec!["rack_voltage".to_string()]);

        // The device table alone (no off-delays, no enables) recalls with the defaults.
        let (partial, _) = rule.recall([
            ("soc_max_warn", 95.0),
            ("soc_max_warn_dur", 5.0),
            ("soc_max_hyst", 2.0),
            ("soc_min_alert_dur", 3.0), // no threshold: dropped
        ]);
        let max = partial["soc"].max.as_ref().unwrap();
        assert_eq!(max.hysteresis, 2.0);
        let warning = max.warning.unwrap();
        assert_eq!(
            (warning.threshold, warning.on_duration, warning.off_duration),
            (95.0, 5.0, 0.0)
        );
        assert!(warning.enabled);
        assert!(partial["soc"].min.is_none());
    }

    #[test]
    fn custom_rules_deserialise_and_are_checked() {
        let rule: NamingRule =
            serde_json::from_str(r#"{"threshold": "prot_{variable}_{side}_{level}_lim"}"#).unwrap();
        assert_eq!(rule.on_delay, NamingRule::default().on_delay);
        rule.check().unwrap();
        let field = path("soc.max.fault.threshold");
        assert_eq!(rule.device_variable(&field), "prot_soc_max_fault_lim");
        assert_eq!(rule.parse("prot_soc_max_fault_lim"), Some(field));
        assert_eq!(rule.parse("soc_max_fault"), None);

        let no_level: NamingRule =
            serde_json::from_str(r#"{"enabled": "{variable}_{side}_en"}"#).unwrap();
        assert!(no_level.check().is_err());
        let clash: NamingRule =
            serde_json::from_str(r#"{"enabled": "{variable}_{side}_{level}_dur"}"#).unwrap();
        assert!(clash.check().is_err());
        assert!(serde_json::from_str::<NamingRule>(r#"{"treshold": "x"}"#).is_err());
    }
}
