//! Prometheus metrics: what the person on call reads (`TERTULIA_METRICS_ADDR` or
//! `TERTULIA_METRICS_TOKEN` turns the endpoint on; see docs/OPERATING.md for the list).
//!
//! One [`Metrics`] per app, with its own registry (a test binary runs many apps at once), built
//! on the `prometheus` crate: its text format is the one `promtool check metrics` reads. Every
//! series is named `tertulia_*` and carries the node's id as `node`. Counters and histograms
//! are updated where things happen; gauges of state (sockets, pool connections, events in
//! progress) are read when the endpoint is scraped ([`Metrics::render`]).
//!
//! Labels take values from closed sets only (event names of the contract, error codes,
//! limit names, fixed reasons), so the number of series is bounded whatever clients send.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Seconds buckets for things that take about a millisecond and must stay under a second.
const LATENCY_BUCKETS: [f64; 12] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Seconds buckets for background work (a housekeeping round may take seconds).
const TASK_BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0];

/// Rows in a group-commit batch (1 under light load, up to the writer's maximum).
const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// Why a connection was closed by the server (the `reason` label of `connections_cut_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// No complete request within the header timeout.
    SlowRequest,
    /// No traffic within the idle timeout.
    Idle,
    /// Its events kept being refused (in-flight bound or budget).
    Strikes,
    /// Its outbound queue was full: it stopped reading.
    OutboundOverflow,
    /// It held the most unread of an address, or of the node, over their budget.
    OutboundBudget,
}

impl Cut {
    fn label(self) -> &'static str {
        match self {
            Self::SlowRequest => "slow_request",
            Self::Idle => "idle",
            Self::Strikes => "strikes",
            Self::OutboundOverflow => "outbound_overflow",
            Self::OutboundBudget => "outbound_budget",
        }
    }
}

/// This app's metrics. Cloning it costs one reference count.
#[derive(Clone)]
pub struct Metrics(Arc<Families>);

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// The metric families; see each field for its name.
pub struct Families {
    registry: Registry,
    /// Every series name a scrape may show.
    names: Vec<String>,
    /// `tertulia_connections`: open TCP connections (pages, API, websockets).
    pub connections: IntGauge,
    /// `tertulia_connections_refused_total{reason}`: turned away at accept (`full`, `address_full`).
    pub connections_refused: IntCounterVec,
    /// `tertulia_connections_cut_total{reason}`: closed by the server (see [`Cut`]).
    connections_cut: IntCounterVec,
    /// `tertulia_sockets{namespace}`: Socket.IO sockets on this node (read at scrape).
    sockets: IntGaugeVec,
    /// `tertulia_events_in_progress`: socket events being handled (read at scrape).
    events_in_progress: IntGauge,
    /// `tertulia_previews_in_progress`: image previews being decoded (read at scrape).
    previews_in_progress: IntGauge,
    /// `tertulia_outbound_queued_bytes`: bytes waiting for clients on this node (last check).
    outbound_queued: IntGauge,
    /// `tertulia_events_total{namespace,event,outcome}`: socket events by outcome (`ok` or the
    /// contract's error code).
    events: IntCounterVec,
    /// `tertulia_event_seconds{namespace,event}`: from an event's arrival to its answer.
    event_seconds: HistogramVec,
    /// `tertulia_http_responses_total{class}`: HTTP answers by status class (`2xx`...).
    http_responses: IntCounterVec,
    /// `tertulia_rate_limited_total{limit}`: actions refused by a rate limit.
    rate_limited: IntCounterVec,
    /// `tertulia_db_statement_seconds`: one statement, from asking for a connection to its
    /// last row.
    db_statement_seconds: Histogram,
    /// `tertulia_db_transaction_wait_seconds`: waiting to begin a write transaction
    /// (a connection and, on SQLite, the write lock).
    db_transaction_wait_seconds: Histogram,
    /// `tertulia_db_batch_rows`: messages per group-commit batch (SQLite).
    db_batch_rows: Histogram,
    /// `tertulia_db_batch_seconds`: storing one group-commit batch.
    db_batch_seconds: Histogram,
    /// `tertulia_db_connections{state}`: the pool's connections (`idle`, `busy`; at scrape).
    db_connections: IntGaugeVec,
    /// `tertulia_redis_commands_total{outcome}`: round trips to Redis (`ok`, `failed`).
    redis_commands: IntCounterVec,
    /// `tertulia_redis_command_seconds`: one round trip to Redis (a command or a pipeline).
    redis_command_seconds: Histogram,
    /// `tertulia_redis_reconnects_total`: times the pub/sub link to Redis dropped.
    pub redis_reconnects: IntCounter,
    /// `tertulia_cluster_nodes`: nodes alive in the cluster, this one included (1 alone).
    pub cluster_nodes: IntGauge,
    /// `tertulia_uploads_total{outcome}`: upload requests (`stored`, `refused`).
    uploads: IntCounterVec,
    /// `tertulia_upload_bytes_total`: bytes of stored uploads.
    upload_bytes: IntCounter,
    /// `tertulia_task_seconds{task}`: one round of a background task.
    task_seconds: HistogramVec,
}

impl std::ops::Deref for Metrics {
    type Target = Families;

    fn deref(&self) -> &Families {
        &self.0
    }
}

/// Builds and registers one family, noting its series' names.
struct Builder {
    registry: Registry,
    names: std::cell::RefCell<Vec<String>>,
}

impl Builder {
    fn register<C: prometheus::core::Collector + Clone + 'static>(&self, collector: C) -> C {
        self.note(&collector, false);
        self.registry
            .register(Box::new(collector.clone()))
            .unwrap_or_else(|error| panic!("a metric is defined twice: {error}"));
        collector
    }

    fn register_histogram<C: prometheus::core::Collector + Clone + 'static>(
        &self,
        collector: C,
    ) -> C {
        self.note(&collector, true);
        self.registry
            .register(Box::new(collector.clone()))
            .unwrap_or_else(|error| panic!("a metric is defined twice: {error}"));
        collector
    }

    /// Notes the series names `collector` may show (a histogram's three).
    fn note(&self, collector: &dyn prometheus::core::Collector, histogram: bool) {
        let mut names = self.names.borrow_mut();
        for desc in collector.desc() {
            let name = format!("tertulia_{}", desc.fq_name);
            if histogram {
                for suffix in ["_bucket", "_sum", "_count"] {
                    names.push(format!("{name}{suffix}"));
                }
            } else {
                names.push(name);
            }
        }
    }

    fn gauge(&self, name: &str, help: &str) -> IntGauge {
        self.register(IntGauge::with_opts(Opts::new(name, help)).expect("valid metric"))
    }

    fn gauges(&self, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
        self.register(IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric"))
    }

    fn counter(&self, name: &str, help: &str) -> IntCounter {
        self.register(IntCounter::with_opts(Opts::new(name, help)).expect("valid metric"))
    }

    fn counters(&self, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
        self.register(IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric"))
    }

    fn histogram(&self, name: &str, help: &str, buckets: &[f64]) -> Histogram {
        self.register_histogram(
            Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec()))
                .expect("valid metric"),
        )
    }

    fn histograms(&self, name: &str, help: &str, labels: &[&str], buckets: &[f64]) -> HistogramVec {
        self.register_histogram(
            HistogramVec::new(
                HistogramOpts::new(name, help).buckets(buckets.to_vec()),
                labels,
            )
            .expect("valid metric"),
        )
    }
}

impl Metrics {
    /// Every family, at zero, for node `node`.
    ///
    /// # Panics
    /// Never for the fixed definitions below (a name defined twice would panic at once, in
    /// every test).
    #[must_use]
    pub fn new(node: &str) -> Self {
        let registry = Registry::new_custom(
            Some("tertulia".to_owned()),
            Some(HashMap::from([("node".to_owned(), node.to_owned())])),
        )
        .expect("valid registry labels");
        let b = Builder {
            registry: registry.clone(),
            names: std::cell::RefCell::default(),
        };
        let build = b.gauges(
            "build_info",
            "Always 1; the version serving, as the `version` label.",
            &["version"],
        );
        let families = Families {
            connections: b.gauge("connections", "Open TCP connections (pages, API, websockets)."),
            connections_refused: b.counters(
                "connections_refused_total",
                "Connections turned away at accept: the server (full) or the address (address_full) holds its maximum.",
                &["reason"],
            ),
            connections_cut: b.counters(
                "connections_cut_total",
                "Connections the server closed: slow_request, idle, strikes (events kept being refused), outbound_overflow (the client stopped reading).",
                &["reason"],
            ),
            sockets: b.gauges("sockets", "Socket.IO sockets on this node.", &["namespace"]),
            events_in_progress: b.gauge("events_in_progress", "Socket events being handled now."),
            previews_in_progress: b.gauge(
                "previews_in_progress",
                "Image previews being decoded now (at most 2; a decode keeps its turn until it ends).",
            ),
            outbound_queued: b.gauge(
                "outbound_queued_bytes",
                "Bytes waiting in this node's outbound buffers at the last outbound check (a broadcast counted once per connection).",
            ),
            events: b.counters(
                "events_total",
                "Socket events handled, by outcome: ok, or the error code answered.",
                &["namespace", "event", "outcome"],
            ),
            event_seconds: b.histograms(
                "event_seconds",
                "Time from a socket event's arrival to its answer (the ack latency).",
                &["namespace", "event"],
                &LATENCY_BUCKETS,
            ),
            http_responses: b.counters(
                "http_responses_total",
                "HTTP answers (pages, API, files, Engine.IO requests), by status class.",
                &["class"],
            ),
            rate_limited: b.counters(
                "rate_limited_total",
                "Actions refused by a rate limit, by limit.",
                &["limit"],
            ),
            db_statement_seconds: b.histogram(
                "db_statement_seconds",
                "One database statement, from asking for a pooled connection to its last row.",
                &LATENCY_BUCKETS,
            ),
            db_transaction_wait_seconds: b.histogram(
                "db_transaction_wait_seconds",
                "Waiting to begin a write transaction: a connection and, on SQLite, the write lock.",
                &LATENCY_BUCKETS,
            ),
            db_batch_rows: b.histogram(
                "db_batch_rows",
                "New messages stored per group-commit batch (SQLite).",
                &BATCH_BUCKETS,
            ),
            db_batch_seconds: b.histogram(
                "db_batch_seconds",
                "Storing one group-commit batch of new messages (SQLite).",
                &LATENCY_BUCKETS,
            ),
            db_connections: b.gauges(
                "db_connections",
                "The database pool's connections, idle or busy.",
                &["state"],
            ),
            redis_commands: b.counters(
                "redis_commands_total",
                "Round trips to Redis (a command or a pipeline), by outcome: ok or failed.",
                &["outcome"],
            ),
            redis_command_seconds: b.histogram(
                "redis_command_seconds",
                "One round trip to Redis.",
                &LATENCY_BUCKETS,
            ),
            redis_reconnects: b.counter(
                "redis_reconnects_total",
                "Times this node's pub/sub connection to Redis dropped (it reconnects by itself).",
            ),
            cluster_nodes: b.gauge(
                "cluster_nodes",
                "Nodes alive in the cluster as this node last saw them (1 for a node alone).",
            ),
            uploads: b.counters(
                "uploads_total",
                "Upload requests, by outcome: stored or refused.",
                &["outcome"],
            ),
            upload_bytes: b.counter("upload_bytes_total", "Bytes of stored uploads."),
            task_seconds: b.histograms(
                "task_seconds",
                "One round of a background task.",
                &["task"],
                &TASK_BUCKETS,
            ),
            registry,
            names: Vec::new(),
        };
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        families.cluster_nodes.set(1);
        #[cfg(target_os = "linux")]
        {
            let process = prometheus::process_collector::ProcessCollector::for_self();
            b.note(&process, false);
            if let Err(error) = families.registry.register(Box::new(process)) {
                tracing::warn!(%error, "process metrics are not available");
            }
        }
        let mut families = families;
        families.names = b.names.into_inner();
        Self(Arc::new(families))
    }

    /// A socket event was answered after `took`; `outcome` is `ok` or an error code.
    pub fn event(&self, namespace: &str, event: &str, outcome: &str, took: Duration) {
        self.events
            .with_label_values(&[namespace, event, outcome])
            .inc();
        self.event_seconds
            .with_label_values(&[namespace, event])
            .observe(took.as_secs_f64());
    }

    /// The bytes waiting in this node's outbound buffers now.
    pub fn outbound_queued(&self, bytes: usize) {
        self.outbound_queued
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }

    /// The server closed a connection.
    pub fn cut(&self, why: Cut) {
        self.connections_cut.with_label_values(&[why.label()]).inc();
    }

    /// An HTTP answer with `status` was sent.
    pub fn http_response(&self, status: u16) {
        let class = match status {
            100..200 => "1xx",
            200..300 => "2xx",
            300..400 => "3xx",
            400..500 => "4xx",
            _ => "5xx",
        };
        self.http_responses.with_label_values(&[class]).inc();
    }

    /// A rate limit refused an action.
    pub fn rate_limited(&self, limit: &str) {
        self.rate_limited.with_label_values(&[limit]).inc();
    }

    /// One round trip to Redis ended after `took`.
    pub fn redis_command(&self, ok: bool, took: Duration) {
        self.redis_commands
            .with_label_values(&[if ok { "ok" } else { "failed" }])
            .inc();
        self.redis_command_seconds.observe(took.as_secs_f64());
    }

    /// An upload was stored (`Some(bytes)`) or refused (`None`).
    pub fn upload(&self, stored: Option<u64>) {
        match stored {
            Some(bytes) => {
                self.uploads.with_label_values(&["stored"]).inc();
                self.upload_bytes.inc_by(bytes);
            }
            None => self.uploads.with_label_values(&["refused"]).inc(),
        }
    }

    /// One round of background task `task` took `took`.
    pub fn task(&self, task: &str, took: Duration) {
        self.task_seconds
            .with_label_values(&[task])
            .observe(took.as_secs_f64());
    }

    /// The store's timings, reported here (see [`store::Observer`]).
    #[must_use]
    pub fn store_observer(&self) -> Arc<dyn store::Observer> {
        Arc::new(StoreTimings(self.clone()))
    }

    /// The state read at scrape time: sockets per namespace, events in progress, the pool.
    pub fn set_state(&self, state: &State) {
        for (namespace, count) in &state.sockets {
            self.sockets
                .with_label_values(&[namespace])
                .set(i64::try_from(*count).unwrap_or(i64::MAX));
        }
        self.events_in_progress
            .set(i64::try_from(state.events_in_progress).unwrap_or(i64::MAX));
        self.previews_in_progress
            .set(i64::try_from(state.previews_in_progress).unwrap_or(i64::MAX));
        let (size, idle) = state.db_connections;
        self.db_connections
            .with_label_values(&["idle"])
            .set(i64::from(idle));
        self.db_connections
            .with_label_values(&["busy"])
            .set(i64::from(size.saturating_sub(idle)));
    }

    /// Every series name a scrape may show (`tertulia_events_total`,
    /// `tertulia_event_seconds_bucket`...), whether or not it has a value yet.
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Every metric in Prometheus' text format (version 0.0.4).
    #[must_use]
    pub fn render(&self) -> String {
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::error!(%error, "encoding the metrics");
        }
        String::from_utf8(text).unwrap_or_default()
    }
}

/// The media type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What is read at scrape time (see [`Metrics::set_state`]).
#[derive(Debug, Default)]
pub struct State {
    /// Sockets per namespace.
    pub sockets: Vec<(&'static str, usize)>,
    /// Socket events being handled.
    pub events_in_progress: usize,
    /// Image previews being decoded.
    pub previews_in_progress: usize,
    /// The pool's connections: (open, idle).
    pub db_connections: (u32, u32),
}

/// A Redis connection that reports each round trip (command or pipeline) to [`Metrics`].
#[derive(Clone)]
pub struct TimedRedis<C> {
    conn: C,
    metrics: Metrics,
}

impl<C> TimedRedis<C> {
    /// `conn`, reporting to `metrics`.
    pub fn new(conn: C, metrics: Metrics) -> Self {
        Self { conn, metrics }
    }
}

impl<C: redis::aio::ConnectionLike + Send> redis::aio::ConnectionLike for TimedRedis<C> {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        Box::pin(async move {
            let started = std::time::Instant::now();
            let answer = self.conn.req_packed_command(cmd).await;
            self.metrics
                .redis_command(answer.is_ok(), started.elapsed());
            answer
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        Box::pin(async move {
            let started = std::time::Instant::now();
            let answer = self.conn.req_packed_commands(pipeline, offset, count).await;
            self.metrics
                .redis_command(answer.is_ok(), started.elapsed());
            answer
        })
    }

    fn get_db(&self) -> i64 {
        self.conn.get_db()
    }
}

/// [`store::Observer`] into [`Metrics`].
struct StoreTimings(Metrics);

impl store::Observer for StoreTimings {
    fn statement(&self, took: Duration) {
        self.0.db_statement_seconds.observe(took.as_secs_f64());
    }

    fn transaction_began(&self, waited: Duration) {
        self.0
            .db_transaction_wait_seconds
            .observe(waited.as_secs_f64());
    }

    fn batch(&self, rows: usize, took: Duration) {
        #[allow(clippy::cast_precision_loss)] // at most a few hundred rows
        self.0.db_batch_rows.observe(rows as f64);
        self.0.db_batch_seconds.observe(took.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_is_prefixed_and_names_its_node() {
        let metrics = Metrics::new("node-a");
        let (ns, event) = (protocol::events::chat::NS, protocol::events::chat::MESSAGE);
        metrics.event(ns, event, "ok", Duration::from_millis(3));
        metrics.cut(Cut::Strikes);
        let text = metrics.render();
        for line in text.lines().filter(|line| !line.starts_with('#')) {
            assert!(line.starts_with("tertulia_"), "{line}");
            assert!(line.contains(r#"node="node-a""#), "{line}");
        }
        assert!(
            text.contains(r#"tertulia_connections_cut_total{reason="strikes",node="node-a"} 1"#)
        );
        assert!(text.contains("tertulia_event_seconds_bucket"));
    }

    #[test]
    fn two_apps_keep_apart() {
        let a = Metrics::new("a");
        let b = Metrics::new("b");
        a.upload(Some(10));
        assert!(
            a.render()
                .contains(r#"tertulia_upload_bytes_total{node="a"} 10"#)
        );
        assert!(
            b.render()
                .contains(r#"tertulia_upload_bytes_total{node="b"} 0"#)
        );
    }
}
