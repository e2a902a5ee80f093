//! The simulated three-phase grid meter (unit 3): voltage, current and power per phase, total
//! power, frequency and import/export energy counters, all input registers.

use super::site::Site;
use super::{Device, Kind, i16_word, u16_word, u32_value};

/// Input registers.
pub const VOLTAGE_L1: u16 = 0; // 0.1 V, L1..L3 in 3 registers
pub const CURRENT_L1: u16 = 3; // 0.01 A, L1..L3 in 3 registers
pub const POWER_L1: u16 = 6; // W, i16, positive = import, L1..L3 in 3 registers
pub const TOTAL_POWER: u16 = 9; // W, i16, positive = import
pub const FREQUENCY: u16 = 10; // 0.01 Hz
pub const IMPORT_ENERGY: u16 = 12; // 0.1 kWh, u32, 2 registers
pub const EXPORT_ENERGY: u16 = 14; // 0.1 kWh, u32, 2 registers
pub const INPUT_REGISTERS: usize = 20;

pub(crate) fn device() -> Device {
    Device::new(Kind::Meter, INPUT_REGISTERS, 0)
}

pub(crate) fn update(device: &mut Device, site: &Site) {
    let t = site.elapsed;
    for phase in 0..3u16 {
        // The phases share the grid power unevenly, and their voltages wobble apart.
        let wobble = (t / 13.0 + f64::from(phase)).sin();
        let voltage = 230.0 + 2.0 * wobble;
        let power = site.grid_w / 3.0 + 30.0 * wobble;
        device.set(VOLTAGE_L1 + phase, u16_word(voltage * 10.0));
        device.set(CURRENT_L1 + phase, u16_word(power.abs() / voltage * 100.0));
        device.set(POWER_L1 + phase, i16_word(power));
    }
    device.set(TOTAL_POWER, i16_word(site.grid_w));
    device.set(FREQUENCY, u16_word(5000.0 + 3.0 * (t / 7.0).sin()));
    device.set_u32(IMPORT_ENERGY, u32_value(site.import_energy));
    device.set_u32(EXPORT_ENERGY, u32_value(site.export_energy));
}
