//! Test support shared by this crate's tests and the tests above it (the server's, through
//! `services::testing`): waiting until a condition holds, a linked pair of pseudo-terminals, and
//! a SunSpec device laid out unlike the simulator (marker at 50000, models 1, 120 and 103).
//! Always compiled, so the crates above need no feature to use it: it is small and pulls in
//! nothing the crate does not already use.

// Test support only: a failure to set up (no socat, no temp directory) should fail the test that
// asked for it, loudly, so these helpers panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::simulator::Simulator;

/// How often `eventually` looks again.
const POLL: Duration = Duration::from_millis(10);

/// Polls `check` until it holds, for at most `within`; whether it did. Time is tokio's, so it
/// also runs under `#[tokio::test(start_paused = true)]`. A test asserts on the answer, naming
/// what it waited for:
///
/// ```ignore
/// let arrived = eventually(WAIT, async || monitor.stats().frames == 4).await;
/// assert!(arrived, "{:?}", monitor.stats());
/// ```
pub async fn eventually(within: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A linked pair of pseudo-terminals from socat, removed (and socat stopped) on drop.
pub struct PtyPair {
    child: Child,
    dir: PathBuf,
}

impl PtyPair {
    /// Starts socat and waits until both ends exist; `name` keeps concurrent pairs apart.
    pub async fn open(name: &str) -> PtyPair {
        let dir = std::env::temp_dir().join(format!("powerdeck-pty-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory for the pty links");
        let child = Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}", dir.join("a").display()))
            .arg(format!("pty,raw,echo=0,link={}", dir.join("b").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("socat is installed by scripts/bootstrap.sh");
        let pair = PtyPair { child, dir };
        let linked = eventually(Duration::from_secs(5), async || {
            pair.a().exists() && pair.b().exists()
        })
        .await;
        assert!(linked, "socat did not create {}", pair.dir.display());
        pair
    }

    pub fn a(&self) -> PathBuf {
        self.dir.join("a")
    }

    pub fn b(&self) -> PathBuf {
        self.dir.join("b")
    }
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Where `sunspec_device` puts its marker: not the usual 40000.
pub const SUNSPEC_TEST_BASE: u16 = 50_000;

/// Two characters a register, padded with NULs to `registers`.
fn sunspec_text(value: &str, registers: usize) -> Vec<u16> {
    let mut bytes = value.as_bytes().to_vec();
    bytes.resize(registers * 2, 0);
    bytes
        .chunks(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
        .collect()
}

/// The registers of `sunspec_device` from `SUNSPEC_TEST_BASE`: marker, model 1, model 120 (26
/// registers of filler, a model this build has no table for), model 103 and the end model.
/// Model 103 holds: AphA 12.34 A, PhVphA 230.1 V, PhVphB not implemented, W 4500 W, Hz 50.02,
/// WH 1,234,560 Wh, TmpCab 41.5 °C, St 4 (MPPT).
pub fn sunspec_image(unit_id: u8) -> Vec<u16> {
    let mut words = vec![0x5375, 0x6e53];
    // Model 1: Mn, Md, Opt, Vr, SN, DA, Pad.
    words.extend([1, 66]);
    words.extend(sunspec_text("Powerdeck", 16));
    words.extend(sunspec_text("Test inverter", 16));
    words.extend(sunspec_text("", 8));
    words.extend(sunspec_text("1.0", 8));
    words.extend(sunspec_text("SN-0042", 16));
    words.extend([unit_id.into(), 0x8000]);
    words.extend([120, 26]);
    words.extend([7; 26]);
    let mut inverter = vec![0u16; 50];
    let mut set = |offset: usize, word: u16| inverter[offset - 2] = word;
    set(3, 1234); // AphA
    set(6, (-2i16).cast_unsigned()); // A_SF
    set(10, 2301); // PhVphA
    set(11, 0xFFFF); // PhVphB: not implemented
    set(13, (-1i16).cast_unsigned()); // V_SF
    set(14, 4500); // W
    set(16, 5002); // Hz
    set(17, (-2i16).cast_unsigned()); // Hz_SF
    set(24, 1); // WH, high word
    set(25, 57_920); // WH, low word: 123,456
    set(26, 1); // WH_SF
    set(33, 415); // TmpCab
    set(37, (-1i16).cast_unsigned()); // Tmp_SF
    set(38, 4); // St: MPPT
    words.extend([103, 50]);
    words.extend(inverter);
    words.extend([0xFFFF, 0]);
    words
}

/// A simulator register bank at `unit_id` whose holding registers from `SUNSPEC_TEST_BASE` hold
/// `sunspec_image`: a SunSpec inverter whose base address and model order differ from what a
/// plain reader would expect.
pub fn sunspec_device(unit_id: u8) -> Simulator {
    let simulator = Simulator::new().with_bank(unit_id, 65_536);
    let words = sunspec_image(unit_id);
    for (index, chunk) in words.chunks(100).enumerate() {
        let start = SUNSPEC_TEST_BASE + u16::try_from(index * 100).unwrap();
        let write = tokio_modbus::Request::WriteMultipleRegisters(start, chunk.to_vec().into());
        assert!(matches!(simulator.handle(unit_id, &write), Some(Ok(_))));
    }
    simulator
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn eventually_answers_as_soon_as_the_check_holds_and_gives_up_at_the_deadline() {
        let mut calls = 0;
        let held = eventually(Duration::from_secs(1), async || {
            calls += 1;
            calls == 3
        })
        .await;
        assert!(held);
        assert_eq!(calls, 3);

        let started = tokio::time::Instant::now();
        let never = eventually(Duration::from_secs(1), async || false).await;
        assert!(!never);
        // Paused time: exactly the deadline, give or take one poll.
        let waited = started.elapsed();
        assert!(waited >= Duration::from_secs(1) && waited <= Duration::from_secs(1) + POLL);
    }
}
