//! The chat service: what people can do with rooms and messages, whoever asks (a socket event
//! today, an HTTP call just as well). Handlers authenticate, decode and answer; the service
//! checks the rules (names, visibility, membership, roles, quotas) and does the work through
//! the store, the live state and the broadcasts, the same on one node or many.
//!
//! * [`rooms`]: the directory, creating rooms, invites, DMs, leaving for good, closing;
//! * [`presence`]: a connection following rooms, who is there, typing, departures;
//! * [`messages`]: sending, history, and the notifications a message triggers;
//! * [`saved`]: each user's list of rooms and read markers, the same on every device;
//! * [`conversation`]: edits, deletions, reactions, catch-up on changes, search;
//! * [`moderation`]: kicks and mutes in rooms, removing what a banned account made;
//! * [`blocks`]: whom each person blocks, and what that refuses;
//! * [`people`]: the directory of everyone, with who is online;
//! * [`files`]: who may upload to a room and download a file;
//! * [`webhooks`]: a room's incoming webhooks, and the messages programs post through them.

mod blocks;
mod bookmarks;
mod bots;
mod commands;
mod conversation;
mod files;
mod first_screen;
mod follow_ups;
mod messages;
mod moderation;
mod people;
mod pins;
mod presence;
mod profiles;
mod rooms;
mod saved;
mod webhooks;

pub use conversation::{SEARCH_TIME_MAX, SEARCH_WAIT};
pub use follow_ups::FOLLOW_UPS_QUEUED;
pub use presence::MEMBERS_BROADCAST_MAX;

use protocol::{Room, User};
use store::{RoomKind, RoomRecord};

use crate::accounts::Accounts;
use crate::audit::Audit;
use crate::callbacks::Callbacks;
use crate::client_addr::AddrKey;
use crate::error::{AppError, AppResult};
use crate::fanout::{Fanout, SocketRef};
use crate::hub::Hub;
use crate::links::LinkPreviews;
use crate::live::limits::Action;
use crate::notify::Notifier;

/// The chat service over one node's hub, broadcasting through its fan-out. Cheap to clone.
#[derive(Clone)]
pub struct Chat {
    hub: Hub,
    fanout: Fanout,
    accounts: Accounts,
    notifier: Notifier,
    audit: Audit,
    follow_ups: follow_ups::FollowUps,
    links: LinkPreviews,
    callbacks: Callbacks,
}

/// Who is acting: a signed-in user, from a client address (both are charged for quotas).
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user.
    pub user: User,
    /// Their client's address key.
    pub addr: AddrKey,
}

/// A live connection of an [`Actor`]: following rooms, presence and typing belong to it.
#[derive(Clone)]
pub struct Connection {
    /// Who is connected.
    pub actor: Actor,
    /// Their `/chat` socket.
    pub socket: SocketRef,
    /// Whether this is a bot's connection (v1.28): what it sends shows as from a bot.
    pub bot: bool,
}

impl Connection {
    /// The socket id, as the live state knows it.
    #[must_use]
    pub fn sid(&self) -> String {
        self.socket.id.to_string()
    }

    fn user(&self) -> &User {
        &self.actor.user
    }
}

impl Chat {
    /// The service over `hub`, broadcasting through `fanout`, with the services it uses.
    #[must_use]
    pub fn new(
        hub: Hub,
        fanout: Fanout,
        accounts: Accounts,
        notifier: Notifier,
        audit: Audit,
    ) -> Self {
        let links = LinkPreviews::new(hub.clone(), fanout.clone());
        let callbacks = Callbacks::new(&hub.config);
        Self {
            hub,
            fanout,
            accounts,
            notifier,
            audit,
            follow_ups: follow_ups::FollowUps::new(),
            links,
            callbacks,
        }
    }

    /// Takes one unit of a specific quota (messages, joins) from the actor and their address.
    async fn charge(&self, actor: &Actor, action: Action) -> AppResult<()> {
        self.charge_units(actor, action, 1).await
    }

    /// [`Self::charge`] `units` at once (all or nothing).
    ///
    /// # Errors
    /// `rate_limited` when the budget has less.
    async fn charge_units(&self, actor: &Actor, action: Action, units: u32) -> AppResult<()> {
        if self
            .hub
            .live
            .charge(action, actor.user.id, actor.addr, units)
            .await
        {
            Ok(())
        } else {
            Err(AppError::rate_limited())
        }
    }

    /// A room `user` may see and join: open, and public or one they belong to. Anything else
    /// is `not_found`, so private rooms cannot be discovered by guessing names.
    ///
    /// # Errors
    /// `bad_request` for an invalid name, `not_found`, or a store failure.
    pub async fn visible_room(&self, user: &User, raw_name: &str) -> AppResult<RoomRecord> {
        let name = protocol::names::room_name(raw_name)?;
        let not_found = || AppError::not_found(format!("there is no room called `{name}`"));
        let room = self
            .hub
            .store
            .room_by_name(&name)
            .await?
            .filter(|room| !room.closed)
            .ok_or_else(not_found)?;
        if room.private && !self.hub.store.is_member(room.id, user.id).await? {
            return Err(not_found());
        }
        Ok(room)
    }

    /// The room with this id if `user` may see it (open, and public or one they belong to);
    /// `None` otherwise, so callers answer as if the thing in it did not exist.
    ///
    /// # Errors
    /// A store failure.
    pub(super) async fn visible_room_by_id(
        &self,
        user: &User,
        room_id: i64,
    ) -> AppResult<Option<RoomRecord>> {
        let Some(room) = self
            .hub
            .store
            .room_by_id(room_id)
            .await?
            .filter(|room| !room.closed)
        else {
            return Ok(None);
        };
        if room.private && !self.hub.store.is_member(room.id, user.id).await? {
            return Ok(None);
        }
        Ok(Some(room))
    }

    /// Whether a connection may still speak in a room it joined: the room is open and, if
    /// private, the user is still a member (both can change on another node after the join).
    async fn still_welcome(&self, room: &RoomRecord, user: &User) -> AppResult<bool> {
        if room.closed {
            return Ok(false);
        }
        Ok(!room.private || self.hub.store.is_member(room.id, user.id).await?)
    }

    /// A room this connection has joined; `not_member` otherwise (whether or not the room
    /// exists).
    ///
    /// # Errors
    /// `bad_request` for an invalid name, `not_member`, or a failure.
    pub async fn joined_room(&self, conn: &Connection, raw_name: &str) -> AppResult<RoomRecord> {
        let name = protocol::names::room_name(raw_name)?;
        let not_member = || {
            AppError::new(
                protocol::ErrorCode::NotMember,
                format!("join `{name}` first"),
            )
        };
        let room = self.room_named(&name).await?.ok_or_else(not_member)?;
        if self.hub.live.is_in(&conn.sid(), room.id).await?
            && self.still_welcome(&room, conn.user()).await?
        {
            Ok(room)
        } else {
            Err(not_member())
        }
    }

    /// A room by its (valid) name, through the node's cache (see [`crate::room_cache`]).
    async fn room_named(&self, name: &str) -> AppResult<Option<RoomRecord>> {
        let key = store::name_key(name);
        if let Some(room) = self.hub.rooms.get(&key) {
            return Ok(Some(room));
        }
        let room = self.hub.store.room_by_name(name).await?;
        if let Some(room) = &room {
            self.hub.rooms.put(key, room.clone());
        }
        Ok(room)
    }

    /// [`Self::summary`] of each room, in their order, at a cost that does not grow with their
    /// number: one live-state round trip for all the counts and one query per 500 DMs for who
    /// is on the other side.
    ///
    /// # Errors
    /// A failure of the store or the live state.
    pub async fn summaries(&self, rooms: &[RoomRecord], viewer: &User) -> AppResult<Vec<Room>> {
        let ids: Vec<i64> = rooms.iter().map(|room| room.id).collect();
        let counts = self.hub.live.counts(&ids).await?;
        let dms: Vec<i64> = rooms
            .iter()
            .filter(|room| room.kind == RoomKind::Dm)
            .map(|room| room.id)
            .collect();
        let mut peers = if dms.is_empty() {
            std::collections::HashMap::new()
        } else {
            self.hub.store.dm_peers(viewer.id, &dms).await?
        };
        Ok(rooms
            .iter()
            .map(|room| Room {
                name: room.name.clone(),
                topic: room.topic.clone(),
                members: counts.get(&room.id).copied().unwrap_or(0),
                private: room.private,
                dm_with: if room.kind == RoomKind::Dm && !room.is_group() {
                    peers.remove(&room.id).and_then(|mut names| names.pop())
                } else {
                    None
                },
                dm_group: if room.is_group() {
                    peers.remove(&room.id).unwrap_or_default()
                } else {
                    Vec::new()
                },
                created_by: room.owner.filter(|_| room.kind == RoomKind::Room),
            })
            .collect())
    }

    /// A room as `viewer` sees it (a DM names the other person, a group the others).
    ///
    /// # Errors
    /// A failure of the store or the live state.
    pub async fn summary(&self, room: &RoomRecord, viewer: &User) -> AppResult<Room> {
        let mut one = self.summaries(std::slice::from_ref(room), viewer).await?;
        one.pop()
            .ok_or_else(|| AppError::invariant("a summary of one room is one room"))
    }
}
