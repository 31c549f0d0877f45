//! Opening without a network: the service worker (`public/sw.js`) keeps the pages and assets,
//! and a [`Snapshot`] of the chat kept in `localStorage` shows the rooms and the last page of
//! the most recent ones until the connection is back. Signing out forgets both.

use protocol::{Message, Room, SavedRoom};
use serde::{Deserialize, Serialize};

use crate::model::{Line, RoomView, Rooms};

/// Rooms whose last page of messages is kept (the one on screen first, then the list's order).
pub const ROOMS_WITH_MESSAGES: usize = 10;

/// Messages kept per room.
pub const MESSAGES_KEPT: usize = 50;

/// What the browser keeps of the chat to show when it opens offline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The user's rooms, in the list's order.
    pub rooms: Vec<KeptRoom>,
    /// When it was kept (drawn, for a first screen), in ms since the epoch; 0 if unknown.
    #[serde(default)]
    pub kept_ts: i64,
}

/// One room of a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptRoom {
    /// The room as the list shows it, with its read marker counted through its newest
    /// message kept.
    pub saved: SavedRoom,
    /// Its last messages, oldest first (none for rooms beyond [`ROOMS_WITH_MESSAGES`]).
    pub messages: Vec<Message>,
    /// Whether older messages exist before them.
    #[serde(default)]
    pub more_before: bool,
}

impl Snapshot {
    /// What to keep of the rooms, `active` (a key) first for messages.
    #[must_use]
    pub fn of(rooms: &Rooms, active: Option<&str>) -> Self {
        let ordered = rooms.ordered();
        let with_messages: Vec<String> = active
            .map(Rooms::key)
            .into_iter()
            .chain(ordered.iter().map(|view| Rooms::key(&view.name)))
            .fold(Vec::new(), |mut keys, key| {
                if !keys.contains(&key) && keys.len() < ROOMS_WITH_MESSAGES {
                    keys.push(key);
                }
                keys
            });
        let rooms = ordered
            .iter()
            .map(|view| {
                let messages = if with_messages.contains(&Rooms::key(&view.name)) {
                    last_messages(view)
                } else {
                    Vec::new()
                };
                let loaded = view
                    .lines
                    .iter()
                    .filter(|line| matches!(line, Line::Message(_)))
                    .count();
                let more_before = view.more_before || loaded > messages.len();
                KeptRoom {
                    saved: SavedRoom {
                        room: Room {
                            name: view.name.clone(),
                            topic: view.topic.clone(),
                            members: 0,
                            private: view.private,
                            dm_with: view.dm_with.clone(),
                            dm_group: view.dm_group.clone(),
                            created_by: view.created_by,
                        },
                        last_read: view.last_read(),
                        unread: u64::from(view.unread_count()),
                        muted: view.muted,
                        through: Some(view.last_id().unwrap_or(0)),
                    },
                    messages,
                    more_before,
                }
            })
            .collect();
        Self { rooms, kept_ts: 0 }
    }

    /// The rooms as they were kept (`me`: whose messages do not count as unread).
    #[must_use]
    pub fn restore(&self, me: Option<i64>) -> Rooms {
        let mut rooms = Rooms::default();
        for kept in &self.rooms {
            let mut view = RoomView::from_saved(&kept.saved);
            view.created_by = kept.saved.room.created_by;
            view.more_before = kept.more_before;
            view.merge(kept.messages.clone(), me);
            rooms.insert(view);
        }
        rooms
    }
}

fn last_messages(view: &RoomView) -> Vec<Message> {
    let messages: Vec<&Message> = view
        .lines
        .iter()
        .filter_map(|line| match line {
            // The room's own timeline: replies in threads are read again with their thread.
            Line::Message(m) if m.thread.is_none() => Some(m),
            _ => None,
        })
        .collect();
    let from = messages.len().saturating_sub(MESSAGES_KEPT);
    messages[from..].iter().map(|m| (*m).clone()).collect()
}

/// Where the snapshot of `user` is kept.
#[must_use]
pub fn snapshot_key(user: i64) -> String {
    format!("tertulia.snapshot.{user}")
}

/// The message asking the service worker to keep the chat page (and what it names) now.
#[cfg(feature = "hydrate")]
const KEEP_PAGES: &str = "keep-pages";

/// Registers the service worker (once the page is live; a browser without them, or a page
/// not in a secure context, simply has none), and asks it to keep the chat page as it is now:
/// a worker that was already running when this person signed in (by script, without a page
/// load) has no copy of their chat page to start from offline.
#[cfg(feature = "hydrate")]
pub fn register_service_worker() {
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    let Ok(container) = js_sys::Reflect::get(&navigator, &"serviceWorker".into()) else {
        return;
    };
    if container.is_undefined() {
        return;
    }
    let register = js_sys::Reflect::get(&container, &"register".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(register) = register
        && let Ok(promise) = register.call1(&container, &"/sw.js".into())
        && let Ok(promise) = promise.dyn_into::<js_sys::Promise>()
    {
        // A refusal is the browser's business; the app works without it.
        let ignore = wasm_bindgen::closure::Closure::<dyn FnMut(wasm_bindgen::JsValue)>::new(
            |_: wasm_bindgen::JsValue| {},
        );
        let _ = promise.catch(&ignore);
        ignore.forget();
    }
    // Once a worker is active: `ready` never settles without one.
    if let Ok(ready) = js_sys::Reflect::get(&container, &"ready".into())
        && let Ok(ready) = ready.dyn_into::<js_sys::Promise>()
    {
        let ask = wasm_bindgen::closure::Closure::<dyn FnMut(wasm_bindgen::JsValue)>::new(
            |registration: wasm_bindgen::JsValue| {
                let active = js_sys::Reflect::get(&registration, &"active".into()).ok();
                let post = active.as_ref().and_then(|worker| {
                    js_sys::Reflect::get(worker, &"postMessage".into())
                        .ok()?
                        .dyn_into::<js_sys::Function>()
                        .ok()
                });
                if let (Some(worker), Some(post)) = (active, post) {
                    let _ = post.call1(&worker, &KEEP_PAGES.into());
                }
            },
        );
        let _ = ready.then(&ask);
        ask.forget();
    }
}

/// Keeps `snapshot` as `user`'s (a full storage leaves the previous one).
pub fn keep(user: i64, snapshot: &Snapshot) {
    if let Ok(text) = serde_json::to_string(snapshot) {
        crate::storage::set(&snapshot_key(user), &text);
    }
}

/// The snapshot kept for `user`, if any (one that does not read is ignored).
#[must_use]
pub fn kept(user: i64) -> Option<Snapshot> {
    serde_json::from_str(&crate::storage::get(&snapshot_key(user))?).ok()
}

/// Forgets what this browser keeps of `user`'s chat (the room remembered for the server's
/// first screen too), and the pages the service worker kept (they show the signed-in page).
#[cfg(feature = "hydrate")]
pub fn forget(user: i64) {
    crate::storage::set(&snapshot_key(user), "");
    crate::first_screen::forget_room();
    // Absent outside a secure context.
    if let Some(caches) = web_sys::window().and_then(|w| w.caches().ok())
        && !caches.is_undefined()
    {
        let _ = caches.delete("tertulia-pages-v1");
    }
}

#[cfg(test)]
mod tests {
    use protocol::Author;

    use super::*;

    fn message(id: i64, user: i64) -> Message {
        Message {
            id,
            room: "lobby".into(),
            user: Author {
                id: user,
                username: format!("u{user}"),
            },
            text: format!("m{id}"),
            ts: id * 1_000,
            ..Message::default()
        }
    }

    fn room(name: &str, messages: impl IntoIterator<Item = Message>) -> RoomView {
        let mut view = RoomView {
            name: name.into(),
            topic: Some("talk".into()),
            ..RoomView::default()
        };
        view.apply_marker(2, 0, Some(2));
        view.merge(messages, Some(1));
        view
    }

    #[test]
    fn a_kept_chat_comes_back_with_its_rooms_messages_and_unread_counts() {
        let mut rooms = Rooms::default();
        rooms.insert(room("lobby", (1..=5).map(|id| message(id, 2))));
        rooms.insert(room("other", [message(7, 1)]));
        let before: Vec<(String, u32)> = rooms
            .ordered()
            .iter()
            .map(|v| (v.name.clone(), v.unread_count()))
            .collect();
        let kept = Snapshot::of(&rooms, Some("other"));
        let text = serde_json::to_string(&kept).unwrap();
        let back: Snapshot = serde_json::from_str(&text).unwrap();
        let restored = back.restore(Some(1));
        let after: Vec<(String, u32)> = restored
            .ordered()
            .iter()
            .map(|v| (v.name.clone(), v.unread_count()))
            .collect();
        assert_eq!(after, before);
        assert_eq!(before[0], ("lobby".to_owned(), 3));
        let lobby = restored.get("lobby").unwrap();
        assert_eq!(lobby.last_id(), Some(5));
        assert_eq!(lobby.topic.as_deref(), Some("talk"));
        // A message arriving after the restore counts once more.
        let mut lobby = lobby.clone();
        lobby.merge([message(6, 2)], Some(1));
        assert_eq!(lobby.unread_count(), 4);
    }

    #[test]
    fn only_the_last_page_of_the_most_recent_rooms_is_kept() {
        let mut rooms = Rooms::default();
        rooms.insert(room("big", (1..=80).map(|id| message(id, 2))));
        for n in 0..ROOMS_WITH_MESSAGES + 2 {
            rooms.insert(room(&format!("r{n}"), [message(100 + n as i64, 2)]));
        }
        let last = format!("r{}", ROOMS_WITH_MESSAGES + 1);
        let kept = Snapshot::of(&rooms, Some(&last));
        assert_eq!(kept.rooms.len(), ROOMS_WITH_MESSAGES + 3);
        let big = kept
            .rooms
            .iter()
            .find(|r| r.saved.room.name == "big")
            .unwrap();
        assert_eq!(big.messages.len(), MESSAGES_KEPT);
        assert_eq!(big.messages.last().unwrap().id, 80);
        assert!(big.more_before, "30 messages before the page kept");
        let small = kept
            .rooms
            .iter()
            .find(|r| r.saved.room.name == "r0")
            .unwrap();
        assert!(!small.more_before);
        let with: Vec<&str> = kept
            .rooms
            .iter()
            .filter(|r| !r.messages.is_empty())
            .map(|r| r.saved.room.name.as_str())
            .collect();
        assert_eq!(with.len(), ROOMS_WITH_MESSAGES);
        // The room on screen is among them, though last in the list.
        assert!(with.contains(&last.as_str()));
    }
}
