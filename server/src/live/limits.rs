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
    /// A user's new rooms (on top of [`Action::Join`]).
    CreateRoom,
    /// New rooms from one client address.
    CreateRoomFromAddr,
    /// A user's new direct conversations.
    NewDm,
    /// New direct conversations from one client address.
    NewDmFromAddr,
    /// Sign-in attempts (register, login, guest) from one client address.
    Auth,
    /// New Engine.IO sessions (socket handshakes) from one client address.
    Handshake,
    /// Refused namespace CONNECTs of one Engine.IO session.
    FailedConnect,
}

impl Action {
    /// The limit's name in metrics (`rate_limited_total{limit}`).
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Events => "events",
            Self::EventsFromAddr => "events_from_addr",
            Self::Message => "messages",
            Self::MessageFromAddr => "messages_from_addr",
            Self::Join => "joins",
            Self::JoinFromAddr => "joins_from_addr",
            Self::CreateRoom => "new_rooms",
            Self::CreateRoomFromAddr => "new_rooms_from_addr",
            Self::NewDm => "new_dms",
            Self::NewDmFromAddr => "new_dms_from_addr",
            Self::Auth => "sign_ins",
            Self::Handshake => "handshakes",
            Self::FailedConnect => "failed_connects",
        }
    }

    /// The per-address counterpart of a per-user action, if it has one.
    #[must_use]
    pub fn per_addr(self) -> Option<Self> {
        match self {
            Self::Events => Some(Self::EventsFromAddr),
            Self::Message => Some(Self::MessageFromAddr),
            Self::Join => Some(Self::JoinFromAddr),
            Self::CreateRoom => Some(Self::CreateRoomFromAddr),
            Self::NewDm => Some(Self::NewDmFromAddr),
            _ => None,
        }
    }
}

/// Failed CONNECTs one Engine.IO session may make per minute; the next one closes it.
pub const FAILED_CONNECTS: u32 = 3;

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

/// A bucket's shape: `burst` tokens, refilled completely over `period`. A burst of 0 allows
/// nothing.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    /// Largest cost that can be spent in a burst.
    pub burst: u32,
    /// Time to refill an empty bucket.
    pub period: Duration,
}

impl Quota {
    fn rate(self) -> f64 {
        f64::from(self.burst) / self.period.as_secs_f64().max(0.001)
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
            tokens: f64::from(quota.burst),
            updated: now,
        }
    }

    /// Refills for the time passed, then takes `cost` tokens if there are enough.
    pub fn take(&mut self, quota: Quota, cost: u32, now: Instant) -> bool {
        self.refill(quota, now);
        let enough = self.has(cost);
        if enough {
            self.spend(cost);
        }
        enough
    }

    /// Adds the tokens the time since the last update brought, up to the burst.
    fn refill(&mut self, quota: Quota, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * quota.rate()).min(f64::from(quota.burst));
        self.updated = now;
    }

    /// Whether `cost` tokens are there.
    fn has(&self, cost: u32) -> bool {
        self.tokens >= f64::from(cost)
    }

    fn spend(&mut self, cost: u32) {
        self.tokens -= f64::from(cost);
    }

    /// Whether the bucket would be full again at `now` (then it can be forgotten).
    fn refilled(&self, quota: Quota, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens + elapsed * quota.rate() >= f64::from(quota.burst)
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

    fn shard_index(&self, key: &(Action, Subject)) -> usize {
        usize::try_from(self.hasher.hash_one(key) % SHARDS as u64).unwrap_or(0)
    }

    fn shard(&self, key: &(Action, Subject)) -> &Shard {
        &self.shards[self.shard_index(key)]
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

    /// Charges a user's action to the user and to the client address they act from: both
    /// must have room, and then both pay (a crowd behind one address cannot outspend it, nor
    /// one user with many addresses outspend their own budget). A refused action costs
    /// nothing, so one user refused again and again does not drain the address everyone
    /// behind it shares.
    pub fn charge(&self, action: Action, user: i64, addr: AddrKey, cost: u32) -> bool {
        let mut buckets = Vec::with_capacity(2);
        if let Some(quota) = self.quotas.get(&action).copied() {
            buckets.push(((action, Subject::User(user)), quota));
        }
        if let Some(by_addr) = action.per_addr()
            && let Some(quota) = self.quotas.get(&by_addr).copied()
        {
            buckets.push(((by_addr, Subject::Addr(addr)), quota));
        }
        self.take_all(&buckets, cost, Instant::now())
    }

    /// Takes `cost` from every bucket if every one has it, else from none. The shards involved
    /// are locked in index order (so two callers never wait on each other in a circle) and
    /// held together, so no other caller spends in between.
    fn take_all(&self, buckets: &[((Action, Subject), Quota)], cost: u32, now: Instant) -> bool {
        let indices: Vec<usize> = buckets
            .iter()
            .map(|(key, _)| self.shard_index(key))
            .collect();
        let mut order = indices.clone();
        order.sort_unstable();
        order.dedup();
        let mut locked: Vec<(usize, std::sync::MutexGuard<'_, _>)> = order
            .into_iter()
            .map(|index| {
                let guard = self.shards[index]
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                (index, guard)
            })
            .collect();
        let mut room = true;
        for ((key, quota), index) in buckets.iter().zip(&indices) {
            let Some((_, shard)) = locked.iter_mut().find(|(i, _)| i == index) else {
                continue;
            };
            let bucket = shard
                .entry(*key)
                .or_insert_with(|| Bucket::full(*quota, now));
            bucket.refill(*quota, now);
            room &= bucket.has(cost);
        }
        if room {
            for ((key, _), index) in buckets.iter().zip(&indices) {
                if let Some((_, shard)) = locked.iter_mut().find(|(i, _)| i == index)
                    && let Some(bucket) = shard.get_mut(key)
                {
                    bucket.spend(cost);
                }
            }
        }
        room
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
    #[cfg(test)]
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

    /// Buckets examined by sweeps so far.
    #[cfg(test)]
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

    fn budgets() -> RateLimiter {
        RateLimiter::new([
            (
                Action::Events,
                Quota {
                    burst: 10,
                    period: Duration::from_secs(60),
                },
            ),
            (
                Action::EventsFromAddr,
                Quota {
                    burst: 100,
                    period: Duration::from_secs(60),
                },
            ),
        ])
    }

    fn addr(n: u32) -> AddrKey {
        let [_, _, high, low] = n.to_be_bytes();
        AddrKey::of(std::net::IpAddr::from([10, 0, high, low]))
    }

    /// A charge takes from the user's bucket and from their address's: 20,000 users from
    /// 20,000 addresses keep 40,000 buckets, and each subject keeps its own budget.
    #[test]
    fn a_charge_counts_against_the_user_and_the_address() {
        let limiter = budgets();
        for id in 0..20_000_u32 {
            assert!(limiter.charge(Action::Events, i64::from(id), addr(id), 1));
        }
        assert_eq!(limiter.len(), 40_000, "a bucket per user and per address");
        assert_eq!(limiter.swept(), 0, "no charge walked the buckets");
        let busy = AddrKey::of(std::net::IpAddr::from([192, 0, 2, 1]));
        for _ in 0..10 {
            assert!(limiter.charge(Action::Events, 99_999, busy, 1));
        }
        assert!(
            !limiter.charge(Action::Events, 99_999, busy, 1),
            "the user's budget is spent"
        );
        assert!(
            limiter.charge(Action::Events, 99_998, busy, 1),
            "another user behind the same address still has theirs"
        );
        assert!(limiter.check(Action::Events, Subject::User(99_997), 1));
    }

    /// Users behind one address share the address's budget (ten times a user's here).
    #[test]
    fn users_behind_one_address_share_its_budget() {
        let limiter = budgets();
        let shared = addr(7);
        for id in 0..10 {
            for _ in 0..10 {
                assert!(limiter.charge(Action::Events, id, shared, 1));
            }
        }
        assert!(
            !limiter.charge(Action::Events, 10, shared, 1),
            "a fresh user is refused: the address has spent its 100"
        );
    }
}
