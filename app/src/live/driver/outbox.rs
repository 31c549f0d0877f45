//! The outbox's driver: the browser side of [`sync::outbox`]. It keeps the entries in
//! `localStorage` (one key each), elects the tab that adopts what closed tabs left with the
//! Web Locks API, follows the other tabs' changes through `storage` events, sends what the
//! machine says when it says, and shows each waiting message in place in its room.
//!
//! Tabs: every tab holds the lock `tertulia.tab.<id>` for its life (its id kept in
//! `sessionStorage`, so a reload keeps it); one tab also holds `tertulia.outbox.leader`, and
//! only it adopts entries whose owner holds no lock any more. Without the Web Locks API (an
//! old browser, or a page not served over HTTPS) each tab adopts every entry: more than one
//! may send the same message, which the server still stores once by its `client_id`.

use std::collections::{BTreeMap, BTreeSet};

use protocol::{DeleteReq, EditReq, ReactReq};
use sync::outbox::{Answer, Command, Turn};

use super::platform::{Locks, Timer};
use super::*;
use crate::outbox::{self as stored, Action, Entry, Outbox};

/// Lock names: one per tab, and the leader's.
const TAB_LOCK_PREFIX: &str = "tertulia.tab.";
const LEADER_LOCK: &str = "tertulia.outbox.leader";
/// Where a tab keeps its id across reloads.
const TAB_ID_KEY: &str = "tertulia.tab";
/// How often the leader asks which tabs are alive while another tab's entries wait.
const LIVE_TABS_EVERY_MS: f64 = 3_000.0;

/// This tab's part in the outbox (kept in [`Chat`]).
#[derive(Default)]
pub(in crate::live) struct Driver {
    outbox: Outbox,
    /// Whose entries these are.
    user: Option<i64>,
    /// This tab's id.
    tab: String,
    /// Whether this tab holds its own lock (only then does it send).
    holds_tab_lock: bool,
    /// Whether this tab adopts what closed tabs left.
    leader: bool,
    /// The tabs alive at the last look, and when that was.
    live_tabs: Option<BTreeSet<String>>,
    looked_at: f64,
    /// Rooms joined and caught up on the connection of the moment (keys).
    ready: BTreeSet<String>,
    /// Messages as they were before an edit or deletion shown ahead of the server's answer.
    before: BTreeMap<String, Message>,
    /// The timer that asks the machine again.
    wake: Option<Timer>,
    /// Whether the `storage` listener is in place (once per tab).
    listening: bool,
}

fn now() -> i64 {
    platform::now_ms() as i64
}

impl Chat {
    /// Starts the outbox for `user`: this tab's id and locks, the entries stored, the other
    /// tabs' changes followed.
    pub(super) fn start_outbox(&self, user: i64) {
        let chat = *self;
        let first_time = self.outbox.try_update_value(|driver| {
            driver.user = Some(user);
            driver.outbox.load(load_stored(user));
            driver.ready.clear();
            !std::mem::replace(&mut driver.listening, true)
        });
        if first_time != Some(true) {
            self.show_outbox();
            return;
        }
        listen_to_other_tabs(chat);
        match Locks::get() {
            Some(locks) => {
                // Entries written before the lock is held are this id's (a duplicated tab
                // that holds it sends them, else the leader adopts them).
                let tab = platform::session_get(TAB_ID_KEY).unwrap_or_else(new_tab_id);
                self.outbox
                    .update_value(|driver| driver.tab.clone_from(&tab));
                hold_tab_lock(chat, locks.clone(), tab);
                locks.hold(LEADER_LOCK, false, move |_| {
                    chat.outbox.update_value(|driver| driver.leader = true);
                    chat.pump_outbox();
                });
            }
            None => self.outbox.update_value(|driver| {
                driver.tab = new_tab_id();
                driver.holds_tab_lock = true;
                driver.leader = true;
                driver.live_tabs = Some(BTreeSet::from([driver.tab.clone()]));
            }),
        }
        self.show_outbox();
    }

    /// Puts something the reader wrote in the outbox, to go out as soon as it may.
    pub(super) fn write_to_outbox(&self, key: String, room: &str, action: Action) {
        let Some(command) = self.outbox.try_update_value(|driver| {
            let entry = Entry {
                key,
                room: Rooms::key(room),
                written_at: now(),
                owner: driver.tab.clone(),
                failed: None,
                payload: action,
            };
            driver.outbox.write(entry)
        }) else {
            return;
        };
        self.carry_out(vec![command]);
        self.show_outbox();
        self.pump_outbox();
    }

    /// A room is joined and caught up: what waits for it may go.
    pub(super) fn outbox_room_ready(&self, key: &str) {
        self.outbox.update_value(|driver| {
            driver.ready.insert(Rooms::key(key));
        });
        self.pump_outbox();
    }

    /// Rooms not in the user's list any more: what waits for them goes, to be refused with
    /// the server's reason (shown on the message) rather than wait for ever.
    pub(super) fn outbox_rooms_gone(&self, listed: &[String]) {
        let listed: BTreeSet<String> = listed.iter().map(|name| Rooms::key(name)).collect();
        self.outbox.update_value(|driver| {
            let gone: Vec<String> = driver
                .outbox
                .entries()
                .map(|e| e.room.clone())
                .filter(|room| !listed.contains(room))
                .collect();
            driver.ready.extend(gone);
        });
        self.pump_outbox();
    }

    /// The connection is gone, or a new one began: no room is ready, nothing in flight.
    pub(super) fn outbox_connection_lost(&self) {
        self.outbox.update_value(|driver| {
            driver.ready.clear();
            driver.outbox.disconnected();
        });
        self.show_outbox();
    }

    /// Asks the machine what to do now, and does it.
    pub(super) fn pump_outbox(&self) {
        let connected = self.conn.get_untracked() == ConnState::Connected;
        let mut look_at_tabs = false;
        let Some(commands) = self.outbox.try_update_value(|driver| {
            if !driver.holds_tab_lock || driver.user.is_none() {
                return Vec::new();
            }
            let foreign = driver
                .outbox
                .entries()
                .any(|e| e.owner != driver.tab && e.failed.is_none());
            look_at_tabs = driver.leader
                && foreign
                && platform::now_ms() - driver.looked_at >= LIVE_TABS_EVERY_MS;
            let turn = Turn {
                now: now(),
                tab: &driver.tab,
                leader: driver.leader,
                live_tabs: driver.live_tabs.as_ref(),
            };
            let ready = &driver.ready;
            driver
                .outbox
                .next(turn, |room| connected && ready.contains(room))
        }) else {
            return;
        };
        if look_at_tabs {
            self.look_at_tabs();
        }
        if !commands.is_empty() {
            self.carry_out(commands);
            self.show_outbox();
        }
        self.wake_outbox_later();
    }

    /// Asks the machine again when an entry's wait ends, or (for the leader, while another
    /// tab's entries wait) when it is time to look at which tabs are alive.
    fn wake_outbox_later(&self) {
        let chat = *self;
        self.outbox.update_value(|driver| {
            let at = now();
            let foreign = driver.leader
                && driver
                    .outbox
                    .entries()
                    .any(|e| e.owner != driver.tab && e.failed.is_none());
            let wait = driver
                .outbox
                .next_wake(at)
                .map(|t| t - at)
                .into_iter()
                .chain(foreign.then_some(LIVE_TABS_EVERY_MS as i64))
                .min();
            driver.wake =
                wait.map(|ms| Timer::after(ms.clamp(0, 60_000) as u32, move || chat.pump_outbox()));
        });
    }

    /// The leader looks at which tabs hold their lock, then asks the machine again.
    fn look_at_tabs(&self) {
        let Some(locks) = Locks::get() else { return };
        self.outbox
            .update_value(|driver| driver.looked_at = platform::now_ms());
        let chat = *self;
        spawn_local(async move {
            if let Some(held) = locks.held().await {
                let live = held
                    .iter()
                    .filter_map(|name| name.strip_prefix(TAB_LOCK_PREFIX))
                    .map(str::to_owned)
                    .collect();
                chat.outbox
                    .update_value(|driver| driver.live_tabs = Some(live));
                chat.pump_outbox();
            }
        });
    }

    /// Carries out the machine's commands: storage written, requests sent.
    fn carry_out(&self, commands: Vec<Command<Action>>) {
        let Some(user) = self.outbox.with_value(|driver| driver.user) else {
            return;
        };
        for command in commands {
            match command {
                Command::Store(entry) => {
                    crate::storage::set(
                        &stored::storage_key(user, &entry.key),
                        &stored::encode(&entry),
                    );
                }
                Command::Remove(key) => crate::storage::set(&stored::storage_key(user, &key), ""),
                Command::Send(entry) => {
                    let chat = *self;
                    spawn_local(async move { chat.send_entry(entry).await });
                }
            }
        }
    }

    /// Sends one entry and hands the machine the answer.
    async fn send_entry(&self, entry: Entry) {
        let Some(socket) = self.socket() else {
            self.answered(&entry, Answer::Unsent);
            return;
        };
        let result = match &entry.payload {
            Action::Message {
                room,
                text,
                reply_to,
                attachments,
                thread,
            } => {
                let request = MessageReq {
                    room: room.clone(),
                    text: text.clone(),
                    client_id: Some(entry.key.clone()),
                    reply_to: *reply_to,
                    attachments: attachments.iter().map(|file| file.id.clone()).collect(),
                    thread: *thread,
                };
                socket.request(&request).await.map(|res| Some(res.message))
            }
            Action::Edit { id, text } => {
                let request = EditReq {
                    id: *id,
                    text: text.clone(),
                };
                socket.request(&request).await.map(|res| Some(res.message))
            }
            Action::Delete { id } => socket.request(&DeleteReq { id: *id }).await.map(|_| None),
            Action::React { id, emoji, active } => {
                let request = ReactReq {
                    id: *id,
                    emoji: emoji.clone(),
                    active: *active,
                };
                socket.request(&request).await.map(|_| None)
            }
        };
        let answer = match result {
            Ok(message) => {
                self.settle(&entry, message);
                Answer::Delivered
            }
            Err(error) => {
                let connected = self.conn.get_untracked() == ConnState::Connected;
                match error {
                    RequestError::Emit(_) | RequestError::Ack(AckError::Disconnected) => {
                        Answer::Unsent
                    }
                    RequestError::Ack(AckError::Timeout) if !connected => Answer::Unsent,
                    RequestError::Ack(AckError::Timeout) => Answer::NoAnswer(describe(&error)),
                    // Too fast for now: it waits first in its room and goes again, in order.
                    RequestError::Server(body) if body.code == protocol::ErrorCode::RateLimited => {
                        Answer::Busy
                    }
                    error => Answer::Refused(describe(&error)),
                }
            }
        };
        self.answered(&entry, answer);
    }

    /// The server took an entry: what it answered goes on screen.
    fn settle(&self, entry: &Entry, message: Option<Message>) {
        self.outbox.update_value(|driver| {
            driver.before.remove(&entry.key);
        });
        let Some(message) = message else { return };
        self.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&message.room) {
                match entry.payload {
                    Action::Message { .. } => {
                        let me = Some(message.user.id);
                        view.cursor.live(message.id, message.prev);
                        view.merge([message], me);
                    }
                    _ => view.replace_message(message),
                }
            }
        });
    }

    /// One of our messages came as the room's event with the `client_id` of an entry (v1.24):
    /// the server holds it, so the entry is done, however late its answer (from this tab or
    /// the one that sent it).
    pub(super) fn stored_elsewhere(&self, key: &str) {
        let Some(commands) = self
            .outbox
            .try_update_value(|driver| driver.outbox.stored(key))
        else {
            return;
        };
        if commands.is_empty() {
            return;
        }
        self.carry_out(commands);
        self.show_outbox();
        self.pump_outbox();
    }

    /// Hands the machine the answer to a send, and does what follows.
    fn answered(&self, entry: &Entry, answer: Answer) {
        let unsent = answer == Answer::Unsent;
        let Some(commands) = self
            .outbox
            .try_update_value(|driver| driver.outbox.answered(&entry.key, answer, now()))
        else {
            return;
        };
        // A change that failed for good is taken back on screen and told; a message that did
        // stays on screen, failed, with its reason and its text.
        for command in &commands {
            if let Command::Store(failed) = command
                && let Some(reason) = &failed.failed
            {
                self.refused(failed, reason);
            }
        }
        self.carry_out(commands);
        self.show_outbox();
        if !unsent {
            self.pump_outbox();
        }
    }

    fn refused(&self, entry: &Entry, reason: &str) {
        let before = self
            .outbox
            .try_update_value(|driver| driver.before.remove(&entry.key))
            .flatten();
        let me = self.my_id();
        let listed = self
            .rooms
            .with_untracked(|rooms| rooms.get(&entry.room).is_some());
        match &entry.payload {
            Action::Message { room, .. } if !listed => {
                self.tell(format!("a message to {room} was not sent: {reason}"));
            }
            // Shown failed in its thread, which may be closed: said aloud too.
            Action::Message {
                room,
                thread: Some(_),
                ..
            } => self.tell(format!(
                "a reply in a thread of {room} was not sent: {reason}"
            )),
            Action::Message { .. } => {}
            Action::Edit { .. } => self.tell(format!("could not save the edit: {reason}")),
            Action::Delete { .. } => {
                self.tell(format!("could not delete the message: {reason}"));
            }
            Action::React { id, emoji, active } => {
                self.rooms.update(|rooms| {
                    if let (Some(view), Some(me)) = (rooms.get_mut(&entry.room), me) {
                        view.apply_reaction(*id, emoji, me, !active, None);
                    }
                });
                self.tell(format!("could not react: {reason}"));
            }
        }
        if let Some(message) = before {
            self.rooms.update(|rooms| {
                if let Some(view) = rooms.get_mut(&entry.room) {
                    view.replace_message(message);
                }
            });
        }
        // Only messages are kept, failed, for the reader to send again.
        if !matches!(entry.payload, Action::Message { .. }) {
            self.discard(entry.key.clone());
        }
    }

    /// Remembers a message as it was before a change shown ahead of the server's answer, to
    /// put it back if the change is refused.
    pub(super) fn keep_before(&self, key: &str, message: Message) {
        self.outbox.update_value(|driver| {
            driver.before.insert(key.to_owned(), message);
        });
    }

    /// Shows each room's waiting messages in place (only rooms whose lines change).
    pub(super) fn show_outbox(&self) {
        let Some(me) = self.me.get_untracked() else {
            return;
        };
        let mut by_room: BTreeMap<String, Vec<Line>> = BTreeMap::new();
        self.outbox.with_value(|driver| {
            for entry in driver.outbox.entries() {
                if let Some(line) =
                    entry
                        .payload
                        .pending_line(&entry.key, entry.failed.clone(), &me)
                {
                    by_room.entry(entry.room.clone()).or_default().push(line);
                }
            }
        });
        let changed: Vec<String> = self.rooms.with_untracked(|rooms| {
            rooms
                .ordered()
                .iter()
                .filter(|view| {
                    let key = Rooms::key(&view.name);
                    let shown = view
                        .lines
                        .iter()
                        .filter(|line| matches!(line, Line::Pending { .. }));
                    let wanted = by_room.get(&key).map_or(&[][..], Vec::as_slice);
                    !shown.eq(wanted.iter())
                })
                .map(|view| Rooms::key(&view.name))
                .collect()
        });
        if changed.is_empty() {
            return;
        }
        self.rooms.update(|rooms| {
            for key in changed {
                if let Some(view) = rooms.get_mut(&key) {
                    view.set_pending(by_room.remove(&key).unwrap_or_default());
                }
            }
        });
    }

    /// How many entries wait (failed ones included).
    #[must_use]
    pub fn unsent(&self) -> usize {
        self.outbox
            .try_with_value(|driver| driver.outbox.entries().count())
            .unwrap_or(0)
    }

    /// Removes every entry of the signed-in user from this browser (on signing out).
    pub fn forget_outbox(&self) {
        let Some(commands) = self.outbox.try_update_value(|driver| {
            let keys: Vec<String> = driver.outbox.entries().map(|e| e.key.clone()).collect();
            keys.iter()
                .filter_map(|key| driver.outbox.discard(key))
                .collect::<Vec<_>>()
        }) else {
            return;
        };
        self.carry_out(commands);
        self.show_outbox();
    }

    /// Sends a failed message again (same `client_id`: stored once at most).
    pub fn retry(&self, client_id: String) {
        let Some(command) = self.outbox.try_update_value(|driver| {
            let tab = driver.tab.clone();
            driver.outbox.retry(&client_id, &tab, now())
        }) else {
            return;
        };
        self.carry_out(command.into_iter().collect());
        self.show_outbox();
        self.pump_outbox();
    }

    /// Gives up on a failed message.
    pub fn discard(&self, client_id: String) {
        let command = self
            .outbox
            .try_update_value(|driver| driver.outbox.discard(&client_id))
            .flatten();
        self.carry_out(command.into_iter().collect());
        self.show_outbox();
    }
}

/// Every entry of `user` in this browser's storage (values that do not read as one are left
/// alone).
fn load_stored(user: i64) -> Vec<Entry> {
    crate::storage::with_prefix(&stored::storage_prefix(user))
        .into_iter()
        .filter_map(|(_, value)| stored::decode(&value))
        .collect()
}

/// Another tab wrote, sent or discarded an entry: read them all again.
fn listen_to_other_tabs(chat: Chat) {
    platform::on_storage_change(move |key| {
        let Some(user) = chat.outbox.try_with_value(|driver| driver.user).flatten() else {
            return;
        };
        // `None`: all of the storage was cleared.
        let ours = key.is_none_or(|key| key.starts_with(&stored::storage_prefix(user)));
        if ours {
            chat.outbox
                .update_value(|driver| driver.outbox.load(load_stored(user)));
            chat.show_outbox();
            chat.pump_outbox();
        }
    });
}

/// Holds this tab's lock under `tab`; if another tab holds that id (a duplicated tab copies
/// `sessionStorage`), under a new one.
fn hold_tab_lock(chat: Chat, locks: Locks, tab: String) {
    let name = format!("{TAB_LOCK_PREFIX}{tab}");
    let again = locks.clone();
    locks.hold(&name, true, move |held| {
        if !held {
            hold_tab_lock(chat, again, new_tab_id());
            return;
        }
        platform::session_set(TAB_ID_KEY, &tab);
        chat.outbox.update_value(|driver| {
            driver.tab = tab;
            driver.holds_tab_lock = true;
        });
        chat.pump_outbox();
    });
}

fn new_tab_id() -> String {
    sending::client_id()
}
