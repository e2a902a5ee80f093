//! `powerdeck site import|export` and `serve --site-config` end to end, running the binary on a
//! fresh SQLite file: the example imports, imports again with nothing to change, exports and
//! imports back with nothing to change; a file with problems lists them all and writes nothing.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{Fresh, eventually, free_port, http_get};

const NOTHING_TO_CHANGE: &str = "Nothing to change";

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/site/config.yaml")
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[tokio::test]
async fn the_example_imports_then_has_nothing_to_change_and_exports_back() {
    let db = Fresh::new();
    let example = example();

    let dry = db
        .ok(&["site", "import", arg(&example), "--dry-run"], None)
        .0;
    assert!(!dry.contains(NOTHING_TO_CHANGE), "{dry}");
    assert!(dry.contains("dry run"), "{dry}");
    let first = db.ok(&["site", "import", arg(&example)], None).0;
    assert!(!first.contains(NOTHING_TO_CHANGE), "{first}");

    let again = db
        .ok(&["site", "import", arg(&example), "--dry-run"], None)
        .0;
    assert!(again.contains(NOTHING_TO_CHANGE), "{again}");
    let again = db.ok(&["site", "import", arg(&example)], None).0;
    assert!(again.contains(NOTHING_TO_CHANGE), "{again}");

    // Export on stdout and to a file: the same text, which imports back with nothing to change.
    let stdout = db.ok(&["site", "export"], None).0;
    let exported = db.path("exported.yaml");
    db.ok(
        &[
            "site",
            "export",
            "--system",
            "system",
            "--out",
            arg(&exported),
        ],
        None,
    );
    assert_eq!(std::fs::read_to_string(&exported).unwrap(), stdout);
    assert!(stdout.contains("grid_meter_1"), "{stdout}");
    let back = db
        .ok(&["site", "import", arg(&exported), "--dry-run"], None)
        .0;
    assert!(back.contains(NOTHING_TO_CHANGE), "{back}");
    let back = db
        .ok(
            &["site", "import", arg(&exported), "--prune", "--dry-run"],
            None,
        )
        .0;
    assert!(back.contains(NOTHING_TO_CHANGE), "{back}");
}

#[tokio::test]
async fn export_names_what_is_missing() {
    let db = Fresh::new();
    db.ok(&["site", "import", arg(&example())], None);
    let output = db.run(&["site", "export", "--system", "nope"], None);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("\"nope\""), "{stderr}");
}

/// The example with four mistakes, each on its own line.
fn bad_file(db: &Fresh) -> PathBuf {
    let text = std::fs::read_to_string(example())
        .unwrap()
        .replace(
            "name: \"Clifton Rooftop\"",
            "name: \"Renamed\"\n  colour: blue",
        )
        .replace("    array_id: array2\n", "    array_id: array9\n")
        .replace("    batteries: 3\n", "    batteries: 0\n")
        .replace("    type: grid\n", "    type: gas\n");
    let path = db.path("bad.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn a_file_with_problems_lists_them_all_and_writes_nothing() {
    let db = Fresh::new();
    db.ok(&["site", "import", arg(&example())], None);
    let before = db.ok(&["site", "export"], None).0;

    let bad = bad_file(&db);
    let output = db.run(&["site", "import", arg(&bad)], None);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let name = bad.display().to_string();
    assert!(
        stderr.starts_with(&format!(
            "error: {name} has 4 problems; nothing was written\n"
        )),
        "{stderr}"
    );
    for expected in [
        format!("{name}:14:3: home.colour: unknown key"),
        format!("{name}:61:15: inverters[2].array_id: no inverter array \"array9\""),
        format!("{name}:121:16: battery_banks[1].batteries: must be from 1 to 256, not 0"),
        format!("{name}:142:11: meters[0].type: \"gas\" is not one of"),
    ] {
        assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
    }
    assert!(output.stdout.is_empty());
    assert_eq!(
        db.ok(&["site", "export"], None).0,
        before,
        "the database changed"
    );
}

/// Starts `serve` with `POWERDECK_SITE_CONFIG=config`, waits until it is ready and stops it.
async fn serve_once(db: &Fresh, config: &Path) {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = db
        .command(&["serve", "--addr", &addr])
        .env("POWERDECK_SITE_CONFIG", config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = eventually(Duration::from_secs(30), async || {
        assert!(child.try_wait().unwrap().is_none(), "serve exited early");
        http_get(&addr, "/readyz").is_some_and(|answer| answer.starts_with("HTTP/1.0 200"))
    })
    .await;
    assert!(started, "serve did not start");
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

#[tokio::test]
async fn serve_imports_the_site_config_on_first_start_only() {
    let db = Fresh::new();
    serve_once(&db, &example()).await;
    let exported = db.path("exported.yaml");
    db.ok(&["site", "export", "--out", arg(&exported)], None);
    let again = db
        .ok(&["site", "import", arg(&example()), "--dry-run"], None)
        .0;
    assert!(again.contains(NOTHING_TO_CHANGE), "{again}");

    // A restart with another (even a broken) file neither reads it nor changes the site.
    let bad = bad_file(&db);
    serve_once(&db, &bad).await;
    let after = db.ok(&["site", "export"], None).0;
    assert_eq!(std::fs::read_to_string(&exported).unwrap(), after);
}

#[tokio::test]
async fn serve_with_a_broken_site_config_on_an_empty_database_stops_and_lists_the_problems() {
    let db = Fresh::new();
    let bad = bad_file(&db);
    let output = db
        .command(&["serve", "--addr", "127.0.0.1:0"])
        .env("POWERDECK_SITE_CONFIG", &bad)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("has 4 problems"), "{stderr}");
    assert!(stderr.contains(":61:15: inverters[2].array_id"), "{stderr}");
    let listed = db.run(&["site", "export"], None);
    assert_eq!(
        listed.status.code(),
        Some(1),
        "a system was created: {listed:?}"
    );
}

#[tokio::test]
async fn serve_demo_shows_the_example_site_on_the_simulator() {
    let db = Fresh::new();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = db
        .command(&["serve", "--demo", "--anonymous-read", "--addr", &addr])
        .env("POWERDECK_EXAMPLES_DIR", &examples)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut systems = String::new();
    let answered = eventually(Duration::from_secs(60), async || {
        assert!(child.try_wait().unwrap().is_none(), "serve exited early");
        match http_get(&addr, "/api/v1/site/systems") {
            Some(answer) if answer.starts_with("HTTP/1.0 200") => {
                systems = answer;
                true
            }
            _ => false,
        }
    })
    .await;
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let stopped = eventually(Duration::from_secs(10), async || {
        child.try_wait().unwrap().is_some()
    })
    .await;
    assert!(answered, "serve --demo did not answer /api/v1/site/systems");
    assert!(stopped, "serve ignored SIGTERM");
    assert!(systems.contains("Clifton Rooftop"), "{systems}");

    // The demo site is the example, except that the demo pointed adapters at what it bound:
    // pack1's secondary at its pseudo-terminal (always), pack1's primary and the simulator's
    // adapters at their ports (when 5021 or 5020 was busy). Importing it again changes only that.
    let again = db
        .ok(&["site", "import", arg(&example()), "--dry-run"], None)
        .0;
    assert!(
        again.contains("update adapter pack1_rtu: config "),
        "{again}"
    );
    for line in again.lines() {
        let planned = ["create ", "update ", "remove "]
            .iter()
            .any(|verb| line.starts_with(verb));
        assert!(
            !planned || (line.starts_with("update adapter ") && line.contains(": config ")),
            "{line}\nin\n{again}"
        );
    }
    let exported = db.ok(&["site", "export"], None).0;
    for id in [
        "array1",
        "array2",
        "inverter1",
        "inverter2",
        "inverter3",
        "battery_array1",
        "pack1",
        "pack2",
        "grid_meter_1",
    ] {
        assert!(
            exported.contains(&format!("id: {id}\n")),
            "{id} in\n{exported}"
        );
    }
    assert!(!exported.contains("192.168."), "{exported}");
}

/// A field configuration of one TCP bus (nothing listens there: the test reads the bus list,
/// not values).
const FIELD_CONFIG: &str = r#"{
  "buses": [{"name": "plant", "endpoint": {"tcp": {"addr": "127.0.0.1:9"}}}],
  "devices": {"inverter": "plant", "bms": {"bus": "plant", "unit_id": 2}}
}"#;

#[tokio::test]
async fn import_field_config_keeps_the_file_in_the_database_and_serve_runs_it() {
    let db = Fresh::new();
    let file = db.path("field.json");
    std::fs::write(&file, FIELD_CONFIG).unwrap();

    let dry = db
        .ok(
            &["site", "import-field-config", arg(&file), "--dry-run"],
            None,
        )
        .0;
    assert!(dry.contains("1 Modbus bus(es), 2 device(s)"), "{dry}");
    assert!(dry.contains("nothing stored"), "{dry}");
    let stored = db.ok(&["site", "import-field-config", arg(&file)], None).0;
    assert!(stored.contains("Stored"), "{stored}");
    let again = db.ok(&["site", "import-field-config", arg(&file)], None).0;
    assert!(again.contains(NOTHING_TO_CHANGE), "{again}");

    // A broken file is refused with its line and column; the stored one stays.
    let broken = db.path("broken.json");
    std::fs::write(&broken, "{\n  \"buses\": [\n    {\"name\": 5}\n  ]\n}\n").unwrap();
    let refused = db.run(&["site", "import-field-config", arg(&broken)], None);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("broken.json:3:"), "{stderr}");
    assert!(stderr.contains("nothing was stored"), "{stderr}");

    // `serve` without --field-config polls the stored configuration's bus.
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = db
        .command(&["serve", "--anonymous-read", "--addr", &addr])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let listed = eventually(Duration::from_secs(30), async || {
        assert!(child.try_wait().unwrap().is_none(), "serve exited early");
        http_get(&addr, "/api/v1/buses").is_some_and(|answer| {
            answer.starts_with("HTTP/1.0 200") && answer.contains("\"plant\"")
        })
    })
    .await;
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let _ = child.wait();
    assert!(listed, "serve did not run the stored field configuration");
}
