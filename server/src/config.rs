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
    ///
    /// A new account needs a password. An existing account is changed only with `--promote`
    /// (and then no password may be given: it would be ignored). A name held by a guest is
    /// never promoted; `--evict-guest` ends that guest's sessions and frees the name first.
    CreateAdmin {
        /// Username of the admin.
        username: String,
        /// Password for a new account (read from the environment so it stays out of shell history).
        #[arg(long, env = "TERTULIA_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Make an existing registered account admin.
        #[arg(long)]
        promote: bool,
        /// If a guest holds the name, end its sessions and free the name, then create the account.
        #[arg(long)]
        evict_guest: bool,
    },
    /// Back up the database and the uploaded files into DIR (new or empty) while the server
    /// runs: a consistent copy (SQLite's `VACUUM INTO`, or `pg_dump`), the files, and a
    /// manifest with every file's checksum.
    Backup {
        /// Where the backup goes.
        dir: std::path::PathBuf,
    },
    /// Restore a backup made by `backup` into the database and files directory the settings
    /// name (`DATABASE_URL`, `TERTULIA_FILES_DIR`), which must be empty. Checks every
    /// checksum first; a backup from an older Tertulia is upgraded, one from a newer refused.
    Restore {
        /// The backup's directory.
        dir: std::path::PathBuf,
    },
    /// Check a running deployment end to end: a dedicated account sends a message through URL
    /// and times its arrival through `--via` (another node, or URL itself). Exits 0 within the
    /// threshold, 1 past it, 2 when the check cannot run.
    Probe {
        /// Where to send: the http:// address of a node or of the proxy.
        url: String,
        /// Where the message must arrive (default: URL), e.g. another node of the cluster.
        #[arg(long)]
        via: Option<String>,
        /// The probe's account (a registered account used for nothing else).
        #[arg(
            long,
            env = "TERTULIA_PROBE_USERNAME",
            default_value = "tertulia-probe"
        )]
        username: String,
        /// Its password.
        #[arg(long, env = "TERTULIA_PROBE_PASSWORD", hide_env_values = true)]
        password: String,
        /// Register the account if it does not exist yet (needs registration open).
        #[arg(long)]
        register: bool,
        /// Longest acceptable time from sending to arrival, in milliseconds.
        #[arg(long, default_value_t = 2000)]
        threshold_ms: u64,
        /// How long the whole check may take, in seconds.
        #[arg(long, default_value_t = 20)]
        timeout_secs: u64,
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
    /// origin (the request's `Host`, with the public URL's scheme) is always allowed.
    #[arg(long, env = "ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// The address users reach Tertulia at, e.g. `https://chat.example.org` (needed when it is
    /// reached through a host name: requests naming another host are refused, against DNS
    /// rebinding). Without it: IP addresses and `localhost` on any port.
    #[arg(long, env = "TERTULIA_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Redis (7 or newer) shared by the nodes of a cluster, e.g. `redis://127.0.0.1:6379`.
    /// Without it this node runs alone with its live state in memory. A cluster needs
    /// PostgreSQL (`DATABASE_URL=postgres://...`).
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key and channel (several deployments can share one Redis).
    #[arg(long, env = "TERTULIA_REDIS_PREFIX", default_value = "tertulia")]
    pub redis_prefix: String,

    /// This node's name in a cluster (random when not set). Also sent to clients in the
    /// `tertulia_node` cookie, which a proxy may use for sticky routing.
    #[arg(long, env = "TERTULIA_NODE_ID")]
    pub node_id: Option<String>,

    /// Reverse proxies (comma-separated CIDRs, e.g. `127.0.0.1/32,10.0.0.0/8`) whose
    /// `X-Forwarded-For` / `Forwarded` headers are believed: the client is the right-most
    /// address not in this list. Without it those headers are ignored.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Log filter in `tracing` syntax.
    #[arg(long = "log", env = "RUST_LOG", default_value = "info,server=debug")]
    pub log_filter: String,

    /// Whether guest sign-in (`POST /api/auth/guest`) is allowed.
    #[arg(long, env = "TERTULIA_GUESTS", default_value_t = true, action = clap::ArgAction::Set)]
    pub guests: bool,

    /// How the log is written: `text` lines for people, or `json`, one object per line with
    /// the node and the request's fields (user, event) on each, for log collectors.
    #[arg(long, env = "TERTULIA_LOG_FORMAT", value_enum, default_value_t = crate::log_format::LogFormat::Text)]
    pub log_format: crate::log_format::LogFormat,

    /// Serve Prometheus metrics at `/metrics` on this second address, e.g. `127.0.0.1:9184`
    /// (keep it private: firewall it or bind it to loopback or a private network). Off when
    /// neither this nor `TERTULIA_METRICS_TOKEN` is set.
    #[arg(long, env = "TERTULIA_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Bearer token for `/metrics` (16 to 256 characters). When set, `/metrics` is also served
    /// on the main address, and every scrape, on either address, must send
    /// `Authorization: Bearer <token>`.
    #[arg(long, env = "TERTULIA_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,

    /// Mark the session cookie `Secure` (set this when served over https).
    #[arg(long, env = "TERTULIA_SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,

    /// How long a session lasts, in days.
    #[arg(long, env = "TERTULIA_SESSION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=365))]
    pub session_days: u32,

    /// Largest Socket.IO packet accepted and sent, in bytes (polling bodies, websocket frames,
    /// acks). At least 32 KiB, so that any one message fits.
    #[arg(long, env = "TERTULIA_MAX_PAYLOAD", default_value_t = 64 * 1024, value_parser = clap::value_parser!(u64).range(32 * 1024..=16 * 1024 * 1024))]
    pub max_payload: u64,

    /// Packets queued for one connection before it counts as not reading; past it the
    /// connection is closed (the client reconnects and catches up). Memory held for one
    /// connection is at most this times the max payload.
    #[arg(long, env = "TERTULIA_OUTBOUND_QUEUE", default_value_t = 128, value_parser = clap::value_parser!(u64).range(8..=4096))]
    pub outbound_queue: u64,

    /// Work units a user may spend per minute on socket events and API calls (burst);
    /// every event costs at least 1, heavier ones more. An address may spend this times
    /// `TERTULIA_IP_QUOTA_FACTOR`.
    #[arg(long, env = "TERTULIA_EVENT_BUDGET", default_value_t = 240, value_parser = clap::value_parser!(u32).range(10..))]
    pub event_budget: u32,

    /// Events one socket may have in progress at once; more are refused with `rate_limited`
    /// (and a socket that keeps on is disconnected).
    #[arg(long, env = "TERTULIA_MAX_IN_FLIGHT", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_in_flight: u32,

    /// API calls one client address may have in progress at once; more are answered `429`.
    /// (Load generators and offices behind one address may need more.)
    #[arg(long, env = "TERTULIA_API_IN_FLIGHT_PER_IP", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub api_in_flight_per_ip: u32,

    /// Messages a user may send per 10 seconds (burst), refilled evenly (edits and deletions
    /// count too). 0 allows none.
    #[arg(long, env = "TERTULIA_MESSAGE_BURST", default_value_t = 20)]
    pub message_burst: u32,

    /// Room joins, creations, topic changes, invites and DMs a user may make per minute
    /// (burst), refilled evenly. 0 allows none.
    #[arg(long, env = "TERTULIA_JOIN_BURST", default_value_t = 60)]
    pub join_burst: u32,

    /// Rooms a user may create per hour (burst), refilled evenly; admins are not held to it.
    /// 0 lets only admins create rooms.
    #[arg(long, env = "TERTULIA_ROOM_CREATE_BURST", default_value_t = 10)]
    pub room_create_burst: u32,

    /// New direct conversations a user may open per day (burst), refilled evenly; reopening
    /// one is free. 0 allows none.
    #[arg(long, env = "TERTULIA_DM_BURST", default_value_t = 50)]
    pub dm_burst: u32,

    /// Sign-in attempts (register, login, guest, password changes) allowed per client IP per
    /// minute (burst). 0 allows none (no new sign-ins).
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

    /// Seconds a client has to send its request headers (slowloris guard). A connection that
    /// sends nothing, or an incomplete HTTP/2 preface, is closed after this too.
    #[arg(long, env = "TERTULIA_HEADER_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_timeout_secs: u64,

    /// Seconds an HTTP connection (HTTP/2 included) may stay without any traffic before it is
    /// closed. WebSocket connections are watched by the Socket.IO heartbeat instead.
    #[arg(long, env = "TERTULIA_IDLE_TIMEOUT", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout_secs: u64,

    /// Open TCP connections in all (excess ones are answered `503` and closed). Lowered at
    /// start-up to fit the process's file-descriptor limit.
    #[arg(long, env = "TERTULIA_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(16..))]
    pub max_connections: u64,

    /// Open TCP connections per client address (IPv6: per /64); not applied to trusted proxies.
    #[arg(long, env = "TERTULIA_MAX_CONNECTIONS_PER_IP", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections_per_ip: u64,

    /// Seconds an Engine.IO session may exist without connecting a namespace.
    #[arg(long, env = "TERTULIA_CONNECT_TIMEOUT", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub connect_timeout_secs: u64,

    /// New Engine.IO sessions (socket handshakes) per client address per minute (burst).
    #[arg(long, env = "TERTULIA_HANDSHAKE_BURST", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..))]
    pub handshake_burst: u32,

    /// Password hashes computed at once (argon2, 19 MiB each); further sign-ins wait in a
    /// short queue and are refused with `rate_limited` when it is full.
    #[arg(long, env = "TERTULIA_HASH_CONCURRENCY", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub hash_concurrency: u32,

    /// Rooms a registered user may create (DMs not counted).
    #[arg(long, env = "TERTULIA_MAX_ROOMS_PER_USER", default_value_t = 50)]
    pub max_rooms_per_user: u64,

    /// Rooms a guest may create.
    #[arg(long, env = "TERTULIA_MAX_ROOMS_PER_GUEST", default_value_t = 3)]
    pub max_rooms_per_guest: u64,

    /// Open rooms in all (DMs not counted).
    #[arg(long, env = "TERTULIA_MAX_ROOMS", default_value_t = 10_000)]
    pub max_rooms: u64,

    /// Where uploaded files are kept. Every node of a cluster must see the same directory
    /// (a shared volume).
    #[arg(long, env = "TERTULIA_FILES_DIR", default_value = "data/files")]
    pub files_dir: std::path::PathBuf,

    /// Largest file one upload may carry, in bytes (1 KiB to 1 GiB).
    #[arg(long, env = "TERTULIA_MAX_UPLOAD", default_value_t = protocol::validate::UPLOAD_MAX_DEFAULT, value_parser = clap::value_parser!(u64).range(1024..=1024 * 1024 * 1024))]
    pub max_upload: u64,

    /// Most memory decoding one image for its preview may take, in bytes (two decode at
    /// once). Judged from the image's header before anything is decoded: a larger image is
    /// kept without a preview.
    #[arg(long, env = "TERTULIA_PREVIEW_MEMORY", default_value_t = 256 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1024 * 1024..=4 * 1024 * 1024 * 1024))]
    pub preview_memory: u64,

    /// Whether the server reads the first link of each message for a preview (title,
    /// description, image). It fetches only from public addresses (checked after DNS, on every
    /// redirect), with size, time and type limits.
    #[arg(long, env = "TERTULIA_LINK_PREVIEWS", default_value_t = true, action = clap::ArgAction::Set)]
    pub link_previews: bool,

    /// Whether link previews are fetched from public internet addresses. Off, only the
    /// networks of `TERTULIA_LINK_PREVIEW_ALLOW` are (a closed intranet).
    #[arg(long, env = "TERTULIA_LINK_PREVIEW_PUBLIC", default_value_t = true, action = clap::ArgAction::Set)]
    pub link_preview_public: bool,

    /// Networks link previews may be fetched from although they are not public, e.g.
    /// `10.20.0.0/16` for an intranet's wiki (comma-separated). Loopback and cloud metadata
    /// addresses are never wise here.
    #[arg(long, env = "TERTULIA_LINK_PREVIEW_ALLOW", value_delimiter = ',')]
    pub link_preview_allow: Vec<ipnet::IpNet>,

    /// Networks bots' slash-command addresses may be on although they are not public, e.g.
    /// `10.20.0.0/16` for bots on the intranet or `127.0.0.1/32` for one on this machine
    /// (comma-separated). Otherwise commands are passed only to public addresses.
    #[arg(long, env = "TERTULIA_BOT_CALLBACK_ALLOW", value_delimiter = ',')]
    pub bot_callback_allow: Vec<ipnet::IpNet>,

    /// Bytes one user may upload in 24 hours (files deleted since do not count), 1 KiB to
    /// 1 TiB; past it uploads are refused `rate_limited` until older ones age out.
    #[arg(long, env = "TERTULIA_UPLOAD_QUOTA", default_value_t = 200 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1024..=1024 * 1024 * 1024 * 1024))]
    pub upload_quota: u64,

    /// Whether guests may upload files. Off, only registered accounts send files.
    #[arg(long, env = "TERTULIA_GUEST_UPLOADS", default_value_t = true, action = clap::ArgAction::Set)]
    pub guest_uploads: bool,

    /// Bytes all kept files may take in `TERTULIA_FILES_DIR` (0: no budget). Once reached,
    /// uploads are refused until files are deleted; everything else goes on.
    #[arg(long, env = "TERTULIA_FILES_BUDGET", default_value_t = 10 * 1024 * 1024 * 1024)]
    pub files_budget: u64,

    /// How long someone online may go without acting (typing, clicking, coming back to a tab)
    /// before the directory shows them away, in milliseconds (10 minutes; clients report
    /// activity once a minute, so much less makes active people flicker; tests shorten it).
    #[arg(long, env = "TERTULIA_AWAY_AFTER_MS", default_value_t = 600_000, value_parser = clap::value_parser!(u64).range(20..=86_400_000), hide = true)]
    pub away_after_ms: u64,

    /// How often the server pings each connection, in milliseconds: Engine.IO's `pingInterval`,
    /// which the open packet tells every client (25 s, as socket.io's own server; tests shorten
    /// it to see the heartbeat work).
    #[arg(long, env = "TERTULIA_PING_INTERVAL_MS", default_value_t = 25_000, value_parser = clap::value_parser!(u64).range(20..=300_000), hide = true)]
    pub ping_interval_ms: u64,

    /// How long a connection may take to answer a ping before it is closed, in milliseconds:
    /// Engine.IO's `pingTimeout` (20 s, as socket.io's own server).
    #[arg(long, env = "TERTULIA_PING_TIMEOUT_MS", default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(20..=300_000), hide = true)]
    pub ping_timeout_ms: u64,

    /// How long "is typing" lasts without renewal, in milliseconds. The contract's value is
    /// 5 s; tests shorten it so they do not wait in real seconds.
    #[arg(long, env = "TERTULIA_TYPING_TTL_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(20..=60_000), hide = true)]
    pub typing_ttl_ms: u64,

    /// How often the occupancy board is broadcast, in milliseconds (the contract's 5 s; tests
    /// shorten it).
    #[arg(long, env = "TERTULIA_OCCUPANCY_PERIOD_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(20..=600_000), hide = true)]
    pub occupancy_period_ms: u64,

    /// How often admins watching `/admin` get `stats`, in milliseconds (1 s; tests shorten it).
    #[arg(long, env = "TERTULIA_STATS_PERIOD_MS", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(20..=600_000), hide = true)]
    pub stats_period_ms: u64,

    /// Bytes the connections of one client address may keep waiting in this node's outbound
    /// buffers (what clients that do not read make it hold); past it, that address's biggest
    /// holders are cut first (they reconnect and catch up).
    #[arg(long, env = "TERTULIA_OUTBOUND_PER_IP_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub outbound_per_ip_bytes: usize,

    /// Bytes all connections may keep waiting in this node's outbound buffers; past it, the
    /// biggest holders are cut first.
    #[arg(long, env = "TERTULIA_OUTBOUND_TOTAL_BYTES", default_value_t = 512 * 1024 * 1024)]
    pub outbound_total_bytes: usize,

    /// How often the outbound budgets are checked, in milliseconds (tests shorten it).
    #[arg(long, env = "TERTULIA_OUTBOUND_CHECK_MS", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(10..=60_000), hide = true)]
    pub outbound_check_ms: u64,

    /// How often each node checks that the sessions of its open sockets are still live, in
    /// milliseconds: a session ended elsewhere (`server create-admin --evict-guest`, expiry
    /// while connected) has its sockets closed within this time.
    #[arg(long, env = "TERTULIA_SESSION_CHECK_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(20..=3_600_000))]
    pub session_check_ms: u64,

    /// Notifications kept per user (the oldest go first).
    #[arg(long, env = "TERTULIA_NOTIFICATION_RETENTION", default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..))]
    pub notification_retention: u64,
}

impl Config {
    /// Settings for tests: the defaults, with an explicit database URL, except that limits per
    /// client address are lifted (every test client comes from 127.0.0.1; tests of those
    /// limits set them back).
    #[must_use]
    pub fn for_tests(database_url: &str) -> Self {
        let cli = Cli::parse_from([
            "server",
            "--database-url",
            database_url,
            "--addr",
            "127.0.0.1:0",
        ]);
        let mut config = cli.config;
        config.ip_quota_factor = 10_000;
        config.handshake_burst = 1_000_000;
        config.max_sockets_per_ip = 100_000;
        config.max_connections_per_ip = 100_000;
        config.outbound_per_ip_bytes = config.outbound_total_bytes;
        // Messages of tests hold links to real sites: nothing is fetched unless a test asks.
        config.link_previews = false;
        config.files_dir = std::env::temp_dir().join(format!(
            "tertulia-files-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        config
    }

    /// How long typing lasts without renewal.
    #[must_use]
    pub fn typing_ttl(&self) -> Duration {
        Duration::from_millis(self.typing_ttl_ms)
    }

    /// How long someone online may go without acting before they show as away.
    #[must_use]
    pub fn away_after(&self) -> Duration {
        Duration::from_millis(self.away_after_ms)
    }

    /// How often the outbound budgets are checked.
    #[must_use]
    pub fn outbound_check_period(&self) -> Duration {
        Duration::from_millis(self.outbound_check_ms)
    }

    /// How often the sessions of open sockets are checked again.
    #[must_use]
    pub fn session_check_period(&self) -> Duration {
        Duration::from_millis(self.session_check_ms)
    }

    /// How often `occupancy` is broadcast.
    #[must_use]
    pub fn occupancy_period(&self) -> Duration {
        Duration::from_millis(self.occupancy_period_ms)
    }

    /// How often admins get `stats`.
    #[must_use]
    pub fn stats_period(&self) -> Duration {
        Duration::from_millis(self.stats_period_ms)
    }

    /// The header-read timeout as a duration.
    #[must_use]
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs.max(1))
    }

    /// Checks settings that depend on each other.
    ///
    /// # Errors
    /// A message naming the setting to fix.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(url) = &self.public_url {
            crate::origin::PublicUrl::parse(url)
                .map_err(|e| format!("TERTULIA_PUBLIC_URL `{url}`: {e}"))?;
        }
        if self.redis_url.is_some() && self.database_url.starts_with("sqlite:") {
            return Err(format!(
                "REDIS_URL is set but DATABASE_URL is SQLite ({}): the nodes of a cluster share \
                 one PostgreSQL database (DATABASE_URL=postgres://...); without REDIS_URL \
                 Tertulia runs as a single node on SQLite",
                self.database_url
            ));
        }
        if let Some(node) = &self.node_id
            && (node.is_empty()
                || node.len() > 64
                || !node
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        {
            return Err(format!(
                "TERTULIA_NODE_ID `{node}`: use 1 to 64 letters, digits, '-' or '_'"
            ));
        }
        if let Some(token) = &self.metrics_token {
            let length = token.expose().chars().count();
            if !(16..=256).contains(&length)
                || token
                    .expose()
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(
                    "TERTULIA_METRICS_TOKEN: use 16 to 256 characters, no spaces \
                            (e.g. `openssl rand -hex 32`)"
                        .to_owned(),
                );
            }
        }
        if let Some(metrics) = self.metrics_addr
            && metrics == self.addr
        {
            return Err(format!(
                "TERTULIA_METRICS_ADDR {metrics} is the main address: give metrics their own \
                 port, or leave it unset and use TERTULIA_METRICS_TOKEN"
            ));
        }
        for origin in &self.allowed_origins {
            crate::origin::PublicUrl::parse(origin)
                .map_err(|e| format!("ALLOWED_ORIGINS entry `{origin}`: {e}"))?;
        }
        Ok(())
    }
}

/// A setting that must not be printed (`Debug` shows `***`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// A database URL with any password replaced by `***`, for logs: the one in `user:pass@`
/// and any `password=` query parameter.
#[must_use]
pub fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let base = match (base.find("://"), base.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &base[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &base[..scheme + 3], &base[at..]),
                None => base.to_owned(),
            }
        }
        _ => base.to_owned(),
    };
    let Some(query) = query else {
        return base;
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
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
        assert!(Cli::try_parse_from(["server", "--trusted-proxies", "10.0.0.0/33"]).is_err());
        let bad_url = Cli::try_parse_from(["server", "--public-url", "chat.example"]).unwrap();
        assert!(bad_url.config.validate().is_err());
        let cluster_on_sqlite =
            Cli::try_parse_from(["server", "--redis-url", "redis://127.0.0.1"]).unwrap();
        let refusal = cluster_on_sqlite.config.validate().unwrap_err();
        assert!(refusal.contains("PostgreSQL"), "{refusal}");
        let cluster = Cli::try_parse_from([
            "server",
            "--redis-url",
            "redis://127.0.0.1",
            "--database-url",
            "postgres://u@h/db",
        ])
        .unwrap();
        assert!(cluster.config.validate().is_ok());
        let bad_node = Cli::try_parse_from(["server", "--node-id", "a b"]).unwrap();
        assert!(bad_node.config.validate().is_err());
    }

    #[test]
    fn proxies_are_cidrs() {
        let cli =
            Cli::try_parse_from(["server", "--trusted-proxies", "127.0.0.1/32,fd00::/8"]).unwrap();
        assert_eq!(cli.config.trusted_proxies.len(), 2);
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

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            super::redact("sqlite://data/x.db?mode=rwc"),
            "sqlite://data/x.db?mode=rwc"
        );
        assert_eq!(
            super::redact("postgres://h/db?user=u&password=secret&sslmode=require"),
            "postgres://h/db?user=u&password=***&sslmode=require"
        );
        assert_eq!(
            super::redact("postgres://u:p@h/db?Password=x"),
            "postgres://u:***@h/db?Password=***"
        );
    }
}
