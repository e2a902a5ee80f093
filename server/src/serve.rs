//! The `serve` and `migrate` commands: start-up in a fixed order, then graceful shutdown.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use app::ssr::state::{Access, AppState};
use chrono::TimeDelta;
use devices::can::CanMonitor;
use devices::can::memory::MemoryCanBus;
use devices::simulator::{CAN_PERIOD, Simulator, spawn_can_broadcast};
use leptos::prelude::LeptosOptions;
use migration::MigratorTrait;
use model::auth::{DemoAccount, NewUser, Role};
use model::error::AppError;
use services::actor::Actor;
use services::auth::{Auth, AuthConfig, Caller};
use services::field::FieldIo;
use services::field::config::FieldConfig;
use services::protections::alarms::{Protections, ProtectionsConfig};
use services::protections::profiles;
use services::registry::query;
use services::registry::write;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{Cli, MigrateAction, ServeArgs};
use crate::demo_site::{self, DemoFailover};
use axum::serve::ListenerExt;
use services::database::{self, DatabaseTarget};
use services::site::adapter_types::AdapterCatalog;
use services::site::drive::{FailoverRules, SiteIo, SiteIoConfig};

/// Checks the configuration, binds the port, opens and migrates the database, then serves until
/// SIGINT or SIGTERM.
pub async fn serve(cli: &Cli, args: &ServeArgs) -> anyhow::Result<()> {
    let target = DatabaseTarget::parse(&cli.database_url)?;
    crate::access::check_rules()?;
    let bundle = crate::site::check_bundle(&args.site_root)?;
    let cors = crate::rest::prototype::cors_layer(&args.cors_origins)?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(crate::tls::load_config(cert, key)?),
        _ => None,
    };
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
    crate::site_cli::upsert_adapter_types(&db).await?;
    // Demo mode with no site file: the example site, all on the built-in simulator.
    let demo_site = (args.demo && args.site_config.is_none())
        .then(|| args.examples_dir.join("site").join("config.yaml"));
    let site_config = args.site_config.as_deref().or(demo_site.as_deref());
    crate::site_cli::first_start(&db, site_config).await?;
    let demo_accounts = if args.demo {
        import_examples(&db, &args.examples_dir).await?;
        ensure_demo_accounts(&db).await?
    } else {
        Vec::new()
    };
    refuse_open_console(&db, args).await?;
    let shutdown = CancellationToken::new();
    let (field, demo_simulator) = start_field_io(&db, args, shutdown.clone()).await?;
    let demo = match demo_simulator {
        Some((simulator, addr)) => {
            Some(start_demo_failover(&db, &simulator, addr, shutdown.clone()).await?)
        }
        None => None,
    };
    let site_io = start_site_io(&db, args, shutdown.clone())?;
    let protections = start_protections(&db, args, &field, shutdown.clone()).await?;

    // The hash file of a hashed bundle lives (and is removed) with the server.
    let (leptos_options, _hash_file) = leptos_options(args, &bundle)?;
    let auth = Arc::new(Auth::new(auth_config(args)));
    tokio::spawn(purge_sessions(db.clone(), auth.clone(), shutdown.clone()));
    let state = AppState {
        leptos_options,
        db: db.clone(),
        database_info: target.info.clone(),
        started_at: Instant::now(),
        registry_index: Default::default(),
        field,
        protections,
        access: Access {
            auth,
            anonymous_read: args.anonymous_read,
            secure_cookies: tls.is_some() || args.secure_cookies,
            demo_accounts,
        },
    };
    let extra = demo.map(demo_site::router).unwrap_or_default();
    let router = crate::http::router_with(state, extra)
        .layer(axum::Extension(site_io))
        .layer(cors)
        .layer(axum::middleware::from_fn(crate::site::lean_asset_headers));

    tokio::spawn(cancel_on_signal(shutdown.clone())?);
    serve_until_shutdown(listener, router, tls, args.addr, &shutdown).await?;
    tracing::info!("shutting down");
    db.close().await.context("closing the database")?;
    Ok(())
}

/// Demo mode: starts pack1's primary on TCP and its secondary on a pseudo-terminal, both served
/// by the simulator at `addr`, and points the site at them.
async fn start_demo_failover(
    db: &sea_orm::DatabaseConnection,
    simulator: &Simulator,
    addr: std::net::SocketAddr,
    shutdown: CancellationToken,
) -> anyhow::Result<Arc<DemoFailover>> {
    let demo = DemoFailover::start(simulator, shutdown).await?;
    demo_site::point_site_at_demo(db, addr, &demo).await?;
    tracing::info!(
        primary = %demo.primary_addr(),
        secondary = %demo.serial_port(),
        "demo mode: pack1's primary on TCP, its secondary on a pseudo-terminal"
    );
    Ok(Arc::new(demo))
}

/// Leptos' options for the bundle in the site root. A hashed bundle: the page names
/// `pkg/powerdeck.<hash>.js` and so on, read from a hash file, which is returned too and must
/// be kept as long as the server runs (it is removed when dropped).
fn leptos_options(
    args: &ServeArgs,
    bundle: &crate::site::Bundle,
) -> anyhow::Result<(LeptosOptions, Option<tempfile::NamedTempFile>)> {
    let mut leptos_options = LeptosOptions::builder()
        .output_name("powerdeck")
        .site_root(args.site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(args.addr)
        .build();
    let hash_file = match &bundle.hashes {
        Some(hashes) => {
            let file = crate::site::write_hash_file(hashes)
                .context("cannot write the bundle's hash file")?;
            leptos_options.hash_files = true;
            leptos_options.hash_file = file.path().to_string_lossy().as_ref().into();
            Some(file)
        }
        None => None,
    };
    Ok((leptos_options, hash_file))
}

/// Serves `router` on `listener`, over TLS when `tls` is given, until `shutdown`.
async fn serve_until_shutdown(
    listener: TcpListener,
    router: axum::Router,
    tls: Option<tokio_rustls::rustls::ServerConfig>,
    addr: std::net::SocketAddr,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let router = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    match tls {
        Some(config) => {
            tracing::info!("Powerdeck listening on https://{addr}");
            let listener = crate::tls::TlsListener::new(listener, config, shutdown.clone())
                .context("cannot start the TLS listener")?;
            // `tap_io` gives axum's connection-info support a listener type it knows.
            axum::serve(listener.tap_io(|_| {}), router)
                .with_graceful_shutdown(shutdown.clone().cancelled_owned())
                .await
                .context("HTTPS server failed")?;
        }
        None => {
            tracing::info!("Powerdeck listening on http://{addr}");
            axum::serve(listener, router)
                .with_graceful_shutdown(shutdown.clone().cancelled_owned())
                .await
                .context("HTTP server failed")?;
        }
    }
    Ok(())
}

/// Sign-in as the command line sets it.
fn auth_config(args: &ServeArgs) -> AuthConfig {
    AuthConfig {
        session_idle: TimeDelta::minutes(i64::from(args.session_idle_minutes)),
        max_failed_logins: args.max_failed_logins,
        lockout: TimeDelta::minutes(i64::from(args.lockout_minutes)),
        ..AuthConfig::default()
    }
}

/// Demo mode's accounts, one per role, created unless they exist; their passwords are shown on
/// the login page (a demo is not a site).
async fn ensure_demo_accounts(
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<Vec<DemoAccount>> {
    let existing: Vec<String> = services::auth::list_users(db)
        .await?
        .into_iter()
        .map(|user| user.name)
        .collect();
    let mut accounts = Vec::new();
    for role in Role::ALL.iter().copied().rev() {
        let account = DemoAccount {
            name: role.as_str().to_string(),
            role,
            password: format!("{}-demo-pass", role.as_str()),
        };
        if !existing.contains(&account.name) {
            let new = NewUser {
                name: account.name.clone(),
                role,
                password: account.password.clone(),
            };
            let caller = Caller::new(model::auth::Identity::cli("demo"), None);
            services::auth::create_user(db, &new, &caller, chrono::Utc::now())
                .await
                .map_err(|error| {
                    anyhow::anyhow!("demo mode: creating user {}: {error}", new.name)
                })?;
        }
        accounts.push(account);
    }
    tracing::info!(
        "demo mode: sign in as admin, engineer, operator or viewer (password: <name>-demo-pass)"
    );
    Ok(accounts)
}

/// A console reachable from the network with nobody able to sign in would answer nothing but
/// its login page, or (with `--anonymous-read`) show the site to anyone: refused, with the way
/// out. Loopback and demo mode are fine.
async fn refuse_open_console(
    db: &sea_orm::DatabaseConnection,
    args: &ServeArgs,
) -> anyhow::Result<()> {
    if args.demo || args.addr.ip().is_loopback() {
        return Ok(());
    }
    if services::auth::list_users(db).await?.is_empty() {
        anyhow::bail!(
            "refusing to listen on {} while no user exists: create one first with `powerdeck user add NAME --role admin` (the password is read from standard input), or listen on 127.0.0.1",
            args.addr
        );
    }
    Ok(())
}

/// Deletes idle sessions every ten minutes (a lookup refuses them anyway; this keeps the table
/// small).
async fn purge_sessions(
    db: sea_orm::DatabaseConnection,
    auth: Arc<Auth>,
    shutdown: CancellationToken,
) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        let idle = auth.config().session_idle;
        if let Err(error) =
            services::auth::purge_expired_sessions(&db, idle, chrono::Utc::now()).await
        {
            tracing::warn!(%error, "purging expired sessions failed");
        }
    }
}

/// Demo mode: loads the example registry so a newcomer sees a populated console.
async fn import_examples(
    db: &sea_orm::DatabaseConnection,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    let options = services::registry::import::ImportOptions {
        dry_run: false,
        prune: false,
        source: "demo".into(),
        actor: "demo".into(),
        caller: None,
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

/// Seeds the default protection profile on first start, reads the protections configuration
/// and starts the alarm engine on the deployed limits.
async fn start_protections(
    db: &sea_orm::DatabaseConnection,
    args: &ServeArgs,
    field: &FieldIo,
    shutdown: CancellationToken,
) -> anyhow::Result<Protections> {
    let defaults = args.examples_dir.join("protections_default.json");
    let text = match std::fs::read_to_string(&defaults) {
        Ok(text) => text,
        Err(error) => {
            tracing::warn!(file = %defaults.display(), %error, "no default protections; the default profile starts empty");
            r#"{"protections": {}}"#.to_string()
        }
    };
    let seeded = profiles::seed_default(
        db,
        &defaults.display().to_string(),
        &text,
        &Actor::new("system", "powerdeck"),
    )
    .await
    .map_err(|e| anyhow::anyhow!("seeding the default protection profile: {e}"))?;
    if seeded {
        tracing::info!(file = %defaults.display(), "default protection profile seeded");
    }
    let config_file = match (&args.protections_config, args.demo) {
        (Some(file), _) => Some(file.clone()),
        (None, true) => Some(args.examples_dir.join("protections_config.json")),
        (None, false) => None,
    };
    let config = match config_file {
        Some(file) => {
            let text = std::fs::read_to_string(&file).with_context(|| {
                format!(
                    "cannot read the protections configuration {}",
                    file.display()
                )
            })?;
            ProtectionsConfig::parse(&file.display().to_string(), &text)
                .map_err(|e| anyhow::anyhow!("protections configuration: {e}"))?
        }
        None => ProtectionsConfig::default(),
    };
    let defaults = serde_json::from_str::<model::protections::ProtectionsPayload>(&text)
        .map(|payload| payload.protections)
        .unwrap_or_default();
    let protections = Protections::with_defaults(config, defaults);
    protections
        .start(db.clone(), field.clone(), shutdown)
        .await
        .map_err(|e| anyhow::anyhow!("starting the alarm engine: {e}"))?;
    Ok(protections)
}

/// The site's adapters as field I/O (`--site-poll-ms`, `--failover-hold-cycles`).
fn start_site_io(
    db: &sea_orm::DatabaseConnection,
    args: &ServeArgs,
    shutdown: CancellationToken,
) -> anyhow::Result<SiteIo> {
    let catalog = AdapterCatalog::builtin()
        .map_err(|e| anyhow::anyhow!("the built-in adapter types do not load: {e}"))?;
    let config = SiteIoConfig {
        period: std::time::Duration::from_millis(args.site_poll_ms),
        rules: FailoverRules {
            hold_cycles: args.failover_hold_cycles,
            ..FailoverRules::default()
        },
        ..SiteIoConfig::default()
    };
    Ok(SiteIo::start(
        db.clone(),
        std::sync::Arc::new(catalog),
        config,
        shutdown,
    ))
}

/// Field I/O from `--field-config`, else from the database (`site import-field-config`); in demo
/// mode without a file, the built-in simulator on a free loopback port with the demo variables of
/// `examples/demo_site.json` (the simulator and its address are answered too: the demo site's
/// adapters read it).
async fn start_field_io(
    db: &sea_orm::DatabaseConnection,
    args: &ServeArgs,
    shutdown: CancellationToken,
) -> anyhow::Result<(FieldIo, Option<(Simulator, std::net::SocketAddr)>)> {
    if let Some(path) = &args.field_config {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the field configuration {}", path.display()))?;
        let config = FieldConfig::parse(&path.display().to_string(), &text)
            .map_err(|e| anyhow::anyhow!("field configuration: {e}"))?;
        return Ok((FieldIo::start(db.clone(), config, shutdown), None));
    }
    if !args.demo {
        // No file: the field configuration `site import-field-config` stored, if there is one.
        let stored = services::field::stored::stored_field_config(db)
            .await
            .map_err(|e| anyhow::anyhow!("field configuration: {e}"))?;
        return Ok(match stored {
            Some(stored) => {
                tracing::info!(
                    source = %stored.source_file,
                    system_version = stored.system_version,
                    "field I/O from the field configuration in the database"
                );
                (FieldIo::start(db.clone(), stored.config, shutdown), None)
            }
            None => (FieldIo::default(), None),
        });
    }
    let simulator = Simulator::new();
    // Where examples/site/config.yaml's simulator adapters point; a free port when it is taken.
    let at = |port| std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let addr = match simulator.serve_tcp(at(5020), shutdown.clone()).await {
        Ok(addr) => addr,
        Err(_) => simulator
            .serve_tcp(at(0), shutdown.clone())
            .await
            .context("demo mode: starting the device simulator")?,
    };
    tokio::spawn(simulator.clone().run(shutdown.clone()));
    // The simulated BMS also broadcasts on an in-memory CAN bus that field I/O listens to.
    let can_bus = MemoryCanBus::new();
    spawn_can_broadcast(
        simulator.clone(),
        can_bus.node(),
        CAN_PERIOD,
        shutdown.clone(),
    );
    let monitor = CanMonitor::spawn(DEMO_CAN_BUS.into(), can_bus.node(), shutdown.clone());
    seed_demo_site(db, &args.examples_dir.join("demo_site.json")).await?;
    tracing::info!(%addr, "demo mode: device simulator serving Modbus TCP and CAN");
    let field = FieldIo::start_with_builtin_can(
        db.clone(),
        demo_field_config(addr)?,
        vec![monitor],
        shutdown,
    );
    Ok((field, Some((simulator, addr))))
}

/// Demo mode's CAN bus (its variables in `demo_site.json` name it as their device).
const DEMO_CAN_BUS: &str = "bms_can";

/// The field configuration of demo mode: every simulated device on one TCP bus, and the
/// protection limits of `prot:sbmu:hold` held by the simulated BMS. Power and current poll fast,
/// energy counters and temperatures slowly, the rest by category.
pub fn demo_field_config(addr: std::net::SocketAddr) -> anyhow::Result<FieldConfig> {
    let text = serde_json::json!({
        "buses": [{"name": "simulator", "endpoint": {"tcp": {"addr": addr.to_string()}}}],
        "devices": {"inverter": "simulator", "bms": "simulator", "meter": "simulator", DEMO_CAN_BUS: DEMO_CAN_BUS},
        "can": [{"name": DEMO_CAN_BUS, "interface": "builtin"}],
        "memory": {"prot:sbmu:hold": {"bus": "simulator", "unit_id": devices::simulator::BMS_UNIT, "table": "holding", "base": 0}},
        "poll": {
            "fast": ["*_power", "bms_pack_current", "inverter_battery_current"],
            "slow": ["*_energy", "*_temperature"]
        }
    })
    .to_string();
    FieldConfig::parse("demo configuration", &text)
        .context("demo mode: the built-in field configuration is invalid")
}

/// Creates the demo site's Modbus variables that do not exist yet (restarts change nothing).
async fn seed_demo_site(
    db: &sea_orm::DatabaseConnection,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    #[derive(serde::Deserialize)]
    struct DemoSite {
        variables: Vec<model::registry::NewVariable>,
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

/// Listens for SIGINT (Ctrl-C) and SIGTERM from now on, and returns the task that cancels
/// `token` on the first. The listeners are in place when this returns, before a command says it
/// is ready: a signal sent right after that line must stop it cleanly, not kill it (a listener
/// set up inside a spawned task may not exist yet).
pub(crate) fn cancel_on_signal(
    token: CancellationToken,
) -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT received"),
            _ = terminate.recv() => tracing::info!("SIGTERM received"),
        }
        token.cancel();
    })
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
