//! Presence: a connection following rooms (joining, leaving, going away), who is present, and
//! "X is typing".

use protocol::validate::{HISTORY_DEFAULT, MEMBERS_PAGE};
use protocol::{
    Members, Message, Presence as PresenceBody, ReadMarker, Typing, TypingReq, User, UserJoined,
    UserLeft,
};
use store::{RoomRecord, Scope};

use super::{Chat, Connection};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::fanout::{broadcast, room_channel, user_channel};
use crate::live::limits::Action;
use crate::live::typing::Place;
use crate::live::{Change, Departure};

/// Rooms with at most this many people present get the full `members` list on every change;
/// larger ones only the `user_joined` / `user_left` deltas (the list is a `members` request
/// away), so one arrival does not cost a message the size of the room to everyone in it.
pub const MEMBERS_BROADCAST_MAX: usize = 50;

/// What joining a room gives the joiner.
pub struct Joined {
    /// The room.
    pub room: RoomRecord,
    /// The first page of people present, by name.
    pub members: Vec<User>,
    /// How many are present in all.
    pub members_total: usize,
    /// The latest messages, oldest first.
    pub history: Vec<Message>,
    /// The joiner's read marker in the room (now in their list).
    pub read: Option<ReadMarker>,
}

impl Chat {
    /// Registers a new `/chat` connection in the live state.
    ///
    /// # Errors
    /// When the live state fails.
    pub async fn connected(&self, conn: &Connection) -> AppResult<()> {
        // Opening the app is acting (v1.21).
        self.hub
            .live
            .connect(&conn.sid(), conn.user(), now_ms())
            .await?;
        Ok(())
    }

    /// A connection went away: it leaves every room it followed, and the rooms it was its
    /// user's last connection in hear that the user left.
    pub async fn disconnected(&self, sid: &str, user: &User) {
        match self.hub.live.disconnect(sid).await {
            Ok(departures) => self.announce_departures(departures, Some(user)).await,
            Err(error) => tracing::error!(%error, "forgetting a socket's presence"),
        }
    }

    /// The connection follows a room it may see: its events reach the connection, the others
    /// hear of the arrival, and the joiner gets who is there and the latest messages.
    /// Re-joining a room already followed is free. With `main` (v1.22), the latest messages
    /// are those of the room's own timeline (no replies in threads).
    ///
    /// # Errors
    /// `not_found` for a room the user may not see, `rate_limited`, or a failure.
    pub async fn join(&self, conn: &Connection, raw_name: &str, main: bool) -> AppResult<Joined> {
        let room = self.visible_room(conn.user(), raw_name).await?;
        let sid = conn.sid();
        let following = self.hub.live.is_in(&sid, room.id).await?;
        if !following {
            self.charge(&conn.actor, Action::Join).await?;
        }
        // The room's channel first: a message stored from now on reaches this socket live, one
        // stored before is in the history read next (one stored in between comes both ways and
        // the client keeps one). Read the other way round, a message stored between the two
        // would reach the joiner neither way.
        conn.socket.join(room_channel(room.id));
        let loaded = self.load_joined(conn.user(), &room, main).await;
        if loaded.is_err() && !following {
            conn.socket.leave(room_channel(room.id));
        }
        let (history, read) = loaded?;
        let mut listed = None;
        if let Some(change) = self.hub.live.join(&sid, room.id).await? {
            listed = self.announce(&room, conn.user(), change, true).await;
        }
        // A kick may have ended the membership while this join ran. Checked again now that the
        // socket is in the room's channel and its presence: a kick removes the membership
        // first and then takes the user's sockets out, so whichever comes last, the kick's
        // clean-up or this check, leaves the user outside.
        if room.private && !self.hub.store.is_member(room.id, conn.user().id).await? {
            self.unsave_room(conn.user(), &room).await?;
            return Err(crate::error::AppError::not_found(format!(
                "there is no room called `{}`",
                room.name
            )));
        }
        // The page the room was just sent, if it was; listing it again would cost a sort (and
        // a round trip to Redis in a cluster) for the same answer.
        let (members, members_total) = match listed {
            Some(page) => page,
            None => self.hub.live.members_page(room.id, 0, MEMBERS_PAGE).await?,
        };
        Ok(Joined {
            room,
            members,
            members_total,
            history,
            read,
        })
    }

    /// What a joiner gets of a room: its latest messages, then (the room is put in their list)
    /// their read marker there, counted after the messages were read so that the two together
    /// give the exact unread count.
    async fn load_joined(
        &self,
        user: &User,
        room: &RoomRecord,
        main: bool,
    ) -> AppResult<(Vec<Message>, Option<ReadMarker>)> {
        let scope = if main { Scope::Main } else { Scope::All };
        let mut history = self
            .hub
            .store
            .history_of(room, scope, None, None, HISTORY_DEFAULT)
            .await?;
        self.hub
            .store
            .for_reader(user.id, history.iter_mut())
            .await?;
        self.save_room(user, room).await?;
        let read = self.read_marker(user, room).await?;
        Ok((history, read))
    }

    /// The connection stops following a room it joined.
    ///
    /// # Errors
    /// `not_member`, or a failure.
    pub async fn leave(&self, conn: &Connection, raw_name: &str) -> AppResult<()> {
        let room = self.joined_room(conn, raw_name).await?;
        conn.socket.leave(room_channel(room.id));
        self.forget_presence(&conn.sid(), &room, conn.user()).await
    }

    /// A page of the people present in a room the connection joined, and how many there are.
    ///
    /// # Errors
    /// `not_member`, or a failure.
    pub async fn members(
        &self,
        conn: &Connection,
        raw_name: &str,
        offset: usize,
    ) -> AppResult<(Vec<User>, usize)> {
        let room = self.joined_room(conn, raw_name).await?;
        Ok(self
            .hub
            .live
            .members_page(room.id, offset, MEMBERS_PAGE)
            .await?)
    }

    /// Starts or ends the connection's user typing in a joined room, in the room itself or
    /// (v1.27) in the thread of `thread`; it ends by itself after the typing TTL (5 s) without
    /// renewal. Typing somewhere else in the room ends it where it was first.
    ///
    /// # Errors
    /// `not_member`, `bad_request` (a thread that is not a positive id), or a failure.
    pub async fn typing(&self, conn: &Connection, req: &TypingReq) -> AppResult<()> {
        if req.thread.is_some_and(|root| root <= 0) {
            return Err(AppError::bad_request("thread is the id of a thread's root"));
        }
        let room = self.joined_room(conn, &req.room).await?;
        let user = conn.user().clone();
        let place = req.thread;
        if !req.active {
            // Only where the typist says they stopped: typing moved elsewhere goes on.
            if self
                .hub
                .live
                .typing_stop_at(room.id, user.id, place)
                .await?
            {
                self.emit_typing(&room, &user, false, place).await;
            }
            return Ok(());
        }
        let ttl = self.hub.config.typing_ttl();
        let started = self
            .hub
            .live
            .typing_start(room.id, user.id, place, ttl)
            .await?;
        match started.was {
            Some(was) if was == place => {}
            Some(was) => {
                self.emit_typing(&room, &user, false, was).await;
                self.emit_typing(&room, &user, true, place).await;
            }
            None => self.emit_typing(&room, &user, true, place).await,
        }
        let chat = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(ttl).await;
            if let Ok(true) = chat
                .hub
                .live
                .typing_expire(room.id, user.id, started.generation, place)
                .await
            {
                chat.emit_typing(&room, &user, false, place).await;
            }
        });
        Ok(())
    }

    /// Takes one connection (of any node) of `user` out of a room's presence, announcing it if
    /// it was their last there.
    pub(super) async fn forget_presence(
        &self,
        sid: &str,
        room: &RoomRecord,
        user: &User,
    ) -> AppResult<()> {
        if let Some(change) = self.hub.live.leave(sid, room.id).await? {
            if change.user_changed {
                self.stop_typing(room, user).await;
            }
            self.announce(room, user, change, false).await;
        }
        Ok(())
    }

    /// Tells the rooms about users who left them when connections went away (a disconnect,
    /// or a dead node's connections cleaned up by another node).
    pub async fn announce_departures(&self, departures: Vec<Departure>, known: Option<&User>) {
        for departure in departures {
            if !departure.change.user_changed {
                continue;
            }
            let user = match known.filter(|u| u.id == departure.user) {
                Some(user) => user.clone(),
                None => match self.hub.store.user_by_id(departure.user).await {
                    Ok(Some(user)) => user,
                    _ => continue,
                },
            };
            let Ok(Some(room)) = self.hub.store.room_by_id(departure.room).await else {
                continue;
            };
            self.stop_typing(&room, &user).await;
            self.announce(&room, &user, departure.change, false).await;
        }
    }

    /// Tells a room about a presence change: `user_joined` / `user_left` to the others, and
    /// the new `members` list to everyone while the room is small. Returns that list's page
    /// and the number present, when it was sent.
    async fn announce(
        &self,
        room: &RoomRecord,
        user: &User,
        change: Change,
        joined: bool,
    ) -> Option<(Vec<User>, usize)> {
        if !change.user_changed {
            return None;
        }
        let chat = self.fanout.chat()?;
        let channel = room_channel(room.id);
        let presence = PresenceBody {
            room: room.name.clone(),
            user: user.clone(),
        };
        // The user's own sockets learn from their ack (join) or already know (leave).
        let others = chat
            .clone()
            .to(channel.clone())
            .except(user_channel(user.id));
        if joined {
            broadcast(others, &UserJoined(presence)).await;
        } else {
            broadcast(others, &UserLeft(presence)).await;
        }
        if change.count <= MEMBERS_BROADCAST_MAX {
            match self.hub.live.members_page(room.id, 0, MEMBERS_PAGE).await {
                Ok((users, total)) => {
                    let members = Members {
                        room: room.name.clone(),
                        users,
                    };
                    broadcast(chat.to(channel), &members).await;
                    return Some((members.users, total));
                }
                Err(error) => tracing::warn!(%error, "listing a room's members"),
            }
        }
        None
    }

    /// Ends a user's typing state in a room and tells the others, if it was active.
    pub(super) async fn stop_typing(&self, room: &RoomRecord, user: &User) {
        match self.hub.live.typing_stop(room.id, user.id).await {
            Ok(Some(place)) => self.emit_typing(room, user, false, place).await,
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "ending a typing state"),
        }
    }

    async fn emit_typing(&self, room: &RoomRecord, user: &User, active: bool, place: Place) {
        let Some(chat) = self.fanout.chat() else {
            return;
        };
        let typing = Typing {
            room: room.name.clone(),
            user: user.clone(),
            active,
            thread: place,
        };
        broadcast(
            chat.to(room_channel(room.id)).except(user_channel(user.id)),
            &typing,
        )
        .await;
    }
}
