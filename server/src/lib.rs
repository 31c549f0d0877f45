//! Tertulia's server: axum + leptos_axum + socketioxide on one router and one port.
//!
//! [`App::build`] assembles everything from a [`Config`] and a connected [`Store`], so tests can
//! serve the real router on a loopback port; `main.rs` only parses flags and calls [`run`].
// Leptos view types nest deeply; release builds (without erased components) need more
// than rustc's default query depth.
#![recursion_limit = "512"]

// The modules in layers, bottom up: each uses only modules declared above it (the `layers`
// test in `server/tests/it/layers.rs` checks every `crate::` path). docs/ARCHITECTURE.md draws
// the picture.

/// Wall-clock time.
mod clock;

/// JSON log lines (`TERTULIA_LOG_FORMAT=json`).
pub mod log_format;

/// Prometheus metrics.
mod metrics;

/// The site's hosts and origins.
mod origin;

/// Settings (flags and environment).
mod config;

/// Who a client is: its address behind trusted proxies.
mod client_addr;

/// Accepting connections: caps and timeouts before HTTP.
mod net;

/// Uploaded files on disk, content sniffing, previews.
mod files;

/// Room records by name, for the message path.
mod room_cache;

/// Presence, typing, socket counts, rate limits, leases: in memory or in Redis.
mod live;

/// The one error type of handlers.
mod error;

/// Passwords, tokens, cookies.
mod auth;

/// How events reach sockets: the adapter, channels, broadcasts.
mod fanout;

/// The shared resources.
mod hub;

/// The moderation log.
mod audit;

/// Stored notifications and their delivery.
mod notify;

/// Accounts, sessions, roles, bans.
mod accounts;

/// Link previews: fetching only where allowed, reading pages.
pub mod links;

/// Code blocks cut into coloured tokens.
mod highlight;

/// Calls to the addresses of bots' slash commands.
mod callbacks;

/// Rooms, presence, messages: the chat service.
mod chat;

/// Every service, built once.
mod services;

/// Background tasks: occupancy, stats, housekeeping.
mod tasks;

/// Running as one node of several.
mod cluster;

/// Socket.IO namespaces and the event pipeline.
mod socket;

/// The HTTP edge: API, guards, uploads.
mod http;

/// `server backup` and `server restore`.
mod backup;

/// `server probe`: the synthetic send→receive check.
mod probe;

use std::future::Future;
use std::path::PathBuf;

use anyhow::Context;
use app::{App as Ui, shell};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use socketioxide::ParserConfig;
use socketioxide_redis::{RedisAdapterConfig, RedisAdapterCtr};
use store::Store;
use tokio::net::TcpListener;

pub use accounts::{CreateAdmin, CreateAdminError, Outcome};
pub use auth::{SECURE_SESSION_COOKIE, SESSION_COOKIE, token_hash};
pub use backup::{BackupError, Entry, Manifest, Restored, backup, restore};
pub use config::{Cli, Command, Config, redact};
pub use probe::{ProbeError, ProbeOptions, ProbeReport, probe, probe_room};

/// The limits that are constants of the server rather than settings (the settings are in
/// [`Config`]); `docs/SECURITY.md` lists them all, and a test holds it to these values.
pub mod limits {
    pub use crate::accounts::throttle::{
        DELAY_MAX as SIGN_IN_DELAY_MAX, FREE_FAILURES as SIGN_IN_FREE_FAILURES,
        WINDOW as SIGN_IN_WINDOW,
    };
    pub use crate::callbacks::{
        ANSWER_MAX as BOT_ANSWER_MAX, AT_ONCE as BOT_CALLS_AT_ONCE, CALL_TIME as BOT_CALL_TIME,
    };
    pub use crate::chat::MEMBERS_BROADCAST_MAX;
    pub use crate::chat::{FOLLOW_UPS_QUEUED, SEARCH_TIME_MAX, SEARCH_WAIT};
    pub use crate::files::preview::{
        AT_ONCE as PREVIEWS_AT_ONCE, DECODE_MEMORY_DEFAULT as PREVIEW_MEMORY_DEFAULT,
        SOURCE_MAX_SIDE as PREVIEW_SOURCE_MAX_SIDE, WAIT as PREVIEW_WAIT,
    };
    pub use crate::highlight::{
        AT_ONCE as HIGHLIGHTS_AT_ONCE, BUDGET as HIGHLIGHT_BUDGET,
        COLD_BUDGET as HIGHLIGHT_COLD_BUDGET, LINE_MAX as HIGHLIGHT_LINE_MAX,
        REMEMBERED as HIGHLIGHTS_REMEMBERED, TURN_WAIT as HIGHLIGHT_TURN_WAIT,
    };
    pub use crate::http::pipeline::API_BODY_MAX;
    pub use crate::hub::SEARCHES_AT_ONCE;
    pub use crate::links::{
        AT_ONCE as LINK_FETCHES_AT_ONCE, DEADLINE as LINK_PREVIEW_DEADLINE,
        QUEUE_MAX as LINK_PREVIEWS_QUEUED,
    };
    pub use crate::live::limits::FAILED_CONNECTS;
    pub use crate::socket::pipeline::STRIKES_BURST;
    pub use crate::tasks::{OCCUPANCY_MAX, OCCUPANCY_TOP, STATS_ROOMS_MAX};
}

use crate::fanout::Fanout;
use crate::http::AppState;
use crate::hub::Hub;
use crate::services::Services;

/// Initial read buffer of a websocket (engineioxide's default is 4 KiB): 1 KiB holds the
/// frames a chat client sends, and idle connections are most connections.
const WS_READ_BUFFER: usize = 1024;

/// A fully assembled server: its router, its services and its background tasks.
pub struct App {
    router: Router,
    state: AppState,
    /// The background tasks (occupancy, stats, housekeeping, the cluster watch, the follow-ups
    /// of new messages, the sessions of open sockets, the outbound budgets); aborted when
    /// the app is dropped.
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for App {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        // The Socket.IO server holds the services as its state and the services hold the
        // server through the fan-out: break the circle so both are freed.
        self.state.services.fanout.unbind();
    }
}

impl App {
    /// Builds the router over a connected store (and, with `REDIS_URL`, joins the cluster) and
    /// starts the background tasks.
    ///
    /// # Errors
    /// When Redis is configured but unreachable.
    pub async fn build(
        config: Config,
        store: Store,
        leptos: LeptosOptions,
    ) -> anyhow::Result<Self> {
        let node = cluster::node_id(&config);
        let metrics = metrics::Metrics::new(&node);
        let cluster = cluster::setup(&config, node, &metrics).await?;
        let fanout = Fanout::new(cluster.live.is_shared());
        let hub = Hub::new(store, config.clone(), cluster.live);
        let services = Services::new(hub, fanout.clone());
        let max_payload = config.max_payload;
        let adapter = RedisAdapterCtr::new_with_driver(
            cluster.driver,
            RedisAdapterConfig::default().with_prefix(format!("{}-sio", config.redis_prefix)),
        );
        let (sio_layer, io) = socketioxide::SocketIo::builder()
            .max_payload(max_payload)
            // socketioxide enforces max_payload on polling only; cap websocket frames too.
            .ws_max_message_size(max_payload as usize)
            .ws_max_frame_size(max_payload as usize)
            // Every websocket keeps a read buffer of this size for as long as it is open (zeroed,
            // so resident); chat frames are small and a longer one grows it for its own length.
            .ws_read_buffer_size(WS_READ_BUFFER)
            // A client that stops reading is disconnected once this many packets wait for it
            // (see vendor/README.md): at most outbound_queue × max_payload bytes per client.
            .max_buffer_size(config.outbound_queue as usize)
            // An Engine.IO session must CONNECT a namespace quickly or it is closed.
            .connect_timeout(std::time::Duration::from_secs(config.connect_timeout_secs))
            // The heartbeat: a connection that stops answering is closed (tests shorten it).
            .ping_interval(std::time::Duration::from_millis(config.ping_interval_ms))
            .ping_timeout(std::time::Duration::from_millis(config.ping_timeout_ms))
            // The contract is text-only: bound binary attachments so a hostile packet cannot make
            // the server buffer many frames before any handler runs.
            .with_parser(
                ParserConfig::common()
                    .max_incoming_binaries(4)
                    .max_incoming_binary_buf_size(max_payload as usize)
                    .packet_completion_timeout(std::time::Duration::from_secs(5)),
            )
            .with_state(services.clone())
            .with_adapter::<fanout::Adapter>(adapter)
            .build_layer();
        fanout.bind(io.clone());
        socket::register(&io).await?;
        let mut tasks = vec![
            tasks::spawn_occupancy(services.clone()),
            tasks::spawn_stats(services.clone()),
            tasks::spawn_housekeeping(services.hub.clone()),
        ];
        if let Some(health) = cluster.health {
            tasks.push(cluster::spawn_watch(services.clone(), health));
        }
        tasks.extend(services.chat.spawn_follow_ups());
        tasks.push(socket::sessions::spawn_session_check(services.clone()));
        tasks.push(socket::outbound::spawn_outbound_check(services.clone()));
        let state = AppState::new(http::AppParts {
            services,
            api_in_flight: http::pipeline::ApiInFlight::new(config.api_in_flight_per_ip as usize),
            leptos: leptos.clone(),
            node: http::NodeId(cluster.node),
            assets: http::assets::Assets::new(
                std::path::Path::new(&*leptos.site_root).join(&*leptos.site_pkg_dir),
            ),
        });
        let routes = generate_route_list(Ui);
        let router = Router::new()
            .merge(http::router(state.clone()))
            // The bundle, compressed once per file (the compression layer leaves an encoded
            // answer alone).
            .route("/pkg/{file}", axum::routing::get(http::assets::serve))
            // Browsers ask for /favicon.ico whatever the page declares: point them at ours.
            .route(
                "/favicon.ico",
                axum::routing::get(|| async {
                    axum::response::Redirect::permanent("/favicon.svg")
                }),
            )
            .leptos_routes(&state, routes, {
                let leptos = leptos.clone();
                move || shell(leptos.clone())
            })
            .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
            // Pages, API and the other static files; added before the Socket.IO layer so
            // Engine.IO traffic bypasses it.
            .layer(tower_http::compression::CompressionLayer::new())
            .layer(sio_layer)
            // Right before the Socket.IO layer, which keeps the request head per connection.
            .layer(axum::middleware::from_fn(http::own_socket_request_head))
            // Outermost last: headers on everything, then the host check, then who the
            // client is, then the socket handshake checks.
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                http::page_session,
            ))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                http::socket_guard,
            ))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                client_addr::resolve_client,
            ))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                http::host_guard,
            ))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                http::security_headers,
            ))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                http::node_cookie,
            ))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                http::count_responses,
            ))
            // Outermost: whatever answered, an internal fault behind it is logged once.
            .layer(axum::middleware::from_fn(error::log_faults))
            .with_state(state.clone());
        Ok(Self {
            router,
            state,
            tasks,
        })
    }

    /// The router (pages, API, Socket.IO).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Serves the app on `listener` with the connection limits of its settings until
    /// `shutdown` resolves; then `drain` runs while connections finish.
    pub fn serve<S, D>(
        &self,
        listener: TcpListener,
        shutdown: S,
        drain: D,
    ) -> impl Future<Output = ()> + use<S, D>
    where
        S: Future<Output = ()>,
        D: Future<Output = ()>,
    {
        self.serve_with(
            listener,
            net::Limits::from_config(self.config()),
            shutdown,
            drain,
        )
    }

    fn serve_with<S, D>(
        &self,
        listener: TcpListener,
        limits: net::Limits,
        shutdown: S,
        drain: D,
    ) -> impl Future<Output = ()> + use<S, D>
    where
        S: Future<Output = ()>,
        D: Future<Output = ()>,
    {
        let router = self.router.clone();
        let metrics = self.state.services.hub.metrics().clone();
        net::serve(listener, router, limits, metrics, shutdown, drain)
    }

    /// The router of the metrics address (`/metrics` only; see `TERTULIA_METRICS_ADDR`).
    pub fn metrics_router(&self) -> Router {
        http::metrics_router(self.state.clone())
    }

    /// What `/metrics` would answer now (Prometheus' text format).
    #[must_use]
    pub fn metrics_text(&self) -> String {
        http::metrics::render(&self.state.services)
    }

    /// Every metric series name `/metrics` may show, whether or not it has a value yet.
    #[must_use]
    pub fn metric_names(&self) -> Vec<String> {
        self.state.services.hub.metrics().names().to_vec()
    }

    /// The database.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.state.services.hub.store
    }

    /// The settings the app was built with.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.state.services.hub.config
    }

    /// This node's name in its cluster (random on a single node).
    #[must_use]
    pub fn node_id(&self) -> &str {
        &self.state.node.0
    }

    /// Where an uploaded file (or its preview) is kept on disk.
    #[must_use]
    pub fn file_path(&self, id: &str, preview: bool) -> PathBuf {
        self.state.services.hub.files.path(id, preview)
    }

    /// Runs one round of housekeeping now (it also runs every minute by itself).
    ///
    /// # Errors
    /// A database failure.
    pub async fn housekeeping(&self) -> Result<(), store::StoreError> {
        tasks::housekeeping(&self.state.services.hub).await
    }

    /// `create-admin` on this app's database (see [`create_admin`]).
    ///
    /// # Errors
    /// [`CreateAdminError`] saying why nothing was done.
    pub async fn create_admin(&self, request: CreateAdmin) -> Result<Outcome, CreateAdminError> {
        self.state.services.accounts.create_admin(request).await
    }

    /// Takes this node out of service (SIGTERM): every client is told to reconnect at once
    /// (elsewhere, in a cluster), the events being handled finish (up to 5 s), then every
    /// socket is closed, which runs their disconnect handlers (presence is cleaned up now,
    /// not when the node's heartbeat expires).
    pub async fn drain(&self) {
        let hub = &self.state.services.hub;
        let Some(io) = self.state.services.fanout.io() else {
            return;
        };
        tracing::info!("draining: telling clients to reconnect");
        hub.activity
            .draining
            .store(true, std::sync::atomic::Ordering::Release);
        for ns in io.nsps() {
            if let Err(error) = ns
                .local()
                .emit(protocol::events::RESTARTING, &protocol::Restarting {})
                .await
            {
                tracing::debug!(%error, "telling clients about the restart");
            }
        }
        wait_idle(hub, std::time::Duration::from_secs(5)).await;
        io.close().await;
        wait_idle(hub, std::time::Duration::from_secs(2)).await;
    }
}

/// Waits until no event or disconnect handler is running on this node (or `limit` passes).
async fn wait_idle(hub: &Hub, limit: std::time::Duration) {
    let started = std::time::Instant::now();
    while hub
        .activity
        .in_flight
        .load(std::sync::atomic::Ordering::Acquire)
        > 0
        && started.elapsed() < limit
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Leptos' options from the environment cargo-leptos sets (`LEPTOS_*`), with our address.
///
/// # Errors
/// When a `LEPTOS_*` variable is malformed.
pub fn leptos_options(config: &Config) -> anyhow::Result<LeptosOptions> {
    let mut options = leptos::config::get_configuration(None)
        .context("reading the LEPTOS_* settings")?
        .leptos_options;
    options.site_addr = config.addr;
    // `cargo leptos build` writes the hashes of the asset names next to the binary; use them
    // even when the binary is started directly (without cargo-leptos' environment).
    if !options.hash_files {
        options.hash_files = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.join(options.hash_file.as_ref())))
            .is_some_and(|file| file.exists());
    }
    Ok(options)
}

/// Connects the store, builds the app and serves it on `config.addr` until `shutdown`.
///
/// # Errors
/// When the database cannot be opened or the address cannot be bound.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    config
        .validate()
        .map_err(|message| anyhow::anyhow!(message))?;
    // A configured node id names every log line from the start; a generated one once known.
    if let Some(node) = &config.node_id {
        log_format::set_node(node);
    }
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| format!("opening the database at {}", redact(&config.database_url)))?;
    let leptos = leptos_options(&config)?;
    let listener = TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("listening on {}", config.addr))?;
    let mut limits = net::Limits::from_config(&config);
    limits.max_connections = net::connection_capacity(limits.max_connections);
    tracing::info!(
        addr = %config.addr,
        database = ?store.backend(),
        max_connections = limits.max_connections,
        "Tertulia is up: open http://{}",
        config.addr
    );
    if config.public_url.is_none() && !config.addr.ip().is_loopback() {
        tracing::warn!(
            "TERTULIA_PUBLIC_URL is not set: only IP addresses and localhost are answered; \
             set it to the address users type (e.g. https://chat.example.org)"
        );
    }
    let metrics_listener = match config.metrics_addr {
        Some(addr) => {
            if !addr.ip().is_loopback() && config.metrics_token.is_none() {
                tracing::warn!(
                    %addr,
                    "metrics are served without a token on an address that is not loopback: \
                     keep it private (a firewall, a private network) or set TERTULIA_METRICS_TOKEN"
                );
            }
            Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("listening for metrics on {addr}"))?,
            )
        }
        None => None,
    };
    // The metrics address gets the same accept loop as the main one, with room for a few
    // scrapers only: it cannot be used to exhaust the process's connections.
    let metrics_limits = {
        let mut limits = net::Limits::from_config(&config);
        limits.max_connections = 32;
        limits.max_per_address = 8;
        limits
    };
    let app = App::build(config, store.clone(), leptos).await?;
    log_format::set_node(app.node_id());
    tracing::info!(node = app.node_id(), "serving");
    let metrics_task = metrics_listener.map(|listener| {
        tracing::info!(addr = ?listener.local_addr().ok(), "metrics at /metrics");
        let serving = net::serve(
            listener,
            app.metrics_router(),
            metrics_limits,
            app.state.services.hub.metrics().clone(),
            std::future::pending(),
            std::future::ready(()),
        );
        tokio::spawn(serving)
    });
    let drain = app.drain();
    app.serve_with(listener, limits, shutdown, drain).await;
    if let Some(task) = metrics_task {
        task.abort();
    }
    drop(app);
    store.close().await;
    Ok(())
}

/// `server create-admin`: creates an admin account, or promotes an existing one, in the
/// database `config` names (see [`CreateAdmin`] for the rules). No server needs to run.
///
/// # Errors
/// [`CreateAdminError`] saying why nothing was done.
pub async fn create_admin(
    config: &Config,
    request: CreateAdmin,
) -> Result<Outcome, CreateAdminError> {
    let store = Store::connect(&config.database_url).await?;
    let hub = Hub::new(
        store.clone(),
        config.clone(),
        live::Live::memory(hub::quotas(config), metrics::Metrics::new("create-admin")),
    );
    // No server runs here: the fan-out stays unbound and reaches no socket.
    let services = Services::new(hub, Fanout::new(false));
    let outcome = services.accounts.create_admin(request).await;
    store.close().await;
    outcome
}

/// Whether a log event may be written whatever the log filter says. The libraries that carry
/// the protocol print what passes through them at debug or trace level: whole Socket.IO
/// packets and WebSocket messages (a CONNECT carries a session token), broadcasts through
/// Redis (message text, session channels), HTTP/2 frames (a cookie header): below `WARN`
/// their events are dropped. (socketioxide's and engineioxide's
/// `tracing` feature is off as well; this keeps it so if a dependency switches it back on.)
#[must_use]
pub fn log_allowed(meta: &tracing::Metadata<'_>) -> bool {
    target_allowed(meta.target(), *meta.level())
}

/// [`log_allowed`] on a target and a level.
fn target_allowed(target: &str, level: tracing::Level) -> bool {
    const CARRIERS: [&str; 6] = [
        "socketioxide",
        "engineioxide",
        "tungstenite",
        "tokio_tungstenite",
        "h2",
        "hyper",
    ];
    // The crate itself and its family (`socketioxide_redis`, `hyper_util`...).
    let carrier = CARRIERS.iter().any(|name| {
        target
            .strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '_']))
    });
    !carrier || level <= tracing::Level::WARN
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    /// The Socket.IO server holds the services and the services hold the server: dropping the
    /// app must still free both (a test binary builds a hundred apps).
    #[tokio::test]
    async fn a_dropped_app_frees_its_services() {
        let mut config = super::Config::for_tests("sqlite::memory:");
        // With the link previews' worker running too.
        config.link_previews = true;
        let store = store::Store::in_memory().await.unwrap();
        let leptos = super::leptos_options(&config).unwrap();
        let app = super::App::build(config, store, leptos).await.unwrap();
        let services = app.state.services.downgrade();
        let hub = app.state.services.hub.downgrade();
        drop(app);
        // The aborted background tasks let go of their copies as they are dropped.
        for _ in 0..100 {
            if services.upgrade().is_none() && hub.upgrade().is_none() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the services (or their hub) outlived their app");
    }

    #[test]
    fn the_carriers_of_the_protocol_log_only_warnings() {
        for target in [
            "socketioxide::ns",
            "socketioxide_redis",
            "engineioxide_core::packet",
            "tungstenite::protocol",
            "tokio_tungstenite",
            "h2::codec",
            "hyper_util::server",
        ] {
            assert!(!super::target_allowed(target, Level::TRACE), "{target}");
            assert!(!super::target_allowed(target, Level::DEBUG), "{target}");
            assert!(super::target_allowed(target, Level::WARN), "{target}");
        }
        for target in [
            "server::socket::pipeline",
            "sqlx::query",
            "h2o",
            "hyperloop",
        ] {
            assert!(super::target_allowed(target, Level::TRACE), "{target}");
        }
    }
}
