//! Typed configuration of the `powerdeck` binary, from command-line flags and the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/powerdeck.db?mode=rwc";
/// The prototype's dashboard on this machine: `main.py` served it on port 8000 or 8081.
pub const DEFAULT_CORS_ORIGINS: &str =
    "http://localhost:8000,http://127.0.0.1:8000,http://localhost:8081,http://127.0.0.1:8081";

/// Powerdeck: the operator console for battery-energy-storage and solar sites.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "powerdeck",
    version,
    about = "Powerdeck: the operator console for battery-energy-storage and solar sites"
)]
pub struct Cli {
    /// Database to use: `sqlite://PATH?mode=rwc` (file created on first start) or
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// Log filter, e.g. `info`, `debug`, or `powerdeck=debug,sqlx=warn`.
    #[arg(
        long,
        env = "POWERDECK_LOG",
        default_value = "info,sea_orm_migration=warn,sqlx=warn",
        global = true
    )]
    pub log_level: String,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the web console (the default when no command is given).
    Serve(ServeArgs),
    /// Inspect or apply the database schema migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Import or export the variable registry's definition files.
    Registry {
        #[command(subcommand)]
        action: crate::registry_cli::RegistryAction,
    },
    /// Import or export the site's config.yaml (a system, its arrays, devices and adapters).
    Site {
        #[command(subcommand)]
        action: crate::site_cli::SiteAction,
    },
    /// Create and list the operators who sign in to the console.
    User {
        #[command(subcommand)]
        action: crate::auth_cli::UserAction,
    },
    /// Create, list and revoke API tokens (`Authorization: Bearer`).
    Token {
        #[command(subcommand)]
        action: crate::auth_cli::TokenAction,
    },
    /// Measure performance figures and print them.
    Bench {
        #[command(subcommand)]
        target: crate::bench::BenchTarget,
    },
    /// Run the built-in device simulator alone (inverter, BMS, meter; see devices/SIMULATOR.md).
    Simulate(crate::simulate::SimulateArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address and port the web console listens on.
    #[arg(long, env = "POWERDECK_ADDR", default_value = DEFAULT_ADDR)]
    pub addr: SocketAddr,

    /// Directory with the built browser bundle and assets (`pkg/`, favicon), as cargo-leptos
    /// writes it.
    #[arg(long, env = "POWERDECK_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Demo mode: import the example registry from `--examples-dir` at start (a re-import of
    /// unchanged files changes nothing).
    #[arg(long, env = "POWERDECK_DEMO")]
    pub demo: bool,

    /// Where demo mode finds data_def.json, var_metadata.json and demo_site.json.
    #[arg(long, env = "POWERDECK_EXAMPLES_DIR", default_value = "examples")]
    pub examples_dir: PathBuf,

    /// Field configuration (buses, devices, memory tables; JSON, see the README). Without it,
    /// demo mode polls the built-in simulator and other modes do no field I/O.
    #[arg(long, env = "POWERDECK_FIELD_CONFIG")]
    pub field_config: Option<PathBuf>,

    /// Protections configuration (naming rule of limit variables, measured variables; JSON, see
    /// the README). Demo mode without it reads `protections_config.json` from `--examples-dir`.
    #[arg(long, env = "POWERDECK_PROTECTIONS_CONFIG")]
    pub protections_config: Option<PathBuf>,

    /// The site's config.yaml (seed 002 §7.1), imported on first start when the database holds
    /// no system; later starts do not read it (the database is the source of truth).
    #[arg(long, env = "POWERDECK_SITE_CONFIG")]
    pub site_config: Option<PathBuf>,

    /// The site's field I/O: milliseconds between two poll cycles (every device's adapters are
    /// read once a cycle).
    #[arg(long, env = "POWERDECK_SITE_POLL_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(50..=3_600_000))]
    pub site_poll_ms: u64,

    /// Pack failover: consecutive poll cycles a preferred adapter (lower priority number) must
    /// answer before it serves its pack again.
    #[arg(long, env = "POWERDECK_FAILOVER_HOLD_CYCLES", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub failover_hold_cycles: u32,

    /// Browser origins allowed to call the API from other pages (CORS), comma-separated, e.g.
    /// the prototype's dashboard; `*` allows every origin, an empty value none.
    #[arg(
        long,
        env = "POWERDECK_CORS_ORIGINS",
        value_delimiter = ',',
        default_value = DEFAULT_CORS_ORIGINS
    )]
    pub cors_origins: Vec<String>,
    /// Pages and API reads answer without signing in (as the viewer "anonymous"); writes always
    /// need a session or a token. For wall displays and the prototype's read-only dashboard.
    #[arg(long, env = "POWERDECK_ANONYMOUS_READ")]
    pub anonymous_read: bool,
    /// A console session ends after this many minutes without a request.
    #[arg(long, env = "POWERDECK_SESSION_IDLE_MINUTES", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=10_080))]
    pub session_idle_minutes: u32,
    /// This many failed logins in a row lock the account ...
    #[arg(long, env = "POWERDECK_MAX_FAILED_LOGINS", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_failed_logins: u32,
    /// ... for this many minutes.
    #[arg(long, env = "POWERDECK_LOCKOUT_MINUTES", default_value_t = 15,
          value_parser = clap::value_parser!(u32).range(1..=1_440))]
    pub lockout_minutes: u32,
    /// Serve HTTPS with this PEM certificate chain (the site's certificate first), for sites
    /// without a reverse proxy; needs `--tls-key`. Session cookies are then `Secure`.
    #[arg(long, env = "POWERDECK_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert` (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "POWERDECK_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Mark session cookies `Secure` although this server speaks plain HTTP: for a console
    /// behind a reverse proxy that terminates TLS.
    #[arg(long, env = "POWERDECK_SECURE_COOKIES")]
    pub secure_cookies: bool,
}

impl Default for ServeArgs {
    fn default() -> Self {
        // Parsing an empty command line applies the same defaults and environment variables
        // as `powerdeck serve` would.
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: ServeArgs,
        }
        Wrapper::parse_from(["powerdeck"]).args
    }
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// List applied and pending migrations.
    Status,
    /// Apply every pending migration.
    Up,
}
