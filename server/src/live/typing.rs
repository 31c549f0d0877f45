//! Who is typing where, in memory. A typing state lasts until a timer (the chat service's,
//! after the typing TTL) ends it unless renewed; each start gets a generation so that only the
//! latest timer may end it.

use std::collections::HashMap;
use std::sync::Mutex;

/// Active typing states keyed by (room id, user id).
#[derive(Debug, Default)]
pub struct TypingTracker {
    active: Mutex<HashMap<(i64, i64), u64>>,
    next_generation: Mutex<u64>,
}

impl TypingTracker {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, i64), u64>> {
        self.active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts or renews typing; returns the new generation and whether it just started.
    pub fn start(&self, room: i64, user: i64) -> (u64, bool) {
        let generation = {
            let mut next = self
                .next_generation
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *next += 1;
            *next
        };
        let previous = self.lock().insert((room, user), generation);
        (generation, previous.is_none())
    }

    /// Ends typing if `generation` is still the latest (the timer's check); true if it ended.
    pub fn expire(&self, room: i64, user: i64, generation: u64) -> bool {
        let mut active = self.lock();
        if active.get(&(room, user)) == Some(&generation) {
            active.remove(&(room, user));
            true
        } else {
            false
        }
    }

    /// Ends typing now (stop, message sent, left); true if it was active.
    pub fn stop(&self, room: i64, user: i64) -> bool {
        self.lock().remove(&(room, user)).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_defeats_the_older_timer() {
        let typing = TypingTracker::default();
        let (first, started) = typing.start(1, 7);
        assert!(started);
        let (second, started) = typing.start(1, 7);
        assert!(!started);
        assert!(
            !typing.expire(1, 7, first),
            "an old timer must not end a renewed state"
        );
        assert!(typing.expire(1, 7, second));
        assert!(!typing.stop(1, 7));
    }

    #[test]
    fn stop_ends_it_once() {
        let typing = TypingTracker::default();
        let (generation, _) = typing.start(1, 7);
        assert!(typing.stop(1, 7));
        assert!(!typing.stop(1, 7));
        assert!(!typing.expire(1, 7, generation));
    }
}
