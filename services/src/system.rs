//! Reads the facts about the installation: schema level, system version, uptime.

use std::time::Instant;

use migration::MigratorTrait;
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::convert::count_u32;
use model::error::AppError;
use model::system::{DatabaseInfo, Overview};

/// Applied and known migrations of the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    pub applied: Vec<String>,
    pub pending: Vec<String>,
}

impl SchemaStatus {
    pub fn is_current(&self) -> bool {
        self.pending.is_empty()
    }
}

pub async fn schema_status(db: &DatabaseConnection) -> Result<SchemaStatus, AppError> {
    let applied = migration::Migrator::get_applied_migrations(db).await?;
    let pending = migration::Migrator::get_pending_migrations(db).await?;
    Ok(SchemaStatus {
        applied: applied.iter().map(|m| m.name().to_string()).collect(),
        pending: pending.iter().map(|m| m.name().to_string()).collect(),
    })
}

/// The current global system version.
pub async fn system_version_of<C: sea_orm::ConnectionTrait>(db: &C) -> Result<i64, AppError> {
    Ok(
        entity::system_version::Entity::find_by_id(entity::system_version::SINGLETON_ID)
            .one(db)
            .await?
            .ok_or_else(|| AppError::Internal("the system_version row is missing".into()))?
            .current_version,
    )
}

/// The global system version row (id 1), created by the first migration.
pub async fn system_version(
    db: &DatabaseConnection,
) -> Result<entity::system_version::Model, AppError> {
    entity::system_version::Entity::find_by_id(entity::system_version::SINGLETON_ID)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("the system_version row is missing".into()))
}

pub async fn overview(
    db: &DatabaseConnection,
    database_info: &DatabaseInfo,
    started_at: Instant,
) -> Result<Overview, AppError> {
    let schema = schema_status(db).await?;
    let version = system_version(db).await?;
    Ok(Overview {
        product_version: env!("CARGO_PKG_VERSION").to_string(),
        database: database_info.clone(),
        schema_applied: count_u32(schema.applied.len()),
        schema_known: count_u32(schema.applied.len() + schema.pending.len()),
        schema_latest: schema.applied.last().cloned(),
        system_version: version.current_version,
        system_version_updated: version.last_updated.to_rfc3339(),
        uptime_seconds: started_at.elapsed().as_secs(),
        server_time: chrono::Utc::now().to_rfc3339(),
    })
}
