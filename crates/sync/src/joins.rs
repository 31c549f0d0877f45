//! The tab's queue of rooms to join, and what to do when a join fails.
//!
//! Rooms are joined one after another over one connection: the rooms of the list again after
//! every reconnect, and rooms added elsewhere (another tab or device, a DM, an invite). Joined
//! all at once, each with its catch-up requests, they would pass the server's limit on events
//! in progress per socket and the refused ones would be left unfollowed. The room the reader
//! asked to see goes ahead of the rooms waiting; a room already waiting is not queued twice;
//! and what was asked for on an earlier connection is dropped, since every (re)connect asks
//! for every room of the list again.
//!
//! The driver asks ([`JoinQueue::ask`]); when that says so, it starts one worker that takes
//! [`JoinQueue::next`] until it returns `None`, joining each room and, on a failure, doing what
//! [`after_failure`] says.

use std::collections::VecDeque;

use socket_client::{AckError, Backoff, RequestError};

/// How a room's name is compared: room names are unique whatever their case.
#[must_use]
pub fn room_key(name: &str) -> String {
    name.to_lowercase()
}

/// Whether a join puts its room on screen once it is caught up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Show {
    /// No (unless nothing is on screen).
    No,
    /// Yes, unless the reader opened another room since it was asked for: `on_screen` is the
    /// room that was on screen then. (A rejoin after a reconnect must not take the reader away
    /// from a room they opened meanwhile.)
    UnlessMoved {
        /// The key of the room on screen when the join was asked for.
        on_screen: Option<String>,
    },
}

impl Show {
    /// Whether the joined room goes on screen, `on_screen` being the key of the room shown now.
    #[must_use]
    pub fn shows(&self, on_screen: Option<&str>) -> bool {
        match self {
            Self::No => on_screen.is_none(),
            Self::UnlessMoved { on_screen: then } => {
                on_screen.is_none() || then.as_deref() == on_screen
            }
        }
    }
}

/// A room waiting to be joined.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Asked {
    room: String,
    show: Show,
    /// The connection it was asked on.
    connection: u64,
}

/// Rooms waiting to be joined over the connection of the moment, in order.
#[derive(Debug, Default)]
pub struct JoinQueue {
    waiting: VecDeque<Asked>,
    /// Whether a worker is taking rooms from the queue.
    running: bool,
}

impl JoinQueue {
    /// An empty queue, no worker running.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `rooms`, asked for on `connection`. The one named `shown` (if any) goes to the
    /// front, to be shown as `show` says; the others go to the back and are not shown. A room
    /// already waiting on the same connection keeps its place (the shown one moves to the
    /// front). Returns whether the driver must start a worker: none runs yet.
    #[must_use = "start a worker when it says so"]
    pub fn ask(
        &mut self,
        rooms: impl IntoIterator<Item = String>,
        shown: Option<(&str, Show)>,
        connection: u64,
    ) -> bool {
        let shown_key = shown.as_ref().map(|(name, _)| room_key(name));
        let mut front = None;
        for room in rooms {
            let key = room_key(&room);
            if shown_key.as_deref() == Some(key.as_str()) {
                front = Some(room);
                continue;
            }
            if !self.is_waiting(&key, connection) {
                self.waiting.push_back(Asked {
                    room,
                    show: Show::No,
                    connection,
                });
            }
        }
        if let (Some(room), Some((_, show))) = (front, shown) {
            let key = room_key(&room);
            self.waiting
                .retain(|asked| asked.connection != connection || room_key(&asked.room) != key);
            self.waiting.push_front(Asked {
                room,
                show,
                connection,
            });
        }
        !std::mem::replace(&mut self.running, true)
    }

    /// The next room to join on `connection` (the connection of the moment), dropping what was
    /// asked on earlier ones. `None` when nothing is left: the worker stops, and the next
    /// [`Self::ask`] starts another.
    #[must_use]
    pub fn next(&mut self, connection: u64) -> Option<(String, Show)> {
        while let Some(asked) = self.waiting.pop_front() {
            if asked.connection == connection {
                return Some((asked.room, asked.show));
            }
        }
        self.running = false;
        None
    }

    /// Whether a worker is taking rooms from the queue.
    #[must_use]
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// How many rooms wait (on any connection).
    #[must_use]
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Whether no room waits.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    fn is_waiting(&self, key: &str, connection: u64) -> bool {
        self.waiting
            .iter()
            .any(|asked| asked.connection == connection && room_key(&asked.room) == key)
    }
}

/// How many times a join is tried before the reader is told it failed.
pub const JOIN_ATTEMPTS: u32 = 6;

/// The delays between attempts at a join.
pub const JOIN_BACKOFF: Backoff = Backoff {
    base_ms: 1_000,
    max_ms: 15_000,
    jitter: 0.5,
};

/// What to do after a failed attempt at a join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this many milliseconds, if the connection is still the same one.
    RetryAfter(u64),
    /// Tell the reader it failed, and stop.
    Tell,
    /// Stop without a word: the connection dropped, and the reconnect joins the room again.
    Wait,
}

/// What to do after attempt `attempt` (0-based) at a join failed with `error`, `connected`
/// saying whether the connection is up now; `random` is uniform in `[0, 1)` (the backoff's
/// jitter). A passing refusal (`rate_limited`, no answer in time) is retried up to
/// [`JOIN_ATTEMPTS`] times; any other is told at once.
#[must_use]
pub fn after_failure(
    attempt: u32,
    error: &RequestError,
    connected: bool,
    random: f64,
) -> AfterFailure {
    let lost = matches!(error, RequestError::Emit(_) | RequestError::Ack(_));
    if lost && !connected {
        AfterFailure::Wait
    } else if !is_passing(error) || attempt + 1 >= JOIN_ATTEMPTS {
        AfterFailure::Tell
    } else {
        AfterFailure::RetryAfter(JOIN_BACKOFF.delay_ms(attempt, random))
    }
}

/// Whether a failed request may well succeed if made again shortly on the same connection: the
/// server asked us to slow down, or did not answer in time.
#[must_use]
pub fn is_passing(error: &RequestError) -> bool {
    match error {
        RequestError::Ack(AckError::Timeout) => true,
        RequestError::Server(body) => body.code == protocol::ErrorCode::RateLimited,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rooms(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn drain(queue: &mut JoinQueue, connection: u64) -> Vec<String> {
        std::iter::from_fn(|| queue.next(connection).map(|(room, _)| room)).collect()
    }

    #[test]
    fn the_room_to_show_goes_first_and_only_it_is_shown() {
        let mut queue = JoinQueue::new();
        let here = Show::UnlessMoved { on_screen: None };
        assert!(queue.ask(rooms(&["a", "b", "c"]), Some(("B", here.clone())), 1));
        assert_eq!(queue.next(1), Some(("b".into(), here)));
        assert_eq!(queue.next(1), Some(("a".into(), Show::No)));
        assert_eq!(queue.next(1), Some(("c".into(), Show::No)));
        assert_eq!(queue.next(1), None);
        assert!(!queue.is_running());
    }

    #[test]
    fn one_worker_at_a_time() {
        let mut queue = JoinQueue::new();
        assert!(queue.ask(rooms(&["a"]), None, 1));
        assert!(!queue.ask(rooms(&["b"]), None, 1), "a worker runs already");
        assert_eq!(drain(&mut queue, 1), ["a", "b"]);
        assert!(
            queue.ask(rooms(&["c"]), None, 1),
            "the worker stopped: start another"
        );
    }

    #[test]
    fn a_room_waiting_is_not_queued_twice_and_showing_it_moves_it_ahead() {
        let mut queue = JoinQueue::new();
        let _ = queue.ask(rooms(&["a", "b", "c"]), None, 1);
        let _ = queue.ask(rooms(&["C", "d"]), None, 1);
        let show = Show::UnlessMoved {
            on_screen: Some("a".into()),
        };
        let _ = queue.ask(rooms(&["d"]), Some(("d", show.clone())), 1);
        assert_eq!(queue.next(1), Some(("d".into(), show)));
        assert_eq!(drain(&mut queue, 1), ["a", "b", "c"]);
    }

    #[test]
    fn what_was_asked_on_an_earlier_connection_is_dropped() {
        let mut queue = JoinQueue::new();
        let _ = queue.ask(rooms(&["a", "b"]), None, 1);
        assert_eq!(queue.next(1).map(|(room, _)| room), Some("a".into()));
        // Reconnected: connection 2 asks for the list again.
        let _ = queue.ask(rooms(&["a", "b", "c"]), None, 2);
        assert_eq!(drain(&mut queue, 2), ["a", "b", "c"]);
        assert!(queue.is_empty());
    }

    #[test]
    fn a_shown_join_shows_unless_the_reader_moved() {
        let asked_from_a = Show::UnlessMoved {
            on_screen: Some("a".into()),
        };
        assert!(asked_from_a.shows(Some("a")));
        assert!(asked_from_a.shows(None));
        assert!(
            !asked_from_a.shows(Some("b")),
            "the reader opened b meanwhile"
        );
        assert!(!Show::No.shows(Some("a")));
        assert!(
            Show::No.shows(None),
            "nothing on screen: show what was joined"
        );
    }

    fn server(code: protocol::ErrorCode) -> RequestError {
        RequestError::Server(protocol::ErrorBody::new(code, "refused"))
    }

    #[test]
    fn passing_refusals_are_retried_with_growing_delays_then_told() {
        let limited = server(protocol::ErrorCode::RateLimited);
        let delays: Vec<AfterFailure> = (0..JOIN_ATTEMPTS)
            .map(|attempt| after_failure(attempt, &limited, true, 0.5))
            .collect();
        assert_eq!(
            delays,
            [
                AfterFailure::RetryAfter(1_000),
                AfterFailure::RetryAfter(2_000),
                AfterFailure::RetryAfter(4_000),
                AfterFailure::RetryAfter(8_000),
                AfterFailure::RetryAfter(15_000),
                AfterFailure::Tell,
            ]
        );
        let timeout = RequestError::Ack(AckError::Timeout);
        assert_eq!(
            after_failure(0, &timeout, true, 0.5),
            AfterFailure::RetryAfter(1_000)
        );
    }

    #[test]
    fn other_refusals_are_told_at_once() {
        let forbidden = server(protocol::ErrorCode::Forbidden);
        assert_eq!(after_failure(0, &forbidden, true, 0.5), AfterFailure::Tell);
        let decode = RequestError::Decode("bad".into());
        assert_eq!(after_failure(0, &decode, true, 0.5), AfterFailure::Tell);
    }

    #[test]
    fn a_lost_connection_waits_for_the_reconnect() {
        let lost = RequestError::Ack(AckError::Disconnected);
        assert_eq!(after_failure(0, &lost, false, 0.5), AfterFailure::Wait);
        let timeout = RequestError::Ack(AckError::Timeout);
        assert_eq!(after_failure(2, &timeout, false, 0.5), AfterFailure::Wait);
        // Still connected (the drop not noticed yet, or a fresh connection): a server answer
        // that did not come in time is retried, a refusal told.
        assert_eq!(after_failure(0, &lost, true, 0.5), AfterFailure::Tell);
    }
}
