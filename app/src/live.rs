//! The live chat: socket events turned into signals, user actions turned into socket requests.
//!
//! [`Chat`] is a `Copy` handle of signals, usable on both targets; only in the browser
//! (`hydrate`) does it own a Socket.IO connection. Messages whose ack was lost to a dropped
//! connection stay on screen as pending and are resent with the same `client_id` after the
//! reconnect, so the server stores them once.

use leptos::prelude::*;
use protocol::{Notification, Room, User};

use crate::model::{ConnState, Rooms};

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

    /// Puts a joined room on screen and clears its unread count.
    pub fn select(&self, name: &str) {
        let key = Rooms::key(name);
        self.rooms.update(|rooms| {
            if let Some(view) = rooms.joined.get_mut(&key) {
                view.unread = 0;
            }
        });
        self.active.set(Some(key));
    }
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
    /// Leaves a room (browser only).
    pub fn leave(&self, _name: String) {}
    /// Sends a message (browser only).
    pub fn send(&self, _text: String) {}
    /// Reports typing (browser only).
    pub fn typing(&self, _active: bool) {}
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
    /// Gives up membership of a private room (browser only).
    pub fn leave_room(&self, _name: String) {}
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use protocol::events::chat::NS;
    use protocol::events::{GENERAL_ROOM, kinds, notifications as notes};
    use protocol::{
        ConnectRefusal, CreateRoomReq, DmReq, ErrorBody, HistoryReq, InviteReq, JoinReq, LeaveReq,
        LeaveRoomReq, MarkAllReadReq, MarkReadReq, Members, Message, MessageReq, Notification,
        Occupancy, Resync, RoomClosed, RoomsReq, Typing, TypingReq, User, UserJoined, UserLeft,
    };
    use socket_client::browser::{NsEvent, Socket, same_origin_url};
    use socket_client::{Config, RequestError, Status};

    use super::Chat;
    use crate::model::{CATCH_UP_OVERLAP_MS, ConnState, Line, Rooms};

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
                    chat.rejoin(first_room.get_value());
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
                                    client_id, text, ..
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
                // Lost in transit: keep it pending; it is resent after the reconnect.
                Err(RequestError::Ack(_) | RequestError::Emit(_)) => {}
                Err(error) => {
                    self.rooms.update(|rooms| {
                        if let Some(view) = rooms.get_mut(&room) {
                            view.drop_pending(&client_id);
                        }
                    });
                    self.tell(format!("message not sent: {}", describe(&error)));
                }
            }
        }

        /// Leaves a room and forgets its timeline.
        pub fn leave(&self, name: String) {
            let Some(socket) = self.socket() else { return };
            let chat = *self;
            spawn_local(async move {
                let result = socket.request(&LeaveReq { room: name.clone() }).await;
                if let Err(error) = result {
                    chat.tell(format!("could not leave {name}: {}", describe(&error)));
                }
                chat.forget_room(&name);
            });
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
                    });
                }
            });
            let chat = *self;
            spawn_local(async move { chat.deliver(&socket, room, id, text).await });
        }

        /// Tells the room on screen whether we are typing.
        pub fn typing(&self, active: bool) {
            let (Some(socket), Some(key)) = (self.socket(), self.active.get_untracked()) else {
                return;
            };
            let Some(room) = self
                .rooms
                .with_untracked(|rooms| rooms.get(&key).map(|v| v.name.clone()))
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

        /// Gives up membership of a private room (after asking): every tab leaves it, and
        /// coming back takes a new invite.
        pub fn leave_room(&self, name: String) {
            let confirmed = web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message(&format!(
                        "Leave {name} for good? You will need a new invite to come back."
                    ))
                    .ok()
                })
                .unwrap_or(false);
            let Some(socket) = self.socket().filter(|_| confirmed) else {
                return;
            };
            let chat = *self;
            spawn_local(async move {
                match socket.request(&LeaveRoomReq { room: name.clone() }).await {
                    Ok(_) => {
                        chat.forget_room(&name);
                        chat.refresh_directory();
                    }
                    Err(error) => {
                        chat.tell(format!("could not leave {name}: {}", describe(&error)))
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
        });
        socket.on(move |UserJoined(event)| {
            notice(chat, &event.room, format!("{} joined", event.user.username));
            // Large rooms send only these deltas, not the full `members` list.
            chat.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(&event.room) {
                    view.add_member(event.user);
                }
            });
        });
        socket.on(move |UserLeft(event)| {
            notice(chat, &event.room, format!("{} left", event.user.username));
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
            chat.toast.set(Some(note));
        });
    }

    fn notice(chat: Chat, room: &str, text: String) {
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(room) {
                let key = format!("{}-{}", js_sys::Date::now() as u64, view.lines.len());
                view.lines.push(Line::Notice { key, text });
            }
        });
    }

    fn is_page_visible() -> bool {
        web_sys::window()
            .and_then(|w| w.document())
            .is_none_or(|d| !d.hidden())
    }
}
