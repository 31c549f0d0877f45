//! A room's catch-up cursor: the newest message up to which the client holds every message of
//! the room, so that `history {after: cursor}` after a reconnect cannot skip one.
//!
//! Live messages of a room can arrive out of id order (several writers, several nodes), so
//! "the newest id I saw" is not a safe place to resume from: a message with a smaller id may
//! still have been on its way when the connection dropped. But the server stores a room's
//! messages in id order, and tells with each live message the id of the room's message just
//! before it (`prev`, PROTOCOL.md v1.7). So the client knows it holds everything up to a
//! message exactly when the chain of `prev` links from its cursor reaches it; a message whose
//! predecessor has not arrived waits, and moves the cursor once the chain closes.
//!
//! A page read with `history {after}` to the end is complete by construction (the server
//! returns a room's messages in id order, and stores them in that order): reading it moves the
//! cursor to its newest message.

use std::collections::BTreeMap;

/// The catch-up cursor of one room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Every message of the room up to this id is held (from where the client started).
    through: Option<i64>,
    /// Live messages whose predecessor has not arrived: by `prev`, the message's id.
    waiting: BTreeMap<i64, i64>,
}

impl Cursor {
    /// Nothing held yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Where to resume after a reconnect: `history {after: this}`; `None` if nothing is held
    /// (or the server does not send `prev`: then resume as the contract says for v1.6).
    #[must_use]
    pub fn resume_after(&self) -> Option<i64> {
        self.through
    }

    /// Everything up to `newest` is held: the room's newest page was read on a first join, or
    /// a catch-up read `history {after}` to its end. (`None`: the room has no messages yet,
    /// which holds everything too.)
    pub fn complete_through(&mut self, newest: Option<i64>) {
        let newest = newest.unwrap_or(0);
        if self.through.is_none_or(|through| newest > through) {
            self.through = Some(newest);
        }
        self.follow_chain();
    }

    /// A live message arrived: `id`, and the id of the room's message before it (`prev`: 0
    /// for the room's first message; `None` from a server that does not say, which moves
    /// nothing).
    pub fn live(&mut self, id: i64, prev: Option<i64>) {
        let (Some(prev), Some(through)) = (prev, self.through) else {
            return;
        };
        if id <= through {
            return;
        }
        self.waiting.insert(prev, id);
        self.follow_chain();
    }

    /// How many live messages wait for a predecessor.
    #[must_use]
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    fn follow_chain(&mut self) {
        let Some(mut through) = self.through else {
            return;
        };
        while let Some(next) = self.waiting.remove(&through) {
            through = next;
        }
        self.through = Some(through);
        // Links that end at or below the cursor are settled.
        self.waiting = self.waiting.split_off(&through);
        self.waiting.retain(|_, id| *id > through);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_to_resume_from_before_anything_is_held() {
        let mut cursor = Cursor::new();
        cursor.live(5, Some(4));
        assert_eq!(cursor.resume_after(), None);
        cursor.complete_through(None);
        assert_eq!(cursor.resume_after(), Some(0));
    }

    #[test]
    fn a_message_that_arrives_before_its_predecessor_waits_for_it() {
        let mut cursor = Cursor::new();
        cursor.complete_through(Some(10));
        cursor.live(12, Some(11));
        assert_eq!(cursor.resume_after(), Some(10), "11 is still on its way");
        assert_eq!(cursor.waiting(), 1);
        cursor.live(11, Some(10));
        assert_eq!(cursor.resume_after(), Some(12));
        assert_eq!(cursor.waiting(), 0);
    }

    #[test]
    fn ids_of_other_rooms_in_between_do_not_matter() {
        let mut cursor = Cursor::new();
        cursor.complete_through(Some(10));
        cursor.live(17, Some(10));
        cursor.live(40, Some(17));
        assert_eq!(cursor.resume_after(), Some(40));
    }

    #[test]
    fn a_catch_up_read_to_the_end_closes_every_gap_below_its_newest() {
        let mut cursor = Cursor::new();
        cursor.complete_through(Some(10));
        cursor.live(14, Some(13));
        cursor.live(20, Some(14));
        assert_eq!(cursor.resume_after(), Some(10));
        // `history {after: 10}` read to the end: 11, 13 (and 14) came with it.
        cursor.complete_through(Some(14));
        assert_eq!(cursor.resume_after(), Some(20));
        // Repeats and late arrivals change nothing.
        cursor.live(13, Some(11));
        cursor.live(20, Some(14));
        assert_eq!(cursor.resume_after(), Some(20));
        assert_eq!(cursor.waiting(), 0);
    }

    #[test]
    fn a_server_without_prev_leaves_the_cursor_where_it_was() {
        let mut cursor = Cursor::new();
        cursor.complete_through(Some(3));
        cursor.live(4, None);
        assert_eq!(cursor.resume_after(), Some(3));
    }
}
