//! TLS for sites without a reverse proxy (`serve --tls-cert --tls-key`): loading the PEM files
//! with errors that name them, and a listener that hands axum finished TLS connections.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::Listener;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

/// A client that opens a connection and never finishes its handshake is dropped after this long.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Finished handshakes waiting for the server to take them.
const ACCEPTED_QUEUE: usize = 64;

/// Why the certificate or the key cannot be used; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot read the TLS certificate file {path}: {reason}")]
    Certificate { path: String, reason: String },
    #[error("cannot read the TLS key file {path}: {reason}")]
    Key { path: String, reason: String },
    #[error(
        "the TLS key in {key} does not go with the certificate in {cert}, or is of a kind rustls does not support: {reason}"
    )]
    Mismatch {
        cert: String,
        key: String,
        reason: String,
    },
}

/// Reads a PEM certificate chain (the site's certificate first) and its PEM private key
/// (PKCS#8, PKCS#1 or SEC1), and makes the server configuration (TLS 1.2 and 1.3, HTTP/1.1).
pub fn load_config(cert_path: &Path, key_path: &Path) -> Result<ServerConfig, TlsSetupError> {
    let cert_name = cert_path.display().to_string();
    let key_name = key_path.display().to_string();
    let certificate_error = |reason: String| TlsSetupError::Certificate {
        path: cert_name.clone(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| certificate_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| certificate_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(certificate_error(
            "no certificate in it (expected a PEM block \"-----BEGIN CERTIFICATE-----\")".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| TlsSetupError::Key {
        path: key_name.clone(),
        reason: match e {
            tokio_rustls::rustls::pki_types::pem::Error::NoItemsFound => {
                "no private key in it (expected a PEM block \"-----BEGIN PRIVATE KEY-----\")".into()
            }
            other => other.to_string(),
        },
    })?;
    let mismatch = |reason: String| TlsSetupError::Mismatch {
        cert: cert_name.clone(),
        key: key_name.clone(),
        reason,
    };
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| mismatch(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| mismatch(e.to_string()))?;
    // The router is served over HTTP/1.1 (axum is built without HTTP/2 here).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Accepts TCP connections and runs each TLS handshake in a task of its own, so that one slow
/// or silent client cannot hold up the others; axum takes the finished connections.
pub struct TlsListener {
    accepted: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local_addr: SocketAddr,
}

impl TlsListener {
    /// Starts accepting on `listener` until `shutdown`.
    pub fn new(
        listener: TcpListener,
        config: ServerConfig,
        shutdown: CancellationToken,
    ) -> io::Result<TlsListener> {
        let local_addr = listener.local_addr()?;
        let (sender, accepted) = mpsc::channel(ACCEPTED_QUEUE);
        let acceptor = TlsAcceptor::from(Arc::new(config));
        tokio::spawn(accept_loop(listener, acceptor, sender, shutdown));
        Ok(TlsListener {
            accepted,
            local_addr,
        })
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    sender: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
    shutdown: CancellationToken,
) {
    loop {
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let sender = sender.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    // The server has stopped taking connections: nothing to do.
                    let _ = sender.send((tls, peer)).await;
                }
                Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.accepted.recv().await {
            Some(accepted) => accepted,
            // The accept loop ended (shutdown): no more connections; the server's graceful
            // shutdown ends `serve`.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}
