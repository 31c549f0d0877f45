//! Moderation: room creators and admins remove members from private rooms and mute people in a
//! room for a time; admins ban accounts. Every action is recorded in the audit log, which
//! admins see live.

use protocol::events::{admin, audit_actions, chat, notifications};
use protocol::{AuditEntry, Role, User, validate};
use store::{NewAudit, RoomKind, RoomRecord};

use super::{Actor, Chat, existing_user};
use crate::auth::now_ms;
use crate::error::{AppError, AppResult};
use crate::socket::{broadcast, user_channel};

impl Chat {
    /// Whether `user` moderates `room`: the creator of an ordinary room, or an admin as
    /// stored now (see [`Self::current_role`]).
    pub(super) async fn moderates(&self, user: &User, room: &RoomRecord) -> AppResult<bool> {
        Ok(Self::moderates_as(
            user,
            self.current_role(user).await?,
            room,
        ))
    }

    /// Whether `user`, whose role is `role`, moderates `room`: an admin, or the creator of an
    /// ordinary room.
    fn moderates_as(user: &User, role: Role, room: &RoomRecord) -> bool {
        role == Role::Admin || (room.kind == RoomKind::Room && room.owner == Some(user.id))
    }

    /// `user`'s role as stored now. A socket's copy of its user is from when it connected;
    /// what a role allows is decided on this, so a demotion takes effect at once (and a
    /// promotion too). An account that no longer exists has a guest's rights.
    pub(super) async fn current_role(&self, user: &User) -> AppResult<Role> {
        Ok(self
            .hub
            .store
            .user_by_id(user.id)
            .await?
            .map_or(Role::Guest, |stored| stored.role))
    }

    /// Records a moderation action and shows it to every admin watching `/admin`.
    pub async fn audit(&self, entry: NewAudit<'_>) {
        match self.hub.store.record_audit(&entry, now_ms()).await {
            Ok(recorded) => {
                if let Some(admins) = self.hub.ns(&self.io, admin::NS) {
                    broadcast::<AuditEntry>(admins, &recorded).await;
                }
            }
            Err(error) => {
                tracing::error!(%error, action = entry.action, "recording a moderation action")
            }
        }
    }

    /// The person a moderator acts on in `room`: exists, is not the moderator, and does not
    /// moderate the room themselves.
    async fn moderated(&self, by: &User, room: &RoomRecord, username: &str) -> AppResult<User> {
        if !self.moderates(by, room).await? {
            return Err(AppError::forbidden(
                "only the room's creator or an admin can do that",
            ));
        }
        let target = existing_user(&self.hub, username).await?;
        if target.id == by.id {
            return Err(AppError::forbidden("you cannot do that to yourself"));
        }
        if Self::moderates_as(&target, target.role, room) {
            return Err(AppError::forbidden(format!(
                "{} moderates this room too",
                target.username
            )));
        }
        Ok(target)
    }

    /// Removes someone from a private room: their membership ends, every socket of theirs
    /// leaves it and their room list drops it.
    ///
    /// # Errors
    /// `not_found` (room, user, not a member), `bad_request` (public room or DM), `forbidden`,
    /// or a failure.
    pub async fn kick(&self, actor: &Actor, raw_room: &str, username: &str) -> AppResult<()> {
        let room = self.visible_room(&actor.user, raw_room).await?;
        if !room.private || room.kind == RoomKind::Dm {
            return Err(AppError::bad_request(
                "only members of private rooms can be removed; mute someone in a public room",
            ));
        }
        let target = self.moderated(&actor.user, &room, username).await?;
        if !self.hub.store.is_member(room.id, target.id).await? {
            return Err(AppError::not_found(format!(
                "{} is not a member of {}",
                target.username, room.name
            )));
        }
        self.leave_for_good(&target, &room.name).await?;
        self.audit(NewAudit {
            actor_id: actor.user.id,
            actor: &actor.user.username,
            action: audit_actions::KICK,
            target: Some(&target.username),
            room: Some(&room.name),
            detail: None,
        })
        .await;
        Ok(())
    }

    /// Mutes someone in a room for `minutes` (0 lifts the mute): their messages there are
    /// refused until then.
    ///
    /// # Errors
    /// `bad_request` (minutes), `not_found`, `forbidden`, or a failure.
    pub async fn mute(
        &self,
        actor: &Actor,
        raw_room: &str,
        username: &str,
        minutes: u32,
    ) -> AppResult<()> {
        if minutes > validate::MUTE_MINUTES_MAX {
            return Err(AppError::bad_request(format!(
                "a mute lasts at most {} minutes",
                validate::MUTE_MINUTES_MAX
            )));
        }
        let room = self.visible_room(&actor.user, raw_room).await?;
        let target = self.moderated(&actor.user, &room, username).await?;
        let until = (minutes > 0).then(|| now_ms() + i64::from(minutes) * 60_000);
        self.hub.store.set_mute(room.id, target.id, until).await?;
        self.audit(NewAudit {
            actor_id: actor.user.id,
            actor: &actor.user.username,
            action: if minutes > 0 {
                audit_actions::MUTE
            } else {
                audit_actions::UNMUTE
            },
            target: Some(&target.username),
            room: Some(&room.name),
            detail: (minutes > 0).then(|| format!("{minutes} min")),
        })
        .await;
        Ok(())
    }

    /// Refuses a message from someone muted in the room.
    ///
    /// # Errors
    /// `forbidden` while the mute lasts, or a store failure.
    pub(super) async fn check_not_muted(&self, room: &RoomRecord, user: &User) -> AppResult<()> {
        let now = now_ms();
        match self.hub.store.muted_until(room.id, user.id, now).await? {
            Some(until) => Err(muted(room, until, now)),
            None => Ok(()),
        }
    }

    /// Bans an account (admins; the caller's role must have been checked against the store):
    /// its sessions end, every socket of it on every node is disconnected, and it cannot sign
    /// in. `unban` lifts it.
    ///
    /// # Errors
    /// `not_found`, `forbidden` (yourself, an admin), or a failure.
    pub async fn ban(&self, by: &User, username: &str, banned: bool) -> AppResult<()> {
        let target = existing_user(&self.hub, username).await?;
        if target.id == by.id {
            return Err(AppError::forbidden("you cannot ban yourself"));
        }
        if banned && target.role == Role::Admin {
            return Err(AppError::forbidden(format!(
                "{} is an admin; demote them first",
                target.username
            )));
        }
        if !self
            .hub
            .store
            .set_banned(target.id, banned, now_ms())
            .await?
        {
            return Ok(());
        }
        if banned {
            for ns in [chat::NS, notifications::NS, admin::NS] {
                if let Some(operators) = self.hub.ns(&self.io, ns)
                    && let Err(error) = operators.to(user_channel(target.id)).disconnect().await
                {
                    tracing::warn!(%error, "disconnecting a banned account");
                }
            }
        }
        tracing::info!(user = %target.username, by = %by.username, banned, "ban changed");
        self.audit(NewAudit {
            actor_id: by.id,
            actor: &by.username,
            action: if banned {
                audit_actions::BAN
            } else {
                audit_actions::UNBAN
            },
            target: Some(&target.username),
            room: None,
            detail: None,
        })
        .await;
        Ok(())
    }
}

/// The answer to someone muted in `room` until `until` (ms), at `now`.
pub(super) fn muted(room: &RoomRecord, until: i64, now: i64) -> AppError {
    let minutes = (until - now + 59_999) / 60_000;
    AppError::forbidden(format!(
        "you are muted in {} for {minutes} more minute{}",
        room.name,
        if minutes == 1 { "" } else { "s" }
    ))
}
