//! Rooms: the directory, creating rooms, private-room membership (invites, leaving for good),
//! direct conversations, and closing a room (admins).

use protocol::events::AuditAction;
use protocol::events::GENERAL_ROOM;
use protocol::events::NotificationKind;
use protocol::names::{self, is_dm_name};
use protocol::{ErrorCode, Role, Room, RoomClosed, RoomCreated, RoomUpdated, User, validate};
use store::{NewNotification, RoomKind, RoomRecord};

use super::{Actor, Chat};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::fanout::{broadcast, room_channel};
use crate::live::limits::Action;

impl Chat {
    /// The rooms `user` may join: their private rooms and DMs first, then public rooms,
    /// busiest first.
    ///
    /// # Errors
    /// A failure of the store or the live state.
    pub async fn directory(&self, user: &User) -> AppResult<Vec<Room>> {
        let visible = self.hub.store.visible_rooms(user.id).await?;
        let mut rooms = self.summaries(&visible, user).await?;
        rooms.sort_by(|a, b| {
            (
                !a.private,
                std::cmp::Reverse(a.members),
                a.name.to_lowercase(),
            )
                .cmp(&(
                    !b.private,
                    std::cmp::Reverse(b.members),
                    b.name.to_lowercase(),
                ))
        });
        Ok(rooms)
    }

    /// A new public or private room (the creator is a member of a private one). Room names
    /// are public: a name taken by a private room is answered like any taken name.
    ///
    /// # Errors
    /// `bad_request` (name, topic), `rate_limited`, `forbidden` past the room caps,
    /// `conflict` for a taken name, or a failure.
    pub async fn create_room(
        &self,
        actor: &Actor,
        raw_name: &str,
        topic: Option<&str>,
        private: bool,
    ) -> AppResult<Room> {
        let name = names::room_name(raw_name)?;
        if is_dm_name(&name) {
            return Err(AppError::bad_request(
                "names starting with `dm-` are kept for direct messages",
            ));
        }
        let topic = validate::topic(topic)?;
        self.charge(actor, Action::Join).await?;
        let role = self.accounts.current_role(&actor.user).await?;
        if role != Role::Admin {
            self.charge(actor, Action::CreateRoom).await?;
        }
        self.check_room_caps(&actor.user, role).await?;
        let room = self
            .hub
            .store
            .create_room(
                &name,
                topic.as_deref(),
                private,
                RoomKind::Room,
                actor.user.id,
                now_ms(),
            )
            .await
            .map_err(|error| match error {
                store::StoreError::Conflict => AppError::new(
                    ErrorCode::Conflict,
                    format!("a room called `{name}` already exists"),
                ),
                other => other.into(),
            })?;
        tracing::info!(room = %room.name, private = room.private, by = %actor.user.username, "room created");
        let summary = self.summary(&room, &actor.user).await?;
        if !room.private {
            let created = RoomCreated {
                room: summary.clone(),
            };
            self.fanout.to_everyone(&created).await;
        }
        Ok(summary)
    }

    /// Changes a room's topic (its creator or an admin; not in DMs); everyone who can see the
    /// room gets `room_updated`: every `/chat` socket for a public room, the room's followers
    /// for a private one.
    ///
    /// # Errors
    /// `bad_request` (name, topic, a DM), `not_found`, `forbidden`, `rate_limited`, or a
    /// failure.
    pub async fn set_topic(
        &self,
        actor: &Actor,
        raw_room: &str,
        raw_topic: Option<&str>,
    ) -> AppResult<Room> {
        let topic = validate::topic(raw_topic)?;
        let mut room = self.visible_room(&actor.user, raw_room).await?;
        if room.kind == RoomKind::Dm {
            return Err(AppError::bad_request("a direct conversation has no topic"));
        }
        if !self.moderates(&actor.user, &room).await? {
            return Err(AppError::forbidden(
                "only the room's creator or an admin can change its topic",
            ));
        }
        self.charge(actor, Action::Join).await?;
        self.hub.store.set_topic(room.id, topic.as_deref()).await?;
        self.hub.rooms.forget(&store::name_key(&room.name));
        room.topic = topic;
        let summary = self.summary(&room, &actor.user).await?;
        let event = RoomUpdated {
            room: summary.clone(),
        };
        if room.private {
            self.fanout.to_room(room.id, &event).await;
        } else {
            self.fanout.to_everyone(&event).await;
        }
        tracing::info!(room = %room.name, by = %actor.user.username, "topic changed");
        Ok(summary)
    }

    /// Refuses a new room past the user's cap (lower for guests; none for admins) or the
    /// server's (admins are never held to it, so a full server cannot lock them out); guests
    /// together may hold at most half of the server's rooms, so a crowd of throwaway guest
    /// accounts cannot take every room there is.
    async fn check_room_caps(&self, user: &User, role: Role) -> AppResult<()> {
        let config = &self.hub.config;
        if role == Role::Guest
            && self.hub.store.open_rooms_of_guests().await? >= config.max_rooms / 2
        {
            return Err(AppError::forbidden(
                "guests have opened as many rooms as this server lets guests open; \
                 register an account, or ask an admin",
            ));
        }
        let cap = match role {
            Role::Guest => Some(config.max_rooms_per_guest),
            Role::Member => Some(config.max_rooms_per_user),
            Role::Admin => None,
        };
        if let Some(cap) = cap
            && self.hub.store.rooms_created_by(user.id).await? >= cap
        {
            return Err(AppError::forbidden(format!(
                "you may have at most {cap} open rooms; ask an admin to close one"
            )));
        }
        if role != Role::Admin && self.hub.store.open_room_count().await? >= config.max_rooms {
            return Err(AppError::forbidden(
                "this server has as many rooms as it allows; ask an admin",
            ));
        }
        Ok(())
    }

    /// A member of a private room lets someone else in (and notifies them).
    ///
    /// # Errors
    /// `not_found` (room or user), `bad_request` for a public room, `forbidden` for a DM or
    /// for someone removed from the room (unless the inviter moderates it), `rate_limited`, or
    /// a failure.
    pub async fn invite(&self, actor: &Actor, raw_room: &str, username: &str) -> AppResult<()> {
        let room = self.visible_room(&actor.user, raw_room).await?;
        if !room.private {
            return Err(AppError::bad_request(
                "public rooms are open to everyone; no invite needed",
            ));
        }
        if room.kind == RoomKind::Dm {
            return Err(AppError::forbidden(if room.is_group() {
                "a group conversation keeps the people it started with; start a new one with everyone"
            } else {
                "a direct conversation stays between its two people"
            }));
        }
        self.charge(actor, Action::Join).await?;
        let invitee = self.accounts.existing_person(username).await?;
        if invitee.id != actor.user.id {
            self.check_not_blocked(&actor.user, &invitee, "invites")
                .await?;
        }
        if self.hub.store.was_kicked(room.id, invitee.id).await? {
            if !self.moderates(&actor.user, &room).await? {
                return Err(AppError::forbidden(format!(
                    "{} was removed from {}; only its creator or an admin can invite them back",
                    invitee.username, room.name
                )));
            }
            self.hub.store.forgive_kick(room.id, invitee.id).await?;
        }
        self.hub
            .store
            .add_member(room.id, invitee.id, now_ms())
            .await?;
        self.save_room_for(invitee.id, &room, None).await?;
        if invitee.id != actor.user.id {
            let new = NewNotification {
                kind: NotificationKind::Invite,
                title: format!("{} invited you to {}", actor.user.username, room.name),
                body: room.topic.clone().unwrap_or_default(),
                url: Some(protocol::links::room(&room.name)),
            };
            self.notifier.to_user(invitee.id, &new).await?;
        }
        tracing::info!(room = %room.name, invitee = %invitee.username, by = %actor.user.username, "invited");
        Ok(())
    }

    /// The private room of the actor and one other person, created on first use.
    ///
    /// # Errors
    /// `not_found`, `bad_request` for oneself, `forbidden` when either blocks the other,
    /// `rate_limited`, or a failure.
    pub async fn dm(&self, actor: &Actor, username: &str) -> AppResult<Room> {
        let peer = self.accounts.existing_person(username).await?;
        if peer.id == actor.user.id {
            return Err(AppError::bad_request(
                "a direct conversation needs someone else",
            ));
        }
        self.check_not_blocked(&actor.user, &peer, "direct messages")
            .await?;
        self.charge(actor, Action::Join).await?;
        // Opening a new conversation has a daily budget of its own; reopening one does not.
        let name = store::dm_name(actor.user.id, peer.id);
        if self.hub.store.room_by_name(&name).await?.is_none() {
            self.charge(actor, Action::NewDm).await?;
        }
        let room = self
            .hub
            .store
            .dm_room(actor.user.id, peer.id, now_ms())
            .await?;
        self.save_room(&actor.user, &room).await?;
        self.save_room(&peer, &room).await?;
        self.summary(&room, &actor.user).await
    }

    /// The conversation of the actor and 2 to 7 others (v1.20), created on first use and saved
    /// in everyone's list; the same people always get the same conversation back.
    ///
    /// # Errors
    /// `bad_request` (names, too few or too many people, a bot), `not_found`, `forbidden` when
    /// the actor and one of them block each other, `rate_limited`, or a failure.
    pub async fn group_dm(&self, actor: &Actor, raw: &[String]) -> AppResult<Room> {
        let names = validate::group_dm_people(raw)?;
        let mut others: Vec<User> = Vec::with_capacity(names.len());
        for name in &names {
            let person = self.accounts.existing_person(name).await?;
            if person.id != actor.user.id && !others.iter().any(|o| o.id == person.id) {
                others.push(person);
            }
        }
        if others.len() < validate::GROUP_DM_OTHERS_MIN {
            return Err(AppError::bad_request(
                "a group conversation needs at least two other people (for one, use a direct message)",
            ));
        }
        if others.len() >= validate::GROUP_DM_PEOPLE_MAX {
            return Err(AppError::bad_request(format!(
                "a group conversation has at most {} people, you included",
                validate::GROUP_DM_PEOPLE_MAX
            )));
        }
        for other in &others {
            self.check_not_blocked(&actor.user, other, "group conversations")
                .await?;
        }
        self.charge(actor, Action::Join).await?;
        let mut people: Vec<i64> = others.iter().map(|other| other.id).collect();
        people.push(actor.user.id);
        // Putting someone in a conversation they are not in draws on the daily budget of new
        // conversations, once per person (a group lands in every list, as that many DMs
        // would); reopening a group with the same people in it is free.
        let already: Vec<i64> = match self
            .hub
            .store
            .room_by_name(&store::group_dm_name(&people))
            .await?
        {
            Some(room) => self.hub.store.member_ids(room.id).await?,
            None => Vec::new(),
        };
        let newcomers = others
            .iter()
            .filter(|other| !already.contains(&other.id))
            .count();
        if newcomers > 0 {
            self.charge_units(
                actor,
                Action::NewDm,
                u32::try_from(newcomers).unwrap_or(u32::MAX),
            )
            .await?;
        }
        let room = self
            .hub
            .store
            .group_dm_room(&people, actor.user.id, now_ms())
            .await?;
        self.save_room(&actor.user, &room).await?;
        for other in &others {
            self.save_room(other, &room).await?;
        }
        tracing::info!(room = %room.name, by = %actor.user.username, people = people.len(), "group conversation opened");
        self.summary(&room, &actor.user).await
    }

    /// Gives up membership of a private room (or declines its invite). Every connection of
    /// the user, on every node, leaves it; to come back they need a new invite.
    ///
    /// # Errors
    /// `not_found`, `bad_request` for a public room, or a failure.
    pub async fn leave_for_good(&self, user: &User, raw_room: &str) -> AppResult<()> {
        let room = self.visible_room(user, raw_room).await?;
        if !room.private {
            return Err(AppError::bad_request(
                "public rooms are open to everyone: there is no membership to give up",
            ));
        }
        self.hub.store.remove_member(room.id, user.id).await?;
        self.unsave_room(user, &room).await?;
        if room.is_group() {
            self.refresh_group(&room).await?;
        }
        tracing::info!(room = %room.name, user = %user.username, "left a private room");
        Ok(())
    }

    /// Closes a room for good (admins): everyone in it, on every node, is told and taken out.
    /// The caller's role must have been checked against the store.
    ///
    /// # Errors
    /// `not_found`, `forbidden` for `general`, or a failure.
    pub async fn close_room(&self, by: &User, raw_room: &str) -> AppResult<()> {
        let name = names::room_name(raw_room)?;
        let room = self
            .hub
            .store
            .room_by_name(&name)
            .await?
            .filter(|room| !room.closed)
            .ok_or_else(|| AppError::not_found(format!("there is no open room called `{name}`")))?;
        if room.name == GENERAL_ROOM {
            return Err(AppError::forbidden(
                "general is the room everyone can always join",
            ));
        }
        self.close(by, &room).await
    }

    /// Closes an open room for good (not `general`; checked by the caller): it leaves every
    /// list and cache, and everyone inside is told and taken out. Recorded in the moderation
    /// log.
    ///
    /// # Errors
    /// A failure.
    pub(super) async fn close(&self, by: &User, room: &RoomRecord) -> AppResult<()> {
        self.hub.store.close_room(room.id, now_ms()).await?;
        self.hub.rooms.forget(&store::name_key(&room.name));
        self.empty_room(room).await?;
        tracing::info!(room = %room.name, by = %by.username, "room closed");
        self.audit
            .record(store::NewAudit {
                actor_id: by.id,
                actor: &by.username,
                action: AuditAction::CloseRoom,
                target: None,
                room: Some(&room.name),
                detail: None,
            })
            .await;
        Ok(())
    }

    /// Tells everyone in a closed room, takes them out of its presence and its channel.
    async fn empty_room(&self, room: &RoomRecord) -> AppResult<()> {
        let Some(chat) = self.fanout.chat() else {
            return Ok(());
        };
        let channel = room_channel(room.id);
        let inside = chat.to(channel.clone());
        let notice = RoomClosed {
            room: room.name.clone(),
        };
        broadcast(inside.clone(), &notice).await;
        match inside.clone().fetch_sockets().await {
            Ok(sockets) => {
                for socket in sockets {
                    self.hub
                        .live
                        .leave(&socket.data().id.to_string(), room.id)
                        .await?;
                }
            }
            Err(error) => tracing::warn!(%error, "listing a closed room's sockets"),
        }
        if let Err(error) = inside.leave(channel).await {
            tracing::warn!(%error, "emptying a closed room's channel");
        }
        Ok(())
    }
}
