//! Group commit for new messages on SQLite.
//!
//! Every statement sqlx runs on SQLite is a hand-off to the connection's worker thread and
//! back, and SQLite has one writer at a time anyway. So new messages (without attachments)
//! are queued to one writer task, which stores everything queued while its previous statement
//! ran as **one** multi-row `INSERT … RETURNING`: one hand-off and one commit for the batch.
//! Under light load a batch is a single message and costs what a direct insert costs; under
//! heavy load batches grow and the database stops being the bottleneck.
//!
//! Each sender learns its message's id only after the commit that made it durable. A row the
//! database skips (its author is muted, or it repeats an idempotency key) gets `None`, exactly
//! as a single insert would; a statement the database refuses as a whole (a foreign key: the
//! server checks a reply's target first, so this is a safety net) is retried row by row, so a
//! bad row fails only its own message. The connection that ran a refused statement is closed,
//! not returned to the pool: SQLite can leave it reading the database as it was then.

use sqlx::{AnyPool, FromRow};
use tokio::sync::{mpsc, oneshot};

use crate::db::write_on;
use crate::pool::Pool;
use crate::{Result, StoreError};

/// The most rows one statement stores (SQLite allows 32,766 parameters; this uses 6 per row).
const MAX_BATCH: usize = 64;

/// SQLite's extended result code `SQLITE_BUSY_SNAPSHOT`.
const BUSY_SNAPSHOT: &str = "517";

/// Messages waiting for the writer; senders wait for room beyond this (backpressure).
const QUEUE: usize = 1024;

/// A message to store, as its row.
#[derive(Debug)]
pub(crate) struct Row {
    pub room_id: i64,
    pub user_id: i64,
    pub text: String,
    pub ts: i64,
    pub client_id: Option<String>,
    pub reply_to: Option<i64>,
    pub thread_root: Option<i64>,
}

/// A stored message's id, and the id of its room's message just before it (0: none).
/// Messages of a room are committed in id order, so `prev` never changes once told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inserted {
    /// The new message's id.
    pub id: i64,
    /// The room's message before it.
    pub prev: i64,
}

/// One queued message and where its outcome goes: what was stored, or `None` when the
/// database skipped the row (muted author, repeated idempotency key).
struct Job {
    row: Row,
    done: oneshot::Sender<Result<Option<Inserted>>>,
}

/// The queue in front of the writer task. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct GroupCommit {
    queue: mpsc::Sender<Job>,
    /// For a message that finds the writer gone: it is stored directly.
    pool: Pool,
}

impl GroupCommit {
    /// Starts the writer task on the current tokio runtime. It ends when every clone of the
    /// returned handle is dropped.
    pub(crate) fn start(pool: Pool) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(write(pool.clone(), jobs));
        Self { queue, pool }
    }

    /// Stores `row` with the next batch: its id once committed, or `None` when the database
    /// skipped it (muted author, repeated idempotency key). Waits while the queue is full.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the database refused the row, [`StoreError::WriterStopped`]
    /// when the writer task was stopped (its runtime is shutting down).
    pub(crate) async fn insert(&self, row: Row) -> Result<Option<Inserted>> {
        let (done, outcome) = oneshot::channel();
        if let Err(mpsc::error::SendError(job)) = self.queue.send(Job { row, done }).await {
            // The writer's runtime ended (a store outliving it): no batching, same statement.
            return Ok(insert_rows(&self.pool, &[&job.row]).await?.pop().flatten());
        }
        outcome.await.map_err(|_| StoreError::WriterStopped)?
    }
}

/// The writer task: takes everything queued (up to [`MAX_BATCH`]) and stores it at once.
async fn write(pool: Pool, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        tracing::trace!(rows = batch.len(), "group commit");
        let rows: Vec<&Row> = batch.iter().map(|job| &job.row).collect();
        let started = std::time::Instant::now();
        let stored = insert_rows(&pool, &rows).await;
        if let Some(observer) = pool.watch.get() {
            observer.batch(rows.len(), started.elapsed());
        }
        match stored {
            Ok(ids) => {
                for (job, id) in batch.drain(..).zip(ids) {
                    let _ = job.done.send(Ok(id));
                }
            }
            Err(error) if batch.len() == 1 => {
                if let Some(job) = batch.pop() {
                    let _ = job.done.send(Err(error));
                }
            }
            Err(_) => {
                // One bad row refuses the whole statement: each on its own, so only it fails.
                for job in batch.drain(..) {
                    let stored = insert_rows(&pool, &[&job.row])
                        .await
                        .map(|mut ids| ids.pop().flatten());
                    let _ = job.done.send(stored);
                }
            }
        }
    }
}

/// What `RETURNING` gives back for each stored row.
#[derive(FromRow)]
pub(crate) struct Stored {
    pub id: i64,
    room_id: i64,
    user_id: i64,
    ts: i64,
    client_id: Option<String>,
    /// The room's message before it (`NULL`: none).
    prev: Option<i64>,
}

impl Stored {
    /// What the caller learns.
    pub(crate) fn inserted(&self) -> Inserted {
        Inserted {
            id: self.id,
            prev: self.prev.unwrap_or(0),
        }
    }
}

/// Stores `rows` in one statement (one commit); for each, its new id or `None` when skipped.
///
/// The author's mute is checked per row inside the statement, so a mute set a moment ago on
/// another node holds; a repeated `(user_id, client_id)` is skipped by the unique index.
async fn insert_rows(pool: &AnyPool, rows: &[&Row]) -> Result<Vec<Option<Inserted>>> {
    let sql = insert_sql(rows.len());
    let mut attempts = 0;
    let mut stored = loop {
        let query = bind_rows(&sql, rows);
        // A connection whose statement was refused is closed, not pooled (see `write_on`).
        let result = write_on(pool, async |conn| query.fetch_all(conn).await).await;
        match result {
            // SQLite's answer when the connection's snapshot went stale before it could take
            // the write lock: the statement did nothing and is to be run again.
            Err(sqlx::Error::Database(db))
                if db.code().as_deref() == Some(BUSY_SNAPSHOT) && attempts < 3 =>
            {
                attempts += 1;
                tracing::debug!(attempts, "stale snapshot, storing the rows again");
            }
            other => break other?,
        }
    };
    // `RETURNING` comes in no particular order, but rows are inserted in the statement's
    // order (`ORDER BY` the position) and ids grow: sorted by id they follow `rows`, less
    // the skipped ones.
    stored.sort_unstable_by_key(|s| s.id);
    Ok(match_ids(rows, &stored))
}

/// The statement of [`insert_sql`] for these rows, their values bound.
pub(crate) fn bind_rows<'q>(
    sql: &'q str,
    rows: &[&'q Row],
) -> sqlx::query::QueryAs<'q, sqlx::Any, Stored, sqlx::any::AnyArguments<'q>> {
    let mut query = sqlx::query_as::<_, Stored>(sql);
    for row in rows {
        query = query
            .bind(row.room_id)
            .bind(row.user_id)
            .bind(row.text.as_str())
            .bind(row.ts)
            .bind(row.client_id.as_deref())
            .bind(row.reply_to)
            .bind(row.thread_root);
    }
    query
}

/// Pairs each row with its stored id, walking both in order; a row that does not match the
/// next stored one was skipped. Two rows with the same room, author, time and key are either
/// both stored or (muted, or the key already used) both skipped, except that a repeated key
/// stores only the first: in every case the walk pairs them right.
fn match_ids(rows: &[&Row], stored: &[Stored]) -> Vec<Option<Inserted>> {
    let mut next = stored.iter().peekable();
    rows.iter()
        .map(|row| {
            next.next_if(|s| {
                s.room_id == row.room_id
                    && s.user_id == row.user_id
                    && s.ts == row.ts
                    && s.client_id.as_deref() == row.client_id.as_deref()
            })
            .map(Stored::inserted)
        })
        .collect()
}

/// The statement that stores `n` messages (a `VALUES` list of position and seven columns per
/// row), skipping a muted author's and a repeated idempotency key; the one message insert of
/// the store, for the writer's batches and for single messages in a transaction.
pub(crate) fn insert_sql(n: usize) -> String {
    use std::fmt::Write as _;
    let mut values = String::with_capacity(n * 40);
    for i in 0..n {
        let p = i * 7;
        let sep = if i == 0 { "" } else { "," };
        let _ = write!(
            values,
            "{sep}({i},${},${},${},${},${},${},${})",
            p + 1,
            p + 2,
            p + 3,
            p + 4,
            p + 5,
            p + 6,
            p + 7
        );
    }
    format!(
        "INSERT INTO messages (room_id, user_id, text, ts, client_id, reply_to, thread_root) \
         SELECT v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8 \
         FROM (VALUES {values}) AS v \
         WHERE NOT EXISTS (SELECT 1 FROM room_mutes m WHERE m.room_id = v.column2 \
                           AND m.user_id = v.column3 AND m.until > v.column5) \
         ORDER BY v.column1 \
         ON CONFLICT (user_id, client_id) DO NOTHING \
         RETURNING id, room_id, user_id, ts, client_id, \
           (SELECT MAX(p.id) FROM messages p \
            WHERE p.room_id = messages.room_id AND p.id < messages.id) AS prev"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(room_id: i64, user_id: i64, ts: i64, client_id: Option<&str>) -> Row {
        Row {
            room_id,
            user_id,
            text: "hi".into(),
            ts,
            client_id: client_id.map(str::to_owned),
            reply_to: None,
            thread_root: None,
        }
    }

    fn stored(id: i64, r: &Row) -> Stored {
        Stored {
            id,
            room_id: r.room_id,
            user_id: r.user_id,
            ts: r.ts,
            client_id: r.client_id.clone(),
            prev: Some(id - 1),
        }
    }

    fn at(id: i64) -> Option<Inserted> {
        Some(Inserted { id, prev: id - 1 })
    }

    #[test]
    fn skipped_rows_get_none_and_the_rest_keep_their_order() {
        let a = row(1, 1, 5, Some("x"));
        let muted = row(1, 9, 5, None);
        let repeat = row(1, 1, 5, Some("x"));
        let b = row(2, 3, 6, None);
        let same_as_b = row(2, 3, 6, None);
        let rows = [&a, &muted, &repeat, &b, &same_as_b];
        let out = match_ids(
            &rows,
            &[stored(10, &a), stored(11, &b), stored(12, &same_as_b)],
        );
        assert_eq!(out, [at(10), None, None, at(11), at(12)]);
        assert_eq!(match_ids(&rows, &[]), [None; 5]);
    }

    #[test]
    fn the_statement_numbers_seven_parameters_per_row() {
        let sql = insert_sql(2);
        assert!(sql.contains("(0,$1,$2,$3,$4,$5,$6,$7),(1,$8,$9,$10,$11,$12,$13,$14)"));
        assert!(sql.contains("ORDER BY v.column1"));
    }

    /// A store with two authors in `general`, the second muted there until `MUTED_UNTIL`.
    async fn store_with_authors() -> (crate::Store, i64, i64, i64) {
        with_authors(crate::Store::in_memory().await.unwrap()).await
    }

    async fn with_authors(store: crate::Store) -> (crate::Store, i64, i64, i64) {
        let ana = store.create_guest("ana", 1).await.unwrap().id;
        let bea = store.create_guest("bea", 1).await.unwrap().id;
        let general = store.room_by_name("general").await.unwrap().unwrap().id;
        store
            .set_mute(general, bea, Some(MUTED_UNTIL))
            .await
            .unwrap();
        (store, general, ana, bea)
    }

    const MUTED_UNTIL: i64 = 1_000;

    fn text_row(room_id: i64, user_id: i64, text: &str, client_id: Option<&str>) -> Row {
        Row {
            text: text.into(),
            ..row(room_id, user_id, 5, client_id)
        }
    }

    /// Runs the writer over `rows`, all queued before it starts: one batch.
    async fn write_batch(store: &crate::Store, rows: Vec<Row>) -> Vec<Result<Option<Inserted>>> {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let mut outcomes = Vec::new();
        for row in rows {
            let (done, outcome) = oneshot::channel();
            queue.try_send(Job { row, done }).unwrap();
            outcomes.push(outcome);
        }
        drop(queue);
        write(store.pool.clone(), jobs).await;
        let mut results = Vec::new();
        for outcome in outcomes {
            results.push(outcome.await.unwrap());
        }
        results
    }

    async fn text_of(store: &crate::Store, id: i64) -> (i64, String) {
        let stored = store.message(id).await.unwrap().unwrap().message;
        (stored.user.id, stored.text)
    }

    #[tokio::test]
    async fn one_batch_stores_each_row_under_its_own_id_and_skips_as_a_single_insert_would() {
        let (store, general, ana, bea) = store_with_authors().await;
        let rows = vec![
            text_row(general, ana, "first", Some("k1")),
            text_row(general, bea, "muted", None),
            text_row(general, ana, "repeat of k1", Some("k1")),
            text_row(general, ana, "same time", None),
            text_row(general, ana, "same time, other text", None),
        ];
        let before: Option<i64> =
            sqlx::query_scalar("SELECT MAX(id) FROM messages WHERE room_id = $1")
                .bind(general)
                .fetch_one(&store.pool)
                .await
                .unwrap();
        let before = before.unwrap_or(0);
        let ids: Vec<Option<Inserted>> = write_batch(&store, rows)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(ids[1], None, "muted");
        assert_eq!(ids[2], None, "repeated key");
        let inserted = [ids[0].unwrap(), ids[3].unwrap(), ids[4].unwrap()];
        // Each knows the room's message before it, rows of the same batch included.
        let prevs: Vec<i64> = inserted.iter().map(|i| i.prev).collect();
        assert_eq!(prevs, [before, inserted[0].id, inserted[1].id]);
        let stored = inserted.map(|i| i.id);
        assert!(stored.is_sorted(), "ids follow the order sent: {stored:?}");
        assert_eq!(text_of(&store, stored[0]).await, (ana, "first".into()));
        assert_eq!(text_of(&store, stored[1]).await, (ana, "same time".into()));
        assert_eq!(
            text_of(&store, stored[2]).await,
            (ana, "same time, other text".into())
        );
    }

    #[tokio::test]
    async fn a_row_the_database_refuses_fails_alone() {
        // A file, as in production (a shared-cache in-memory database locks differently).
        let dir = std::env::temp_dir().join(format!("tertulia-gc-{}", std::process::id()));
        let url = format!("sqlite://{}/chat.db?mode=rwc", dir.display());
        let (store, general, ana, _) =
            with_authors(crate::Store::connect(&url).await.unwrap()).await;
        let mut bad = text_row(general, ana, "answers nothing", None);
        bad.reply_to = Some(999_999); // no such message: the foreign key refuses the statement
        let rows = vec![
            text_row(general, ana, "before", None),
            bad,
            text_row(general, ana, "after", None),
        ];
        let results = write_batch(&store, rows).await;
        assert!(matches!(results[1], Err(StoreError::Database(_))));
        let before = results[0].as_ref().unwrap().unwrap().id;
        let after = results[2].as_ref().unwrap().unwrap().id;
        // Every connection of the pool sees both rows, the one that ran the refused
        // statement included (it used to keep reading the database as it was before them).
        let mut connections = Vec::new();
        for _ in 0..store.pool.options().get_max_connections() {
            connections.push(store.pool.acquire().await.unwrap());
        }
        for conn in &mut connections {
            let texts: Vec<String> =
                sqlx::query_scalar("SELECT text FROM messages WHERE id IN ($1, $2) ORDER BY id")
                    .bind(before)
                    .bind(after)
                    .fetch_all(&mut **conn)
                    .await
                    .unwrap();
            assert_eq!(texts, ["before", "after"]);
        }
        drop(connections);
        store.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_write_refused_through_store_write_leaves_no_stale_connection() {
        let dir = std::env::temp_dir().join(format!("tertulia-gw-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = format!("sqlite://{}/chat.db?mode=rwc", dir.display());
        let (store, general, ana, _) =
            with_authors(crate::Store::connect(&url).await.unwrap()).await;
        let good = text_row(general, ana, "good", None);
        let mut bad = text_row(general, ana, "answers nothing", None);
        bad.reply_to = Some(999_999);
        let sql = insert_sql(2);
        let refused = store
            .write(async |conn| bind_rows(&sql, &[&good, &bad]).fetch_all(conn).await)
            .await;
        assert!(refused.is_err(), "the foreign key refuses the statement");
        // Stored afterwards: every connection of the pool reads it, the one that ran the
        // refused statement included (unless it was closed, as it is now).
        let later = text_row(general, ana, "later", None);
        let id = insert_rows(&store.pool, &[&later]).await.unwrap()[0]
            .unwrap()
            .id;
        let mut connections = Vec::new();
        for _ in 0..store.pool.options().get_max_connections() {
            connections.push(store.pool.acquire().await.unwrap());
        }
        for conn in &mut connections {
            let seen: Vec<String> = sqlx::query_scalar("SELECT text FROM messages WHERE id = $1")
                .bind(id)
                .fetch_all(&mut **conn)
                .await
                .unwrap();
            assert_eq!(seen, ["later"]);
        }
        drop(connections);
        store.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_senders_each_get_their_own_message_back() {
        let (store, general, ana, bea) = store_with_authors().await;
        let room = store.room_by_id(general).await.unwrap().unwrap();
        let users = [
            store.user_by_id(ana).await.unwrap().unwrap(),
            store.user_by_id(bea).await.unwrap().unwrap(),
        ];
        let mut senders = tokio::task::JoinSet::new();
        for n in 0..200 {
            let (store, room, author) = (store.clone(), room.clone(), users[n % 2].clone());
            senders.spawn(async move {
                let text = format!("message {n}");
                // Bea is muted until MUTED_UNTIL: her early messages are refused.
                let ts = if n % 4 == 1 {
                    5
                } else {
                    2_000 + i64::try_from(n).unwrap()
                };
                let key = format!("key {n}");
                let sent = store
                    .insert_message(&room, &author, &text, ts, Some(&key))
                    .await;
                (n, author.id, text, ts, sent)
            });
        }
        let mut ids = std::collections::HashSet::new();
        let mut links = Vec::new();
        while let Some(joined) = senders.join_next().await {
            let (n, author, text, ts, sent) = joined.unwrap();
            if ts < MUTED_UNTIL {
                assert!(matches!(sent, Err(StoreError::Muted(MUTED_UNTIL))), "{n}");
                continue;
            }
            let (message, new) = sent.unwrap();
            assert!(new);
            assert!(ids.insert(message.id), "one id per message");
            assert_eq!((message.user.id, &message.text), (author, &text));
            assert_eq!(text_of(&store, message.id).await, (author, text));
            links.push((message.id, message.prev));
        }
        assert_eq!(ids.len(), 150);
        // However the senders interleaved, the `prev` links chain the room's messages in id
        // order, each to the one just before it.
        links.sort_unstable();
        for pair in links.windows(2) {
            assert_eq!(pair[1].1, Some(pair[0].0), "{pair:?}");
        }
    }
}
