//! Generic register banks: stand-ins for many devices in benchmarks ("2,000 variables over 10
//! devices", "100 devices polled at 1 Hz"). Each bank has the same number of input and holding
//! registers; inputs drift slowly around a level that depends on the register, holding registers
//! start at their own address and keep what is written.

use super::{Device, Inputs, Kind, u16_word};

/// Unit id of the first bank a `SimulatorConfig` adds; bank `i` is unit `BANK_FIRST_UNIT + i`.
pub const BANK_FIRST_UNIT: u8 = 10;
/// Banks a `SimulatorConfig` can add: unit ids 10 to 246 (247 is the last Modbus address).
pub const MAX_BANKS: usize = 237;
/// Input and holding registers per bank unless told otherwise.
pub const BANK_REGISTERS: usize = 10_000;

/// Unit id of the last bank a `SimulatorConfig` can add.
const LAST_BANK_UNIT: u8 = 246;
const _: () = assert!(BANK_FIRST_UNIT as usize + MAX_BANKS - 1 == LAST_BANK_UNIT as usize);

/// The unit id of bank `index` of a `SimulatorConfig` (indexes past the last bank share its id).
pub fn bank_unit(index: usize) -> u8 {
    u8::try_from(index).map_or(LAST_BANK_UNIT, |index| {
        BANK_FIRST_UNIT.saturating_add(index).min(LAST_BANK_UNIT)
    })
}

/// A bank with `registers` input and holding registers (at most 65,536).
pub(crate) fn device(unit: u8, registers: usize) -> Device {
    let registers = registers.min(1 << 16);
    let mut device = Device::new(Kind::Bank, 0, 0);
    device.inputs = Inputs::Wave {
        seed: unit,
        count: registers,
    };
    device.holding = (0..=u16::MAX).take(registers).collect();
    device
}

/// Input register `register` of the bank seeded `seed` at simulated time `elapsed` (seconds):
/// a level of 1,000 to 10,900 by register, plus a swing of ±50 with a period of about 6 minutes.
pub(crate) fn input_word(seed: u8, register: u16, elapsed: f64) -> u16 {
    let level = 1_000.0 + f64::from(register % 100) * 100.0;
    let phase = f64::from(register) * 0.37 + f64::from(seed) * 1.3;
    // Between 950 and 10,950: u16_word's rounding is exact here.
    u16_word(level + 50.0 * (elapsed / 60.0 + phase).sin())
}
