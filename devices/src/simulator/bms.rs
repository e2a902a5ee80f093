//! The simulated battery BMS (unit 2): pack and cell values as input registers, protection
//! thresholds as holding registers in the layout of the registry's `prot:sbmu:hold` table, and
//! warning/alert/fault bits recomputed from the live values against those thresholds.

use super::site::Site;
use super::{Device, Kind, i16_word, u16_word};

/// Input registers.
pub const PACK_VOLTAGE: u16 = 0; // 0.1 V
pub const PACK_CURRENT: u16 = 1; // 0.1 A, i16, positive = discharge
pub const SOC: u16 = 2; // %
pub const SOH: u16 = 3; // %
pub const CELL_VOLTAGE_0: u16 = 4; // mV, one register per cell, CELLS registers
pub const TEMP_0: u16 = 20; // 0.1 °C, i16, TEMP_SENSORS registers
pub const MAX_CELL_VOLTAGE: u16 = 24; // mV
pub const MIN_CELL_VOLTAGE: u16 = 25; // mV
pub const WARNING_BITS: u16 = 30;
pub const ALERT_BITS: u16 = 31;
pub const FAULT_BITS: u16 = 32;
pub const INPUT_REGISTERS: usize = 40;
/// Holding registers: the protection thresholds, `PROTECTION_REGISTERS` of them.
pub const HOLDING_REGISTERS: usize = PROTECTION_REGISTERS;

/// Cells of the simulated pack that the BMS reports (the pack has 160 in series).
pub const CELLS: u16 = 16;
pub const TEMP_SENSORS: u16 = 4;
const CELLS_IN_SERIES: f64 = 160.0;

/// The protection quantities of `prot:sbmu:hold`, in register order, with their sides.
pub const PROTECTION_QUANTITIES: [(&str, &[&str]); 6] = [
    ("cell_voltage", &["max", "min"]),
    ("pack_voltage", &["max", "min"]),
    ("cell_temp", &["max", "min"]),
    ("soc", &["max", "min"]),
    ("charge_current", &["max"]),
    ("discharge_current", &["max"]),
];
/// The fields of one quantity and side, in register order.
pub const PROTECTION_FIELDS: [&str; 7] = [
    "warn",
    "warn_dur",
    "alert",
    "alert_dur",
    "fault",
    "fault_dur",
    "hyst",
];
/// Ten quantity-sides of seven registers each.
pub const PROTECTION_REGISTERS: usize = 70;

/// Register of a protection field in `prot:sbmu:hold` (byte offset / 2), e.g.
/// `("soc", "min", "alert")` → 51.
pub fn protection_register(quantity: &str, side: &str, field: &str) -> Option<u16> {
    let field = PROTECTION_FIELDS.iter().position(|f| *f == field)?;
    let mut first = 0;
    for (q, sides) in PROTECTION_QUANTITIES {
        for s in sides {
            if q == quantity && *s == side {
                return u16::try_from(first + field).ok();
            }
            first += PROTECTION_FIELDS.len();
        }
    }
    None
}

/// The default thresholds, register by register (SIMULATOR.md lists them): warn, alert, fault
/// and hysteresis per quantity-side, durations 5 s (warn), 3 s (alert) and 1 s (fault).
pub fn default_thresholds() -> Vec<u16> {
    let limits: [[u16; 4]; 10] = [
        // warn, alert, fault, hysteresis
        [3550, 3600, 3650, 20], // cell_voltage max, mV
        [2900, 2800, 2700, 20], // cell_voltage min, mV
        [5700, 5760, 5840, 20], // pack_voltage max, 0.1 V
        [4640, 4480, 4320, 20], // pack_voltage min, 0.1 V
        [450, 500, 550, 20],    // cell_temp max, 0.1 °C
        [50, 20, 0, 20],        // cell_temp min, 0.1 °C
        [950, 980, 1000, 20],   // soc max, 0.1 % (a 0.5 % hysteresis is 5 counts)
        [100, 50, 20, 20],      // soc min, 0.1 %
        [1000, 1200, 1400, 50], // charge_current max, 0.1 A
        [1500, 1800, 2000, 50], // discharge_current max, 0.1 A
    ];
    let mut registers = Vec::with_capacity(PROTECTION_REGISTERS);
    for [warn, alert, fault, hyst] in limits {
        registers.extend([warn, 5, alert, 3, fault, 1, hyst]);
    }
    registers
}

pub(crate) fn device() -> Device {
    let mut device = Device::new(Kind::Bms, INPUT_REGISTERS, 0);
    device.holding = default_thresholds();
    device
}

pub(crate) fn update(device: &mut Device, site: &Site) {
    let t = site.elapsed;
    let cell_mean = site.pack_voltage / CELLS_IN_SERIES * 1000.0; // mV
    for cell in 0..CELLS {
        let spread = 6.0 * (f64::from(cell) * 1.7 + t / 30.0).sin();
        device.set(CELL_VOLTAGE_0 + cell, u16_word(cell_mean + spread));
    }
    for sensor in 0..TEMP_SENSORS {
        let celsius = 25.0 + 3.0 * (t / 90.0 + f64::from(sensor)).sin() + 2.0 * site.sun;
        device.set(TEMP_0 + sensor, i16_word(celsius * 10.0));
    }
    device.set(PACK_VOLTAGE, u16_word(site.pack_voltage * 10.0));
    device.set(PACK_CURRENT, i16_word(site.pack_current * 10.0));
    device.set(SOC, u16_word(site.soc));
    device.set(SOH, 97);

    // Derived values follow what a client reads, forced registers included.
    let read = |device: &Device, r: u16| device.input(r, t).unwrap_or(0);
    let cells: Vec<u16> = (0..CELLS)
        .map(|c| read(device, CELL_VOLTAGE_0 + c))
        .collect();
    device.set(MAX_CELL_VOLTAGE, cells.iter().copied().max().unwrap_or(0));
    device.set(MIN_CELL_VOLTAGE, cells.iter().copied().min().unwrap_or(0));
    let [warning, alert, fault] = alarm_bits(device, t);
    device.set(WARNING_BITS, warning);
    device.set(ALERT_BITS, alert);
    device.set(FAULT_BITS, fault);
}

/// Warning, alert and fault bits from the live values and the protection thresholds. Bit `2q`
/// is the max side of quantity `q` (in `PROTECTION_QUANTITIES` order), bit `2q + 1` its min side.
/// The device compares instantly; on/off delays and hysteresis are the console's job.
fn alarm_bits(device: &Device, t: f64) -> [u16; 3] {
    let read = |r: u16| device.input(r, t).unwrap_or(0);
    let temps: Vec<i16> = (0..TEMP_SENSORS).map(|s| read(TEMP_0 + s) as i16).collect();
    let max_temp = temps.iter().copied().max().unwrap_or(0);
    let min_temp = temps.iter().copied().min().unwrap_or(0);
    let current = read(PACK_CURRENT) as i16;
    // The live value of a quantity-side, in the units of its thresholds.
    let live = |quantity: &str, side: &str| -> Option<i32> {
        Some(match (quantity, side) {
            ("cell_voltage", "max") => i32::from(read(MAX_CELL_VOLTAGE)),
            ("cell_voltage", "min") => i32::from(read(MIN_CELL_VOLTAGE)),
            ("pack_voltage", _) => i32::from(read(PACK_VOLTAGE)),
            ("cell_temp", "max") => i32::from(max_temp),
            ("cell_temp", "min") => i32::from(min_temp),
            // SOC is reported in whole percent; its thresholds count tenths.
            ("soc", _) => i32::from(read(SOC)) * 10,
            ("charge_current", _) => -i32::from(current.min(0)),
            ("discharge_current", _) => i32::from(current.max(0)),
            _ => return None,
        })
    };
    let mut bits = [0u16; 3];
    for (index, (quantity, sides)) in PROTECTION_QUANTITIES.into_iter().enumerate() {
        for side in sides {
            let Some(value) = live(quantity, side) else {
                continue;
            };
            let bit = 2 * index + usize::from(*side == "min");
            for (level, field) in ["warn", "alert", "fault"].into_iter().enumerate() {
                let Some(register) = protection_register(quantity, side, field) else {
                    continue;
                };
                let threshold = i32::from(device.holding[usize::from(register)]);
                let crossed = if *side == "max" {
                    value >= threshold
                } else {
                    value <= threshold
                };
                if crossed {
                    bits[level] |= 1 << bit;
                }
            }
        }
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protection_registers_follow_the_prot_sbmu_hold_layout() {
        assert_eq!(protection_register("cell_voltage", "max", "warn"), Some(0));
        assert_eq!(
            protection_register("cell_voltage", "max", "warn_dur"),
            Some(1)
        );
        assert_eq!(protection_register("cell_voltage", "min", "warn"), Some(7));
        assert_eq!(protection_register("soc", "min", "alert"), Some(51));
        assert_eq!(
            protection_register("discharge_current", "max", "hyst"),
            Some(69)
        );
        assert_eq!(
            protection_register("discharge_current", "min", "warn"),
            None
        );
        assert_eq!(protection_register("soc", "max", "nonsense"), None);
        assert_eq!(default_thresholds().len(), PROTECTION_REGISTERS);
    }
}
