//! Who follows a thread and what they read there (v1.23): one row per follower, with the
//! newest reply they read. Writing in a thread (or being mentioned in it, or having started
//! it) follows it; reading moves only a marker that exists.

use std::collections::HashMap;

use protocol::Message;

use crate::messages::{MessageRow, SELECT};
use crate::{Result, Store};

/// Most unread replies counted in one thread (v1.30); more read as this many.
pub const THREAD_UNREAD_MAX: u64 = 999;

impl Store {
    /// `user_id` follows the thread of `root`, having read up to `last_read` (nothing moves
    /// if they follow it already).
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn follow_thread(&self, user_id: i64, root: i64, last_read: i64) -> Result<()> {
        self.write(async |conn| {
            sqlx::query(
                "INSERT INTO thread_reads (user_id, root_id, last_read) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, root_id) DO NOTHING",
            )
            .bind(user_id)
            .bind(root)
            .bind(last_read)
            .execute(conn)
            .await
        })
        .await?;
        Ok(())
    }

    /// `user_id` wrote reply `id` in the thread of `root`: they follow it, read up to there
    /// (a marker never moves back).
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn wrote_in_thread(&self, user_id: i64, root: i64, id: i64) -> Result<()> {
        self.write(async |conn| {
            sqlx::query(
                "INSERT INTO thread_reads (user_id, root_id, last_read) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, root_id) DO UPDATE SET last_read = CASE \
                 WHEN thread_reads.last_read < excluded.last_read THEN excluded.last_read \
                 ELSE thread_reads.last_read END",
            )
            .bind(user_id)
            .bind(root)
            .bind(id)
            .execute(conn)
            .await
        })
        .await?;
        Ok(())
    }

    /// `user_id` read the thread of `root` up to `id`: their marker moves forward, if they
    /// follow it. Whether it moved.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn read_thread(&self, user_id: i64, root: i64, id: i64) -> Result<bool> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "UPDATE thread_reads SET last_read = $3 \
                     WHERE user_id = $1 AND root_id = $2 AND last_read < $3",
                )
                .bind(user_id)
                .bind(root)
                .bind(id)
                .execute(conn)
                .await
            })
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Where `user_id` read up to in each of the threads of `roots` they follow.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn thread_markers(&self, user_id: i64, roots: &[i64]) -> Result<HashMap<i64, i64>> {
        if roots.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT root_id, last_read FROM thread_reads WHERE user_id = $1 AND root_id IN ({})",
            crate::db::placeholders(2, roots.len())
        );
        let mut query = sqlx::query_as::<_, (i64, i64)>(&sql).bind(user_id);
        for root in roots {
            query = query.bind(root);
        }
        Ok(query.fetch_all(&self.pool).await?.into_iter().collect())
    }

    /// The thread of `root`'s message just before `id`: its newest reply older than `id`, or
    /// the root itself.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn thread_reply_before(&self, root: i64, id: i64) -> Result<i64> {
        let before: Option<i64> =
            sqlx::query_scalar("SELECT MAX(id) FROM messages WHERE thread_root = $1 AND id < $2")
                .bind(root)
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
        Ok(before.unwrap_or(root))
    }

    /// A page of the threads `user_id` follows in rooms they may still see (open; public, or
    /// one they belong to; not a conversation with someone they block), the one with the newest
    /// reply first, roots not deleted: each root as this reader gets it, its replies from
    /// others after their marker (at most [`THREAD_UNREAD_MAX`]; a deleted reply counts, as it
    /// does in `replies`), and the id of its newest reply (the cursor of the next page).
    /// `before`: only threads whose newest reply is older. Whether more follow.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn followed_threads(
        &self,
        user_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<(Message, u64, i64)>, bool)> {
        // The page first (each thread's newest reply is one probe of `messages_thread`); the
        // unread replies are counted for its threads only.
        let found: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT f.root_id, f.last_id FROM ( \
                 SELECT t.root_id, \
                   (SELECT MAX(x.id) FROM messages x WHERE x.thread_root = t.root_id) AS last_id \
                 FROM thread_reads t JOIN messages m ON m.id = t.root_id \
                 JOIN rooms r ON r.id = m.room_id \
                 WHERE t.user_id = $1 AND m.deleted_ts IS NULL AND r.closed_at IS NULL \
                 AND (r.private = 0 OR EXISTS (SELECT 1 FROM room_members rm \
                      WHERE rm.room_id = r.id AND rm.user_id = t.user_id)) \
                 AND NOT (r.kind = 'dm' AND r.name NOT LIKE 'dm-g%' AND EXISTS ( \
                      SELECT 1 FROM room_members o JOIN blocks b \
                      ON b.user_id = t.user_id AND b.blocked_id = o.user_id \
                      WHERE o.room_id = r.id)) \
             ) AS f WHERE f.last_id IS NOT NULL AND f.last_id < $2 \
             ORDER BY f.last_id DESC LIMIT $3",
        )
        .bind(user_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?;
        let more = found.len() as i64 > limit;
        let found: Vec<(i64, i64)> = found
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(0))
            .collect();
        if found.is_empty() {
            return Ok((Vec::new(), more));
        }
        let roots: Vec<i64> = found.iter().map(|(root, _)| *root).collect();
        let unread = self.thread_unread(user_id, &roots).await?;
        let sql = format!(
            "{SELECT} WHERE m.id IN ({})",
            crate::db::placeholders(1, roots.len())
        );
        let mut query = sqlx::query_as::<_, MessageRow>(&sql);
        for root in &roots {
            query = query.bind(root);
        }
        let mut messages: Vec<Message> = query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(Message::from)
            .collect();
        self.complete(&mut messages).await?;
        self.for_reader(user_id, messages.iter_mut()).await?;
        let mut by_id: HashMap<i64, Message> = messages.into_iter().map(|m| (m.id, m)).collect();
        let page = found
            .into_iter()
            .filter_map(|(root, last_id)| {
                let count = unread.get(&root).copied().unwrap_or(0);
                by_id.remove(&root).map(|message| (message, count, last_id))
            })
            .collect();
        Ok((page, more))
    }

    /// For each of the threads of `roots` `user_id` follows: the replies from others after
    /// their marker, at most [`THREAD_UNREAD_MAX`].
    async fn thread_unread(&self, user_id: i64, roots: &[i64]) -> Result<HashMap<i64, u64>> {
        let sql = format!(
            "SELECT t.root_id, (SELECT COUNT(*) FROM (SELECT 1 FROM messages n \
                 WHERE n.thread_root = t.root_id AND n.id > t.last_read \
                 AND n.user_id <> t.user_id LIMIT $2) AS c) \
             FROM thread_reads t WHERE t.user_id = $1 AND t.root_id IN ({})",
            crate::db::placeholders(3, roots.len())
        );
        let mut query = sqlx::query_as::<_, (i64, i64)>(&sql)
            .bind(user_id)
            .bind(THREAD_UNREAD_MAX as i64);
        for root in roots {
            query = query.bind(root);
        }
        Ok(query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|(root, count)| (root, count.max(0).unsigned_abs()))
            .collect())
    }

    /// Who follows the thread of `root` (people, no bots), by id.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn thread_followers(&self, root: i64) -> Result<Vec<i64>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT t.user_id FROM thread_reads t JOIN users u ON u.id = t.user_id \
             WHERE t.root_id = $1 AND u.bot = 0 ORDER BY t.user_id",
        )
        .bind(root)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;

    #[tokio::test]
    async fn writing_follows_reading_moves_forward_and_a_bystander_keeps_no_marker() {
        let store = Store::in_memory().await.unwrap();
        let general = store.room_by_name("general").await.unwrap().unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        let bea = store.create_guest("bea", 0).await.unwrap();
        let cy = store.create_guest("cy", 0).await.unwrap();
        let (root, _) = store
            .insert_message(&general, &ana, "root", 1, None)
            .await
            .unwrap();
        store.follow_thread(ana.id, root.id, root.id).await.unwrap();
        store.wrote_in_thread(bea.id, root.id, 10).await.unwrap();
        store.wrote_in_thread(bea.id, root.id, 7).await.unwrap();
        assert_eq!(
            store.thread_followers(root.id).await.unwrap(),
            [ana.id, bea.id]
        );
        // Following again changes nothing; reading moves forward only.
        store.follow_thread(bea.id, root.id, root.id).await.unwrap();
        assert!(store.read_thread(ana.id, root.id, 12).await.unwrap());
        assert!(!store.read_thread(ana.id, root.id, 11).await.unwrap());
        assert_eq!(
            store.thread_reply_before(root.id, 11).await.unwrap(),
            root.id
        );
        // Reading a thread one does not follow keeps nothing.
        assert!(!store.read_thread(cy.id, root.id, 12).await.unwrap());
        let roots = [root.id];
        let markers = |user| store.thread_markers(user, &roots);
        assert_eq!(markers(ana.id).await.unwrap().get(&root.id), Some(&12));
        assert_eq!(markers(bea.id).await.unwrap().get(&root.id), Some(&10));
        assert!(markers(cy.id).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn followed_threads_list_the_newest_first_with_what_is_unread() {
        use crate::{NewMessage, RoomKind};
        let store = Store::in_memory().await.unwrap();
        let general = store.room_by_name("general").await.unwrap().unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        let bea = store.create_guest("bea", 0).await.unwrap();
        let say = |text: &'static str, ts: i64, thread_root: Option<i64>| NewMessage {
            text,
            ts,
            client_id: None,
            reply_to: None,
            attachments: &[],
            thread_root,
        };
        let (first, _) = store
            .insert_full(&general, &ana, &say("first root", 1, None))
            .await
            .unwrap();
        store
            .follow_thread(ana.id, first.id, first.id)
            .await
            .unwrap();
        for (text, ts) in [("one", 2), ("two", 3)] {
            store
                .insert_full(&general, &bea, &say(text, ts, Some(first.id)))
                .await
                .unwrap();
        }
        let (second, _) = store
            .insert_full(&general, &bea, &say("second root", 4, None))
            .await
            .unwrap();
        store
            .follow_thread(ana.id, second.id, second.id)
            .await
            .unwrap();
        let (newest, _) = store
            .insert_full(&general, &bea, &say("three", 5, Some(second.id)))
            .await
            .unwrap();
        // A thread of a private room ana is not in is not hers to list.
        let hidden = store
            .create_room("secret", None, true, RoomKind::Room, bea.id, 6)
            .await
            .unwrap();
        let (private_root, _) = store
            .insert_full(&hidden, &bea, &say("private root", 7, None))
            .await
            .unwrap();
        store
            .insert_full(
                &hidden,
                &bea,
                &say("private reply", 8, Some(private_root.id)),
            )
            .await
            .unwrap();
        store
            .follow_thread(ana.id, private_root.id, private_root.id)
            .await
            .unwrap();

        let (page, more) = store.followed_threads(ana.id, None, 10).await.unwrap();
        assert!(!more);
        let seen: Vec<(&str, u64)> = page
            .iter()
            .map(|(root, unread, _)| (root.text.as_str(), *unread))
            .collect();
        assert_eq!(seen, vec![("second root", 1), ("first root", 2)]);
        assert_eq!(page[0].2, newest.id, "the cursor is the newest reply");
        assert_eq!(
            page[1].0.thread_read,
            Some(first.id),
            "as this reader gets it"
        );
        assert_eq!(page[1].0.replies.map(|r| r.count), Some(2));

        // Page by page; ana's own reply reads the thread up to it.
        let (one, more) = store.followed_threads(ana.id, None, 1).await.unwrap();
        assert!(more);
        let (rest, more) = store
            .followed_threads(ana.id, Some(one[0].2), 1)
            .await
            .unwrap();
        assert!(!more);
        assert_eq!(rest[0].0.id, first.id);
        let (mine, _) = store
            .insert_full(&general, &ana, &say("mine", 9, Some(first.id)))
            .await
            .unwrap();
        store
            .wrote_in_thread(ana.id, first.id, mine.id)
            .await
            .unwrap();
        let (page, _) = store.followed_threads(ana.id, None, 10).await.unwrap();
        assert_eq!((page[0].0.id, page[0].1), (first.id, 0));
        // A deleted reply still counts, as in the root's `replies` (the room says "new" too).
        store.delete_message(newest.id, 10).await.unwrap();
        let (page, _) = store.followed_threads(ana.id, None, 10).await.unwrap();
        assert_eq!((page[1].0.id, page[1].1), (second.id, 1));
        // A deleted root takes its thread out of the list; bea follows none.
        store.delete_message(first.id, 11).await.unwrap();
        let (page, _) = store.followed_threads(ana.id, None, 10).await.unwrap();
        assert_eq!(page.len(), 1);
        assert!(
            store
                .followed_threads(bea.id, None, 10)
                .await
                .unwrap()
                .0
                .is_empty()
        );
        // A closed room's threads are gone with it.
        store.close_room(general.id, 12).await.unwrap();
        assert!(
            store
                .followed_threads(ana.id, None, 10)
                .await
                .unwrap()
                .0
                .is_empty()
        );
    }
}
