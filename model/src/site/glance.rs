//! The site at a glance, for the Overview: a system's key live values (PV, load, grid and battery
//! power, state of charge) made from its devices' live values, and how its devices answer.

use serde::{Deserialize, Serialize};

use super::live::{DeviceState, LiveDevice, LiveDeviceKind, Quality, SiteLive};
use super::quantity::{Quantity, Unit};
use super::spec::MeterType;
use super::tree::{SiteTree, SystemSummary};

/// The key values an operator reads first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyFigure {
    PvPower,
    LoadPower,
    GridPower,
    BatteryPower,
    StateOfCharge,
}

impl KeyFigure {
    pub const ALL: [KeyFigure; 5] = [
        KeyFigure::PvPower,
        KeyFigure::LoadPower,
        KeyFigure::GridPower,
        KeyFigure::BatteryPower,
        KeyFigure::StateOfCharge,
    ];

    pub const fn label(self) -> &'static str {
        match self {
            KeyFigure::PvPower => "PV power",
            KeyFigure::LoadPower => "Load",
            KeyFigure::GridPower => "Grid",
            KeyFigure::BatteryPower => "Battery",
            KeyFigure::StateOfCharge => "State of charge",
        }
    }

    /// What the sign means, for the figures that have one.
    pub const fn sign(self) -> Option<&'static str> {
        match self {
            KeyFigure::GridPower => Some("+ import · − export"),
            KeyFigure::BatteryPower => Some("+ discharge · − charge"),
            _ => None,
        }
    }

    pub const fn unit(self) -> Unit {
        match self {
            KeyFigure::StateOfCharge => Unit::Percent,
            _ => Unit::Watt,
        }
    }
}

/// One key value: what the devices' latest values add up to (or average, for the state of
/// charge), with the worst quality among them and how many devices it is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyValue {
    pub figure: KeyFigure,
    /// None when no device has a value for it.
    pub value: Option<f64>,
    pub unit: Unit,
    /// The worst quality among the values in it; none when there is none.
    pub quality: Option<Quality>,
    /// Devices whose value is in it.
    pub reporting: u32,
    /// Devices that are polled for it (of the kind it is read from).
    pub expected: u32,
    /// The age of the oldest value in it, in milliseconds.
    pub age_ms: Option<u64>,
    /// Where it comes from, in words ("3 inverters", "grid meter grid_meter_1").
    pub source: String,
}

/// How a system's devices answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceHealth {
    pub answering: u32,
    pub failing: u32,
    pub waiting: u32,
    pub not_polled: u32,
    /// The ids of the failing devices.
    pub failing_devices: Vec<String>,
    /// The packs read from a later adapter than their first enabled one.
    pub failover_packs: Vec<String>,
}

/// What the Overview shows of the site: every system, and the selected one's structure, key
/// values and device health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteGlance {
    pub systems: Vec<SystemSummary>,
    /// The selected system; none when the site has no system.
    pub system: Option<SystemSummary>,
    /// Open attachments as (battery array, inverter array) names.
    pub attachments: Vec<(String, String)>,
    /// Empty when the live values are not available (`live_message` says why).
    pub key_values: Vec<KeyValue>,
    pub health: DeviceHealth,
    /// Why there are no live values, when there are none.
    pub live_message: Option<String>,
    /// The poll period of the live values, in milliseconds.
    pub period_ms: Option<u64>,
}

/// The devices' values of `quantity` (the whole-device value, not a cell's), one per device that
/// has one: (device id, value, quality, age).
fn values_of<'a>(
    devices: impl Iterator<Item = &'a LiveDevice>,
    quantity: Quantity,
) -> Vec<(&'a str, f64, Quality, u64)> {
    devices
        .filter_map(|device| {
            device
                .values
                .iter()
                .find(|v| v.quantity == quantity && v.index.is_none())
                .and_then(|v| {
                    v.value
                        .map(|value| (device.device_id.as_str(), value, v.quality, v.age_ms))
                })
        })
        .collect()
}

fn polled(device: &LiveDevice) -> bool {
    device.state != DeviceState::NotPolled
}

fn of_kind(live: &SiteLive, kind: LiveDeviceKind) -> impl Iterator<Item = &LiveDevice> {
    live.devices
        .iter()
        .filter(move |d| d.kind == kind && polled(d))
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// A key value from per-device values: their sum, or (with `weights`) their weighted mean.
fn combine(
    figure: KeyFigure,
    values: &[(&str, f64, Quality, u64)],
    expected: usize,
    weights: Option<&dyn Fn(&str) -> f64>,
    source: String,
) -> KeyValue {
    let value = if values.is_empty() {
        None
    } else if let Some(weight) = weights {
        let total: f64 = values.iter().map(|(id, ..)| weight(id)).sum();
        (total > 0.0).then(|| values.iter().map(|(id, v, ..)| v * weight(id)).sum::<f64>() / total)
    } else {
        Some(values.iter().map(|(_, v, ..)| v).sum())
    };
    let quality = values.iter().map(|(_, _, q, _)| *q).reduce(worse);
    KeyValue {
        figure,
        value,
        unit: figure.unit(),
        quality,
        reporting: u32::try_from(values.len()).unwrap_or(u32::MAX),
        expected: u32::try_from(expected).unwrap_or(u32::MAX),
        age_ms: values.iter().map(|(.., age)| *age).max(),
        source,
    }
}

/// The key values of one system. Power is summed over the inverters (the grid over the
/// system's grid meters when it has any; the battery over the packs' voltage × current when no
/// inverter reports it); the state of charge is the packs' mean weighted by their nominal
/// capacity (equal weights when a pack has none), or the inverters' mean when no pack reports.
pub fn key_values(tree: &SiteTree, live: &SiteLive) -> Vec<KeyValue> {
    let inverters: Vec<&LiveDevice> = of_kind(live, LiveDeviceKind::Inverter).collect();
    let packs: Vec<&LiveDevice> = of_kind(live, LiveDeviceKind::BatteryPack).collect();
    vec![
        inverters_sum(&inverters, KeyFigure::PvPower, Quantity::PvPowerW),
        inverters_sum(&inverters, KeyFigure::LoadPower, Quantity::LoadPowerW),
        grid_power(tree, live, &inverters),
        battery_power(&inverters, &packs),
        state_of_charge(tree, &inverters, &packs),
    ]
}

/// The sum of the inverters' values of `quantity`.
fn inverters_sum(inverters: &[&LiveDevice], figure: KeyFigure, quantity: Quantity) -> KeyValue {
    let values = values_of(inverters.iter().copied(), quantity);
    combine(
        figure,
        &values,
        inverters.len(),
        None,
        plural(inverters.len(), "inverter"),
    )
}

/// Grid power: summed over the system's grid meters when it has any, else over the inverters.
fn grid_power(tree: &SiteTree, live: &SiteLive, inverters: &[&LiveDevice]) -> KeyValue {
    let grid_meter_ids: Vec<&str> = tree
        .meters
        .iter()
        .filter(|m| m.array_id.is_none() && m.meter_type == Some(MeterType::Grid))
        .map(|m| m.id.as_str())
        .collect();
    let grid_meters: Vec<&LiveDevice> = of_kind(live, LiveDeviceKind::Meter)
        .filter(|d| grid_meter_ids.contains(&d.device_id.as_str()))
        .collect();
    if grid_meters.is_empty() {
        inverters_sum(inverters, KeyFigure::GridPower, Quantity::GridPowerW)
    } else {
        let values = values_of(grid_meters.iter().copied(), Quantity::GridPowerW);
        let names: Vec<&str> = grid_meters.iter().map(|d| d.device_id.as_str()).collect();
        let source = if names.len() == 1 {
            format!("grid meter {}", names[0])
        } else {
            format!("grid meters {}", names.join(", "))
        };
        combine(
            KeyFigure::GridPower,
            &values,
            grid_meters.len(),
            None,
            source,
        )
    }
}

/// Battery power: summed over the inverters, or over the packs' voltage × current when no
/// inverter reports it.
fn battery_power(inverters: &[&LiveDevice], packs: &[&LiveDevice]) -> KeyValue {
    let mut battery = inverters_sum(inverters, KeyFigure::BatteryPower, Quantity::BatteryPowerW);
    if battery.reporting == 0 && !packs.is_empty() {
        let voltages = values_of(packs.iter().copied(), Quantity::BatteryVoltageV);
        let currents = values_of(packs.iter().copied(), Quantity::BatteryCurrentA);
        let powers: Vec<(&str, f64, Quality, u64)> = voltages
            .iter()
            .filter_map(|(id, volts, q1, a1)| {
                currents
                    .iter()
                    .find(|(other, ..)| other == id)
                    .map(|(_, amps, q2, a2)| (*id, volts * amps, worse(*q1, *q2), (*a1).max(*a2)))
            })
            .collect();
        let source = format!("{}, voltage × current", plural(packs.len(), "pack"));
        battery = combine(KeyFigure::BatteryPower, &powers, packs.len(), None, source);
    }
    battery
}

/// The state of charge: the packs' mean weighted by their nominal capacity (equal weights when a
/// pack has none), or the inverters' mean when no pack reports.
fn state_of_charge(tree: &SiteTree, inverters: &[&LiveDevice], packs: &[&LiveDevice]) -> KeyValue {
    let pack_soc = values_of(packs.iter().copied(), Quantity::BatterySocPct);
    if pack_soc.is_empty() {
        let values = values_of(inverters.iter().copied(), Quantity::BatterySocPct);
        let equal = |_: &str| 1.0;
        combine(
            KeyFigure::StateOfCharge,
            &values,
            inverters.len(),
            Some(&equal),
            format!("{}, mean", plural(inverters.len(), "inverter")),
        )
    } else {
        let capacity = |id: &str| {
            tree.battery_arrays
                .iter()
                .flat_map(|a| a.packs.iter())
                .find(|p| p.id == id)
                .and_then(|p| p.nominal_kwh)
        };
        let all_rated = pack_soc
            .iter()
            .all(|(id, ..)| capacity(id).is_some_and(|kwh| kwh > 0.0));
        let weight = move |id: &str| {
            if all_rated {
                capacity(id).unwrap_or(1.0)
            } else {
                1.0
            }
        };
        let how = if all_rated {
            "weighted by capacity"
        } else {
            "mean"
        };
        combine(
            KeyFigure::StateOfCharge,
            &pack_soc,
            packs.len(),
            Some(&weight),
            format!("{}, {how}", plural(packs.len(), "pack")),
        )
    }
}

/// The worse of two qualities.
fn worse(a: Quality, b: Quality) -> Quality {
    if a == Quality::Stale || b == Quality::Stale {
        Quality::Stale
    } else {
        Quality::Good
    }
}

/// How the system's devices answer, and which packs run on a failover adapter.
pub fn device_health(live: &SiteLive) -> DeviceHealth {
    let mut health = DeviceHealth::default();
    for device in &live.devices {
        match device.state {
            DeviceState::Answering => health.answering += 1,
            DeviceState::Failing => {
                health.failing += 1;
                health.failing_devices.push(device.device_id.clone());
            }
            DeviceState::Waiting => health.waiting += 1,
            DeviceState::NotPolled => health.not_polled += 1,
        }
        if device.failover.as_ref().is_some_and(|f| f.failover_active) {
            health.failover_packs.push(device.device_id.clone());
        }
    }
    health
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::live::LiveValue;

    fn value(quantity: Quantity, v: f64, quality: Quality) -> LiveValue {
        LiveValue {
            quantity,
            index: None,
            value: Some(v),
            unit: quantity.unit(),
            quality,
            age_ms: if quality == Quality::Good { 400 } else { 9_000 },
            adapter_id: "adapter".into(),
        }
    }

    fn device(
        id: &str,
        kind: LiveDeviceKind,
        state: DeviceState,
        values: Vec<LiveValue>,
    ) -> LiveDevice {
        LiveDevice {
            device_id: id.into(),
            kind,
            state,
            adapter_id: None,
            adapter_type: None,
            endpoint: None,
            message: None,
            consecutive_failures: 0,
            last_answer_ms_ago: None,
            values,
            failover: None,
        }
    }

    /// Two packs of 10 and 30 kWh, a system-level grid meter and an array-level consumption meter.
    fn tree() -> SiteTree {
        let pack = |id: &str, kwh: Option<f64>| {
            serde_json::json!({"id": id, "battery_array_id": "bank", "name": id, "nominal_kwh": kwh,
                "batteries_count": 1, "cells_per_battery": 16, "cell_count": 16, "version": 1,
                "batteries": [], "adapters": []})
        };
        serde_json::from_value(serde_json::json!({
            "system": {"id": "home", "name": "Home", "timezone": "UTC", "version": 1,
                "created_at": "2026-12-02T00:00:00Z", "updated_at": "2026-12-02T00:00:00Z"},
            "inverter_arrays": [],
            "battery_arrays": [{"id": "bank", "name": "Bank", "version": 1,
                "packs": [pack("pack1", Some(10.0)), pack("pack2", Some(30.0))]}],
            "meters": [
                {"id": "grid1", "name": "Grid", "meter_type": "grid", "version": 1},
                {"id": "sub1", "name": "Sub", "array_id": "array1", "meter_type": "grid", "version": 1}
            ],
            "attachments": []
        }))
        .unwrap()
    }

    fn live(devices: Vec<LiveDevice>) -> SiteLive {
        SiteLive {
            system_id: "home".into(),
            cycle: 7,
            period_ms: 1_000,
            site_version: 1,
            devices,
        }
    }

    fn figure(values: &[KeyValue], figure: KeyFigure) -> &KeyValue {
        values.iter().find(|v| v.figure == figure).unwrap()
    }

    #[test]
    fn power_sums_over_inverters_and_the_grid_comes_from_the_system_grid_meter() {
        use DeviceState::*;
        use LiveDeviceKind::*;
        use Quantity::*;
        let site = live(vec![
            device(
                "inv1",
                Inverter,
                Answering,
                vec![
                    value(PvPowerW, 1_000.0, Quality::Good),
                    value(GridPowerW, 50.0, Quality::Good),
                ],
            ),
            device(
                "inv2",
                Inverter,
                Failing,
                vec![value(PvPowerW, 500.0, Quality::Stale)],
            ),
            device("inv3", Inverter, Answering, vec![]),
            device(
                "off",
                Inverter,
                NotPolled,
                vec![value(PvPowerW, 9_999.0, Quality::Good)],
            ),
            device(
                "grid1",
                Meter,
                Answering,
                vec![value(GridPowerW, -700.0, Quality::Good)],
            ),
            // An array-level meter is not the grid connection.
            device(
                "sub1",
                Meter,
                Answering,
                vec![value(GridPowerW, 123.0, Quality::Good)],
            ),
        ]);
        let values = key_values(&tree(), &site);
        let pv = figure(&values, KeyFigure::PvPower);
        assert_eq!(pv.value, Some(1_500.0));
        assert_eq!((pv.reporting, pv.expected), (2, 3));
        assert_eq!(pv.quality, Some(Quality::Stale));
        assert_eq!(pv.age_ms, Some(9_000));
        assert_eq!(pv.source, "3 inverters");
        let grid = figure(&values, KeyFigure::GridPower);
        assert_eq!(grid.value, Some(-700.0));
        assert_eq!(grid.source, "grid meter grid1");
        assert_eq!(grid.quality, Some(Quality::Good));
        let load = figure(&values, KeyFigure::LoadPower);
        assert_eq!((load.value, load.quality, load.reporting), (None, None, 0));
    }

    #[test]
    fn state_of_charge_is_weighted_by_capacity_and_battery_power_falls_back_to_the_packs() {
        use DeviceState::*;
        use LiveDeviceKind::*;
        use Quantity::*;
        let site = live(vec![
            device(
                "pack1",
                BatteryPack,
                Answering,
                vec![
                    value(BatterySocPct, 80.0, Quality::Good),
                    value(BatteryVoltageV, 50.0, Quality::Good),
                    value(BatteryCurrentA, 10.0, Quality::Good),
                ],
            ),
            device(
                "pack2",
                BatteryPack,
                Answering,
                vec![
                    value(BatterySocPct, 40.0, Quality::Good),
                    value(BatteryVoltageV, 50.0, Quality::Good),
                    value(BatteryCurrentA, -4.0, Quality::Good),
                ],
            ),
        ]);
        let values = key_values(&tree(), &site);
        let soc = figure(&values, KeyFigure::StateOfCharge);
        // (80 × 10 + 40 × 30) / 40
        assert_eq!(soc.value, Some(50.0));
        assert_eq!(soc.source, "2 packs, weighted by capacity");
        let battery = figure(&values, KeyFigure::BatteryPower);
        assert_eq!(battery.value, Some(300.0));
        assert_eq!(battery.source, "2 packs, voltage × current");
        // No grid meter reports and no inverter either: nothing is made up.
        assert_eq!(figure(&values, KeyFigure::GridPower).value, None);
    }

    #[test]
    fn health_counts_states_and_names_failing_devices() {
        use DeviceState::*;
        use LiveDeviceKind::*;
        let site = live(vec![
            device("inv1", Inverter, Answering, vec![]),
            device("inv2", Inverter, Failing, vec![]),
            device("pack1", BatteryPack, Waiting, vec![]),
            device("m1", Meter, NotPolled, vec![]),
        ]);
        let health = device_health(&site);
        assert_eq!(
            (
                health.answering,
                health.failing,
                health.waiting,
                health.not_polled
            ),
            (1, 1, 1, 1)
        );
        assert_eq!(health.failing_devices, vec!["inv2".to_string()]);
        assert!(health.failover_packs.is_empty());
    }
}
