//! Token-bucket rate limits keyed by (action, subject), all in memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Chat messages, per user.
    Message,
    /// Joins and room creations, per user.
    Join,
    /// Typing notices, per user (excess ones are dropped silently).
    Typing,
    /// Sign-in attempts (register, login, guest), per client IP.
    Auth,
    /// Chat messages, per client IP (all users behind it).
    MessageFromIp,
    /// Joins and room creations, per client IP.
    JoinFromIp,
}

/// A bucket's shape: `burst` tokens, refilled completely over `period`.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    /// Largest number of actions in a burst.
    pub burst: u32,
    /// Time to refill an empty bucket.
    pub period: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Rate limiter for every action; cheap to call on every event.
#[derive(Debug)]
pub struct RateLimiter {
    quotas: HashMap<Action, Quota>,
    buckets: Mutex<HashMap<(Action, String), Bucket>>,
}

/// Buckets kept before idle, full ones are dropped.
const PRUNE_ABOVE: usize = 10_000;

impl RateLimiter {
    /// A limiter with these quotas; actions without a quota are unlimited.
    #[must_use]
    pub fn new(quotas: impl IntoIterator<Item = (Action, Quota)>) -> Self {
        Self {
            quotas: quotas.into_iter().collect(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `subject` doing `action`; `false` means: refuse, rate limited.
    pub fn check(&self, action: Action, subject: &str) -> bool {
        self.check_at(action, subject, Instant::now())
    }

    fn check_at(&self, action: Action, subject: &str, now: Instant) -> bool {
        let Some(quota) = self.quotas.get(&action).copied() else {
            return true;
        };
        let burst = f64::from(quota.burst.max(1));
        let rate = burst / quota.period.as_secs_f64().max(0.001);
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|(a, _), b| {
                let q = self.quotas.get(a).copied().unwrap_or(quota);
                now.duration_since(b.updated) < q.period
            });
        }
        let bucket = buckets
            .entry((action, subject.to_owned()))
            .or_insert(Bucket {
                tokens: burst,
                updated: now,
            });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
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

    #[test]
    fn allows_a_burst_then_refuses_then_refills() {
        let limiter = limiter();
        let t0 = Instant::now();
        assert!((0..3).all(|_| limiter.check_at(Action::Message, "ana", t0)));
        assert!(!limiter.check_at(Action::Message, "ana", t0));
        assert!(!limiter.check_at(Action::Message, "ana", t0 + Duration::from_millis(500)));
        assert!(limiter.check_at(Action::Message, "ana", t0 + Duration::from_millis(1_000)));
        assert!(!limiter.check_at(Action::Message, "ana", t0 + Duration::from_millis(1_000)));
    }

    #[test]
    fn subjects_and_actions_are_independent() {
        let limiter = limiter();
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.check_at(Action::Message, "ana", t0);
        }
        assert!(!limiter.check_at(Action::Message, "ana", t0));
        assert!(limiter.check_at(Action::Message, "bea", t0));
        assert!(
            limiter.check_at(Action::Join, "ana", t0),
            "no quota: unlimited"
        );
    }
}
