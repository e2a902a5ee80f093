//! The power balance of the simulated site (sun, load, battery, grid), which the inverter, the
//! BMS, the meter and the memory tables each show from their own angle.

use std::f64::consts::TAU;

/// Usable battery energy: 1 % of SOC is 100 Wh.
const BATTERY_WH: f64 = 10_000.0;
/// PV array peak power.
const PV_PEAK_W: f64 = 6_000.0;
/// Largest battery charge or discharge power.
const BATTERY_MAX_W: f64 = 3_000.0;
/// A compressed day of twenty minutes: ten of daylight, ten of night.
const DAY_S: f64 = 1_200.0;
/// Energy counters count 0.1 kWh, i.e. 360,000 W·s.
const WS_PER_COUNT: f64 = 360_000.0;

/// What the inverter's writable registers say.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Controls {
    /// PV output limit, % of peak.
    pub power_limit_pct: u16,
    /// Off: no PV and no battery power; the grid carries the load.
    pub running: bool,
    /// Off: PV is curtailed rather than exported.
    pub export_allowed: bool,
}

/// The site's state: time, SOC and energy counters, and the powers of the current instant.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    /// Seconds of simulated time.
    pub elapsed: f64,
    pub soc: f64,
    /// Energy counters in 0.1 kWh, fractions kept so they rise smoothly.
    pub pv_energy: f64,
    pub load_energy: f64,
    pub import_energy: f64,
    pub export_energy: f64,
    /// 0 at night, 1 at noon.
    pub sun: f64,
    pub pv_w: f64,
    pub load_w: f64,
    /// Positive = discharge.
    pub battery_w: f64,
    /// Positive = import.
    pub grid_w: f64,
    pub pack_voltage: f64,
    /// Amperes, positive = discharge.
    pub pack_current: f64,
}

impl Site {
    pub(crate) fn new() -> Site {
        Site {
            // Mid-morning, so a fresh simulator shows PV at once.
            elapsed: 200.0,
            soc: 62.0,
            pv_energy: 12_345.0,
            load_energy: 23_456.0,
            import_energy: 34_567.0,
            export_energy: 4_567.0,
            sun: 0.0,
            pv_w: 0.0,
            load_w: 0.0,
            battery_w: 0.0,
            grid_w: 0.0,
            pack_voltage: 0.0,
            pack_current: 0.0,
        }
    }

    /// Advances by `dt` seconds (0 recomputes the instant, e.g. after a control was written).
    pub(crate) fn step(&mut self, dt: f64, controls: Controls) {
        self.elapsed += dt;
        let t = self.elapsed;
        self.sun = (t / DAY_S * TAU).sin().max(0.0);
        self.load_w = 2_500.0 + 800.0 * (t / 47.0).sin();
        let limit = PV_PEAK_W * f64::from(controls.power_limit_pct.min(100)) / 100.0;
        let mut pv = if controls.running {
            (PV_PEAK_W * self.sun).min(limit)
        } else {
            0.0
        };
        // The battery takes the PV surplus and covers a deficit, within its power and SOC limits.
        let mut battery = if controls.running {
            (self.load_w - pv).clamp(-BATTERY_MAX_W, BATTERY_MAX_W)
        } else {
            0.0
        };
        if (battery < 0.0 && self.soc >= 99.0) || (battery > 0.0 && self.soc <= 5.0) {
            battery = 0.0;
        }
        let mut grid = self.load_w - pv - battery;
        if grid < 0.0 && !controls.export_allowed {
            pv += grid;
            grid = 0.0;
        }
        self.pv_w = pv;
        self.battery_w = battery;
        self.grid_w = grid;

        self.soc = (self.soc - battery * dt / 3600.0 / (BATTERY_WH / 100.0)).clamp(0.0, 100.0);
        self.pack_voltage = 512.0 + 0.4 * (self.soc - 50.0) - battery / BATTERY_MAX_W * 4.0;
        self.pack_current = battery / self.pack_voltage;
        self.pv_energy += pv * dt / WS_PER_COUNT;
        self.load_energy += self.load_w * dt / WS_PER_COUNT;
        if grid > 0.0 {
            self.import_energy += grid * dt / WS_PER_COUNT;
        } else {
            self.export_energy += -grid * dt / WS_PER_COUNT;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ON: Controls = Controls {
        power_limit_pct: 100,
        running: true,
        export_allowed: true,
    };

    #[test]
    fn power_balances_at_every_instant() {
        let mut site = Site::new();
        for _ in 0..200 {
            site.step(7.0, ON);
            let balance = site.pv_w + site.battery_w + site.grid_w - site.load_w;
            assert!(balance.abs() < 1e-6, "{site:?}");
        }
    }

    #[test]
    fn controls_limit_and_stop_the_inverter() {
        let mut site = Site::new();
        site.step(0.0, ON);
        assert!(site.pv_w > 3_000.0, "{site:?}");
        let limited = Controls {
            power_limit_pct: 10,
            ..ON
        };
        site.step(0.0, limited);
        assert!(site.pv_w <= 600.0, "{site:?}");
        let off = Controls {
            running: false,
            ..ON
        };
        site.step(0.0, off);
        assert_eq!((site.pv_w, site.battery_w), (0.0, 0.0));
        assert_eq!(site.grid_w, site.load_w);
    }
}
