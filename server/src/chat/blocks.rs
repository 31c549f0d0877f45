//! Blocking (v1.11): someone you block cannot open or write in a DM with you, invite you to a
//! room or notify you with a mention; the DM you had with them leaves your list. Blocking is
//! one-way and private: nobody is told, and the blocked person learns it only when one of
//! those is refused.

use protocol::{Blocks, User, validate};
use store::{RoomKind, RoomRecord};

use super::{Actor, Chat};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::live::limits::Action;

impl Chat {
    /// `actor` blocks (or unblocks) `username`; every `/chat` socket of theirs gets the new
    /// list. Blocking hides the DM they had from the blocker's list.
    ///
    /// # Errors
    /// `not_found`, `bad_request` (yourself), `conflict` (past
    /// [`validate::BLOCKS_MAX`]), `rate_limited`, or a failure.
    pub async fn set_blocked(&self, actor: &Actor, username: &str, blocked: bool) -> AppResult<()> {
        let other = self.accounts.existing_user(username).await?;
        let me = &actor.user;
        if other.id == me.id {
            return Err(AppError::bad_request("you cannot block yourself"));
        }
        self.charge(actor, Action::Join).await?;
        let store = &self.hub.store;
        let changed = if blocked {
            store
                .block(me.id, other.id, validate::BLOCKS_MAX, now_ms())
                .await
                .map_err(|error| match error {
                    store::StoreError::Conflict => AppError::new(
                        protocol::ErrorCode::Conflict,
                        format!(
                            "you block {} people already; unblock someone first",
                            validate::BLOCKS_MAX
                        ),
                    ),
                    other => other.into(),
                })?
        } else {
            store.unblock(me.id, other.id).await?
        };
        if !changed {
            return Ok(());
        }
        if blocked && let Some(dm) = store.room_by_name(&store::dm_name(me.id, other.id)).await? {
            self.unsave_room(me, &dm).await?;
        }
        tracing::debug!(user = %me.username, other = %other.username, blocked, "block changed");
        let list = self.blocks(me).await?;
        self.fanout.to_user(me.id, &list).await;
        Ok(())
    }

    /// Whom `user` blocks.
    ///
    /// # Errors
    /// A failure.
    pub async fn blocks(&self, user: &User) -> AppResult<Blocks> {
        Ok(Blocks {
            users: self.hub.store.blocked_by(user.id).await?,
        })
    }

    /// Refuses `user` writing to `peer` (a DM, an invite) when either blocks the other.
    ///
    /// # Errors
    /// `forbidden` naming who blocked whom, or a failure.
    pub(super) async fn check_not_blocked(
        &self,
        user: &User,
        peer: &User,
        what: &str,
    ) -> AppResult<()> {
        let store = &self.hub.store;
        if store.blocks(peer.id, user.id).await? {
            return Err(AppError::forbidden(format!(
                "{} does not accept {what} from you",
                peer.username
            )));
        }
        if store.blocks(user.id, peer.id).await? {
            return Err(AppError::forbidden(format!(
                "you blocked {}; unblock them first",
                peer.username
            )));
        }
        Ok(())
    }

    /// In a two-person DM, refuses `user` writing (messages, edits, reactions) when either
    /// person blocks the other; other rooms pass without a query (in a group, as in a room, a
    /// block hides one person's messages from the other and silences them, and the group goes
    /// on).
    ///
    /// # Errors
    /// `forbidden`, or a failure.
    pub(super) async fn check_dm_open(&self, room: &RoomRecord, user: &User) -> AppResult<()> {
        if room.kind != RoomKind::Dm || room.is_group() {
            return Ok(());
        }
        if self.hub.store.dm_blocked(room.id, user.id).await? {
            return Err(AppError::forbidden(
                "this conversation is closed: one of you blocked the other",
            ));
        }
        Ok(())
    }
}
