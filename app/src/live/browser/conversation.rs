//! What people do to messages after sending them: edit, delete, react; and the catch-up on
//! such changes after a reconnect.

use protocol::{ChangesReq, DeleteReq, EditReq, ReactReq, SearchHit, SearchReq};

use super::*;

impl Chat {
    /// Saves new text for a message of ours; the view follows the answer (and everyone's
    /// `message_edited`).
    pub fn edit_message(&self, id: i64, text: String) {
        let Some(socket) = self.socket() else { return };
        let text = match protocol::validate::message_text(&text) {
            Ok(text) => text,
            Err(error) => {
                self.tell(error.message);
                return;
            }
        };
        let chat = *self;
        spawn_local(async move {
            match socket.request(&EditReq { id, text }).await {
                Ok(done) => {
                    let room = done.message.room.clone();
                    chat.rooms.update(|rooms| {
                        if let Some(view) = rooms.get_mut(&room) {
                            view.replace_message(done.message);
                        }
                    });
                    chat.editing.set(None);
                }
                Err(error) => chat.tell(format!("could not save the edit: {}", describe(&error))),
            }
        });
    }

    /// Deletes a message after asking.
    pub fn delete_message(&self, id: i64) {
        let confirmed = crate::desktop::confirm("Delete this message for everyone?");
        let Some(socket) = self.socket().filter(|_| confirmed) else {
            return;
        };
        let chat = *self;
        spawn_local(async move {
            if let Err(error) = socket.request(&DeleteReq { id }).await {
                chat.tell(format!(
                    "could not delete the message: {}",
                    describe(&error)
                ));
            }
        });
    }

    /// Adds our reaction, or takes it back if we already reacted with that emoji.
    pub fn toggle_reaction(&self, id: i64, emoji: String) {
        let (Some(socket), Some(me), Some(key)) = (
            self.socket(),
            self.me.get_untracked(),
            self.active.get_untracked(),
        ) else {
            return;
        };
        let reacted = self.rooms.with_untracked(|rooms| {
            rooms
                .get(&key)
                .and_then(|view| view.message(id))
                .and_then(|m| m.reactions.iter().find(|r| r.emoji == emoji))
                .is_some_and(|r| r.users.contains(&me.id))
        });
        let active = !reacted;
        // Shown at once; the server's `reaction` event repeats it harmlessly.
        self.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&key) {
                view.apply_reaction(id, &emoji, me.id, active, None);
            }
        });
        let chat = *self;
        spawn_local(async move {
            let request = ReactReq {
                id,
                emoji: emoji.clone(),
                active,
            };
            if let Err(error) = socket.request(&request).await {
                chat.rooms.update(|rooms| {
                    if let Some(view) = rooms.get_mut(&key) {
                        view.apply_reaction(id, &emoji, me.id, !active, None);
                    }
                });
                chat.tell(format!("could not react: {}", describe(&error)));
            }
        });
    }

    /// After a reconnect: the loaded messages of a room that were edited, deleted or reacted
    /// to since `since` (server ms), page by page, settling what the room owes as each page
    /// arrives.
    ///
    /// # Errors
    /// The request that failed (what is left stays owed).
    pub(super) async fn catch_up_changes(
        &self,
        socket: &Socket,
        room: &str,
        mut since: i64,
    ) -> Result<(), RequestError> {
        loop {
            let request = ChangesReq {
                room: room.to_owned(),
                since,
                limit: Some(protocol::validate::HISTORY_MAX),
            };
            let page = socket.request(&request).await?;
            let next = (page.more && page.until > since).then_some(page.until);
            self.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(room) {
                    for message in page.messages {
                        view.replace_message(message);
                    }
                    view.owed.changes_read(since, next);
                }
            });
            match next {
                Some(until) => since = until,
                None => return Ok(()),
            }
        }
    }

    /// Searches the rooms we can see (or only `room`); `answer` gets the hits, or a problem.
    pub fn search(
        &self,
        q: String,
        room: Option<String>,
        answer: impl FnOnce(Result<Vec<SearchHit>, String>) + 'static,
    ) {
        let Some(socket) = self.socket() else {
            answer(Err("not connected right now; try again in a moment".into()));
            return;
        };
        spawn_local(async move {
            let request = SearchReq {
                q,
                room,
                limit: Some(protocol::validate::SEARCH_LIMIT_MAX),
            };
            answer(
                socket
                    .request(&request)
                    .await
                    .map(|res| res.results)
                    .map_err(|error| describe(&error)),
            );
        });
    }

    /// Shows a message with its context: the room is opened (joined if need be), older pages
    /// are loaded until the message is there, then the address points at it (which scrolls to
    /// it and highlights it).
    pub fn reveal(&self, room: String, id: i64) {
        /// Pages of 100 read back at most (older messages are reached by scrolling).
        const PAGES_MAX: usize = 20;
        let chat = *self;
        spawn_local(async move {
            let listed = chat
                .rooms
                .with_untracked(|rooms| rooms.get(&room).is_some());
            if listed {
                chat.select(&room);
            } else if !chat.join_retrying(room.clone(), true).await {
                return;
            }
            let Some(socket) = chat.socket() else { return };
            for _ in 0..PAGES_MAX {
                let (loaded, first, more) = chat.rooms.with_untracked(|rooms| {
                    rooms.get(&room).map_or((false, None, false), |view| {
                        (
                            view.message(id).is_some(),
                            view.first_id(),
                            view.more_before,
                        )
                    })
                });
                if loaded || !more || first.is_none_or(|first| first <= id) {
                    break;
                }
                let limit = protocol::validate::HISTORY_MAX;
                if chat
                    .load_before(&socket, &room, first, limit)
                    .await
                    .is_err()
                {
                    break;
                }
            }
            chat.go_to.set(Some(protocol::links::message(&room, id)));
        });
    }

    /// Mutes someone in a room for `minutes`, or lifts the mute with 0 (room creator, admins).
    pub fn mute_member(&self, room: String, username: String, minutes: u32) {
        let Some(socket) = self.socket() else { return };
        let chat = *self;
        spawn_local(async move {
            let request = protocol::MuteReq {
                room,
                username: username.clone(),
                minutes,
            };
            let text = match socket.request(&request).await {
                Ok(_) if minutes == 0 => format!("{username} may speak again"),
                Ok(_) => format!("{username} is muted for {minutes} minutes"),
                Err(error) => format!("could not mute {username}: {}", describe(&error)),
            };
            chat.tell(text);
        });
    }

    /// Removes someone from a private room after asking (room creator, admins).
    pub fn kick_member(&self, room: String, username: String) {
        let question =
            format!("Remove {username} from {room}? They need a new invite to come back.");
        let confirmed = crate::desktop::confirm(&question);
        let Some(socket) = self.socket().filter(|_| confirmed) else {
            return;
        };
        let chat = *self;
        spawn_local(async move {
            let request = protocol::KickReq {
                room,
                username: username.clone(),
            };
            let text = match socket.request(&request).await {
                Ok(_) => format!("{username} was removed"),
                Err(error) => format!("could not remove {username}: {}", describe(&error)),
            };
            chat.tell(text);
        });
    }
}

impl Chat {
    /// Changes the topic of the room on screen (its creator or an admin may); everyone sees
    /// it through `room_updated`.
    pub fn set_topic(&self, topic: String) {
        let Some(socket) = self.socket() else { return };
        let Some(room) = self.with_shown_untracked(|v| v.name.clone()) else {
            return;
        };
        let chat = *self;
        spawn_local(async move {
            let topic = (!topic.trim().is_empty()).then_some(topic);
            let request = SetTopicReq {
                room: room.clone(),
                topic,
            };
            match socket.request(&request).await {
                Ok(done) => chat.rooms.update(|rooms| {
                    if let Some(view) = rooms.get_mut(&room) {
                        view.topic = done.room.topic;
                    }
                }),
                Err(error) => {
                    chat.tell(format!("could not change the topic: {}", describe(&error)))
                }
            }
        });
    }
}
