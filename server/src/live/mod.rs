//! Live state: who is where (presence), who is typing, how many sockets each user and address
//! has open, when each person last acted, rate-limit buckets and cluster-wide task leases. One interface, two backends:
//! in this process's memory (a single node, the default) or in Redis (a cluster, where every
//! node must see the same state). Handlers never know which one runs.

pub mod activity;
pub mod census;
#[cfg(test)]
mod conformance;
pub mod limits;
pub mod presence;
pub mod redis;
pub mod typing;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use protocol::User;
use thiserror::Error;

use self::activity::LastActivity;
use self::census::SocketCensus;
use self::limits::{Action, Quota, RateLimiter, Subject};
use self::presence::Presence;
use self::redis::RedisLive;
use self::typing::{Place, Started, TypingTracker};
use crate::client_addr::AddrKey;
use crate::metrics::Metrics;

pub use self::census::Full;
pub use self::presence::Change;

/// The live-state store failed (Redis unreachable, say).
#[derive(Debug, Clone, Error)]
pub enum LiveError {
    /// Redis answered with an error or not at all.
    #[error("live state unavailable: {0}")]
    Redis(String),
}

/// Result of live-state operations.
pub type LiveResult<T> = Result<T, LiveError>;

/// One user leaving one room because a socket went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Departure {
    /// The user.
    pub user: i64,
    /// The room.
    pub room: i64,
    /// What it changed.
    pub change: Change,
}

/// The live state of a node. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Live(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    backend: Backend,
    quotas: HashMap<Action, Quota>,
    /// Where refusals are counted (and, in Redis, round trips timed).
    metrics: Metrics,
    /// Rate limits of this process: the only ones on a single node; in a cluster the fallback
    /// while Redis is unreachable (limits then hold per node instead of cluster-wide).
    local_limits: RateLimiter,
}

#[derive(Debug)]
enum Backend {
    Memory {
        presence: Presence,
        typing: TypingTracker,
        census: SocketCensus,
        activity: LastActivity,
    },
    Redis(RedisLive),
}

impl Live {
    /// State in this process's memory.
    #[must_use]
    pub fn memory(quotas: Vec<(Action, Quota)>, metrics: Metrics) -> Self {
        Self::with(
            Backend::Memory {
                presence: Presence::default(),
                typing: TypingTracker::default(),
                census: SocketCensus::default(),
                activity: LastActivity::default(),
            },
            quotas,
            metrics,
        )
    }

    /// State in Redis, shared with the other nodes.
    #[must_use]
    pub fn redis(backend: RedisLive, quotas: Vec<(Action, Quota)>, metrics: Metrics) -> Self {
        Self::with(Backend::Redis(backend), quotas, metrics)
    }

    fn with(backend: Backend, quotas: Vec<(Action, Quota)>, metrics: Metrics) -> Self {
        Self(Arc::new(Inner {
            backend,
            local_limits: RateLimiter::new(quotas.clone()),
            quotas: quotas.into_iter().collect(),
            metrics,
        }))
    }

    /// The metrics this node reports to.
    #[must_use]
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// Counts a refusal of `action` when `allowed` is false; returns `allowed`.
    fn counted(&self, action: Action, allowed: bool) -> bool {
        if !allowed {
            self.0.metrics.rate_limited(action.label());
        }
        allowed
    }

    /// Whether the state is shared through Redis.
    #[must_use]
    pub fn is_shared(&self) -> bool {
        matches!(self.0.backend, Backend::Redis(_))
    }

    /// The Redis backend, when there is one.
    #[must_use]
    pub fn redis_backend(&self) -> Option<&RedisLive> {
        match &self.0.backend {
            Backend::Redis(redis) => Some(redis),
            Backend::Memory { .. } => None,
        }
    }

    /// Registers a connected `/chat` socket; opening the app counts as its user acting at
    /// `at_ms` (see [`Self::touch`]).
    ///
    /// # Errors
    /// When the shared store fails.
    pub async fn connect(&self, sid: &str, user: &User, at_ms: i64) -> LiveResult<()> {
        match &self.0.backend {
            Backend::Memory {
                presence, activity, ..
            } => {
                presence.connect(sid, user);
                activity.touch(user.id, at_ms);
                Ok(())
            }
            Backend::Redis(redis) => redis.connect(sid, user, at_ms).await,
        }
    }

    /// Forgets a `/chat` socket; returns the rooms it left and what that changed. With its
    /// user's last one, their last activity goes too.
    ///
    /// # Errors
    /// When the shared store fails.
    pub async fn disconnect(&self, sid: &str) -> LiveResult<Vec<Departure>> {
        match &self.0.backend {
            Backend::Memory {
                presence, activity, ..
            } => {
                let user = presence.user_of(sid);
                let departures = presence.disconnect(sid);
                if let Some(user) = user
                    && !presence.has_sockets(user)
                {
                    activity.forget(user);
                }
                Ok(departures
                    .into_iter()
                    .filter_map(|(room, change)| {
                        Some(Departure {
                            user: user?,
                            room,
                            change,
                        })
                    })
                    .collect())
            }
            Backend::Redis(redis) => redis.disconnect(sid).await,
        }
    }

    /// Puts a socket in a room; `None` if it is unknown or already there.
    ///
    /// # Errors
    /// When the shared store fails.
    pub async fn join(&self, sid: &str, room: i64) -> LiveResult<Option<Change>> {
        match &self.0.backend {
            Backend::Memory { presence, .. } => Ok(presence.join(sid, room)),
            Backend::Redis(redis) => redis.join(sid, room).await,
        }
    }

    /// Takes a socket out of a room; `None` if it was not there.
    ///
    /// # Errors
    /// When the shared store fails.
    pub async fn leave(&self, sid: &str, room: i64) -> LiveResult<Option<Change>> {
        match &self.0.backend {
            Backend::Memory { presence, .. } => Ok(presence.leave(sid, room)),
            Backend::Redis(redis) => redis.leave(sid, room).await,
        }
    }

    /// Whether a socket has joined a room.
    ///
    /// # Errors
    /// When the shared store fails.
    pub async fn is_in(&self, sid: &str, room: i64) -> LiveResult<bool> {
        match &self.0.backend {
            Backend::Memory { presence, .. } => Ok(presence.is_in(sid, room)),
            Backend::Redis(redis) => redis.is_in(sid, room).await,
        }
    }

    /// A page of the users present in a room, by name, and how many there are in all.
    ///
    /// # Errors
    /// When the shared store fails.
    pub async fn members_page(
        &self,
        room: i64,
        offset: usize,
        limit: usize,
    ) -> LiveResult<(Vec<User>, usize)> {
        match &self.0.backend {
            Backend::Memory { presence, .. } => Ok(presence.members_page(room, offset, limit)),
            Backend::Redis(redis) => {
                let mut members = redis.members(room).await?;
                members.sort_by_cached_key(|u| (u.username.to_lowercase(), u.id));
                let total = members.len();
                Ok((
                    members.into_iter().skip(offset).take(limit).collect(),
                    total,
                ))
            }
        }
    }

    /// Users present in a room (the tests' shorthand for [`Self::counts`]).
    ///
    /// # Errors
    /// When the shared store fails.
    #[cfg(test)]
    pub async fn count(&self, room: i64) -> LiveResult<u64> {
        Ok(self.counts(&[room]).await?.get(&room).copied().unwrap_or(0))
    }

    /// Users present in each of these rooms.
    ///
    /// # Errors
    /// When the shared store fails.
    pub async fn counts(&self, rooms: &[i64]) -> LiveResult<HashMap<i64, u64>> {
        match &self.0.backend {
            Backend::Memory { presence, .. } => Ok(presence.counts(rooms)),
            Backend::Redis(redis) => redis.counts(rooms).await,
        }
    }

    /// Distinct users with a `/chat` socket, and `/chat` sockets.
    ///
    /// # Errors
    /// When the shared store fails.
    pub async fn totals(&self) -> LiveResult<(u64, u64)> {
        match &self.0.backend {
            Backend::Memory { presence, .. } => Ok(presence.totals()),
            Backend::Redis(redis) => redis.totals().await,
        }
    }

    /// Starts or renews typing at `place` (the room, or a thread of it); says where the user
    /// was typing in the room before. The caller ends it with [`Self::typing_expire`] after
    /// `ttl`; in Redis it also expires by itself then (so a node that dies leaves no one
    /// typing for ever).
    ///
    /// # Errors
    /// When the shared store fails.
    pub async fn typing_start(
        &self,
        room: i64,
        user: i64,
        place: Place,
        ttl: Duration,
    ) -> LiveResult<Started> {
        match &self.0.backend {
            Backend::Memory { typing, .. } => Ok(typing.start(room, user, place)),
            Backend::Redis(redis) => redis.typing_start(room, user, place, ttl).await,
        }
    }

    /// Ends typing if the state begun with `generation` at `place` is still the latest; true
    /// if it ended.
    ///
    /// # Errors
    /// When the shared store fails.
    pub async fn typing_expire(
        &self,
        room: i64,
        user: i64,
        generation: u64,
        place: Place,
    ) -> LiveResult<bool> {
        match &self.0.backend {
            Backend::Memory { typing, .. } => Ok(typing.expire(room, user, generation, place)),
            Backend::Redis(redis) => redis.typing_expire(room, user, generation, place).await,
        }
    }

    /// Ends typing if it is at `place`; true if it ended (typing elsewhere goes on).
    ///
    /// # Errors
    /// When the shared store fails.
    pub async fn typing_stop_at(&self, room: i64, user: i64, place: Place) -> LiveResult<bool> {
        match &self.0.backend {
            Backend::Memory { typing, .. } => Ok(typing.stop_at(room, user, place)),
            Backend::Redis(redis) => redis.typing_stop_at(room, user, place).await,
        }
    }

    /// Ends typing now: where it was, if it was active.
    ///
    /// # Errors
    /// When the shared store fails.
    pub async fn typing_stop(&self, room: i64, user: i64) -> LiveResult<Option<Place>> {
        match &self.0.backend {
            Backend::Memory { typing, .. } => Ok(typing.stop(room, user)),
            Backend::Redis(redis) => redis.typing_stop(room, user).await,
        }
    }

    /// Takes `cost` from `subject`'s bucket for `action`; `false` means: refuse.
    pub async fn check(&self, action: Action, subject: Subject, cost: u32) -> bool {
        let Some(quota) = self.0.quotas.get(&action).copied() else {
            return true;
        };
        if let Backend::Redis(redis) = &self.0.backend {
            match redis.buckets(&[(action, subject, quota)], cost).await {
                Ok(answers) => {
                    return self.counted(action, answers.first().copied().unwrap_or(true));
                }
                Err(error) => tracing::warn!(%error, "rate limits fall back to this node"),
            }
        }
        self.counted(action, self.0.local_limits.check(action, subject, cost))
    }

    /// Charges a user's action to the user and to the address they act from: both must have
    /// room and then both pay; a refused action costs nothing (a crowd behind one address
    /// cannot outspend it, nor one user with many addresses outspend their own budget, nor
    /// one refused user drain what the others behind their address share).
    pub async fn charge(&self, action: Action, user: i64, addr: AddrKey, cost: u32) -> bool {
        let mut buckets = Vec::with_capacity(2);
        if let Some(quota) = self.0.quotas.get(&action).copied() {
            buckets.push((action, Subject::User(user), quota));
        }
        if let Some(by_addr) = action.per_addr()
            && let Some(quota) = self.0.quotas.get(&by_addr).copied()
        {
            buckets.push((by_addr, Subject::Addr(addr), quota));
        }
        if buckets.is_empty() {
            return true;
        }
        if let Backend::Redis(redis) = &self.0.backend {
            match redis.buckets(&buckets, cost).await {
                Ok(answers) => return self.counted(action, answers.into_iter().all(|ok| ok)),
                Err(error) => tracing::warn!(%error, "rate limits fall back to this node"),
            }
        }
        self.counted(action, self.0.local_limits.charge(action, user, addr, cost))
    }

    /// Takes a seat in the socket census for a socket of `user` from `addr`, unless a cap is
    /// reached; the seat is given back when dropped.
    ///
    /// # Errors
    /// When the shared store fails.
    pub async fn seat(
        &self,
        user: i64,
        addr: AddrKey,
        max_user: usize,
        max_addr: usize,
    ) -> LiveResult<Result<Seat, Full>> {
        match &self.0.backend {
            Backend::Memory { census, .. } => Ok(census
                .seat(user, addr, max_user, max_addr)
                .map(|seat| Seat::Memory { _seat: seat })),
            Backend::Redis(redis) => {
                Ok(redis
                    .seat(user, addr, max_user, max_addr)
                    .await?
                    .map(|()| Seat::Redis {
                        _seat: RedisSeat {
                            redis: redis.clone(),
                            user,
                            addr,
                        },
                    }))
            }
        }
    }

    /// Which of `users` have a socket open (any namespace, any node).
    ///
    /// # Errors
    /// When the shared store fails.
    pub async fn online(&self, users: &[i64]) -> LiveResult<HashSet<i64>> {
        match &self.0.backend {
            Backend::Memory { census, .. } => Ok(census.online(users)),
            Backend::Redis(redis) => redis.online(users).await,
        }
    }

    /// `user` acted at `at_ms` (ms since the epoch); a time earlier than the one held changes
    /// nothing, whichever node reports it.
    ///
    /// # Errors
    /// [`LiveError::Redis`] when the shared state is unreachable.
    pub async fn touch(&self, user: i64, at_ms: i64) -> LiveResult<()> {
        match &self.0.backend {
            Backend::Memory { activity, .. } => {
                activity.touch(user, at_ms);
                Ok(())
            }
            Backend::Redis(redis) => redis.touch(user, at_ms).await,
        }
    }

    /// When each of `users` last acted (ms since the epoch), for those with a `/chat` socket
    /// (which records it when it connects).
    ///
    /// # Errors
    /// [`LiveError::Redis`] when the shared state is unreachable.
    pub async fn last_active(&self, users: &[i64]) -> LiveResult<HashMap<i64, i64>> {
        match &self.0.backend {
            Backend::Memory { activity, .. } => Ok(activity.last_active(users)),
            Backend::Redis(redis) => redis.last_active(users).await,
        }
    }

    /// Whether this node may run the cluster-wide task `name` for the next `ttl` (always on a
    /// single node; in a cluster, one node holds the lease and renews it).
    pub async fn lease(&self, name: &str, ttl: Duration) -> bool {
        match &self.0.backend {
            Backend::Memory { .. } => true,
            Backend::Redis(redis) => redis.lease(name, ttl).await.unwrap_or_else(|error| {
                tracing::warn!(%error, name, "could not renew a task lease");
                false
            }),
        }
    }

    /// Forgets refilled local rate-limit buckets; returns how many are kept.
    pub fn sweep_limits(&self) -> usize {
        self.0.local_limits.sweep()
    }
}

/// One socket's place in the census; dropping it frees the place.
#[derive(Debug)]
pub enum Seat {
    /// Counted in this process.
    Memory {
        /// Held for its drop, which gives the seat back.
        _seat: census::Seat,
    },
    /// Counted in Redis.
    Redis {
        /// Held for its drop, which gives the seat back.
        _seat: RedisSeat,
    },
}

/// A seat counted in Redis; dropping it decrements the counters (in a task: drops are sync).
#[derive(Debug)]
pub struct RedisSeat {
    redis: RedisLive,
    user: i64,
    addr: AddrKey,
}

impl Drop for RedisSeat {
    fn drop(&mut self) {
        let redis = self.redis.clone();
        let (user, addr) = (self.user, self.addr);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = redis.release(user, addr).await {
                    tracing::warn!(%error, "could not give a socket seat back");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::Role;

    fn user(id: i64, name: &str) -> User {
        User {
            id,
            username: name.into(),
            role: Role::Guest,
        }
    }

    #[tokio::test]
    async fn the_memory_backend_tracks_presence_and_departures() {
        let live = Live::memory(Vec::new(), Metrics::new("test"));
        live.connect("a", &user(1, "ana"), 0).await.unwrap();
        live.connect("b", &user(2, "bea"), 0).await.unwrap();
        assert!(live.join("a", 7).await.unwrap().unwrap().user_changed);
        live.join("b", 7).await.unwrap();
        assert!(live.is_in("a", 7).await.unwrap());
        assert_eq!(live.count(7).await.unwrap(), 2);
        let departures = live.disconnect("a").await.unwrap();
        assert_eq!(
            departures,
            [Departure {
                user: 1,
                room: 7,
                change: Change {
                    user_changed: true,
                    count: 1
                }
            }]
        );
        assert_eq!(live.totals().await.unwrap(), (1, 1));
        assert!(live.lease("task", Duration::from_secs(1)).await);
    }
}
