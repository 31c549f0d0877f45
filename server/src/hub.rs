//! The shared state of the realtime side, handed to every socket handler.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use store::Store;

use crate::auth::HashGate;
use crate::config::Config;
use crate::limits::{Action, Quota, RateLimiter};
use crate::origin::Site;
use crate::presence::Presence;
use crate::socket::census::SocketCensus;
use crate::typing::TypingTracker;

/// Everything socket handlers share. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Hub(Arc<HubInner>);

/// The parts of a [`Hub`].
#[derive(Debug)]
pub struct HubInner {
    /// The database.
    pub store: Store,
    /// Settings.
    pub config: Config,
    /// This site's hosts and origins.
    pub site: Site,
    /// Who is in which room.
    pub presence: Presence,
    /// Who is typing.
    pub typing: TypingTracker,
    /// Rate limits and the per-user work budget.
    pub limits: RateLimiter,
    /// Open sockets per user and per address.
    pub sockets: SocketCensus,
    /// Password hashing, a few at a time.
    pub hashing: HashGate,
    /// When the server started.
    pub started: Instant,
    /// Occupancy broadcasters running for this hub (one, by design).
    pub occupancy_tasks: AtomicUsize,
}

impl Deref for Hub {
    type Target = HubInner;
    fn deref(&self) -> &HubInner {
        &self.0
    }
}

impl Hub {
    /// A hub over this store with these settings.
    #[must_use]
    pub fn new(store: Store, config: Config) -> Self {
        let per_minute = |burst: u32| Quota {
            burst,
            period: Duration::from_secs(60),
        };
        let per_10s = |burst: u32| Quota {
            burst,
            period: Duration::from_secs(10),
        };
        let by_address = |burst: u32| burst.saturating_mul(config.ip_quota_factor.max(1));
        let limits = RateLimiter::new([
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
            (Action::Auth, per_minute(config.auth_burst)),
            (Action::Handshake, per_minute(config.handshake_burst)),
            (
                Action::FailedConnect,
                per_minute(crate::socket::auth::FAILED_CONNECTS),
            ),
        ]);
        let site = Site::new(
            config.public_url.as_deref(),
            &config.allowed_origins,
            config.secure_cookies,
        );
        Self(Arc::new(HubInner {
            store,
            site,
            presence: Presence::default(),
            typing: TypingTracker::default(),
            limits,
            sockets: SocketCensus::default(),
            hashing: HashGate::new(usize::try_from(config.hash_concurrency).unwrap_or(2)),
            config,
            started: Instant::now(),
            occupancy_tasks: AtomicUsize::new(0),
        }))
    }
}
