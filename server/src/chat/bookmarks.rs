//! Saved messages (v1.15): each person's private list of messages to come back to. Saving
//! needs to see the message; the list leaves out messages of rooms the person can no longer
//! see; every device of theirs hears of a change.

use std::collections::HashMap;

use protocol::{ErrorCode, MessageSaved, SavedMessage, SavedMessagesRes, User, validate};
use store::StoreError;

use super::conversation::Visible;
use super::{Actor, Chat};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};

impl Chat {
    /// Puts a message in the caller's saved list, or takes it out; every socket of theirs
    /// gets `message_saved` when that changed something.
    ///
    /// # Errors
    /// `not_found` (cannot see it; deleted, to save), `conflict` past
    /// [`validate::SAVED_MAX`], or a failure.
    pub async fn save_message(&self, actor: &Actor, id: i64, saved: bool) -> AppResult<()> {
        let user = &actor.user;
        let room = if saved {
            let Visible { record, room } = self.visible_message(user, id).await?;
            if record.message.deleted {
                return Err(AppError::not_found("that message was deleted"));
            }
            room.name
        } else {
            // Taking one out works whatever became of the message or its room.
            match self.hub.store.message(id).await? {
                Some(record) => record.message.room,
                None => return Err(AppError::not_found("there is no such message")),
            }
        };
        let changed = self
            .hub
            .store
            .set_saved(user.id, id, saved, now_ms())
            .await
            .map_err(|error| match error {
                StoreError::TooMany => AppError::new(
                    ErrorCode::Conflict,
                    format!(
                        "you can keep at most {} saved messages; take some out first",
                        validate::SAVED_MAX
                    ),
                ),
                StoreError::NotFound => AppError::not_found("that message was deleted"),
                other => other.into(),
            })?;
        if let Some(ts) = changed {
            let event = MessageSaved {
                room,
                id,
                saved,
                ts,
            };
            self.fanout.to_user(user.id, &event).await;
        }
        Ok(())
    }

    /// A page of `user`'s saved messages, the latest saved first, leaving out those of rooms
    /// they cannot see now.
    ///
    /// # Errors
    /// `bad_request` (limit), or a failure.
    pub async fn saved_messages(
        &self,
        user: &User,
        before: Option<i64>,
        limit: Option<i64>,
    ) -> AppResult<SavedMessagesRes> {
        let limit = validate::history_limit(limit)?;
        let (entries, more) = self
            .hub
            .store
            .saved_messages(user.id, before, limit)
            .await?;
        let next = entries.last().map(|e| e.saved_ts).filter(|_| more);
        let mut visible: HashMap<i64, bool> = HashMap::new();
        let mut items = Vec::with_capacity(entries.len());
        for entry in entries {
            let sees = match visible.get(&entry.room_id) {
                Some(sees) => *sees,
                None => {
                    let sees = self
                        .visible_room_by_id(user, entry.room_id)
                        .await?
                        .is_some();
                    visible.insert(entry.room_id, sees);
                    sees
                }
            };
            if sees {
                items.push(SavedMessage {
                    message: entry.message,
                    saved_ts: entry.saved_ts,
                });
            }
        }
        Ok(SavedMessagesRes { items, next })
    }
}
