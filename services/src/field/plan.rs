//! Planning the polls: on every registry change, map each active path of each live variable onto
//! its data source and plan the Modbus block reads; paths that cannot be polled are set aside with
//! the reason.

use std::collections::HashMap;
use std::time::Duration;

use devices::planner::{self, PlannerConfig, PollClass, PollPoint, ReadBlock};
use entity::{system_variable, variable_access_path};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use tokio_util::sync::CancellationToken;

use super::FieldIo;
use super::config::{MappingError, PathSource};
use crate::convert::to_path;
use crate::system::system_version_of;
use model::error::AppError;
use model::registry::{AccessPath, Category};

/// How often the poller looks for registry changes to re-plan.
const REGISTRY_CHECK: Duration = Duration::from_secs(2);

/// One polled path of a variable.
#[derive(Clone)]
pub(super) struct Polled {
    pub(super) path_id: i64,
    pub(super) source: PathSource,
    pub(super) period: Duration,
}

impl FieldIo {
    /// Re-plans whenever the registry's system version moves, and runs the poll loops.
    pub(super) async fn follow_registry(self, db: DatabaseConnection, cancel: CancellationToken) {
        let mut planned_at = None;
        let mut pollers = cancel.child_token();
        let mut check = tokio::time::interval(REGISTRY_CHECK);
        // A missed check is simply done late; catching up would only repeat it.
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = check.tick() => {}
            }
            let version = match system_version_of(&db).await {
                Ok(version) => version,
                Err(error) => {
                    tracing::warn!(%error, "field I/O: cannot read the system version");
                    continue;
                }
            };
            if planned_at == Some(version) {
                continue;
            }
            match self.replan(&db).await {
                Ok(groups) => {
                    pollers.cancel();
                    pollers = cancel.child_token();
                    for blocks in groups {
                        tokio::spawn(self.clone().poll(blocks, pollers.clone()));
                    }
                    planned_at = Some(version);
                }
                Err(error) => tracing::warn!(%error, "field I/O: planning failed"),
            }
        }
    }

    /// Maps every active path of every live variable, plans the reads, and returns the blocks
    /// grouped per bus and class (one poll loop each).
    async fn replan(&self, db: &DatabaseConnection) -> Result<Vec<Vec<ReadBlock>>, AppError> {
        let inner = self.inner()?;
        let paths = active_paths(db).await?;
        let mut live_variables: HashMap<String, Vec<Polled>> = HashMap::new();
        let mut unmapped = Vec::new();
        let mut points = Vec::new();
        let mut targets = Vec::new();
        for (name, category, path) in paths {
            let class = inner.config.poll.class_of(&name, category);
            // A path the planner could never read would fail the whole plan: `source` refuses
            // every Modbus target that does not fit one request, and such paths are set aside.
            let source = match inner.config.source(&path) {
                // A CAN path is read from the latest frame: nothing to plan.
                Ok(PathSource::Can { bus, .. }) if !inner.can.contains_key(&bus) => {
                    Err((format!("CAN bus {bus:?} is not running"), false))
                }
                Ok(source) => Ok(source),
                // A path whose data source is not configured is expected not to be polled.
                Err(error) => {
                    let expected = matches!(error, MappingError::NoSource(_));
                    Err((error.to_string(), expected))
                }
            };
            match source {
                Ok(source) => {
                    if let PathSource::Modbus(target) = &source {
                        let key = u32::try_from(targets.len()).map_err(|_| {
                            AppError::Internal("poll plan: more Modbus paths than u32 keys".into())
                        })?;
                        points.push(PollPoint {
                            key,
                            device: target.bus.clone(),
                            unit_id: target.unit_id,
                            table: target.table,
                            address: target.address,
                            count: target.count(),
                            class,
                        });
                        targets.push((path.id, target.clone()));
                    }
                    live_variables.entry(name).or_default().push(Polled {
                        path_id: path.id,
                        source,
                        period: class.period(),
                    });
                }
                Err((reason, expected)) => unmapped.push((name, path.id, reason, expected)),
            }
        }
        let plan = planner::plan(&points, &PlannerConfig::default())
            .map_err(|e| AppError::Internal(format!("poll plan: {e}")))?;
        // The poll loops key their results by path id (stable across re-plans), not by the
        // planner's point index. Path ids fit the planner's u32 keys for any real registry.
        let blocks: Vec<ReadBlock> = plan
            .blocks
            .into_iter()
            .map(|mut block| {
                for member in &mut block.members {
                    member.0 = u32::try_from(targets[member.0 as usize].0).unwrap_or(u32::MAX);
                }
                block
            })
            .collect();
        let mut groups: HashMap<(String, PollClass), Vec<ReadBlock>> = HashMap::new();
        for block in &blocks {
            groups
                .entry((block.device.clone(), block.class))
                .or_default()
                .push(block.clone());
        }
        let mut live = inner.live.write().unwrap_or_else(|e| e.into_inner());
        live.variables = live_variables;
        live.targets = targets.into_iter().collect();
        live.blocks = blocks;
        live.unmapped = unmapped;
        tracing::info!(
            blocks = live.blocks.len(),
            variables = live.variables.len(),
            unmapped = live.unmapped.len(),
            "field I/O: poll plan ready"
        );
        Ok(groups.into_values().collect())
    }
}

/// Every active path of every live variable, with the variable's name and category; preferred
/// first.
async fn active_paths(
    db: &DatabaseConnection,
) -> Result<Vec<(String, Category, AccessPath)>, AppError> {
    // Only the three columns the plan needs: this runs on every registry change.
    let rows: Vec<(i64, String, Category)> = system_variable::Entity::find()
        .select_only()
        .columns([
            system_variable::Column::Id,
            system_variable::Column::Name,
            system_variable::Column::Category,
        ])
        .filter(system_variable::Column::Deleted.eq(false))
        .into_tuple()
        .all(db)
        .await?;
    let variables: HashMap<i64, (String, Category)> = rows
        .into_iter()
        .map(|(id, name, category)| (id, (name, category)))
        .collect();
    let mut paths: Vec<(String, Category, AccessPath)> = Vec::new();
    for model in variable_access_path::Entity::find()
        .filter(variable_access_path::Column::Active.eq(true))
        .all(db)
        .await?
    {
        if let Some((name, category)) = variables.get(&model.variable_id) {
            paths.push((name.clone(), *category, to_path(model)?));
        }
    }
    // Preferred first: the order `preferred_path` uses.
    paths.sort_by(|a, b| b.2.priority.cmp(&a.2.priority).then(a.2.id.cmp(&b.2.id)));
    Ok(paths)
}
