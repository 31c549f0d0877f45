//! Sending: a message into the outbox (see [`super::outbox`] for its delivery), and typing.

use super::*;
use crate::outbox::Action;

impl Chat {
    /// Sends a message to the room on screen: it goes into the outbox (shown at once as
    /// pending) and out as soon as the room is joined on a live connection.
    pub fn send(&self, text: String) {
        let reply_to = self.replying.get_untracked().map(|quote| quote.id);
        if self.send_to(text, reply_to, None) {
            self.replying.set(None);
        }
    }

    /// Sends a reply in the thread of `root` in the room on screen (v1.22), like [`Self::send`].
    pub fn send_in_thread(&self, root: i64, text: String) -> bool {
        self.send_to(text, None, Some(root))
    }

    /// Puts a message for the room on screen in the outbox, with the files ready to go with
    /// it (the room's own, or the thread's); whether it went in.
    fn send_to(&self, text: String, reply_to: Option<i64>, thread: Option<i64>) -> bool {
        let (Some(key), Some(_)) = (self.active.get_untracked(), self.me.get_untracked()) else {
            return false;
        };
        let Some(room) = self
            .rooms
            .with_untracked(|rooms| rooms.get(&key).map(|v| v.name.clone()))
        else {
            return false;
        };
        // The room's composer and each thread's have their own files.
        let slot = match thread {
            Some(root) => crate::uploads::thread_slot(&key, root),
            None => key.clone(),
        };
        let Some(files) = self.uploads.with_untracked(|uploads| uploads.ready(&slot)) else {
            self.tell("Wait for the files to finish uploading");
            return false;
        };
        let text = match protocol::validate::message_body(&text, files.len()) {
            Ok(text) => text,
            Err(error) => {
                self.tell(error.message);
                return false;
            }
        };
        self.uploads.update(|uploads| uploads.take_ready(&slot));
        let action = Action::Message {
            room: room.clone(),
            text,
            reply_to,
            attachments: files,
            thread,
        };
        self.write_to_outbox(client_id(), &room, action);
        true
    }

    /// The person acted (a key, a click, back to the tab): the server hears of it, at most
    /// once a minute (v1.21). Offline, nothing is due: the next connection counts by itself.
    pub fn acted(&self) {
        let Some(socket) = self.socket() else { return };
        let now = platform::now_ms();
        let due = self
            .activity
            .try_with_value(|reports| reports.is_due(now))
            .unwrap_or(false);
        if due && socket.send(&ActivityReq {}).is_ok() {
            self.activity.update_value(|reports| reports.sent(now));
        }
    }

    /// A connection opened: the server counts it as the person acting.
    pub(super) fn connected_now(&self) {
        let now = platform::now_ms();
        self.activity.update_value(|reports| reports.connected(now));
    }

    /// Where the server was last told this tab types (room key, thread), while it does.
    pub fn typing_said(&self) -> Option<(String, Option<i64>)> {
        self.typing_said.get_value()
    }

    /// Tells a room (by key) whether we are typing there: in the room itself, or (v1.27) in
    /// the thread of `thread`.
    pub fn typing(&self, room_key: &str, active: bool, thread: Option<i64>) {
        let Some(socket) = self.socket() else {
            return;
        };
        let place = (room_key.to_owned(), thread);
        self.typing_said.update_value(|said| {
            if active {
                *said = Some(place);
            } else if said.as_ref() == Some(&place) {
                *said = None;
            }
        });
        let Some(room) = self
            .rooms
            .with_untracked(|rooms| rooms.get(room_key).map(|v| v.name.clone()))
        else {
            return;
        };
        let _ = socket.send(&TypingReq {
            room,
            active,
            thread,
        });
    }
}

/// A fresh idempotency key for a message.
pub(super) fn client_id() -> String {
    let random = (platform::random() * 1e16) as u64;
    format!("{:x}-{random:x}", platform::now_ms() as u64)
}
