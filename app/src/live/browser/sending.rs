//! Sending: pending lines, delivery with a `client_id` (resent after a reconnect, stored
//! once), refused messages kept for a retry, and typing.

use super::*;

impl Chat {
    pub(super) async fn resend_pending(&self, socket: &Socket, key: &str) {
        let pending: Vec<(String, String, Option<i64>)> = self.rooms.with_untracked(|rooms| {
            rooms
                .get(key)
                .map(|view| {
                    view.lines
                        .iter()
                        .filter_map(|line| match line {
                            Line::Pending {
                                client_id,
                                text,
                                failed: None,
                                reply_to,
                                ..
                            } => Some((client_id.clone(), text.clone(), *reply_to)),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default()
        });
        let room = self
            .rooms
            .with_untracked(|rooms| rooms.get(key).map(|v| v.name.clone()));
        let Some(room) = room else { return };
        for (client_id, text, reply_to) in pending {
            self.deliver(socket, room.clone(), client_id, text, reply_to)
                .await;
        }
    }

    pub(super) async fn deliver(
        &self,
        socket: &Socket,
        room: String,
        client_id: String,
        text: String,
        reply_to: Option<i64>,
    ) {
        let request = MessageReq {
            room: room.clone(),
            text,
            client_id: Some(client_id.clone()),
            reply_to,
        };
        match socket.request(&request).await {
            Ok(res) => self.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(&room) {
                    view.merge(
                        [res.message.clone()],
                        &[(client_id.clone(), res.message.id)],
                    );
                    view.drop_pending(&client_id);
                }
            }),
            // Lost with the connection: keep it pending; it is resent after the reconnect.
            Err(RequestError::Ack(_) | RequestError::Emit(_))
                if self.conn.get_untracked() != ConnState::Connected => {}
            // Refused, or no answer on a live connection: keep the text, offer a retry.
            Err(error) => self.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(&room) {
                    view.fail_pending(&client_id, describe(&error));
                }
            }),
        }
    }

    /// Sends a message to the room on screen.
    pub fn send(&self, text: String) {
        let (Some(socket), Some(key), Some(me)) = (
            self.socket(),
            self.active.get_untracked(),
            self.me.get_untracked(),
        ) else {
            return;
        };
        let Some(room) = self
            .rooms
            .with_untracked(|rooms| rooms.get(&key).map(|v| v.name.clone()))
        else {
            return;
        };
        let text = match protocol::validate::message_text(&text) {
            Ok(text) => text,
            Err(error) => {
                self.tell(error.message);
                return;
            }
        };
        let id = client_id();
        let reply_to = self.replying.get_untracked().map(|quote| quote.id);
        self.replying.set(None);
        self.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&key) {
                view.lines.push(Line::Pending {
                    client_id: id.clone(),
                    text: text.clone(),
                    user: me,
                    failed: None,
                    reply_to,
                });
            }
        });
        let chat = *self;
        spawn_local(async move { chat.deliver(&socket, room, id, text, reply_to).await });
    }

    /// Sends a refused message again (same `client_id`: stored once at most).
    pub fn retry(&self, client_id: String) {
        let Some(socket) = self.socket() else { return };
        let mut found = None;
        self.rooms.update(|rooms| {
            rooms.update_all(|view| {
                if let Some((text, reply_to)) = view.retry_pending(&client_id) {
                    found = Some((view.name.clone(), text, reply_to));
                }
            });
        });
        let Some((room, text, reply_to)) = found else {
            return;
        };
        let chat = *self;
        spawn_local(async move {
            chat.deliver(&socket, room, client_id, text, reply_to).await;
        });
    }

    /// Gives up on a refused message.
    pub fn discard(&self, client_id: String) {
        self.rooms.update(|rooms| {
            rooms.update_all(|view| view.drop_pending(&client_id));
        });
    }

    /// Tells a room (by key) whether we are typing there.
    pub fn typing(&self, room_key: &str, active: bool) {
        let Some(socket) = self.socket() else {
            return;
        };
        let Some(room) = self
            .rooms
            .with_untracked(|rooms| rooms.get(room_key).map(|v| v.name.clone()))
        else {
            return;
        };
        let _ = socket.send(&TypingReq { room, active });
    }
}

/// A fresh idempotency key for a message.
pub(super) fn client_id() -> String {
    let random = (js_sys::Math::random() * 1e16) as u64;
    format!("{:x}-{random:x}", js_sys::Date::now() as u64)
}
