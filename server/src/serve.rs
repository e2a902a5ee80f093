//! The `serve` and `migrate` commands: start-up in a fixed order, then graceful shutdown.

use std::time::Instant;

use anyhow::Context;
use app::ssr::state::AppState;
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
        field: Default::default(),
    };
    let router = crate::http::router(state);

    let shutdown = CancellationToken::new();
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
