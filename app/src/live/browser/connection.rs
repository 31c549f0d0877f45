//! The connection: one Socket.IO client per tab, its status, and what happens on every
//! (re)connect (the room list from the server, each room joined again).

use std::cell::Cell;

use super::*;

thread_local! {
    /// Bumped whenever `/chat` (re)connects and whenever the tab's socket starts or closes.
    static GENERATION: Cell<u64> = const { Cell::new(0) };
}

/// Which connection of the tab this is: work begun on one (a chain of joins, a retry after a
/// pause) stops once it is no longer the current one, rather than carry on over the next,
/// which starts its own.
pub(super) fn generation() -> u64 {
    GENERATION.with(Cell::get)
}

fn next_generation() {
    GENERATION.with(|g| g.set(g.get() + 1));
}

impl Chat {
    /// The tab's connection, once started.
    #[must_use]
    pub fn socket(&self) -> Option<Socket> {
        self.socket.try_get_value().flatten()
    }

    /// Closes the connection (dropping the socket closes the WebSocket; every page's
    /// [`Scope`](socket_client::browser::Scope) goes quiet with it).
    pub fn close(&self) {
        next_generation();
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
    pub fn scope(&self) -> Option<socket_client::browser::Scope> {
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
        next_generation();
        let socket = Socket::connect(same_origin_url(), Config::default());
        let chat = *self;
        let link = RwSignal::new(Status::Connecting);
        socket.on_status(move |status| {
            link.set(status);
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
        let refusals = RefusalCount::default();
        socket.on_namespace(move |event| match event {
            NsEvent::Connected(ns) => {
                refusals.reset(ns);
                if ns != NS {
                    return;
                }
                next_generation();
                chat.conn.set(ConnState::Connected);
                chat.refresh_directory();
                chat.sync_saved(first_room.get_value());
                first_room.set_value(None);
            }
            NsEvent::Refused(ns, message) => match ConnectRefusal::parse(message) {
                Some(ConnectRefusal::Unauthorized) if ns == NS => on_unauthorized(),
                Some(ConnectRefusal::RateLimited | ConnectRefusal::Internal) => {
                    let attempt = refusals.count(ns);
                    if attempt == 0 && ns == NS {
                        chat.tell(format!(
                            "the chat refused the connection ({message}); trying again shortly"
                        ));
                    }
                    ask_again_later(chat, ns.clone(), attempt);
                }
                _ if ns == NS => chat.tell(format!("the chat refused the connection: {message}")),
                _ => {}
            },
            NsEvent::Disconnected(ns, by_server) if ns == NS => {
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
                        if crate::api::session_ended().await {
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
/// and counts as read. Once per tab: the app's [`Chat`] lives as long as the tab.
pub(super) fn watch_visibility(chat: Chat) {
    thread_local! {
        static WATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if WATCHING.with(|w| w.replace(true)) {
        return;
    }
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let on_change = Closure::<dyn Fn()>::new(move || {
        if is_page_visible() && chat.reading.try_get_untracked() == Some(true) {
            chat.reopen_active();
        }
    });
    let _ = document
        .add_event_listener_with_callback("visibilitychange", on_change.as_ref().unchecked_ref());
    // One listener for the page's life.
    on_change.forget();
}

/// Passing refusals of each namespace since it last connected.
#[derive(Clone, Default)]
struct RefusalCount(std::rc::Rc<std::cell::RefCell<std::collections::HashMap<String, u32>>>);

impl RefusalCount {
    /// The refusals of `ns` before this one; counts this one.
    fn count(&self, ns: &str) -> u32 {
        let mut counts = self.0.borrow_mut();
        let count = counts.entry(ns.to_owned()).or_default();
        *count += 1;
        *count - 1
    }

    fn reset(&self, ns: &str) {
        self.0.borrow_mut().remove(ns);
    }
}

/// A namespace refused for a passing reason (`rate_limited`: too many tabs open; `internal`:
/// the server could not check, e.g. its Redis is away) is asked for again after a growing,
/// jittered delay, while it is still refused on the connection of the moment.
fn ask_again_later(chat: Chat, ns: String, attempt: u32) {
    let backoff = socket_client::Backoff {
        base_ms: 2_000,
        max_ms: 60_000,
        jitter: 0.5,
    };
    let delay = backoff.delay_ms(attempt, js_sys::Math::random());
    let started = generation();
    spawn_local(async move {
        pause(delay).await;
        if generation() != started {
            return;
        }
        if let Some(socket) = chat.socket().filter(|socket| socket.is_refused(&ns)) {
            socket.connect_namespace(&ns, None);
        }
    });
}
