//! The global system version counter: takes the write lock first, hands out gapless versions.

use entity::system_version::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityName};

use model::error::AppError;

/// Locks the counter for the rest of the transaction without taking a version.
///
/// Every registry write calls this before reading anything, in a transaction begun by
/// [`crate::database::begin_write`]: on SQLite that transaction holds the database's write lock
/// already (a transaction that reads first and writes later could fail with SQLITE_BUSY instead
/// of waiting), on PostgreSQL this UPDATE locks the counter row. Writers thus queue, and
/// versions are handed out in commit order.
pub async fn lock(txn: &DatabaseTransaction) -> Result<i64, AppError> {
    bump(txn, 0).await
}

/// Takes `count` consecutive versions and returns the first. Nothing is taken for good until
/// the transaction commits, so a rolled-back change leaves no gap.
pub async fn allocate(txn: &DatabaseTransaction, count: i64) -> Result<i64, AppError> {
    assert!(count > 0, "allocate at least one version");
    Ok(bump(txn, count).await? - count + 1)
}

/// Adds `count` to the counter and returns the new current version.
async fn bump(txn: &DatabaseTransaction, count: i64) -> Result<i64, AppError> {
    let mut update = Query::update();
    update
        .table(system_version::Entity.table_ref())
        .value(
            Column::CurrentVersion,
            Expr::col(Column::CurrentVersion).add(count),
        )
        .and_where(Expr::col(Column::Id).eq(system_version::SINGLETON_ID))
        .returning_col(Column::CurrentVersion);
    if count > 0 {
        update.value(Column::LastUpdated, chrono::Utc::now());
    }
    let row = txn
        .query_one(&update)
        .await?
        .ok_or_else(|| AppError::Internal("the system_version row is missing".into()))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}
