//! `server`: run Tertulia (`server serve`, the default), manage admins (`server create-admin`),
//! back up and restore (`server backup DIR`, `server restore DIR`), check a deployment
//! (`server probe URL`).
// Leptos view types nest deeply; release builds (without erased components) need more
// than rustc's default query depth.
#![recursion_limit = "512"]

use anyhow::Context;
use clap::Parser;
use server::log_format::{JsonLines, LogFormat};
use server::{Cli, Command, CreateAdmin};
use tracing_subscriber::filter::FilterFn;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, Layer, Registry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = EnvFilter::try_new(&cli.config.log_filter)
        .with_context(|| format!("invalid log filter `{}`", cli.config.log_filter))?;
    let lines: Box<dyn Layer<Registry> + Send + Sync> = match cli.config.log_format {
        LogFormat::Text => Box::new(tracing_subscriber::fmt::layer()),
        LogFormat::Json => Box::new(JsonLines),
    };
    tracing_subscriber::registry()
        .with(
            lines
                .with_filter(filter)
                .with_filter(FilterFn::new(server::log_allowed)),
        )
        .init();

    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => server::run(cli.config, shutdown_signal()).await,
        Command::CreateAdmin {
            username,
            password,
            promote,
            evict_guest,
        } => {
            let request = CreateAdmin {
                username,
                password,
                promote,
                evict_guest,
            };
            let outcome = server::create_admin(&cli.config, request).await?;
            println!("{outcome}");
            Ok(())
        }
        Command::Backup { dir } => {
            let manifest = server::backup(&cli.config, &dir).await?;
            let bytes: u64 = manifest.files.iter().map(|file| file.bytes).sum();
            println!(
                "backup written to {}: {} database at schema {} ({} bytes), {} files ({bytes} bytes)",
                dir.display(),
                manifest.backend,
                manifest.schema,
                manifest.database.bytes,
                manifest.files.len(),
            );
            Ok(())
        }
        Command::Probe {
            url,
            via,
            username,
            password,
            register,
            threshold_ms,
            timeout_secs,
        } => {
            let options = server::ProbeOptions {
                via,
                username,
                password,
                register,
                threshold: std::time::Duration::from_millis(threshold_ms),
                timeout: std::time::Duration::from_secs(timeout_secs),
                url,
            };
            match server::probe(&options).await {
                Ok(report) => {
                    println!(
                        "ok: sent through {}, arrived through {} after {} ms (acked after {} ms)",
                        options.url,
                        options.via.as_deref().unwrap_or(&options.url),
                        report.arrived.as_millis(),
                        report.acked.as_millis()
                    );
                    Ok(())
                }
                Err(error) => {
                    eprintln!("probe failed: {error}");
                    std::process::exit(i32::from(error.exit_code()));
                }
            }
        }
        Command::Restore { dir } => {
            let restored = server::restore(&cli.config, &dir).await?;
            let manifest = &restored.manifest;
            println!(
                "restored {} (made by Tertulia {} at schema {}, {} files) into {}; schema now {}",
                dir.display(),
                manifest.tertulia,
                manifest.schema,
                manifest.files.len(),
                server::redact(&cli.config.database_url),
                restored.schema,
            );
            Ok(())
        }
    }
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
