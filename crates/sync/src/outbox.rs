//! The outbox: what the reader wrote (messages, edits, deletions, reactions) from the moment
//! it is written until the server confirms it, kept in the browser across reloads and
//! offline spells, and sent in order per room by exactly one tab.
//!
//! Every [`Entry`] is stored on its own (the driver keeps one storage key per entry, so tabs
//! never overwrite each other's) and has an **owner**, the tab that wrote it. Only the owner
//! sends it; an entry whose owner is gone (the tab was closed, or the page reloaded under a
//! new tab id) is **adopted** by the one *leader* tab, which the driver elects with an
//! exclusive browser lock. So each entry is sent by one tab at a time, and a resend of a
//! message reuses its `client_id`, which the server stores once.
//!
//! Per room, entries go out in the order they were written, one at a time: the next one only
//! after the server answered the one before (a refused one is kept, failed, with its reason,
//! and does not hold back the rest; "slow down", a rate limit, is no refusal: the entry waits
//! first in its room and goes again, so the room's order holds). An entry is sent only once its room is *ready* (joined
//! and caught up on the connection of the moment) and never after [`MAX_AGE_MS`]: older ones
//! fail with a reason instead, their text kept for the reader to send again.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Entries older than this are not sent by themselves (3 days): what was said offline that
/// long ago may no longer fit the conversation. The reader can still send it again.
pub const MAX_AGE_MS: i64 = 3 * 24 * 60 * 60 * 1000;

/// How often an entry is sent while the server does not answer in time, before it is shown
/// failed (with Retry).
pub const MAX_SENDS: u32 = 3;

/// The wait before sending again after no answer: 2 s, then 4 s.
const NO_ANSWER_WAIT_MS: i64 = 2_000;

/// The wait before sending again after the server said to slow down: 1 s, doubling with
/// each refusal in a row, up to [`BUSY_WAIT_MAX_MS`].
const BUSY_WAIT_MS: i64 = 1_000;

/// The longest wait after the server said to slow down (30 s).
pub const BUSY_WAIT_MAX_MS: i64 = 30_000;

/// One thing written, waiting for the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry<P> {
    /// Unique key (for a message, its `client_id`).
    pub key: String,
    /// The room it belongs to (the room's key: its name in lower case).
    pub room: String,
    /// When it was written (browser ms); with `key`, its place in the room's order.
    pub written_at: i64,
    /// The tab that sends it.
    pub owner: String,
    /// Why it was not sent, once it failed for good (shown with Retry and Discard).
    pub failed: Option<String>,
    /// What to send.
    pub payload: P,
}

/// What the driver does for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command<P> {
    /// Send this entry (and report the answer with [`Outbox::answered`]).
    Send(Entry<P>),
    /// Store this entry (new, adopted or failed), replacing any stored one with its key.
    Store(Entry<P>),
    /// Remove the stored entry with this key.
    Remove(String),
}

/// How the server answered a [`Command::Send`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Done: the entry leaves the outbox.
    Delivered,
    /// Refused for good (not a member, muted, too long…): kept, failed.
    Refused(String),
    /// Refused for now (rate limited): the entry stays first in its room, not failed, and
    /// goes again after a growing wait, so what was written after it keeps its order.
    Busy,
    /// No answer in time on a connection that still looks up: sent again after a wait, up
    /// to [`MAX_SENDS`] times in all, then failed with this reason.
    NoAnswer(String),
    /// The connection went away first: sent again once the room is ready again.
    Unsent,
}

/// Where an entry stands, to show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// Waiting for its turn, its room or the connection.
    Waiting,
    /// Sent, waiting for the answer.
    Sending,
    /// Not sent, with the reason.
    Failed(String),
}

/// What the driver knows when it asks what to send.
#[derive(Debug, Clone, Copy)]
pub struct Turn<'a> {
    /// Browser time (ms).
    pub now: i64,
    /// This tab's id.
    pub tab: &'a str,
    /// Whether this tab is the leader (adopts entries whose owner is gone).
    pub leader: bool,
    /// The tabs alive, when the driver knows (only then does the leader adopt).
    pub live_tabs: Option<&'a BTreeSet<String>>,
}

/// This tab's bookkeeping for an entry it sends (not stored: another tab, or this one
/// after a reload, starts afresh).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Progress {
    /// Sent and not answered yet.
    in_flight: bool,
    /// Sends that got no answer.
    no_answers: u32,
    /// "Slow down" answers in a row.
    busy: u32,
    /// Not to be sent again before this time.
    not_before: i64,
}

/// The outbox of one user in one tab: the stored entries (all tabs'), and what this tab has
/// in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbox<P> {
    /// Every entry, in the order they go out: by room, then written time, then key.
    entries: BTreeMap<(String, i64, String), Entry<P>>,
    /// This tab's sends in progress, by entry key.
    progress: BTreeMap<String, Progress>,
}

impl<P> Default for Outbox<P> {
    fn default() -> Self {
        Self {
            entries: BTreeMap::new(),
            progress: BTreeMap::new(),
        }
    }
}

fn order<P>(entry: &Entry<P>) -> (String, i64, String) {
    (entry.room.clone(), entry.written_at, entry.key.clone())
}

impl<P: Clone> Outbox<P> {
    /// An empty outbox.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds what the reader just wrote (owned by the tab that wrote it). Answers the command
    /// to store it; [`Outbox::next`] then says when to send it.
    pub fn write(&mut self, entry: Entry<P>) -> Command<P> {
        self.remove_key(&entry.key);
        self.entries.insert(order(&entry), entry.clone());
        Command::Store(entry)
    }

    /// Takes the entries as stored now (read at start-up, or after another tab changed
    /// them). What this tab has in flight stays in flight; bookkeeping of entries that are
    /// gone (delivered by another tab, discarded) is dropped.
    pub fn load(&mut self, stored: impl IntoIterator<Item = Entry<P>>) {
        self.entries = stored.into_iter().map(|e| (order(&e), e)).collect();
        let keys: BTreeSet<&str> = self.entries.values().map(|e| e.key.as_str()).collect();
        self.progress.retain(|key, _| keys.contains(key.as_str()));
    }

    /// Every entry, in sending order (by room, then as written).
    pub fn entries(&self) -> impl Iterator<Item = &Entry<P>> {
        self.entries.values()
    }

    /// A room's entries, as written.
    pub fn in_room<'a>(&'a self, room: &'a str) -> impl Iterator<Item = &'a Entry<P>> + 'a {
        self.entries.values().filter(move |e| e.room == room)
    }

    /// The entry with this key.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Entry<P>> {
        self.entries.values().find(|e| e.key == key)
    }

    /// Whether nothing is waiting.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where an entry stands.
    #[must_use]
    pub fn shown(&self, key: &str) -> Option<Shown> {
        let entry = self.get(key)?;
        Some(match (&entry.failed, self.progress.get(key)) {
            (Some(reason), _) => Shown::Failed(reason.clone()),
            (None, Some(p)) if p.in_flight => Shown::Sending,
            _ => Shown::Waiting,
        })
    }

    /// What to do now: entries too old fail, entries of tabs that are gone are adopted by the
    /// leader, and the next entry of each `ready` room that this tab owns goes out if
    /// nothing of that room is in flight.
    pub fn next(&mut self, turn: Turn<'_>, ready: impl Fn(&str) -> bool) -> Vec<Command<P>> {
        let mut commands = Vec::new();
        let orphaned = |owner: &str| {
            owner != turn.tab && turn.leader && turn.live_tabs.is_some_and(|l| !l.contains(owner))
        };
        for entry in self.entries.values_mut() {
            if orphaned(&entry.owner) {
                entry.owner = turn.tab.to_owned();
                commands.push(Command::Store(entry.clone()));
            }
            let idle = !self.progress.get(&entry.key).is_some_and(|p| p.in_flight);
            if entry.owner == turn.tab
                && entry.failed.is_none()
                && idle
                && turn.now - entry.written_at > MAX_AGE_MS
            {
                entry.failed = Some("written too long ago to send by itself".into());
                self.progress.remove(&entry.key);
                commands.push(Command::Store(entry.clone()));
            }
        }
        // Per room, the first entry not failed is the only one that may go.
        let mut rooms_seen = BTreeSet::new();
        for entry in self.entries.values() {
            if entry.failed.is_some() || !rooms_seen.insert(entry.room.as_str()) {
                continue;
            }
            let progress = self.progress.entry(entry.key.clone()).or_default();
            let sendable = entry.owner == turn.tab
                && !progress.in_flight
                && progress.not_before <= turn.now
                && ready(&entry.room);
            if sendable {
                progress.in_flight = true;
                commands.push(Command::Send(entry.clone()));
            }
        }
        commands
    }

    /// The earliest time an entry waiting after no answer may go again, to ask
    /// [`Outbox::next`] then.
    #[must_use]
    pub fn next_wake(&self, now: i64) -> Option<i64> {
        self.progress
            .values()
            .filter(|p| !p.in_flight && p.not_before > now)
            .map(|p| p.not_before)
            .min()
    }

    /// The server holds the entry `key`: its copy came by another path than the answer (the
    /// room's event, which names it since protocol v1.24), maybe before a late answer, or
    /// instead of a lost one. The entry is done, whatever it was waiting for; the answer, if it
    /// still comes, changes nothing.
    pub fn stored(&mut self, key: &str) -> Vec<Command<P>> {
        self.answered(key, Answer::Delivered, 0)
    }

    /// Takes the server's answer to a send.
    pub fn answered(&mut self, key: &str, answer: Answer, now: i64) -> Vec<Command<P>> {
        let Some(position) = self.position(key) else {
            self.progress.remove(key);
            return Vec::new();
        };
        let progress = self.progress.entry(key.to_owned()).or_default();
        progress.in_flight = false;
        match answer {
            Answer::Delivered => {
                self.entries.remove(&position);
                self.progress.remove(key);
                vec![Command::Remove(key.to_owned())]
            }
            Answer::Unsent => Vec::new(),
            Answer::NoAnswer(reason) => {
                progress.no_answers += 1;
                if progress.no_answers < MAX_SENDS {
                    progress.not_before = now + NO_ANSWER_WAIT_MS * i64::from(progress.no_answers);
                    Vec::new()
                } else {
                    self.fail(&position, reason)
                }
            }
            Answer::Busy => {
                progress.busy += 1;
                let doublings = (progress.busy - 1).min(5);
                progress.not_before = now + (BUSY_WAIT_MS << doublings).min(BUSY_WAIT_MAX_MS);
                Vec::new()
            }
            Answer::Refused(reason) => self.fail(&position, reason),
        }
    }

    /// The connection is gone: nothing is in flight any more (what was is sent again once
    /// its room is ready).
    pub fn disconnected(&mut self) {
        for progress in self.progress.values_mut() {
            progress.in_flight = false;
        }
    }

    /// The reader asks to send a failed entry again: it goes to the end of its room's queue
    /// as if written now, owned by this tab.
    pub fn retry(&mut self, key: &str, tab: &str, now: i64) -> Option<Command<P>> {
        let position = self.position(key)?;
        let mut entry = self.entries.remove(&position)?;
        entry.failed = None;
        entry.written_at = now;
        entry.owner = tab.to_owned();
        self.progress.remove(key);
        Some(self.write(entry))
    }

    /// The reader gives up on an entry.
    pub fn discard(&mut self, key: &str) -> Option<Command<P>> {
        let position = self.position(key)?;
        self.entries.remove(&position);
        self.progress.remove(key);
        Some(Command::Remove(key.to_owned()))
    }

    fn position(&self, key: &str) -> Option<(String, i64, String)> {
        self.get(key).map(order)
    }

    fn remove_key(&mut self, key: &str) {
        if let Some(position) = self.position(key) {
            self.entries.remove(&position);
        }
    }

    fn fail(&mut self, position: &(String, i64, String), reason: String) -> Vec<Command<P>> {
        let Some(entry) = self.entries.get_mut(position) else {
            return Vec::new();
        };
        entry.failed = Some(reason);
        self.progress.remove(&entry.key);
        vec![Command::Store(entry.clone())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAB: &str = "tab-a";

    fn entry(key: &str, room: &str, at: i64) -> Entry<String> {
        Entry {
            key: key.into(),
            room: room.into(),
            written_at: at,
            owner: TAB.into(),
            failed: None,
            payload: format!("text of {key}"),
        }
    }

    fn turn(now: i64) -> Turn<'static> {
        Turn {
            now,
            tab: TAB,
            leader: true,
            live_tabs: None,
        }
    }

    fn sent(commands: &[Command<String>]) -> Vec<String> {
        commands
            .iter()
            .filter_map(|c| match c {
                Command::Send(e) => Some(e.key.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_rate_limited_entry_waits_first_in_its_room_and_the_order_holds() {
        let mut outbox = Outbox::new();
        outbox.write(entry("a", "r", 1));
        outbox.write(entry("b", "r", 2));
        outbox.write(entry("c", "other", 3));
        assert_eq!(
            sent(&outbox.next(turn(10), |_| true)),
            ["c", "a"],
            "by room"
        );
        // "a" is refused for now: nothing of its room goes before it, and it is not failed.
        assert!(outbox.answered("a", Answer::Busy, 10).is_empty());
        assert_eq!(outbox.shown("a"), Some(Shown::Waiting));
        assert!(outbox.next(turn(500), |_| true).is_empty());
        assert_eq!(outbox.next_wake(500), Some(1_010));
        assert_eq!(sent(&outbox.next(turn(1_010), |_| true)), ["a"]);
        // Refused again: the wait doubles.
        outbox.answered("a", Answer::Busy, 1_010);
        assert_eq!(outbox.next_wake(1_010), Some(3_010));
        assert_eq!(sent(&outbox.next(turn(3_010), |_| true)), ["a"]);
        outbox.answered("a", Answer::Delivered, 3_020);
        assert_eq!(sent(&outbox.next(turn(3_020), |_| true)), ["b"]);
    }

    #[test]
    fn a_room_sends_one_entry_at_a_time_in_the_order_written() {
        let mut outbox = Outbox::new();
        outbox.write(entry("2", "r", 20));
        outbox.write(entry("1", "r", 10));
        outbox.write(entry("x", "other", 15));
        assert_eq!(sent(&outbox.next(turn(30), |_| true)), ["x", "1"]);
        // Nothing more while both are in flight.
        assert!(outbox.next(turn(31), |_| true).is_empty());
        assert_eq!(
            outbox.answered("1", Answer::Delivered, 32),
            [Command::Remove("1".into())]
        );
        assert_eq!(sent(&outbox.next(turn(33), |_| true)), ["2"]);
        assert_eq!(outbox.shown("2"), Some(Shown::Sending));
    }

    #[test]
    fn nothing_goes_to_a_room_that_is_not_ready() {
        let mut outbox = Outbox::new();
        outbox.write(entry("1", "r", 10));
        assert!(outbox.next(turn(30), |_| false).is_empty());
        assert_eq!(outbox.shown("1"), Some(Shown::Waiting));
        assert_eq!(sent(&outbox.next(turn(31), |room| room == "r")), ["1"]);
    }

    #[test]
    fn a_refused_entry_keeps_its_text_and_does_not_hold_back_the_next() {
        let mut outbox = Outbox::new();
        outbox.write(entry("1", "r", 10));
        outbox.write(entry("2", "r", 20));
        outbox.next(turn(30), |_| true);
        let stored = outbox.answered("1", Answer::Refused("muted".into()), 31);
        assert!(matches!(&stored[..], [Command::Store(e)] if e.failed.as_deref() == Some("muted")));
        assert_eq!(outbox.shown("1"), Some(Shown::Failed("muted".into())));
        assert_eq!(outbox.get("1").unwrap().payload, "text of 1");
        assert_eq!(sent(&outbox.next(turn(32), |_| true)), ["2"]);
        // Retried, it goes after the rest, as if written now.
        outbox.answered("2", Answer::Delivered, 33);
        assert!(outbox.retry("1", TAB, 40).is_some());
        assert_eq!(outbox.get("1").unwrap().written_at, 40);
        assert_eq!(sent(&outbox.next(turn(41), |_| true)), ["1"]);
    }

    #[test]
    fn no_answer_is_sent_again_after_a_growing_wait_then_fails() {
        let mut outbox = Outbox::new();
        outbox.write(entry("1", "r", 0));
        assert_eq!(sent(&outbox.next(turn(0), |_| true)), ["1"]);
        assert!(
            outbox
                .answered("1", Answer::NoAnswer("slow".into()), 100)
                .is_empty()
        );
        assert_eq!(outbox.next_wake(100), Some(2_100));
        assert!(outbox.next(turn(2_000), |_| true).is_empty());
        assert_eq!(sent(&outbox.next(turn(2_100), |_| true)), ["1"]);
        outbox.answered("1", Answer::NoAnswer("slow".into()), 2_200);
        assert_eq!(outbox.next_wake(2_200), Some(6_200));
        assert_eq!(sent(&outbox.next(turn(6_200), |_| true)), ["1"]);
        let failed = outbox.answered("1", Answer::NoAnswer("slow".into()), 6_300);
        assert!(matches!(&failed[..], [Command::Store(e)] if e.failed.is_some()));
        assert!(outbox.next(turn(99_999), |_| true).is_empty());
    }

    #[test]
    fn a_copy_seen_before_the_answer_settles_the_entry_and_the_answer_changes_nothing() {
        let mut outbox = Outbox::new();
        outbox.write(entry("1", "r", 0));
        outbox.write(entry("2", "r", 0));
        assert_eq!(sent(&outbox.next(turn(0), |_| true)), ["1"]);
        assert_eq!(outbox.stored("1"), [Command::Remove("1".into())]);
        assert_eq!(outbox.shown("1"), None);
        // The next one goes at once; the late answer (or its timeout) finds nothing.
        assert_eq!(sent(&outbox.next(turn(1), |_| true)), ["2"]);
        assert!(
            outbox
                .answered("1", Answer::NoAnswer("slow".into()), 2)
                .is_empty()
        );
        assert!(outbox.answered("1", Answer::Delivered, 3).is_empty());
        assert_eq!(outbox.shown("2"), Some(Shown::Sending));
        // One that failed for good, then turns out stored, is done too.
        outbox.answered("2", Answer::Refused("timeout".into()), 4);
        assert!(matches!(outbox.shown("2"), Some(Shown::Failed(_))));
        assert_eq!(outbox.stored("2"), [Command::Remove("2".into())]);
        assert!(outbox.is_empty());
        assert!(outbox.stored("2").is_empty());
    }

    #[test]
    fn a_lost_connection_sends_again_once_ready_without_counting_a_failure() {
        let mut outbox = Outbox::new();
        outbox.write(entry("1", "r", 0));
        outbox.next(turn(0), |_| true);
        outbox.disconnected();
        assert_eq!(outbox.shown("1"), Some(Shown::Waiting));
        assert!(outbox.next(turn(1), |_| false).is_empty());
        assert_eq!(sent(&outbox.next(turn(2), |_| true)), ["1"]);
        // The late answer of the first send settles it all the same.
        outbox.answered("1", Answer::Delivered, 3);
        assert!(outbox.is_empty());
    }

    #[test]
    fn only_the_owner_sends_and_the_leader_adopts_what_a_closed_tab_left() {
        let mut outbox = Outbox::new();
        let mut theirs = entry("1", "r", 0);
        theirs.owner = "tab-b".into();
        outbox.write(theirs);
        // Not ours, and we do not know whether tab-b is alive: left alone.
        assert!(outbox.next(turn(1), |_| true).is_empty());
        // tab-b is alive: still its own.
        let alive = BTreeSet::from(["tab-a".to_owned(), "tab-b".to_owned()]);
        let with = |live| Turn {
            live_tabs: Some(live),
            ..turn(2)
        };
        assert!(outbox.next(with(&alive), |_| true).is_empty());
        // A follower never adopts.
        let gone = BTreeSet::from(["tab-a".to_owned()]);
        let follower = Turn {
            leader: false,
            ..with(&gone)
        };
        assert!(outbox.next(follower, |_| true).is_empty());
        // The leader adopts it (stored under its name) and sends it.
        let commands = outbox.next(with(&gone), |_| true);
        assert!(matches!(&commands[0], Command::Store(e) if e.owner == TAB));
        assert_eq!(sent(&commands), ["1"]);
    }

    #[test]
    fn an_entry_too_old_fails_instead_of_going_out() {
        let mut outbox = Outbox::new();
        outbox.write(entry("1", "r", 0));
        let commands = outbox.next(turn(MAX_AGE_MS + 1), |_| true);
        assert!(matches!(&commands[..], [Command::Store(e)] if e.failed.is_some()));
        assert!(matches!(outbox.shown("1"), Some(Shown::Failed(_))));
    }

    #[test]
    fn loading_what_another_tab_stored_keeps_what_is_in_flight_here() {
        let mut outbox = Outbox::new();
        outbox.write(entry("1", "r", 0));
        outbox.write(entry("2", "r", 1));
        outbox.next(turn(2), |_| true);
        // Another tab discarded "2"; "1" is still there, and still in flight here.
        outbox.load([entry("1", "r", 0)]);
        assert_eq!(outbox.shown("1"), Some(Shown::Sending));
        assert!(outbox.next(turn(3), |_| true).is_empty());
        // Delivered elsewhere (gone from storage): an answer after that changes nothing.
        outbox.load([]);
        assert!(outbox.answered("1", Answer::Delivered, 4).is_empty());
    }

    #[test]
    fn discard_removes_it_everywhere() {
        let mut outbox = Outbox::new();
        outbox.write(entry("1", "r", 0));
        assert_eq!(outbox.discard("1"), Some(Command::Remove("1".into())));
        assert!(outbox.is_empty());
        assert_eq!(outbox.discard("1"), None);
    }
}
