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
    /// To save: `not_found` (cannot see it, or deleted), `conflict` past
    /// [`validate::SAVED_MAX`], or a failure.
    pub async fn save_message(&self, actor: &Actor, id: i64, saved: bool) -> AppResult<()> {
        let user = &actor.user;
        // Saving needs to see the message; taking it out works whatever became of it (and
        // says nothing about a message that was not in the list).
        if saved {
            let Visible { record, .. } = self.visible_message(user, id).await?;
            if record.message.deleted {
                return Err(AppError::not_found("that message was deleted"));
            }
        }
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
        if let Some(ts) = changed
            && let Some(record) = self.hub.store.message(id).await?
        {
            let event = MessageSaved {
                room: record.message.room,
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
        let wanted = usize::try_from(limit).unwrap_or(0);
        let mut visible: HashMap<i64, bool> = HashMap::new();
        let mut items = Vec::with_capacity(wanted);
        let mut before = before;
        let mut next = None;
        // Entries of rooms no longer visible are skipped: read on until the page is full, the
        // list ends, or (a bound on the work) as many entries as a list may hold were read.
        for _ in 0..validate::SAVED_MAX.div_ceil(wanted.max(1)) {
            let (entries, more) = self
                .hub
                .store
                .saved_messages(user.id, before, limit)
                .await?;
            let last = entries.last().map(|e| e.saved_ts);
            for entry in entries {
                if items.len() == wanted {
                    break;
                }
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
            if items.len() == wanted {
                // Full: what follows starts after the last one listed (if anything follows).
                let listed_last = items.last().map(|item: &SavedMessage| item.saved_ts);
                let rest = listed_last != last || more;
                next = listed_last.filter(|_| rest);
                break;
            }
            if !more {
                next = None;
                break;
            }
            before = last;
            next = last;
        }
        Ok(SavedMessagesRes { items, next })
    }
}
