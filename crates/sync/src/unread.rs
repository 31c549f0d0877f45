//! A room's unread count: the messages from others after the reader's read marker.
//!
//! The server tells the count in three places (`room_saved`, `read_marker`, and `join`'s
//! `read`), each as `{last_read, unread, through}`: `unread` messages from others with an id in
//! `(last_read, through]` (PROTOCOL.md v1.6). Messages reach the client on their own way: live,
//! in `join`'s history, in catch-up pages, in any order and some more than once. The count is
//! the server's `unread`, plus the messages from others the client knows of above `through`,
//! each once. A marker older than the one held (lower `last_read`, or the same with a lower
//! `through`) is ignored, so news that arrives late cannot undo newer news. A read made here
//! stays [unreported](UnreadCount::unreported_read) until the server confirms it, so one made
//! offline is reported once the connection is back.

use std::collections::BTreeSet;

/// A room's unread count. Feed it every marker and every message that enters the room's
/// timeline; [`UnreadCount::count`] is then exact once the client has every message from
/// others above the newest marker's `through` (live, or from a join or a catch-up).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnreadCount {
    /// The read marker: the newest message read.
    last_read: i64,
    /// The server's count of messages from others in `(last_read, through]`.
    counted: u64,
    /// The message the server counted up to; `None` until a marker says.
    through: Option<i64>,
    /// Messages from others after `last_read` the client knows of.
    known: BTreeSet<i64>,
    /// The newest read marker the server has confirmed.
    confirmed: i64,
}

impl UnreadCount {
    /// Nothing known yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The read marker.
    #[must_use]
    pub fn last_read(&self) -> i64 {
        self.last_read
    }

    /// The newest message the server counted up to (`None` until a marker says; 0: the room
    /// had none).
    #[must_use]
    pub fn through(&self) -> Option<i64> {
        self.through
    }

    /// Messages from others after the read marker.
    #[must_use]
    pub fn count(&self) -> u64 {
        match self.through {
            Some(through) => self.counted + self.known.range(through + 1..).count() as u64,
            None => self.known.len() as u64,
        }
    }

    /// What the server says: `unread` messages from others in `(last_read, through]`. A
    /// server before v1.6 gives no `through`: its count is taken to cover every message known
    /// so far, and only the ones that arrive afterwards are added (its clients did no better).
    pub fn marker(&mut self, last_read: i64, unread: u64, through: Option<i64>) {
        let through = through.unwrap_or_else(|| {
            self.known
                .last()
                .copied()
                .map_or(last_read, |newest| newest.max(last_read))
        });
        self.confirmed = self.confirmed.max(last_read);
        let held = (self.last_read, self.through.unwrap_or(i64::MIN));
        if (last_read, through) < held {
            return;
        }
        self.last_read = last_read;
        self.counted = unread;
        self.through = Some(through);
        self.known.retain(|id| *id > last_read);
    }

    /// A read made here that the server has not confirmed yet (the reader read while offline,
    /// or the `mark_room_read` was lost): the id to report again, once connected.
    #[must_use]
    pub fn unreported_read(&self) -> Option<i64> {
        (self.last_read > self.confirmed).then_some(self.last_read)
    }

    /// A message entered the room's timeline (live, from a join, from a catch-up; twice is
    /// fine). Our own messages are never unread.
    pub fn message(&mut self, id: i64, from_me: bool) {
        if !from_me && id > self.last_read {
            self.known.insert(id);
        }
    }

    /// The reader read up to `id` here (the room is on screen). What the server answers to
    /// the `mark_room_read` that follows is authoritative ([`Self::marker`]); until it comes,
    /// the count is what this client knows: the messages from others it has after `id`.
    pub fn read_through(&mut self, id: i64) {
        if id <= self.last_read {
            return;
        }
        self.last_read = id;
        self.known.retain(|known| *known > id);
        match self.through {
            // Everything the server counted is read now.
            Some(through) if through <= id => {
                self.counted = 0;
                self.through = Some(id);
            }
            // Some counted messages may be left: the ones known, until the server says.
            Some(through) => {
                self.counted = self.known.range(..=through).count() as u64;
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::UnreadCount;

    #[test]
    fn the_server_count_plus_what_arrives_after_it() {
        let mut unread = UnreadCount::new();
        unread.marker(10, 2, Some(14));
        assert_eq!(unread.count(), 2);
        unread.message(13, false); // counted already
        unread.message(15, false);
        unread.message(15, false); // twice: once
        unread.message(16, true); // our own
        assert_eq!(unread.count(), 3);
    }

    #[test]
    fn messages_before_the_marker_arrive_first() {
        // A DM: the messages come in the join's history before its marker is applied.
        let mut unread = UnreadCount::new();
        for id in [21, 22, 23, 24] {
            unread.message(id, false);
        }
        assert_eq!(unread.count(), 4, "without a marker: what is known");
        unread.marker(20, 4, Some(24));
        assert_eq!(unread.count(), 4);
        unread.message(25, false);
        assert_eq!(unread.count(), 5);
    }

    #[test]
    fn an_older_marker_cannot_undo_a_newer_one() {
        let mut unread = UnreadCount::new();
        unread.marker(30, 0, Some(30));
        unread.message(31, false);
        unread.marker(20, 5, Some(29)); // late news from before
        assert_eq!((unread.last_read(), unread.count()), (30, 1));
        unread.marker(30, 0, Some(29)); // same marker, counted earlier
        assert_eq!(unread.count(), 1);
        unread.marker(30, 1, Some(31)); // the same, counted later
        assert_eq!(unread.count(), 1);
    }

    #[test]
    fn reading_here_empties_what_was_read() {
        let mut unread = UnreadCount::new();
        unread.marker(10, 3, Some(13));
        for id in [11, 12, 13, 14] {
            unread.message(id, false);
        }
        assert_eq!(unread.count(), 4);
        unread.read_through(14);
        assert_eq!(unread.count(), 0);
        unread.message(15, false);
        assert_eq!(unread.count(), 1);
        // Reading back is nothing.
        unread.read_through(12);
        assert_eq!((unread.last_read(), unread.count()), (14, 1));
    }

    #[test]
    fn a_read_made_offline_stays_to_report() {
        let mut unread = UnreadCount::new();
        unread.marker(0, 1, Some(1));
        unread.message(1, false);
        unread.read_through(1);
        assert_eq!(unread.unreported_read(), Some(1));
        // The join's marker is older news: it does not undo the read.
        unread.marker(0, 1, Some(1));
        assert_eq!((unread.last_read(), unread.count()), (1, 0));
        assert_eq!(unread.unreported_read(), Some(1), "still to report");
        unread.marker(1, 0, Some(1));
        assert_eq!(unread.unreported_read(), None);
    }

    #[test]
    fn a_server_without_through_is_counted_as_before() {
        let mut unread = UnreadCount::new();
        unread.message(5, false);
        unread.marker(4, 1, None);
        assert_eq!(unread.count(), 1, "the known message is the one counted");
        unread.message(6, false);
        assert_eq!(unread.count(), 2);
    }
}
