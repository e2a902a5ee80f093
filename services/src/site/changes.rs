//! Reading the site's change log: who changed what in a system, when, from which old value to
//! which new one, at which system version.

use entity::site::change_log;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use model::error::AppError;
use model::site::tree::SiteChange;

use super::rows::rfc3339;

/// The newest `limit` changes of the system, newest first (also after the system is deleted:
/// the log outlives what it describes).
pub async fn changes(
    db: &impl ConnectionTrait,
    system_id: &str,
    limit: u64,
) -> Result<Vec<SiteChange>, AppError> {
    let rows = change_log::Entity::find()
        .filter(change_log::Column::SystemId.eq(system_id))
        .order_by_desc(change_log::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| SiteChange {
            id: row.id,
            system_version: row.system_version,
            system_id: row.system_id,
            entity_kind: row.entity_kind,
            entity_id: row.entity_id,
            change_type: row.change_type,
            field: row.field,
            old_value: row.old_value,
            new_value: row.new_value,
            changed_by: row.changed_by,
            source_system: row.source_system,
            changed_at: rfc3339(row.changed_at),
        })
        .collect())
}
