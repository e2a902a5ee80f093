//! A client of the Python prototype's HTTP API, through the real router: every call the
//! prototype's dashboards and scripts make, under `/` and under `/vars_api`, checked for status,
//! keys and types (and FastAPI's error shapes); `GET /` by Accept; CORS.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use crate::common;
use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

/// The JSON types a key may hold.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Int,
    Str,
    Bool,
    Array,
    Object,
    StrOrNull,
    IntOrNull,
}

impl Kind {
    fn holds(self, value: &Value) -> bool {
        match self {
            Kind::Int => value.is_i64() || value.is_u64(),
            Kind::Str => value.is_string(),
            Kind::Bool => value.is_boolean(),
            Kind::Array => value.is_array(),
            Kind::Object => value.is_object(),
            Kind::StrOrNull => value.is_string() || value.is_null(),
            Kind::IntOrNull => value.is_i64() || value.is_null(),
        }
    }
}

/// Asserts `value` is an object with exactly these keys (plus `optional` ones), each of its kind.
fn assert_shape(what: &str, value: &Value, keys: &[(&str, Kind)], optional: &[(&str, Kind)]) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {value}"));
    for (key, kind) in keys {
        let field = object
            .get(*key)
            .unwrap_or_else(|| panic!("{what}: no {key:?} in {value}"));
        assert!(
            kind.holds(field),
            "{what}: {key:?} is not {kind:?}: {value}"
        );
    }
    for (key, field) in object {
        let known = keys.iter().chain(optional).find(|(k, _)| k == key);
        let (_, kind) =
            known.unwrap_or_else(|| panic!("{what}: unexpected key {key:?} in {value}"));
        assert!(
            kind.holds(field),
            "{what}: {key:?} is not {kind:?}: {value}"
        );
    }
}

const VARIABLE_KEYS: &[(&str, Kind)] = &[
    ("id", Kind::Int),
    ("name", Kind::Str),
    ("display_name", Kind::Str),
    ("units", Kind::Str),
    ("description", Kind::Str),
    ("category", Kind::Str),
    ("locator", Kind::StrOrNull),
    ("variable_version", Kind::Int),
    ("system_version", Kind::Int),
    ("source_system", Kind::Str),
    ("last_updated", Kind::Str),
    ("deleted", Kind::Bool),
];

const PATH_KEYS: &[(&str, Kind)] = &[
    ("id", Kind::Int),
    ("access_type", Kind::Str),
    ("reference", Kind::Object),
    ("priority", Kind::Int),
    ("read_only", Kind::Bool),
    ("rack_number", Kind::IntOrNull),
    ("device_id", Kind::StrOrNull),
    ("path_version", Kind::Int),
    ("version", Kind::Int),
    ("system_version", Kind::Int),
    ("last_updated", Kind::Str),
    ("active", Kind::Bool),
];

fn assert_variable(what: &str, variable: &Value, with_paths: bool) {
    let optional: &[(&str, Kind)] = if with_paths {
        &[]
    } else {
        &[("access_paths", Kind::Array)]
    };
    let mut keys = VARIABLE_KEYS.to_vec();
    if with_paths {
        keys.push(("access_paths", Kind::Array));
    }
    assert_shape(what, variable, &keys, optional);
    assert_isoformat(what, variable["last_updated"].as_str().unwrap());
    if let Some(paths) = variable["access_paths"].as_array() {
        for path in paths {
            assert_shape(what, path, PATH_KEYS, &[]);
            assert_isoformat(what, path["last_updated"].as_str().unwrap());
        }
    }
}

/// Python's `isoformat()` of an aware UTC time: `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`.
fn assert_isoformat(what: &str, text: &str) {
    let (time, offset) = text.split_at(text.len() - 6);
    assert_eq!(offset, "+00:00", "{what}: {text}");
    let (whole, fraction) = time.split_once('.').unwrap_or((time, ""));
    assert!(
        chrono::NaiveDateTime::parse_from_str(whole, "%Y-%m-%dT%H:%M:%S").is_ok(),
        "{what}: {text}"
    );
    assert!(
        fraction.is_empty()
            || (fraction.len() == 6 && fraction.chars().all(|c| c.is_ascii_digit())),
        "{what}: {text}"
    );
}

/// FastAPI's 422: every problem with `loc`, `msg` and `type`; returns the (loc, type) pairs.
fn validation_issues(what: &str, body: &Value) -> Vec<(Value, String)> {
    assert_shape(what, body, &[("detail", Kind::Array)], &[]);
    body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| {
            assert_shape(
                what,
                issue,
                &[
                    ("loc", Kind::Array),
                    ("msg", Kind::Str),
                    ("type", Kind::Str),
                ],
                &[],
            );
            (
                issue["loc"].clone(),
                issue["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A prototype client: the router, and the prefix its calls go through (`""` or `/vars_api`).
struct Client {
    router: axum::Router,
    prefix: &'static str,
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
    text: String,
}

impl Client {
    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Answer {
        let answer = crate::common::call(
            &self.router,
            method,
            &format!("{}{path}", self.prefix),
            headers,
            body,
        )
        .await;
        Answer {
            body: answer.json_or_null(),
            status: answer.status,
            headers: answer.headers,
            text: answer.text,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, &[], None).await
    }

    /// A JSON call that must answer `status` as `application/json`.
    async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        status: StatusCode,
    ) -> Value {
        let answer = self
            .send(method.clone(), path, &[], body.map(|b| b.to_string()))
            .await;
        assert_eq!(
            answer.status, status,
            "{method} {}{path}: {}",
            self.prefix, answer.text
        );
        let content_type = answer.headers[header::CONTENT_TYPE].to_str().unwrap();
        assert_eq!(content_type, "application/json", "{method} {path}");
        answer.body
    }
}

async fn router_with_examples() -> (axum::Router, common::TestDb) {
    let test_db = common::sqlite().await;
    services::database::migrate(&test_db.db).await.unwrap();
    common::import_examples(&test_db.db, "test").await;
    let router = crate::common::router(common::app_state(&test_db)).await;
    (router, test_db)
}

#[tokio::test]
async fn the_registry_routes_answer_the_prototypes_shapes_under_both_prefixes() {
    let (router, _db) = router_with_examples().await;
    for prefix in ["", "/vars_api"] {
        let client = Client {
            router: router.clone(),
            prefix,
        };
        reads(&client).await;
        errors(&client).await;
        writes(&client).await;
    }
}

/// The prototype's registry held variables without a locator (`locator = NULL`): its API answers
/// `"locator": null` for them, `/api/locators` leaves them out, a locator filter never matches
/// them, and its `PUT` with `"locator": null` changes nothing (it only set given values).
#[tokio::test]
async fn a_variable_without_a_locator_answers_null_and_is_no_locator_in_use() {
    let test_db = common::sqlite().await;
    services::database::migrate(&test_db.db).await.unwrap();
    let files = services::registry::import::ImportFiles {
        data_def_name: "data_def.json",
        data_def: r#"[{"table": "oper:sbmu:input", "items": [
            {"name": "soc", "offset": 0}, {"name": "soh", "offset": 2}]}]"#,
        metadata_name: Some("var_metadata.json"),
        metadata: Some(
            r#"{"defaults": {"locator": null}, "variables": {"soh": {"locator": "sbmu.global"}}}"#,
        ),
    };
    let options = services::registry::import::ImportOptions {
        dry_run: false,
        prune: false,
        source: "test".into(),
        actor: "tester".into(),
        caller: None,
    };
    services::registry::import::import(&test_db.db, &files, &options)
        .await
        .unwrap();
    let client = Client {
        router: crate::common::router(common::app_state(&test_db)).await,
        prefix: "",
    };
    let ok = StatusCode::OK;

    let page = client.json(Method::GET, "/api/vars", None, ok).await;
    let listed: Vec<(&str, &Value)> = page["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            assert_variable("list", v, false);
            (v["name"].as_str().unwrap(), &v["locator"])
        })
        .collect();
    assert_eq!(
        listed,
        [("soc", &Value::Null), ("soh", &json!("sbmu.global"))]
    );
    let one = client.json(Method::GET, "/api/vars/soc", None, ok).await;
    assert_variable("detail", &one, true);
    assert_eq!(one["locator"], Value::Null);
    let current = client
        .json(Method::GET, "/api/variables/soc", None, ok)
        .await;
    assert_eq!(current["variable"]["locator"], Value::Null, "{current}");
    let bulk = client
        .json(
            Method::POST,
            "/api/variables/bulk",
            Some(json!({"variable_names": ["soc"]})),
            ok,
        )
        .await;
    assert_eq!(bulk["variables"][0]["locator"], Value::Null);

    let locators = client.json(Method::GET, "/api/locators", None, ok).await;
    assert_eq!(locators, json!({"locators": ["sbmu.global"]}));
    let oper = client
        .json(Method::GET, "/api/locators?category=oper", None, ok)
        .await;
    assert_eq!(oper, json!({"locators": ["sbmu.global"]}));
    for filter in ["sbmu.global", "sbmu.*", "soc"] {
        let filtered = client
            .json(
                Method::GET,
                &format!("/api/vars?locator={filter}"),
                None,
                ok,
            )
            .await;
        assert!(
            filtered["variables"]
                .as_array()
                .unwrap()
                .iter()
                .all(|v| v["name"] != "soc"),
            "{filter}: {filtered}"
        );
    }

    // `locator: null` in a PUT leaves the locator as it is; a value sets it.
    let unchanged = client
        .json(
            Method::PUT,
            "/api/variables/soc",
            Some(json!({"locator": null, "units": "%"})),
            ok,
        )
        .await;
    assert_eq!(unchanged["variable_version"], 2, "the units changed");
    let still = client.json(Method::GET, "/api/vars/soc", None, ok).await;
    assert_eq!(
        (&still["locator"], &still["units"]),
        (&Value::Null, &json!("%"))
    );
    client
        .json(
            Method::PUT,
            "/api/variables/soc",
            Some(json!({"locator": "sbmu.soc"})),
            ok,
        )
        .await;
    let placed = client.json(Method::GET, "/api/vars/soc", None, ok).await;
    assert_eq!(placed["locator"], "sbmu.soc");
    let locators = client.json(Method::GET, "/api/locators", None, ok).await;
    assert_eq!(locators, json!({"locators": ["sbmu.global", "sbmu.soc"]}));
}

async fn reads(client: &Client) {
    let ok = StatusCode::OK;
    let page = client.json(Method::GET, "/api/vars", None, ok).await;
    assert_shape(
        "list",
        &page,
        &[
            ("total", Kind::Int),
            ("limit", Kind::Int),
            ("offset", Kind::Int),
            ("variables", Kind::Array),
        ],
        &[],
    );
    assert_eq!(
        (page["limit"].as_u64(), page["offset"].as_u64()),
        (Some(100), Some(0))
    );
    let all: Vec<String> = page["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            assert_variable("list", v, false);
            assert!(v.get("access_paths").is_none(), "{v}");
            v["name"].as_str().unwrap().to_string()
        })
        .collect();
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "ordered by name");
    assert!(page["total"].as_u64().unwrap() >= all.len() as u64);

    let window = client
        .json(Method::GET, "/api/vars?limit=5&offset=3", None, ok)
        .await;
    let names: Vec<&str> = window["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, all[3..8], "offset paging");
    assert_eq!(
        (window["limit"].as_u64(), window["offset"].as_u64()),
        (Some(5), Some(3))
    );

    let prot = client
        .json(Method::GET, "/api/vars?category=prot&limit=1000", None, ok)
        .await;
    let prot = prot["variables"].as_array().unwrap();
    assert!(!prot.is_empty());
    assert!(prot.iter().all(|v| v["category"] == "prot"));
    // A locator with an index, and the same with every index as `[*]`.
    let everything = client
        .json(Method::GET, "/api/vars?limit=100000", None, ok)
        .await;
    let locator = everything["variables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["locator"].as_str())
        .find(|l| l.contains('['))
        .expect("the examples have an indexed locator")
        .to_string();
    let pattern: String = locator
        .split('.')
        .map(|segment| match segment.split_once('[') {
            Some((word, _)) => format!("{word}[*]"),
            None => segment.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".");
    let wildcard = client
        .json(
            Method::GET,
            &format!("/api/vars?locator={pattern}&limit=1000"),
            None,
            ok,
        )
        .await;
    let matched = wildcard["variables"].as_array().unwrap();
    assert!(
        matched.iter().any(|v| v["locator"] == locator.as_str()),
        "{pattern} finds {locator}: {wildcard}"
    );
    assert!(
        matched
            .iter()
            .all(|v| v["locator"].as_str().unwrap().contains('['))
    );
    let categories_in_use: Vec<&str> = prot
        .iter()
        .map(|v| v["category"].as_str().unwrap())
        .collect();
    assert!(categories_in_use.iter().all(|c| *c == "prot"));

    let one = client
        .json(Method::GET, "/api/vars/rack_voltage", None, ok)
        .await;
    assert_variable("detail", &one, true);
    assert!(!one["access_paths"].as_array().unwrap().is_empty());

    let version = client
        .json(Method::GET, "/api/system/version", None, ok)
        .await;
    assert_shape("version", &version, &[("system_version", Kind::Int)], &[]);
    let categories = client.json(Method::GET, "/api/categories", None, ok).await;
    assert_shape(
        "categories",
        &categories,
        &[("categories", Kind::Array)],
        &[],
    );
    assert!(
        categories["categories"]
            .as_array()
            .unwrap()
            .contains(&json!("prot"))
    );
    let locators = client
        .json(Method::GET, "/api/locators?category=prot", None, ok)
        .await;
    assert_shape("locators", &locators, &[("locators", Kind::Array)], &[]);
    let prot_locator = &prot[0]["locator"];
    assert!(
        locators["locators"]
            .as_array()
            .unwrap()
            .contains(prot_locator),
        "{locators}"
    );

    let voltage = client
        .json(Method::GET, "/api/variables?name_pattern=voltage", None, ok)
        .await;
    let voltage = voltage.as_array().unwrap();
    assert!(voltage.len() > 1);
    for variable in voltage {
        assert_variable("variables", variable, true);
        assert!(variable["name"].as_str().unwrap().contains("voltage"));
    }
    let without = client
        .json(
            Method::GET,
            "/api/variables?category=prot&include_paths=false",
            None,
            ok,
        )
        .await;
    assert!(
        without
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v.get("access_paths").is_none())
    );

    let bulk = client
        .json(
            Method::POST,
            "/api/variables/bulk",
            Some(json!({"variable_names": ["soc", "no_such_variable", "rack_voltage"]})),
            ok,
        )
        .await;
    assert_shape(
        "bulk",
        &bulk,
        &[("variables", Kind::Array), ("not_found", Kind::Array)],
        &[],
    );
    let found: Vec<&str> = bulk["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            assert_variable("bulk", v, true);
            v["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(found, ["soc", "rack_voltage"]);
    assert_eq!(bulk["not_found"], json!(["no_such_variable"]));

    let current = client
        .json(Method::GET, "/api/variables/rack_voltage", None, ok)
        .await;
    assert_shape(
        "get",
        &current,
        &[("ok", Kind::Bool), ("variable", Kind::Object)],
        &[],
    );
    assert_shape(
        "get",
        &current["variable"],
        &[
            ("name", Kind::Str),
            ("display_name", Kind::Str),
            ("units", Kind::Str),
            ("description", Kind::Str),
            ("category", Kind::Str),
            ("locator", Kind::StrOrNull),
            ("version", Kind::Int),
            ("variable_version", Kind::Int),
            ("system_version", Kind::Int),
            ("source_system", Kind::Str),
            ("last_updated", Kind::Str),
            ("access_paths", Kind::Array),
        ],
        &[],
    );

    let changes = client
        .json(
            Method::GET,
            "/api/variables/changes?since_version=0",
            None,
            ok,
        )
        .await;
    assert_shape(
        "changes",
        &changes,
        &[
            ("ok", Kind::Bool),
            ("current_system_version", Kind::Int),
            ("since_version", Kind::Int),
            ("changes", Kind::Array),
        ],
        &[],
    );
    for variable in changes["changes"].as_array().unwrap() {
        assert_variable("changes", variable, true);
    }
}

async fn errors(client: &Client) {
    // A wrong method answers FastAPI's 405, with the methods the path does answer.
    let body = client
        .json(
            Method::DELETE,
            "/api/vars",
            None,
            StatusCode::METHOD_NOT_ALLOWED,
        )
        .await;
    assert_eq!(body, json!({"detail": "Method Not Allowed"}));
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let body = client
        .json(
            Method::GET,
            "/api/vars?limit=abc&offset=-1",
            None,
            unprocessable,
        )
        .await;
    assert_eq!(
        validation_issues("limit", &body),
        [
            (json!(["query", "limit"]), "int_parsing".to_string()),
            (json!(["query", "offset"]), "greater_than_equal".to_string()),
        ],
        "every problem is reported"
    );
    let body = client
        .json(
            Method::GET,
            "/api/variables?include_paths=maybe",
            None,
            unprocessable,
        )
        .await;
    assert_eq!(
        validation_issues("include_paths", &body),
        [(
            json!(["query", "include_paths"]),
            "bool_parsing".to_string()
        )]
    );
    let body = client
        .json(
            Method::POST,
            "/api/variables/bulk",
            Some(json!({})),
            unprocessable,
        )
        .await;
    assert_eq!(
        validation_issues("bulk", &body),
        [(json!(["body", "variable_names"]), "missing".to_string())]
    );
    let answer = client
        .send(
            Method::POST,
            "/api/variables/bulk",
            &[],
            Some("{oops".into()),
        )
        .await;
    assert_eq!(answer.status, unprocessable);
    assert_eq!(validation_issues("json", &answer.body)[0].1, "json_invalid");
    let body = client
        .json(
            Method::PUT,
            "/api/variables/soc",
            Some(json!({"category": "bogus", "units": 5})),
            unprocessable,
        )
        .await;
    assert_eq!(
        validation_issues("put", &body),
        [
            (json!(["body", "units"]), "string_type".to_string()),
            (json!(["body", "category"]), "enum".to_string()),
        ]
    );
    let body = client
        .json(
            Method::POST,
            "/api/variables/soc/access_paths",
            Some(json!({"access_type": "can", "reference": {"can_id": 99999, "start_byte": 0, "length": 2, "data_type": "u16"}})),
            unprocessable,
        )
        .await;
    let issues = validation_issues("path", &body);
    assert_eq!(
        issues[0].0,
        json!(["body", "reference", "can_id"]),
        "{body}"
    );
    assert_eq!(issues[0].1, "value_error");

    for path in [
        "/api/vars/no_such_variable",
        "/api/variables/no_such_variable",
    ] {
        let body = client
            .json(Method::GET, path, None, StatusCode::NOT_FOUND)
            .await;
        assert_eq!(
            body,
            json!({"detail": "Variable no_such_variable not found"})
        );
    }
    let body = client
        .json(
            Method::PUT,
            "/api/variables/no_such_variable",
            Some(json!({"units": "V"})),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_eq!(
        body,
        json!({"detail": "Variable no_such_variable not found"})
    );
}

async fn writes(client: &Client) {
    let ok = StatusCode::OK;
    let before = client
        .json(Method::GET, "/api/system/version", None, ok)
        .await["system_version"]
        .as_i64()
        .unwrap();
    // Each prefix writes its own units, so both writes change something.
    let units = format!("V{}", client.prefix.len());
    let answer = client
        .json(
            Method::PUT,
            "/api/variables/rack_voltage",
            Some(json!({"units": units, "changed_by": "alice", "source_system": "central", "unknown": 1})),
            ok,
        )
        .await;
    assert_shape(
        "put",
        &answer,
        &[
            ("ok", Kind::Bool),
            ("variable", Kind::Str),
            ("variable_version", Kind::Int),
            ("system_version", Kind::Int),
        ],
        &[],
    );
    assert_eq!(answer["system_version"], before + 1);
    // The change log, read through /api/v1 (which the proxy prefix does not serve).
    let root = Client {
        router: client.router.clone(),
        prefix: "",
    };
    let history = root
        .json(
            Method::GET,
            "/api/v1/variables/rack_voltage/history",
            None,
            ok,
        )
        .await;
    let latest = &history.as_array().unwrap()[0];
    assert_eq!(latest["changed_by"], "alice");
    assert_eq!(latest["source_system"], "central");
    assert_eq!(latest["new_value"], units.as_str());
    let old_version = answer["variable_version"].as_i64().unwrap() - 1;
    let past = client
        .json(
            Method::GET,
            &format!("/api/variables/rack_voltage?version={old_version}"),
            None,
            ok,
        )
        .await;
    assert_eq!(past["variable"]["version"], old_version);
    assert_ne!(past["variable"]["units"], units.as_str());

    let path = json!({"access_type": "can", "reference": {"can_id": 291 + client.prefix.len(), "start_byte": 0, "length": 2, "data_type": "u16"}, "priority": 1, "read_only": true, "rack_number": 3, "changed_by": "bob"});
    let added = client
        .json(
            Method::POST,
            "/api/variables/soc/access_paths",
            Some(path.clone()),
            ok,
        )
        .await;
    assert_shape(
        "path",
        &added,
        &[
            ("ok", Kind::Bool),
            ("variable", Kind::Str),
            ("version", Kind::Int),
            ("variable_version", Kind::Int),
            ("system_version", Kind::Int),
            ("access_path_id", Kind::Int),
            ("change", Kind::Str),
        ],
        &[],
    );
    assert_eq!(added["change"], "access_path_added");
    let mut again = path;
    again["priority"] = json!(5);
    let updated = client
        .json(
            Method::POST,
            "/api/variables/soc/access_paths",
            Some(again),
            ok,
        )
        .await;
    assert_eq!(updated["change"], "access_path_updated");
    assert_eq!(updated["access_path_id"], added["access_path_id"]);

    let changes = client
        .json(
            Method::GET,
            &format!("/api/variables/changes?since_version={before}"),
            None,
            ok,
        )
        .await;
    let changed: Vec<&str> = changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["rack_voltage", "soc"], "{changes}");
    assert_eq!(changes["since_version"], before);
}

#[tokio::test]
async fn the_root_answers_service_info_to_json_clients_and_the_console_to_browsers() {
    let (router, _db) = router_with_examples().await;
    let client = Client { router, prefix: "" };
    let info_keys = [
        ("service", Kind::Str),
        ("version", Kind::Str),
        ("variable_count", Kind::Int),
        ("system_version", Kind::Int),
        ("database", Kind::Str),
    ];
    let answer = client
        .send(Method::GET, "/", &[("accept", "application/json")], None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_shape("root", &answer.body, &info_keys, &[]);
    assert!(answer.body["variable_count"].as_u64().unwrap() > 0);
    assert!(
        answer.body["database"]
            .as_str()
            .unwrap()
            .starts_with("sqlite:")
    );
    for path in ["/vars_api/", "/vars_api"] {
        let answer = client.get(path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_shape(path, &answer.body, &info_keys, &[]);
    }
    let unknown = client.get("/vars_api/api/no_such_route").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body, json!({"detail": "Not Found"}));
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for accept in [browser, "*/*"] {
        let page = client
            .send(Method::GET, "/", &[("accept", accept)], None)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let content_type = page.headers[header::CONTENT_TYPE].to_str().unwrap();
        assert!(
            content_type.starts_with("text/html"),
            "{accept}: {content_type}"
        );
    }
}

#[tokio::test]
async fn cors_lets_the_configured_dashboard_origins_call_the_api() {
    let (router, _db) = router_with_examples().await;
    let origins: Vec<String> = server::config::DEFAULT_CORS_ORIGINS
        .split(',')
        .map(str::to_string)
        .collect();
    let cors = server::rest::prototype::cors_layer(&origins).unwrap();
    let client = Client {
        router: router.layer(cors),
        prefix: "/vars_api",
    };
    let preflight = client
        .send(
            Method::OPTIONS,
            "/api/variables/soc",
            &[
                ("origin", "http://localhost:8081"),
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "content-type"),
            ],
            None,
        )
        .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(
        preflight.headers["access-control-allow-origin"],
        "http://localhost:8081"
    );
    let simple = client
        .send(
            Method::GET,
            "/api/vars",
            &[("origin", "http://127.0.0.1:8000")],
            None,
        )
        .await;
    assert_eq!(
        simple.headers["access-control-allow-origin"],
        "http://127.0.0.1:8000"
    );
    let stranger = client
        .send(
            Method::GET,
            "/api/vars",
            &[("origin", "http://evil.example")],
            None,
        )
        .await;
    assert_eq!(stranger.status, StatusCode::OK);
    assert!(
        stranger
            .headers
            .get("access-control-allow-origin")
            .is_none()
    );

    let refused = server::rest::prototype::cors_layer(&["localhost:8081".to_string()]);
    assert!(refused.unwrap_err().to_string().contains("localhost:8081"));
}

/// The seed's payload (001 "Quick test script"), byte for byte.
const SEED_PAYLOAD: &str = r#"{"protections":{"soc":{"max":{"hysteresis":0.5,"warning":{"threshold":95,"on_duration":30,"off_duration":60,"enabled":true}}}}}"#;

#[tokio::test]
async fn the_protections_routes_save_recall_and_deploy_as_the_seed_script_expects() {
    let site = common::Site::tcp(async |db| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        let defaults = std::fs::read_to_string(dir.join("protections_default.json")).unwrap();
        let actor = services::actor::Actor::new("tester", "test");
        services::protections::profiles::seed_default(
            db,
            "protections_default.json",
            &defaults,
            &actor,
        )
        .await
        .unwrap();
    })
    .await;
    let ok = StatusCode::OK;
    let ok_keys = [
        ("ok", Kind::Bool),
        ("profile", Kind::Str),
        ("message", Kind::Str),
    ];
    for prefix in ["", "/vars_api"] {
        let client = Client {
            router: site.router().await,
            prefix,
        };
        let saved = client
            .send(
                Method::POST,
                "/api/protections",
                &[],
                Some(SEED_PAYLOAD.to_string()),
            )
            .await;
        assert_eq!(saved.status, ok, "{prefix}: {}", saved.text);
        assert_shape("save", &saved.body, &ok_keys, &[]);
        assert_eq!(saved.body["message"], "Protections saved");
        assert_eq!(saved.body["ok"], true);

        let current = client
            .json(Method::GET, "/api/protections?source=current", None, ok)
            .await;
        let max = &current["protections"]["soc"]["max"];
        assert_eq!(max["hysteresis"], 0.5, "{current}");
        assert_eq!(
            max["warning"],
            json!({"threshold": 95.0, "on_duration": 30.0, "off_duration": 60.0, "enabled": true})
        );
        let default = client
            .json(Method::GET, "/api/protections?source=default", None, ok)
            .await;
        assert!(default["protections"].is_object(), "{default}");

        let deployed = client
            .send(
                Method::POST,
                "/api/protections/deploy",
                &[],
                Some(SEED_PAYLOAD.to_string()),
            )
            .await;
        assert_eq!(deployed.status, ok, "{prefix}: {}", deployed.text);
        assert_shape("deploy", &deployed.body, &ok_keys, &[]);
        assert_eq!(deployed.body["message"], "Protections deployed");
    }

    let client = Client {
        router: site.router().await,
        prefix: "/vars_api",
    };
    // A value the register cannot hold: refused before sending, with /api/v1's detail.
    let refused = client
        .send(
            Method::POST,
            "/api/protections/deploy",
            &[],
            Some(SEED_PAYLOAD.replace("\"threshold\":95", "\"threshold\":95.05")),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_shape("refused", &refused.body, &[("detail", Kind::Str)], &[]);
    // Unknown levels and keys: every problem with its path in the body, nothing saved.
    let bad = client
        .json(
            Method::POST,
            "/api/protections",
            Some(json!({"protections": {"soc": {"max": {"severe": {"threshold": 1, "on_duration": 1, "off_duration": 1}, "warning": {"treshold": 1, "threshold": 96, "on_duration": 1, "off_duration": 1}}}}})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let locations: Vec<Value> = validation_issues("bad", &bad)
        .into_iter()
        .map(|(loc, _)| loc)
        .collect();
    assert!(
        locations.contains(&json!(["body", "protections", "soc", "max", "severe"])),
        "{bad}"
    );
    assert!(
        locations.contains(&json!([
            "body",
            "protections",
            "soc",
            "max",
            "warning",
            "treshold"
        ])),
        "{bad}"
    );
    let missing = client
        .json(
            Method::POST,
            "/api/protections",
            Some(json!({})),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_eq!(
        validation_issues("missing", &missing),
        [(json!(["body", "protections"]), "missing".to_string())]
    );
    let source = client
        .json(
            Method::GET,
            "/api/protections?source=device",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_eq!(validation_issues("source", &source)[0].1, "enum");
}
