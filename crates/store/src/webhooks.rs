//! Incoming webhooks (v1.19): at most [`validate::WEBHOOKS_MAX`] per room, each posting as a
//! bot account of its own, found by id and checked by the hash of its secret.

use protocol::{Author, Role, User, Webhook, validate};
use sqlx::FromRow;

use crate::db::LockSpace;
use crate::{Result, RoomRecord, Store, StoreError};

/// A new webhook: its id, the hash of its secret, and the name of its bot.
#[derive(Debug, Clone, Copy)]
pub struct NewWebhook<'a> {
    /// 16 lowercase hex digits.
    pub id: &'a str,
    /// The hash of its secret (the secret itself is never stored).
    pub secret_hash: &'a str,
    /// The bot's name (validated, free or not: a taken one is [`StoreError::Conflict`]).
    pub name: &'a str,
    /// Who makes it.
    pub created_by: i64,
    /// When (ms).
    pub now: i64,
}

/// What posting through a webhook needs: its room, its bot and the hash of its secret.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    /// The id of the room it posts to (possibly closed since).
    pub room_id: i64,
    /// Its bot.
    pub bot: User,
    /// The hash of its secret.
    pub secret_hash: String,
}

#[derive(FromRow)]
struct WebhookRow {
    id: String,
    room: String,
    bot_id: i64,
    bot_name: String,
    created_by: Option<i64>,
    creator_name: Option<String>,
    created_at: i64,
}

impl From<WebhookRow> for Webhook {
    fn from(row: WebhookRow) -> Self {
        Self {
            id: row.id,
            room: row.room,
            bot: Author {
                id: row.bot_id,
                username: row.bot_name,
            },
            created_by: row
                .created_by
                .zip(row.creator_name)
                .map(|(id, username)| Author { id, username }),
            created_ts: row.created_at,
        }
    }
}

const WEBHOOK_SELECT: &str = "SELECT w.id, r.name AS room, w.bot_id, b.username AS bot_name, \
     w.created_by, c.username AS creator_name, w.created_at \
     FROM webhooks w JOIN rooms r ON r.id = w.room_id JOIN users b ON b.id = w.bot_id \
     LEFT JOIN users c ON c.id = w.created_by AND c.deleted_at IS NULL";

impl Store {
    /// Makes a webhook of `room` and its bot account, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the bot's name is taken (look-alikes too);
    /// [`StoreError::TooMany`] when the room has [`validate::WEBHOOKS_MAX`] webhooks already;
    /// database failures.
    pub async fn create_webhook(&self, room: &RoomRecord, new: NewWebhook<'_>) -> Result<Webhook> {
        let mut tx = self.write_tx().await?;
        // One webhook change per room at a time: two at once cannot pass the limit.
        self.lock_key(&mut tx, LockSpace::Webhooks, room.id).await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE room_id = $1")
            .bind(room.id)
            .fetch_one(&mut *tx)
            .await?;
        if count >= validate::WEBHOOKS_MAX as i64 {
            return Err(StoreError::TooMany);
        }
        let bot_id = crate::bots::insert_bot_account(&mut tx, new.name, new.now).await?;
        sqlx::query(
            "INSERT INTO webhooks (id, room_id, bot_id, secret_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new.id)
        .bind(room.id)
        .bind(bot_id)
        .bind(new.secret_hash)
        .bind(new.created_by)
        .bind(new.now)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from_insert)?;
        let row: WebhookRow = sqlx::query_as(&format!("{WEBHOOK_SELECT} WHERE w.id = $1"))
            .bind(new.id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// The webhooks of room `room_id`, the newest first.
    ///
    /// # Errors
    /// Database failures.
    pub async fn webhooks(&self, room_id: i64) -> Result<Vec<Webhook>> {
        let rows: Vec<WebhookRow> = sqlx::query_as(&format!(
            "{WEBHOOK_SELECT} WHERE w.room_id = $1 ORDER BY w.created_at DESC, w.id"
        ))
        .bind(room_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Webhook::from).collect())
    }

    /// The room webhook `id` posts to, if there is such a webhook.
    ///
    /// # Errors
    /// Database failures.
    pub async fn webhook_room(&self, id: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT room_id FROM webhooks WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// What posting through webhook `id` needs, if there is such a webhook and it still works:
    /// its bot is neither banned nor deleted, and the account that made it still exists, is not
    /// banned and was not a guest since released (a ban or a deletion of its maker stops a
    /// webhook). One query: an unknown id
    /// and a known one cost the same to refuse.
    ///
    /// # Errors
    /// Database failures.
    pub async fn webhook_target(&self, id: &str) -> Result<Option<WebhookTarget>> {
        let found: Option<(i64, String, i64, String, String)> = sqlx::query_as(&format!(
            "SELECT w.room_id, w.secret_hash, b.id, b.username, b.role \
             FROM webhooks w JOIN users b ON b.id = w.bot_id \
             JOIN users c ON c.id = w.created_by \
             WHERE w.id = $1 AND b.banned_at IS NULL AND b.deleted_at IS NULL \
             AND c.banned_at IS NULL AND c.deleted_at IS NULL AND c.released_at IS NULL \
             AND {}",
            crate::bots::bot_in_good_standing("c")
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((room_id, secret_hash, bot_id, username, role)) = found else {
            return Ok(None);
        };
        Ok(Some(WebhookTarget {
            room_id,
            bot: User {
                id: bot_id,
                username,
                role: Role::parse(&role).unwrap_or(Role::Member),
            },
            secret_hash,
        }))
    }

    /// Deletes webhook `id`; whether there was one. Its bot stays, so its messages keep their
    /// author, but its name is freed (as a released guest's is).
    ///
    /// # Errors
    /// Database failures.
    pub async fn delete_webhook(&self, id: &str) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let bot: Option<i64> =
            sqlx::query_scalar("DELETE FROM webhooks WHERE id = $1 RETURNING bot_id")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(bot) = bot {
            crate::bots::release_bot_name(&mut tx, bot).await?;
        }
        tx.commit().await?;
        Ok(bot.is_some())
    }
}

#[cfg(test)]
mod tests {
    use protocol::validate;

    use super::NewWebhook;
    use crate::{NewMessage, RoomKind, Store, StoreError};

    fn webhook<'a>(id: &'a str, name: &'a str, created_by: i64) -> NewWebhook<'a> {
        NewWebhook {
            id,
            secret_hash: "hash",
            name,
            created_by,
            now: 1,
        }
    }

    #[tokio::test]
    async fn a_room_s_webhooks_post_as_bots_of_their_own() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 1).await.unwrap();
        let room = store
            .create_room("builds", None, false, RoomKind::Room, ana.id, 1)
            .await
            .unwrap();
        let made = store
            .create_webhook(&room, webhook("00000000000000a1", "ci", ana.id))
            .await
            .unwrap();
        assert_eq!(made.id, "00000000000000a1");
        assert_eq!(made.room, "builds");
        assert_eq!(made.bot.username, "ci");
        assert_eq!(made.created_by.as_ref().unwrap().username, "ana");

        // The bot's name is an account's name: taken, look-alikes too.
        let taken = store
            .create_webhook(&room, webhook("00000000000000a2", "CI", ana.id))
            .await;
        assert!(matches!(taken, Err(StoreError::Conflict)), "{taken:?}");
        assert!(matches!(
            store.create_guest("ci", 2).await,
            Err(StoreError::Conflict)
        ));
        // A bot never counts as the first registered account: the first person is admin.
        let first = store.create_account("first", "hash", 2).await.unwrap();
        assert_eq!(first.role, protocol::Role::Admin);
        // Bots are not people: not listed, and no role can be given to them.
        let people = store.people(None, None, 50).await.unwrap();
        assert!(
            people
                .iter()
                .all(|(record, _)| record.user.username != "ci")
        );
        assert!(
            store
                .set_role(made.bot.id, protocol::Role::Admin)
                .await
                .unwrap()
                .is_none()
        );

        let target = store.webhook_target(&made.id).await.unwrap().unwrap();
        assert_eq!(target.room_id, room.id);
        assert_eq!(target.bot.id, made.bot.id);
        assert_eq!(target.secret_hash, "hash");
        let new = NewMessage {
            text: "build 41 passed",
            ts: 5,
            client_id: None,
            reply_to: None,
            attachments: &[],
            thread_root: None,
        };
        store.insert_full(&room, &target.bot, &new).await.unwrap();
        store
            .insert_full(
                &room,
                &ana,
                &NewMessage {
                    text: "thanks",
                    ts: 6,
                    ..new
                },
            )
            .await
            .unwrap();
        let page = store.history(&room, None, None, 10).await.unwrap();
        let flags: Vec<(&str, bool)> = page.iter().map(|m| (m.text.as_str(), m.bot)).collect();
        assert_eq!(flags, [("build 41 passed", true), ("thanks", false)]);

        assert_eq!(
            store.webhooks(room.id).await.unwrap(),
            std::slice::from_ref(&made)
        );
        assert!(store.delete_webhook(&made.id).await.unwrap());
        assert!(!store.delete_webhook(&made.id).await.unwrap());
        assert!(store.webhook_target(&made.id).await.unwrap().is_none());
        assert!(store.webhooks(room.id).await.unwrap().is_empty());
        // The bot and its message stay; its name is free again.
        let page = store.history(&room, None, None, 10).await.unwrap();
        assert_eq!(page[0].user.username, "ci");
        assert!(page[0].bot);
        store.create_guest("ci", 7).await.unwrap();
    }

    #[tokio::test]
    async fn a_webhook_stops_when_its_bot_or_its_maker_is_banned_or_gone() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 1).await.unwrap();
        let bea = store.create_guest("bea", 1).await.unwrap();
        let room = store
            .create_room("ops", None, false, RoomKind::Room, ana.id, 1)
            .await
            .unwrap();
        let by_ana = store
            .create_webhook(&room, webhook("00000000000000b1", "alerts", ana.id))
            .await
            .unwrap();
        let by_bea = store
            .create_webhook(&room, webhook("00000000000000b2", "pager", bea.id))
            .await
            .unwrap();
        assert!(store.webhook_target(&by_ana.id).await.unwrap().is_some());
        store
            .execute_raw(&format!(
                "UPDATE users SET banned_at = 5 WHERE id = {}",
                ana.id
            ))
            .await
            .unwrap();
        assert!(store.webhook_target(&by_ana.id).await.unwrap().is_none());
        assert!(store.webhook_target(&by_bea.id).await.unwrap().is_some());
        store
            .execute_raw(&format!(
                "UPDATE users SET banned_at = 5 WHERE id = {}",
                by_bea.bot.id
            ))
            .await
            .unwrap();
        assert!(store.webhook_target(&by_bea.id).await.unwrap().is_none());
        assert!(
            store
                .webhook_target("0000000000000000")
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn closing_a_room_deletes_its_webhooks_and_frees_their_names() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 1).await.unwrap();
        let room = store
            .create_room("shut", None, false, RoomKind::Room, ana.id, 1)
            .await
            .unwrap();
        let made = store
            .create_webhook(&room, webhook("00000000000000d1", "closer", ana.id))
            .await
            .unwrap();
        store.close_room(room.id, 3).await.unwrap();
        assert!(store.webhook_target(&made.id).await.unwrap().is_none());
        assert!(store.webhooks(room.id).await.unwrap().is_empty());
        store.create_guest("closer", 4).await.unwrap();
    }

    #[tokio::test]
    async fn a_room_holds_a_bounded_number_of_webhooks() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 1).await.unwrap();
        let room = store
            .create_room("hooks", None, false, RoomKind::Room, ana.id, 1)
            .await
            .unwrap();
        for n in 0..validate::WEBHOOKS_MAX {
            let id = format!("{n:016x}");
            let name = format!("bot{n}");
            store
                .create_webhook(&room, webhook(&id, &name, ana.id))
                .await
                .unwrap();
        }
        let past = store
            .create_webhook(&room, webhook("ffffffffffffffff", "onemore", ana.id))
            .await;
        assert!(matches!(past, Err(StoreError::TooMany)), "{past:?}");
        // Nothing of the refused one was kept: its name is free.
        store.create_guest("onemore", 2).await.unwrap();
        assert_eq!(
            store.webhooks(room.id).await.unwrap().len(),
            validate::WEBHOOKS_MAX
        );
    }
}
