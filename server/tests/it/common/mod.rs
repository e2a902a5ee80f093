//! Shared test fixtures: the databases, the polling helper and the pty pair come from
//! `services::testing`; this adds the router's state and the simulated site the field and
//! protections tests run against.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::time::Duration;

use devices::simulator::{BMS_UNIT, Simulator};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use services::field::FieldIo;
use services::field::config::FieldConfig;
use services::protections::alarms::{Protections, ProtectionsConfig};
use tokio_util::sync::CancellationToken;

pub(crate) use services::testing::*;

/// Generous: polling and the simulator answer within a second, but CI machines stall.
pub(crate) const WAIT: Duration = Duration::from_secs(15);

/// The state the router needs, around a test database.
pub(crate) fn app_state(test_db: &TestDb) -> app::ssr::state::AppState {
    app::ssr::state::AppState {
        leptos_options: leptos::prelude::LeptosOptions::builder()
            .output_name("powerdeck")
            .build(),
        db: test_db.db.clone(),
        database_info: test_db.target.info.clone(),
        started_at: std::time::Instant::now(),
        registry_index: Default::default(),
        field: Default::default(),
        protections: Default::default(),
        access: Default::default(),
    }
}

/// The server's router as an admin's API client uses it: a request without an `Authorization`
/// header is sent with an admin token of the state's database (both scopes). Tests of access
/// control send their own header (or an empty one, see [`anonymous`]).
pub(crate) async fn router(state: app::ssr::state::AppState) -> axum::Router {
    use axum::http::{HeaderValue, header};
    let bearer = services::testing::test_bearer(&state.db, model::auth::Role::Admin).await;
    let bearer = HeaderValue::from_str(&bearer).unwrap();
    server::http::router(state).layer(axum::middleware::map_request(
        move |mut request: axum::extract::Request| {
            let bearer = bearer.clone();
            async move {
                let headers = request.headers_mut();
                match headers
                    .get(header::AUTHORIZATION)
                    .map(HeaderValue::as_bytes)
                {
                    // The marker of a request that must go without credentials.
                    Some(ANONYMOUS) => {
                        headers.remove(header::AUTHORIZATION);
                    }
                    Some(_) => {}
                    None => {
                        headers.insert(header::AUTHORIZATION, bearer);
                    }
                }
                request
            }
        },
    ))
}

/// Sent as `Authorization`, makes [`router`] send the request without any credentials.
pub(crate) const ANONYMOUS: &[u8] = b"anonymous";

/// A simulated site: a migrated SQLite registry holding the examples, the simulator serving
/// Modbus, field I/O over it (the BMS and the meter on one bus named `site`, the examples'
/// `prot:sbmu:hold` limits mapped onto the BMS's holding registers) and the protections
/// service. Everything stops when the site is dropped.
pub(crate) struct Site {
    pub simulator: Simulator,
    pub field: FieldIo,
    pub protections: Protections,
    pub db: DatabaseConnection,
    pub cancel: CancellationToken,
    pub test_db: TestDb,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl Site {
    /// The simulator on loopback Modbus TCP. `prepare` adds to the registry (variables, a
    /// profile) before field I/O starts.
    pub(crate) async fn tcp(prepare: impl AsyncFnOnce(&DatabaseConnection)) -> Site {
        let simulator = Simulator::new();
        let cancel = CancellationToken::new();
        let addr = simulator
            .serve_tcp("127.0.0.1:0".parse().unwrap(), cancel.clone())
            .await
            .unwrap();
        let endpoint = json!({"tcp": {"addr": addr.to_string()}});
        Site::on(simulator, endpoint, cancel, prepare).await
    }

    /// Field I/O over `endpoint` (as field.json spells a bus's endpoint), where `simulator`
    /// already serves until `cancel`; `prepare` as for `tcp`.
    pub(crate) async fn on(
        simulator: Simulator,
        endpoint: Value,
        cancel: CancellationToken,
        prepare: impl AsyncFnOnce(&DatabaseConnection),
    ) -> Site {
        let test_db = sqlite().await;
        services::database::migrate(&test_db.db).await.unwrap();
        let db = test_db.db.clone();
        import_examples(&db, "tester").await;
        prepare(&db).await;
        let config = json!({
            "buses": [{"name": "site", "endpoint": endpoint, "request_timeout_ms": 300}],
            "devices": {"bms": "site", "meter": "site"},
            "memory": {"prot:sbmu:hold": {"bus": "site", "unit_id": BMS_UNIT, "table": "holding", "base": 0}}
        })
        .to_string();
        let config = FieldConfig::parse("field.json", &config).unwrap();
        let field = FieldIo::start(db.clone(), config, cancel.clone());
        Site {
            simulator,
            field,
            protections: Protections::new(ProtectionsConfig::default()),
            db,
            cancel,
            test_db,
        }
    }

    /// The HTTP router over this site's database, field I/O and protections, as an admin's
    /// API client uses it ([`router`]).
    pub(crate) async fn router(&self) -> axum::Router {
        let mut state = app_state(&self.test_db);
        state.field = self.field.clone();
        state.protections = self.protections.clone();
        router(state).await
    }
}

/// A free TCP port on loopback (free when asked: a test binds it soon after).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A migrated SQLite file in a directory of its own, and the `powerdeck` binary run on it.
pub(crate) struct Fresh {
    pub dir: tempfile::TempDir,
    pub url: String,
}

impl Fresh {
    pub(crate) fn new() -> Fresh {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/pd.db?mode=rwc", dir.path().display());
        let fresh = Fresh { dir, url };
        let migrated = fresh.run(&["migrate", "up"], None);
        assert!(migrated.status.success());
        fresh
    }

    /// `powerdeck ARGS` on this database, with a site root holding the files `serve` checks
    /// for, and no site file or address from the environment.
    pub(crate) fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_powerdeck"));
        command
            .args(args)
            .env("DATABASE_URL", &self.url)
            .env("POWERDECK_LOG", "warn")
            .env("USER", "ops-tester")
            .env("POWERDECK_SITE_ROOT", fake_site_root(self.dir.path()))
            .env_remove("POWERDECK_SITE_CONFIG")
            .env_remove("POWERDECK_ADDR");
        command
    }

    /// Runs `powerdeck ARGS` with `stdin` piped in (so it is not a terminal).
    pub(crate) fn run(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        let mut child = self
            .command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run powerdeck");
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            std::io::Write::write_all(&mut input, text.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    }

    pub(crate) fn ok(&self, args: &[&str], stdin: Option<&str>) -> (String, String) {
        let output = self.run(args, stdin);
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            output.status.success(),
            "powerdeck {args:?}: {stderr}\n{stdout}"
        );
        (stdout, stderr)
    }

    pub(crate) fn fails(&self, args: &[&str], stdin: Option<&str>) -> String {
        let output = self.run(args, stdin);
        assert!(!output.status.success(), "powerdeck {args:?} should fail");
        String::from_utf8(output.stderr).unwrap()
    }

    pub(crate) async fn db(&self) -> sea_orm::DatabaseConnection {
        services::database::connect(&services::database::DatabaseTarget::parse(&self.url).unwrap())
            .await
            .unwrap()
    }

    pub(crate) fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }
}

/// A site root in `dir` holding the files `serve` checks for (their content does not matter).
pub(crate) fn fake_site_root(dir: &std::path::Path) -> std::path::PathBuf {
    let site = dir.join("site-root");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    for file in server::site::REQUIRED_FILES {
        std::fs::write(site.join(file), "").unwrap();
    }
    site
}

/// One HTTP/1.0 GET on loopback; none when the server does not answer.
pub(crate) fn http_get(addr: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

/// A router's answer: status, headers and the body as text (empty for the live stream, which
/// never ends).
pub(crate) struct Answer {
    pub status: axum::http::StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Answer {
    /// The body as JSON (the test fails, showing the body, when it is not).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    /// The body as JSON, or null when it is not JSON.
    pub(crate) fn json_or_null(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// A page's markup without Leptos's hydration markers (`<!>` and `<!--...-->` comments),
    /// which the server renders for the browser's hydration and which say nothing about the
    /// content: `<td class="mono muted">—</td>`, however the view is built.
    pub(crate) fn markup(&self) -> String {
        let mut markup = String::with_capacity(self.text.len());
        let mut rest = self.text.as_str();
        while let Some(at) = [rest.find("<!>"), rest.find("<!--")]
            .into_iter()
            .flatten()
            .min()
        {
            markup.push_str(&rest[..at]);
            rest = match rest[at..].strip_prefix("<!>") {
                Some(after) => after,
                None => rest[at..]
                    .find("-->")
                    .map_or("", |end| &rest[at + end + 3..]),
            };
        }
        markup.push_str(rest);
        markup
    }

    pub(crate) fn content_type(&self) -> &str {
        self.header(axum::http::header::CONTENT_TYPE)
    }

    pub(crate) fn etag(&self) -> &str {
        self.header(axum::http::header::ETAG)
    }

    fn header(&self, name: axum::http::HeaderName) -> &str {
        self.headers
            .get(name)
            .map_or("", |value| value.to_str().unwrap())
    }
}

/// What a request carries.
pub(crate) enum Payload {
    None,
    Json(String),
    /// Text of another type (`text/yaml`).
    Text(&'static str, String),
}

impl From<Option<String>> for Payload {
    /// JSON text, or nothing.
    fn from(body: Option<String>) -> Self {
        body.map_or(Payload::None, Payload::Json)
    }
}

/// One request through `router`, with `headers` and a JSON body (its text), if any.
pub(crate) async fn call(
    router: &axum::Router,
    method: axum::http::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Answer {
    call_with(router, method, path, headers, Payload::from(body)).await
}

/// One request through `router`, with `headers` and `body`.
pub(crate) async fn call_with(
    router: &axum::Router,
    method: axum::http::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Payload,
) -> Answer {
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, header};
    use tower::ServiceExt;

    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = match body {
        Payload::None => Body::empty(),
        Payload::Json(text) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(text)
        }
        Payload::Text(content_type, text) => {
            request = request.header(header::CONTENT_TYPE, content_type);
            Body::from(text)
        }
    };
    let response = router
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let streaming = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let text = if streaming {
        String::new()
    } else {
        let bytes = to_bytes(response.into_body(), 64 << 20).await.unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Answer {
        status,
        headers,
        text,
    }
}
