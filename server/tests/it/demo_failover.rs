//! `serve --demo` end to end, running the binary: the demo site's devices answer from the
//! simulator, and stopping pack1's primary through the demo-only route moves the pack to its RTU
//! secondary on the demo's own pseudo-terminal; restarting it moves the pack back after the
//! hold time; both switches are in the pack's journal. Two demos run side by side (as test
//! binaries do), so nothing here relies on a fixed port or path.

// A test may unwrap: a panic is its failure report. The scenario reads top to bottom.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::{eventually, fake_site_root, free_port};

/// One HTTP/1.0 exchange; the status and the JSON body, none when the server does not answer.
fn http(
    addr: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Option<(u16, Value)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.get(9..12)?.parse().ok()?;
    let json = answer
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body).ok())?;
    Some((status, json))
}

struct Demo {
    child: Child,
    addr: String,
    /// An admin API token of the demo's database.
    token: String,
    _dir: tempfile::TempDir,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Demo {
    fn start() -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/pd.db?mode=rwc", dir.path().display());
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        let addr = format!("127.0.0.1:{}", free_port());
        // The token first: the command creates and migrates the database the demo then opens.
        let created = Command::new(env!("CARGO_BIN_EXE_powerdeck"))
            .args(["token", "create", "demo-test", "--role", "admin"])
            .args(["--allow-deploy", "--allow-device-writes"])
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        assert!(created.status.success(), "{created:?}");
        let token = String::from_utf8(created.stdout)
            .unwrap()
            .trim()
            .to_string();
        let child = Command::new(env!("CARGO_BIN_EXE_powerdeck"))
            .args(["serve", "--demo", "--addr", &addr])
            .args(["--site-poll-ms", "200", "--failover-hold-cycles", "3"])
            .env("DATABASE_URL", &url)
            .env("POWERDECK_LOG", "warn")
            .env("POWERDECK_SITE_ROOT", fake_site_root(dir.path()))
            .env("POWERDECK_EXAMPLES_DIR", &examples)
            .env_remove("POWERDECK_SITE_CONFIG")
            .env_remove("POWERDECK_ADDR")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Demo {
            child,
            addr,
            token,
            _dir: dir,
        }
    }

    /// One request with the demo's token.
    fn call(&self, method: &str, path: &str, body: Option<&str>) -> Option<(u16, Value)> {
        http(&self.addr, &self.token, method, path, body)
    }

    fn live(&self) -> Option<Value> {
        match self.call("GET", "/api/v1/site/live?system=system", None) {
            Some((200, live)) => Some(live),
            _ => None,
        }
    }

    /// pack1 as the last cycle left it.
    fn pack1(&self) -> Option<Value> {
        self.live()?["devices"]
            .as_array()?
            .iter()
            .find(|d| d["device_id"] == "pack1")
            .cloned()
    }

    async fn wait_for_pack1_on(&self, adapter: &str) -> Value {
        let mut last = None;
        let served = eventually(Duration::from_secs(60), async || {
            last = self.pack1();
            last.as_ref()
                .is_some_and(|p| p["adapter_id"] == adapter && p["state"] == "answering")
        })
        .await;
        assert!(served, "pack1 is not read from {adapter}: {last:#?}");
        last.unwrap()
    }
}

#[tokio::test]
async fn the_demo_pack_fails_over_to_its_rtu_secondary_and_back() {
    let (first, second) = (Demo::start(), Demo::start());
    for demo in [&first, &second] {
        let pack1 = demo.wait_for_pack1_on("pack1_tcp").await;
        assert_eq!(pack1["failover"]["adapters"][0]["adapter_id"], "pack1_tcp");
        // Every device of the demo site answers from the demo's own simulator.
        let live = demo.live().unwrap();
        let answering = eventually(Duration::from_secs(30), async || {
            demo.live().is_some_and(|live| {
                live["devices"]
                    .as_array()
                    .is_some_and(|ds| ds.iter().all(|d| d["state"] == "answering"))
            })
        })
        .await;
        assert!(answering, "{live:#}");
    }
    // The two demos could not both have the fixed ports: each reads its own.
    let primary = |demo: &Demo| {
        demo.call("GET", "/api/v1/demo/pack1-primary", None)
            .unwrap()
            .1
    };
    let (a, b) = (primary(&first), primary(&second));
    assert_ne!(a["primary"], b["primary"]);
    assert_ne!(a["secondary"], b["secondary"]);

    let demo = &first;
    let (status, stopped) = demo
        .call(
            "POST",
            "/api/v1/demo/pack1-primary",
            Some(r#"{"running": false}"#),
        )
        .unwrap();
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(stopped["running"], false);
    let pack1 = demo.wait_for_pack1_on("pack1_rtu").await;
    assert_eq!(pack1["failover"]["failover_active"], true);
    assert!(
        pack1["failover"]["why"]
            .as_str()
            .unwrap()
            .starts_with("failover: pack1_tcp failed 2 consecutive poll cycles"),
        "{pack1:#}"
    );
    // The other demo's pack is not disturbed.
    assert_eq!(second.pack1().unwrap()["adapter_id"], "pack1_tcp");

    let (status, running) = demo
        .call(
            "POST",
            "/api/v1/demo/pack1-primary",
            Some(r#"{"running": true}"#),
        )
        .unwrap();
    assert_eq!((status, &running["running"]), (200, &Value::Bool(true)));
    demo.wait_for_pack1_on("pack1_tcp").await;

    let (status, journal) = demo
        .call("GET", "/api/v1/site/battery-packs/pack1/switches", None)
        .unwrap();
    assert_eq!(status, 200);
    let reasons: Vec<&str> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["recovered", "failed"], "{journal:#}");

    // A body that is not the switch's is refused as problem+json.
    let (status, problem) = demo
        .call(
            "POST",
            "/api/v1/demo/pack1-primary",
            Some(r#"{"runing": true}"#),
        )
        .unwrap();
    assert_eq!(status, 422, "{problem}");
}
