//! The `powerdeck` binary end to end: bad configuration gives one clear line and exit code 1;
//! `serve` answers, and shuts down cleanly on SIGTERM; `migrate status|up`.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use migration::MigratorTrait;

use crate::common::{eventually, free_port, http_get};

/// A site root holding the files `serve` checks for (their content does not matter here).
fn fake_site_root() -> std::path::PathBuf {
    static SITE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = SITE.get_or_init(|| tempfile::tempdir().unwrap());
    crate::common::fake_site_root(dir.path())
}

fn powerdeck(args: &[&str], database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_powerdeck"));
    command
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("POWERDECK_SITE_ROOT", fake_site_root())
        .env("POWERDECK_LOG", "warn")
        .env_remove("POWERDECK_ADDR");
    command
}

fn run(args: &[&str], database_url: &str) -> Output {
    powerdeck(args, database_url)
        .output()
        .expect("run powerdeck")
}

/// The error must be exactly one line starting with `error:`.
fn single_error_line(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    assert_eq!(
        stderr.lines().count(),
        1,
        "expected one line, got: {stderr}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

/// Sends SIGTERM and expects a clean exit (code 0) within 10 s.
async fn terminate_and_expect_success(child: &mut std::process::Child, what: &str) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut exit = None;
    let exited = eventually(Duration::from_secs(10), async || {
        exit = child.try_wait().unwrap();
        exit.is_some()
    })
    .await;
    assert!(exited, "{what} ignored SIGTERM");
    assert!(exit.unwrap().success(), "exit after SIGTERM: {exit:?}");
}

#[test]
fn serve_refuses_a_site_root_without_the_bundle_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/x.db?mode=rwc", dir.path().display());
    let empty_site = dir.path().join("no-site");
    let output = run(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--site-root",
            empty_site.to_str().unwrap(),
        ],
        &url,
    );
    let line = single_error_line(&output);
    assert!(line.contains(&empty_site.display().to_string()), "{line}");
    assert!(line.contains("pkg/powerdeck.js"), "{line}");
    assert!(line.contains("cargo leptos build --release"), "{line}");
    // Nothing was created: the check comes before the database.
    assert!(!dir.path().join("data").exists());
}

#[test]
fn an_unsupported_database_url_is_named_in_the_error() {
    let output = run(&["migrate", "status"], "mysql://root:secret@db/x");
    let line = single_error_line(&output);
    assert!(
        line.contains("\"mysql://root:***@db/x\" is not a supported database URL"),
        "{line}"
    );
    assert!(!line.contains("secret"), "{line}");
}

#[test]
fn an_unusable_data_directory_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "a file where the data directory should be").unwrap();
    let url = format!("sqlite://{}/data/powerdeck.db?mode=rwc", blocker.display());
    let line = single_error_line(&run(&["serve", "--addr", "127.0.0.1:0"], &url));
    assert!(line.contains("cannot create the data directory"), "{line}");
    assert!(line.contains(&blocker.display().to_string()), "{line}");
}

#[test]
fn an_unreachable_postgres_server_is_named_in_the_error() {
    let port = free_port(); // nothing listens there
    let url = format!("postgres://powerdeck:pw@127.0.0.1:{port}/powerdeck");
    let line = single_error_line(&run(&["migrate", "up"], &url));
    assert!(
        line.contains(&format!(
            "cannot open the PostgreSQL database at 127.0.0.1:{port}/powerdeck"
        )),
        "{line}"
    );
    assert!(!line.contains("pw@"), "{line}");
}

#[test]
fn a_busy_port_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let url = format!("sqlite://{}/pd.db?mode=rwc", dir.path().display());
    let line = single_error_line(&run(&["serve", "--addr", &addr], &url));
    assert!(line.contains(&format!("cannot listen on {addr}")), "{line}");
    assert!(line.to_lowercase().contains("in use"), "{line}");
}

#[test]
fn a_failing_migration_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pd.db");
    // A table in the way of the first migration, with no migration recorded.
    {
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            use sea_orm::ConnectionTrait;
            let db = sea_orm::Database::connect(&url).await.unwrap();
            db.execute_unprepared("CREATE TABLE system_version (unrelated TEXT)")
                .await
                .unwrap();
        });
    }
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let line = single_error_line(&run(&["serve", "--addr", "127.0.0.1:0"], &url));
    assert!(line.contains("database migration failed"), "{line}");
}

#[test]
fn migrate_status_and_up_report_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/pd.db?mode=rwc", dir.path().display());
    let known = migration::Migrator::migrations().len();
    let status = run(&["migrate", "status"], &url);
    assert!(status.status.success(), "{status:?}");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("pending  m20261124_000001_create_system_version"),
        "{text}"
    );
    assert!(
        text.contains(&format!("0 applied, {known} pending")),
        "{text}"
    );

    let up = run(&["migrate", "up"], &url);
    assert!(up.status.success(), "{up:?}");
    let text = String::from_utf8_lossy(&up.stdout);
    assert!(
        text.contains(&format!("applied {known} migration(s)")),
        "{text}"
    );

    let text = String::from_utf8_lossy(&run(&["migrate", "status"], &url).stdout).into_owned();
    assert!(
        text.contains("applied  m20261124_000001_create_system_version"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{known} applied, 0 pending")),
        "{text}"
    );
}

#[tokio::test]
async fn serve_creates_the_database_answers_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}/fresh/data/pd.db?mode=rwc",
        dir.path().display()
    );
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = powerdeck(&["serve", "--addr", &addr], &url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let mut ready = None;
    let started = eventually(Duration::from_secs(30), async || {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the server exited early"
        );
        ready = http_get(&addr, "/readyz");
        ready.is_some()
    })
    .await;
    assert!(started, "the server did not start");
    let ready = ready.unwrap();
    assert!(ready.starts_with("HTTP/1.0 200"), "{ready}");
    assert!(
        dir.path().join("fresh/data/pd.db").exists(),
        "database file not created"
    );
    let health = http_get(&addr, "/healthz").unwrap();
    assert!(health.ends_with(r#"{"status":"ok"}"#), "{health}");

    terminate_and_expect_success(&mut child, "the server").await;
}

#[tokio::test]
async fn simulate_serves_modbus_tcp_until_sigterm() {
    use std::io::BufRead;
    let mut child = powerdeck(&["simulate", "--tcp", "127.0.0.1:0"], "sqlite::memory:")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // "simulator: Modbus TCP on 127.0.0.1:PORT (unit 1 inverter, 2 BMS, 3 meter)"
    let addr = first
        .split_whitespace()
        .nth(4)
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_string();

    let endpoint = devices::modbus::Endpoint::Tcp { addr };
    let mut client = devices::modbus::connect(&endpoint, Duration::from_secs(2))
        .await
        .unwrap();
    let soc = client
        .read(
            devices::simulator::BMS_UNIT,
            devices::RegisterTable::Input,
            devices::simulator::bms::SOC,
            1,
        )
        .await
        .unwrap()[0];
    drop(client);
    assert!((5..=99).contains(&soc), "{soc}");

    terminate_and_expect_success(&mut child, "the simulator").await;
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("simulator: stopped"), "{rest}");
}
