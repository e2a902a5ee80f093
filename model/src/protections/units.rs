//! The register step a registry variable's units declare: a device register that holds a limit
//! in tenths of a degree says so in its units (`0.1 °C`). Limits are in the quantity's own
//! units (`°C`); one register count is `step` of them.

/// A registry variable's units split into the register step and the unit it counts:
/// `0.1 °C` → 0.1 of `°C`; `mV` → 1 of `mV`; `0.1` → 0.1 of nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterUnits {
    /// How much of `unit` one register count is (finite, above zero).
    pub step: f64,
    /// The unit counted, as limits are written in it.
    pub unit: String,
}

impl RegisterUnits {
    /// Reads `units` as written in the registry. A leading finite number above zero followed by a
    /// space, or alone, is the step; anything else is a unit counted in whole steps of 1.
    pub fn parse(units: &str) -> RegisterUnits {
        let units = units.trim();
        let (first, rest) = units.split_once(char::is_whitespace).unwrap_or((units, ""));
        match first.parse::<f64>() {
            Ok(step) if step.is_finite() && step > 0.0 => RegisterUnits {
                step,
                unit: rest.trim().to_string(),
            },
            _ => RegisterUnits {
                step: 1.0,
                unit: units.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_number_is_the_step_and_the_rest_the_unit() {
        let read = |text: &str| {
            let units = RegisterUnits::parse(text);
            (units.step, units.unit)
        };
        assert_eq!(read("0.1 °C"), (0.1, "°C".to_string()));
        assert_eq!(read(" 0.1   V "), (0.1, "V".to_string()));
        assert_eq!(read("10 mA"), (10.0, "mA".to_string()));
        assert_eq!(read("0.1"), (0.1, String::new()));
        assert_eq!(read("mV"), (1.0, "mV".to_string()));
        assert_eq!(read("%"), (1.0, "%".to_string()));
        assert_eq!(read(""), (1.0, String::new()));
        // Not a usable step: the whole text is the unit.
        assert_eq!(read("0 V"), (1.0, "0 V".to_string()));
        assert_eq!(read("-1 V"), (1.0, "-1 V".to_string()));
        assert_eq!(read("inf V"), (1.0, "inf V".to_string()));
        assert_eq!(read("kWh total"), (1.0, "kWh total".to_string()));
    }
}
