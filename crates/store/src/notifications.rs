//! Notifications (one row per recipient) and channel subscriptions.

use protocol::Notification;
use protocol::events::NotificationKind;
use sqlx::FromRow;

use crate::{Result, Store};

#[derive(FromRow)]
struct NotificationRow {
    id: i64,
    kind: String,
    title: String,
    body: String,
    url: Option<String>,
    ts: i64,
    read_at: Option<i64>,
}

impl From<NotificationRow> for Notification {
    fn from(row: NotificationRow) -> Self {
        Self {
            id: row.id,
            kind: NotificationKind::parse(&row.kind),
            title: row.title,
            body: row.body,
            url: row.url,
            ts: row.ts,
            read: row.read_at.is_some(),
        }
    }
}

/// What a new notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// Kind, e.g. `mention`.
    pub kind: NotificationKind,
    /// Title line.
    pub title: String,
    /// Body text.
    pub body: String,
    /// Where clicking it leads.
    pub url: Option<String>,
}

impl Store {
    /// Stores a notification for a user and drops their oldest ones beyond `keep`.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn insert_notification(
        &self,
        user_id: i64,
        new: &NewNotification,
        ts: i64,
        keep: u64,
    ) -> Result<Notification> {
        let row: NotificationRow = self
            .write(async |conn| {
                sqlx::query_as(
                    "INSERT INTO notifications (user_id, kind, title, body, url, ts) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING id, kind, title, body, url, ts, read_at",
                )
                .bind(user_id)
                .bind(new.kind.as_str())
                .bind(&new.title)
                .bind(&new.body)
                .bind(new.url.as_deref())
                .bind(ts)
                .fetch_one(conn)
                .await
            })
            .await?;
        self.write(async |conn| {
            sqlx::query(
                "DELETE FROM notifications WHERE user_id = $1 AND id <= \
             (SELECT id FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
            )
            .bind(user_id)
            .bind(i64::try_from(keep).unwrap_or(i64::MAX))
            .execute(conn)
            .await
        })
        .await?;
        Ok(row.into())
    }

    /// Marks every notification of a user read; returns how many changed.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn mark_all_read(&self, user_id: i64, now: i64) -> Result<u64> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
                )
                .bind(now)
                .bind(user_id)
                .execute(conn)
                .await
            })
            .await?;
        Ok(done.rows_affected())
    }

    /// Whether a user has an unread notification of one of `kinds` whose link starts with
    /// `prefix`.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn has_unread_about(
        &self,
        user_id: i64,
        kinds: &[NotificationKind],
        prefix: &str,
    ) -> Result<bool> {
        if kinds.is_empty() {
            return Ok(false);
        }
        let sql = format!(
            "SELECT id FROM notifications WHERE user_id = $1 AND read_at IS NULL \
             AND substr(url, 1, length($2)) = $2 AND kind IN ({}) LIMIT 1",
            crate::db::placeholders(3, kinds.len())
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql)
            .bind(user_id)
            .bind(prefix);
        for kind in kinds {
            query = query.bind(kind.as_str());
        }
        Ok(query.fetch_optional(&self.pool).await?.is_some())
    }

    /// A user's unread notifications, oldest first (at most 100).
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn unread_notifications(&self, user_id: i64) -> Result<Vec<Notification>> {
        let rows: Vec<NotificationRow> = sqlx::query_as(
            "SELECT id, kind, title, body, url, ts, read_at FROM notifications \
             WHERE user_id = $1 AND read_at IS NULL ORDER BY id ASC LIMIT 100",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Marks some of a user's notifications read; ids of other users are ignored.
    /// Returns how many changed.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn mark_read(&self, user_id: i64, ids: &[i64], now: i64) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        // One statement for the whole list (at most a page of ids, bound as parameters).
        let sql = format!(
            "UPDATE notifications SET read_at = $1 \
             WHERE user_id = $2 AND read_at IS NULL AND id IN ({})",
            crate::db::placeholders(3, ids.len())
        );
        let changed = self
            .write(async |conn| {
                let mut query = sqlx::query(&sql).bind(now).bind(user_id);
                for id in ids {
                    query = query.bind(id);
                }
                query.execute(conn).await
            })
            .await?
            .rows_affected();
        Ok(changed)
    }

    /// Subscribes a user to a channel (idempotent).
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn subscribe(&self, user_id: i64, channel: &str, now: i64) -> Result<()> {
        self.write(async |conn| {
            sqlx::query(
                "INSERT INTO channel_subscriptions (user_id, channel, created_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (user_id, channel) DO NOTHING",
            )
            .bind(user_id)
            .bind(channel)
            .bind(now)
            .execute(conn)
            .await
        })
        .await?;
        Ok(())
    }

    /// Unsubscribes a user from a channel.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn unsubscribe(&self, user_id: i64, channel: &str) -> Result<()> {
        self.write(async |conn| {
            sqlx::query("DELETE FROM channel_subscriptions WHERE user_id = $1 AND channel = $2")
                .bind(user_id)
                .bind(channel)
                .execute(conn)
                .await
        })
        .await?;
        Ok(())
    }

    /// Users subscribed to a channel.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn channel_subscribers(&self, channel: &str) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM channel_subscriptions WHERE channel = $1 ORDER BY user_id",
        )
        .bind(channel)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Channels a user is subscribed to.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn subscriptions(&self, user_id: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT channel FROM channel_subscriptions WHERE user_id = $1 ORDER BY channel",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(title: &str) -> NewNotification {
        NewNotification {
            kind: NotificationKind::parse("announcement"),
            title: title.into(),
            body: "b".into(),
            url: None,
        }
    }

    #[tokio::test]
    async fn unread_until_marked_read_by_their_owner() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        let bea = store.create_guest("bea", 0).await.unwrap();
        let first = store
            .insert_notification(ana.id, &note("one"), 1, 10)
            .await
            .unwrap();
        let second = store
            .insert_notification(ana.id, &note("two"), 2, 10)
            .await
            .unwrap();
        assert!(!first.read);
        assert_eq!(store.unread_notifications(ana.id).await.unwrap().len(), 2);
        // Bea cannot mark Ana's notifications.
        assert_eq!(store.mark_read(bea.id, &[first.id], 3).await.unwrap(), 0);
        assert_eq!(
            store.mark_read(ana.id, &[first.id, 999], 3).await.unwrap(),
            1
        );
        let unread = store.unread_notifications(ana.id).await.unwrap();
        assert_eq!(unread, std::slice::from_ref(&second));
        // A list naming one twice, or one already read, counts each change once.
        assert_eq!(
            store
                .mark_read(ana.id, &[second.id, first.id, second.id], 4)
                .await
                .unwrap(),
            1
        );
        assert!(store.unread_notifications(ana.id).await.unwrap().is_empty());
        assert_eq!(store.mark_read(ana.id, &[], 5).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn only_the_newest_are_kept_and_all_can_be_marked_read() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        let bea = store.create_guest("bea", 0).await.unwrap();
        store
            .insert_notification(bea.id, &note("bea's"), 0, 3)
            .await
            .unwrap();
        for n in 0..5 {
            store
                .insert_notification(ana.id, &note(&format!("n{n}")), n, 3)
                .await
                .unwrap();
        }
        let titles: Vec<String> = store
            .unread_notifications(ana.id)
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.title)
            .collect();
        assert_eq!(titles, ["n2", "n3", "n4"]);
        assert_eq!(store.mark_all_read(ana.id, 9).await.unwrap(), 3);
        assert!(store.unread_notifications(ana.id).await.unwrap().is_empty());
        assert_eq!(store.unread_notifications(bea.id).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn subscriptions_are_idempotent() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        store.subscribe(ana.id, "news", 1).await.unwrap();
        store.subscribe(ana.id, "news", 2).await.unwrap();
        assert_eq!(store.channel_subscribers("news").await.unwrap(), [ana.id]);
        assert_eq!(store.subscriptions(ana.id).await.unwrap(), ["news"]);
        store.unsubscribe(ana.id, "news").await.unwrap();
        assert!(store.channel_subscribers("news").await.unwrap().is_empty());
    }
}
