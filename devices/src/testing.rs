//! Test support shared by this crate's tests and the tests above it (the server's, through
//! `services::testing`): waiting until a condition holds, and a linked pair of pseudo-terminals.
//! Always compiled, so the crates above need no feature to use it: it is small and pulls in
//! nothing the crate does not already use.

// Test support only: a failure to set up (no socat, no temp directory) should fail the test that
// asked for it, loudly, so these helpers panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
