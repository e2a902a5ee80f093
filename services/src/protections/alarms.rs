//! Live alarm states: the protections runtime feeds live values into the alarm engine against
//! the deployed limits, writes raises and clears to the alarm journal, and takes
//! acknowledgements. Also the protections configuration (naming rule, measured variables).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use entity::{alarm_journal, protection_deployment, protection_deployment_field};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::actor::Actor;
use crate::field::FieldIo;
use crate::protections::engine::{AlarmEngine, AlarmEvent};
use crate::protections::naming::{NamingError, NamingRule};
use crate::protections::profiles;
use model::error::AppError;
use model::field::Quality;
use model::profiles::{AlarmRow, JournalEntry, JournalEvent};
use model::protections::{AlarmState, FieldPath, FieldValue, Level, Measured, ProtectionSet, Side};

/// How often live values are fed to the engine.
const EVALUATE_EVERY: Duration = Duration::from_millis(250);

/// `--protections-config` (JSON): how limit fields map to registry variables, and which live
/// variable measures each protected quantity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtectionsConfig {
    /// Free text for the people who edit the file.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub naming: NamingRule,
    /// Quantity → the live variable that measures it. A quantity not listed is measured by the
    /// registry variable of the same name.
    #[serde(default)]
    pub measure: BTreeMap<String, Measure>,
}

/// The live variable behind a quantity; its value × `factor` is compared with the limits (so a
/// value in V can meet limits in 0.1 V). Arrays: the max side sees the largest element, the min
/// side the smallest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    pub variable: String,
    #[serde(default = "one")]
    pub factor: f64,
}

impl Measure {
    /// The largest and the smallest element times the factor (what the max and the min side
    /// see); `None` for no values.
    fn extremes(&self, values: &[f64]) -> Option<(f64, f64)> {
        let scaled = values.iter().map(|v| v * self.factor);
        Some((scaled.clone().reduce(f64::max)?, scaled.reduce(f64::min)?))
    }
}

fn one() -> f64 {
    1.0
}

/// Why a protections configuration file is refused; each message names the file and the place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtectionsConfigError {
    /// Not JSON, or not the shape of a protections configuration.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// The naming rule cannot name every field unambiguously.
    #[error("{file}: naming: {error}")]
    Naming { file: String, error: NamingError },
    /// A measure's factor is zero, infinite or not a number.
    #[error("{file}: measure.{quantity}.factor: must be a finite non-zero number")]
    Factor { file: String, quantity: String },
}

impl ProtectionsConfig {
    pub fn parse(file: &str, text: &str) -> Result<ProtectionsConfig, ProtectionsConfigError> {
        let config: ProtectionsConfig =
            serde_json::from_str(text).map_err(|e| ProtectionsConfigError::Syntax {
                file: file.to_string(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        config
            .naming
            .check()
            .map_err(|error| ProtectionsConfigError::Naming {
                file: file.to_string(),
                error,
            })?;
        for (quantity, measure) in &config.measure {
            if !measure.factor.is_finite() || measure.factor == 0.0 {
                return Err(ProtectionsConfigError::Factor {
                    file: file.to_string(),
                    quantity: quantity.clone(),
                });
            }
        }
        Ok(config)
    }

    fn measure_of(&self, quantity: &str) -> Measure {
        self.measure.get(quantity).cloned().unwrap_or(Measure {
            variable: quantity.to_string(),
            factor: 1.0,
        })
    }
}

/// Cheap to clone; shared by the server functions, the REST routes and the evaluation task.
#[derive(Clone, Default)]
pub struct Protections {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    config: ProtectionsConfig,
    /// The factory defaults (`examples/protections_default.json`), what "Recall default" reads.
    defaults: Option<ProtectionSet>,
    engine: Mutex<Option<AlarmEngine>>,
    /// (quantity, side, level) of raised alarms an operator acknowledged.
    acknowledged: Mutex<HashSet<(String, Side, Level)>>,
    /// Events made outside the evaluation task (new limits clearing a level), journaled by it.
    pending: Mutex<Vec<AlarmEvent>>,
    /// Held for the whole of a deploy.
    deploying: tokio::sync::Mutex<()>,
    /// Held from an evaluation pass until its events are in the journal, and by an
    /// acknowledgement while it checks and journals: an operator who sees an alarm raised and
    /// acknowledges it at once must not get the acknowledgement journaled before the raise.
    journal_order: tokio::sync::Mutex<()>,
    /// The evaluation task's cancellation, once started: what [`Protections::stopped`] waits on.
    running: Mutex<Option<CancellationToken>>,
}

fn key(variable: &str, side: Side, level: Level) -> (String, Side, Level) {
    (variable.to_string(), side, level)
}

impl Protections {
    pub fn new(config: ProtectionsConfig) -> Self {
        Protections {
            inner: Arc::new(Inner {
                config,
                ..Default::default()
            }),
        }
    }

    /// The same, with the factory defaults "Recall default" reads.
    pub fn with_defaults(config: ProtectionsConfig, defaults: ProtectionSet) -> Self {
        Protections {
            inner: Arc::new(Inner {
                config,
                defaults: Some(defaults),
                ..Default::default()
            }),
        }
    }

    /// The factory defaults, when the server was given them.
    pub fn defaults(&self) -> Option<&ProtectionSet> {
        self.inner.defaults.as_ref()
    }

    pub fn config(&self) -> &ProtectionsConfig {
        &self.inner.config
    }

    /// Waits for any other deploy to finish; deploying holds the guard.
    pub async fn deploy_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.deploying.lock().await
    }

    pub fn naming(&self) -> &NamingRule {
        &self.inner.config.naming
    }

    /// Loads the deployed limits and evaluates live values until `cancel` fires.
    pub async fn start(
        &self,
        db: DatabaseConnection,
        field: FieldIo,
        cancel: CancellationToken,
    ) -> Result<(), AppError> {
        let deployed = deployed_limits(&db).await?;
        self.use_limits(&deployed);
        *self.inner.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(cancel.clone());
        tokio::spawn(self.clone().evaluate(db, field, cancel));
        Ok(())
    }

    /// Resolves when the evaluation stops (the server shuts down), at once when it never
    /// started: what ends the alarm stream.
    pub async fn stopped(&self) {
        let running = self
            .inner
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(cancel) = running {
            cancel.cancelled().await;
        }
    }

    /// Evaluates against `set` from now on (after a successful deploy); levels that stay keep
    /// their state, and what the new limits raise or clear is journaled with the next pass.
    pub fn use_limits(&self, set: &ProtectionSet) {
        let mut engine = self.inner.engine.lock().unwrap_or_else(|e| e.into_inner());
        let events = match engine.as_mut() {
            Some(engine) => engine.replace_limits(set, Instant::now()),
            None => {
                *engine = Some(AlarmEngine::new(set));
                Vec::new()
            }
        };
        self.inner
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(events);
    }

    async fn evaluate(self, db: DatabaseConnection, field: FieldIo, cancel: CancellationToken) {
        let mut ticks = tokio::time::interval(EVALUATE_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = ticks.tick() => {}
            }
            let _in_order = self.inner.journal_order.lock().await;
            let events = self.evaluate_once(&field);
            if let Err(error) = self.journal(&db, &events).await {
                tracing::warn!(%error, "alarm journal: write failed");
            }
        }
    }

    /// What measures each of `quantities` now, as the engine sees it (any quality: the page
    /// shows a stale or bad value as such).
    pub fn measured(&self, field: &FieldIo, quantities: &[String]) -> Vec<Measured> {
        let measures: Vec<Measure> = quantities
            .iter()
            .map(|q| self.inner.config.measure_of(q))
            .collect();
        let names: Vec<String> = measures.iter().map(|m| m.variable.clone()).collect();
        let live = field.live(&names);
        quantities
            .iter()
            .zip(measures)
            .map(|(quantity, measure)| {
                let value = live.iter().find(|v| v.name == measure.variable);
                let extremes = value.and_then(|v| measure.extremes(&v.values));
                Measured {
                    quantity: quantity.clone(),
                    variable: measure.variable,
                    high: extremes.map(|(max, _)| max),
                    low: extremes.map(|(_, min)| min),
                    quality: value.map_or(Quality::Bad, |v| v.quality),
                    age_ms: value.and_then(|v| v.age_ms),
                }
            })
            .collect()
    }

    /// One pass: good live values in, raises and clears out (after those made by new limits).
    fn evaluate_once(&self, field: &FieldIo) -> Vec<AlarmEvent> {
        let mut events: Vec<AlarmEvent> =
            std::mem::take(&mut *self.inner.pending.lock().unwrap_or_else(|e| e.into_inner()));
        let quantities: Vec<String> = {
            let engine = self.inner.engine.lock().unwrap_or_else(|e| e.into_inner());
            match engine.as_ref() {
                Some(engine) => engine.quantities().map(String::from).collect(),
                None => return events,
            }
        };
        let measures: Vec<(String, Measure)> = quantities
            .into_iter()
            .map(|q| {
                let measure = self.inner.config.measure_of(&q);
                (q, measure)
            })
            .collect();
        let names: Vec<String> = measures.iter().map(|(_, m)| m.variable.clone()).collect();
        let live = field.live(&names);
        let now = Instant::now();
        let mut engine = self.inner.engine.lock().unwrap_or_else(|e| e.into_inner());
        let Some(engine) = engine.as_mut() else {
            return events;
        };
        for (quantity, measure) in &measures {
            // Stale or bad values hold the states where they are.
            let Some(value) = live
                .iter()
                .find(|v| v.name == measure.variable && v.quality == Quality::Good)
            else {
                continue;
            };
            let Some((max, min)) = measure.extremes(&value.values) else {
                continue;
            };
            engine.observe_side_into(quantity, Side::Max, max, now, &mut events);
            engine.observe_side_into(quantity, Side::Min, min, now, &mut events);
        }
        engine.tick_into(now, &mut events);
        events
    }

    /// Writes raises and clears to the journal; a clear forgets the acknowledgement.
    async fn journal(
        &self,
        db: &DatabaseConnection,
        events: &[AlarmEvent],
    ) -> Result<(), AppError> {
        if events.is_empty() {
            return Ok(());
        }
        {
            let mut acknowledged = self
                .inner
                .acknowledged
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            for event in events.iter().filter(|e| !e.is_raised()) {
                acknowledged.remove(&key(event.variable(), event.side(), event.level()));
            }
        }
        let rows: Vec<alarm_journal::ActiveModel> = events
            .iter()
            .map(|event| alarm_journal::ActiveModel {
                at: Set(Utc::now()),
                variable: Set(event.variable().to_string()),
                side: Set(event.side()),
                level: Set(event.level()),
                event: Set(if event.is_raised() {
                    JournalEvent::Raised
                } else {
                    JournalEvent::Cleared
                }),
                value: Set(Some(event.value()).filter(|v| v.is_finite())),
                threshold: Set(Some(event.threshold())),
                actor: Set(None),
                ..Default::default()
            })
            .collect();
        alarm_journal::Entity::insert_many(rows).exec(db).await?;
        Ok(())
    }

    /// Every enabled level with its state, raised ones first, and whether it was acknowledged.
    pub fn states(&self) -> Vec<AlarmRow> {
        let views = {
            let engine = self.inner.engine.lock().unwrap_or_else(|e| e.into_inner());
            match engine.as_ref() {
                Some(engine) => engine.states(Instant::now()),
                None => Vec::new(),
            }
        };
        let acknowledged = self
            .inner
            .acknowledged
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut rows: Vec<AlarmRow> = views
            .into_iter()
            .map(|view| AlarmRow {
                acknowledged: acknowledged.contains(&key(&view.variable, view.side, view.level)),
                view,
            })
            .collect();
        let rank = |state: AlarmState| match state {
            AlarmState::Active => 0,
            AlarmState::Recovering => 1,
            AlarmState::Pending => 2,
            AlarmState::Normal => 3,
        };
        rows.sort_by(|a, b| {
            rank(a.view.state)
                .cmp(&rank(b.view.state))
                .then(b.view.level.cmp(&a.view.level))
                .then(a.view.variable.cmp(&b.view.variable))
        });
        rows
    }

    /// The raised levels by severity, and how many are unacknowledged: the header's indicator.
    pub fn counts(&self) -> model::protections::AlarmCounts {
        let rows = self.states();
        model::protections::AlarmCounts::of(rows.iter().map(|row| (&row.view, row.acknowledged)))
    }

    /// An operator acknowledges a raised alarm (active or recovering).
    pub async fn acknowledge(
        &self,
        db: &DatabaseConnection,
        variable: &str,
        side: Side,
        level: Level,
        actor: &Actor,
    ) -> Result<(), AppError> {
        let _in_order = self.inner.journal_order.lock().await;
        let row = self
            .states()
            .into_iter()
            .find(|r| r.view.variable == variable && r.view.side == side && r.view.level == level)
            .ok_or_else(|| {
                AppError::NotFound(format!("no alarm level {variable}.{side}.{level}"))
            })?;
        if !matches!(row.view.state, AlarmState::Active | AlarmState::Recovering) {
            return Err(AppError::validation(
                format!("{variable}.{side}.{level}"),
                "is not raised, so there is nothing to acknowledge",
            ));
        }
        // The journal line and the audit row in one transaction, then the alarm shows it.
        let now = Utc::now();
        let txn = crate::database::begin_write(db).await?;
        alarm_journal::ActiveModel {
            at: Set(now),
            variable: Set(variable.into()),
            side: Set(side),
            level: Set(level),
            event: Set(JournalEvent::Acknowledged),
            value: Set(row.view.value),
            threshold: Set(Some(row.view.threshold)),
            actor: Set(Some(actor.user.clone())),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let entry = actor
            .audit(
                model::auth::AuditAction::AlarmAcknowledged,
                format!("alarm {variable}.{side}.{level}"),
                now,
            )
            .change(
                None,
                Some(serde_json::json!({
                    "value": row.view.value,
                    "threshold": row.view.threshold,
                })),
            );
        crate::auth::audit::record(&txn, entry).await?;
        txn.commit().await?;
        self.inner
            .acknowledged
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key(variable, side, level));
        Ok(())
    }
}

/// The limits the device holds as far as the console knows: the intended values of the latest
/// successful deployment, or (never deployed) the active profile. A deployment that wrote some
/// fields only (the prototype's deploy) is laid over its profile as saved for it, when the
/// profile is still at that version; otherwise the deployment's fields alone count.
pub async fn deployed_limits(db: &DatabaseConnection) -> Result<ProtectionSet, AppError> {
    let latest = protection_deployment::Entity::find()
        .filter(
            protection_deployment::Column::Status.eq(model::profiles::DeploymentStatus::Succeeded),
        )
        .order_by_desc(protection_deployment::Column::Id)
        .one(db)
        .await?;
    let Some(latest) = latest else {
        return match profiles::load(db, None).await {
            Ok((_, set)) => Ok(set),
            Err(AppError::NotFound(_)) => Ok(ProtectionSet::new()),
            Err(other) => Err(other),
        };
    };
    let fields = protection_deployment_field::Entity::find()
        .filter(protection_deployment_field::Column::DeploymentId.eq(latest.id))
        .all(db)
        .await?;
    let saved_with_it = match latest.profile_id {
        Some(id) => entity::protection_profile::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|profile| profile.version == latest.profile_version),
        None => None,
    };
    let mut set = match saved_with_it {
        Some(profile) => profiles::limits_of(db, profile.id).await?,
        None => ProtectionSet::new(),
    };
    // Thresholds and hysteresis first: they create the levels the other fields fill in.
    let mut parsed: Vec<(FieldPath, f64)> = fields
        .into_iter()
        .filter_map(|f| Some((f.field_path.parse::<FieldPath>().ok()?, f.intended)))
        .collect();
    parsed.sort_by_key(|(path, _)| {
        !matches!(
            path.field,
            model::protections::LimitField::Threshold | model::protections::LimitField::Hysteresis
        )
    });
    for (path, value) in parsed {
        let value = match path.field {
            model::protections::LimitField::Enabled => FieldValue::Bool(value != 0.0),
            _ => FieldValue::Number(value),
        };
        // A field that does not fit (cannot happen for recorded deployments) is skipped.
        let _ = set.set_field(&path, value);
    }
    Ok(set)
}

/// The latest journal lines, newest first.
pub async fn journal(db: &DatabaseConnection, limit: u64) -> Result<Vec<JournalEntry>, AppError> {
    Ok(alarm_journal::Entity::find()
        .order_by_desc(alarm_journal::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|row| JournalEntry {
            id: row.id,
            at: row.at.to_rfc3339(),
            variable: row.variable,
            side: row.side,
            level: row.level,
            event: row.event,
            value: row.value,
            threshold: row.threshold,
            actor: row.actor,
        })
        .collect())
}
