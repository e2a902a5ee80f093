//! The field configuration kept in the database (`powerdeck site import-field-config`): each
//! import checks the file as `--field-config` does and appends it at a new system version; the
//! newest one is what `serve` runs when it is given no file.

use entity::field_configuration;
use model::error::AppError;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, QueryOrder};

use super::config::FieldConfig;
use crate::actor::Actor;
use crate::database::begin_write;
use crate::registry::versions;

/// A stored field configuration: where it came from, who imported it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFieldConfig {
    pub config: FieldConfig,
    pub source_file: String,
    pub imported_by: String,
    /// RFC 3339.
    pub imported_at: String,
    pub system_version: i64,
}

/// Checks `text` (the file `file` as `--field-config` reads it) and, unless it is unchanged since
/// the last import or `dry_run`, stores it in one transaction at one new system version. Returns
/// the checked configuration and whether it was stored.
///
/// # Errors
/// The file's first problem, named with its file, line and column (nothing is stored); or a
/// database failure.
pub async fn import_field_config(
    db: &DatabaseConnection,
    file: &str,
    text: &str,
    dry_run: bool,
    actor: &Actor,
) -> Result<(FieldConfig, bool), AppError> {
    let config = FieldConfig::parse(file, text)
        .map_err(|err| AppError::validation("field configuration", err.to_string()))?;
    let txn = begin_write(db).await?;
    let newest = field_configuration::Entity::find()
        .order_by_desc(field_configuration::Column::Id)
        .one(&txn)
        .await?;
    // The same configuration again takes no version (whitespace and key order do not count).
    let unchanged = newest
        .and_then(|row| FieldConfig::parse(&row.source_file, &row.document).ok())
        .is_some_and(|stored| stored == config);
    if dry_run || unchanged {
        txn.rollback().await?;
        return Ok((config, false));
    }
    let version = versions::allocate(&txn, 1).await?;
    field_configuration::ActiveModel {
        id: NotSet,
        document: Set(text.to_string()),
        source_file: Set(file.to_string()),
        imported_by: Set(actor.user.clone()),
        imported_at: Set(chrono::Utc::now()),
        system_version: Set(version),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok((config, true))
}

/// The newest stored field configuration, if any was imported.
///
/// # Errors
/// A database failure, or a stored document that no longer reads as a field configuration (this
/// build's rules are stricter than the one that stored it): the error says which import it is.
pub async fn stored_field_config(
    db: &DatabaseConnection,
) -> Result<Option<StoredFieldConfig>, AppError> {
    let Some(row) = field_configuration::Entity::find()
        .order_by_desc(field_configuration::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let name = format!("the field configuration imported from {}", row.source_file);
    let config = FieldConfig::parse(&name, &row.document).map_err(|err| {
        AppError::Internal(format!(
            "{err} (stored at system version {}; import a corrected file)",
            row.system_version
        ))
    })?;
    Ok(Some(StoredFieldConfig {
        config,
        source_file: row.source_file,
        imported_by: row.imported_by,
        imported_at: row.imported_at.to_rfc3339(),
        system_version: row.system_version,
    }))
}
