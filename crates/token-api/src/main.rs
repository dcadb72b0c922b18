//! `token-api`: serve the API, deprovision, restore or sync users, or print the headers a front
//! proxy sends (see [`token_api::cli`]).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use token_api::cli::{Cli, Command, HeadersArgs, ServeArgs, SyncArgs, UsersCommand};
use token_api::directory::{DirectoryClient, SyncError};
use token_api::{AppState, Store};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Users { action } => users(action).await,
        Command::Headers(args) => headers(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("token-api: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::connect(&args.database.database_url).await?;
    let state = AppState::new(store.clone(), args.config)?;
    let listener = TcpListener::bind(&args.listen).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");
    tracing::info!(%addr, backend = ?store.backend(), "serving");
    token_api::serve(listener, state, shutdown_signal()).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn users(action: UsersCommand) -> Result<(), Box<dyn std::error::Error>> {
    let now = token_api::clock::to_ms(time::OffsetDateTime::now_utc());
    let (args, flag) = match action {
        UsersCommand::Deprovision(a) => (a, true),
        UsersCommand::Restore(a) => (a, false),
        UsersCommand::Sync(a) => return sync(a, now).await,
    };
    let store = Store::connect(&args.database.database_url).await?;
    let found = store
        .set_deprovisioned(&args.tenant, &args.user, flag, now)
        .await?;
    store.close().await;
    if !found {
        return Err(format!("no user {} in tenant {}", args.user, args.tenant).into());
    }
    println!(
        "{} {} in tenant {}",
        if flag { "deprovisioned" } else { "restored" },
        args.user,
        args.tenant
    );
    Ok(())
}

/// `users sync`: the directory's roles, once.
async fn sync(args: SyncArgs, now: i64) -> Result<(), Box<dyn std::error::Error>> {
    let client = DirectoryClient::new(&args.directory, args.issuer.as_deref())
        .ok_or(SyncError::NotConfigured)?;
    let store = Store::connect(&args.database.database_url).await?;
    let result = client.sync(&store, now).await;
    store.close().await;
    let changed = result?;
    println!(
        "synced tenant {}: roles changed for {} user(s)",
        client.tenant_id(),
        changed.len()
    );
    Ok(())
}

fn headers(args: HeadersArgs) -> Result<(), Box<dyn std::error::Error>> {
    let csp = token_api::security::Csp::new(args.issuer.as_deref(), args.spa_dir.as_deref())?;
    print!("{}", token_api::security::html_header_lines(&csp));
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
