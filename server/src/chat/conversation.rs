//! What people do to messages after sending them: edit, delete, react, and the catch-up on
//! such changes for a client that was away. Every action checks that the caller can see the
//! room (else `not_found`, as if the message did not exist) and who may do it, stores the
//! change, then broadcasts it to the room.

use protocol::events::AuditAction;
use protocol::{
    Author, ErrorCode, Message, MessageDeleted, MessageEdited, ReactionEvent, SearchHit, User,
    validate,
};
use store::{MessageRecord, RoomRecord, StoreError};

use super::{Actor, Chat};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::live::limits::Action;

/// How long a search waits for its turn ([`crate::hub::SEARCHES_AT_ONCE`] run at once).
pub const SEARCH_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// How long a search may take.
pub const SEARCH_TIME_MAX: std::time::Duration = std::time::Duration::from_secs(3);

/// A message `user` can see, with its room; `not_found` otherwise.
pub(super) struct Visible {
    pub(super) record: MessageRecord,
    pub(super) room: RoomRecord,
}

impl Chat {
    /// The message `id` and its room, if `user` can see that room (open, and public or one
    /// they belong to).
    ///
    /// # Errors
    /// `not_found`, or a store failure.
    pub(super) async fn visible_message(&self, user: &User, id: i64) -> AppResult<Visible> {
        let not_found = || AppError::not_found("there is no such message");
        let record = self.hub.store.message(id).await?.ok_or_else(not_found)?;
        let room = self
            .visible_room_by_id(user, record.room_id)
            .await?
            .ok_or_else(not_found)?;
        Ok(Visible { record, room })
    }

    /// The author gives a message new text; everyone in the room gets `message_edited`.
    ///
    /// # Errors
    /// `empty_message` / `too_long` / `bad_request` (text), `not_found` (also once deleted),
    /// `forbidden` (not the author, or muted in the room), `rate_limited`, or a failure.
    pub async fn edit(&self, actor: &Actor, id: i64, text: &str) -> AppResult<Message> {
        let text = validate::message_text(text)?;
        let Visible { record, room } = self.visible_message(&actor.user, id).await?;
        if record.message.deleted {
            return Err(AppError::not_found("that message was deleted"));
        }
        if record.message.user.id != actor.user.id {
            return Err(AppError::forbidden("only its author can edit a message"));
        }
        // Someone silenced cannot say new things by rewriting old ones.
        self.check_not_muted(&room, &actor.user).await?;
        self.check_dm_open(&room, &actor.user).await?;
        self.charge(actor, Action::Message).await?;
        // The link first: the edit's answer and event carry the new link's preview when it
        // is known already, and none when the link went.
        let preview = self.links.note_edited(id, &text).await;
        let message = self
            .hub
            .store
            .edit_message(id, &text, now_ms())
            .await
            .map_err(gone)?;
        self.fanout
            .to_room(room.id, &MessageEdited(message.clone()))
            .await;
        self.links.queue(preview);
        Ok(message)
    }

    /// Deletes a message (its author, the room's creator, or an admin); everyone in the room
    /// gets `message_deleted`. Deleting a deleted message changes nothing.
    ///
    /// # Errors
    /// `not_found`, `forbidden`, `rate_limited`, or a failure.
    pub async fn delete(&self, actor: &Actor, id: i64) -> AppResult<()> {
        let Visible { record, room } = self.visible_message(&actor.user, id).await?;
        let user = &actor.user;
        if record.message.user.id != user.id && !self.moderates(user, &room).await? {
            return Err(AppError::forbidden(
                "only its author, the room's creator or an admin can delete a message",
            ));
        }
        self.charge(actor, Action::Message).await?;
        if let Some(files) = self.hub.store.delete_message(id, now_ms()).await? {
            for file in files {
                self.hub.files.remove(&file).await;
            }
            let event = MessageDeleted {
                room: room.name.clone(),
                id,
            };
            self.fanout.to_room(room.id, &event).await;
        }
        if record.message.user.id != user.id {
            tracing::info!(by = %user.username, message = id, room = %room.name, "message deleted by a moderator");
            self.audit
                .record(store::NewAudit {
                    actor_id: user.id,
                    actor: &user.username,
                    action: AuditAction::Delete,
                    target: Some(&record.message.user.username),
                    room: Some(&room.name),
                    detail: Some(format!("message {id}")),
                })
                .await;
        }
        Ok(())
    }

    /// Adds or takes back a reaction; everyone in the room gets `reaction` when it changed
    /// something.
    ///
    /// # Errors
    /// `bad_request` (emoji, or too many distinct ones), `not_found` (also deleted),
    /// `forbidden` (adding one while muted in the room; taking one back is allowed), or a
    /// failure.
    pub async fn react(&self, actor: &Actor, id: i64, emoji: &str, active: bool) -> AppResult<()> {
        let emoji = validate::emoji(emoji)?;
        let Visible { record, room } = self.visible_message(&actor.user, id).await?;
        if record.message.deleted {
            return Err(AppError::not_found("that message was deleted"));
        }
        if active {
            self.check_not_muted(&room, &actor.user).await?;
            self.check_dm_open(&room, &actor.user).await?;
        }
        let changed = self
            .hub
            .store
            .react(id, actor.user.id, &emoji, active, now_ms())
            .await
            .map_err(|error| match error {
                StoreError::TooMany => AppError::bad_request(format!(
                    "a message carries at most {} different emoji",
                    validate::REACTIONS_MAX
                )),
                other => other.into(),
            })?;
        if changed {
            let count = self.hub.store.reaction_count(id, &emoji).await?;
            let event = ReactionEvent {
                room: room.name.clone(),
                id,
                emoji,
                user: Author::from(&actor.user),
                active,
                count: Some(count),
            };
            self.fanout.to_room(room.id, &event).await;
        }
        Ok(())
    }

    /// Messages of a room `user` may see that were edited, deleted or reacted to after
    /// `since`, as they are now, each with the time of its latest change; and whether the
    /// limit cut the list.
    ///
    /// # Errors
    /// `bad_request` (limit, name), `not_found`, or a failure.
    pub async fn changes(
        &self,
        user: &User,
        raw_room: &str,
        since: i64,
        limit: Option<i64>,
    ) -> AppResult<(Vec<(Message, i64)>, bool)> {
        let limit = validate::history_limit(limit)?;
        let room = self.visible_room(user, raw_room).await?;
        let mut changed = self.hub.store.changes(&room, since, limit).await?;
        self.hub
            .store
            .for_reader(user.id, changed.iter_mut().map(|(message, _)| message))
            .await?;
        let more = changed.len() as i64 >= limit;
        Ok((changed, more))
    }

    /// Full-text search in the rooms `user` can see (or one of them): the newest matches with
    /// a snippet around the words found.
    ///
    /// # Errors
    /// `bad_request` (query, limit, room name), `not_found` (room), or a failure.
    pub async fn search(
        &self,
        user: &User,
        q: &str,
        raw_room: Option<&str>,
        limit: Option<i64>,
    ) -> AppResult<Vec<SearchHit>> {
        let terms = validate::search_terms(q)?;
        let limit = validate::search_limit(limit)?;
        let room = match raw_room {
            Some(name) => Some(self.visible_room(user, name).await?.id),
            None => None,
        };
        let busy = || {
            AppError::new(
                ErrorCode::RateLimited,
                "many searches are running; try again in a moment",
            )
        };
        let _turn = tokio::time::timeout(SEARCH_WAIT, self.hub.searches.acquire())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        let search = self.hub.store.search(user.id, room, &terms, limit);
        let mut found = tokio::time::timeout(SEARCH_TIME_MAX, search)
            .await
            .map_err(|_| {
                AppError::new(
                    ErrorCode::RateLimited,
                    "that search took too long; try longer or rarer words",
                )
            })??;
        self.hub.store.for_reader(user.id, found.iter_mut()).await?;
        Ok(found
            .into_iter()
            .map(|message| {
                let (snippet, highlights) = validate::snippet(&message.text, &terms);
                SearchHit {
                    message,
                    snippet,
                    highlights,
                }
            })
            .collect())
    }

    /// The message a new one answers: in the same room and not deleted.
    ///
    /// # Errors
    /// `bad_request` otherwise, or a failure.
    pub(super) async fn reply_target(&self, room: &RoomRecord, id: i64) -> AppResult<i64> {
        let target = self.hub.store.message(id).await?;
        match target {
            Some(record) if record.room_id == room.id && !record.message.deleted => Ok(id),
            _ => Err(AppError::bad_request(
                "reply_to must name a message of this room that is not deleted",
            )),
        }
    }
}

impl Chat {
    /// The root of the thread a reply in `room` goes into when it names message `id`: that
    /// message, or the root of the thread it is a reply in (v1.22); with its author's id.
    ///
    /// # Errors
    /// `bad_request` unless the thread's root is a message of `room` that is not deleted.
    pub(super) async fn thread_root(&self, room: &RoomRecord, id: i64) -> AppResult<(i64, i64)> {
        let refused =
            || AppError::bad_request("thread must name a message of this room that is not deleted");
        let Some(target) = self.hub.store.message(id).await? else {
            return Err(refused());
        };
        if target.room_id != room.id {
            return Err(refused());
        }
        let root = match target.message.thread {
            Some(root) => self.hub.store.message(root).await?.ok_or_else(refused)?,
            None => target,
        };
        if root.message.deleted {
            return Err(refused());
        }
        Ok((root.message.id, root.message.user.id))
    }
}

impl Chat {
    /// `user` read the thread of `root` in a room they may see up to reply `id` (v1.23): their
    /// marker there moves forward (at most to the thread's newest reply), if they follow it.
    ///
    /// # Errors
    /// `not_found` (room, or no root of it), `bad_request`, or a failure.
    pub async fn mark_thread_read(
        &self,
        user: &User,
        raw_room: &str,
        root: i64,
        id: i64,
    ) -> AppResult<()> {
        let room = self.visible_room(user, raw_room).await?;
        let found = self.hub.store.message(root).await?;
        let Some(found) = found.filter(|r| r.room_id == room.id && r.message.thread.is_none())
        else {
            return Err(AppError::not_found("there is no such thread in this room"));
        };
        // Never past the thread's newest reply (read with the root): later ones are news when
        // they come.
        let newest = found
            .message
            .replies
            .map_or(root, |summary| summary.last_id);
        let id = id.min(newest);
        self.hub.store.read_thread(user.id, root, id).await?;
        Ok(())
    }

    /// The threads `user` follows in rooms they may still see, the one with the newest reply
    /// first, each with its replies from others they have not read (v1.30).
    ///
    /// # Errors
    /// `bad_request` (limit), or a failure.
    pub async fn threads(
        &self,
        user: &User,
        before: Option<i64>,
        limit: Option<i64>,
    ) -> AppResult<FollowedPage> {
        let limit = validate::history_limit(limit)?;
        let (page, more) = self
            .hub
            .store
            .followed_threads(user.id, before, limit)
            .await?;
        let (threads, cursors) = page
            .into_iter()
            .map(|(root, unread, last_id)| (protocol::FollowedThread { root, unread }, last_id))
            .unzip();
        Ok(FollowedPage {
            threads,
            cursors,
            more,
        })
    }
}

/// A page of followed threads (v1.30), with each one's cursor (its newest reply's id, as the
/// page was ordered by) for the next page.
pub struct FollowedPage {
    /// The threads, the one with the newest reply first.
    pub threads: Vec<protocol::FollowedThread>,
    /// Each thread's cursor, in the same order.
    pub cursors: Vec<i64>,
    /// Whether more follow the last one.
    pub more: bool,
}

impl FollowedPage {
    /// The answer, after `cut` kept what fits in a packet (it returns whether it cut): `next`
    /// is the cursor of the last thread kept, when more follow it.
    pub fn answer(
        mut self,
        cut: impl FnOnce(&mut Vec<protocol::FollowedThread>) -> bool,
    ) -> protocol::ThreadsRes {
        let was_cut = cut(&mut self.threads);
        let next = if was_cut || self.more {
            self.threads
                .len()
                .checked_sub(1)
                .and_then(|last| self.cursors.get(last).copied())
        } else {
            None
        };
        protocol::ThreadsRes {
            threads: self.threads,
            next,
        }
    }
}

/// A message that disappeared between the check and the change reads as not found.
fn gone(error: StoreError) -> AppError {
    match error {
        StoreError::NotFound => AppError::not_found("that message was deleted"),
        other => other.into(),
    }
}
