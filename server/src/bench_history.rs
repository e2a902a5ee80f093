//! The history figures of `powerdeck bench registry`: rebuilding one variable at an old version
//! with 50 changes in its history, and the snapshot of the whole registry at a past system
//! version (the one before those changes, so every changed variable is rebuilt).

use std::time::{Duration, Instant};

use anyhow::Context;
use model::registry::{ChangeItem, Variable, VariablePatch};
use sea_orm::DatabaseConnection;
use services::actor::Actor;
use services::registry::{history, query, write};

use crate::bench::ms;

/// Changes made to one variable before its old version is rebuilt.
const CHANGES: i64 = 50;
const REBUILD_RUNS: usize = 50;
const SNAPSHOT_RUNS: usize = 3;

fn p50(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Makes 50 changes to `name` (units and description in turn); the variable after them.
async fn change_fifty_times(db: &DatabaseConnection, name: &str) -> anyhow::Result<Variable> {
    let actor = Actor::new("bench", "bench");
    let mut variable = query::get_variable(db, name)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    for change in 0..CHANGES {
        let patch = if change % 2 == 0 {
            VariablePatch {
                units: Some(format!("u{change}")),
                ..VariablePatch::default()
            }
        } else {
            VariablePatch {
                description: Some(format!("change {change}")),
                ..VariablePatch::default()
            }
        };
        variable = write::update_variable(db, name, variable.variable_version, &patch, &actor)
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
    }
    Ok(variable)
}

/// The variable of the oldest change in the registry.
async fn first_variable(db: &DatabaseConnection) -> anyhow::Result<String> {
    let feed = query::changes_since(db, 0, 1)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    match feed.items.into_iter().next() {
        Some(ChangeItem::Variable { variable, .. }) => Ok(variable.name),
        Some(ChangeItem::Path { variable, .. }) => Ok(variable),
        None => anyhow::bail!("the registry is empty"),
    }
}

/// Prints the two history figures for the registry in `db` (changing one of its variables).
pub async fn print_history_figures(db: &DatabaseConnection) -> anyhow::Result<()> {
    let name = &first_variable(db).await?;
    let before = services::system::system_version_of(db).await?;
    let original = query::get_variable(db, name)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let changed = change_fifty_times(db, name).await?;
    anyhow::ensure!(
        changed.variable_version == original.variable_version + CHANGES,
        "expected {CHANGES} new versions of {name}"
    );

    let mut times = Vec::with_capacity(REBUILD_RUNS);
    for _ in 0..REBUILD_RUNS {
        let started = Instant::now();
        let rebuilt = history::variable_at_version(db, name, original.variable_version)
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        times.push(started.elapsed());
        anyhow::ensure!(
            rebuilt == original,
            "the rebuilt version of {name} differs from what was read before the changes"
        );
    }
    println!(
        "SQLite: rebuild at old version p50 {:>7}  ({CHANGES} changes since; target <= 5 ms)",
        ms(p50(times))
    );

    let mut times = Vec::with_capacity(SNAPSHOT_RUNS);
    let mut count = 0;
    for _ in 0..SNAPSHOT_RUNS {
        let started = Instant::now();
        let snapshot = history::snapshot(db, before)
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        times.push(started.elapsed());
        count = snapshot.variables.len();
        let found = snapshot
            .variables
            .iter()
            .find(|v| &v.name == name)
            .context("the changed variable is missing from the snapshot")?;
        anyhow::ensure!(
            found == &original,
            "the snapshot holds {name} as it was not"
        );
    }
    println!(
        "SQLite: snapshot at past version {:>9}  ({count} variables with their paths, as the REST route gets them before JSON; p50 of {SNAPSHOT_RUNS}; target <= 3 s)",
        ms(p50(times)),
    );
    Ok(())
}
