//! Shared test fixtures: the databases come from `services::testing`; this adds the router's state.

#![allow(dead_code)] // each test binary uses a different part of this module

pub use services::testing::*;

/// The state the router needs, around a test database.
pub fn app_state(test_db: &TestDb) -> app::ssr::state::AppState {
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
    }
}
