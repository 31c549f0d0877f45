//! The rooms in each user's list and their read markers, kept in the store so every tab and
//! device of a user shows the same rooms and unread counts. Every change is announced to all
//! the user's `/chat` sockets, on every node.

use protocol::{ErrorCode, ReadMarker, RoomRemoved, User};
use store::RoomRecord;

use super::Chat;
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::fanout::{broadcast, room_channel, user_channel};

impl Chat {
    /// The rooms in `user`'s list, in the order they were saved.
    ///
    /// # Errors
    /// A failure of the store or the live state.
    pub async fn saved_rooms(&self, user: &User) -> AppResult<Vec<protocol::SavedRoom>> {
        let saved = self.hub.store.saved_rooms(user.id).await?;
        let records: Vec<store::RoomRecord> = saved.iter().map(|s| s.room.clone()).collect();
        let summaries = self.summaries(&records, user).await?;
        Ok(saved.into_iter().zip(summaries).map(listed).collect())
    }

    /// Puts a room in `user`'s list (read up to now) and, if it was not there, tells their
    /// sockets so other tabs and devices show it too.
    ///
    /// # Errors
    /// A failure of the store or the live state.
    pub async fn save_room(&self, user: &User, room: &RoomRecord) -> AppResult<()> {
        self.save_room_read_up_to(user, room, None).await
    }

    /// [`Self::save_room`], read up to `read_up_to` if it was not there.
    async fn save_room_read_up_to(
        &self,
        user: &User,
        room: &RoomRecord,
        read_up_to: Option<i64>,
    ) -> AppResult<()> {
        let saved = self
            .hub
            .store
            .save_room(user.id, room, read_up_to, now_ms())
            .await?;
        match saved {
            Some(saved) => self.send_saved(user, saved).await,
            None => Ok(()),
        }
    }

    /// [`Self::save_room`] for someone known only by id (the other person of a DM, an
    /// invitee), read up to `read_up_to` (everything when `None`).
    pub(super) async fn save_room_for(
        &self,
        user_id: i64,
        room: &RoomRecord,
        read_up_to: Option<i64>,
    ) -> AppResult<()> {
        if let Some(user) = self.hub.store.user_by_id(user_id).await? {
            self.save_room_read_up_to(&user, room, read_up_to).await?;
        }
        Ok(())
    }

    /// Moves `user`'s read marker in a room of their list forward to `id`; all their sockets
    /// hear where it is now.
    ///
    /// # Errors
    /// `not_member` if the room is not in their list, `bad_request` for a bad name, or a
    /// failure.
    pub async fn mark_room_read(
        &self,
        user: &User,
        raw_room: &str,
        id: i64,
    ) -> AppResult<ReadMarker> {
        // The store answers `None` for a room that is not in the list: no separate check.
        let name = protocol::names::room_name(raw_room)?;
        let room = self
            .hub
            .store
            .room_by_name(&name)
            .await?
            .ok_or_else(|| not_listed(&name))?;
        let saved = self
            .hub
            .store
            .mark_room_read(user.id, room.id, id, now_ms())
            .await?
            .ok_or_else(|| not_listed(&room.name))?;
        let marker = marker_of(room.name, &saved);
        self.fanout.to_user(user.id, &marker).await;
        Ok(marker)
    }

    /// Silences a room of `user`'s list, or not; their sockets hear the change.
    ///
    /// # Errors
    /// `not_member` if the room is not in their list, or a failure.
    pub async fn mute_room(&self, user: &User, raw_room: &str, muted: bool) -> AppResult<()> {
        let room = self.listed_room(user, raw_room).await?;
        if !self.hub.store.set_muted(user.id, room.id, muted).await? {
            return Err(not_listed(&room.name));
        }
        self.announce_saved(user, &room).await
    }

    /// Takes a room out of `user`'s list: every socket of theirs stops following it and hears
    /// that it is gone. A private room keeps them as a member.
    ///
    /// # Errors
    /// `not_member` if the room is not in their list, or a failure.
    pub async fn hide_room(&self, user: &User, raw_room: &str) -> AppResult<()> {
        let room = self.listed_room(user, raw_room).await?;
        self.unsave_room(user, &room).await
    }

    /// Takes a room out of `user`'s list (if there) and all their sockets out of the room.
    pub(super) async fn unsave_room(&self, user: &User, room: &RoomRecord) -> AppResult<()> {
        self.hub.store.unsave_room(user.id, room.id).await?;
        let Some(chat) = self.fanout.chat() else {
            return Ok(());
        };
        let mine = chat.to(user_channel(user.id));
        if let Err(error) = mine.clone().leave(room_channel(room.id)).await {
            tracing::warn!(%error, "taking a user's sockets out of a room");
        }
        match mine.clone().fetch_sockets().await {
            Ok(sockets) => {
                for socket in sockets {
                    self.forget_presence(&socket.data().id.to_string(), room, user)
                        .await?;
                }
            }
            Err(error) => tracing::warn!(%error, "listing a user's sockets"),
        }
        let removed = RoomRemoved {
            room: room.name.clone(),
        };
        broadcast(mine, &removed).await;
        Ok(())
    }

    /// A room in `user`'s list, by name; `not_member` for anything else.
    async fn listed_room(&self, user: &User, raw_room: &str) -> AppResult<RoomRecord> {
        let name = protocol::names::room_name(raw_room)?;
        let room = self.hub.store.room_by_name(&name).await?;
        match room {
            Some(room) if self.hub.store.is_room_saved(user.id, room.id).await? => Ok(room),
            _ => Err(not_listed(&name)),
        }
    }

    /// Tells all of `user`'s sockets how a room of their list looks now.
    async fn announce_saved(&self, user: &User, room: &RoomRecord) -> AppResult<()> {
        match self.hub.store.saved_room(user.id, room.id).await? {
            Some(saved) => self.send_saved(user, saved).await,
            None => Ok(()),
        }
    }

    /// Sends `user`'s sockets their entry for a room of their list.
    /// Tells each member of a group who keeps it in their list how it looks now (its people
    /// changed: someone left); a member who hid it is left alone (it stays hidden).
    ///
    /// # Errors
    /// A store failure.
    pub(super) async fn refresh_group(&self, room: &RoomRecord) -> AppResult<()> {
        let store = &self.hub.store;
        for member in store.member_ids(room.id).await? {
            let Some(saved) = store.saved_room(member, room.id).await? else {
                continue;
            };
            if let Some(user) = store.user_by_id(member).await? {
                self.send_saved(&user, saved).await?;
            }
        }
        Ok(())
    }

    async fn send_saved(&self, user: &User, saved: store::SavedRoom) -> AppResult<()> {
        let view = self.saved_view(saved, user).await?;
        self.fanout.to_user(user.id, &view).await;
        Ok(())
    }

    async fn saved_view(
        &self,
        saved: store::SavedRoom,
        viewer: &User,
    ) -> AppResult<protocol::SavedRoom> {
        let room = self.summary(&saved.room, viewer).await?;
        Ok(listed((saved, room)))
    }

    /// `user`'s read marker in a room of their list, as they see it now (for `join`).
    ///
    /// # Errors
    /// A store failure.
    pub(super) async fn read_marker(
        &self,
        user: &User,
        room: &RoomRecord,
    ) -> AppResult<Option<ReadMarker>> {
        Ok(self
            .hub
            .store
            .saved_room(user.id, room.id)
            .await?
            .map(|saved| marker_of(room.name.clone(), &saved)))
    }
}

/// The read marker the contract shows for a saved room.
fn marker_of(room: String, saved: &store::SavedRoom) -> ReadMarker {
    ReadMarker {
        room,
        last_read: saved.last_read,
        unread: saved.unread,
        through: Some(saved.through),
    }
}

fn not_listed(name: &str) -> AppError {
    AppError::new(
        ErrorCode::NotMember,
        format!("`{name}` is not in your list of rooms"),
    )
}

/// A room of a user's list as its owner sees it: the stored entry with the room's summary.
fn listed((saved, room): (store::SavedRoom, protocol::Room)) -> protocol::SavedRoom {
    protocol::SavedRoom {
        room,
        last_read: saved.last_read,
        unread: saved.unread,
        muted: saved.muted,
        through: Some(saved.through),
    }
}
