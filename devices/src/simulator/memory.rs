//! The site controller's memory image (unit 4): a flat image of 65,536 holding registers, all
//! readable and writable, where the memory tables of `examples/data_def.json` sit at fixed base
//! registers (register = base + byte offset / 2). The operational tables move with the site
//! model on every tick (so writes there are overwritten); the configuration and protection
//! tables keep what is written. Registry `memory_offset` paths reach it through a field
//! configuration that maps each table to its base here.

use super::site::Site;
use super::{Device, Kind, bms, i16_word, i32_value, u16_word, u32_value, u32_words};

/// Unit id of the memory image.
pub const MEMORY_UNIT: u8 = 4;
/// Registers in the image: every Modbus address.
pub const IMAGE_REGISTERS: usize = 1 << 16;

pub const OPER_RACK_BASE: u16 = 0;
pub const CONFIG_RACK_BASE: u16 = 1_000;
pub const OPER_RTOS_BASE: u16 = 2_000;
pub const OPER_SBMU_BASE: u16 = 3_000;
pub const PROT_SBMU_BASE: u16 = 4_000;

/// Each memory table and the register where it starts.
pub const TABLES: [(&str, u16); 5] = [
    ("oper:rack:sm16", OPER_RACK_BASE),
    ("config:rack:sm16", CONFIG_RACK_BASE),
    ("oper:rtos:bits", OPER_RTOS_BASE),
    ("oper:sbmu:input", OPER_SBMU_BASE),
    ("prot:sbmu:hold", PROT_SBMU_BASE),
];

/// The register holding byte `offset` of memory table `table`, if the image places that table.
pub fn register(table: &str, offset: u32) -> Option<u16> {
    let (_, base) = TABLES.iter().find(|(name, _)| *name == table)?;
    u16::try_from(u32::from(*base) + offset / 2).ok()
}

/// Cells and temperature sensors of the simulated rack (`oper:rack:sm16` has room for 96 and 32).
const RACK_CELLS: usize = 96;
const RACK_TEMPS: usize = 32;
/// Racks listed in `oper:sbmu:input.rack_soc_list`.
const RACKS: u16 = 8;

/// Writes `value` at byte `offset` of the table starting at `base`.
fn put(device: &mut Device, base: u16, offset: u16, value: u16) {
    device.holding[usize::from(base) + usize::from(offset / 2)] = value;
}

/// Writes a 32-bit value at byte `offset`, most significant word first.
fn put_u32(device: &mut Device, base: u16, offset: u16, value: u32) {
    let [high, low] = u32_words(value);
    put(device, base, offset, high);
    put(device, base, offset + 2, low);
}

pub(crate) fn device() -> Device {
    let mut device = Device::new(Kind::MemoryImage, 0, IMAGE_REGISTERS);
    // config:rack:sm16: a plausible rack description; nothing moves it.
    let config = [
        (0, 1),     // rack_count
        (2, 6),     // modules_per_rack
        (4, 16),    // cells_per_module
        (6, 4),     // temp_sensors_per_module
        (8, 280),   // nominal_capacity, Ah
        (10, 3072), // nominal_voltage, 0.1 V
        (16, 1),    // balancing_enable
        (18, 30),   // balancing_threshold, mV
        (20, 3300), // balancing_min_voltage, mV
        (22, 3600), // balancing_max_time, s
        (28, 1),    // insulation_check_enable
        (30, 500),  // insulation_min_resistance, kΩ
        (32, 10),   // precharge_timeout, s
        (34, 2),    // contactor_close_delay, s
        (52, u16::from(MEMORY_UNIT)),
        (54, 5), // comm_timeout, s
    ];
    for (offset, value) in config {
        put(&mut device, CONFIG_RACK_BASE, offset, value);
    }
    put_u32(&mut device, CONFIG_RACK_BASE, 12, 860); // nominal_energy, 0.1 kWh
    // prot:sbmu:hold: the same defaults as the BMS.
    for (i, value) in bms::default_thresholds().into_iter().enumerate() {
        device.holding[usize::from(PROT_SBMU_BASE) + i] = value;
    }
    device
}

pub(crate) fn update(device: &mut Device, site: &Site) {
    let t = site.elapsed;
    let cell_mean = site.pack_voltage / 160.0 * 1000.0; // mV
    let cells: Vec<u16> = (0..RACK_CELLS)
        .map(|c| u16_word(cell_mean + 8.0 * ((c as f64) * 0.9 + t / 40.0).sin()))
        .collect();
    let temps: Vec<u16> = (0..RACK_TEMPS)
        .map(|s| i16_word(250.0 + 30.0 * ((s as f64) * 0.7 + t / 90.0).sin() + 20.0 * site.sun))
        .collect();
    let (max_cell, max_cell_index) = extreme(&cells, true);
    let (min_cell, min_cell_index) = extreme(&cells, false);
    let (max_temp, max_temp_index) = extreme(&temps, true);
    let (min_temp, min_temp_index) = extreme(&temps, false);
    let average = |words: &[u16], signed: bool| {
        let sum: f64 = words
            .iter()
            .map(|w| {
                if signed {
                    f64::from(*w as i16)
                } else {
                    f64::from(*w)
                }
            })
            .sum();
        sum / words.len() as f64
    };
    let rack_voltage = cells.iter().map(|mv| f64::from(*mv)).sum::<f64>() / 100.0; // 0.1 V

    // oper:rack:sm16
    let rack = OPER_RACK_BASE;
    put(device, rack, 0, 1); // rack_id
    put(device, rack, 2, u16_word(rack_voltage));
    put(device, rack, 4, i16_word(site.pack_current * 10.0)); // 0.1 A
    put(device, rack, 6, u16_word(site.soc));
    put(device, rack, 8, 97); // rack_soh, %
    put(device, rack, 10, i16_word(site.battery_w / 100.0)); // 0.1 kW
    put(device, rack, 12, 1); // contactor_state: closed
    put(device, rack, 14, 2); // precharge_state: done
    put(device, rack, 20, max_cell);
    put(device, rack, 22, max_cell_index);
    put(device, rack, 24, min_cell);
    put(device, rack, 26, min_cell_index);
    put(device, rack, 28, u16_word(average(&cells, false)));
    put(device, rack, 30, max_temp);
    put(device, rack, 32, max_temp_index);
    put(device, rack, 34, min_temp);
    put(device, rack, 36, min_temp_index);
    put(device, rack, 38, i16_word(average(&temps, true)));
    put(device, rack, 40, 2_000); // insulation_resistance, kΩ
    put(device, rack, 42, 2_100); // insulation_resistance_neg, kΩ
    // One word every 2 bytes from byte 56 (cells) and byte 248 (temperatures).
    for (offset, mv) in (56u16..).step_by(2).zip(&cells) {
        put(device, rack, offset, *mv);
    }
    for (offset, temp) in (248u16..).step_by(2).zip(&temps) {
        put(device, rack, offset, *temp);
    }

    // oper:rtos:bits
    let rtos = OPER_RTOS_BASE;
    let [_, heartbeat] = u32_words(u32_value(t)); // the seconds, modulo 65,536
    put(device, rtos, 0, heartbeat); // heartbeat, counts seconds
    put(device, rtos, 2, 2); // system_state: running
    put_u32(device, rtos, 58, u32_value(t)); // uptime_seconds
    put(device, rtos, 66, u16_word(20.0 + 10.0 * (t / 17.0).sin())); // cpu_load, %

    // oper:sbmu:input
    let sbmu = OPER_SBMU_BASE;
    put(device, sbmu, 0, u16_word(site.pack_voltage * 10.0)); // 0.1 V
    put(device, sbmu, 2, i16_word(site.pack_current * 10.0)); // 0.1 A
    put_u32(device, sbmu, 4, i32_value(site.battery_w).cast_unsigned()); // W, i32
    put(device, sbmu, 8, u16_word(site.soc));
    put(device, sbmu, 10, 97); // soh, %
    for rack_index in 0..RACKS {
        let soc = site.soc + 0.8 * (f64::from(rack_index) * 2.1).sin();
        put(device, sbmu, 12 + 2 * rack_index, u16_word(soc));
    }
    put(device, sbmu, 28, max_cell);
    put(device, sbmu, 30, min_cell);
    put(device, sbmu, 32, max_temp);
    put(device, sbmu, 34, min_temp);
}

/// The largest (or smallest) word and its index; temperatures compare as i16.
fn extreme(words: &[u16], largest: bool) -> (u16, u16) {
    let mut best = (0u16, words.first().copied().unwrap_or(0));
    for (i, w) in (0u16..).zip(words) {
        let better = if largest {
            (*w as i16) > (best.1 as i16)
        } else {
            (*w as i16) < (best.1 as i16)
        };
        if better {
            best = (i, *w);
        }
    }
    (best.1, best.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::Simulator;
    use std::time::Duration;

    #[test]
    fn tables_sit_at_their_base_and_operational_ones_move() {
        assert_eq!(register("prot:sbmu:hold", 0), Some(PROT_SBMU_BASE));
        assert_eq!(register("oper:rtos:bits", 58), Some(OPER_RTOS_BASE + 29));
        assert_eq!(register("nope", 0), None);

        let sim = Simulator::new().with_memory_image();
        let soc_max_warn = bms::protection_register("soc", "max", "warn").unwrap();
        assert_eq!(
            sim.holding(MEMORY_UNIT, PROT_SBMU_BASE + soc_max_warn),
            Some(950)
        );
        let heartbeat = |sim: &Simulator| sim.holding(MEMORY_UNIT, OPER_RTOS_BASE).unwrap();
        let before = heartbeat(&sim);
        sim.advance(Duration::from_secs(5));
        assert_eq!(heartbeat(&sim), before + 5);
        let cell = sim.holding(MEMORY_UNIT, OPER_RACK_BASE + 28).unwrap();
        assert!((3000..3600).contains(&cell), "{cell}");
        assert_eq!(sim.holding(MEMORY_UNIT, u16::MAX), Some(0));
    }
}
