//! Who is where, right now: `/chat` sockets, the rooms they joined and the users behind them.
//!
//! A user with several tabs is one member of a room; they arrive with their first socket and
//! leave with their last. All methods are short critical sections with no I/O inside.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use protocol::User;

/// A socket id as text (socketioxide's `Sid` displayed).
pub type SocketId = String;

/// What a join or leave changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// Whether the set of users present changed (first socket in / last socket out).
    pub user_changed: bool,
    /// Users present after the change.
    pub count: usize,
}

#[derive(Debug, Default)]
struct Room {
    /// user id → (user, sockets of that user in the room)
    users: HashMap<i64, (User, usize)>,
}

#[derive(Debug)]
struct SocketEntry {
    user: User,
    rooms: HashSet<i64>,
}

#[derive(Debug, Default)]
struct State {
    rooms: BTreeMap<i64, Room>,
    sockets: HashMap<SocketId, SocketEntry>,
    /// user id → how many of the sockets are theirs
    per_user: HashMap<i64, usize>,
}

/// Presence of every `/chat` socket.
#[derive(Debug, Default)]
pub struct Presence {
    state: Mutex<State>,
}

impl Presence {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere must not take presence down with it: the data stays consistent
        // because every mutation below completes before the guard drops.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a connected socket.
    pub fn connect(&self, socket: &str, user: &User) {
        let mut state = self.lock();
        let previous = state.sockets.insert(
            socket.to_owned(),
            SocketEntry {
                user: user.clone(),
                rooms: HashSet::new(),
            },
        );
        if let Some(previous) = previous {
            forget_socket_of(&mut state, previous.user.id);
        }
        *state.per_user.entry(user.id).or_default() += 1;
    }

    /// Whether `user` has a registered socket.
    #[must_use]
    pub fn has_sockets(&self, user: i64) -> bool {
        self.lock().per_user.contains_key(&user)
    }

    /// Adds a socket to a room; `None` if the socket is unknown or already there.
    pub fn join(&self, socket: &str, room: i64) -> Option<Change> {
        let mut state = self.lock();
        let entry = state.sockets.get_mut(socket)?;
        if !entry.rooms.insert(room) {
            return None;
        }
        let user = entry.user.clone();
        let room = state.rooms.entry(room).or_default();
        let slot = room.users.entry(user.id).or_insert((user, 0));
        slot.1 += 1;
        let user_changed = slot.1 == 1;
        Some(Change {
            user_changed,
            count: room.users.len(),
        })
    }

    /// Removes a socket from a room; `None` if it was not there.
    pub fn leave(&self, socket: &str, room: i64) -> Option<Change> {
        let mut state = self.lock();
        let entry = state.sockets.get_mut(socket)?;
        if !entry.rooms.remove(&room) {
            return None;
        }
        let user_id = entry.user.id;
        Some(remove_from_room(&mut state, room, user_id))
    }

    /// Forgets a socket; returns the rooms it was in with what leaving them changed.
    pub fn disconnect(&self, socket: &str) -> Vec<(i64, Change)> {
        let mut state = self.lock();
        let Some(entry) = state.sockets.remove(socket) else {
            return Vec::new();
        };
        forget_socket_of(&mut state, entry.user.id);
        let mut rooms: Vec<i64> = entry.rooms.into_iter().collect();
        rooms.sort_unstable();
        rooms
            .into_iter()
            .map(|room| (room, remove_from_room(&mut state, room, entry.user.id)))
            .collect()
    }

    /// The user of a registered socket.
    #[must_use]
    pub fn user_of(&self, socket: &str) -> Option<i64> {
        self.lock().sockets.get(socket).map(|entry| entry.user.id)
    }

    /// Whether this socket has joined the room.
    #[must_use]
    pub fn is_in(&self, socket: &str, room: i64) -> bool {
        self.lock()
            .sockets
            .get(socket)
            .is_some_and(|entry| entry.rooms.contains(&room))
    }

    /// Users present in a room, by name.
    #[must_use]
    pub fn members(&self, room: i64) -> Vec<User> {
        let mut users: Vec<User> = self
            .lock()
            .rooms
            .get(&room)
            .map(|room| room.users.values().map(|(user, _)| user.clone()).collect())
            .unwrap_or_default();
        // Sorted after the lock is released (every message send checks presence under it),
        // each name lower-cased once rather than at every comparison.
        users.sort_by_cached_key(|user| (user.username.to_lowercase(), user.id));
        users
    }

    /// A page of the users present in a room, by name, and how many there are in all.
    #[must_use]
    pub fn members_page(&self, room: i64, offset: usize, limit: usize) -> (Vec<User>, usize) {
        let members = self.members(room);
        let total = members.len();
        let page = members.into_iter().skip(offset).take(limit).collect();
        (page, total)
    }

    /// Whether a user has a socket in the room.
    #[cfg(test)]
    #[must_use]
    pub fn is_present(&self, room: i64, user: i64) -> bool {
        self.lock()
            .rooms
            .get(&room)
            .is_some_and(|r| r.users.contains_key(&user))
    }

    /// Number of users present in a room.
    #[cfg(test)]
    #[must_use]
    pub fn count(&self, room: i64) -> u64 {
        self.lock()
            .rooms
            .get(&room)
            .map_or(0, |r| r.users.len() as u64)
    }

    /// Users present in each of `rooms` (0 for an empty one), read under one lock.
    #[must_use]
    pub fn counts(&self, rooms: &[i64]) -> HashMap<i64, u64> {
        let state = self.lock();
        rooms
            .iter()
            .map(|id| (*id, state.rooms.get(id).map_or(0, |r| r.users.len() as u64)))
            .collect()
    }

    /// Distinct users with at least one socket, and the number of sockets.
    #[must_use]
    pub fn totals(&self) -> (u64, u64) {
        let state = self.lock();
        let users: HashSet<i64> = state.sockets.values().map(|s| s.user.id).collect();
        (users.len() as u64, state.sockets.len() as u64)
    }
}

fn remove_from_room(state: &mut State, room_id: i64, user_id: i64) -> Change {
    let Some(room) = state.rooms.get_mut(&room_id) else {
        return Change {
            user_changed: false,
            count: 0,
        };
    };
    let mut user_changed = false;
    if let Some(slot) = room.users.get_mut(&user_id) {
        slot.1 -= 1;
        if slot.1 == 0 {
            room.users.remove(&user_id);
            user_changed = true;
        }
    }
    let count = room.users.len();
    if room.users.is_empty() {
        state.rooms.remove(&room_id);
    }
    Change {
        user_changed,
        count,
    }
}

/// One socket of `user` fewer.
fn forget_socket_of(state: &mut State, user: i64) {
    if let Some(count) = state.per_user.get_mut(&user) {
        *count -= 1;
        if *count == 0 {
            state.per_user.remove(&user);
        }
    }
}

#[cfg(test)]
mod tests {
    use protocol::Role;

    use super::*;

    fn user(id: i64, name: &str) -> User {
        User {
            id,
            username: name.into(),
            role: Role::Guest,
        }
    }

    #[test]
    fn a_user_with_two_tabs_is_one_member() {
        let presence = Presence::default();
        let ana = user(1, "ana");
        presence.connect("tab1", &ana);
        presence.connect("tab2", &ana);
        assert!(presence.join("tab1", 7).unwrap().user_changed);
        let second = presence.join("tab2", 7).unwrap();
        assert!(!second.user_changed);
        assert_eq!(second.count, 1);
        assert_eq!(presence.members(7), std::slice::from_ref(&ana));
        assert_eq!(presence.count(7), 1);
        assert!(!presence.leave("tab1", 7).unwrap().user_changed);
        let last = presence.leave("tab2", 7).unwrap();
        assert!(last.user_changed);
        assert_eq!(last.count, 0);
        assert!(presence.members(7).is_empty());
        assert_eq!(presence.count(7), 0);
    }

    #[test]
    fn joining_twice_or_leaving_unjoined_changes_nothing() {
        let presence = Presence::default();
        presence.connect("s", &user(1, "ana"));
        assert!(presence.join("s", 1).is_some());
        assert!(presence.join("s", 1).is_none());
        assert!(presence.leave("s", 2).is_none());
        assert!(presence.join("unknown", 1).is_none());
    }

    #[test]
    fn disconnect_leaves_every_room() {
        let presence = Presence::default();
        let (ana, bea) = (user(1, "ana"), user(2, "Bea"));
        presence.connect("a", &ana);
        presence.connect("b", &bea);
        presence.join("a", 1);
        presence.join("a", 2);
        presence.join("b", 1);
        assert_eq!(presence.members(1), [ana.clone(), bea.clone()]);
        let left = presence.disconnect("a");
        assert_eq!(left.len(), 2);
        assert!(left.iter().all(|(_, change)| change.user_changed));
        assert_eq!(left[0].1.count, 1);
        assert_eq!(presence.members(1), std::slice::from_ref(&bea));
        assert_eq!(presence.members_page(1, 0, 10), (vec![bea.clone()], 1));
        assert!(presence.is_present(1, bea.id));
        assert_eq!(presence.totals(), (1, 1));
        assert!(presence.disconnect("a").is_empty());
        assert_eq!(presence.counts(&[2]).get(&2), Some(&0));
    }

    #[test]
    fn totals_count_users_and_sockets() {
        let presence = Presence::default();
        presence.connect("a1", &user(1, "ana"));
        presence.connect("a2", &user(1, "ana"));
        presence.connect("b", &user(2, "bea"));
        assert_eq!(presence.totals(), (2, 3));
        assert!(!presence.is_in("a1", 5));
    }
}
