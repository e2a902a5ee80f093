//! The `serve` and `migrate` commands: start-up in a fixed order, then graceful shutdown.

use std::time::Instant;

use anyhow::Context;
use app::error::AppError;
use app::ssr::field::FieldIo;
use app::ssr::field::config::FieldConfig;
use app::ssr::service::registry::query;
use app::ssr::service::registry::write::{self, Actor};
use app::ssr::state::AppState;
use devices::simulator::Simulator;
use leptos::prelude::LeptosOptions;
use migration::MigratorTrait;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{Cli, MigrateAction, ServeArgs};
use crate::database::{self, DatabaseTarget};

/// Checks the configuration, binds the port, opens and migrates the database, then serves until
/// SIGINT or SIGTERM.
pub async fn serve(cli: &Cli, args: &ServeArgs) -> anyhow::Result<()> {
    let target = DatabaseTarget::parse(&cli.database_url)?;
    // Bind first: a busy port is reported before any database work happens.
    let listener = TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let db = database::connect(&target).await?;
    database::migrate(&db).await?;
    tracing::info!(
        backend = target.info.backend.label(),
        location = %target.info.location,
        "database ready"
    );
    if args.demo {
        import_examples(&db, &args.examples_dir).await?;
    }
    let shutdown = CancellationToken::new();
    let field = start_field_io(&db, args, shutdown.clone()).await?;

    let leptos_options = LeptosOptions::builder()
        .output_name("powerdeck")
        .site_root(args.site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(args.addr)
        .build();
    let state = AppState {
        leptos_options,
        db: db.clone(),
        database_info: target.info.clone(),
        started_at: Instant::now(),
        registry_index: Default::default(),
        field,
    };
    let router = crate::http::router(state);

    tokio::spawn(cancel_on_signal(shutdown.clone()));
    tracing::info!("Powerdeck listening on http://{}", args.addr);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await
        .context("HTTP server failed")?;
    tracing::info!("shutting down");
    db.close().await.context("closing the database")?;
    Ok(())
}

/// Demo mode: loads the example registry so a newcomer sees a populated console.
async fn import_examples(
    db: &sea_orm::DatabaseConnection,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    let options = app::ssr::service::registry::import::ImportOptions {
        dry_run: false,
        prune: false,
        source: "demo".into(),
        actor: "demo".into(),
    };
    let report = crate::registry_cli::import_files(
        db,
        &dir.join("data_def.json"),
        Some(&dir.join("var_metadata.json")),
        &options,
    )
    .await
    .context("demo mode: importing the example registry")?;
    tracing::info!(
        new = report.new,
        changed = report.changed,
        unchanged = report.unchanged,
        "demo mode: example registry imported"
    );
    Ok(())
}

/// Field I/O from `--field-config`; in demo mode without one, the built-in simulator on a free
/// loopback port with the demo variables of `examples/demo_site.json`.
async fn start_field_io(
    db: &sea_orm::DatabaseConnection,
    args: &ServeArgs,
    shutdown: CancellationToken,
) -> anyhow::Result<FieldIo> {
    if let Some(path) = &args.field_config {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the field configuration {}", path.display()))?;
        let config = FieldConfig::parse(&path.display().to_string(), &text)
            .map_err(|e| anyhow::anyhow!("field configuration: {e}"))?;
        return Ok(FieldIo::start(db.clone(), config, shutdown));
    }
    if !args.demo {
        return Ok(FieldIo::default());
    }
    let simulator = Simulator::new();
    let addr = simulator
        .serve_tcp(
            "127.0.0.1:0".parse().expect("literal address"),
            shutdown.clone(),
        )
        .await
        .context("demo mode: starting the device simulator")?;
    tokio::spawn(simulator.run(shutdown.clone()));
    seed_demo_site(db, &args.examples_dir.join("demo_site.json")).await?;
    tracing::info!(%addr, "demo mode: device simulator serving Modbus TCP");
    Ok(FieldIo::start(
        db.clone(),
        demo_field_config(addr),
        shutdown,
    ))
}

/// The field configuration of demo mode: every simulated device on one TCP bus, and the
/// protection limits of `prot:sbmu:hold` held by the simulated BMS.
pub fn demo_field_config(addr: std::net::SocketAddr) -> FieldConfig {
    let text = serde_json::json!({
        "buses": [{"name": "simulator", "endpoint": {"tcp": {"addr": addr.to_string()}}}],
        "devices": {"inverter": "simulator", "bms": "simulator", "meter": "simulator"},
        "memory": {"prot:sbmu:hold": {"bus": "simulator", "unit_id": devices::simulator::BMS_UNIT, "table": "holding", "base": 0}}
    })
    .to_string();
    FieldConfig::parse("demo configuration", &text).expect("the demo configuration is valid")
}

/// Creates the demo site's Modbus variables that do not exist yet (restarts change nothing).
async fn seed_demo_site(
    db: &sea_orm::DatabaseConnection,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    #[derive(serde::Deserialize)]
    struct DemoSite {
        variables: Vec<app::model::registry::NewVariable>,
    }
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("demo mode: cannot read {}", file.display()))?;
    let site: DemoSite = serde_json::from_str(&text)
        .with_context(|| format!("demo mode: {} is not a demo site file", file.display()))?;
    let actor = Actor::new("demo", "demo");
    let mut created = 0;
    for variable in &site.variables {
        match query::get_variable(db, &variable.name).await {
            Ok(_) => continue,
            Err(AppError::NotFound(_)) => {}
            Err(other) => return Err(anyhow::anyhow!(other)),
        }
        write::create_variable(db, variable, &actor)
            .await
            .map_err(|e| anyhow::anyhow!("demo mode: {}: {e}", variable.name))?;
        created += 1;
    }
    tracing::info!(created, "demo mode: simulator variables ready");
    Ok(())
}

/// Opens and migrates the configured database (for CLI commands that need it).
pub async fn open_migrated(cli: &Cli) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let target = DatabaseTarget::parse(&cli.database_url)?;
    let db = database::connect(&target).await?;
    database::migrate(&db).await?;
    Ok(db)
}

/// Cancels `token` on the first SIGINT (Ctrl-C) or SIGTERM.
pub(crate) async fn cancel_on_signal(token: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = match signal(SignalKind::terminate()) {
        Ok(stream) => stream,
        Err(err) => {
            tracing::error!(error = %err, "cannot listen for SIGTERM");
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
        _ = terminate.recv() => tracing::info!("SIGTERM received"),
    }
    token.cancel();
}

/// `powerdeck migrate status|up`.
pub async fn migrate(cli: &Cli, action: MigrateAction) -> anyhow::Result<()> {
    let target = DatabaseTarget::parse(&cli.database_url)?;
    let db = database::connect(&target).await?;
    match action {
        MigrateAction::Status => {
            let applied = migration::Migrator::get_applied_migrations(&db).await?;
            let pending = migration::Migrator::get_pending_migrations(&db).await?;
            println!(
                "{} database at {}",
                target.info.backend.label(),
                target.info.location
            );
            for m in &applied {
                println!("applied  {}", m.name());
            }
            for m in &pending {
                println!("pending  {}", m.name());
            }
            println!("{} applied, {} pending", applied.len(), pending.len());
        }
        MigrateAction::Up => {
            let before = migration::Migrator::get_pending_migrations(&db)
                .await?
                .len();
            database::migrate(&db).await?;
            println!("applied {before} migration(s); the schema is current");
        }
    }
    db.close().await?;
    Ok(())
}
