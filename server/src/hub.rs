//! The shared state of the realtime side, handed to every socket handler.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use store::Store;

use crate::config::Config;
use crate::limits::{Action, Quota, RateLimiter};
use crate::presence::Presence;
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
    /// Who is in which room.
    pub presence: Presence,
    /// Who is typing.
    pub typing: TypingTracker,
    /// Rate limits.
    pub limits: RateLimiter,
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
        let limits = RateLimiter::new([
            (
                Action::Message,
                Quota {
                    burst: config.message_burst,
                    period: Duration::from_secs(10),
                },
            ),
            (
                Action::Join,
                Quota {
                    burst: config.join_burst,
                    period: Duration::from_secs(60),
                },
            ),
            (
                Action::MessageFromIp,
                Quota {
                    burst: config.message_burst.saturating_mul(config.ip_quota_factor),
                    period: Duration::from_secs(10),
                },
            ),
            (
                Action::JoinFromIp,
                Quota {
                    burst: config.join_burst.saturating_mul(config.ip_quota_factor),
                    period: Duration::from_secs(60),
                },
            ),
            (
                Action::Typing,
                Quota {
                    burst: 20,
                    period: Duration::from_secs(10),
                },
            ),
            (
                Action::Auth,
                Quota {
                    burst: config.auth_burst,
                    period: Duration::from_secs(60),
                },
            ),
        ]);
        Self(Arc::new(HubInner {
            store,
            config,
            presence: Presence::default(),
            typing: TypingTracker::default(),
            limits,
            started: Instant::now(),
            occupancy_tasks: AtomicUsize::new(0),
        }))
    }
}
