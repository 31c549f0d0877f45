//! The hub: the resources every service shares (database, settings, live state, files,
//! password hashing), built once per process. Services reach them as `hub.store`,
//! `hub.config`, ...; the hub itself does no work.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::time::{Duration, Instant};

use store::Store;

use crate::auth::HashGate;
use crate::config::Config;
use crate::files::FileStore;
use crate::live::Live;
use crate::live::limits::{Action, Quota};
use crate::metrics::Metrics;
use crate::origin::Site;

/// The shared resources. Cloning it costs one reference count.
#[derive(Debug, Clone)]
pub struct Hub(Arc<Shared>);

/// What a [`Hub`] shares.
#[derive(Debug)]
pub struct Shared {
    /// The database.
    pub store: Store,
    /// Settings.
    pub config: Arc<Config>,
    /// This site's hosts and origins.
    pub site: Arc<Site>,
    /// Presence, typing, socket counts, rate limits, leases: in memory or in Redis.
    pub live: Live,
    /// Password hashing, a few at a time.
    pub hashing: Arc<HashGate>,
    /// When the server started.
    pub started: Instant,
    /// What this node is busy with.
    pub activity: Arc<Activity>,
    /// The bytes of uploaded files.
    pub files: FileStore,
    /// Image previews made at once (decoding is CPU- and memory-heavy).
    pub previews: Arc<tokio::sync::Semaphore>,
    /// Image decodes running now (each holds one of `previews`' turns until it ends).
    pub decoding: Arc<AtomicUsize>,
    /// Room records by name for the message path.
    pub rooms: Arc<crate::room_cache::RoomCache>,
    /// Searches running at once ([`SEARCHES_AT_ONCE`]): a burst of them cannot take the
    /// database's connections from message writes.
    pub searches: Arc<tokio::sync::Semaphore>,
    /// Exports of a person's data being made (one at a time: each reads all their messages).
    pub exports: Arc<tokio::sync::Semaphore>,
    /// The last readiness check and when it was made (see [`Hub::readiness`]).
    readiness: tokio::sync::Mutex<Option<(Instant, Readiness)>>,
}

/// Whether this node can serve: what `/readyz` and `/api/health` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    /// The database answered in time.
    pub database: bool,
    /// Redis answered in time (`None`: this node runs alone, without Redis).
    pub redis: Option<bool>,
    /// The node is shutting down.
    pub draining: bool,
}

impl Readiness {
    /// Whether the node serves.
    #[must_use]
    pub fn ready(self) -> bool {
        self.database && self.redis != Some(false) && !self.draining
    }
}

/// Searches a node runs at once; more wait (see `chat`'s search).
pub const SEARCHES_AT_ONCE: usize = 2;

/// How long the database and Redis may take to answer a readiness check.
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a readiness check's answer is reused: probes, however many, cost the database and
/// Redis at most one round trip each per second.
const READINESS_REUSED: Duration = Duration::from_secs(1);

impl Deref for Hub {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What a node is busy with (a draining node waits for it).
#[derive(Debug, Default)]
pub struct Activity {
    /// Socket events being handled right now (a draining node waits for them).
    pub in_flight: AtomicUsize,
    /// Set once the node has begun shutting down.
    pub draining: AtomicBool,
}

/// The rate-limit quotas the settings ask for.
#[must_use]
pub fn quotas(config: &Config) -> Vec<(Action, Quota)> {
    let per_minute = |burst: u32| Quota {
        burst,
        period: Duration::from_secs(60),
    };
    let per_10s = |burst: u32| Quota {
        burst,
        period: Duration::from_secs(10),
    };
    let by_address = |burst: u32| burst.saturating_mul(config.ip_quota_factor.max(1));
    vec![
        (Action::Events, per_minute(config.event_budget)),
        (
            Action::EventsFromAddr,
            per_minute(by_address(config.event_budget)),
        ),
        (Action::Message, per_10s(config.message_burst)),
        (
            Action::MessageFromAddr,
            per_10s(by_address(config.message_burst)),
        ),
        (Action::Join, per_minute(config.join_burst)),
        (
            Action::JoinFromAddr,
            per_minute(by_address(config.join_burst)),
        ),
        (
            Action::CreateRoom,
            Quota {
                burst: config.room_create_burst,
                period: Duration::from_secs(3600),
            },
        ),
        (
            Action::CreateRoomFromAddr,
            Quota {
                burst: by_address(config.room_create_burst),
                period: Duration::from_secs(3600),
            },
        ),
        (
            Action::NewDm,
            Quota {
                burst: config.dm_burst,
                period: Duration::from_secs(24 * 3600),
            },
        ),
        (
            Action::NewDmFromAddr,
            Quota {
                burst: by_address(config.dm_burst),
                period: Duration::from_secs(24 * 3600),
            },
        ),
        (Action::Auth, per_minute(config.auth_burst)),
        (Action::Handshake, per_minute(config.handshake_burst)),
        (
            Action::FailedConnect,
            per_minute(crate::live::limits::FAILED_CONNECTS),
        ),
    ]
}

#[cfg(test)]
impl Hub {
    /// A handle that does not keep the hub alive (to check it is freed).
    pub(crate) fn downgrade(&self) -> std::sync::Weak<Shared> {
        Arc::downgrade(&self.0)
    }
}

impl Hub {
    /// What making a picture of an image needs (see [`crate::files::preview::Turns`]), taking
    /// its turn among `turns`: [`Hub::previews`] for uploads and profile pictures, the link
    /// previews' own for their images.
    #[must_use]
    pub fn picture_turns<'a>(
        &'a self,
        turns: &'a Arc<tokio::sync::Semaphore>,
    ) -> crate::files::preview::Turns<'a> {
        crate::files::preview::Turns {
            files: &self.files,
            turns,
            decoding: &self.decoding,
            budget: self.config.preview_memory,
        }
    }

    /// A hub over this store and live state with these settings.
    #[must_use]
    pub fn new(store: Store, config: Config, live: Live) -> Self {
        store.observe(live.metrics().store_observer());
        let site = Site::new(
            config.public_url.as_deref(),
            &config.allowed_origins,
            config.secure_cookies,
        );
        Self(Arc::new(Shared {
            store,
            site: Arc::new(site),
            live,
            hashing: Arc::new(HashGate::new(
                usize::try_from(config.hash_concurrency).unwrap_or(2),
            )),
            files: FileStore::new(&config.files_dir),
            config: Arc::new(config),
            started: Instant::now(),
            activity: Arc::default(),
            previews: Arc::new(tokio::sync::Semaphore::new(crate::files::preview::AT_ONCE)),
            decoding: Arc::default(),
            rooms: Arc::default(),
            searches: Arc::new(tokio::sync::Semaphore::new(SEARCHES_AT_ONCE)),
            exports: Arc::new(tokio::sync::Semaphore::new(1)),
            readiness: tokio::sync::Mutex::new(None),
        }))
    }

    /// This node's metrics.
    #[must_use]
    pub fn metrics(&self) -> &Metrics {
        self.live.metrics()
    }

    /// Whether this node can serve now: its database and (in a cluster) Redis answer within
    /// 2 s and it is not shutting down. Checks made within a second of each other share one
    /// round trip (callers meanwhile wait for it).
    pub async fn readiness(&self) -> Readiness {
        let draining = self
            .activity
            .draining
            .load(std::sync::atomic::Ordering::Acquire);
        let mut last = self.readiness.lock().await;
        if let Some((at, checked)) = *last
            && at.elapsed() < READINESS_REUSED
        {
            return Readiness {
                draining,
                ..checked
            };
        }
        let database = async {
            tokio::time::timeout(READINESS_TIMEOUT, self.store.ping())
                .await
                .is_ok_and(|answer| answer.is_ok())
        };
        let redis = async {
            match self.live.redis_backend() {
                Some(redis) => Some(
                    tokio::time::timeout(READINESS_TIMEOUT, redis.ping())
                        .await
                        .is_ok_and(|answer| answer.is_ok()),
                ),
                None => None,
            }
        };
        let (database, redis) = tokio::join!(database, redis);
        let checked = Readiness {
            database,
            redis,
            draining,
        };
        *last = Some((Instant::now(), checked));
        checked
    }
}
