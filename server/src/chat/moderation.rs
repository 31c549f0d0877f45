//! Moderation in rooms: room creators and admins remove members from private rooms and mute
//! people in a room for a time, and an admin banning someone removes what they made lately
//! (the ban itself is the accounts service's). Every action is recorded in the audit log,
//! which admins see live.

use protocol::events::{AuditAction, NotificationKind};
use protocol::{MessageDeleted, Role, User, validate};
use store::{NewAudit, NewNotification, RoomKind, RoomRecord};

use super::{Actor, Chat};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};

impl Chat {
    /// Whether `user` moderates `room`: the creator of an ordinary room, or an admin as
    /// stored now (see [`crate::accounts::Accounts::current_role`]).
    pub(super) async fn moderates(&self, user: &User, room: &RoomRecord) -> AppResult<bool> {
        Ok(Self::moderates_as(
            user,
            self.accounts.current_role(user).await?,
            room,
        ))
    }

    /// Whether `user`, whose role is `role`, moderates `room`: an admin, or the creator of an
    /// ordinary room.
    fn moderates_as(user: &User, role: Role, room: &RoomRecord) -> bool {
        role == Role::Admin || (room.kind == RoomKind::Room && room.owner == Some(user.id))
    }

    /// The person a moderator acts on in `room`: exists, is not the moderator, and does not
    /// moderate the room themselves.
    async fn moderated(&self, by: &User, room: &RoomRecord, username: &str) -> AppResult<User> {
        if !self.moderates(by, room).await? {
            return Err(AppError::forbidden(
                "only the room's creator or an admin can do that",
            ));
        }
        let target = self.accounts.existing_user(username).await?;
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
        // Only a moderator may let them back in (see `invite`).
        self.hub
            .store
            .record_kick(room.id, target.id, crate::clock::now_ms())
            .await?;
        self.tell_moderated(
            &target,
            format!("{} removed you from {}", actor.user.username, room.name),
            "Only its creator or an admin can invite you back.".into(),
            None,
        )
        .await;
        self.audit
            .record(NewAudit {
                actor_id: actor.user.id,
                actor: &actor.user.username,
                action: AuditAction::Kick,
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
        let now = now_ms();
        let until = (minutes > 0).then(|| now + i64::from(minutes) * 60_000);
        let was_muted = self
            .hub
            .store
            .muted_until(room.id, target.id, now)
            .await?
            .is_some();
        self.hub.store.set_mute(room.id, target.id, until).await?;
        let place = room_place(&room);
        if minutes > 0 {
            self.tell_moderated(
                &target,
                format!(
                    "{} muted you in {place} for {minutes} minutes",
                    actor.user.username
                ),
                "You can read the room; what you write there is refused until then.".into(),
                Some(protocol::links::room(&room.name)),
            )
            .await;
        } else if was_muted {
            self.tell_moderated(
                &target,
                format!("{} lifted your mute in {place}", actor.user.username),
                String::new(),
                Some(protocol::links::room(&room.name)),
            )
            .await;
        }
        self.audit
            .record(NewAudit {
                actor_id: actor.user.id,
                actor: &actor.user.username,
                action: if minutes > 0 {
                    AuditAction::Mute
                } else {
                    AuditAction::Unmute
                },
                target: Some(&target.username),
                room: Some(&room.name),
                detail: (minutes > 0).then(|| format!("{minutes} min")),
            })
            .await;
        Ok(())
    }

    /// Tells someone a moderator acted on them (a stored notification, so it reaches them
    /// later if they are away); a failure is logged, the action stands.
    pub(super) async fn tell_moderated(
        &self,
        target: &User,
        title: String,
        body: String,
        url: Option<String>,
    ) {
        let note = NewNotification {
            kind: NotificationKind::Moderation,
            title,
            body,
            url,
        };
        if let Err(error) = self.notifier.to_user(target.id, &note).await {
            tracing::warn!(%error, "telling someone they were moderated");
        }
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

    /// Removes what `target` made in the last `hours` (an admin banning them, `by`'s role
    /// checked against the store): their messages are deleted as a moderator's deletion does,
    /// on everyone's screen too; their files go; the rooms they created are closed. Recorded
    /// in the moderation log with what went.
    ///
    /// # Errors
    /// A failure (what was removed before it stays removed).
    pub async fn remove_recent(&self, by: &User, target: &User, hours: u32) -> AppResult<()> {
        let now = now_ms();
        let since = now - i64::from(hours) * 3_600_000;
        let store = &self.hub.store;
        // A batch per transaction, each on every screen as it goes.
        let mut messages = 0_u64;
        let mut files = 0_u64;
        loop {
            let batch = store
                .remove_recent_messages(target.id, since, now, REMOVE_BATCH)
                .await?;
            if batch.messages.is_empty() {
                break;
            }
            messages += batch.messages.len() as u64;
            files += batch.files.len() as u64;
            for file in &batch.files {
                self.hub.files.remove(file).await;
            }
            for message in &batch.messages {
                let event = MessageDeleted {
                    room: message.room.clone(),
                    id: message.id,
                };
                self.fanout.to_room(message.room_id, &event).await;
            }
        }
        let uploads = store.remove_recent_uploads(target.id, since).await?;
        files += uploads.len() as u64;
        for file in &uploads {
            self.hub.files.remove(file).await;
        }
        let created = store.rooms_created_since(target.id, since).await?;
        for room in &created {
            if room.name != protocol::events::GENERAL_ROOM {
                self.close(by, room).await?;
            }
        }
        let rooms = created.len() as u64;
        let detail = format!(
            "{messages} message{}, {rooms} room{}, {files} file{} from the last {hours} h",
            plural(messages),
            plural(rooms),
            plural(files),
        );
        tracing::info!(user = %target.username, by = %by.username, %detail, "recent content removed");
        self.audit
            .record(NewAudit {
                actor_id: by.id,
                actor: &by.username,
                action: AuditAction::RemoveContent,
                target: Some(&target.username),
                room: None,
                detail: Some(detail),
            })
            .await;
        Ok(())
    }
}

/// Messages deleted per transaction when a ban removes what an account made.
const REMOVE_BATCH: i64 = 500;

/// How a room is named to a person: a DM is "a direct conversation", a group "a group
/// conversation".
fn room_place(room: &RoomRecord) -> String {
    if room.is_group() {
        "a group conversation".into()
    } else if room.kind == RoomKind::Dm {
        "a direct conversation".into()
    } else {
        room.name.clone()
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

/// The `s` of a count other than one.
fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
