//! The live chat: socket events turned into signals, user actions turned into socket requests.
//!
//! [`Chat`] is a `Copy` handle of signals, usable on both targets; only in the browser
//! (`hydrate`) does it own a Socket.IO connection. Messages whose ack was lost to a dropped
//! connection stay on screen as pending and are resent with the same `client_id` after the
//! reconnect, so the server stores them once.

use leptos::prelude::*;
use protocol::{Notification, Room, User};

use crate::model::{ConnState, Rooms};

/// Which side panel is open over the conversation on a narrow screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Drawer {
    /// Neither: the conversation fills the screen.
    #[default]
    Closed,
    /// The room list.
    Rooms,
    /// The people in the room.
    People,
}

/// Signals the chat UI renders, plus (in the browser) the connection behind them.
#[derive(Clone, Copy)]
pub struct Chat {
    /// Connection state for the status badge.
    pub conn: RwSignal<ConnState>,
    /// Joined rooms.
    pub rooms: RwSignal<Rooms>,
    /// Rooms the user may join.
    pub directory: RwSignal<Vec<Room>>,
    /// Key of the room on screen.
    pub active: RwSignal<Option<String>>,
    /// The latest problem to show the user.
    pub notice: RwSignal<Option<String>>,
    /// Who we are.
    pub me: RwSignal<Option<User>>,
    /// Notifications received (newest first).
    pub notifications: RwSignal<Vec<Notification>>,
    /// The notification to show as a toast.
    pub toast: RwSignal<Option<Notification>>,
    /// The side panel open on a narrow screen.
    pub drawer: RwSignal<Drawer>,
    /// An address inside the app to go to (the chat page follows it).
    pub go_to: RwSignal<Option<String>>,
    #[cfg(feature = "hydrate")]
    socket: StoredValue<Option<socket_client::browser::Socket>, LocalStorage>,
}

impl Chat {
    /// A chat with nothing loaded yet.
    #[must_use]
    pub fn new() -> Self {
        Self {
            conn: RwSignal::new(ConnState::Connecting),
            rooms: RwSignal::new(Rooms::default()),
            directory: RwSignal::new(Vec::new()),
            active: RwSignal::new(None),
            notice: RwSignal::new(None),
            me: RwSignal::new(None),
            notifications: RwSignal::new(Vec::new()),
            toast: RwSignal::new(None),
            drawer: RwSignal::new(Drawer::Closed),
            go_to: RwSignal::new(None),
            #[cfg(feature = "hydrate")]
            socket: StoredValue::new_local(None),
        }
    }

    /// Shows a problem to the user.
    pub fn tell(&self, text: impl Into<String>) {
        self.notice.set(Some(text.into()));
    }

    /// Unread notifications.
    #[must_use]
    pub fn unread_notifications(&self) -> usize {
        self.notifications
            .with(|list| list.iter().filter(|n| !n.read).count())
    }

    /// Drops a joined room from the UI; if it was on screen, shows the first remaining one.
    pub fn forget_room(&self, name: &str) {
        self.rooms.update(|rooms| rooms.remove(name));
        if self.active.get_untracked().as_deref() == Some(Rooms::key(name).as_str()) {
            let next = self
                .rooms
                .with_untracked(|rooms| rooms.order.first().cloned());
            self.active.set(next);
        }
    }

    /// Puts a room of the list on screen: the "New messages" divider goes where the reader
    /// left off, and what is loaded counts as read.
    pub fn select(&self, name: &str) {
        let key = Rooms::key(name);
        self.rooms.update(|rooms| {
            if let Some(view) = rooms.joined.get_mut(&key) {
                view.open();
            }
        });
        self.active.set(Some(key));
        self.drawer.set(Drawer::Closed);
        remember_room(name);
        self.mark_active_read();
    }
}

/// Where the last room opened is kept, to open it again on the next visit.
const LAST_ROOM_KEY: &str = "tertulia.room";

/// Remembers the room on screen in this browser.
fn remember_room(name: &str) {
    crate::storage::set(LAST_ROOM_KEY, name);
}

/// The room on screen at the end of the last visit in this browser.
#[cfg(feature = "hydrate")]
fn remembered_room() -> Option<String> {
    crate::storage::get(LAST_ROOM_KEY)
}

impl Default for Chat {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(not(feature = "hydrate"))]
impl Chat {
    /// Connects (browser only).
    pub fn start(
        &self,
        _me: User,
        _first_room: Option<String>,
        _on_unauthorized: impl Fn() + 'static,
    ) {
    }
    /// Joins a room (browser only).
    pub fn join(&self, _name: String, _show: bool) {}
    /// Tells the server what is read (browser only).
    pub fn mark_active_read(&self) {}
    /// Resends a refused message (browser only).
    pub fn retry(&self, _client_id: String) {}
    /// Drops a refused message (browser only).
    pub fn discard(&self, _client_id: String) {}
    /// Mutes or unmutes a room (browser only).
    pub fn set_muted(&self, _name: String, _muted: bool) {}
    /// Sends a message (browser only).
    pub fn send(&self, _text: String) {}
    /// Reports typing (browser only).
    pub fn typing(&self, _room_key: &str, _active: bool) {}
    /// Creates a room (browser only).
    pub fn create_room(&self, _name: String, _topic: String, _private: bool) {}
    /// Loads older messages (browser only).
    pub fn load_older(&self) {}
    /// Reloads the room directory (browser only).
    pub fn refresh_directory(&self) {}
    /// Closes the connection (browser only).
    pub fn close(&self) {}
    /// Opens a DM (browser only).
    pub fn dm(&self, _username: String) {}
    /// Invites someone (browser only).
    pub fn invite(&self, _room: String, _username: String) {}
    /// Marks notifications read (browser only).
    pub fn mark_read(&self, _ids: Vec<i64>) {}
    /// Marks every notification read (browser only).
    pub fn mark_all_read(&self) {}
    /// Takes a room out of the user's list (browser only).
    pub fn leave_for_good(&self, _name: String) {}
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use protocol::events::chat::NS;
    use protocol::events::{GENERAL_ROOM, kinds, notifications as notes};
    use protocol::{
        ConnectRefusal, CreateRoomReq, DmReq, ErrorBody, HideRoomReq, HistoryReq, InviteReq,
        JoinReq, LeaveRoomReq, MarkAllReadReq, MarkReadReq, MarkRoomReadReq, Members, Message,
        MessageReq, MuteRoomReq, Notification, Occupancy, ReadMarker, Resync, RoomClosed,
        RoomCreated, RoomRemoved, RoomsReq, SavedRoom, SavedRoomsReq, Typing, TypingReq, User,
        UserJoined, UserLeft,
    };
    use socket_client::browser::{NsEvent, Socket, same_origin_url};
    use socket_client::{Config, RequestError, Status};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    use super::{Chat, remembered_room};
    use crate::model::{CATCH_UP_OVERLAP_MS, ConnState, Line, RoomView, Rooms};

    /// A fresh idempotency key for a message.
    fn client_id() -> String {
        let random = (js_sys::Math::random() * 1e16) as u64;
        format!("{:x}-{random:x}", js_sys::Date::now() as u64)
    }

    fn describe(error: &RequestError) -> String {
        match error {
            RequestError::Server(ErrorBody { message, .. }) => message.clone(),
            RequestError::Emit(_) => "not connected right now; try again in a moment".into(),
            RequestError::Ack(_) => "the server did not answer; retrying when reconnected".into(),
            RequestError::Decode(e) => format!("unexpected answer from the server: {e}"),
        }
    }

    impl Chat {
        fn socket(&self) -> Option<Socket> {
            self.socket.try_get_value().flatten()
        }

        /// Closes the connection (dropping the socket closes the WebSocket).
        pub fn close(&self) {
            let _ = self.socket.try_set_value(None);
        }

        /// Connects to `/chat` with the session cookie and wires every server event.
        pub fn start(
            &self,
            me: User,
            first_room: Option<String>,
            on_unauthorized: impl Fn() + 'static,
        ) {
            if self.socket().is_some() {
                return;
            }
            self.me.set(Some(me.clone()));
            let socket = Socket::connect(same_origin_url(), Config::default());
            let chat = *self;
            let link = RwSignal::new(Status::Connecting);
            socket.on_status(move |status| {
                link.set(status);
                chat.conn.update(|conn| {
                    *conn = match (status, *conn) {
                        (Status::Offline, _) => ConnState::Offline,
                        (Status::Reconnecting { .. } | Status::Closed, _) => {
                            ConnState::Reconnecting
                        }
                        (_, ConnState::Connected) => ConnState::Connected,
                        (Status::Connected, ConnState::Reconnecting) => ConnState::Reconnecting,
                        _ => ConnState::Connecting,
                    };
                });
            });
            let first_room = StoredValue::new(first_room);
            socket.on_namespace(move |event| match event {
                NsEvent::Connected(ns) if ns == NS => {
                    chat.conn.set(ConnState::Connected);
                    chat.refresh_directory();
                    chat.sync_saved(first_room.get_value());
                    first_room.set_value(None);
                }
                NsEvent::Refused(ns, message) if ns == NS => {
                    if ConnectRefusal::parse(message) == Some(ConnectRefusal::Unauthorized) {
                        on_unauthorized();
                    } else {
                        chat.tell(format!("the chat refused the connection: {message}"));
                    }
                }
                NsEvent::Disconnected(ns, by_server) if ns == NS => {
                    chat.conn.set(if *by_server {
                        ConnState::Offline
                    } else {
                        ConnState::Reconnecting
                    });
                }
                _ => {}
            });
            wire_events(&socket, chat, me);
            wire_notifications(&socket, chat);
            // Two namespaces over one connection.
            socket.connect_namespace(NS, None);
            socket.connect_namespace(notes::NS, None);
            self.socket.set_value(Some(socket));
            watch_visibility(chat);
        }

        /// After (re)connecting: the user's list of rooms from the server (the same on every
        /// device), each joined to follow it live; the room to show is the one asked for, else
        /// the one on screen, else the last one opened in this browser, else the first.
        fn sync_saved(&self, first_room: Option<String>) {
            let Some(socket) = self.socket() else { return };
            let chat = *self;
            spawn_local(async move {
                let saved = match socket.request(&SavedRoomsReq {}).await {
                    Ok(list) => list.rooms,
                    Err(error) => {
                        chat.tell(format!("could not load your rooms: {}", describe(&error)));
                        chat.rejoin(first_room);
                        return;
                    }
                };
                let names: Vec<String> = saved.iter().map(|s| s.room.name.clone()).collect();
                chat.rooms.update(|rooms| {
                    for room in &saved {
                        match rooms.get_mut(&room.room.name) {
                            Some(view) => view.apply_saved(room),
                            None => rooms.insert(RoomView::from_saved(room)),
                        }
                    }
                    rooms.keep_only(&names);
                });
                let listed = |name: &str| names.iter().any(|n| Rooms::key(n) == Rooms::key(name));
                let on_screen = chat.active.get_untracked().filter(|key| listed(key));
                if on_screen.is_none() {
                    chat.active.set(None);
                }
                let show = first_room.clone().or(on_screen).or_else(|| {
                    remembered_room()
                        .filter(|name| listed(name))
                        .or_else(|| names.first().cloned())
                });
                if let Some(room) = first_room.filter(|room| !listed(room)) {
                    chat.join(room, true);
                } else if names.is_empty() {
                    chat.join(GENERAL_ROOM.into(), true);
                }
                for name in names {
                    let shown = show.as_deref().map(Rooms::key) == Some(Rooms::key(&name));
                    chat.join(name, shown);
                }
            });
        }

        /// Tells the server the room on screen is read, if the page is visible and anything
        /// new is loaded.
        pub fn mark_active_read(&self) {
            if !is_page_visible() {
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
            let confirmed = web_sys::window()
                .and_then(|w| w.confirm_with_message(&question).ok())
                .unwrap_or(false);
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
                    Err(error) => {
                        chat.tell(format!("could not leave {label}: {}", describe(&error)))
                    }
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

        /// Sends a refused message again (same `client_id`: stored once at most).
        pub fn retry(&self, client_id: String) {
            let Some(socket) = self.socket() else { return };
            let mut found = None;
            self.rooms.update(|rooms| {
                for view in rooms.joined.values_mut() {
                    if let Some(text) = view.retry_pending(&client_id) {
                        found = Some((view.name.clone(), text));
                    }
                }
            });
            let Some((room, text)) = found else { return };
            let chat = *self;
            spawn_local(async move { chat.deliver(&socket, room, client_id, text).await });
        }

        /// Gives up on a refused message.
        pub fn discard(&self, client_id: String) {
            self.rooms.update(|rooms| {
                for view in rooms.joined.values_mut() {
                    view.drop_pending(&client_id);
                }
            });
        }

        /// After (re)connecting: join the rooms we were in (or `general` the first time).
        fn rejoin(&self, first_room: Option<String>) {
            let joined: Vec<String> = self
                .rooms
                .with_untracked(|rooms| rooms.ordered().iter().map(|r| r.name.clone()).collect());
            if joined.is_empty() {
                self.join(GENERAL_ROOM.into(), first_room.is_none());
                if let Some(room) = first_room {
                    self.join(room, true);
                }
            } else {
                for name in joined {
                    self.join(name, false);
                }
            }
        }

        /// Joins a room (or refreshes it after a reconnect), catching up on missed messages
        /// and resending our unconfirmed ones.
        pub fn join(&self, name: String, show: bool) {
            let Some(socket) = self.socket() else { return };
            let chat = *self;
            spawn_local(async move {
                let result = socket.request(&JoinReq { room: name.clone() }).await;
                let joined = match result {
                    Ok(joined) => joined,
                    Err(error) => {
                        chat.tell(format!("could not join {name}: {}", describe(&error)));
                        return;
                    }
                };
                let key = Rooms::key(&joined.room.name);
                // Re-read the last few seconds we have, in case a message arrived out of order.
                let catch_up_from = chat.rooms.with_untracked(|rooms| {
                    let view = rooms.get(&key)?;
                    view.catch_up_from(view.last_ts()? - CATCH_UP_OVERLAP_MS)
                });
                let oldest_new = joined.history.first().map(|m| m.id);
                chat.rooms.update(|rooms| {
                    let mut view = rooms.get(&key).cloned().unwrap_or_default();
                    view.name = joined.room.name.clone();
                    view.topic = joined.room.topic.clone();
                    view.dm_with = joined.room.dm_with.clone();
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
                if show || chat.active.get_untracked().is_none() {
                    chat.select(&joined.room.name);
                }
                chat.resend_pending(&socket, &key).await;
            });
        }

        async fn catch_up(&self, socket: &Socket, room: &str, mut after: i64) {
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

        async fn resend_pending(&self, socket: &Socket, key: &str) {
            let pending: Vec<(String, String)> = self.rooms.with_untracked(|rooms| {
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
                                    ..
                                } => Some((client_id.clone(), text.clone())),
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
            for (client_id, text) in pending {
                self.deliver(socket, room.clone(), client_id, text).await;
            }
        }

        async fn deliver(&self, socket: &Socket, room: String, client_id: String, text: String) {
            let request = MessageReq {
                room: room.clone(),
                text,
                client_id: Some(client_id.clone()),
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
            self.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(&key) {
                    view.lines.push(Line::Pending {
                        client_id: id.clone(),
                        text: text.clone(),
                        user: me,
                        failed: None,
                    });
                }
            });
            let chat = *self;
            spawn_local(async move { chat.deliver(&socket, room, id, text).await });
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
                    Err(error) => {
                        chat.tell(format!("could not create the room: {}", describe(&error)))
                    }
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

        /// Marks notifications read, here and on the server.
        pub fn mark_read(&self, ids: Vec<i64>) {
            self.notifications.update(|list| {
                for note in list.iter_mut().filter(|n| ids.contains(&n.id)) {
                    note.read = true;
                }
            });
            let Some(socket) = self.socket() else { return };
            spawn_local(async move {
                let _ = socket.request(&MarkReadReq { ids }).await;
            });
        }

        /// Marks every notification read, here and on the server.
        pub fn mark_all_read(&self) {
            self.notifications.update(|list| {
                for note in list.iter_mut() {
                    note.read = true;
                }
            });
            let Some(socket) = self.socket() else { return };
            spawn_local(async move {
                let _ = socket.request(&MarkAllReadReq {}).await;
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
                let request = HistoryReq {
                    room: room.clone(),
                    before,
                    limit: Some(protocol::validate::HISTORY_DEFAULT),
                    ..HistoryReq::default()
                };
                match socket.request(&request).await {
                    Ok(page) => chat.rooms.update(|rooms| {
                        if let Some(view) = rooms.get_mut(&room) {
                            view.more_before = page.more
                                || page.messages.len() as i64
                                    >= protocol::validate::HISTORY_DEFAULT;
                            view.merge(page.messages, &[]);
                        }
                    }),
                    Err(error) => chat.tell(format!(
                        "could not load older messages: {}",
                        describe(&error)
                    )),
                }
            });
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
    }

    fn wire_events(socket: &Socket, chat: Chat, me: User) {
        socket.on(move |message: Message| {
            let key = Rooms::key(&message.room);
            let on_screen = chat.active.get_untracked().as_deref() == Some(key.as_str());
            let visible = on_screen && is_page_visible();
            chat.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(&key) {
                    let author = message.user.id;
                    let added = view.merge([message], &[]);
                    view.typing.retain(|u| u.id != author);
                    if added > 0 && author != me.id && !visible {
                        view.unread += 1;
                    }
                }
            });
            if visible {
                chat.mark_active_read();
            }
        });
        socket.on(move |marker: ReadMarker| {
            chat.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(&marker.room) {
                    view.apply_marker(marker.last_read, marker.unread);
                }
            });
        });
        // A room was added to the list elsewhere (another tab, a DM, an invite): follow it.
        socket.on(move |saved: SavedRoom| {
            let known = chat
                .rooms
                .with_untracked(|rooms| rooms.get(&saved.room.name).is_some());
            chat.rooms
                .update(|rooms| match rooms.get_mut(&saved.room.name) {
                    Some(view) => view.apply_saved(&saved),
                    None => rooms.insert(RoomView::from_saved(&saved)),
                });
            if !known {
                chat.join(saved.room.name, false);
            }
        });
        socket.on(move |removed: RoomRemoved| {
            chat.forget_room(&removed.room);
            chat.refresh_directory();
        });
        socket.on(move |created: RoomCreated| {
            chat.directory.update(|directory| {
                if !directory.iter().any(|r| r.name == created.room.name) {
                    directory.push(created.room);
                }
            });
        });
        socket.on(move |UserJoined(event)| {
            notice(chat, &event.room, &event.user.username, true);
            // Large rooms send only these deltas, not the full `members` list.
            chat.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(&event.room) {
                    view.add_member(event.user);
                }
            });
        });
        socket.on(move |UserLeft(event)| {
            notice(chat, &event.room, &event.user.username, false);
            chat.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(&event.room) {
                    view.typing.retain(|u| u.id != event.user.id);
                    view.members.retain(|u| u.id != event.user.id);
                }
            });
        });
        socket.on(move |event: Members| {
            chat.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(&event.room) {
                    view.members = event.users;
                }
            });
        });
        socket.on(move |event: Typing| {
            chat.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(&event.room) {
                    view.typing.retain(|u| u.id != event.user.id);
                    if event.active {
                        view.typing.push(event.user);
                    }
                }
            });
        });
        socket.on(move |event: Occupancy| {
            chat.directory.update(|directory| {
                for room in directory.iter_mut() {
                    if let Some(live) = event.rooms.iter().find(|r| r.name == room.name) {
                        room.members = live.members;
                    }
                }
            });
        });
        socket.on_error(NS, move |error: ErrorBody| chat.tell(error.message));
        // A server node failed: messages it stored may never have been broadcast.
        socket.on(move |event: Resync| {
            let Some(socket) = chat.socket() else { return };
            let rooms: Vec<(String, i64)> = chat.rooms.with_untracked(|rooms| {
                rooms
                    .ordered()
                    .into_iter()
                    .filter_map(|view| Some((view.name.clone(), view.catch_up_from(event.since)?)))
                    .collect()
            });
            spawn_local(async move {
                for (room, last) in rooms {
                    chat.catch_up(&socket, &room, last).await;
                }
            });
        });
        socket.on(move |event: RoomClosed| {
            chat.forget_room(&event.room);
            chat.refresh_directory();
            chat.tell(format!("{} was closed by an admin", event.room));
        });
    }

    fn wire_notifications(socket: &Socket, chat: Chat) {
        socket.on(move |note: Notification| {
            let known = chat
                .notifications
                .with_untracked(|list| list.iter().any(|n| n.id == note.id));
            if known {
                return;
            }
            if note.kind == kinds::INVITE || note.kind == kinds::DM {
                chat.refresh_directory();
            }
            chat.notifications
                .update(|list| list.insert(0, note.clone()));
            if chat.is_reading(&note) {
                // Already on screen: nothing to catch up on.
                chat.mark_read(vec![note.id]);
            } else if chat.wants_toast(&note) {
                let id = note.id;
                let url = note.url.clone();
                crate::desktop::show_if_hidden(&note, move || {
                    chat.mark_read(vec![id]);
                    chat.go_to.set(url);
                });
                chat.toast.set(Some(note));
            }
        });
    }

    impl Chat {
        /// Whether a notification is about the room the user is reading right now.
        fn is_reading(&self, note: &Notification) -> bool {
            note.url
                .as_deref()
                .and_then(protocol::links::room_of)
                .is_some_and(|room| {
                    is_page_visible() && self.active.get_untracked() == Some(Rooms::key(&room))
                })
        }

        /// A toast for a notification, unless it is a DM ping from a muted room (mentions
        /// always show).
        fn wants_toast(&self, note: &Notification) -> bool {
            let Some(room) = note.url.as_deref().and_then(protocol::links::room_of) else {
                return true;
            };
            let muted = self
                .rooms
                .with_untracked(|rooms| rooms.get(&room).is_some_and(|v| v.muted));
            !(muted && note.kind != kinds::MENTION)
        }
    }

    /// When the tab comes back into view, the room on screen shows where the reader left off
    /// and counts as read.
    fn watch_visibility(chat: Chat) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let on_change = Closure::<dyn Fn()>::new(move || {
            if !is_page_visible() {
                return;
            }
            if let Some(key) = chat.active.try_get_untracked().flatten() {
                chat.rooms.update(|rooms| {
                    if let Some(view) = rooms.get_mut(&key) {
                        view.open();
                    }
                });
                chat.mark_active_read();
            }
        });
        let _ = document.add_event_listener_with_callback(
            "visibilitychange",
            on_change.as_ref().unchecked_ref(),
        );
        // One listener for the page's life.
        on_change.forget();
    }

    fn notice(chat: Chat, room: &str, username: &str, joined: bool) {
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(room) {
                let count = view.lines.len();
                view.presence_notice(username, joined, || {
                    format!("{}-{count}", js_sys::Date::now() as u64)
                });
            }
        });
    }

    fn is_page_visible() -> bool {
        web_sys::window()
            .and_then(|w| w.document())
            .is_none_or(|d| !d.hidden())
    }
}
