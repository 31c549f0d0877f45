//! The rooms each user keeps in their list, with a read marker and a mute flag per room.
//!
//! A saved room is what a user sees in their sidebar on every device: public rooms they
//! joined (until they leave them), private rooms they were invited to, DMs. Visibility is
//! still decided by the room itself: a closed room, or a private room the user no longer
//! belongs to, is not listed even if a row remains.

use sqlx::FromRow;

use crate::rooms::{COLUMNS_OF_R, RoomRow};
use crate::{Result, RoomRecord, Store};

/// Unread counts stop at this number (a client shows "999+").
pub const UNREAD_MAX: u64 = 999;

/// A room in a user's list, as stored for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedRoom {
    /// The room.
    pub room: RoomRecord,
    /// Id of the newest message the user has read there (0: none).
    pub last_read: i64,
    /// Messages from others after `last_read`, at most [`UNREAD_MAX`].
    pub unread: u64,
    /// The user silenced the room.
    pub muted: bool,
    /// When the user last marked something read there (ms), if ever.
    pub read_at: Option<i64>,
    /// The id of the room's newest message when `unread` was counted (0: none): `unread`
    /// counts the messages from others in `(last_read, through]`.
    pub through: i64,
}

#[derive(FromRow)]
struct SavedRow {
    #[sqlx(flatten)]
    room: RoomRow,
    last_read: i64,
    muted: i64,
    read_at: Option<i64>,
}

/// A [`SavedRow`] with its unread count and the room's newest message id (see [`counted`]).
#[derive(FromRow)]
struct CountedRow {
    #[sqlx(flatten)]
    saved: SavedRow,
    unread: i64,
    through: i64,
}

impl From<CountedRow> for SavedRoom {
    fn from(row: CountedRow) -> Self {
        Self {
            room: row.saved.room.into(),
            last_read: row.saved.last_read,
            unread: row.unread.unsigned_abs(),
            muted: row.saved.muted != 0,
            read_at: row.saved.read_at,
            through: row.through,
        }
    }
}

/// The rooms of user `$1`'s list that they may still see, each with its unread count (up to
/// `$2`) and its newest message id, counted in one statement (so from one snapshot, as
/// `unread` counts one room); `rest` narrows or orders them.
fn counted(rest: &str) -> String {
    format!(
        "SELECT {COLUMNS_OF_R}, s.last_read, s.muted, s.read_at, \
         (SELECT COUNT(*) FROM (SELECT 1 FROM messages c \
            WHERE c.room_id = s.room_id AND c.id > s.last_read AND c.user_id <> s.user_id \
            LIMIT $2) AS counted) AS unread, \
         (SELECT COALESCE(MAX(n.id), 0) FROM messages n WHERE n.room_id = s.room_id) AS through \
         FROM saved_rooms s JOIN rooms r ON r.id = s.room_id \
         WHERE s.user_id = $1 AND {VISIBLE} {rest}"
    )
}

/// Rooms a user may still see: open, and public or one they belong to.
const VISIBLE: &str = "r.closed_at IS NULL AND (r.private = 0 OR EXISTS \
     (SELECT 1 FROM room_members m WHERE m.room_id = r.id AND m.user_id = s.user_id))";

impl Store {
    /// Puts a room in a user's list, read up to `read_up_to` (its newest message when `None`);
    /// the new entry when it was not there yet, `None` when it was. Idempotent. The caller
    /// has checked that the user may see the room.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn save_room(
        &self,
        user_id: i64,
        room: &RoomRecord,
        read_up_to: Option<i64>,
        now: i64,
    ) -> Result<Option<SavedRoom>> {
        let saved: Option<(i64, i64, Option<i64>)> = self
            .write(async |conn| {
                sqlx::query_as(
                    "INSERT INTO saved_rooms (user_id, room_id, last_read, saved_at) \
             VALUES ($1, $2, \
               COALESCE($4, (SELECT MAX(id) FROM messages WHERE room_id = $2), 0), $3) \
             ON CONFLICT (user_id, room_id) DO NOTHING RETURNING last_read, muted, read_at",
                )
                .bind(user_id)
                .bind(room.id)
                .bind(now)
                .bind(read_up_to)
                .fetch_optional(conn)
                .await
            })
            .await?;
        let Some((last_read, muted, read_at)) = saved else {
            return Ok(None);
        };
        // Read up to the newest message there was: nothing is unread yet.
        let (unread, through) = match read_up_to {
            None => (0, last_read),
            Some(_) => self.unread(user_id, room.id, last_read).await?,
        };
        Ok(Some(SavedRoom {
            room: room.clone(),
            last_read,
            unread,
            muted: muted != 0,
            read_at,
            through,
        }))
    }

    /// Takes a room out of a user's list; returns whether it was there.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn unsave_room(&self, user_id: i64, room_id: i64) -> Result<bool> {
        let done = self
            .write(async |conn| {
                sqlx::query("DELETE FROM saved_rooms WHERE user_id = $1 AND room_id = $2")
                    .bind(user_id)
                    .bind(room_id)
                    .execute(conn)
                    .await
            })
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The rooms in a user's list that they may still see, in the order they were saved.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn saved_rooms(&self, user_id: i64) -> Result<Vec<SavedRoom>> {
        // One statement for the whole list, unread counts included.
        let rows: Vec<CountedRow> = sqlx::query_as(&counted("ORDER BY s.saved_at, r.id"))
            .bind(user_id)
            .bind(UNREAD_MAX as i64)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(SavedRoom::from).collect())
    }

    /// One room of a user's list, if it is there and still visible to them.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn saved_room(&self, user_id: i64, room_id: i64) -> Result<Option<SavedRoom>> {
        let row: Option<CountedRow> = sqlx::query_as(&counted("AND s.room_id = $3"))
            .bind(user_id)
            .bind(UNREAD_MAX as i64)
            .bind(room_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(SavedRoom::from))
    }

    /// The oldest message from others in a room after `last_read`: the first one a user has
    /// not read.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn first_unread(
        &self,
        user_id: i64,
        room_id: i64,
        last_read: i64,
    ) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(id) FROM messages WHERE room_id = $1 AND id > $2 AND user_id <> $3",
        )
        .bind(room_id)
        .bind(last_read)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Whether a room is in a user's list and still visible to them (no counting).
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn is_room_saved(&self, user_id: i64, room_id: i64) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT 1 FROM saved_rooms s JOIN rooms r ON r.id = s.room_id \
             WHERE s.user_id = $1 AND s.room_id = $2 AND {VISIBLE}"
        ))
        .bind(user_id)
        .bind(room_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Moves a user's read marker in a room forward to `id` (never back, never past the
    /// room's newest message) and notes that they read at `now`; returns the room as now
    /// saved, or `None` if it is not in their list.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn mark_room_read(
        &self,
        user_id: i64,
        room_id: i64,
        id: i64,
        now: i64,
    ) -> Result<Option<SavedRoom>> {
        self.write(async |conn| {
            sqlx::query(
                "UPDATE saved_rooms SET read_at = $4, last_read = CASE WHEN last_read < $3 THEN \
             (SELECT COALESCE(MAX(id), 0) FROM messages WHERE room_id = $2 AND id <= $3) \
             ELSE last_read END \
             WHERE user_id = $1 AND room_id = $2",
            )
            .bind(user_id)
            .bind(room_id)
            .bind(id)
            .bind(now)
            .execute(conn)
            .await
        })
        .await?;
        self.saved_room(user_id, room_id).await
    }

    /// Silences a room of a user's list, or not; returns whether it is in their list.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn set_muted(&self, user_id: i64, room_id: i64, muted: bool) -> Result<bool> {
        let done = self
            .write(async |conn| {
                sqlx::query("UPDATE saved_rooms SET muted = $3 WHERE user_id = $1 AND room_id = $2")
                    .bind(user_id)
                    .bind(room_id)
                    .bind(i64::from(muted))
                    .execute(conn)
                    .await
            })
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Messages from others in a room after `last_read` (up to [`UNREAD_MAX`]), and the id of
    /// the room's newest message they were counted against: one statement, so both come from
    /// the same snapshot (and since a room's ids commit in order, every message up to that id
    /// was there to be counted).
    async fn unread(&self, user_id: i64, room_id: i64, last_read: i64) -> Result<(u64, i64)> {
        let (unread, through): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM messages \
               WHERE room_id = $1 AND id > $2 AND user_id <> $3 LIMIT $4) AS counted), \
             (SELECT COALESCE(MAX(id), 0) FROM messages WHERE room_id = $1)",
        )
        .bind(room_id)
        .bind(last_read)
        .bind(user_id)
        .bind(UNREAD_MAX as i64)
        .fetch_one(&self.pool)
        .await?;
        Ok((unread.unsigned_abs(), through))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RoomKind;

    async fn user(store: &Store, name: &str) -> protocol::User {
        store.create_guest(name, 1).await.unwrap()
    }

    async fn say(store: &Store, room: &RoomRecord, author: &protocol::User, text: &str) -> i64 {
        let (message, _) = store
            .insert_message(room, author, text, 5, None)
            .await
            .unwrap();
        message.id
    }

    #[tokio::test]
    async fn a_room_saved_read_up_to_a_message_counts_what_came_after() {
        let store = Store::in_memory().await.unwrap();
        let ana = user(&store, "ana").await;
        let bea = user(&store, "bea").await;
        let general = store.room_by_name("general").await.unwrap().unwrap();
        let first = say(&store, &general, &bea, "one").await;
        say(&store, &general, &bea, "two").await;
        say(&store, &general, &ana, "mine").await;
        let saved = store
            .save_room(ana.id, &general, Some(first), 5)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((saved.last_read, saved.unread), (first, 1));
        assert_eq!(
            Some(saved),
            store.saved_room(ana.id, general.id).await.unwrap()
        );
    }

    #[tokio::test]
    async fn a_saved_room_starts_read_and_counts_what_others_send() {
        let store = Store::in_memory().await.unwrap();
        let ana = user(&store, "ana").await;
        let bea = user(&store, "bea").await;
        let general = store.room_by_name("general").await.unwrap().unwrap();
        say(&store, &general, &bea, "before").await;
        let ana_id = ana.id;
        let ana = ana_id;
        let new = store
            .save_room(ana, &general, None, 3)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((new.unread, new.muted), (0, false));
        assert_eq!(Some(new), store.saved_room(ana, general.id).await.unwrap());
        assert!(
            store
                .save_room(ana, &general, None, 4)
                .await
                .unwrap()
                .is_none()
        );
        let saved = store.saved_rooms(ana).await.unwrap();
        assert_eq!(saved.len(), 1);
        assert_eq!(saved[0].unread, 0, "what came before joining is not unread");

        let mut last = 0;
        for text in ["one", "two", "three"] {
            last = say(&store, &general, &bea, text).await;
        }
        let me = store.user_by_id(ana).await.unwrap().unwrap();
        let mine = say(&store, &general, &me, "mine").await;
        let saved = store.saved_room(ana, general.id).await.unwrap().unwrap();
        assert_eq!(saved.unread, 3, "own messages are never unread");
        assert_eq!(saved.through, mine, "counted against the newest message");

        let moved = store
            .mark_room_read(ana, general.id, last - 1, 7)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((moved.last_read, moved.unread), (last - 1, 1));
        assert_eq!(moved.read_at, Some(7));
        let not_back = store
            .mark_room_read(ana, general.id, 1, 7)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            not_back.last_read,
            last - 1,
            "a read marker never moves back"
        );
        let capped = store
            .mark_room_read(ana, general.id, i64::MAX, 7)
            .await
            .unwrap()
            .unwrap();
        assert!(capped.last_read > last && capped.last_read < i64::MAX);
        assert_eq!(capped.unread, 0);

        assert!(store.is_room_saved(ana, general.id).await.unwrap());
        assert!(store.unsave_room(ana, general.id).await.unwrap());
        assert!(!store.is_room_saved(ana, general.id).await.unwrap());
        assert!(store.saved_rooms(ana).await.unwrap().is_empty());
        assert!(
            store
                .mark_room_read(ana, general.id, last, 7)
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn closed_rooms_and_lost_memberships_drop_out_of_the_list() {
        let store = Store::in_memory().await.unwrap();
        let ana = user(&store, "ana").await.id;
        let secret = store
            .create_room("secret", None, true, RoomKind::Room, ana, 1)
            .await
            .unwrap();
        let open = store
            .create_room("open", None, false, RoomKind::Room, ana, 1)
            .await
            .unwrap();
        store.save_room(ana, &secret, None, 2).await.unwrap();
        store.save_room(ana, &open, None, 3).await.unwrap();
        assert!(store.set_muted(ana, open.id, true).await.unwrap());
        let names: Vec<(String, bool)> = store
            .saved_rooms(ana)
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.room.name, s.muted))
            .collect();
        assert_eq!(
            names,
            [("secret".to_owned(), false), ("open".to_owned(), true)]
        );

        store.remove_member(secret.id, ana).await.unwrap();
        store.close_room(open.id, 4).await.unwrap();
        assert!(store.saved_rooms(ana).await.unwrap().is_empty());
        assert!(!store.is_room_saved(ana, secret.id).await.unwrap());
        assert!(!store.is_room_saved(ana, open.id).await.unwrap());
    }
}
