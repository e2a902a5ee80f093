//! The simulated hybrid inverter (unit 1): PV, load, grid and battery powers, temperature and
//! energy counters as input registers; power limit and run as holding registers; two control
//! coils and four status discrete inputs.

use super::site::{Controls, Site};
use super::{Device, Kind, i16_word, u16_word, u32_value};

/// Input registers.
pub const PV_POWER: u16 = 0; // W
pub const LOAD_POWER: u16 = 1; // W
pub const GRID_POWER: u16 = 2; // W, i16, positive = import
pub const BATTERY_VOLTAGE: u16 = 3; // 0.1 V
pub const BATTERY_CURRENT: u16 = 4; // 0.1 A, i16, positive = discharge
pub const BATTERY_SOC: u16 = 5; // %
pub const TEMPERATURE: u16 = 6; // 0.1 °C, i16
pub const BATTERY_POWER: u16 = 7; // W, i16, positive = discharge
pub const PV_ENERGY: u16 = 10; // 0.1 kWh, u32, 2 registers
pub const LOAD_ENERGY: u16 = 12; // 0.1 kWh, u32, 2 registers
pub const INPUT_REGISTERS: usize = 20;

/// Holding registers.
pub const POWER_LIMIT: u16 = 0; // % of PV peak, 0..=100
pub const RUN: u16 = 1; // 0 = off, 1 = on
pub const HOLDING_REGISTERS: usize = 4;

/// Coils.
pub const REMOTE_CONTROL: u16 = 0; // informational: the console may write
pub const EXPORT_ALLOWED: u16 = 1; // off: PV is curtailed instead of exported
pub const COILS: usize = 2;

/// Discrete inputs.
pub const GRID_PRESENT: u16 = 0;
pub const PV_PRODUCING: u16 = 1;
pub const BATTERY_CHARGING: u16 = 2;
pub const BATTERY_DISCHARGING: u16 = 3;
pub const DISCRETE_INPUTS: usize = 4;

/// The controls of a freshly started inverter (and of a site without one).
pub(crate) const DEFAULT_CONTROLS: Controls = Controls {
    power_limit_pct: 100,
    running: true,
    export_allowed: true,
};

pub(crate) fn device() -> Device {
    let mut device = Device::new(Kind::Inverter, INPUT_REGISTERS, HOLDING_REGISTERS);
    device.holding[usize::from(POWER_LIMIT)] = DEFAULT_CONTROLS.power_limit_pct;
    device.holding[usize::from(RUN)] = u16::from(DEFAULT_CONTROLS.running);
    device.coils = vec![false; COILS];
    device.coils[usize::from(REMOTE_CONTROL)] = true;
    device.coils[usize::from(EXPORT_ALLOWED)] = DEFAULT_CONTROLS.export_allowed;
    device.discrete = vec![false; DISCRETE_INPUTS];
    device
}

/// What the writable registers currently ask for.
pub(crate) fn controls(device: &Device) -> Controls {
    Controls {
        power_limit_pct: device.holding[usize::from(POWER_LIMIT)],
        running: device.holding[usize::from(RUN)] != 0,
        export_allowed: device.coils[usize::from(EXPORT_ALLOWED)],
    }
}

pub(crate) fn update(device: &mut Device, site: &Site) {
    device.set(PV_POWER, u16_word(site.pv_w));
    device.set(LOAD_POWER, u16_word(site.load_w));
    device.set(GRID_POWER, i16_word(site.grid_w));
    device.set(BATTERY_VOLTAGE, u16_word(site.pack_voltage * 10.0));
    device.set(BATTERY_CURRENT, i16_word(site.pack_current * 10.0));
    device.set(BATTERY_SOC, u16_word(site.soc));
    device.set(TEMPERATURE, i16_word(350.0 + 60.0 * site.sun));
    device.set(BATTERY_POWER, i16_word(site.battery_w));
    device.set_u32(PV_ENERGY, u32_value(site.pv_energy));
    device.set_u32(LOAD_ENERGY, u32_value(site.load_energy));
    let status = [
        (GRID_PRESENT, true),
        (PV_PRODUCING, site.pv_w > 0.0),
        (BATTERY_CHARGING, site.battery_w < 0.0),
        (BATTERY_DISCHARGING, site.battery_w > 0.0),
    ];
    for (input, on) in status {
        device.discrete[usize::from(input)] = on;
    }
}
