//! Importing `data_def.json` + `var_metadata.json`: compares what the files describe with the
//! registry, reports the field-level diff, and applies it in one transaction with one system
//! version per changed variable and per changed path.
//!
//! This module owns the entry point and its options; the steps are [`load`] (the registry as it
//! is), [`plan`] (the diff, pure) and [`apply`] (writing the plan).
//!
//! A re-import updates what the files define (category, locator, paths) but never silently
//! reverts a display name, units or description someone edited in the console or over the API:
//! such a field is reported as kept, with who edited it at which version, unless the caller asks
//! to overwrite edits. An import's change-log rows carry a source starting with `import`
//! (`import`, `import:console`), which is how later imports tell them from edits.

mod apply;
mod load;
mod plan;

use sea_orm::DatabaseConnection;

use self::apply::apply;
use self::load::{Existing, import_source};
use self::plan::plan;
use super::definition::{self, DesiredVariable};
use super::versions;
use crate::auth::Caller;
use crate::auth::audit::{self, AuditEntry};
use crate::database::begin_write;
use model::auth::{AuditAction, Identity};
use model::error::AppError;
use model::registry::ImportReport;

/// Who imports, from where, and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Compute and report, write nothing.
    pub dry_run: bool,
    /// Deactivate memory paths that the definition file no longer has.
    pub prune: bool,
    /// Recorded as `source_system` on new and changed rows, as `import:<source>` unless it
    /// starts with `import` already.
    pub source: String,
    /// Recorded as `changed_by` in the change log.
    pub actor: String,
    /// Who, as the audit log records the import; none: the server itself, as `actor`.
    pub caller: Option<Caller>,
}

/// The two input files, already read, with the names to use in error messages.
pub struct ImportFiles<'a> {
    pub data_def_name: &'a str,
    pub data_def: &'a str,
    pub metadata_name: Option<&'a str>,
    pub metadata: Option<&'a str>,
}

/// Parses both files and resolves the registry they describe (no database involved).
pub fn read_definition(files: &ImportFiles<'_>) -> Result<(Vec<DesiredVariable>, u64), AppError> {
    let data_def = definition::parse_data_def(files.data_def_name, files.data_def)
        .map_err(|e| AppError::validation("data_def", e.to_string()))?;
    let metadata = match files.metadata {
        Some(text) => {
            definition::parse_metadata(files.metadata_name.unwrap_or("var_metadata.json"), text)
                .map_err(|e| AppError::validation("metadata", e.to_string()))?
        }
        None => definition::Metadata::default(),
    };
    let variables = definition::resolve(&data_def, &metadata);
    Ok((variables, data_def.gaps_skipped))
}

/// What an import does with a display name, units or description someone edited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EditedFields {
    /// Keep the edit and report it as kept (the default).
    #[default]
    Keep,
    /// Take the files' value (`--overwrite-edits`).
    Overwrite,
}

/// Imports the files, keeping edited fields; on a dry run nothing is written. All or nothing.
pub async fn import(
    db: &DatabaseConnection,
    files: &ImportFiles<'_>,
    options: &ImportOptions,
) -> Result<ImportReport, AppError> {
    import_with(db, files, options, EditedFields::Keep).await
}

/// Imports the files, doing with edited fields what `edited` says. All or nothing.
pub async fn import_with(
    db: &DatabaseConnection,
    files: &ImportFiles<'_>,
    options: &ImportOptions,
    edited: EditedFields,
) -> Result<ImportReport, AppError> {
    let options = &ImportOptions {
        source: import_source(&options.source),
        ..options.clone()
    };
    let started = std::time::Instant::now();
    let (desired, gaps) = read_definition(files)?;
    let parsed = started.elapsed();
    let txn = begin_write(db).await?;
    // Lock first (see versions::lock) so the state we diff against cannot change under us.
    let current_version = versions::lock(&txn).await?;
    let existing = Existing::load(&txn).await?;
    let loaded = started.elapsed();
    let plan = plan(
        &desired,
        &existing,
        options.prune,
        edited == EditedFields::Overwrite,
    );
    tracing::debug!(?parsed, ?loaded, planned = ?started.elapsed(), "import phases");
    let mut report = plan.report(gaps, options.dry_run);
    report.system_version = current_version;
    if options.dry_run || plan.versions_needed == 0 {
        txn.rollback().await?;
        return Ok(report);
    }
    let first = versions::allocate(&txn, plan.versions_needed as i64).await?;
    apply(&txn, &plan, first, options).await?;
    // One audit row for the import (the change log has every change).
    let caller = options
        .caller
        .clone()
        .unwrap_or_else(|| Caller::new(Identity::system(options.actor.clone()), None));
    let entry = AuditEntry::new(
        &caller,
        AuditAction::RegistryWrite,
        format!("registry import {}", files.data_def_name),
        chrono::Utc::now(),
    )
    .detail(serde_json::json!({
        "source_system": options.source,
        "new": report.new,
        "changed": report.changed,
        "pruned": options.prune,
        "first_system_version": first,
        "versions": plan.versions_needed,
    }));
    audit::record(&txn, entry).await?;
    let applied = started.elapsed();
    txn.commit().await?;
    tracing::debug!(?applied, committed = ?started.elapsed(), "import phases");
    report.versions_used = plan.versions_needed;
    report.system_version = first + plan.versions_needed as i64 - 1;
    Ok(report)
}
