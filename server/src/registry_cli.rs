//! `powerdeck registry import|export`: the registry's definition files from the command line.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use model::registry::{DiffKind, ImportReport};
use sea_orm::DatabaseConnection;
use services::registry::{export, import};

#[derive(Debug, Clone, Subcommand)]
pub enum RegistryAction {
    /// Import data_def.json (+ var_metadata.json); one transaction, all or nothing.
    Import {
        /// The table definition file: [{"table": ..., "items": [{"name", "offset", "size", "num"}]}].
        data_def: PathBuf,
        /// Metadata: defaults, exact names and name patterns (display name, units, category, ...).
        #[arg(long)]
        metadata: Option<PathBuf>,
        /// Show what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Deactivate (never delete) memory paths the file no longer has.
        #[arg(long)]
        prune: bool,
        /// Recorded as the source system of the changes (as import:NAME unless it starts with
        /// "import").
        #[arg(long, default_value = "import")]
        source: String,
        /// Take the files' display names, units and descriptions also where someone edited them
        /// in the console or over the API (kept by default, and listed as kept).
        #[arg(long)]
        overwrite_edits: bool,
    },
    /// Write data_def.json and var_metadata.json that reproduce the registry.
    Export {
        /// Directory to write the two files into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Export the registry as it was at this system version (rebuilt from the change log).
        #[arg(long, value_name = "SYSTEM_VERSION")]
        at_version: Option<i64>,
    },
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Imports the files as `actor`, keeping edited fields, and returns the report.
pub async fn import_files(
    db: &DatabaseConnection,
    data_def: &Path,
    metadata: Option<&Path>,
    options: &import::ImportOptions,
) -> anyhow::Result<ImportReport> {
    import_files_with(db, data_def, metadata, options, import::EditedFields::Keep).await
}

/// Imports the files as `actor`, doing with edited fields what `edited` says.
pub async fn import_files_with(
    db: &DatabaseConnection,
    data_def: &Path,
    metadata: Option<&Path>,
    options: &import::ImportOptions,
    edited: import::EditedFields,
) -> anyhow::Result<ImportReport> {
    let data_def_text = read(data_def)?;
    let metadata_text = metadata.map(read).transpose()?;
    let data_def_name = data_def.display().to_string();
    let metadata_name = metadata.map(|m| m.display().to_string());
    let files = import::ImportFiles {
        data_def_name: &data_def_name,
        data_def: &data_def_text,
        metadata_name: metadata_name.as_deref(),
        metadata: metadata_text.as_deref(),
    };
    import::import_with(db, &files, options, edited)
        .await
        .map_err(|err| match err {
            // Validation messages already name the file and the JSON path.
            model::error::AppError::Validation { message, .. } => anyhow::anyhow!(message),
            other => anyhow::anyhow!(other),
        })
}

pub fn print_report(report: &ImportReport) {
    let mode = if report.dry_run {
        " (dry run: nothing written)"
    } else {
        ""
    };
    println!(
        "{} new, {} changed, {} unchanged, {} skipped (_gap){mode}",
        report.new, report.changed, report.unchanged, report.skipped
    );
    println!(
        "paths: {} added, {} updated, {} deactivated; {} system version(s) taken, system version now {}",
        report.paths_added,
        report.paths_updated,
        report.paths_deactivated,
        report.versions_used,
        report.system_version
    );
    for diff in &report.diffs {
        if diff.kind == DiffKind::New {
            continue;
        }
        println!("  {:<8} {}", diff.kind.as_str(), diff.name);
        for change in &diff.changes {
            println!(
                "             {}: {} -> {}",
                change.field,
                change.old.as_deref().unwrap_or("(none)"),
                change.new.as_deref().unwrap_or("(none)")
            );
        }
        for kept in &diff.kept {
            println!(
                "             {}: kept {:?} (edited by {} from {} at variable version {}, system version {}); the file says {:?}",
                kept.field,
                kept.kept,
                kept.edited_by,
                kept.source_system,
                kept.variable_version,
                kept.system_version,
                kept.file
            );
        }
    }
    if report.kept > 0 {
        println!(
            "  {} edited field(s) kept; --overwrite-edits takes the files' values",
            report.kept
        );
    }
    let new: Vec<&str> = report
        .diffs
        .iter()
        .filter(|d| d.kind == DiffKind::New)
        .map(|d| d.name.as_str())
        .collect();
    if !new.is_empty() {
        const SHOWN: usize = 20;
        let more = if new.len() > SHOWN {
            format!(" and {} more", report.new.saturating_sub(SHOWN as u64))
        } else {
            String::new()
        };
        println!(
            "  new      {}{more}",
            new[..new.len().min(SHOWN)].join(", ")
        );
    }
    if report.diffs_truncated {
        println!("  (diff truncated)");
    }
}

pub async fn run(db: &DatabaseConnection, action: RegistryAction) -> anyhow::Result<()> {
    match action {
        RegistryAction::Import {
            data_def,
            metadata,
            dry_run,
            prune,
            source,
            overwrite_edits,
        } => {
            let options = import::ImportOptions {
                dry_run,
                prune,
                source,
                actor: format!(
                    "cli:{}",
                    std::env::var("USER").unwrap_or_else(|_| "unknown".into())
                ),
                caller: Some(services::auth::Caller::cli()),
            };
            let edited = if overwrite_edits {
                import::EditedFields::Overwrite
            } else {
                import::EditedFields::Keep
            };
            let report =
                import_files_with(db, &data_def, metadata.as_deref(), &options, edited).await?;
            print_report(&report);
        }
        RegistryAction::Export { out, at_version } => {
            std::fs::create_dir_all(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let exported = match at_version {
                Some(at) => export::export_at(db, at).await,
                None => export::export(db).await,
            }
            .map_err(|e| anyhow::anyhow!(e))?;
            for (file, text) in [
                ("data_def.json", &exported.data_def),
                ("var_metadata.json", &exported.metadata),
            ] {
                let path = out.join(file);
                std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            println!(
                "exported {} variables to {}",
                exported.variables,
                out.display()
            );
            if exported.without_memory_path > 0 {
                println!(
                    "note: {} variable(s) have no active memory path; they are in var_metadata.json only and an import into an empty database will not create them",
                    exported.without_memory_path
                );
            }
        }
    }
    Ok(())
}
