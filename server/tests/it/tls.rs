//! `serve --tls-cert --tls-key` end to end: the binary serves HTTPS with a certificate made by
//! openssl for the test (by a test CA), a client that trusts only that CA signs in over it, and the
//! session cookie is `Secure`; unusable files stop start-up with the file named.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::common::{Fresh, eventually, free_port};

const PASSWORD: &str = "correct horse battery";

/// Runs openssl with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl");
    assert!(status.success(), "openssl {args:?} failed");
}

/// A test CA, and a certificate for 127.0.0.1 it signed with its key, made by the openssl
/// command: (the CA's certificate, the site's certificate, the site's key). (A self-signed
/// certificate would be a CA certificate, which clients refuse as a server's.)
fn certificates(dir: &Path) -> (String, String, String) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec![
        "req",
        "-x509",
        "-days",
        "2",
        "-subj",
        "/CN=powerdeck-test-ca",
    ];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
    openssl(dir, &ca);
    let mut request = vec!["req", "-subj", "/CN=powerdeck-test"];
    request.extend(ec);
    request.extend(["-keyout", "site.key", "-out", "site.csr"]);
    openssl(dir, &request);
    std::fs::write(
        dir.join("site.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "site.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "site.ext",
            "-out",
            "site.pem",
        ],
    );
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    (path("ca.pem"), path("site.pem"), path("site.key"))
}

/// A TLS client that trusts only the CA in `ca`.
fn client(ca: &str) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    for der in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(der.unwrap()).unwrap();
    }
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// One HTTP/1.0 exchange over TLS: the whole answer, none when the server does not answer.
async fn https(connector: &TlsConnector, addr: &str, request: &str) -> Option<String> {
    let tcp = TcpStream::connect(addr).await.ok()?;
    let name = ServerName::try_from("127.0.0.1").ok()?;
    let mut tls = connector.connect(name, tcp).await.ok()?;
    tls.write_all(request.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    // A server that closes without close_notify is fine for HTTP/1.0: keep what came.
    let _ = tls.read_to_end(&mut answer).await;
    Some(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn serve_over_tls_answers_https_and_marks_the_session_cookie_secure() {
    let fresh = Fresh::new();
    let (ca, cert, key) = certificates(fresh.dir.path());
    fresh.ok(
        &["user", "add", "alice", "--role", "viewer"],
        Some(&format!("{PASSWORD}\n")),
    );
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = fresh
        .command(&[
            "serve",
            "--addr",
            &addr,
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let connector = client(&ca);
    let ready = format!("GET /readyz HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    let started = eventually(Duration::from_secs(30), async || {
        assert!(child.try_wait().unwrap().is_none(), "serve exited early");
        https(&connector, &addr, &ready)
            .await
            .is_some_and(|answer| answer.starts_with("HTTP/1.0 200"))
    })
    .await;
    assert!(started, "serve did not answer over TLS");

    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = crate::common::http_get(&addr, "/readyz").unwrap_or_default();
    assert!(!plain.starts_with("HTTP/"), "{plain}");

    // Signing in over TLS: the session cookie may only travel over TLS.
    let body = format!(
        "name=alice&password={}&next=%2F",
        PASSWORD.replace(' ', "+")
    );
    let login = format!(
        "POST /login HTTP/1.0\r\nHost: {addr}\r\nOrigin: https://{addr}\r\nSec-Fetch-Site: same-origin\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer = https(&connector, &addr, &login).await.unwrap();
    let cookie = answer
        .lines()
        .find(|line| {
            line.to_ascii_lowercase()
                .starts_with("set-cookie: powerdeck_session=")
        })
        .unwrap_or_else(|| panic!("no session cookie: {answer}"));
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let stopped = eventually(Duration::from_secs(10), async || {
        child.try_wait().unwrap().is_some()
    })
    .await;
    assert!(stopped, "serve ignored SIGTERM");
}

#[test]
fn unusable_tls_files_stop_start_up_and_are_named() {
    let fresh = Fresh::new();
    let (_, cert, key) = certificates(fresh.dir.path());
    let addr = format!("127.0.0.1:{}", free_port());

    // The key where the certificate should be, and the other way round.
    let error = fresh.fails(
        &[
            "serve",
            "--addr",
            &addr,
            "--tls-cert",
            &key,
            "--tls-key",
            &cert,
        ],
        None,
    );
    assert!(
        error.contains(&format!("TLS certificate file {key}")) && error.contains("no certificate"),
        "{error}"
    );

    let missing = fresh.path("missing.pem");
    let missing = missing.to_str().unwrap();
    let error = fresh.fails(
        &[
            "serve",
            "--addr",
            &addr,
            "--tls-cert",
            &cert,
            "--tls-key",
            missing,
        ],
        None,
    );
    assert!(
        error.contains(&format!("TLS key file {missing}")),
        "{error}"
    );

    // One without the other is a usage error.
    let error = fresh.fails(&["serve", "--addr", &addr, "--tls-cert", &cert], None);
    assert!(error.contains("--tls-key"), "{error}");
}
