//! A linked pair of pseudo-terminals opened by Powerdeck itself (no socat): two pty pairs whose
//! master sides a task relays to each other, so whatever is written to one slave path arrives at
//! the other, like a null-modem cable. The demo serves the simulator's Modbus RTU on one end and
//! reads it through the other. Linux only (`/dev/ptmx`); the slave paths are `/dev/pts/N`.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::pty::openpty;
use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};
use tokio::io::unix::AsyncFd;
use tokio_util::sync::{CancellationToken, DropGuard};

/// The two ends; the relay stops and the terminals close when it is dropped.
pub struct PtyLink {
    a: PathBuf,
    b: PathBuf,
    /// Held open so that a master never reads end-of-file while no client has its slave open.
    _slaves: [OwnedFd; 2],
    _relay: DropGuard,
}

impl std::fmt::Debug for PtyLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PtyLink")
            .field("a", &self.a)
            .field("b", &self.b)
            .finish_non_exhaustive()
    }
}

/// One pty pair: its master (non-blocking, for the relay), its slave (raw mode) and the
/// slave's path.
fn open_pair() -> io::Result<(AsyncFd<File>, OwnedFd, PathBuf)> {
    let pair = openpty(None, None).map_err(io::Error::from)?;
    let mut termios = tcgetattr(&pair.slave).map_err(io::Error::from)?;
    cfmakeraw(&mut termios);
    tcsetattr(&pair.slave, SetArg::TCSANOW, &termios).map_err(io::Error::from)?;
    let path = nix::unistd::ttyname(&pair.slave).map_err(io::Error::from)?;
    fcntl(&pair.master, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).map_err(io::Error::from)?;
    // `AsyncFd::new` is deprecated because a `T` whose `as_raw_fd` could change or close the fd
    // behind tokio's back is unsound; a `File` owns its fd and always answers that same one (its
    // replacement, `register`, is `unsafe`, which this workspace forbids).
    #[allow(deprecated)]
    let master = AsyncFd::new(File::from(pair.master))?;
    Ok((master, pair.slave, path))
}

impl PtyLink {
    /// Opens both pairs and starts the relay (needs a tokio runtime).
    pub fn open() -> io::Result<PtyLink> {
        let (master_a, slave_a, a) = open_pair()?;
        let (master_b, slave_b, b) = open_pair()?;
        let cancel = CancellationToken::new();
        let (master_a, master_b) = (std::sync::Arc::new(master_a), std::sync::Arc::new(master_b));
        tokio::spawn(relay(master_a.clone(), master_b.clone(), cancel.clone()));
        tokio::spawn(relay(master_b, master_a, cancel.clone()));
        Ok(PtyLink {
            a,
            b,
            _slaves: [slave_a, slave_b],
            _relay: cancel.drop_guard(),
        })
    }

    /// One end (e.g. where the simulator serves).
    pub fn a(&self) -> &Path {
        &self.a
    }

    /// The other end (e.g. what an adapter's `serial_port` names).
    pub fn b(&self) -> &Path {
        &self.b
    }
}

/// Copies what arrives on `from`'s master to `to`'s master until `cancel`.
async fn relay(
    from: std::sync::Arc<AsyncFd<File>>,
    to: std::sync::Arc<AsyncFd<File>>,
    cancel: CancellationToken,
) {
    let mut buffer = [0u8; 512];
    loop {
        let read = tokio::select! {
            _ = cancel.cancelled() => return,
            read = read_some(&from, &mut buffer) => read,
        };
        let count = match read {
            Ok(0) => return,
            Ok(count) => count,
            Err(error) => {
                tracing::debug!(%error, "pty relay ended");
                return;
            }
        };
        if let Err(error) = write_all(&to, &buffer[..count]).await {
            tracing::debug!(%error, "pty relay ended");
            return;
        }
    }
}

async fn read_some(fd: &AsyncFd<File>, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        let mut guard = fd.readable().await?;
        match guard.try_io(|inner| inner.get_ref().read(buffer)) {
            Ok(result) => return result,
            Err(_would_block) => {}
        }
    }
}

async fn write_all(fd: &AsyncFd<File>, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        let mut guard = fd.writable().await?;
        match guard.try_io(|inner| inner.get_ref().write(bytes)) {
            Ok(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(Ok(written)) => bytes = &bytes[written..],
            Ok(Err(error)) => return Err(error),
            Err(_would_block) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn bytes_written_to_one_end_arrive_at_the_other() {
        let link = PtyLink::open().unwrap();
        assert_ne!(link.a(), link.b());
        let open = |path: &Path| {
            tokio_serial::SerialStream::open(&tokio_serial::new(path.to_string_lossy(), 115_200))
                .unwrap()
        };
        let (mut a, mut b) = (open(link.a()), open(link.b()));
        AsyncWriteExt::write_all(&mut a, b"\x01\x03\x00\x00\x00\x01")
            .await
            .unwrap();
        let mut got = [0u8; 6];
        tokio::time::timeout(
            Duration::from_secs(2),
            AsyncReadExt::read_exact(&mut b, &mut got),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(&got, b"\x01\x03\x00\x00\x00\x01");
        AsyncWriteExt::write_all(&mut b, b"back").await.unwrap();
        let mut back = [0u8; 4];
        tokio::time::timeout(
            Duration::from_secs(2),
            AsyncReadExt::read_exact(&mut a, &mut back),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(&back, b"back");
    }
}
