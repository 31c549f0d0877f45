//! Rooms and the membership of private rooms.

use sqlx::FromRow;

use crate::{Result, Store, StoreError};

/// Whether a room is an ordinary room or a direct conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomKind {
    /// A named room, public or private.
    Room,
    /// A private conversation without moderators: two people (`dm-<id>-<id>`), or a group of
    /// three to eight (v1.20, `dm-g<hash>`: see [`RoomRecord::is_group`]).
    Dm,
}

impl RoomKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Room => "room",
            Self::Dm => "dm",
        }
    }
}

/// A stored room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRecord {
    /// Room id.
    pub id: i64,
    /// Display name (unique case-insensitively).
    pub name: String,
    /// Optional topic.
    pub topic: Option<String>,
    /// Invite-only.
    pub private: bool,
    /// Ordinary room or DM.
    pub kind: RoomKind,
    /// Closed by an admin: not listed, not joinable.
    pub closed: bool,
    /// Who created it (its owner), if that account still exists.
    pub owner: Option<i64>,
}

#[derive(FromRow)]
pub(crate) struct RoomRow {
    id: i64,
    name: String,
    topic: Option<String>,
    private: i64,
    kind: String,
    closed_at: Option<i64>,
    created_by: Option<i64>,
}

impl RoomRecord {
    /// Whether this is a group conversation (three to eight people). Groups are stored with
    /// the `dm` kind (the column's `CHECK` predates them) and told apart by their name, which
    /// only the server gives.
    #[must_use]
    pub fn is_group(&self) -> bool {
        self.kind == RoomKind::Dm && self.name.starts_with(GROUP_PREFIX)
    }
}

impl From<RoomRow> for RoomRecord {
    fn from(row: RoomRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            topic: row.topic,
            private: row.private != 0,
            kind: if row.kind == "dm" {
                RoomKind::Dm
            } else {
                RoomKind::Room
            },
            closed: row.closed_at.is_some(),
            owner: row.created_by,
        }
    }
}

/// Name of the DM room of two users; room names users choose may not start with `dm-`.
#[must_use]
pub fn dm_name(a: i64, b: i64) -> String {
    format!("dm-{}-{}", a.min(b), a.max(b))
}

/// How a group conversation's name starts (under the `dm-` names users may not choose).
const GROUP_PREFIX: &str = protocol::validate::GROUP_DM_NAME_PREFIX;

/// Name of the group conversation of exactly these people (order and repeats do not matter):
/// `dm-g` and 32 hex digits of the SHA-256 of their sorted ids, so the same people always find
/// the same conversation, whoever starts it, and no chosen set can land in another's.
#[must_use]
pub fn group_dm_name(people: &[i64]) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    let mut ids = people.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut hasher = Sha256::new();
    for id in ids {
        hasher.update(id.to_be_bytes());
    }
    let digest = hasher.finalize();
    let mut name = String::with_capacity(GROUP_PREFIX.len() + 32);
    name.push_str(GROUP_PREFIX);
    for byte in &digest[..16] {
        let _ = write!(name, "{byte:02x}");
    }
    name
}

const COLUMNS: &str = "id, name, topic, private, kind, closed_at, created_by";
/// The same columns of a room aliased `r` in a join.
pub(crate) const COLUMNS_OF_R: &str =
    "r.id, r.name, r.topic, r.private, r.kind, r.closed_at, r.created_by";

/// Rooms sorted by name, case-insensitively (keys fold look-alikes, so they do not sort).
fn by_name(rows: Vec<RoomRow>) -> Vec<RoomRecord> {
    let mut rooms: Vec<RoomRecord> = rows.into_iter().map(Into::into).collect();
    rooms.sort_by_cached_key(|room| (room.name.to_lowercase(), room.id));
    rooms
}

impl Store {
    /// Creates a room; a private room starts with its creator as the only member.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the name is taken (case-insensitively).
    pub async fn create_room(
        &self,
        name: &str,
        topic: Option<&str>,
        private: bool,
        kind: RoomKind,
        created_by: i64,
        now: i64,
    ) -> Result<RoomRecord> {
        let mut tx = self.write_tx().await?;
        let row: RoomRow = sqlx::query_as(&format!(
            "INSERT INTO rooms (name, name_key, topic, private, kind, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        ))
        .bind(name)
        .bind(crate::name_key(name))
        .bind(topic)
        .bind(i64::from(private))
        .bind(kind.as_str())
        .bind(created_by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from_insert)?;
        if private {
            sqlx::query(
                "INSERT INTO room_members (room_id, user_id, added_at) VALUES ($1, $2, $3)",
            )
            .bind(row.id)
            .bind(created_by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(row.into())
    }

    /// Changes a room's topic (`None` clears it).
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn set_topic(&self, room_id: i64, topic: Option<&str>) -> Result<()> {
        self.write(async |conn| {
            sqlx::query("UPDATE rooms SET topic = $1 WHERE id = $2")
                .bind(topic)
                .bind(room_id)
                .execute(conn)
                .await
        })
        .await?;
        Ok(())
    }

    /// Looks a room up by name, case-insensitively.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn room_by_name(&self, name: &str) -> Result<Option<RoomRecord>> {
        let row: Option<RoomRow> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM rooms WHERE name_key = $1"))
                .bind(crate::name_key(name))
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(Into::into))
    }

    /// Looks a room up by id.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn room_by_id(&self, id: i64) -> Result<Option<RoomRecord>> {
        let row: Option<RoomRow> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM rooms WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(Into::into))
    }

    /// Open rooms a user may see: every public room and the private rooms they belong to,
    /// by name; not the two-person DMs with someone they block (a group stays).
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn visible_rooms(&self, user_id: i64) -> Result<Vec<RoomRecord>> {
        let rows: Vec<RoomRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM rooms \
             WHERE closed_at IS NULL AND (private = 0 OR id IN \
                   (SELECT room_id FROM room_members WHERE user_id = $1)) \
             AND NOT (kind = 'dm' AND name NOT LIKE 'dm-g%' AND EXISTS (SELECT 1 FROM room_members m \
                   JOIN blocks b ON b.user_id = $1 AND b.blocked_id = m.user_id \
                   WHERE m.room_id = rooms.id)) \
             ORDER BY id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(by_name(rows))
    }

    /// Every open public room, by name.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn public_rooms(&self) -> Result<Vec<RoomRecord>> {
        let rows: Vec<RoomRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM rooms WHERE closed_at IS NULL AND private = 0 ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(by_name(rows))
    }

    /// Every open room (public and private, DMs included), by name.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn open_rooms(&self) -> Result<Vec<RoomRecord>> {
        let rows: Vec<RoomRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM rooms WHERE closed_at IS NULL ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(by_name(rows))
    }

    /// Open rooms (not DMs) created by a user.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn rooms_created_by(&self, user_id: i64) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM rooms WHERE created_by = $1 AND kind = 'room' AND closed_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n.max(0).unsigned_abs())
    }

    /// Open rooms (not DMs) created by guests.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn open_rooms_of_guests(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM rooms r JOIN users u ON u.id = r.created_by \
             WHERE r.kind = 'room' AND r.closed_at IS NULL AND u.role = 'guest'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n.max(0).unsigned_abs())
    }

    /// Open rooms (not DMs) in all.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn open_room_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM rooms WHERE kind = 'room' AND closed_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n.max(0).unsigned_abs())
    }

    /// The direct-message room of two users, created on first use (`dm-<low id>-<high id>`,
    /// private, both members).
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn dm_room(&self, a: i64, b: i64, now: i64) -> Result<RoomRecord> {
        let room = self.conversation(&dm_name(a, b), a, now).await?;
        self.add_members(room.id, &[a, b], now).await?;
        Ok(room)
    }

    /// The private conversation (DM or group) called `name`, created by `started_by` if it
    /// does not exist yet; its members are the caller's to add.
    async fn conversation(&self, name: &str, started_by: i64, now: i64) -> Result<RoomRecord> {
        if let Some(room) = self.room_by_name(name).await? {
            return Ok(room);
        }
        match self
            .create_room(name, None, true, RoomKind::Dm, started_by, now)
            .await
        {
            Ok(room) => Ok(room),
            // Two of its people started it at once: the other one won.
            Err(StoreError::Conflict) => self.room_by_name(name).await?.ok_or(StoreError::Conflict),
            Err(error) => Err(error),
        }
    }

    /// The other members of each of these DMs and groups, as `viewer` sees them: room id →
    /// their names, sorted case-insensitively. One statement per 500 rooms (a whole list costs
    /// one or two).
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn dm_peers(
        &self,
        viewer: i64,
        rooms: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<String>>> {
        let mut peers: std::collections::HashMap<i64, Vec<String>> =
            std::collections::HashMap::with_capacity(rooms.len());
        for chunk in rooms.chunks(500) {
            let sql = format!(
                "SELECT m.room_id, u.username FROM room_members m JOIN users u ON u.id = m.user_id \
                 WHERE m.user_id <> $1 AND m.room_id IN ({})",
                crate::db::placeholders(2, chunk.len())
            );
            let mut query = sqlx::query_as::<_, (i64, String)>(&sql).bind(viewer);
            for room in chunk {
                query = query.bind(*room);
            }
            for (room, name) in query.fetch_all(&self.pool).await? {
                peers.entry(room).or_default().push(name);
            }
        }
        for names in peers.values_mut() {
            names.sort_by_cached_key(|name| (name.to_lowercase(), name.clone()));
        }
        Ok(peers)
    }

    /// The group conversation of exactly these people (the starter among them), created on
    /// first use with all of them as members; opening it again brings back anyone who left.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn group_dm_room(
        &self,
        people: &[i64],
        started_by: i64,
        now: i64,
    ) -> Result<RoomRecord> {
        let room = self
            .conversation(&group_dm_name(people), started_by, now)
            .await?;
        self.add_members(room.id, people, now).await?;
        Ok(room)
    }

    /// Ids of the members of a private room.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn member_ids(&self, room_id: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM room_members WHERE room_id = $1 ORDER BY user_id",
        )
        .bind(room_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Adds a member to a private room (idempotent).
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn add_member(&self, room_id: i64, user_id: i64, now: i64) -> Result<()> {
        self.write(async |conn| {
            sqlx::query(
                "INSERT INTO room_members (room_id, user_id, added_at) VALUES ($1, $2, $3) \
             ON CONFLICT (room_id, user_id) DO NOTHING",
            )
            .bind(room_id)
            .bind(user_id)
            .bind(now)
            .execute(conn)
            .await
        })
        .await?;
        Ok(())
    }

    /// Adds several members to a private room in one transaction (idempotent).
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn add_members(&self, room_id: i64, users: &[i64], now: i64) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for user in users {
            sqlx::query(
                "INSERT INTO room_members (room_id, user_id, added_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (room_id, user_id) DO NOTHING",
            )
            .bind(room_id)
            .bind(user)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes a member from a private room; returns whether they were one.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn remove_member(&self, room_id: i64, user_id: i64) -> Result<bool> {
        let done = self
            .write(async |conn| {
                sqlx::query("DELETE FROM room_members WHERE room_id = $1 AND user_id = $2")
                    .bind(room_id)
                    .bind(user_id)
                    .execute(conn)
                    .await
            })
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records that `user_id` was removed from a private room (again: the time moves).
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn record_kick(&self, room_id: i64, user_id: i64, now: i64) -> Result<()> {
        self.write(async |conn| {
            sqlx::query(
                "INSERT INTO room_kicks (room_id, user_id, kicked_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (room_id, user_id) DO UPDATE SET kicked_at = excluded.kicked_at",
            )
            .bind(room_id)
            .bind(user_id)
            .bind(now)
            .execute(conn)
            .await
        })
        .await?;
        Ok(())
    }

    /// Whether `user_id` was removed from the room and not let back in by a moderator since.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn was_kicked(&self, room_id: i64, user_id: i64) -> Result<bool> {
        self.has_row_of("room_kicks", room_id, user_id).await
    }

    /// A moderator let `user_id` back in: the removal no longer holds.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn forgive_kick(&self, room_id: i64, user_id: i64) -> Result<()> {
        self.write(async |conn| {
            sqlx::query("DELETE FROM room_kicks WHERE room_id = $1 AND user_id = $2")
                .bind(room_id)
                .bind(user_id)
                .execute(conn)
                .await
        })
        .await?;
        Ok(())
    }

    /// Whether a user belongs to a (private) room.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn is_member(&self, room_id: i64, user_id: i64) -> Result<bool> {
        self.has_row_of("room_members", room_id, user_id).await
    }

    /// Whether `table` (keyed by room and user) has the row of `user_id` in `room_id`.
    async fn has_row_of(&self, table: &str, room_id: i64, user_id: i64) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT 1 FROM {table} WHERE room_id = $1 AND user_id = $2"
        ))
        .bind(room_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Closes a room: it disappears from listings and cannot be joined.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn close_room(&self, room_id: i64, now: i64) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE rooms SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL")
            .bind(now)
            .bind(room_id)
            .execute(&mut *tx)
            .await?;
        // Its webhooks go (v1.19), and their bots' names are free again.
        sqlx::query(&format!(
            "UPDATE users SET username_key = {} \
             WHERE bot = 1 AND id IN (SELECT bot_id FROM webhooks WHERE room_id = $1)",
            crate::bots::RELEASED_BOT_KEY
        ))
        .bind(room_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM webhooks WHERE room_id = $1")
            .bind(room_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn general_exists_from_the_first_run() {
        let store = Store::in_memory().await.unwrap();
        let general = store.room_by_name("General").await.unwrap().unwrap();
        assert_eq!(general.name, "general");
        assert!(!general.private);
    }

    #[tokio::test]
    async fn room_names_are_unique_case_insensitively() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        store
            .create_room("Book Club", Some("books"), false, RoomKind::Room, ana.id, 1)
            .await
            .unwrap();
        let again = store
            .create_room("book club", None, false, RoomKind::Room, ana.id, 2)
            .await;
        assert!(matches!(again, Err(StoreError::Conflict)));
    }

    #[tokio::test]
    async fn private_rooms_are_visible_to_members_only() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        let bea = store.create_guest("bea", 0).await.unwrap();
        let secret = store
            .create_room("secret", None, true, RoomKind::Room, ana.id, 1)
            .await
            .unwrap();
        let names = |rooms: Vec<RoomRecord>| rooms.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names(store.visible_rooms(ana.id).await.unwrap()),
            ["general", "secret"]
        );
        assert_eq!(
            names(store.visible_rooms(bea.id).await.unwrap()),
            ["general"]
        );
        assert!(store.is_member(secret.id, ana.id).await.unwrap());
        assert!(!store.is_member(secret.id, bea.id).await.unwrap());
        store.add_member(secret.id, bea.id, 2).await.unwrap();
        store.add_member(secret.id, bea.id, 3).await.unwrap();
        assert_eq!(
            names(store.visible_rooms(bea.id).await.unwrap()),
            ["general", "secret"]
        );
        assert_eq!(names(store.public_rooms().await.unwrap()), ["general"]);
    }

    #[tokio::test]
    async fn a_dm_room_is_shared_private_and_created_once() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        let bea = store.create_guest("bea", 0).await.unwrap();
        let first = store.dm_room(bea.id, ana.id, 1).await.unwrap();
        let again = store.dm_room(ana.id, bea.id, 2).await.unwrap();
        assert_eq!(first, again);
        assert_eq!(first.name, dm_name(ana.id, bea.id));
        assert!(first.private);
        assert_eq!(first.kind, RoomKind::Dm);
        assert_eq!(store.member_ids(first.id).await.unwrap(), [ana.id, bea.id]);
        assert!(store.remove_member(first.id, bea.id).await.unwrap());
        assert!(!store.remove_member(first.id, bea.id).await.unwrap());
        assert!(!store.is_member(first.id, bea.id).await.unwrap());
    }

    #[tokio::test]
    async fn a_group_is_the_same_room_for_the_same_people_and_outlives_a_block() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        let bea = store.create_guest("Bea", 0).await.unwrap();
        let cy = store.create_guest("cy", 0).await.unwrap();
        let dan = store.create_guest("dan", 0).await.unwrap();
        let group = store
            .group_dm_room(&[ana.id, bea.id, cy.id], ana.id, 1)
            .await
            .unwrap();
        assert!(group.is_group() && group.private && group.kind == RoomKind::Dm);
        assert!(
            group.name.starts_with("dm-g") && group.name.len() == 36,
            "{}",
            group.name
        );
        assert_eq!(
            store.member_ids(group.id).await.unwrap(),
            [ana.id, bea.id, cy.id]
        );
        // Any order, any starter, repeats: the same room; one person more is another one.
        let again = store
            .group_dm_room(&[cy.id, bea.id, ana.id, cy.id], cy.id, 2)
            .await
            .unwrap();
        assert_eq!(again, group);
        let four = store
            .group_dm_room(&[ana.id, bea.id, cy.id, dan.id], ana.id, 3)
            .await
            .unwrap();
        assert_ne!(four.id, group.id);
        assert!(!store.dm_room(ana.id, bea.id, 4).await.unwrap().is_group());
        // The others, sorted case-blind, as each member sees them.
        let peers = store.dm_peers(bea.id, &[group.id, four.id]).await.unwrap();
        assert_eq!(peers[&group.id], ["ana", "cy"]);
        assert_eq!(peers[&four.id], ["ana", "cy", "dan"]);
        // Someone leaves: gone from the others' view; opening the group again brings them back.
        assert!(store.remove_member(group.id, cy.id).await.unwrap());
        assert_eq!(
            store.dm_peers(ana.id, &[group.id]).await.unwrap()[&group.id],
            ["Bea"]
        );
        store
            .group_dm_room(&[ana.id, bea.id, cy.id], bea.id, 5)
            .await
            .unwrap();
        assert!(store.is_member(group.id, cy.id).await.unwrap());
        // Blocking one member hides a two-person DM, not a group.
        store.block(ana.id, cy.id, 10, 6).await.unwrap();
        let visible: Vec<i64> = store
            .visible_rooms(ana.id)
            .await
            .unwrap()
            .iter()
            .map(|room| room.id)
            .collect();
        assert!(visible.contains(&group.id), "{visible:?}");
        let with_cy = store.dm_room(ana.id, cy.id, 7).await.unwrap();
        let visible: Vec<i64> = store
            .visible_rooms(ana.id)
            .await
            .unwrap()
            .iter()
            .map(|room| room.id)
            .collect();
        assert!(!visible.contains(&with_cy.id), "{visible:?}");
    }

    #[tokio::test]
    async fn closed_rooms_are_not_listed() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        let room = store
            .create_room("old", None, false, RoomKind::Room, ana.id, 1)
            .await
            .unwrap();
        store.close_room(room.id, 2).await.unwrap();
        assert!(store.room_by_name("old").await.unwrap().unwrap().closed);
        assert_eq!(store.public_rooms().await.unwrap().len(), 1);
    }
}
