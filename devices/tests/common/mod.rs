//! Shared by the device tests: a linked pair of pseudo-terminals made by socat.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A linked pair of pseudo-terminals from socat, removed (and socat stopped) on drop.
pub struct PtyPair {
    child: Child,
    dir: PathBuf,
}

impl PtyPair {
    pub fn new(name: &str) -> PtyPair {
        let dir = std::env::temp_dir().join(format!("powerdeck-pty-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}", dir.join("a").display()))
            .arg(format!("pty,raw,echo=0,link={}", dir.join("b").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("socat is installed by scripts/bootstrap.sh");
        let pair = PtyPair { child, dir };
        for _ in 0..100 {
            if pair.a().exists() && pair.b().exists() {
                return pair;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("socat did not create {}", pair.dir.display());
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
