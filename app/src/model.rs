//! The UI's view of the chat: plain data updated from socket events, rendered by components.

use std::collections::BTreeMap;

use protocol::{Attachment, Message, Reaction, Room, SavedRoom, User};
pub use sync::Owed;

/// Lines past which a message shows folded, with "Show more".
pub const FOLD_LINES: usize = 12;

/// Characters past which a message shows folded (a long paragraph without line breaks).
pub const FOLD_CHARS: usize = 1_200;

/// Whether a message's text is long enough to show folded at first.
#[must_use]
pub fn is_long(text: &str) -> bool {
    text.lines().count() > FOLD_LINES || text.chars().count() > FOLD_CHARS
}

/// How much of what it already has a reconnecting client re-reads (ms of server time): live
/// messages of a room can arrive out of id order by a moment.
pub const CATCH_UP_OVERLAP_MS: i64 = 10_000;

/// Messages of one person closer together than this (ms) are drawn as one group.
pub const GROUP_WITHIN_MS: i64 = 5 * 60 * 1000;

/// One row of the timeline as drawn: a line, or the start of a new day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A date separator before the first message of a (local) day.
    Day {
        /// The local day number (days since 1970-01-01 in the viewer's zone).
        day: i64,
        /// A timestamp of that day, to write its name.
        ts: i64,
    },
    /// A line; `grouped` when it continues the previous message's group (same author, a few
    /// minutes apart), so its name and time are not repeated.
    Line {
        /// The line.
        line: Box<Line>,
        /// Continues a group.
        grouped: bool,
    },
}

impl Row {
    /// What the row shows, not how: the same message (or day) keeps it however it is drawn
    /// (edited, grouped with an older message loaded above it).
    #[must_use]
    pub fn identity(&self) -> String {
        match self {
            // With the timestamp its name is written from: a day grouped anew (by the
            // reader's zone once the page is live) is drawn anew.
            Self::Day { day, ts } => format!("day{day}@{ts}"),
            Self::Line { line, .. } => line.key(),
        }
    }

    /// The id of the stored message the row shows, if it shows one.
    #[must_use]
    pub fn message_id(&self) -> Option<i64> {
        match self {
            Self::Line { line, .. } => match line.as_ref() {
                Line::Message(message) => Some(message.id),
                _ => None,
            },
            Self::Day { .. } => None,
        }
    }

    /// A key that changes whenever the row must be drawn again.
    #[must_use]
    pub fn key(&self) -> String {
        match self {
            Self::Day { day, .. } => format!("day{day}"),
            Self::Line { line, grouped } => format!(
                "{}{}{}",
                line.key(),
                line.revision(),
                if *grouped { "+" } else { "" }
            ),
        }
    }
}

/// How the connection looks to the person using the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnState {
    /// Starting up (also what the server renders).
    #[default]
    Connecting,
    /// Connected to `/chat`.
    Connected,
    /// Lost; retrying with backoff.
    Reconnecting,
    /// The browser says there is no network.
    Offline,
}

impl ConnState {
    /// The word shown in the status badge (and used by tests).
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Reconnecting => "reconnecting",
            Self::Offline => "offline",
        }
    }
}

/// What a message box says of its text's length: nothing well under the limit, how many
/// characters are left near it, how many are over past it. The text is never cut: a long paste
/// stays whole for the writer to shorten (or to keep elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthNote {
    /// Characters left before the limit.
    Left(usize),
    /// Characters past the limit: the text cannot be sent as it is.
    Over(usize),
}

impl LengthNote {
    /// Characters left from which the count is shown.
    pub const SHOWN_FROM_LEFT: usize = 200;

    /// The note for `text` (counted as the server counts it: trimmed, in characters).
    #[must_use]
    pub fn of(text: &str) -> Option<Self> {
        let max = protocol::validate::MESSAGE_MAX;
        let count = text.trim().chars().count();
        if count > max {
            Some(Self::Over(count - max))
        } else if max - count <= Self::SHOWN_FROM_LEFT {
            Some(Self::Left(max - count))
        } else {
            None
        }
    }

    /// Whether the text is too long to send.
    #[must_use]
    pub fn is_over(self) -> bool {
        matches!(self, Self::Over(_))
    }

    /// What the box says.
    #[must_use]
    pub fn text(self) -> String {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        match self {
            Self::Left(n) => format!("{n} character{} left", plural(n)),
            Self::Over(n) => format!(
                "{n} character{} over the limit of {}: shorten it to send it",
                plural(n),
                protocol::validate::MESSAGE_MAX
            ),
        }
    }
}

/// One line of a room's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    target_pointer_width = "64",
    expect(
        clippy::large_enum_variant,
        reason = "nearly every line is a stored message: boxing it would cost an allocation each"
    )
)]
pub enum Line {
    /// A stored message.
    Message(Message),
    /// A message of ours not yet confirmed by the server.
    Pending {
        /// Our idempotency key.
        client_id: String,
        /// The text.
        text: String,
        /// The author (us).
        user: User,
        /// Why the server refused it (or did not answer): shown with Retry and Discard.
        failed: Option<String>,
        /// The message it answers.
        reply_to: Option<i64>,
        /// The files it carries (uploaded already).
        attachments: Vec<Attachment>,
        /// The thread it replies in (its root), if it does (v1.22).
        thread: Option<i64>,
    },
    /// "New messages": where the reader left off.
    Divider,
    /// Arrivals and departures in a row, collapsed into one line ("ana and bea joined").
    Notice {
        /// Unique key for rendering.
        key: String,
        /// Who arrived (and did not leave again since).
        joined: Vec<String>,
        /// Who left (and did not come back since).
        left: Vec<String>,
    },
}

impl Line {
    /// The text of a presence notice: "ana joined", "ana and bea joined · cy left".
    #[must_use]
    pub fn notice_text(joined: &[String], left: &[String]) -> String {
        let names = |names: &[String]| match names {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        };
        let mut parts = Vec::new();
        if !joined.is_empty() {
            parts.push(format!("{} joined", names(joined)));
        }
        if !left.is_empty() {
            parts.push(format!("{} left", names(left)));
        }
        parts.join(" · ")
    }

    /// The thread the line is in (its root's id): a reply, stored or waiting to be sent.
    /// `None` for the room's own timeline.
    #[must_use]
    pub fn thread(&self) -> Option<i64> {
        match self {
            Self::Message(m) => m.thread,
            Self::Pending { thread, .. } => *thread,
            _ => None,
        }
    }

    /// Whether the line shows in thread `root`: the root itself, or a reply in it.
    #[must_use]
    pub fn in_thread(&self, root: i64) -> bool {
        match self {
            Self::Message(m) => m.id == root || m.thread == Some(root),
            Self::Pending { thread, .. } => *thread == Some(root),
            _ => false,
        }
    }

    /// What changes when a stored message is edited, deleted or reacted to (or the message
    /// it quotes changes): part of the row's key, so the row is drawn anew. Empty for other
    /// lines.
    #[must_use]
    pub fn revision(&self) -> String {
        let Self::Message(m) = self else {
            return String::new();
        };
        let mut revision = String::new();
        if let Some(ts) = m.edited_ts {
            revision.push_str(&format!(":e{ts}"));
        }
        if m.deleted {
            revision.push_str(":d");
        }
        for reaction in &m.reactions {
            revision.push_str(&format!(
                ":{}{}{:?}",
                reaction.emoji, reaction.count, reaction.users
            ));
        }
        if let Some(quote) = &m.reply_to {
            revision.push_str(&format!(":q{:?}", quote.excerpt));
        }
        if let Some(pin) = &m.pinned {
            revision.push_str(&format!(":p{}", pin.ts));
        }
        if m.saved {
            revision.push_str(":s");
        }
        if let Some(thread) = &m.replies {
            revision.push_str(&format!(":t{}-{}", thread.count, thread.last_id));
        }
        if let Some(read) = m.thread_read {
            revision.push_str(&format!(":r{read}"));
        }
        if let Some(preview) = &m.preview {
            revision.push_str(&format!(
                ":l{:?}{:?}{:?}",
                preview.url, preview.title, preview.image_url
            ));
        }
        revision
    }

    /// A stable key for keyed rendering.
    #[must_use]
    pub fn key(&self) -> String {
        match self {
            Self::Message(m) => format!("m{}", m.id),
            // A refused line is drawn anew (with Retry) when it fails or is retried.
            Self::Pending {
                client_id, failed, ..
            } => format!("p{client_id}{}", if failed.is_some() { "!" } else { "" }),
            Self::Notice { key, joined, left } => {
                format!("n{key}:{}|{}", joined.join(","), left.join(","))
            }
            Self::Divider => "divider".to_owned(),
        }
    }
}

/// How a room is named on screen: `@bea` for a DM, `ana, bea, cy` for a group (the other
/// people; "Group (just you)" once they all left), else its name.
#[must_use]
pub fn room_label(name: &str, dm_with: Option<&str>, dm_group: &[String]) -> String {
    match dm_with {
        Some(peer) => format!("@{peer}"),
        None if !dm_group.is_empty() => dm_group.join(", "),
        None if is_group_name(name) => "Group (just you)".to_owned(),
        None => name.to_owned(),
    }
}

/// Whether a thread the reader follows has replies they have not read (v1.23).
#[must_use]
pub fn thread_has_news(root: &Message) -> bool {
    root.thread_read
        .zip(root.replies)
        .is_some_and(|(read, summary)| summary.last_id > read)
}

/// Whether a room's name is a group conversation's (the server names them, v1.20).
#[must_use]
pub fn is_group_name(name: &str) -> bool {
    name.starts_with(protocol::validate::GROUP_DM_NAME_PREFIX)
}

/// What was read of one thread with `history {thread}` (v1.22).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadPages {
    /// The oldest message of the thread read that way: replies older than it that arrived
    /// otherwise (live, before a gap) wait until "earlier replies" reads up to them.
    pub oldest: i64,
    /// Earlier replies may exist before `oldest`.
    pub more: bool,
}

/// A joined room as the UI sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomView {
    /// Room name (as the server spells it).
    pub name: String,
    /// Topic line.
    pub topic: Option<String>,
    /// Invite-only.
    pub private: bool,
    /// For a direct conversation: the other person.
    pub dm_with: Option<String>,
    /// For a group conversation: the other people, sorted (empty otherwise).
    pub dm_group: Vec<String>,
    /// The id of its creator, who moderates it with the admins.
    pub created_by: Option<i64>,
    /// Users present now.
    pub members: Vec<User>,
    /// Timeline, oldest first.
    pub lines: Vec<Line>,
    /// Users typing now (never ourselves), and where: the room itself (`None`) or the thread
    /// of a root (v1.27). One place per person.
    pub typing: Vec<(User, Option<i64>)>,
    /// The read marker and the messages from others after it, exact whatever order the
    /// server's news arrives in (see [`sync::unread`]).
    pub unread: sync::UnreadCount,
    /// Where the "New messages" divider goes: after this id (set when the room is opened
    /// with unread messages).
    pub divider_after: Option<i64>,
    /// No toasts or browser notifications for this room.
    pub muted: bool,
    /// Whether older history may exist before the first loaded message.
    pub more_before: bool,
    /// What was read of each thread (by its root's id) with `history {thread}`.
    pub thread_pages: BTreeMap<i64, ThreadPages>,
    /// Threads not known to be followed that were told read anyway, and up to where (see
    /// [`Self::read_thread`]).
    pub thread_told: BTreeMap<i64, i64>,
    /// Roots of threads read with their thread but older than the room's timeline loaded so
    /// far: kept aside, so the timeline shows no message above a stretch it has not read.
    pub detached_roots: BTreeMap<i64, Message>,
    /// Whether the room's history has been read from the server at least once (an empty
    /// room then says so, instead of looking like it is loading).
    pub history_read: bool,
    /// Catch-up not done yet (after a reconnect or a `resync`).
    pub owed: Owed,
    /// Where a catch-up resumes without skipping a message (see [`sync::cursor`]).
    pub cursor: sync::Cursor,
    /// Revision: bumped by every change made through [`Rooms::get_mut`], [`Rooms::insert`]
    /// or [`Rooms::update_all`]. Per-room memos compare this number instead of the timeline,
    /// so a change in one room neither clones nor re-renders another.
    pub rev: u64,
}

impl RoomView {
    /// The name shown to the user: `@bea` for a DM, `ana, bea, cy` for a group, else the room
    /// name.
    #[must_use]
    pub fn label(&self) -> String {
        room_label(&self.name, self.dm_with.as_deref(), &self.dm_group)
    }

    /// Whether this is a direct conversation (two people or a group): no topic, no
    /// moderators, no invites. (Only the server gives `dm-` names, so one whose other people
    /// all left is still one.)
    #[must_use]
    pub fn is_direct(&self) -> bool {
        self.dm_with.is_some()
            || !self.dm_group.is_empty()
            || self.name.starts_with(protocol::validate::DM_NAME_PREFIX)
    }

    /// Whether this is a group conversation (v1.20).
    #[must_use]
    pub fn is_group(&self) -> bool {
        !self.dm_group.is_empty() || is_group_name(&self.name)
    }

    /// Takes what the server says a room is (name, topic, privacy, who is on the other side).
    pub fn apply_room(&mut self, room: &Room) {
        self.name = room.name.clone();
        self.topic = room.topic.clone();
        self.private = room.private;
        self.dm_with = room.dm_with.clone();
        self.dm_group = room.dm_group.clone();
        self.created_by = room.created_by;
    }

    /// A view of a room in the user's list, before joining it.
    #[must_use]
    pub fn from_saved(saved: &SavedRoom) -> Self {
        let mut view = Self::default();
        view.apply_saved(saved);
        view
    }

    /// Takes what the server says about the room in the user's list (name, topic, read
    /// marker, mute), keeping the timeline.
    pub fn apply_saved(&mut self, saved: &SavedRoom) {
        self.apply_room(&saved.room);
        self.muted = saved.muted;
        self.apply_marker(saved.last_read, saved.unread, saved.through);
    }

    /// What the server says of the read marker (here, another device, or a join); older news
    /// than what is held changes nothing.
    pub fn apply_marker(&mut self, last_read: i64, unread: u64, through: Option<i64>) {
        self.unread.marker(last_read, unread, through);
    }

    /// Id of the newest message read (the server's read marker, moved by this client).
    #[must_use]
    pub fn last_read(&self) -> i64 {
        self.unread.last_read()
    }

    /// Messages from others after the read marker.
    #[must_use]
    pub fn unread_count(&self) -> u32 {
        u32::try_from(self.unread.count()).unwrap_or(u32::MAX)
    }

    /// Everything loaded is read: moves the marker to the newest message and returns it if
    /// it moved (to tell the server).
    pub fn read_all(&mut self) -> Option<i64> {
        let newest = self.read_point()?;
        (newest > self.last_read()).then(|| {
            self.unread.read_through(newest);
            newest
        })
    }

    /// Opening the room: the divider goes where the reader left off, if anything is unread.
    pub fn open(&mut self) {
        self.divider_after = (self.unread_count() > 0).then_some(self.last_read());
    }

    /// The timeline to show: the room's own lines (no replies in threads) with the "New
    /// messages" divider before the first message from someone else after `divider_after`.
    #[must_use]
    pub fn shown_lines(&self, me: Option<i64>) -> Vec<Line> {
        let mut lines: Vec<Line> = self
            .lines
            .iter()
            .filter(|line| line.thread().is_none())
            .cloned()
            .collect();
        if let Some(after) = self.divider_after {
            let first_new = lines.iter().position(
                |line| matches!(line, Line::Message(m) if m.id > after && Some(m.user.id) != me),
            );
            if let Some(at) = first_new {
                lines.insert(at, Line::Divider);
            }
        }
        lines
    }

    /// The id of the newest stored message.
    #[must_use]
    pub fn last_id(&self) -> Option<i64> {
        self.lines.iter().rev().find_map(|line| match line {
            Line::Message(m) => Some(m.id),
            _ => None,
        })
    }

    /// Where to catch up from (`history {after}`) without leaving a hole: the newest message
    /// stored before `ts` (server time, ms), else the oldest one we have. Live messages of a
    /// room can arrive out of id order by a moment, and a failed server node can leave some
    /// undelivered, so catching up re-reads a little of what we have (duplicates are skipped).
    #[must_use]
    pub fn catch_up_from(&self, ts: i64) -> Option<i64> {
        let stored = || {
            self.lines.iter().filter_map(|line| match line {
                Line::Message(m) => Some(m),
                _ => None,
            })
        };
        stored()
            .filter(|m| m.ts < ts)
            .map(|m| m.id)
            .max()
            .or_else(|| self.first_id())
    }

    /// What this room owes once a join answers with its latest page, whose oldest message is
    /// `oldest_new`: what it owed already; the messages after its cursor (the newest one up to
    /// which we hold every message, whatever order they arrived in), or without one after the
    /// last few seconds we hold, re-read in case a message arrived out of order; and the
    /// changes (edits included) since the newest thing we knew of. Nothing of the history is
    /// owed when the page follows on from it.
    #[must_use]
    pub fn owed_on_join(&self, oldest_new: Option<i64>) -> Owed {
        let mut owed = self.owed;
        if let Some(last_ts) = self.last_ts() {
            let since = last_ts - CATCH_UP_OVERLAP_MS;
            if let Some(from) = self
                .cursor
                .resume_after()
                .or_else(|| self.catch_up_from(since))
            {
                owed.history(from);
            }
            owed.changes(since);
        }
        owed.joined(oldest_new);
        owed
    }

    /// [`Self::owed_on_join`] for a page of the room's own timeline (v1.22): replies in
    /// threads are not in it, so what follows the cursor stays owed even when the page
    /// follows on from it (the catch-up reads everything, replies too, and with them the
    /// threads' new counts).
    #[must_use]
    pub fn owed_on_main_join(&self, oldest_new: Option<i64>) -> Owed {
        let mut owed = self.owed_on_join(oldest_new);
        if let Some(from) = self.cursor.resume_after() {
            owed.history(from);
        }
        owed
    }

    /// The server time (ms) of the newest stored message.
    #[must_use]
    pub fn last_ts(&self) -> Option<i64> {
        self.lines.iter().rev().find_map(|line| match line {
            Line::Message(m) => Some(m.ts),
            _ => None,
        })
    }

    /// The id of the oldest stored message of the room's own timeline (where an older page
    /// starts).
    #[must_use]
    pub fn first_id(&self) -> Option<i64> {
        self.lines.iter().find_map(|line| match line {
            Line::Message(m) if m.thread.is_none() => Some(m.id),
            _ => None,
        })
    }

    /// The newest message known to be read when the room is read: the newest one loaded, or
    /// the newest the server counted unread up to (replies in threads the room's timeline
    /// does not hold).
    #[must_use]
    pub fn read_point(&self) -> Option<i64> {
        match (self.last_id(), self.unread.through()) {
            (Some(id), Some(through)) => Some(id.max(through)),
            (id, through) => id.or(through.filter(|through| *through > 0)),
        }
    }

    /// The thread of `root` as drawn: its root, then its replies (ours waiting to be sent
    /// last), grouped by author like the room's timeline. While earlier replies are still to
    /// be read, the ones held from before them wait, so the thread shows no gap.
    #[must_use]
    pub fn thread_rows(&self, root: i64, day_of: impl Fn(i64) -> i64) -> Vec<Row> {
        let from = self
            .thread_pages
            .get(&root)
            .filter(|pages| pages.more)
            .map_or(i64::MIN, |pages| pages.oldest);
        let detached = self
            .detached_roots
            .get(&root)
            .filter(|_| from == i64::MIN)
            .map(|m| Line::Message(m.clone()));
        let lines: Vec<Line> = detached
            .into_iter()
            .chain(
                self.lines
                    .iter()
                    .filter(|line| match line {
                        Line::Message(m) if m.thread == Some(root) => m.id >= from,
                        _ => line.in_thread(root),
                    })
                    .cloned(),
            )
            .collect();
        rows_of(&lines, day_of)
    }

    /// Takes a page of the thread of `root` (`history {thread}`), and whether earlier replies
    /// may exist before it. Its root goes in the room's timeline only where the timeline
    /// reaches it; an older one is kept aside until it does.
    pub fn merge_thread_page(
        &mut self,
        root: i64,
        messages: Vec<Message>,
        more: bool,
        me: Option<i64>,
    ) {
        let Some(oldest) = messages.iter().map(|m| m.id).min() else {
            // Nothing (any more): the thread reads as fully loaded.
            let pages = self.thread_pages.entry(root).or_default();
            pages.more = false;
            return;
        };
        let reached = |view: &Self| view.first_id().is_some_and(|first| root >= first);
        let mut rest = Vec::with_capacity(messages.len());
        for message in messages {
            let held = self
                .lines
                .iter()
                .any(|l| matches!(l, Line::Message(m) if m.id == root));
            if message.id == root && message.thread.is_none() && !held && !reached(self) {
                let summary = self.detached_roots.get(&root).and_then(|m| m.replies);
                let replies = message.replies.map(|s| s.newer(summary)).or(summary);
                self.detached_roots
                    .insert(root, Message { replies, ..message });
            } else {
                rest.push(message);
            }
        }
        self.merge(rest, me);
        let pages = self
            .thread_pages
            .entry(root)
            .or_insert(ThreadPages { oldest, more });
        // An earlier page moves the paging point back; a newer one (after a reconnect) leaves
        // it where the earlier reading got to, unless that was the thread's start.
        if oldest <= pages.oldest {
            *pages = ThreadPages { oldest, more };
        }
    }

    /// The reader's marker in the thread of `root` is at least `read` (they follow it).
    fn note_thread_read(&mut self, root: i64, read: i64) {
        if let Some(known) = self.message_mut(root) {
            known.thread_read = Some(known.thread_read.map_or(read, |held| held.max(read)));
        }
    }

    /// Takes a thread summary (from a root, or a reply): the root's own, if newer.
    fn note_thread(&mut self, root: i64, summary: protocol::ThreadSummary) {
        if let Some(known) = self.message_mut(root) {
            known.replies = Some(summary.newer(known.replies));
        }
    }

    /// Adds stored messages, skipping ones already present, keeping id order; one of ours that
    /// carries the `client_id` of a pending line replaces it, whatever path it came by (the
    /// answer to our send, or the room's event before a late answer); each one from someone
    /// other than `me` is counted in the unread count (once). Returns how many were new.
    pub fn merge(&mut self, messages: impl IntoIterator<Item = Message>, me: Option<i64>) -> usize {
        let mut added = 0;
        for message in messages {
            // A root kept aside is reached by the timeline: it takes its place there, with
            // the newer of the two summaries.
            let message = match self.detached_roots.remove(&message.id) {
                Some(aside) => Message {
                    replies: aside
                        .replies
                        .map(|s| s.newer(message.replies))
                        .or(message.replies),
                    thread_read: aside.thread_read.max(message.thread_read),
                    ..message
                },
                None => message,
            };
            self.unread.message(message.id, Some(message.user.id) == me);
            if let Some(summary) = message.replies {
                self.note_thread(message.thread.unwrap_or(message.id), summary);
            }
            // Our own reply: we follow its thread, read up to there. A root read anew may
            // carry a marker moved on another device.
            match message.thread {
                Some(root) if Some(message.user.id) == me => {
                    self.note_thread_read(root, message.id);
                }
                // A reply to a thread we started: we follow it (from its start), as the server
                // does.
                Some(root)
                    if self
                        .message(root)
                        .is_some_and(|r| Some(r.user.id) == me && r.thread_read.is_none()) =>
                {
                    self.note_thread_read(root, root);
                }
                None => {
                    if let Some(read) = message.thread_read {
                        self.note_thread_read(message.id, read);
                    }
                }
                Some(_) => {}
            }
            if let Some(client_id) = message.client_id.as_deref()
                && Some(message.user.id) == me
            {
                self.lines.retain(
                    |line| !matches!(line, Line::Pending { client_id: c, .. } if c == client_id),
                );
            }
            let exists = self
                .lines
                .iter()
                .any(|line| matches!(line, Line::Message(m) if m.id == message.id));
            if exists {
                continue;
            }
            added += 1;
            // Insert after the last stored message with a smaller id and the notices that
            // followed it (usually: at the end, before pending lines).
            let position = self
                .lines
                .iter()
                .rposition(|line| matches!(line, Line::Message(m) if m.id < message.id))
                .map_or_else(
                    || {
                        self.lines
                            .iter()
                            .position(|line| matches!(line, Line::Message(_)))
                            .unwrap_or(self.lines.len())
                    },
                    |p| {
                        p + 1
                            + self.lines[p + 1..]
                                .iter()
                                .take_while(|line| matches!(line, Line::Notice { .. }))
                                .count()
                    },
                );
            let position = if position == self.lines.len() {
                // Keep our unconfirmed messages last.
                self.lines
                    .iter()
                    .position(|line| matches!(line, Line::Pending { .. }))
                    .unwrap_or(self.lines.len())
            } else {
                position
            };
            self.lines.insert(position, Line::Message(message));
        }
        added
    }

    /// Adds someone to the people present (kept in name order), unless already listed.
    pub fn add_member(&mut self, user: User) {
        if self.members.iter().any(|u| u.id == user.id) {
            return;
        }
        let key = (user.username.to_lowercase(), user.id);
        let at = self
            .members
            .partition_point(|u| (u.username.to_lowercase(), u.id) < key);
        self.members.insert(at, user);
    }

    /// The newest loaded message of `user` that is not deleted (for Up-to-edit).
    #[must_use]
    pub fn last_own_message(&self, user: i64) -> Option<i64> {
        self.lines.iter().rev().find_map(|line| match line {
            Line::Message(m) if m.user.id == user && !m.deleted && m.thread.is_none() => Some(m.id),
            _ => None,
        })
    }

    /// A `typing` event: `user` started typing at `thread` (the room itself when `None`), or
    /// stopped there. A stop for another place than where they are shown is one that arrived
    /// late (they moved since): it changes nothing.
    pub fn typing_news(&mut self, user: User, thread: Option<i64>, active: bool) {
        if active {
            self.typing.retain(|(u, _)| u.id != user.id);
            self.typing.push((user, thread));
        } else {
            self.typing
                .retain(|(u, place)| !(u.id == user.id && *place == thread));
        }
    }

    /// Who is typing (id, username) in the room itself (`None`) or in the thread of `thread`.
    #[must_use]
    pub fn typing_in(&self, thread: Option<i64>) -> Vec<(i64, String)> {
        self.typing
            .iter()
            .filter(|(_, place)| *place == thread)
            .map(|(user, _)| (user.id, user.username.clone()))
            .collect()
    }

    /// A loaded message.
    #[must_use]
    pub fn message(&self, id: i64) -> Option<&Message> {
        self.lines
            .iter()
            .find_map(|line| match line {
                Line::Message(m) if m.id == id => Some(m),
                _ => None,
            })
            .or_else(|| self.detached_roots.get(&id))
    }

    fn message_mut(&mut self, id: i64) -> Option<&mut Message> {
        let in_lines = self.lines.iter_mut().find_map(|line| match line {
            Line::Message(m) if m.id == id => Some(m),
            _ => None,
        });
        match in_lines {
            Some(message) => Some(message),
            None => self.detached_roots.get_mut(&id),
        }
    }

    /// A loaded message as it is now (edited, deleted, reacted to), as the whole room sees it;
    /// the quotes of it in replies follow. Whether the reader saved it is theirs alone, which
    /// such news does not say: that stays. Messages not loaded are ignored.
    pub fn replace_message(&mut self, message: Message) {
        let saved = self.message(message.id).is_some_and(|known| known.saved);
        let thread_read = self.message(message.id).and_then(|known| known.thread_read);
        self.replace_for_reader(Message {
            saved: saved && !message.deleted,
            thread_read,
            ..message
        });
    }

    /// The reader read the thread of `root` to its newest reply: the id to tell the server, if
    /// that is news. A marker held here moves; without one (a thread not known to be followed:
    /// the server may know better, after a mention) the id is told all the same, once.
    pub fn read_thread(&mut self, root: i64) -> Option<i64> {
        let newest = self.thread_news(root)?;
        let known = self.message_mut(root)?;
        if known.thread_read.is_some() {
            known.thread_read = Some(newest);
        } else {
            self.thread_told.insert(root, newest);
        }
        Some(newest)
    }

    /// How far into the thread of `root` the reader has read, as far as this client knows
    /// (the server's marker, or what this client told it since).
    #[must_use]
    pub fn thread_marker(&self, root: i64) -> Option<i64> {
        let known = self.message(root)?.thread_read;
        let told = self.thread_told.get(&root).copied();
        known.max(told)
    }

    /// The newest reply of the thread of `root`, if the reader has not read it yet (as far as
    /// this client knows).
    #[must_use]
    pub fn thread_news(&self, root: i64) -> Option<i64> {
        let known = self.message(root)?;
        let newest = known.replies?.last_id;
        let read = known
            .thread_read
            .or_else(|| self.thread_told.get(&root).copied())
            .unwrap_or(i64::MIN);
        (newest > read).then_some(newest)
    }

    /// A loaded message as an answer to this reader gives it (`changes`): all of it, their
    /// saved mark included.
    pub fn replace_for_reader(&mut self, message: Message) {
        let excerpt = if message.deleted {
            String::new()
        } else {
            protocol::validate::excerpt(&message.text)
        };
        self.requote(message.id, &excerpt);
        if let Some(known) = self.message_mut(message.id) {
            let replies = match message.replies {
                Some(summary) => Some(summary.newer(known.replies)),
                None => known.replies,
            };
            // A marker never moves back (an answer may predate a read made here).
            let thread_read = known.thread_read.max(message.thread_read);
            *known = Message {
                replies,
                thread_read,
                ..message
            };
        }
    }

    /// A loaded message was pinned (`Some`: by whom and when) or unpinned (v1.14); a deleted
    /// one stays unpinned.
    pub fn apply_pin(&mut self, id: i64, pin: Option<protocol::Pin>) {
        if let Some(known) = self.message_mut(id)
            && !known.deleted
        {
            known.pinned = pin;
        }
    }

    /// A loaded message's link preview was made (v1.16). A deleted message has none, and a
    /// preview of a link the message no longer has (an edit overtook it) is not shown.
    pub fn apply_preview(&mut self, id: i64, preview: Option<protocol::LinkPreview>) {
        if let Some(known) = self.message_mut(id)
            && !known.deleted
        {
            let current = crate::markup::first_link(&known.text);
            known.preview = preview
                .filter(|preview| current.as_deref() == Some(preview.url.as_str()))
                .map(Box::new);
        }
    }

    /// The reader saved a loaded message, or took it out of their list (v1.15).
    pub fn mark_saved(&mut self, id: i64, saved: bool) {
        if let Some(known) = self.message_mut(id) {
            known.saved = saved && !known.deleted;
        }
    }

    /// A loaded message was deleted: its text and reactions go, a placeholder stays.
    pub fn mark_deleted(&mut self, id: i64) {
        self.requote(id, "");
        if let Some(known) = self.message_mut(id) {
            known.deleted = true;
            known.preview = None;
            known.text.clear();
            known.reactions.clear();
            known.pinned = None;
            known.saved = false;
        }
    }

    /// Someone added or took back a reaction on a loaded message (repeats change nothing).
    /// `count`, when the server says it, is how many reacted with it now: a message lists only
    /// its first reactors, so counting the list would drift.
    pub fn apply_reaction(
        &mut self,
        id: i64,
        emoji: &str,
        user: i64,
        active: bool,
        count: Option<u64>,
    ) {
        let Some(message) = self.message_mut(id) else {
            return;
        };
        let at = message.reactions.iter().position(|r| r.emoji == emoji);
        match (at, active) {
            (Some(at), true) => {
                let reaction = &mut message.reactions[at];
                if !reaction.users.contains(&user) {
                    reaction.users.push(user);
                    reaction.count += 1;
                }
                if let Some(count) = count {
                    reaction.count = count;
                }
            }
            (None, true) => message.reactions.push(Reaction {
                emoji: emoji.to_owned(),
                count: count.unwrap_or(1),
                users: vec![user],
            }),
            (Some(at), false) => {
                let reaction = &mut message.reactions[at];
                if let Some(position) = reaction.users.iter().position(|u| *u == user) {
                    reaction.users.remove(position);
                    reaction.count = reaction.count.saturating_sub(1);
                }
                if let Some(count) = count {
                    reaction.count = count;
                }
                if reaction.count == 0 {
                    message.reactions.remove(at);
                }
            }
            (None, false) => {}
        }
    }

    /// The quotes of message `id` in loaded replies now read `excerpt`.
    fn requote(&mut self, id: i64, excerpt: &str) {
        for line in &mut self.lines {
            if let Line::Message(m) = line
                && let Some(quote) = m.reply_to.as_mut().filter(|q| q.id == id)
            {
                excerpt.clone_into(&mut quote.excerpt);
            }
        }
    }

    /// A name for a user id, from the people present and the authors loaded ("someone"
    /// otherwise): for who reacted.
    #[must_use]
    pub fn name_of(&self, user: i64) -> String {
        self.members
            .iter()
            .find(|u| u.id == user)
            .map(|u| u.username.clone())
            .or_else(|| {
                self.lines.iter().find_map(|line| match line {
                    Line::Message(m) if m.user.id == user => Some(m.user.username.clone()),
                    _ => None,
                })
            })
            .unwrap_or_else(|| "someone".to_owned())
    }

    /// Someone arrived (`joined`) or left: merged into the notice just before, if the
    /// timeline ends with one, so a reconnect (left, then joined) leaves no trace.
    pub fn presence_notice(&mut self, username: &str, joined: bool, key: impl FnOnce() -> String) {
        if !matches!(self.lines.last(), Some(Line::Notice { .. })) {
            self.lines.push(Line::Notice {
                key: key(),
                joined: Vec::new(),
                left: Vec::new(),
            });
        }
        let Some(Line::Notice {
            joined: arrived,
            left: gone,
            ..
        }) = self.lines.last_mut()
        else {
            return;
        };
        let name = username.to_owned();
        let (undo, add) = if joined {
            (gone, arrived)
        } else {
            (arrived, gone)
        };
        if let Some(at) = undo.iter().position(|n| *n == name) {
            undo.remove(at);
        } else if !add.contains(&name) {
            add.push(name);
        }
        if matches!(self.lines.last(), Some(Line::Notice { joined, left, .. }) if joined.is_empty() && left.is_empty())
        {
            self.lines.pop();
        }
    }

    /// The timeline as drawn: [`Self::shown_lines`] with a separator before each new local
    /// day (`day_of` gives a timestamp's local day number) and messages grouped by author.
    #[must_use]
    pub fn rows(&self, me: Option<i64>, day_of: impl Fn(i64) -> i64) -> Vec<Row> {
        rows_of(&self.shown_lines(me), day_of)
    }

    /// Shows our messages waiting in the outbox (in the order they go out) after the stored
    /// ones, in place of the pending lines shown before. Changes nothing if they are the same.
    pub fn set_pending(&mut self, pending: Vec<Line>) {
        let shown: Vec<&Line> = self
            .lines
            .iter()
            .filter(|line| matches!(line, Line::Pending { .. }))
            .collect();
        if shown.len() == pending.len() && shown.iter().zip(&pending).all(|(a, b)| *a == b) {
            return;
        }
        self.lines
            .retain(|line| !matches!(line, Line::Pending { .. }));
        self.lines.extend(pending);
    }
}

/// Lines as drawn: a separator before each new local day (`day_of` gives a timestamp's local
/// day number) and messages grouped by author.
fn rows_of(lines: &[Line], day_of: impl Fn(i64) -> i64) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut last_day = None;
    let mut previous: Option<(i64, i64)> = None;
    for (at, line) in lines.iter().enumerate() {
        // A new day starts before its first message, or before the divider above it.
        let next_message = match line {
            Line::Message(m) => Some(m),
            Line::Divider => lines[at..].iter().find_map(|l| match l {
                Line::Message(m) => Some(m),
                _ => None,
            }),
            _ => None,
        };
        if let Some(m) = next_message {
            let day = day_of(m.ts);
            if last_day != Some(day) {
                rows.push(Row::Day { day, ts: m.ts });
                last_day = Some(day);
                previous = None;
            }
        }
        let line = line.clone();
        let grouped = match &line {
            Line::Message(m) => {
                let grouped = previous
                    .is_some_and(|(author, ts)| author == m.user.id && m.ts - ts < GROUP_WITHIN_MS);
                previous = Some((m.user.id, m.ts));
                grouped
            }
            _ => {
                previous = None;
                false
            }
        };
        rows.push(Row::Line {
            line: Box::new(line),
            grouped,
        });
    }
    rows
}

/// Every joined room by lowercase name, plus the order they were joined in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rooms {
    /// Joined rooms, by key.
    joined: BTreeMap<String, RoomView>,
    /// Keys in the order of joining (for the sidebar).
    pub order: Vec<String>,
}

impl Rooms {
    /// The key a room name is stored under.
    #[must_use]
    pub fn key(name: &str) -> String {
        sync::joins::room_key(name)
    }

    /// The view of a joined room.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&RoomView> {
        self.joined.get(&Self::key(name))
    }

    /// The mutable view of a joined room (its revision moves on).
    pub fn get_mut(&mut self, name: &str) -> Option<&mut RoomView> {
        let view = self.joined.get_mut(&Self::key(name))?;
        view.rev += 1;
        Some(view)
    }

    /// Changes every joined room (every revision moves on).
    pub fn update_all(&mut self, mut change: impl FnMut(&mut RoomView)) {
        for view in self.joined.values_mut() {
            view.rev += 1;
            change(view);
        }
    }

    /// The revision of a joined room: what a per-room memo watches.
    #[must_use]
    pub fn rev(&self, name: &str) -> Option<u64> {
        self.get(name).map(|view| view.rev)
    }

    /// How many rooms are joined.
    #[must_use]
    pub fn len(&self) -> usize {
        self.joined.len()
    }

    /// Whether no room is joined.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.joined.is_empty()
    }

    /// Adds (or replaces) a joined room; its revision is past the one it replaces.
    pub fn insert(&mut self, mut view: RoomView) {
        let key = Self::key(&view.name);
        if !self.order.contains(&key) {
            self.order.push(key.clone());
        }
        let previous = self.joined.get(&key).map_or(0, |old| old.rev);
        view.rev = view.rev.max(previous) + 1;
        self.joined.insert(key, view);
    }

    /// Puts the rooms in the server's order (the user's list); rooms not in it are dropped.
    pub fn keep_only(&mut self, names: &[String]) {
        let keys: Vec<String> = names.iter().map(|n| Self::key(n)).collect();
        self.joined.retain(|key, _| keys.contains(key));
        self.order = keys
            .into_iter()
            .filter(|key| self.joined.contains_key(key))
            .collect();
    }

    /// Forgets a room.
    pub fn remove(&mut self, name: &str) {
        let key = Self::key(name);
        self.joined.remove(&key);
        self.order.retain(|k| *k != key);
    }

    /// Joined rooms in sidebar order.
    #[must_use]
    pub fn ordered(&self) -> Vec<&RoomView> {
        self.order
            .iter()
            .filter_map(|k| self.joined.get(k))
            .collect()
    }

    /// Total unread messages.
    #[must_use]
    pub fn unread(&self) -> u32 {
        self.joined.values().map(RoomView::unread_count).sum()
    }
}

#[cfg(test)]
mod tests {
    use protocol::{Author, Role};

    use super::*;

    fn message(id: i64) -> Message {
        Message {
            id,
            room: protocol::events::GENERAL_ROOM.into(),
            user: Author {
                id: 1,
                username: "ana".into(),
            },
            text: format!("m{id}"),
            ts: id,
            ..Message::default()
        }
    }

    fn ids(view: &RoomView) -> Vec<String> {
        view.lines.iter().map(Line::key).collect()
    }

    fn reply(id: i64, root: i64, count: u64) -> Message {
        Message {
            thread: Some(root),
            replies: Some(protocol::ThreadSummary {
                count,
                last_id: id,
                last_ts: id,
            }),
            ..message(id)
        }
    }

    #[test]
    fn replies_go_to_their_thread_and_the_newest_summary_wins() {
        let mut view = RoomView::default();
        view.merge([message(1), message(2)], None);
        // Out of order: the third reply's summary comes first, the first reply's after it.
        view.merge([reply(5, 1, 3), message(6), reply(3, 1, 1)], None);
        let timeline: Vec<String> = view
            .rows(None, |_| 0)
            .iter()
            .filter_map(Row::message_id)
            .map(|id| id.to_string())
            .collect();
        assert_eq!(
            timeline,
            ["1", "2", "6"],
            "replies stay out of the room's timeline"
        );
        let thread: Vec<i64> = view
            .thread_rows(1, |_| 0)
            .iter()
            .filter_map(Row::message_id)
            .collect();
        assert_eq!(thread, [1, 3, 5]);
        let summary = view.message(1).and_then(|m| m.replies);
        assert_eq!(summary.map(|s| (s.count, s.last_id)), Some((3, 5)));
        // An edit read before the last reply does not take the count back.
        let stale = Message {
            text: "edited".into(),
            replies: Some(protocol::ThreadSummary {
                count: 1,
                last_id: 3,
                last_ts: 3,
            }),
            ..message(1)
        };
        view.replace_message(stale);
        assert_eq!(
            view.message(1).and_then(|m| m.replies).map(|s| s.count),
            Some(3)
        );
        assert_eq!(view.message(1).map(|m| m.text.as_str()), Some("edited"));
        // Older pages start before the room's own oldest message, not a reply's.
        view.lines
            .retain(|line| !matches!(line, Line::Message(m) if m.id < 3));
        assert_eq!(view.first_id(), Some(6));
    }

    #[test]
    fn a_followed_thread_has_news_until_it_is_read_and_our_own_reply_reads_it() {
        let mut view = RoomView::default();
        let root = Message {
            thread_read: Some(1),
            ..message(1)
        };
        view.merge([root, message(2)], Some(9));
        assert!(!thread_has_news(view.message(1).unwrap()), "no replies yet");
        view.merge([reply(3, 1, 1)], Some(9));
        assert!(thread_has_news(view.message(1).unwrap()));
        // An edit from the room keeps where we got to.
        view.replace_message(Message {
            text: "edited".into(),
            ..message(1)
        });
        assert!(thread_has_news(view.message(1).unwrap()));
        assert_eq!(view.read_thread(1), Some(3));
        assert_eq!(view.read_thread(1), None, "nothing new since");
        assert!(!thread_has_news(view.message(1).unwrap()));
        // A thread we do not follow has no news, until we write in it.
        view.merge([reply(4, 2, 1)], Some(9));
        assert!(!thread_has_news(view.message(2).unwrap()));
        let ours = Message {
            user: Author {
                id: 9,
                username: "cy".into(),
            },
            ..reply(5, 2, 2)
        };
        view.merge([ours], Some(9));
        assert_eq!(view.message(2).and_then(|m| m.thread_read), Some(5));
        view.merge([reply(6, 2, 3)], Some(9));
        assert!(thread_has_news(view.message(2).unwrap()));
    }

    #[test]
    fn a_thread_we_started_is_followed_once_answered_and_markers_never_go_back() {
        let mut view = RoomView::default();
        // Message 1 is ours (user 1): a reply from someone else makes it a followed thread.
        view.merge([message(1)], Some(1));
        let theirs = Message {
            user: Author {
                id: 2,
                username: "bea".into(),
            },
            ..reply(2, 1, 1)
        };
        view.merge([theirs], Some(1));
        assert_eq!(view.message(1).and_then(|m| m.thread_read), Some(1));
        assert!(thread_has_news(view.message(1).unwrap()));
        assert_eq!(view.read_thread(1), Some(2));
        // An answer read before that reached the server does not take it back.
        view.replace_for_reader(Message {
            thread_read: Some(1),
            ..message(1)
        });
        assert_eq!(view.message(1).and_then(|m| m.thread_read), Some(2));

        // A thread not known to be followed is told read once per news, nothing kept.
        view.merge([message(3)], Some(9));
        view.merge([reply(4, 3, 1)], Some(9));
        assert_eq!(view.read_thread(3), Some(4));
        assert_eq!(view.read_thread(3), None);
        assert_eq!(view.message(3).and_then(|m| m.thread_read), None);
        assert!(!thread_has_news(view.message(3).unwrap()));
    }

    #[test]
    fn reading_the_room_reads_through_what_the_marker_counted() {
        let mut view = RoomView::default();
        view.merge([message(1), message(2)], Some(9));
        // The server counted up to 7: replies in threads the timeline does not hold.
        view.apply_marker(0, 4, Some(7));
        assert_eq!(view.read_all(), Some(7));
        assert_eq!(view.unread_count(), 0);
    }

    #[test]
    fn a_waiting_thread_reply_shows_in_its_thread_only() {
        let mut view = RoomView::default();
        view.merge([message(1)], None);
        let me = User {
            id: 9,
            username: "cy".into(),
            role: Role::Member,
        };
        let pending = |thread| Line::Pending {
            client_id: format!("c{thread:?}"),
            text: "hi".into(),
            user: me.clone(),
            failed: None,
            reply_to: None,
            attachments: Vec::new(),
            thread,
        };
        view.set_pending(vec![pending(Some(1)), pending(None)]);
        let main: Vec<String> = view.rows(None, |_| 0).iter().map(Row::key).collect();
        assert_eq!(
            main.iter().filter(|k| k.starts_with("pcSome")).count(),
            0,
            "{main:?}"
        );
        assert_eq!(
            main.iter().filter(|k| k.starts_with("pcNone")).count(),
            1,
            "{main:?}"
        );
        let thread: Vec<String> = view.thread_rows(1, |_| 0).iter().map(Row::key).collect();
        assert!(thread.iter().any(|k| k.starts_with("pcSome")), "{thread:?}");
    }

    #[test]
    fn merge_dedupes_and_orders_by_id() {
        let mut view = RoomView::default();
        assert_eq!(view.merge([message(1), message(3)], None), 2);
        assert_eq!(view.merge([message(2), message(3), message(4)], None), 2);
        assert_eq!(ids(&view), ["m1", "m2", "m3", "m4"]);
        assert_eq!(view.merge([message(0)], None), 1);
        assert_eq!(ids(&view)[0], "m0");
        assert_eq!(view.first_id(), Some(0));
        assert_eq!(view.last_id(), Some(4));
    }

    #[test]
    fn long_messages_fold_by_lines_or_length() {
        assert!(!is_long("short"));
        assert!(!is_long(&"line\n".repeat(FOLD_LINES)));
        assert!(is_long(&"line\n".repeat(FOLD_LINES + 1)));
        assert!(!is_long(&"é".repeat(FOLD_CHARS)));
        assert!(is_long(&"é".repeat(FOLD_CHARS + 1)));
    }

    #[test]
    fn catching_up_rereads_from_before_the_window() {
        let mut view = RoomView::default();
        assert_eq!(view.catch_up_from(100), None);
        view.merge([message(10), message(20), message(30)], None);
        // Messages 20 and 30 are within the window: re-read from 10.
        assert_eq!(view.catch_up_from(20), Some(10));
        assert_eq!(view.catch_up_from(31), Some(30));
        // Everything we have is recent: from the oldest we have.
        assert_eq!(view.catch_up_from(5), Some(10));
        assert_eq!(view.last_ts(), Some(30));
    }

    #[test]
    fn a_join_owes_what_follows_the_cursor_and_the_changes_since_the_newest() {
        let at = |id: i64| Message {
            ts: id * 1_000,
            ..message(id)
        };
        // A first join: nothing held, nothing owed.
        let view = RoomView::default();
        assert_eq!(view.owed_on_join(Some(1)), Owed::default());

        let mut view = RoomView::default();
        view.merge([at(10), at(20), at(30)], None);
        let since = 30_000 - CATCH_UP_OVERLAP_MS;
        // No cursor: re-read from the newest message held before the last few seconds.
        let owed = view.owed_on_join(Some(100));
        assert_eq!(owed.history_after, view.catch_up_from(since));
        assert_eq!(owed.changes_since, Some(since));
        // With a cursor, from it; a page that follows on from it owes no history.
        view.cursor.complete_through(Some(20));
        assert_eq!(view.owed_on_join(Some(100)).history_after, Some(20));
        assert_eq!(view.owed_on_join(Some(21)).history_after, None);
        // An earlier point still owed wins.
        view.owed.history(5);
        assert_eq!(view.owed_on_join(Some(100)).history_after, Some(5));
    }

    #[test]
    fn a_page_of_the_rooms_own_timeline_leaves_what_follows_the_cursor_owed() {
        let mut view = RoomView::default();
        view.merge([message(10), message(20)], None);
        view.cursor.complete_through(Some(20));
        // The page follows on, but replies in threads after 20 are not in it.
        assert_eq!(view.owed_on_join(Some(21)).history_after, None);
        assert_eq!(view.owed_on_main_join(Some(21)).history_after, Some(20));
        // A first join owes nothing.
        assert_eq!(
            RoomView::default().owed_on_main_join(Some(1)),
            Owed::default()
        );
    }

    #[test]
    fn a_root_older_than_the_timeline_waits_aside_and_earlier_replies_wait_for_their_page() {
        let mut view = RoomView::default();
        view.merge([message(450), message(500)], None);
        // Replies 101 and 102 came live; the thread's newest page (with more before it) holds
        // 300 and 301, then the root 100 with the first page.
        view.merge([reply(101, 100, 1), reply(102, 100, 2)], None);
        view.merge_thread_page(
            100,
            vec![reply(300, 100, 9), reply(301, 100, 10)],
            true,
            None,
        );
        let thread = |view: &RoomView| -> Vec<i64> {
            view.thread_rows(100, |_| 0)
                .iter()
                .filter_map(Row::message_id)
                .collect()
        };
        assert_eq!(thread(&view), [300, 301], "no gap: 101 and 102 wait");
        assert_eq!(
            view.thread_pages[&100],
            ThreadPages {
                oldest: 300,
                more: true
            }
        );
        let root = Message {
            replies: Some(protocol::ThreadSummary {
                count: 10,
                last_id: 301,
                last_ts: 301,
            }),
            ..message(100)
        };
        view.merge_thread_page(
            100,
            vec![root, reply(101, 100, 1), reply(299, 100, 8)],
            false,
            None,
        );
        assert_eq!(thread(&view), [100, 101, 102, 299, 300, 301]);
        // The root stays out of the timeline (which starts at 450), and older pages still
        // start before 450.
        let timeline: Vec<i64> = view
            .rows(None, |_| 0)
            .iter()
            .filter_map(Row::message_id)
            .collect();
        assert_eq!(timeline, [450, 500]);
        assert_eq!(view.first_id(), Some(450));
        // It is a message of the room all the same: edits reach it.
        view.mark_deleted(100);
        assert!(view.message(100).is_some_and(|m| m.deleted));
        // Once the timeline reaches back to it, it takes its place there.
        view.merge([message(100)], None);
        assert!(view.detached_roots.is_empty());
        assert_eq!(view.first_id(), Some(100));
        assert_eq!(
            view.message(100).and_then(|m| m.replies).map(|s| s.count),
            Some(10)
        );
    }

    #[test]
    fn typists_show_where_they_type() {
        let mut view = RoomView::default();
        let user = |id, name: &str| User {
            id,
            username: name.into(),
            role: Role::Guest,
        };
        view.typing_news(user(1, "ana"), None, true);
        view.typing_news(user(2, "bea"), Some(40), true);
        assert_eq!(view.typing_in(None), [(1, "ana".to_owned())]);
        assert_eq!(view.typing_in(Some(40)), [(2, "bea".to_owned())]);
        assert!(view.typing_in(Some(41)).is_empty());
        // Bea moves to the room; the stop for the thread, sent first, arrives after the start.
        view.typing_news(user(2, "bea"), None, true);
        view.typing_news(user(2, "bea"), Some(40), false);
        assert_eq!(view.typing_in(None).len(), 2);
        assert!(view.typing_in(Some(40)).is_empty());
        view.typing_news(user(2, "bea"), None, false);
        assert_eq!(view.typing_in(None), [(1, "ana".to_owned())]);
    }

    #[test]
    fn pending_lines_stay_last_until_confirmed() {
        let mut view = RoomView::default();
        view.merge([message(1)], None);
        view.lines.push(Line::Pending {
            client_id: "c".into(),
            text: "hi".into(),
            user: User {
                id: 1,
                username: "ana".into(),
                role: Role::Guest,
            },
            failed: None,
            reply_to: None,
            attachments: Vec::new(),
            thread: None,
        });
        view.merge([message(2)], Some(1));
        assert_eq!(ids(&view), ["m1", "m2", "pc"]);
        // Another author's message with the same client_id confirms nothing of ours.
        let theirs = Message {
            user: Author {
                id: 2,
                username: "bea".into(),
            },
            client_id: Some("c".into()),
            ..message(3)
        };
        view.merge([theirs], Some(1));
        assert_eq!(ids(&view), ["m1", "m2", "m3", "pc"]);
        // Ours carries the pending line's client_id: it takes the line's place, whether it
        // came as the answer or as the room's event (the answer, later, changes nothing).
        let ours = Message {
            client_id: Some("c".into()),
            ..message(4)
        };
        view.merge([ours.clone()], Some(1));
        assert_eq!(ids(&view), ["m1", "m2", "m3", "m4"]);
        view.merge([ours], Some(1));
        assert_eq!(ids(&view), ["m1", "m2", "m3", "m4"]);
    }

    #[test]
    fn read_markers_move_forward_and_place_the_divider() {
        let mut view = RoomView::default();
        view.merge([message(1), message(2), message(3)], None);
        view.apply_marker(1, 2, Some(3));
        assert_eq!((view.last_read(), view.unread_count()), (1, 2));
        view.apply_marker(0, 5, Some(3));
        assert_eq!(
            (view.last_read(), view.unread_count()),
            (1, 2),
            "never back"
        );

        view.open();
        assert_eq!(view.divider_after, Some(1));
        let keys: Vec<String> = view.shown_lines(Some(99)).iter().map(Line::key).collect();
        assert_eq!(keys, ["m1", "divider", "m2", "m3"]);
        // Our own messages are never "new".
        let keys: Vec<String> = view.shown_lines(Some(1)).iter().map(Line::key).collect();
        assert_eq!(keys, ["m1", "m2", "m3"]);

        assert_eq!(view.read_all(), Some(3));
        assert_eq!((view.last_read(), view.unread_count()), (3, 0));
        assert_eq!(view.read_all(), None, "nothing new to tell the server");
        view.open();
        assert_eq!(view.divider_after, None, "nothing unread: no divider");
    }

    #[test]
    fn new_messages_go_after_the_notices_before_them() {
        let mut view = RoomView::default();
        view.merge([message(1)], None);
        view.presence_notice("bea", true, || "k".into());
        view.merge([message(2)], None);
        assert_eq!(ids(&view), ["m1", "nk:bea|", "m2"]);
        view.presence_notice("bea", false, || "l".into());
        assert_eq!(ids(&view), ["m1", "nk:bea|", "m2", "nl:|bea"]);
    }

    #[test]
    fn rows_group_by_author_and_separate_days() {
        let day = 86_400_000;
        let at = |id: i64, author: i64, ts: i64| Message {
            user: Author {
                id: author,
                username: format!("u{author}"),
            },
            ts,
            ..message(id)
        };
        let mut view = RoomView::default();
        view.merge(
            [
                at(1, 1, 1_000),
                at(2, 1, 61_000),
                at(3, 2, 62_000),
                at(4, 2, 62_000 + GROUP_WITHIN_MS),
                at(5, 2, day + 1),
            ],
            None,
        );
        let keys: Vec<String> = view
            .rows(None, |ts| ts.div_euclid(day))
            .iter()
            .map(Row::key)
            .collect();
        assert_eq!(keys, ["day0", "m1", "m2+", "m3", "m4", "day1", "m5"]);
        // The divider of a new day comes after the day's name.
        view.apply_marker(4, 1, Some(5));
        view.open();
        let keys: Vec<String> = view
            .rows(None, |ts| ts.div_euclid(day))
            .iter()
            .map(Row::key)
            .collect();
        assert_eq!(keys[5..], ["day1", "divider", "m5"]);
    }

    #[test]
    fn presence_notices_collapse_and_reconnects_vanish() {
        let mut view = RoomView::default();
        let mut n = 0;
        let mut key = || {
            n += 1;
            n.to_string()
        };
        view.presence_notice("ana", true, &mut key);
        view.presence_notice("bea", true, &mut key);
        view.presence_notice("cy", false, &mut key);
        assert_eq!(view.lines.len(), 1);
        let Line::Notice { joined, left, .. } = &view.lines[0] else {
            panic!("a notice");
        };
        assert_eq!(
            Line::notice_text(joined, left),
            "ana and bea joined · cy left"
        );
        // Bea's tab reconnects: gone and back is no news.
        view.presence_notice("bea", false, &mut key);
        view.presence_notice("bea", true, &mut key);
        let Line::Notice { joined, left, .. } = &view.lines[0] else {
            panic!("a notice");
        };
        assert_eq!(
            Line::notice_text(joined, left),
            "ana and bea joined · cy left"
        );
        view.presence_notice("ana", false, &mut key);
        view.presence_notice("bea", false, &mut key);
        view.presence_notice("cy", true, &mut key);
        assert!(view.lines.is_empty(), "everything undone: no line");
    }

    #[test]
    fn the_outbox_lines_follow_the_stored_messages_and_replace_the_last_ones_shown() {
        let pending = |id: &str, failed: Option<&str>| Line::Pending {
            client_id: id.into(),
            text: "hola".into(),
            user: User {
                id: 1,
                username: "ana".into(),
                role: Role::Guest,
            },
            failed: failed.map(str::to_owned),
            reply_to: None,
            attachments: Vec::new(),
            thread: None,
        };
        let mut view = RoomView::default();
        view.set_pending(vec![pending("a", None), pending("b", None)]);
        view.merge([message(5)], None);
        // Stored messages go before what waits.
        assert!(matches!(&view.lines[0], Line::Message(m) if m.id == 5));
        // "a" delivered, "b" refused: the lines say so, nothing else moves.
        view.set_pending(vec![pending("b", Some("muted"))]);
        assert_eq!(view.lines.len(), 2);
        assert_eq!(view.lines[1], pending("b", Some("muted")));
        view.set_pending(Vec::new());
        assert_eq!(view.lines.len(), 1);
    }

    #[test]
    fn a_long_text_is_counted_not_cut() {
        assert_eq!(LengthNote::of("short"), None);
        assert_eq!(LengthNote::of(&"a".repeat(3_799)), None);
        assert_eq!(
            LengthNote::of(&"a".repeat(3_800)),
            Some(LengthNote::Left(200))
        );
        assert_eq!(
            LengthNote::of(&"é".repeat(4_000)),
            Some(LengthNote::Left(0))
        );
        let over = LengthNote::of(&format!("  {}  ", "a".repeat(4_001))).unwrap();
        assert_eq!(over, LengthNote::Over(1));
        assert!(over.is_over());
        assert_eq!(
            over.text(),
            "1 character over the limit of 4000: shorten it to send it"
        );
    }

    #[test]
    fn the_servers_list_sets_the_order() {
        let mut rooms = Rooms::default();
        for name in ["a", "b", "c"] {
            rooms.insert(RoomView {
                name: name.into(),
                ..RoomView::default()
            });
        }
        rooms.keep_only(&["C".into(), "a".into(), "zzz".into()]);
        assert_eq!(rooms.order, ["c", "a"]);
        assert!(rooms.get("b").is_none());
    }

    #[test]
    fn members_are_added_once_in_name_order() {
        let user = |id, name: &str| User {
            id,
            username: name.into(),
            role: Role::Guest,
        };
        let mut view = RoomView::default();
        view.add_member(user(2, "bea"));
        view.add_member(user(1, "Ana"));
        view.add_member(user(3, "cy"));
        view.add_member(user(2, "bea"));
        let names: Vec<_> = view.members.iter().map(|u| u.username.as_str()).collect();
        assert_eq!(names, ["Ana", "bea", "cy"]);
    }

    #[test]
    fn rooms_keep_join_order_and_sum_unread() {
        let mut rooms = Rooms::default();
        for (name, unread) in [("b", 2), ("A", 1)] {
            let mut view = RoomView {
                name: name.into(),
                ..RoomView::default()
            };
            view.apply_marker(0, unread, Some(10));
            rooms.insert(view);
        }
        let names: Vec<_> = rooms.ordered().iter().map(|r| r.name.clone()).collect();
        assert_eq!(names, ["b", "A"]);
        assert_eq!(rooms.unread(), 3);
        assert!(rooms.get("a").is_some());
        rooms.remove("B");
        assert_eq!(rooms.order, ["a"]);
    }

    #[test]
    fn every_change_moves_the_room_revision_and_only_that_room() {
        let mut rooms = Rooms::default();
        let room = |name: &str| RoomView {
            name: name.into(),
            ..RoomView::default()
        };
        rooms.insert(room("a"));
        rooms.insert(room("b"));
        let (a, b) = (rooms.rev("a").unwrap(), rooms.rev("b").unwrap());
        rooms.get_mut("A").unwrap().apply_marker(0, 1, Some(1));
        assert!(rooms.rev("a").unwrap() > a);
        assert_eq!(rooms.rev("b"), Some(b));
        // A replacement made from an old copy still moves forward.
        let stale = room("b");
        rooms.insert(stale);
        assert!(rooms.rev("b").unwrap() > b);
        let before = (rooms.rev("a").unwrap(), rooms.rev("b").unwrap());
        rooms.update_all(|_| {});
        assert!(rooms.rev("a").unwrap() > before.0 && rooms.rev("b").unwrap() > before.1);
        assert_eq!(rooms.rev("zz"), None);
    }

    #[test]
    fn edits_deletions_and_reactions_apply_to_loaded_messages_and_their_quotes() {
        let mut view = RoomView::default();
        let mut reply = message(2);
        reply.reply_to = Some(protocol::ReplyPreview {
            id: 1,
            user: reply.user.clone(),
            excerpt: "m1".into(),
        });
        view.merge([message(1), reply], None);
        let before = view.lines[0].revision();

        let mut edited = message(1);
        edited.text = "m1, better".into();
        edited.edited_ts = Some(5);
        view.replace_message(edited.clone());
        assert_eq!(view.message(1), Some(&edited));
        assert_eq!(
            view.message(2).unwrap().reply_to.as_ref().unwrap().excerpt,
            "m1, better"
        );
        assert_ne!(view.lines[0].revision(), before, "redrawn");

        view.apply_reaction(1, "👍", 7, true, None);
        view.apply_reaction(1, "👍", 7, true, None);
        view.apply_reaction(1, "👍", 8, true, None);
        view.apply_reaction(1, "🎉", 8, true, None);
        let reactions = &view.message(1).unwrap().reactions;
        assert_eq!(
            (reactions[0].count, reactions[0].users.clone()),
            (2, vec![7, 8])
        );
        view.apply_reaction(1, "🎉", 8, false, None);
        view.apply_reaction(1, "🎉", 8, false, None);
        assert_eq!(view.message(1).unwrap().reactions.len(), 1);

        // Saved by the reader: an edit the room sees keeps it saved.
        view.mark_saved(1, true);
        view.replace_message(Message {
            text: "edited".into(),
            ..message(1)
        });
        assert!(view.message(1).unwrap().saved);
        // The reader's own catch-up says it was taken out on another device.
        view.replace_for_reader(Message {
            text: "edited".into(),
            ..message(1)
        });
        assert!(!view.message(1).unwrap().saved);
        view.mark_saved(1, true);
        // Pinned and unpinned: the row is drawn anew each time.
        let pin = protocol::Pin {
            by: Author {
                id: 7,
                username: "bea".into(),
            },
            ts: 500,
        };
        let before = view.lines[0].revision();
        view.apply_pin(1, Some(pin.clone()));
        assert_eq!(view.message(1).unwrap().pinned, Some(pin.clone()));
        assert_ne!(view.lines[0].revision(), before, "a pin is redrawn");
        // A link preview arrives, and is redrawn.
        let preview = protocol::LinkPreview {
            url: "https://example.org/".into(),
            site: "example.org".into(),
            title: "Example".into(),
            description: None,
            image_url: None,
        };
        // Not the message's link (an edit took it out before the preview came): not shown.
        view.apply_preview(1, Some(preview.clone()));
        assert_eq!(view.message(1).unwrap().preview, None);
        view.replace_message(Message {
            text: "see https://example.org/".into(),
            edited_ts: Some(600),
            pinned: Some(pin.clone()),
            ..message(1)
        });
        let before = view.lines[0].revision();
        view.apply_preview(1, Some(preview.clone()));
        assert_eq!(view.message(1).unwrap().preview.as_deref(), Some(&preview));
        assert_ne!(view.lines[0].revision(), before, "a preview is redrawn");

        view.mark_deleted(1);
        let gone = view.message(1).unwrap();
        assert!(gone.deleted && gone.text.is_empty() && gone.reactions.is_empty());
        assert_eq!(gone.pinned, None, "deleting unpins");
        assert_eq!(gone.preview, None, "a deleted message has no preview");
        assert!(!gone.saved, "deleting takes it out of the saved list");
        view.apply_pin(1, Some(pin));
        assert_eq!(
            view.message(1).unwrap().pinned,
            None,
            "a deleted message stays unpinned"
        );
        view.apply_preview(1, Some(preview));
        assert_eq!(view.message(1).unwrap().preview, None);
        assert_eq!(
            view.message(2).unwrap().reply_to.as_ref().unwrap().excerpt,
            ""
        );
        // A reaction listing only its first reactors: one of the others takes theirs back.
        view.replace_message(Message {
            reactions: vec![Reaction {
                emoji: "🔥".into(),
                count: 60,
                users: (1..=50).collect(),
            }],
            ..message(2)
        });
        // One of the unlisted ones takes theirs back (the server says the count), then a
        // listed one: shown at once, then the server's echo, which must not count twice.
        let before = view.lines[1].revision();
        view.apply_reaction(2, "🔥", 55, false, Some(59));
        assert_ne!(view.lines[1].revision(), before, "a new count is redrawn");
        view.apply_reaction(2, "🔥", 3, false, None);
        view.apply_reaction(2, "🔥", 3, false, Some(58));
        let fire = &view.message(2).unwrap().reactions[0];
        assert_eq!((fire.count, fire.users.len()), (58, 49));
        // Messages not loaded are ignored.
        view.apply_reaction(99, "👍", 7, true, None);
        view.mark_deleted(99);
        assert_eq!(view.lines.len(), 2);
    }
}
