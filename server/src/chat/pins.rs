//! Pinned messages (v1.14): a room's moderators (either person in a DM) pin messages for
//! everyone in the room; anyone who can see the room lists them.

use protocol::{Author, ErrorCode, Message, MessagePinned, User, validate};
use store::{RoomKind, StoreError};

use super::conversation::Visible;
use super::{Actor, Chat};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};

impl Chat {
    /// Pins a message in its room, or unpins it; the room gets `message_pinned` when
    /// something changed.
    ///
    /// # Errors
    /// `not_found` (cannot see it, or deleted), `forbidden` (not a moderator of the room, or a
    /// DM where one blocks the other), `conflict` past [`validate::PINS_MAX`] pins in the
    /// room, or a failure.
    pub async fn pin(&self, actor: &Actor, id: i64, pinned: bool) -> AppResult<()> {
        let Visible { record, room } = self.visible_message(&actor.user, id).await?;
        if record.message.deleted {
            return Err(AppError::not_found("that message was deleted"));
        }
        // In a DM both people may (they see it; nobody else does).
        if room.kind != RoomKind::Dm && !self.moderates(&actor.user, &room).await? {
            return Err(AppError::forbidden(
                "only the room's creator or an admin can pin messages",
            ));
        }
        self.check_dm_open(&room, &actor.user).await?;
        let ts = now_ms();
        let changed = self
            .hub
            .store
            .set_pinned(id, room.id, actor.user.id, pinned, ts)
            .await
            .map_err(|error| match error {
                StoreError::TooMany => AppError::new(
                    ErrorCode::Conflict,
                    format!(
                        "a room holds at most {} pinned messages; unpin one first",
                        validate::PINS_MAX
                    ),
                ),
                StoreError::NotFound => AppError::not_found("that message was deleted"),
                other => other.into(),
            })?;
        if changed {
            let event = MessagePinned {
                room: room.name.clone(),
                id,
                pinned,
                by: Author::from(&actor.user),
                ts,
            };
            self.fanout.to_room(room.id, &event).await;
        }
        Ok(())
    }

    /// The pinned messages of a room `user` can see, the latest pinned first.
    ///
    /// # Errors
    /// `not_found`, or a failure.
    pub async fn pins(&self, user: &User, raw_room: &str) -> AppResult<Vec<Message>> {
        let room = self.visible_room(user, raw_room).await?;
        let mut messages = self.hub.store.pins(room.id).await?;
        self.hub
            .store
            .for_reader(user.id, messages.iter_mut())
            .await?;
        Ok(messages)
    }
}
