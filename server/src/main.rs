//! `server`: run Tertulia (`server serve`, the default) or manage admins (`server create-admin`).
// Leptos view types nest deeply; release builds (without erased components) need more
// than rustc's default query depth.
#![recursion_limit = "512"]

use anyhow::Context;
use clap::Parser;
use server::{Cli, Command, auth};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = EnvFilter::try_new(&cli.config.log_filter)
        .with_context(|| format!("invalid log filter `{}`", cli.config.log_filter))?;
    tracing_subscriber::fmt().with_env_filter(filter).init();

    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => server::run(cli.config, shutdown_signal()).await,
        Command::CreateAdmin { username, password } => {
            create_admin(&cli.config, &username, password).await
        }
    }
}

/// Creates `username` as an admin, or promotes the existing account.
async fn create_admin(
    config: &server::Config,
    username: &str,
    password: Option<String>,
) -> anyhow::Result<()> {
    let username =
        protocol::validate::username(username).map_err(|e| anyhow::anyhow!(e.message))?;
    let store = store::Store::connect(&config.database_url).await?;
    if let Some(record) = store.user_by_name(&username).await? {
        store
            .set_role(record.user.id, protocol::Role::Admin)
            .await?;
        println!("{} is now an admin", record.user.username);
        return Ok(());
    }
    let password = password.context(
        "no such account: give a password with --password or TERTULIA_ADMIN_PASSWORD to create it",
    )?;
    protocol::validate::new_password(&password).map_err(|e| anyhow::anyhow!(e.message))?;
    let hash = auth::hash_password(password)
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let user = store
        .create_account(&username, &hash, auth::now_ms())
        .await?;
    store.set_role(user.id, protocol::Role::Admin).await?;
    println!("created admin {}", user.username);
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
