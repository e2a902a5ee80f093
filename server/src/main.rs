//! The `powerdeck` binary: parses the command line, sets up logging, runs a command and turns any
//! error into one clear line on stderr and a non-zero exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use server::config::{Cli, Command, ServeArgs};
use tracing_subscriber::EnvFilter;

// mimalloc instead of glibc malloc: the registry import and list loads make millions of small,
// short-lived allocations across the runtime's and SQLite's threads, where glibc's arenas spent a
// quarter of the import in malloc_consolidate/free and kept freed memory as RSS (`bench registry`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match EnvFilter::try_new(&cli.log_level) {
        Ok(filter) => filter,
        Err(err) => {
            eprintln!(
                "error: POWERDECK_LOG {:?} is not a valid log filter: {err}",
                cli.log_level
            );
            return ExitCode::FAILURE;
        }
    };
    // Logs go to stderr so command output (e.g. `migrate status`) stays clean on stdout.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.clone() {
            None => server::serve::serve(&cli, &ServeArgs::default()).await,
            Some(Command::Serve(args)) => server::serve::serve(&cli, &args).await,
            Some(Command::Migrate { action }) => server::serve::migrate(&cli, action).await,
            Some(Command::Registry { action }) => {
                let db = server::serve::open_migrated(&cli).await?;
                let result = server::registry_cli::run(&db, action).await;
                db.close().await?;
                result
            }
            Some(Command::Site { action }) => {
                let db = server::serve::open_migrated(&cli).await?;
                let result = server::site_cli::run(&db, action).await;
                db.close().await?;
                result
            }
            Some(Command::User { action }) => {
                let db = server::serve::open_migrated(&cli).await?;
                let result = server::auth_cli::user(&db, action).await;
                db.close().await?;
                result
            }
            Some(Command::Token { action }) => {
                let db = server::serve::open_migrated(&cli).await?;
                let result = server::auth_cli::token(&db, action).await;
                db.close().await?;
                result
            }
            Some(Command::Bench { target }) => server::bench::run(target).await,
            Some(Command::Simulate(args)) => server::simulate::run(&args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line: the context chain joined by ": ", no backtrace.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
