//! Pinned messages (v1.14): at most [`validate::PINS_MAX`] per room, each with who pinned it
//! and when. Pinning or unpinning marks the message changed, so a client catching up with
//! `changes` reads it as it is now.

use std::collections::HashMap;

use protocol::{Author, Message, Pin, validate};

use crate::db::LockSpace;
use crate::messages::{MessageRow, SELECT, mark_changed};
use crate::{Result, Store, StoreError};

impl Store {
    /// Pins a message of room `room_id` (`user_id` pinning it at `ts`), or unpins it. Whether
    /// anything changed: pinning a pinned message, or unpinning one that is not, changes
    /// nothing.
    ///
    /// # Errors
    /// [`StoreError::TooMany`] when the room holds [`validate::PINS_MAX`] pins already;
    /// [`StoreError::NotFound`] when the message is deleted; database failures.
    pub async fn set_pinned(
        &self,
        message_id: i64,
        room_id: i64,
        user_id: i64,
        pinned: bool,
        ts: i64,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        // One pin change per room at a time: two at once cannot pass the limit.
        self.lock_key(&mut tx, LockSpace::Pins, room_id).await?;
        let changed = if pinned {
            let deleted: Option<Option<i64>> =
                sqlx::query_scalar("SELECT deleted_ts FROM messages WHERE id = $1")
                    .bind(message_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if !matches!(deleted, Some(None)) {
                return Err(StoreError::NotFound);
            }
            let (count, already): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN pn.message_id = $2 THEN 1 ELSE 0 END), 0) \
                 FROM pins pn JOIN messages m ON m.id = pn.message_id \
                 WHERE pn.room_id = $1 AND m.deleted_ts IS NULL",
            )
            .bind(room_id)
            .bind(message_id)
            .fetch_one(&mut *tx)
            .await?;
            if already > 0 {
                false
            } else if count >= validate::PINS_MAX as i64 {
                return Err(StoreError::TooMany);
            } else {
                sqlx::query(
                    "INSERT INTO pins (message_id, room_id, user_id, ts) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (message_id) DO NOTHING",
                )
                .bind(message_id)
                .bind(room_id)
                .bind(user_id)
                .bind(ts)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    > 0
            }
        } else {
            sqlx::query("DELETE FROM pins WHERE message_id = $1")
                .bind(message_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0
        };
        if changed {
            mark_changed(&mut tx, message_id, ts).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// The pinned messages of room `room_id` as they are now, the latest pinned first.
    ///
    /// # Errors
    /// Database failures.
    pub async fn pins(&self, room_id: i64) -> Result<Vec<Message>> {
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "{SELECT} JOIN pins pn ON pn.message_id = m.id \
             WHERE pn.room_id = $1 AND m.deleted_ts IS NULL \
             ORDER BY pn.ts DESC, m.id DESC LIMIT $2"
        ))
        .bind(room_id)
        .bind(validate::PINS_MAX as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut messages: Vec<Message> = rows.into_iter().map(Message::from).collect();
        self.complete(&mut messages).await?;
        Ok(messages)
    }

    /// Fills in who pinned each of `messages` and when (one query for all of them).
    pub(crate) async fn attach_pins(&self, messages: &mut [Message]) -> Result<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT pn.message_id, pn.ts, u.id, u.username FROM pins pn \
             JOIN users u ON u.id = pn.user_id WHERE pn.message_id IN ({})",
            crate::db::placeholders(1, messages.len())
        );
        let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(&sql);
        for message in messages.iter() {
            query = query.bind(message.id);
        }
        let mut pins: HashMap<i64, Pin> = query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|(message_id, ts, id, username)| {
                let by = Author { id, username };
                (message_id, Pin { by, ts })
            })
            .collect();
        for message in messages.iter_mut() {
            message.pinned = pins.remove(&message.id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use protocol::validate::PINS_MAX;

    use crate::{RoomRecord, Store, StoreError};

    async fn setup() -> (Store, RoomRecord, protocol::User) {
        let store = Store::in_memory().await.unwrap();
        let room = store.room_by_name("general").await.unwrap().unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        (store, room, ana)
    }

    async fn say(store: &Store, room: &RoomRecord, user: &protocol::User, text: &str) -> i64 {
        let (message, _) = store
            .insert_message(room, user, text, 10, None)
            .await
            .unwrap();
        message.id
    }

    #[tokio::test]
    async fn a_pin_reads_back_on_the_message_and_in_the_room_list() {
        let (store, room, ana) = setup().await;
        let first = say(&store, &room, &ana, "first").await;
        let second = say(&store, &room, &ana, "second").await;
        assert!(
            store
                .set_pinned(first, room.id, ana.id, true, 100)
                .await
                .unwrap()
        );
        assert!(
            store
                .set_pinned(second, room.id, ana.id, true, 200)
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_pinned(second, room.id, ana.id, true, 300)
                .await
                .unwrap(),
            "pinning twice changes nothing"
        );

        let pinned = store
            .message(first)
            .await
            .unwrap()
            .unwrap()
            .message
            .pinned
            .unwrap();
        assert_eq!((pinned.by.id, pinned.ts), (ana.id, 100));
        let ids: Vec<i64> = store
            .pins(room.id)
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, [second, first], "the latest pinned first");
        // A pin is a change `changes` reports.
        let changed = store.changes(&room, 150, 10).await.unwrap();
        assert!(
            changed
                .iter()
                .any(|(m, _)| m.id == second && m.pinned.is_some())
        );

        assert!(
            store
                .set_pinned(first, room.id, ana.id, false, 400)
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_pinned(first, room.id, ana.id, false, 500)
                .await
                .unwrap()
        );
        assert_eq!(
            store.message(first).await.unwrap().unwrap().message.pinned,
            None
        );
        assert_eq!(store.pins(room.id).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_room_holds_a_bounded_number_of_pins_and_a_deleted_message_none() {
        let (store, room, ana) = setup().await;
        for n in 0..PINS_MAX {
            let id = say(&store, &room, &ana, &format!("m{n}")).await;
            store
                .set_pinned(id, room.id, ana.id, true, 100)
                .await
                .unwrap();
        }
        let one_more = say(&store, &room, &ana, "one more").await;
        assert!(matches!(
            store.set_pinned(one_more, room.id, ana.id, true, 100).await,
            Err(StoreError::TooMany)
        ));

        let pinned = store.pins(room.id).await.unwrap()[0].id;
        store.delete_message(pinned, 200).await.unwrap();
        assert_eq!(store.pins(room.id).await.unwrap().len(), PINS_MAX - 1);
        assert!(
            store
                .set_pinned(one_more, room.id, ana.id, true, 300)
                .await
                .unwrap()
        );
        assert!(matches!(
            store.set_pinned(pinned, room.id, ana.id, true, 400).await,
            Err(StoreError::NotFound)
        ));
    }
}
