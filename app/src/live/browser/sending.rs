//! Sending: pending lines, delivery with a `client_id` (resent after a reconnect, stored
//! once), refused messages kept for a retry, and typing.

use super::*;

impl Chat {
    pub(super) async fn resend_pending(&self, socket: &Socket, key: &str) {
        let pending = self.rooms.with_untracked(|rooms| {
            rooms
                .get(key)
                .map(|view| (view.name.clone(), view.unconfirmed()))
        });
        let Some((room, pending)) = pending else {
            return;
        };
        for (client_id, outgoing) in pending {
            self.deliver(socket, room.clone(), client_id, outgoing)
                .await;
        }
    }

    /// Sends one of our messages with its `client_id` (so the server stores it once however
    /// often it is sent) and settles its pending line with the answer.
    pub(super) async fn deliver(
        &self,
        socket: &Socket,
        room: String,
        client_id: String,
        outgoing: Outgoing,
    ) {
        /// Sends while the answer times out on a connection that still looks up (it may be
        /// dead without knowing it yet, or the server slow): then the line offers a retry.
        const SENDS: u32 = 3;
        let request = MessageReq {
            room: room.clone(),
            text: outgoing.text,
            client_id: Some(client_id.clone()),
            reply_to: outgoing.reply_to,
            attachments: outgoing.attachments,
        };
        let started = connection::generation();
        for sent in 1..=SENDS {
            let error = match socket.request(&request).await {
                Ok(res) => {
                    self.rooms.update(|rooms| {
                        if let Some(view) = rooms.get_mut(&room) {
                            view.merge(
                                [res.message.clone()],
                                &[(client_id.clone(), res.message.id)],
                                Some(res.message.user.id),
                            );
                            view.drop_pending(&client_id);
                        }
                    });
                    return;
                }
                Err(error) => error,
            };
            let connected = || self.conn.get_untracked() == ConnState::Connected;
            match error {
                // Lost with the connection: keep it pending; it is resent after the reconnect.
                RequestError::Ack(_) | RequestError::Emit(_) if !connected() => return,
                RequestError::Ack(AckError::Timeout) if sent < SENDS => {
                    pause(2_000 * u64::from(sent)).await;
                    // Reconnected meanwhile: its room's join resends it, once rejoined.
                    if !connected() || connection::generation() != started {
                        return;
                    }
                }
                // Refused, or still no answer on a live connection: keep the text, offer a
                // retry.
                error => {
                    self.rooms.update(|rooms| {
                        if let Some(view) = rooms.get_mut(&room) {
                            view.fail_pending(&client_id, describe(&error));
                        }
                    });
                    return;
                }
            }
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
        let Some(files) = self.uploads.with_untracked(|uploads| uploads.ready(&key)) else {
            self.tell("Wait for the files to finish uploading");
            return;
        };
        let text = match protocol::validate::message_body(&text, files.len()) {
            Ok(text) => text,
            Err(error) => {
                self.tell(error.message);
                return;
            }
        };
        self.uploads.update(|uploads| uploads.take_ready(&key));
        let id = client_id();
        let reply_to = self.replying.get_untracked().map(|quote| quote.id);
        self.replying.set(None);
        let line = Line::Pending {
            client_id: id.clone(),
            text,
            user: me,
            failed: None,
            reply_to,
            attachments: files,
        };
        let Some(outgoing) = line.outgoing() else {
            return;
        };
        self.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&key) {
                view.lines.push(line);
            }
        });
        let chat = *self;
        spawn_local(async move { chat.deliver(&socket, room, id, outgoing).await });
    }

    /// Sends a refused message again (same `client_id`: stored once at most).
    pub fn retry(&self, client_id: String) {
        let Some(socket) = self.socket() else { return };
        let mut found = None;
        self.rooms.update(|rooms| {
            rooms.update_all(|view| {
                if let Some(outgoing) = view.retry_pending(&client_id) {
                    found = Some((view.name.clone(), outgoing));
                }
            });
        });
        let Some((room, outgoing)) = found else {
            return;
        };
        let chat = *self;
        spawn_local(async move {
            chat.deliver(&socket, room, client_id, outgoing).await;
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
