//! Who is typing where, in memory. A typing state lasts until a timer (the chat service's,
//! after the typing TTL) ends it unless renewed; each start gets a generation so that only the
//! latest timer may end it. A person types in one place of a room at a time: the room itself,
//! or the thread of one root (v1.27).

use std::collections::HashMap;
use std::sync::Mutex;

/// Where someone types in a room: the room itself (`None`) or the thread of a root.
pub type Place = Option<i64>;

/// A typing state begun or renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started {
    /// Its generation, for the timer that ends it.
    pub generation: u64,
    /// Where the person was typing in the room just before (`None`: nowhere, it just began).
    pub was: Option<Place>,
}

/// Active typing states keyed by (room id, user id): their generation and place.
#[derive(Debug, Default)]
pub struct TypingTracker {
    active: Mutex<HashMap<(i64, i64), (u64, Place)>>,
    next_generation: Mutex<u64>,
}

impl TypingTracker {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, i64), (u64, Place)>> {
        self.active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts or renews typing at `place`.
    pub fn start(&self, room: i64, user: i64, place: Place) -> Started {
        let generation = {
            let mut next = self
                .next_generation
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *next += 1;
            *next
        };
        let was = self
            .lock()
            .insert((room, user), (generation, place))
            .map(|(_, place)| place);
        Started { generation, was }
    }

    /// Ends typing if the state begun with `generation` at `place` is still the latest (the
    /// timer's check); true if it ended.
    pub fn expire(&self, room: i64, user: i64, generation: u64, place: Place) -> bool {
        let mut active = self.lock();
        if active.get(&(room, user)) == Some(&(generation, place)) {
            active.remove(&(room, user));
            true
        } else {
            false
        }
    }

    /// Ends typing now (message sent, left): where it was, if it was active.
    pub fn stop(&self, room: i64, user: i64) -> Option<Place> {
        self.lock().remove(&(room, user)).map(|(_, place)| place)
    }

    /// Ends typing if it is at `place` (the typist said they stopped there); true if it
    /// ended. Typing that moved elsewhere meanwhile goes on.
    pub fn stop_at(&self, room: i64, user: i64, place: Place) -> bool {
        let mut active = self.lock();
        if active.get(&(room, user)).map(|(_, at)| *at) == Some(place) {
            active.remove(&(room, user));
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_defeats_the_older_timer() {
        let typing = TypingTracker::default();
        let first = typing.start(1, 7, None);
        assert_eq!(first.was, None);
        let second = typing.start(1, 7, None);
        assert_eq!(second.was, Some(None));
        assert!(
            !typing.expire(1, 7, first.generation, None),
            "an old timer must not end a renewed state"
        );
        assert!(typing.expire(1, 7, second.generation, None));
        assert_eq!(typing.stop(1, 7), None);
    }

    #[test]
    fn stop_ends_it_once_and_says_where() {
        let typing = TypingTracker::default();
        let started = typing.start(1, 7, Some(40));
        // Moving to the room's own box: it was in the thread.
        assert_eq!(typing.start(1, 7, None).was, Some(Some(40)));
        assert_eq!(typing.stop(1, 7), Some(None));
        assert_eq!(typing.stop(1, 7), None);
        assert!(!typing.expire(1, 7, started.generation, Some(40)));
        // A stop said for another place than where the typist is now ends nothing.
        typing.start(1, 7, Some(40));
        assert!(!typing.stop_at(1, 7, None));
        assert!(typing.stop_at(1, 7, Some(40)));
        assert!(!typing.stop_at(1, 7, Some(40)));
    }
}
