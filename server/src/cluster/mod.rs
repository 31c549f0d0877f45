//! Running as one node of several: the Redis connections, this node's heartbeat, cleaning up
//! after nodes that died without saying goodbye, and resynchronising clients after Redis
//! trouble. On a single node (no `REDIS_URL`) none of this runs and the live state stays in
//! memory.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use redis::aio::ConnectionManager;

use crate::config::Config;
use crate::fanout::driver::{Driver, Health, RedisPubSub};
use crate::fanout::{Fanout, broadcast};
use crate::hub::quotas;
use crate::live::Live;
use crate::live::redis::{Reaped, RedisLive};
use crate::metrics::Metrics;
use crate::services::Services;

/// How often a node says it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(2);

/// A node silent this long is dead: another node removes what it left (its sockets' presence,
/// its share of the socket counts) and tells the rooms. With the heartbeat period this cleans
/// up within 15 s of the death.
pub const DEAD_AFTER: Duration = Duration::from_secs(10);

/// How far before a dead node's last heartbeat clients re-read messages: a message it stored
/// shortly before may still have been on its way to Redis.
const RESYNC_MARGIN: Duration = Duration::from_secs(10);

/// What a node needs to share its live state: the socket adapter's driver, the live state,
/// and (in a cluster) the Redis link's health.
pub struct Setup {
    /// Pub/sub under the socket adapter.
    pub driver: Driver,
    /// Live state (memory or Redis).
    pub live: Live,
    /// The Redis link's health, in a cluster.
    pub health: Option<Arc<Health>>,
    /// This node's id.
    pub node: String,
}

/// This node's id: `TERTULIA_NODE_ID`, or a random one.
#[must_use]
pub fn node_id(config: &Config) -> String {
    config
        .node_id
        .clone()
        .unwrap_or_else(|| format!("{:012x}", rand::random::<u64>() >> 16))
}

/// Connects to Redis when `REDIS_URL` is set; otherwise a single node in memory.
///
/// # Errors
/// When Redis cannot be reached or is older than 7 (its RESP3 push messages are needed).
pub async fn setup(config: &Config, node: String, metrics: &Metrics) -> anyhow::Result<Setup> {
    let Some(url) = &config.redis_url else {
        return Ok(Setup {
            driver: Driver::Alone,
            live: Live::memory(quotas(config), metrics.clone()),
            health: None,
            node,
        });
    };
    let client = redis::Client::open(resp3(url)).with_context(|| {
        format!(
            "REDIS_URL `{}` is not a Redis URL",
            crate::config::redact(url)
        )
    })?;
    let health = Arc::new(Health::default());
    let pubsub = RedisPubSub::connect(client.clone(), health.clone(), metrics.clone())
        .await
        .with_context(|| format!("connecting to Redis at {}", crate::config::redact(url)))?;
    let commands = ConnectionManager::new(client)
        .await
        .with_context(|| format!("connecting to Redis at {}", crate::config::redact(url)))?;
    check_version(commands.clone()).await?;
    let backend = RedisLive::new(
        commands,
        config.redis_prefix.clone(),
        node.clone(),
        metrics.clone(),
    );
    backend.ping().await.context("Redis does not answer")?;
    // Registered before serving: a node that dies right after its first client connected is
    // still known, so the others clean up after it.
    backend
        .heartbeat(DEAD_AFTER)
        .await
        .context("registering this node in Redis")?;
    tracing::info!(
        node,
        "cluster node: live state and broadcasts through Redis"
    );
    Ok(Setup {
        driver: Driver::Redis(pubsub),
        live: Live::redis(backend, quotas(config), metrics.clone()),
        health: Some(health),
        node,
    })
}

/// The URL with `protocol=resp3` (the push messages pub/sub needs).
fn resp3(url: &str) -> String {
    if url.contains("protocol=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&protocol=resp3")
    } else {
        format!("{url}?protocol=resp3")
    }
}

async fn check_version(mut conn: ConnectionManager) -> anyhow::Result<()> {
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut conn)
        .await
        .context("asking Redis its version")?;
    let version = info
        .lines()
        .find_map(|line| line.strip_prefix("redis_version:"))
        .unwrap_or("0");
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.trim().parse().ok())
        .unwrap_or(0);
    anyhow::ensure!(
        major >= 7,
        "Redis {version} is too old: Tertulia needs Redis 7 or newer (RESP3)"
    );
    Ok(())
}

/// The cluster watch: heartbeat, cleanup after dead nodes, and after Redis trouble (a
/// dropped link, a restart that lost the live state, or a broadcast that could not be handed
/// over) every local client is made to reconnect, which rebuilds its state and catches up on
/// what it missed. No message is lost silently.
pub fn spawn_watch(services: Services, health: Arc<Health>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let Some(redis) = services.hub.live.redis_backend().cloned() else {
            return;
        };
        let mut ticker = tokio::time::interval(HEARTBEAT);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut reachable = true;
        loop {
            ticker.tick().await;
            let started = std::time::Instant::now();
            let beat = redis.heartbeat(DEAD_AFTER).await;
            match beat {
                Ok((alive, dead)) => {
                    services
                        .hub
                        .metrics()
                        .cluster_nodes
                        .set(i64::try_from(alive).unwrap_or(i64::MAX));
                    if health.take_trouble() || !reachable {
                        tracing::warn!("Redis is back: clients reconnect to rebuild live state");
                        resync_local_clients(&services.fanout);
                    }
                    reachable = true;
                    for node in dead {
                        reap(&services, &redis, &node).await;
                    }
                }
                Err(error) => {
                    if reachable {
                        tracing::error!(%error, "Redis unreachable");
                    }
                    reachable = false;
                }
            }
            services
                .hub
                .metrics()
                .task("cluster_watch", started.elapsed());
        }
    })
}

/// Removes what a dead node left, tells the rooms who is gone, and has every client catch up
/// on messages the node may have stored without broadcasting them.
async fn reap(services: &Services, redis: &RedisLive, node: &str) {
    match redis.reap(node).await {
        Ok(Some(Reaped {
            last_seen_ms,
            departures,
        })) => {
            tracing::warn!(
                node,
                departures = departures.len(),
                "cleaned up after a dead node"
            );
            services.chat.announce_departures(departures, None).await;
            // The dead node may have stored messages it never got to broadcast: every client
            // re-reads from a little before its last sign of life (its own clients did
            // already, reconnecting elsewhere).
            if let Some(chat) = services.fanout.chat() {
                let since = last_seen_ms - RESYNC_MARGIN.as_millis() as i64;
                broadcast(chat, &protocol::Resync { since }).await;
            }
        }
        Ok(None) => {} // another node cleaned up first
        Err(error) => tracing::warn!(%error, node, "cleaning up after a dead node"),
    }
}

/// Closes the connection of every socket on this node; clients reconnect (to any node) and
/// catch up with `history {after}`.
pub fn resync_local_clients(fanout: &Fanout) {
    let Some(io) = fanout.io() else { return };
    for ns in io.nsps() {
        for socket in ns.local().sockets() {
            socket.close_transport();
        }
    }
}
