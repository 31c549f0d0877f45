//! What people do to messages after sending them: edit, delete, react; and the catch-up on
//! such changes after a reconnect.

use protocol::{ChangesReq, SearchHit, SearchReq};

use super::*;
use crate::outbox::Action;

impl Chat {
    /// Saves new text for a message of ours: shown at once, sent through the outbox (later,
    /// if offline), put back if the server refuses it.
    pub fn edit_message(&self, id: i64, text: String) {
        let text = match protocol::validate::message_text(&text) {
            Ok(text) => text,
            Err(error) => {
                self.tell(error.message);
                return;
            }
        };
        let key = sending::client_id();
        let Some(room) = self.change_message(&key, id, |message| {
            message.text.clone_from(&text);
            message.edited_ts = Some(platform::now_ms() as i64);
        }) else {
            return;
        };
        self.editing.set(None);
        self.write_to_outbox(key, &room, Action::Edit { id, text });
    }

    /// Deletes a message after asking: shown at once, sent through the outbox.
    pub fn delete_message(&self, id: i64) {
        if !crate::desktop::confirm("Delete this message for everyone?") {
            return;
        }
        let key = sending::client_id();
        let Some(room) = self.change_message(&key, id, |message| {
            message.deleted = true;
            message.text.clear();
            message.reactions.clear();
        }) else {
            return;
        };
        self.write_to_outbox(key, &room, Action::Delete { id });
    }

    /// Adds our reaction, or takes it back if we already reacted with that emoji: shown at
    /// once (the server's `reaction` event repeats it harmlessly), sent through the outbox.
    pub fn toggle_reaction(&self, id: i64, emoji: String) {
        let (Some(me), Some(key)) = (self.me.get_untracked(), self.active.get_untracked()) else {
            return;
        };
        let Some((room, reacted)) = self.rooms.with_untracked(|rooms| {
            let view = rooms.get(&key)?;
            let reacted = view
                .message(id)?
                .reactions
                .iter()
                .find(|r| r.emoji == emoji)
                .is_some_and(|r| r.users.contains(&me.id));
            Some((view.name.clone(), reacted))
        }) else {
            return;
        };
        let active = !reacted;
        self.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&key) {
                view.apply_reaction(id, &emoji, me.id, active, None);
            }
        });
        let action = Action::React { id, emoji, active };
        self.write_to_outbox(sending::client_id(), &room, action);
    }

    /// Changes a loaded message on screen ahead of the server's answer, keeping it as it was
    /// under `key` (to put back on a refusal). Returns its room's name.
    fn change_message(
        &self,
        key: &str,
        id: i64,
        change: impl FnOnce(&mut Message),
    ) -> Option<String> {
        let (room, before) = self.rooms.with_untracked(|rooms| {
            rooms.ordered().iter().find_map(|view| {
                let message = view.message(id)?;
                Some((view.name.clone(), message.clone()))
            })
        })?;
        let mut after = before.clone();
        change(&mut after);
        self.keep_before(key, before);
        self.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&room) {
                view.replace_message(after);
            }
        });
        Some(room)
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
                        view.replace_for_reader(message);
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
            answer(Err(OFFLINE.into()));
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

    /// Sets our status line (empty clears it); `done` hears whether it worked.
    pub fn set_status(&self, status: String, done: impl FnOnce(Result<(), String>) + 'static) {
        let Some(socket) = self.socket() else {
            done(Err(OFFLINE.into()));
            return;
        };
        spawn_local(async move {
            let request = protocol::SetStatusReq { status };
            done(
                socket
                    .request(&request)
                    .await
                    .map(|_| ())
                    .map_err(|error| describe(&error)),
            );
        });
    }

    /// A page of the people directory: names containing `q`, after the name `after`.
    pub fn find_people(
        &self,
        q: String,
        after: Option<String>,
        answer: impl FnOnce(Result<protocol::PeopleRes, String>) + 'static,
    ) {
        let Some(socket) = self.socket() else {
            answer(Err(OFFLINE.into()));
            return;
        };
        spawn_local(async move {
            let request = protocol::PeopleReq {
                q: Some(q).filter(|q| !q.trim().is_empty()),
                after,
                limit: None,
            };
            answer(
                socket
                    .request(&request)
                    .await
                    .map_err(|error| describe(&error)),
            );
        });
    }

    /// Shows a message with its context: the room is opened (joined if need be), older pages
    /// are loaded until the message is there, then the address points at it (which scrolls to
    /// it and highlights it). A reply in a thread (`thread`: its root) shows in its thread,
    /// opened beside the room once the root is there.
    pub fn reveal(&self, room: String, id: i64, thread: Option<i64>) {
        let shown_in_room = thread.unwrap_or(id);
        /// Pages of 100 read back at most (older messages are reached by scrolling).
        const PAGES_MAX: usize = 20;
        let chat = *self;
        spawn_local(async move {
            let listed = chat
                .rooms
                .with_untracked(|rooms| rooms.get(&room).is_some());
            if listed {
                chat.select(&room);
            } else if !chat
                .join_retrying(room.clone(), chat.show_from_here())
                .await
            {
                return;
            }
            let Some(socket) = chat.socket() else { return };
            for _ in 0..PAGES_MAX {
                let (loaded, first, more) = chat.rooms.with_untracked(|rooms| {
                    rooms.get(&room).map_or((false, None, false), |view| {
                        (
                            view.message(shown_in_room).is_some(),
                            view.first_id(),
                            view.more_before,
                        )
                    })
                });
                if loaded || !more || first.is_none_or(|first| first <= shown_in_room) {
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
            if let Some(root) = thread {
                chat.thread.set(Some(root));
                // Earlier replies, page by page, until the one to show is there.
                let mut before = None;
                for _ in 0..PAGES_MAX {
                    let Ok(more) = chat.read_thread_page(&socket, &room, root, before).await else {
                        break;
                    };
                    // Shown once the pages read reach back to it.
                    let oldest = chat.rooms.with_untracked(|rooms| {
                        rooms
                            .get(&room)
                            .and_then(|view| view.thread_pages.get(&root))
                            .map(|pages| pages.oldest)
                    });
                    if !more || oldest.is_none_or(|oldest| oldest <= id) {
                        break;
                    }
                    before = oldest;
                }
            }
            let link = protocol::links::message_in_place(&room, id, thread);
            chat.go_to.set(Some(link));
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

    /// Blocks someone (after asking) or unblocks them: their DMs, invites and mentions no
    /// longer reach us, and their messages are folded away.
    pub fn set_blocked(&self, username: String, blocked: bool) {
        if blocked {
            let question = format!(
                "Block {username}? They can no longer message you directly, invite you or \
                 notify you with a mention, and their messages are folded away. They are not told."
            );
            if !crate::desktop::confirm(&question) {
                return;
            }
        }
        let Some(socket) = self.socket() else { return };
        let chat = *self;
        spawn_local(async move {
            let request = BlockReq {
                username: username.clone(),
            };
            let result = if blocked {
                socket.request(&request).await
            } else {
                socket.request(&UnblockReq(request)).await
            };
            let text = match result {
                Ok(_) if blocked => format!("you blocked {username}"),
                Ok(_) => format!("you unblocked {username}"),
                Err(error) => format!("could not change the block: {}", describe(&error)),
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

    /// Pins a message of the room on screen, or unpins it (its creator or an admin may; either
    /// person in a DM); everyone in the room sees it through `message_pinned`.
    pub fn set_pinned(&self, id: i64, pinned: bool) {
        let Some(socket) = self.socket() else {
            self.tell(OFFLINE);
            return;
        };
        let chat = *self;
        spawn_local(async move {
            if let Err(error) = socket.request(&PinReq { id, pinned }).await {
                let problem = describe(&error);
                chat.tell(if pinned {
                    format!("could not pin the message: {problem}")
                } else {
                    format!("could not unpin the message: {problem}")
                });
            }
        });
    }

    /// The pinned messages of `room`, the latest pinned first.
    pub fn pins(&self, room: String, answer: impl FnOnce(Result<Vec<Message>, String>) + 'static) {
        let Some(socket) = self.socket() else {
            answer(Err(OFFLINE.into()));
            return;
        };
        spawn_local(async move {
            let result = socket.request(&PinsReq { room }).await;
            answer(
                result
                    .map(|res| res.messages)
                    .map_err(|error| describe(&error)),
            );
        });
    }

    /// Puts a message in the reader's saved list, or takes it out (shown at once; every
    /// device of theirs hears of it through `message_saved`).
    pub fn set_saved(&self, id: i64, saved: bool) {
        let Some(socket) = self.socket() else {
            self.tell(OFFLINE);
            return;
        };
        if let Some(key) = self.active.get_untracked() {
            self.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(&key) {
                    view.mark_saved(id, saved);
                }
            });
        }
        let chat = *self;
        spawn_local(async move {
            if let Err(error) = socket.request(&SaveMessageReq { id, saved }).await {
                chat.rooms
                    .update(|rooms| rooms.update_all(|view| view.mark_saved(id, !saved)));
                let problem = describe(&error);
                chat.tell(if saved {
                    format!("could not save the message: {problem}")
                } else {
                    format!("could not take the message out of your saved list: {problem}")
                });
            }
        });
    }

    /// A page of the threads the reader follows, the one with the newest reply first (v1.30).
    pub fn threads(
        &self,
        before: Option<i64>,
        answer: impl FnOnce(Result<protocol::ThreadsRes, String>) + 'static,
    ) {
        let request = protocol::ThreadsReq {
            before,
            limit: None,
        };
        self.ask(request, answer);
    }

    /// A page of the reader's saved messages, the latest saved first.
    pub fn saved_messages(
        &self,
        before: Option<i64>,
        answer: impl FnOnce(Result<SavedMessagesRes, String>) + 'static,
    ) {
        let request = SavedMessagesReq {
            before,
            limit: None,
        };
        self.ask(request, answer);
    }
}
