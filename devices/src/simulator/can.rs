//! The simulated BMS on CAN: its pack values broadcast every period as Pylontech/Victron-style
//! frames (0x351, 0x355, 0x356, 0x35A, little-endian), read from the same registers the Modbus
//! BMS (unit 2) answers with, so Modbus and CAN always agree. `CAN_SIGNALS` describes every
//! broadcast value, for the server's demo registry. `devices/SIMULATOR.md` lists the frames.

use std::pin::pin;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{BMS_UNIT, Simulator, bms};
use crate::can::signal::encode_into;
use crate::can::{CanBus, CanFrame, CanSignal};
use crate::codec::engineering_range;
use crate::error::DeviceError;
use crate::types::DataType;

/// How often a real BMS of this kind broadcasts, and the default period.
pub const CAN_PERIOD: Duration = Duration::from_millis(100);

/// Charge/discharge limits: voltages u16 0.1 V, currents i16 0.1 A.
pub const LIMITS_ID: u32 = 0x351;
/// SOC and SOH, u16 %.
pub const SOC_ID: u32 = 0x355;
/// Pack voltage u16 0.01 V, pack current i16 0.1 A, temperature i16 0.1 °C.
pub const PACK_ID: u32 = 0x356;
/// Warning, alert and fault bits, u16 each, as in the BMS's input registers 30–32.
pub const ALARMS_ID: u32 = 0x35A;

/// Every broadcast frame: id and data length.
const FRAMES: [(u32, usize); 4] = [(LIMITS_ID, 8), (SOC_ID, 4), (PACK_ID, 6), (ALARMS_ID, 8)];

/// Every value the simulated BMS broadcasts, by the name the demo registry gives it.
///
/// The pack voltage is a `u16` at 0.01 V, where Victron's 0x356 has an `i16`: this pack runs
/// at about 512 V, past the 327.67 V an `i16` holds at that scale, and a pack voltage is never
/// negative. The pack current keeps the Modbus BMS's sign: positive = discharge.
pub const CAN_SIGNALS: &[(&str, CanSignal)] = &[
    (
        "bms_can_charge_voltage_limit",
        CanSignal::new(LIMITS_ID, 0, DataType::U16, 0.1),
    ),
    (
        "bms_can_charge_current_limit",
        CanSignal::new(LIMITS_ID, 2, DataType::I16, 0.1),
    ),
    (
        "bms_can_discharge_current_limit",
        CanSignal::new(LIMITS_ID, 4, DataType::I16, 0.1),
    ),
    (
        "bms_can_discharge_voltage_limit",
        CanSignal::new(LIMITS_ID, 6, DataType::U16, 0.1),
    ),
    ("bms_can_soc", CanSignal::new(SOC_ID, 0, DataType::U16, 1.0)),
    ("bms_can_soh", CanSignal::new(SOC_ID, 2, DataType::U16, 1.0)),
    (
        "bms_can_pack_voltage",
        CanSignal::new(PACK_ID, 0, DataType::U16, 0.01),
    ),
    (
        "bms_can_pack_current",
        CanSignal::new(PACK_ID, 2, DataType::I16, 0.1),
    ),
    (
        "bms_can_temperature",
        CanSignal::new(PACK_ID, 4, DataType::I16, 0.1),
    ),
    (
        "bms_can_warning_bits",
        CanSignal::new(ALARMS_ID, 0, DataType::U16, 1.0),
    ),
    (
        "bms_can_alert_bits",
        CanSignal::new(ALARMS_ID, 2, DataType::U16, 1.0),
    ),
    (
        "bms_can_fault_bits",
        CanSignal::new(ALARMS_ID, 4, DataType::U16, 1.0),
    ),
];

/// The broadcast signal called `name`.
pub fn can_signal(name: &str) -> Option<CanSignal> {
    CAN_SIGNALS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, signal)| *signal)
}

impl Simulator {
    /// The BMS's values in `CAN_SIGNALS` order, in engineering units, all read under one lock
    /// so a frame never mixes two ticks; `None` when there is no BMS or it is paused (a paused
    /// device is unplugged, from CAN too).
    pub fn bms_can_values(&self) -> Option<Vec<f64>> {
        let state = self.lock();
        let device = state.devices.get(&BMS_UNIT).filter(|d| !d.paused)?;
        let t = state.site.elapsed;
        let input = |r: u16| device.input(r, t).unwrap_or(0);
        let signed = |r: u16| f64::from(input(r) as i16);
        // The limits a BMS advertises are its own protection thresholds: the warning levels, so
        // an inverter that follows them stays clear of alerts and faults.
        let threshold = |quantity: &str, side: &str| {
            bms::protection_register(quantity, side, "warn")
                .and_then(|r| device.holding.get(usize::from(r)).copied())
                .map_or(0.0, f64::from)
        };
        let hottest = (0..bms::TEMP_SENSORS)
            .map(|s| signed(bms::TEMP_0 + s))
            .fold(f64::MIN, f64::max);
        Some(vec![
            threshold("pack_voltage", "max") * 0.1,
            threshold("charge_current", "max") * 0.1,
            threshold("discharge_current", "max") * 0.1,
            threshold("pack_voltage", "min") * 0.1,
            f64::from(input(bms::SOC)),
            f64::from(input(bms::SOH)),
            f64::from(input(bms::PACK_VOLTAGE)) * 0.1,
            signed(bms::PACK_CURRENT) * 0.1,
            hottest * 0.1,
            f64::from(input(bms::WARNING_BITS)),
            f64::from(input(bms::ALERT_BITS)),
            f64::from(input(bms::FAULT_BITS)),
        ])
    }

    /// The frames the BMS broadcasts now (none while it is paused).
    pub fn bms_can_frames(&self) -> Vec<CanFrame> {
        let Some(values) = self.bms_can_values() else {
            return Vec::new();
        };
        FRAMES
            .iter()
            .filter_map(|&(id, length)| {
                let mut data = [0u8; 8];
                for ((name, signal), value) in CAN_SIGNALS.iter().zip(&values) {
                    if signal.can_id != id {
                        continue;
                    }
                    // A value pinned by a test may not fit its signal: saturate, as the Modbus
                    // registers do.
                    let (low, high) = engineering_range(signal.data_type, signal.scale, 0.0);
                    if let Err(error) = encode_into(signal, value.clamp(low, high), &mut data) {
                        tracing::warn!(%error, name, "simulator CAN signal not encoded");
                    }
                }
                CanFrame::new(id, false, &data[..length]).ok()
            })
            .collect()
    }
}

/// Receives after `delay`: the broadcast task keeps receiving (and ignoring) what others send,
/// because an slcan adapter end answers its host from inside `recv`.
async fn receive_after<B: CanBus>(bus: &B, delay: Duration) -> Result<CanFrame, DeviceError> {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    bus.recv().await
}

/// Broadcasts the BMS's frames on `bus` every `period` until `cancel`. Frames sent to the BMS
/// are received and ignored. A failed send is logged (once per run of failures) and the next
/// period tries again; the task never ends on an error.
pub fn spawn_can_broadcast<B: CanBus + 'static>(
    simulator: Simulator,
    bus: B,
    period: Duration,
    cancel: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        // As in the CAN monitor, the receive lives across turns, so a send never cuts it short.
        let mut receive = pin!(receive_after(&bus, Duration::ZERO));
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = ticks.tick() => {
                    for frame in simulator.bms_can_frames() {
                        match bus.send(&frame).await {
                            Ok(()) => failing = false,
                            Err(error) => {
                                if !failing {
                                    tracing::warn!(%error, "simulator CAN broadcast failed");
                                }
                                failing = true;
                                break;
                            }
                        }
                    }
                }
                result = &mut receive => {
                    // Nothing to act on; after an error, wait a period rather than spin.
                    let delay = if result.is_ok() { Duration::ZERO } else { period };
                    receive.set(receive_after(&bus, delay));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::can::memory::MemoryCanBus;

    fn value(frames: &[CanFrame], name: &str) -> f64 {
        let signal = can_signal(name).unwrap();
        let frame = frames
            .iter()
            .find(|f| f.id() == signal.can_id)
            .expect("frame broadcast");
        signal.decode(frame).unwrap()
    }

    #[track_caller]
    fn approx(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "{actual} is not {expected}"
        );
    }

    #[test]
    fn the_signal_table_is_valid_and_fits_the_frames() {
        let mut names: Vec<&str> = CAN_SIGNALS.iter().map(|(n, _)| *n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CAN_SIGNALS.len(), "names are unique");
        for (name, signal) in CAN_SIGNALS {
            signal.check().unwrap_or_else(|e| panic!("{name}: {e}"));
            let (_, length) = FRAMES.iter().find(|(id, _)| *id == signal.can_id).unwrap();
            assert!(
                usize::from(signal.start_byte + signal.length) <= *length,
                "{name} is past its frame"
            );
        }
        assert!(can_signal("bms_can_soc").is_some());
        assert!(can_signal("bms_can_pack_voltage").is_some());
    }

    #[test]
    fn frames_carry_what_the_modbus_bms_reports() {
        let sim = Simulator::new();
        sim.force_inputs(BMS_UNIT, bms::SOC, &[77, 95]);
        sim.force_inputs(BMS_UNIT, bms::PACK_CURRENT, &[(-123i16) as u16]);
        sim.force_inputs(BMS_UNIT, bms::FAULT_BITS, &[0x0102]);
        let frames = sim.bms_can_frames();
        let ids: Vec<u32> = frames.iter().map(CanFrame::id).collect();
        assert_eq!(ids, [LIMITS_ID, SOC_ID, PACK_ID, ALARMS_ID]);
        assert_eq!(frames[1].data(), [77, 0, 95, 0], "little-endian");

        approx(value(&frames, "bms_can_soc"), 77.0);
        approx(value(&frames, "bms_can_soh"), 95.0);
        approx(value(&frames, "bms_can_pack_current"), -12.3);
        approx(value(&frames, "bms_can_fault_bits"), f64::from(0x0102u16));
        let modbus_voltage = f64::from(sim.input(BMS_UNIT, bms::PACK_VOLTAGE).unwrap()) * 0.1;
        let can_voltage = value(&frames, "bms_can_pack_voltage");
        assert!(
            (can_voltage - modbus_voltage).abs() < 1e-6,
            "{can_voltage} vs {modbus_voltage}"
        );
        assert!(can_voltage > 400.0, "{can_voltage}");
        let hottest = (0..bms::TEMP_SENSORS)
            .map(|s| sim.input(BMS_UNIT, bms::TEMP_0 + s).unwrap() as i16)
            .max()
            .unwrap();
        assert!((value(&frames, "bms_can_temperature") - f64::from(hottest) * 0.1).abs() < 1e-6);
        // The limits are the protection warning thresholds.
        approx(value(&frames, "bms_can_charge_voltage_limit"), 570.0);
        approx(value(&frames, "bms_can_charge_current_limit"), 100.0);
        approx(value(&frames, "bms_can_discharge_current_limit"), 150.0);
        approx(value(&frames, "bms_can_discharge_voltage_limit"), 464.0);

        sim.pause(BMS_UNIT);
        assert!(sim.bms_can_frames().is_empty(), "a paused BMS is silent");
    }

    #[test]
    fn a_pinned_value_past_its_signal_saturates() {
        let sim = Simulator::new();
        sim.force_inputs(BMS_UNIT, bms::PACK_VOLTAGE, &[7000]); // 700 V > 655.35 V
        let frames = sim.bms_can_frames();
        approx(value(&frames, "bms_can_pack_voltage"), 655.35);
    }

    #[tokio::test(start_paused = true)]
    async fn the_broadcast_repeats_every_period_until_cancelled() {
        let bus = MemoryCanBus::new();
        let listener = bus.node();
        let cancel = CancellationToken::new();
        let task = spawn_can_broadcast(Simulator::new(), bus.node(), CAN_PERIOD, cancel.clone());
        let mut ids = Vec::new();
        for _ in 0..8 {
            ids.push(listener.recv().await.unwrap().id());
        }
        assert_eq!(
            ids,
            [
                LIMITS_ID, SOC_ID, PACK_ID, ALARMS_ID, LIMITS_ID, SOC_ID, PACK_ID, ALARMS_ID
            ]
        );
        cancel.cancel();
        task.await.unwrap();
    }
}
