//! Command line: `token-api serve`, `token-api users deprovision|restore|sync` and
//! `token-api headers`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::directory::DirectoryConfig;

/// The token API server.
#[derive(Debug, Parser)]
#[command(name = "token-api", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (and the SPA when --spa-dir is given).
    Serve(ServeArgs),
    /// Manage users.
    Users {
        #[command(subcommand)]
        action: UsersCommand,
    },
    /// Print the security headers `serve` sends with the SPA's HTML (`name: value` lines, the
    /// Content-Security-Policy last), for a front proxy serving the same SPA (see `deploy/`).
    Headers(HeadersArgs),
}

/// Settings of `headers`: those of `serve` that the headers depend on.
#[derive(Debug, Args)]
pub struct HeadersArgs {
    /// OpenID issuer URL (its origin may be connected and posted to).
    #[arg(long, env = "OIDC_ISSUER")]
    pub issuer: Option<String>,
    /// The built SPA (`dist/`) whose inline scripts the policy allows.
    #[arg(long, env = "SPA_DIR")]
    pub spa_dir: Option<PathBuf>,
}

/// `token-api users …`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Deprovision a user: their tokens stay listed, every use answers 403.
    Deprovision(UserArgs),
    /// Restore a deprovisioned user.
    Restore(UserArgs),
    /// Set the roles of the directory tenant's known users from the directory, once.
    Sync(SyncArgs),
}

/// Settings of `users sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// OpenID issuer URL, whose discovery gives the token endpoint.
    #[arg(long, env = "OIDC_ISSUER")]
    pub issuer: Option<String>,
    #[command(flatten)]
    pub directory: DirectoryConfig,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// The database to use.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// `sqlite://path` (created when missing) or `postgres://…`. `--help` never shows the
    /// value taken from the environment (it may hold a password).
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://./data/tokens.db"
    )]
    pub database_url: String,
}

/// Settings of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub config: Config,
}

/// A user of a tenant.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// Tenant id (`tid`).
    #[arg(long)]
    pub tenant: String,
    /// User id (`oid`).
    #[arg(long)]
    pub user: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
}
