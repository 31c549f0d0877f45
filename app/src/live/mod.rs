//! The live chat: socket events turned into signals, user actions turned into socket requests.
//!
//! [`Chat`] is a `Copy` handle of signals, provided once for the whole app ([`provide_chat`]).
//! Its methods have one body on both targets (what differs is in [`platform`]); only in the
//! browser does it own the tab's one Socket.IO connection, which the chat, the bell, the board
//! and the admin page share (each page adds its listeners and namespaces in a `Scope` and
//! takes them away when it unmounts). What the
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

/// Whose card to show: the author of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardTarget {
    /// Who.
    pub user: protocol::Author,
    /// Posted by a program (a webhook's bot): no directory entry, no DM.
    pub bot: bool,
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
    /// The image open in the viewer.
    pub viewing: RwSignal<Option<protocol::Attachment>>,
    /// Long messages the reader unfolded ("Show more"), kept across redraws.
    pub unfolded: RwSignal<std::collections::BTreeSet<i64>>,
    /// The message whose reaction picker is open. Kept here rather than in the row, so that a
    /// redraw of the row (an edit or a reaction arriving) leaves the picker open.
    pub reacting: RwSignal<Option<i64>>,
    /// The message the full emoji picker ("More reactions") is open for (v1.17).
    pub reacting_more: RwSignal<Option<i64>>,
    /// Whose card is open (from their name on a message).
    pub person_card: RwSignal<Option<CardTarget>>,
    /// A name to mention in the composer (from a person's card); the composer takes it.
    pub mention_request: RwSignal<Option<String>>,
    /// The emoji catalogue (`GET /api/emoji`), once loaded.
    pub emoji: RwSignal<Option<std::sync::Arc<protocol::http::EmojiCatalog>>>,
    /// Whether the catalogue was asked for (or is loaded).
    pub emoji_asked: RwSignal<bool>,
    /// Whether the last try to load the catalogue failed (offline): the picker says so.
    pub emoji_failed: RwSignal<bool>,
    /// Bumped by every `message_pinned`: what lists a room's pins reads it again.
    pub pin_news: RwSignal<u64>,
    /// Bumped by every `message_saved`: what lists the saved messages reads it again.
    pub saved_news: RwSignal<u64>,
    /// The message the next one sent answers (shown above the composer).
    pub replying: RwSignal<Option<protocol::ReplyPreview>>,
    /// The thread open beside the room on screen: its root's id (v1.22).
    pub thread: RwSignal<Option<i64>>,
    /// Files being attached to the next message, per room.
    pub uploads: RwSignal<crate::uploads::Uploads>,
    /// The largest file the server takes (from `welcome`).
    pub max_upload: RwSignal<u64>,
    /// Whom the user blocks (v1.11), sorted by name: their messages are folded away.
    pub blocked: RwSignal<Vec<protocol::Author>>,
    /// How people show (v1.25): their pictures, asked for as they come on screen.
    pub profiles: RwSignal<crate::profiles::Profiles>,
    /// The workspace's bot commands (v1.29), once asked for; `None` until then, and again
    /// when they changed.
    pub bot_commands: RwSignal<Option<Vec<protocol::BotCommand>>>,
    /// Whether a batch of [`Chat::profiles`] is about to be asked for.
    profiles_soon: StoredValue<bool>,
    /// Where the server was last told this tab types (room key, thread), until it stopped.
    typing_said: StoredValue<Option<(String, Option<i64>)>>,
    /// The server's time when this page first connected (from `welcome`): notifications
    /// stored before it are listed in the bell but not toasted again on every load.
    pub toasts_since: StoredValue<Option<i64>>,
    /// The room on screen and its revision: changes only when another room is shown or the
    /// one on screen changes, never for events in other rooms. See [`Chat::with_shown`].
    pub shown: Memo<Option<(String, u64)>>,
    /// The tab's connection, once started (never in the server's render).
    socket: StoredValue<Option<platform::Socket>, platform::Storage>,
    /// The connection's bookkeeping: its generation, the rooms waiting to be joined.
    link: StoredValue<driver::connection::Link, platform::Storage>,
    /// What the reader wrote until the server confirms it (see [`crate::outbox`]).
    outbox: StoredValue<driver::outbox::Driver, platform::Storage>,
    /// When the server last heard the person is at the keyboard (see [`crate::activity`]).
    activity: StoredValue<crate::activity::ActivityReports>,
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
            reacting_more: RwSignal::new(None),
            person_card: RwSignal::new(None),
            mention_request: RwSignal::new(None),
            emoji: RwSignal::new(None),
            emoji_asked: RwSignal::new(false),
            emoji_failed: RwSignal::new(false),
            unfolded: RwSignal::new(std::collections::BTreeSet::new()),
            viewing: RwSignal::new(None),
            pin_news: RwSignal::new(0),
            saved_news: RwSignal::new(0),
            replying: RwSignal::new(None),
            thread: RwSignal::new(None),
            uploads: RwSignal::new(crate::uploads::Uploads::default()),
            max_upload: RwSignal::new(protocol::validate::UPLOAD_MAX_DEFAULT),
            blocked: RwSignal::new(Vec::new()),
            profiles: RwSignal::new(crate::profiles::Profiles::default()),
            bot_commands: RwSignal::new(None),
            profiles_soon: StoredValue::new(false),
            typing_said: StoredValue::new(None),
            toasts_since: StoredValue::new(None),
            shown,
            socket: StoredValue::new_with_storage(None),
            link: StoredValue::new_with_storage(driver::connection::Link::default()),
            outbox: StoredValue::new_with_storage(driver::outbox::Driver::default()),
            activity: StoredValue::new(crate::activity::ActivityReports::default()),
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
        self.reacting_more.set(None);
        self.replying.set(None);
        self.uploads.set(crate::uploads::Uploads::default());
        self.blocked.set(Vec::new());
        self.profiles.set(crate::profiles::Profiles::default());
        self.bot_commands.set(None);
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
            // A picker open for one of its messages goes with it.
            self.reacting.set(None);
            self.reacting_more.set(None);
        }
    }

    /// Starts from the first screen the server drew (see [`crate::first_screen`]): the same
    /// rooms, messages and room on screen on both sides, so hydration meets what the server
    /// wrote. Nothing is sent or stored: the chat's start does that once it connects.
    pub fn show_first_screen(&self, me: User, first: crate::first_screen::FirstScreen) {
        let mut rooms = first.rooms.restore(Some(me.id));
        let shown = first
            .show
            .map(|name| Rooms::key(&name))
            .filter(|key| rooms.get(key).is_some());
        if let Some(view) = shown.as_ref().and_then(|key| rooms.get_mut(key)) {
            view.open();
        }
        self.me.set(Some(me));
        self.rooms.set(rooms);
        self.active.set(shown);
        // (Whom the person blocks too: their messages are drawn folded, as the server drew them.)
        self.blocked.set(first.blocked);
        let drawn = first.rooms.kept_ts;
        self.link
            .update_value(|link| link.first_screen_drawn = Some(drawn));
    }

    /// Puts a room of the list on screen (closing the drawer it was picked from): the "New
    /// messages" divider goes where the reader left off, and what is loaded counts as read.
    pub fn select(&self, name: &str) {
        self.show_room(name);
        self.drawer.set(Drawer::Closed);
    }

    /// [`Chat::select`] without touching the panels: how a join shows its room.
    pub(crate) fn show_room(&self, name: &str) {
        let key = Rooms::key(name);
        let on_screen = self.active.get_untracked().as_deref() == Some(key.as_str());
        self.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&key) {
                // Already on screen (a first screen joined, a reconnect) with its divider read
                // past: the divider stays where the reader found it.
                let read_past = view.divider_after.is_some() && view.unread_count() == 0;
                if !(on_screen && read_past) {
                    view.open();
                }
            }
        });
        if !on_screen {
            // An edit or a reply belongs to the room it started in.
            self.editing.set(None);
            self.reacting.set(None);
            self.reacting_more.set(None);
            self.replying.set(None);
            self.thread.set(None);
            // (Only a change: what follows the room on screen, such as the message box taking
            // the focus, is not run again when a join or a reconnect shows the same room.)
            self.active.set(Some(key));
        }
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
    crate::first_screen::remember_room(name);
}

/// The room on screen at the end of the last visit in this browser.
fn remembered_room() -> Option<String> {
    crate::storage::get(LAST_ROOM_KEY)
}

impl Default for Chat {
    fn default() -> Self {
        Self::new()
    }
}

mod driver;
pub mod platform;

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

    fn saved(name: &str, last_read: i64, unread: u64, through: i64) -> protocol::SavedRoom {
        protocol::SavedRoom {
            room: protocol::Room {
                name: name.into(),
                topic: None,
                members: 0,
                private: false,
                dm_with: None,
                dm_group: Vec::new(),
                created_by: None,
            },
            last_read,
            unread,
            muted: false,
            through: Some(through),
        }
    }

    fn message(id: i64, room: &str, user: i64) -> protocol::Message {
        protocol::Message {
            id,
            room: room.into(),
            user: protocol::Author {
                id: user,
                username: format!("u{user}"),
            },
            text: format!("m{id}"),
            ts: id * 1_000,
            ..protocol::Message::default()
        }
    }

    #[test]
    fn the_first_screen_shows_its_room_as_drawn_and_nothing_it_did_not_draw() {
        use crate::first_screen::FirstScreen;
        use crate::offline::{KeptRoom, Snapshot};
        let owner = Owner::new();
        owner.set();
        let me = protocol::User {
            id: 1,
            username: "ana".into(),
            role: protocol::Role::Guest,
        };
        let first = FirstScreen {
            rooms: Snapshot {
                rooms: vec![
                    KeptRoom {
                        saved: saved("lobby", 0, 0, 0),
                        messages: Vec::new(),
                        more_before: false,
                    },
                    KeptRoom {
                        saved: saved("Cats", 2, 2, 4),
                        messages: (1..=4).map(|id| message(id, "Cats", 2)).collect(),
                        more_before: true,
                    },
                ],
                kept_ts: 1_000,
            },
            show: Some("cats".into()),
            blocked: Vec::new(),
        };
        let chat = Chat::new();
        chat.show_first_screen(me.clone(), first.clone());
        assert_eq!(chat.me.get_untracked(), Some(me.clone()));
        assert_eq!(chat.active.get_untracked().as_deref(), Some("cats"));
        chat.with_shown_untracked(|view| {
            assert_eq!(view.last_id(), Some(4));
            assert!(view.more_before);
            // The unread messages drawn as unread: the divider after the last one read.
            assert_eq!(view.unread_count(), 2);
            let rows = view.rows(Some(1), crate::time::utc_day);
            let divider = rows
                .iter()
                .position(|row| matches!(row, crate::model::Row::Line { line, .. } if matches!(**line, crate::model::Line::Divider)));
            assert!(divider.is_some(), "{rows:?}");
        })
        .expect("a room on screen");
        assert_eq!(chat.rooms.with_untracked(|r| r.ordered().len()), 2);
        // Read (scrolled through), then joined once connected: the divider stays where the
        // reader found it.
        chat.rooms.update(|rooms| {
            rooms.get_mut("cats").unwrap().read_all();
        });
        chat.select("Cats");
        let has_divider = chat
            .with_shown_untracked(|view| {
                view.rows(Some(1), crate::time::utc_day).iter().any(|row| {
                    matches!(row, crate::model::Row::Line { line, .. } if matches!(**line, crate::model::Line::Divider))
                })
            })
            .unwrap();
        assert!(has_divider);

        // A room the page did not draw is not put on screen.
        let other = Chat::new();
        other.show_first_screen(
            me,
            FirstScreen {
                show: Some("elsewhere".into()),
                ..first
            },
        );
        assert_eq!(other.active.get_untracked(), None);
    }
}
