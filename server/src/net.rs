//! Accepting connections, before any HTTP is parsed.
//!
//! * Caps: at most `max_connections` open TCP connections, and `max_per_address` from one
//!   client address (IPv6: one /64; trusted proxies are exempt). Excess connections get a
//!   plain `503` and are closed at once.
//! * Timeouts: a connection must complete its first request's headers within the header
//!   timeout, whatever it sends (nothing, a partial HTTP/1 request, a partial HTTP/2 preface);
//!   afterwards any connection without traffic for the idle timeout is closed (HTTP/1
//!   keep-alive connections also get hyper's header timeout between requests). WebSocket
//!   connections leave this watch once upgraded: the Socket.IO heartbeat covers them.
//! * `TCP_NODELAY` on every socket (with Nagle on, small Socket.IO frames such as acks were
//!   measured ~40 ms late), the peer address for per-address limits, HTTP/1.1 with upgrades
//!   and HTTP/2, and graceful shutdown.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use ipnet::IpNet;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use prometheus::IntGauge;

use crate::client_addr::AddrKey;
use crate::metrics::{Cut, Metrics};

/// What the accept loop enforces.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time to complete the first request's headers.
    pub header_timeout: Duration,
    /// Time a connection may go without traffic.
    pub idle_timeout: Duration,
    /// Open connections in all.
    pub max_connections: usize,
    /// Open connections per client address.
    pub max_per_address: usize,
    /// Peers exempt from the per-address cap (their clients are counted by the proxy).
    pub trusted_proxies: Vec<IpNet>,
}

impl Limits {
    /// The limits the settings ask for.
    #[must_use]
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            header_timeout: config.header_timeout(),
            idle_timeout: Duration::from_secs(config.idle_timeout_secs),
            max_connections: usize::try_from(config.max_connections).unwrap_or(usize::MAX),
            max_per_address: usize::try_from(config.max_connections_per_ip).unwrap_or(usize::MAX),
            trusted_proxies: config.trusted_proxies.clone(),
        }
    }

    /// Generous limits for tests.
    #[cfg(test)]
    #[must_use]
    pub fn relaxed() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            max_per_address: 10_000,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The open connections, in all and per address.
#[derive(Debug, Default)]
struct Census {
    total: usize,
    by_address: HashMap<AddrKey, usize>,
}

/// Counts open connections; a [`Ticket`] stands for one and gives its place back when dropped.
#[derive(Debug, Clone)]
pub struct Tracker {
    limits: Arc<Limits>,
    census: Arc<Mutex<Census>>,
}

/// Why a connection was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server holds `max_connections` already.
    Full,
    /// This address holds `max_per_address` already.
    AddressFull,
}

impl Refusal {
    /// Its name in metrics (`connections_refused_total{reason}`).
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::AddressFull => "address_full",
        }
    }
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
pub struct Ticket {
    census: Arc<Mutex<Census>>,
    address: Option<AddrKey>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut census = self
            .census
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        census.total = census.total.saturating_sub(1);
        if let Some(address) = self.address
            && let Some(count) = census.by_address.get_mut(&address)
        {
            *count -= 1;
            if *count == 0 {
                census.by_address.remove(&address);
            }
        }
    }
}

impl Tracker {
    /// A tracker enforcing `limits`.
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        Self {
            limits: Arc::new(limits),
            census: Arc::default(),
        }
    }

    /// Admits a connection from `peer`, or says why not.
    ///
    /// # Errors
    /// The [`Refusal`] when a cap is reached.
    pub fn admit(&self, peer: SocketAddr) -> Result<Ticket, Refusal> {
        let ip = peer.ip();
        let counted = !self.limits.trusted_proxies.iter().any(|n| n.contains(&ip));
        let address = counted.then(|| AddrKey::of(ip));
        let mut census = self
            .census
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if census.total >= self.limits.max_connections {
            return Err(Refusal::Full);
        }
        if let Some(address) = address {
            let count = census.by_address.entry(address).or_insert(0);
            if *count >= self.limits.max_per_address {
                return Err(Refusal::AddressFull);
            }
            *count += 1;
        }
        census.total += 1;
        Ok(Ticket {
            census: self.census.clone(),
            address,
        })
    }

    /// Open connections now.
    #[cfg(test)]
    #[must_use]
    pub fn open(&self) -> usize {
        self.census
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .total
    }
}

/// When a connection last moved bytes, and whether it has sent a complete request yet.
#[derive(Debug)]
struct Activity {
    started: Instant,
    /// Milliseconds after `started` of the last read or write.
    last_io_ms: AtomicU64,
    request_seen: AtomicBool,
}

impl Activity {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            last_io_ms: AtomicU64::new(0),
            request_seen: AtomicBool::new(false),
        }
    }

    fn touch(&self) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_io_ms.store(now, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_io_ms.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }
}

/// A TCP stream that records its traffic and holds its connection's [`Ticket`] (so the place is
/// freed when the stream is dropped, also after an upgrade hands it to the WebSocket code).
struct WatchedStream {
    inner: TcpStream,
    activity: Arc<Activity>,
    _ticket: Ticket,
    _open: OpenConnection,
}

/// Counts one open connection in `tertulia_connections` while it lives.
struct OpenConnection(IntGauge);

impl OpenConnection {
    fn new(gauge: &IntGauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Resolves when the connection has overstayed: no complete request within the header
/// timeout, or no traffic within the idle timeout.
async fn overstayed(activity: &Activity, limits: &Limits) -> Cut {
    let tick = (limits.header_timeout.min(limits.idle_timeout) / 4)
        .clamp(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        tokio::time::sleep(tick).await;
        if !activity.request_seen.load(Ordering::Relaxed) {
            if activity.started.elapsed() >= limits.header_timeout {
                return Cut::SlowRequest;
            }
        } else if activity.idle_for() >= limits.idle_timeout {
            return Cut::Idle;
        }
    }
}

/// Cap on refusal answers being written at once (beyond it, excess connections are just
/// closed).
const REFUSALS_IN_FLIGHT: usize = 1024;

const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n\
retry-after: 5\r\nconnection: close\r\ncontent-length: 33\r\n\r\nToo many connections; try later.\n";

/// Answers a turned-away connection with a `503` and closes it (within a second).
fn refuse(mut tcp: TcpStream, writers: &Arc<tokio::sync::Semaphore>) {
    let Ok(permit) = writers.clone().try_acquire_owned() else {
        return; // dropping closes it
    };
    tokio::spawn(async move {
        let _permit = permit;
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            tcp.write_all(BUSY).await?;
            tcp.shutdown().await?;
            // Read what the client sent, so closing does not reset the connection before
            // it has read the answer.
            let mut sink = [0u8; 1024];
            while tokio::io::AsyncReadExt::read(&mut tcp, &mut sink).await? > 0 {}
            Ok::<_, io::Error>(())
        })
        .await;
    });
}

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting, runs `drain`
/// (the application's own goodbye: sockets told and closed) and lets open HTTP connections
/// finish, 10 s at most in all.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    metrics: Metrics,
    shutdown: impl Future<Output = ()>,
    drain: impl Future<Output = ()>,
) {
    let tracker = Tracker::new(limits.clone());
    let limits = Arc::new(limits);
    let refusals = Arc::new(tokio::sync::Semaphore::new(REFUSALS_IN_FLIGHT));
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    // No HTTP/2 keep-alive pings: they would count as traffic and keep idle connections
    // open forever; the idle timeout ends connections that say nothing instead.
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(64);
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let ticket = match tracker.admit(peer) {
            Ok(ticket) => ticket,
            Err(refusal) => {
                tracing::debug!(?refusal, %peer, "connection refused");
                metrics
                    .connections_refused
                    .with_label_values(&[refusal.label()])
                    .inc();
                refuse(tcp, &refusals);
                continue;
            }
        };
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        let activity = Arc::new(Activity::new());
        let stream = WatchedStream {
            inner: tcp,
            activity: activity.clone(),
            _ticket: ticket,
            _open: OpenConnection::new(&metrics.connections),
        };
        let seen = activity.clone();
        let service =
            router
                .clone()
                .map_request(move |mut request: axum::http::Request<Incoming>| {
                    seen.request_seen.store(true, Ordering::Relaxed);
                    request
                        .extensions_mut()
                        .insert(ConnectInfo::<SocketAddr>(peer));
                    request
                });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        let limits = limits.clone();
        let metrics = metrics.clone();
        tokio::spawn(async move {
            tokio::select! {
                result = connection => if let Err(error) = result {
                    tracing::debug!(%error, %peer, "connection ended with an error");
                },
                reason = overstayed(&activity, &limits) => {
                    tracing::debug!(%peer, ?reason, "connection closed");
                    metrics.cut(reason);
                }
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections");
    let goodbye = async {
        drain.await;
        graceful.shutdown().await;
    };
    if tokio::time::timeout(Duration::from_secs(10), goodbye)
        .await
        .is_err()
    {
        tracing::warn!("some connections did not close within 10 s");
    }
}

/// Raises the soft limit on open files to the hard limit and returns how many connections fit
/// in it (keeping some descriptors for the database, logs and files).
#[must_use]
pub fn connection_capacity(wanted: usize) -> usize {
    const RESERVED: u64 = 256;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(files) => {
            let fit = usize::try_from(files.saturating_sub(RESERVED).max(16)).unwrap_or(usize::MAX);
            if fit < wanted {
                tracing::warn!(
                    files,
                    wanted,
                    fit,
                    "the open-file limit caps TERTULIA_MAX_CONNECTIONS"
                );
            }
            wanted.min(fit)
        }
        Err(error) => {
            tracing::warn!(%error, "could not read the open-file limit");
            wanted
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_address: usize) -> Limits {
        Limits {
            max_connections: total,
            max_per_address: per_address,
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ..Limits::relaxed()
        }
    }

    fn peer(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn caps_in_all_and_per_address() {
        let tracker = Tracker::new(limits(3, 2));
        let a1 = tracker.admit(peer("1.1.1.1:1")).unwrap();
        let _a2 = tracker.admit(peer("1.1.1.1:2")).unwrap();
        assert_eq!(
            tracker.admit(peer("1.1.1.1:3")).unwrap_err(),
            Refusal::AddressFull
        );
        let _b = tracker.admit(peer("2.2.2.2:1")).unwrap();
        assert_eq!(tracker.admit(peer("3.3.3.3:1")).unwrap_err(), Refusal::Full);
        drop(a1);
        assert_eq!(tracker.open(), 2);
        assert!(tracker.admit(peer("1.1.1.1:4")).is_ok());
    }

    #[test]
    fn ipv6_neighbours_share_a_place_and_proxies_are_exempt() {
        let tracker = Tracker::new(limits(100, 1));
        let _a = tracker.admit(peer("[2001:db8::1]:1")).unwrap();
        assert!(tracker.admit(peer("[2001:db8::2]:1")).is_err(), "same /64");
        assert!(tracker.admit(peer("[2001:db8:0:1::1]:1")).is_ok());
        let _p1 = tracker.admit(peer("10.0.0.1:1")).unwrap();
        assert!(tracker.admit(peer("10.0.0.1:2")).is_ok(), "trusted proxy");
    }
}
