//! What a room's catch-up still owes after a reconnect or a server's `resync`.

/// Catching up a room still owes after a reconnect or a server's `resync`: recorded before
/// the requests go out and settled only as their answers arrive, so a catch-up that is
/// refused, times out or is cut by another disconnect resumes from the same point next time
/// instead of leaving a hole that looks like a continuous conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Owed {
    /// Messages after this id may be missing (read with `history {after}`).
    pub history_after: Option<i64>,
    /// Edits, deletions and reactions since this server time (ms) may be missing (read with
    /// `changes {since}`).
    pub changes_since: Option<i64>,
}

impl Owed {
    /// Owes messages after `after` too (the earliest point owed wins).
    pub fn history(&mut self, after: i64) {
        owe_from(&mut self.history_after, after);
    }

    /// Owes changes since `since` too (the earliest point owed wins).
    pub fn changes(&mut self, since: i64) {
        owe_from(&mut self.changes_since, since);
    }

    /// A page of history after `after` arrived, up to `through` (its last id), or the end
    /// when `through` is `None`: what is owed from `after` on moves past it. An earlier point
    /// owed meanwhile stays owed.
    pub fn history_read(&mut self, after: i64, through: Option<i64>) {
        settle(&mut self.history_after, after, through);
    }

    /// A join answered with the room's latest page, whose oldest message is `oldest_new`
    /// (`None`: the room has no messages): when that page follows on from where the owed
    /// messages start, nothing is left to page through.
    pub fn joined(&mut self, oldest_new: Option<i64>) {
        let gap = self
            .history_after
            .zip(oldest_new)
            .is_some_and(|(from, oldest)| oldest > from + 1);
        if !gap {
            self.history_after = None;
        }
    }

    /// Changes since `since` were read, up to `until` (`None`: all of them).
    pub fn changes_read(&mut self, since: i64, until: Option<i64>) {
        settle(&mut self.changes_since, since, until);
    }
}

/// Owes what comes after `point` too: the earliest point owed wins.
fn owe_from(owed: &mut Option<i64>, point: i64) {
    *owed = Some(owed.map_or(point, |owed| owed.min(point)));
}

/// What comes after `from` was read up to `next` (`None`: all of it): an owed point at or
/// after `from` moves to `next`; an earlier one stays owed.
fn settle(owed: &mut Option<i64>, from: i64, next: Option<i64>) {
    if owed.is_some_and(|owed| owed >= from) {
        *owed = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catch_up_is_owed_until_its_pages_arrive() {
        let mut owed = Owed::default();
        owed.history(40);
        owed.history(50);
        assert_eq!(owed.history_after, Some(40), "the earliest point wins");
        // A page after 40 up to 140, then the last page: nothing owed any more.
        owed.history_read(40, Some(140));
        assert_eq!(owed.history_after, Some(140));
        owed.history_read(140, None);
        assert_eq!(owed.history_after, None);
        // A catch-up from 100 finishing does not settle an earlier point owed meanwhile.
        owed.history(30);
        owed.history_read(100, None);
        assert_eq!(owed.history_after, Some(30));
        owed.changes(5_000);
        owed.changes(4_000);
        owed.changes_read(5_000, None);
        assert_eq!(owed.changes_since, Some(4_000));
        owed.changes_read(4_000, Some(6_000));
        assert_eq!(owed.changes_since, Some(6_000));
        owed.changes_read(6_000, None);
        assert_eq!(owed.changes_since, None);
    }

    #[test]
    fn a_join_page_that_follows_on_leaves_no_history_owed() {
        let owing = |after| Owed {
            history_after: Some(after),
            changes_since: Some(1_000),
        };
        let mut owed = owing(40);
        owed.joined(Some(41));
        assert_eq!(owed.history_after, None, "the page starts right after 40");
        assert_eq!(owed.changes_since, Some(1_000), "changes are still owed");
        let mut owed = owing(40);
        owed.joined(Some(30));
        assert_eq!(owed.history_after, None, "the page overlaps what we had");
        let mut owed = owing(40);
        owed.joined(None);
        assert_eq!(owed.history_after, None, "the room has no messages");
        let mut owed = owing(40);
        owed.joined(Some(90));
        assert_eq!(owed.history_after, Some(40), "41 to 89 are missing");
    }
}
