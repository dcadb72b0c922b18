//! Command line: `token-api serve` and `token-api users deprovision|restore`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
}

/// `token-api users …`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Deprovision a user: their tokens stay listed, every use answers 403.
    Deprovision(UserArgs),
    /// Restore a deprovisioned user.
    Restore(UserArgs),
}

/// The database to use.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// `sqlite://path` (created when missing) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
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
    /// OpenID issuer URL.
    #[arg(long, env = "OIDC_ISSUER")]
    pub issuer: Option<String>,
    /// Expected `aud` of access tokens.
    #[arg(long, env = "OIDC_AUDIENCE")]
    pub audience: Option<String>,
    /// A built SPA (`dist/`) to serve.
    #[arg(long, env = "SPA_DIR")]
    pub spa_dir: Option<PathBuf>,
    /// Tenant portal URL template; `{tenant}` is replaced by the tenant id.
    #[arg(
        long,
        env = "PORTAL_URL_TEMPLATE",
        default_value = token_wire::DEFAULT_PORTAL_URL_TEMPLATE
    )]
    pub portal_url_template: String,
    /// Token-authenticated calls per tenant per minute.
    #[arg(long, env = "RATE_LIMIT_PER_MINUTE", default_value_t = token_wire::DEFAULT_RATE_LIMIT_PER_MINUTE, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_per_minute: u32,
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
