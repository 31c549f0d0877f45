//! Messages: sending (stored once per `client_id`, broadcast to the room), history pages, and
//! the notifications a new message triggers (mentions, DMs).

use protocol::events::NotificationKind;
use protocol::{Message, MessageReq, User, validate};
use store::{NewMessage, NewNotification, RoomKind, RoomRecord};

use super::{Chat, Connection};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::live::limits::Action;

/// Someone who marked a DM read this recently (ms) is following it: no notification.
const ACTIVE_READER_MS: i64 = 30_000;

/// Longest client-chosen idempotency key.
const CLIENT_ID_MAX: usize = 64;

impl Chat {
    /// Stores a message in a room the connection joined (once per `client_id`: a resend
    /// returns the original) and sends it to the room; mentions and DM pings follow from the
    /// node's follow-up queue (see [`super::follow_ups`]).
    ///
    /// # Errors
    /// `empty_message`, `too_long`, `bad_request` (text, `client_id`, `reply_to`,
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
        self.charge(&conn.actor, Action::Message).await?;
        let author = conn.user();
        let new = NewMessage {
            text: &text,
            ts: now_ms(),
            client_id,
            reply_to,
            attachments: &req.attachments,
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
        if is_new {
            self.stop_typing(&room, author).await;
            self.publish(room, author, &message).await;
        }
        Ok(message)
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
    /// `bad_request` (limit, name), `not_found`, or a failure.
    pub async fn history(
        &self,
        user: &User,
        raw_room: &str,
        before: Option<i64>,
        after: Option<i64>,
        limit: Option<i64>,
    ) -> AppResult<Vec<Message>> {
        let limit = validate::history_limit(limit)?;
        let room = self.visible_room(user, raw_room).await?;
        let mut messages = self.hub.store.history(&room, before, after, limit).await?;
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
        let url = protocol::links::message(&room.name, message.id);
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
            // A webhook's bot reads nothing.
            if record.bot {
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
            let can_see = !room.private
                || self
                    .hub
                    .store
                    .is_member(room.id, target.id)
                    .await
                    .unwrap_or(false);
            if !can_see {
                continue;
            }
            notified.push(target.id);
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
}
