//! The pub/sub driver under socketioxide's Redis adapter: Redis (through a reconnecting
//! `ConnectionManager` that resubscribes by itself), or nothing at all for a single node.
//!
//! Every namespace always uses the Redis adapter type, so the socket code has one adapter type
//! whatever the deployment; on a single node the driver is [`Driver::Alone`]: it publishes
//! nothing, reports one server, and broadcasts are marked local so nothing is serialised for
//! other nodes (see [`super::Fanout::ns`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, FromRedisValue, PushInfo, PushKind};
use socketioxide_redis::drivers::{ChanItem, Driver as DriverTrait, MessageStream};
use tokio::sync::mpsc;

use crate::metrics::{Metrics, TimedRedis};

/// Messages of one channel waiting for the adapter. Past it, the node has lost a broadcast:
/// it is marked [`Health::lost_messages`] and its clients are made to resynchronise.
const CHANNEL_BUFFER: usize = 65_536;

type Handlers = Arc<RwLock<HashMap<String, mpsc::Sender<ChanItem>>>>;

/// What the driver noticed about its link to Redis (read and reset by the cluster task).
#[derive(Debug, Default)]
pub struct Health {
    /// The connection to Redis dropped at least once.
    disconnected: AtomicBool,
    /// A message from Redis could not be handed to the adapter.
    lost_messages: AtomicBool,
}

impl Health {
    /// Whether the link dropped or a message was lost since the last call (and resets both).
    pub fn take_trouble(&self) -> bool {
        let dropped = self.disconnected.swap(false, Ordering::AcqRel);
        let lost = self.lost_messages.swap(false, Ordering::AcqRel);
        dropped || lost
    }
}

/// The pub/sub driver: Redis, or none (a single node).
#[derive(Clone)]
pub enum Driver {
    /// One node: nothing to tell anyone.
    Alone,
    /// Several nodes over Redis.
    Redis(RedisPubSub),
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Alone => f.write_str("Driver::Alone"),
            Self::Redis(_) => f.write_str("Driver::Redis"),
        }
    }
}

/// The Redis side of [`Driver`].
#[derive(Clone)]
pub struct RedisPubSub {
    conn: ConnectionManager,
    /// The same connection, timing the round trips of commands (not of subscriptions).
    timed: TimedRedis<ConnectionManager>,
    handlers: Handlers,
}

impl RedisPubSub {
    /// Connects (RESP3, for pushed messages) and keeps reconnecting and resubscribing.
    ///
    /// # Errors
    /// When Redis cannot be reached at start-up.
    pub async fn connect(
        client: redis::Client,
        health: Arc<Health>,
        metrics: Metrics,
    ) -> redis::RedisResult<Self> {
        let handlers: Handlers = Arc::default();
        let sink = handlers.clone();
        let watcher = health.clone();
        let counter = metrics.clone();
        let config = ConnectionManagerConfig::new()
            .set_automatic_resubscription()
            .set_number_of_retries(3)
            .set_max_delay(std::time::Duration::from_secs(2))
            .set_push_sender(move |push: PushInfo| {
                deliver(push, &sink, &watcher, &counter);
                Ok::<(), redis::aio::SendError>(())
            });
        let conn = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self {
            timed: TimedRedis::new(conn.clone(), metrics),
            conn,
            handlers,
        })
    }
}

/// Hands a pushed message to the adapter's stream for its channel.
fn deliver(push: PushInfo, handlers: &Handlers, health: &Health, metrics: &Metrics) {
    match push.kind {
        PushKind::Disconnection => {
            tracing::warn!("lost the connection to Redis; reconnecting");
            metrics.redis_reconnects.inc();
            health.disconnected.store(true, Ordering::Release);
        }
        PushKind::Message | PushKind::SMessage if push.data.len() >= 2 => {
            let mut data = push.data.into_iter();
            let (Some(chan), Some(message)) = (data.next(), data.next()) else {
                return;
            };
            let (Ok(chan), Ok(message)) = (
                String::from_redis_value(chan),
                Vec::<u8>::from_redis_value(message),
            ) else {
                return;
            };
            let sender = handlers
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&chan)
                .cloned();
            if let Some(sender) = sender
                && sender.try_send((chan, message)).is_err()
            {
                tracing::error!(
                    "a message from Redis could not be handed over; clients will resync"
                );
                health.lost_messages.store(true, Ordering::Release);
            }
        }
        _ => {}
    }
}

/// An error of the Redis driver.
#[derive(Debug)]
pub struct DriverError(redis::RedisError);

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for DriverError {}

impl From<redis::RedisError> for DriverError {
    fn from(error: redis::RedisError) -> Self {
        Self(error)
    }
}

impl DriverTrait for Driver {
    type Error = DriverError;

    async fn publish(&self, chan: String, val: Vec<u8>) -> Result<(), Self::Error> {
        match self {
            Self::Alone => Ok(()),
            Self::Redis(redis) => {
                redis
                    .timed
                    .clone()
                    .publish::<_, _, redis::Value>(chan, val)
                    .await?;
                Ok(())
            }
        }
    }

    async fn subscribe(
        &self,
        chan: String,
        _size: usize,
    ) -> Result<MessageStream<ChanItem>, Self::Error> {
        match self {
            Self::Alone => Ok(MessageStream::new_empty()),
            Self::Redis(redis) => {
                let (tx, rx) = mpsc::channel(CHANNEL_BUFFER);
                redis
                    .handlers
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(chan.clone(), tx);
                redis.conn.clone().subscribe(chan.as_str()).await?;
                Ok(MessageStream::new(rx))
            }
        }
    }

    async fn unsubscribe(&self, chan: String) -> Result<(), Self::Error> {
        match self {
            Self::Alone => Ok(()),
            Self::Redis(redis) => {
                redis
                    .handlers
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .remove(&chan);
                redis.conn.clone().unsubscribe(chan).await?;
                Ok(())
            }
        }
    }

    async fn num_serv(&self, chan: &str) -> Result<u16, Self::Error> {
        match self {
            Self::Alone => Ok(1),
            Self::Redis(redis) => {
                let (_, count): (String, u16) = redis::cmd("PUBSUB")
                    .arg("NUMSUB")
                    .arg(chan)
                    .query_async(&mut redis.timed.clone())
                    .await?;
                Ok(count)
            }
        }
    }
}
