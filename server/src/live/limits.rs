//! Token-bucket rate limits keyed by (action, subject), in memory.
//!
//! The buckets live in a fixed number of independently locked shards, so a check locks one
//! small map for a few instructions and never walks the others. Idle buckets are dropped by
//! [`RateLimiter::sweep`], which a background task calls (a missing bucket is a full one, so
//! dropping a bucket that has refilled changes nothing).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::client_addr::AddrKey;

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A user's work budget, drawn on by every socket event and API call (cost per event).
    Events,
    /// The work budget of one client address (all users behind it).
    EventsFromAddr,
    /// A user's chat messages.
    Message,
    /// Chat messages from one client address.
    MessageFromAddr,
    /// A user's room joins and creations, invites and DMs.
    Join,
    /// Joins and creations from one client address.
    JoinFromAddr,
    /// Sign-in attempts (register, login, guest) from one client address.
    Auth,
    /// New Engine.IO sessions (socket handshakes) from one client address.
    Handshake,
    /// Refused namespace CONNECTs of one Engine.IO session.
    FailedConnect,
}

impl Action {
    /// The per-address counterpart of a per-user action, if it has one.
    #[must_use]
    pub fn from_addr(self) -> Option<Self> {
        match self {
            Self::Events => Some(Self::EventsFromAddr),
            Self::Message => Some(Self::MessageFromAddr),
            Self::Join => Some(Self::JoinFromAddr),
            _ => None,
        }
    }
}

/// Who is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A user (all their tabs and devices).
    User(i64),
    /// A client address (all users behind it).
    Addr(AddrKey),
    /// One Engine.IO session.
    Session(socketioxide::socket::Sid),
}

/// A bucket's shape: `burst` tokens, refilled completely over `period`.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    /// Largest cost that can be spent in a burst.
    pub burst: u32,
    /// Time to refill an empty bucket.
    pub period: Duration,
}

impl Quota {
    fn rate(self) -> f64 {
        f64::from(self.burst.max(1)) / self.period.as_secs_f64().max(0.001)
    }
}

/// One token bucket.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    /// A full bucket.
    #[must_use]
    pub fn full(quota: Quota, now: Instant) -> Self {
        Self {
            tokens: f64::from(quota.burst.max(1)),
            updated: now,
        }
    }

    /// Refills for the time passed, then takes `cost` tokens if there are enough.
    pub fn take(&mut self, quota: Quota, cost: u32, now: Instant) -> bool {
        let burst = f64::from(quota.burst.max(1));
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * quota.rate()).min(burst);
        self.updated = now;
        let cost = f64::from(cost);
        if self.tokens >= cost {
            self.tokens -= cost;
            true
        } else {
            false
        }
    }

    /// Whether the bucket would be full again at `now` (then it can be forgotten).
    fn refilled(&self, quota: Quota, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens + elapsed * quota.rate() >= f64::from(quota.burst.max(1))
    }
}

const SHARDS: usize = 32;

type Shard = Mutex<HashMap<(Action, Subject), Bucket>>;

/// Rate limiter for every action; cheap to call on every event.
#[derive(Debug)]
pub struct RateLimiter {
    quotas: HashMap<Action, Quota>,
    shards: Box<[Shard]>,
    hasher: std::collections::hash_map::RandomState,
    /// Buckets examined by [`Self::sweep`] so far (the hot path never examines others).
    swept: AtomicU64,
}

impl RateLimiter {
    /// A limiter with these quotas; actions without a quota are unlimited.
    #[must_use]
    pub fn new(quotas: impl IntoIterator<Item = (Action, Quota)>) -> Self {
        Self {
            quotas: quotas.into_iter().collect(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
            swept: AtomicU64::new(0),
        }
    }

    fn shard(&self, key: &(Action, Subject)) -> &Shard {
        let index = usize::try_from(self.hasher.hash_one(key) % SHARDS as u64).unwrap_or(0);
        &self.shards[index]
    }

    /// Takes `cost` tokens from `subject`'s bucket for `action`; `false` means: refuse.
    pub fn check(&self, action: Action, subject: Subject, cost: u32) -> bool {
        self.check_at(action, subject, cost, Instant::now())
    }

    fn check_at(&self, action: Action, subject: Subject, cost: u32, now: Instant) -> bool {
        let Some(quota) = self.quotas.get(&action).copied() else {
            return true;
        };
        let key = (action, subject);
        let mut shard = self
            .shard(&key)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        shard
            .entry(key)
            .or_insert_with(|| Bucket::full(quota, now))
            .take(quota, cost, now)
    }

    /// Charges a user's action to the user and to the client address they act from (both
    /// must have room: a crowd behind one address cannot outspend it, nor one user with many
    /// addresses outspend their own budget).
    pub fn charge(&self, action: Action, user: i64, addr: AddrKey, cost: u32) -> bool {
        let by_user = self.check(action, Subject::User(user), cost);
        let by_addr = action
            .from_addr()
            .is_none_or(|addr_action| self.check(addr_action, Subject::Addr(addr), cost));
        by_user && by_addr
    }

    /// Forgets buckets that have refilled, one shard at a time; returns how many are kept.
    pub fn sweep(&self) -> usize {
        self.sweep_at(Instant::now())
    }

    fn sweep_at(&self, now: Instant) -> usize {
        let mut kept = 0;
        for shard in &*self.shards {
            let mut shard = shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            self.swept.fetch_add(shard.len() as u64, Ordering::Relaxed);
            shard.retain(|(action, _), bucket| {
                self.quotas
                    .get(action)
                    .is_some_and(|quota| !bucket.refilled(*quota, now))
            });
            kept += shard.len();
        }
        kept
    }

    /// Buckets currently kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                shard
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .len()
            })
            .sum()
    }

    /// Whether no bucket is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Buckets examined by sweeps so far.
    #[must_use]
    pub fn swept(&self) -> u64 {
        self.swept.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> RateLimiter {
        RateLimiter::new([(
            Action::Message,
            Quota {
                burst: 3,
                period: Duration::from_secs(3),
            },
        )])
    }

    const ANA: Subject = Subject::User(1);
    const BEA: Subject = Subject::User(2);

    #[test]
    fn allows_a_burst_then_refuses_then_refills() {
        let limiter = limiter();
        let t0 = Instant::now();
        assert!((0..3).all(|_| limiter.check_at(Action::Message, ANA, 1, t0)));
        assert!(!limiter.check_at(Action::Message, ANA, 1, t0));
        assert!(!limiter.check_at(Action::Message, ANA, 1, t0 + Duration::from_millis(500)));
        assert!(limiter.check_at(Action::Message, ANA, 1, t0 + Duration::from_millis(1_000)));
        assert!(!limiter.check_at(Action::Message, ANA, 1, t0 + Duration::from_millis(1_000)));
    }

    #[test]
    fn heavier_events_cost_more() {
        let limiter = limiter();
        let t0 = Instant::now();
        assert!(limiter.check_at(Action::Message, ANA, 2, t0));
        assert!(!limiter.check_at(Action::Message, ANA, 2, t0));
        assert!(limiter.check_at(Action::Message, ANA, 1, t0));
    }

    #[test]
    fn subjects_and_actions_are_independent() {
        let limiter = limiter();
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.check_at(Action::Message, ANA, 1, t0);
        }
        assert!(!limiter.check_at(Action::Message, ANA, 1, t0));
        assert!(limiter.check_at(Action::Message, BEA, 1, t0));
        assert!(
            limiter.check_at(Action::Join, ANA, 1, t0),
            "no quota: unlimited"
        );
    }

    #[test]
    fn sweeping_forgets_refilled_buckets_only() {
        let limiter = limiter();
        let t0 = Instant::now();
        limiter.check_at(Action::Message, ANA, 3, t0);
        limiter.check_at(Action::Message, BEA, 1, t0);
        assert_eq!(limiter.sweep_at(t0 + Duration::from_millis(1_500)), 1);
        assert!(!limiter.check_at(Action::Message, ANA, 3, t0 + Duration::from_millis(1_500)));
        assert_eq!(limiter.sweep_at(t0 + Duration::from_secs(10)), 0);
    }

    /// 20,000 subjects, then 1,000 checks: the checks never walk the map (only sweeps do),
    /// and the map keeps one bucket per subject until swept.
    #[test]
    fn many_subjects_do_not_slow_checks_down() {
        let limiter = limiter();
        let t0 = Instant::now();
        for id in 0..20_000 {
            assert!(limiter.check_at(Action::Message, Subject::User(id), 1, t0));
        }
        assert_eq!(limiter.len(), 20_000);
        let started = Instant::now();
        for id in 0..1_000 {
            limiter.check_at(Action::Message, Subject::User(id * 7), 1, t0);
        }
        let elapsed = started.elapsed();
        assert_eq!(limiter.swept(), 0, "no check examined other buckets");
        println!("1,000 checks among 20,000 subjects took {elapsed:?}");
        assert_eq!(limiter.sweep_at(t0 + Duration::from_secs(60)), 0);
        assert_eq!(limiter.swept(), 20_000);
    }
}
