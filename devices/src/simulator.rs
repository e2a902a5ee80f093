//! The built-in device simulator: an inverter, a battery BMS and a three-phase meter behind one
//! Modbus server (TCP on loopback, or RTU on a serial path such as a pseudo-terminal), with values
//! that move over time and fault hooks for tests. `devices/SIMULATOR.md` is its register map.

use std::collections::BTreeMap;
use std::future::{Ready, ready};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_modbus::server::Service;
use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};
use tokio_util::sync::CancellationToken;

/// Unit ids of the simulated devices.
pub const INVERTER_UNIT: u8 = 1;
pub const BMS_UNIT: u8 = 2;
pub const METER_UNIT: u8 = 3;

/// Number of cells of the simulated battery pack.
pub const CELLS: usize = 16;

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

/// BMS input registers (see SIMULATOR.md).
pub mod bms {
    pub const PACK_VOLTAGE: u16 = 0; // 0.1 V
    pub const PACK_CURRENT: u16 = 1; // 0.1 A, i16, positive = discharge
    pub const SOC: u16 = 2; // %
    pub const SOH: u16 = 3; // %
    pub const CELL_VOLTAGE_0: u16 = 4; // mV, 16 registers
    pub const TEMP_0: u16 = 20; // 0.1 °C, i16, 4 registers
    pub const MAX_CELL_VOLTAGE: u16 = 24; // mV
    pub const MIN_CELL_VOLTAGE: u16 = 25; // mV
    pub const WARNING_BITS: u16 = 30;
    pub const ALERT_BITS: u16 = 31;
    pub const FAULT_BITS: u16 = 32;
    pub const INPUT_REGISTERS: usize = 40;
    pub const HOLDING_REGISTERS: usize = 70;
}

/// Inverter registers (see SIMULATOR.md).
pub mod inverter {
    pub const PV_POWER: u16 = 0; // W
    pub const LOAD_POWER: u16 = 1; // W
    pub const GRID_POWER: u16 = 2; // W, i16, positive = import
    pub const BATTERY_VOLTAGE: u16 = 3; // 0.1 V
    pub const BATTERY_CURRENT: u16 = 4; // 0.1 A, i16
    pub const BATTERY_SOC: u16 = 5; // %
    pub const TEMPERATURE: u16 = 6; // 0.1 °C, i16
    pub const PV_ENERGY: u16 = 10; // 0.1 kWh, u32 big-endian words
    pub const LOAD_ENERGY: u16 = 12; // 0.1 kWh, u32
    pub const INPUT_REGISTERS: usize = 20;
    /// Holding: 0 power limit (%), 1 run (0/1).
    pub const POWER_LIMIT: u16 = 0;
    pub const RUN: u16 = 1;
    pub const HOLDING_REGISTERS: usize = 4;
}

/// Meter input registers (see SIMULATOR.md).
pub mod meter {
    pub const VOLTAGE_L1: u16 = 0; // 0.1 V, 3 registers
    pub const CURRENT_L1: u16 = 3; // 0.01 A, 3 registers
    pub const POWER_L1: u16 = 6; // W, i16, 3 registers
    pub const TOTAL_POWER: u16 = 9; // W, i16
    pub const FREQUENCY: u16 = 10; // 0.01 Hz
    pub const IMPORT_ENERGY: u16 = 12; // 0.1 kWh, u32
    pub const EXPORT_ENERGY: u16 = 14; // 0.1 kWh, u32
    pub const INPUT_REGISTERS: usize = 20;
}

/// The registers of one simulated device.
#[derive(Debug, Clone)]
struct Device {
    input: Vec<u16>,
    holding: Vec<u16>,
    /// Input registers forced by a test; the model does not overwrite them.
    forced: BTreeMap<u16, u16>,
    /// A paused device does not answer at all (as if unplugged).
    paused: bool,
}

impl Device {
    fn new(inputs: usize, holdings: usize) -> Self {
        Device {
            input: vec![0; inputs],
            holding: vec![0; holdings],
            forced: BTreeMap::new(),
            paused: false,
        }
    }

    fn set(&mut self, register: u16, value: u16) {
        if !self.forced.contains_key(&register) {
            self.input[usize::from(register)] = value;
        }
    }
}

/// Everything the simulator holds; guarded by one mutex that is never held across an await.
#[derive(Debug)]
struct State {
    devices: BTreeMap<u8, Device>,
    /// Seconds of simulated time.
    elapsed: f64,
    /// Energy counters in 0.1 kWh with their fractional remainder.
    pv_energy: f64,
    load_energy: f64,
    import_energy: f64,
    export_energy: f64,
    soc: f64,
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

/// Default protection thresholds (SIMULATOR.md lists them).
fn default_thresholds() -> Vec<u16> {
    // (warn, alert, fault) per quantity and side, then durations 5/3/1 s, hysteresis.
    let limits: [[u16; 4]; 10] = [
        // warn, alert, fault, hysteresis
        [3550, 3600, 3650, 20], // cell_voltage max, mV
        [2900, 2800, 2700, 20], // cell_voltage min, mV
        [5700, 5760, 5840, 20], // pack_voltage max, 0.1 V
        [4640, 4480, 4320, 20], // pack_voltage min, 0.1 V
        [450, 500, 550, 20],    // cell_temp max, 0.1 °C
        [50, 0, 0, 20],         // cell_temp min, 0.1 °C (alert/fault at 0 °C)
        [95, 98, 100, 2],       // soc max, %
        [10, 5, 2, 2],          // soc min, %
        [1000, 1200, 1400, 50], // charge_current max, 0.1 A
        [1500, 1800, 2000, 50], // discharge_current max, 0.1 A
    ];
    let mut registers = Vec::with_capacity(bms::HOLDING_REGISTERS);
    for [warn, alert, fault, hyst] in limits {
        registers.extend([warn, 5, alert, 3, fault, 1, hyst]);
    }
    registers
}

/// Register of a protection field in `prot:sbmu:hold` (byte offset / 2), e.g.
/// `("soc", "min", "alert")` → 52.
pub fn protection_register(quantity: &str, side: &str, field: &str) -> Option<u16> {
    let mut register = 0u16;
    for (q, sides) in PROTECTION_QUANTITIES {
        for s in sides {
            if q == quantity && *s == side {
                let f = PROTECTION_FIELDS.iter().position(|x| *x == field)?;
                return Some(register + f as u16);
            }
            register += PROTECTION_FIELDS.len() as u16;
        }
    }
    None
}

impl Simulator {
    pub fn new() -> Self {
        let mut devices = BTreeMap::new();
        let mut inverter_device =
            Device::new(inverter::INPUT_REGISTERS, inverter::HOLDING_REGISTERS);
        inverter_device.holding[usize::from(inverter::POWER_LIMIT)] = 100;
        inverter_device.holding[usize::from(inverter::RUN)] = 1;
        devices.insert(INVERTER_UNIT, inverter_device);
        let mut bms_device = Device::new(bms::INPUT_REGISTERS, bms::HOLDING_REGISTERS);
        bms_device.holding = default_thresholds();
        devices.insert(BMS_UNIT, bms_device);
        devices.insert(METER_UNIT, Device::new(meter::INPUT_REGISTERS, 0));
        let simulator = Simulator {
            state: Arc::new(Mutex::new(State {
                devices,
                elapsed: 0.0,
                pv_energy: 12_345.0,
                load_energy: 23_456.0,
                import_energy: 34_567.0,
                export_energy: 4_567.0,
                soc: 62.0,
            })),
        };
        simulator.advance(Duration::ZERO);
        simulator
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain numbers behind; keep serving them.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves simulated time forward and recomputes every live value.
    pub fn advance(&self, step: Duration) {
        let mut state = self.lock();
        state.step(step.as_secs_f64());
    }

    /// Runs the model in real time until `cancel` (a tick every 200 ms).
    pub async fn run(self, cancel: CancellationToken) {
        let mut ticks = tokio::time::interval(Duration::from_millis(200));
        // After a stall, one catch-up step with the real elapsed time is right; a burst of
        // ticks would add nothing.
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

    /// Input register of a device, as the model (or a test) set it.
    pub fn input(&self, unit: u8, register: u16) -> Option<u16> {
        let state = self.lock();
        state
            .devices
            .get(&unit)?
            .input
            .get(usize::from(register))
            .copied()
    }

    /// Holding register of a device.
    pub fn holding(&self, unit: u8, register: u16) -> Option<u16> {
        let state = self.lock();
        state
            .devices
            .get(&unit)?
            .holding
            .get(usize::from(register))
            .copied()
    }

    /// Forces input registers to fixed words (a test crossing a limit on purpose); the model
    /// leaves them alone until `release_inputs`.
    pub fn force_inputs(&self, unit: u8, register: u16, words: &[u16]) {
        let mut state = self.lock();
        if let Some(device) = state.devices.get_mut(&unit) {
            for (i, word) in words.iter().enumerate() {
                let r = register + i as u16;
                if usize::from(r) < device.input.len() {
                    device.forced.insert(r, *word);
                    device.input[usize::from(r)] = *word;
                }
            }
        }
        state.step(0.0);
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

    pub fn resume(&self, unit: u8) {
        if let Some(device) = self.lock().devices.get_mut(&unit) {
            device.paused = false;
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
        let device = state.devices.get_mut(&unit)?;
        if device.paused {
            return None;
        }
        let range = |len: usize, start: u16, count: u16| {
            let end = usize::from(start) + usize::from(count);
            if count == 0 || end > len {
                Err(ExceptionCode::IllegalDataAddress)
            } else {
                Ok(usize::from(start)..end)
            }
        };
        let answer = match request {
            Request::ReadInputRegisters(start, count) => range(device.input.len(), *start, *count)
                .map(|r| Response::ReadInputRegisters(device.input[r].to_vec())),
            Request::ReadHoldingRegisters(start, count) => {
                range(device.holding.len(), *start, *count)
                    .map(|r| Response::ReadHoldingRegisters(device.holding[r].to_vec()))
            }
            Request::WriteSingleRegister(address, word) => range(device.holding.len(), *address, 1)
                .map(|r| {
                    device.holding[r.start] = *word;
                    Response::WriteSingleRegister(*address, *word)
                }),
            Request::WriteMultipleRegisters(start, words) => {
                range(device.holding.len(), *start, words.len() as u16).map(|r| {
                    device.holding[r].copy_from_slice(words);
                    Response::WriteMultipleRegisters(*start, words.len() as u16)
                })
            }
            // The simulated devices have no coils or discrete inputs.
            _ => Err(ExceptionCode::IllegalFunction),
        };
        if answer.is_ok() && unit == BMS_UNIT {
            // New thresholds change the alarm bits at once.
            state.step(0.0);
        }
        Some(answer)
    }

    /// Serves Modbus TCP on `addr` (port 0 picks a free port) until `cancel`; returns the
    /// bound address.
    pub async fn serve_tcp(
        &self,
        addr: SocketAddr,
        cancel: CancellationToken,
    ) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let server = tokio_modbus::server::tcp::Server::new(listener);
        let simulator = self.clone();
        tokio::spawn(async move {
            let on_connected = |stream, _peer| {
                let service = SimService {
                    simulator: simulator.clone(),
                };
                async move { Ok(Some((service, stream))) }
            };
            let on_error = |error| tracing::debug!(%error, "simulator connection ended");
            if let Err(error) = server
                .serve_until(
                    &on_connected,
                    on_error,
                    async move { cancel.cancelled().await },
                )
                .await
            {
                tracing::warn!(%error, "simulator TCP server stopped");
            }
        });
        Ok(bound)
    }

    /// Serves Modbus RTU on a serial path (e.g. one end of a pseudo-terminal pair) until
    /// `cancel`.
    pub fn serve_rtu(
        &self,
        path: &str,
        baud_rate: u32,
        cancel: CancellationToken,
    ) -> std::io::Result<()> {
        let port = tokio_serial::SerialStream::open(&tokio_serial::new(path, baud_rate))?;
        let server = tokio_modbus::server::rtu::Server::new(port);
        let service = SimService {
            simulator: self.clone(),
        };
        tokio::spawn(async move {
            if let Err(error) = server
                .serve_until(service, async move { cancel.cancelled().await })
                .await
            {
                tracing::warn!(%error, "simulator RTU server stopped");
            }
        });
        Ok(())
    }
}

/// The tokio-modbus service around the simulator.
struct SimService {
    simulator: Simulator,
}

impl Service for SimService {
    type Request = SlaveRequest<'static>;
    type Response = Option<Response>;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Option<Response>, ExceptionCode>>;

    fn call(&self, request: Self::Request) -> Self::Future {
        ready(
            match self.simulator.handle(request.slave, &request.request) {
                None => Ok(None),
                Some(Ok(response)) => Ok(Some(response)),
                Some(Err(code)) => Err(code),
            },
        )
    }
}

fn to_i16_word(value: f64) -> u16 {
    (value
        .round()
        .clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16) as u16
}

fn to_u16_word(value: f64) -> u16 {
    value.round().clamp(0.0, f64::from(u16::MAX)) as u16
}

fn u32_words(value: f64) -> [u16; 2] {
    let raw = value.max(0.0) as u32;
    [(raw >> 16) as u16, raw as u16]
}

impl State {
    /// Advances the model by `dt` seconds and writes every register it drives.
    fn step(&mut self, dt: f64) {
        self.elapsed += dt;
        let t = self.elapsed;
        // A compressed day: the sun rises and sets every 10 minutes.
        let sun = (t / 600.0 * std::f64::consts::TAU).sin().max(0.0);
        let pv = 6_000.0 * sun;
        let load = 2_500.0 + 800.0 * (t / 47.0).sin();
        // The battery takes the PV surplus up to 3 kW, and covers a deficit up to 3 kW.
        let battery_power = (load - pv).clamp(-3_000.0, 3_000.0); // W, positive = discharge
        let grid = load - pv - battery_power;
        self.soc = (self.soc - battery_power * dt / 3600.0 / 100.0).clamp(5.0, 99.0);
        let pack_voltage = 512.0 + 0.4 * (self.soc - 50.0) - battery_power / 3_000.0 * 4.0;
        let pack_current = battery_power / pack_voltage; // A
        self.pv_energy += pv * dt / 360_000.0; // W·s → 0.1 kWh
        self.load_energy += load * dt / 360_000.0;
        if grid > 0.0 {
            self.import_energy += grid * dt / 360_000.0;
        } else {
            self.export_energy += -grid * dt / 360_000.0;
        }

        if let Some(device) = self.devices.get_mut(&INVERTER_UNIT) {
            device.set(inverter::PV_POWER, to_u16_word(pv));
            device.set(inverter::LOAD_POWER, to_u16_word(load));
            device.set(inverter::GRID_POWER, to_i16_word(grid));
            device.set(inverter::BATTERY_VOLTAGE, to_u16_word(pack_voltage * 10.0));
            device.set(inverter::BATTERY_CURRENT, to_i16_word(pack_current * 10.0));
            device.set(inverter::BATTERY_SOC, to_u16_word(self.soc));
            device.set(inverter::TEMPERATURE, to_i16_word(350.0 + 60.0 * sun));
            for (register, value) in [
                (inverter::PV_ENERGY, self.pv_energy),
                (inverter::LOAD_ENERGY, self.load_energy),
            ] {
                let [high, low] = u32_words(value);
                device.set(register, high);
                device.set(register + 1, low);
            }
        }

        if let Some(device) = self.devices.get_mut(&METER_UNIT) {
            for phase in 0..3u16 {
                let wobble = (t / 13.0 + f64::from(phase)).sin();
                let voltage = 230.0 + 2.0 * wobble;
                let power = grid / 3.0 + 30.0 * wobble;
                device.set(meter::VOLTAGE_L1 + phase, to_u16_word(voltage * 10.0));
                device.set(
                    meter::CURRENT_L1 + phase,
                    to_u16_word(power.abs() / voltage * 100.0),
                );
                device.set(meter::POWER_L1 + phase, to_i16_word(power));
            }
            device.set(meter::TOTAL_POWER, to_i16_word(grid));
            device.set(
                meter::FREQUENCY,
                to_u16_word(5000.0 + 3.0 * (t / 7.0).sin()),
            );
            for (register, value) in [
                (meter::IMPORT_ENERGY, self.import_energy),
                (meter::EXPORT_ENERGY, self.export_energy),
            ] {
                let [high, low] = u32_words(value);
                device.set(register, high);
                device.set(register + 1, low);
            }
        }

        if let Some(device) = self.devices.get_mut(&BMS_UNIT) {
            // 160 cells in series; the BMS reports 16 of them.
            let cell_base = pack_voltage / 160.0 * 1000.0; // mV
            for cell in 0..CELLS {
                let spread = 6.0 * ((cell as f64) * 1.7 + t / 30.0).sin();
                device.set(
                    bms::CELL_VOLTAGE_0 + cell as u16,
                    to_u16_word(cell_base + spread),
                );
            }
            for sensor in 0..4u16 {
                let temp = 25.0 + 3.0 * (t / 90.0 + f64::from(sensor)).sin() + 2.0 * sun;
                device.set(bms::TEMP_0 + sensor, to_i16_word(temp * 10.0));
            }
            device.set(bms::PACK_VOLTAGE, to_u16_word(pack_voltage * 10.0));
            device.set(bms::PACK_CURRENT, to_i16_word(pack_current * 10.0));
            device.set(bms::SOC, to_u16_word(self.soc));
            device.set(bms::SOH, 97);
            let cells = &device.input
                [usize::from(bms::CELL_VOLTAGE_0)..usize::from(bms::CELL_VOLTAGE_0) + CELLS];
            let (max_cell, min_cell) = (
                *cells.iter().max().unwrap_or(&0),
                *cells.iter().min().unwrap_or(&0),
            );
            device.set(bms::MAX_CELL_VOLTAGE, max_cell);
            device.set(bms::MIN_CELL_VOLTAGE, min_cell);
            let [warning, alert, fault] = alarm_bits(device);
            device.set(bms::WARNING_BITS, warning);
            device.set(bms::ALERT_BITS, alert);
            device.set(bms::FAULT_BITS, fault);
        }
    }
}

/// Warning, alert and fault bits from the live values and the protection thresholds. Bit `2q`
/// is the max side of quantity `q` (in `PROTECTION_QUANTITIES` order), bit `2q + 1` its min side.
/// The device compares instantly; on/off delays and hysteresis are the console's job.
fn alarm_bits(device: &Device) -> [u16; 3] {
    let input = |r: u16| device.input[usize::from(r)];
    let temps = &device.input[usize::from(bms::TEMP_0)..usize::from(bms::TEMP_0) + 4];
    let max_temp = temps.iter().map(|w| *w as i16).max().unwrap_or(0);
    let min_temp = temps.iter().map(|w| *w as i16).min().unwrap_or(0);
    let current = input(bms::PACK_CURRENT) as i16;
    // Live value of each quantity and side, in the units of its thresholds.
    let live: [(usize, &str, i32); 10] = [
        (0, "max", i32::from(input(bms::MAX_CELL_VOLTAGE))),
        (0, "min", i32::from(input(bms::MIN_CELL_VOLTAGE))),
        (1, "max", i32::from(input(bms::PACK_VOLTAGE))),
        (1, "min", i32::from(input(bms::PACK_VOLTAGE))),
        (2, "max", i32::from(max_temp)),
        (2, "min", i32::from(min_temp)),
        (3, "max", i32::from(input(bms::SOC))),
        (3, "min", i32::from(input(bms::SOC))),
        (4, "max", i32::from(-current.min(0))),
        (5, "max", i32::from(current.max(0))),
    ];
    let mut bits = [0u16; 3];
    for (quantity, side, value) in live {
        let (name, _) = PROTECTION_QUANTITIES[quantity];
        let bit = 2 * quantity as u16 + u16::from(side == "min");
        for (level, field) in ["warn", "alert", "fault"].iter().enumerate() {
            let Some(register) = protection_register(name, side, field) else {
                continue;
            };
            let threshold = i32::from(device.holding[usize::from(register)]);
            let crossed = if side == "max" {
                value >= threshold
            } else {
                value <= threshold
            };
            if crossed {
                bits[level] |= 1 << bit;
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
        assert_eq!(default_thresholds().len(), bms::HOLDING_REGISTERS);
    }

    #[test]
    fn energy_counters_only_rise_and_values_move() {
        let sim = Simulator::new();
        let energy = |sim: &Simulator| {
            let high = u32::from(sim.input(INVERTER_UNIT, inverter::LOAD_ENERGY).unwrap());
            let low = u32::from(sim.input(INVERTER_UNIT, inverter::LOAD_ENERGY + 1).unwrap());
            (high << 16) | low
        };
        let mut last = energy(&sim);
        let first_pv = sim.input(INVERTER_UNIT, inverter::PV_POWER).unwrap();
        let mut pv_changed = false;
        for _ in 0..100 {
            sim.advance(Duration::from_secs(30));
            let now = energy(&sim);
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
        let write = Request::WriteSingleRegister(register, soc - 1);
        assert!(matches!(sim.handle(BMS_UNIT, &write), Some(Ok(_))));
        let soc_max_bit = 1 << 6;
        assert_eq!(sim.input(BMS_UNIT, bms::WARNING_BITS), Some(soc_max_bit));
        assert_eq!(sim.input(BMS_UNIT, bms::ALERT_BITS), Some(0));
    }

    #[test]
    fn forced_cell_voltages_cross_the_fault_limit() {
        let sim = Simulator::new();
        sim.force_inputs(BMS_UNIT, bms::CELL_VOLTAGE_0 + 3, &[3700]);
        sim.advance(Duration::from_secs(1));
        assert_eq!(sim.input(BMS_UNIT, bms::MAX_CELL_VOLTAGE), Some(3700));
        assert_eq!(sim.input(BMS_UNIT, bms::FAULT_BITS).unwrap() & 1, 1);
        sim.release_inputs(BMS_UNIT);
        assert_eq!(sim.input(BMS_UNIT, bms::FAULT_BITS).unwrap() & 1, 0);
    }

    #[test]
    fn bad_requests_get_modbus_exceptions_and_unknown_units_silence() {
        let sim = Simulator::new();
        let past_end = Request::ReadInputRegisters(38, 5);
        assert_eq!(
            sim.handle(BMS_UNIT, &past_end),
            Some(Err(ExceptionCode::IllegalDataAddress))
        );
        assert_eq!(
            sim.handle(METER_UNIT, &Request::ReadCoils(0, 1)),
            Some(Err(ExceptionCode::IllegalFunction))
        );
        assert_eq!(sim.handle(42, &Request::ReadInputRegisters(0, 1)), None);
        sim.pause(METER_UNIT);
        assert_eq!(
            sim.handle(METER_UNIT, &Request::ReadInputRegisters(0, 1)),
            None
        );
        sim.resume(METER_UNIT);
        assert!(
            sim.handle(METER_UNIT, &Request::ReadInputRegisters(0, 1))
                .is_some()
        );
    }
}
