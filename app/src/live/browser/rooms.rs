//! Rooms: joining (with catch-up), the list and directory, leaving, muting, creating, DMs,
//! invites, older history and read markers.

use super::*;

impl Chat {
    /// Joins a room (or refreshes it after a reconnect), catching up on missed messages
    /// and resending our unconfirmed ones.
    pub fn join(&self, name: String, show: bool) {
        let chat = *self;
        spawn_local(async move {
            chat.join_now(name, show).await;
        });
    }

    /// [`Self::join`], done when the room is loaded; whether it worked.
    pub(super) async fn join_now(&self, name: String, show: bool) -> bool {
        let Some(socket) = self.socket() else {
            return false;
        };
        let chat = *self;
        {
            let result = socket.request(&JoinReq { room: name.clone() }).await;
            let joined = match result {
                Ok(joined) => joined,
                Err(error) => {
                    chat.tell(format!("could not join {name}: {}", describe(&error)));
                    return false;
                }
            };
            let key = Rooms::key(&joined.room.name);
            // Re-read the last few seconds we have, in case a message arrived out of order.
            let catch_up_from = chat.rooms.with_untracked(|rooms| {
                let view = rooms.get(&key)?;
                view.catch_up_from(view.last_ts()? - CATCH_UP_OVERLAP_MS)
            });
            // Changes after the newest thing we knew of in the room (edits included).
            let changes_since = chat.rooms.with_untracked(|rooms| {
                let view = rooms.get(&key)?;
                view.last_ts().map(|ts| ts - CATCH_UP_OVERLAP_MS)
            });
            let oldest_new = joined.history.first().map(|m| m.id);
            chat.rooms.update(|rooms| {
                let mut view = rooms.get(&key).cloned().unwrap_or_default();
                view.name = joined.room.name.clone();
                view.topic = joined.room.topic.clone();
                view.dm_with = joined.room.dm_with.clone();
                view.created_by = joined.room.created_by;
                view.private = joined.room.private;
                view.members = joined.members.clone();
                if view.lines.is_empty() {
                    view.more_before = joined.more
                        || joined.history.len() as i64 >= protocol::validate::HISTORY_DEFAULT;
                }
                view.merge(joined.history.clone(), &[]);
                rooms.insert(view);
            });
            // A gap between what we had and the latest 50: fetch it page by page.
            if let (Some(from), Some(oldest)) = (catch_up_from, oldest_new)
                && oldest > from + 1
            {
                chat.catch_up(&socket, &joined.room.name, from).await;
            }
            // Messages we had may have been edited, deleted or reacted to meanwhile.
            if let Some(since) = changes_since {
                chat.catch_up_changes(&socket, &joined.room.name, since)
                    .await;
            }
            if show || chat.active.get_untracked().is_none() {
                chat.select(&joined.room.name);
            }
            chat.resend_pending(&socket, &key).await;
        }
        true
    }

    pub(super) async fn catch_up(&self, socket: &Socket, room: &str, mut after: i64) {
        loop {
            let request = HistoryReq {
                room: room.to_owned(),
                after: Some(after),
                limit: Some(protocol::validate::HISTORY_MAX),
                ..HistoryReq::default()
            };
            let Ok(page) = socket.request(&request).await else {
                return;
            };
            let count = page.messages.len() as i64;
            let more = page.more;
            let Some(last) = page.messages.last().map(|m| m.id) else {
                return;
            };
            self.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(room) {
                    view.merge(page.messages, &[]);
                }
            });
            if count < protocol::validate::HISTORY_MAX && !more {
                return;
            }
            after = last;
        }
    }

    /// Takes a room out of the user's list on every device, after asking. A private room
    /// is left for good (coming back takes a new invite); a public room or a DM can be
    /// opened again later.
    pub fn leave_for_good(&self, name: String) {
        let Some((label, members_only)) = self.rooms.with_untracked(|rooms| {
            rooms
                .get(&name)
                .map(|v| (v.label(), v.private && v.dm_with.is_none()))
        }) else {
            return;
        };
        let question = if members_only {
            format!("Leave {label} for good? You will need a new invite to come back.")
        } else {
            format!("Leave {label}? It leaves your list on all your devices.")
        };
        let confirmed = crate::desktop::confirm(&question);
        let Some(socket) = self.socket().filter(|_| confirmed) else {
            return;
        };
        let chat = *self;
        spawn_local(async move {
            let result = if members_only {
                socket.request(&LeaveRoomReq { room: name.clone() }).await
            } else {
                socket.request(&HideRoomReq { room: name.clone() }).await
            };
            match result {
                Ok(_) => {
                    chat.forget_room(&name);
                    chat.refresh_directory();
                }
                Err(error) => chat.tell(format!("could not leave {label}: {}", describe(&error))),
            }
        });
    }

    /// Mutes or unmutes a room of the list (on every device).
    pub fn set_muted(&self, name: String, muted: bool) {
        let Some(socket) = self.socket() else { return };
        let chat = *self;
        spawn_local(async move {
            let request = MuteRoomReq {
                room: name.clone(),
                muted,
            };
            if let Err(error) = socket.request(&request).await {
                chat.tell(format!("could not change {name}: {}", describe(&error)));
            }
        });
    }

    /// Creates a room and joins it.
    pub fn create_room(&self, name: String, topic: String, private: bool) {
        let Some(socket) = self.socket() else { return };
        let chat = *self;
        spawn_local(async move {
            let request = CreateRoomReq {
                name,
                topic: Some(topic).filter(|t| !t.trim().is_empty()),
                private,
            };
            match socket.request(&request).await {
                Ok(created) => {
                    chat.refresh_directory();
                    chat.join(created.room.name, true);
                }
                Err(error) => chat.tell(format!("could not create the room: {}", describe(&error))),
            }
        });
    }

    /// Opens (creating if needed) the direct conversation with `username`.
    pub fn dm(&self, username: String) {
        let Some(socket) = self.socket() else { return };
        let chat = *self;
        spawn_local(async move {
            match socket.request(&DmReq { username }).await {
                Ok(created) => chat.join(created.room.name, true),
                Err(error) => chat.tell(format!(
                    "could not open the conversation: {}",
                    describe(&error)
                )),
            }
        });
    }

    /// Invites `username` to a private room.
    pub fn invite(&self, room: String, username: String) {
        let Some(socket) = self.socket() else { return };
        let chat = *self;
        spawn_local(async move {
            let request = InviteReq {
                room,
                username: username.clone(),
            };
            match socket.request(&request).await {
                Ok(_) => chat.tell(format!("{username} is invited")),
                Err(error) => {
                    chat.tell(format!("could not invite {username}: {}", describe(&error)))
                }
            }
        });
    }

    /// Loads the page of messages before the oldest one on screen.
    pub fn load_older(&self) {
        let (Some(socket), Some(key)) = (self.socket(), self.active.get_untracked()) else {
            return;
        };
        let Some((room, before)) = self
            .rooms
            .with_untracked(|rooms| rooms.get(&key).map(|v| (v.name.clone(), v.first_id())))
        else {
            return;
        };
        let chat = *self;
        spawn_local(async move {
            let limit = protocol::validate::HISTORY_DEFAULT;
            if let Err(error) = chat.load_before(&socket, &room, before, limit).await {
                chat.tell(format!(
                    "could not load older messages: {}",
                    describe(&error)
                ));
            }
        });
    }

    /// Loads up to `limit` messages of a room older than `before` into its view, and whether
    /// more may exist before them.
    pub(super) async fn load_before(
        &self,
        socket: &Socket,
        room: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(), RequestError> {
        let request = HistoryReq {
            room: room.to_owned(),
            before,
            limit: Some(limit),
            ..HistoryReq::default()
        };
        let page = socket.request(&request).await?;
        self.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(room) {
                view.more_before = page.more || page.messages.len() as i64 >= limit;
                view.merge(page.messages, &[]);
            }
        });
        Ok(())
    }

    /// Reloads the list of rooms the user may join.
    pub fn refresh_directory(&self) {
        let Some(socket) = self.socket() else { return };
        let chat = *self;
        spawn_local(async move {
            if let Ok(list) = socket.request(&RoomsReq {}).await {
                chat.directory.set(list.rooms);
            }
        });
    }

    /// Tells the server the room on screen is read, if the page is visible and anything
    /// new is loaded.
    pub fn mark_active_read(&self) {
        if !self.is_on_screen() {
            return;
        }
        let Some(key) = self.active.get_untracked() else {
            return;
        };
        let unread = self.rooms.with_untracked(|rooms| {
            rooms
                .get(&key)
                .is_some_and(|v| v.unread > 0 || v.last_id() > Some(v.last_read))
        });
        if !unread {
            return;
        }
        let mut moved = None;
        self.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&key) {
                moved = view.read_all().map(|id| (view.name.clone(), id));
            }
        });
        if let (Some((room, id)), Some(socket)) = (moved, self.socket()) {
            spawn_local(async move {
                let _ = socket.request(&MarkRoomReadReq { room, id }).await;
            });
        }
    }
}
