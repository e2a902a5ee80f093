//! The failover figure's scenario (`powerdeck bench site-failover`) as a test, counted in poll
//! cycles, never timed: the pack's primary is the simulated BMS on a real TCP listener that is
//! stopped and restarted, its secondary the same BMS over Modbus RTU on a pseudo-terminal pair
//! the process opens itself. Values come from the secondary within 3 cycles of the stop, and
//! from the primary again only after it has answered for the hold time; both switches are
//! journalled.

// A test may unwrap: a panic is its failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use server::bench_failover::FailoverRig;
use services::site::drive::{FailoverRules, SiteIoConfig};

#[tokio::test]
async fn values_come_from_the_secondary_within_3_cycles_and_back_after_the_hold_time() {
    const HOLD: u32 = 4;
    let config = SiteIoConfig {
        period: Duration::from_millis(100),
        request_timeout: Duration::from_millis(400),
        rules: FailoverRules {
            failures_to_switch: 2,
            hold_cycles: HOLD,
        },
    };
    let rig = FailoverRig::start(config).await.unwrap();
    for _ in 0..2 {
        let figures = rig.round().await.unwrap();
        assert!(figures.cycles_to_secondary <= 3, "{figures:?}");
        assert!(figures.cycles_back_to_primary >= HOLD, "{figures:?}");
        assert_eq!(figures.cycles_back_to_primary, HOLD, "{figures:?}");
        assert_eq!(figures.journalled, 2, "{figures:?}");
    }
    rig.stop();
}
