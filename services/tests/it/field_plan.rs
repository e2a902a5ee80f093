//! Field I/O planning against a real registry: memory paths too large for one Modbus request
//! are listed as not polled, with the reason, and never take the planner task down.

// A test may unwrap: a panic is its failure report. Scenario tests read top to bottom.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation
)]

use std::time::Duration;

use model::registry::{AccessType, Category, NewAccessPath, NewVariable};
use sea_orm::DatabaseConnection;
use serde_json::json;
use services::actor::Actor;
use services::field::FieldIo;
use services::field::config::FieldConfig;
use services::registry::write;
use services::testing as common;
use tokio_util::sync::CancellationToken;

async fn create_memory_variable(
    db: &DatabaseConnection,
    name: &str,
    offset: u32,
    size: u32,
    num: u32,
) -> i64 {
    let new = NewVariable {
        name: name.into(),
        display_name: None,
        units: String::new(),
        description: String::new(),
        category: Category::Config,
        locator: Some("system.global".into()),
        paths: vec![NewAccessPath {
            access_type: AccessType::MemoryOffset,
            reference: json!({"table": "prot:sbmu:hold", "offset": offset, "size": size, "num": num}),
            priority: 1,
            read_only: false,
            rack_number: None,
            device_id: None,
        }],
    };
    let variable = write::create_variable(db, &new, &Actor::new("tester", "test"))
        .await
        .unwrap();
    variable.paths.unwrap()[0].id
}

#[tokio::test]
async fn memory_paths_too_large_for_one_request_are_listed_not_polled() {
    let test_db = common::sqlite().await;
    services::database::migrate(&test_db.db).await.unwrap();
    let db = test_db.db.clone();
    // 40,000 four-byte elements are 80,000 registers: more than a u16 can count.
    let huge = create_memory_variable(&db, "huge_table", 0, 4, 40_000).await;
    // 70,000 elements do not even fit a u16 element count.
    let huger = create_memory_variable(&db, "huger_table", 0, 2, 70_000).await;
    let small = create_memory_variable(&db, "small_value", 8, 2, 1).await;

    // Nothing listens on the bus's port: planning needs no device.
    let config = FieldConfig::parse(
        "field.json",
        r#"{"buses": [{"name": "site", "endpoint": {"tcp": {"addr": "127.0.0.1:9"}}}],
            "memory": {"prot:sbmu:hold": {"bus": "site", "unit_id": 2}}}"#,
    )
    .unwrap();
    let cancel = CancellationToken::new();
    let field = FieldIo::start(db.clone(), config, cancel.clone());

    let mut planned = false;
    for _ in 0..100 {
        if !field.plan().0.is_empty() {
            planned = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (blocks, unmapped) = field.plan();
    cancel.cancel();
    assert!(planned, "no plan was made (did the planner task panic?)");
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    assert_eq!(blocks[0].members, vec![(u32::try_from(small).unwrap(), 0)]);
    let reason_of = |id: i64| {
        unmapped
            .iter()
            .find(|(_, path_id, ..)| *path_id == id)
            .map(|(_, _, reason, _)| reason.clone())
    };
    let huge_reason = reason_of(huge).unwrap_or_else(|| panic!("{unmapped:?}"));
    assert!(huge_reason.contains("40000"), "{huge_reason}");
    let huger_reason = reason_of(huger).unwrap_or_else(|| panic!("{unmapped:?}"));
    assert!(huger_reason.contains("70000"), "{huger_reason}");
    // The Buses page sees the same list.
    let overview = field.overview();
    assert!(
        overview
            .unmapped
            .iter()
            // More registers than one request carries: a fault, not an expected gap.
            .any(|u| u.path_id == huge
                && u.variable == "huge_table"
                && !u.reason.is_empty()
                && !u.expected)
    );
}
