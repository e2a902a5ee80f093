//! `powerdeck site import|export|import-field-config`: the site's `config.yaml` (and the field
//! configuration, into the database) from the command line, and the first
//! start of `serve` (`--site-config`): import the file into an empty database, else make sure the
//! default structure is there (seed 002 §6.2, §6.5).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use model::site::spec::SiteSpec;
use sea_orm::DatabaseConnection;
use services::actor::Actor;
use services::site::adapter_types::{AdapterCatalog, upsert_builtin_types};
use services::site::yaml;

#[derive(Debug, Clone, Subcommand)]
pub enum SiteAction {
    /// Apply a config.yaml (one system) in one transaction, or report every problem of the file
    /// and write nothing.
    Import {
        /// The file: `home`, `arrays`, `inverters`, `battery_bank_arrays`, `battery_banks`,
        /// `battery_bank_array_attachments`, `meters` (seed 002 §7.1).
        file: PathBuf,
        /// Show what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also remove what the system has and the file no longer lists.
        #[arg(long)]
        prune: bool,
    },
    /// Write a system as config.yaml (on stdout unless --out is given).
    Export {
        /// The system to export; may be left out when the database holds only one.
        #[arg(long, value_name = "ID")]
        system: Option<String>,
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Keep a `--field-config` file in the database: checked as `serve --field-config` reads it,
    /// stored at a new system version; `serve` then runs it when it is given no file.
    ImportFieldConfig {
        /// The field configuration (JSON: buses, devices, memory, poll, can).
        file: PathBuf,
        /// Check the file and show what it holds; store nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn run(db: &DatabaseConnection, action: SiteAction) -> anyhow::Result<()> {
    match action {
        SiteAction::Import {
            file,
            dry_run,
            prune,
        } => {
            let actor = Actor::new(cli_user(), "cli");
            upsert_adapter_types(db).await?;
            import_file(db, &file, prune, dry_run, &actor).await
        }
        SiteAction::Export { system, out } => export(db, system, out.as_deref()).await,
        SiteAction::ImportFieldConfig { file, dry_run } => {
            import_field_config(db, &file, dry_run, &Actor::new(cli_user(), "cli")).await
        }
    }
}

/// Checks the field configuration `file` and stores it unless `dry_run` (or it is stored
/// already); prints what it holds and what was done.
async fn import_field_config(
    db: &DatabaseConnection,
    file: &Path,
    dry_run: bool,
    actor: &Actor,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.display().to_string();
    let (config, stored) =
        services::field::stored::import_field_config(db, &name, &text, dry_run, actor)
            .await
            .map_err(|err| anyhow::anyhow!("{err}; nothing was stored"))?;
    println!(
        "{name}: {} Modbus bus(es), {} device(s), {} memory table(s), {} CAN bus(es)",
        config.buses.len(),
        config.devices.len(),
        config.memory.len(),
        config.can.len()
    );
    if dry_run {
        println!("(dry run: nothing stored)");
    } else if stored {
        println!("Stored: `serve` runs it when it is given no --field-config.");
    } else {
        println!("Nothing to change: the database already holds this field configuration.");
    }
    Ok(())
}

fn adapter_catalog() -> anyhow::Result<AdapterCatalog> {
    AdapterCatalog::builtin().context("loading the built-in adapter types")
}

/// Writes the built-in adapter types into `adapter_base` (missing ones inserted, older ones
/// updated), where imports and the console's writes look them up.
pub async fn upsert_adapter_types(db: &DatabaseConnection) -> anyhow::Result<()> {
    let report = upsert_builtin_types(db, &adapter_catalog()?)
        .await
        .map_err(|err| anyhow::anyhow!("writing the built-in adapter types: {err}"))?;
    if report.changed() {
        tracing::info!(
            inserted = ?report.inserted,
            updated = ?report.updated,
            "built-in adapter types written"
        );
    }
    Ok(())
}

fn cli_user() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

/// Reads and checks `file`: every problem of it in one error, one per line.
pub fn read_file(file: &Path) -> anyhow::Result<SiteSpec> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.display().to_string();
    yaml::read_site_yaml(&text, &name, &adapter_catalog()?).map_err(|problems| {
        let count = problems.len();
        let noun = if count == 1 { "problem" } else { "problems" };
        anyhow::anyhow!("{name} has {count} {noun}; nothing was written\n{problems}")
    })
}

/// Imports `file` and prints the plan ("Nothing to change: ..." when the database already
/// matches it).
async fn import_file(
    db: &DatabaseConnection,
    file: &Path,
    prune: bool,
    dry_run: bool,
    actor: &Actor,
) -> anyhow::Result<()> {
    let spec = read_file(file)?;
    let plan = services::site::apply_spec(db, &spec, prune, dry_run, actor)
        .await
        .map_err(|err| anyhow::anyhow!("importing {}: {err}", file.display()))?;
    println!("{plan}");
    if dry_run && !plan.is_empty() {
        println!("(dry run: nothing written)");
    }
    Ok(())
}

async fn export(
    db: &DatabaseConnection,
    system: Option<String>,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let system_id = match system {
        Some(id) => id,
        None => only_system(db).await?,
    };
    let spec = services::site::load_spec(db, &system_id)
        .await
        .map_err(|err| anyhow::anyhow!("reading system {system_id:?}: {err}"))?
        .with_context(|| format!("there is no system {system_id:?}"))?;
    let text = yaml::write_site_yaml(&spec);
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// The id of the database's one system (export without `--system`).
async fn only_system(db: &DatabaseConnection) -> anyhow::Result<String> {
    let systems = services::site::systems(db)
        .await
        .map_err(|err| anyhow::anyhow!("listing the systems: {err}"))?;
    let ids: Vec<String> = systems.into_iter().map(|system| system.id).collect();
    match ids.as_slice() {
        [only] => Ok(only.clone()),
        [] => anyhow::bail!("there is no system to export (the database holds none)"),
        _ => anyhow::bail!(
            "the database holds {} systems ({}); choose one with --system ID",
            ids.len(),
            ids.join(", ")
        ),
    }
}

/// `serve`'s first start: with no system in the database, imports `site_config` when given (a
/// file with problems stops start-up); otherwise makes sure the default structure exists. Running
/// it again on a started database changes nothing.
pub async fn first_start(
    db: &DatabaseConnection,
    site_config: Option<&Path>,
) -> anyhow::Result<()> {
    let actor = Actor::new("system", "powerdeck");
    if let Some(file) = site_config {
        let systems = services::site::systems(db)
            .await
            .map_err(|err| anyhow::anyhow!("listing the systems: {err}"))?;
        if systems.is_empty() {
            let spec = read_file(file).context("site configuration")?;
            let plan = services::site::apply_spec(db, &spec, false, false, &actor)
                .await
                .map_err(|err| anyhow::anyhow!("importing {}: {err}", file.display()))?;
            tracing::info!(file = %file.display(), %plan, "site configuration imported");
            return Ok(());
        }
        tracing::info!(
            file = %file.display(),
            "the database already holds a system; the site configuration file is not read"
        );
    }
    let created = services::site::ensure_default_structure(db, &actor)
        .await
        .map_err(|err| anyhow::anyhow!("creating the default site structure: {err}"))?;
    if created {
        tracing::info!("default site structure created (system, inverter array, battery array)");
    }
    Ok(())
}
