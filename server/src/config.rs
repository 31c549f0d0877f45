//! Server configuration from command-line flags and environment variables.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// `server [OPTIONS] [COMMAND]`
#[derive(Debug, Parser)]
#[command(
    name = "tertulia",
    version,
    about = "Tertulia: a real-time chat server"
)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings shared by every command.
    #[command(flatten)]
    pub config: Config,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app and the Socket.IO endpoint (the default).
    Serve,
    /// Create an admin account, or promote an existing account to admin.
    CreateAdmin {
        /// Username of the admin.
        username: String,
        /// Password for a new account (read from the environment so it stays out of shell history).
        #[arg(long, env = "TERTULIA_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

/// Settings; each flag can also come from the environment variable named with it.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on. Env: `LEPTOS_SITE_ADDR` (the variable cargo-leptos sets).
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Database URL: `sqlite://PATH?mode=rwc` (created on first run) or `postgres://...`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/tertulia.db?mode=rwc"
    )]
    pub database_url: String,

    /// Extra origins (comma-separated, e.g. `https://chat.example.org`) allowed to open
    /// cookie-authenticated sockets and send cookie-authenticated requests. The server's own
    /// origin (the request's `Host`) is always allowed.
    #[arg(long, env = "ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Log filter in `tracing` syntax.
    #[arg(long = "log", env = "RUST_LOG", default_value = "info,server=debug")]
    pub log_filter: String,

    /// Whether guest sign-in (`POST /api/auth/guest`) is allowed.
    #[arg(long, env = "TERTULIA_GUESTS", default_value_t = true, action = clap::ArgAction::Set)]
    pub guests: bool,

    /// Mark the session cookie `Secure` (set this when served over https).
    #[arg(long, env = "TERTULIA_SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,

    /// How long a session lasts, in days.
    #[arg(long, env = "TERTULIA_SESSION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=365))]
    pub session_days: u32,

    /// Largest Socket.IO packet accepted, in bytes (polling bodies and websocket frames).
    #[arg(long, env = "TERTULIA_MAX_PAYLOAD", default_value_t = 64 * 1024, value_parser = clap::value_parser!(u64).range(1024..=16 * 1024 * 1024))]
    pub max_payload: u64,

    /// Messages a user may send per 10 seconds (burst), refilled evenly.
    #[arg(long, env = "TERTULIA_MESSAGE_BURST", default_value_t = 20)]
    pub message_burst: u32,

    /// Room joins and creations a user may make per minute (burst), refilled evenly.
    #[arg(long, env = "TERTULIA_JOIN_BURST", default_value_t = 60)]
    pub join_burst: u32,

    /// Sign-in attempts (register, login, guest) allowed per client IP per minute (burst).
    #[arg(long, env = "TERTULIA_AUTH_BURST", default_value_t = 20)]
    pub auth_burst: u32,

    /// Open sockets allowed per user (all tabs, all namespaces).
    #[arg(long, env = "TERTULIA_MAX_SOCKETS_PER_USER", default_value_t = 32)]
    pub max_sockets_per_user: usize,

    /// Open sockets allowed per client IP (all users, all namespaces).
    #[arg(long, env = "TERTULIA_MAX_SOCKETS_PER_IP", default_value_t = 256)]
    pub max_sockets_per_ip: usize,

    /// How many times a user's message/join quota one IP address may use in total (several
    /// people behind one NAT share an address).
    #[arg(long, env = "TERTULIA_IP_QUOTA_FACTOR", default_value_t = 10)]
    pub ip_quota_factor: u32,

    /// Seconds a client has to send its request headers (slowloris guard).
    #[arg(long, env = "TERTULIA_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout_secs: u64,
}

impl Config {
    /// Settings for tests: in-memory-friendly defaults with an explicit database URL.
    #[must_use]
    pub fn for_tests(database_url: &str) -> Self {
        let cli = Cli::parse_from([
            "server",
            "--database-url",
            database_url,
            "--addr",
            "127.0.0.1:0",
        ]);
        cli.config
    }

    /// The header-read timeout as a duration.
    #[must_use]
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_sensible() {
        let cli = Cli::try_parse_from(["server"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.config.addr.port(), 3000);
        assert!(cli.config.database_url.starts_with("sqlite://"));
        assert!(cli.config.guests);
        assert!(!cli.config.secure_cookies);
    }

    #[test]
    fn bad_values_are_refused_with_a_clear_error() {
        let error = Cli::try_parse_from(["server", "--addr", "nowhere"]).unwrap_err();
        assert!(error.to_string().contains("--addr"));
        assert!(Cli::try_parse_from(["server", "--session-days", "0"]).is_err());
        assert!(Cli::try_parse_from(["server", "--max-payload", "1"]).is_err());
    }

    #[test]
    fn origins_are_comma_separated() {
        let cli = Cli::try_parse_from([
            "server",
            "--allowed-origins",
            "https://a.example,https://b.example",
        ])
        .unwrap();
        assert_eq!(
            cli.config.allowed_origins,
            ["https://a.example", "https://b.example"]
        );
    }
}
