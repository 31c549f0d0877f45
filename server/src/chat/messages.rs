//! Messages: sending (stored once per `client_id`, broadcast to the room), history pages, and
//! the notifications a new message triggers (mentions, DMs).

use protocol::events::NotificationKind;
use protocol::{HistoryReq, Message, MessageReq, User, validate};
use store::{NewMessage, NewNotification, RoomKind, RoomRecord, Scope};

use super::{Chat, Connection};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::live::limits::Action;

/// Someone who marked a DM read this recently (ms) is following it: no notification.
const ACTIVE_READER_MS: i64 = 30_000;

/// The notifications that lead into a thread: while one is unread, its replies bring no other.
const THREAD_NEWS: [NotificationKind; 2] = [NotificationKind::Thread, NotificationKind::Mention];

/// Longest client-chosen idempotency key.
const CLIENT_ID_MAX: usize = 64;

impl Chat {
    /// Stores a message in a room the connection joined (once per `client_id`: a resend
    /// returns the original) and sends it to the room; mentions and DM pings follow from the
    /// node's follow-up queue (see [`super::follow_ups`]).
    ///
    /// # Errors
    /// `empty_message`, `too_long`, `bad_request` (text, `client_id`, `reply_to`, `thread`,
    /// `attachments`), `not_member`, `rate_limited`, or a failure.
    pub async fn send(&self, conn: &Connection, req: &MessageReq) -> AppResult<Message> {
        validate::attachment_ids(&req.attachments)?;
        let text = validate::message_body(&req.text, req.attachments.len())?;
        let client_id = req.client_id.as_deref();
        if client_id.is_some_and(|id| {
            id.is_empty() || id.len() > CLIENT_ID_MAX || id.chars().any(char::is_control)
        }) {
            return Err(AppError::bad_request(format!(
                "client_id has 1 to {CLIENT_ID_MAX} visible characters"
            )));
        }
        let room = self.joined_room(conn, &req.room).await?;
        self.check_dm_open(&room, conn.user()).await?;
        // Whether the author is muted is checked by the insert (one statement).
        let reply_to = match req.reply_to {
            Some(id) => Some(self.reply_target(&room, id).await?),
            None => None,
        };
        let thread = match req.thread {
            Some(id) => Some(self.thread_root(&room, id).await?),
            None => None,
        };
        let thread_root = thread.map(|(root, _)| root);
        let author = conn.user();
        if let Err(refused) = self.charge(&conn.actor, Action::Message).await {
            // A resend of a message stored already (its answer was lost) stores nothing: it is
            // answered with the original, however fast the author goes (v1.24).
            let original = match client_id {
                Some(client_id) => self.hub.store.resent(&room, author.id, client_id).await?,
                None => None,
            };
            return original
                .map(|message| Message {
                    client_id: req.client_id.clone(),
                    ..message
                })
                .ok_or(refused);
        }
        let new = NewMessage {
            text: &text,
            ts: now_ms(),
            client_id,
            reply_to,
            attachments: &req.attachments,
            thread_root,
        };
        let (message, is_new) = self
            .hub
            .store
            .insert_full(&room, author, &new)
            .await
            .map_err(|error| match error {
                store::StoreError::Muted(until) => super::moderation::muted(&room, until, new.ts),
                store::StoreError::NotFound => AppError::bad_request(
                    "an attachment is not one of your unsent uploads to this room",
                ),
                other => other.into(),
            })?;
        // The author's tabs know the message by it (v1.24), on the event as on the answer; a
        // bot's message says so as history will (v1.28).
        let message = Message {
            client_id: req.client_id.clone(),
            bot: conn.bot,
            ..message
        };
        if is_new {
            if let Some((root, root_author)) = thread {
                self.follow_thread(author.id, root, root_author, message.id)
                    .await;
            }
            self.stop_typing(&room, author).await;
            self.publish(room, author, &message).await;
        }
        Ok(message)
    }

    /// After reply `id` in the thread of `root`: its author follows the thread, read up to
    /// there, and so does the thread's author (from its start) if not yet (v1.23). A failure
    /// costs a marker, not the message: it is logged.
    async fn follow_thread(&self, author: i64, root: i64, root_author: i64, id: i64) {
        let store = &self.hub.store;
        let followed = match store.follow_thread(root_author, root, root).await {
            Ok(()) => store.wrote_in_thread(author, root, id).await,
            Err(error) => Err(error),
        };
        if let Err(error) = followed {
            tracing::warn!(%error, "recording who follows a thread");
        }
    }

    /// `user_id` follows the thread of `root` from just before reply `id` (they were
    /// mentioned in it, v1.23): that reply and the later ones are news to them.
    async fn follow_from(&self, user_id: i64, root: i64, id: i64) {
        let store = &self.hub.store;
        let followed = match store.thread_reply_before(root, id).await {
            Ok(before) => store.follow_thread(user_id, root, before).await,
            Err(error) => Err(error),
        };
        if let Err(error) = followed {
            tracing::warn!(%error, "following a thread for a mention");
        }
    }

    /// What follows a new message's store: the room gets it, its first link is previewed,
    /// and the people it mentions (or the other person of a DM) are notified.
    pub(super) async fn publish(&self, room: RoomRecord, author: &User, message: &Message) {
        self.fanout.to_room(room.id, message).await;
        // After the broadcast: the link is recorded off the room's way.
        let preview = self.links.note_sent(message.id, &message.text).await;
        self.links.queue(preview);
        self.follow_up(room, author.clone(), message.clone()).await;
    }

    /// A page of a room `user` may see, oldest first: the newest `limit` (older than
    /// `before`), or the oldest `limit` newer than `after` (catching up).
    ///
    /// # Errors
    /// `bad_request` (limit, name, scope), `not_found`, or a failure.
    pub async fn history(&self, user: &User, req: &HistoryReq) -> AppResult<Vec<Message>> {
        let limit = validate::history_limit(req.limit)?;
        let scope = match (req.main, req.thread) {
            (false, None) => Scope::All,
            (true, None) => Scope::Main,
            (false, Some(root)) => Scope::Thread(root),
            (true, Some(_)) => {
                return Err(AppError::bad_request(
                    "a page holds the room's own timeline or one thread, not both",
                ));
            }
        };
        let room = self.visible_room(user, &req.room).await?;
        let mut messages = self
            .hub
            .store
            .history_of(&room, scope, req.before, req.after, limit)
            .await?;
        self.hub
            .store
            .for_reader(user.id, messages.iter_mut())
            .await?;
        Ok(messages)
    }

    /// After a new message: notifies the users it `@mentions` (who can see the room), and the
    /// other people of a DM or group for the first message they have not read, unless they are reading
    /// the conversation (marked it read in the last 30 s).
    pub(super) async fn notify_recipients(&self, room: RoomRecord, sender: User, message: Message) {
        let place = if room.is_group() {
            "a group conversation".to_owned()
        } else if room.kind == RoomKind::Dm {
            "a direct message".to_owned()
        } else {
            room.name.clone()
        };
        // A reply opens in its thread.
        let url = protocol::links::message_in_place(&room.name, message.id, message.thread);
        let excerpt: String = if message.text.is_empty() {
            let names: Vec<&str> = message
                .attachments
                .iter()
                .map(|f| f.name.as_str())
                .collect();
            format!("📎 {}", names.join(", "))
        } else {
            message.text.chars().take(300).collect()
        };
        let mut notified = vec![sender.id];
        for name in validate::mentions(&message.text) {
            let Ok(Some(record)) = self.hub.store.user_by_name(&name).await else {
                continue;
            };
            // A webhook's bot reads nothing (a bot with an API token does, v1.28).
            if record.bot && !matches!(self.hub.store.bot(record.user.id).await, Ok(Some(_))) {
                continue;
            }
            let target = record.user;
            if notified.contains(&target.id)
                || self
                    .hub
                    .store
                    .blocks(target.id, sender.id)
                    .await
                    .unwrap_or(true)
            {
                continue;
            }
            if !self.may_read(&room, target.id).await {
                continue;
            }
            notified.push(target.id);
            // Mentioned in a thread: they follow it from here (v1.23).
            if let Some(root) = message.thread {
                self.follow_from(target.id, root, message.id).await;
            }
            let new = NewNotification {
                kind: NotificationKind::Mention,
                title: format!("{} mentioned you in {place}", sender.username),
                body: excerpt.clone(),
                url: Some(url.clone()),
            };
            if let Err(error) = self.notifier.to_user(target.id, &new).await {
                tracing::warn!(%error, "storing a mention");
            }
        }
        if let Some(root) = message.thread {
            let new = NewNotification {
                kind: NotificationKind::Thread,
                title: format!("{} replied in a thread in {place}", sender.username),
                body: excerpt.clone(),
                url: Some(url.clone()),
            };
            self.notify_followers(&room, &sender, root, &new, &mut notified)
                .await;
        }
        if room.kind == RoomKind::Dm {
            let peers = self.hub.store.member_ids(room.id).await.unwrap_or_default();
            for peer in peers {
                // Blocked while this waited in the queue: the DM does not come back.
                if peer == sender.id || self.hub.store.blocks(peer, sender.id).await.unwrap_or(true)
                {
                    continue;
                }
                // Back in their list if they had hidden it, with this message unread.
                let before = Some(message.id - 1);
                if let Err(error) = self.save_room_for(peer, &room, before).await {
                    tracing::warn!(%error, "saving a DM for its recipient");
                }
                // Only the first unread message pings (whatever order these tasks run in: two
                // quick messages must not both see "two unread" and ping nobody).
                let saved = self
                    .hub
                    .store
                    .saved_room(peer, room.id)
                    .await
                    .ok()
                    .flatten();
                let first_unread = match &saved {
                    Some(saved) => self
                        .hub
                        .store
                        .first_unread(peer, room.id, saved.last_read)
                        .await
                        .ok()
                        .flatten(),
                    None => None,
                };
                let reading = saved.is_some_and(|saved| {
                    first_unread != Some(message.id)
                        || saved
                            .read_at
                            .is_some_and(|at| now_ms() - at < ACTIVE_READER_MS)
                });
                if notified.contains(&peer) || reading {
                    continue;
                }
                let title = if room.is_group() {
                    format!("{} wrote in a group conversation", sender.username)
                } else {
                    format!("{} sent you a message", sender.username)
                };
                let new = NewNotification {
                    kind: NotificationKind::Dm,
                    title,
                    body: excerpt.clone(),
                    url: Some(url.clone()),
                };
                if let Err(error) = self.notifier.to_user(peer, &new).await {
                    tracing::warn!(%error, "storing a DM notification");
                }
            }
        }
    }

    /// Whether someone to notify may read `room` now (any room if public; a private one as a
    /// member). A failure to tell counts as no.
    async fn may_read(&self, room: &RoomRecord, user_id: i64) -> bool {
        !room.private
            || self
                .hub
                .store
                .is_member(room.id, user_id)
                .await
                .unwrap_or(false)
    }

    /// After a reply in the thread of `root`: tells `new` to the people who follow it (see
    /// `thread_reads`: its author once answered, who replied, who was mentioned in it) and were
    /// not notified of this message already, unless they block the sender, may no longer see
    /// the room, or have an unread notification into that thread still (one is enough to
    /// bring them back to it).
    async fn notify_followers(
        &self,
        room: &RoomRecord,
        sender: &User,
        root: i64,
        new: &NewNotification,
        notified: &mut Vec<i64>,
    ) {
        let store = &self.hub.store;
        let followers = match store.thread_followers(root).await {
            Ok(followers) => followers,
            Err(error) => {
                tracing::warn!(%error, "reading a thread's followers");
                return;
            }
        };
        // Any link into this thread (`…&thread=<root>#m<id>`).
        let about = format!("{}#", protocol::links::thread(&room.name, root));
        for follower in followers {
            if notified.contains(&follower)
                || store.blocks(follower, sender.id).await.unwrap_or(true)
            {
                continue;
            }
            // One unread notification into the thread (of a reply, or a mention in one) is
            // enough to bring them back. (Someone with the thread open has theirs marked read
            // by their app as it comes.)
            let waiting = store
                .has_unread_about(follower, &THREAD_NEWS, &about)
                .await
                .unwrap_or(true);
            if waiting || !self.may_read(room, follower).await {
                continue;
            }
            notified.push(follower);
            if let Err(error) = self.notifier.to_user(follower, new).await {
                tracing::warn!(%error, "storing a thread notification");
            }
        }
    }
}
