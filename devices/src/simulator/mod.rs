//! The built-in device simulator: an inverter, a battery BMS and a three-phase meter (and, on
//! request, generic register banks and the site controller's memory image), answering Modbus over
//! TCP and RTU with values that move over time, plus fault hooks for tests. The BMS also
//! broadcasts its pack values on CAN (`can`). `devices/SIMULATOR.md` is its register map.
//!
//! All state sits behind one mutex that is never held across an await: the Modbus services
//! answer each request synchronously under it, and the tick task advances the model under it.

pub mod bank;
pub mod bms;
pub mod can;
pub mod inverter;
pub mod memory;
pub mod meter;
mod server;
mod site;

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio_modbus::{ExceptionCode, Request, Response};
use tokio_util::sync::CancellationToken;

use crate::modbus::MAX_WRITE_COILS;
use crate::types::{MAX_READ_BITS, MAX_READ_REGISTERS, MAX_WRITE_REGISTERS};

pub use bank::{BANK_FIRST_UNIT, BANK_REGISTERS, MAX_BANKS, bank_unit};
pub use bms::{
    CELLS, PROTECTION_FIELDS, PROTECTION_QUANTITIES, default_thresholds, protection_register,
};
pub use can::{CAN_PERIOD, CAN_SIGNALS, can_signal, spawn_can_broadcast};
pub use memory::MEMORY_UNIT;
pub use server::{Route, RtuServe, SimulatorConfig, SimulatorHandle, TcpServer};

/// Unit ids of the simulated devices.
pub const INVERTER_UNIT: u8 = 1;
pub const BMS_UNIT: u8 = 2;
pub const METER_UNIT: u8 = 3;

/// How often the tick task advances the model.
pub const TICK: Duration = Duration::from_millis(200);

/// Where a device's input registers come from.
#[derive(Debug, Clone)]
enum Inputs {
    /// Written by the model on every tick.
    Stored(Vec<u16>),
    /// Computed from the simulated time when read: a register bank has too many registers to
    /// rewrite on every tick, and nobody reads most of them.
    Wave { seed: u8, count: usize },
}

/// Which model drives a device's registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Inverter,
    Bms,
    Meter,
    Bank,
    MemoryImage,
}

/// The four tables of one simulated device.
#[derive(Debug, Clone)]
pub(crate) struct Device {
    kind: Kind,
    inputs: Inputs,
    holding: Vec<u16>,
    coils: Vec<bool>,
    discrete: Vec<bool>,
    /// Input registers pinned by a test; the model leaves them alone.
    forced: BTreeMap<u16, u16>,
    /// A paused device does not answer at all (as if unplugged).
    paused: bool,
    /// Fault hook: after this many more answered writes, the device goes silent.
    writes_before_silence: Option<usize>,
    /// How many requests the device ignores once silent.
    silence_length: usize,
    /// Requests still to ignore.
    ignoring: usize,
    /// Requests left unanswered while paused or silent.
    unanswered: u64,
}

impl Device {
    pub(crate) fn new(kind: Kind, inputs: usize, holding: usize) -> Device {
        Device {
            kind,
            inputs: Inputs::Stored(vec![0; inputs]),
            holding: vec![0; holding],
            coils: Vec::new(),
            discrete: Vec::new(),
            forced: BTreeMap::new(),
            paused: false,
            writes_before_silence: None,
            silence_length: 0,
            ignoring: 0,
            unanswered: 0,
        }
    }

    fn input_count(&self) -> usize {
        match &self.inputs {
            Inputs::Stored(words) => words.len(),
            Inputs::Wave { count, .. } => *count,
        }
    }

    /// Sets a model-driven input register, unless a test pinned it.
    pub(crate) fn set(&mut self, register: u16, value: u16) {
        if self.forced.contains_key(&register) {
            return;
        }
        if let Inputs::Stored(words) = &mut self.inputs
            && let Some(word) = words.get_mut(usize::from(register))
        {
            *word = value;
        }
    }

    /// Sets a 32-bit input value as two registers, most significant word first.
    pub(crate) fn set_u32(&mut self, register: u16, value: u32) {
        let [high, low] = u32_words(value);
        self.set(register, high);
        self.set(register + 1, low);
    }

    /// An input register as a client would read it now.
    pub(crate) fn input(&self, register: u16, elapsed: f64) -> Option<u16> {
        if usize::from(register) >= self.input_count() {
            return None;
        }
        if let Some(word) = self.forced.get(&register) {
            return Some(*word);
        }
        Some(match &self.inputs {
            Inputs::Stored(words) => words[usize::from(register)],
            Inputs::Wave { seed, .. } => bank::input_word(*seed, register, elapsed),
        })
    }

    fn inputs(&self, range: Range<usize>, elapsed: f64) -> Vec<u16> {
        range
            .filter_map(|r| u16::try_from(r).ok())
            .filter_map(|r| self.input(r, elapsed))
            .collect()
    }

    /// Answers one request, as a device with these tables would.
    fn answer(&mut self, request: &Request<'_>, elapsed: f64) -> Result<Response, ExceptionCode> {
        match request {
            Request::ReadCoils(start, count) => {
                span(self.coils.len(), *start, *count, MAX_READ_BITS)
                    .map(|r| Response::ReadCoils(self.coils[r].to_vec()))
            }
            Request::ReadDiscreteInputs(start, count) => {
                span(self.discrete.len(), *start, *count, MAX_READ_BITS)
                    .map(|r| Response::ReadDiscreteInputs(self.discrete[r].to_vec()))
            }
            Request::ReadInputRegisters(start, count) => {
                span(self.input_count(), *start, *count, MAX_READ_REGISTERS)
                    .map(|r| Response::ReadInputRegisters(self.inputs(r, elapsed)))
            }
            Request::ReadHoldingRegisters(start, count) => {
                span(self.holding.len(), *start, *count, MAX_READ_REGISTERS)
                    .map(|r| Response::ReadHoldingRegisters(self.holding[r].to_vec()))
            }
            Request::WriteSingleCoil(address, bit) => {
                span(self.coils.len(), *address, 1, 1).map(|r| {
                    self.coils[r.start] = *bit;
                    Response::WriteSingleCoil(*address, *bit)
                })
            }
            Request::WriteMultipleCoils(start, bits) => {
                let count = quantity(bits.len());
                span(self.coils.len(), *start, count, MAX_WRITE_COILS).map(|r| {
                    self.coils[r].copy_from_slice(bits);
                    Response::WriteMultipleCoils(*start, count)
                })
            }
            Request::WriteSingleRegister(address, word) => span(self.holding.len(), *address, 1, 1)
                .map(|r| {
                    self.holding[r.start] = *word;
                    Response::WriteSingleRegister(*address, *word)
                }),
            Request::WriteMultipleRegisters(start, words) => {
                let count = quantity(words.len());
                span(self.holding.len(), *start, count, MAX_WRITE_REGISTERS).map(|r| {
                    self.holding[r].copy_from_slice(words);
                    Response::WriteMultipleRegisters(*start, count)
                })
            }
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }
}

/// A request quantity; more than 65,535 items cannot be framed, so it saturates (and is refused).
fn quantity(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

/// The registers a request covers, or the exception a device answers: a table the device does
/// not have is an illegal function, a quantity outside the protocol limit an illegal data value,
/// and addresses past the end of the table an illegal data address.
fn span(len: usize, start: u16, count: u16, limit: u16) -> Result<Range<usize>, ExceptionCode> {
    if len == 0 {
        return Err(ExceptionCode::IllegalFunction);
    }
    if count == 0 || count > limit {
        return Err(ExceptionCode::IllegalDataValue);
    }
    let end = usize::from(start) + usize::from(count);
    if end > len {
        return Err(ExceptionCode::IllegalDataAddress);
    }
    Ok(usize::from(start)..end)
}

/// Everything the simulator holds.
#[derive(Debug)]
struct State {
    devices: BTreeMap<u8, Device>,
    site: site::Site,
}

impl State {
    /// Advances the model by `dt` seconds and writes every register it drives (0 recomputes the
    /// derived values after a write or a forced input).
    fn step(&mut self, dt: f64) {
        let controls = self
            .devices
            .values()
            .find(|device| device.kind == Kind::Inverter)
            .map_or(inverter::DEFAULT_CONTROLS, inverter::controls);
        self.site.step(dt, controls);
        let site = &self.site;
        for device in self.devices.values_mut() {
            match device.kind {
                Kind::Inverter => inverter::update(device, site),
                Kind::Bms => bms::update(device, site),
                Kind::Meter => meter::update(device, site),
                Kind::MemoryImage => memory::update(device, site),
                // Register banks compute their inputs when read.
                Kind::Bank => {}
            }
        }
    }
}

/// The simulator; clones share the same devices.
#[derive(Clone)]
pub struct Simulator {
    state: Arc<Mutex<State>>,
}

impl Default for Simulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Simulator {
    /// The inverter (unit 1), the BMS (unit 2) and the meter (unit 3).
    pub fn new() -> Self {
        let mut devices = BTreeMap::new();
        devices.insert(INVERTER_UNIT, inverter::device());
        devices.insert(BMS_UNIT, bms::device());
        devices.insert(METER_UNIT, meter::device());
        let mut state = State {
            devices,
            site: site::Site::new(),
        };
        state.step(0.0);
        Simulator {
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// Adds a generic register bank at `unit` with `registers` input and holding registers
    /// (at most 65,536), replacing any device there. Inputs drift slowly; holding register `r`
    /// starts at `r` and keeps what is written.
    pub fn with_bank(self, unit: u8, registers: usize) -> Self {
        self.lock()
            .devices
            .insert(unit, bank::device(unit, registers.min(1 << 16)));
        self
    }

    /// Adds the site controller's memory image at `MEMORY_UNIT` (see `memory`).
    pub fn with_memory_image(self) -> Self {
        {
            let mut state = self.lock();
            state.devices.insert(MEMORY_UNIT, memory::device());
            state.step(0.0);
        }
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain numbers behind; keep serving them.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The unit ids that answer.
    pub fn units(&self) -> Vec<u8> {
        self.lock().devices.keys().copied().collect()
    }

    /// Moves simulated time forward and recomputes every live value.
    pub fn advance(&self, step: Duration) {
        self.lock().step(step.as_secs_f64());
    }

    /// Seconds of simulated time since the model's origin.
    pub fn elapsed(&self) -> f64 {
        self.lock().site.elapsed
    }

    /// Runs the model until `cancel`, one step per `TICK`, each as long as the time that really
    /// passed (so it also behaves under paused tokio time).
    pub async fn run(self, cancel: CancellationToken) {
        let mut ticks = tokio::time::interval(TICK);
        // After a stall, one step with the real elapsed time catches up; a burst of ticks would
        // add nothing but work.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                now = ticks.tick() => {
                    self.advance(now - last);
                    last = now;
                }
            }
        }
    }

    /// An input register as a client would read it now.
    pub fn input(&self, unit: u8, register: u16) -> Option<u16> {
        let state = self.lock();
        state
            .devices
            .get(&unit)?
            .input(register, state.site.elapsed)
    }

    /// A holding register.
    pub fn holding(&self, unit: u8, register: u16) -> Option<u16> {
        let state = self.lock();
        state
            .devices
            .get(&unit)?
            .holding
            .get(usize::from(register))
            .copied()
    }

    /// A coil.
    pub fn coil(&self, unit: u8, address: u16) -> Option<bool> {
        let state = self.lock();
        state
            .devices
            .get(&unit)?
            .coils
            .get(usize::from(address))
            .copied()
    }

    /// A discrete input.
    pub fn discrete(&self, unit: u8, address: u16) -> Option<bool> {
        let state = self.lock();
        state
            .devices
            .get(&unit)?
            .discrete
            .get(usize::from(address))
            .copied()
    }

    /// Pins input registers to fixed words (a test crossing a limit on purpose); the model
    /// leaves them alone, and derives from them (max/min cell, alarm bits), until
    /// `release_inputs`. Registers past the end of the device are ignored.
    pub fn force_inputs(&self, unit: u8, register: u16, words: &[u16]) {
        let mut state = self.lock();
        if let Some(device) = state.devices.get_mut(&unit) {
            for (offset, word) in words.iter().enumerate() {
                let Some(r) = u16::try_from(offset)
                    .ok()
                    .and_then(|o| register.checked_add(o))
                    .filter(|r| usize::from(*r) < device.input_count())
                else {
                    break;
                };
                device.forced.insert(r, *word);
            }
        }
        state.step(0.0);
    }

    /// Pins one BMS cell voltage (cell 0 to 15, in mV).
    pub fn set_cell_voltage(&self, cell: usize, millivolts: u16) {
        if let Ok(cell) = u16::try_from(cell)
            && cell < CELLS
        {
            self.force_inputs(BMS_UNIT, bms::CELL_VOLTAGE_0 + cell, &[millivolts]);
        }
    }

    /// Lets the model drive every input register of the device again.
    pub fn release_inputs(&self, unit: u8) {
        let mut state = self.lock();
        if let Some(device) = state.devices.get_mut(&unit) {
            device.forced.clear();
        }
        state.step(0.0);
    }

    /// The device stops answering (requests to it time out), as if unplugged.
    pub fn pause(&self, unit: u8) {
        if let Some(device) = self.lock().devices.get_mut(&unit) {
            device.paused = true;
        }
    }

    /// The device answers again.
    pub fn resume(&self, unit: u8) {
        if let Some(device) = self.lock().devices.get_mut(&unit) {
            device.paused = false;
        }
    }

    /// Requests the device has left unanswered (paused or silent) so far: how a test sees that
    /// a request reached a device that will not answer it.
    pub fn unanswered(&self, unit: u8) -> Option<u64> {
        self.lock()
            .devices
            .get(&unit)
            .map(|device| device.unanswered)
    }

    /// Fault hook: the device answers `writes` more write requests, then ignores the next
    /// `ignored` requests of any kind (they time out), then answers again: a device that stops
    /// answering in the middle of a sequence of writes and comes back.
    pub fn go_silent_after_writes(&self, unit: u8, writes: usize, ignored: usize) {
        if let Some(device) = self.lock().devices.get_mut(&unit) {
            device.writes_before_silence = Some(writes);
            device.silence_length = ignored;
        }
    }

    /// Answers one request as the addressed device would; `None` means no answer at all
    /// (unknown or paused unit, as on a real bus).
    pub fn handle(
        &self,
        unit: u8,
        request: &Request<'_>,
    ) -> Option<Result<Response, ExceptionCode>> {
        let mut state = self.lock();
        let elapsed = state.site.elapsed;
        let device = state.devices.get_mut(&unit)?;
        if device.paused {
            device.unanswered += 1;
            return None;
        }
        let wrote = matches!(
            request,
            Request::WriteSingleCoil(..)
                | Request::WriteMultipleCoils(..)
                | Request::WriteSingleRegister(..)
                | Request::WriteMultipleRegisters(..)
        );
        if device.ignoring > 0 {
            device.ignoring -= 1;
            device.unanswered += 1;
            return None;
        }
        if wrote && let Some(left) = device.writes_before_silence {
            if left == 0 {
                device.writes_before_silence = None;
                device.ignoring = device.silence_length.saturating_sub(1);
                device.unanswered += 1;
                return None;
            }
            device.writes_before_silence = Some(left - 1);
        }
        let answer = device.answer(request, elapsed);
        if answer.is_ok() && wrote {
            // New controls and thresholds act at once (a threshold below the live value sets
            // its alarm bit before the next read).
            state.step(0.0);
        }
        Some(answer)
    }
}

// The float-to-integer conversions below clamp to the target's range first, so the casts cannot
// truncate (and `as` saturates anyway); there is no `TryFrom<f64>` to say so in the types.

/// A value as an i16 register word (two's complement), saturating.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn i16_word(value: f64) -> u16 {
    (value
        .round()
        .clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16)
        .cast_unsigned()
}

/// A value as a u16 register word, saturating.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn u16_word(value: f64) -> u16 {
    value.round().clamp(0.0, f64::from(u16::MAX)) as u16
}

/// A non-negative value as a u32, saturating (energy counters).
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn u32_value(value: f64) -> u32 {
    value.clamp(0.0, f64::from(u32::MAX)) as u32
}

/// A value rounded to an i32, saturating (signed powers in watts).
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn i32_value(value: f64) -> i32 {
    value
        .round()
        .clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

/// A 32-bit value as two register words, most significant first.
pub(crate) fn u32_words(value: u32) -> [u16; 2] {
    let [b3, b2, b1, b0] = value.to_be_bytes();
    [u16::from_be_bytes([b3, b2]), u16::from_be_bytes([b1, b0])]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_input(sim: &Simulator, unit: u8, register: u16) -> u32 {
        let high = u32::from(sim.input(unit, register).unwrap());
        let low = u32::from(sim.input(unit, register + 1).unwrap());
        (high << 16) | low
    }

    #[test]
    fn energy_counters_only_rise_and_values_move() {
        let sim = Simulator::new();
        let mut last = u32_input(&sim, INVERTER_UNIT, inverter::LOAD_ENERGY);
        let first_pv = sim.input(INVERTER_UNIT, inverter::PV_POWER).unwrap();
        let mut pv_changed = false;
        for _ in 0..100 {
            sim.advance(Duration::from_secs(30));
            let now = u32_input(&sim, INVERTER_UNIT, inverter::LOAD_ENERGY);
            assert!(now >= last);
            last = now;
            pv_changed |= sim.input(INVERTER_UNIT, inverter::PV_POWER).unwrap() != first_pv;
        }
        assert!(pv_changed);
        // About 2.5 kW for 50 minutes is about 2 kWh, i.e. 20 counts of 0.1 kWh.
        assert!(last >= 23_456 + 15, "{last}");
    }

    #[test]
    fn a_threshold_below_the_live_value_sets_its_alarm_bit() {
        let sim = Simulator::new();
        assert_eq!(sim.input(BMS_UNIT, bms::WARNING_BITS), Some(0));
        let soc = sim.input(BMS_UNIT, bms::SOC).unwrap();
        let register = protection_register("soc", "max", "warn").unwrap();
        // SOC is in whole percent, its thresholds in tenths.
        let write = Request::WriteSingleRegister(register, soc * 10 - 10);
        assert!(matches!(sim.handle(BMS_UNIT, &write), Some(Ok(_))));
        let soc_max_bit = 1 << 6;
        assert_eq!(sim.input(BMS_UNIT, bms::WARNING_BITS), Some(soc_max_bit));
        assert_eq!(sim.input(BMS_UNIT, bms::ALERT_BITS), Some(0));
    }

    #[test]
    fn a_forced_cell_voltage_crosses_the_fault_limit_until_released() {
        let sim = Simulator::new();
        sim.set_cell_voltage(3, 3700);
        sim.advance(Duration::from_secs(1));
        assert_eq!(sim.input(BMS_UNIT, bms::CELL_VOLTAGE_0 + 3), Some(3700));
        assert_eq!(sim.input(BMS_UNIT, bms::MAX_CELL_VOLTAGE), Some(3700));
        assert_eq!(sim.input(BMS_UNIT, bms::FAULT_BITS).unwrap() & 1, 1);
        sim.release_inputs(BMS_UNIT);
        assert_eq!(sim.input(BMS_UNIT, bms::FAULT_BITS).unwrap() & 1, 0);
    }

    #[test]
    fn bad_requests_get_modbus_exceptions_and_unknown_units_silence() {
        let sim = Simulator::new();
        let past_end =
            Request::ReadInputRegisters(u16::try_from(bms::INPUT_REGISTERS).unwrap() - 2, 5);
        assert_eq!(
            sim.handle(BMS_UNIT, &past_end),
            Some(Err(ExceptionCode::IllegalDataAddress))
        );
        assert_eq!(
            sim.handle(BMS_UNIT, &Request::ReadInputRegisters(0, 126)),
            Some(Err(ExceptionCode::IllegalDataValue))
        );
        assert_eq!(
            sim.handle(METER_UNIT, &Request::ReadCoils(0, 1)),
            Some(Err(ExceptionCode::IllegalFunction))
        );
        assert_eq!(
            sim.handle(METER_UNIT, &Request::ReportServerId),
            Some(Err(ExceptionCode::IllegalFunction))
        );
        assert_eq!(sim.handle(42, &Request::ReadInputRegisters(0, 1)), None);
        sim.pause(METER_UNIT);
        assert_eq!(
            sim.handle(METER_UNIT, &Request::ReadInputRegisters(0, 1)),
            None
        );
        sim.resume(METER_UNIT);
        assert!(matches!(
            sim.handle(METER_UNIT, &Request::ReadInputRegisters(0, 1)),
            Some(Ok(_))
        ));
    }

    #[test]
    fn switching_the_inverter_off_stops_pv_at_once() {
        let sim = Simulator::new();
        assert!(sim.input(INVERTER_UNIT, inverter::PV_POWER).unwrap() > 0);
        let off = Request::WriteSingleRegister(inverter::RUN, 0);
        assert!(matches!(sim.handle(INVERTER_UNIT, &off), Some(Ok(_))));
        assert_eq!(sim.input(INVERTER_UNIT, inverter::PV_POWER), Some(0));
        assert_eq!(
            sim.discrete(INVERTER_UNIT, inverter::PV_PRODUCING),
            Some(false)
        );
    }

    #[test]
    fn banks_drift_slowly_and_keep_what_is_written() {
        let sim = Simulator::new().with_bank(10, 10_000);
        let before = sim.input(10, 9_999).unwrap();
        sim.advance(Duration::from_secs(1));
        let after = sim.input(10, 9_999).unwrap();
        assert!(before.abs_diff(after) <= 2, "{before} → {after}");
        assert_eq!(sim.input(10, 10_000), None);
        assert_eq!(sim.holding(10, 1234), Some(1234));
        let write = Request::WriteMultipleRegisters(5, vec![7, 8].into());
        assert!(matches!(sim.handle(10, &write), Some(Ok(_))));
        assert_eq!(sim.holding(10, 6), Some(8));
        sim.force_inputs(10, 9_998, &[1, 2, 3]);
        assert_eq!(sim.input(10, 9_999), Some(2), "forcing stops at the end");
    }
}
