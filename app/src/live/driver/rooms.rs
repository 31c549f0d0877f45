//! Rooms: joining (with catch-up), the list and directory, leaving, muting, creating, DMs,
//! invites, older history and read markers.

use sync::Show;
use sync::joins::AfterFailure;

use super::*;

impl Chat {
    /// A [`Show`] for a room to show now.
    pub(super) fn show_from_here(&self) -> Show {
        Show::UnlessMoved {
            on_screen: self.active.get_untracked(),
        }
    }

    /// Joins a room (or refreshes it after a reconnect), catching up on missed messages
    /// and resending our unconfirmed ones; a passing refusal is retried (see
    /// [`Self::join_retrying`]).
    pub fn join(&self, name: String, show: bool) {
        let chat = *self;
        let show = if show {
            self.show_from_here()
        } else {
            Show::No
        };
        spawn_local(async move {
            chat.join_retrying(name, show).await;
        });
    }

    /// Joins rooms one after another, in one queue for the tab (see [`sync::joins`]): `show`
    /// (if among them) goes ahead of the rooms waiting, to be shown unless the reader moves
    /// meanwhile; the others after.
    pub(super) fn join_in_turn(&self, names: Vec<String>, show: Option<String>) {
        let asked_on = self.generation();
        let shown = show.as_deref().map(|name| (name, self.show_from_here()));
        let start_worker = self
            .link
            .try_update_value(|link| link.joins.ask(names, shown, asked_on));
        if start_worker != Some(true) {
            return;
        }
        let chat = *self;
        spawn_local(async move {
            loop {
                let current = chat.generation();
                let Some(Some((name, show))) =
                    chat.link.try_update_value(|link| link.joins.next(current))
                else {
                    return;
                };
                chat.join_retrying(name, show).await;
            }
        });
    }

    /// [`Self::join_now`], tried again after a growing delay while the answer is a passing
    /// one and the connection is still the same; any other failure is told once; a
    /// connection lost meanwhile ends it, the rooms being joined again (and what they owe
    /// caught up) when it is back. See [`sync::joins::after_failure`].
    pub(super) async fn join_retrying(&self, name: String, show: Show) -> bool {
        let started = self.generation();
        for attempt in 0.. {
            let error = match self.join_now(name.clone(), show.clone()).await {
                Ok(()) => return true,
                Err(error) => error,
            };
            let connected = self.conn.get_untracked() == ConnState::Connected;
            match sync::joins::after_failure(attempt, &error, connected, platform::random()) {
                AfterFailure::RetryAfter(delay) => platform::pause(delay).await,
                AfterFailure::Tell => {
                    self.tell(format!("could not open {name}: {}", describe(&error)));
                    return false;
                }
                AfterFailure::Wait => return false,
            }
            if self.generation() != started {
                return false;
            }
        }
        false
    }

    /// Joins a room and loads it: the latest messages, the ones missed since we last had it
    /// (page by page) and what changed in the ones we have, then lets what waits for it in
    /// the outbox go. What is missed is recorded in the room as owed before it is asked for, so a
    /// failure part-way leaves it owed for the next attempt rather than a silent gap.
    ///
    /// # Errors
    /// The first request that failed.
    pub(super) async fn join_now(&self, name: String, show: Show) -> Result<(), RequestError> {
        let socket = self
            .socket()
            .ok_or_else(|| socket_client::EmitError::NotConnected(NS.to_owned()))?;
        // The room's own timeline: replies in threads are read when their thread opens.
        let request = JoinReq {
            room: name,
            main: true,
        };
        let joined = socket.request(&request).await?;
        let key = Rooms::key(&joined.room.name);
        let oldest_new = joined.history.first().map(|m| m.id);
        let owed = self.rooms.with_untracked(|rooms| {
            rooms
                .get(&key)
                .map(|view| view.owed_on_main_join(oldest_new))
                .unwrap_or_default()
        });
        let me = self.my_id();
        self.rooms.update(|rooms| {
            let mut view = rooms.get(&key).cloned().unwrap_or_default();
            view.apply_room(&joined.room);
            view.members = joined.members.clone();
            // Who types is told afresh from here: a stop missed while away shows no one.
            view.typing.clear();
            if view.lines.is_empty() {
                view.more_before = joined.more
                    || joined.history.len() as i64 >= protocol::validate::HISTORY_DEFAULT;
            }
            view.merge(joined.history.clone(), me);
            // The page is answered to this reader: its saved marks hold for the messages
            // already loaded too (saving is not a change `changes` reports).
            for message in &joined.history {
                view.mark_saved(message.id, message.saved);
            }
            view.history_read = true;
            // Counted after the history was read: with it, the exact unread count (v1.6).
            if let Some(read) = &joined.read {
                view.apply_marker(read.last_read, read.unread, read.through);
            }
            view.owed = owed;
            if owed.history_after.is_none() {
                // Nothing missed between what we had and this page: we hold everything up
                // to its newest message, and up to the newest message the marker counted
                // (v1.6): the page holds the room's own timeline only (v1.22), and the replies
                // in threads stored before the marker was counted are summed up in their
                // roots, read with the page; any stored after come live.
                let newest = joined.history.last().map(|m| m.id).or(view.last_id());
                let counted = joined.read.as_ref().and_then(|read| read.through);
                view.cursor.complete_through(newest.max(counted));
            }
            rooms.insert(view);
        });
        // Our messages waiting in the outbox show in place (after a reload, the room is new).
        self.show_outbox();
        // A read made here that the server never heard of (made offline): report it now.
        self.report_unreported_read(&socket, &key);
        let caught_up = self.catch_up_owed(&socket, &joined.room.name, owed).await;
        // What waits in the outbox for this room goes out whatever the catch-up did
        // (messages are stored once by their `client_id`, however often they are sent).
        self.outbox_room_ready(&key);
        caught_up?;
        // A thread open beside the room reads its replies again: some may have come while the
        // connection was down.
        if self.active.get_untracked().as_deref() == Some(key.as_str())
            && let Some(root) = self.thread.get_untracked()
        {
            self.load_thread(root, None);
        }
        // Shown only once caught up: showing a room counts it as read up to its newest
        // message, which would pass over a gap not read yet.
        if show.shows(self.active.get_untracked().as_deref()) {
            // A room already on screen (drawn with the page, or while reconnecting) stays as
            // the reader has it: a drawer they opened meanwhile stays open.
            if self.active.get_untracked().as_deref() == Some(key.as_str()) {
                self.show_room(&joined.room.name);
            } else {
                self.select(&joined.room.name);
            }
        }
        Ok(())
    }

    /// Reads what a room owes: the messages missed, then the changes to the ones we have.
    ///
    /// # Errors
    /// The request that failed (what is left stays owed).
    pub(super) async fn catch_up_owed(
        &self,
        socket: &Socket,
        room: &str,
        owed: Owed,
    ) -> Result<(), RequestError> {
        if let Some(from) = owed.history_after {
            self.catch_up(socket, room, from).await?;
        }
        if let Some(since) = owed.changes_since {
            self.catch_up_changes(socket, room, since).await?;
        }
        Ok(())
    }

    /// Reads the messages after `after` page by page into the room, settling what it owes
    /// as each page arrives.
    ///
    /// # Errors
    /// The request that failed (what is left stays owed).
    pub(super) async fn catch_up(
        &self,
        socket: &Socket,
        room: &str,
        mut after: i64,
    ) -> Result<(), RequestError> {
        loop {
            let request = HistoryReq {
                room: room.to_owned(),
                after: Some(after),
                limit: Some(protocol::validate::HISTORY_MAX),
                ..HistoryReq::default()
            };
            let page = socket.request(&request).await?;
            let complete =
                (page.messages.len() as i64) < protocol::validate::HISTORY_MAX && !page.more;
            let last = page.messages.last().map(|m| m.id).filter(|_| !complete);
            let me = self.my_id();
            let newest = page.messages.last().map_or(after, |m| m.id);
            self.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(room) {
                    view.merge(page.messages, me);
                    view.owed.history_read(after, last);
                    if last.is_none() && view.owed.history_after.is_none() {
                        // Read to the end: every message up to the newest is held.
                        view.cursor.complete_through(Some(newest));
                    }
                }
            });
            match last {
                Some(last) => after = last,
                None => return Ok(()),
            }
        }
    }

    /// Takes a room out of the user's list on every device, after asking. A private room
    /// is left for good (coming back takes a new invite), a group until someone in it opens
    /// it again; a public room or a DM can be opened again later.
    pub fn leave_for_good(&self, name: String) {
        let Some((label, private, direct, group)) = self.rooms.with_untracked(|rooms| {
            rooms
                .get(&name)
                .map(|v| (v.label(), v.private, v.is_direct(), v.is_group()))
        }) else {
            return;
        };
        let members_only = private && (!direct || group);
        let question = if group {
            format!(
                "Leave the group with {label}? Its messages stop reaching you until someone in it opens it again."
            )
        } else if members_only {
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

    /// Creates a room and joins it; `done` hears whether the server created it.
    pub fn create_room(
        &self,
        name: String,
        topic: String,
        private: bool,
        done: impl FnOnce(Result<(), String>) + 'static,
    ) {
        let Some(socket) = self.socket() else {
            done(Err(OFFLINE.into()));
            return;
        };
        let chat = *self;
        spawn_local(async move {
            let request = CreateRoomReq {
                name,
                topic: Some(topic).filter(|t| !t.trim().is_empty()),
                private,
            };
            match socket.request(&request).await {
                Ok(created) => {
                    done(Ok(()));
                    chat.refresh_directory();
                    chat.join(created.room.name, true);
                }
                Err(error) => done(Err(format!(
                    "could not create the room: {}",
                    describe(&error)
                ))),
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

    /// Opens (creating if needed) the conversation of the user and these 2 to 7 people;
    /// `done` hears whether it opened.
    pub fn group_dm(
        &self,
        usernames: Vec<String>,
        done: impl FnOnce(Result<(), String>) + 'static,
    ) {
        let Some(socket) = self.socket() else {
            done(Err(OFFLINE.to_owned()));
            return;
        };
        let chat = *self;
        spawn_local(async move {
            match socket.request(&GroupDmReq { usernames }).await {
                Ok(created) => {
                    chat.join(created.room.name, true);
                    done(Ok(()));
                }
                Err(error) => done(Err(format!(
                    "could not open the conversation: {}",
                    describe(&error)
                ))),
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
            main: true,
            ..HistoryReq::default()
        };
        let page = socket.request(&request).await?;
        let me = self.my_id();
        self.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(room) {
                view.more_before = page.more || page.messages.len() as i64 >= limit;
                view.merge(page.messages, me);
            }
        });
        Ok(())
    }

    /// Opens the thread of message `root` in the room on screen, beside it, and reads its
    /// replies (the newest page; the ones already loaded show at once).
    /// Its notifications count as read: the reader is looking at it.
    pub fn open_thread(&self, root: i64) {
        self.thread.set(Some(root));
        self.load_thread(root, None);
        self.mark_thread_notes_read(root);
    }

    /// The open thread is on screen: if the reader follows it and it has news, they read it
    /// now, here and on the server (v1.23).
    pub fn read_open_thread(&self) {
        if !self.is_on_screen() {
            return;
        }
        let (Some(root), Some(key)) = (self.thread.get_untracked(), self.active.get_untracked())
        else {
            return;
        };
        // Only once its replies were read from the server (shown, not merely counted), and
        // only when there is news: otherwise nothing changes and nothing redraws.
        let news = self.rooms.with_untracked(|rooms| {
            rooms.get(&key).is_some_and(|view| {
                view.thread_pages.contains_key(&root) && view.thread_news(root).is_some()
            })
        });
        if !news {
            return;
        }
        let mut read = None;
        self.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&key) {
                read = view.read_thread(root).map(|id| (view.name.clone(), id));
            }
        });
        let (Some((room, id)), Some(socket)) = (read, self.socket()) else {
            return;
        };
        spawn_local(async move {
            // Lost, the server keeps the older marker: the thread shows news again on the next
            // load, which is all it costs.
            let _ = socket.request(&MarkThreadReadReq { room, root, id }).await;
        });
    }

    /// Marks read the unread notifications that lead into the thread of `root` in the room on
    /// screen (`…&thread=<root>#m<id>`).
    fn mark_thread_notes_read(&self, root: i64) {
        let Some(room) = self.with_shown_untracked(|view| view.name.clone()) else {
            return;
        };
        let about = format!("{}#", protocol::links::thread(&room, root));
        let ids: Vec<i64> = self.notifications.with_untracked(|list| {
            list.iter()
                .filter(|note| !note.read)
                .filter(|note| {
                    note.url
                        .as_deref()
                        .is_some_and(|url| url.starts_with(&about))
                })
                .map(|note| note.id)
                .collect()
        });
        if !ids.is_empty() {
            self.mark_read(ids);
        }
    }

    /// Reads a page of the replies in the thread of `root` in the room on screen: the newest
    /// ones, or those before `before` ("earlier replies").
    pub fn load_thread(&self, root: i64, before: Option<i64>) {
        let (Some(socket), Some(key)) = (self.socket(), self.active.get_untracked()) else {
            return;
        };
        let Some(room) = self
            .rooms
            .with_untracked(|rooms| rooms.get(&key).map(|v| v.name.clone()))
        else {
            return;
        };
        let chat = *self;
        spawn_local(async move {
            if let Err(error) = chat.read_thread_page(&socket, &room, root, before).await {
                chat.tell(format!("could not load the thread: {}", describe(&error)));
            }
        });
    }

    /// Reads a page of the thread of `root` in `room` into the room's view (see
    /// [`RoomView::merge_thread_page`]); whether earlier replies may exist before it.
    ///
    /// # Errors
    /// The request's failure.
    pub(super) async fn read_thread_page(
        &self,
        socket: &Socket,
        room: &str,
        root: i64,
        before: Option<i64>,
    ) -> Result<bool, RequestError> {
        let limit = protocol::validate::HISTORY_MAX;
        let request = HistoryReq {
            room: room.to_owned(),
            before,
            limit: Some(limit),
            thread: Some(root),
            ..HistoryReq::default()
        };
        let page = socket.request(&request).await?;
        let me = self.my_id();
        // A page that holds the root holds the thread's start.
        let more = page.more
            || (page.messages.len() as i64 >= limit
                && page.messages.first().is_none_or(|m| m.id != root));
        self.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(room) {
                view.merge_thread_page(root, page.messages, more, me);
            }
        });
        Ok(more)
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
        // Before the connection (a first screen, a kept chat standing in) nothing is marked:
        // the room's join does it, after putting the "New messages" divider in place.
        if !self.is_on_screen() || self.conn.get_untracked() != ConnState::Connected {
            return;
        }
        let Some(key) = self.active.get_untracked() else {
            return;
        };
        let unread = self.rooms.with_untracked(|rooms| {
            rooms
                .get(&key)
                .is_some_and(|v| v.unread_count() > 0 || v.last_id() > Some(v.last_read()))
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

    /// Our user's id, once known.
    pub(super) fn my_id(&self) -> Option<i64> {
        self.me.get_untracked().map(|me| me.id)
    }

    /// Tells the server of a read made here that it has not confirmed (the reader read while
    /// offline, or the request was lost); its answer, and the `read_marker` every tab gets,
    /// settle it.
    pub(super) fn report_unreported_read(&self, socket: &Socket, key: &str) {
        let unreported = self.rooms.with_untracked(|rooms| {
            let view = rooms.get(key)?;
            Some((view.name.clone(), view.unread.unreported_read()?))
        });
        if let Some((room, id)) = unreported {
            let socket = socket.clone();
            spawn_local(async move {
                let _ = socket.request(&MarkRoomReadReq { room, id }).await;
            });
        }
    }
}
