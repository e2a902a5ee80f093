//! Protection limits move from the device register's raw units to the quantity's engineering
//! units (a cell temperature threshold of 450 in a `0.1 °C` register becomes 45 °C).
//!
//! Which values change is read from the registry as it stands: the variable holding a field
//! under the default naming rule (`cell_temp_max_warn`, `cell_temp_max_hyst`; deployment rows
//! name theirs) declares its register step in its units (`0.1 °C`: a leading number, then the
//! unit). Thresholds and hysteresis of profiles, every number of a recorded deployment field, and
//! the value and limit of alarm journal lines are multiplied by that step. Fields whose variable
//! declares no step (`%`, `mV`, `s`), or that no registry variable holds, were already in
//! engineering units and stay. `down` divides by the same steps. Everything runs in one
//! transaction.

use std::collections::HashMap;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum SystemVariables {
    Table,
    Name,
    Units,
    Deleted,
}

#[derive(DeriveIden)]
enum ProtectionLimits {
    Table,
    Id,
    Variable,
    Side,
    Hysteresis,
    WarningThreshold,
    AlertThreshold,
    FaultThreshold,
}

#[derive(DeriveIden)]
enum ProtectionDeploymentFields {
    Table,
    Id,
    DeviceVariable,
    Intended,
    Before,
    Written,
    ReadBack,
}

#[derive(DeriveIden)]
enum AlarmJournal {
    Table,
    Id,
    Variable,
    Side,
    Level,
    Value,
    Threshold,
}

/// The register step a variable's units declare: `0.1 °C` → 0.1; `%`, `mV`, `s` → none.
/// (A copy of `model::protections::RegisterUnits` as it was when this migration landed.)
fn declared_step(units: &str) -> Option<f64> {
    let units = units.trim();
    let first = units.split_whitespace().next()?;
    let step = first.parse::<f64>().ok()?;
    (step.is_finite() && step > 0.0 && step != 1.0).then_some(step)
}

/// Registry variable name → declared register step, for the variables that declare one.
async fn steps(db: &DatabaseTransaction) -> Result<HashMap<String, f64>, DbErr> {
    let query = Query::select()
        .columns([SystemVariables::Name, SystemVariables::Units])
        .from(SystemVariables::Table)
        .and_where(Expr::col(SystemVariables::Deleted).eq(false))
        .to_owned();
    let mut steps = HashMap::new();
    for row in db.query_all(&query).await? {
        let name: String = row.try_get("", "name")?;
        let units: String = row.try_get("", "units")?;
        if let Some(step) = declared_step(&units) {
            steps.insert(name, step);
        }
    }
    Ok(steps)
}

/// Up multiplies by the step, down divides.
#[derive(Clone, Copy)]
enum Direction {
    Up,
    Down,
}

impl Direction {
    fn apply(self, value: Option<f64>, step: f64) -> Option<f64> {
        value.map(|v| match self {
            Direction::Up => v * step,
            Direction::Down => v / step,
        })
    }
}

/// The short level name of the default naming rule.
fn level_short(level: &str) -> &str {
    match level {
        "warning" => "warn",
        other => other,
    }
}

async fn convert_limits(
    db: &DatabaseTransaction,
    steps: &HashMap<String, f64>,
    direction: Direction,
) -> Result<(), DbErr> {
    use ProtectionLimits as L;
    let query = Query::select()
        .columns([
            L::Id,
            L::Variable,
            L::Side,
            L::Hysteresis,
            L::WarningThreshold,
            L::AlertThreshold,
            L::FaultThreshold,
        ])
        .from(L::Table)
        .to_owned();
    for row in db.query_all(&query).await? {
        let id: i64 = row.try_get("", "id")?;
        let variable: String = row.try_get("", "variable")?;
        let side: String = row.try_get("", "side")?;
        let step_of = |suffix: &str| steps.get(&format!("{variable}_{side}_{suffix}")).copied();
        let mut update = Query::update().table(L::Table).to_owned();
        let mut changed = false;
        let columns = [
            (L::Hysteresis, "hysteresis", "hyst"),
            (L::WarningThreshold, "warning_threshold", "warn"),
            (L::AlertThreshold, "alert_threshold", "alert"),
            (L::FaultThreshold, "fault_threshold", "fault"),
        ];
        for (column, name, suffix) in columns {
            let Some(step) = step_of(suffix) else {
                continue;
            };
            let value: Option<f64> = row.try_get("", name)?;
            if let Some(converted) = direction.apply(value, step) {
                update.value(column, converted);
                changed = true;
            }
        }
        if changed {
            update.and_where(Expr::col(L::Id).eq(id));
            db.execute(&update).await?;
        }
    }
    Ok(())
}

async fn convert_deployments(
    db: &DatabaseTransaction,
    steps: &HashMap<String, f64>,
    direction: Direction,
) -> Result<(), DbErr> {
    use ProtectionDeploymentFields as F;
    let query = Query::select()
        .columns([
            F::Id,
            F::DeviceVariable,
            F::Intended,
            F::Before,
            F::Written,
            F::ReadBack,
        ])
        .from(F::Table)
        .and_where(Expr::col(F::DeviceVariable).is_not_null())
        .to_owned();
    for row in db.query_all(&query).await? {
        let variable: Option<String> = row.try_get("", "device_variable")?;
        let Some(step) = variable.and_then(|v| steps.get(&v).copied()) else {
            continue;
        };
        let id: i64 = row.try_get("", "id")?;
        let intended: f64 = row.try_get("", "intended")?;
        let mut update = Query::update()
            .table(F::Table)
            .value(
                F::Intended,
                direction.apply(Some(intended), step).unwrap_or(intended),
            )
            .to_owned();
        for (column, name) in [
            (F::Before, "before"),
            (F::Written, "written"),
            (F::ReadBack, "read_back"),
        ] {
            let value: Option<f64> = row.try_get("", name)?;
            update.value(column, direction.apply(value, step));
        }
        update.and_where(Expr::col(F::Id).eq(id));
        db.execute(&update).await?;
    }
    Ok(())
}

async fn convert_journal(
    db: &DatabaseTransaction,
    steps: &HashMap<String, f64>,
    direction: Direction,
) -> Result<(), DbErr> {
    use AlarmJournal as J;
    let query = Query::select()
        .columns([
            J::Id,
            J::Variable,
            J::Side,
            J::Level,
            J::Value,
            J::Threshold,
        ])
        .from(J::Table)
        .to_owned();
    for row in db.query_all(&query).await? {
        let variable: String = row.try_get("", "variable")?;
        let side: String = row.try_get("", "side")?;
        let level: String = row.try_get("", "level")?;
        let name = format!("{variable}_{side}_{}", level_short(&level));
        let Some(step) = steps.get(&name).copied() else {
            continue;
        };
        let id: i64 = row.try_get("", "id")?;
        let value: Option<f64> = row.try_get("", "value")?;
        let threshold: Option<f64> = row.try_get("", "threshold")?;
        let update = Query::update()
            .table(J::Table)
            .value(J::Value, direction.apply(value, step))
            .value(J::Threshold, direction.apply(threshold, step))
            .and_where(Expr::col(J::Id).eq(id))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}

async fn convert(manager: &SchemaManager<'_>, direction: Direction) -> Result<(), DbErr> {
    // One transaction (a savepoint where the migrator already runs in one).
    let txn = manager.get_connection().begin().await?;
    let steps = steps(&txn).await?;
    if !steps.is_empty() {
        convert_limits(&txn, &steps, direction).await?;
        convert_deployments(&txn, &steps, direction).await?;
        convert_journal(&txn, &steps, direction).await?;
    }
    txn.commit().await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        convert(manager, Direction::Up).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        convert(manager, Direction::Down).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_leading_step_other_than_one_counts() {
        assert_eq!(declared_step("0.1 °C"), Some(0.1));
        assert_eq!(declared_step("0.1"), Some(0.1));
        assert_eq!(declared_step("10 mA"), Some(10.0));
        assert_eq!(declared_step("1 V"), None);
        assert_eq!(declared_step("%"), None);
        assert_eq!(declared_step("mV"), None);
        assert_eq!(declared_step(""), None);
        assert_eq!(declared_step("-2 V"), None);
    }
}
