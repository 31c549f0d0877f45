//! The connection: one Socket.IO client per tab, its status, and what happens on every
//! (re)connect (the room list from the server, each room joined again).

use sync::refusals::OnRefusal;

use super::*;

/// The tab's bookkeeping of its connection (kept in [`Chat`]).
#[derive(Default)]
pub(in crate::live) struct Link {
    /// Bumped whenever `/chat` (re)connects and whenever the tab's socket starts or closes.
    generation: u64,
    /// Rooms waiting to be joined, each with the generation it was asked on (see
    /// [`Chat::join_in_turn`]).
    pub(super) joins: sync::JoinQueue,
    /// Whether the visibility listener is in place (once per tab).
    watching: bool,
    /// Whether `/chat` connected since the page opened (until then, a kept snapshot may
    /// stand in for the server's state).
    connected_once: bool,
    /// When the rooms on screen were drawn, if they came with the page (its first screen,
    /// from the server or from the service worker's copy of the page) rather than from this
    /// connection.
    pub(in crate::live) first_screen_drawn: Option<i64>,
    /// Whether the snapshot keeper runs (once per tab), and what it last kept: each room's
    /// revision and the room on screen.
    keeping: bool,
    kept: Vec<(String, u64)>,
}

impl Chat {
    /// Which connection of the tab this is: work begun on one (a chain of joins, a retry
    /// after a pause) stops once it is no longer the current one, rather than carry on over
    /// the next, which starts its own.
    pub(super) fn generation(&self) -> u64 {
        self.link
            .try_with_value(|link| link.generation)
            .unwrap_or(0)
    }

    fn next_generation(&self) {
        self.link.update_value(|link| link.generation += 1);
    }

    /// The tab's connection, once started.
    #[must_use]
    pub fn socket(&self) -> Option<Socket> {
        self.socket.try_get_value().flatten()
    }

    /// Closes the connection (dropping the socket closes the WebSocket; every page's
    /// [`Scope`](socket_client::browser::Scope) goes quiet with it).
    pub fn close(&self) {
        self.next_generation();
        let _ = self.socket.try_set_value(None);
    }

    /// Whether the connection exists (it may be reconnecting).
    #[must_use]
    pub fn is_started(&self) -> bool {
        self.socket().is_some()
    }

    /// A scope on the tab's connection for a page's own listeners and namespaces, once
    /// [`Self::start`] has run.
    #[must_use]
    pub fn scope(&self) -> Option<super::platform::Scope> {
        self.socket().map(|socket| socket.scope())
    }

    /// Shows a room: at once if it is in the list, else after joining it.
    pub fn open(&self, name: String) {
        let listed = self
            .rooms
            .with_untracked(|rooms| rooms.get(&name).is_some());
        if listed {
            self.select(&name);
        } else {
            self.join(name, true);
        }
    }

    /// The room on screen shows where the reader left off and counts as read (when the chat
    /// page comes back, or the tab comes back into view).
    pub fn reopen_active(&self) {
        if let Some(key) = self.active.try_get_untracked().flatten() {
            self.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(&key) {
                    view.open();
                }
            });
            self.mark_active_read();
            self.read_open_thread();
        }
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
        self.start_outbox(me.id);
        self.next_generation();
        let Some(socket) = platform::connect() else {
            return;
        };
        let chat = *self;
        let link = RwSignal::new(Status::Connecting);
        socket.on_status(move |status| {
            link.set(status);
            if matches!(status, Status::Offline | Status::Reconnecting { .. }) {
                chat.stand_in_offline();
            }
            chat.conn.update(|conn| {
                *conn = match (status, *conn) {
                    (Status::Offline, _) => ConnState::Offline,
                    (Status::Reconnecting { .. } | Status::Closed | Status::Unused, _) => {
                        ConnState::Reconnecting
                    }
                    (_, ConnState::Connected) => ConnState::Connected,
                    (Status::Connected, ConnState::Reconnecting) => ConnState::Reconnecting,
                    _ => ConnState::Connecting,
                };
            });
        });
        let first_room = StoredValue::new(first_room);
        let on_unauthorized = std::rc::Rc::new(on_unauthorized);
        let refusals = std::rc::Rc::new(std::cell::RefCell::new(sync::Refusals::new(NS)));
        socket.on_namespace(move |event| match event {
            NsEvent::Connected(ns) => {
                refusals.borrow_mut().connected(ns);
                if ns != NS {
                    return;
                }
                chat.next_generation();
                chat.link.update_value(|link| link.connected_once = true);
                // A new connection: no room is joined on it yet.
                chat.outbox_connection_lost();
                chat.conn.set(ConnState::Connected);
                chat.refresh_directory();
                chat.sync_saved(first_room.get_value());
                chat.sync_blocks();
                first_room.set_value(None);
            }
            NsEvent::Refused(ns, message) => {
                let decision = refusals
                    .borrow_mut()
                    .refused(ns, message, platform::random());
                match decision {
                    OnRefusal::SignOut => on_unauthorized(),
                    OnRefusal::AskAgain { after_ms, tell } => {
                        if tell {
                            chat.tell(format!(
                                "the chat refused the connection ({message}); trying again shortly"
                            ));
                        }
                        ask_again_later(chat, ns.clone(), after_ms);
                    }
                    OnRefusal::Tell => {
                        chat.tell(format!("the chat refused the connection: {message}"));
                    }
                    OnRefusal::Nothing => {}
                }
            }
            NsEvent::Disconnected(ns, by_server) if ns == NS => {
                chat.outbox_connection_lost();
                chat.conn.set(if *by_server {
                    ConnState::Offline
                } else {
                    ConnState::Reconnecting
                });
                // The server ended it: if the session is over (signed out elsewhere, revoked,
                // banned), this page is signed out too.
                if *by_server {
                    let on_unauthorized = on_unauthorized.clone();
                    spawn_local(async move {
                        if platform::session_ended().await {
                            on_unauthorized();
                        }
                    });
                }
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
        // Once the page has settled: its own first load (the wasm above all, on a slow phone)
        // does not share the network with the worker keeping a copy of it.
        spawn_local(async {
            platform::pause(SERVICE_WORKER_AFTER_MS).await;
            platform::register_service_worker();
        });
        keep_snapshots(chat);
        // Offline, or a server that does not answer at once: the kept chat stands in.
        let started = self.generation();
        spawn_local(async move {
            if platform::is_online() {
                platform::pause(STAND_IN_AFTER_MS).await;
            }
            if chat.generation() == started {
                chat.stand_in_offline();
            }
        });
    }

    /// Opened without a connection: the chat as this browser last kept it stands in until
    /// the server's arrives.
    fn stand_in_offline(&self) {
        let Some(me) = self.me.get_untracked() else {
            return;
        };
        let (connected_once, drawn) = self
            .link
            .with_value(|link| (link.connected_once, link.first_screen_drawn));
        let empty = self.rooms.with_untracked(|rooms| rooms.is_empty());
        if connected_once || !(empty || drawn.is_some()) {
            return;
        }
        let Some(snapshot) = crate::offline::kept(me.id) else {
            return;
        };
        // A first screen stands unless the chat kept here is newer (the page can be the
        // service worker's copy from an earlier visit).
        if !empty && drawn.is_none_or(|drawn| snapshot.kept_ts <= drawn) {
            return;
        }
        let rooms = snapshot.restore(Some(me.id));
        let listed = |name: &str| rooms.get(name).is_some();
        let show = remembered_room()
            .filter(|name| listed(name))
            .or_else(|| rooms.order.first().cloned());
        self.rooms.set(rooms);
        if self.conn.get_untracked() == ConnState::Connecting {
            self.conn.set(if platform::is_online() {
                ConnState::Reconnecting
            } else {
                ConnState::Offline
            });
        }
        self.show_outbox();
        if let Some(name) = show {
            self.select(&name);
        }
    }

    /// After (re)connecting: whom the user blocks (it may have changed on another device).
    pub(super) fn sync_blocks(&self) {
        let Some(socket) = self.socket() else { return };
        let chat = *self;
        spawn_local(async move {
            if let Ok(list) = socket.request(&BlocksReq {}).await {
                chat.blocked.set(list.users);
            }
        });
    }

    /// After (re)connecting: the user's list of rooms from the server (the same on every
    /// device), each joined to follow it live; the room to show is the one asked for, else
    /// the one on screen, else the last one opened in this browser, else the first.
    pub(super) fn sync_saved(&self, first_room: Option<String>) {
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
            chat.show_outbox();
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
            let extra = first_room.filter(|room| !listed(room));
            // What waits for a room no longer in the list goes, to be refused with the
            // server's reason rather than wait for ever.
            let kept: Vec<String> = names.iter().cloned().chain(extra.clone()).collect();
            chat.outbox_rooms_gone(&kept);
            if let Some(room) = extra {
                let rooms = std::iter::once(room.clone()).chain(names).collect();
                chat.join_in_turn(rooms, Some(room));
            } else if names.is_empty() {
                chat.join_in_turn(vec![GENERAL_ROOM.into()], Some(GENERAL_ROOM.into()));
            } else {
                chat.join_in_turn(names, show);
            }
        });
    }

    /// After (re)connecting: join the rooms we were in (or `general` the first time).
    pub(super) fn rejoin(&self, first_room: Option<String>) {
        let joined: Vec<String> = self
            .rooms
            .with_untracked(|rooms| rooms.ordered().iter().map(|r| r.name.clone()).collect());
        if joined.is_empty() {
            let show = first_room.clone().unwrap_or_else(|| GENERAL_ROOM.into());
            let rooms = std::iter::once(GENERAL_ROOM.to_owned())
                .chain(first_room)
                .collect();
            self.join_in_turn(rooms, Some(show));
        } else {
            self.join_in_turn(joined, None);
        }
    }
}

/// When the tab comes back into view, the room on screen shows where the reader left off
/// and counts as read; that, and every key or click, tells the server the person is here
/// (v1.21). Once per tab: the app's [`Chat`] lives as long as the tab.
pub(super) fn watch_visibility(chat: Chat) {
    let watching = chat
        .link
        .try_update_value(|link| std::mem::replace(&mut link.watching, true));
    if watching != Some(false) {
        return;
    }
    platform::on_visibility_change(move || {
        if platform::is_page_visible() {
            chat.acted();
            if chat.reading.try_get_untracked() == Some(true) {
                chat.reopen_active();
            }
        }
    });
    platform::on_person_acting(move || chat.acted());
}

/// How long after the chat starts the service worker is registered.
const SERVICE_WORKER_AFTER_MS: u64 = 10_000;

/// How long a start waits for the server before the kept chat stands in (at once when the
/// browser knows it is offline).
const STAND_IN_AFTER_MS: u64 = 2_000;

/// Every few seconds (and when the page is hidden or left), the chat as it is now is kept in
/// this browser for an offline start, once it came from the server and if it changed.
fn keep_snapshots(chat: Chat) {
    let started = chat
        .link
        .try_update_value(|link| std::mem::replace(&mut link.keeping, true));
    if started != Some(false) {
        return;
    }
    let keep = move || {
        let Some(me) = chat.me.try_get_untracked().flatten() else {
            return;
        };
        let Some(connected_once) = chat.link.try_with_value(|link| link.connected_once) else {
            return;
        };
        let active = chat.active.get_untracked();
        let state: Vec<(String, u64)> = chat.rooms.with_untracked(|rooms| {
            rooms
                .ordered()
                .iter()
                .map(|view| (Rooms::key(&view.name), view.rev))
                .chain(active.iter().map(|key| (key.clone(), u64::MAX)))
                .collect()
        });
        let changed = chat.link.with_value(|link| link.kept != state);
        if !connected_once || !changed {
            return;
        }
        let mut snapshot = chat
            .rooms
            .with_untracked(|rooms| crate::offline::Snapshot::of(rooms, active.as_deref()));
        snapshot.kept_ts = platform::now_ms() as i64;
        crate::offline::keep(me.id, &snapshot);
        chat.link.update_value(|link| link.kept = state);
    };
    platform::every(3_000, keep);
    platform::on_page_hide(keep);
}

/// Asks for a namespace refused for a passing reason again after `delay` ms (see
/// [`sync::refusals`]), if it is still refused on the connection of the moment.
fn ask_again_later(chat: Chat, ns: String, delay: u64) {
    let started = chat.generation();
    spawn_local(async move {
        platform::pause(delay).await;
        if chat.generation() != started {
            return;
        }
        if let Some(socket) = chat.socket().filter(|socket| socket.is_refused(&ns)) {
            socket.connect_namespace(&ns, None);
        }
    });
}
