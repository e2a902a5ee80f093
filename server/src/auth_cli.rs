//! `powerdeck user add|list` and `powerdeck token create|list|revoke`: operators and API tokens
//! from the server's command line, which is how the first admin comes to exist. Each change is
//! recorded in the audit log as the OS user (`$USER`, actor kind `cli`).
//!
//! `user add` reads the password from standard input when that is not a terminal (the first
//! line: `echo "$PASSWORD" | powerdeck user add alice --role admin`), else prompts for it twice
//! with the terminal's echo off.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;
use chrono::Utc;
use clap::Subcommand;
use model::auth::{NewToken, NewUser, Role, TokenScopes, TokenView, UserView};
use sea_orm::DatabaseConnection;
use services::auth::{self, Caller, MAX_TOKEN_DAYS};

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| {
        let roles: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
        format!("expected one of {}", roles.join(", "))
    })
}

#[derive(Debug, Clone, Subcommand)]
pub enum UserAction {
    /// Create a user. The password comes from standard input when it is not a terminal (its
    /// first line), else it is asked for twice without echo.
    Add {
        /// The name to sign in with (letters, digits, `.`, `_`, `-`, `@`).
        name: String,
        /// viewer, operator, engineer or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List the users with their role, last sign-in and lock.
    List,
}

#[derive(Debug, Clone, Subcommand)]
pub enum TokenAction {
    /// Create an API token and print its secret (shown this once; only its hash is stored).
    Create {
        /// The token's name (who or what uses it, e.g. `backup-script`).
        name: String,
        /// viewer, operator, engineer or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Days until it expires; without it, it never does.
        #[arg(long, value_name = "N",
              value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_TOKEN_DAYS)))]
        expires_days: Option<u32>,
        /// Let the token deploy protections (its role must allow it too).
        #[arg(long)]
        allow_deploy: bool,
        /// Let the token write device values (its role must allow it too).
        #[arg(long)]
        allow_device_writes: bool,
    },
    /// List the tokens (never their secrets) with their expiry and last use.
    List,
    /// Revoke a token: it is refused from then on.
    Revoke { name: String },
}

pub async fn user(db: &DatabaseConnection, action: UserAction) -> anyhow::Result<()> {
    match action {
        UserAction::Add { name, role } => {
            let password = read_new_password(&name)?;
            let new = NewUser {
                name,
                role,
                password,
            };
            let user = auth::create_user(db, &new, &Caller::cli(), Utc::now()).await?;
            println!("Created user {} ({}).", user.name, user.role);
            Ok(())
        }
        UserAction::List => {
            print_users(&auth::list_users(db).await?);
            Ok(())
        }
    }
}

pub async fn token(db: &DatabaseConnection, action: TokenAction) -> anyhow::Result<()> {
    match action {
        TokenAction::Create {
            name,
            role,
            expires_days,
            allow_deploy,
            allow_device_writes,
        } => {
            let new = NewToken {
                name,
                role,
                expires_days,
                scopes: TokenScopes {
                    allow_deploy,
                    allow_device_writes,
                },
            };
            let created = auth::create_token(db, &new, &Caller::cli(), Utc::now()).await?;
            let token = &created.token;
            eprintln!(
                "Created token {} ({}, {}, expires {}). Its secret, shown this once:",
                token.name,
                token.role,
                scopes_text(token),
                token.expires_at.as_deref().unwrap_or("never")
            );
            // The secret alone on stdout, so that `... > file` keeps nothing else.
            println!("{}", created.secret);
            eprintln!("Send it as `Authorization: Bearer <secret>`; it cannot be shown again.");
            Ok(())
        }
        TokenAction::List => {
            print_tokens(&auth::list_tokens(db).await?);
            Ok(())
        }
        TokenAction::Revoke { name } => {
            let token = auth::revoke_token(db, &name, &Caller::cli(), Utc::now()).await?;
            println!("Revoked token {}.", token.name);
            Ok(())
        }
    }
}

fn scopes_text(token: &TokenView) -> String {
    let mut scopes = Vec::new();
    if token.scopes.allow_deploy {
        scopes.push("deploy");
    }
    if token.scopes.allow_device_writes {
        scopes.push("device writes");
    }
    if scopes.is_empty() {
        "no deploy, no device writes".into()
    } else {
        format!("may {}", scopes.join(" and "))
    }
}

fn print_users(users: &[UserView]) {
    if users.is_empty() {
        println!("No users yet: `powerdeck user add NAME --role admin` creates the first.");
        return;
    }
    println!(
        "{:<24} {:<9} {:<26} LOCKED UNTIL",
        "NAME", "ROLE", "LAST SIGN-IN"
    );
    for user in users {
        println!(
            "{:<24} {:<9} {:<26} {}{}",
            user.name,
            user.role,
            user.last_login_at.as_deref().unwrap_or("never"),
            user.locked_until.as_deref().unwrap_or("-"),
            if user.disabled { " (disabled)" } else { "" }
        );
    }
}

fn print_tokens(tokens: &[TokenView]) {
    if tokens.is_empty() {
        println!("No API tokens.");
        return;
    }
    println!(
        "{:<24} {:<9} {:<8} {:<26} {:<26} STATE",
        "NAME", "ROLE", "PREFIX", "EXPIRES", "LAST USED"
    );
    for token in tokens {
        let state = match &token.revoked_at {
            Some(at) => format!("revoked {at}"),
            None => scopes_text(token),
        };
        println!(
            "{:<24} {:<9} {:<8} {:<26} {:<26} {state}",
            token.name,
            token.role,
            token.prefix,
            token.expires_at.as_deref().unwrap_or("never"),
            token.last_used_at.as_deref().unwrap_or("never"),
        );
    }
}

/// The new user's password: the first line of standard input when it is not a terminal, else
/// typed twice at a prompt without echo.
fn read_new_password(name: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = prompt_hidden(&format!("Password for {name}: "))?;
    let second = prompt_hidden("Once more: ")?;
    anyhow::ensure!(
        first == second,
        "the two passwords differ; nothing was created"
    );
    Ok(first)
}

/// Restores the terminal's settings when dropped, also when reading fails.
struct EchoOff {
    original: nix::sys::termios::Termios,
}

impl EchoOff {
    fn new() -> anyhow::Result<EchoOff> {
        use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
        let stdin = std::io::stdin();
        let original = tcgetattr(&stdin).context("reading the terminal's settings")?;
        let mut silent = original.clone();
        silent.local_flags.remove(LocalFlags::ECHO);
        // The newline the user types still moves the cursor on.
        silent.local_flags.insert(LocalFlags::ECHONL);
        tcsetattr(&stdin, SetArg::TCSANOW, &silent).context("turning the terminal's echo off")?;
        Ok(EchoOff { original })
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        use nix::sys::termios::{SetArg, tcsetattr};
        let _ = tcsetattr(std::io::stdin(), SetArg::TCSANOW, &self.original);
    }
}

fn prompt_hidden(prompt: &str) -> anyhow::Result<String> {
    let mut stderr = std::io::stderr();
    write!(stderr, "{prompt}")?;
    stderr.flush()?;
    let _echo_off = EchoOff::new()?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
