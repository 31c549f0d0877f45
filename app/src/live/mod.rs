//! The live chat: socket events turned into signals, user actions turned into socket requests.
//!
//! [`Chat`] is a `Copy` handle of signals, usable on both targets, provided once for the whole
//! app ([`provide_chat`]); only in the browser (`hydrate`) does it own the tab's one Socket.IO
//! connection, which the chat, the bell, the board and the admin page share (each page adds
//! its listeners and namespaces in a `Scope` and takes them away when it unmounts). What the
//! reader writes (messages, edits, deletions, reactions) goes through the outbox
//! ([`crate::outbox`]): kept in the browser until the server confirms it, written offline as
//! well as online, shown as pending in place, and sent (again, after a dropped connection,
//! with the same `client_id`, so the server stores it once) by exactly one tab.

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
    /// Whether the chat page is mounted: only then does the room on screen count as read.
    pub reading: RwSignal<bool>,
    /// The message of ours being edited in place.
    pub editing: RwSignal<Option<i64>>,
    /// The message whose reaction picker is open. Kept here rather than in the row, so that a
    /// redraw of the row (an edit or a reaction arriving) leaves the picker open.
    pub reacting: RwSignal<Option<i64>>,
    /// The message the next one sent answers (shown above the composer).
    pub replying: RwSignal<Option<protocol::ReplyPreview>>,
    /// Files being attached to the next message, per room.
    pub uploads: RwSignal<crate::uploads::Uploads>,
    /// The largest file the server takes (from `welcome`).
    pub max_upload: RwSignal<u64>,
    /// Whom the user blocks (v1.11), sorted by name: their messages are folded away.
    pub blocked: RwSignal<Vec<protocol::Author>>,
    /// The server's time when this page first connected (from `welcome`): notifications
    /// stored before it are listed in the bell but not toasted again on every load.
    pub toasts_since: StoredValue<Option<i64>>,
    /// The room on screen and its revision: changes only when another room is shown or the
    /// one on screen changes, never for events in other rooms. See [`Chat::with_shown`].
    pub shown: Memo<Option<(String, u64)>>,
    #[cfg(feature = "hydrate")]
    socket: StoredValue<Option<socket_client::browser::Socket>, LocalStorage>,
    /// The connection's bookkeeping: its generation, the rooms waiting to be joined.
    #[cfg(feature = "hydrate")]
    link: StoredValue<browser::connection::Link, LocalStorage>,
    /// What the reader wrote until the server confirms it (see [`crate::outbox`]).
    #[cfg(feature = "hydrate")]
    outbox: StoredValue<browser::outbox::Driver, LocalStorage>,
}

impl Chat {
    /// A chat with nothing loaded yet.
    #[must_use]
    pub fn new() -> Self {
        let rooms = RwSignal::new(Rooms::default());
        let active = RwSignal::new(None::<String>);
        let shown = Memo::new(move |_| {
            let key = active.get()?;
            let rev = rooms.with(|rooms| rooms.rev(&key))?;
            Some((key, rev))
        });
        Self {
            conn: RwSignal::new(ConnState::Connecting),
            rooms,
            directory: RwSignal::new(Vec::new()),
            active,
            notice: RwSignal::new(None),
            me: RwSignal::new(None),
            notifications: RwSignal::new(Vec::new()),
            toast: RwSignal::new(None),
            drawer: RwSignal::new(Drawer::Closed),
            go_to: RwSignal::new(None),
            reading: RwSignal::new(false),
            editing: RwSignal::new(None),
            reacting: RwSignal::new(None),
            replying: RwSignal::new(None),
            uploads: RwSignal::new(crate::uploads::Uploads::default()),
            max_upload: RwSignal::new(protocol::validate::UPLOAD_MAX_DEFAULT),
            blocked: RwSignal::new(Vec::new()),
            toasts_since: StoredValue::new(None),
            shown,
            #[cfg(feature = "hydrate")]
            socket: StoredValue::new_local(None),
            #[cfg(feature = "hydrate")]
            link: StoredValue::new_local(browser::connection::Link::default()),
            #[cfg(feature = "hydrate")]
            outbox: StoredValue::new_local(browser::outbox::Driver::default()),
        }
    }

    /// Forgets everything loaded (after signing out, before someone else may sign in).
    pub fn reset(&self) {
        self.conn.set(ConnState::Connecting);
        self.rooms.set(Rooms::default());
        self.directory.set(Vec::new());
        self.active.set(None);
        self.notice.set(None);
        self.me.set(None);
        self.notifications.set(Vec::new());
        self.toast.set(None);
        self.drawer.set(Drawer::Closed);
        self.go_to.set(None);
        self.editing.set(None);
        self.reacting.set(None);
        self.replying.set(None);
        self.uploads.set(crate::uploads::Uploads::default());
        self.blocked.set(Vec::new());
        self.toasts_since.set_value(None);
    }

    /// Whether the user blocks the account `id`.
    pub fn blocks(&self, id: i64) -> bool {
        self.blocked
            .with(|blocked| blocked.iter().any(|a| a.id == id))
    }

    /// Reads the room on screen. Reactive only to [`Chat::shown`]: what depends on it is
    /// recomputed when that room changes, not when any other does, and nothing is cloned
    /// unless `read` clones it.
    pub fn with_shown<T>(&self, read: impl FnOnce(&crate::model::RoomView) -> T) -> Option<T> {
        let (key, _) = self.shown.get()?;
        self.rooms.with_untracked(|rooms| rooms.get(&key).map(read))
    }

    /// Reads the room on screen without tracking (in event handlers).
    pub fn with_shown_untracked<T>(
        &self,
        read: impl FnOnce(&crate::model::RoomView) -> T,
    ) -> Option<T> {
        let key = self.active.get_untracked()?;
        self.rooms.with_untracked(|rooms| rooms.get(&key).map(read))
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
            if let Some(view) = rooms.get_mut(&key) {
                view.open();
            }
        });
        if self.active.get_untracked().as_deref() != Some(key.as_str()) {
            // An edit or a reply belongs to the room it started in.
            self.editing.set(None);
            self.reacting.set(None);
            self.replying.set(None);
        }
        self.active.set(Some(key));
        self.drawer.set(Drawer::Closed);
        remember_room(name);
        self.mark_active_read();
    }
}

/// Provides the app's one [`Chat`]; it disconnects and forgets everything when the user signs
/// out. Pages start it with [`Chat::start`] once someone is signed in.
pub fn provide_chat() -> Chat {
    let chat = Chat::new();
    provide_context(chat);
    let session = crate::session::use_session();
    Effect::new(move |_| {
        if session.user.get().is_none() {
            chat.close();
            chat.reset();
        }
    });
    chat
}

/// For pages other than the chat: the tab's connection, started if this is the first page
/// (the rooms are joined as on the chat page, so the bell and unread counts stay live; nothing
/// counts as read while the chat page is not mounted).
pub fn use_connection() -> Chat {
    let chat = expect_context::<Chat>();
    let session = crate::session::use_session();
    Effect::new(move |_| {
        if let Some(user) = session.user.get()
            && !chat.is_started()
        {
            chat.start(user, None, move || session.user.set(None));
        }
    });
    chat
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
    /// Whether the connection exists (browser only).
    #[must_use]
    pub fn is_started(&self) -> bool {
        false
    }
    /// Shows a room, joining it if needed (browser only).
    pub fn open(&self, _name: String) {}
    /// Shows the room on screen where the reader left off (browser only).
    pub fn reopen_active(&self) {}
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
    /// Creates a room, then says whether it worked (browser only).
    pub fn create_room(
        &self,
        _name: String,
        _topic: String,
        _private: bool,
        _done: impl FnOnce(Result<(), String>) + 'static,
    ) {
    }
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
    /// Saves new text for a message of ours (browser only).
    pub fn edit_message(&self, _id: i64, _text: String) {}
    /// Deletes a message after asking (browser only).
    pub fn delete_message(&self, _id: i64) {}
    /// Adds or takes back our reaction (browser only).
    pub fn toggle_reaction(&self, _id: i64, _emoji: String) {}
    /// Searches (browser only).
    pub fn search(
        &self,
        _q: String,
        _room: Option<String>,
        _answer: impl FnOnce(Result<Vec<protocol::SearchHit>, String>) + 'static,
    ) {
    }
    /// Sets our status line, then says whether it worked (browser only).
    pub fn set_status(&self, _status: String, _done: impl FnOnce(Result<(), String>) + 'static) {}
    /// A page of the people directory (browser only).
    pub fn find_people(
        &self,
        _q: String,
        _after: Option<String>,
        _answer: impl FnOnce(Result<protocol::PeopleRes, String>) + 'static,
    ) {
    }
    /// Shows a message with its context (browser only).
    pub fn reveal(&self, _room: String, _id: i64) {}
    /// Changes the topic of the room on screen (browser only).
    pub fn set_topic(&self, _topic: String) {}
    /// Mutes someone in a room, or lifts it with 0 minutes (browser only).
    pub fn mute_member(&self, _room: String, _username: String, _minutes: u32) {}
    /// Removes someone from a private room after asking (browser only).
    pub fn kick_member(&self, _room: String, _username: String) {}
    /// Blocks someone after asking, or unblocks them (browser only).
    pub fn set_blocked(&self, _username: String, _blocked: bool) {}
}

#[cfg(feature = "hydrate")]
mod browser;

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use leptos::prelude::*;

    use super::Chat;
    use crate::model::RoomView;

    fn room(name: &str) -> RoomView {
        RoomView {
            name: name.into(),
            ..RoomView::default()
        }
    }

    #[test]
    fn what_reads_the_room_on_screen_ignores_other_rooms() {
        let owner = Owner::new();
        owner.set();
        let chat = Chat::new();
        chat.rooms.update(|rooms| {
            rooms.insert(room("a"));
            rooms.insert(room("b"));
        });
        chat.active.set(Some("a".into()));
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let topic = Memo::new(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            chat.with_shown(|view| view.topic.clone())
        });
        assert_eq!(topic.get(), Some(None));
        assert_eq!(runs.load(Ordering::SeqCst), 1);

        // Another room changes: nothing that reads the room on screen runs again.
        chat.rooms
            .update(|rooms| rooms.get_mut("b").unwrap().apply_marker(0, 3, Some(3)));
        assert_eq!(topic.get(), Some(None));
        assert_eq!(runs.load(Ordering::SeqCst), 1);

        // The room on screen changes, or another room is shown: it does.
        chat.rooms
            .update(|rooms| rooms.get_mut("A").unwrap().topic = Some("news".into()));
        assert_eq!(topic.get(), Some(Some("news".into())));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        chat.active.set(Some("b".into()));
        assert_eq!(topic.get(), Some(None));
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }
}
