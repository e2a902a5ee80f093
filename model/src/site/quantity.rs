//! The standard quantities: what an adapter reads from a device and the sample tables record
//! (seed 002 §4.2), each with its unit, its sign convention and the device categories it applies
//! to. An adapter type's register map says where each of them sits on its device.
//!
//! The names are the sample tables' column names where the seed has one (`pv_power_w`,
//! `grid_import_wh`, `voltage_phase_a`, ...). Where the seed spells one quantity twice
//! (`batt_voltage_v` and `battery_voltage_v`, `soc`, `battery_soc` and `batt_soc_pct`), the long
//! spelling with its unit is the name and the others are `aliases`.

use serde::{Deserialize, Serialize};

use super::spec::DeviceCategory;
use DeviceCategory::{Battery, Inverter, Meter};

/// The unit a quantity is recorded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Watt,
    WattHour,
    Volt,
    Ampere,
    Hertz,
    /// Percent, 0 to 100.
    Percent,
    DegreeCelsius,
    /// A plain number: a ratio (power factor, −1 to 1) or a device's state code.
    Dimensionless,
}

impl Unit {
    /// The symbol shown beside a value (`W`, `°C`); empty for a plain number.
    pub const fn symbol(self) -> &'static str {
        match self {
            Unit::Watt => "W",
            Unit::WattHour => "Wh",
            Unit::Volt => "V",
            Unit::Ampere => "A",
            Unit::Hertz => "Hz",
            Unit::Percent => "%",
            Unit::DegreeCelsius => "°C",
            Unit::Dimensionless => "",
        }
    }
}

/// A standard quantity. Signs: power and current of the battery are positive when it
/// discharges; grid power and current are positive when the site imports; a phase's power
/// follows the grid's sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    /// PV (DC) power produced.
    PvPowerW,
    /// Power the site's load draws.
    LoadPowerW,
    /// Power at the grid connection, positive = import.
    GridPowerW,
    /// Battery power, positive = discharge.
    BatteryPowerW,
    /// The inverter's AC output power.
    AcPowerW,
    BatteryVoltageV,
    /// Battery current, positive = discharge.
    BatteryCurrentA,
    BatterySocPct,
    BatterySohPct,
    /// The device's own operating state code (not comparable between vendors).
    InverterMode,
    InverterTempC,
    BatteryTempC,
    /// Lifetime PV energy produced.
    PvEnergyWh,
    /// Lifetime energy the load drew.
    LoadEnergyWh,
    /// Lifetime AC energy the inverter delivered.
    AcEnergyWh,
    GridImportWh,
    GridExportWh,
    /// Line-to-neutral voltage (the average of the phases on a three-phase meter).
    GridVoltageV,
    /// Total grid current.
    GridCurrentA,
    GridFrequencyHz,
    /// −1 to 1.
    PowerFactor,
    VoltagePhaseA,
    VoltagePhaseB,
    VoltagePhaseC,
    CurrentPhaseA,
    CurrentPhaseB,
    CurrentPhaseC,
    PowerPhaseA,
    PowerPhaseB,
    PowerPhaseC,
    /// One value per cell (a register-map entry gives the count).
    CellVoltageV,
    CellVoltageMaxV,
    CellVoltageMinV,
    /// One value per temperature sensor of a pack or its cells.
    CellTempC,
}

impl Quantity {
    /// Every standard quantity, in the order above.
    pub const ALL: [Quantity; 34] = [
        Quantity::PvPowerW,
        Quantity::LoadPowerW,
        Quantity::GridPowerW,
        Quantity::BatteryPowerW,
        Quantity::AcPowerW,
        Quantity::BatteryVoltageV,
        Quantity::BatteryCurrentA,
        Quantity::BatterySocPct,
        Quantity::BatterySohPct,
        Quantity::InverterMode,
        Quantity::InverterTempC,
        Quantity::BatteryTempC,
        Quantity::PvEnergyWh,
        Quantity::LoadEnergyWh,
        Quantity::AcEnergyWh,
        Quantity::GridImportWh,
        Quantity::GridExportWh,
        Quantity::GridVoltageV,
        Quantity::GridCurrentA,
        Quantity::GridFrequencyHz,
        Quantity::PowerFactor,
        Quantity::VoltagePhaseA,
        Quantity::VoltagePhaseB,
        Quantity::VoltagePhaseC,
        Quantity::CurrentPhaseA,
        Quantity::CurrentPhaseB,
        Quantity::CurrentPhaseC,
        Quantity::PowerPhaseA,
        Quantity::PowerPhaseB,
        Quantity::PowerPhaseC,
        Quantity::CellVoltageV,
        Quantity::CellVoltageMaxV,
        Quantity::CellVoltageMinV,
        Quantity::CellTempC,
    ];

    /// The name as JSON and the sample tables spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Quantity::PvPowerW => "pv_power_w",
            Quantity::LoadPowerW => "load_power_w",
            Quantity::GridPowerW => "grid_power_w",
            Quantity::BatteryPowerW => "battery_power_w",
            Quantity::AcPowerW => "ac_power_w",
            Quantity::BatteryVoltageV => "battery_voltage_v",
            Quantity::BatteryCurrentA => "battery_current_a",
            Quantity::BatterySocPct => "battery_soc_pct",
            Quantity::BatterySohPct => "battery_soh_pct",
            Quantity::InverterMode => "inverter_mode",
            Quantity::InverterTempC => "inverter_temp_c",
            Quantity::BatteryTempC => "battery_temp_c",
            Quantity::PvEnergyWh => "pv_energy_wh",
            Quantity::LoadEnergyWh => "load_energy_wh",
            Quantity::AcEnergyWh => "ac_energy_wh",
            Quantity::GridImportWh => "grid_import_wh",
            Quantity::GridExportWh => "grid_export_wh",
            Quantity::GridVoltageV => "grid_voltage_v",
            Quantity::GridCurrentA => "grid_current_a",
            Quantity::GridFrequencyHz => "grid_frequency_hz",
            Quantity::PowerFactor => "power_factor",
            Quantity::VoltagePhaseA => "voltage_phase_a",
            Quantity::VoltagePhaseB => "voltage_phase_b",
            Quantity::VoltagePhaseC => "voltage_phase_c",
            Quantity::CurrentPhaseA => "current_phase_a",
            Quantity::CurrentPhaseB => "current_phase_b",
            Quantity::CurrentPhaseC => "current_phase_c",
            Quantity::PowerPhaseA => "power_phase_a",
            Quantity::PowerPhaseB => "power_phase_b",
            Quantity::PowerPhaseC => "power_phase_c",
            Quantity::CellVoltageV => "cell_voltage_v",
            Quantity::CellVoltageMaxV => "cell_voltage_max_v",
            Quantity::CellVoltageMinV => "cell_voltage_min_v",
            Quantity::CellTempC => "cell_temp_c",
        }
    }

    pub const fn unit(self) -> Unit {
        match self {
            Quantity::PvPowerW
            | Quantity::LoadPowerW
            | Quantity::GridPowerW
            | Quantity::BatteryPowerW
            | Quantity::AcPowerW
            | Quantity::PowerPhaseA
            | Quantity::PowerPhaseB
            | Quantity::PowerPhaseC => Unit::Watt,
            Quantity::PvEnergyWh
            | Quantity::LoadEnergyWh
            | Quantity::AcEnergyWh
            | Quantity::GridImportWh
            | Quantity::GridExportWh => Unit::WattHour,
            Quantity::BatteryVoltageV
            | Quantity::GridVoltageV
            | Quantity::VoltagePhaseA
            | Quantity::VoltagePhaseB
            | Quantity::VoltagePhaseC
            | Quantity::CellVoltageV
            | Quantity::CellVoltageMaxV
            | Quantity::CellVoltageMinV => Unit::Volt,
            Quantity::BatteryCurrentA
            | Quantity::GridCurrentA
            | Quantity::CurrentPhaseA
            | Quantity::CurrentPhaseB
            | Quantity::CurrentPhaseC => Unit::Ampere,
            Quantity::BatterySocPct | Quantity::BatterySohPct => Unit::Percent,
            Quantity::InverterTempC | Quantity::BatteryTempC | Quantity::CellTempC => {
                Unit::DegreeCelsius
            }
            Quantity::GridFrequencyHz => Unit::Hertz,
            Quantity::PowerFactor | Quantity::InverterMode => Unit::Dimensionless,
        }
    }

    /// The device categories whose adapters may report the quantity: an inverter sees its PV,
    /// the load, the grid and its battery; a BMS its battery and cells; a meter the grid.
    pub const fn categories(self) -> &'static [DeviceCategory] {
        match self {
            Quantity::PvPowerW
            | Quantity::LoadPowerW
            | Quantity::AcPowerW
            | Quantity::InverterMode
            | Quantity::InverterTempC
            | Quantity::PvEnergyWh
            | Quantity::LoadEnergyWh
            | Quantity::AcEnergyWh => &[Inverter],
            Quantity::BatteryPowerW
            | Quantity::BatteryVoltageV
            | Quantity::BatteryCurrentA
            | Quantity::BatterySocPct
            | Quantity::BatterySohPct
            | Quantity::BatteryTempC => &[Inverter, Battery],
            Quantity::GridPowerW
            | Quantity::GridImportWh
            | Quantity::GridExportWh
            | Quantity::GridVoltageV
            | Quantity::GridCurrentA
            | Quantity::GridFrequencyHz
            | Quantity::PowerFactor
            | Quantity::VoltagePhaseA
            | Quantity::VoltagePhaseB
            | Quantity::VoltagePhaseC
            | Quantity::CurrentPhaseA
            | Quantity::CurrentPhaseB
            | Quantity::CurrentPhaseC
            | Quantity::PowerPhaseA
            | Quantity::PowerPhaseB
            | Quantity::PowerPhaseC => &[Inverter, Meter],
            Quantity::CellVoltageV
            | Quantity::CellVoltageMaxV
            | Quantity::CellVoltageMinV
            | Quantity::CellTempC => &[Battery],
        }
    }

    /// Whether an adapter of `category` may report the quantity.
    pub fn applies_to(self, category: DeviceCategory) -> bool {
        self.categories().contains(&category)
    }

    /// Whether the quantity has one value per cell or sensor rather than one per device.
    pub const fn per_element(self) -> bool {
        matches!(self, Quantity::CellVoltageV | Quantity::CellTempC)
    }

    /// Other spellings of the quantity in the seed's sample tables.
    pub const fn aliases(self) -> &'static [&'static str] {
        match self {
            Quantity::BatteryPowerW => &["batt_power_w"],
            Quantity::BatteryVoltageV => &["batt_voltage_v"],
            Quantity::BatteryCurrentA => &["batt_current_a"],
            Quantity::BatterySocPct => &["soc", "battery_soc", "batt_soc_pct"],
            _ => &[],
        }
    }

    /// The quantity a name or one of its seed aliases stands for.
    pub fn from_name(name: &str) -> Option<Quantity> {
        Quantity::ALL
            .into_iter()
            .find(|q| q.as_str() == name || q.aliases().contains(&name))
    }
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_quantity_is_spelled_as_its_str_and_found_by_it() {
        for quantity in Quantity::ALL {
            assert_eq!(
                serde_json::to_value(quantity).unwrap(),
                quantity.as_str(),
                "{quantity:?}"
            );
            assert_eq!(Quantity::from_name(quantity.as_str()), Some(quantity));
            assert!(!quantity.categories().is_empty(), "{quantity:?}");
        }
        let mut names: Vec<&str> = Quantity::ALL.iter().map(|q| q.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Quantity::ALL.len(), "names are unique");
    }

    #[test]
    fn the_seed_sample_columns_name_quantities() {
        // energy_samples, array_samples and meter_samples columns that hold a measurement.
        let columns = [
            "pv_power_w",
            "load_power_w",
            "grid_power_w",
            "batt_voltage_v",
            "batt_current_a",
            "soc",
            "battery_soc",
            "battery_voltage_v",
            "battery_current_a",
            "inverter_mode",
            "inverter_temp_c",
            "grid_import_wh",
            "grid_export_wh",
            "batt_power_w",
            "batt_soc_pct",
            "grid_voltage_v",
            "grid_current_a",
            "grid_frequency_hz",
            "power_factor",
            "voltage_phase_a",
            "voltage_phase_b",
            "voltage_phase_c",
            "current_phase_a",
            "current_phase_b",
            "current_phase_c",
            "power_phase_a",
            "power_phase_b",
            "power_phase_c",
        ];
        for column in columns {
            assert!(Quantity::from_name(column).is_some(), "{column}");
        }
        assert_eq!(
            Quantity::from_name("batt_soc_pct"),
            Some(Quantity::BatterySocPct)
        );
        assert_eq!(Quantity::from_name("energy_kwh"), None);
    }

    #[test]
    fn units_and_categories() {
        assert_eq!(Quantity::GridImportWh.unit(), Unit::WattHour);
        assert_eq!(Quantity::CellVoltageV.unit().symbol(), "V");
        assert_eq!(Quantity::InverterTempC.unit().symbol(), "°C");
        assert!(Quantity::GridPowerW.applies_to(DeviceCategory::Meter));
        assert!(!Quantity::CellVoltageV.applies_to(DeviceCategory::Inverter));
        assert!(Quantity::BatterySocPct.applies_to(DeviceCategory::Battery));
        assert!(Quantity::CellVoltageV.per_element() && !Quantity::PvPowerW.per_element());
    }
}
